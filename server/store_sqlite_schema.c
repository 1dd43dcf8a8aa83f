/*
 * store_sqlite_schema.c: the SQLite database's format and its history: what
 * each table and index is for, and the migrations from each schema version
 * to the next (store_sqlite.c runs them).
 *
 * A migration is frozen text: it is what that version of jobsd ran, written
 * out in full, never built from the macros or strings the live statements
 * use, so that changing a live statement cannot rewrite an old migration.
 *
 * ON-DISK FORMAT (PRAGMA user_version = STORE_SCHEMA_VERSION)
 *
 *   jobs      one row per job. `seq` is the rowid: stable, never reused while
 *             the row lives, the key any future index on the side (FTS) joins
 *             on. `id` is the job id (UNIQUE, so Get, Update and Delete are
 *             index seeks). Text fields are NOT NULL, '' when unset.
 *             created_at and updated_at are microseconds since the Unix epoch,
 *             UTC. `version` is the etag: a number from meta.last_version,
 *             so it is never reused, not even after a delete. enhanced_settings
 *             and extra hold JSON text or NULL when the job has none.
 *   jobs_by_created  (created_at, id): the default listing order, newest first,
 *             and its keyset position.
 *   meta      key/value: 'last_version' is the highest version handed out;
 *             'legacy_migrated' (when present) says when and from where jobsd
 *             migrated a legacy store at start-up, so that it does so once.
 *   requests  the answers to recent writes, by request_id (AIP-155): a
 *             retried write gets the first answer instead of running twice.
 *             Kept for the --dedup-window, pruned by the writer, oldest
 *             rowid first. A rowid table, not WITHOUT ROWID: an answer is
 *             KiBs and a WITHOUT ROWID row keeps only about 1 KiB in its
 *             b-tree page, so each answer spilled over ~4 pages.
 *
 *   Finding jobs (version 3; the queries are in store_sqlite_find.c):
 *   jobs_by_updated (updated_at, id), jobs_by_name (job_name, id): the other
 *             two listing orders. A keyset page is a SEARCH on one of these
 *             (or jobs_by_created) from the previous page's (key, id): page
 *             1,000 costs what page 1 costs.
 *   jobs_by_enabled, jobs_by_product, jobs_by_persona, jobs_by_language,
 *   jobs_by_brand  (column, created_at, id): one per equality filter, so
 *             that a filtered listing in the default order is also a SEARCH
 *             that reads only the rows it returns. For the other orders
 *             with a filter, store_sqlite_find.c picks per request, from the
 *             counts in stat_values: a value held by few jobs (<= 4000) is
 *             read through its index and sorted; a common one walks the
 *             order's index and skips the other jobs (at most
 *             page / share rows per page).
 *             Write cost: 7 more index entries per job written (9 in all),
 *             about 15 B + the key each; persona's index repeats the persona.
 *   jobs_fts  FTS5 external-content table over job_name, product,
 *             brand_name, hook, persona (rowid = jobs.seq), tokenizer
 *             cjk (store_sqlite_cjk.c) around unicode61 remove_diacritics
 *             2: words case- and accent-insensitive, and runs of Chinese,
 *             Japanese and Korean text as their characters and pairs of
 *             characters (cjk.c); the tokenizer is jobsd's, so the sqlite3
 *             shell cannot query this table (it can write jobs). Prefix
 *             indexes of 2 and 3 characters (so that `lan*` reads one
 *             index entry, not every term that starts so), and a stored
 *             rank of bm25(10, 4, 4, 1, 2): name > product = brand > persona
 *             > hook. Both FTS5 tables merge their segments eight at a
 *             time (automerge 8; FTS5's default is 4): each group commit
 *             writes a small segment to each, and with four, merging them
 *             was about half of what indexing a job cost the writer.
 *   jobs_tri  job_name, product, brand_name and persona with the trigram
 *             tokenizer: substring search (3+ characters; case-insensitive,
 *             accents not folded in SQLite 3.40). About one index entry per
 *             character of text, so the hook, which is prose and often
 *             KiBs long, is left out: indexed, it was the largest structure
 *             on disk and the largest part of what a create cost; hooks
 *             are found by words and prefixes (jobs_fts).
 *   pending   (seq, existed, and the old values of job_name, product,
 *             brand_name, hook, persona, language, enabled, created_at): the
 *             jobs a transaction has changed whose text indexes and counts
 *             are not yet up to date. Triggers on jobs (jobs_pending_*) add a
 *             row for each job inserted, deleted or updated in one of those
 *             columns, once per transaction (INSERT OR IGNORE keeps the
 *             first): for a job that existed before, existed = 1 and its OLD
 *             values, which are what the FTS tables and the counts hold of
 *             it (FTS5 external content needs them to take a row out); for
 *             a new job, existed = 0. At COMMIT, the store's commit takes the old
 *             values out of the counts and the FTS tables, puts the jobs'
 *             current values in (an FTS table only where the text it holds
 *             of the job changed), and empties the table: at most eight
 *             statements for the whole transaction instead of ~11 per write
 *             (the counting triggers up to schema 5), and one FTS5 segment
 *             a table instead of two per write (FTS5 writes a segment, and
 *             merges, each time a statement that wrote it ends). A savepoint
 *             rolled back takes its pending rows with it. A writer other
 *             than jobsd leaves its rows here; jobsd's next commit applies
 *             them.
 *   stat_values (dim, value, n): how many jobs have each product, language,
 *             persona and brand ('product', 'Lamp', 42); rows at 0 are
 *             deleted. stat_values_by_n (dim, n) gives the top N.
 *   stat_totals (key, n): 'total', 'enabled', and 'unique:<dim>' (distinct
 *             values of each dim; triggers on stat_values, stat_values_ai
 *             and _ad, count a value in when its row appears and out when it
 *             goes, which is rare, not once per job).
 *   stat_days (day, n): jobs created per UTC day (day = days since 1970).
 *             All three are brought up to date from pending in the
 *             transaction of the writes that change them, so GetStats reads
 *             a few rows instead of scanning jobs.
 *
 * VERSION HISTORY (each step is one entry of migrations[], run in order in
 * one transaction that also sets user_version):
 *   1  jobs, jobs_by_created, meta.
 *   2  requests (WITHOUT ROWID), requests_by_time.
 *   3  the listing indexes, jobs_fts, jobs_tri, stat_values, stat_totals,
 *      stat_days, and their triggers; fills them from existing jobs.
 *   4  requests rebuilt as a rowid table; jobs_tri rebuilt without the
 *      hook, with its triggers.
 *   5  fts_pending; the jobs_fts_* triggers only note changes in it, and
 *      store_commit() indexes them (jobs_tri_au goes).
 *   6  pending replaces fts_pending and also carries what the counts need;
 *      store_commit() applies it to the stat_* tables too, and the
 *      jobs_stats_* triggers go; stat_values_ai/_ad keep unique:<dim>.
 *   7  jobs_fts and jobs_tri merge segments eight at a time (automerge 8).
 *   8  jobs_fts made anew with the tokenizer cjk, and filled from jobs
 *      ('rebuild'). The jobs pending holds are then put back as the index
 *      held them (their old text in, their new text out), so that the next
 *      commit's apply of pending finds what it expects.
 *
 * Journal: WAL. Readers never block the writer or each other; there is one
 * writer connection per database (jobsd holds a lock file to make sure).
 * Connections open through store_sqlite_vfs.c, which keeps savepoint sub-journals
 * in memory instead of in temporary files.
 */
#include "store_sqlite.h"

// clang-format off
const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION] = {
    /* 1 */
    "CREATE TABLE jobs ( seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, job_name TEXT "
        "NOT NULL, product TEXT NOT NULL, persona TEXT NOT NULL, setting TEXT NOT NULL, emotion "
        "TEXT NOT NULL, hook TEXT NOT NULL, elevenlabs_voice_id TEXT NOT NULL, language TEXT "
        "NOT NULL, brand_name TEXT NOT NULL, enabled INTEGER NOT NULL CHECK (enabled IN (0, "
        "1)), created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT "
        "NULL, enhanced_settings TEXT CONSTRAINT enhanced_settings_is_json CHECK "
        "(enhanced_settings IS NULL OR json_valid(enhanced_settings)), extra TEXT CONSTRAINT "
        "extra_is_object CHECK (extra IS NULL OR CASE WHEN json_valid(extra) THEN "
        "json_type(extra) = 'object' ELSE 0 END)); "
    "CREATE INDEX jobs_by_created ON jobs (created_at, id); "
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID; "
    "INSERT INTO meta VALUES ('last_version', 0);",
    /* 2 */
    "CREATE TABLE requests ( request_id TEXT PRIMARY KEY, call INTEGER NOT NULL, "
        "fingerprint INTEGER NOT NULL, response BLOB NOT NULL, created_at INTEGER NOT NULL) "
        "WITHOUT ROWID; "
    "CREATE INDEX requests_by_time ON requests (created_at);",
    /* 3 */
    "CREATE INDEX jobs_by_updated ON jobs (updated_at, id); "
    "CREATE INDEX jobs_by_name ON jobs (job_name, id); "
    "CREATE INDEX jobs_by_enabled ON jobs (enabled, created_at, id); "
    "CREATE INDEX jobs_by_product ON jobs (product, created_at, id); "
    "CREATE INDEX jobs_by_persona ON jobs (persona, created_at, id); "
    "CREATE INDEX jobs_by_language ON jobs (language, created_at, id); "
    "CREATE INDEX jobs_by_brand ON jobs (brand_name, created_at, id); "
    "CREATE VIRTUAL TABLE jobs_fts USING fts5(job_name, product, brand_name, hook, persona, "
        "content='jobs', content_rowid='seq', tokenize='unicode61 remove_diacritics 2', "
        "prefix='2 3'); "
    "INSERT INTO jobs_fts (jobs_fts, rank) VALUES ('rank', "
        "'bm25(10.0, 4.0, 4.0, 1.0, 2.0)'); "
    "CREATE VIRTUAL TABLE jobs_tri USING fts5(job_name, product, brand_name, hook, persona, "
        "content='jobs', content_rowid='seq', tokenize='trigram'); "
    "CREATE TRIGGER jobs_fts_ai AFTER INSERT ON jobs BEGIN INSERT INTO jobs_fts (rowid, "
        "job_name, product, brand_name, hook, persona) VALUES (new.seq, new.job_name, "
        "new.product, new.brand_name, new.hook, new.persona); "
    "INSERT INTO jobs_tri (rowid, job_name, product, brand_name, hook, persona) VALUES "
        "(new.seq, new.job_name, new.product, new.brand_name, new.hook, new.persona); "
    "END; "
    "CREATE TRIGGER jobs_fts_ad AFTER DELETE ON jobs BEGIN INSERT INTO jobs_fts (jobs_fts, "
        "rowid, job_name, product, brand_name, hook, persona) VALUES ('delete', old.seq, "
        "old.job_name, old.product, old.brand_name, old.hook, old.persona); "
    "INSERT INTO jobs_tri (jobs_tri, rowid, job_name, product, brand_name, hook, persona) "
        "VALUES ('delete', old.seq, old.job_name, old.product, old.brand_name, old.hook, "
        "old.persona); "
    "END; "
    "CREATE TRIGGER jobs_fts_au AFTER UPDATE OF job_name, product, brand_name, hook, "
        "persona ON jobs WHEN old.job_name IS NOT new.job_name OR old.product IS NOT "
        "new.product OR old.brand_name IS NOT new.brand_name OR old.persona IS NOT new.persona "
        "OR old.hook IS NOT new.hook BEGIN INSERT INTO jobs_fts (jobs_fts, rowid, job_name, "
        "product, brand_name, hook, persona) VALUES ('delete', old.seq, old.job_name, "
        "old.product, old.brand_name, old.hook, old.persona); "
    "INSERT INTO jobs_tri (jobs_tri, rowid, job_name, product, brand_name, hook, persona) "
        "VALUES ('delete', old.seq, old.job_name, old.product, old.brand_name, old.hook, "
        "old.persona); "
    "INSERT INTO jobs_fts (rowid, job_name, product, brand_name, hook, persona) VALUES "
        "(new.seq, new.job_name, new.product, new.brand_name, new.hook, new.persona); "
    "INSERT INTO jobs_tri (rowid, job_name, product, brand_name, hook, persona) VALUES "
        "(new.seq, new.job_name, new.product, new.brand_name, new.hook, new.persona); "
    "END; "
    "INSERT INTO jobs_fts (jobs_fts) VALUES ('rebuild'); "
    "INSERT INTO jobs_tri (jobs_tri) VALUES ('rebuild'); "
    "CREATE TABLE stat_values (dim TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL, "
        "PRIMARY KEY (dim, value)) WITHOUT ROWID; "
    "CREATE INDEX stat_values_by_n ON stat_values (dim, n); "
    "CREATE TABLE stat_totals (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID; "
    "CREATE TABLE stat_days (day INTEGER PRIMARY KEY, n INTEGER NOT NULL); "
    "INSERT INTO stat_values SELECT 'product', product, count(*) FROM jobs GROUP BY "
        "product; "
    "INSERT INTO stat_totals SELECT 'unique:product', count(*) FROM stat_values WHERE dim = "
        "'product'; "
    "INSERT INTO stat_values SELECT 'language', language, count(*) FROM jobs GROUP BY "
        "language; "
    "INSERT INTO stat_totals SELECT 'unique:language', count(*) FROM stat_values WHERE dim "
        "= 'language'; "
    "INSERT INTO stat_values SELECT 'persona', persona, count(*) FROM jobs GROUP BY "
        "persona; "
    "INSERT INTO stat_totals SELECT 'unique:persona', count(*) FROM stat_values WHERE dim = "
        "'persona'; "
    "INSERT INTO stat_values SELECT 'brand', brand_name, count(*) FROM jobs GROUP BY "
        "brand_name; "
    "INSERT INTO stat_totals SELECT 'unique:brand', count(*) FROM stat_values WHERE dim = "
        "'brand'; "
    "INSERT INTO stat_totals SELECT 'total', count(*) FROM jobs; "
    "INSERT INTO stat_totals SELECT 'enabled', count(*) FROM jobs WHERE enabled; "
    "INSERT INTO stat_days SELECT ((created_at - ((created_at % 86400000000) + 86400000000) "
        "% 86400000000) / 86400000000), count(*) FROM jobs GROUP BY 1; "
    "CREATE TRIGGER jobs_stats_ai AFTER INSERT ON jobs BEGIN UPDATE stat_totals SET n = n + "
        "1 WHERE key = 'unique:product' AND NOT EXISTS (SELECT 1 FROM stat_values WHERE dim = "
        "'product' AND value = new.product); "
    "INSERT INTO stat_values VALUES ('product', new.product, 1) ON CONFLICT DO UPDATE SET n "
        "= n + 1; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:language' AND NOT EXISTS (SELECT "
        "1 FROM stat_values WHERE dim = 'language' AND value = new.language); "
    "INSERT INTO stat_values VALUES ('language', new.language, 1) ON CONFLICT DO UPDATE SET "
        "n = n + 1; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:persona' AND NOT EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'persona' AND value = new.persona); "
    "INSERT INTO stat_values VALUES ('persona', new.persona, 1) ON CONFLICT DO UPDATE SET n "
        "= n + 1; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:brand' AND NOT EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'brand' AND value = new.brand_name); "
    "INSERT INTO stat_values VALUES ('brand', new.brand_name, 1) ON CONFLICT DO UPDATE SET "
        "n = n + 1; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'total'; "
    "UPDATE stat_totals SET n = n + new.enabled WHERE key = 'enabled'; "
    "INSERT INTO stat_days VALUES (((new.created_at - ((new.created_at % 86400000000) + "
        "86400000000) % 86400000000) / 86400000000), 1) ON CONFLICT DO UPDATE SET n = n + 1; "
    "END; "
    "CREATE TRIGGER jobs_stats_ad AFTER DELETE ON jobs BEGIN UPDATE stat_values SET n = n - "
        "1 WHERE dim = 'product' AND value = old.product; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:product' AND EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'product' AND value = old.product AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'product' AND value = old.product AND n = 0; "
    "UPDATE stat_values SET n = n - 1 WHERE dim = 'language' AND value = old.language; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:language' AND EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'language' AND value = old.language AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'language' AND value = old.language AND n = 0; "
    "UPDATE stat_values SET n = n - 1 WHERE dim = 'persona' AND value = old.persona; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:persona' AND EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'persona' AND value = old.persona AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'persona' AND value = old.persona AND n = 0; "
    "UPDATE stat_values SET n = n - 1 WHERE dim = 'brand' AND value = old.brand_name; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:brand' AND EXISTS (SELECT 1 FROM "
        "stat_values WHERE dim = 'brand' AND value = old.brand_name AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'brand' AND value = old.brand_name AND n = 0; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'total'; "
    "UPDATE stat_totals SET n = n - old.enabled WHERE key = 'enabled'; "
    "UPDATE stat_days SET n = n - 1 WHERE day = ((old.created_at - ((old.created_at % "
        "86400000000) + 86400000000) % 86400000000) / 86400000000); "
    "DELETE FROM stat_days WHERE day = ((old.created_at - ((old.created_at % 86400000000) + "
        "86400000000) % 86400000000) / 86400000000) AND n = 0; "
    "END; "
    "CREATE TRIGGER jobs_stats_au_product AFTER UPDATE OF product ON jobs WHEN old.product "
        "IS NOT new.product BEGIN UPDATE stat_values SET n = n - 1 WHERE dim = 'product' AND "
        "value = old.product; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:product' AND EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'product' AND value = old.product AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'product' AND value = old.product AND n = 0; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:product' AND NOT EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'product' AND value = new.product); "
    "INSERT INTO stat_values VALUES ('product', new.product, 1) ON CONFLICT DO UPDATE SET n "
        "= n + 1; "
    "END; "
    "CREATE TRIGGER jobs_stats_au_language AFTER UPDATE OF language ON jobs WHEN "
        "old.language IS NOT new.language BEGIN UPDATE stat_values SET n = n - 1 WHERE dim = "
        "'language' AND value = old.language; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:language' AND EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'language' AND value = old.language AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'language' AND value = old.language AND n = 0; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:language' AND NOT EXISTS (SELECT "
        "1 FROM stat_values WHERE dim = 'language' AND value = new.language); "
    "INSERT INTO stat_values VALUES ('language', new.language, 1) ON CONFLICT DO UPDATE SET "
        "n = n + 1; "
    "END; "
    "CREATE TRIGGER jobs_stats_au_persona AFTER UPDATE OF persona ON jobs WHEN old.persona "
        "IS NOT new.persona BEGIN UPDATE stat_values SET n = n - 1 WHERE dim = 'persona' AND "
        "value = old.persona; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:persona' AND EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'persona' AND value = old.persona AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'persona' AND value = old.persona AND n = 0; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:persona' AND NOT EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'persona' AND value = new.persona); "
    "INSERT INTO stat_values VALUES ('persona', new.persona, 1) ON CONFLICT DO UPDATE SET n "
        "= n + 1; "
    "END; "
    "CREATE TRIGGER jobs_stats_au_brand AFTER UPDATE OF brand_name ON jobs WHEN "
        "old.brand_name IS NOT new.brand_name BEGIN UPDATE stat_values SET n = n - 1 WHERE dim "
        "= 'brand' AND value = old.brand_name; "
    "UPDATE stat_totals SET n = n - 1 WHERE key = 'unique:brand' AND EXISTS (SELECT 1 FROM "
        "stat_values WHERE dim = 'brand' AND value = old.brand_name AND n = 0); "
    "DELETE FROM stat_values WHERE dim = 'brand' AND value = old.brand_name AND n = 0; "
    "UPDATE stat_totals SET n = n + 1 WHERE key = 'unique:brand' AND NOT EXISTS (SELECT 1 "
        "FROM stat_values WHERE dim = 'brand' AND value = new.brand_name); "
    "INSERT INTO stat_values VALUES ('brand', new.brand_name, 1) ON CONFLICT DO UPDATE SET "
        "n = n + 1; "
    "END; "
    "CREATE TRIGGER jobs_stats_au_enabled AFTER UPDATE OF enabled ON jobs WHEN old.enabled "
        "IS NOT new.enabled BEGIN UPDATE stat_totals SET n = n + new.enabled - old.enabled "
        "WHERE key = 'enabled'; "
    "END; "
    "CREATE TRIGGER jobs_stats_au_created AFTER UPDATE OF created_at ON jobs WHEN "
        "old.created_at IS NOT new.created_at BEGIN UPDATE stat_days SET n = n - 1 WHERE day = "
        "((old.created_at - ((old.created_at % 86400000000) + 86400000000) % 86400000000) / "
        "86400000000); "
    "DELETE FROM stat_days WHERE day = ((old.created_at - ((old.created_at % 86400000000) + "
        "86400000000) % 86400000000) / 86400000000) AND n = 0; "
    "INSERT INTO stat_days VALUES (((new.created_at - ((new.created_at % 86400000000) + "
        "86400000000) % 86400000000) / 86400000000), 1) ON CONFLICT DO UPDATE SET n = n + 1; "
    "END;",
    /* 4 */
    "CREATE TABLE requests_4 ( request_id TEXT NOT NULL UNIQUE, call INTEGER NOT NULL, "
        "fingerprint INTEGER NOT NULL, response BLOB NOT NULL, created_at INTEGER NOT NULL); "
    "INSERT INTO requests_4 SELECT request_id, call, fingerprint, response, created_at FROM "
        "requests ORDER BY created_at; "
    "DROP TABLE requests; "
    "ALTER TABLE requests_4 RENAME TO requests; "
    "DROP TRIGGER jobs_fts_ai; "
    "DROP TRIGGER jobs_fts_ad; "
    "DROP TRIGGER jobs_fts_au; "
    "DROP TABLE jobs_tri; "
    "CREATE VIRTUAL TABLE jobs_tri USING fts5(job_name, product, brand_name, persona, "
        "content='jobs', content_rowid='seq', tokenize='trigram'); "
    "CREATE TRIGGER jobs_fts_ai AFTER INSERT ON jobs BEGIN INSERT INTO jobs_fts (rowid, "
        "job_name, product, brand_name, hook, persona) VALUES (new.seq, new.job_name, "
        "new.product, new.brand_name, new.hook, new.persona); "
    "INSERT INTO jobs_tri (rowid, job_name, product, brand_name, persona) VALUES (new.seq, "
        "new.job_name, new.product, new.brand_name, new.persona); "
    "END; "
    "CREATE TRIGGER jobs_fts_ad AFTER DELETE ON jobs BEGIN INSERT INTO jobs_fts (jobs_fts, "
        "rowid, job_name, product, brand_name, hook, persona) VALUES ('delete', old.seq, "
        "old.job_name, old.product, old.brand_name, old.hook, old.persona); "
    "INSERT INTO jobs_tri (jobs_tri, rowid, job_name, product, brand_name, persona) VALUES "
        "('delete', old.seq, old.job_name, old.product, old.brand_name, old.persona); "
    "END; "
    "CREATE TRIGGER jobs_fts_au AFTER UPDATE OF job_name, product, brand_name, hook, "
        "persona ON jobs WHEN old.job_name IS NOT new.job_name OR old.product IS NOT "
        "new.product OR old.brand_name IS NOT new.brand_name OR old.persona IS NOT new.persona "
        "OR old.hook IS NOT new.hook BEGIN INSERT INTO jobs_fts (jobs_fts, rowid, job_name, "
        "product, brand_name, hook, persona) VALUES ('delete', old.seq, old.job_name, "
        "old.product, old.brand_name, old.hook, old.persona); "
    "INSERT INTO jobs_fts (rowid, job_name, product, brand_name, hook, persona) VALUES "
        "(new.seq, new.job_name, new.product, new.brand_name, new.hook, new.persona); "
    "END; "
    "CREATE TRIGGER jobs_tri_au AFTER UPDATE OF job_name, product, brand_name, persona ON "
        "jobs WHEN old.job_name IS NOT new.job_name OR old.product IS NOT new.product OR "
        "old.brand_name IS NOT new.brand_name OR old.persona IS NOT new.persona BEGIN INSERT "
        "INTO jobs_tri (jobs_tri, rowid, job_name, product, brand_name, persona) VALUES "
        "('delete', old.seq, old.job_name, old.product, old.brand_name, old.persona); "
    "INSERT INTO jobs_tri (rowid, job_name, product, brand_name, persona) VALUES (new.seq, "
        "new.job_name, new.product, new.brand_name, new.persona); "
    "END; "
    "INSERT INTO jobs_tri (jobs_tri) VALUES ('rebuild');",
    /* 5 */
    "DROP TRIGGER jobs_fts_ai; "
    "DROP TRIGGER jobs_fts_ad; "
    "DROP TRIGGER jobs_fts_au; "
    "DROP TRIGGER jobs_tri_au; "
    "CREATE TABLE fts_pending (seq INTEGER PRIMARY KEY, indexed INTEGER NOT NULL, job_name "
        "TEXT, product TEXT, brand_name TEXT, hook TEXT, persona TEXT); "
    "CREATE TRIGGER jobs_fts_ai AFTER INSERT ON jobs BEGIN INSERT OR IGNORE INTO "
        "fts_pending (seq, indexed) VALUES (new.seq, 0); "
    "END; "
    "CREATE TRIGGER jobs_fts_ad AFTER DELETE ON jobs BEGIN INSERT OR IGNORE INTO "
        "fts_pending VALUES (old.seq, 1, old.job_name, old.product, old.brand_name, old.hook, "
        "old.persona); "
    "END; "
    "CREATE TRIGGER jobs_fts_au AFTER UPDATE OF job_name, product, brand_name, hook, "
        "persona ON jobs WHEN old.job_name IS NOT new.job_name OR old.product IS NOT "
        "new.product OR old.brand_name IS NOT new.brand_name OR old.persona IS NOT new.persona "
        "OR old.hook IS NOT new.hook BEGIN INSERT OR IGNORE INTO fts_pending VALUES (old.seq, "
        "1, old.job_name, old.product, old.brand_name, old.hook, old.persona); "
    "END;",
    /* 6 */
    "INSERT INTO jobs_fts (jobs_fts, rowid, job_name, product, brand_name, hook, persona) "
        "SELECT 'delete', seq, job_name, product, brand_name, hook, persona FROM fts_pending "
        "WHERE indexed; "
    "INSERT INTO jobs_tri (jobs_tri, rowid, job_name, product, brand_name, persona) SELECT "
        "'delete', seq, job_name, product, brand_name, persona FROM fts_pending WHERE indexed; "
    "INSERT INTO jobs_fts (rowid, job_name, product, brand_name, hook, persona) SELECT "
        "jobs.seq, jobs.job_name, jobs.product, jobs.brand_name, jobs.hook, jobs.persona FROM "
        "fts_pending CROSS JOIN jobs USING (seq); "
    "INSERT INTO jobs_tri (rowid, job_name, product, brand_name, persona) SELECT jobs.seq, "
        "jobs.job_name, jobs.product, jobs.brand_name, jobs.persona FROM fts_pending CROSS JOIN "
        "jobs USING (seq); "
    "DROP TRIGGER jobs_fts_ai; "
    "DROP TRIGGER jobs_fts_ad; "
    "DROP TRIGGER jobs_fts_au; "
    "DROP TABLE fts_pending; "
    "DROP TRIGGER jobs_stats_ai; "
    "DROP TRIGGER jobs_stats_ad; "
    "DROP TRIGGER jobs_stats_au_product; "
    "DROP TRIGGER jobs_stats_au_language; "
    "DROP TRIGGER jobs_stats_au_persona; "
    "DROP TRIGGER jobs_stats_au_brand; "
    "DROP TRIGGER jobs_stats_au_enabled; "
    "DROP TRIGGER jobs_stats_au_created; "
    "CREATE TABLE pending (seq INTEGER PRIMARY KEY, existed INTEGER NOT NULL, job_name "
        "TEXT, product TEXT, brand_name TEXT, hook TEXT, persona TEXT, language TEXT, enabled "
        "INTEGER, created_at INTEGER); "
    "CREATE TRIGGER jobs_pending_ai AFTER INSERT ON jobs BEGIN INSERT OR IGNORE INTO "
        "pending (seq, existed) VALUES (new.seq, 0); "
    "END; "
    "CREATE TRIGGER jobs_pending_ad AFTER DELETE ON jobs BEGIN INSERT OR IGNORE INTO "
        "pending VALUES (old.seq, 1, old.job_name, old.product, old.brand_name, old.hook, "
        "old.persona, old.language, old.enabled, old.created_at); "
    "END; "
    "CREATE TRIGGER jobs_pending_au AFTER UPDATE OF job_name, product, brand_name, hook, "
        "persona, language, enabled, created_at ON jobs WHEN old.job_name IS NOT new.job_name "
        "OR old.product IS NOT new.product OR old.brand_name IS NOT new.brand_name OR "
        "old.persona IS NOT new.persona OR old.hook IS NOT new.hook OR old.language IS NOT "
        "new.language OR old.enabled IS NOT new.enabled OR old.created_at IS NOT new.created_at "
        "BEGIN INSERT OR IGNORE INTO pending VALUES (old.seq, 1, old.job_name, old.product, "
        "old.brand_name, old.hook, old.persona, old.language, old.enabled, old.created_at); "
    "END; "
    "CREATE TRIGGER stat_values_ai AFTER INSERT ON stat_values BEGIN UPDATE stat_totals SET "
        "n = n + 1 WHERE key = 'unique:' || new.dim; "
    "END; "
    "CREATE TRIGGER stat_values_ad AFTER DELETE ON stat_values BEGIN UPDATE stat_totals SET "
        "n = n - 1 WHERE key = 'unique:' || old.dim; "
    "END;",
    /* 7 */
    "INSERT INTO jobs_fts (jobs_fts, rank) VALUES ('automerge', 8); "
    "INSERT INTO jobs_tri (jobs_tri, rank) VALUES ('automerge', 8);",
    /* 8 */
    "DROP TABLE jobs_fts; "
    "CREATE VIRTUAL TABLE jobs_fts USING fts5(job_name, product, brand_name, hook, persona, "
        "content='jobs', content_rowid='seq', tokenize='cjk unicode61 remove_diacritics 2', "
        "prefix='2 3'); "
    "INSERT INTO jobs_fts (jobs_fts, rank) VALUES ('rank', "
        "'bm25(10.0, 4.0, 4.0, 1.0, 2.0)'); "
    "INSERT INTO jobs_fts (jobs_fts, rank) VALUES ('automerge', 8); "
    "INSERT INTO jobs_fts (jobs_fts) VALUES ('rebuild'); "
    "INSERT INTO jobs_fts (jobs_fts, rowid, job_name, product, brand_name, hook, persona) "
        "SELECT 'delete', jobs.seq, jobs.job_name, jobs.product, jobs.brand_name, jobs.hook, "
        "jobs.persona FROM pending CROSS JOIN jobs USING (seq) WHERE NOT pending.existed OR "
        "NOT (jobs.job_name IS pending.job_name AND jobs.product IS pending.product AND "
        "jobs.brand_name IS pending.brand_name AND jobs.persona IS pending.persona AND "
        "jobs.hook IS pending.hook); "
    "INSERT INTO jobs_fts (rowid, job_name, product, brand_name, hook, persona) SELECT seq, "
        "job_name, product, brand_name, hook, persona FROM pending WHERE existed AND NOT "
        "EXISTS (SELECT 1 FROM jobs WHERE jobs.seq = pending.seq AND jobs.job_name IS "
        "pending.job_name AND jobs.product IS pending.product AND jobs.brand_name IS "
        "pending.brand_name AND jobs.persona IS pending.persona AND jobs.hook IS "
        "pending.hook);",
};
// clang-format on
