/*
 * store_sqlite.h: what the parts of the SQLite store share. store_sqlite.c
 * owns the connection and single-job reads and writes; store_sqlite_find.c
 * the listing, search and statistics queries; store_sqlite_schema.c the
 * format and its migrations; store_sqlite_vfs.c the VFS. Nothing outside
 * server/store_sqlite*.c includes this file (it brings in sqlite3.h), but
 * tests and benchmarks that look at SQLite itself.
 */
#ifndef JOBSD_STORE_SQLITE_H
#define JOBSD_STORE_SQLITE_H

#include "store_backend.h"

#include <sqlite3.h>

/* migrations[v - 1] takes the schema from version v - 1 to v (frozen text,
 * store_sqlite_schema.c). */
extern const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION];

/* The name of the VFS the store opens its connections through (the default
 * VFS with the sub-journal in memory and the WAL's frames written a commit
 * at a time), registered on first use; NULL, for SQLite's default, if it
 * could not be. */
const char *store_sqlite_vfs(void);
/* How many sub-journals have outgrown memory and moved to a file so far. */
int64_t store_sqlite_vfs_spills(void);
/* Bytes of sub-journal buffers waiting in the pool for the next one. */
int64_t store_sqlite_vfs_pooled(void);
/* Writes to WALs so far: *asked by SQLite, *done to the files. */
void store_sqlite_vfs_wal_writes(int64_t *asked, int64_t *done);

/* Makes every connection the process opens from now on know the FTS5
 * tokenizer cjk (store_sqlite_cjk.c), which jobs_fts uses. Returns 0, or a
 * status with the reason in err. Any thread, any number of times. */
int store_sqlite_cjk_init(char *err, size_t errlen);

/* The connection of a SQLite store (st must be one). */
sqlite3 *store_sqlite_db(store *st);

/* Maps SQLite result `rc` to a status and remembers SQLite's message. */
int store_sqlite_fail(store *st, int rc);

/* The job in the current row of `s`, whose columns are STORE_JOB_COLUMNS.
 * Adds the bytes of its text to *bytes when bytes != NULL. */
int store_sqlite_row_to_job(sqlite3_stmt *s, arena *a, Jobs__V1__Job **out, size_t *bytes);

/* store_sqlite_find.c's per-connection state (its statement cache): a slot
 * in the store, freed by store_sqlite_find_close() before the connection
 * closes; and the work its statements did (store_fullscan_steps()). */
void **store_sqlite_find_slot(store *st);
void store_sqlite_find_close(store *st);
void store_sqlite_find_counters(const store *st, int64_t *fullscan, int64_t *sorts);

/* The finding calls (store.h). */
int store_sqlite_list(store *st, const store_list *q, arena *a, store_page *out);
int store_sqlite_list_plan(store *st, const store_list *q, char *out, size_t outlen);
int store_sqlite_search(store *st, const store_search *q, arena *a, store_hits *out);
int store_sqlite_stats(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
                       Jobs__V1__GetStatsResponse *out);

#endif
