#!/usr/bin/env python3
"""tools/fts_cost.py: what jobsd's two FTS5 tables cost a commit, per job,
with FTS5's merging as jobsd runs it (its automerge setting) and with none.

    tools/fts_cost.py JOBS_DB [--first N] [--jobs N]

JOBS_DB is a jobsd database with jobs in it (one that jobsbench --seed
filled, say); it is only read. Each measurement builds a contentless copy
of one of its FTS5 tables (the columns, tokenizer and prefix indexes that
JOBS_DB's schema gives jobs_fts or jobs_tri) in a temporary WAL database,
inserts the first N jobs' text in one transaction, then the next ones in
transactions of G jobs, and times every COMMIT: that is where FTS5 writes
the transaction's segment and does its share of merging. Python's sqlite3
is the system's SQLite, the one jobsd links. synchronous=OFF: no fsync is
counted.

Without merging FTS5 keeps every segment and stops at 2,000, and searches
would read them all: the "no merging" column shows what merging costs; it
is not a setting to use."""

import argparse
import os
import re
import sqlite3
import tempfile
import time


def table_of(src, name):
    """(columns, options, automerge) of FTS5 table `name` in `src`, the
    options without those that tie it to the jobs table."""
    found = src.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    if found is None:
        raise SystemExit(f"no table {name}: not a jobsd database")
    sql = found[0]
    inner = sql[sql.index("(") + 1:sql.rindex(")")]
    args = [a.strip() for a in re.findall(r"(?:[^,']|'[^']*')+", inner)]
    cols = [a for a in args if "=" not in a]
    options = [a for a in args if "=" in a and not a.startswith("content")]
    automerge = src.execute(f"SELECT v FROM {name}_config WHERE k = 'automerge'").fetchone()
    return cols, ", ".join(options), automerge[0] if automerge else 4


def commit_us(texts, table, group, first, merging):
    """Mean microseconds of COMMIT per job inserted after the first `first`."""
    cols, options, automerge = table
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(os.path.join(tmp, "fts.db"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(cols)}, content='', "
                   f"{options})")
        if merging:
            db.execute("INSERT INTO t (t, rank) VALUES ('automerge', ?)", (automerge,))
        else:
            db.execute("INSERT INTO t (t, rank) VALUES ('automerge', 0)")
            db.execute("INSERT INTO t (t, rank) VALUES ('crisismerge', 2000)")
        sql = f"INSERT INTO t (rowid, {', '.join(cols)}) VALUES (?{', ?' * len(cols)})"

        def row(i):
            return (i + 1,) + tuple(texts[i][c] for c in cols)

        db.execute("BEGIN")
        for i in range(first):
            db.execute(sql, row(i))
        db.execute("COMMIT")
        # Under 2,000 commits: FTS5's limit on segments when nothing merges.
        last = min(len(texts), first + 1500 * group)
        spent = 0.0
        for start in range(first, last - group + 1, group):
            db.execute("BEGIN")
            for i in range(start, start + group):
                db.execute(sql, row(i))
            t0 = time.perf_counter()
            db.execute("COMMIT")
            spent += time.perf_counter() - t0
        db.close()
        return spent / ((last - first) // group * group) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db", help="a jobsd database with jobs in it")
    ap.add_argument("--first", type=int, default=20000, help="jobs inserted first, at once")
    ap.add_argument("--jobs", type=int, default=7500, help="jobs inserted in groups after them")
    a = ap.parse_args()
    try:
        src = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
        src.row_factory = sqlite3.Row
        tables = [(name, table_of(src, name)) for name in ("jobs_fts", "jobs_tri")]
        texts = src.execute("SELECT * FROM jobs ORDER BY seq LIMIT ?",
                            (a.first + a.jobs,)).fetchall()
        src.close()
    except sqlite3.Error as e:
        raise SystemExit(f"{a.db}: {e}")
    if len(texts) < a.first + 1500:
        raise SystemExit(f"{a.db}: {len(texts)} jobs; needs at least {a.first + 1500}")
    print(f"SQLite {sqlite3.sqlite_version}; {a.first} jobs first, then groups; "
          "µs of COMMIT per job")
    for name, table in tables:
        print(f"{name}: {', '.join(table[0])}; {table[1]}; automerge {table[2]}")
    print(f"{'table':10} {'group':>5} {'as jobsd':>12} {'no merging':>11} {'merging':>8}")
    for name, table in tables:
        for group in (1, 5):
            merged = commit_us(texts, table, group, a.first, True)
            flat = commit_us(texts, table, group, a.first, False)
            print(f"{name:10} {group:5} {merged:12.1f} {flat:11.1f} "
                  f"{(merged - flat) / merged:8.0%}")


if __name__ == "__main__":
    main()
