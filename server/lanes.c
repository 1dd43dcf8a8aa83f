/*
 * lanes.c: see lanes.h.
 *
 * Threads and what they hold:
 *   reader threads   one reader store each, for life; they pop the read queue.
 *   writer threads   one writer store each (SQLite: one thread; PostgreSQL:
 *                    opt.writers, side by side); each pops up to max_batch
 *                    calls at a time. The first also prunes remembered
 *                    answers and tidies (store_tidy()).
 *   syncer           when the writer store has deferred_sync (jobsd: --sync
 *                    full with --max-batch > 1): takes the calls of the groups
 *                    the writer has committed, makes the WAL durable with one
 *                    fdatasync() for all of them, then answers them. The
 *                    writer applies the next group meanwhile, so the disk's
 *                    wait and the writer's work overlap instead of adding up.
 *   inline callers   borrow a reader store from `pool` (a stack, grown on
 *                    demand: at most one per thread that ever runs inline).
 *   checkpointer     (engines whose log needs it, store_traits()) a reader
 *                    store; copies the WAL into the database file when the
 *                    writer's commits have grown it past CHECKPOINT_PAGES
 *                    (or every second), so that this I/O is never on the path
 *                    of a commit the callers wait for.
 * Queues are FIFO lists under one mutex each, with a condition variable.
 */
#include "lanes.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "replycache.h"
#include "status.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	lane_item *head, *tail;
	bool stopping;
};

struct writer_arg {
	struct lanes *l;
	int index; /* in l->writers */
};

struct lanes {
	struct lanes_options opt;
	store *writer; /* the first writer's */
	store *checkpoint_db;
	pthread_t checkpoint_thread;
	bool checkpoint_started;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;
	bool ck_stop; /* under ck_mu */
	/* store_wal_appended() up to which the last checkpoint copied. */
	atomic_int_fast64_t ck_upto;
	struct queue rq, wq, sq; /* reads, writes, committed writes to sync */
	pthread_t sync_thread;
	bool sync_started;
	pthread_t *reader_threads;
	store **reader_stores;
	int n_readers; /* threads started */
	pthread_t *writer_threads;
	struct writer_arg *writer_args;
	store **writers;    /* writers[0] is `writer` */
	int writers_opened; /* connections in writers[] */
	int n_writers;      /* threads started */

	pthread_mutex_t pool_mu; /* the inline lane's connections */
	store **pool;
	int pool_len, pool_cap;
};

/* ---- queues ------------------------------------------------------------ */

static void
queue_init(struct queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->head = q->tail = NULL;
	q->stopping = false;
}

static void
queue_push(struct queue *q, lane_item *it)
{
	it->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* How long a queue stays empty before its consumer's idle() runs. */
#define IDLE_US (100 * 1000)

/* Waits for work; takes up to `max` items into out[]. Returns how many, 0
 * once the queue is stopping (what was still queued is then answered
 * UNAVAILABLE by the thread that sees 0). If the queue stays empty for
 * IDLE_US, idle() (unless NULL) runs once, without the lock, while it
 * waits on. */
static size_t
queue_pop(struct queue *q, lane_item **out, size_t max, void (*idle)(void))
{
	size_t n = 0;

	pthread_mutex_lock(&q->mu);
	if (idle != NULL && q->head == NULL && !q->stopping) {
		int64_t at = clock_now_us() + IDLE_US; /* the condition variable's clock */
		struct timespec until = {at / 1000000, at % 1000000 * 1000};

		while (q->head == NULL && !q->stopping &&
		       pthread_cond_timedwait(&q->cv, &q->mu, &until) != ETIMEDOUT)
			;
		if (q->head == NULL && !q->stopping) {
			pthread_mutex_unlock(&q->mu);
			idle();
			pthread_mutex_lock(&q->mu);
		}
	}
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->cv, &q->mu);
	if (!q->stopping) {
		while (n < max && q->head != NULL) {
			out[n++] = q->head;
			q->head = q->head->next;
		}
		if (q->head == NULL)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* Appends items[0..n) under one lock. */
static void
queue_push_all(struct queue *q, lane_item **items, size_t n)
{
	if (n == 0)
		return;
	for (size_t i = 0; i + 1 < n; i++)
		items[i]->next = items[i + 1];
	items[n - 1]->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = items[0];
	else
		q->head = items[0];
	q->tail = items[n - 1];
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Waits for work and takes all of it, as a list; unlike queue_pop() it
 * drains a stopping queue too. NULL once it is stopping and empty. */
static lane_item *
queue_take_all(struct queue *q)
{
	lane_item *head;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->cv, &q->mu);
	head = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	return head;
}

/* Answers everything still queued with UNAVAILABLE. */
static void
queue_flush(struct queue *q)
{
	lane_item *it, *next;

	pthread_mutex_lock(&q->mu);
	it = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	for (; it != NULL; it = next) {
		next = it->next;
		call_fail(it->call, ST(UNAVAILABLE),
		          "jobsd is shutting down; retry elsewhere or later");
		it->done(it);
	}
}

static void
queue_stop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void
queue_fini(struct queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

/* ---- the write lane ---------------------------------------------------- */

/* The call's deadline as store_set_deadline() takes it; 0: none. */
static int64_t
deadline_of(const call *c)
{
	if (c->req == NULL || c->req->deadline_ms <= 0 || c->req->deadline_ms > INT64_MAX / 1000)
		return 0;
	return c->req->deadline_ms * 1000;
}

/* The group's request_ids, looked up together (store_request_prefetch). */
static void
prefetch_requests(store *db, call **calls, size_t n)
{
	const char *ids[64];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (calls[i]->req == NULL || *calls[i]->req->request_id == '\0')
			continue;
		ids[k++] = calls[i]->req->request_id;
		if (k == sizeof ids / sizeof ids[0]) {
			store_request_prefetch(db, ids, k);
			k = 0;
		}
	}
	store_request_prefetch(db, ids, k);
}

void
lanes_write_group(store *db, call **calls, size_t n)
{
	bool lone = n == 1; /* its transaction is all its savepoint would be */
	int rv;

	if ((rv = store_begin(db)) != 0) {
		for (size_t i = 0; i < n; i++)
			call_fail(calls[i], rv, "cannot start a write: %s", store_errmsg(db));
		return;
	}
	prefetch_requests(db, calls, n);
	for (size_t i = 0; i < n; i++) {
		call *c = calls[i];

		if (call_expired(c, clock_now_us()))
			continue;
		c->db = db;
		store_set_deadline(db, deadline_of(c));
		/* The savepoint comes first: looking the request_id up can fail
		 * too (PostgreSQL: a deadlock of two claims on it, a lost
		 * connection), and must then undo only itself. */
		if (!lone && (rv = store_savepoint(db)) != 0) {
			call_fail(c, rv, "cannot start a write: %s", store_errmsg(db));
			continue;
		}
		if (!call_replay(c)) { /* else answered before: the first answer again */
			call_run(c);
			if (c->resp.code == ST(OK))
				call_remember(c);
		}
		if (lone)
			break;
		rv = c->resp.code == ST(OK) ? store_release(db) : store_rollback_to(db);
		if (rv != 0) {
			/* The transaction is in an unknown state: give it all up. */
			log_error("savepoint failed: %s", store_errmsg(db));
			store_set_deadline(db, 0);
			store_rollback(db);
			for (size_t k = 0; k < n; k++)
				call_fail(calls[k], rv, "write failed: %s; nothing was written",
				          store_errmsg(db));
			return;
		}
	}
	store_set_deadline(db, 0); /* the commit is every call's */
	if (lone && calls[0]->resp.code != ST(OK)) {
		store_rollback(db);
		return;
	}
	if ((rv = store_commit(db)) != 0 && lone && rv == ST(ALREADY_EXISTS)) {
		/* An engine that sends a lone call's write with its COMMIT
		 * (PostgreSQL) hears of a taken id only here: it is the call's own
		 * answer, in the words it has on every store. */
		call_fail(calls[0], rv, "%s", store_errmsg(db)); /* before the rollback's own */
		store_rollback(db);
	} else if (rv != 0) {
		log_error("commit of %zu calls failed: %s", n, store_errmsg(db));
		store_rollback(db);
		for (size_t i = 0; i < n; i++)
			if (calls[i]->resp.code == ST(OK))
				call_fail(calls[i], rv, "commit failed: %s; nothing was written",
				          store_errmsg(db));
	}
	/* GetJob's cache forgets what was written: after the commit (a read
	 * before it may have brought the old job back), before anyone hears
	 * of the write (replycache.h). */
	for (size_t i = 0; i < n; i++)
		if (calls[i]->info->replies != NULL)
			replycache_forget(calls[i]->info->replies, calls[i]->written,
			                  calls[i]->n_written);
}

void
lanes_serve_sync(store *db, call *c)
{
	if (c->method->lane == LANE_WRITE) {
		lanes_write_group(db, &c, 1);
	} else {
		c->db = db;
		store_set_deadline(db, deadline_of(c));
		call_run(c);
		store_set_deadline(db, 0);
	}
}

/* Remembered answers older than the window go, a bounded number per step
 * so that a backlog never stalls writes for long. */
#define PRUNE_EVERY_US (10 * 1000000)
#define PRUNE_LIMIT    2000

static void
prune_requests(lanes *l, int64_t *last_us)
{
	int64_t now = clock_now_us();
	int n = 0, rv;

	if (now - *last_us < PRUNE_EVERY_US)
		return;
	*last_us = now;
	if ((rv = store_begin(l->writer)) == 0 &&
	    (rv = store_request_prune(l->writer, now - l->opt.dedup_window_us, PRUNE_LIMIT, &n)) ==
	        0 &&
	    (rv = store_commit(l->writer)) == 0) {
		if (n == PRUNE_LIMIT)
			*last_us = 0; /* more to go: again after the next group */
		return;
	}
	log_warn("pruning remembered answers failed: %s", store_errmsg(l->writer));
	store_rollback(l->writer);
}

/* The checkpointer copies the WAL into the database file once the writer has
 * appended this many pages (8 MiB) since the last checkpoint; the writer
 * steps in itself only far beyond (store_sqlite.c, WAL_PAGES_MAX). Counted since
 * the last checkpoint, not as the WAL's size: under steady writes the WAL
 * rarely starts over (it can only once a checkpoint has caught up before
 * the next commit), and a trigger on its size then fired after every
 * commit, copying the pages every group rewrites (index roots, counters,
 * the FTS structure) into the database file again and again. */
#define CHECKPOINT_PAGES 2000

static void *
checkpoint_main(void *arg)
{
	lanes *l = arg;

	pthread_setname_np(pthread_self(), "jobsd:ckpt"); /* for top -H and perf */
	pthread_mutex_lock(&l->ck_mu);
	while (!l->ck_stop) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&l->ck_cv, &l->ck_mu, &until);
		if (l->ck_stop || store_wal_pages(l->writer) == 0)
			continue;
		pthread_mutex_unlock(&l->ck_mu);
		int64_t appended = store_wal_appended(l->writer);
		int left;
		if (store_checkpoint(l->checkpoint_db, &left) != 0)
			log_warn("checkpoint: %s", store_errmsg(l->checkpoint_db));
		else
			atomic_store(&l->ck_upto, appended - left);
		pthread_mutex_lock(&l->ck_mu);
	}
	pthread_mutex_unlock(&l->ck_mu);
	return NULL;
}

/* After a commit: wake the checkpointer if the WAL has grown enough. */
static void
maybe_checkpoint(lanes *l)
{
	if (!l->checkpoint_started ||
	    store_wal_appended(l->writer) - atomic_load(&l->ck_upto) < CHECKPOINT_PAGES)
		return;
	pthread_mutex_lock(&l->ck_mu);
	pthread_cond_signal(&l->ck_cv);
	pthread_mutex_unlock(&l->ck_mu);
}

/* What an engine keeps off the write path is brought up to date this often
 * (store_tidy(); PostgreSQL folds the counts). */
#define TIDY_EVERY_US 1000000

static void
tidy(store *db, int64_t *last_us)
{
	int64_t now = clock_now_us();
	int rv;

	if (now - *last_us < TIDY_EVERY_US)
		return;
	*last_us = now;
	if ((rv = store_tidy(db)) != 0)
		log_warn("tidying the database failed: %s", store_errmsg(db));
}

static void *
writer_main(void *arg)
{
	lanes *l = ((struct writer_arg *)arg)->l;
	int index = ((struct writer_arg *)arg)->index;
	store *db = l->writers[index];
	size_t max = (size_t)l->opt.max_batch, n;
	lane_item **items = calloc(max, sizeof *items);
	call **calls = calloc(max, sizeof *calls);
	int64_t last_prune_us = 0, last_tidy_us = 0;

	pthread_setname_np(pthread_self(), "jobsd:writer");
	if (items == NULL || calls == NULL) {
		log_error("writer: out of memory; writes fail");
		max = 0;
	}
	for (;;) {
		if (max == 0) {
			lane_item *one;
			if (queue_pop(&l->wq, &one, 1, NULL) == 0)
				break;
			call_fail(one->call, ST(RESOURCE_EXHAUSTED), "the writer is out of memory");
			one->done(one);
			continue;
		}
		/* Idle, the writer gives back what it keeps for large writes. */
		if ((n = queue_pop(&l->wq, items, max, store_trim_memory)) == 0)
			break;
		for (size_t i = 0; i < n; i++)
			calls[i] = items[i]->call;
		int64_t t0 = clock_now_us();
		lanes_write_group(db, calls, n);
		metrics_group_commit(n, clock_now_us() - t0);
		if (l->sync_started) {
			queue_push_all(&l->sq, items, n);
		} else {
			for (size_t i = 0; i < n; i++)
				items[i]->done(items[i]);
		}
		if (index == 0) {
			maybe_checkpoint(l);
			prune_requests(l, &last_prune_us);
			tidy(db, &last_tidy_us);
		}
	}
	queue_flush(&l->wq);
	free(items);
	free(calls);
	return NULL;
}

/* The syncer (see the top). A failed fdatasync() leaves the commit in the WAL,
 * visible but perhaps not on disk: the caller hears so, and a retry with the
 * same request_id gets the remembered answer after a sync that works. */
static void *
sync_main(void *arg)
{
	lanes *l = arg;
	lane_item *it, *next;

	pthread_setname_np(pthread_self(), "jobsd:sync");
	while ((it = queue_take_all(&l->sq)) != NULL) {
		int64_t t0 = clock_now_us();
		int err = store_wal_sync(l->writer);

		metrics_wal_sync(clock_now_us() - t0);

		if (err != 0)
			log_error("fdatasync of the WAL: %s", strerror(err));
		for (; it != NULL; it = next) {
			next = it->next;
			if (err != 0 && it->call->resp.code == ST(OK))
				call_fail(it->call, ST(UNAVAILABLE),
				          "the write is committed but could not be made durable "
				          "(fdatasync: %s); retry with the same request_id",
				          strerror(err));
			it->done(it);
		}
	}
	return NULL;
}

/* ---- the read lanes ---------------------------------------------------- */

struct reader_arg {
	lanes *l;
	store *db;
};

static void *
reader_main(void *arg)
{
	lanes *l = ((struct reader_arg *)arg)->l;
	store *db = ((struct reader_arg *)arg)->db;
	lane_item *it;

	free(arg);
	pthread_setname_np(pthread_self(), "jobsd:reader");
	while (queue_pop(&l->rq, &it, 1, NULL) == 1) {
		if (!call_expired(it->call, clock_now_us())) {
			it->call->db = db;
			store_set_deadline(db, deadline_of(it->call));
			call_run(it->call);
		}
		it->done(it);
	}
	queue_flush(&l->rq);
	return NULL;
}

static store *
pool_get(lanes *l)
{
	store *st = NULL;
	char err[256];

	pthread_mutex_lock(&l->pool_mu);
	if (l->pool_len > 0)
		st = l->pool[--l->pool_len];
	pthread_mutex_unlock(&l->pool_mu);
	if (st == NULL &&
	    store_open(&st, l->opt.read_db_path, &l->opt.reader, err, sizeof err) != 0)
		log_error("cannot open a reader connection: %s", err);
	return st;
}

static void
pool_put(lanes *l, store *st)
{
	pthread_mutex_lock(&l->pool_mu);
	if (l->pool_len == l->pool_cap) {
		int cap = l->pool_cap ? l->pool_cap * 2 : 8;
		store **p = realloc(l->pool, sizeof *p * (size_t)cap);

		if (p == NULL) {
			pthread_mutex_unlock(&l->pool_mu);
			store_close(st);
			return;
		}
		l->pool = p;
		l->pool_cap = cap;
	}
	l->pool[l->pool_len++] = st;
	pthread_mutex_unlock(&l->pool_mu);
}

void
lanes_run_inline(lanes *l, call *c)
{
	store *db = pool_get(l);

	if (db == NULL) {
		call_fail(c, ST(UNAVAILABLE), "cannot open the database for reading");
		return;
	}
	c->db = db;
	store_set_deadline(db, deadline_of(c));
	call_run(c);
	c->db = NULL;
	pool_put(l, db);
}

store *
lanes_borrow_reader(lanes *l)
{
	return pool_get(l);
}

void
lanes_return_reader(lanes *l, store *st)
{
	pool_put(l, st);
}

void
lanes_submit(lanes *l, enum lane lane, lane_item *it)
{
	queue_push(lane == LANE_WRITE ? &l->wq : &l->rq, it);
}

/* ---- start and stop ---------------------------------------------------- */

int
lanes_start(lanes **out, store *writer, const struct lanes_options *opt, char *err, size_t errlen)
{
	lanes *l = calloc(1, sizeof *l);
	int rv;

	*out = NULL;
	if (l == NULL) {
		store_close(writer);
		snprintf(err, errlen, "out of memory");
		return ST(RESOURCE_EXHAUSTED);
	}
	l->opt = *opt;
	if (l->opt.writers < 1)
		l->opt.writers = 1;
	if (l->opt.read_db_path == NULL)
		l->opt.read_db_path = l->opt.db_path;
	opt = &l->opt;
	l->writer = writer;
	queue_init(&l->rq);
	queue_init(&l->wq);
	queue_init(&l->sq);
	pthread_mutex_init(&l->pool_mu, NULL);
	pthread_mutex_init(&l->ck_mu, NULL);
	pthread_cond_init(&l->ck_cv, NULL);
	l->reader_threads = calloc((size_t)opt->readers, sizeof *l->reader_threads);
	l->reader_stores = calloc((size_t)opt->readers, sizeof *l->reader_stores);
	l->writer_threads = calloc((size_t)opt->writers, sizeof *l->writer_threads);
	l->writer_args = calloc((size_t)opt->writers, sizeof *l->writer_args);
	l->writers = calloc((size_t)opt->writers, sizeof *l->writers);
	if (l->writers != NULL)
		l->writers[0] = writer;
	if (l->reader_threads == NULL || l->reader_stores == NULL || l->writer_threads == NULL ||
	    l->writer_args == NULL || l->writers == NULL) {
		snprintf(err, errlen, "out of memory");
		rv = ST(RESOURCE_EXHAUSTED);
		goto failed;
	}
	for (int i = 0; i < opt->readers; i++) {
		struct reader_arg *ra = malloc(sizeof *ra);
		store *db;

		if (ra == NULL) {
			snprintf(err, errlen, "out of memory");
			rv = ST(RESOURCE_EXHAUSTED);
			goto failed;
		}
		if ((rv = store_open(&db, opt->read_db_path, &opt->reader, err, errlen)) != 0) {
			free(ra);
			goto failed;
		}
		ra->l = l;
		ra->db = db;
		if (pthread_create(&l->reader_threads[i], NULL, reader_main, ra) != 0) {
			store_close(db);
			free(ra);
			snprintf(err, errlen, "cannot start a reader thread");
			rv = ST(RESOURCE_EXHAUSTED);
			goto failed;
		}
		/* The thread owns ra; db is closed here after the join. */
		l->reader_stores[l->n_readers++] = db;
	}
	if (store_traits(writer).checkpoints) {
		if ((rv = store_open(&l->checkpoint_db, opt->db_path, &opt->reader, err, errlen)) !=
		    0)
			goto failed;
		if (pthread_create(&l->checkpoint_thread, NULL, checkpoint_main, l) != 0) {
			snprintf(err, errlen, "cannot start the checkpoint thread");
			rv = ST(RESOURCE_EXHAUSTED);
			goto failed;
		}
		l->checkpoint_started = true;
	}
	if (store_sync_deferred(writer)) {
		if (pthread_create(&l->sync_thread, NULL, sync_main, l) != 0) {
			snprintf(err, errlen, "cannot start the sync thread");
			rv = ST(RESOURCE_EXHAUSTED);
			goto failed;
		}
		l->sync_started = true;
	}
	/* Every writer's connection first, then the threads: a database that
	 * refuses one more connection fails the start, not a write later. */
	for (l->writers_opened = 1; l->writers_opened < opt->writers; l->writers_opened++)
		if ((rv = store_open(&l->writers[l->writers_opened], opt->db_path, &opt->writer,
		                     err, errlen)) != 0)
			goto failed;
	for (int i = 0; i < opt->writers; i++) {
		l->writer_args[i] = (struct writer_arg){l, i};
		if (pthread_create(&l->writer_threads[i], NULL, writer_main, &l->writer_args[i]) !=
		    0) {
			snprintf(err, errlen, "cannot start a writer thread");
			rv = ST(RESOURCE_EXHAUSTED);
			goto failed;
		}
		l->n_writers++;
	}
	*out = l;
	return 0;
failed:
	lanes_stop(l);
	return rv;
}

void
lanes_stop(lanes *l)
{
	if (l == NULL)
		return;
	queue_stop(&l->rq);
	queue_stop(&l->wq);
	for (int i = 0; i < l->n_readers; i++)
		pthread_join(l->reader_threads[i], NULL);
	for (int i = 0; i < l->n_writers; i++)
		pthread_join(l->writer_threads[i], NULL);
	queue_stop(&l->sq); /* after the writer: it answers what was committed */
	if (l->sync_started)
		pthread_join(l->sync_thread, NULL);
	if (l->checkpoint_started) {
		pthread_mutex_lock(&l->ck_mu);
		l->ck_stop = true;
		pthread_cond_signal(&l->ck_cv);
		pthread_mutex_unlock(&l->ck_mu);
		pthread_join(l->checkpoint_thread, NULL);
	}
	store_close(l->checkpoint_db);
	for (int i = 0; i < l->n_readers; i++)
		store_close(l->reader_stores[i]);
	for (int i = 0; i < l->pool_len; i++)
		store_close(l->pool[i]);
	for (int i = 1; i < l->writers_opened; i++)
		store_close(l->writers[i]);
	store_close(l->writer); /* last: it checkpoints the WAL */
	free(l->writers);
	free(l->writer_args);
	free(l->writer_threads);
	free(l->reader_stores);
	free(l->reader_threads);
	free(l->pool);
	pthread_mutex_destroy(&l->pool_mu);
	pthread_mutex_destroy(&l->ck_mu);
	pthread_cond_destroy(&l->ck_cv);
	queue_fini(&l->rq);
	queue_fini(&l->wq);
	queue_fini(&l->sq);
	free(l);
}
