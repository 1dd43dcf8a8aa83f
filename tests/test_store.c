/*
 * test_store.c: the store through store.h, on a temporary database.
 *
 * Suite `store` runs on the store under test (test_db_make(): CTest runs
 * this binary once on SQLite and once on PostgreSQL); `store_sqlite` and
 * `store_pg` hold what only one engine has (WAL, VFS and FTS5 internals;
 * advisory locks, races between connections, reconnection), each run with
 * its engine only.
 */
#include "helpers.h"
#include "status.h"
#include "store.h"
#include "store_pg.h"
#include "store_sqlite.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *dir;
static char path[512];
static store *st;
static arena ar;

/* A new database of the store under test (or SQLite's, for its suite). */
static void
open_new(bool sqlite)
{
	store_options o = {.sync = STORE_SYNC_NORMAL};
	char err[256];

	dir = tmpdir_make();
	if (sqlite)
		snprintf(path, sizeof path, "%s/jobs.db", dir);
	else
		test_db_make(dir, path, sizeof path);
	cr_assert_eq(store_open(&st, path, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(arena_init(&ar, 4096, 0), 0);
}

static void
setup(void)
{
	open_new(false);
}

static void
setup_sqlite(void)
{
	open_new(true);
}

static void
teardown(void)
{
	store_close(st);
	arena_fini(&ar);
	test_db_drop(path);
	tmpdir_remove(dir);
}

TestSuite(store, .init = setup, .fini = teardown);
TestSuite(store_sqlite, .init = setup_sqlite, .fini = teardown);

/* A job with every field filled, id `id`, created at `created`. */
static Jobs__V1__Job *
make_job(const char *id, int64_t created)
{
	Jobs__V1__Job *j = arena_alloc(&ar, sizeof *j);

	jobs__v1__job__init(j);
	j->id = arena_strdup(&ar, id);
	j->job_name = "Summer Sale — été ☀";
	j->product = "Solar Lantern";
	j->persona = "busy parent";
	j->setting = "backyard at dusk";
	j->emotion = "excited";
	j->hook = "Tired of dark evenings?\nMeet the lantern.";
	j->elevenlabs_voice_id = "21m00Tcm4TlvDq8ikWAM";
	j->language = "English";
	j->brand_name = "Acme";
	j->enabled = true;
	j->created_at = created;
	j->updated_at = created;
	j->enhanced_settings =
	    "{\"camera\":{\"angle\":\"low\"},\"n\":12345678901234,\"x\":[1.5,null,true]}";
	j->extra = "{\"tags\":[\"a\",\"b\"],\"notes\":\"keep\"}";
	return j;
}

static int
insert(Jobs__V1__Job *j)
{
	int rv;

	cr_assert_eq(store_begin(st), 0);
	rv = store_job_insert(st, j, &ar);
	if (rv != 0) /* a failed write ends its transaction (store.h) */
		store_rollback(st);
	else
		cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
	return rv;
}

/* store_job_replace() as UpdateJob calls it: against the job as stored. */
static int
replace(Jobs__V1__Job *j)
{
	Jobs__V1__Job *was;
	int rv = store_job_get(st, j->id, &ar, &was);

	return rv != 0 ? rv : store_job_replace(st, was, j, &ar);
}

Test(store_sqlite, creates_private_wal_database_at_current_version)
{
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s;

	cr_assert_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* A store opened first thing in a process leaves SQLite as store_sqlite_vfs()
 * configures it: no memory statistics, whose global mutex every allocation
 * of every connection would take. Registering the cjk tokenizer initializes
 * SQLite, which once came first and kept them on. */
Test(store_sqlite, a_store_opened_first_leaves_sqlite_without_memory_statistics)
{
	cr_assert_eq(insert(make_job("a", 1)), 0);
	cr_assert_eq(sqlite3_memory_used(), 0, "SQLite counts its memory: %lld bytes",
	             (long long)sqlite3_memory_used());
}

/* Schema 7: both FTS5 tables merge segments eight at a time, not four (what
 * a group commit of creates saves: tools/RESULTS.md, issue 5, fifth round). */
Test(store_sqlite, text_indexes_merge_eight_segments_at_a_time)
{
	static const char *const tables[] = {"jobs_fts_config", "jobs_tri_config"};
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (size_t i = 0; i < 2; i++) {
		char sql[96];
		sqlite3_stmt *s;

		snprintf(sql, sizeof sql, "SELECT v FROM %s WHERE k = 'automerge'", tables[i]);
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s has no automerge", tables[i]);
		cr_assert_eq(sqlite3_column_int(s, 0), 8, "%s", tables[i]);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

Test(store, insert_then_get_returns_every_field)
{
	Jobs__V1__Job *in = make_job("job-1", 1700000000123456), *out;

	cr_assert_eq(insert(in), 0);
	cr_assert_str_eq(in->etag, "1");
	cr_assert_eq(store_job_get(st, "job-1", &ar, &out), 0);
	cr_assert_str_eq(out->id, "job-1");
	cr_assert_str_eq(out->job_name, in->job_name);
	cr_assert_str_eq(out->hook, in->hook);
	cr_assert_str_eq(out->elevenlabs_voice_id, in->elevenlabs_voice_id);
	cr_assert_str_eq(out->brand_name, "Acme");
	cr_assert(out->enabled);
	cr_assert_eq(out->created_at, 1700000000123456);
	cr_assert_str_eq(out->enhanced_settings, in->enhanced_settings);
	cr_assert_str_eq(out->extra, in->extra);
	cr_assert_str_eq(out->etag, "1");
}

Test(store, absent_json_fields_read_back_empty)
{
	Jobs__V1__Job *in = make_job("j", 1), *out;

	in->enhanced_settings = "";
	in->extra = "";
	cr_assert_eq(insert(in), 0);
	cr_assert_eq(store_job_get(st, "j", &ar, &out), 0);
	cr_assert_str_eq(out->enhanced_settings, "");
	cr_assert_str_eq(out->extra, "");
}

Test(store, duplicate_id_is_already_exists)
{
	cr_assert_eq(insert(make_job("dup", 1)), 0);
	cr_assert_eq(insert(make_job("dup", 2)), ST(ALREADY_EXISTS));
}

Test(store, unknown_id_is_not_found)
{
	Jobs__V1__Job *out, *j;

	cr_assert_eq(store_job_get(st, "nope", &ar, &out), ST(NOT_FOUND));
	cr_assert_eq(store_begin(st), 0);
	j = make_job("nope", 1);
	cr_assert_eq(store_job_replace(st, j, j, &ar), ST(NOT_FOUND));
	cr_assert_eq(store_job_delete(st, "nope", 0), ST(NOT_FOUND));
	store_rollback(st);
}

Test(store, schema_refuses_invalid_json)
{
	Jobs__V1__Job *j = make_job("bad", 1);

	j->enhanced_settings = "{not json";
	cr_assert_eq(insert(j), ST(INVALID_ARGUMENT));
	j = make_job("bad2", 1);
	j->extra = "[1,2]";
	cr_assert_eq(insert(j), ST(INVALID_ARGUMENT));
}

Test(store, replace_keeps_created_at_and_moves_etag)
{
	Jobs__V1__Job *j = make_job("r", 100), *out;

	cr_assert_eq(insert(j), 0);
	j = make_job("r", 999);
	j->product = "Other";
	j->updated_at = 200;
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(store_job_get(st, "r", &ar, &out), 0);
	cr_assert_str_eq(out->product, "Other");
	cr_assert_eq(out->created_at, 100);
	cr_assert_eq(out->updated_at, 200);
	cr_assert_str_eq(out->etag, "2");
}

Test(store, delete_with_expected_version)
{
	Jobs__V1__Job *out;

	cr_assert_eq(insert(make_job("d", 1)), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_delete(st, "d", 7), ST(ABORTED));
	cr_assert_eq(store_job_get(st, "d", &ar, &out), 0, "a mismatched delete deletes nothing");
	cr_assert_eq(store_job_delete(st, "d", 1), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(store_job_get(st, "d", &ar, &out), ST(NOT_FOUND));
}

Test(store, versions_are_never_reused)
{
	store_options o = {.sync = STORE_SYNC_NORMAL};
	Jobs__V1__Job *j = make_job("v", 1), *out;
	char err[256];

	cr_assert_eq(insert(j), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_delete(st, "v", 0), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(insert(make_job("v", 1)), 0);
	cr_assert_eq(store_job_get(st, "v", &ar, &out), 0);
	cr_assert_str_eq(out->etag, "2", "a re-created job gets a new etag");

	/* ...and across a restart, from meta.last_version. */
	store_close(st);
	cr_assert_eq(store_open(&st, path, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_delete(st, "v", 0), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(insert(make_job("v", 1)), 0);
	cr_assert_eq(store_job_get(st, "v", &ar, &out), 0);
	cr_assert_str_eq(out->etag, "3");
}

Test(store, rollback_to_savepoint_undoes_only_that_call)
{
	Jobs__V1__Job *out;

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_savepoint(st), 0);
	cr_assert_eq(store_job_insert(st, make_job("kept", 1), &ar), 0);
	cr_assert_eq(store_release(st), 0);
	cr_assert_eq(store_savepoint(st), 0);
	cr_assert_eq(store_job_insert(st, make_job("undone", 1), &ar), 0);
	cr_assert_eq(store_rollback_to(st), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(store_job_get(st, "kept", &ar, &out), 0);
	cr_assert_eq(store_job_get(st, "undone", &ar, &out), ST(NOT_FOUND));
}

Test(store, rollback_discards_the_transaction)
{
	Jobs__V1__Job *out;

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_insert(st, make_job("gone", 1), &ar), 0);
	store_rollback(st);
	cr_assert_eq(store_job_get(st, "gone", &ar, &out), ST(NOT_FOUND));
}

/* The ids of the jobs whose `table` (jobs_fts or jobs_tri) entries match
 * `q`, in id order, joined by ',' (from `ar`); read through a connection of
 * the test's own. */
static const char *
indexed(sqlite3 *raw, const char *table, const char *q)
{
	char sql[256], *out = arena_alloc(&ar, 1024);
	sqlite3_stmt *s;

	snprintf(sql, sizeof sql,
	         "SELECT id FROM %s JOIN jobs ON seq = %s.rowid WHERE %s MATCH ?1 ORDER BY id",
	         table, table, table);
	cr_assert_eq(sqlite3_prepare_v2(raw, sql, -1, &s, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(raw));
	sqlite3_bind_text(s, 1, q, -1, SQLITE_STATIC);
	*out = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*out != '\0')
			strcat(out, ",");
		strcat(out, (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	return out;
}

/* The text indexes are brought up to date at COMMIT, once for all the
 * transaction's writes (pending): a job written several times, one
 * created and deleted, one deleted whose rowid a new job takes, a call
 * undone by its savepoint, all in one group commit. */
Test(store_sqlite, text_indexes_follow_many_writes_in_one_transaction)
{
	Jobs__V1__Job *j;
	sqlite3 *raw;

	cr_assert_eq(insert(make_job("a", 1)), 0); /* "Summer Sale", "Tired of ..." */
	cr_assert_eq(store_begin(st), 0);
	j = make_job("b", 2);
	j->job_name = "Walnut Chair";
	cr_assert_eq(store_job_insert(st, j, &ar), 0);
	j = make_job("b", 2);
	j->job_name = "Cedar Bench";
	cr_assert_eq(replace(j), 0);
	j = make_job("c", 3);
	j->job_name = "Copper Kettle";
	cr_assert_eq(store_job_insert(st, j, &ar), 0);
	cr_assert_eq(store_job_delete(st, "c", 0), 0);
	j = make_job("a", 1);
	j->hook = "Bright mornings";
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_savepoint(st), 0);
	j = make_job("a", 1);
	j->job_name = "Ghost Name";
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_rollback_to(st), 0);
	j = make_job("e", 4);
	j->job_name = "Velvet Pillow";
	cr_assert_eq(store_job_insert(st, j, &ar), 0);
	cr_assert_eq(store_job_delete(st, "e", 0), 0);
	j = make_job("f", 5); /* takes e's rowid, the highest */
	j->job_name = "Linen Apron";
	cr_assert_eq(store_job_insert(st, j, &ar), 0);
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));

	cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
	cr_assert_str_eq(indexed(raw, "jobs_fts", "cedar"), "b");
	cr_assert_str_eq(indexed(raw, "jobs_fts", "walnut OR kettle OR velvet OR ghost"), "");
	cr_assert_str_eq(indexed(raw, "jobs_fts", "mornings"), "a");
	cr_assert_str_eq(indexed(raw, "jobs_fts", "tired"), "b,f", "not a: its old hook is gone");
	cr_assert_str_eq(indexed(raw, "jobs_fts", "summer"), "a", "b was renamed");
	cr_assert_str_eq(indexed(raw, "jobs_fts", "linen"), "f");
	cr_assert_str_eq(indexed(raw, "jobs_tri", "edar Ben"), "b");
	cr_assert_str_eq(indexed(raw, "jobs_tri", "alnut"), "");
	cr_assert_str_eq(indexed(raw, "jobs_tri", "elvet"), "");
	test_sqlite_text_indexes_intact(raw);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(raw, "SELECT count(*) FROM pending", -1, &s, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), 0, "nothing is left pending after COMMIT");
	sqlite3_finalize(s);
	sqlite3_close(raw);
}

/* How many rows of stat_values, stat_totals and stat_days differ from a
 * count of the jobs table, read through a connection of the test's own. */
static int
stats_off_by(void)
{
	static const char sql[] =
	    "WITH want (dim, value, n) AS ("
	    "  SELECT 'product', product, count(*) FROM jobs GROUP BY 2 UNION ALL"
	    "  SELECT 'language', language, count(*) FROM jobs GROUP BY 2 UNION ALL"
	    "  SELECT 'persona', persona, count(*) FROM jobs GROUP BY 2 UNION ALL"
	    "  SELECT 'brand', brand_name, count(*) FROM jobs GROUP BY 2),"
	    " want_totals (key, n) AS ("
	    "  SELECT 'total', count(*) FROM jobs UNION ALL"
	    "  SELECT 'enabled', count(*) FROM jobs WHERE enabled UNION ALL"
	    "  SELECT 'unique:' || dim, count(*) FROM want GROUP BY dim),"
	    " want_days (day, n) AS (SELECT (created_at - ((created_at % 86400000000)"
	    "  + 86400000000) % 86400000000) / 86400000000, count(*) FROM jobs GROUP BY 1) "
	    "SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM stat_values))"
	    " + (SELECT count(*) FROM (SELECT * FROM stat_values EXCEPT SELECT * FROM want))"
	    " + (SELECT count(*) FROM (SELECT * FROM want_totals EXCEPT SELECT * FROM stat_totals))"
	    " + (SELECT count(*) FROM (SELECT * FROM stat_totals EXCEPT SELECT * FROM want_totals))"
	    " + (SELECT count(*) FROM (SELECT * FROM want_days EXCEPT SELECT * FROM stat_days))"
	    " + (SELECT count(*) FROM (SELECT * FROM stat_days EXCEPT SELECT * FROM want_days))";
	sqlite3 *raw;
	sqlite3_stmt *s;
	int off;

	cr_assert_eq(sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(raw, sql, -1, &s, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(raw));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	off = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(raw);
	return off;
}

/* The counts too are brought up to date at COMMIT from pending: new values,
 * values whose last job goes, a job's value changed back and forth, enabled
 * and created_at changed, a savepoint undone, a rowid reused. */
Test(store_sqlite, statistics_follow_many_writes_in_one_transaction)
{
	Jobs__V1__Job *j;

	cr_assert_eq(insert(make_job("a", 1)), 0);
	cr_assert_eq(insert(make_job("b", 2)), 0);
	j = make_job("c", 3);
	j->product = "Copper Kettle";
	cr_assert_eq(insert(j), 0);
	cr_assert_eq(stats_off_by(), 0);

	cr_assert_eq(store_begin(st), 0);
	j = make_job("d", 4);
	j->product = "Walnut Chair";
	j->language = "German";
	j->brand_name = "";
	cr_assert_eq(store_job_insert(st, j, &ar), 0);
	j = make_job("a", 1);
	j->product = "Walnut Chair";
	j->enabled = false;
	cr_assert_eq(replace(j), 0);
	j = make_job("a", 1);
	j->persona = "student";
	cr_assert_eq(replace(j), 0);                   /* product back, persona new */
	cr_assert_eq(store_job_delete(st, "c", 0), 0); /* Copper Kettle's only job */
	cr_assert_eq(store_savepoint(st), 0);
	j = make_job("b", 2);
	j->product = "Ghost";
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_rollback_to(st), 0);
	cr_assert_eq(store_job_insert(st, make_job("e", 5), &ar), 0);
	cr_assert_eq(store_job_delete(st, "e", 0), 0);
	j = make_job("f", 6); /* takes e's rowid */
	j->language = "Français";
	cr_assert_eq(store_job_insert(st, j, &ar), 0);
	j = make_job("b", 3 * 86400000000LL); /* another day */
	cr_assert_eq(store_job_overwrite(st, j, &ar), 0);
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
	cr_assert_eq(stats_off_by(), 0);

	/* The last jobs of a value and of a day go; an abandoned transaction
	 * changes nothing. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_delete(st, "d", 0), 0);
	cr_assert_eq(store_job_delete(st, "b", 0), 0);
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
	cr_assert_eq(stats_off_by(), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_delete(st, "a", 0), 0);
	store_rollback(st);
	cr_assert_eq(stats_off_by(), 0);
}

/* deferred_sync: commits go on without waiting for the disk, and
 * store_wal_sync() is what makes them durable; only with --sync full. */
Test(store_sqlite, deferred_sync_is_for_a_full_sync_writer_and_syncs_the_wal)
{
	store_options full = {.sync = STORE_SYNC_FULL, .deferred_sync = true};
	store_options normal = {.sync = STORE_SYNC_NORMAL, .deferred_sync = true};
	char err[256];

	cr_assert_not(store_sync_deferred(st));
	store_close(st);
	cr_assert_eq(store_open(&st, path, &normal, err, sizeof err), 0, "%s", err);
	cr_assert_not(store_sync_deferred(st), "normal never syncs a commit: nothing to defer");
	store_close(st);
	cr_assert_eq(store_open(&st, path, &full, err, sizeof err), 0, "%s", err);
	cr_assert(store_sync_deferred(st));
	cr_assert_eq(insert(make_job("d", 1)), 0);
	cr_assert_eq(store_wal_sync(st), 0);
}

/* Lists everything page by page; returns the ids in order, joined by ','. */
static char *
list_all(int page_size, int *pages)
{
	store_list q = {.limit = page_size, .max_bytes = 1 << 30};
	store_page p;
	char *ids = arena_alloc(&ar, 1 << 16);

	*ids = '\0';
	*pages = 0;
	do {
		cr_assert_eq(store_job_list(st, &q, &ar, &p), 0, "%s", store_errmsg(st));
		(*pages)++;
		for (size_t i = 0; i < p.n_jobs; i++) {
			strcat(ids, p.jobs[i]->id);
			strcat(ids, ",");
		}
		if (p.n_jobs > 0) {
			q.after = true;
			q.after_created = p.jobs[p.n_jobs - 1]->created_at;
			q.after_id = p.jobs[p.n_jobs - 1]->id;
		}
	} while (p.more);
	return ids;
}

Test(store, list_is_newest_first_with_id_tiebreak_across_pages)
{
	int pages;

	cr_assert_eq(insert(make_job("a", 10)), 0);
	cr_assert_eq(insert(make_job("b", 30)), 0);
	cr_assert_eq(insert(make_job("c", 20)), 0);
	cr_assert_eq(insert(make_job("d", 20)), 0);
	cr_assert_eq(insert(make_job("e", 20)), 0);
	cr_assert_str_eq(list_all(2, &pages), "b,e,d,c,a,");
	cr_assert_eq(pages, 3);
	cr_assert_str_eq(list_all(5, &pages), "b,e,d,c,a,");
	cr_assert_eq(pages, 1, "an exactly full page says there is no more");
	cr_assert_str_eq(list_all(1000, &pages), "b,e,d,c,a,");
}

Test(store, list_of_empty_store)
{
	store_list q = {.limit = 50, .max_bytes = 1 << 20};
	store_page p;

	cr_assert_eq(store_job_list(st, &q, &ar, &p), 0);
	cr_assert_eq(p.n_jobs, 0);
	cr_assert(!p.more);
}

Test(store, list_stops_at_max_bytes_but_returns_at_least_one)
{
	store_list q = {.limit = 100, .max_bytes = 10};
	store_page p;

	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof id, "j%d", i);
		cr_assert_eq(insert(make_job(id, i)), 0);
	}
	cr_assert_eq(store_job_list(st, &q, &ar, &p), 0);
	cr_assert_eq(p.n_jobs, 1);
	cr_assert(p.more);
}

Test(store_sqlite, point_operations_never_scan_and_pages_cost_what_they_return)
{
	store_list q = {.limit = 50, .max_bytes = 1 << 30};
	store_page p;
	Jobs__V1__Job *out, changed;
	int64_t before;
	char id[32];

	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof id, "job-%04d", i);
		cr_assert_eq(store_job_insert(st, make_job(id, 1000 + i % 97), &ar), 0);
	}
	cr_assert_eq(store_commit(st), 0);
	arena_reset(&ar);

	before = store_fullscan_steps(st);
	cr_assert_eq(store_job_get(st, "job-1234", &ar, &out), 0);
	changed = *out;
	changed.product = "Other";
	changed.setting = "elsewhere";
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_replace(st, out, &changed, &ar), 0);
	cr_assert_eq(store_job_delete(st, "job-0007", 0), 0);
	cr_assert_eq(store_job_delete(st, "job-0008", 999999), ST(ABORTED));
	cr_assert_eq(store_job_delete(st, "no-such-job", 0), ST(NOT_FOUND));
	cr_assert_eq(store_fullscan_steps(st) - before, 0, "Get, Update, Delete scanned %lld rows",
	             (long long)(store_fullscan_steps(st) - before));
	/* COMMIT reads the two jobs written from pending, a dozen times; not
	 * the 2,000 jobs. */
	before = store_fullscan_steps(st);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_leq(store_fullscan_steps(st) - before, 40, "COMMIT scanned %lld rows",
	              (long long)(store_fullscan_steps(st) - before));

	/* The first page walks the (created_at, id) index from its end and stops
	 * after limit + 1 rows; later pages seek to their position. Neither
	 * costs more than the page, however large the table. */
	for (int page = 0; page < 10; page++) {
		before = store_fullscan_steps(st);
		cr_assert_eq(store_job_list(st, &q, &ar, &p), 0);
		cr_assert_leq(store_fullscan_steps(st) - before, q.limit + 1,
		              "page %d scanned %lld", page,
		              (long long)(store_fullscan_steps(st) - before));
		q.after = true;
		q.after_created = p.jobs[p.n_jobs - 1]->created_at;
		q.after_id = p.jobs[p.n_jobs - 1]->id;
	}
}

Test(store, reader_reads_and_cannot_write)
{
	store_options ro = {.reader = true};
	store *r;
	Jobs__V1__Job *out;
	char err[256];

	cr_assert_eq(insert(make_job("x", 1)), 0);
	cr_assert_eq(store_open(&r, path, &ro, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_job_get(r, "x", &ar, &out), 0);
	store_close(r);
	ro.mmap_mib = 16; /* the same through a mapping */
	cr_assert_eq(store_open(&r, path, &ro, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_job_get(r, "x", &ar, &out), 0);
	cr_assert_str_eq(out->id, "x");
	store_close(r);
}

/* A reader's checkpoints (jobsd's checkpointer is a reader) sync as the
 * --sync mode says: none at all with off, where SQLite's default would. */
Test(store_sqlite, a_reader_checkpoints_with_the_sync_mode_it_is_given)
{
	static const struct {
		enum store_sync sync;
		int64_t pragma;
	} cases[] = {{STORE_SYNC_OFF, 0}, {STORE_SYNC_NORMAL, 1}, {STORE_SYNC_FULL, 2}};
	char err[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		store_options ro = {.reader = true, .sync = cases[i].sync};
		sqlite3_stmt *s;
		store *r;

		cr_assert_eq(store_open(&r, path, &ro, err, sizeof err), 0, "%s", err);
		cr_assert_eq(
		    sqlite3_prepare_v2(store_sqlite_db(r), "PRAGMA synchronous", -1, &s, NULL),
		    SQLITE_OK);
		cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
		cr_assert_eq(sqlite3_column_int64(s, 0), cases[i].pragma, "mode %d",
		             (int)cases[i].sync);
		sqlite3_finalize(s);
		cr_assert_eq(store_checkpoint(r, NULL), 0);
		store_close(r);
	}
}

Test(store_sqlite, background_checkpoints_leave_the_wal_to_another_connection)
{
	store_options wo = {.sync = STORE_SYNC_NORMAL, .background_checkpoints = true},
	              ro = {.reader = true};
	struct stat before, after;
	store *r;
	char err[256], id[16];

	store_close(st); /* checkpoints everything: the WAL starts empty */
	cr_assert_eq(store_open(&st, path, &wo, err, sizeof err), 0, "%s", err);
	cr_assert_eq(stat(path, &before), 0);
	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "job-%d", i);
		cr_assert_eq(store_job_insert(st, make_job(id, i), &ar), 0);
	}
	cr_assert_eq(store_commit(st), 0);
	cr_assert_gt(store_wal_pages(st), 10, "the commit's pages stay in the WAL");
	cr_assert_eq(stat(path, &after), 0);
	cr_assert_eq(after.st_size, before.st_size, "the writer did not checkpoint");

	cr_assert_eq(store_open(&r, path, &ro, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_checkpoint(r, NULL), 0, "%s", store_errmsg(r));
	cr_assert_eq(stat(path, &after), 0);
	cr_assert_gt(after.st_size, before.st_size, "the reader copied the WAL in");
	store_close(r);
}

#define STAND_IN(t) "CREATE TRIGGER jobs_stats_" t " AFTER INSERT ON jobs BEGIN SELECT 1; END;"

Test(store_sqlite, version_3_remembered_answers_survive_migration_4)
{
	static const char v3_requests[] =
	    "DROP TABLE requests;"
	    "CREATE TABLE requests (request_id TEXT PRIMARY KEY, call INTEGER NOT NULL,"
	    "  fingerprint INTEGER NOT NULL, response BLOB NOT NULL, created_at INTEGER NOT NULL"
	    ") WITHOUT ROWID;"
	    "CREATE INDEX requests_by_time ON requests (created_at);"
	    "INSERT INTO requests VALUES ('late', 12, 7, x'78797a', 9000);"
	    "INSERT INTO requests VALUES ('early', 10, 42, x'616263', 1000);"
	    /* Migration 6's table and triggers out, stand-ins for the ones
	     * migrations 4 and 6 drop in: */
	    "DROP TRIGGER jobs_pending_ai; DROP TRIGGER jobs_pending_ad;"
	    "DROP TRIGGER jobs_pending_au; DROP TABLE pending;"
	    "DROP TRIGGER stat_values_ai; DROP TRIGGER stat_values_ad;"
	    "CREATE TRIGGER jobs_fts_ai AFTER INSERT ON jobs BEGIN SELECT 1; END;"
	    "CREATE TRIGGER jobs_fts_ad AFTER DELETE ON jobs BEGIN SELECT 1; END;"
	    "CREATE TRIGGER jobs_fts_au AFTER UPDATE ON jobs BEGIN SELECT 1; END;" STAND_IN("ai")
	        STAND_IN("ad") STAND_IN("au_product") STAND_IN("au_language") STAND_IN("au_persona")
	            STAND_IN("au_brand") STAND_IN("au_enabled")
	                STAND_IN("au_created") "PRAGMA user_version = 3;";
	store_options o = {.sync = STORE_SYNC_NORMAL};
	struct store_request got;
	sqlite3 *raw;
	char err[256];
	int n;

	store_close(st);
	cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(raw, v3_requests, NULL, NULL, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(raw));
	sqlite3_close(raw);
	cr_assert_eq(store_open(&st, path, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	cr_assert_eq(store_request_get(st, "early", &ar, &got), 0);
	cr_assert_eq(got.call, 10);
	cr_assert_eq(got.fingerprint, 42);
	cr_assert_eq(got.len, 3);
	cr_assert_eq(memcmp(got.response, "abc", 3), 0);

	/* Oldest first, in time order, though they went in the other way. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_request_prune(st, 5000, 1, &n), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_request_get(st, "early", &ar, &got), ST(NOT_FOUND));
	cr_assert_eq(store_request_get(st, "late", &ar, &got), 0);
}

Test(store_sqlite, refuses_a_newer_schema)
{
	store_options o = {0};
	store *other;
	sqlite3 *db;
	char err[256];

	store_close(st);
	st = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_open(&other, path, &o, err, sizeof err), ST(FAILED_PRECONDITION));
	cr_assert(strstr(err, "newer") != NULL, "%s", err);
	cr_assert_null(other);
}

Test(store_sqlite, refuses_a_file_that_is_not_a_database)
{
	store_options o = {0};
	store *other;
	char bad[600], err[256];
	FILE *f;

	snprintf(bad, sizeof bad, "%s/garbage.db", dir);
	f = fopen(bad, "w");
	fputs("this is not an SQLite database, not even close; it is just text.\n", f);
	fclose(f);
	cr_assert_neq(store_open(&other, bad, &o, err, sizeof err), 0);
	cr_assert_null(other);
	cr_assert(strstr(err, "garbage.db") != NULL, "%s", err);
}

Test(store, remembered_answers_and_their_pruning)
{
	struct store_request r = {.call = 10,
	                          .fingerprint = 42,
	                          .response = (const uint8_t *)"abc",
	                          .len = 3},
	                     got;
	int n;

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_request_put(st, "old", &r, 1000), 0);
	cr_assert_eq(store_request_put(st, "new", &r, 5000), 0);
	cr_assert_eq(store_commit(st), 0);
	/* A request_id remembered already fails the transaction that would
	 * remember it again: at once, or (PostgreSQL defers it) at COMMIT. */
	struct store_request other = r;
	other.call = 11;
	cr_assert_eq(store_begin(st), 0);
	int rv = store_request_put(st, "new", &other, 6000);
	if (rv == 0)
		rv = store_commit(st);
	cr_assert_neq(rv, 0, "remembered twice");
	store_rollback(st);
	cr_assert_eq(store_request_get(st, "new", &ar, &got), 0);
	cr_assert_eq(got.call, 10, "the first answer stays");
	cr_assert_eq(store_request_get(st, "old", &ar, &got), 0);
	cr_assert_eq(got.call, 10);
	cr_assert_eq(got.fingerprint, 42);
	cr_assert_eq(got.len, 3);
	cr_assert_eq(memcmp(got.response, "abc", 3), 0);
	cr_assert_eq(store_request_get(st, "none", &ar, &got), ST(NOT_FOUND));

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_request_prune(st, 2000, 100, &n), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_request_get(st, "old", &ar, &got), ST(NOT_FOUND));
	cr_assert_eq(store_request_get(st, "new", &ar, &got), 0);
}

/* The FTS5 structure record of `table` (its segments and write counter) as
 * hex: it changes whenever anything is written to the table. */
static char *
fts_structure(const char *table)
{
	char sql[128], *out = arena_alloc(&ar, 4096);
	sqlite3_stmt *s;

	snprintf(sql, sizeof sql, "SELECT hex(block) FROM %s_data WHERE id = 10", table);
	cr_assert_eq(sqlite3_prepare_v2(store_sqlite_db(st), sql, -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, 4096, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

/* FTS5 segments of `table` (FTS5 writes one each time it flushes). */
static int64_t
fts_segments(const char *table)
{
	char sql[128];
	sqlite3_stmt *s;
	int64_t n;

	snprintf(sql, sizeof sql, "SELECT count(DISTINCT segid) FROM %s_idx", table);
	cr_assert_eq(sqlite3_prepare_v2(store_sqlite_db(st), sql, -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* An update writes a text index only when the text it holds of the job
 * changed: `enabled` alone neither, the hook alone jobs_fts only (jobs_tri
 * leaves the hook out), the name both, one segment each (the old entries
 * out and the new in, in one flush). */
Test(store_sqlite, an_update_rewrites_only_the_text_indexes_whose_text_changed)
{
	Jobs__V1__Job *j;
	char *fts, *tri;

	cr_assert_eq(insert(make_job("a", 1)), 0);
	fts = fts_structure("jobs_fts");
	tri = fts_structure("jobs_tri");

	j = make_job("a", 1);
	j->enabled = false;
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_eq(fts_structure("jobs_fts"), fts, "enabled is in no text index");
	cr_assert_str_eq(fts_structure("jobs_tri"), tri);

	j = make_job("a", 1);
	j->hook = "Bright mornings";
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_neq(fts_structure("jobs_fts"), fts, "the hook is in jobs_fts");
	cr_assert_str_eq(fts_structure("jobs_tri"), tri, "and not in jobs_tri");

	int64_t fts_segs = fts_segments("jobs_fts"), tri_segs = fts_segments("jobs_tri");
	j = make_job("a", 1);
	j->hook = "Bright mornings";
	j->job_name = "Walnut Chair";
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(replace(j), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_neq(fts_structure("jobs_tri"), tri, "the name is in both");
	cr_assert_eq(fts_segments("jobs_fts"), fts_segs + 1);
	cr_assert_eq(fts_segments("jobs_tri"), tri_segs + 1);

	sqlite3 *raw;
	cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
	cr_assert_str_eq(indexed(raw, "jobs_fts", "mornings"), "a");
	cr_assert_str_eq(indexed(raw, "jobs_fts", "tired OR summer"), "");
	cr_assert_str_eq(indexed(raw, "jobs_tri", "alnut Ch"), "a");
	cr_assert_str_eq(indexed(raw, "jobs_tri", "ummer Sa"), "");
	test_sqlite_text_indexes_intact(raw);
	sqlite3_close(raw);
}

/* Frames the commit of `j` as an update appends to the WAL. */
static int64_t
frames_of_update(Jobs__V1__Job *j)
{
	int64_t asked0, done0, asked, done;

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(replace(j), 0);
	store_sqlite_vfs_wal_writes(&asked0, &done0);
	cr_assert_eq(store_commit(st), 0);
	store_sqlite_vfs_wal_writes(&asked, &done);
	return (asked - asked0) / 2; /* a header and a page each */
}

/* An update writes the columns that changed, and SQLite rewrites the index
 * entries of those alone: a change of `setting` (in no index and no text
 * index) leaves the nine indexes out, but for updated_at's. */
Test(store_sqlite, an_update_writes_the_pages_of_what_changed_only)
{
	char id[32], name[32];
	Jobs__V1__Job *j;
	int64_t setting_only, indexed;

	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < 3000; i++) { /* indexes of a few dozen pages each */
		snprintf(id, sizeof id, "job-%04d", i);
		j = make_job(id, 1000 + i);
		snprintf(name, sizeof name, "name %d", (i * 7919) % 3000);
		j->job_name = arena_strdup(&ar, name);
		j->product = arena_strdup(&ar, name);
		j->persona = arena_strdup(&ar, name);
		j->brand_name = arena_strdup(&ar, name);
		cr_assert_eq(store_job_insert(st, j, &ar), 0);
	}
	cr_assert_eq(store_commit(st), 0);

	j = make_job("job-1500", 2500);
	j->job_name = j->product = j->persona = j->brand_name = "name 1500";
	j->setting = "a new setting";
	j->updated_at = 9000;
	setting_only = frames_of_update(j);
	j = make_job("job-1600", 2600);
	j->job_name = j->product = j->persona = j->brand_name = "name 0";
	j->updated_at = 9001;
	indexed = frames_of_update(j);
	/* The row, updated_at's index, the version in meta, the header page. */
	cr_assert_leq(setting_only, 5, "a change of setting: %lld frames", (long long)setting_only);
	cr_assert_geq(indexed, setting_only + 4, "%lld frames against %lld", (long long)indexed,
	              (long long)setting_only);
	cr_assert_eq(store_job_get(st, "job-1500", &ar, &j), 0);
	cr_assert_str_eq(j->setting, "a new setting");
	cr_assert_str_eq(j->job_name, "name 1500");
	cr_assert_eq(j->updated_at, 9000);
	cr_assert_eq(store_job_get(st, "job-1600", &ar, &j), 0);
	cr_assert_str_eq(j->product, "name 0");
	cr_assert_str_eq(j->setting, "backyard at dusk");
	cr_assert_eq(stats_off_by(), 0);
}

/* --db takes a PostgreSQL URI, never a path that happens to hold "://"
 * (jobsd once made a folder "postgresql:" for one). A server that cannot
 * be reached is one line on stderr, without the password, and exit 1. */
Test(store, database_urls_are_never_files_and_never_show_a_password)
{
	static const char *const urls[] = {
	    "postgresql://jobs:s3cret@127.0.0.1:1/jobs?connect_timeout=2",
	    "postgres://127.0.0.1:1/jobs?password=s3cret&connect_timeout=2",
	    "mysql://jobs:s3cret@127.0.0.1/jobs",
	};
	char cmd[1024], entry[600];

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		snprintf(cmd, sizeof cmd,
		         "cd '%s' && HOME='%s' exec '%s' --no-legacy-migration --listen "
		         "ipc://%s/jobsd.sock --db '%s'",
		         dir, dir, JOBSD_PATH, dir, urls[i]);
		const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
		struct run r = run_cmd(argv, NULL, NULL);

		cr_assert_eq(r.status, 1, "%s: status %d, stderr: %s", urls[i], r.status, r.err);
		cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "one line: %s", r.err);
		cr_assert_null(strstr(r.err, "s3cret"), "%s", r.err);
		run_free(&r);
		/* Nothing but the test's own database beside it. */
		snprintf(entry, sizeof entry, "%s/%.*s", dir, (int)strcspn(urls[i], ":"), urls[i]);
		cr_assert_neq(access(strcat(entry, ":"), F_OK), 0, "%s was created", entry);
	}
}

/* The figures /metrics shows, on either engine. */
Test(store, gauges_count_the_jobs_and_the_database)
{
	struct store_gauges g;

	for (int i = 0; i < 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "g-%d", i);
		cr_assert_eq(insert(make_job(id, i)), 0);
	}
	cr_assert_eq(store_gauges(st, &g), 0, "%s", store_errmsg(st));
	cr_assert_eq(g.jobs, 3);
	cr_assert_gt(g.db_bytes, 0);
	cr_assert_geq(g.dedup, 0);
	cr_assert_eq(store_tidy(st), 0, "%s", store_errmsg(st));
	cr_assert_eq(store_gauges(st, &g), 0);
	cr_assert_eq(g.jobs, 3, "folded or not, the same");
}

/* ---- PostgreSQL only ------------------------------------------------------------ */

TestSuite(store_pg, .init = setup, .fini = teardown);

/* Runs `sql` on the test's database through a connection of the test's
 * own; the first row's first field, as text, into out (if not NULL). */
static void
pg_sql(const char *sql, char *out, size_t size)
{
	PGresult *r = test_pg_exec(path, sql);

	if (out != NULL)
		snprintf(out, size, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
}

struct opener {
	pthread_t thread;
	store *st;
	int rv;
	char err[256];
};

static void *
open_writer(void *arg)
{
	struct opener *o = arg;
	store_options wo = {.sync = STORE_SYNC_NORMAL};

	o->rv = store_open(&o->st, path, &wo, o->err, sizeof o->err);
	return NULL;
}

/* jobsd's starting together on a new database migrate it once: the
 * advisory lock makes the others wait, then find it done. */
Test(store_pg, jobsds_starting_together_migrate_once)
{
	struct opener o[6];
	char n[32];

	store_close(st);
	st = NULL;
	test_db_drop(path);
	test_db_make_empty(dir, path, sizeof path);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pthread_create(&o[i].thread, NULL, open_writer, &o[i]), 0);
	for (int i = 0; i < 6; i++) {
		pthread_join(o[i].thread, NULL);
		cr_assert_eq(o[i].rv, 0, "%s", o[i].err);
		cr_assert_eq(store_schema_version(o[i].st), STORE_PG_SCHEMA_VERSION);
		if (i > 0)
			store_close(o[i].st);
	}
	st = o[0].st;
	pg_sql("SELECT count(*) FROM jobsd_schema", n, sizeof n);
	cr_assert_eq(atoi(n), STORE_PG_SCHEMA_VERSION, "one row per migration, each once: %s", n);
	cr_assert_eq(insert(make_job("after", 1)), 0);
}

Test(store_pg, a_newer_schema_is_refused)
{
	store_options o = {.sync = STORE_SYNC_NORMAL};
	store *other;
	char err[256];

	pg_sql("INSERT INTO jobsd_schema (version, jobsd) VALUES (99, 'the future')", NULL, 0);
	cr_assert_eq(store_open(&other, path, &o, err, sizeof err), ST(FAILED_PRECONDITION));
	cr_assert(strstr(err, "99") != NULL, "%s", err);
}

struct racer {
	store *st;
	const char *id;
	int rv;
	atomic_bool inserted;
};

/* Inserts r->id in a transaction it commits once the other racer is told. */
static void *
insert_and_commit(void *arg)
{
	struct racer *r = arg;
	arena a;

	arena_init(&a, 1024, 0);
	cr_assert_eq(store_begin(r->st), 0);
	Jobs__V1__Job *j = make_job(r->id, 7);
	r->rv = store_job_insert(r->st, j, &a);
	atomic_store(&r->inserted, true);
	cr_assert_eq(store_commit(r->st), 0, "%s", store_errmsg(r->st));
	arena_fini(&a);
	return NULL;
}

/* Two writers (two jobsd, or two writer connections of one) creating the
 * same id: one wins, the other hears ALREADY_EXISTS, and its transaction
 * goes on: the rest of its batch is written. */
Test(store_pg, a_duplicate_id_raced_by_two_writers_is_already_exists)
{
	store_options wo = {.sync = STORE_SYNC_NORMAL};
	struct racer a = {.id = "raced"};
	Jobs__V1__Job *out;
	pthread_t t;
	char err[256];

	cr_assert_eq(store_open(&a.st, path, &wo, err, sizeof err), 0, "%s", err);
	cr_assert_eq(pthread_create(&t, NULL, insert_and_commit, &a), 0);
	while (!atomic_load(&a.inserted))
		sched_yield();
	cr_assert_eq(store_begin(st), 0);
	/* Waits for the other transaction, then sees its row. */
	cr_assert_eq(store_job_insert(st, make_job("raced", 8), &ar), ST(ALREADY_EXISTS));
	cr_assert_eq(store_job_insert(st, make_job("mine", 8), &ar), 0);
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
	pthread_join(t, NULL);
	cr_assert_eq(a.rv, 0);
	cr_assert_eq(store_job_get(st, "raced", &ar, &out), 0);
	cr_assert_eq(out->created_at, 7, "the first writer's job");
	cr_assert_eq(store_job_get(st, "mine", &ar, &out), 0);
	store_close(a.st);
}

/* Commits r->st once another connection of the database waits for a lock
 * (polled, so the order of the two does not depend on timing). */
static void *
commit_when_waited_for(void *arg)
{
	struct racer *r = arg;
	struct timespec pause = {0, 10 * 1000 * 1000};
	char n[16] = "0";

	for (int i = 0; i < 1000 && atoi(n) == 0; i++) {
		nanosleep(&pause, NULL);
		pg_sql(
		    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
		    "wait_event_type = 'Lock'",
		    n, sizeof n);
	}
	r->rv = atoi(n) > 0 ? store_commit(r->st) : -1;
	return NULL;
}

/* Read, check, write is atomic among parallel writers: a writer's read in a
 * transaction waits for another's uncommitted write of the job, then reads
 * it, so no update is lost and an etag check sees the latest version. */
Test(store_pg, a_writer_reads_what_another_writer_committed_before_it_writes)
{
	store_options wo = {.sync = STORE_SYNC_NORMAL};
	store *other;
	Jobs__V1__Job *was, *mine, *seen;
	char err[256], etag[32];

	cr_assert_eq(insert(make_job("shared", 1)), 0);
	cr_assert_eq(store_open(&other, path, &wo, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_begin(other), 0);
	cr_assert_eq(store_job_get(other, "shared", &ar, &was), 0);
	mine = make_job("shared", 1);
	mine->product = "Changed by the other";
	cr_assert_eq(store_job_replace(other, was, mine, &ar), 0);
	snprintf(etag, sizeof etag, "%s", mine->etag);
	/* The other commits only after this connection has asked (below): a
	 * thread does it once the row lock is contended. */
	struct racer r = {.st = other};
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, commit_when_waited_for, &r), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_get(st, "shared", &ar, &seen), 0);
	cr_assert_str_eq(seen->product, "Changed by the other");
	cr_assert_str_eq(seen->etag, etag);
	cr_assert_eq(store_commit(st), 0);
	pthread_join(t, NULL);
	cr_assert_eq(r.rv, 0, "%s", store_errmsg(other));
	store_close(other);
}

/* The backend of `s`'s connection is ended by the server (as when it
 * restarts, or an administrator terminates it) while the connection idles:
 * the store finds out before its next statement and sends it on a new
 * connection, so the call does not fail. Ended in a transaction, the
 * transaction is lost, and said so (UNAVAILABLE). */
Test(store_pg, a_lost_connection_answers_unavailable_and_reopens)
{
	static const char backend[] = "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE "
	                              "datname = current_database() AND application_name = 'jobsd'";
	Jobs__V1__Job *out;
	struct timespec pause = {0, 20 * 1000 * 1000};
	char n[16], before[16], after[16];
	int rv = -1;

	cr_assert_eq(insert(make_job("kept", 1)), 0);
	pg_sql(backend, before, sizeof before);
	pg_sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
	       "current_database() AND application_name = 'jobsd'",
	       n, sizeof n);
	cr_assert_str_eq(n, "1");
	/* Gone once the backend has said its last words and exited. */
	for (int i = 0; i < 250 && strcmp(n, "0") != 0; i++) {
		nanosleep(&pause, NULL);
		pg_sql(backend, n, sizeof n);
	}
	cr_assert_str_eq(n, "0", "the backend did not exit");
	rv = store_job_get(st, "kept", &ar, &out);
	cr_assert_eq(rv, 0, "%s: %s", status_name(rv), store_errmsg(st));
	cr_assert_str_eq(out->id, "kept");
	pg_sql(backend, after, sizeof after);
	cr_assert(strcmp(after, "0") != 0 && strcmp(after, before) != 0,
	          "not on a new connection: backend %s, then %s", before, after);

	/* A transaction the connection took with it is gone, said so. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_insert(st, make_job("lost", 2), &ar), 0);
	pg_sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
	       "current_database() AND application_name = 'jobsd'",
	       n, sizeof n);
	cr_assert_eq(store_commit(st), ST(UNAVAILABLE));
	store_rollback(st);
	for (int i = 0; i < 250 && (rv = store_job_get(st, "lost", &ar, &out)) == ST(UNAVAILABLE);
	     i++)
		nanosleep(&pause, NULL);
	cr_assert_eq(rv, ST(NOT_FOUND), "%s", store_errmsg(st));
}

/* A statement that waits (here for a row another connection has locked)
 * gives up at the call's deadline, cancelled on the server. */
Test(store_pg, a_statement_gives_up_at_the_calls_deadline)
{
	store_options wo = {.sync = STORE_SYNC_NORMAL};
	store *other;
	Jobs__V1__Job *out;
	char err[256];
	struct timespec t0, t1;

	cr_assert_eq(insert(make_job("locked", 1)), 0);
	cr_assert_eq(store_open(&other, path, &wo, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_begin(other), 0);
	cr_assert_eq(store_job_get(other, "locked", &ar, &out), 0); /* FOR UPDATE */

	cr_assert_eq(store_begin(st), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	store_set_deadline(st, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 + 300000);
	cr_assert_eq(store_job_get(st, "locked", &ar, &out), ST(DEADLINE_EXCEEDED), "%s",
	             store_errmsg(st));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert(waited >= 0.29 && waited < 2.0, "waited %.3f s for a 0.3 s deadline", waited);
	store_rollback(st);
	store_set_deadline(st, 0);
	store_rollback(other);
	store_close(other);
	cr_assert_eq(store_job_get(st, "locked", &ar, &out), 0, "%s", store_errmsg(st));
}

/* A server that cannot be reached, or a URI libpq cannot read: one line,
 * without the password. */
Test(store_pg, unreachable_or_unreadable_uris_say_why_without_the_password)
{
	static const struct {
		const char *uri;
		int code;
	} cases[] = {
	    {"postgresql://jobs:s3cret@127.0.0.1:1/jobs?connect_timeout=2", ST(UNAVAILABLE)},
	    {"postgres://127.0.0.1:1/jobs?password=s3cret", ST(UNAVAILABLE)},
	    {"postgresql://jobs:s3%zzcret@127.0.0.1/jobs", ST(INVALID_ARGUMENT)},
	    {"postgresql://jobs:s3cret@127.0.0.1/jobs?nonsense=s3cret", ST(INVALID_ARGUMENT)},
	};
	store_options o = {.sync = STORE_SYNC_NORMAL};
	store *other;
	char err[512];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		cr_assert_eq(store_open(&other, cases[i].uri, &o, err, sizeof err), cases[i].code,
		             "%s: %s", cases[i].uri, err);
		cr_assert_neq(err[0], '\0');
		cr_assert_null(strchr(err, '\n'), "%s", err);
		cr_assert_null(strstr(err, "s3"), "%s", err);
	}
}

/* Check: amcheck where the database has it, and the counts against the
 * jobs, which catches counts someone changed by hand. */
Test(store_pg, check_runs_amcheck_and_compares_the_counts)
{
	char **problems;
	size_t n;
	int64_t jobs, bytes;

	pg_sql("CREATE EXTENSION IF NOT EXISTS amcheck", NULL, 0);
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "c-%d", i);
		cr_assert_eq(insert(make_job(id, i * 86400000000LL)), 0);
	}
	cr_assert_eq(store_check(st, &ar, 10, &problems, &n, &jobs, &bytes), 0, "%s",
	             store_errmsg(st));
	cr_assert_eq(n, 0, "%s", n ? problems[0] : "");
	cr_assert_eq(jobs, 20);
	cr_assert_gt(bytes, 0);
	cr_assert_eq(store_tidy(st), 0, "%s", store_errmsg(st));
	pg_sql("UPDATE stat_totals SET n = n + 3 WHERE key = 'total'", NULL, 0);
	cr_assert_eq(store_check(st, &ar, 10, &problems, &n, &jobs, &bytes), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(problems[0], "count of total: 23 counted, 20 jobs");
}

/* The counts writes note are folded in by store_tidy(), and GetStats reads
 * the same before and after. */
Test(store_pg, tidy_folds_the_counts_and_stats_stay_exact)
{
	Jobs__V1__GetStatsResponse a = JOBS__V1__GET_STATS_RESPONSE__INIT,
	                           b = JOBS__V1__GET_STATS_RESPONSE__INIT;
	char n[16];

	for (int i = 0; i < 10; i++) {
		char id[16];
		Jobs__V1__Job *j;
		snprintf(id, sizeof id, "f-%d", i);
		j = make_job(id, i * 86400000000LL);
		j->product = i % 3 ? "Lamp" : "Kettle";
		j->enabled = i % 2;
		cr_assert_eq(insert(j), 0);
	}
	cr_assert_eq(store_stats(st, 5, 0, 10, &ar, &a), 0, "%s", store_errmsg(st));
	pg_sql("SELECT count(*) FROM stat_changes", n, sizeof n);
	cr_assert_str_eq(n, "10");
	cr_assert_eq(store_tidy(st), 0, "%s", store_errmsg(st));
	pg_sql("SELECT count(*) FROM stat_changes", n, sizeof n);
	cr_assert_str_eq(n, "0");
	cr_assert_eq(store_stats(st, 5, 0, 10, &ar, &b), 0, "%s", store_errmsg(st));
	cr_assert_eq(a.total_jobs, 10);
	cr_assert_eq(b.total_jobs, 10);
	cr_assert_eq(a.enabled_jobs, 5);
	cr_assert_eq(b.enabled_jobs, 5);
	cr_assert_eq(b.unique_products, 2);
	cr_assert_str_eq(b.by_product[0]->value, "Lamp");
	cr_assert_eq(b.by_product[0]->count, 6);
	cr_assert_eq(a.by_product[0]->count, 6);
	cr_assert_eq(b.created_per_day[3]->count, 1);
	cr_assert_eq(a.created_per_day[3]->count, 1);
}

/* Versions come from one sequence: parallel writers never hand out the
 * same one, nor reuse one. */
Test(store_pg, writers_share_one_sequence_of_versions)
{
	store_options wo = {.sync = STORE_SYNC_NORMAL};
	store *other;
	char err[256], id[16];
	int64_t last = 0;

	cr_assert_eq(store_open(&other, path, &wo, err, sizeof err), 0, "%s", err);
	for (int i = 0; i < 10; i++) {
		store *w = i % 2 ? other : st;
		Jobs__V1__Job *j;

		snprintf(id, sizeof id, "v-%d", i);
		j = make_job(id, 1);
		cr_assert_eq(store_begin(w), 0);
		cr_assert_eq(store_job_insert(w, j, &ar), 0);
		cr_assert_eq(store_commit(w), 0);
		cr_assert_gt(store_etag_parse(j->etag), last);
		last = store_etag_parse(j->etag);
	}
	store_close(other);
}

/* A CreateJob alone in its transaction sends its insert with the COMMIT: a
 * taken id is then the COMMIT's ALREADY_EXISTS, naming the job, and nothing
 * of it is written. Under a savepoint (a group) it answers at once. */
Test(store_pg, a_lone_create_hears_of_a_taken_id_at_commit)
{
	Jobs__V1__Job *out;

	cr_assert_eq(insert(make_job("taken", 1)), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_create(st, make_job("fresh", 2), &ar), 0);
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
	cr_assert_eq(store_job_get(st, "fresh", &ar, &out), 0);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_job_create(st, make_job("taken", 3), &ar), 0, "sent with the commit");
	cr_assert_eq(store_commit(st), ST(ALREADY_EXISTS));
	cr_assert_str_eq(store_errmsg(st), "a job with id 'taken' already exists");
	store_rollback(st);
	cr_assert_eq(store_job_get(st, "taken", &ar, &out), 0);
	cr_assert_eq(out->created_at, 1, "the first job stays");

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_savepoint(st), 0);
	cr_assert_eq(store_job_create(st, make_job("taken", 4), &ar), ST(ALREADY_EXISTS));
	cr_assert_eq(store_rollback_to(st), 0);
	cr_assert_eq(store_job_create(st, make_job("other", 4), &ar), 0);
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
	cr_assert_eq(store_job_get(st, "other", &ar, &out), 0);
}
