/*
 * client.c: the client handle and the one transport path every call takes:
 *
 *   encode (Request envelope around the call's message, once)
 *   -> attempt: send and receive on an nng req context of its own (so
 *      threads never wait on each other's calls), with this attempt's
 *      deadline. Contexts are kept in a free list and reused. The send's
 *      completion callback posts the receive, on nng's thread, so the
 *      calling thread sleeps once, for the answer, not once per step.
 *   -> retry, with the same request_id, after UNAVAILABLE, an overloaded
 *      server or a timeout, pausing with jittered exponential backoff
 *   -> decode (Response) -> status (the server's code and message, or a
 *      transport failure mapped to a code).
 *
 * nng's own resend of requests is switched off: the retry policy is ours,
 * visible and bounded (jobs_client_options.max_attempts).
 */
#include "internal.h"

#include <nng/nng.h>
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

/* A context, its two aios and a place to wait: what one call in flight
 * needs. */
struct slot {
	struct slot *next; /* in the free list */
	nng_ctx ctx;
	nng_aio *send, *recv;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done; /* under mu: the call is over, rv says how */
	int rv;
};

static void slot_free(struct slot *s);

struct jobs_client {

	nng_socket sock;
	char *url;
	char *token; /* NULL: none */
	int timeout_ms;
	int max_attempts;
	size_t max_request;
	atomic_int pipes; /* connections up now */
	pthread_mutex_t mu;
	struct slot *free_slots; /* under mu */
	/* Request ids are this client's random prefix and a counter: unique
	 * without a system call per call. */
	char id_prefix[17];
	atomic_uint_fast64_t next_id;
};

int
call_status(jobs_call *call, int code, const char *fmt, ...)
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

/* ---- opening ------------------------------------------------------------ */

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	jobs_client *c = arg;

	(void)p;
	atomic_fetch_add(&c->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
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
		call_status(call, JOBS_INVALID_ARGUMENT, "cannot read the %s %s: %s", what, path,
		            strerror(errno));
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		fclose(f);
		call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		call_status(call, JOBS_INVALID_ARGUMENT, "the %s %s is larger than %zu bytes", what,
		            path, max);
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
		return call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	for (n = strlen(c->token); n > 0 && strchr(" \t\r\n", c->token[n - 1]) != NULL; n--)
		c->token[n - 1] = '\0';
	if (n == 0)
		return call_status(call, JOBS_INVALID_ARGUMENT, "the auth token is empty");
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
		return call_status(call, JOBS_INVALID_ARGUMENT,
		                   "%s needs the CA that signed the server's certificate "
		                   "(tls_ca_file, jobsctl --tls-ca)",
		                   url);
	if ((rv = nng_tls_config_alloc(out, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (rv = nng_tls_config_ca_file(*out, o->tls_ca_file)) != 0 ||
	    (rv = nng_tls_config_auth_mode(*out, NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
		rv = call_status(call, JOBS_INVALID_ARGUMENT, "TLS: cannot use the CA %s: %s",
		                 o->tls_ca_file, nng_strerror(rv));
		goto done;
	}
	if (o->tls_server_name != NULL) {
		rv = nng_tls_config_server_name(*out, o->tls_server_name);
	} else if ((rv = nng_url_parse(&u, url)) == 0) {
		rv = nng_tls_config_server_name(*out, u->u_hostname);
	}
	if (rv != 0) {
		rv = call_status(call, JOBS_INVALID_ARGUMENT, "TLS: server name: %s",
		                 nng_strerror(rv));
		goto done;
	}
	if (o->tls_cert_file != NULL || o->tls_key_file != NULL) {
		if (o->tls_cert_file == NULL || o->tls_key_file == NULL) {
			rv = call_status(call, JOBS_INVALID_ARGUMENT,
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
			rv = call_status(call, JOBS_INVALID_ARGUMENT,
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

int
jobs_client_open(jobs_client **out, const char *url, const jobs_client_options *opts,
                 jobs_call *call)
{
	static const jobs_client_options defaults = {0};
	const jobs_client_options *o = opts != NULL ? opts : &defaults;
	jobs_call scratch = {0};
	nng_tls_config *tls = NULL;
	nng_dialer d;
	jobs_client *c;
	int rv;

	*out = NULL;
	if (call == NULL)
		call = &scratch;
	if (url == NULL || *url == '\0')
		return call_status(call, JOBS_INVALID_ARGUMENT, "no server URL given");
	if ((c = calloc(1, sizeof *c)) == NULL || (c->url = strdup(url)) == NULL) {
		free(c);
		return call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_attempts = o->max_attempts > 0 ? o->max_attempts : DEFAULT_ATTEMPTS;
	c->max_request = o->max_message_bytes > 0 ? o->max_message_bytes : DEFAULT_MAX_REQUEST;
	pthread_mutex_init(&c->mu, NULL);
	{
		uuid_t u;
		uuid_generate_random(u);
		for (int i = 0; i < 8; i++)
			snprintf(c->id_prefix + 2 * i, 3, "%02x", u[i]);
	}
	if ((rv = load_token(c, o, call)) != JOBS_OK) {
		free(c->token);
		free(c->url);
		free(c);
		return rv;
	}
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		free(c->token);
		free(c->url);
		free(c);
		return call_status(call, JOBS_INTERNAL, "cannot open a req socket: %s",
		                   nng_strerror(rv));
	}
	nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, MAX_RESPONSE_BYTES);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 20);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, pipe_event, c);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_event, c);

	if (strncmp(url, "tls+tcp://", 10) == 0 && (rv = tls_config(url, o, &tls, call)) != 0)
		goto failed;
	if ((rv = nng_dialer_create(&d, c->sock, url)) != 0 ||
	    (tls != NULL && (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls)) != 0) ||
	    (rv = nng_dialer_start(d, o->lazy_connect ? NNG_FLAG_NONBLOCK : 0)) != 0) {
		rv = call_status(call,
		                 rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? JOBS_INVALID_ARGUMENT
		                                                           : JOBS_UNAVAILABLE,
		                 "cannot connect to %s: %s", url, nng_strerror(rv));
		goto failed;
	}
	if (tls != NULL)
		nng_tls_config_free(tls); /* the dialer holds its own reference */
	*out = c;
	return call_status(call, JOBS_OK, "%s", "");
failed:
	if (tls != NULL)
		nng_tls_config_free(tls);
	jobs_client_close(c);
	return rv;
}

void
jobs_client_close(jobs_client *c)
{
	struct slot *s, *next;

	if (c == NULL)
		return;
	for (s = c->free_slots; s != NULL; s = next) {
		next = s->next;
		nng_ctx_close(s->ctx);
		slot_free(s);
	}
	pthread_mutex_destroy(&c->mu);
	nng_close(c->sock);
	if (c->token != NULL)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	free(c->url);
	free(c);
}

/* ---- one attempt ---------------------------------------------------------- */

/* Maps an nng failure of a call in flight to a status. */
static int
transport_failed(jobs_client *c, jobs_call *call, int rv, int timeout_ms)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		if (atomic_load(&c->pipes) == 0)
			return call_status(call, JOBS_UNAVAILABLE, "cannot reach jobsd at %s",
			                   c->url);
		return call_status(call, JOBS_DEADLINE_EXCEEDED, "no answer from %s within %d ms",
		                   c->url, timeout_ms);
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_ECLOSED:
		return call_status(call, JOBS_UNAVAILABLE,
		                   "the connection to %s closed before the answer came (did the "
		                   "server restart, or refuse a request too large?)",
		                   c->url);
	case NNG_ENOMEM:
		return call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	default:
		return call_status(call, JOBS_UNAVAILABLE, "talking to %s failed: %s", c->url,
		                   nng_strerror(rv));
	}
}

/* The call on slot `s` is over, with nng result rv: wake its caller. */
static void
slot_finish(struct slot *s, int rv)
{
	pthread_mutex_lock(&s->mu);
	s->rv = rv;
	s->done = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* The request is on its way (or failed): wait for the answer. nng 1.5.2's
 * req contexts want the receive posted only after the send completed. */
static void
send_done(void *arg)
{
	struct slot *s = arg;
	int rv = nng_aio_result(s->send);

	if (rv != 0) {
		nng_msg_free(nng_aio_get_msg(s->send)); /* not sent: still ours */
		nng_aio_set_msg(s->send, NULL);
		slot_finish(s, rv);
		return;
	}
	nng_ctx_recv(s->ctx, s->recv);
}

static void
recv_done(void *arg)
{
	struct slot *s = arg;

	slot_finish(s, nng_aio_result(s->recv));
}

static void
slot_free(struct slot *s)
{
	nng_aio_free(s->send); /* stops it first: no callback runs after */
	nng_aio_free(s->recv);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* A free slot, or a new one; NULL when out of memory (rv says why). */
static struct slot *
slot_get(jobs_client *c, int *rv)
{
	struct slot *s;

	pthread_mutex_lock(&c->mu);
	if ((s = c->free_slots) != NULL)
		c->free_slots = s->next;
	pthread_mutex_unlock(&c->mu);
	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		*rv = NNG_ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((*rv = nng_aio_alloc(&s->send, send_done, s)) != 0 ||
	    (*rv = nng_aio_alloc(&s->recv, recv_done, s)) != 0 ||
	    (*rv = nng_ctx_open(&s->ctx, c->sock)) != 0) {
		slot_free(s);
		return NULL;
	}
	return s;
}

static void
slot_put(jobs_client *c, struct slot *s)
{
	pthread_mutex_lock(&c->mu);
	s->next = c->free_slots;
	c->free_slots = s;
	pthread_mutex_unlock(&c->mu);
}

/* Sends `msg` (consumed) and waits for the answer: one sleep per call. */
static int
round_trip(jobs_client *c, jobs_call *call, nng_msg *msg, int timeout_ms, nng_msg **reply)
{
	struct slot *s;
	int rv;

	if ((s = slot_get(c, &rv)) == NULL) {
		nng_msg_free(msg);
		return transport_failed(c, call, rv, timeout_ms);
	}
	s->done = false;
	nng_aio_set_timeout(s->send, timeout_ms);
	nng_aio_set_timeout(s->recv, timeout_ms);
	nng_aio_set_msg(s->send, msg);
	nng_ctx_send(s->ctx, s->send);
	pthread_mutex_lock(&s->mu);
	while (!s->done)
		pthread_cond_wait(&s->cv, &s->mu);
	rv = s->rv;
	pthread_mutex_unlock(&s->mu);
	if (rv == 0)
		*reply = nng_aio_get_msg(s->recv);
	slot_put(c, s);
	return rv == 0 ? JOBS_OK : transport_failed(c, call, rv, timeout_ms);
}

static int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * One attempt: stamps this attempt's deadline into the encoded request,
 * sends it and reads the answer. On JOBS_OK, *resp is the decoded answer,
 * whatever its code. Otherwise the transport failed and `call` says how.
 */
static int
attempt(jobs_client *c, jobs_call *call, Jobs__V1__Request *req, int timeout_ms,
        Jobs__V1__Response **resp)
{
	nng_msg *msg, *reply = NULL;
	int rv;

	req->deadline_ms = now_ms() + timeout_ms;
	if (nng_msg_alloc(&msg, jobs__v1__request__get_packed_size(req)) != 0)
		return call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	jobs__v1__request__pack(req, nng_msg_body(msg));
	if ((rv = round_trip(c, call, msg, timeout_ms, &reply)) != JOBS_OK)
		return rv;
	*resp = jobs__v1__response__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
	nng_msg_free(reply);
	if (*resp == NULL)
		return call_status(call, JOBS_INTERNAL,
		                   "the answer from %s is not a jobs.v1.Response", c->url);
	return JOBS_OK;
}

/* Worth another attempt with the same request_id? */
static bool
retryable(int code)
{
	return code == JOBS_UNAVAILABLE || code == JOBS_DEADLINE_EXCEEDED ||
	       code == JOBS_RESOURCE_EXHAUSTED;
}

/* Sleeps a random time up to the attempt's backoff (full jitter). */
static void
backoff(int attempt_no)
{
	int cap = BACKOFF_FIRST_MS << (attempt_no < 6 ? attempt_no - 1 : 5);
	uint32_t r;

	if (cap > BACKOFF_MAX_MS)
		cap = BACKOFF_MAX_MS;
	r = nng_random();
	nng_msleep((nng_duration)(cap / 2 + r % (uint32_t)(cap / 2 + 1)));
}

/* ---- the call --------------------------------------------------------------- */

int
client_rpc(jobs_client *c, jobs_call *call, unsigned call_field, const ProtobufCMessage *in,
           Jobs__V1__Response **resp)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&jobs__v1__request__descriptor, call_field);
	int timeout_ms = call != NULL && call->timeout_ms > 0 ? call->timeout_ms : c->timeout_ms;
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__Response *r = NULL;
	jobs_call scratch = {0};
	char rid[48];
	size_t size;
	int rv = JOBS_UNAVAILABLE;

	*resp = NULL;
	if (call == NULL)
		call = &scratch;
	call->attempts = 0;
	if (call->request_id != NULL) {
		req.request_id = (char *)call->request_id;
	} else {
		snprintf(rid, sizeof rid, "%s-%" PRIxFAST64, c->id_prefix,
		         atomic_fetch_add(&c->next_id, 1));
		req.request_id = rid;
	}
	if (c->token != NULL)
		req.auth_token = c->token;
	*(const ProtobufCMessage **)((char *)&req + f->offset) = in;
	*(uint32_t *)((char *)&req + f->quantifier_offset) = f->id;

	req.deadline_ms = INT64_MAX; /* the largest encoding, for the size check */
	size = jobs__v1__request__get_packed_size(&req);
	if (size > c->max_request)
		return call_status(call, JOBS_RESOURCE_EXHAUSTED,
		                   "the request is %zu bytes; the server accepts at most %zu", size,
		                   c->max_request);

	while (call->attempts < c->max_attempts) {
		if (call->attempts > 0)
			backoff(call->attempts);
		call->attempts++;
		r = NULL;
		rv = attempt(c, call, &req, timeout_ms, &r);
		if (rv == JOBS_OK && r->code != JOBS__V1__CODE__OK) {
			rv = call_status(call, r->code, "%s",
			                 *r->message ? r->message : jobs_code_name(r->code));
			jobs__v1__response__free_unpacked(r, NULL);
			r = NULL;
		}
		if (rv == JOBS_OK || !retryable(rv))
			break;
	}
	if (rv != JOBS_OK)
		return rv;
	if ((unsigned)r->result_case != call_field) {
		jobs__v1__response__free_unpacked(r, NULL);
		return call_status(call, JOBS_INTERNAL,
		                   "the answer from %s is for another call (%d)", c->url,
		                   (int)r->result_case);
	}
	*resp = r;
	return call_status(call, JOBS_OK, "%s", "");
}
