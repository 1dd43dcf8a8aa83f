/*
 * handlers.h: one function per call of the Jobs service.
 *
 * Each is a handler_fn (dispatch.h): it validates its input, asks the store,
 * and fills its output. No SQL and no sockets: the store and the lanes own
 * those. The method table in dispatch.c is the only caller.
 */
#ifndef JOBSD_HANDLERS_H
#define JOBSD_HANDLERS_H

#include "dispatch.h"

int handle_create_job(call *c, const void *in, void *out);
int handle_get_job(call *c, const void *in, void *out);
int handle_update_job(call *c, const void *in, void *out);
int handle_delete_job(call *c, const void *in, void *out);
int handle_list_jobs(call *c, const void *in, void *out);
int handle_health(call *c, const void *in, void *out);
/* handlers_find.c */
int handle_search_jobs(call *c, const void *in, void *out);
int handle_get_stats(call *c, const void *in, void *out);
int handle_batch_create_jobs(call *c, const void *in, void *out);
int handle_backup(call *c, const void *in, void *out);
int handle_check(call *c, const void *in, void *out);

/* Limits the handlers enforce, for the tests and the docs. */
#define LIST_DEFAULT_PAGE_SIZE 50
#define LIST_MAX_PAGE_SIZE     1000
/* A page stops growing once its jobs' text passes this, so that a page of
 * large jobs stays well under any sane receive limit. */
#define LIST_MAX_PAGE_BYTES      (4u << 20)
#define SEARCH_DEFAULT_PAGE_SIZE 20
#define SEARCH_MAX_PAGE_SIZE     100
#define SEARCH_MAX_QUERY_BYTES   512
#define SEARCH_MAX_TERMS         16
#define SEARCH_MIN_SUBSTRING     3 /* characters: the trigram tokenizer's unit */
#define STATS_DEFAULT_TOP        10
#define STATS_MAX_TOP            1000
#define STATS_DEFAULT_DAYS       30
#define STATS_MAX_DAYS           3660

/* Timestamps accepted from callers: years 0001 to 9999. */
#define JOB_MIN_TIME_US (-62135596800LL * 1000000)
#define JOB_MAX_TIME_US (253402300799LL * 1000000 + 999999)

/* BatchCreateJobs: most jobs per call (more: INVALID_ARGUMENT) and most
 * bytes of job text (string fields) per call (more: RESOURCE_EXHAUSTED). */
#define BATCH_MAX_JOBS  1000
#define BATCH_MAX_BYTES (8u << 20)

/* Turns the store's failure `rv` (a status code) of operation `what` into
 * c's response ("WHAT failed: ..."), logging the store's message when it is
 * INTERNAL or DATA_LOSS, which people must see. Returns rv. Shared by
 * handlers.c and handlers_find.c. */
int handler_store_failed(call *c, int rv, const char *what);

/* The most bytes field `name` of a Job may hold; 0 if it has no limit. */
size_t handler_field_limit(const char *name);

#endif
