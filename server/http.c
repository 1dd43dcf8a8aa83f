/*
 * http.c: jobsd's HTTP server on nng's (see http.h); what each request
 * means is http_routes.c's.
 *
 * NNG 1.5.2'S SERVER, and what is done about it here.
 *   - One handler takes every path and method ("/" as a tree, method NULL):
 *     routing, 404 and 405 are ours, from the raw request-target. nng's own
 *     decoding of the path (http_uri_canonify) repeats every %XX and can
 *     run past the end of the URI (nng issue 1595, fixed in 1.6.0); its
 *     result only chooses the handler, and there is one.
 *   - Bodies are read here (collect_body off): nng would answer 400 to one
 *     over its limit, and wait for a slow one for ever. Here: 413 beyond
 *     --max-message-size; a body that does not arrive in time
 *     (body_timeout()) closes the connection (nng closes it when the read
 *     is cancelled, so no 408 can be sent); 411 for a chunked one (nng
 *     cannot read those); "100 Continue" to a client that waits for it.
 *     At most max_inflight + SPARE requests are in progress (the pool);
 *     beyond, 503 at once.
 *   - Answers are written here (nng_http_conn_write_res), so that a call
 *     leaves info->inflight once its answer is out, as in rpc.c, and a
 *     client that does not read is cut off after WRITE_TIMEOUT_MS.
 *   - Request heads are nng's: read into an 8 KiB buffer, with no time
 *     limit. A longer line closes the connection without an answer; many
 *     short header lines of one name are joined into one value, each
 *     appended by copying the whole (quadratic time); a connection that
 *     sends its head slowly costs a descriptor and ~9 KiB until the client
 *     goes, but holds no thread and no call (main.c raises the descriptor
 *     limit so that many cannot starve the listeners). Nothing of ours
 *     runs before a head is complete: README.md says where to serve.
 *
 * ONE REQUEST'S STATE (struct hreq, one of a pool, like rpc.c's works):
 *   CONTINUE  writing "100 Continue"
 *   BODY      reading the body
 *   BUSY      http_routes.c serves it: at once, or a lane runs its call and
 *             answers when it is done (hreq_send())
 *   SEND      writing the answer; then the server's aio is finished and the
 *             hreq goes back to the pool
 */
#include "http_internal.h"
#include "log.h"
#include "status.h"
#include "tls.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WRITE_TIMEOUT_MS 30000
#define SPARE            32 /* requests in progress beyond max_inflight: refused ones */

struct http {
	struct http_options opt;
	nng_http_server *server;
	nng_http_handler *handler;
	nng_tls_config *tls;
	char url[320];
	bool started;
	pthread_mutex_t mu; /* the pool */
	struct hreq *free, **all;
	int n_all, max_all;
};

/* ---- a request's life ------------------------------------------------------ */

/* How long a body may take to arrive: 5 s, and a second more for every 64
 * KiB; the connection of a client that sends slower is closed. */
static nng_duration
body_timeout(size_t len)
{
	return 5000 + (nng_duration)(len / 65536) * 1000;
}

/* Whether the client wants the connection closed after this answer. */
static bool
wants_close(nng_http_req *req)
{
	const char *v = nng_http_req_get_header(req, "Connection");

	return strcmp(nng_http_req_get_version(req), "HTTP/1.1") != 0 ||
	       (v != NULL && strcasestr(v, "close") != NULL);
}

static void
pool_put(struct hreq *h)
{
	http *s = h->srv;

	hreq_clear(h);
	arena_reset(&h->arena);
	h->state = H_FREE;
	h->haio = NULL;
	h->req = NULL;
	h->conn = NULL;
	h->id = h->query = NULL;
	h->body = NULL;
	h->body_len = 0;
	h->step = PUT_PLAIN;
	h->attempts = 0;
	h->if_match = NULL;
	h->refused = false;
	pthread_mutex_lock(&s->mu);
	h->next = s->free;
	s->free = h;
	pthread_mutex_unlock(&s->mu);
}

/* Ends the request: gives the hreq back and finishes the server's aio with
 * `rv`, or with an error when the answer said Connection: close, for nng
 * closes the connection on any error. (nng_http_conn_close() would free it
 * under the server's feet.) */
static void
finish(struct hreq *h, int rv)
{
	nng_aio *haio = h->haio;

	if (rv == 0 && h->ans.close)
		rv = NNG_ECONNSHUT;
	hreq_leave(h);
	pool_put(h); /* h is another request's from here on */
	nng_aio_finish(haio, rv);
}

static void on_io(void *arg);

static struct hreq *
pool_get(http *s)
{
	struct hreq *h;

	pthread_mutex_lock(&s->mu);
	if ((h = s->free) != NULL) {
		s->free = h->next;
	} else if (s->n_all < s->max_all && (h = calloc(1, sizeof *h)) != NULL) {
		if (arena_init(&h->arena, HTTP_ARENA_FIRST,
		               8 * s->opt.max_body_bytes + (1u << 24)) != 0) {
			free(h);
			h = NULL;
		} else if (nng_aio_alloc(&h->aio, on_io, h) != 0 ||
		           nng_http_res_alloc(&h->res) != 0) {
			if (h->aio != NULL)
				nng_aio_free(h->aio);
			arena_fini(&h->arena);
			free(h);
			h = NULL;
		} else {
			h->srv = s;
			h->lanes = s->opt.lanes;
			h->info = s->opt.info;
			h->max_body = s->opt.max_body_bytes;
			s->all[s->n_all++] = h;
		}
	}
	pthread_mutex_unlock(&s->mu);
	/* Its last callback may still be returning on another thread. */
	if (h != NULL)
		nng_aio_wait(h->aio);
	return h;
}

void
hreq_send(struct hreq *h)
{
	nng_http_res *res = h->res;
	const struct answer *a = &h->ans;
	int rv;

	metrics_http_status(a->status);
	if (h->db != NULL)
		return; /* http_serve_sync() copies it out */
	nng_http_res_reset(res);
	if ((rv = nng_http_res_set_status(res, (uint16_t)a->status)) != 0 ||
	    (a->status == 499 &&
	     (rv = nng_http_res_set_reason(res, "Client Closed Request")) != 0) ||
	    (a->allow && (rv = nng_http_res_set_header(res, "Allow", a->allow)) != 0) ||
	    (a->etag && (rv = nng_http_res_set_header(res, "ETag", a->etag)) != 0) ||
	    (a->location && (rv = nng_http_res_set_header(res, "Location", a->location)) != 0) ||
	    (a->retry_after &&
	     (rv = nng_http_res_set_header(res, "Retry-After", a->retry_after)) != 0) ||
	    (a->www_authenticate &&
	     (rv = nng_http_res_set_header(res, "WWW-Authenticate", "Bearer realm=\"jobsd\"")) !=
	         0) ||
	    (a->close && (rv = nng_http_res_set_header(res, "Connection", "close")) != 0) ||
	    (a->type != NULL &&
	     (rv = nng_http_res_set_header(res, "Content-Type", a->type)) != 0) ||
	    (a->type != NULL &&
	     (rv = nng_http_res_set_data(res, h->verb == V_HEAD ? NULL : a->body, a->len)) != 0)) {
		finish(h, rv);
		return;
	}
	h->state = H_SEND;
	nng_aio_set_timeout(h->aio, WRITE_TIMEOUT_MS);
	nng_http_conn_write_res(h->conn, res, h->aio);
}

static void
read_body(struct hreq *h)
{
	h->state = H_BODY;
	h->iov.iov_buf = h->body;
	h->iov.iov_len = h->body_len;
	nng_aio_set_iov(h->aio, 1, &h->iov);
	nng_aio_set_timeout(h->aio, body_timeout(h->body_len));
	nng_http_conn_read_all(h->conn, h->aio);
}

static void
on_io(void *arg)
{
	struct hreq *h = arg;
	int rv = nng_aio_result(h->aio);

	switch (h->state) {
	case H_CONTINUE:
		if (rv != 0)
			finish(h, rv);
		else
			read_body(h);
		break;
	case H_BODY:
		/* A body that did not arrive in time: nng has closed the
		 * connection as it cancelled the read, so no 408 can go out. */
		if (rv != 0)
			finish(h, rv);
		else
			hreq_go(h);
		break;
	case H_SEND:
		finish(h, rv);
		break;
	case H_FREE:
	case H_BUSY:
		break; /* no aio of ours is pending then */
	}
}

/* Every hreq is in use: 503 at once, written by nng, which then closes the
 * connection (a body may follow that nobody reads). */
static void
refuse_busy(nng_aio *haio)
{
	static const char body[] =
	    "{\"error\":\"too many HTTP requests in progress; retry later\"}";
	nng_http_res *res;

	if (nng_http_res_alloc(&res) != 0) {
		nng_aio_finish(haio, NNG_ENOMEM);
		return;
	}
	if (nng_http_res_set_status(res, 503) != 0 ||
	    nng_http_res_set_header(res, "Retry-After", HTTP_RETRY_AFTER) != 0 ||
	    nng_http_res_set_header(res, "Connection", "close") != 0 ||
	    nng_http_res_set_header(res, "Content-Type", "application/json") != 0 ||
	    nng_http_res_set_data(res, body, sizeof body - 1) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(haio, NNG_ENOMEM);
		return;
	}
	metrics_http_status(503);
	nng_aio_set_output(haio, 0, res); /* nng frees it once written */
	nng_aio_finish(haio, 0);
}

/* The server's handler: every request of every path. */
static void
on_request(nng_aio *haio)
{
	nng_http_req *req = nng_aio_get_input(haio, 0);
	http *s = nng_http_handler_get_data(nng_aio_get_input(haio, 1));
	struct hreq *h = pool_get(s);
	const char *v;

	if (h == NULL) {
		refuse_busy(haio);
		return;
	}
	h->haio = haio;
	h->req = req;
	h->conn = nng_aio_get_input(haio, 2);
	h->method = nng_http_req_get_method(req);
	h->target = nng_http_req_get_uri(req);
	h->ans.close = wants_close(req);
	if (!hreq_begin(h)) {
		if (h->ans.status == 0) {
			hreq_go(h);
			return;
		}
		/* Refused before its body: what follows on the connection would
		 * be that body, not a request. */
		if (((v = nng_http_req_get_header(h->req, "Content-Length")) != NULL &&
		     strcmp(v, "0") != 0) ||
		    nng_http_req_get_header(h->req, "Transfer-Encoding") != NULL)
			h->ans.close = true;
		hreq_send(h);
		return;
	}
	if ((h->body = arena_alloc(&h->arena, h->body_len)) == NULL) {
		h->ans.close = true;
		hreq_error(h, 500, "out of memory for a %zu-byte body", h->body_len);
		hreq_send(h);
		return;
	}
	if ((v = nng_http_req_get_header(h->req, "Expect")) != NULL &&
	    strcasecmp(v, "100-continue") == 0) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		h->state = H_CONTINUE;
		h->iov.iov_buf = (void *)cont;
		h->iov.iov_len = sizeof cont - 1;
		nng_aio_set_iov(h->aio, 1, &h->iov);
		nng_aio_set_timeout(h->aio, WRITE_TIMEOUT_MS);
		nng_http_conn_write_all(h->conn, h->aio);
		return;
	}
	read_body(h);
}

int
http_start(http **out, const struct http_options *opt, char *err, size_t errlen)
{
	http *s = calloc(1, sizeof *s);
	bool https = strncmp(opt->url, "https://", 8) == 0;
	nng_url *url = NULL;
	nng_sockaddr sa;
	int rv, port = 0;

	*out = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return ST(RESOURCE_EXHAUSTED);
	}
	s->opt = *opt;
	pthread_mutex_init(&s->mu, NULL);
	s->max_all = opt->info->max_inflight + SPARE;
	if ((s->all = calloc((size_t)s->max_all, sizeof *s->all)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rv = ST(RESOURCE_EXHAUSTED);
		goto failed;
	}
	if ((!https && strncmp(opt->url, "http://", 7) != 0) ||
	    nng_url_parse(&url, opt->url) != 0 ||
	    (url->u_path[0] != '\0' && strcmp(url->u_path, "/") != 0) || url->u_query != NULL) {
		snprintf(err, errlen, "--http wants http://HOST:PORT or https://HOST:PORT, not %s",
		         opt->url);
		rv = ST(INVALID_ARGUMENT);
		goto failed;
	}
	if (https && (opt->tls_cert == NULL || opt->tls_key == NULL)) {
		snprintf(err, errlen, "https:// needs --tls-cert and --tls-key");
		rv = ST(INVALID_ARGUMENT);
		goto failed;
	}
	if (https && (rv = tls_server_config(&s->tls, opt->tls_cert, opt->tls_key, opt->tls_ca, err,
	                                     errlen)) != 0)
		goto failed;
	if ((rv = nng_http_server_hold(&s->server, url)) != 0 ||
	    (https && (rv = nng_http_server_set_tls(s->server, s->tls)) != 0)) {
		snprintf(err, errlen, "cannot serve HTTP on %s: %s", opt->url, nng_strerror(rv));
		rv = ST(INVALID_ARGUMENT);
		goto failed;
	}
	if ((rv = nng_http_handler_alloc(&s->handler, "/", on_request)) != 0 ||
	    (rv = nng_http_handler_set_method(s->handler, NULL)) != 0 ||
	    (rv = nng_http_handler_set_tree(s->handler)) != 0 ||
	    (rv = nng_http_handler_collect_body(s->handler, false, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(s->handler, s, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(s->server, s->handler)) != 0) {
		snprintf(err, errlen, "cannot set up the HTTP handler: %s", nng_strerror(rv));
		rv = ST(INTERNAL);
		goto failed;
	}
	s->handler = NULL; /* the server's now */
	if ((rv = nng_http_server_start(s->server)) != 0) {
		snprintf(err, errlen, "cannot serve HTTP on %s: %s", opt->url, nng_strerror(rv));
		rv = ST(UNAVAILABLE);
		goto failed;
	}
	s->started = true;
	metrics_start();
	if (nng_http_server_get_addr(s->server, &sa) == 0)
		port = ntohs(sa.s_family == NNG_AF_INET6 ? sa.s_in6.sa_port : sa.s_in.sa_port);
	snprintf(s->url, sizeof s->url, "%s://%s:%d", https ? "https" : "http", url->u_hostname,
	         port != 0 ? port : atoi(url->u_port));
	nng_url_free(url);
	log_info("serving HTTP on %s", s->url);
	*out = s;
	return 0;
failed:
	if (url != NULL)
		nng_url_free(url);
	http_stop(s);
	return rv;
}

const char *
http_url(const http *s)
{
	return s->url;
}

void
http_stop(http *s)
{
	if (s == NULL)
		return;
	if (s->server != NULL) {
		if (s->started)
			nng_http_server_stop(s->server); /* waits for every connection */
		nng_http_server_release(s->server);      /* frees the handler */
	}
	if (s->handler != NULL)
		nng_http_handler_free(s->handler);
	for (int i = 0; i < s->n_all; i++) {
		struct hreq *h = s->all[i];

		nng_aio_free(h->aio);
		nng_http_res_free(h->res);
		hreq_clear(h);
		arena_fini(&h->arena);
		free(h);
	}
	if (s->tls != NULL)
		nng_tls_config_free(s->tls);
	free(s->all);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
