#!/usr/bin/env bash
# tools/pg_write_cost.sh [N]: the instructions a PostgreSQL backend runs per
# INSERT and per UPDATE of a job, counted by callgrind: what jobsd's schema
# (its `words`, triggers and indexes) costs a write, apart from the network,
# the load and jobsd.
#
# Starts a throwaway PostgreSQL 15 (tools/pg.sh); a jobsd of build-rel/
# migrates a database, and BASE=DIR (a build's bin/, e.g. of main) another
# one with DIR's jobsd; jobsbench seeds 3,000 jobs into a third, which are
# copied, uncompressed, into the table cg_src of both. Then, the server
# stopped, a single-user backend (postgres --single, fsync off) on each
# database runs N prepared INSERTs of those jobs (default 200), each its own
# transaction, and again the N INSERTs followed by N UPDATEs of their five
# text columns, under valgrind --tool=callgrind --toggle-collect=ExecuteQuery
# (the statements alone: neither start-up nor COMMIT). The GIN pending lists
# are emptied first, so that no cleanup of earlier writes lands in the count.
# Prints instructions per INSERT and per UPDATE for each schema.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -z "${BASE:-}" ] || BASE=$(cd "$BASE" && pwd)
n=${1:-200}
bin=build-rel/bin
. tools/pglib.sh
die() {
	echo "tools/pg_write_cost.sh: $*" >&2
	exit 1
}
for b in "$bin/jobsd" "$bin/jobsbench" "$bin/jobsctl" ${BASE:+"$BASE/jobsd"}; do
	[ -x "$b" ] || die "no $b; build it first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2"
done
command -v valgrind >/dev/null || die "no valgrind (apt-get install valgrind)"

pg_scratch jobsd-pgcost
chmod 755 "$work" # the postgres user works in it too

# jobsd JOBSD NAME [JOBSBENCH]: a database NAME that JOBSD migrated (and,
# with JOBSBENCH, 3,000 jobs seeded).
jobsd() {
	local sock=ipc://$work/jobsd.sock
	psql -q "$server" -c "CREATE DATABASE $2" >/dev/null
	HOME=$work "$1" --no-legacy-migration --db "${server%/*}/$2" --listen "$sock" \
		--log-level warn 2>>"$work/jobsd.log" &
	jobsd_pid=$!
	for _ in $(seq 200); do
		"$bin/jobsctl" --server "$sock" health >/dev/null 2>&1 && break
		sleep 0.05
	done
	[ -z "${3:-}" ] || "$3" -s "$sock" -n 1 --seed 3000 -m get=1 -f csv >/dev/null 2>&1
	kill "$jobsd_pid"
	wait "$jobsd_pid" || true
	jobsd_pid=
}

cols="id, job_name, product, persona, setting, emotion, hook, elevenlabs_voice_id, language,
      brand_name, enabled, created_at, updated_at, enhanced_settings, extra"
jobsd "$bin/jobsd" seeded "$bin/jobsbench"
psql -q "${server%/*}/seeded" -c "\copy (SELECT row_number() OVER (ORDER BY id), $cols FROM jobs) TO '$work/jobs.csv' CSV"
arms=(new)
jobsd "$bin/jobsd" new
[ -z "${BASE:-}" ] || { jobsd "$BASE/jobsd" base && arms+=(base); }
for a in "${arms[@]}"; do
	psql -q "${server%/*}/$a" <<-EOF
		CREATE TABLE cg_src AS SELECT 0::bigint AS k, $cols FROM jobs WITH NO DATA;
		ALTER TABLE cg_src ALTER hook SET STORAGE EXTERNAL, ALTER persona SET STORAGE EXTERNAL,
		    ALTER setting SET STORAGE EXTERNAL, ALTER enhanced_settings SET STORAGE EXTERNAL,
		    ALTER extra SET STORAGE EXTERNAL;
		\copy cg_src FROM '$work/jobs.csv' CSV
		CREATE INDEX ON cg_src (k);
		ANALYZE cg_src;
	EOF
done
tools/pg.sh pause "$work/pg"

# script UPDATES: the statements, one a line (single-user mode's input).
script() {
	echo "SELECT gin_clean_pending_list('jobs_words'), gin_clean_pending_list('jobs_trigrams')"
	echo "PREPARE ins(bigint) AS INSERT INTO jobs ($cols) SELECT 'cg-' || k, ${cols#id, } FROM cg_src WHERE k = \$1" | tr -s ' \n' ' '
	echo
	echo "PREPARE upd(bigint) AS UPDATE jobs SET (job_name, product, persona, brand_name, hook) = (s.job_name || ' x', s.product, s.persona, s.brand_name, s.hook) FROM cg_src s WHERE s.k = \$1 AND jobs.id = 'cg-' || s.k"
	seq 1 "$n" | sed 's/.*/EXECUTE ins(&)/'
	[ "$1" = 0 ] || seq 1 "$n" | sed 's/.*/EXECUTE upd(&)/'
	echo "DELETE FROM jobs WHERE id LIKE 'cg-%'"
}

# count DB UPDATES: instructions in the statements.
count() {
	local out=$work/cg-$1-$2.out
	script "$2" >"$work/script.sql"
	local total
	as_owner valgrind --tool=callgrind --toggle-collect=ExecuteQuery --callgrind-out-file="$out" \
		"$(bindir)/postgres" --single -D "$(cat "$work/pg/datadir")/db" -c fsync=off "$1" \
		<"$work/script.sql" >"$work/single.log" 2>&1 ||
		die "the single-user backend failed: $(tail -n 3 "$work/single.log")"
	grep -qE 'ERROR|FATAL|PANIC' "$work/single.log" &&
		die "$(grep -m1 -E 'ERROR|FATAL|PANIC' "$work/single.log")"
	total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	[ "${total:-0}" -gt 0 ] || die "callgrind counted nothing in $1's statements"
	echo "$total"
}

[ "$(id -u)" -ne 0 ] || chown -R postgres: "$work"
printf '%-6s %14s %14s\n' schema insert update
for a in "${arms[@]}"; do
	i=$(count "$a" 0)
	u=$(count "$a" 1)
	awk -v a="$a" -v i="$i" -v u="$u" -v n="$n" \
		'BEGIN { printf "%-6s %14.0f %14.0f\n", a, i / n, (u - i) / n }'
done
