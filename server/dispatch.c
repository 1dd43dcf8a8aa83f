/*
 * dispatch.c: the method table, and a call's way from bytes to response.
 *
 * THE TABLE. methods[] below is the one place that says which handler serves
 * which call and on which lane. Everything else comes from the proto:
 * dispatch_init() walks the `Jobs` service descriptor and, for each method,
 * finds its entry here, the Request.call field whose type is the method's
 * input and the Response.result field of the same number whose type is its
 * output. A call that is in one place and missing in another stops jobsd
 * from starting (and fails tests/test_contract.c).
 *
 * THE PATH. call_decode() checks the bytes (validate_wire: UTF-8, NULs,
 * framing), unpacks them into the call's arena and picks the method; the
 * lane then runs call_run(), which invokes the handler with the input
 * message taken out of the oneof and a fresh output message put into it.
 */
#include "dispatch.h"
#include "clock.h"
#include "handlers.h"
#include "hash.h"
#include "status.h"
#include "validate.h"

#include <mbedtls/sha256.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* One entry per call: its name in the service, handler, lane and flags. */
// clang-format off
#define METHOD(name_, handler_, lane_, flags_) \
	{.name = name_, .handler = handler_, .lane = lane_, .flags = flags_}
// clang-format on

static struct method methods[] = {
    METHOD("CreateJob", handle_create_job, LANE_WRITE, 0),
    METHOD("GetJob", handle_get_job, LANE_INLINE, 0),
    METHOD("UpdateJob", handle_update_job, LANE_WRITE, 0),
    METHOD("DeleteJob", handle_delete_job, LANE_WRITE, 0),
    METHOD("ListJobs", handle_list_jobs, LANE_READ, 0),
    METHOD("Health", handle_health, LANE_INLINE, METHOD_PROBE),
    METHOD("SearchJobs", handle_search_jobs, LANE_READ, 0),
    METHOD("GetStats", handle_get_stats, LANE_READ, 0),
    METHOD("BatchCreateJobs", handle_batch_create_jobs, LANE_WRITE, 0),
    METHOD("Backup", handle_backup, LANE_READ, 0),
    METHOD("Check", handle_check, LANE_READ, 0),
};
#define N_METHODS (sizeof methods / sizeof methods[0])

/* Oneof field number -> method. Field numbers of calls are small. */
#define MAX_CALL_FIELD 64
static const struct method *by_field[MAX_CALL_FIELD];

/* The field of oneof `msg` whose message type is `type`, or NULL. */
static const ProtobufCFieldDescriptor *
oneof_field_of_type(const ProtobufCMessageDescriptor *msg, const ProtobufCMessageDescriptor *type)
{
	for (unsigned i = 0; i < msg->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &msg->fields[i];
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->descriptor == type)
			return f;
	}
	return NULL;
}

int
dispatch_init(char *err, size_t errlen)
{
	const ProtobufCServiceDescriptor *svc = &jobs__v1__jobs__descriptor;

	if (svc->n_methods != N_METHODS) {
		snprintf(err, errlen, "the service has %u calls, the dispatch table %zu",
		         svc->n_methods, N_METHODS);
		return ST(INTERNAL);
	}
	memset(by_field, 0, sizeof by_field);
	for (unsigned i = 0; i < svc->n_methods; i++) {
		const ProtobufCMethodDescriptor *md = &svc->methods[i];
		struct method *m = NULL;

		for (size_t k = 0; k < N_METHODS; k++)
			if (strcmp(methods[k].name, md->name) == 0)
				m = &methods[k];
		if (m == NULL) {
			snprintf(err, errlen, "call %s has no handler", md->name);
			return ST(INTERNAL);
		}
		m->desc = md;
		m->in_field = oneof_field_of_type(&jobs__v1__request__descriptor, md->input);
		if (m->in_field == NULL) {
			snprintf(err, errlen, "call %s has no field in Request.call", md->name);
			return ST(INTERNAL);
		}
		m->out_field = protobuf_c_message_descriptor_get_field(
		    &jobs__v1__response__descriptor, m->in_field->id);
		if (m->out_field == NULL || m->out_field->descriptor != md->output ||
		    !(m->out_field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
			snprintf(err, errlen,
			         "call %s: Response.result field %u is missing or not of type %s",
			         md->name, m->in_field->id, md->output->name);
			return ST(INTERNAL);
		}
		if (m->in_field->id >= MAX_CALL_FIELD || by_field[m->in_field->id] != NULL) {
			snprintf(err, errlen, "call %s: field number %u unusable", md->name,
			         m->in_field->id);
			return ST(INTERNAL);
		}
		by_field[m->in_field->id] = m;
	}
	/* Order the table as the service does, so dispatch_methods() is too. */
	for (unsigned i = 0; i < svc->n_methods; i++) {
		if (methods[i].desc != &svc->methods[i]) {
			snprintf(err, errlen, "dispatch table order differs from the service at %s",
			         svc->methods[i].name);
			return ST(INTERNAL);
		}
	}
	return 0;
}

const struct method *
dispatch_methods(size_t *n)
{
	*n = N_METHODS;
	return methods;
}

/* ---- the call ---------------------------------------------------------- */

static void
clear_result(call *c)
{
	c->resp.result_case = JOBS__V1__RESPONSE__RESULT__NOT_SET;
}

int
call_fail(call *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->resp.message = arena_vprintf(c->arena, fmt, ap);
	va_end(ap);
	if (c->resp.message == NULL)
		c->resp.message = (char *)"(no memory for the message)";
	c->resp.code = code;
	clear_result(c);
	return code;
}

/*
 * Compares a presented token with the server's in constant time: both are
 * hashed first, so neither the length nor the content of the right token
 * shows in how long the comparison takes.
 */
bool
call_token_ok(const struct server_info *info, const char *token)
{
	uint8_t digest[32];
	uint8_t diff = 0;

	if (!info->need_token)
		return true;
	if (mbedtls_sha256_ret((const unsigned char *)token, strlen(token), digest, 0) != 0)
		return false;
	for (size_t i = 0; i < sizeof digest; i++)
		diff |= digest[i] ^ info->token_sha256[i];
	return diff == 0;
}

enum lane
call_decode(call *c, arena *a, const struct server_info *info, const void *buf, size_t len,
            int64_t now_us)
{
	char why[256];
	Jobs__V1__Request *req;

	memset(c, 0, sizeof *c);
	c->arena = a;
	c->info = info;
	c->now_us = now_us;
	jobs__v1__response__init(&c->resp);

	if (validate_wire(&jobs__v1__request__descriptor, buf, len, why, sizeof why) != 0) {
		call_fail(c, ST(INVALID_ARGUMENT), "bad request: %s", why);
		return LANE_NONE;
	}
	req = jobs__v1__request__unpack(arena_allocator(a), len, buf);
	if (req == NULL) {
		call_fail(c, ST(INVALID_ARGUMENT), "bad request: not a jobs.v1.Request");
		return LANE_NONE;
	}
	c->req = req;
	c->resp.request_id = req->request_id;
	if (strlen(req->request_id) > 128) {
		c->resp.request_id = (char *)"";
		call_fail(c, ST(INVALID_ARGUMENT), "request_id is longer than 128 bytes");
		return LANE_NONE;
	}
	if (req->call_case == JOBS__V1__REQUEST__CALL__NOT_SET) {
		if (req->base.n_unknown_fields > 0)
			call_fail(c, ST(UNIMPLEMENTED),
			          "this jobsd does not know the call in field %u of the request",
			          req->base.unknown_fields[0].tag);
		else
			call_fail(c, ST(INVALID_ARGUMENT), "the request names no call");
		return LANE_NONE;
	}
	c->method = (unsigned)req->call_case < MAX_CALL_FIELD ? by_field[req->call_case] : NULL;
	if (c->method == NULL) {
		call_fail(c, ST(UNIMPLEMENTED), "call field %d has no handler",
		          (int)req->call_case);
		return LANE_NONE;
	}
	if (call_expired(c, now_us))
		return LANE_NONE;
	if (!(c->method->flags & METHOD_PROBE) && !call_token_ok(info, req->auth_token)) {
		call_fail(c, ST(UNAUTHENTICATED),
		          "missing or wrong auth_token: this jobsd needs the "
		          "token of its --token-file");
		return LANE_NONE;
	}
	return c->method->lane;
}

/* The pause suggested to a call turned away because jobsd is busy or
 * stopping (Response.retry_after_ms): about one call's time, the client's
 * first backoff step, which it then grows. */
#define RETRY_AFTER_MS 25

enum lane
call_admit(call *c, struct server_info *info, enum lane lane, enum metrics_transport t)
{
	int inflight = atomic_fetch_add(&info->inflight, 1) + 1;

	c->transport = t;
	if (c->method == NULL)
		return LANE_NONE; /* answered: counted by call_answered() */
	metrics_call_started(t, (size_t)(c->method - methods));
	if (lane == LANE_NONE)
		return lane;
	if ((atomic_load(&info->draining) && !(c->method->flags & METHOD_PROBE)) ||
	    atomic_load(&info->closed)) {
		metrics_call_refused(t, METRICS_DRAINING);
		call_fail(c, ST(UNAVAILABLE), "jobsd is shutting down; retry elsewhere or later");
		c->resp.retry_after_ms = RETRY_AFTER_MS;
		return LANE_NONE;
	}
	if (inflight > info->max_inflight) {
		metrics_call_refused(t, METRICS_OVERLOAD);
		call_fail(c, ST(RESOURCE_EXHAUSTED),
		          "%d calls in flight, more than the limit of %d; retry with backoff",
		          inflight, info->max_inflight);
		c->resp.retry_after_ms = RETRY_AFTER_MS;
		return LANE_NONE;
	}
	return lane;
}

void
call_answered(const call *c)
{
	if (c->method == NULL)
		metrics_call_rejected(c->transport, c->resp.code);
	else
		metrics_call_handled(c->transport, (size_t)(c->method - methods), c->resp.code,
		                     clock_now_us() - c->now_us);
}

bool
call_expired(call *c, int64_t now_us)
{
	int64_t deadline_us;

	/* A deadline too far off to count in microseconds never comes. */
	if (c->req == NULL || c->req->deadline_ms <= 0 || c->req->deadline_ms > INT64_MAX / 1000)
		return false;
	deadline_us = c->req->deadline_ms * 1000;
	if (now_us < deadline_us)
		return false;
	call_fail(c, ST(DEADLINE_EXCEEDED), "the deadline passed %lld ms before %s could start",
	          (long long)((now_us - deadline_us) / 1000),
	          c->method ? c->method->name : "the call");
	return true;
}

void
call_run(call *c)
{
	const struct method *m = c->method;
	const ProtobufCMessageDescriptor *od = m->out_field->descriptor;
	const void *in = *(void *const *)((const char *)c->req + m->in_field->offset);
	ProtobufCMessage *out = arena_alloc(c->arena, od->sizeof_message);

	if (out == NULL) {
		call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory for the response");
		return;
	}
	od->message_init(out);
	/* Put the output into Response.result: its pointer and the case. */
	*(void **)((char *)&c->resp + m->out_field->offset) = out;
	*(uint32_t *)((char *)&c->resp + m->out_field->quantifier_offset) = m->out_field->id;
	c->resp.code = ST(OK);
	c->resp.message = (char *)"";
	if (m->handler(c, in, out) != 0 && c->resp.code == ST(OK))
		call_fail(c, ST(INTERNAL), "%s failed without saying why", m->name);
}

int
call_wrote(call *c, const char *id)
{
	if (c->info == NULL || c->info->replies == NULL)
		return 0;
	if (c->n_written == c->cap_written) {
		size_t cap = c->cap_written ? 2 * c->cap_written : 4;
		const char **ids = arena_alloc(c->arena, cap * sizeof *ids);

		if (ids == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		if (c->n_written > 0)
			memcpy(ids, c->written, c->n_written * sizeof *ids);
		c->written = ids;
		c->cap_written = cap;
	}
	c->written[c->n_written++] = id;
	return 0;
}

/* ---- idempotent writes ------------------------------------------------- */

/* The call's input message, as the oneof holds it. */
static const ProtobufCMessage *
call_input(const call *c)
{
	return *(const ProtobufCMessage *const *)((const char *)c->req +
	                                          c->method->in_field->offset);
}

bool
call_replay(call *c)
{
	const ProtobufCMessage *in = call_input(c);
	struct store_request was;
	Jobs__V1__Response *r;
	uint8_t *buf;
	size_t n;
	int rv;

	if (*c->req->request_id == '\0')
		return false;
	n = protobuf_c_message_get_packed_size(in);
	if ((buf = arena_alloc(c->arena, n)) == NULL) {
		call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		return true;
	}
	protobuf_c_message_pack(in, buf);
	c->fingerprint = (int64_t)hash_bytes(buf, n);

	rv = store_request_get(c->db, c->req->request_id, c->arena, &was);
	if (rv == ST(NOT_FOUND))
		return false;
	if (rv != 0) {
		call_fail(c, rv, "cannot look up request_id %s: %s", c->req->request_id,
		          store_errmsg(c->db));
		return true;
	}
	if (was.call != (int)c->method->in_field->id || was.fingerprint != c->fingerprint) {
		call_fail(c, ST(INVALID_ARGUMENT),
		          "request_id %s was already used for a different request; use a new id "
		          "for a new request",
		          c->req->request_id);
		return true;
	}
	r = jobs__v1__response__unpack(arena_allocator(c->arena), was.len, was.response);
	if (r == NULL) {
		call_fail(c, ST(DATA_LOSS), "the remembered answer to %s cannot be read",
		          c->req->request_id);
		return true;
	}
	c->resp = *r;
	return true;
}

int
call_remember(call *c)
{
	struct store_request r = {.call = (int)c->method->in_field->id,
	                          .fingerprint = c->fingerprint};
	uint8_t *buf;
	int rv;

	if (*c->req->request_id == '\0')
		return 0;
	r.len = call_packed_size(c);
	if ((buf = arena_alloc(c->arena, r.len)) == NULL)
		return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	call_pack(c, buf);
	r.response = buf;
	if ((rv = store_request_put(c->db, c->req->request_id, &r, c->now_us)) != 0)
		return call_fail(c, rv, "cannot remember the answer to %s: %s", c->req->request_id,
		                 store_errmsg(c->db));
	return 0;
}

size_t
call_packed_size(const call *c)
{
	return jobs__v1__response__get_packed_size(&c->resp);
}

void
call_pack(const call *c, uint8_t *buf)
{
	jobs__v1__response__pack(&c->resp, buf);
}
