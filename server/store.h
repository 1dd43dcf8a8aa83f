/*
 * store.h: the jobs database, whichever engine keeps it.
 *
 * A `store` is one connection to the database with its prepared statements.
 * `--db` names the database: a file path is SQLite (store_sqlite*.c), a
 * postgresql:// or postgres:// URI is PostgreSQL (store_pg*.c). Nothing
 * outside server/store*.c knows which one is in use; what differs between the
 * engines and matters to their callers (how many connections may write at
 * once, whether a write-ahead log needs copying by the owner) is asked through
 * store_traits(), and calls an engine has no use for are harmless no-ops
 * there.
 *
 * jobsd opens writer connections (the first one creates and migrates the
 * schema) and reader connections, one per thread that reads.
 *
 * Jobs come in and go out as protobuf-c Jobs__V1__Job structs: the contract's
 * type is the store's type. Strings in jobs the store returns are allocated
 * from the caller's arena.
 *
 * Every function returns 0 or a status code (status.h). On a failure,
 * store_errmsg() says what the database said, never a password.
 */
#ifndef JOBSD_STORE_H
#define JOBSD_STORE_H

#include "arena.h"
#include "jobs/v1/jobs.pb-c.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

typedef struct store store;

enum store_sync {
	STORE_SYNC_OFF,    /* no fsync: survives a crash of jobsd, not of the machine */
	STORE_SYNC_NORMAL, /* fsync at checkpoints: the last commits may roll back on power loss */
	STORE_SYNC_FULL,   /* fsync every commit: nothing acknowledged is lost */
};

typedef struct store_options {
	bool reader; /* a read-only connection: no schema work, no writes */
	/* The writer's commits; and for any connection, its checkpoints
	 * (store_checkpoint(): with STORE_SYNC_OFF they sync nothing). */
	enum store_sync sync;
	/* Writer only: its commits do not checkpoint the log into the database
	 * file; a connection of the caller's does, with store_checkpoint(),
	 * when store_wal_pages() says the log has grown. */
	bool background_checkpoints;
	/* Writer with STORE_SYNC_FULL only: COMMIT writes the log but does not
	 * wait for the disk; the owner makes its commits durable with
	 * store_wal_sync() before it acknowledges them, on another thread,
	 * while the writer goes on with the next transaction. Other
	 * connections may read a commit before it is durable. Engines that
	 * cannot defer (store_sync_deferred() false) commit durably. */
	bool deferred_sync;
	int cache_kib; /* page cache of this connection; 0: the engine's choice */
	/* Readers map up to this many MiB of the database into memory; 0: not
	 * at all. Mapped, a read of a page is a memory access instead of a
	 * pread() and a copy, which makes searches of a large database faster;
	 * but every page a reader touches then counts in the process's resident
	 * memory, once per reader. SQLite only. */
	int mmap_mib;
	int busy_timeout_ms; /* how long to wait for a lock; 0: 5000 */
	/* A reader of a hot standby (jobsd --read-db; PostgreSQL only): of the
	 * hosts its URI lists, a standby is preferred. Other connections go to
	 * the one host that takes writes. */
	bool replica;
} store_options;

/* The schema version this code writes (SQLite: PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 8

/* The engine `db` (a --db value) names. */
enum store_engine {
	STORE_SQLITE,     /* a file path */
	STORE_POSTGRESQL, /* postgresql:// or postgres:// */
	STORE_UNKNOWN,    /* another scheme://: refused, never taken for a path */
};
enum store_engine store_engine_of(const char *db);

/*
 * `db` for logs and messages: a path as it is; a URI without its password
 * (and without any parameter that could hold one), into buf[0..size).
 * Returns buf.
 */
const char *store_describe(const char *db, char *buf, size_t size);

/*
 * Opens the database `db` (a path or a URI, see store_engine_of). A writer
 * creates it (a file: mode 0600) and its schema, and migrates an older
 * schema to STORE_SCHEMA_VERSION; a reader requires it to exist at that
 * version. On failure returns a code and puts a reason in err[0..errlen);
 * *out is then NULL and needs no store_close().
 */
int store_open(store **out, const char *db, const store_options *opt, char *err, size_t errlen);

/* Finalises statements and closes. A SQLite writer checkpoints and truncates
 * the WAL first, so a cleanly stopped database is one file (a failure is
 * logged). NULL is a no-op. */
void store_close(store *st);

/* What the database last said on this connection, for logs and messages. */
const char *store_errmsg(const store *st);

/* The schema version of the open database. */
int store_schema_version(const store *st);

/* What the engine behind a store can do, for the plan of threads around it. */
struct store_traits {
	const char *engine; /* "sqlite", "postgresql" */
	/* How many connections may write at once to good effect: 1 for SQLite
	 * (one writer per database); PostgreSQL runs writes side by side. */
	int writers;
	/* Most calls a writer should put in one transaction by default: 0 for
	 * as many as are queued (--max-batch; SQLite's group commit), 1 for a
	 * transaction each (PostgreSQL, whose writers run in parallel and whose
	 * server groups their commits' flushes itself). */
	int batch;
	/* Whether the engine's log is copied into the database by connections
	 * of the caller's (store_checkpoint(), store_wal_pages()): SQLite with
	 * background_checkpoints. */
	bool checkpoints;
	/* Whether store_backup() writes files (SQLite); elsewhere it refuses,
	 * naming the engine's own tools. */
	bool file_backups;
	/* Whether this process is the database's only writer (SQLite: one
	 * jobsd per database), so that what it read stays true until it writes
	 * itself: what GetJob's reply cache needs. */
	bool exclusive;
};
struct store_traits store_traits(const store *st);

/*
 * The absolute wall-clock time (microseconds since the Unix epoch) after
 * which this connection's statements give up with DEADLINE_EXCEEDED: the
 * deadline of the call it serves now; 0: the engine's own limit. SQLite
 * ignores it (its statements are local and bounded by busy_timeout_ms).
 */
void store_set_deadline(store *st, int64_t deadline_us);

/* Brings up to date what the engine keeps off the write path (PostgreSQL:
 * folds the counts the writes noted into the totals GetStats starts from;
 * SQLite: nothing). A writer calls it now and then, outside a transaction.
 * 0 or a status. */
int store_tidy(store *st);

/* ---- the log and housekeeping (SQLite; elsewhere 0, false, no-ops) ------ */

/* Pages in the log after the writer's last commit (background_checkpoints
 * only; safe to read from any thread). */
int64_t store_wal_pages(const store *st);

/* deferred_sync: whether this writer was opened so (then store_wal_sync()
 * is what makes its commits durable). */
bool store_sync_deferred(const store *st);

/* deferred_sync: waits until everything written to the log so far, every
 * commit that returned included, is on disk. Safe from any thread while
 * the writer works. 0 or an errno value. */
int store_wal_sync(const store *st);

/* Frames the writer has appended to the log since it opened, across the
 * log's restarts: a count that only grows (background_checkpoints only;
 * safe to read from any thread). */
int64_t store_wal_appended(const store *st);

/* Frees what the store keeps between transactions for large ones (SQLite's
 * sub-journal buffers of batch writes, up to 128 MiB each, which the next
 * batch would otherwise have to fault in again). The writer calls it when
 * it has been idle a while. Safe from any thread. */
void store_trim_memory(void);

/* Copies what it can of the log into the database file, without waiting for
 * or blocking readers and the writer. Any connection but the writer; 0 or
 * UNAVAILABLE. *left (if not NULL): the frames it could not copy yet (a
 * reader still needed them). */
int store_checkpoint(store *st, int *left);

/*
 * The work this connection's statements have done since it opened: rows
 * stepped through in full scans of a table or of a whole index, and sorts
 * run. The tests hold Get, Update, Delete and List to no scan beyond the
 * rows a page returns, and the listings to no sort where an index has the
 * order. -1 each where the engine does not count (PostgreSQL).
 */
int64_t store_fullscan_steps(const store *st);
int64_t store_sorts(const store *st);

/*
 * Transactions. store_begin() starts a write transaction; store_commit()
 * brings the counts and text indexes up to date with the transaction's
 * writes and ends it; store_rollback() abandons it. Savepoints nest inside,
 * so that one failed call in a group commit undoes only its own writes:
 * store_savepoint() marks, store_release() keeps, store_rollback_to() undoes
 * back to the mark and releases it. A write that failed (other than
 * NOT_FOUND, ALREADY_EXISTS or ABORTED, which change nothing) leaves its
 * transaction to be rolled back, to the last savepoint or whole: PostgreSQL
 * runs nothing more in it.
 */
int store_begin(store *st);
int store_commit(store *st);
void store_rollback(store *st);
int store_savepoint(store *st);
int store_release(store *st);
int store_rollback_to(store *st);

/* The etag text of a stored version, and back. store_etag_parse returns -1
 * for text no version of this store could have. */
char *store_etag(arena *a, int64_t version);
int64_t store_etag_parse(const char *etag);

/* Reads one job by id. NOT_FOUND if there is none. */
int store_job_get(store *st, const char *id, arena *a, Jobs__V1__Job **out);

/*
 * Inserts `job`, all of whose fields the caller has filled (id, timestamps,
 * defaults). Sets job->etag (from `a`). ALREADY_EXISTS if the id is taken,
 * INVALID_ARGUMENT if a constraint of the schema refuses a value.
 */
int store_job_insert(store *st, Jobs__V1__Job *job, arena *a);

/*
 * store_job_insert() for a call that writes this one job (CreateJob): when
 * the transaction is the call's alone (no savepoint is open), an engine may
 * send the write with the COMMIT (PostgreSQL: one round trip less), and then
 * a taken id is ALREADY_EXISTS from store_commit(), the job written nowhere.
 */
int store_job_create(store *st, Jobs__V1__Job *job, arena *a);

/*
 * Overwrites the stored job with the same id, `was` as read in this
 * transaction, with `job` (created_at stays). Only the columns that differ
 * between the two are written, with updated_at and version, so that the
 * indexes of the others are left alone. Sets job->etag. NOT_FOUND if there
 * is none.
 */
int store_job_replace(store *st, const Jobs__V1__Job *was, Jobs__V1__Job *job, arena *a);

/*
 * Overwrites the stored job with the same id with `job`, every column but
 * the id, created_at included (a batch's replace_existing). Sets job->etag.
 * NOT_FOUND if there is none.
 */
int store_job_overwrite(store *st, Jobs__V1__Job *job, arena *a);

/* Deletes by id. NOT_FOUND if there is none; ABORTED, deleting nothing, if
 * expected_version > 0 and differs from the stored version. */
int store_job_delete(store *st, const char *id, int64_t expected_version);

/* ---- finding jobs --------------------------------------------------------- */

/* The key of a listing's order; the job id breaks ties in the same direction. */
enum store_order {
	STORE_BY_CREATED, /* created_at */
	STORE_BY_UPDATED, /* updated_at */
	STORE_BY_NAME,    /* job_name (bytes of the UTF-8) */
};

/* A page of a listing. Zero-initialised plus limit and max_bytes: the first
 * page of every job, newest first. */
typedef struct store_list {
	int limit;        /* most jobs to return, >= 1 */
	size_t max_bytes; /* stop early once the jobs' text passes this; >= 1 job always */
	const Jobs__V1__JobFilter *filter; /* NULL: no filter; its strings borrowed */
	enum store_order order;
	bool ascending;
	bool summary; /* read only id, job_name, product, enabled, created_at */
	/* Resume strictly after this position (in the listing's direction):
	 * the sort key (after_created for the time orders, whichever time it
	 * is; after_text for STORE_BY_NAME) and the id of the last job seen. */
	bool after;
	int64_t after_created;
	const char *after_text;
	const char *after_id;
} store_list;

typedef struct store_page {
	Jobs__V1__Job **jobs; /* n_jobs pointers, from the arena */
	size_t n_jobs;
	bool more; /* another job follows the last one returned */
} store_page;

/* A page of jobs in the order and from the position `q` gives. Filters are
 * exact matches and half-open time ranges (see JobFilter in the proto). */
int store_job_list(store *st, const store_list *q, arena *a, store_page *out);

/* The engine's plan for listing `q`, as text in out[0..outlen): for people
 * tuning indexes. */
int store_list_plan(store *st, const store_list *q, char *out, size_t outlen);

/* One word or phrase of a word search: its text as typed (the store quotes
 * it for its engine, so any text is safe), and whether its last word is a
 * prefix. */
typedef struct store_term {
	const char *text;
	bool prefix;
} store_term;

/* How many matches of a word search are ranked together (see SearchJobs). */
#define STORE_SEARCH_BLOCK 1000

typedef struct store_search {
	const store_term *terms; /* word search: all must match */
	size_t n_terms;
	/* Substring search instead, when not NULL: 3+ characters, or 1+ that
	 * are all CJK (cjk.c), which the engines find through the word index. */
	const char *substring;
	const Jobs__V1__JobFilter *filter;
	int limit;
	size_t max_bytes;
	bool summary;
	bool snippets;
	/* Resume after a position a previous page returned (store_hits). */
	bool after;
	int64_t block_top;    /* word search: the block's highest seq */
	int64_t block_bottom; /* ... and lowest (INT64_MIN: the last block) */
	bool in_block;        /* after_rank/after_seq are set */
	double after_rank;
	int64_t after_seq; /* both modes: the last result's seq */
} store_search;

typedef struct store_hits {
	store_page page;
	double *scores;  /* n_jobs: relevance, higher is better (0 for substrings) */
	char **snippets; /* n_jobs, when asked for; else NULL */
	/* Where the next page starts, when page.more. */
	int64_t block_top, block_bottom;
	bool in_block;
	double rank;
	int64_t seq;
} store_hits;

/* A page of search results. INVALID_ARGUMENT if the engine refuses the
 * query (it should not: the terms are quoted). */
int store_job_search(store *st, const store_search *q, arena *a, store_hits *out);

/* Statistics, from the counters the writes keep up to date: totals, the
 * top `top` values of each dimension, and jobs created on days
 * [day_from, day_to] (days since 1970-01-01 UTC). Fills `out` (initialised
 * by the caller) from `a`. */
int store_stats(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
                Jobs__V1__GetStatsResponse *out);

/* ---- keeping the data ------------------------------------------------------ */

/*
 * Copies the database as this (reader) connection sees it, all of it from one
 * snapshot, into a new file `path` (absolute). The copy is written to
 * path.partial and linked into place when complete, so `path` either does
 * not exist or is a whole copy. Between steps of pages it gives up, with
 * UNAVAILABLE, once *stop is true. FAILED_PRECONDITION if `path` exists, or
 * if the engine has tools of its own for this (PostgreSQL: the message
 * names them). On success *bytes is the copy's size and *jobs how many jobs
 * it holds.
 */
int store_backup(store *st, const char *path, const atomic_bool *stop, int64_t *bytes,
                 int64_t *jobs, char *why, size_t whylen);

/*
 * The engine's integrity checks of the database: *n problems (at most
 * `max`, strings from `a`; none when the database is sound), and the number
 * of jobs and the database's size in bytes.
 */
int store_check(store *st, arena *a, int max, char ***problems, size_t *n, int64_t *jobs,
                int64_t *bytes);

/*
 * Replaces the database `db` (a --db value) with a copy of the database file
 * `from`, after checking that `from` is a sound jobs database of this or an
 * older schema. The database being replaced is kept as
 * db.before-restore-YYYYMMDDTHHMMSSZ. The caller holds the database's
 * lock (no jobsd is using it). On success *jobs is how many jobs `from`
 * holds. FAILED_PRECONDITION for an engine with tools of its own.
 */
int store_restore(const char *db, const char *from, int64_t *jobs, char *why, size_t whylen);

/*
 * Remembered answers to writes, for idempotent retries (AIP-155): the
 * encoded Response of a successful write, under the request_id that asked
 * for it, with the call's number and a fingerprint of its message.
 *
 * store_request_get: 0 and the answer (bytes from `a`), or NOT_FOUND.
 * store_request_put: remembers one; call it inside the write's transaction,
 *   so the answer is kept exactly when the write is. A request_id that is
 *   remembered already (another writer answered it meanwhile) fails the
 *   transaction: ALREADY_EXISTS at once, or (PostgreSQL, which sends it
 *   with the next statement) that statement's or the COMMIT's failure.
 * store_request_prune: forgets up to `limit` answers older than `before_us`;
 *   *n is how many went.
 */
struct store_request {
	int call;            /* Request.call field number */
	int64_t fingerprint; /* of the call's encoded message */
	const uint8_t *response;
	size_t len;
};
int store_request_get(store *st, const char *request_id, arena *a, struct store_request *out);
/* Says which request_ids this transaction is about to look up with
 * store_request_get(), so that an engine for which each lookup is a round
 * trip (PostgreSQL) reads them all in one; until the transaction ends,
 * their lookups answer from what it read. Others ignore it. A failure only
 * loses the saving: the lookups then ask one by one. */
void store_request_prefetch(store *st, const char *const *request_ids, size_t n);
int store_request_put(store *st, const char *request_id, const struct store_request *r,
                      int64_t now_us);
int store_request_prune(store *st, int64_t before_us, int limit, int *n);

/*
 * What an operator watches of the store (GET /metrics), and whether it can
 * serve at all (GET /readyz). Each backend fills what it has and leaves -1
 * in the rest. Cheap enough for every scrape: no scan of jobs or requests.
 */
struct store_gauges {
	int64_t jobs;      /* jobs stored */
	int64_t db_bytes;  /* SQLite: the database file; PostgreSQL: the database */
	int64_t wal_bytes; /* SQLite: its write-ahead log */
	int64_t dedup;     /* answers to writes remembered for retries */
};

/* Fills `out` on this connection (an engine without figures leaves them all
 * -1, and answers store_has_jobs()'s status: whether it can be read). 0, or
 * the status of a database that cannot be read (UNAVAILABLE when it cannot
 * be reached; store_errmsg() says why): jobsd is then not ready. Within the
 * connection's deadline (store_set_deadline()). */
int store_gauges(store *st, struct store_gauges *out);

/* Whether the database holds any job. */
int store_has_jobs(store *st, bool *any);

/* Whether the connection's server is a hot standby (in recovery: it serves
 * reads, takes no writes); false on SQLite. 0 or a status. */
int store_is_standby(store *st, bool *standby);

/* The meta table's value for `key`, as text into buf (cut to size);
 * NOT_FOUND when there is none. store_meta_put (writer only) sets it, in a
 * transaction of its own unless one is open. */
int store_meta_get(store *st, const char *key, char *buf, size_t size);
int store_meta_put(store *st, const char *key, const char *value);

#endif
