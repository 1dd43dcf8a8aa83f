/*
 * client.c: the client handle and the one transport path every call takes.
 *
 * A call in flight is an `op`: an nng req context, one aio and a small state
 * machine that runs on nng's threads, so that no thread waits per call:
 *
 *   client_start: encode the Request once (the deadline and request_id in
 *                 it), take an idle op (or make one), send: a connection
 *                 that is ready takes it inside nng_ctx_send() -> RECV at
 *                 once (op_send); else it waits, as SEND
 *   SEND   done: the request went to a connected server -> RECV
 *               (no server within the deadline: UNAVAILABLE)
 *   RECV   done: decode; the server's answer, or a retry:
 *               UNAVAILABLE, or RESOURCE_EXHAUSTED with retry_after_ms,
 *               answered -> PAUSE (backoff)
 *               the connection closed, or attempt_timeout passed -> SEND
 *   PAUSE  done: -> SEND the same bytes again
 *   finish: hand the result out, give the op back, then complete: call
 *           call->done or post to call->queue.
 *
 * nng's own resend is off (NNG_OPT_REQ_RESENDTIME infinite): every sending
 * is one of ours (client.h, RETRIES AND RESENDS). A new send on a req
 * context abandons its previous request, so a late answer to an earlier
 * attempt is dropped by nng and can never complete a later call.
 *
 * LIFETIME. c->busy counts calls from start until their completion has
 * returned, and each start until it is done with its op (a call can
 * complete before its start returns). jobs_client_close() cancels what is
 * in flight and frees the client once busy is 0. Freeing it means
 * nng_aio_free() of every op's aio, which waits for that aio's callback: on
 * one of nng's threads (inside a completion) that could be the very
 * callback running, so a close from a completion leaves the freeing to a
 * thread of its own (teardown_main).
 * nng_close() itself may never return in nng 1.5.2 (common/sock.h): the
 * teardown gives it CLOSE_WAIT_MS, then keeps only the client struct alive
 * for the pipe callbacks nng may still make, rather than hang its caller.
 *
 * DIALERS THAT STOP. nng 1.5.2 reads a failed write as NNG_ECLOSED (EPIPE),
 * and a dialer whose new connection fails so (the server closed it before
 * the handshake was written: a jobsd killed, or renewing its listener, as
 * the client connected) takes it for its own close and never dials again.
 * A thread of the client's (watch_main) renews a dialer that has gone
 * RENEW_MS without a connection: longer than a live dialer's slowest
 * retry, so that only a dialer that gave up, or one stuck on a server that
 * accepts and never answers, is replaced.
 */
#include "internal.h"
#include "sock.h"
#include "timespec.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#define DEFAULT_TIMEOUT_MS  5000
#define DEFAULT_MAX_REQUEST (1u << 20)
#define DEFAULT_ATTEMPTS    3
#define BACKOFF_FIRST_MS    25
#define BACKOFF_MAX_MS      1000
#define MAX_RESPONSE_BYTES  (64u << 20)
#define MAX_TOKEN_BYTES     4096
#define MAX_SERVERS         64
#define OPEN_POLL_MS        5
#define CLOSE_WAIT_MS       2000
#define RECONNECT_MAX_MS    1000 /* nng's backoff between dials, at most */
#define RENEW_MS            (3 * RECONNECT_MAX_MS)
#define WATCH_MS            250

/* The raw path's call: no Request around the bytes, no Response decoded. */
static const struct call_def raw_def = {"(raw)", 0, NULL};

/* One call in flight: its context, its aio and where the call is. */
struct op {
	jobs_client *c;
	struct op *next_free; /* under c->mu */
	struct op *next_all;  /* every op of the client, for close */
	nng_ctx ctx;
	nng_aio *aio;
	nng_aio *now; /* no callback, no wait: a send that goes at once or not */
	enum { OP_SEND, OP_RECV, OP_PAUSE } state;
	/* Set by client_start for the call. */
	const struct call_def *def;
	jobs_call *call;
	void *out;
	int hint;
	nng_msg *req;        /* the encoded request, sent again by retries */
	int64_t deadline_us; /* monotonic */
	int timeout_ms;      /* as given, for messages */
	int attempts;
	int last_code;        /* of the last failed attempt, 0 if none */
	char last_why[200];   /* and why, for the final message */
	atomic_bool canceled; /* jobs_cancel() or close wants it over */
	uint64_t gen;         /* under c->mu: bumped each time the op is given back */
	bool live;            /* under c->mu: a call holds it */
};

struct jobs_client {
	nng_socket sock;
	bool sock_open;
	char *urls; /* as given, for messages */
	/* One per server of the list; the dialer and pipe fields under mu. */
	struct server {
		char *url;           /* owned */
		nng_tls_config *tls; /* a reference of ours, for a new dialer; NULL: none */
		nng_dialer d;
		uint32_t pipe;      /* the connection of d that is up; 0: none */
		int64_t down_since; /* mono_us() since when none is */
	} servers[MAX_SERVERS];
	size_t n_servers;
	pthread_t watcher;    /* watch_main, running while `watching` */
	pthread_cond_t watch; /* stop_watching was set */
	bool watching;
	bool stop_watching; /* under mu */
	char *token;        /* NULL: none */
	int timeout_ms;
	int attempt_timeout_ms; /* 0: none */
	int max_attempts;
	size_t max_request;
	atomic_int pipes; /* connections up now */

	pthread_mutex_t mu;
	pthread_cond_t cv;     /* busy fell to 0; a connection came up */
	struct op *free_ops;   /* under mu */
	struct op *all_ops;    /* under mu */
	int busy;              /* under mu: calls started whose completion has not returned */
	bool closing;          /* under mu: jobs_client_close() was called */
	bool teardown_pending; /* under mu: the last completion to return frees the client */

	/* Request ids are this client's random prefix and a counter: unique
	 * without a system call per call. */
	char id_prefix[17];
	atomic_uint_fast64_t next_id;
};

static atomic_int live_clients;
static _Thread_local int in_completion; /* depth of completions on this thread */

int
client_live_count(void)
{
	return atomic_load(&live_clients);
}

bool
client_in_completion(void)
{
	return in_completion > 0;
}

int
client_call_status(jobs_call *call, int code, const char *fmt, ...)
{
	va_list ap;

	if (call == NULL)
		return code;
	call->code = code;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof call->message, fmt, ap);
	va_end(ap);
	return code;
}

static int64_t
mono_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int64_t
wall_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- opening ------------------------------------------------------------ */

/* Counts the connections, and notes which server has one (for the
 * watcher): by the dialer when one comes up, by the pipe when it goes. */
static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	jobs_client *c = arg;
	uint32_t id = (uint32_t)nng_pipe_id(p);
	int dialer = ev == NNG_PIPE_EV_ADD_POST ? nng_dialer_id(nng_pipe_dialer(p)) : -1;

	atomic_fetch_add(&c->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n_servers; i++) {
		struct server *s = &c->servers[i];

		if (ev == NNG_PIPE_EV_ADD_POST && nng_dialer_id(s->d) == dialer) {
			s->pipe = id;
		} else if (ev == NNG_PIPE_EV_REM_POST && s->pipe == id) {
			s->pipe = 0;
			s->down_since = mono_us();
		}
	}
	if (ev == NNG_PIPE_EV_ADD_POST)
		pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Reads a small file whole into a malloc'd string; NULL (with `call` set)
 * if it cannot. */
static char *
read_small_file(const char *path, size_t max, const char *what, jobs_call *call)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		client_call_status(call, JOBS_INVALID_ARGUMENT, "cannot read the %s %s: %s", what,
		                   path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		fclose(f);
		client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		client_call_status(call, JOBS_INVALID_ARGUMENT,
		                   "the %s %s is larger than %zu bytes", what, path, max);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* The token from the options: given, or read from its file (trailing
 * whitespace removed). 0, or a code with `call` set. */
static int
load_token(jobs_client *c, const jobs_client_options *o, jobs_call *call)
{
	size_t n;

	if (o->auth_token != NULL)
		c->token = strdup(o->auth_token);
	else if (o->auth_token_file == NULL)
		return JOBS_OK;
	else if ((c->token = read_small_file(o->auth_token_file, MAX_TOKEN_BYTES, "token file",
	                                     call)) == NULL)
		return call->code;
	if (c->token == NULL)
		return client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	for (n = strlen(c->token); n > 0 && strchr(" \t\r\n", c->token[n - 1]) != NULL; n--)
		c->token[n - 1] = '\0';
	if (n == 0)
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "the auth token is empty");
	return JOBS_OK;
}

/* A TLS configuration for dialing `url`. 0, or a code with `call` set. */
static int
tls_config(const char *url, const jobs_client_options *o, nng_tls_config **out, jobs_call *call)
{
	char *cert = NULL, *key = NULL;
	nng_url *u = NULL;
	int rv;

	*out = NULL;
	if (o->tls_ca_file == NULL)
		return client_call_status(call, JOBS_INVALID_ARGUMENT,
		                          "%s needs the CA that signed the server's certificate "
		                          "(tls_ca_file, jobsctl --tls-ca)",
		                          url);
	if ((rv = nng_tls_config_alloc(out, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (rv = nng_tls_config_ca_file(*out, o->tls_ca_file)) != 0 ||
	    (rv = nng_tls_config_auth_mode(*out, NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
		rv =
		    client_call_status(call, JOBS_INVALID_ARGUMENT, "TLS: cannot use the CA %s: %s",
		                       o->tls_ca_file, nng_strerror(rv));
		goto done;
	}
	if (o->tls_server_name != NULL) {
		rv = nng_tls_config_server_name(*out, o->tls_server_name);
	} else if ((rv = nng_url_parse(&u, url)) == 0) {
		rv = nng_tls_config_server_name(*out, u->u_hostname);
	}
	if (rv != 0) {
		rv = client_call_status(call, JOBS_INVALID_ARGUMENT, "TLS: server name: %s",
		                        nng_strerror(rv));
		goto done;
	}
	if (o->tls_cert_file != NULL || o->tls_key_file != NULL) {
		if (o->tls_cert_file == NULL || o->tls_key_file == NULL) {
			rv = client_call_status(
			    call, JOBS_INVALID_ARGUMENT,
			    "a client certificate needs both its file and its key");
			goto done;
		}
		if ((cert = read_small_file(o->tls_cert_file, 1 << 20, "certificate", call)) ==
		        NULL ||
		    (key = read_small_file(o->tls_key_file, 1 << 20, "key", call)) == NULL) {
			rv = call->code;
			goto done;
		}
		if ((rv = nng_tls_config_own_cert(*out, cert, key, NULL)) != 0) {
			rv = client_call_status(
			    call, JOBS_INVALID_ARGUMENT,
			    "TLS: %s and %s are not a certificate and its key: %s",
			    o->tls_cert_file, o->tls_key_file, nng_strerror(rv));
			goto done;
		}
	}
	rv = JOBS_OK;
done:
	if (key != NULL)
		memset(key, 0, strlen(key));
	free(key);
	free(cert);
	nng_url_free(u);
	if (rv != JOBS_OK && *out != NULL) {
		nng_tls_config_free(*out);
		*out = NULL;
	}
	return rv;
}

/*
 * Splits the server list `urls` (modified in place) into url[], at most
 * MAX_SERVERS. Entries are trimmed of blanks. 0, or INVALID_ARGUMENT with
 * `call` saying what is wrong with the list, in one line.
 */
static int
split_servers(char *urls, char **url, size_t *n, jobs_call *call)
{
	char *next = urls;

	*n = 0;
	while (next != NULL) {
		char *u = next, *end;

		if ((next = strchr(u, ',')) != NULL)
			*next++ = '\0';
		u += strspn(u, " \t");
		for (end = u + strlen(u); end > u && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (*u == '\0')
			return client_call_status(
			    call, JOBS_INVALID_ARGUMENT,
			    "the server list has an empty entry (number %zu); give "
			    "URLs separated by commas, as tcp://a:7460,tcp://b:7460",
			    *n + 1);
		if (strstr(u, "://") == NULL)
			return client_call_status(
			    call, JOBS_INVALID_ARGUMENT,
			    "the server '%s' has no scheme; did you mean tcp://%s?", u, u);
		for (size_t i = 0; i < *n; i++)
			if (strcmp(url[i], u) == 0)
				return client_call_status(call, JOBS_INVALID_ARGUMENT,
				                          "the server list names %s twice", u);
		if (*n == MAX_SERVERS)
			return client_call_status(call, JOBS_INVALID_ARGUMENT,
			                          "the server list names more than %d servers",
			                          MAX_SERVERS);
		url[(*n)++] = u;
	}
	return JOBS_OK;
}

/* Starts a dialer for server s (its url and tls set), s->d from then on:
 * set before the start, so that pipe_event() knows its first connection.
 * 0, or a code with `call` set. */
static int
dial(jobs_client *c, struct server *s, jobs_call *call)
{
	nng_dialer d;
	int rv;

	if ((rv = nng_dialer_create(&d, c->sock, s->url)) != 0)
		return client_call_status(call,
		                          rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP
		                              ? JOBS_INVALID_ARGUMENT
		                              : JOBS_UNAVAILABLE,
		                          "cannot connect to %s: %s (jobsd serves "
		                          "tcp://HOST:PORT, ipc:///PATH and "
		                          "tls+tcp://HOST:PORT)",
		                          s->url, nng_strerror(rv));
	if (s->tls != NULL && (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, s->tls)) != 0) {
		nng_dialer_close(d);
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "cannot use TLS with %s: %s",
		                          s->url, nng_strerror(rv));
	}
	pthread_mutex_lock(&c->mu);
	s->d = d;
	pthread_mutex_unlock(&c->mu);
	/* Non-blocking: a blocking start waits out nng's 10 s handshake
	 * timeout on a server that accepts but does not answer. */
	if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
		nng_dialer_close(d);
		return client_call_status(call, JOBS_UNAVAILABLE, "cannot connect to %s: %s",
		                          s->url, nng_strerror(rv));
	}
	return JOBS_OK;
}

void
client_stop_dialers(jobs_client *c)
{
	nng_dialer d[MAX_SERVERS];
	size_t n;

	pthread_mutex_lock(&c->mu);
	n = c->n_servers;
	for (size_t i = 0; i < n; i++)
		d[i] = c->servers[i].d;
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < n; i++)
		nng_dialer_close(d[i]);
}

/* Starts a dialer for each URL. 0, or a code with `call` set. */
static int
dial_all(jobs_client *c, char **url, size_t n, const jobs_client_options *o, jobs_call *call)
{
	for (size_t i = 0; i < n; i++) {
		struct server *s = &c->servers[c->n_servers];
		int rv;

		if ((s->url = strdup(url[i])) == NULL)
			return client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		pthread_mutex_lock(&c->mu);
		s->down_since = mono_us();
		c->n_servers++; /* the teardown frees what it holds from here on */
		pthread_mutex_unlock(&c->mu);
		if (strncmp(url[i], "tls+tcp://", 10) == 0 &&
		    (rv = tls_config(url[i], o, &s->tls, call)) != 0)
			return rv;
		if ((rv = dial(c, s, call)) != JOBS_OK)
			return rv;
	}
	return JOBS_OK;
}

/*
 * The client's watcher (DIALERS THAT STOP at the top): every WATCH_MS, a
 * server without a connection for RENEW_MS gets a new dialer. The nng calls
 * are made without c->mu, which pipe_event() takes under nng's own locks.
 */
static void *
watch_main(void *arg)
{
	jobs_client *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!c->stop_watching) {
		struct timespec until = timespec_in(CLOCK_REALTIME, WATCH_MS);

		pthread_cond_timedwait(&c->watch, &c->mu, &until);
		for (size_t i = 0; i < c->n_servers && !c->stop_watching; i++) {
			struct server *s = &c->servers[i];
			nng_dialer old = s->d;

			if (s->pipe != 0 || mono_us() - s->down_since < RENEW_MS * 1000LL)
				continue;
			s->down_since = mono_us();
			pthread_mutex_unlock(&c->mu);
			nng_dialer_close(old);
			dial(c, s, NULL); /* failing, it is tried again after RENEW_MS */
			pthread_mutex_lock(&c->mu);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* The value of statistic `name` directly under `scope`, or 0. */
static uint64_t
stat_child(nng_stat *scope, const char *name)
{
	for (nng_stat *s = nng_stat_child(scope); s != NULL; s = nng_stat_next(s))
		if (strcmp(nng_stat_name(s), name) == 0)
			return nng_stat_value(s);
	return 0;
}

/*
 * Whether every dialer has failed to connect twice (nng counts its failures
 * by kind, and dials again 20 ms after a failure); if so, why, in why[].
 * Twice: a server renewing its listener refuses for a moment. The "dialer"
 * scopes are matched by id by hand, as rpc.c does for listeners.
 */
static bool
all_dialers_failed(jobs_client *c, char *why, size_t len)
{
	static const struct {
		const char *stat, *why;
	} kinds[] = {
	    {"refused", "connection refused"},
	    {"auth", "the TLS handshake failed (is the CA right?)"},
	    {"proto", "the server does not speak nng req/rep (is it jobsd?)"},
	    {"timeout", "timed out"},
	    {"reject", "the server rejected the connection"},
	    {"oom", "out of memory"},
	    {"other", "nothing listens there"},
	};
	size_t failed = 0;
	nng_stat *all;

	if (nng_stats_get(&all) != 0)
		return false;
	for (size_t i = 0; i < c->n_servers; i++) {
		int id;

		pthread_mutex_lock(&c->mu);
		id = nng_dialer_id(c->servers[i].d);
		pthread_mutex_unlock(&c->mu);

		for (nng_stat *s = nng_stat_child(all); s != NULL; s = nng_stat_next(s)) {
			if (nng_stat_type(s) != NNG_STAT_SCOPE ||
			    strcmp(nng_stat_name(s), "dialer") != 0 ||
			    stat_child(s, "id") != (uint64_t)id)
				continue;
			uint64_t n = 0;

			for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
				uint64_t v = stat_child(s, kinds[k].stat);

				if (v > 0)
					snprintf(why, len, "%s", kinds[k].why);
				n += v;
			}
			failed += n >= 2;
		}
	}
	nng_stats_free(all);
	return failed == c->n_servers;
}

/* Waits until a server is connected: JOBS_OK, or UNAVAILABLE with `call`
 * set when every server refused or none came within timeout_ms. nng's
 * statistics are read without c->mu held: nng calls pipe_event, which takes
 * c->mu, with locks of its own held. */
static int
wait_connected(jobs_client *c, jobs_call *call)
{
	int64_t until = mono_us() + (int64_t)c->timeout_ms * 1000;
	char why[128];

	for (;;) {
		pthread_mutex_lock(&c->mu);
		if (atomic_load(&c->pipes) == 0) {
			struct timespec wake = timespec_in(CLOCK_REALTIME, OPEN_POLL_MS);

			pthread_cond_timedwait(&c->cv, &c->mu, &wake);
		}
		pthread_mutex_unlock(&c->mu);
		if (atomic_load(&c->pipes) > 0)
			return JOBS_OK;
		if (mono_us() >= until)
			return client_call_status(call, JOBS_UNAVAILABLE,
			                          "cannot connect to %s: no answer within %d ms",
			                          c->urls, c->timeout_ms);
		if (all_dialers_failed(c, why, sizeof why))
			return client_call_status(call, JOBS_UNAVAILABLE,
			                          "cannot connect to %s: %s", c->urls, why);
	}
}

int
jobs_client_open(jobs_client **out, const char *urls, const jobs_client_options *opts,
                 jobs_call *call)
{
	static const jobs_client_options defaults = {0};
	const jobs_client_options *o = opts != NULL ? opts : &defaults;
	jobs_call scratch = {0};
	char *list = NULL, *url[MAX_SERVERS];
	size_t n_urls;
	jobs_client *c;
	int rv;

	*out = NULL;
	if (call == NULL)
		call = &scratch;
	if (urls == NULL || urls[strspn(urls, " \t")] == '\0')
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "no server URL given");
	if (o->timeout_ms < 0 || o->attempt_timeout_ms < 0 || o->max_attempts < 0)
		return client_call_status(
		    call, JOBS_INVALID_ARGUMENT,
		    "timeout_ms, attempt_timeout_ms and max_attempts cannot be "
		    "negative");
	if ((c = calloc(1, sizeof *c)) == NULL || (c->urls = strdup(urls)) == NULL ||
	    (list = strdup(urls)) == NULL) {
		if (c != NULL)
			free(c->urls);
		free(c);
		return client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	}
	atomic_fetch_add(&live_clients, 1);
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->attempt_timeout_ms = o->attempt_timeout_ms;
	c->max_attempts = o->max_attempts > 0 ? o->max_attempts : DEFAULT_ATTEMPTS;
	c->max_request = o->max_message_bytes > 0 ? o->max_message_bytes : DEFAULT_MAX_REQUEST;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_cond_init(&c->watch, NULL);
	{
		uuid_t u;
		uuid_generate_random(u);
		for (int i = 0; i < 8; i++)
			snprintf(c->id_prefix + 2 * i, 3, "%02x", u[i]);
	}
	if ((rv = split_servers(list, url, &n_urls, call)) != JOBS_OK ||
	    (rv = load_token(c, o, call)) != JOBS_OK)
		goto failed;
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		rv = client_call_status(call, JOBS_INTERNAL, "cannot open a req socket: %s",
		                        nng_strerror(rv));
		goto failed;
	}
	c->sock_open = true;
	/* Each of these is part of the contract (resends are ours, answers
	 * are bounded): a socket without them is not used. */
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, MAX_RESPONSE_BYTES)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 20)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, RECONNECT_MAX_MS)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, pipe_event, c)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_event, c)) != 0) {
		rv = client_call_status(call, JOBS_INTERNAL, "cannot set up the req socket: %s",
		                        nng_strerror(rv));
		goto failed;
	}
	if ((rv = dial_all(c, url, n_urls, o, call)) != JOBS_OK)
		goto failed;
	if (pthread_create(&c->watcher, NULL, watch_main, c) != 0) {
		rv = client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "cannot start a thread");
		goto failed;
	}
	c->watching = true;
	if (!o->lazy_connect && (rv = wait_connected(c, call)) != JOBS_OK)
		goto failed;
	free(list);
	*out = c;
	return client_call_status(call, JOBS_OK, "%s", "");
failed:
	free(list);
	jobs_client_close(c);
	return rv;
}

/* ---- closing ---------------------------------------------------------------- */

/* Frees the client: every call is over and every completion has returned,
 * and this is not one of nng's threads. */
static void
teardown(jobs_client *c)
{
	struct op *o, *next;
	bool closed;

	if (c->watching) {
		pthread_mutex_lock(&c->mu);
		c->stop_watching = true;
		pthread_cond_signal(&c->watch);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->watcher, NULL);
		c->watching = false;
	}
	for (o = c->all_ops; o != NULL; o = o->next_all) {
		nng_aio_free(o->aio); /* waits for a callback still finishing */
		nng_aio_free(o->now);
	}
	/* Closing the socket closes the contexts too. When nng 1.5.2 cannot
	 * finish (common/sock.h), its pipes may still call pipe_event() with
	 * c: c stays, the rest goes. */
	closed = !c->sock_open || sock_close_within(c->sock, CLOSE_WAIT_MS);
	for (o = c->all_ops; o != NULL; o = next) {
		next = o->next_all;
		nng_msg_free(o->req);
		free(o);
	}
	c->all_ops = NULL;
	for (size_t i = 0; i < c->n_servers; i++) {
		if (c->servers[i].tls != NULL)
			nng_tls_config_free(c->servers[i].tls);
		free(c->servers[i].url);
	}
	c->n_servers = 0;
	if (!closed)
		return;
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->watch);
	pthread_mutex_destroy(&c->mu);
	if (c->token != NULL)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	free(c->urls);
	free(c);
	atomic_fetch_sub(&live_clients, 1);
}

static void *
teardown_main(void *arg)
{
	teardown(arg);
	return NULL;
}

/* Frees the client on a thread of its own (see LIFETIME at the top). */
static void
teardown_later(jobs_client *c)
{
	pthread_attr_t attr;
	pthread_t t;
	bool started;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&t, &attr, teardown_main, c) == 0;
	pthread_attr_destroy(&attr);
	if (!started)
		teardown(c); /* no thread to be had: here, and hope */
}

void
jobs_client_close(jobs_client *c)
{
	bool later;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->closing) { /* closed twice, from a completion and again */
		pthread_mutex_unlock(&c->mu);
		return;
	}
	c->closing = true;
	for (struct op *o = c->all_ops; o != NULL; o = o->next_all)
		if (o->live) {
			atomic_store(&o->canceled, true);
			nng_aio_abort(o->aio, NNG_ECANCELED);
		}
	if (client_in_completion()) {
		later = c->busy == 0; /* else the last completion to return frees it */
		c->teardown_pending = c->busy > 0;
		pthread_mutex_unlock(&c->mu);
		if (later)
			teardown_later(c);
		return;
	}
	while (c->busy > 0)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	teardown(c);
}

/* ---- a call's life ---------------------------------------------------------- */

static void op_cb(void *arg);

/* Gives back one of c->busy: a completion that returned, or a start that
 * is done with its op; the last one out frees a client closed meanwhile. */
static void
release(jobs_client *c)
{
	bool free_now;

	pthread_mutex_lock(&c->mu);
	c->busy--;
	free_now = c->busy == 0 && c->teardown_pending;
	if (c->busy == 0)
		pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (free_now)
		teardown_later(c);
}

/* An idle op of c's, or a new one; NULL (with rv) when none can be had. */
static struct op *
op_get(jobs_client *c, int *rv)
{
	struct op *o;

	pthread_mutex_lock(&c->mu);
	if (c->closing) {
		pthread_mutex_unlock(&c->mu);
		*rv = NNG_ECLOSED;
		return NULL;
	}
	if ((o = c->free_ops) != NULL) {
		c->free_ops = o->next_free;
		o->live = true;
		c->busy += 2; /* the call's, and its start's (see start()) */
	}
	pthread_mutex_unlock(&c->mu);
	if (o != NULL)
		return o;

	if ((o = calloc(1, sizeof *o)) == NULL) {
		*rv = NNG_ENOMEM;
		return NULL;
	}
	o->c = c;
	if ((*rv = nng_aio_alloc(&o->aio, op_cb, o)) != 0) {
		free(o);
		return NULL;
	}
	if ((*rv = nng_aio_alloc(&o->now, NULL, NULL)) != 0 ||
	    (*rv = nng_ctx_open(&o->ctx, c->sock)) != 0) {
		nng_aio_free(o->now);
		nng_aio_free(o->aio);
		free(o);
		return NULL;
	}
	nng_aio_set_timeout(o->now, NNG_DURATION_ZERO);
	pthread_mutex_lock(&c->mu);
	o->next_all = c->all_ops;
	c->all_ops = o;
	if (c->closing) { /* closed meanwhile: keep it for the teardown, idle */
		pthread_mutex_unlock(&c->mu);
		*rv = NNG_ECLOSED;
		return NULL;
	}
	o->live = true;
	c->busy += 2;
	pthread_mutex_unlock(&c->mu);
	return o;
}

/* Milliseconds left before the op's deadline, rounded up; 0 when past. */
static int
op_left_ms(const struct op *o)
{
	int64_t left = o->deadline_us - mono_us();

	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/* Posts the aio for the op's current state, then honours a cancel that
 * came meanwhile (jobs_cancel sets the flag, then aborts what is posted:
 * one of the two catches it). */
static void
op_post(struct op *o, int timeout_ms)
{
	nng_aio_set_timeout(o->aio, timeout_ms);
	switch (o->state) {
	case OP_SEND:
		nng_ctx_send(o->ctx, o->aio);
		break;
	case OP_RECV:
		nng_ctx_recv(o->ctx, o->aio);
		break;
	case OP_PAUSE:
		nng_sleep_aio(timeout_ms, o->aio);
		break;
	}
	if (atomic_load(&o->canceled))
		nng_aio_abort(o->aio, NNG_ECANCELED);
}

/* The request is out: wait for its answer, until the deadline or, with
 * attempt_timeout_ms, less. */
static void
op_receive(struct op *o)
{
	int left = op_left_ms(o), t = o->c->attempt_timeout_ms;

	o->state = OP_RECV;
	op_post(o, t > 0 && t < left ? t : left);
}

/* The next sending of the op's request: the same bytes, a copy when more
 * may follow. */
static void
op_send(struct op *o)
{
	jobs_client *c = o->c;
	int left = op_left_ms(o);
	nng_msg *m = NULL;

	if (o->attempts + 1 < c->max_attempts && nng_msg_dup(&m, o->req) != 0)
		m = NULL;
	if (m == NULL) { /* the last attempt, or no memory for a copy: make it so */
		m = o->req;
		o->req = NULL;
		o->attempts = c->max_attempts - 1;
	}
	o->attempts++;
	/*
	 * Most of the time a connection is ready, and req0 hands the request
	 * to it inside nng_ctx_send(). On an aio without a callback nng then
	 * completes the send right there, and the receive is posted at once:
	 * no thread wakes up just to say "sent". Only when no connection is
	 * ready does the send wait, on the aio whose callback posts the
	 * receive.
	 */
	nng_aio_set_msg(o->now, m);
	nng_ctx_send(o->ctx, o->now);
	nng_aio_wait(o->now); /* done already: a zero timeout never waits */
	if (nng_aio_result(o->now) == 0) {
		op_receive(o);
		return;
	}
	m = nng_aio_get_msg(o->now); /* not sent: still ours */
	nng_aio_set_msg(o->now, NULL);
	o->state = OP_SEND;
	nng_aio_set_msg(o->aio, m);
	op_post(o, left);
}

/* Gives the op back and completes its call (call->code and message set). */
static void
op_complete(struct op *o)
{
	jobs_client *c = o->c;
	jobs_call *call = o->call;

	call->attempts = o->attempts;
	nng_msg_free(o->req);
	o->req = NULL;
	pthread_mutex_lock(&c->mu);
	o->live = false;
	o->gen++;
	o->next_free = c->free_ops;
	c->free_ops = o;
	pthread_mutex_unlock(&c->mu);

	/* The op is free from here on: a call started by the completion may
	 * take it (and post on its aio, whose callback this is). */
	in_completion++;
	if (call->queue != NULL) {
		client_queue_post(call->queue, call);
	} else {
		call->done(call);
	}
	in_completion--;
	release(c);
}

/* Fails the op's call with `code`, or with what its last attempt met when
 * that says more (a deadline that passed after a refusal). */
static void op_fail(struct op *o, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
op_fail(struct op *o, int code, const char *fmt, ...)
{
	va_list ap;

	o->call->code = code;
	va_start(ap, fmt);
	vsnprintf(o->call->message, sizeof o->call->message, fmt, ap);
	va_end(ap);
	op_complete(o);
}

/* An attempt went wrong in a way another attempt may mend: `pause` first
 * (ms; 0: at once). Else the call fails with code and why. */
static void
op_retry(struct op *o, int code, int pause, const char *why)
{
	jobs_client *c = o->c;
	int left = op_left_ms(o);

	snprintf(o->last_why, sizeof o->last_why, "%s", why);
	o->last_code = code;
	if (o->attempts >= c->max_attempts || left <= pause || atomic_load(&o->canceled)) {
		if (o->attempts > 1)
			op_fail(o, code, "%s (after %d attempts)", why, o->attempts);
		else
			op_fail(o, code, "%s", why);
		return;
	}
	if (pause == 0) {
		op_send(o);
		return;
	}
	o->state = OP_PAUSE;
	op_post(o, pause);
}

/* The pause before attempt n+1 after attempt n was refused: jittered
 * exponential backoff ("full jitter" over the upper half). */
static int
backoff_ms(int n)
{
	int cap = BACKOFF_FIRST_MS << (n < 6 ? n - 1 : 5);

	if (cap > BACKOFF_MAX_MS)
		cap = BACKOFF_MAX_MS;
	return cap / 2 + (int)(nng_random() % (uint32_t)(cap / 2 + 1));
}

/* The answer came: decode it and finish, or retry what the server asks us
 * to. */
static void
op_answered(struct op *o, nng_msg *reply)
{
	const struct call_def *def = o->def;
	jobs_call *call = o->call;
	Jobs__V1__Response *r;
	char why[300];
	int code;

	if (def == &raw_def) {
		*(nng_msg **)o->out = reply;
		client_call_status(call, JOBS_OK, "%s", "");
		op_complete(o);
		return;
	}
	r = jobs__v1__response__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
	nng_msg_free(reply);
	if (r == NULL) {
		op_fail(o, JOBS_INTERNAL, "the answer from %s is not a jobs.v1.Response",
		        o->c->urls);
		return;
	}
	if (r->code != JOBS__V1__CODE__OK) {
		/* Waiting cures UNAVAILABLE, and a RESOURCE_EXHAUSTED that jobsd
		 * marks so (retry_after_ms: too many calls in flight); not one
		 * without the mark, a limit such as a batch over its size. */
		int pause = backoff_ms(o->attempts);
		bool retry =
		    r->code == JOBS__V1__CODE__UNAVAILABLE ||
		    (r->code == JOBS__V1__CODE__RESOURCE_EXHAUSTED && r->retry_after_ms > 0);

		if (r->retry_after_ms > (uint32_t)pause)
			pause = r->retry_after_ms < BACKOFF_MAX_MS ? (int)r->retry_after_ms
			                                           : BACKOFF_MAX_MS;
		code = r->code;
		snprintf(why, sizeof why, "%s", *r->message ? r->message : jobs_code_name(code));
		jobs__v1__response__free_unpacked(r, NULL);
		if (retry)
			op_retry(o, code, pause, why);
		else
			op_fail(o, code, "%s", why);
		return;
	}
	if ((unsigned)r->result_case != def->field) {
		jobs__v1__response__free_unpacked(r, NULL);
		op_fail(o, JOBS_INTERNAL, "the answer from %s is for another call (%d)", o->c->urls,
		        (int)r->result_case);
		return;
	}
	code = o->out != NULL ? def->hand_out(call, r, o->out, o->hint) : JOBS_OK;
	jobs__v1__response__free_unpacked(r, NULL);
	if (code == JOBS_OK)
		client_call_status(call, JOBS_OK, "%s", "");
	op_complete(o);
}

/* An nng failure of the op's current step. */
static void
op_failed(struct op *o, int rv)
{
	jobs_client *c = o->c;
	char why[300];

	if (rv == NNG_ECANCELED || rv == NNG_ECLOSED || atomic_load(&o->canceled)) {
		bool closing;

		pthread_mutex_lock(&c->mu);
		closing = c->closing;
		pthread_mutex_unlock(&c->mu);
		op_fail(o, JOBS_CANCELLED, "%s",
		        closing ? "the client was closed" : "the call was cancelled");
		return;
	}
	switch (rv) {
	case NNG_ETIMEDOUT:
		if (o->state == OP_SEND || atomic_load(&c->pipes) == 0) {
			/* Never sent, or sent and the connection lost since. */
			if (o->last_code != 0)
				op_fail(o, o->last_code, "%s (and then %d ms had passed)",
				        o->last_why, o->timeout_ms);
			else
				op_fail(o, JOBS_UNAVAILABLE,
				        "cannot reach jobsd at %s within %d ms", c->urls,
				        o->timeout_ms);
			return;
		}
		if (op_left_ms(o) > 0) { /* attempt_timeout_ms passed */
			snprintf(why, sizeof why, "no answer from %s within %d ms", c->urls,
			         c->attempt_timeout_ms);
			op_retry(o, JOBS_DEADLINE_EXCEEDED, 0, why);
			return;
		}
		op_fail(o, JOBS_DEADLINE_EXCEEDED, "no answer from %s within %d ms", c->urls,
		        o->timeout_ms);
		return;
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
		op_retry(o, JOBS_UNAVAILABLE, 0,
		         "the connection to the server closed before the answer came (did it "
		         "restart, or refuse a request too large?)");
		return;
	case NNG_ENOMEM:
		op_fail(o, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	default:
		snprintf(why, sizeof why, "talking to %s failed: %s", c->urls, nng_strerror(rv));
		op_retry(o, JOBS_UNAVAILABLE, 0, why);
		return;
	}
}

static void
op_cb(void *arg)
{
	struct op *o = arg;
	int rv = nng_aio_result(o->aio);

	switch (o->state) {
	case OP_SEND:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(o->aio)); /* not sent: still ours */
			nng_aio_set_msg(o->aio, NULL);
			op_failed(o, rv);
			return;
		}
		op_receive(o);
		return;
	case OP_RECV:
		if (rv != 0) {
			op_failed(o, rv);
			return;
		}
		{
			/* Taken off the aio first: the completion may start a call
			 * that reuses this op and posts a message of its own. */
			nng_msg *reply = nng_aio_get_msg(o->aio);

			nng_aio_set_msg(o->aio, NULL);
			op_answered(o, reply);
		}
		return;
	case OP_PAUSE:
		if (rv != 0 && rv != NNG_ETIMEDOUT) {
			op_failed(o, rv);
			return;
		}
		op_send(o);
		return;
	}
}

/* Starts `o` on the encoded request `req` (consumed) for `call`. */
static int
start(jobs_client *c, jobs_call *call, const struct call_def *def, nng_msg *req,
      int64_t deadline_us, int timeout_ms, void *out, int hint)
{
	struct op *o;
	int rv;

	if ((o = op_get(c, &rv)) == NULL) {
		nng_msg_free(req);
		return rv == NNG_ECLOSED
		           ? client_call_status(call, JOBS_CANCELLED, "the client is closed")
		           : client_call_status(call, JOBS_RESOURCE_EXHAUSTED,
		                                "cannot start a call: %s", nng_strerror(rv));
	}
	o->def = def;
	o->call = call;
	o->out = out;
	o->hint = hint;
	o->req = req;
	o->deadline_us = deadline_us;
	o->timeout_ms = timeout_ms;
	o->attempts = 0;
	o->last_code = 0;
	atomic_store(&o->canceled, false);
	call->internal_.op = o;
	call->internal_.gen = o->gen;
	call->code = JOBS_UNKNOWN;
	call->message[0] = '\0';
	call->attempts = 0;
	/* The call may complete, and its callback close the client, before
	 * op_send() returns (op_post() looks at the op after posting): the
	 * start holds the client until then. */
	op_send(o);
	release(c);
	return JOBS_OK;
}

/*
 * What every start checks: a client, a call with somewhere to complete,
 * and the deadline. Sets *deadline_us (monotonic), *timeout_ms and *wire_ms
 * (the deadline on the wire). JOBS_OK or a code set in `call`.
 */
static int
start_check(jobs_client *c, jobs_call *call, int64_t *deadline_us, int *timeout_ms,
            int64_t *wire_ms)
{
	int64_t now_wall, now_mono;

	if (call == NULL)
		return JOBS_INVALID_ARGUMENT;
	if (c == NULL)
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "no client given");
	if ((call->done == NULL) == (call->queue == NULL))
		return client_call_status(call, JOBS_INVALID_ARGUMENT,
		                          "an asynchronous call needs call->done or call->queue "
		                          "(one of them) to complete into");
	if (call->timeout_ms < 0)
		return client_call_status(call, JOBS_INVALID_ARGUMENT,
		                          "call->timeout_ms is negative");
	*timeout_ms = call->timeout_ms > 0 ? call->timeout_ms : c->timeout_ms;
	now_wall = wall_ms();
	now_mono = mono_us();
	*wire_ms = now_wall + *timeout_ms;
	if (call->deadline_ms != 0 && call->deadline_ms < *wire_ms) {
		if (call->deadline_ms <= now_wall)
			return client_call_status(call, JOBS_DEADLINE_EXCEEDED,
			                          "the deadline passed %" PRId64
			                          " ms ago; nothing was sent",
			                          now_wall - call->deadline_ms);
		*wire_ms = call->deadline_ms;
		*timeout_ms = (int)(*wire_ms - now_wall);
	}
	*deadline_us = now_mono + (int64_t)*timeout_ms * 1000;
	return JOBS_OK;
}

int
client_start(jobs_client *c, jobs_call *call, const struct call_def *def,
             const ProtobufCMessage *in, void *out, int hint)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&jobs__v1__request__descriptor, def->field);
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	int64_t deadline_us = 0;
	int timeout_ms = 0, rv;
	nng_msg *msg;
	char rid[48];
	size_t size;

	if ((rv = start_check(c, call, &deadline_us, &timeout_ms, &req.deadline_ms)) != JOBS_OK)
		return rv;
	if (call->request_id != NULL) {
		req.request_id = (char *)call->request_id;
	} else {
		snprintf(rid, sizeof rid, "%s-%" PRIxFAST64, c->id_prefix,
		         atomic_fetch_add_explicit(&c->next_id, 1, memory_order_relaxed));
		req.request_id = rid;
	}
	if (c->token != NULL)
		req.auth_token = c->token;
	*(const ProtobufCMessage **)((char *)&req + f->offset) = in;
	*(uint32_t *)((char *)&req + f->quantifier_offset) = f->id;

	size = jobs__v1__request__get_packed_size(&req);
	if (size > c->max_request)
		return client_call_status(
		    call, JOBS_RESOURCE_EXHAUSTED,
		    "the request is %zu bytes; the server accepts at most %zu", size,
		    c->max_request);
	if (nng_msg_alloc(&msg, size) != 0)
		return client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	jobs__v1__request__pack(&req, nng_msg_body(msg));
	return start(c, call, def, msg, deadline_us, timeout_ms, out, hint);
}

int
client_start_raw(jobs_client *c, jobs_call *call, const void *body, size_t len, nng_msg **reply)
{
	int64_t deadline_us = 0, wire_ms = 0;
	int timeout_ms = 0, rv;
	nng_msg *msg;

	if ((rv = start_check(c, call, &deadline_us, &timeout_ms, &wire_ms)) != JOBS_OK)
		return rv;
	*reply = NULL;
	if (nng_msg_alloc(&msg, len) != 0)
		return client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	memcpy(nng_msg_body(msg), body, len);
	return start(c, call, &raw_def, msg, deadline_us, timeout_ms, reply, 0);
}

void
jobs_cancel(jobs_call *call)
{
	struct op *o;
	jobs_client *c;

	if (call == NULL || (o = call->internal_.op) == NULL)
		return;
	c = o->c;
	pthread_mutex_lock(&c->mu);
	if (o->live && o->gen == call->internal_.gen) {
		atomic_store(&o->canceled, true);
		nng_aio_abort(o->aio, NNG_ECANCELED);
	}
	pthread_mutex_unlock(&c->mu);
}
