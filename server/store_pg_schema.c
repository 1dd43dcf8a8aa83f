/*
 * store_pg_schema.c: the PostgreSQL database's format and its history: what
 * each table and index is for, and the migrations from each schema version
 * to the next (store_pg.c runs them, at start, under an advisory lock, so
 * that several jobsd starting at once migrate exactly once).
 *
 * A migration is frozen text: it is what that version of jobsd ran, written
 * out in full, never built from the strings the live statements use, so that
 * changing a live statement cannot rewrite an old migration.
 *
 * THE SCHEMA (version STORE_PG_SCHEMA_VERSION, in jobsd_schema)
 *
 *   Everything lives in the schema the connection's search_path names first
 *   (public unless the URI says otherwise), beside the extensions unaccent
 *   and pg_trgm (trusted extensions: the database's owner may create them).
 *
 *   jobsd_schema  one row per migration applied: version, when, by which
 *             jobsd. The schema's version is the highest.
 *   jobs      one row per job, in real columns. `seq` (an identity) is the
 *             order jobs arrived in: what search pages by, as SQLite's rowid.
 *             `id` is UNIQUE. Text columns are NOT NULL, '' when unset; those
 *             that are compared or sorted are COLLATE "C", so that names
 *             order by their UTF-8 bytes and ids break ties by bytes, as on
 *             SQLite, whatever the database's locale. created_at and
 *             updated_at are timestamptz (microseconds, as the API's times).
 *             `version` is the etag, from the sequence job_versions: never
 *             reused, not even after a delete, and the same sequence for
 *             every jobsd on the database. enhanced_settings and extra are
 *             json (the text as given, checked by jansson at the door); extra
 *             is an object. `words` is the text search vector of the job:
 *             job_name (weight A), product and brand_name (B), persona (C),
 *             hook (D), through the configuration jobs_words (the default
 *             parser, then unaccent, then lower case), after jobs_words()
 *             has turned every ASCII character that is not a letter or a
 *             digit into a space: words are runs of letters and digits, as
 *             SQLite's unicode61 tokenizer sees them. jobs_words() also
 *             splits runs of Chinese, Japanese and Korean characters (the
 *             set jobs_cjk() spells out: libc's, see cjk.c) into their
 *             characters and pairs, one word each, in order (夏季促销 is
 *             夏 夏季 季 季促 促 促销 销), so that a word is found inside a
 *             run; it leaves text of ASCII alone untouched at the cost of
 *             a length check. Each field's words start one position after
 *             the last field's end (jobs_field()), so that a phrase cannot
 *             run from one field into the next, as in SQLite's FTS5. The
 *             trigger jobs_set_words (BEFORE INSERT, and UPDATE of those
 *             five columns or of words) computes it, so that no writer can
 *             forget it or set it otherwise. Not a generated column:
 *             PostgreSQL plans a generated column's expression anew at
 *             every INSERT and UPDATE, inlining its SQL functions and
 *             folding their constants (jobs_cjk() in each regexp): more
 *             than twice the work of all the rest of an insert (RESULTS);
 *             PL/pgSQL plans a trigger's expressions, and jobs_words()'s,
 *             once a session. jobs_words()'s CJK classes are jobs_cjk()'s,
 *             written into its text as literals by migration 4, so that it
 *             names nothing that the search_path must find: searches call
 *             it too.
 *   jobs_by_created (created_at, id), jobs_by_updated (updated_at, id),
 *   jobs_by_name (job_name, id): the three listing orders. A keyset page
 *             is an index range from the previous page's (key, id): page
 *             1,000 costs what page 1 costs, and tokens hold what SQLite's
 *             hold.
 *   jobs_by_enabled, _product, _language, _brand (column, created_at, id),
 *   jobs_by_persona (left(persona, 200), created_at, id): one per equality
 *             filter, so that a filtered listing in the default order reads
 *             the rows it returns. A persona may be 4 KiB and a b-tree entry
 *             at most ~2.7 KiB: its index holds the first 200 characters,
 *             and the listing compares both. The planner, which keeps
 *             statistics of its own, chooses between them and the order's
 *             index for the other orders.
 *   jobs_words  GIN on words: word and prefix search, ranked by ts_rank.
 *   jobs_trigrams  GIN (pg_trgm) on job_name, product, brand_name and
 *             persona joined by U+001F: substring search, case-insensitive
 *             (ILIKE), 3+ characters. The hook is left out, as on SQLite.
 *             Its expression keeps a statistics target of 1000: a page of
 *             the newest matches is either a walk down jobs_pkey that stops
 *             at the page's last match (a common substring) or every match
 *             from this index, sorted (a rare one), and the planner tells
 *             them apart from a histogram of the expression. With the
 *             default's 100 values, one found in 2% of jobs matched none
 *             of them, was taken for 0.01% and read every match.
 *   meta      key/value, as on SQLite ('legacy_migrated').
 *   requests  the answers to recent writes, by request_id (AIP-155), with
 *             requests_by_time for pruning: a retried write gets its first
 *             answer, whichever jobsd on the database answered it.
 *   stat_changes  the count changes the writes make, one row per job
 *             counted in (+1) or out (-1), with the values GetStats counts
 *             (product, language, persona, brand_name, enabled, UTC day of
 *             created_at). The triggers jobs_count (insert, delete) and
 *             jobs_count_update (an update of one of those columns) add
 *             them, so every writer keeps the counts, psql included. Rows are
 *             only ever added, so parallel writers never wait for each other
 *             on a counter row, as they would if each write updated one.
 *   stat_values (dim, vkey, value, n), stat_totals (key, n), stat_days
 *             (day, n): the counts stat_changes held when last folded in
 *             (store_pg_fold_counts(), one statement that empties
 *             stat_changes into them). GetStats reads both, so it is exact
 *             at any moment. vkey is md5(value) as a uuid: a persona is too
 *             long for a b-tree key.
 *
 *   jobs_cjk_apart() sets each CJK character of a text apart with zero-width
 *             spaces (U+200B), for ts_headline (store_pg_find.c).
 *
 * VERSION HISTORY
 *   1  all of the above but CJK runs split, and the gap between fields.
 *   2  jobs_cjk(), jobs_words() that splits CJK runs, jobs_field(),
 *      jobs_cjk_apart(); `words` (and jobs_words, its index) made anew from
 *      them, which computes it for every job.
 *   3  jobs_trigrams' statistics target. ANALYZE inside the migration's
 *      transaction would still sample for the old target: store_pg.c runs
 *      ANALYZE jobs after a migration commits.
 *   4  jobs_words() in PL/pgSQL, with the same results; `words` a plain
 *      column that the trigger jobs_set_words computes (DROP EXPRESSION
 *      keeps every value: the table is not rewritten).
 */
#include "store_pg.h"

// clang-format off
const char *const store_pg_migrations[STORE_PG_SCHEMA_VERSION] = {
    /* 1 */
    "CREATE EXTENSION IF NOT EXISTS unaccent; "
    "CREATE EXTENSION IF NOT EXISTS pg_trgm; "
    "CREATE TABLE jobsd_schema (version integer PRIMARY KEY, "
        "applied_at timestamptz NOT NULL DEFAULT now(), jobsd text NOT NULL); "
    "CREATE TABLE meta (key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL); "
    "CREATE SEQUENCE job_versions; "
    "CREATE TEXT SEARCH CONFIGURATION jobs_words (COPY = pg_catalog.simple); "
    "ALTER TEXT SEARCH CONFIGURATION jobs_words ALTER MAPPING FOR asciiword, asciihword, "
        "hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart "
        "WITH unaccent, simple; "
    "CREATE FUNCTION jobs_words(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
        "PARALLEL SAFE RETURN regexp_replace(t, '[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', "
        "' ', 'g'); "
    "CREATE TABLE jobs ("
        "seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "id text COLLATE \"C\" NOT NULL UNIQUE, "
        "job_name text COLLATE \"C\" NOT NULL, "
        "product text COLLATE \"C\" NOT NULL, "
        "persona text COLLATE \"C\" NOT NULL, "
        "setting text NOT NULL, "
        "emotion text NOT NULL, "
        "hook text NOT NULL, "
        "elevenlabs_voice_id text NOT NULL, "
        "language text COLLATE \"C\" NOT NULL, "
        "brand_name text COLLATE \"C\" NOT NULL, "
        "enabled boolean NOT NULL, "
        "created_at timestamptz NOT NULL, "
        "updated_at timestamptz NOT NULL, "
        "version bigint NOT NULL DEFAULT nextval('job_versions'), "
        "enhanced_settings json, "
        "extra json CONSTRAINT extra_is_object CHECK (json_typeof(extra) = 'object'), "
        "words tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('jobs_words', jobs_words(job_name)), 'A') || "
            "setweight(to_tsvector('jobs_words', jobs_words(product)), 'B') || "
            "setweight(to_tsvector('jobs_words', jobs_words(brand_name)), 'B') || "
            "setweight(to_tsvector('jobs_words', jobs_words(persona)), 'C') || "
            "setweight(to_tsvector('jobs_words', jobs_words(hook)), 'D')) STORED); "
    "CREATE INDEX jobs_by_created ON jobs (created_at, id); "
    "CREATE INDEX jobs_by_updated ON jobs (updated_at, id); "
    "CREATE INDEX jobs_by_name ON jobs (job_name, id); "
    "CREATE INDEX jobs_by_enabled ON jobs (enabled, created_at, id); "
    "CREATE INDEX jobs_by_product ON jobs (product, created_at, id); "
    "CREATE INDEX jobs_by_persona ON jobs (left(persona, 200), created_at, id); "
    "CREATE INDEX jobs_by_language ON jobs (language, created_at, id); "
    "CREATE INDEX jobs_by_brand ON jobs (brand_name, created_at, id); "
    "CREATE INDEX jobs_words ON jobs USING gin (words); "
    "CREATE INDEX jobs_trigrams ON jobs USING gin ((job_name || E'\\x1f' || product || "
        "E'\\x1f' || brand_name || E'\\x1f' || persona) gin_trgm_ops); "
    "CREATE TABLE requests (request_id text COLLATE \"C\" PRIMARY KEY, "
        "call integer NOT NULL, fingerprint bigint NOT NULL, response bytea NOT NULL, "
        "created_at timestamptz NOT NULL); "
    "CREATE INDEX requests_by_time ON requests (created_at); "
    "CREATE TABLE stat_changes (product text NOT NULL, language text NOT NULL, "
        "persona text NOT NULL, brand_name text NOT NULL, enabled boolean NOT NULL, "
        "day date NOT NULL, n integer NOT NULL); "
    "CREATE TABLE stat_values (dim text COLLATE \"C\" NOT NULL, vkey uuid NOT NULL, "
        "value text COLLATE \"C\" NOT NULL, n bigint NOT NULL, PRIMARY KEY (dim, vkey)); "
    "CREATE TABLE stat_totals (key text COLLATE \"C\" PRIMARY KEY, n bigint NOT NULL); "
    "CREATE TABLE stat_days (day date PRIMARY KEY, n bigint NOT NULL); "
    "INSERT INTO stat_totals VALUES ('total', 0), ('enabled', 0); "
    "CREATE FUNCTION jobs_count() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
        "IF TG_OP <> 'INSERT' THEN "
            "INSERT INTO stat_changes VALUES (OLD.product, OLD.language, OLD.persona, "
                "OLD.brand_name, OLD.enabled, (OLD.created_at AT TIME ZONE 'UTC')::date, -1); "
        "END IF; "
        "IF TG_OP <> 'DELETE' THEN "
            "INSERT INTO stat_changes VALUES (NEW.product, NEW.language, NEW.persona, "
                "NEW.brand_name, NEW.enabled, (NEW.created_at AT TIME ZONE 'UTC')::date, 1); "
        "END IF; "
        "RETURN NULL; "
    "END $$; "
    "CREATE TRIGGER jobs_count AFTER INSERT OR DELETE ON jobs "
        "FOR EACH ROW EXECUTE FUNCTION jobs_count(); "
    "CREATE TRIGGER jobs_count_update "
        "AFTER UPDATE OF product, language, persona, brand_name, enabled, created_at ON jobs "
        "FOR EACH ROW WHEN (OLD.product IS DISTINCT FROM NEW.product "
        "OR OLD.language IS DISTINCT FROM NEW.language "
        "OR OLD.persona IS DISTINCT FROM NEW.persona "
        "OR OLD.brand_name IS DISTINCT FROM NEW.brand_name "
        "OR OLD.enabled IS DISTINCT FROM NEW.enabled "
        "OR OLD.created_at IS DISTINCT FROM NEW.created_at) "
        "EXECUTE FUNCTION jobs_count();",
    /* 2 */
    "ALTER TABLE jobs DROP COLUMN words; "
    "CREATE FUNCTION jobs_cjk() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN '"
        "[\\u1100-\\u115f\\u3005-\\u3007\\u3021-\\u3029\\u3031-\\u3035\\u3038-\\u303c"
        "\\u3041-\\u3096\\u309d-\\u309f\\u30a1-\\u30fa\\u30fc-\\u30ff\\u3105-\\u312f"
        "\\u3131-\\u318e\\u31a0-\\u31bf\\u31f0-\\u31ff\\u3400-\\u4dbf\\u4e00-\\ua48c"
        "\\ua960-\\ua97c\\uac00-\\ud7a3\\uf900-\\ufa6d\\ufa70-\\ufad9\\uff10-\\uff19"
        "\\U00016fe0-\\U00016fe1\\U00016fe3\\U00016ff0-\\U00016ff1"
        "\\U00017000-\\U000187f7\\U00018800-\\U00018cd5\\U00018d00-\\U00018d08"
        "\\U0001aff0-\\U0001aff3\\U0001aff5-\\U0001affb\\U0001affd-\\U0001affe"
        "\\U0001b000-\\U0001b122\\U0001b150-\\U0001b152\\U0001b164-\\U0001b167"
        "\\U0001b170-\\U0001b2fb\\U00020000-\\U0002a6df\\U0002a700-\\U0002b738"
        "\\U0002b740-\\U0002b81d\\U0002b820-\\U0002cea1\\U0002ceb0-\\U0002ebe0"
        "\\U0002f800-\\U0002fa1d\\U00030000-\\U0003134a]'; "
    "CREATE OR REPLACE FUNCTION jobs_words(t text) RETURNS text LANGUAGE sql IMMUTABLE "
        "STRICT PARALLEL SAFE RETURN CASE WHEN octet_length(t) = char_length(t) THEN "
        "regexp_replace(t, '[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', ' ', 'g') "
        "ELSE regexp_replace(regexp_replace(regexp_replace(regexp_replace(t, "
        "'[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', ' ', 'g'), "
        "'(' || jobs_cjk() || '+)', ' \\1 ', 'g'), "
        "'(' || jobs_cjk() || ')(?=' || jobs_cjk() || ')', '\\1 \\1', 'g'), "
        "'(' || jobs_cjk() || ')(' || jobs_cjk() || ')', '\\1\\2 \\2', 'g') END; "
    "CREATE FUNCTION jobs_cjk_apart(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
        "PARALLEL SAFE RETURN regexp_replace(t, '(' || jobs_cjk() || ')', "
        "chr(8203) || '\\1' || chr(8203), 'g'); "
    "CREATE FUNCTION jobs_field(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT "
        "PARALLEL SAFE RETURN ts_delete(to_tsvector('jobs_words', '-0 ' || jobs_words(t)), "
        "'-0'); "
    "ALTER TABLE jobs ADD COLUMN words tsvector GENERATED ALWAYS AS ("
        "setweight(jobs_field(job_name), 'A') || setweight(jobs_field(product), 'B') || "
        "setweight(jobs_field(brand_name), 'B') || setweight(jobs_field(persona), 'C') || "
        "setweight(jobs_field(hook), 'D')) STORED; "
    "CREATE INDEX jobs_words ON jobs USING gin (words);",
    /* 3 */
    "ALTER INDEX jobs_trigrams ALTER COLUMN 1 SET STATISTICS 1000;",
    /* 4 */
    "DO $do$ BEGIN EXECUTE format($f$"
    "CREATE OR REPLACE FUNCTION jobs_words(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE "
        "STRICT PARALLEL SAFE AS $$ "
    "BEGIN "
        "RETURN CASE WHEN octet_length(t) = char_length(t) THEN "
        "regexp_replace(t, '[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', ' ', 'g') "
        "ELSE regexp_replace(regexp_replace(regexp_replace(regexp_replace(t, "
        "'[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', ' ', 'g'), "
        "%1$L, ' \\1 ', 'g'), %2$L, '\\1 \\1', 'g'), %3$L, '\\1\\2 \\2', 'g') END; "
    "END $$ $f$, '(' || jobs_cjk() || '+)', '(' || jobs_cjk() || ')(?=' || jobs_cjk() || ')', "
        "'(' || jobs_cjk() || ')(' || jobs_cjk() || ')'); "
    "END $do$; "
    "ALTER TABLE jobs ALTER COLUMN words DROP EXPRESSION; "
    "CREATE FUNCTION jobs_set_words() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
        "NEW.words := setweight(jobs_field(NEW.job_name), 'A') || "
            "setweight(jobs_field(NEW.product), 'B') || "
            "setweight(jobs_field(NEW.brand_name), 'B') || "
            "setweight(jobs_field(NEW.persona), 'C') || setweight(jobs_field(NEW.hook), 'D'); "
        "RETURN NEW; "
    "END $$; "
    "CREATE TRIGGER jobs_set_words "
        "BEFORE INSERT OR UPDATE OF job_name, product, brand_name, persona, hook, words ON jobs "
        "FOR EACH ROW EXECUTE FUNCTION jobs_set_words();",
};
// clang-format on
