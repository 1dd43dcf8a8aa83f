/*
 * store_sqlite.c: the jobs database on SQLite: connections, transactions,
 * single-job reads and writes, remembered answers, backup, check and
 * restore. The tables and indexes, what keeps each up to date, and the
 * migrations are in store_sqlite_schema.c; the finding queries in
 * store_sqlite_find.c; the VFS the connections open through in
 * store_sqlite_vfs.c. See store.h for the interface.
 */
#include "files.h"
#include "status.h"
#include "log.h"
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the statements' shared parts ---------------------------------------- */

/* DAY(x): floor(x / one day in us), also for times before 1970. */
#define DAY(x)   "((" x " - ((" x " % 86400000000) + 86400000000) % 86400000000) / 86400000000)"
#define FTS_COLS "job_name, product, brand_name, hook, persona"
/* The trigram index leaves out the hook: see jobs_tri in store_sqlite_schema.c. */
#define TRI_COLS "job_name, product, brand_name, persona"
/* The same columns, of jobs in a join with pending. */
#define FTS_JOBS_COLS "jobs.job_name, jobs.product, jobs.brand_name, jobs.hook, jobs.persona"
#define TRI_JOBS_COLS "jobs.job_name, jobs.product, jobs.brand_name, jobs.persona"

/* CROSS JOIN makes the (few) pending rows the outer loop: left to itself,
 * the planner reads one column of jobs by scanning a covering index, whole. */
#define PENDING_JOBS "pending CROSS JOIN jobs USING (seq)"
/* A job that existed and holds the text a text index has of it (pending's
 * old values) keeps its entries there: an update of its hook alone leaves
 * jobs_tri as it is, one of `enabled` or `language` both tables. */
#define TRI_SAME                                                                                   \
	"jobs.job_name IS pending.job_name AND jobs.product IS pending.product AND "               \
	"jobs.brand_name IS pending.brand_name AND jobs.persona IS pending.persona"
#define FTS_SAME          TRI_SAME " AND jobs.hook IS pending.hook"
#define STILL_HOLDS(same) "EXISTS (SELECT 1 FROM jobs WHERE jobs.seq = pending.seq AND " same ")"
/* Brings text table t up to date with the pending jobs in one statement:
 * each job's old entries out ('delete', with pending's old values), then
 * its current ones in, job by job in seq order. FTS5 writes out what it
 * holds whenever a statement begins and whenever the rowids it is given go
 * back, so out-then-in as two statements (or as two ascending runs) wrote
 * two segments a commit where this writes one. Both halves read pending in
 * seq order, and ORDER BY on the compound merges them as they come: no
 * sort, whatever the size of the transaction. 'delete' sorts before NULL
 * (DESC), so a job's old entries go before its new ones. */
// clang-format off
#define REINDEX(t, cols, jobs_cols, same) \
    "INSERT INTO " t " (" t ", rowid, " cols ") SELECT 'delete', seq, " cols " FROM pending" \
    " WHERE existed AND NOT " STILL_HOLDS(same) \
    " UNION ALL SELECT NULL, pending.seq, " jobs_cols " FROM " PENDING_JOBS \
    " WHERE NOT existed OR NOT (" same ") ORDER BY 2, 1 DESC"
// clang-format on

/* The changes to the counts that the pending jobs make, (dim, value, n): -1
 * for what a job held before, +1 for what it holds now. */
#define STAT_OUT(dim, col) "SELECT '" dim "', pending." col ", -1 FROM pending WHERE existed"
#define STAT_IN(dim, col)  "SELECT '" dim "', jobs." col ", 1 FROM " PENDING_JOBS
// clang-format off
#define STAT_CHANGES \
    "WITH d (dim, value, n) AS (" \
    STAT_OUT("product", "product") " UNION ALL " STAT_OUT("language", "language") " UNION ALL " \
    STAT_OUT("persona", "persona") " UNION ALL " STAT_OUT("brand", "brand_name") " UNION ALL " \
    STAT_IN("product", "product") " UNION ALL " STAT_IN("language", "language") " UNION ALL " \
    STAT_IN("persona", "persona") " UNION ALL " STAT_IN("brand", "brand_name") ") "
// clang-format on

/* ---- statements -------------------------------------------------------- */

/* Columns of a job (STORE_JOB_COLUMNS, C_...): bind_job() binds column C as
 * ?C+1. */
#define JOB_COLUMNS STORE_JOB_COLUMNS

enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_META_SET,
	S_INSERT,
	S_DELETE,
	S_VERSION_OF,
	S_GET,
	S_REQUEST_GET,
	S_REQUEST_PUT,
	S_REQUEST_PRUNE,
	S_COUNT,
	S_OVERWRITE,
	S_ANY_JOB,
	S_META_GET,
	S_META_PUT,
	S_PENDING_ANY,
	S_STAT_VALUES,
	S_STAT_VALUES_PRUNE,
	S_STAT_TOTALS,
	S_STAT_DAYS,
	S_STAT_DAYS_PRUNE,
	S_FTS_REINDEX,
	S_TRI_REINDEX,
	S_PENDING_CLEAR,
	N_STMTS
};

static const struct {
	bool writer_only;
	const char *sql;
} stmt_sql[N_STMTS] = {
    [S_BEGIN] = {true, "BEGIN IMMEDIATE"},
    [S_COMMIT] = {true, "COMMIT"},
    [S_ROLLBACK] = {true, "ROLLBACK"},
    [S_SAVEPOINT] = {true, "SAVEPOINT call"},
    [S_RELEASE] = {true, "RELEASE call"},
    [S_ROLLBACK_TO] = {true, "ROLLBACK TO call"},
    [S_META_SET] = {true, "UPDATE meta SET value = ?2 WHERE key = ?1"},
    [S_INSERT] = {true, "INSERT INTO jobs (" JOB_COLUMNS ") VALUES "
                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"},
    [S_DELETE] = {true, "DELETE FROM jobs WHERE id = ?1 AND (?2 = 0 OR version = ?2)"},
    [S_VERSION_OF] = {false, "SELECT version FROM jobs WHERE id = ?1"},
    [S_GET] = {false, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1"},
    [S_REQUEST_GET] = {true, "SELECT call, fingerprint, response FROM requests "
                             "WHERE request_id = ?1"},
    [S_COUNT] = {false, "SELECT count(*) FROM jobs"},
    [S_REQUEST_PUT] = {true, "INSERT INTO requests VALUES (?1, ?2, ?3, ?4, ?5)"},
    /* Rows go in in time order, so the oldest ?2 rowids are the candidates;
     * this reads at most ?2 rows whatever the table's size. */
    [S_REQUEST_PRUNE] = {true, "DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests "
                               "ORDER BY rowid LIMIT ?2) AND created_at < ?1"},
    /* Every column but id, created_at included: a batch's replace_existing. */
    [S_OVERWRITE] = {true, "UPDATE jobs SET (job_name, product, persona, setting, emotion, hook, "
                           "elevenlabs_voice_id, language, brand_name, enabled, created_at, "
                           "updated_at, version, enhanced_settings, extra) = (?2, ?3, ?4, ?5, ?6, "
                           "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) WHERE id = ?1"},
    [S_ANY_JOB] = {false, "SELECT EXISTS (SELECT 1 FROM jobs)"},
    [S_META_GET] = {false, "SELECT value FROM meta WHERE key = ?1"},
    [S_META_PUT] = {true, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    /* apply_pending(), in this order: the counts, then the text indexes,
     * of the jobs the transaction changed. */
    /* PENDING_NONE, PENDING_NEW (new jobs only) or PENDING_EXISTED. */
    [S_PENDING_ANY] = {true, "SELECT coalesce(max(existed) + 1, 0) FROM pending"},
    /* Values whose count does not change are left alone; one that appears
     * or goes moves unique:<dim> (the stat_values_* triggers). */
    [S_STAT_VALUES] = {true, STAT_CHANGES "INSERT INTO stat_values SELECT dim, value, sum(n) "
                                          "FROM d WHERE true GROUP BY dim, value HAVING sum(n) "
                                          "!= 0 ON CONFLICT DO UPDATE SET n = n + excluded.n"},
    [S_STAT_VALUES_PRUNE] = {true, "DELETE FROM stat_values WHERE dim IN ('product', 'language', "
                                   "'persona', 'brand') AND n <= 0"},
    [S_STAT_TOTALS] = {true, "UPDATE stat_totals SET n = n + CASE key "
                             "WHEN 'total' THEN (SELECT count(*) FROM " PENDING_JOBS ")"
                             " - (SELECT count(*) FROM pending WHERE existed) "
                             "ELSE (SELECT coalesce(sum(jobs.enabled), 0) FROM " PENDING_JOBS
                             ") - (SELECT coalesce(sum(enabled), 0) FROM pending "
                             "WHERE existed) END WHERE key IN ('total', 'enabled')"},
    [S_STAT_DAYS] = {true, "INSERT INTO stat_days SELECT day, sum(n) FROM (SELECT " DAY(
                               "created_at") " AS day, -1 AS n FROM pending WHERE existed "
                                             "UNION ALL SELECT " DAY(
                                                 "jobs.created_at") ", 1 FROM " PENDING_JOBS
                                                                    ") WHERE true "
                                                                    "GROUP BY day HAVING sum(n) "
                                                                    "!= 0 ON CONFLICT DO UPDATE "
                                                                    "SET n = n + excluded.n"},
    [S_STAT_DAYS_PRUNE] = {true, "DELETE FROM stat_days WHERE n <= 0 AND day IN (SELECT " DAY(
                                     "created_at") " FROM pending WHERE existed)"},
    [S_FTS_REINDEX] = {true, REINDEX("jobs_fts", FTS_COLS, FTS_JOBS_COLS, FTS_SAME)},
    [S_TRI_REINDEX] = {true, REINDEX("jobs_tri", TRI_COLS, TRI_JOBS_COLS, TRI_SAME)},
    [S_PENDING_CLEAR] = {true, "DELETE FROM pending"},
};

#define UPDATE_STMTS 16

struct update_stmt {
	unsigned mask; /* 1 << C_ for each column it sets */
	sqlite3_stmt *stmt;
};

struct sqlite_store {
	struct store base; /* first: a store * is a sqlite_store * */
	sqlite3 *db;
	bool reader;
	atomic_int_fast64_t wal_pages;    /* writer with background checkpoints */
	atomic_int_fast64_t wal_appended; /* the same: frames appended since open */
	int hook_pages;                   /* the same: wal_pages as the hook last saw it */
	int wal_fd;                       /* deferred_sync: the WAL, for fdatasync(); else -1 */
	int64_t last_version;             /* writer: highest version handed out */
	bool version_dirty;               /* writer: last_version not yet in meta */
	sqlite3_stmt *stmt[N_STMTS];
	void *find; /* store_find.c's statement cache */
	/* writer: UPDATEs of the columns an update changed, by column mask;
	 * prepared on first use, least recently used last (see update_stmt). */
	struct update_stmt updates[UPDATE_STMTS];
};

typedef struct sqlite_store sq;

/* ---- errors ------------------------------------------------------------ */

/* Maps a SQLite result code to a status, remembering SQLite's message. */
static int
fail(sq *st, int rc)
{
	snprintf(st->base.errmsg, sizeof st->base.errmsg, "%s", sqlite3_errmsg(st->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		return ST(UNAVAILABLE);
	case SQLITE_FULL:
	case SQLITE_NOMEM:
	case SQLITE_TOOBIG:
		return ST(RESOURCE_EXHAUSTED);
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
		           ? ST(ALREADY_EXISTS)
		           : ST(INVALID_ARGUMENT);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ST(DATA_LOSS);
	default:
		return ST(INTERNAL);
	}
}

int
store_sqlite_fail(store *st, int rc)
{
	return fail((sq *)st, rc);
}

sqlite3 *
store_sqlite_db(store *st)
{
	return ((sq *)st)->db;
}

void **
store_sqlite_find_slot(store *st)
{
	return &((sq *)st)->find;
}

/* SQLite's counter `op` summed over this connection's statements (those
 * store_sqlite_find.c keeps add their own). */
static int64_t
counter(const sq *st, int op)
{
	int64_t n = 0;

	for (int i = 0; i < N_STMTS; i++)
		if (st->stmt[i] != NULL)
			n += sqlite3_stmt_status(st->stmt[i], op, 0);
	for (int i = 0; i < UPDATE_STMTS; i++) /* those cached now */
		if (st->updates[i].stmt != NULL)
			n += sqlite3_stmt_status(st->updates[i].stmt, op, 0);
	return n;
}

static int64_t
sq_fullscan_steps(const store *base)
{
	int64_t find, sorts;

	store_sqlite_find_counters(base, &find, &sorts);
	return counter((const sq *)base, SQLITE_STMTSTATUS_FULLSCAN_STEP) + find;
}

static int64_t
sq_sorts(const store *base)
{
	int64_t scans, find;

	store_sqlite_find_counters(base, &scans, &find);
	return counter((const sq *)base, SQLITE_STMTSTATUS_SORT) + find;
}

/* Runs a statement that returns no rows and resets it. */
static int
run(sq *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, rc);
}

/* ---- open and close ---------------------------------------------------- */

/* Past this many pages the writer checkpoints itself after a commit, as
 * SQLite's automatic checkpoints do, so that the WAL stays bounded: under
 * constant writes a checkpoint running beside the writer never quite catches
 * up, and the WAL only rewinds once one has. By then the background
 * checkpoints have copied nearly everything, but this one must also sync
 * the database file, all that they copied since the last sync, while every
 * client waits on the writer. So it should be rare: the limit is as high as
 * it can be while the WAL stays under journal_size_limit, so that the file
 * is reused as it is rather than truncated and grown again. */
#define WAL_PAGES_MAX 16000

/* sqlite3_wal_hook: a commit of the writer left `pages` frames in the WAL. */
static int
wal_committed(void *arg, sqlite3 *db, const char *name, int pages)
{
	sq *st = arg;

	/* Fewer pages than last time: the WAL started over from its beginning. */
	atomic_fetch_add(&st->wal_appended,
	                 pages >= st->hook_pages ? pages - st->hook_pages : pages);
	st->hook_pages = pages;
	atomic_store(&st->wal_pages, pages);
	if (pages >= WAL_PAGES_MAX)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static int64_t
sq_wal_pages(const store *base)
{
	const sq *st = (const sq *)base;
	return atomic_load(&st->wal_pages);
}

static int
sq_wal_sync(const store *base)
{
	const sq *st = (const sq *)base;
	return fdatasync(st->wal_fd) == 0 ? 0 : errno;
}

static int64_t
sq_wal_appended(const store *base)
{
	const sq *st = (const sq *)base;
	return atomic_load(&st->wal_appended);
}

static int
sq_checkpoint(store *base, int *left)
{
	sq *st = (sq *)base;
	int log = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);

	if (left != NULL)
		*left = rc == SQLITE_OK && log > copied ? log - copied : 0;
	return rc == SQLITE_OK ? 0 : fail(st, rc);
}

static int
exec(sq *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail(st, rc);
}

static int
pragma_int(sq *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return fail(st, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rc = fail(st, rc);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc;
}

/* Puts the writer's database in WAL mode, or says why it could not. */
static int
journal_wal(sq *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL), rv = 0;

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(s, 0);

		if (mode == NULL || sqlite3_stricmp(mode, "wal") != 0) {
			snprintf(err, errlen,
			         "the database cannot use a write-ahead log (journal mode %s); "
			         "keep it on a local file system",
			         mode != NULL ? mode : "unknown");
			rv = ST(FAILED_PRECONDITION);
		}
	} else {
		rv = fail(st, rc);
		snprintf(err, errlen, "cannot set the journal mode: %s", st->base.errmsg);
	}
	sqlite3_finalize(s);
	return rv;
}

/* Brings the schema from user_version up to STORE_SCHEMA_VERSION, one
 * transaction per step so that a failed step leaves the previous version. */
static int
migrate(sq *st, char *err, size_t errlen)
{
	int64_t v = 0;
	int rv;

	if ((rv = pragma_int(st, "PRAGMA user_version", &v)) != 0)
		goto failed;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
		         "database schema version %" PRId64 " is newer than this jobsd's (%d)", v,
		         STORE_SCHEMA_VERSION);
		return ST(FAILED_PRECONDITION);
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		char sql[64];

		snprintf(sql, sizeof sql, "PRAGMA user_version = %" PRId64, v + 1);
		if ((rv = exec(st, "BEGIN IMMEDIATE")) != 0)
			goto failed;
		if ((rv = exec(st, store_sqlite_migrations[v])) != 0 || (rv = exec(st, sql)) != 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			goto failed;
		}
		if ((rv = exec(st, "COMMIT")) != 0)
			goto failed;
	}
	return 0;
failed:
	snprintf(err, errlen, "schema migration failed: %s", st->base.errmsg);
	return rv;
}

static const struct store_ops sqlite_ops;
static void sq_close(store *base);

int
store_sqlite_open(store **out, const char *path, const store_options *opt, char *err, size_t errlen)
{
	static const char *const sync_pragma[] = {
	    [STORE_SYNC_OFF] = "PRAGMA synchronous = OFF",
	    [STORE_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	    [STORE_SYNC_FULL] = "PRAGMA synchronous = FULL",
	};
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	char sql[64], wal[PATH_MAX + 8];
	enum store_sync sync;
	sq *st;
	int64_t v = 0;
	int rc, rv;

	*out = NULL;
	if ((rv = store_sqlite_cjk_init(err, errlen)) != 0)
		return rv;
	if ((st = calloc(1, sizeof *st)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ST(RESOURCE_EXHAUSTED);
	}
	st->base.ops = &sqlite_ops;
	st->reader = opt->reader;
	st->wal_fd = -1;
	if (!st->reader) {
		/* Create the file ourselves so that it is private (0600); SQLite
		 * gives its -wal and -shm files the same mode. */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
			free(st);
			return ST(UNAVAILABLE);
		}
		close(fd);
	}
	rc = sqlite3_open_v2(path, &st->db, flags, store_sqlite_vfs());
	if (rc != SQLITE_OK) {
		rv = st->db != NULL ? fail(st, rc) : ST(RESOURCE_EXHAUSTED);
		snprintf(err, errlen, "cannot open %s: %s", path, st->base.errmsg);
		goto failed;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000);
	snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d",
	         opt->cache_kib > 0 ? opt->cache_kib : 8192);
	if ((rv = exec(st, sql)) != 0)
		goto sqlfailed;
	/* Commits and checkpoints sync as opt->sync says; a writer whose owner
	 * syncs the WAL itself (deferred_sync) commits as NORMAL does. */
	sync = opt->sync == STORE_SYNC_FULL && opt->deferred_sync ? STORE_SYNC_NORMAL : opt->sync;
	if ((rv = exec(st, sync_pragma[sync])) != 0)
		goto sqlfailed;

	if (st->reader) {
		if ((rv = exec(st, "PRAGMA query_only = 1")) != 0)
			goto sqlfailed;
		if (opt->mmap_mib > 0) {
			snprintf(sql, sizeof sql, "PRAGMA mmap_size = %lld",
			         (long long)opt->mmap_mib << 20);
			if ((rv = exec(st, sql)) != 0)
				goto sqlfailed;
		}
	} else {
		/* SQLite answers with the mode it is in, which is not WAL where
		 * the file system cannot share memory between processes. */
		if ((rv = journal_wal(st, err, errlen)) != 0)
			goto failed;
		/* A burst of writes can grow the WAL past its usual size; once it
		 * has been checkpointed and starts over, it shrinks back to this. */
		if ((rv = exec(st, "PRAGMA journal_size_limit = 67108864")) != 0)
			goto sqlfailed;
		/* A wal hook replaces SQLite's automatic checkpoints: the commit
		 * only reports the WAL's size, and someone else checkpoints. */
		if (opt->background_checkpoints)
			sqlite3_wal_hook(st->db, wal_committed, st);
		if ((rv = migrate(st, err, errlen)) != 0)
			goto failed;
	}
	if ((rv = pragma_int(st, "PRAGMA user_version", &v)) != 0)
		goto sqlfailed;
	st->base.schema_version = (int)v;
	if (v != STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema version is %" PRId64 ", this jobsd needs %d",
		         v, STORE_SCHEMA_VERSION);
		rv = ST(FAILED_PRECONDITION);
		goto failed;
	}

	for (int i = 0; i < N_STMTS; i++) {
		if (st->reader && stmt_sql[i].writer_only)
			continue;
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
		                        &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			rv = fail(st, rc);
			goto sqlfailed;
		}
	}
	if (!st->reader && (rv = pragma_int(st, "SELECT value FROM meta WHERE key = 'last_version'",
	                                    &st->last_version)) != 0)
		goto sqlfailed;
	/* The WAL exists once a transaction has run (the line above), and
	 * SQLite keeps that file, the same inode, as long as this connection
	 * is open: an fdatasync() of our own descriptor flushes what it wrote. */
	if (!st->reader && opt->sync == STORE_SYNC_FULL && opt->deferred_sync) {
		snprintf(wal, sizeof wal, "%s-wal", path);
		if ((st->wal_fd = open(wal, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(err, errlen, "cannot open %s: %s", wal, strerror(errno));
			rv = ST(UNAVAILABLE);
			goto failed;
		}
	}
	st->base.sync_deferred = st->wal_fd >= 0;
	*out = &st->base;
	return 0;

sqlfailed:
	snprintf(err, errlen, "cannot open %s: %s", path, st->base.errmsg);
failed:
	sq_close(&st->base);
	return rv;
}

static void
sq_close(store *base)
{
	sq *st = (sq *)base;
	int rc;

	store_sqlite_find_close(base);
	for (int i = 0; i < N_STMTS; i++)
		sqlite3_finalize(st->stmt[i]);
	for (int i = 0; i < UPDATE_STMTS; i++)
		sqlite3_finalize(st->updates[i].stmt);
	/* The writer copies the WAL into the database and truncates it. If
	 * that fails the data is still safe in the WAL, and the next open
	 * finishes the job; but someone looking for a one-file database
	 * should hear why there are three. */
	if (!st->reader && st->db != NULL && st->base.schema_version != 0 &&
	    (rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	                                    NULL)) != SQLITE_OK)
		log_warn("the last checkpoint at close failed (the WAL keeps the data): %s",
		         sqlite3_errstr(rc));
	if ((rc = sqlite3_close(st->db)) != SQLITE_OK)
		log_warn("closing the database: %s", sqlite3_errstr(rc));
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	free(st);
}

/* ---- transactions ------------------------------------------------------ */

/* Steps prepared statement `id`, which yields one integer, into *out. */
static int
step_int(sq *st, enum stmt_id id, int64_t *out)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s), rv = 0;

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rv = fail(st, rc);
	sqlite3_reset(s);
	return rv;
}

static int
sq_begin(store *base)
{
	sq *st = (sq *)base;
	return run(st, S_BEGIN);
}

/* What S_PENDING_ANY finds in pending. */
enum { PENDING_NONE, PENDING_NEW, PENDING_EXISTED };

/* Brings the counts (stat_*) and the text indexes (jobs_fts, jobs_tri) up to
 * date with the jobs the transaction changed (pending), in eight statements
 * for the whole transaction, and empties pending. Only jobs that existed
 * before can take a count to zero: without them (a group of creates), six
 * statements; nothing pending, none. */
static int
apply_pending(sq *st)
{
	static const struct {
		enum stmt_id id;
		bool for_existed; /* only when a job that existed before changed */
	} steps[] = {
	    {S_STAT_VALUES, false}, {S_STAT_VALUES_PRUNE, true}, {S_STAT_TOTALS, false},
	    {S_STAT_DAYS, false},   {S_STAT_DAYS_PRUNE, true},   {S_FTS_REINDEX, false},
	    {S_TRI_REINDEX, false}, {S_PENDING_CLEAR, false},
	};
	int64_t what = 0;
	int rv;

	if ((rv = step_int(st, S_PENDING_ANY, &what)) != 0 || what == PENDING_NONE)
		return rv;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if (steps[i].for_existed && what != PENDING_EXISTED)
			continue;
		if ((rv = run(st, steps[i].id)) != 0)
			return rv;
	}
	return 0;
}

static int
sq_commit(store *base)
{
	sq *st = (sq *)base;
	int rv;

	if ((rv = apply_pending(st)) != 0)
		return rv;
	if (st->version_dirty) {
		sqlite3_stmt *s = st->stmt[S_META_SET];

		sqlite3_bind_text(s, 1, "last_version", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, st->last_version);
		if ((rv = run(st, S_META_SET)) != 0)
			return rv;
	}
	if ((rv = run(st, S_COMMIT)) != 0)
		return rv;
	st->version_dirty = false;
	return 0;
}

static void
sq_rollback(store *base)
{
	sq *st = (sq *)base;
	/* Versions handed out in the abandoned transaction stay used: gaps are
	 * harmless, reuse is not. */
	if (sqlite3_get_autocommit(st->db) == 0)
		run(st, S_ROLLBACK);
}

static int
sq_savepoint(store *base)
{
	sq *st = (sq *)base;
	return run(st, S_SAVEPOINT);
}

static int
sq_release(store *base)
{
	sq *st = (sq *)base;
	return run(st, S_RELEASE);
}

static int
sq_rollback_to(store *base)
{
	sq *st = (sq *)base;
	int rv = run(st, S_ROLLBACK_TO);
	return rv != 0 ? rv : run(st, S_RELEASE);
}

/* ---- jobs -------------------------------------------------------------- */

/* A column's text copied into the arena; "" for NULL. */
static char *
column_text(sqlite3_stmt *s, int col, arena *a)
{
	const unsigned char *p = sqlite3_column_text(s, col);
	return p == NULL ? arena_strdup(a, "")
	                 : arena_strndup(a, (const char *)p, (size_t)sqlite3_column_bytes(s, col));
}

/* The job in the current row of `s` (whose columns are JOB_COLUMNS). */
int
store_sqlite_row_to_job(sqlite3_stmt *s, arena *a, Jobs__V1__Job **out, size_t *bytes)
{
	Jobs__V1__Job *j = arena_alloc(a, sizeof *j);
	size_t n = 0;

	if (j == NULL)
		return ST(RESOURCE_EXHAUSTED);
	jobs__v1__job__init(j);
	for (int c = C_ID; c <= C_BRAND; c++) {
		char **member = store_job_text_at(j, c);

		if ((*member = column_text(s, c, a)) == NULL)
			return ST(RESOURCE_EXHAUSTED);
		n += (size_t)sqlite3_column_bytes(s, c);
	}
	j->enabled = sqlite3_column_int(s, C_ENABLED) != 0;
	j->created_at = sqlite3_column_int64(s, C_CREATED);
	j->updated_at = sqlite3_column_int64(s, C_UPDATED);
	j->etag = store_etag(a, sqlite3_column_int64(s, C_VERSION));
	j->enhanced_settings = column_text(s, C_SETTINGS, a);
	j->extra = column_text(s, C_EXTRA, a);
	if (j->etag == NULL || j->enhanced_settings == NULL || j->extra == NULL)
		return ST(RESOURCE_EXHAUSTED);
	n += (size_t)sqlite3_column_bytes(s, C_SETTINGS) + (size_t)sqlite3_column_bytes(s, C_EXTRA);
	if (bytes != NULL)
		*bytes += n;
	*out = j;
	return 0;
}

/* Binds ?1..?16 of S_INSERT, S_OVERWRITE and update_stmt()'s UPDATEs (which
 * use some of them: binding the others does nothing). The job's strings
 * outlive the statement's step, so SQLite need not copy them. */
static void
bind_job(sqlite3_stmt *s, const Jobs__V1__Job *j, int64_t version)
{
	for (int c = C_ID; c <= C_BRAND; c++)
		sqlite3_bind_text(s, c + 1, store_job_text(j, c), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, C_ENABLED + 1, j->enabled ? 1 : 0);
	sqlite3_bind_int64(s, C_CREATED + 1, j->created_at);
	sqlite3_bind_int64(s, C_UPDATED + 1, j->updated_at);
	sqlite3_bind_int64(s, C_VERSION + 1, version);
	if (*j->enhanced_settings != '\0')
		sqlite3_bind_text(s, C_SETTINGS + 1, j->enhanced_settings, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, C_SETTINGS + 1);
	if (*j->extra != '\0')
		sqlite3_bind_text(s, C_EXTRA + 1, j->extra, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, C_EXTRA + 1);
}

static int
sq_job_get(store *base, const char *id, arena *a, Jobs__V1__Job **out)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_GET];
	int rc, rv;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rv = store_sqlite_row_to_job(s, a, out, NULL);
	else if (rc == SQLITE_DONE)
		rv = ST(NOT_FOUND);
	else
		rv = fail(st, rc);
	sqlite3_reset(s);
	return rv;
}

/* Runs s, an INSERT or UPDATE of bind_job()'s parameters, for `job` with
 * the next version. */
static int
write_job(sq *st, sqlite3_stmt *s, Jobs__V1__Job *job, arena *a)
{
	int64_t version = st->last_version + 1;
	int rc, rv = 0;

	bind_job(s, job, version);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		rv = fail(st, rc);
	else if (sqlite3_changes(st->db) == 0)
		rv = ST(NOT_FOUND);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rv != 0)
		return rv;
	st->last_version = version;
	st->version_dirty = true;
	return (job->etag = store_etag(a, version)) != NULL ? 0 : ST(RESOURCE_EXHAUSTED);
}

static int
sq_job_insert(store *base, Jobs__V1__Job *job, arena *a)
{
	sq *st = (sq *)base;
	return write_job(st, st->stmt[S_INSERT], job, a);
}

/* The UPDATE of the columns in mask (and updated_at, version), from the
 * cache or prepared now; the cache keeps the most recently used first. */
static int
update_stmt(sq *st, unsigned mask, sqlite3_stmt **out)
{
	struct update_stmt hit;
	char sql[512];
	int n = 0, i, rc;

	for (i = 0; i < UPDATE_STMTS && st->updates[i].stmt != NULL; i++)
		if (st->updates[i].mask == mask)
			break;
	if (i == UPDATE_STMTS || st->updates[i].stmt == NULL) {
		n = snprintf(sql, sizeof sql, "UPDATE jobs SET updated_at = ?%d, version = ?%d",
		             C_UPDATED + 1, C_VERSION + 1);
		for (int c = 0; c < N_COLUMNS; c++)
			if ((mask & (1u << c)) && store_update_columns[c] != NULL)
				n += snprintf(sql + n, sizeof sql - (size_t)n, ", %s = ?%d",
				              store_update_columns[c], c + 1);
		snprintf(sql + n, sizeof sql - (size_t)n, " WHERE id = ?%d", C_ID + 1);
		if (i == UPDATE_STMTS)
			sqlite3_finalize(st->updates[--i].stmt); /* the least recently used */
		st->updates[i].stmt = NULL;
		rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                        &st->updates[i].stmt, NULL);
		if (rc != SQLITE_OK)
			return fail(st, rc);
		st->updates[i].mask = mask;
	}
	hit = st->updates[i];
	memmove(&st->updates[1], &st->updates[0], (size_t)i * sizeof st->updates[0]);
	st->updates[0] = hit;
	*out = hit.stmt;
	return 0;
}

static int
sq_job_replace(store *base, const Jobs__V1__Job *was, Jobs__V1__Job *job, arena *a)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s;
	int rv = update_stmt(st, store_changed_columns(was, job), &s);

	return rv != 0 ? rv : write_job(st, s, job, a);
}

static int
sq_job_overwrite(store *base, Jobs__V1__Job *job, arena *a)
{
	sq *st = (sq *)base;
	return write_job(st, st->stmt[S_OVERWRITE], job, a);
}

static int
sq_job_delete(store *base, const char *id, int64_t expected_version)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_DELETE];
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, expected_version > 0 ? expected_version : 0);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return fail(st, rc);
	if (sqlite3_changes(st->db) > 0)
		return 0;
	/* Nothing deleted: no such job, or not the expected version. */
	s = st->stmt[S_VERSION_OF];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return ST(ABORTED);
	return rc == SQLITE_DONE ? ST(NOT_FOUND) : fail(st, rc);
}

static int
sq_has_jobs(store *base, bool *any)
{
	sq *st = (sq *)base;
	int64_t v = 0;
	int rv = step_int(st, S_ANY_JOB, &v);

	*any = v != 0;
	return rv;
}

static int
sq_gauges(store *base, struct store_gauges *out)
{
	sq *st = (sq *)base;
	const char *db = sqlite3_db_filename(st->db, "main");
	char wal[PATH_MAX];
	int64_t pages = 0, page_size = 0;
	struct stat sb;
	int rv;

	/* The counters each commit keeps (see the top), and the requests table's
	 * rowids: its rows go in and are pruned in rowid order. */
	if ((rv = pragma_int(st, "SELECT n FROM stat_totals WHERE key = 'total'", &out->jobs)) !=
	        0 ||
	    (rv = pragma_int(st, "SELECT coalesce(max(rowid) - min(rowid) + 1, 0) FROM requests",
	                     &out->dedup)) != 0 ||
	    (rv = pragma_int(st, "PRAGMA page_count", &pages)) != 0 ||
	    (rv = pragma_int(st, "PRAGMA page_size", &page_size)) != 0)
		return rv;
	out->db_bytes = pages * page_size;
	/* No WAL file is an empty WAL. */
	if (db != NULL && *db != '\0' && snprintf(wal, sizeof wal, "%s-wal", db) < (int)sizeof wal)
		out->wal_bytes = stat(wal, &sb) == 0 ? (int64_t)sb.st_size : 0;
	return 0;
}

static int
sq_meta_get(store *base, const char *key, char *buf, size_t size)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_META_GET];
	int rc, rv = 0;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
	else if (rc == SQLITE_DONE)
		rv = ST(NOT_FOUND);
	else
		rv = fail(st, rc);
	sqlite3_reset(s);
	return rv;
}

static int
sq_meta_put(store *base, const char *key, const char *value)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_META_PUT];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return run(st, S_META_PUT);
}

/* ---- remembered answers -------------------------------------------------- */

static int
sq_request_get(store *base, const char *request_id, arena *a, struct store_request *out)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_REQUEST_GET];
	int rc, rv = 0;

	sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		uint8_t *copy;

		out->call = sqlite3_column_int(s, 0);
		out->fingerprint = sqlite3_column_int64(s, 1);
		out->len = (size_t)sqlite3_column_bytes(s, 2);
		if ((copy = arena_alloc(a, out->len)) == NULL)
			rv = ST(RESOURCE_EXHAUSTED);
		else if (out->len > 0)
			memcpy(copy, sqlite3_column_blob(s, 2), out->len);
		out->response = copy;
	} else {
		rv = rc == SQLITE_DONE ? ST(NOT_FOUND) : fail(st, rc);
	}
	sqlite3_reset(s);
	return rv;
}

static int
sq_request_put(store *base, const char *request_id, const struct store_request *r, int64_t now_us)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_REQUEST_PUT];

	sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, r->call);
	sqlite3_bind_int64(s, 3, r->fingerprint);
	sqlite3_bind_blob(s, 4, r->response, (int)r->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now_us);
	return run(st, S_REQUEST_PUT);
}

static int
sq_request_prune(store *base, int64_t before_us, int limit, int *n)
{
	sq *st = (sq *)base;
	sqlite3_stmt *s = st->stmt[S_REQUEST_PRUNE];
	int rv;

	sqlite3_bind_int64(s, 1, before_us);
	sqlite3_bind_int(s, 2, limit);
	rv = run(st, S_REQUEST_PRUNE);
	*n = rv == 0 ? sqlite3_changes(st->db) : 0;
	return rv;
}

/* ---- backup, check, restore ---------------------------------------------- */

static int
sq_backup(store *base, const char *path, const atomic_bool *stop, int64_t *bytes, int64_t *jobs,
          char *why, size_t whylen)
{
	sq *st = (sq *)base;
	char partial[PATH_MAX];
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	struct stat sb;
	int fd, rc, rv;

	if (snprintf(partial, sizeof partial, "%s.partial", path) >= (int)sizeof partial) {
		snprintf(why, whylen, "path is too long");
		return ST(INVALID_ARGUMENT);
	}
	/* Nothing existing is written over or through: not `path` (lstat: a
	 * symlink counts), not the partial file (O_EXCL, O_NOFOLLOW). */
	if (lstat(path, &sb) == 0) {
		snprintf(why, whylen, "%s exists; back up to a new path", path);
		return ST(FAILED_PRECONDITION);
	}
	if ((fd = open(partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		snprintf(why, whylen,
		         errno == EEXIST ? "%s exists: a backup to this path is running, "
		                           "or one was interrupted (remove it)"
		                         : "cannot create %s: %s",
		         partial, strerror(errno));
		return errno == EEXIST ? ST(FAILED_PRECONDITION) : ST(INVALID_ARGUMENT);
	}
	close(fd);

	/* One read transaction for the whole copy: one snapshot, however many
	 * steps, and the writer never waits for us (WAL). */
	if ((rv = exec(st, "BEGIN")) != 0 || (rv = step_int(st, S_COUNT, jobs)) != 0) {
		snprintf(why, whylen, "cannot read the database: %s", st->base.errmsg);
		goto done;
	}
	if ((rc = sqlite3_open_v2(partial, &dst, SQLITE_OPEN_READWRITE, store_sqlite_vfs())) !=
	        SQLITE_OK ||
	    (b = sqlite3_backup_init(dst, "main", st->db, "main")) == NULL) {
		snprintf(why, whylen, "cannot write %s: %s", partial,
		         dst ? sqlite3_errmsg(dst) : "out of memory");
		rv = ST(UNAVAILABLE);
		goto done;
	}
	while ((rc = sqlite3_backup_step(b, 1024)) == SQLITE_OK || rc == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED) {
		if (atomic_load(stop)) {
			rc = SQLITE_INTERRUPT;
			break;
		}
		if (rc != SQLITE_OK)
			sqlite3_sleep(5);
	}
	/* finish says how the whole copy went (an error of any step, out of
	 * memory): a copy it fails is no backup. */
	if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	if (rc == SQLITE_INTERRUPT) {
		snprintf(why, whylen, "stopped: jobsd is shutting down");
		rv = ST(UNAVAILABLE);
	} else if (rc != SQLITE_DONE) {
		snprintf(why, whylen, "copy failed: %s", sqlite3_errstr(rc));
		rv = (rc & 0xff) == SQLITE_FULL ? ST(RESOURCE_EXHAUSTED) : ST(UNAVAILABLE);
	}
done:
	/* The read transaction ends whatever happened. It wrote nothing, so a
	 * failure here loses nothing, but the connection would stay in it
	 * and hold the WAL back from every checkpoint: say so. */
	if ((rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK &&
	    !sqlite3_get_autocommit(st->db)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		log_warn("backup: ending its read transaction: %s", sqlite3_errstr(rc));
	}
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rv == 0) {
		snprintf(why, whylen, "cannot finish %s", partial);
		rv = ST(UNAVAILABLE);
	}
	/* link() does not replace: `path` appears whole or not at all. */
	if (rv == 0 && link(partial, path) != 0) {
		snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
		rv = errno == EEXIST ? ST(FAILED_PRECONDITION) : ST(UNAVAILABLE);
	}
	unlink(partial);
	if (rv == 0) {
		files_sync_parent(path);
		*bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
	}
	return rv;
}

/* Runs PRAGMA integrity_check(max) on `db`; problems into out (from `a`). */
static int
integrity(sqlite3 *db, arena *a, int max, char ***out, size_t *n)
{
	char sql[64];
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	snprintf(sql, sizeof sql, "PRAGMA integrity_check(%d)", max);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	*out = a != NULL ? arena_alloc(a, sizeof **out * (size_t)max) : NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(s, 0);

		if (row == NULL || strcmp(row, "ok") == 0)
			continue;
		if (*out != NULL && *n < (size_t)max)
			(*out)[*n] = arena_strdup(a, row);
		(*n)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The counts GetStats reads (stat_values, stat_totals, stat_days) against a
 * count of the jobs: each row a mismatch (what, counted, actual). */
static const char counts_vs_jobs[] =
    "WITH actual (what, n) AS ("
    " SELECT 'total', count(*) FROM jobs UNION ALL"
    " SELECT 'enabled', count(*) FROM jobs WHERE enabled UNION ALL"
    " SELECT 'product ' || product, count(*) FROM jobs GROUP BY product UNION ALL"
    " SELECT 'language ' || language, count(*) FROM jobs GROUP BY language UNION ALL"
    " SELECT 'persona ' || persona, count(*) FROM jobs GROUP BY persona UNION ALL"
    " SELECT 'brand ' || brand_name, count(*) FROM jobs GROUP BY brand_name UNION ALL"
    " SELECT 'unique:product', count(DISTINCT product) FROM jobs UNION ALL"
    " SELECT 'unique:language', count(DISTINCT language) FROM jobs UNION ALL"
    " SELECT 'unique:persona', count(DISTINCT persona) FROM jobs UNION ALL"
    " SELECT 'unique:brand', count(DISTINCT brand_name) FROM jobs UNION ALL"
    " SELECT 'day ' || " DAY(
        "created_at") ", count(*) FROM jobs GROUP BY 1),"
                      " counted (what, n) AS ("
                      " SELECT key, n FROM stat_totals UNION ALL"
                      " SELECT dim || ' ' || value, n FROM stat_values UNION ALL"
                      " SELECT 'day ' || day, n FROM stat_days) "
                      "SELECT substr(what, 1, 80), coalesce(counted.n, 0), coalesce(actual.n, 0) "
                      "FROM counted "
                      "FULL JOIN actual USING (what) WHERE coalesce(counted.n, 0) != "
                      "coalesce(actual.n, 0) "
                      "LIMIT ?1";

/* Adds each mismatch of counts_vs_jobs to problems (from `a`). */
static int
counts_off(sq *st, arena *a, int max, char **problems, size_t *n)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, counts_vs_jobs, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int(s, 1, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (*n < (size_t)max)
			problems[(*n)++] = arena_printf(a, "count of %s: %lld counted, %lld jobs",
			                                (const char *)sqlite3_column_text(s, 0),
			                                (long long)sqlite3_column_int64(s, 1),
			                                (long long)sqlite3_column_int64(s, 2));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Adds a problem found outside integrity_check (corruption that stopped it). */
static void
add_problem(sq *st, arena *a, int max, char ***problems, size_t *n, const char *what)
{
	if (*problems == NULL || *n >= (size_t)max)
		return;
	(*problems)[(*n)++] = arena_printf(a, "%s: %s", what, sqlite3_errmsg(st->db));
}

static int
sq_check(store *base, arena *a, int max, char ***problems, size_t *n, int64_t *jobs, int64_t *bytes)
{
	sq *st = (sq *)base;
	int64_t pages = 0, page_size = 0;
	int rc;

	/* Damage is the check's finding, not its failure: corruption that stops
	 * a step is reported as a problem, and the rest still runs. */
	rc = integrity(st->db, a, max, problems, n);
	if (*n > (size_t)max)
		*n = (size_t)max;
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		add_problem(st, a, max, problems, n, "the integrity check stopped");
	else if (rc != SQLITE_OK)
		return fail(st, rc);
	if (step_int(st, S_COUNT, jobs) != 0) {
		*jobs = -1;
		add_problem(st, a, max, problems, n, "counting the jobs failed");
	}
	if (*n == 0 && (rc = counts_off(st, a, max, *problems, n)) != SQLITE_OK) {
		if (rc != SQLITE_CORRUPT && rc != SQLITE_NOTADB)
			return fail(st, rc);
		add_problem(st, a, max, problems, n, "comparing the counts stopped");
	}
	if (pragma_int(st, "PRAGMA page_count", &pages) != 0 ||
	    pragma_int(st, "PRAGMA page_size", &page_size) != 0)
		return ST(DATA_LOSS);
	*bytes = pages * page_size;
	return 0;
}

int
store_sqlite_restore(const char *db_path, const char *from, int64_t *jobs, char *why, size_t whylen)
{
	char tmp[PATH_MAX], kept[PATH_MAX], side[PATH_MAX + 8], stamp[32];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	time_t now = time(NULL);
	struct tm tm;
	struct stat sb;
	size_t problems = 0;
	char **unused = NULL;
	int64_t version = -1;
	int rc, e;

	if ((e = store_sqlite_cjk_init(why, whylen)) != 0)
		return e;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(tmp, sizeof tmp, "%s.restoring", db_path);
	snprintf(kept, sizeof kept, "%s.before-restore-%s", db_path, stamp);
	unlink(tmp);
	if ((e = files_copy(from, tmp, 0600)) != 0) {
		snprintf(why, whylen, "cannot copy %s: %s", from, strerror(e));
		return ST(INVALID_ARGUMENT);
	}

	/* Check the copy, never the original: opening it could leave files
	 * beside a backup someone keeps. */
	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, store_sqlite_vfs());
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (rc == SQLITE_OK && version >= 1 && version <= STORE_SCHEMA_VERSION)
		rc = integrity(db, NULL, 10, &unused, &problems);
	if (rc == SQLITE_OK && problems == 0 && version >= 1 && version <= STORE_SCHEMA_VERSION &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM jobs", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		*jobs = sqlite3_column_int64(s, 0);
	else
		version = -1;
	sqlite3_finalize(s);
	sqlite3_close(db);
	if (version < 0) {
		snprintf(why, whylen, "%s is not a sound jobs database %s", from,
		         problems ? "(the integrity check fails)" : "of this or an older schema");
		unlink(tmp);
		return ST(INVALID_ARGUMENT);
	}

	/* Keep what we replace, its WAL with it: the WAL holds committed data. */
	if (stat(db_path, &sb) == 0 && rename(db_path, kept) != 0) {
		snprintf(why, whylen, "cannot move %s aside: %s", db_path, strerror(errno));
		unlink(tmp);
		return ST(UNAVAILABLE);
	}
	snprintf(side, sizeof side, "%s-wal", db_path);
	if (stat(side, &sb) == 0) {
		char kept_wal[PATH_MAX + 8];
		snprintf(kept_wal, sizeof kept_wal, "%s-wal", kept);
		rename(side, kept_wal);
	}
	snprintf(side, sizeof side, "%s-shm", db_path);
	unlink(side);
	if (rename(tmp, db_path) != 0) {
		snprintf(why, whylen, "cannot put the copy in place: %s", strerror(errno));
		return ST(UNAVAILABLE);
	}
	files_sync_parent(db_path);
	return 0;
}

/* ---- the engine --------------------------------------------------------- */

static const struct store_ops sqlite_ops = {
    .traits = {.engine = "sqlite",
               .writers = 1,
               .checkpoints = true,
               .file_backups = true,
               .exclusive = true},
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .job_get = sq_job_get,
    .job_insert = sq_job_insert,
    .job_replace = sq_job_replace,
    .job_overwrite = sq_job_overwrite,
    .job_delete = sq_job_delete,
    .job_list = store_sqlite_list,
    .list_plan = store_sqlite_list_plan,
    .job_search = store_sqlite_search,
    .stats = store_sqlite_stats,
    .backup = sq_backup,
    .check = sq_check,
    .request_get = sq_request_get,
    .request_put = sq_request_put,
    .request_prune = sq_request_prune,
    .has_jobs = sq_has_jobs,
    .meta_get = sq_meta_get,
    .meta_put = sq_meta_put,
    .wal_pages = sq_wal_pages,
    .wal_appended = sq_wal_appended,
    .wal_sync = sq_wal_sync,
    .checkpoint = sq_checkpoint,
    .fullscan_steps = sq_fullscan_steps,
    .sorts = sq_sorts,
    .gauges = sq_gauges,
};
