/*
 * rpc.c: see rpc.h.
 *
 * Each `work` is one context of the pool, with its own aio, arena and call,
 * driven by work_cb() through three states:
 *
 *   RECV  waiting for a request. On arrival: decode (dispatch.c), refuse what
 *         must be refused (draining, too many in flight), then run it inline
 *         and send, or hand it to a lane and become BUSY.
 *   BUSY  a lane owns the call; its done() (work_done) sends the answer.
 *   SEND  the answer is on its way; then the arena is reset and we RECV.
 *
 * The pool has max_inflight + SPARE contexts: the spare ones are what lets us
 * answer RESOURCE_EXHAUSTED at once rather than leave callers queued in
 * sockets. The response reuses the request's nng_msg.
 *
 * THE LISTENER WATCHDOG. nng 1.5.2 has a listener stop accepting for good
 * when a peer goes away in the middle of the connection handshake in a way
 * that makes a write fail with EPIPE, which any process that connects to an
 * ipc socket and closes at once can do (or a client killed while it
 * connects), and so can a peer that starts a TLS handshake and leaves: the
 * transport reports NNG_ECLOSED to the accept loop, which takes it for "the
 * socket was closed". Nothing is logged and the listener is dead, for every
 * client, to a peer that needed no certificate and no token. Its transport
 * still completes handshakes, but the connections are never taken.
 *
 * watch_main() dials each listener from a probe socket of its own every
 * PROBE_EVERY_MS (over TLS without a certificate: a refusal is an answer
 * too). A live listener answers the probe: its accept counter moves, or
 * one of the counters of the accept loop's refusals (TLS authentication,
 * protocol, handshake timeout). A dead one answers nothing. (Its other
 * counters are no sign of life: connections it took before it died still
 * count their ends there.) If nothing answers within PROBE_MS, the listener
 * is closed and opened again on the same address. Probing whether or not
 * an error was counted: nng counts every connection's end among the same
 * errors as a fatal one, the probe's own included, so errors say nothing.
 * A client that connected to the dead listener meanwhile loses that
 * connection when it closes; libjobsclient retries the call.
 *
 * A CLOSE THAT NEVER RETURNS. nng 1.5.2's nng_close() can wait forever
 * (common/sock.h says when). By then nng has closed the listeners and our
 * contexts, so nothing of ours runs any more: rpc_stop() waits
 * CLOSE_WAIT_MS for the close, then says so and leaves the socket to the
 * process's exit, rather than hang the shutdown (tests/test_client.c meets
 * it when clients close while jobsd still reads their requests).
 */
#include "rpc.h"
#include "clock.h"
#include "log.h"
#include "sock.h"
#include "status.h"
#include "tls.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define SPARE            32
#define ARENA_FIRST_SIZE (16 * 1024)
#define WATCH_MS         250
#define PROBE_EVERY_MS   1000
#define PROBE_MS         2000
#define CLOSE_WAIT_MS    2000

struct work {
	enum { W_RECV, W_BUSY, W_SEND } state;
	rpc *r;
	nng_aio *aio;
	nng_ctx ctx;
	nng_msg *msg;
	arena arena;
	call call;
	lane_item item;
};

struct rpc {
	struct rpc_options opt;
	nng_socket sock;
	bool sock_open;
	struct work *works;
	int n_works;
	atomic_bool closing;
	atomic_int sending; /* answers handed to nng and not yet sent */
	int *lock_fds;      /* one per ipc:// URL */
	size_t n_locks;
	nng_tls_config *tls; /* for tls+tcp:// listeners; NULL if none */
	struct listening {
		nng_listener l;
		bool up;       /* l is listening */
		char url[320]; /* where, with the real port once bound */
		bool probing;  /* is it alive? a probe has dialed it */
		nng_dialer probe;
		uint64_t answers; /* its listener_answers() when the probe dialed */
		int64_t probe_us; /* when; or when the last probe ended */
	} * listeners;
	size_t n_listeners;
	pthread_t watch;
	bool watching;
	nng_socket probe_sock;     /* the watchdog's, for dialing listeners */
	nng_tls_config *probe_tls; /* its probes' over TLS: no certificate, none checked */
	bool probe_open;
	bool renewed; /* a dead listener was replaced: see rpc_stop() */
};

/* ---- a call's life ------------------------------------------------------ */

static void
respond(struct work *w)
{
	size_t n;

	call_answered(&w->call);
	n = call_packed_size(&w->call);
	nng_msg_clear(w->msg);
	if (nng_msg_realloc(w->msg, n) != 0) {
		call_fail(&w->call, ST(RESOURCE_EXHAUSTED), "out of memory for a %zu-byte response",
		          n);
		n = call_packed_size(&w->call);
		if (nng_msg_realloc(w->msg, n) != 0) {
			/* Not even a small answer fits: drop it; the caller will time out. */
			nng_msg_free(w->msg);
			w->msg = NULL;
			arena_reset(&w->arena);
			atomic_fetch_sub(&w->r->opt.info->inflight, 1);
			w->state = W_RECV;
			nng_ctx_recv(w->ctx, w->aio);
			return;
		}
	}
	call_pack(&w->call, nng_msg_body(w->msg));
	nng_aio_set_msg(w->aio, w->msg);
	w->msg = NULL; /* the aio has it now */
	w->state = W_SEND;
	/* Answered: no longer in flight before the caller can see the answer
	 * (and send its next call), which may be before nng says it is sent.
	 * Until it is, the drain waits for it as `sending`. */
	atomic_fetch_add(&w->r->sending, 1);
	atomic_fetch_sub(&w->r->opt.info->inflight, 1);
	nng_ctx_send(w->ctx, w->aio);
}

/* lane_item.done: a lane finished the call. */
static void
work_done(lane_item *it)
{
	respond((struct work *)((char *)it - offsetof(struct work, item)));
}

static void
serve(struct work *w)
{
	rpc *r = w->r;
	enum lane lane = call_decode(&w->call, &w->arena, r->opt.info, nng_msg_body(w->msg),
	                             nng_msg_len(w->msg), clock_now_us());

	w->call.wire = true; /* the answer is only encoded and sent */
	lane = call_admit(&w->call, r->opt.info, lane, METRICS_NNG);
	switch (lane) {
	case LANE_NONE:
		respond(w);
		break;
	case LANE_INLINE:
		lanes_run_inline(r->opt.lanes, &w->call);
		respond(w);
		break;
	case LANE_READ:
	case LANE_WRITE:
		w->state = W_BUSY;
		w->item.call = &w->call;
		w->item.done = work_done;
		lanes_submit(r->opt.lanes, lane, &w->item);
		break;
	}
}

static void
work_cb(void *arg)
{
	struct work *w = arg;
	int rv = nng_aio_result(w->aio);

	switch (w->state) {
	case W_RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || atomic_load(&w->r->closing))
				return;
			log_warn("receive failed: %s", nng_strerror(rv));
			nng_ctx_recv(w->ctx, w->aio);
			return;
		}
		w->msg = nng_aio_get_msg(w->aio);
		serve(w);
		break;
	case W_SEND:
		if (rv != 0) {
			/* Not sent (peer gone, socket closing): the message is still ours. */
			nng_msg_free(nng_aio_get_msg(w->aio));
		}
		arena_reset(&w->arena);
		atomic_fetch_sub(&w->r->sending, 1);
		if (rv == NNG_ECLOSED || atomic_load(&w->r->closing))
			return;
		w->state = W_RECV;
		nng_ctx_recv(w->ctx, w->aio);
		break;
	case W_BUSY:
		break; /* no aio is pending while a lane has the call */
	}
}

/* ---- listeners ---------------------------------------------------------- */

/* For ipc://PATH: takes PATH.lock, so that a second jobsd cannot listen on
 * (and so break) the path of a live one. */
static int
lock_ipc_path(rpc *r, const char *url, char *err, size_t errlen)
{
	char lock[4096];
	int fd;

	snprintf(lock, sizeof lock, "%s.lock", url + strlen("ipc://"));
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", lock, strerror(errno));
		return ST(UNAVAILABLE);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s is in use by another jobsd (%s is locked)", url, lock);
		close(fd);
		return ST(FAILED_PRECONDITION);
	}
	r->lock_fds[r->n_locks++] = fd;
	return 0;
}

/* The server's TLS configuration, made once for every tls+tcp:// listener. */
static int
tls_setup(rpc *r, char *err, size_t errlen)
{
	const struct rpc_options *o = &r->opt;

	if (o->tls_cert == NULL || o->tls_key == NULL) {
		snprintf(err, errlen, "tls+tcp:// listeners need --tls-cert and --tls-key");
		return ST(INVALID_ARGUMENT);
	}
	return tls_server_config(&r->tls, o->tls_cert, o->tls_key, o->tls_ca, err, errlen);
}

/*
 * Opens a listener on li->url. The first time (not a restart) it also takes
 * the ipc lock, and records the real address (the bound port of a URL that
 * asked for port 0), so that a restart listens where clients already are.
 */
static int
listen_on(rpc *r, struct listening *li, bool restart, char *err, size_t errlen)
{
	const char *url = li->url;
	nng_listener l;
	int rv, port;
	bool ipc = strncmp(url, "ipc://", 6) == 0, tls = strncmp(url, "tls+tcp://", 10) == 0;

	if (ipc && !restart && (rv = lock_ipc_path(r, url, err, errlen)) != 0)
		return rv;
	if (tls && r->tls == NULL && (rv = tls_setup(r, err, errlen)) != 0)
		return rv;
	if ((rv = nng_listener_create(&l, r->sock, url)) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
		return ST(INVALID_ARGUMENT);
	}
	if (ipc && (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600)) != 0) {
		snprintf(err, errlen, "cannot set permissions on %s: %s", url, nng_strerror(rv));
		nng_listener_close(l);
		return ST(INTERNAL);
	}
	if (tls && (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, r->tls)) != 0) {
		snprintf(err, errlen, "cannot use TLS on %s: %s", url, nng_strerror(rv));
		nng_listener_close(l);
		return ST(INTERNAL);
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
		nng_listener_close(l);
		return ST(UNAVAILABLE);
	}
	/* Say where we really are: port 0 means "any free port". */
	if (!restart && nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) == 0) {
		char bound[sizeof li->url];
		const char *colon = strrchr(url, ':');

		snprintf(bound, sizeof bound, "%.*s:%d", (int)(colon - url), url, port);
		snprintf(li->url, sizeof li->url, "%s", bound);
	}
	if (!restart)
		log_info("listening on %s", li->url);
	li->l = l;
	li->up = true;
	li->probe_us = clock_now_us(); /* the first probe one period on */
	return 0;
}

/* The value of the statistic `name` directly under scope `scope`, or 0. */
static uint64_t
child_value(nng_stat *scope, const char *name)
{
	for (nng_stat *s = nng_stat_child(scope); s != NULL; s = nng_stat_next(s))
		if (strcmp(nng_stat_name(s), name) == 0)
			return nng_stat_value(s);
	return 0;
}

/*
 * A listener's statistic `name` ("accept": connections accepted, "auth":
 * refused in the TLS handshake, ...); 0 if nng keeps no count of it. The
 * "listener" scopes are matched by their "id" by hand: with two listeners,
 * nng 1.5.2's nng_stat_find_listener() answers the first one's scope.
 */
static uint64_t
listener_stat(nng_stat *all, nng_listener l, const char *name)
{
	int id = nng_listener_id(l);

	for (nng_stat *s = nng_stat_child(all); s != NULL; s = nng_stat_next(s))
		if (nng_stat_type(s) == NNG_STAT_SCOPE &&
		    strcmp(nng_stat_name(s), "listener") == 0 &&
		    child_value(s, "id") == (uint64_t)id)
			return child_value(s, name);
	return 0;
}

/* What only a live accept loop counts: connections taken, and those it
 * refused in the handshake. */
static uint64_t
listener_answers(nng_stat *all, nng_listener l)
{
	return listener_stat(all, l, "accept") + listener_stat(all, l, "auth") +
	       listener_stat(all, l, "proto") + listener_stat(all, l, "timeout");
}

/* Dials li from the watchdog's socket. */
static bool
probe_start(rpc *r, struct listening *li)
{
	if (nng_dialer_create(&li->probe, r->probe_sock, li->url) != 0)
		return false;
	if ((strncmp(li->url, "tls+tcp://", 10) == 0 &&
	     nng_dialer_set_ptr(li->probe, NNG_OPT_TLS_CONFIG, r->probe_tls) != 0) ||
	    nng_dialer_start(li->probe, NNG_FLAG_NONBLOCK) != 0) {
		nng_dialer_close(li->probe);
		return false;
	}
	return true;
}

/* One look at a listener: start a probe, judge one, or renew it. */
static void
watch_listener(rpc *r, struct listening *li, nng_stat *all)
{
	int64_t now = clock_now_us();
	char err[256];

	if (!li->up) { /* a renewal failed: try again */
		if (listen_on(r, li, true, err, sizeof err) != 0)
			log_error("%s (trying again)", err);
		return;
	}
	if (li->probing) {
		uint64_t answers = listener_answers(all, li->l);

		if (answers == li->answers && now - li->probe_us < PROBE_MS * 1000)
			return; /* not yet */
		nng_dialer_close(li->probe);
		li->probing = false;
		li->probe_us = now;
		if (answers > li->answers)
			return; /* alive */
		/* Said once the new listener is up: a client reading the log
		 * may connect then. */
		nng_listener_close(li->l);
		li->up = false;
		r->renewed = true;
		if (listen_on(r, li, true, err, sizeof err) != 0)
			log_error("the listener on %s stopped accepting after a peer hung up "
			          "mid-handshake (an nng 1.5.2 bug); %s (trying again)",
			          li->url, err);
		else
			log_warn("the listener on %s stopped accepting after a peer hung up "
			         "mid-handshake (an nng 1.5.2 bug); listening again",
			         li->url);
		return;
	}
	if (now - li->probe_us >= PROBE_EVERY_MS * 1000) {
		li->answers = listener_answers(all, li->l);
		li->probe_us = now;
		li->probing = probe_start(r, li);
	}
}

static void *
watch_main(void *arg)
{
	rpc *r = arg;

	while (!atomic_load(&r->closing)) {
		nng_stat *all;

		nng_msleep(WATCH_MS);
		if (atomic_load(&r->closing) || nng_stats_get(&all) != 0)
			continue;
		for (size_t i = 0; i < r->n_listeners; i++)
			watch_listener(r, &r->listeners[i], all);
		nng_stats_free(all);
	}
	for (size_t i = 0; i < r->n_listeners; i++)
		if (r->listeners[i].probing)
			nng_dialer_close(r->listeners[i].probe);
	return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

/* nng_close(), given at most CLOSE_WAIT_MS (A CLOSE THAT NEVER RETURNS). */
static void
close_socket(nng_socket sock, const char *what)
{
	if (!sock_close_within(sock, CLOSE_WAIT_MS))
		log_warn("nng did not finish closing the %s socket within %d ms (an nng 1.5.2 "
		         "bug); stopping without it",
		         what, CLOSE_WAIT_MS);
}

int
rpc_start(rpc **out, const struct rpc_options *opt, char *err, size_t errlen)
{
	rpc *r = calloc(1, sizeof *r);
	int rv;

	*out = NULL;
	if (r == NULL)
		goto nomem;
	r->opt = *opt;
	r->n_works = opt->info->max_inflight + SPARE;
	r->works = calloc((size_t)r->n_works, sizeof *r->works);
	r->lock_fds = calloc(opt->n_urls + 1, sizeof *r->lock_fds);
	r->listeners = calloc(opt->n_urls + 1, sizeof *r->listeners);
	if (r->works == NULL || r->lock_fds == NULL || r->listeners == NULL)
		goto nomem;
	if ((rv = nng_rep0_open(&r->sock)) != 0) {
		snprintf(err, errlen, "cannot open a rep0 socket: %s", nng_strerror(rv));
		rpc_stop(r);
		return ST(INTERNAL);
	}
	r->sock_open = true;
	/* Health reports this limit: it must be the one in force. */
	if ((rv = nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, opt->max_message_bytes)) != 0) {
		snprintf(err, errlen, "cannot limit requests to %zu bytes: %s",
		         opt->max_message_bytes, nng_strerror(rv));
		rpc_stop(r);
		return ST(INTERNAL);
	}
	for (int i = 0; i < r->n_works; i++) {
		struct work *w = &r->works[i];

		w->r = r;
		if (arena_init(&w->arena, ARENA_FIRST_SIZE,
		               8 * opt->max_message_bytes + (1u << 24)) != 0)
			goto nomem;
		if ((rv = nng_aio_alloc(&w->aio, work_cb, w)) != 0 ||
		    (rv = nng_ctx_open(&w->ctx, r->sock)) != 0) {
			snprintf(err, errlen, "cannot set up context %d: %s", i, nng_strerror(rv));
			rpc_stop(r);
			return ST(RESOURCE_EXHAUSTED);
		}
	}
	for (size_t i = 0; i < opt->n_urls; i++) {
		struct listening *li = &r->listeners[r->n_listeners++];

		snprintf(li->url, sizeof li->url, "%s", opt->urls[i]);
		if ((rv = listen_on(r, li, false, err, errlen)) != 0) {
			rpc_stop(r);
			return rv;
		}
	}
	if ((rv = nng_req0_open(&r->probe_sock)) != 0) {
		snprintf(err, errlen, "cannot open the watchdog's socket: %s", nng_strerror(rv));
		rpc_stop(r);
		return ST(INTERNAL);
	}
	r->probe_open = true;
	if (r->tls != NULL && /* a tls+tcp:// listener */
	    ((rv = nng_tls_config_alloc(&r->probe_tls, NNG_TLS_MODE_CLIENT)) != 0 ||
	     (rv = nng_tls_config_auth_mode(r->probe_tls, NNG_TLS_AUTH_MODE_NONE)) != 0)) {
		snprintf(err, errlen, "cannot set up the watchdog's TLS: %s", nng_strerror(rv));
		rpc_stop(r);
		return ST(INTERNAL);
	}
	if (pthread_create(&r->watch, NULL, watch_main, r) != 0) {
		snprintf(err, errlen, "cannot start the listener watchdog");
		rpc_stop(r);
		return ST(RESOURCE_EXHAUSTED);
	}
	r->watching = true;
	for (int i = 0; i < r->n_works; i++) {
		r->works[i].state = W_RECV;
		nng_ctx_recv(r->works[i].ctx, r->works[i].aio);
	}
	*out = r;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	rpc_stop(r);
	return ST(RESOURCE_EXHAUSTED);
}

int
rpc_drain(rpc *r, int timeout_ms)
{
	int64_t until = clock_now_us() + (int64_t)timeout_ms * 1000;
	int n;

	atomic_store(&r->opt.info->draining, true);
	while ((n = atomic_load(&r->opt.info->inflight) + atomic_load(&r->sending)) > 0 &&
	       clock_now_us() < until)
		nng_msleep(5);
	return n;
}

void
rpc_stop(rpc *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->closing, true);
	if (r->watching)
		pthread_join(r->watch, NULL);
	if (r->probe_open)
		close_socket(r->probe_sock, "watchdog's");
	if (r->sock_open)
		close_socket(r->sock, "server");
	for (int i = 0; r->works != NULL && i < r->n_works; i++) {
		struct work *w = &r->works[i];

		if (w->aio != NULL) {
			nng_aio_stop(w->aio);
			nng_aio_free(w->aio);
		}
		if (w->msg != NULL)
			nng_msg_free(w->msg);
		arena_fini(&w->arena);
	}
	for (size_t i = 0; i < r->n_locks; i++)
		close(r->lock_fds[i]);
	if (r->tls != NULL)
		nng_tls_config_free(r->tls);
	if (r->probe_tls != NULL)
		nng_tls_config_free(r->probe_tls);
	free(r->lock_fds);
	free(r->listeners);
	free(r->works);
	free(r);
}
