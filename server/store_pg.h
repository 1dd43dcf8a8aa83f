/*
 * store_pg.h: what the parts of the PostgreSQL store share. store_pg.c owns
 * the connection (opening, reopening, running statements within the call's
 * deadline), transactions and single-job reads and writes;
 * store_pg_find.c the listing, search and statistics queries;
 * store_pg_schema.c the schema and its migrations. Nothing outside
 * server/store_pg*.c includes this file (it brings in libpq-fe.h), but tests
 * that look at PostgreSQL itself.
 */
#ifndef JOBSD_STORE_PG_H
#define JOBSD_STORE_PG_H

#include "store_backend.h"

#include <libpq-fe.h>

/* The schema version this code writes (the table jobsd_schema). */
#define STORE_PG_SCHEMA_VERSION 4

/* migrations[v - 1] takes the schema from version v - 1 to v (frozen text,
 * store_pg_schema.c); each runs in one transaction. */
extern const char *const store_pg_migrations[STORE_PG_SCHEMA_VERSION];

/* Advisory locks: migrations are serialised between jobsd's; one of them at
 * a time folds the counts. */
#define STORE_PG_MIGRATION_LOCK 0x6a6f627364LL /* "jobsd" */
#define STORE_PG_FOLD_LOCK      0x6a6f627366LL /* "jobsf" */
/* A request_id being answered: (this, a hash of the id), the two-key form,
 * whose keys never meet the one-key locks above. */
#define STORE_PG_REQUEST_LOCK 0x6a6f6272 /* "jobr" */

/* ---- statements and their parameters ---------------------------------------- */

#define PG_MAX_PARAMS 24

/* Parameters of one statement, built in order ($1, $2, ...). Text is
 * borrowed until the statement has run; numbers are kept here in binary. */
struct pg_params {
	int n;
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS];
	Oid types[PG_MAX_PARAMS];
	char bin[PG_MAX_PARAMS][8];
};

/* Adders: text (NULL is SQL NULL), text with "" as NULL (the JSON fields),
 * int8, int4, bool, a time (microseconds since the Unix epoch, as
 * timestamptz), bytes (bytea). */
void store_pg_text(struct pg_params *p, const char *s);
void store_pg_json(struct pg_params *p, const char *s);
void store_pg_int8(struct pg_params *p, int64_t v);
void store_pg_int4(struct pg_params *p, int32_t v);
void store_pg_bool(struct pg_params *p, bool v);
void store_pg_time(struct pg_params *p, int64_t unix_us);
void store_pg_bytes(struct pg_params *p, const void *data, size_t len);

/* Readers of a binary result's field. */
int64_t store_pg_get_int8(const PGresult *r, int row, int col);
int32_t store_pg_get_int4(const PGresult *r, int row, int col);
bool store_pg_get_bool(const PGresult *r, int row, int col);
int64_t store_pg_get_time(const PGresult *r, int row, int col); /* unix us */
double store_pg_get_float8(const PGresult *r, int row, int col);
/* A text field copied into the arena; "" for NULL. */
char *store_pg_get_text(const PGresult *r, int row, int col, arena *a);

/*
 * Runs `sql` with parameters `p` (may be NULL) on the connection, planned for
 * these values (an unnamed statement), waiting at most until the call's
 * deadline; results in binary. Returns 0 and *res (the caller PQclear()s
 * it), or a status with store_errmsg() saying why; a lost connection is
 * UNAVAILABLE and is reopened by a later call.
 */
int store_pg_query(store *st, const char *sql, const struct pg_params *p, PGresult **res);

/* The job in row `row` of r, whose columns are STORE_JOB_COLUMNS. Adds the
 * bytes of its text to *bytes when bytes != NULL. */
int store_pg_row_to_job(const PGresult *r, int row, arena *a, Jobs__V1__Job **out, size_t *bytes);

/* The finding calls (store.h), store_pg_find.c. */
int store_pg_list(store *st, const store_list *q, arena *a, store_page *out);
int store_pg_list_plan(store *st, const store_list *q, char *out, size_t outlen);
int store_pg_search(store *st, const store_search *q, arena *a, store_hits *out);
int store_pg_stats(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
                   Jobs__V1__GetStatsResponse *out);
/* Folds the counts the writes noted (stat_changes) into the totals; the
 * writer runs it now and then (store_tidy()). */
int store_pg_fold_counts(store *st);

#endif
