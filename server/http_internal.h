/*
 * http_internal.h: what http.c (nng's server: connections, bodies, answers
 * written) and http_routes.c (what a request means: routes, calls, JSON)
 * share: one request being served. Nothing else includes it.
 */
#ifndef JOBSD_HTTP_INTERNAL_H
#define JOBSD_HTTP_INTERNAL_H

#include "http.h"

#include "jobs/client.h" /* jobs_job: a PUT's keys, as the legacy engine reads them */

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#define HTTP_ARENA_FIRST (16 * 1024)
#define HTTP_RETRY_AFTER "1" /* seconds, for 503s */

/* The answer being built. */
struct answer {
	int status;
	const char *type; /* Content-Type; NULL: no body */
	char *body;       /* malloc'd */
	size_t len;
	const char *allow; /* the headers, NULL when absent; from the arena */
	const char *etag;  /* quoted */
	const char *location;
	const char *retry_after;
	bool www_authenticate; /* WWW-Authenticate: Bearer */
	bool close;            /* Connection: close, and close after it */
};

enum route {
	R_HEALTHZ,
	R_READYZ,
	R_METRICS,
	R_CAMPAIGNS, /* /campaigns */
	R_STATS,     /* /campaigns/stats, GET and HEAD */
	R_CAMPAIGN,  /* /campaigns/ID */
};

enum verb { V_GET, V_HEAD, V_POST, V_PUT, V_DELETE, V_OPTIONS, V_OTHER };

/* The steps of a PUT that merges legacy keys. */
enum put_step { PUT_PLAIN, PUT_READ, PUT_WRITE };

struct hreq {
	http *srv;    /* NULL in http_serve_sync() */
	lanes *lanes; /* where calls run, with nng */
	store *db;    /* http_serve_sync(): where calls run instead */
	struct server_info *info;
	size_t max_body;
	enum { H_FREE, H_CONTINUE, H_BODY, H_BUSY, H_SEND } state;

	/* The request. With nng: its objects, borrowed until haio finishes. */
	nng_aio *haio; /* the server's: finished when we are done */
	nng_http_req *req;
	nng_http_conn *conn;
	const char *const *headers; /* http_serve_sync(): name, value, ..., NULL */
	const char *method;
	const char *target;
	enum verb verb;
	enum route route;
	char *id;    /* R_CAMPAIGN: decoded, in the arena */
	char *query; /* after '?', raw, in the arena; NULL if none */
	uint8_t *body;
	size_t body_len;

	/* The call. */
	arena arena;
	call call;
	lane_item item;
	bool admitted; /* counted in info->inflight */
	bool refused;  /* call_admit() refused it: overload or draining */
	enum put_step step;
	int attempts;
	jobs_job put; /* PUT: the keys given; strings malloc'd */
	bool put_loaded;
	char *put_legacy;     /* PUT: its legacy keys, a JSON object, in the arena */
	const char *if_match; /* unquoted etag, or NULL */

	struct answer ans;
	nng_http_res *res; /* kept across uses */
	nng_aio *aio;      /* ours: 100 Continue, the body, the answer */
	nng_iov iov;
	struct hreq *next; /* in the pool's free list */
};

/*
 * http_routes.c. hreq_begin() routes a new request and checks what can be
 * checked before its body (method, token, Content-Length): true when the
 * body is to be read (h->body_len bytes), false when the answer is set or
 * there is no body. hreq_go() serves it, body in: it ends, at once or when
 * its call is done, by calling hreq_send(). hreq_error() sets the answer to
 * {"error": why}; hreq_leave() takes the request's call out of
 * info->inflight; hreq_clear() frees what the answer and a PUT hold.
 */
bool hreq_begin(struct hreq *h);
void hreq_go(struct hreq *h);
void hreq_error(struct hreq *h, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hreq_leave(struct hreq *h);
void hreq_clear(struct hreq *h);

/* http.c: the answer is final: count it and send it (with nng; without, in
 * http_serve_sync(), there is nothing to send). */
void hreq_send(struct hreq *h);

#endif
