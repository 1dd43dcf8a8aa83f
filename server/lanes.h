/*
 * lanes.h: where calls run once decoded.
 *
 *   inline  on the caller's thread (an nng callback), with a reader
 *           connection from a pool: short, bounded reads such as GetJob.
 *   read    on one of N reader threads, each with its own connection: reads
 *           that may take longer, so they never hold up nng's threads.
 *   write   on the writer threads (one for SQLite, one per writer connection
 *           where the engine writes in parallel, store_traits()), each of
 *           which applies the queued writes of many calls in one transaction
 *           (group commit), each call under its own savepoint, and answers
 *           them only once the commit is durable to the --sync level: after
 *           COMMIT returned, or, with a deferred_sync writer, after the
 *           syncer's fdatasync (lanes.c).
 *
 * A call handed to lanes_submit() is owned by the lanes until they call its
 * item's done(), exactly once, from one of their threads.
 */
#ifndef JOBSD_LANES_H
#define JOBSD_LANES_H

#include "dispatch.h"
#include "store.h"

typedef struct lane_item {
	struct lane_item *next;           /* queue link, the lanes' own */
	call *call;                       /* the call to run */
	void (*done)(struct lane_item *); /* c->resp is final: send it */
} lane_item;

typedef struct lanes lanes;

struct lanes_options {
	const char *db_path;      /* for reader connections, and writers past the first */
	const char *read_db_path; /* for the read and inline lanes instead; NULL: db_path */
	store_options reader;     /* their options */
	store_options writer;     /* the writers' past the first */
	int readers;              /* reader threads, >= 1 */
	int writers;              /* writer threads, >= 1 (each with its own connection) */
	int max_batch;            /* most calls in one group commit, >= 1 */
	int64_t dedup_window_us;  /* how long answers to writes are remembered */
};

/*
 * Starts the threads. Takes ownership of `writer` (the migrated writer
 * connection, the first writer's) in all cases: on failure it is closed.
 * Returns 0 or a status with a reason in err.
 */
int lanes_start(lanes **out, store *writer, const struct lanes_options *opt, char *err,
                size_t errlen);

/* Runs an inline call now, on this thread. */
void lanes_run_inline(lanes *l, call *c);

/* Lends a connection of the inline lane's pool, for reads that are not
 * calls (the HTTP probes and metrics); NULL when none can be opened. Give it
 * back with lanes_return_reader(). */
store *lanes_borrow_reader(lanes *l);
void lanes_return_reader(lanes *l, store *st);

/* Queues a call for the read or write lane. */
void lanes_submit(lanes *l, enum lane lane, lane_item *it);

/*
 * Stops: the batch being applied finishes; calls still queued are answered
 * UNAVAILABLE without running; threads are joined, connections closed (the
 * writer's last, with a WAL checkpoint). NULL is a no-op.
 */
void lanes_stop(lanes *l);

/*
 * One group commit on `db`: calls[0..n) in one transaction, each under its
 * own savepoint so that a failed call undoes only itself (a lone call needs
 * none: its transaction is rolled back instead). If COMMIT fails, every call
 * that had succeeded is answered with the failure instead. The writer
 * threads' body, and the write path of tests and the fuzzer.
 */
void lanes_write_group(store *db, call **calls, size_t n);

/* Runs one decoded call synchronously on `db`, in a transaction of its own if
 * it writes. For tests and the fuzzer. */
void lanes_serve_sync(store *db, call *c);

#endif
