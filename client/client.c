/*
 * client.c: the client handle and the one transport path every call takes:
 *
 *   encode (Request envelope around the call's message)
 *   -> send and receive on a fresh nng req context (so threads never wait
 *      on each other's calls)
 *   -> decode (Response) -> status (the server's code and message, or a
 *      transport failure mapped to a code).
 *
 * nng's own resend of requests is switched off: a request is sent once per
 * call, and a caller that retries decides so, with the same request_id.
 */
#include "internal.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#define DEFAULT_TIMEOUT_MS  5000
#define DEFAULT_MAX_REQUEST (1u << 20)
#define MAX_RESPONSE_BYTES  (64u << 20)

struct jobs_client {
	nng_socket sock;
	char *url;
	int timeout_ms;
	size_t max_request;
	atomic_int pipes; /* connections up now */
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

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	jobs_client *c = arg;

	(void)p;
	atomic_fetch_add(&c->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

int
jobs_client_open(jobs_client **out, const char *url, const jobs_client_options *opts,
                 jobs_call *call)
{
	jobs_client *c;
	int rv;

	*out = NULL;
	if (url == NULL || *url == '\0')
		return call_status(call, JOBS_INVALID_ARGUMENT, "no server URL given");
	if ((c = calloc(1, sizeof *c)) == NULL || (c->url = strdup(url)) == NULL) {
		free(c);
		return call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->timeout_ms =
	    opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_request = opts != NULL && opts->max_message_bytes > 0 ? opts->max_message_bytes
	                                                             : DEFAULT_MAX_REQUEST;
	if ((rv = nng_req0_open(&c->sock)) != 0) {
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
	rv = nng_dial(c->sock, url, NULL,
	              opts != NULL && opts->lazy_connect ? NNG_FLAG_NONBLOCK : 0);
	if (rv != 0) {
		int code = rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? JOBS_INVALID_ARGUMENT
		                                                     : JOBS_UNAVAILABLE;
		call_status(call, code, "cannot connect to %s: %s", url, nng_strerror(rv));
		jobs_client_close(c);
		return code;
	}
	*out = c;
	return call_status(call, JOBS_OK, "%s", "");
}

void
jobs_client_close(jobs_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	free(c->url);
	free(c);
}

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

/* Sends `msg` (consumed) on a new context and waits for the answer. */
static int
round_trip(jobs_client *c, jobs_call *call, nng_msg *msg, int timeout_ms, nng_msg **reply)
{
	nng_ctx ctx;
	nng_aio *aio;
	int rv;

	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		nng_msg_free(msg);
		return transport_failed(c, call, rv, timeout_ms);
	}
	if ((rv = nng_ctx_open(&ctx, c->sock)) != 0) {
		nng_msg_free(msg);
		nng_aio_free(aio);
		return transport_failed(c, call, rv, timeout_ms);
	}
	nng_aio_set_timeout(aio, timeout_ms);
	nng_aio_set_msg(aio, msg);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio));
	} else {
		nng_ctx_recv(ctx, aio);
		nng_aio_wait(aio);
		if ((rv = nng_aio_result(aio)) == 0)
			*reply = nng_aio_get_msg(aio);
	}
	nng_ctx_close(ctx);
	nng_aio_free(aio);
	return rv == 0 ? JOBS_OK : transport_failed(c, call, rv, timeout_ms);
}

int
client_rpc(jobs_client *c, jobs_call *call, unsigned call_field, const ProtobufCMessage *in,
           Jobs__V1__Response **resp)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&jobs__v1__request__descriptor, call_field);
	int timeout_ms = call != NULL && call->timeout_ms > 0 ? call->timeout_ms : c->timeout_ms;
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	char rid[37];
	struct timespec now;
	nng_msg *msg, *reply = NULL;
	Jobs__V1__Response *r;
	size_t size;
	int rv;

	*resp = NULL;
	if (call != NULL && call->request_id != NULL) {
		req.request_id = (char *)call->request_id;
	} else {
		uuid_t u;
		uuid_generate_random(u);
		uuid_unparse_lower(u, rid);
		req.request_id = rid;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	req.deadline_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout_ms;
	*(const ProtobufCMessage **)((char *)&req + f->offset) = in;
	*(uint32_t *)((char *)&req + f->quantifier_offset) = f->id;

	size = jobs__v1__request__get_packed_size(&req);
	if (size > c->max_request)
		return call_status(call, JOBS_RESOURCE_EXHAUSTED,
		                   "the request is %zu bytes; the server accepts at most %zu", size,
		                   c->max_request);
	if (nng_msg_alloc(&msg, size) != 0)
		return call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	jobs__v1__request__pack(&req, nng_msg_body(msg));

	if ((rv = round_trip(c, call, msg, timeout_ms, &reply)) != JOBS_OK)
		return rv;
	r = jobs__v1__response__unpack(NULL, nng_msg_len(reply), nng_msg_body(reply));
	nng_msg_free(reply);
	if (r == NULL)
		return call_status(call, JOBS_INTERNAL,
		                   "the answer from %s is not a jobs.v1.Response", c->url);
	if (r->code != JOBS__V1__CODE__OK) {
		rv = call_status(call, r->code, "%s",
		                 *r->message ? r->message : jobs_code_name(r->code));
	} else if ((unsigned)r->result_case != call_field) {
		rv = call_status(call, JOBS_INTERNAL, "the answer from %s is for another call (%d)",
		                 c->url, (int)r->result_case);
	} else {
		*resp = r;
		return call_status(call, JOBS_OK, "%s", "");
	}
	jobs__v1__response__free_unpacked(r, NULL);
	return rv;
}
