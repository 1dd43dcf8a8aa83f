/*
 * store_internal.h: what the two halves of the store share. store.c owns
 * the connection, the schema and single-job reads and writes; store_find.c
 * the listing, search and statistics queries. Nothing outside server/store*.c
 * includes this file (it brings in sqlite3.h).
 */
#ifndef JOBSD_STORE_INTERNAL_H
#define JOBSD_STORE_INTERNAL_H

#include "store.h"

#include <sqlite3.h>

/* Columns of a job, in the order store_row_to_job() reads them. */
#define STORE_JOB_COLUMNS                                                                          \
	"id, job_name, product, persona, setting, emotion, hook, elevenlabs_voice_id, language, "  \
	"brand_name, enabled, created_at, updated_at, version, enhanced_settings, extra"

/* The name of the VFS the store opens its connections through (store_vfs.c:
 * the default VFS with the sub-journal in memory and the WAL's frames
 * written a commit at a time), registered on first use; NULL, for SQLite's
 * default, if it could not be. */
const char *store_vfs(void);
/* How many sub-journals have outgrown memory and moved to a file so far. */
int64_t store_vfs_spills(void);
/* Bytes of sub-journal buffers waiting in the pool for the next one. */
int64_t store_vfs_pooled(void);
/* Writes to WALs so far: *asked by SQLite, *done to the files. */
void store_vfs_wal_writes(int64_t *asked, int64_t *done);

/* The connection. */
sqlite3 *store_sqlite(store *st);

/* Maps SQLite result `rc` to a status and remembers SQLite's message. */
int store_fail(store *st, int rc);

/* Records a message of our own for store_errmsg(). Returns `code`. */
int store_failf(store *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The job in the current row of `s`, whose columns are STORE_JOB_COLUMNS.
 * Adds the bytes of its text to *bytes when bytes != NULL. */
int store_row_to_job(sqlite3_stmt *s, arena *a, Jobs__V1__Job **out, size_t *bytes);

/* store_find.c's per-connection state (its statement cache): a slot in the
 * store, freed by store_find_close() before the connection closes. */
void **store_find_slot(store *st);
void store_find_close(store *st);
int64_t store_find_fullscan_steps(const store *st);

#endif
