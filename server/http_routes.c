/*
 * http_routes.c: what an HTTP request means (see http.h); http.c serves it
 * over nng.
 *
 * THE ROUTES, as the legacy Flask app served them (README.md, "HTTP"):
 *
 *   GET    /campaigns         ListJobs; with ?search=TEXT, SearchJobs
 *   POST   /campaigns         CreateJob: 201, Location, ETag
 *   GET    /campaigns/stats   GetStats
 *   GET    /campaigns/ID      GetJob, ETag
 *   PUT    /campaigns/ID      UpdateJob of exactly the keys given; If-Match
 *   DELETE /campaigns/ID      DeleteJob: 204; If-Match
 *   GET    /healthz           Health: 200 while the process serves
 *   GET    /readyz            200 when the store answers and jobsd is not draining
 *   GET    /metrics           Prometheus text (metrics.c)
 *
 * HEAD goes wherever GET does, OPTIONS anywhere (204 and Allow); any other
 * method is 405 with Allow, any other path 404. PUT and DELETE of
 * /campaigns/stats are of the job whose id is "stats", as in Flask.
 * Request headers: Authorization: Bearer TOKEN (with --token-file, on every
 * route but the probes), X-Request-Id (the call's request_id: a retried
 * write gets the first answer), Grpc-Timeout (the call's deadline, written
 * as gRPC writes it: 250m, 5S), If-Match (an update or delete only if the
 * job's etag is that one). Answers are JSON, the jobs in the legacy view of
 * jobsctl --json (legacy_job_to_json()); errors are {"error": "why"}, their
 * status the canonical code's in gRPC's HTTP mapping, with 412 for a failed
 * If-Match and 503 and Retry-After for a jobsd that is overloaded or
 * draining.
 *
 * A ROUTE IS A CALL. Each request becomes the Request a client would send
 * (packed, so that it passes the same wire checks), then call_decode(),
 * call_admit() and a lane, as in rpc.c. Everything a call of the nng side
 * obeys, one of these obeys, and metrics count both under one method name.
 * The one route that is two calls is a PUT that sets keys a job has no
 * field for (legacy keys, kept in Job.extra): it reads the job, merges the
 * keys into its extra, and updates it only if it is still the job read
 * (its etag), reading again when a write came in between.
 *
 * http_serve_sync() drives this without nng: `db` set, calls run at once,
 * the answer copied out.
 */
#include "clock.h"
#include "http_internal.h"
#include "log.h"
#include "status.h"
#include "validate.h"

#include "internal.h" /* libjobsclient's job <-> Jobs__V1__Job */
#include "jobjson.h"  /* the legacy view of a job */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reads and merges of a PUT of legacy keys that other writes of the job keep
 * overtaking. Each round of a group commit lets one of them through, so a
 * PUT among fewer concurrent writers of its job always gets there. */
#define PUT_ATTEMPTS 16

static void start_call(struct hreq *h, Jobs__V1__Request *req);

/* ---- answers ---------------------------------------------------------------- */

/* gRPC's HTTP mapping of the canonical codes (google/rpc/code.proto). */
static int
status_of_code(int code)
{
	switch (code) {
	case ST(OK):
		return 200;
	case ST(CANCELLED):
		return 499;
	case ST(INVALID_ARGUMENT):
	case ST(FAILED_PRECONDITION):
	case ST(OUT_OF_RANGE):
		return 400;
	case ST(DEADLINE_EXCEEDED):
		return 504;
	case ST(NOT_FOUND):
		return 404;
	case ST(ALREADY_EXISTS):
	case ST(ABORTED):
		return 409;
	case ST(PERMISSION_DENIED):
		return 403;
	case ST(UNAUTHENTICATED):
		return 401;
	case ST(RESOURCE_EXHAUSTED):
		return 429;
	case ST(UNIMPLEMENTED):
		return 501;
	case ST(UNAVAILABLE):
		return 503;
	default: /* UNKNOWN, INTERNAL, DATA_LOSS */
		return 500;
	}
}

/* Sets the answer to `v` as JSON (consuming the reference). */
static void
answer_json(struct hreq *h, int status, json_t *v)
{
	char *text = v != NULL ? legacy_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(v);
	free(h->ans.body);
	if (text == NULL) {
		/* Out of memory: a fixed answer that needs none. */
		static const char oom[] = "{\"error\":\"jobsd is out of memory\"}";

		h->ans.status = 500;
		h->ans.body = strdup(oom);
		h->ans.len = h->ans.body != NULL ? strlen(oom) : 0;
		h->ans.type = h->ans.body != NULL ? "application/json" : NULL;
		return;
	}
	h->ans.status = status;
	h->ans.type = "application/json";
	h->ans.body = text;
	h->ans.len = strlen(text);
}

/* {"error": why}: the legacy app's shape of every error. */
void
hreq_error(struct hreq *h, int status, const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	size_t bad;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	/* It may quote the request, which need not be UTF-8; JSON must be. */
	while (!validate_utf8((const unsigned char *)why, strlen(why), &bad))
		why[bad] = '?';
	answer_json(h, status, json_pack("{ss}", "error", why));
}

/* n bytes of the request's arena; NULL with the answer set to 500 when there
 * are none to be had. */
static void *
alloc(struct hreq *h, size_t n)
{
	void *p = arena_alloc(&h->arena, n);

	if (p == NULL)
		hreq_error(h, 500, "out of memory");
	return p;
}

/* The answer for a call that did not succeed. */
static void
answer_failed(struct hreq *h)
{
	const Jobs__V1__Response *r = &h->call.resp;
	int status = status_of_code(r->code);

	if (r->code == ST(NOT_FOUND) && h->route == R_CAMPAIGN) {
		hreq_error(h, 404, "Campaign not found"); /* the legacy app's own words */
		return;
	}
	if (r->code == ST(ABORTED) && h->if_match != NULL)
		status = 412;
	if (h->refused) {
		status = 503; /* overloaded or draining: come back soon */
		h->ans.retry_after = HTTP_RETRY_AFTER;
	}
	if (r->code == ST(UNAUTHENTICATED))
		h->ans.www_authenticate = true;
	hreq_error(h, status, "%s", r->message);
}

/* ---- parsing the request ------------------------------------------------------ */

static const char *
header(struct hreq *h, const char *name)
{
	if (h->req != NULL)
		return nng_http_req_get_header(h->req, name);
	for (const char *const *p = h->headers; p != NULL && *p != NULL; p += 2)
		if (strcasecmp(p[0], name) == 0)
			return p[1];
	return NULL;
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/*
 * Percent-decodes s[0..n) into the arena; with `plus`, '+' is a space (a
 * query). NULL when it is not valid: a '%' without two hex digits after it,
 * or %00 (text cannot hold a NUL). `what` names it in the error.
 */
static char *
decode(struct hreq *h, const char *s, size_t n, bool plus, const char *what)
{
	char *out = alloc(h, n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2])) {
				hreq_error(h, 400, "%s: '%%' must be followed by two hex digits",
				           what);
				return NULL;
			}
			*o = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			            hexval((unsigned char)s[i + 2]));
			if (*o == '\0') {
				hreq_error(h, 400, "%s holds %%00; text cannot hold a NUL", what);
				return NULL;
			}
			o++;
			i += 2;
		} else {
			*o++ = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

static enum verb
verb_of(const char *m)
{
	static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(m, names[i]) == 0)
			return (enum verb)i;
	return V_OTHER;
}

/* The methods each route answers. */
static const char *
allow_of(enum route r)
{
	switch (r) {
	case R_CAMPAIGNS:
		return "GET, HEAD, POST, OPTIONS";
	case R_STATS: /* GET: the stats; PUT, DELETE: a job named "stats" */
	case R_CAMPAIGN:
		return "GET, HEAD, PUT, DELETE, OPTIONS";
	default:
		return "GET, HEAD, OPTIONS";
	}
}

static bool
allowed(enum route r, enum verb v)
{
	if (v == V_GET || v == V_HEAD || v == V_OPTIONS)
		return true;
	switch (r) {
	case R_CAMPAIGNS:
		return v == V_POST;
	case R_STATS:
	case R_CAMPAIGN:
		return v == V_PUT || v == V_DELETE;
	default:
		return false;
	}
}

/*
 * Finds the route of h->target (origin-form, or absolute-form whose scheme
 * and authority are dropped). False with the answer set when there is none.
 */
static bool
route(struct hreq *h)
{
	const char *t = h->target, *q, *seg;
	size_t n;

	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		t = strstr(t, "://") + 3;
		t += strcspn(t, "/?");
	}
	n = strcspn(t, "?#");
	if (t[n] == '?') {
		q = t + n + 1;
		if ((h->query = arena_strndup(&h->arena, q, strcspn(q, "#"))) == NULL) {
			hreq_error(h, 500, "out of memory");
			return false;
		}
	}
	if (n == 8 && memcmp(t, "/healthz", 8) == 0)
		h->route = R_HEALTHZ;
	else if (n == 7 && memcmp(t, "/readyz", 7) == 0)
		h->route = R_READYZ;
	else if (n == 8 && memcmp(t, "/metrics", 8) == 0)
		h->route = R_METRICS;
	else if (n == 10 && memcmp(t, "/campaigns", 10) == 0)
		h->route = R_CAMPAIGNS;
	else if (n > 11 && memcmp(t, "/campaigns/", 11) == 0 &&
	         memchr(seg = t + 11, '/', n - 11) == NULL) {
		h->route = n == 16 && memcmp(seg, "stats", 5) == 0 &&
		                   (h->verb == V_GET || h->verb == V_HEAD || h->verb == V_OPTIONS)
		               ? R_STATS
		               : R_CAMPAIGN;
		if (h->route == R_CAMPAIGN &&
		    (h->id = decode(h, seg, n - 11, false, "the campaign id")) == NULL)
			return false;
	} else {
		hreq_error(h, 404, "no such path: %.*s (see README.md, HTTP, for the routes)",
		           (int)(n > 200 ? 200 : n), t);
		return false;
	}
	return true;
}

/* One name=value of the query string, decoded. */
struct param {
	const char *name, *value;
};

/*
 * Splits h->query into params[0..*n) (at most max), decoding each. Every
 * name must be one of `known` (NULL-terminated) and appear once. False with
 * the answer set otherwise.
 */
static bool
params(struct hreq *h, const char *const *known, struct param *out, size_t max, size_t *n)
{
	const char *p = h->query;

	*n = 0;
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "=&");
		struct param pr;
		bool ok = false;

		if (len > 0) {
			pr.name = decode(h, p, klen, true, "a query parameter's name");
			pr.value = klen < len ? decode(h, p + klen + 1, len - klen - 1, true,
			                               "a query parameter's value")
			                      : "";
			if (pr.name == NULL || pr.value == NULL)
				return false;
			for (const char *const *k = known; *k != NULL; k++)
				ok |= strcmp(*k, pr.name) == 0;
			if (!ok) {
				char list[512] = "";

				for (const char *const *k = known; *k != NULL; k++)
					snprintf(list + strlen(list), sizeof list - strlen(list),
					         "%s%s", k == known ? "" : ", ", *k);
				hreq_error(h, 400,
				           "unknown query parameter '%.100s'; this route takes %s",
				           pr.name, list);
				return false;
			}
			for (size_t i = 0; i < *n; i++)
				if (strcmp(out[i].name, pr.name) == 0) {
					hreq_error(h, 400, "query parameter '%s' is given twice",
					           pr.name);
					return false;
				}
			if (*n == max) {
				hreq_error(h, 400, "too many query parameters");
				return false;
			}
			out[(*n)++] = pr;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return true;
}

static const char *
param(const struct param *ps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ps[i].name, name) == 0)
			return ps[i].value;
	return NULL;
}

static bool
param_bool(struct hreq *h, const char *name, const char *v, bool *out)
{
	if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0)
		*out = false;
	else {
		hreq_error(h, 400, "%s must be true or false, not '%.100s'", name, v);
		return false;
	}
	return true;
}

static bool
param_int(struct hreq *h, const char *name, const char *v, int32_t *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < 0 || n > INT32_MAX) {
		hreq_error(h, 400, "%s must be a number from 0 to %d, not '%.100s'", name,
		           INT32_MAX, v);
		return false;
	}
	*out = (int32_t)n;
	return true;
}

static bool
param_time(struct hreq *h, const char *name, const char *v, int64_t *out)
{
	if (jobs_time_parse(v, false, out) != JOBS_OK) {
		hreq_error(h, 400,
		           "%s must be a time such as 2026-11-24T10:00:00Z or a date such "
		           "as 2026-11-24, not '%.100s'",
		           name, v);
		return false;
	}
	if (*out == 0)
		*out = -1; /* 0 is "no bound" on the wire; a microsecond earlier changes nothing */
	return true;
}

/* Applies the parameters that name a JobFilter's fields. */
static bool
filter_params(struct hreq *h, const struct param *ps, size_t n, Jobs__V1__JobFilter *f)
{
	static const struct {
		const char *name;
		size_t offset;
	} texts[] = {
	    {"product", offsetof(Jobs__V1__JobFilter, product)},
	    {"persona", offsetof(Jobs__V1__JobFilter, persona)},
	    {"language", offsetof(Jobs__V1__JobFilter, language)},
	    {"brand_name", offsetof(Jobs__V1__JobFilter, brand_name)},
	};
	static const struct {
		const char *name;
		size_t offset;
	} times[] = {
	    {"created_after", offsetof(Jobs__V1__JobFilter, created_after)},
	    {"created_before", offsetof(Jobs__V1__JobFilter, created_before)},
	    {"updated_after", offsetof(Jobs__V1__JobFilter, updated_after)},
	    {"updated_before", offsetof(Jobs__V1__JobFilter, updated_before)},
	};
	const char *v;
	bool b;

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if ((v = param(ps, n, texts[i].name)) != NULL)
			*(const char **)((char *)f + texts[i].offset) = v;
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
		if ((v = param(ps, n, times[i].name)) != NULL &&
		    !param_time(h, times[i].name, v, (int64_t *)((char *)f + times[i].offset)))
			return false;
	if ((v = param(ps, n, "enabled")) != NULL) {
		if (!param_bool(h, "enabled", v, &b))
			return false;
		f->enabled = b ? JOBS__V1__ENABLED_FILTER__ENABLED_ONLY
		               : JOBS__V1__ENABLED_FILTER__DISABLED_ONLY;
	}
	return true;
}

/*
 * Parses a Grpc-Timeout header ("250m": 1 to 8 digits and a unit of H, M, S,
 * m, u or n) into microseconds.
 */
static bool
grpc_timeout(const char *v, int64_t *us)
{
	size_t digits = strspn(v, "0123456789");
	int64_t n;

	if (digits < 1 || digits > 8 || v[digits] == '\0' || v[digits + 1] != '\0')
		return false;
	n = strtoll(v, NULL, 10);
	switch (v[digits]) {
	case 'H':
		*us = n * 3600 * 1000000;
		return true;
	case 'M':
		*us = n * 60 * 1000000;
		return true;
	case 'S':
		*us = n * 1000000;
		return true;
	case 'm':
		*us = n * 1000;
		return true;
	case 'u':
		*us = n;
		return true;
	case 'n':
		*us = (n + 999) / 1000;
		return true;
	default:
		return false;
	}
}

/* The bearer token of the Authorization header; "" when there is none. */
static const char *
bearer(struct hreq *h)
{
	const char *v = header(h, "Authorization");

	if (v == NULL || strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
		return "";
	v += 6;
	return v + strspn(v, " \t");
}

/* The envelope every call of this request carries. False with the answer
 * set when a header is wrong. */
static bool
envelope(struct hreq *h, Jobs__V1__Request *req)
{
	const char *v;
	int64_t us;

	if ((v = header(h, "X-Request-Id")) != NULL)
		req->request_id = (char *)v;
	req->auth_token = (char *)bearer(h);
	if ((v = header(h, "Grpc-Timeout")) != NULL) {
		if (!grpc_timeout(v, &us)) {
			hreq_error(
			    h, 400,
			    "Grpc-Timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n), "
			    "such as 250m, not '%.100s'",
			    v);
			return false;
		}
		req->deadline_ms = (clock_now_us() + us) / 1000;
	}
	return true;
}

/* ---- the routes --------------------------------------------------------------- */

/* The JSON body as an object; NULL with the answer set. The caller decrefs. */
static json_t *
body_object(struct hreq *h)
{
	json_error_t je;
	json_t *v;

	if (h->body_len == 0) {
		hreq_error(h, 400, "the body must be a job, as a JSON object; it is empty");
		return NULL;
	}
	v = json_loadb((const char *)h->body, h->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	               &je);
	if (v == NULL) {
		hreq_error(h, 400, "the body is not JSON: %s at line %d, column %d", je.text,
		           je.line, je.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		hreq_error(h, 400, "the body must be a job, as a JSON object, not %s",
		           json_is_array(v) ? "an array" : "a scalar");
		json_decref(v);
		return NULL;
	}
	return v;
}

/* The Job of a jobs_job, its strings borrowed, and the mask of the fields it
 * sets, in the arena; NULL with the answer set. */
static Jobs__V1__Job *
job_proto(struct hreq *h, const jobs_job *j, char ***mask, size_t *n_mask)
{
	Jobs__V1__Job *pb = alloc(h, sizeof *pb);

	if (pb == NULL || (*mask = alloc(h, sizeof **mask * client_n_job_fields)) == NULL)
		return NULL;
	jobs__v1__job__init(pb);
	client_job_to_proto(j, pb, *mask, n_mask);
	return pb;
}

/* The values a parameter takes by name, and the enum value each stands for. */
static const struct choice {
	const char *param, *name;
	int value;
} choices[] = {
    {"view", "full", JOBS__V1__JOB_VIEW__JOB_VIEW_FULL},
    {"view", "summary", JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY},
    {"order_by", "created_at", JOBS__V1__JOB_ORDER__ORDER_CREATED_AT},
    {"order_by", "updated_at", JOBS__V1__JOB_ORDER__ORDER_UPDATED_AT},
    {"order_by", "job_name", JOBS__V1__JOB_ORDER__ORDER_JOB_NAME},
    {"direction", "asc", JOBS__V1__SORT_DIRECTION__ASCENDING},
    {"direction", "ascending", JOBS__V1__SORT_DIRECTION__ASCENDING},
    {"direction", "desc", JOBS__V1__SORT_DIRECTION__DESCENDING},
    {"direction", "descending", JOBS__V1__SORT_DIRECTION__DESCENDING},
};

/* Parameter `name`, if given, as one of its choices into *out. False with
 * the answer set (naming the choices) when it is none of them. */
static bool
param_choice(struct hreq *h, const struct param *ps, size_t n, const char *name, int *out)
{
	const char *v = param(ps, n, name);
	char list[128] = "";

	if (v == NULL)
		return true;
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
		if (strcmp(choices[i].param, name) != 0)
			continue;
		if (strcmp(choices[i].name, v) == 0) {
			*out = choices[i].value;
			return true;
		}
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "",
		         choices[i].name);
	}
	hreq_error(h, 400, "%s is one of %s, not '%.100s'", name, list, v);
	return false;
}

/* GET /campaigns: ListJobs, or SearchJobs when there is search=TEXT. */
static bool
route_list(struct hreq *h, Jobs__V1__Request *req)
{
	static const char *const known[] = {
	    "search",        "substring",      "snippets",   "page_size",     "page_token",
	    "view",          "order_by",       "direction",  "enabled",       "product",
	    "persona",       "language",       "brand_name", "created_after", "created_before",
	    "updated_after", "updated_before", NULL};
	struct param ps[24];
	size_t n;
	Jobs__V1__JobFilter *f = alloc(h, sizeof *f);
	const char *v, *search, *token;
	int32_t size = 0;
	int view = 0, order = 0, direction = 0;
	bool substring = false, snippets = false;

	if (f == NULL)
		return false;
	jobs__v1__job_filter__init(f);
	if (!params(h, known, ps, sizeof ps / sizeof ps[0], &n) || !filter_params(h, ps, n, f) ||
	    ((v = param(ps, n, "page_size")) != NULL && !param_int(h, "page_size", v, &size)) ||
	    ((v = param(ps, n, "substring")) != NULL &&
	     !param_bool(h, "substring", v, &substring)) ||
	    ((v = param(ps, n, "snippets")) != NULL && !param_bool(h, "snippets", v, &snippets)) ||
	    !param_choice(h, ps, n, "view", &view) || !param_choice(h, ps, n, "order_by", &order) ||
	    !param_choice(h, ps, n, "direction", &direction))
		return false;
	search = param(ps, n, "search");
	token = param(ps, n, "page_token");
	if (search != NULL && (param(ps, n, "order_by") != NULL || param(ps, n, "direction"))) {
		hreq_error(h, 400,
		           "a search is ranked, best first: order_by and direction are for "
		           "listings");
		return false;
	}
	if (search == NULL && (param(ps, n, "substring") != NULL || param(ps, n, "snippets"))) {
		hreq_error(h, 400, "substring and snippets go with search=TEXT");
		return false;
	}
	if (search != NULL) {
		Jobs__V1__SearchJobsRequest *s = alloc(h, sizeof *s);

		if (s == NULL)
			return false;
		jobs__v1__search_jobs_request__init(s);
		s->query = (char *)search;
		s->filter = f;
		s->page_size = size;
		s->page_token = token != NULL ? (char *)token : s->page_token;
		s->mode = substring ? JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING
		                    : JOBS__V1__SEARCH_MODE__SEARCH_WORDS;
		s->snippets = snippets;
		s->view = (Jobs__V1__JobView)view;
		req->call_case = JOBS__V1__REQUEST__CALL_SEARCH_JOBS;
		req->search_jobs = s;
	} else {
		Jobs__V1__ListJobsRequest *l = alloc(h, sizeof *l);

		if (l == NULL)
			return false;
		jobs__v1__list_jobs_request__init(l);
		l->filter = f;
		l->page_size = size;
		l->page_token = token != NULL ? (char *)token : l->page_token;
		l->view = (Jobs__V1__JobView)view;
		l->order_by = (Jobs__V1__JobOrder)order;
		l->direction = (Jobs__V1__SortDirection)direction;
		req->call_case = JOBS__V1__REQUEST__CALL_LIST_JOBS;
		req->list_jobs = l;
	}
	start_call(h, req);
	return true;
}

static bool
route_stats(struct hreq *h, Jobs__V1__Request *req)
{
	static const char *const known[] = {"top", "created_after", "created_before", NULL};
	Jobs__V1__GetStatsRequest *s = alloc(h, sizeof *s);
	struct param ps[4];
	size_t n;
	const char *v;

	if (s == NULL)
		return false;
	jobs__v1__get_stats_request__init(s);
	if (!params(h, known, ps, sizeof ps / sizeof ps[0], &n) ||
	    ((v = param(ps, n, "top")) != NULL && !param_int(h, "top", v, &s->top)) ||
	    ((v = param(ps, n, "created_after")) != NULL &&
	     !param_time(h, "created_after", v, &s->created_after)) ||
	    ((v = param(ps, n, "created_before")) != NULL &&
	     !param_time(h, "created_before", v, &s->created_before)))
		return false;
	req->call_case = JOBS__V1__REQUEST__CALL_GET_STATS;
	req->get_stats = s;
	start_call(h, req);
	return true;
}

static bool
route_create(struct hreq *h, Jobs__V1__Request *req)
{
	Jobs__V1__CreateJobRequest *c = alloc(h, sizeof *c);
	json_t *obj;
	jobs_job j = {0};
	char err[256];

	if (c == NULL)
		return false;
	if ((obj = body_object(h)) == NULL)
		return false;
	jobs__v1__create_job_request__init(c);
	if (legacy_job_from_json(obj, LEGACY_FOR_CREATE, &j, err, sizeof err) != 0)
		hreq_error(h, 400, "%s", err);
	else if ((c->job = job_proto(h, &j, &c->field_mask, &c->n_field_mask)) != NULL) {
		req->call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
		req->create_job = c;
	}
	json_decref(obj);
	if (req->create_job == NULL) {
		legacy_job_strings_free(&j);
		return false;
	}
	start_call(h, req); /* packs the request: j's strings may go after */
	legacy_job_strings_free(&j);
	return true;
}

/* An If-Match header as the etag it names: "42" or 42; * (any) is no
 * condition. False with the answer set when it is not one etag. */
static bool
if_match(struct hreq *h)
{
	const char *v = header(h, "If-Match");
	size_t n;

	if (v == NULL || strcmp(v, "*") == 0)
		return true;
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && memchr(v + 1, '"', n - 2) == NULL)
		h->if_match = arena_strndup(&h->arena, v + 1, n - 2);
	else if (strncmp(v, "W/", 2) == 0) {
		/* A weak tag never matches strongly (RFC 9110, 13.1.1). */
		h->if_match = "W/";
	} else if (n > 0 && strpbrk(v, "\", ") == NULL)
		h->if_match = arena_strdup(&h->arena, v);
	else {
		hreq_error(h, 400, "If-Match takes one etag, such as \"42\"");
		return false;
	}
	if (h->if_match == NULL) {
		hreq_error(h, 500, "out of memory");
		return false;
	}
	return true;
}

static bool
route_get_or_delete(struct hreq *h, Jobs__V1__Request *req)
{
	if (h->verb == V_DELETE) {
		Jobs__V1__DeleteJobRequest *d = alloc(h, sizeof *d);

		if (d == NULL)
			return false;
		jobs__v1__delete_job_request__init(d);
		if (!if_match(h))
			return false;
		d->id = h->id;
		if (h->if_match != NULL)
			d->expected_etag = (char *)h->if_match;
		req->call_case = JOBS__V1__REQUEST__CALL_DELETE_JOB;
		req->delete_job = d;
	} else {
		Jobs__V1__GetJobRequest *g = alloc(h, sizeof *g);

		if (g == NULL)
			return false;
		jobs__v1__get_job_request__init(g);
		g->id = h->id;
		req->call_case = JOBS__V1__REQUEST__CALL_GET_JOB;
		req->get_job = g;
	}
	start_call(h, req);
	return true;
}

/* The UpdateJob of a PUT: h->put's fields (with `extra` when given), only
 * if the job's etag is `etag` (NULL: any). */
static void
put_update(struct hreq *h, const char *etag)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__UpdateJobRequest *u = alloc(h, sizeof *u);

	if (u == NULL || !envelope(h, &req)) {
		hreq_send(h);
		return;
	}
	jobs__v1__update_job_request__init(u);
	h->put.id = h->id;
	if ((u->job = job_proto(h, &h->put, &u->update_mask, &u->n_update_mask)) == NULL) {
		h->put.id = NULL;
		hreq_send(h);
		return;
	}
	h->put.id = NULL; /* h->id is the arena's, not put's to free */
	if (etag != NULL)
		u->expected_etag = (char *)etag;
	if (h->step == PUT_WRITE)
		req.request_id = (char *)""; /* see route_put() */
	req.call_case = JOBS__V1__REQUEST__CALL_UPDATE_JOB;
	req.update_job = u;
	start_call(h, &req);
}

/* A PUT that sets legacy keys, step 1: read the job. */
static void
put_read(struct hreq *h)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__GetJobRequest *g = alloc(h, sizeof *g);

	if (g == NULL || !envelope(h, &req)) {
		hreq_send(h);
		return;
	}
	jobs__v1__get_job_request__init(g);
	g->id = h->id;
	req.request_id = (char *)"";
	req.call_case = JOBS__V1__REQUEST__CALL_GET_JOB;
	req.get_job = g;
	h->step = PUT_READ;
	start_call(h, &req);
}

/*
 * Step 2: the job as read (`was`) with the PUT's legacy keys merged into its
 * extra, and the keys of the fields the PUT sets taken out of it (they held
 * legacy values those fields could not; the handler does the same when
 * extra is not set: unshadow()). Then the update, if the job is unchanged.
 */
static void
put_merge(struct hreq *h, const Jobs__V1__Job *was)
{
	json_t *extra = NULL, *patch = NULL;
	json_error_t je;
	char *text;

	if (h->if_match != NULL && strcmp(h->if_match, was->etag) != 0) {
		hreq_error(h, 412, "job '%s' has etag %s, not the expected %s; read it again",
		           was->id, was->etag, h->if_match);
		hreq_send(h);
		return;
	}
	extra = *was->extra != '\0' ? json_loads(was->extra, 0, &je) : json_object();
	patch = json_loads(h->put_legacy, 0, &je);
	if (!json_is_object(extra) || !json_is_object(patch)) {
		hreq_error(h, 500, "the extra of job '%s' cannot be read", was->id);
		goto done;
	}
	for (size_t i = 0; i < client_n_job_fields; i++)
		if ((h->put.fields & client_job_fields[i].bit) &&
		    client_job_fields[i].bit != JOBS_FIELD_EXTRA)
			json_object_del(extra, client_job_fields[i].name);
	if (json_object_update(extra, patch) != 0 ||
	    (text = legacy_json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		hreq_error(h, 500, "out of memory");
		goto done;
	}
	free(h->put.extra);
	h->put.extra = text;
	h->step = PUT_WRITE;
	json_decref(extra);
	json_decref(patch);
	put_update(h, was->etag);
	return;
done:
	json_decref(extra);
	json_decref(patch);
	hreq_send(h);
}

/*
 * PUT /campaigns/ID: the app's job.update(body). Keys of the job's fields
 * set those fields (id, created_at, updated_at and etag are ignored); other
 * keys are legacy keys, merged into the job's extra (put_read, put_merge),
 * which then goes without the request id: the update it sends depends on
 * what it read, so a retry could not be matched with it; merging the same
 * keys again changes nothing but updated_at.
 */
static bool
route_put(struct hreq *h, Jobs__V1__Request *req)
{
	json_t *obj;
	char err[256];

	(void)req;
	if (!if_match(h) || (obj = body_object(h)) == NULL)
		return false;
	h->put_loaded = true;
	if (legacy_job_from_json(obj, LEGACY_FOR_UPDATE, &h->put, err, sizeof err) != 0) {
		hreq_error(h, 400, "%s", err);
		json_decref(obj);
		return false;
	}
	json_decref(obj);
	h->step = PUT_PLAIN;
	if (h->put.fields & JOBS_FIELD_EXTRA) {
		/* Kept apart: each attempt merges them into the extra it read. */
		if ((h->put_legacy = arena_strdup(&h->arena, h->put.extra)) == NULL) {
			hreq_error(h, 500, "out of memory");
			return false;
		}
		put_read(h);
	} else {
		put_update(h, h->if_match);
	}
	return true;
}

/* ---- probes and metrics ---------------------------------------------------- */

/* How long a probe or a scrape waits for the store (PostgreSQL: the
 * server); SQLite answers at once. */
#define STORE_PROBE_US (2 * 1000000)

/* The store's gauges and schema version, on a connection lent for the
 * purpose. 0 or a code with a reason in why. */
static int
store_figures(struct hreq *h, struct store_gauges *g, int *schema, char *why, size_t whylen)
{
	store *st = h->db != NULL ? h->db : lanes_borrow_reader(h->lanes);
	int rv;

	if (st == NULL) {
		snprintf(why, whylen, "cannot open the database for reading");
		return ST(UNAVAILABLE);
	}
	store_set_deadline(st, clock_now_us() + STORE_PROBE_US);
	if ((rv = store_gauges(st, g)) != 0)
		snprintf(why, whylen, "%s", store_errmsg(st));
	if (schema != NULL)
		*schema = store_schema_version(st);
	store_set_deadline(st, 0);
	if (h->db == NULL)
		lanes_return_reader(h->lanes, st);
	return rv;
}

static void
route_readyz(struct hreq *h)
{
	struct store_gauges g;
	char why[256];

	if (atomic_load(&h->info->draining))
		answer_json(h, 503, json_pack("{sbss}", "ready", 0, "reason", "draining"));
	else if (store_figures(h, &g, NULL, why, sizeof why) != 0)
		answer_json(h, 503, json_pack("{sbss+}", "ready", 0, "reason", "store: ", why));
	else
		answer_json(h, 200, json_pack("{sb}", "ready", 1));
	if (h->ans.status == 503)
		h->ans.retry_after = HTTP_RETRY_AFTER;
}

static void
route_metrics(struct hreq *h)
{
	struct metrics_gauges g = {
	    .version = h->info->version,
	    .schema = STORE_SCHEMA_VERSION,
	    .started_us = h->info->started_us,
	    .inflight = atomic_load(&h->info->inflight),
	    .max_inflight = h->info->max_inflight,
	};
	char why[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	g.store_up = store_figures(h, &g.store, &g.schema, why, sizeof why) == 0;
	if ((f = open_memstream(&text, &len)) == NULL) {
		hreq_error(h, 500, "out of memory");
		return;
	}
	if (metrics_write(f, &g) != 0 || fclose(f) != 0) {
		free(text);
		hreq_error(h, 500, "out of memory");
		return;
	}
	free(h->ans.body);
	h->ans.status = 200;
	h->ans.type = METRICS_CONTENT_TYPE;
	h->ans.body = text;
	h->ans.len = len;
}

/* Routes a request whose body, if any, is in, and answers it: at once, or
 * when its call is done. */
void
hreq_go(struct hreq *h)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	static Jobs__V1__HealthRequest health = JOBS__V1__HEALTH_REQUEST__INIT;
	bool started = false;

	h->state = H_BUSY;
	if (h->route == R_READYZ)
		route_readyz(h);
	else if (h->route == R_METRICS)
		route_metrics(h);
	else if (!envelope(h, &req))
		; /* answered */
	else if (h->route == R_HEALTHZ) {
		req.call_case = JOBS__V1__REQUEST__CALL_HEALTH;
		req.health = &health;
		start_call(h, &req);
		started = true;
	} else if (h->route == R_CAMPAIGNS)
		started = h->verb == V_POST ? route_create(h, &req) : route_list(h, &req);
	else if (h->route == R_STATS)
		started = route_stats(h, &req);
	else
		started = h->verb == V_PUT ? route_put(h, &req) : route_get_or_delete(h, &req);
	/* A call answers for itself; h may be another request's by now. */
	if (!started)
		hreq_send(h);
}

/* ---- the call's answer ------------------------------------------------------- */

/* The legacy view of `pb` (with its etag); summary: the summary's fields. */
static json_t *
job_json(struct hreq *h, const Jobs__V1__Job *pb, bool summary)
{
	jobs_job *j = client_job_from_proto(pb);
	char err[256];
	json_t *v;

	if (j == NULL) {
		hreq_error(h, 500, "out of memory");
		return NULL;
	}
	if (summary)
		j->fields = JOBS_FIELD_ID | JOBS_FIELD_JOB_NAME | JOBS_FIELD_PRODUCT |
		            JOBS_FIELD_ENABLED | JOBS_FIELD_CREATED_AT;
	if ((v = legacy_job_to_json(j, true, err, sizeof err)) == NULL)
		hreq_error(h, 500, "%s", err);
	jobs_job_free(j);
	return v;
}

/* {"jobs": [...], "next_page_token": "..."}, as jobsctl --json list prints. */
static json_t *
page_json(struct hreq *h, Jobs__V1__Job *const *jobs, size_t n, size_t stride, bool summary,
          const char *token)
{
	json_t *doc = json_pack("{s[]ss}", "jobs", "next_page_token", token), *a, *j;

	if (doc == NULL) {
		hreq_error(h, 500, "out of memory");
		return NULL;
	}
	a = json_object_get(doc, "jobs");
	for (size_t i = 0; i < n; i++) {
		const Jobs__V1__Job *pb =
		    *(Jobs__V1__Job *const *)((const char *)jobs + i * stride);

		if ((j = job_json(h, pb, summary)) == NULL || json_array_append_new(a, j) != 0) {
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

/* GetStats as jobsctl --json stats prints it. */
static json_t *
stats_json(const Jobs__V1__GetStatsResponse *s)
{
	static const struct {
		const char *key, *name;
		size_t list, count;
	} groups[] = {
	    {"by_product", "product", offsetof(Jobs__V1__GetStatsResponse, by_product),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_product)},
	    {"by_language", "language", offsetof(Jobs__V1__GetStatsResponse, by_language),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_language)},
	    {"by_persona", "persona", offsetof(Jobs__V1__GetStatsResponse, by_persona),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_persona)},
	    {"by_brand", "brand", offsetof(Jobs__V1__GetStatsResponse, by_brand),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_brand)},
	};
	json_t *o = json_pack(
	    "{sIsIsIsIsIsIsIs[]}", "total_jobs", (json_int_t)s->total_jobs, "enabled_jobs",
	    (json_int_t)s->enabled_jobs, "disabled_jobs", (json_int_t)s->disabled_jobs,
	    "unique_products", (json_int_t)s->unique_products, "unique_personas",
	    (json_int_t)s->unique_personas, "unique_languages", (json_int_t)s->unique_languages,
	    "unique_brands", (json_int_t)s->unique_brands, "created_per_day");
	bool ok = o != NULL;

	for (size_t g = 0; ok && g < sizeof groups / sizeof groups[0]; g++) {
		Jobs__V1__ValueCount *const *v =
		    *(Jobs__V1__ValueCount *const *const *)((const char *)s + groups[g].list);
		size_t n = *(const size_t *)((const char *)s + groups[g].count);
		json_t *a = json_array();

		ok = a != NULL && json_object_set_new(o, groups[g].key, a) == 0;
		for (size_t i = 0; ok && i < n; i++)
			ok = json_array_append_new(a, json_pack("{sssI}", groups[g].name,
			                                        v[i]->value, "count",
			                                        (json_int_t)v[i]->count)) == 0;
	}
	for (size_t i = 0; ok && i < s->n_created_per_day; i++)
		ok = json_array_append_new(
		         json_object_get(o, "created_per_day"),
		         json_pack("{sssI}", "date", s->created_per_day[i]->date, "count",
		                   (json_int_t)s->created_per_day[i]->count)) == 0;
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The ETag header's value for etag `e`, quoted. */
static void
set_etag(struct hreq *h, const char *e)
{
	h->ans.etag = *e != '\0' ? arena_printf(&h->arena, "\"%s\"", e) : NULL;
}

/* Turns a successful call's response into the answer. */
static void
answer_call(struct hreq *h)
{
	const Jobs__V1__Response *r = &h->call.resp;
	json_t *v = NULL;

	switch (r->result_case) {
	case JOBS__V1__RESPONSE__RESULT_HEALTH:
		v = json_pack("{sssssisI}", "status", r->health->status, "version",
		              r->health->version, "schema_version", r->health->schema_version,
		              "uptime_ms", (json_int_t)r->health->uptime_ms);
		break;
	case JOBS__V1__RESPONSE__RESULT_GET_JOB:
		if ((v = job_json(h, r->get_job->job, false)) == NULL)
			return;
		set_etag(h, r->get_job->job->etag);
		break;
	case JOBS__V1__RESPONSE__RESULT_CREATE_JOB:
		if ((v = job_json(h, r->create_job->job, false)) == NULL)
			return;
		set_etag(h, r->create_job->job->etag);
		h->ans.location = arena_printf(&h->arena, "/campaigns/%s", r->create_job->job->id);
		answer_json(h, 201, v);
		return;
	case JOBS__V1__RESPONSE__RESULT_UPDATE_JOB:
		if ((v = job_json(h, r->update_job->job, false)) == NULL)
			return;
		set_etag(h, r->update_job->job->etag);
		break;
	case JOBS__V1__RESPONSE__RESULT_DELETE_JOB:
		free(h->ans.body);
		h->ans = (struct answer){.status = 204, .close = h->ans.close};
		return;
	case JOBS__V1__RESPONSE__RESULT_LIST_JOBS:
		v = page_json(h, r->list_jobs->jobs, r->list_jobs->n_jobs, sizeof(Jobs__V1__Job *),
		              h->call.req->list_jobs->view == JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY,
		              r->list_jobs->next_page_token);
		if (v == NULL)
			return;
		break;
	case JOBS__V1__RESPONSE__RESULT_SEARCH_JOBS: {
		const Jobs__V1__SearchJobsResponse *s = r->search_jobs;
		const Jobs__V1__SearchJobsRequest *q = h->call.req->search_jobs;
		Jobs__V1__Job **jobs = alloc(h, sizeof *jobs * (s->n_results + 1));
		json_t *sn = NULL;

		for (size_t i = 0; jobs != NULL && i < s->n_results; i++)
			jobs[i] = s->results[i]->job;
		if (jobs == NULL || (v = page_json(h, jobs, s->n_results, sizeof *jobs,
		                                   q->view == JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY,
		                                   s->next_page_token)) == NULL) {
			return;
		}
		if (q->snippets) {
			json_object_set_new(v, "snippets", sn = json_array());
			for (size_t i = 0; sn != NULL && i < s->n_results; i++)
				json_array_append_new(sn,
				                      json_pack("{ssss}", "id", jobs[i]->id,
				                                "snippet", s->results[i]->snippet));
		}
		break;
	}
	case JOBS__V1__RESPONSE__RESULT_GET_STATS:
		v = stats_json(r->get_stats);
		break;
	default:
		hreq_error(h, 500, "the call answered with result %d, which HTTP does not show",
		           (int)r->result_case);
		return;
	}
	answer_json(h, 200, v);
}

/* Takes the call out of info->inflight, once. */
void
hreq_leave(struct hreq *h)
{
	if (h->admitted) {
		atomic_fetch_sub(&h->info->inflight, 1);
		h->admitted = false;
	}
}

/* The call's answer is final: count it, then answer, or take the next step
 * of a PUT. */
static void
call_finished(struct hreq *h)
{
	call *c = &h->call;

	call_answered(c);
	if (h->step == PUT_READ && c->resp.code == ST(OK)) {
		hreq_leave(h); /* only the update's answer is sent */
		put_merge(h, c->resp.get_job->job);
		return;
	}
	if (h->step == PUT_WRITE && c->resp.code == ST(ABORTED) && h->if_match == NULL) {
		hreq_leave(h); /* another write came in between: read again */
		if (++h->attempts < PUT_ATTEMPTS) {
			put_read(h);
			return;
		}
		hreq_error(h, 409,
		           "job '%s' changed %d times while this PUT merged its keys into it; "
		           "nothing was written, try again",
		           h->id, PUT_ATTEMPTS);
		hreq_send(h);
		return;
	}
	if (c->resp.code == ST(OK))
		answer_call(h);
	else
		answer_failed(h);
	hreq_send(h);
}

static void
lane_done(lane_item *it)
{
	call_finished((struct hreq *)((char *)it - offsetof(struct hreq, item)));
}

/* Packs `req`, then decodes, admits and runs it as rpc.c does its own. */
static void
start_call(struct hreq *h, Jobs__V1__Request *req)
{
	size_t n = jobs__v1__request__get_packed_size(req);
	uint8_t *buf = alloc(h, n);
	enum lane decoded, lane;

	if (buf == NULL) {
		hreq_send(h);
		return;
	}
	jobs__v1__request__pack(req, buf);
	decoded = call_decode(&h->call, &h->arena, h->info, buf, n, clock_now_us());
	lane = call_admit(&h->call, h->info, decoded, METRICS_HTTP);
	h->admitted = true;
	h->refused = decoded != LANE_NONE && lane == LANE_NONE;
	if (h->db != NULL) {
		if (lane != LANE_NONE)
			lanes_serve_sync(h->db, &h->call);
		call_finished(h);
		return;
	}
	switch (lane) {
	case LANE_NONE:
		call_finished(h);
		break;
	case LANE_INLINE:
		lanes_run_inline(h->lanes, &h->call);
		call_finished(h);
		break;
	case LANE_READ:
	case LANE_WRITE:
		h->item.call = &h->call;
		h->item.done = lane_done;
		lanes_submit(h->lanes, lane, &h->item);
		break;
	}
}

/* ---- the first look at a request ------------------------------------------------ */

/*
 * Routes a new request and checks what can be checked before its body:
 * method, token, length. Returns true when the body is to be read (then
 * h->body_len is its length, from Content-Length), false when the answer is
 * set or the request has no body.
 */
bool
hreq_begin(struct hreq *h)
{
	const char *v;
	char *end;
	unsigned long long len;

	h->verb = verb_of(h->method);
	if (!route(h))
		return false;
	if (!allowed(h->route, h->verb)) {
		h->ans.allow = allow_of(h->route);
		hreq_error(h, 405, "%s is not a method of this path; it takes %s", h->method,
		           h->ans.allow);
		return false;
	}
	if (h->verb == V_OPTIONS) {
		h->ans.status = 204;
		h->ans.allow = allow_of(h->route);
		return false;
	}
	if (h->route != R_HEALTHZ && h->route != R_READYZ && !call_token_ok(h->info, bearer(h))) {
		h->ans.www_authenticate = true;
		hreq_error(h, 401,
		           "missing or wrong token: send Authorization: Bearer TOKEN with the "
		           "token of jobsd's --token-file");
		return false;
	}
	if (header(h, "Transfer-Encoding") != NULL) {
		hreq_error(h, 411,
		           "send the body with a Content-Length; jobsd does not read "
		           "chunked bodies");
		return false;
	}
	if ((v = header(h, "Content-Length")) == NULL)
		return false;
	errno = 0;
	len = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0) {
		hreq_error(h, 400, "Content-Length must be a number, not '%.40s'", v);
		return false;
	}
	if (len > h->max_body) {
		hreq_error(h, 413,
		           "the body is %llu bytes, more than the limit of %zu "
		           "(jobsd --max-message-size)",
		           len, h->max_body);
		return false;
	}
	h->body_len = (size_t)len;
	return len > 0;
}

/* ---- without nng --------------------------------------------------------------- */

void
hreq_clear(struct hreq *h)
{
	free(h->ans.body);
	h->ans = (struct answer){0};
	if (h->put_loaded)
		legacy_job_strings_free(&h->put);
	h->put = (jobs_job){0};
	h->put_loaded = false;
	h->put_legacy = NULL;
}

int
http_serve_sync(struct server_info *info, store *db, size_t max_body_bytes, const char *method,
                const char *uri, const char *const *headers, const void *body, size_t len,
                struct http_answer *out)
{
	struct hreq *h = calloc(1, sizeof *h);
	char *hdrs = NULL;
	size_t hlen = 0;
	FILE *f;
	int rv = -1;

	memset(out, 0, sizeof *out);
	if (h == NULL ||
	    arena_init(&h->arena, HTTP_ARENA_FIRST, 8 * max_body_bytes + (1u << 24)) != 0) {
		free(h);
		return -1;
	}
	h->db = db;
	h->info = info;
	h->max_body = max_body_bytes;
	h->headers = headers;
	h->method = method;
	h->target = uri;
	if (hreq_begin(h)) {
		/* The body is all there: if Content-Length said more, the client
		 * stopped sending, which the server answers 408. */
		if (h->body_len > len) {
			hreq_error(h, 408, "the body ended after %zu of %zu bytes", len,
			           h->body_len);
			h->ans.close = true;
		} else {
			h->body = (uint8_t *)body;
			hreq_go(h);
		}
	} else if (h->ans.status == 0) {
		hreq_go(h);
	}
	if (h->ans.status == 0)
		hreq_error(h, 500, "no answer"); /* a bug: the fuzzer finds it */
	if ((f = open_memstream(&hdrs, &hlen)) == NULL)
		goto done;
	if (h->ans.allow)
		fprintf(f, "Allow: %s\n", h->ans.allow);
	if (h->ans.etag)
		fprintf(f, "ETag: %s\n", h->ans.etag);
	if (h->ans.location)
		fprintf(f, "Location: %s\n", h->ans.location);
	if (h->ans.retry_after)
		fprintf(f, "Retry-After: %s\n", h->ans.retry_after);
	if (h->ans.www_authenticate)
		fprintf(f, "WWW-Authenticate: Bearer realm=\"jobsd\"\n");
	if (fclose(f) != 0)
		goto done;
	out->status = h->ans.status;
	out->headers = hdrs;
	hdrs = NULL;
	if (h->ans.type != NULL && (out->content_type = strdup(h->ans.type)) == NULL)
		goto done;
	out->body = h->ans.body != NULL ? h->ans.body : strdup("");
	out->len = h->ans.len;
	h->ans.body = NULL;
	rv = out->body != NULL ? 0 : -1;
done:
	free(hdrs);
	hreq_leave(h);
	hreq_clear(h);
	arena_fini(&h->arena);
	free(h);
	if (rv != 0)
		http_answer_free(out);
	return rv;
}

void
http_answer_free(struct http_answer *a)
{
	free(a->content_type);
	free(a->body);
	free(a->headers);
	memset(a, 0, sizeof *a);
}
