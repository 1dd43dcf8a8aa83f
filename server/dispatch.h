/*
 * dispatch.h: one call from bytes to response, and the method table.
 *
 * A `call` is one request being served: the decoded Request, the Response
 * being built, the arena both live in and the store connection the lane that
 * runs it lends. Every handler has the same signature and finds what it needs
 * in the call.
 *
 * The method table in dispatch.c names each call once, with its handler and
 * the lane it runs on. dispatch_init() binds it to the proto's service
 * descriptor and to the Request/Response oneofs, and refuses to start if any
 * of the four disagree.
 */
#ifndef JOBSD_DISPATCH_H
#define JOBSD_DISPATCH_H

#include "arena.h"
#include "jobs/v1/jobs.pb-c.h"
#include "metrics.h"
#include "store.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Where a call runs (lanes.h). */
enum lane {
	LANE_NONE,   /* nothing to run: the response is already decided (an error) */
	LANE_INLINE, /* on the thread that received it: short, bounded reads */
	LANE_READ,   /* on a reader thread: reads that may take a while */
	LANE_WRITE,  /* in the writer's next group commit */
};

/* What Health reports and the limits calls obey. Owned by main; lives as long
 * as the server. */
struct server_info {
	const char *version;
	int64_t started_us;
	uint32_t max_message_bytes;
	atomic_bool draining; /* new calls are refused, probes (Health) still run */
	/* After the drain: every call is refused, probes too, so that none
	 * reaches the lanes while they stop and close their stores. */
	atomic_bool closed;
	atomic_bool stopping; /* long calls (Backup) give up: the drain timed out */

	/* Backup writes and --restore reads only inside this folder (absolute;
	 * --backup-dir). NULL: Backup is refused. */
	const char *backup_dir;

	bool need_token;          /* started with --token-file */
	uint8_t token_sha256[32]; /* the token's digest; the token itself is not kept */

	int max_inflight;    /* more calls than this at once: RESOURCE_EXHAUSTED */
	atomic_int inflight; /* calls admitted and not yet answered, every transport */

	/* GetJob's cache of encoded jobs (replycache.h); NULL: none. */
	struct replycache *replies;
};

struct method;

typedef struct call {
	arena *arena; /* everything below is allocated here */
	store *db;    /* lent by the lane for call_run() */
	const struct server_info *info;
	Jobs__V1__Request *req;           /* NULL until decoded */
	Jobs__V1__Response resp;          /* the answer being built */
	const struct method *method;      /* NULL until decoded */
	int64_t now_us;                   /* wall clock when the call was received */
	int64_t fingerprint;              /* of the call's message, set by call_replay() */
	enum metrics_transport transport; /* set by call_admit() */
	/* The answer only goes on the wire (rpc.c), never to code that reads
	 * it: a handler may put parts of it in already encoded. */
	bool wire;
	/* The ids of the jobs this call wrote or deleted, for the write lane
	 * to make the reply cache forget after the commit (call_wrote()). */
	const char **written;
	size_t n_written, cap_written;
} call;

/*
 * A handler: validates `in`, works on c->db, fills `out` (already
 * initialised, allocated from c->arena). Returns 0, or the status it set with
 * call_fail(). It never sends, never commits: the lane does.
 */
typedef int (*handler_fn)(call *c, const void *in, void *out);

/* method.flags */
#define METHOD_PROBE 1u /* answered while draining and without a token: Health */

struct method {
	const char *name; /* as in the service block */
	handler_fn handler;
	enum lane lane;
	unsigned flags;
	/* Filled by dispatch_init(). */
	const ProtobufCMethodDescriptor *desc;
	const ProtobufCFieldDescriptor *in_field;  /* in Request.call */
	const ProtobufCFieldDescriptor *out_field; /* in Response.result */
};

/* Binds the method table to the proto. Returns 0, or ST(INTERNAL) with a
 * reason in err when the table and the contract disagree. */
int dispatch_init(char *err, size_t errlen);

/* The bound table, for tests: *n entries, in service order. */
const struct method *dispatch_methods(size_t *n);

/* Starts a call on bytes received: sets up `c`, decodes into c->arena and
 * checks the envelope (framing, call, deadline, auth token). Returns the lane
 * to run it on; LANE_NONE when c->resp already holds the answer (malformed,
 * unknown call, late, unauthenticated, ...). */
enum lane call_decode(call *c, arena *a, const struct server_info *info, const void *buf,
                      size_t len, int64_t now_us);

/*
 * Admits a decoded call (`lane` from call_decode() with the same `info`)
 * arriving over `t`: counts it in info->inflight and in the metrics, and refuses it, answering at
 * once, while jobsd drains (UNAVAILABLE; probes still run until it is closed) or past max_inflight
 * (RESOURCE_EXHAUSTED). Returns the lane to run it on, LANE_NONE when its
 * answer is decided. Every transport admits every call it decoded, so that
 * one limit and one set of counts covers them all. The caller calls
 * call_answered() when the answer is final, and takes the call out of
 * info->inflight once the answer is sent.
 */
enum lane call_admit(call *c, struct server_info *info, enum lane lane, enum metrics_transport t);

/* The answer in c->resp is final: counts it (code, time since now_us). */
void call_answered(const call *c);

/* Whether `token` is the one of --token-file (true when none is needed), in
 * time that does not depend on either. */
bool call_token_ok(const struct server_info *info, const char *token);

/* True (and c->resp set to DEADLINE_EXCEEDED) when the call's deadline has
 * passed at `now_us`: lanes check before starting work. */
bool call_expired(call *c, int64_t now_us);

/* Runs the call's handler on c->db and records its answer in c->resp. */
void call_run(call *c);

/*
 * Idempotent writes (AIP-155). Before a write runs, call_replay() looks its
 * request_id up in c->db: if this same request was answered before, c->resp
 * becomes that answer and it returns true: do not run it again. A request_id
 * reused for a different request is refused (INVALID_ARGUMENT; also true).
 * After the write succeeded, call_remember() keeps its answer, in the same
 * transaction, so that the answer is kept exactly when the write is. Calls
 * without a request_id are neither replayed nor remembered.
 */
bool call_replay(call *c);
int call_remember(call *c);

/* Records that this call wrote (or deleted) job `id` (a string that lives
 * as long as the call): when a reply cache exists, the write lane makes it
 * forget the job after the commit. 0, or RESOURCE_EXHAUSTED. */
int call_wrote(call *c, const char *id);

/* Sets the response's code and message and drops any result. Returns code. */
int call_fail(call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The encoded response: its size, and the encoding into buf[0..size). */
size_t call_packed_size(const call *c);
void call_pack(const call *c, uint8_t *buf);

#endif
