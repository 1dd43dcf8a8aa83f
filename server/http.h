/*
 * http.h: jobsd over HTTP, on nng's own HTTP server (and TLS): the legacy
 * app's /campaigns routes as JSON, Prometheus /metrics, and the /healthz and
 * /readyz probes. Off unless `jobsd --http URL` asks for it.
 *
 * The routes are calls like any other: each HTTP request becomes the
 * Request a client would send, which goes through call_decode() and
 * call_admit() and the lanes exactly as nng's do (token, limits, deadline,
 * --max-inflight, request ids, group commit); the Response comes back as
 * JSON with the legacy field names, its canonical code as an HTTP status.
 * The routes, their parameters and their answers are at the top of
 * http_routes.c
 * and in README.md ("HTTP").
 */
#ifndef JOBSD_HTTP_H
#define JOBSD_HTTP_H

#include "dispatch.h"
#include "lanes.h"

#include <stddef.h>

typedef struct http http;

struct http_options {
	const char *url;          /* http://HOST:PORT or https://HOST:PORT (port 0: any) */
	size_t max_body_bytes;    /* larger request bodies: 413 */
	lanes *lanes;             /* where calls run; not owned */
	struct server_info *info; /* not owned; the same as rpc's */
	/* https:// only: PEM files of the certificate and key, and, to require
	 * client certificates, of the CA that signs them (as --tls-*). */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
};

/*
 * Starts serving on opt->url and logs where (with the real port when the
 * URL asked for port 0). Returns 0, or a status with a reason in err (the
 * URL is not http(s)://, the port is taken, the certificate cannot be read);
 * then *out is NULL.
 */
int http_start(http **out, const struct http_options *opt, char *err, size_t errlen);

/* Where it listens: the URL with the bound port. Valid until http_stop(). */
const char *http_url(const http *h);

/*
 * Closes the listener and every connection, and frees everything. Calls
 * that a lane still runs are answered first (it waits for them), so call it
 * before lanes_stop(). Requests in flight on connections are cut. NULL is a
 * no-op.
 */
void http_stop(http *h);

/* ---- without a network: for the fuzzer and the tests ------------------- */

/* One answer of http_serve_sync(). */
struct http_answer {
	int status;
	char *content_type; /* NULL with no body */
	char *body;         /* malloc'd, len bytes (NUL-terminated for convenience) */
	size_t len;
	char *headers; /* the other headers, "Name: value\n" each; malloc'd */
};

/*
 * Serves one HTTP request, given as its parts (`headers`: name, value, ...,
 * NULL), as the server would, every call run synchronously on `db` in a
 * transaction of its own (lanes_serve_sync()). Returns 0 and fills `out`
 * (free it with http_answer_free()), or -1 when out of memory.
 */
int http_serve_sync(struct server_info *info, store *db, size_t max_body_bytes, const char *method,
                    const char *uri, const char *const *headers, const void *body, size_t len,
                    struct http_answer *out);
void http_answer_free(struct http_answer *a);

#endif
