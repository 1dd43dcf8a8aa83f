/*
 * store_pg.c: the jobs database on PostgreSQL: connections, statements run
 * within a deadline, transactions, single-job reads and writes, remembered
 * answers, check. The schema and its migrations are in store_pg_schema.c,
 * the finding queries in store_pg_find.c. See store.h for the interface.
 *
 * CONNECTIONS. A store is one libpq connection, opened from the --db URI
 * (multi-host lists and parameters included; libpq's environment, PGPASSFILE,
 * PGSSLMODE and the rest, fills what the URI leaves out). jobsd keeps a pool
 * of them: a writer per writer thread, a reader per reader thread, and the
 * inline lane's. Point statements are prepared once per connection, on first
 * use; the finding queries, whose best plan depends on the values, are
 * planned for each call.
 *
 * Every statement is sent and then waited for with poll(), until the
 * deadline of the call it serves (store_set_deadline; else STMT_LIMIT_US):
 * past it the statement is cancelled and the call gets DEADLINE_EXCEEDED. A
 * connection that breaks (the server restarted, the network went) fails the
 * call in flight with UNAVAILABLE, which the client retries; the next call
 * reopens it, at most once per REOPEN_US, so that a server that is down costs
 * each call one failed connect attempt at most, and jobsd serves again by
 * itself when the server is back. A transaction the connection took with it
 * is gone: its calls were answered UNAVAILABLE, never OK.
 *
 * WRITES IN PARALLEL. Unlike SQLite, PostgreSQL runs writes side by side:
 * store_traits().writers connections write at once, each its own
 * transactions. What two writers could race for is settled by the database:
 * an id by its UNIQUE index (INSERT ... ON CONFLICT DO NOTHING: the loser is
 * ALREADY_EXISTS, and its transaction lives on), a job being updated by the
 * row lock a writer's read takes (SELECT ... FOR UPDATE in a write
 * transaction), versions by one sequence. Counts are rows added, never
 * updated (stat_changes), so writers never queue on a counter.
 *
 * Passwords: store_errmsg() and open's errors hold what the server or libpq
 * said, which never includes the URI; a URI libpq cannot parse is reported
 * without libpq's words, which could quote it.
 */
#include "hash.h"
#include "log.h"
#include "status.h"
#include "store_pg.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A statement with no deadline of its call's waits at most this long. */
#define STMT_LIMIT_US (30 * 1000000LL)
/* A broken connection is tried again at most this often. */
#define REOPEN_US (500 * 1000LL)
/* Connecting waits at most this long (less if the call's deadline is nearer). */
#define CONNECT_LIMIT_US (10 * 1000000LL)
/* After a cancel, how long the server may take to stop before the
 * connection is given up. */
#define CANCEL_GRACE_US (2 * 1000000LL)

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_US 946684800000000LL

/* Type OIDs (pg_type.h, stable across versions). */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_INT8 = 20,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_JSON = 114,
	OID_TIMESTAMPTZ = 1184
};

/* ---- statements ---------------------------------------------------------------- */

#define JOB_PARAMS "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $15, $16"

enum stmt_id {
	S_GET,
	S_GET_FOR_UPDATE,
	S_INSERT,
	S_INSERT_DEFERRED,
	S_VERSIONS,
	S_REPLACE,
	S_OVERWRITE,
	S_DELETE,
	S_VERSION_OF,
	S_REQUEST_CLAIM,
	S_REQUEST_GET,
	S_REQUEST_PUT,
	S_REQUEST_PRUNE,
	S_ANY_JOB,
	S_META_GET,
	S_META_PUT,
	N_STMTS
};

/* The parameters of the statements that write a job: a job's columns in
 * STORE_JOB_COLUMNS order, $1..$16 ($14, version, only as a condition). */
static const Oid job_types[N_COLUMNS] = {
    [C_ID] = OID_TEXT,
    [C_JOB_NAME] = OID_TEXT,
    [C_PRODUCT] = OID_TEXT,
    [C_PERSONA] = OID_TEXT,
    [C_SETTING] = OID_TEXT,
    [C_EMOTION] = OID_TEXT,
    [C_HOOK] = OID_TEXT,
    [C_VOICE] = OID_TEXT,
    [C_LANGUAGE] = OID_TEXT,
    [C_BRAND] = OID_TEXT,
    [C_ENABLED] = OID_BOOL,
    [C_CREATED] = OID_TIMESTAMPTZ,
    [C_UPDATED] = OID_TIMESTAMPTZ,
    [C_VERSION] = OID_INT8,
    [C_SETTINGS] = OID_JSON,
    [C_EXTRA] = OID_JSON,
};

static const char *const stmt_sql[N_STMTS] = {
    [S_GET] = "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE id = $1",
    /* In a write transaction: the row stays as read until the commit, so
     * read, check (an etag), write is atomic among parallel writers. */
    [S_GET_FOR_UPDATE] = "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE id = $1 FOR UPDATE",
    /* A taken id (even one another writer is inserting now) inserts
     * nothing and leaves the transaction usable. */
    [S_INSERT] = "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, hook, "
                 "elevenlabs_voice_id, language, brand_name, enabled, created_at, "
                 "updated_at, enhanced_settings, extra) VALUES (" JOB_PARAMS
                 ") ON CONFLICT (id) DO NOTHING RETURNING version",
    /* Sent with the COMMIT (pg_job_create): a taken id fails it, as a
     * unique violation on jobs_id_key. The version was taken ahead. */
    [S_INSERT_DEFERRED] = "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, "
                          "hook, elevenlabs_voice_id, language, brand_name, enabled, "
                          "created_at, updated_at, version, enhanced_settings, extra) VALUES "
                          "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
                          "$16)",
    [S_VERSIONS] = "SELECT nextval('job_versions') FROM generate_series(1, $1)",
    /* Against the version read (and locked) in this transaction. */
    [S_REPLACE] = "UPDATE jobs SET (job_name, product, persona, setting, emotion, hook, "
                  "elevenlabs_voice_id, language, brand_name, enabled, updated_at, "
                  "enhanced_settings, extra, version) = ($2, $3, $4, $5, $6, $7, $8, $9, "
                  "$10, $11, $13, $15, $16, nextval('job_versions')) WHERE id = $1 AND "
                  "version = $14 RETURNING version",
    [S_OVERWRITE] = "UPDATE jobs SET (job_name, product, persona, setting, emotion, hook, "
                    "elevenlabs_voice_id, language, brand_name, enabled, created_at, "
                    "updated_at, enhanced_settings, extra, version) = ($2, $3, $4, $5, $6, "
                    "$7, $8, $9, $10, $11, $12, $13, $15, $16, nextval('job_versions')) "
                    "WHERE id = $1 RETURNING version",
    [S_DELETE] = "DELETE FROM jobs WHERE id = $1 AND ($2 = 0 OR version = $2)",
    [S_VERSION_OF] = "SELECT version FROM jobs WHERE id = $1",
    /* Held until the transaction ends; see pg_request_get(). */
    [S_REQUEST_CLAIM] = "SELECT pg_advisory_xact_lock($1, $2)",
    [S_REQUEST_GET] = "SELECT call, fingerprint, response FROM requests WHERE request_id = $1",
    /* Another jobsd answering the same request at once: the unique key
     * fails one of them, and its transaction (store_request_put). */
    [S_REQUEST_PUT] = "INSERT INTO requests VALUES ($1, $2, $3, $4, $5)",
    /* The oldest first, at most $2, none that another pruner holds. */
    [S_REQUEST_PRUNE] = "DELETE FROM requests WHERE request_id IN (SELECT request_id FROM "
                        "requests WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR "
                        "UPDATE SKIP LOCKED)",
    [S_ANY_JOB] = "SELECT EXISTS (SELECT 1 FROM jobs)",
    [S_META_GET] = "SELECT value FROM meta WHERE key = $1",
    [S_META_PUT] = "INSERT INTO meta VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET "
                   "value = excluded.value",
};

/* ---- the connection --------------------------------------------------------------- */

/* Statements that wait to go with the next one, in one round trip: each
 * costs a trip through the network and the scheduler otherwise, and what
 * they say matters only if they fail (see defer()). */
#define MAX_DEFERRED 8
/* Versions a connection takes from the sequence at once, for the inserts
 * it defers: one round trip for this many creates. */
#define VERSIONS_AHEAD 64

struct deferred {
	int id;          /* a prepared statement, or -1 for sql */
	const char *sql; /* static text */
	struct pg_params p;
	char *buf; /* the values of p, copied */
	/* Part of the statement that follows it (defer_with_next()): its failure
	 * is that statement's, not the transaction's. */
	bool with_next;
};

/* A request_id looked up ahead (store_request_prefetch), and its answer if
 * one was remembered. */
struct prefetched {
	char *id;
	bool found;
	int call;
	int64_t fingerprint;
	uint8_t *response;
	size_t len;
};

struct pg_store {
	struct store base; /* first: a store * is a pg_store * */
	PGconn *conn;      /* NULL while closed (never opened, or broken) */
	char *uri;         /* the --db value, for reopening */
	bool reader;
	bool replica; /* store_options.replica */
	enum store_sync sync;
	struct deferred deferred[MAX_DEFERRED];
	int n_deferred;
	bool in_txn;   /* between begin and commit/rollback */
	bool txn_sent; /* ... and its BEGIN has gone to the server */
	bool txn_lost; /* ... and the connection broke since */
	/* ... and a deferred statement of it failed (see run()): its code and
	 * why; 0 while none has. */
	int txn_failed;
	char txn_why[256];
	int savepoints; /* open savepoints */
	/* What store_request_prefetch() read, for this transaction. */
	struct prefetched *known;
	size_t n_known;
	int64_t deadline_us; /* of the call served now; 0: none */
	/* The last statement run was cancelled at its deadline, and succeeded
	 * all the same (a COMMIT: see pg_commit()). */
	bool cancelled;
	int64_t reopen_at_us; /* no connect attempt before this */
	uint32_t prepared;    /* bit per stmt_id prepared on this connection */
	/* Versions taken from job_versions ahead, for deferred inserts. */
	int64_t versions[VERSIONS_AHEAD];
	int n_versions;
};

typedef struct pg_store pg;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The server's notices (an empty text search, ...) are not for jobsd's log. */
static void
ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's message, on one line (it ends them with a newline, and some span
 * two: "connection to server ... failed: Connection refused\n\tIs the
 * server running ..."). */
static void
keep_message(pg *st, const char *what, const char *msg)
{
	char *p = st->base.errmsg;
	size_t n;

	snprintf(p, sizeof st->base.errmsg, "%s%s%s", what, *what ? ": " : "",
	         msg != NULL && *msg ? msg : "no reason given");
	for (char *c = p; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	n = strlen(p);
	while (n > 0 && p[n - 1] == ' ')
		p[--n] = '\0';
}

/* Closes a connection that broke: calls fail UNAVAILABLE until it reopens. */
static void
drop_connection(pg *st)
{
	PQfinish(st->conn);
	st->conn = NULL;
	st->prepared = 0;
	st->savepoints = 0;
	if (st->in_txn && st->txn_sent)
		st->txn_lost = true;
}

/* Maps a failed result (or, res NULL, the connection's state) to a status,
 * remembering the message. */
static int
fail_result(pg *st, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		msg = st->conn != NULL ? PQerrorMessage(st->conn) : "the connection is closed";
	keep_message(st, "", msg);
	if (st->conn == NULL || PQstatus(st->conn) == CONNECTION_BAD) {
		drop_connection(st);
		return ST(UNAVAILABLE);
	}
	if (state == NULL)
		return ST(INTERNAL);
	/* read_only_sql_transaction: the server takes no writes. It is a
	 * standby (the URI let libpq settle on one: target_session_attrs=any),
	 * or a primary an administrator made read-only. Either way this
	 * connection is of no use to a writer: the next call connects again,
	 * and libpq walks the URI's hosts for one that takes writes. */
	if (strcmp(state, "25006") == 0) {
		keep_message(
		    st, "",
		    "the database server takes no writes (a standby, or read-only); "
		    "jobsd's --db must reach the primary (target_session_attrs=read-write)");
		drop_connection(st);
		return ST(UNAVAILABLE);
	}
	if (strcmp(state, "23505") == 0) {
		const char *c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		const char *key = detail != NULL ? strstr(detail, "(id)=(") : NULL;

		/* "Key (id)=(X) already exists." names the job in its words. */
		size_t rest = key != NULL ? strlen(key + 6) : 0;

		if (c != NULL && strcmp(c, "jobs_id_key") == 0 &&
		    rest >= sizeof ") already exists.")
			snprintf(st->base.errmsg, sizeof st->base.errmsg,
			         "a job with id '%.*s' already exists",
			         (int)(rest - (sizeof ") already exists." - 1)), key + 6);
		return ST(ALREADY_EXISTS);
	}
	if (strcmp(state, "57014") == 0) /* cancelled: the deadline passed */
		return ST(DEADLINE_EXCEEDED);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0) /* a conflicting transaction: try again */
		return ST(UNAVAILABLE);
	if (strcmp(state, "53300") == 0 || strncmp(state, "57P", 3) == 0) /* shutting down */
		return ST(UNAVAILABLE);
	switch (state[0] == '\0' ? 0 : state[0] * 256 + state[1]) {
	case '0' * 256 + '8': /* connection exception */
		return ST(UNAVAILABLE);
	case '2' * 256 + '2': /* data exception */
	case '2' * 256 + '3': /* integrity constraint violation */
		return ST(INVALID_ARGUMENT);
	case '5' * 256 + '3': /* insufficient resources: disk full, out of memory */
		return ST(RESOURCE_EXHAUSTED);
	case 'X' * 256 + 'X': /* internal error: data corrupted */
		return strcmp(state, "XX000") == 0 ? ST(INTERNAL) : ST(DATA_LOSS);
	default:
		return ST(INTERNAL);
	}
}

/* When the statement being sent must be answered by: the call's deadline,
 * or STMT_LIMIT_US from now; as a monotonic time. */
static int64_t
wait_until(const pg *st)
{
	int64_t wall = now_us(), limit = wall + STMT_LIMIT_US;

	if (st->deadline_us > 0 && st->deadline_us < limit)
		limit = st->deadline_us;
	return mono_us() + (limit - wall);
}

/* Waits until the socket is ready for `events` or until `until` (monotonic).
 * 1 ready, 0 timed out, -1 failed. */
static int
wait_socket(PGconn *conn, short events, int64_t until)
{
	for (;;) {
		int64_t left = until - mono_us();
		struct pollfd p = {.fd = PQsocket(conn), .events = events};
		int rc;

		if (p.fd < 0)
			return -1;
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)(left / 1000 + 1));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Flushes what was sent and waits until a result can be read without
 * blocking, cancelling the statement at `until` (and then waiting a grace
 * period more). 0, or -1 when the connection must be given up. */
static int
wait_ready(pg *st, int64_t *until, bool *cancelled)
{
	PGconn *c = st->conn;

	for (;;) {
		int f = PQflush(c);
		if (f < 0)
			return -1;
		if (f == 0)
			break;
		if (wait_socket(c, POLLOUT | POLLIN, *until) <= 0)
			return -1; /* a server that takes no bytes: give the connection up */
		if (!PQconsumeInput(c))
			return -1;
	}
	while (PQisBusy(c)) {
		int w = wait_socket(c, POLLIN, *until);

		if (w < 0)
			return -1;
		if (w == 0) {
			char why[256];
			PGcancel *k;

			if (*cancelled)
				return -1; /* the cancel did not take */
			if ((k = PQgetCancel(c)) == NULL || !PQcancel(k, why, sizeof why)) {
				PQfreeCancel(k);
				return -1;
			}
			PQfreeCancel(k);
			*cancelled = true;
			*until = mono_us() + CANCEL_GRACE_US;
			continue;
		}
		if (!PQconsumeInput(c))
			return -1;
	}
	return 0;
}

static int
broken(pg *st, bool cancelled)
{
	const char *msg = PQerrorMessage(st->conn);

	/* The first line says it ("server closed the connection
	 * unexpectedly"); libpq's next ones guess at why. */
	snprintf(st->base.errmsg, sizeof st->base.errmsg, "the database connection failed: %.*s",
	         (int)strcspn(msg, "\n"), msg);
	drop_connection(st);
	return cancelled ? ST(DEADLINE_EXCEEDED) : ST(UNAVAILABLE);
}

/* After a PQsend*() outside pipeline mode: waits for the whole answer until
 * the deadline, and returns its result in *res (NULL if none): of several
 * statements in one text, the first that failed, else the last. 0, or a
 * status (the connection may then be dropped). */
static int
await(pg *st, int64_t until, PGresult **res)
{
	bool cancelled = false;
	PGresult *r, *kept = NULL;

	*res = NULL;
	for (;;) {
		if (wait_ready(st, &until, &cancelled) != 0) {
			PQclear(kept);
			return broken(st, cancelled);
		}
		if ((r = PQgetResult(st->conn)) == NULL)
			break;
		if (kept != NULL && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(kept);
		kept = r;
	}
	if (cancelled && kept != NULL && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
		keep_message(st, "", "the call's deadline passed; the statement was cancelled");
		PQclear(kept);
		return ST(DEADLINE_EXCEEDED);
	}
	st->cancelled = cancelled;
	*res = kept;
	return 0;
}

/* Whether r is a success. */
static bool
ok(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Applies the session's settings to a new connection. */
static int
session_setup(pg *st, int64_t until)
{
	char sql[256];
	PGresult *r;
	int rv;

	/* synchronous_commit: the --sync modes. A commit PostgreSQL has not
	 * flushed is lost only if the server (not jobsd) crashes, so normal,
	 * which promises to survive a crash of jobsd, needs no flush either. */
	/* idle_in_transaction_session_timeout: jobsd never leaves a transaction
	 * waiting on itself, so one that idles is a jobsd that died where its
	 * socket could not say so (a machine lost, a cable cut). Its row locks
	 * and request_id claims would hold up the other jobsd's retries of the
	 * same calls until the server's TCP keepalive noticed: hours, by default. */
	snprintf(sql, sizeof sql,
	         "SET synchronous_commit = %s; SET default_transaction_read_only = %s; "
	         "SET TIME ZONE 'UTC'; SET idle_in_transaction_session_timeout = '10s'",
	         st->sync == STORE_SYNC_FULL ? "on" : "off", st->reader ? "on" : "off");
	if (!PQsendQuery(st->conn, sql))
		return fail_result(st, NULL);
	if ((rv = await(st, until, &r)) != 0)
		return rv;
	if (r == NULL || !ok(r))
		rv = fail_result(st, r);
	PQclear(r);
	return rv;
}

/*
 * Why no connection could be made, in one line. libpq says it per host
 * tried, each in a line "connection to server at "H", port P failed: WHY",
 * perhaps followed by a tab-indented guess; of a URI of three nodes that is
 * three lines and a half: kept here as "H:P: WHY; ...". When the hosts that
 * answered were read-only, the line says there is no primary.
 */
static void
connect_failed(pg *st, const char *msg)
{
	static const char head[] = "connection to server at \"";
	char out[sizeof st->base.errmsg];
	size_t n = 0;
	int hosts = 0, read_only = 0;

	for (const char *line = msg; *line != '\0' && n < sizeof out;) {
		size_t len = strcspn(line, "\n");
		const char *at = line, *why;
		char host[64];
		int port, used = 0;

		if (*line != '\t' && strncmp(line, head, sizeof head - 1) == 0 &&
		    sscanf(line + sizeof head - 1, "%63[^\"]\", port %d failed: %n", host, &port,
		           &used) == 2 &&
		    used > 0) {
			why = line + sizeof head - 1 + used;
			hosts++;
			read_only += strncmp(why, "session is read-only", 20) == 0 ||
			             strncmp(why, "server is in hot standby mode", 29) == 0;
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s:%d: %.*s",
			                      hosts > 1 ? "; " : "", host, port,
			                      (int)(len - (size_t)(why - at)), why);
		} else if (*line != '\t' && hosts == 0 && len > 0) {
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%.*s", n > 0 ? " " : "",
			                      (int)len, line);
		}
		line += len + (line[len] == '\n');
	}
	if (n == 0)
		snprintf(out, sizeof out, "no reason given");
	if (read_only > 0) /* the others did not answer */
		keep_message(st, "no database server takes writes (none is a primary now)", out);
	else
		keep_message(st, "cannot connect to the database", out);
}

/* Opens the connection within `until` (monotonic). 0 or a status. */
static int
connect_now(pg *st, int64_t until)
{
	/* Our defaults, where libpq's environment says nothing: jobsd's text is
	 * UTF-8, its connections are named for pg_stat_activity, and a connect
	 * never waits on a dead host for minutes. Of the hosts a URI lists,
	 * libpq takes the first that is up and, for --db, takes writes: the
	 * primary, whichever node that is since the last failover; for
	 * --read-db, a standby if one is up. */
	const struct {
		const char *key, *env, *value;
	} defaults[] = {
	    {"connect_timeout", "PGCONNECT_TIMEOUT", "10"},
	    {"application_name", "PGAPPNAME", "jobsd"},
	    {"client_encoding", "PGCLIENTENCODING", "UTF8"},
	    {"target_session_attrs", "PGTARGETSESSIONATTRS",
	     st->replica ? "prefer-standby" : "read-write"},
	};
	const char *keys[8], *values[8];
	PostgresPollingStatusType s = PGRES_POLLING_WRITING;
	PGconn *c;
	int n = 0, rv;

	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (getenv(defaults[i].env) == NULL) {
			keys[n] = defaults[i].key;
			values[n++] = defaults[i].value;
		}
	/* The URI last: what it says overrides the rest (expand_dbname). */
	keys[n] = "dbname";
	values[n++] = st->uri;
	keys[n] = values[n] = NULL;
	if ((c = PQconnectStartParams(keys, values, 1)) == NULL) {
		keep_message(st, "", "out of memory");
		return ST(RESOURCE_EXHAUSTED);
	}
	st->conn = c;
	while (PQstatus(c) != CONNECTION_BAD && s != PGRES_POLLING_OK &&
	       s != PGRES_POLLING_FAILED) {
		int w = wait_socket(c, s == PGRES_POLLING_READING ? POLLIN : POLLOUT, until);

		if (w <= 0) {
			keep_message(st, "cannot connect to the database",
			             w == 0 ? "timed out" : strerror(errno));
			PQfinish(c);
			st->conn = NULL;
			return ST(UNAVAILABLE);
		}
		s = PQconnectPoll(c);
	}
	if (PQstatus(c) != CONNECTION_OK) {
		connect_failed(st, PQerrorMessage(c));
		PQfinish(c);
		st->conn = NULL;
		return ST(UNAVAILABLE);
	}
	PQsetNoticeProcessor(c, ignore_notice, NULL);
	if (PQserverVersion(c) < 140000) {
		keep_message(st, "",
		             "jobsd needs PostgreSQL 14 or newer (15 is what it is tested on)");
		PQfinish(c);
		st->conn = NULL;
		return ST(FAILED_PRECONDITION);
	}
	st->prepared = 0;
	st->savepoints = 0;
	if ((rv = session_setup(st, until)) != 0) {
		PQfinish(st->conn);
		st->conn = NULL;
		return rv;
	}
	return 0;
}

/* Whether the server closed this idle connection, or is closing it: it has
 * sent something unasked. That is its last words (a FATAL error before the
 * end of the stream, which libpq reads apart: the connection looks fine
 * until the next statement fails on it), or at worst a parameter's new
 * value (in_hot_standby after a promotion), for which a new connection
 * costs no more than a reconnect. */
static bool
went_away(pg *st)
{
	struct pollfd p = {.fd = PQsocket(st->conn), .events = POLLIN};

	return p.fd < 0 || poll(&p, 1, 0) > 0;
}

/* A usable connection, reopened if it broke (at most once per REOPEN_US).
 * UNAVAILABLE while it cannot be, and for the rest of a transaction whose
 * connection broke. */
static int
ready(pg *st)
{
	int64_t now = mono_us(), until;

	if (st->txn_lost) {
		keep_message(st, "",
		             "the database connection broke during the transaction; nothing of "
		             "it was written");
		return ST(UNAVAILABLE);
	}
	if (st->txn_failed != 0) {
		keep_message(st, "", st->txn_why);
		return st->txn_failed;
	}
	/* A server that went away (restarted, failed over, ended the session)
	 * has closed the connection while it idled: found out now, before a
	 * call is sent on it and fails, the connection is opened again at
	 * once, walking the URI's hosts for the one that takes writes. Inside a
	 * transaction it would be lost all the same. */
	if (st->conn != NULL && !(st->in_txn && st->txn_sent) && went_away(st)) {
		drop_connection(st);
		st->reopen_at_us = 0;
	}
	if (st->conn != NULL)
		return 0;
	if (now < st->reopen_at_us) {
		if (st->base.errmsg[0] == '\0')
			keep_message(st, "", "the database cannot be reached");
		return ST(UNAVAILABLE);
	}
	st->reopen_at_us = now + REOPEN_US;
	until = wait_until(st);
	if (until > now + CONNECT_LIMIT_US)
		until = now + CONNECT_LIMIT_US;
	return connect_now(st, until);
}

/* ---- running statements --------------------------------------------------------- */

static void
param(struct pg_params *p, Oid type, const char *value, int len, int format)
{
	if (p->n == PG_MAX_PARAMS)
		abort(); /* the statements are ours: a bug, not input */
	p->types[p->n] = type;
	p->values[p->n] = value;
	p->lengths[p->n] = len;
	p->formats[p->n] = format;
	p->n++;
}

void
store_pg_text(struct pg_params *p, const char *s)
{
	param(p, OID_TEXT, s, s != NULL ? (int)strlen(s) : 0, 1);
}

void
store_pg_json(struct pg_params *p, const char *s)
{
	param(p, OID_JSON, s != NULL && *s != '\0' ? s : NULL, s != NULL ? (int)strlen(s) : 0, 1);
}

void
store_pg_bytes(struct pg_params *p, const void *data, size_t len)
{
	param(p, OID_BYTEA, data != NULL ? data : "", (int)len, 1);
}

static void
param_be64(struct pg_params *p, Oid type, uint64_t v)
{
	uint64_t be = htobe64(v);

	memcpy(p->bin[p->n], &be, 8);
	param(p, type, p->bin[p->n], 8, 1);
}

void
store_pg_int8(struct pg_params *p, int64_t v)
{
	param_be64(p, OID_INT8, (uint64_t)v);
}

void
store_pg_time(struct pg_params *p, int64_t unix_us)
{
	param_be64(p, OID_TIMESTAMPTZ, (uint64_t)(unix_us - PG_EPOCH_US));
}

void
store_pg_int4(struct pg_params *p, int32_t v)
{
	uint32_t be = htonl((uint32_t)v);

	memcpy(p->bin[p->n], &be, 4);
	param(p, OID_INT4, p->bin[p->n], 4, 1);
}

void
store_pg_bool(struct pg_params *p, bool v)
{
	p->bin[p->n][0] = v ? 1 : 0;
	param(p, OID_BOOL, p->bin[p->n], 1, 1);
}

static uint64_t
be64_at(const PGresult *r, int row, int col)
{
	uint64_t be = 0;

	if (!PQgetisnull(r, row, col) && PQgetlength(r, row, col) == 8)
		memcpy(&be, PQgetvalue(r, row, col), 8);
	return be64toh(be);
}

int64_t
store_pg_get_int8(const PGresult *r, int row, int col)
{
	return (int64_t)be64_at(r, row, col);
}

int64_t
store_pg_get_time(const PGresult *r, int row, int col)
{
	return (int64_t)be64_at(r, row, col) + PG_EPOCH_US;
}

double
store_pg_get_float8(const PGresult *r, int row, int col)
{
	uint64_t u = be64_at(r, row, col);
	double d;

	memcpy(&d, &u, sizeof d);
	return d;
}

int32_t
store_pg_get_int4(const PGresult *r, int row, int col)
{
	uint32_t be = 0;

	if (!PQgetisnull(r, row, col) && PQgetlength(r, row, col) == 4)
		memcpy(&be, PQgetvalue(r, row, col), 4);
	return (int32_t)ntohl(be);
}

bool
store_pg_get_bool(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] != 0;
}

char *
store_pg_get_text(const PGresult *r, int row, int col, arena *a)
{
	if (PQgetisnull(r, row, col))
		return arena_strdup(a, "");
	return arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

/* A result that must be a success: 0, or its status (and it is cleared). */
static int
check(pg *st, PGresult *r)
{
	int rv;

	if (r != NULL && ok(r))
		return 0;
	rv = fail_result(st, r);
	PQclear(r);
	return rv;
}

/* Keeps a statement to send with the next one (run()): BEGIN, SAVEPOINT,
 * RELEASE, a remembered answer. Its parameters are copied. A failure of
 * its shows as the failure of the statement it went with, and leaves the
 * transaction to be rolled back, as any failed write does. */
static int
defer(pg *st, int id, const char *sql, const struct pg_params *p)
{
	struct deferred *d;
	size_t total = 0;
	char *at;

	if (st->txn_lost || st->txn_failed != 0)
		return ready(st); /* the transaction is over: it says why */
	if (st->n_deferred == MAX_DEFERRED)
		return store_failf(&st->base, ST(INTERNAL), "too many statements deferred");
	d = &st->deferred[st->n_deferred];
	memset(d, 0, sizeof *d);
	d->id = id;
	d->sql = sql;
	if (p != NULL) {
		d->p = *p;
		for (int i = 0; i < p->n; i++)
			total += p->values[i] != NULL ? (size_t)p->lengths[i] : 0;
		if (total > 0 && (d->buf = malloc(total)) == NULL)
			return store_failf(&st->base, ST(RESOURCE_EXHAUSTED), "out of memory");
		at = d->buf;
		for (int i = 0; i < p->n; i++) {
			if (p->values[i] == NULL)
				continue;
			memcpy(at, p->values[i], (size_t)p->lengths[i]);
			d->p.values[i] = at;
			at += p->lengths[i];
		}
	}
	st->n_deferred++;
	return 0;
}

/* defer(), as part of the statement that will follow (see struct deferred). */
static int
defer_with_next(pg *st, int id, const struct pg_params *p)
{
	int rv = defer(st, id, NULL, p);

	if (rv == 0)
		st->deferred[st->n_deferred - 1].with_next = true;
	return rv;
}

static void
drop_deferred(pg *st)
{
	for (int i = 0; i < st->n_deferred; i++)
		free(st->deferred[i].buf);
	st->n_deferred = 0;
}

/* Forgets what store_request_prefetch() read. */
static void
forget_known(pg *st)
{
	for (size_t i = 0; i < st->n_known; i++) {
		free(st->known[i].id);
		free(st->known[i].response);
	}
	free(st->known);
	st->known = NULL;
	st->n_known = 0;
}

/* The queries of one round trip, in order: -1 for a statement, or the
 * stmt_id a PREPARE of it is for (its success is known only once read). */
#define MAX_QUERIES (2 * MAX_DEFERRED + 2)

/* Sends statement `id` (prepared), or `sql` (planned for these values),
 * with p (NULL: none). Prepares `id` first on this connection if need be;
 * what it sent is added to kinds[*sent..]. */
static bool
send_one(pg *st, int id, const char *sql, const struct pg_params *p, int *kinds, int *sent)
{
	static const struct pg_params none = {0};
	char name[16];

	if (p == NULL)
		p = &none;
	if (id < 0) {
		kinds[(*sent)++] = -1;
		return PQsendQueryParams(st->conn, sql, p->n, p->types, p->values, p->lengths,
		                         p->formats, 1) == 1;
	}
	snprintf(name, sizeof name, "s%d", id);
	if (!(st->prepared & (1u << id))) {
		if (!PQsendPrepare(st->conn, name, stmt_sql[id], p->n, p->types))
			return false;
		kinds[(*sent)++] = id;
		st->prepared |= 1u << id; /* until its result says otherwise */
	}
	kinds[(*sent)++] = -1;
	return PQsendQueryPrepared(st->conn, name, p->n, p->values, p->lengths, p->formats, 1) == 1;
}

/* Nothing more of the transaction runs: every statement, and the COMMIT,
 * fails with `code` until it is rolled back whole; errmsg says why. */
static void
end_transaction(pg *st, int code)
{
	if (st->in_txn && !st->txn_lost && st->txn_failed == 0) {
		st->txn_failed = code;
		snprintf(st->txn_why, sizeof st->txn_why,
		         "an earlier statement of the transaction failed (%.150s); nothing of "
		         "it is written",
		         st->base.errmsg);
	}
}

/*
 * A statement deferred into the transaction failed: BEGIN, a SAVEPOINT or
 * RELEASE, a remembered answer. In a group of calls (savepoints open), its
 * failure surfaced as the failure of a later statement, perhaps another
 * call's, after the savepoints that the callers think were taken or
 * released were skipped: a ROLLBACK TO now would undo a call that was
 * answered as written. So the transaction ends (end_transaction()), and a
 * request_id answered meanwhile by another jobsd (ALREADY_EXISTS) becomes
 * UNAVAILABLE: a retry gets that answer. A transaction that is one call's
 * fails as that call, with what failed (a create's taken id, sent with the
 * COMMIT). Returns the code for the statement at hand.
 */
static int
fail_transaction(pg *st, int code)
{
	if (st->savepoints == 0)
		return code;
	if (code == ST(ALREADY_EXISTS)) {
		code = ST(UNAVAILABLE);
		keep_message(st, "",
		             "another jobsd answered one of these requests meanwhile; retry "
		             "with the same request_id to get its answer");
	} else if (code == ST(INVALID_ARGUMENT) || code == ST(NOT_FOUND) || code == ST(ABORTED) ||
	           code == ST(FAILED_PRECONDITION)) {
		code = ST(INTERNAL); /* no answer about the calls, whose input is not at fault */
	}
	end_transaction(st, code);
	return code;
}

/*
 * Runs the deferred statements and then this one (`id` >= 0: a prepared
 * statement of stmt_sql; else `sql`, planned for its values) in one round
 * trip, within the deadline. 0 and *res (the caller PQclear()s it), or a
 * status with store_errmsg() saying why: the first failure among them.
 */
static int
run(pg *st, int id, const char *sql, const struct pg_params *p, PGresult **res)
{
	bool cancelled = false, failed_txn = false;
	int64_t until;
	int sent = 0, got = 0, rv = 0, kinds[MAX_QUERIES], txn_queries = 0;
	PGresult *r, *mine = NULL, *failed = NULL;

	*res = NULL;
	if ((rv = ready(st)) != 0) {
		/* No connection for a transaction that has begun: it is over,
		 * and what was deferred for it can never be sent. */
		end_transaction(st, rv);
		drop_deferred(st);
		return rv;
	}
	until = wait_until(st);
	if (st->n_deferred == 0 && (id < 0 || (st->prepared & (1u << id)))) {
		if (!send_one(st, id, sql, p, kinds, &sent))
			return fail_result(st, NULL);
		if ((rv = await(st, until, &r)) != 0)
			return rv;
		if ((rv = check(st, r)) == 0)
			*res = r;
		return rv;
	}

	/* A pipeline: everything in one go, then the results in order. */
	if (!PQenterPipelineMode(st->conn))
		return fail_result(st, NULL);
	for (int i = 0; i < st->n_deferred; i++) {
		struct deferred *d = &st->deferred[i];
		if (!send_one(st, d->id, d->sql, &d->p, kinds, &sent))
			goto lost;
		if (d->sql != NULL && strcmp(d->sql, "BEGIN") == 0)
			st->txn_sent = true;
		if (!d->with_next)
			txn_queries = sent;
	}
	if (!send_one(st, id, sql, p, kinds, &sent) || !PQpipelineSync(st->conn))
		goto lost;
	drop_deferred(st);
	while (got < sent) {
		if (wait_ready(st, &until, &cancelled) != 0)
			goto lost;
		if ((r = PQgetResult(st->conn)) == NULL) {
			got++; /* the end of one query's results */
			continue;
		}
		/* A PREPARE the pipeline skipped (an earlier query failed) did
		 * not happen: its statement is prepared again next time. */
		if (kinds[got] >= 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
			st->prepared &= ~(1u << kinds[got]);
		if (got == sent - 1 && mine == NULL) {
			mine = r;
		} else if (failed == NULL && PQresultStatus(r) == PGRES_FATAL_ERROR) {
			failed = r;
			failed_txn = got < txn_queries;
		} else {
			PQclear(r);
		}
	}
	if (wait_ready(st, &until, &cancelled) != 0)
		goto lost;
	r = PQgetResult(st->conn);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		goto lost;
	}
	PQclear(r);
	if (!PQexitPipelineMode(st->conn))
		goto lost;
	if (failed != NULL) {
		PQclear(mine);
		rv = cancelled ? ST(DEADLINE_EXCEEDED) : check(st, failed);
		if (failed_txn)
			rv = fail_transaction(st, rv);
		return rv;
	}
	if (cancelled && mine != NULL && PQresultStatus(mine) == PGRES_FATAL_ERROR) {
		PQclear(mine);
		keep_message(st, "", "the call's deadline passed; the statement was cancelled");
		return ST(DEADLINE_EXCEEDED);
	}
	st->cancelled = cancelled;
	if ((rv = check(st, mine)) == 0)
		*res = mine;
	return rv;
lost:
	PQclear(mine);
	PQclear(failed);
	drop_deferred(st);
	return broken(st, cancelled);
}

int
store_pg_query(store *base, const char *sql, const struct pg_params *p, PGresult **res)
{
	return run((pg *)base, -1, sql, p, res);
}

/* Runs prepared statement `id`. */
static int
run_stmt(pg *st, enum stmt_id id, const struct pg_params *p, PGresult **res)
{
	return run(st, (int)id, NULL, p, res);
}

/* Runs a statement that returns nothing (BEGIN, ROLLBACK, ...). */
static int
run_simple(pg *st, const char *sql)
{
	PGresult *r;
	int rv = run(st, -1, sql, NULL, &r);

	PQclear(r);
	return rv;
}

/* Runs several statements in one text (a migration): the simple protocol,
 * no parameters, nothing deferred. */
static int
run_script(pg *st, const char *sql)
{
	PGresult *r;
	int rv;

	if ((rv = ready(st)) != 0)
		return rv;
	if (!PQsendQuery(st->conn, sql))
		return fail_result(st, NULL);
	if ((rv = await(st, wait_until(st), &r)) != 0)
		return rv;
	if ((rv = check(st, r)) == 0)
		PQclear(r);
	return rv;
}

static void
pg_set_deadline(store *base, int64_t deadline_us)
{
	((pg *)base)->deadline_us = deadline_us;
}

/* ---- open and close --------------------------------------------------------------- */

/* The schema's version: 0 for a database jobsd never wrote to. */
static int
schema_version(pg *st, int64_t *v)
{
	PGresult *r;
	int rv =
	    store_pg_query(&st->base, "SELECT to_regclass('jobsd_schema') IS NOT NULL", NULL, &r);

	*v = 0;
	if (rv != 0 || !store_pg_get_bool(r, 0, 0)) {
		PQclear(r);
		return rv;
	}
	PQclear(r);
	rv = store_pg_query(&st->base, "SELECT coalesce(max(version), 0)::int8 FROM jobsd_schema",
	                    NULL, &r);
	if (rv == 0)
		*v = store_pg_get_int8(r, 0, 0);
	PQclear(r);
	return rv;
}

/* Brings the schema up to STORE_PG_SCHEMA_VERSION in one transaction, under
 * an advisory lock: jobsd's starting at once take turns, and the later ones
 * find the work done. */
static int
migrate(pg *st, char *err, size_t errlen)
{
	char sql[160];
	PGresult *r = NULL;
	int64_t v = 0, was;
	int rv;

	snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%lld)",
	         (long long)STORE_PG_MIGRATION_LOCK);
	if ((rv = run_simple(st, "BEGIN")) != 0 || (rv = run_simple(st, sql)) != 0)
		goto failed;
	if ((rv = schema_version(st, &v)) != 0)
		goto failed;
	if (v > STORE_PG_SCHEMA_VERSION) {
		run_simple(st, "ROLLBACK");
		snprintf(err, errlen,
		         "database schema version %" PRId64 " is newer than this jobsd's (%d)", v,
		         STORE_PG_SCHEMA_VERSION);
		return ST(FAILED_PRECONDITION);
	}
	for (was = v; v < STORE_PG_SCHEMA_VERSION; v++) {
		struct pg_params p = {0};

		if ((rv = run_script(st, store_pg_migrations[v])) != 0)
			goto failed;
		store_pg_int4(&p, (int32_t)v + 1);
		store_pg_text(&p, JOBS_VERSION);
		if ((rv = store_pg_query(
		         &st->base, "INSERT INTO jobsd_schema (version, jobsd) VALUES ($1, $2)", &p,
		         &r)) != 0)
			goto failed;
		PQclear(r);
	}
	if ((rv = run_simple(st, "COMMIT")) != 0)
		goto failed;
	/* Statistics for what the migrations changed (a statistics target, an
	 * index): ANALYZE in their transaction would not see the new targets.
	 * The migration is committed by now: an ANALYZE that fails (its time
	 * limit on a large table) leaves it to autovacuum, and jobsd starts. */
	if (was < STORE_PG_SCHEMA_VERSION && run_simple(st, "ANALYZE jobs") != 0)
		log_warn("ANALYZE jobs after the migration failed (autovacuum will analyze "
		         "it later; until then searches may be planned on old statistics): %s",
		         st->base.errmsg);
	return 0;
failed:
	snprintf(err, errlen, "schema migration failed: %s", st->base.errmsg);
	if (st->conn != NULL)
		run_simple(st, "ROLLBACK");
	return rv;
}

static const struct store_ops pg_ops;
static int pg_is_standby(store *base, bool *standby);

static void
pg_close(store *base)
{
	pg *st = (pg *)base;

	drop_deferred(st);
	forget_known(st);
	PQfinish(st->conn);
	free(st->uri);
	free(st);
}

int
store_pg_open(store **out, const char *uri, const store_options *opt, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *parsed = PQconninfoParse(uri, &perr);
	pg *st;
	int64_t v = 0;
	int rv;

	*out = NULL;
	PQconninfoFree(parsed);
	if (parsed == NULL) {
		/* libpq's words quote the URI, and a URI may hold a password. */
		PQfreemem(perr);
		snprintf(
		    err, errlen,
		    "--db is not a PostgreSQL connection URI libpq can read "
		    "(postgresql://[user[:password]@][host][:port][/dbname][?param=value&...])");
		return ST(INVALID_ARGUMENT);
	}
	if ((st = calloc(1, sizeof *st)) == NULL || (st->uri = strdup(uri)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return ST(RESOURCE_EXHAUSTED);
	}
	st->base.ops = &pg_ops;
	st->reader = opt->reader || opt->replica;
	st->replica = opt->replica;
	st->sync = opt->sync;
	if ((rv = ready(st)) != 0) {
		snprintf(err, errlen, "%s", st->base.errmsg);
		goto failed;
	}
	/* A writer on a standby would start and then fail every write: the
	 * URI let libpq settle on one (target_session_attrs=any). */
	if (!st->reader) {
		bool standby = false;

		if ((rv = pg_is_standby(&st->base, &standby)) != 0) {
			snprintf(err, errlen, "%s", st->base.errmsg);
			goto failed;
		}
		if (standby) {
			snprintf(err, errlen,
			         "the database server --db reaches is a standby, which takes no "
			         "writes: give the primary, or every node with "
			         "target_session_attrs=read-write (the default)");
			rv = ST(FAILED_PRECONDITION);
			goto failed;
		}
	}
	if (!st->reader && (rv = migrate(st, err, errlen)) != 0)
		goto failed;
	if ((rv = schema_version(st, &v)) != 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", st->base.errmsg);
		goto failed;
	}
	if (v != STORE_PG_SCHEMA_VERSION) {
		snprintf(err, errlen,
		         v == 0 ? "the database has no jobsd schema yet (a jobsd writer makes it)"
		                : "database schema version is %" PRId64 ", this jobsd needs %d",
		         v, STORE_PG_SCHEMA_VERSION);
		rv = ST(FAILED_PRECONDITION);
		goto failed;
	}
	st->base.schema_version = (int)v;
	st->base.errmsg[0] = '\0';
	*out = &st->base;
	return 0;
failed:
	pg_close(&st->base);
	return rv;
}

/* ---- transactions ------------------------------------------------------------------- */

/* BEGIN, SAVEPOINT, RELEASE and ROLLBACK TO go with the statement that
 * follows them (defer()): a write transaction costs the round trips of its
 * reads and writes, and its COMMIT's. */
static int
pg_begin(store *base)
{
	pg *st = (pg *)base;
	int rv;

	drop_deferred(st);
	forget_known(st);
	st->txn_lost = false;
	st->txn_sent = false;
	st->txn_failed = 0;
	st->savepoints = 0;
	if ((rv = defer(st, -1, "BEGIN", NULL)) == 0)
		st->in_txn = true;
	return rv;
}

static int
pg_commit(store *base)
{
	pg *st = (pg *)base;
	PGresult *r;
	int rv;

	if (!st->txn_sent && st->n_deferred == 1) { /* nothing but BEGIN */
		drop_deferred(st);
		st->in_txn = false;
		return 0;
	}
	rv = run(st, -1, "COMMIT", NULL, &r);
	/* COMMIT of a transaction an error ended answers ROLLBACK, not an error;
	 * either way the transaction is over. Otherwise a failure leaves it to
	 * the caller's store_rollback(). */
	if (rv == 0) {
		st->in_txn = false;
		forget_known(st);
		if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
			keep_message(st, "", "the transaction was rolled back");
			rv = ST(ABORTED);
		} else if (st->cancelled) {
			/* A COMMIT outlives its time only waiting for a synchronous
			 * standby (synchronous_standby_names) that does not confirm.
			 * Cancelling the wait leaves the transaction committed on the
			 * primary alone, which a failover would lose: not what an
			 * acknowledgement promises, so the callers hear UNAVAILABLE.
			 * A retry with the same request_id is answered from the
			 * remembered answer, which is on the primary now too. */
			keep_message(
			    st, "",
			    "committed on the primary, but no synchronous standby confirmed "
			    "it in time; retry with the same request_id");
			rv = ST(UNAVAILABLE);
		}
	}
	PQclear(r);
	/* A remembered answer deferred to here, which another jobsd gave first:
	 * a retry finds that answer. (A deferred job's taken id is what
	 * fail_result() said: ALREADY_EXISTS, naming it.) */
	if (rv == ST(ALREADY_EXISTS) && strstr(st->base.errmsg, "a job with id") == NULL)
		rv = store_failf(base, ST(UNAVAILABLE),
		                 "another jobsd answered one of these requests meanwhile; retry "
		                 "with the same request_id to get its answer");
	return rv;
}

static void
pg_rollback(store *base)
{
	pg *st = (pg *)base;

	drop_deferred(st);
	forget_known(st);
	st->txn_failed = 0; /* what it stopped is what this undoes */
	if (st->in_txn && st->txn_sent && !st->txn_lost && st->conn != NULL)
		run_simple(st, "ROLLBACK");
	st->in_txn = false;
	st->txn_sent = false;
	st->txn_lost = false;
	st->savepoints = 0;
}

static const char savepoint_sql[] = "SAVEPOINT call";

static int
pg_savepoint(store *base)
{
	pg *st = (pg *)base;
	int rv = defer(st, -1, savepoint_sql, NULL);

	if (rv == 0)
		st->savepoints++;
	return rv;
}

/* A savepoint nothing was sent after (the call ran no statement: refused
 * before it reached the store) is taken back, not released or rolled back
 * to: nothing for the server, and the deferred statements of a group of
 * such calls stay few. */
static bool
unsent_savepoint(pg *st)
{
	struct deferred *d;

	if (st->n_deferred == 0 || (d = &st->deferred[st->n_deferred - 1])->sql != savepoint_sql)
		return false;
	free(d->buf);
	st->n_deferred--;
	st->savepoints--;
	return true;
}

static int
pg_release(store *base)
{
	pg *st = (pg *)base;
	int rv;

	if (unsent_savepoint(st))
		return 0;
	if ((rv = defer(st, -1, "RELEASE SAVEPOINT call", NULL)) == 0)
		st->savepoints--;
	return rv;
}

static int
pg_rollback_to(store *base)
{
	pg *st = (pg *)base;
	int rv;

	if (unsent_savepoint(st))
		return 0;
	if ((rv = defer(st, -1, "ROLLBACK TO SAVEPOINT call", NULL)) != 0 ||
	    (rv = defer(st, -1, "RELEASE SAVEPOINT call", NULL)) != 0)
		return rv;
	st->savepoints--;
	return 0;
}

/* ---- jobs ---------------------------------------------------------------------------- */

int
store_pg_row_to_job(const PGresult *r, int row, arena *a, Jobs__V1__Job **out, size_t *bytes)
{
	Jobs__V1__Job *j = arena_alloc(a, sizeof *j);
	size_t n = 0;

	if (j == NULL)
		return ST(RESOURCE_EXHAUSTED);
	jobs__v1__job__init(j);
	for (int c = C_ID; c <= C_BRAND; c++) {
		if ((*store_job_text_at(j, c) = store_pg_get_text(r, row, c, a)) == NULL)
			return ST(RESOURCE_EXHAUSTED);
		n += (size_t)PQgetlength(r, row, c);
	}
	j->enabled = store_pg_get_bool(r, row, C_ENABLED);
	j->created_at = store_pg_get_time(r, row, C_CREATED);
	j->updated_at = store_pg_get_time(r, row, C_UPDATED);
	j->etag = store_etag(a, store_pg_get_int8(r, row, C_VERSION));
	j->enhanced_settings = store_pg_get_text(r, row, C_SETTINGS, a);
	j->extra = store_pg_get_text(r, row, C_EXTRA, a);
	if (j->etag == NULL || j->enhanced_settings == NULL || j->extra == NULL)
		return ST(RESOURCE_EXHAUSTED);
	n += (size_t)PQgetlength(r, row, C_SETTINGS) + (size_t)PQgetlength(r, row, C_EXTRA);
	if (bytes != NULL)
		*bytes += n;
	*out = j;
	return 0;
}

/* The parameters $1..$16 of the statements that write a job. */
static void
job_params(struct pg_params *p, const Jobs__V1__Job *j, int64_t version)
{
	for (int c = 0; c < N_COLUMNS; c++) {
		switch (job_types[c]) {
		case OID_TEXT:
			store_pg_text(p, store_job_text(j, c));
			break;
		case OID_JSON:
			store_pg_json(p, store_job_text(j, c));
			break;
		case OID_BOOL:
			store_pg_bool(p, j->enabled);
			break;
		case OID_TIMESTAMPTZ:
			store_pg_time(p, c == C_CREATED ? j->created_at : j->updated_at);
			break;
		default:
			store_pg_int8(p, version);
		}
	}
}

static int
pg_job_get(store *base, const char *id, arena *a, Jobs__V1__Job **out)
{
	pg *st = (pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	store_pg_text(&p, id);
	if ((rv = run_stmt(st, st->in_txn ? S_GET_FOR_UPDATE : S_GET, &p, &r)) != 0)
		return rv;
	rv = PQntuples(r) == 0 ? ST(NOT_FOUND) : store_pg_row_to_job(r, 0, a, out, NULL);
	PQclear(r);
	return rv;
}

/* Runs a statement of job_params() that returns the new version, and sets
 * the job's etag from it. `none` is the status when no row was written. */
static int
write_job(pg *st, enum stmt_id id, Jobs__V1__Job *job, int64_t version, arena *a, int none)
{
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	job_params(&p, job, version);
	if ((rv = run_stmt(st, id, &p, &r)) != 0)
		return rv;
	if (PQntuples(r) == 0)
		rv = none;
	else if ((job->etag = store_etag(a, store_pg_get_int8(r, 0, 0))) == NULL)
		rv = ST(RESOURCE_EXHAUSTED);
	PQclear(r);
	return rv;
}

static int
pg_job_insert(store *base, Jobs__V1__Job *job, arena *a)
{
	return write_job((pg *)base, S_INSERT, job, 0, a, ST(ALREADY_EXISTS));
}

/* The next of the versions this connection took ahead. */
static int
next_version(pg *st, int64_t *v)
{
	if (st->n_versions == 0) {
		struct pg_params p = {0};
		PGresult *r;
		int rv;

		store_pg_int4(&p, VERSIONS_AHEAD);
		if ((rv = run_stmt(st, S_VERSIONS, &p, &r)) != 0)
			return rv;
		for (int i = PQntuples(r) - 1; i >= 0; i--) /* used from the end: lowest first */
			st->versions[st->n_versions++] = store_pg_get_int8(r, i, 0);
		PQclear(r);
		if (st->n_versions == 0)
			return store_failf(&st->base, ST(INTERNAL), "job_versions gave no value");
	}
	*v = st->versions[--st->n_versions];
	return 0;
}

/* A transaction that is the call's alone sends the insert with its COMMIT
 * (store.h): one round trip less for a CreateJob. */
static int
pg_job_create(store *base, Jobs__V1__Job *job, arena *a)
{
	pg *st = (pg *)base;
	struct pg_params p = {0};
	int64_t version = 0;
	int rv;

	if (!st->in_txn || st->savepoints > 0)
		return pg_job_insert(base, job, a);
	if ((rv = next_version(st, &version)) != 0)
		return rv;
	job_params(&p, job, version);
	if ((rv = defer(st, S_INSERT_DEFERRED, NULL, &p)) != 0)
		return rv;
	return (job->etag = store_etag(a, version)) != NULL ? 0 : ST(RESOURCE_EXHAUSTED);
}

static int
pg_job_replace(store *base, const Jobs__V1__Job *was, Jobs__V1__Job *job, arena *a)
{
	pg *st = (pg *)base;
	int64_t version = store_etag_parse(was->etag);
	int rv = write_job(st, S_REPLACE, job, version, a, ST(NOT_FOUND));

	/* Nothing written: gone, or changed since `was` was read (without the
	 * row lock of a write transaction). */
	if (rv == ST(NOT_FOUND)) {
		struct pg_params p = {0};
		PGresult *r;

		store_pg_text(&p, job->id);
		if ((rv = run_stmt(st, S_VERSION_OF, &p, &r)) != 0)
			return rv;
		rv = PQntuples(r) == 0
		         ? ST(NOT_FOUND)
		         : store_failf(base, ST(ABORTED),
		                       "job '%s' changed while it was being updated", job->id);
		PQclear(r);
	}
	return rv;
}

static int
pg_job_overwrite(store *base, Jobs__V1__Job *job, arena *a)
{
	return write_job((pg *)base, S_OVERWRITE, job, 0, a, ST(NOT_FOUND));
}

static int
pg_job_delete(store *base, const char *id, int64_t expected_version)
{
	pg *st = (pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	store_pg_text(&p, id);
	store_pg_int8(&p, expected_version > 0 ? expected_version : 0);
	if ((rv = run_stmt(st, S_DELETE, &p, &r)) != 0)
		return rv;
	rv = strcmp(PQcmdTuples(r), "0") != 0 ? 0 : -1;
	PQclear(r);
	if (rv == 0)
		return 0;
	/* Nothing deleted: no such job, or not the expected version. */
	p.n = 1;
	if ((rv = run_stmt(st, S_VERSION_OF, &p, &r)) != 0)
		return rv;
	rv = PQntuples(r) > 0 ? ST(ABORTED) : ST(NOT_FOUND);
	PQclear(r);
	return rv;
}

static int
pg_has_jobs(store *base, bool *any)
{
	struct pg_params p = {0};
	PGresult *r;
	int rv = run_stmt((pg *)base, S_ANY_JOB, &p, &r);

	if (rv == 0)
		*any = store_pg_get_bool(r, 0, 0);
	PQclear(r);
	return rv;
}

static int
pg_is_standby(store *base, bool *standby)
{
	PGresult *r;
	int rv = store_pg_query(base, "SELECT pg_is_in_recovery()", NULL, &r);

	if (rv == 0)
		*standby = store_pg_get_bool(r, 0, 0);
	PQclear(r);
	return rv;
}

static int
pg_meta_get(store *base, const char *key, char *buf, size_t size)
{
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	store_pg_text(&p, key);
	if ((rv = run_stmt((pg *)base, S_META_GET, &p, &r)) != 0)
		return rv;
	if (PQntuples(r) == 0)
		rv = ST(NOT_FOUND);
	else
		snprintf(buf, size, "%.*s", PQgetlength(r, 0, 0), PQgetvalue(r, 0, 0));
	PQclear(r);
	return rv;
}

static int
pg_meta_put(store *base, const char *key, const char *value)
{
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	store_pg_text(&p, key);
	store_pg_text(&p, value);
	rv = run_stmt((pg *)base, S_META_PUT, &p, &r);
	PQclear(r);
	return rv;
}

/* ---- remembered answers -------------------------------------------------------------- */

/* The second key of a request_id's claim: a hash of the id. */
static int32_t
request_key(const char *request_id)
{
	uint64_t h = hash_bytes(request_id, strlen(request_id));
	return (int32_t)(uint32_t)(h ^ (h >> 32));
}

/*
 * In a write transaction the request_id is claimed before it is looked up:
 * an advisory lock of the transaction's, keyed by a hash of the id. Whoever
 * is answering the same request_id at this moment (another writer of this
 * jobsd, another jobsd: a client's retry that overtook its first attempt)
 * holds it until their transaction ends, so the lookup, a statement that
 * starts after the lock is granted, sees their answer if they committed one,
 * and the request is never run twice. Without the claim both would find
 * nothing and run it; the second's remembered answer would then collide
 * with the first's at COMMIT, after its write had run: an INSERT of a job
 * with the id the first just created would say ALREADY_EXISTS to a client
 * whose create succeeded. A group claims its ids together, in one order
 * (claim_all()); two lookups one by one that claim two ids in opposite
 * orders deadlock, and PostgreSQL ends one claim (UNAVAILABLE, retried)
 * after deadlock_timeout. A hash collision only makes two requests take
 * turns. An id store_request_prefetch() claimed and read is answered from
 * what it read, kept up to date by pg_request_put().
 */
static int
pg_request_get(store *base, const char *request_id, arena *a, struct store_request *out)
{
	pg *st = (pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	uint8_t *copy;
	int rv;

	for (size_t i = 0; i < st->n_known; i++) {
		const struct prefetched *k = &st->known[i];

		if (strcmp(k->id, request_id) != 0)
			continue;
		if (!k->found)
			return ST(NOT_FOUND);
		out->call = k->call;
		out->fingerprint = k->fingerprint;
		out->len = k->len;
		if ((copy = arena_alloc(a, k->len)) == NULL)
			return ST(RESOURCE_EXHAUSTED);
		if (k->len > 0)
			memcpy(copy, k->response, k->len);
		out->response = copy;
		return 0;
	}
	if (st->in_txn) {
		store_pg_int4(&p, STORE_PG_REQUEST_LOCK);
		store_pg_int4(&p, request_key(request_id));
		if ((rv = defer_with_next(st, S_REQUEST_CLAIM, &p)) != 0)
			return rv;
		p.n = 0;
	}
	store_pg_text(&p, request_id);
	if ((rv = run_stmt(st, S_REQUEST_GET, &p, &r)) != 0)
		return rv;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return ST(NOT_FOUND);
	}
	out->call = store_pg_get_int4(r, 0, 0);
	out->fingerprint = store_pg_get_int8(r, 0, 1);
	out->len = (size_t)PQgetlength(r, 0, 2);
	if ((copy = arena_alloc(a, out->len)) == NULL)
		rv = ST(RESOURCE_EXHAUSTED);
	else if (out->len > 0)
		memcpy(copy, PQgetvalue(r, 0, 2), out->len);
	out->response = copy;
	PQclear(r);
	return rv;
}

static int
by_key(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Claims the request_ids (see pg_request_get()) with the statement that
 * follows, in the order of their keys: two groups claiming some of the
 * same ids wait for each other, never in a circle. 0 or a status. */
static int
claim_all(pg *st, const char *const *ids, size_t n)
{
	struct pg_params p = {0};
	int32_t *keys = malloc(sizeof *keys * n);
	char *text = malloc(12 * n + 3), *d = text;
	int rv;

	if (keys == NULL || text == NULL) {
		free(keys);
		free(text);
		return store_failf(&st->base, ST(RESOURCE_EXHAUSTED), "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = request_key(ids[i]);
	qsort(keys, n, sizeof *keys, by_key);
	*d++ = '{';
	for (size_t i = 0; i < n; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			d += sprintf(d, "%s%" PRId32, i > 0 ? "," : "", keys[i]);
	*d++ = '}';
	*d = '\0';
	store_pg_int4(&p, STORE_PG_REQUEST_LOCK);
	p.types[1] = 1007; /* int4[], as text */
	p.values[1] = text;
	p.lengths[1] = (int)(d - text) + 1; /* with its NUL, which defer() copies */
	p.formats[1] = 0;
	p.n = 2;
	rv = defer(st, -1, "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k", &p);
	if (rv == 0)
		st->deferred[st->n_deferred - 1].with_next = true;
	free(keys);
	free(text);
	return rv;
}

/* One query for the lot, in the transaction (its BEGIN goes with it): a
 * text[] of the ids. Each id is quoted for the array's text form. The ids
 * are claimed first (claim_all()), in the same round trip. */
static void
pg_request_prefetch(store *base, const char *const *ids, size_t n)
{
	pg *st = (pg *)base;
	struct pg_params p = {0};
	size_t len = 3;
	char *array, *d;
	PGresult *r;
	struct prefetched *k;
	int rv;

	if (!st->in_txn)
		return;
	for (size_t i = 0; i < n; i++)
		len += 2 * strlen(ids[i]) + 3;
	if ((array = malloc(len)) == NULL ||
	    (k = realloc(st->known, sizeof *k * (st->n_known + n))) == NULL) {
		free(array);
		return;
	}
	st->known = k;
	if (claim_all(st, ids, n) != 0) {
		free(array);
		return; /* the lookups claim one by one */
	}
	d = array;
	*d++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*d++ = ',';
		*d++ = '"';
		for (const char *c = ids[i]; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				*d++ = '\\';
			*d++ = *c;
		}
		*d++ = '"';
	}
	*d++ = '}';
	*d = '\0';
	p.types[0] = 1009; /* text[] */
	p.values[0] = array;
	p.lengths[0] = (int)(d - array);
	p.formats[0] = 0;
	p.n = 1;
	if ((rv = store_pg_query(
	         base,
	         "SELECT request_id, call, fingerprint, response FROM requests WHERE "
	         "request_id = ANY ($1)",
	         &p, &r)) != 0) {
		/* Its BEGIN went with it: the transaction it failed is of no
		 * more use (a deadlock of claims, a deadline, a lost server). */
		free(array);
		if (st->txn_sent)
			end_transaction(st, rv);
		return;
	}
	free(array);
	for (size_t i = 0; i < n; i++) {
		k = &st->known[st->n_known];
		memset(k, 0, sizeof *k);
		if ((k->id = strdup(ids[i])) == NULL)
			break;
		for (int row = 0; row < PQntuples(r); row++) {
			if (PQgetlength(r, row, 0) != (int)strlen(ids[i]) ||
			    memcmp(PQgetvalue(r, row, 0), ids[i], strlen(ids[i])) != 0)
				continue;
			k->len = (size_t)PQgetlength(r, row, 3);
			if ((k->response = malloc(k->len + 1)) == NULL) {
				free(k->id);
				goto done;
			}
			memcpy(k->response, PQgetvalue(r, row, 3), k->len);
			k->found = true;
			k->call = store_pg_get_int4(r, row, 1);
			k->fingerprint = store_pg_get_int8(r, row, 2);
			break;
		}
		st->n_known++;
	}
done:
	PQclear(r);
}

/* Deferred to go with the next statement or the COMMIT: the write it
 * remembers is done, and only a conflict (another jobsd answered the same
 * request_id meanwhile) would fail it, which then fails the transaction. */
static int
pg_request_put(store *base, const char *request_id, const struct store_request *q, int64_t now)
{
	pg *st = (pg *)base;
	struct pg_params p = {0};

	store_pg_text(&p, request_id);
	store_pg_int4(&p, q->call);
	store_pg_int8(&p, q->fingerprint);
	store_pg_bytes(&p, q->response, q->len);
	store_pg_time(&p, now);
	/* A second call with this request_id in this group must find it. */
	for (size_t i = 0; i < st->n_known; i++) {
		struct prefetched *k = &st->known[i];
		uint8_t *copy;

		if (strcmp(k->id, request_id) != 0 || (copy = malloc(q->len + 1)) == NULL)
			continue;
		memcpy(copy, q->response, q->len);
		free(k->response);
		*k = (struct prefetched){k->id, true, q->call, q->fingerprint, copy, q->len};
	}
	if (!((pg *)base)->in_txn) {
		PGresult *r;
		int rv = run_stmt((pg *)base, S_REQUEST_PUT, &p, &r);

		PQclear(r);
		return rv;
	}
	return defer((pg *)base, S_REQUEST_PUT, NULL, &p);
}

static int
pg_request_prune(store *base, int64_t before_us, int limit, int *n)
{
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	store_pg_time(&p, before_us);
	store_pg_int8(&p, limit);
	*n = 0;
	if ((rv = run_stmt((pg *)base, S_REQUEST_PRUNE, &p, &r)) == 0)
		*n = atoi(PQcmdTuples(r));
	PQclear(r);
	return rv;
}

/* ---- backup, check -------------------------------------------------------------------- */

static int
pg_backup(store *base, const char *path, const atomic_bool *stop, int64_t *bytes, int64_t *jobs,
          char *why, size_t whylen)
{
	(void)base, (void)path, (void)stop, (void)bytes, (void)jobs;
	snprintf(why, whylen,
	         "jobsd backs up SQLite databases only; back PostgreSQL up with its own tools: "
	         "pg_dump (a logical copy of this database) or pg_basebackup (a copy of the "
	         "whole server, for point-in-time recovery)");
	return ST(FAILED_PRECONDITION);
}

/* Adds a problem (from `a`) unless `max` are there already. */
static void add_problem(arena *a, int max, char **problems, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void
add_problem(arena *a, int max, char **problems, size_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= (size_t)max)
		return;
	va_start(ap, fmt);
	problems[*n] = arena_vprintf(a, fmt, ap);
	va_end(ap);
	if (problems[*n] != NULL)
		(*n)++;
}

/* The counts GetStats starts from, against the jobs themselves: each row a
 * mismatch (what, counted, actual). */
static const char counts_vs_jobs[] =
    "WITH c AS (SELECT product, language, persona, brand_name, enabled, day, n FROM "
    "stat_changes), "
    "counted (what, n) AS ("
    " SELECT 'total', sum(n) FROM (SELECT n FROM stat_totals WHERE key = 'total' UNION ALL "
    "  SELECT n FROM c) t UNION ALL"
    " SELECT 'enabled', sum(n) FROM (SELECT n FROM stat_totals WHERE key = 'enabled' UNION ALL "
    "  SELECT n FROM c WHERE enabled) t UNION ALL"
    " SELECT dim || ' ' || value, sum(n) FROM (SELECT dim, value, n FROM stat_values UNION ALL "
    "  SELECT 'product', product, n FROM c UNION ALL SELECT 'language', language, n FROM c "
    "  UNION ALL SELECT 'persona', persona, n FROM c UNION ALL SELECT 'brand', brand_name, n "
    "  FROM c) v GROUP BY dim, value UNION ALL"
    " SELECT 'day ' || day, sum(n) FROM (SELECT day, n FROM stat_days UNION ALL SELECT day, n "
    "  FROM c) d GROUP BY day), "
    "actual (what, n) AS ("
    " SELECT 'total', count(*) FROM jobs UNION ALL"
    " SELECT 'enabled', count(*) FILTER (WHERE enabled) FROM jobs UNION ALL"
    " SELECT 'product ' || product, count(*) FROM jobs GROUP BY product UNION ALL"
    " SELECT 'language ' || language, count(*) FROM jobs GROUP BY language UNION ALL"
    " SELECT 'persona ' || persona, count(*) FROM jobs GROUP BY persona UNION ALL"
    " SELECT 'brand ' || brand_name, count(*) FROM jobs GROUP BY brand_name UNION ALL"
    " SELECT 'day ' || (created_at AT TIME ZONE 'UTC')::date, count(*) FROM jobs GROUP BY 1) "
    "SELECT left(what, 80), coalesce(counted.n, 0)::int8, coalesce(actual.n, 0)::int8 FROM "
    "counted FULL JOIN actual USING (what) WHERE coalesce(counted.n, 0) <> coalesce(actual.n, "
    "0) LIMIT 100";

static int
pg_check(store *base, arena *a, int max, char ***problems, size_t *n, int64_t *jobs, int64_t *bytes)
{
	pg *st = (pg *)base;
	PGresult *r, *idx;
	int rv;

	*n = 0;
	if ((*problems = arena_alloc(a, sizeof **problems * (size_t)max)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	if ((rv = store_pg_query(
	         base,
	         "SELECT (SELECT count(*) FROM jobs), pg_database_size(current_database()), "
	         "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')",
	         NULL, &r)) != 0)
		return rv;
	*jobs = store_pg_get_int8(r, 0, 0);
	*bytes = store_pg_get_int8(r, 0, 1);
	bool amcheck = store_pg_get_bool(r, 0, 2);
	PQclear(r);

	/* amcheck, where the database has it (creating it needs a superuser):
	 * the structure of each b-tree index of jobsd's tables (not whether it
	 * holds every row: that reads the whole table once per index), then
	 * the tables' heaps, once each. */
	if (amcheck) {
		if ((rv = store_pg_query(
		         base,
		         "SELECT i.indexrelid::regclass::text, i.indexrelid::int8 FROM "
		         "pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am "
		         "ON am.oid = c.relam WHERE am.amname = 'btree' AND i.indrelid IN "
		         "('jobs'::regclass, 'requests'::regclass, 'meta'::regclass, "
		         "'stat_values'::regclass, 'stat_totals'::regclass, "
		         "'stat_days'::regclass) ORDER BY 1",
		         NULL, &idx)) != 0)
			return rv;
		for (int i = 0; i < PQntuples(idx); i++) {
			struct pg_params p = {0};

			store_pg_int8(&p, store_pg_get_int8(idx, i, 1));
			rv = store_pg_query(base, "SELECT bt_index_check($1::oid::regclass, false)",
			                    &p, &r);
			PQclear(r);
			if (rv == ST(UNAVAILABLE) || rv == ST(DEADLINE_EXCEEDED)) {
				PQclear(idx);
				return rv;
			}
			if (rv != 0)
				add_problem(a, max, *problems, n, "index %s: %s",
				            PQgetvalue(idx, i, 0), st->base.errmsg);
		}
		PQclear(idx);
		for (const char *const *t = (const char *const[]){"jobs", "requests", NULL}; *t;
		     t++) {
			struct pg_params p = {0};

			store_pg_text(&p, *t);
			if ((rv = store_pg_query(
			         base,
			         "SELECT blkno::int8, coalesce(offnum, 0)::int8, msg FROM "
			         "verify_heapam($1::regclass) LIMIT 20",
			         &p, &r)) != 0) {
				if (rv == ST(UNAVAILABLE) || rv == ST(DEADLINE_EXCEEDED))
					return rv;
				add_problem(a, max, *problems, n, "table %s: %s", *t,
				            st->base.errmsg);
				continue;
			}
			for (int i = 0; i < PQntuples(r); i++)
				add_problem(a, max, *problems, n,
				            "table %s, block %lld, item %lld: %.*s", *t,
				            (long long)store_pg_get_int8(r, i, 0),
				            (long long)store_pg_get_int8(r, i, 1),
				            PQgetlength(r, i, 2), PQgetvalue(r, i, 2));
			PQclear(r);
		}
	}

	/* The counts against the jobs. */
	if ((rv = store_pg_query(base, counts_vs_jobs, NULL, &r)) != 0)
		return rv;
	for (int i = 0; i < PQntuples(r); i++)
		add_problem(a, max, *problems, n, "count of %.*s: %lld counted, %lld jobs",
		            PQgetlength(r, i, 0), PQgetvalue(r, i, 0),
		            (long long)store_pg_get_int8(r, i, 1),
		            (long long)store_pg_get_int8(r, i, 2));
	PQclear(r);
	return 0;
}

/* The figures of /metrics and the readiness probe, in one statement: the
 * jobs from the counts (folded and not), the database's size, and the
 * remembered answers as the planner estimates them (counting them would
 * read the whole table at every scrape). */
static int
pg_gauges(store *base, struct store_gauges *out)
{
	PGresult *r;
	int rv =
	    store_pg_query(base,
	                   "SELECT ((SELECT n FROM stat_totals WHERE key = 'total') + (SELECT "
	                   "coalesce(sum(n), 0) FROM stat_changes))::int8, "
	                   "pg_database_size(current_database()), greatest((SELECT reltuples FROM "
	                   "pg_class WHERE oid = 'requests'::regclass), 0)::int8",
	                   NULL, &r);

	if (rv != 0)
		return rv;
	out->jobs = store_pg_get_int8(r, 0, 0);
	out->db_bytes = store_pg_get_int8(r, 0, 1);
	out->dedup = store_pg_get_int8(r, 0, 2);
	PQclear(r);
	return 0;
}

static int
pg_tidy(store *base)
{
	return store_pg_fold_counts(base);
}

/* ---- the engine ---------------------------------------------------------------------- */

static const struct store_ops pg_ops = {
    .traits = {.engine = "postgresql", .writers = 16, .batch = 1, .checkpoints = false},
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .job_get = pg_job_get,
    .job_insert = pg_job_insert,
    .job_replace = pg_job_replace,
    .job_overwrite = pg_job_overwrite,
    .job_delete = pg_job_delete,
    .job_list = store_pg_list,
    .list_plan = store_pg_list_plan,
    .job_search = store_pg_search,
    .stats = store_pg_stats,
    .backup = pg_backup,
    .check = pg_check,
    .request_get = pg_request_get,
    .request_put = pg_request_put,
    .request_prune = pg_request_prune,
    .has_jobs = pg_has_jobs,
    .meta_get = pg_meta_get,
    .meta_put = pg_meta_put,
    .set_deadline = pg_set_deadline,
    .request_prefetch = pg_request_prefetch,
    .job_create = pg_job_create,
    .tidy = pg_tidy,
    .gauges = pg_gauges,
    .is_standby = pg_is_standby,
};
