/*
 * fuzz_db.h: the database the fuzz targets (fuzz_request.c, fuzz_http.c)
 * serve from: in a temporary folder of its own, with three seed jobs (so
 * that Get, Update and Delete find something) and an empty backup folder,
 * put back after every input so that a crash reproduces from that one
 * input. Everything a target writes stays in that folder (Backup included:
 * CI fuzzes as root), which is removed at exit.
 */
#ifndef JOBS_FUZZ_DB_H
#define JOBS_FUZZ_DB_H

#include "dispatch.h"
#include "store.h"

/* Calls abort() after printing "NAME: what: why". */
void fuzz_die(const char *what, const char *why) __attribute__((noreturn));

/* Makes the folder and the database, binds the dispatch table, and points
 * info->backup_dir at the folder's backups/. `name` prefixes messages. The
 * store is the fuzz target's; it is closed at exit. */
store *fuzz_db_open(const char *name, struct server_info *info);

/* Puts the seed state back after an input. */
void fuzz_db_reset(void);

#endif
