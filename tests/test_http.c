/*
 * test_http.c: jobsd over HTTP (server/http.c, server/metrics.c).
 *
 *   routes  the request path without a network: http_serve_sync() on a
 *           temporary database, every route, status and header, and the
 *           states a real server only reaches under load (overload, drain,
 *           a store that cannot be read).
 *   http    a real jobsd --http against real clients: curl (every route, the
 *           token, TLS, metrics checked by promtool) and Python's
 *           http.client (tests/http_client.py: a session, hostile requests,
 *           many clients at once), and what jobsctl --json prints beside it.
 */
#include "clock.h"
#include "dispatch.h"
#include "helpers.h"
#include "http.h"
#include "json_helpers.h"
#include "lanes.h"
#include "metrics.h"
#include "status.h"
#include "store.h"
#include "store_pg.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <mbedtls/sha256.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- routes: in process -------------------------------------------------- */

static const char *work;    /* the routes suite's temporary directory */
static char routes_db[512]; /* ... and its database (helpers.h, test_db_make) */
static store *st;
static struct server_info info = {.version = "test", .max_inflight = 8};
#define MAX_BODY 4096

static void
setup(void)
{
	store_options o = {.sync = STORE_SYNC_OFF};
	char err[256];

	work = tmpdir_make();
	test_db_make(work, routes_db, sizeof routes_db);
	cr_assert_eq(dispatch_init(err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_open(&st, routes_db, &o, err, sizeof err), 0, "%s", err);
	info.max_message_bytes = MAX_BODY;
}

static void
teardown(void)
{
	store_close(st);
	test_db_drop(routes_db);
	tmpdir_remove(work);
}

TestSuite(routes, .init = setup, .fini = teardown);

/* One exchange; `hdrs` name, value, ... NULL (may be NULL). With a body,
 * its Content-Length is added. The answer's body parsed, when JSON. */
struct ex {
	struct http_answer a;
	json_t *doc;
};

static struct ex
ask(const char *method, const char *uri, const char *const *hdrs, const char *body)
{
	const char *h[32];
	char len[32];
	size_t n = 0;
	struct ex e = {0};
	json_error_t je;

	for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL && n < 28; i++)
		h[n++] = hdrs[i];
	if (body != NULL) {
		snprintf(len, sizeof len, "%zu", strlen(body));
		h[n++] = "Content-Length";
		h[n++] = len;
	}
	h[n] = NULL;
	cr_assert_eq(http_serve_sync(&info, st, MAX_BODY, method, uri, h, body,
	                             body != NULL ? strlen(body) : 0, &e.a),
	             0);
	if (e.a.content_type != NULL && strcmp(e.a.content_type, "application/json") == 0) {
		e.doc = json_loads(e.a.body, 0, &je);
		cr_assert_not_null(e.doc, "%s %s answered no JSON: %s", method, uri, e.a.body);
	}
	return e;
}

static void
done(struct ex *e)
{
	http_answer_free(&e->a);
	json_decref(e->doc);
}

/* The value of header `name` of an answer ("" if absent), in a static buffer. */
static const char *
hdr(const struct ex *e, const char *name)
{
	static char v[512];
	const char *p = e->a.headers;
	size_t n = strlen(name);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			snprintf(v, sizeof v, "%.*s", (int)strcspn(p + n + 2, "\n"), p + n + 2);
			return v;
		}
		if (strchr(p, '\n') == NULL)
			break;
	}
	return "";
}

static const char *
str(const struct ex *e, const char *key)
{
	json_t *v = json_object_get(e->doc, key);

	cr_assert(json_is_string(v), "%s is not a string in %s", key, e->a.body);
	return json_string_value(v);
}

/* Asserts status and {"error": ...} with `words` in it. */
static void
assert_error(struct ex *e, int status, const char *words)
{
	cr_assert_eq(e->a.status, status, "wanted %d, got %d: %s", status, e->a.status, e->a.body);
	cr_assert(strstr(str(e, "error"), words) != NULL, "'%s' not in %s", words, e->a.body);
	cr_assert_eq(json_object_size(e->doc), 1, "only the error: %s", e->a.body);
	done(e);
}

/* Creates a job from `body`; its id, in a static buffer. */
static const char *
create(const char *body)
{
	static char id[160];
	struct ex e = ask("POST", "/campaigns", NULL, body);

	cr_assert_eq(e.a.status, 201, "%s", e.a.body);
	snprintf(id, sizeof id, "%s", str(&e, "id"));
	done(&e);
	return id;
}

Test(routes, create_get_put_delete_as_the_legacy_app)
{
	struct ex e =
	    ask("POST", "/campaigns", NULL,
	        "{\"id\": \"c1\", \"job_name\": \"Summer Sale\", \"product\": \"Lantern\","
	        " \"enhanced_settings\": {\"voice\": {\"stability\": 0.5}},"
	        " \"tags\": [\"a\"], \"language\": null}");
	char etag[64], quoted[80];

	cr_assert_eq(e.a.status, 201, "%s", e.a.body);
	cr_assert_str_eq(hdr(&e, "Location"), "/campaigns/c1");
	snprintf(etag, sizeof etag, "%s", str(&e, "etag"));
	snprintf(quoted, sizeof quoted, "\"%s\"", etag);
	cr_assert_str_eq(hdr(&e, "ETag"), quoted);
	cr_assert_str_eq(str(&e, "job_name"), "Summer Sale");
	cr_assert_str_eq(str(&e, "language"), "", "null is the empty text, as jobsctl reads it");
	cr_assert(json_is_true(json_object_get(e.doc, "enabled")), "the default");
	cr_assert(json_is_array(json_object_get(e.doc, "tags")), "a legacy key, at the top");
	cr_assert(json_is_object(json_object_get(e.doc, "enhanced_settings")));
	cr_assert_str_eq(e.a.content_type, "application/json");
	done(&e);

	e = ask("GET", "/campaigns/c1", NULL, NULL);
	cr_assert_eq(e.a.status, 200);
	cr_assert_str_eq(str(&e, "etag"), etag);
	cr_assert_str_eq(hdr(&e, "ETag"), quoted);
	done(&e);
	e = ask("HEAD", "/campaigns/c1", NULL, NULL);
	cr_assert_eq(e.a.status, 200, "HEAD goes where GET does");
	done(&e);

	e = ask("POST", "/campaigns", NULL, "{\"id\": \"c1\", \"job_name\": \"again\"}");
	assert_error(&e, 409, "already exists");

	e = ask("DELETE", "/campaigns/c1", NULL, NULL);
	cr_assert_eq(e.a.status, 204);
	cr_assert_eq(e.a.len, 0, "no body: %s", e.a.body);
	cr_assert_null(e.a.content_type);
	done(&e);
	e = ask("GET", "/campaigns/c1", NULL, NULL);
	cr_assert_eq(e.a.status, 404);
	cr_assert_str_eq(e.a.body, "{\"error\":\"Campaign not found\"}", "the app's own words");
	done(&e);
	e = ask("DELETE", "/campaigns/c1", NULL, NULL);
	assert_error(&e, 404, "Campaign not found");
	e = ask("PUT", "/campaigns/c1", NULL, "{\"hook\": \"h\"}");
	assert_error(&e, 404, "Campaign not found");
}

/* Creates job `id` with `extra` (JSON) as an import would: legacy keys, a
 * key named after a field holding the legacy value it could not. */
static void
create_legacy(const char *id, const char *extra)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest c = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *mask[] = {"id", "job_name", "product", "extra"};
	uint8_t buf[4096];
	arena a;
	call cl;
	size_t n;

	j.id = (char *)id;
	j.job_name = "n";
	j.product = "p";
	j.extra = (char *)extra;
	c.job = &j;
	c.field_mask = mask;
	c.n_field_mask = 4;
	req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	req.create_job = &c;
	n = jobs__v1__request__get_packed_size(&req);
	cr_assert_leq(n, sizeof buf);
	jobs__v1__request__pack(&req, buf);
	cr_assert_eq(arena_init(&a, 4096, 1 << 20), 0);
	cr_assert_eq(call_decode(&cl, &a, &info, buf, n, clock_now_us()), LANE_WRITE);
	lanes_serve_sync(st, &cl);
	cr_assert_eq(cl.resp.code, ST(OK), "%s", cl.resp.message);
	arena_fini(&a);
}

Test(routes, put_changes_exactly_the_keys_given)
{
	struct ex e;

	create_legacy("p1", "{\"tags\": [\"a\"], \"notes\": \"old\", \"language\": null}");
	/* A field: the others stay, legacy keys included. */
	e = ask("PUT", "/campaigns/p1", NULL, "{\"hook\": \"new\"}");
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "hook"), "new");
	cr_assert_str_eq(str(&e, "product"), "p");
	cr_assert_str_eq(str(&e, "notes"), "old");
	cr_assert(json_is_null(json_object_get(e.doc, "language")), "still the legacy null");
	done(&e);
	/* A legacy key: merged, the other legacy keys stay. */
	e = ask("PUT", "/campaigns/p1", NULL, "{\"notes\": \"new notes\", \"rating\": 5}");
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "notes"), "new notes");
	cr_assert_eq(json_integer_value(json_object_get(e.doc, "rating")), 5);
	cr_assert(json_is_array(json_object_get(e.doc, "tags")), "kept: %s", e.a.body);
	cr_assert_str_eq(str(&e, "hook"), "new");
	done(&e);
	/* A field whose legacy value stood in extra: the new value shows. */
	e = ask("PUT", "/campaigns/p1", NULL, "{\"language\": \"Deutsch\", \"mood\": \"x\"}");
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "language"), "Deutsch");
	cr_assert_str_eq(str(&e, "mood"), "x");
	cr_assert_str_eq(str(&e, "notes"), "new notes");
	done(&e);
	/* Immutable and output-only keys are ignored, as the app's update could
	 * not change what jobsd keeps. */
	e = ask("PUT", "/campaigns/p1", NULL,
	        "{\"id\": \"other\", \"etag\": \"1\", \"hook\": \"h\"}");
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "id"), "p1");
	done(&e);
	e = ask("GET", "/campaigns/other", NULL, NULL);
	cr_assert_eq(e.a.status, 404);
	done(&e);
}

Test(routes, if_match_makes_put_and_delete_conditional)
{
	struct ex e;
	char etag[64], stale[80], fresh[80];

	create("{\"id\": \"m1\", \"job_name\": \"n\"}");
	e = ask("PUT", "/campaigns/m1", NULL, "{\"hook\": \"a\"}");
	snprintf(etag, sizeof etag, "%s", str(&e, "etag"));
	done(&e);
	snprintf(fresh, sizeof fresh, "\"%s\"", etag);
	snprintf(stale, sizeof stale, "\"%lld\"", atoll(etag) - 1);

	const char *old[] = {"If-Match", stale, NULL}, *cur[] = {"If-Match", fresh, NULL},
	           *weak[] = {"If-Match", "W/\"1\"", NULL},
	           *many[] = {"If-Match", "\"1\", \"2\"", NULL}, *any[] = {"If-Match", "*", NULL};
	e = ask("PUT", "/campaigns/m1", old, "{\"hook\": \"b\"}");
	assert_error(&e, 412, "etag");
	e = ask("PUT", "/campaigns/m1", old, "{\"hook\": \"b\", \"legacy\": 1}");
	assert_error(&e, 412, "etag");
	e = ask("DELETE", "/campaigns/m1", old, NULL);
	assert_error(&e, 412, "etag");
	e = ask("PUT", "/campaigns/m1", weak, "{\"hook\": \"b\"}");
	cr_assert(e.a.status == 412 || e.a.status == 400, "a weak tag never matches: %d",
	          e.a.status);
	done(&e);
	e = ask("PUT", "/campaigns/m1", many, "{\"hook\": \"b\"}");
	assert_error(&e, 400, "one etag");
	e = ask("GET", "/campaigns/m1", NULL, NULL);
	cr_assert_str_eq(str(&e, "hook"), "a", "nothing changed");
	done(&e);

	e = ask("PUT", "/campaigns/m1", cur, "{\"hook\": \"c\", \"legacy\": 2}");
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "hook"), "c");
	snprintf(fresh, sizeof fresh, "\"%s\"", str(&e, "etag"));
	done(&e);
	e = ask("PUT", "/campaigns/m1", any, "{\"hook\": \"d\"}");
	cr_assert_eq(e.a.status, 200, "* is any etag: %s", e.a.body);
	snprintf(fresh, sizeof fresh, "\"%s\"", str(&e, "etag"));
	done(&e);
	e = ask("DELETE", "/campaigns/m1", cur, NULL);
	cr_assert_eq(e.a.status, 204, "%s", e.a.body);
	done(&e);
}

Test(routes, bad_bodies_are_400_with_a_reason_and_write_nothing)
{
	static const struct {
		const char *body, *words;
	} bad[] = {
	    {"{not json", "not JSON"},
	    {"", "empty"},
	    {"[1]", "JSON object"},
	    {"\"text\"", "JSON object"},
	    {"{\"enabled\": \"yes\"}", "enabled"},
	    {"{\"job_name\": 5}", "job_name"},
	    {"{\"created_at\": \"yesterday\"}", "created_at"},
	    {"{\"a\": 1, \"a\": 2}", "not JSON"},
	    {"{\"job_name\": \"\\u0000\"}", "not JSON"},
	    {"{\"job_name\": \"\xff\"}", "not JSON"},
	    {"{\"id\": \"../x\", \"job_name\": \"n\"}", "id"},
	    {"{\"enhanced_settings\": {\"n\": 99999999999999999999}}", "not JSON"},
	};
	struct ex e;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = ask("POST", "/campaigns", NULL, bad[i].body);
		assert_error(&e, 400, bad[i].words);
	}
	create("{\"id\": \"b1\", \"job_name\": \"n\"}");
	e = ask("PUT", "/campaigns/b1", NULL, "{\"enabled\": 1}");
	assert_error(&e, 400, "enabled");
	e = ask("PUT", "/campaigns/b1", NULL, "[]");
	assert_error(&e, 400, "JSON object");
	e = ask("GET", "/campaigns/stats", NULL, NULL);
	cr_assert_eq(json_integer_value(json_object_get(e.doc, "total_jobs")), 1, "%s", e.a.body);
	done(&e);
}

Test(routes, methods_paths_and_hostile_ids)
{
	struct ex e;

	e = ask("PATCH", "/campaigns/x", NULL, NULL);
	cr_assert_str_eq(hdr(&e, "Allow"), "GET, HEAD, PUT, DELETE, OPTIONS");
	assert_error(&e, 405, "PATCH");
	e = ask("DELETE", "/campaigns", NULL, NULL);
	cr_assert_str_eq(hdr(&e, "Allow"), "GET, HEAD, POST, OPTIONS");
	assert_error(&e, 405, "DELETE");
	e = ask("POST", "/metrics", NULL, "{}");
	cr_assert_str_eq(hdr(&e, "Allow"), "GET, HEAD, OPTIONS");
	assert_error(&e, 405, "POST");
	e = ask("OPTIONS", "/campaigns/x", NULL, NULL);
	cr_assert_eq(e.a.status, 204);
	cr_assert_str_eq(hdr(&e, "Allow"), "GET, HEAD, PUT, DELETE, OPTIONS");
	done(&e);

	static const char *const missing[] = {
	    "/",          "/campaign", "/campaigns/",     "/campaigns/a/b", "/campaigns//x",
	    "/healthz/x", "*",         "/campaigns/../x", "/CAMPAIGNS"};
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		e = ask("GET", missing[i], NULL, NULL);
		assert_error(&e, 404, "no such path");
	}
	static const struct {
		const char *uri, *words;
		int status;
	} ids[] = {
	    {"/campaigns/..%2F..%2Fetc%2Fpasswd", "id", 400},
	    {"/campaigns/a%00b", "NUL", 400},
	    {"/campaigns/%FF%FE", "UTF-8", 400},
	    {"/campaigns/%C0%AF", "UTF-8", 400},
	    {"/campaigns/a%2", "hex", 400},
	    {"/campaigns/a%zz", "hex", 400},
	    {"/campaigns/.x", "id", 400},
	    {"/campaigns/a%41", "Campaign not found", 404},
	    {"http://evil.example/campaigns/a%20b", "id", 400},
	};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		e = ask("GET", ids[i].uri, NULL, NULL);
		assert_error(&e, ids[i].status, ids[i].words);
		e = ask("DELETE", ids[i].uri, NULL, NULL);
		assert_error(&e, ids[i].status, ids[i].words);
	}
	/* "stats" is the statistics for GET, a job's id for PUT and DELETE. */
	create("{\"id\": \"stats\", \"job_name\": \"named stats\"}");
	e = ask("GET", "/campaigns/stats", NULL, NULL);
	cr_assert_not_null(json_object_get(e.doc, "total_jobs"), "%s", e.a.body);
	done(&e);
	e = ask("PUT", "/campaigns/stats", NULL, "{\"hook\": \"h\"}");
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "job_name"), "named stats");
	done(&e);
	e = ask("DELETE", "/campaigns/stats", NULL, NULL);
	cr_assert_eq(e.a.status, 204);
	done(&e);
}

Test(routes, limits_on_bodies_and_headers)
{
	char big[MAX_BODY + 2];
	struct ex e;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	e = ask("POST", "/campaigns", NULL, big);
	cr_assert(strstr(str(&e, "error"), "--max-message-size") != NULL, "%s", e.a.body);
	assert_error(&e, 413, "more than the limit");

	const char *chunked[] = {"Transfer-Encoding", "chunked", NULL};
	e = ask("POST", "/campaigns", chunked, NULL);
	assert_error(&e, 411, "Content-Length");
	const char *nonsense[] = {"Content-Length", "ten", NULL};
	e = ask("POST", "/campaigns", nonsense, NULL);
	assert_error(&e, 400, "Content-Length");
	const char *bad_timeout[] = {"Grpc-Timeout", "1 hour", NULL};
	e = ask("GET", "/campaigns", bad_timeout, NULL);
	assert_error(&e, 400, "Grpc-Timeout");
	const char *past[] = {"Grpc-Timeout", "0n", NULL};
	e = ask("GET", "/campaigns", past, NULL);
	assert_error(&e, 504, "deadline");
	const char *ample[] = {"Grpc-Timeout", "5S", NULL};
	e = ask("GET", "/campaigns", ample, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	done(&e);
	const char *long_id[] = {"X-Request-Id",
	                         "0123456789012345678901234567890123456789"
	                         "0123456789012345678901234567890123456789"
	                         "0123456789012345678901234567890123456789"
	                         "0123456789",
	                         NULL};
	e = ask("POST", "/campaigns", long_id, "{\"job_name\": \"n\"}");
	assert_error(&e, 400, "request_id");
}

Test(routes, query_parameters_filter_page_and_search)
{
	struct ex e;
	char token[512], uri[700];

	create("{\"id\": \"q1\", \"job_name\": \"Alpha\", \"product\": \"Solar Lantern\","
	       " \"enabled\": false, \"created_at\": \"2026-01-01T00:00:00Z\"}");
	create("{\"id\": \"q2\", \"job_name\": \"Beta\", \"product\": \"Solar Lantern\","
	       " \"created_at\": \"2026-01-02T00:00:00Z\"}");
	create("{\"id\": \"q3\", \"job_name\": \"Gamma\", \"product\": \"Heater\","
	       " \"created_at\": \"2026-01-03T00:00:00Z\"}");

	e = ask("GET", "/campaigns", NULL, NULL);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(json_object_get(e.doc, "jobs"), 0), "id")),
	                 "q3", "newest first");
	cr_assert_str_eq(str(&e, "next_page_token"), "");
	done(&e);

	e = ask("GET", "/campaigns?page_size=2&view=summary", NULL, NULL);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 2);
	cr_assert_null(json_object_get(json_array_get(json_object_get(e.doc, "jobs"), 0), "hook"),
	               "a summary: %s", e.a.body);
	snprintf(token, sizeof token, "%s", str(&e, "next_page_token"));
	cr_assert_neq(token[0], '\0');
	done(&e);
	/* The token is base64: + and / and = travel percent-encoded. */
	{
		char enc[600], *o = enc;

		for (const char *p = token; *p; p++)
			o += isalnum((unsigned char)*p) ? sprintf(o, "%c", *p)
			                                : sprintf(o, "%%%02X", (unsigned char)*p);
		snprintf(uri, sizeof uri, "/campaigns?view=summary&page_size=2&page_token=%s", enc);
	}
	e = ask("GET", uri, NULL, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 1, "%s", e.a.body);
	done(&e);

	e = ask("GET", "/campaigns?product=Solar+Lantern&enabled=true", NULL, NULL);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 1, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/campaigns?order_by=job_name&direction=desc&created_after=2026-01-02", NULL,
	        NULL);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 2, "%s", e.a.body);
	cr_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(json_object_get(e.doc, "jobs"), 0), "job_name")),
	                 "Gamma");
	done(&e);

	e = ask("GET", "/campaigns?search=solar+lant*&snippets=1", NULL, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 2, "%s", e.a.body);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "snippets")), 2, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/campaigns?search=eate&substring=1", NULL, NULL);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "jobs")), 1, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/campaigns/stats?top=1&created_after=2026-01-01&created_before=2026-01-04",
	        NULL, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert_eq(json_integer_value(json_object_get(e.doc, "total_jobs")), 3);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "by_product")), 1);
	cr_assert_eq(json_array_size(json_object_get(e.doc, "created_per_day")), 3, "%s", e.a.body);
	done(&e);

	static const char *const bad[] = {"?bogus=1",
	                                  "?page_size=-1",
	                                  "?page_size=2&page_size=3",
	                                  "?view=all",
	                                  "?enabled=maybe",
	                                  "?order_by=hook",
	                                  "?direction=up",
	                                  "?created_after=soon",
	                                  "?search=a&order_by=job_name",
	                                  "?snippets=1",
	                                  "?search=%00",
	                                  "?search=%FF",
	                                  "?page_token=junk",
	                                  "?search=%",
	                                  "?search=()",
	                                  "?search=ab&substring=1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(uri, sizeof uri, "/campaigns%s", bad[i]);
		e = ask("GET", uri, NULL, NULL);
		cr_assert_eq(e.a.status, 400, "%s: %d %s", bad[i], e.a.status, e.a.body);
		done(&e);
	}
	e = ask("GET", "/campaigns/stats?top=x", NULL, NULL);
	assert_error(&e, 400, "top");
	e = ask("GET", "/campaigns/stats?page_size=1", NULL, NULL);
	assert_error(&e, 400, "unknown query parameter");
}

Test(routes, a_token_guards_every_route_but_the_probes)
{
	/* The digest of "s3cret", as main.c's load_token() keeps it. */
	const char *right[] = {"Authorization", "Bearer s3cret", NULL},
	           *wrong[] = {"Authorization", "Bearer guess", NULL},
	           *basic[] = {"Authorization", "Basic czNjcmV0", NULL};
	struct ex e;

	info.need_token = true;
	mbedtls_sha256_ret((const unsigned char *)"s3cret", 6, info.token_sha256, 0);
	static const char *const guarded[] = {"/campaigns", "/campaigns/x", "/campaigns/stats",
	                                      "/metrics"};
	for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++) {
		e = ask("GET", guarded[i], NULL, NULL);
		cr_assert_str_eq(hdr(&e, "WWW-Authenticate"), "Bearer realm=\"jobsd\"");
		assert_error(&e, 401, "token");
		e = ask("GET", guarded[i], wrong, NULL);
		assert_error(&e, 401, "token");
		e = ask("GET", guarded[i], basic, NULL);
		assert_error(&e, 401, "token");
	}
	e = ask("POST", "/campaigns", wrong, "{\"job_name\": \"n\"}");
	assert_error(&e, 401, "token");
	e = ask("GET", "/campaigns", right, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/metrics", right, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/healthz", NULL, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/readyz", NULL, NULL);
	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	done(&e);
	info.need_token = false;
}

Test(routes, request_ids_make_writes_safe_to_retry)
{
	const char *rid[] = {"X-Request-Id", "retry-1", NULL};
	struct ex e = ask("POST", "/campaigns", rid, "{\"job_name\": \"once\"}");
	char id[160];

	cr_assert_eq(e.a.status, 201, "%s", e.a.body);
	snprintf(id, sizeof id, "%s", str(&e, "id"));
	done(&e);
	e = ask("POST", "/campaigns", rid, "{\"job_name\": \"once\"}");
	cr_assert_eq(e.a.status, 201, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "id"), id, "the first answer again");
	done(&e);
	e = ask("POST", "/campaigns", rid, "{\"job_name\": \"other\"}");
	assert_error(&e, 400, "request_id");
	e = ask("GET", "/campaigns/stats", NULL, NULL);
	cr_assert_eq(json_integer_value(json_object_get(e.doc, "total_jobs")), 1);
	done(&e);
}

static double sample(const char *scrape, const char *series);

/* A series of /metrics now, asked in process (-1 when absent). */
static double
routes_sample(const char *series)
{
	struct ex e = ask("GET", "/metrics", NULL, NULL);
	double v;

	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	v = sample(e.a.body, series);
	done(&e);
	return v;
}

#define REFUSED(reason) "jobsd_calls_refused_total{reason=\"" reason "\",transport=\"http\"}"

Test(routes, overload_and_drain_are_503_with_retry_after)
{
	struct ex e;
	double overload = routes_sample(REFUSED("overload")),
	       draining = routes_sample(REFUSED("draining"));

	metrics_start(); /* as jobsd does with --http */
	cr_assert_geq(overload, 0, "no overload counter");
	cr_assert_geq(draining, 0, "no draining counter");
	atomic_store(&info.inflight, info.max_inflight);
	e = ask("GET", "/campaigns", NULL, NULL);
	cr_assert_str_eq(hdr(&e, "Retry-After"), "1");
	assert_error(&e, 503, "calls in flight");
	atomic_store(&info.inflight, 0);

	atomic_store(&info.draining, true);
	e = ask("POST", "/campaigns", NULL, "{\"job_name\": \"late\"}");
	cr_assert_str_eq(hdr(&e, "Retry-After"), "1");
	assert_error(&e, 503, "shutting down");
	e = ask("GET", "/readyz", NULL, NULL);
	cr_assert_eq(e.a.status, 503, "%s", e.a.body);
	cr_assert_str_eq(str(&e, "reason"), "draining");
	done(&e);
	e = ask("GET", "/healthz", NULL, NULL);
	cr_assert_eq(e.a.status, 200, "alive while draining: %s", e.a.body);
	cr_assert_str_eq(str(&e, "status"), "DRAINING");
	done(&e);
	atomic_store(&info.draining, false);
	cr_assert_eq(atomic_load(&info.inflight), 0, "every call left flight");
	cr_assert_eq(routes_sample(REFUSED("overload")), overload + 1);
	cr_assert_eq(routes_sample(REFUSED("draining")), draining + 1);
}

Test(routes, readyz_is_503_when_the_store_cannot_answer)
{
	sqlite3 *raw;
	struct ex e = ask("GET", "/readyz", NULL, NULL);

	cr_assert_eq(e.a.status, 200, "%s", e.a.body);
	cr_assert(json_is_true(json_object_get(e.doc, "ready")));
	done(&e);
	/* Break the store behind its back: a table its figures come from. */
	if (test_store_is_pg()) {
		PQclear(test_pg_exec(routes_db, "DROP TABLE stat_totals CASCADE"));
	} else {
		cr_assert_eq(sqlite3_open(routes_db, &raw), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(raw, "DROP TABLE stat_totals", NULL, NULL, NULL),
		             SQLITE_OK);
		sqlite3_close(raw);
	}
	e = ask("GET", "/readyz", NULL, NULL);
	cr_assert_eq(e.a.status, 503, "%s", e.a.body);
	cr_assert_str_eq(hdr(&e, "Retry-After"), "1");
	cr_assert(strstr(str(&e, "reason"), "store") != NULL, "%s", e.a.body);
	done(&e);
	e = ask("GET", "/metrics", NULL, NULL);
	cr_assert_eq(e.a.status, 200, "metrics without the store's figures");
	cr_assert(strstr(e.a.body, "jobsd_store_up 0\n") != NULL);
	cr_assert(strstr(e.a.body, "jobsd_jobs ") == NULL);
	done(&e);
}

/* ---- http: a real jobsd, real clients ------------------------------------------- */

static struct jobsd d;
static char base[160]; /* http(s)://127.0.0.1:PORT */

/* Starts jobsd with --http URL and `extra`; waits for the HTTP line of its
 * log (it comes after the nng listeners jobsd_start() waits for). */
static void
start_http(const char *url, const char *const *extra)
{
	const char *args[32] = {"--http", url};
	size_t n = 2;
	struct timespec pause = {0, 10 * 1000 * 1000};

	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	cr_assert(jobsd_start(&d, NULL, args));
	for (int i = 0; i < 1000; i++) {
		char *log = read_file(d.log, NULL), *at;

		at = log != NULL ? strstr(log, "serving HTTP on ") : NULL;
		if (at != NULL) {
			at += strlen("serving HTTP on ");
			snprintf(base, sizeof base, "%.*s", (int)strcspn(at, "\n"), at);
			free(log);
			return;
		}
		free(log);
		nanosleep(&pause, NULL);
	}
	cr_assert_fail("jobsd never said where it serves HTTP");
}

static void
stop_http(void)
{
	cr_assert_eq(jobsd_cleanup(&d), 0, "jobsd must exit 0 at SIGTERM");
}

/* What curl got. */
struct got {
	int status; /* 0: curl failed (exit status in `exit`) */
	int exit;
	char *headers, *body;
	json_t *doc; /* the body, when JSON */
};

/* curl -X METHOD base+path, with `body` (NULL: none) and more curl arguments
 * (NULL-terminated). */
static struct got
curl_args(const char *method, const char *path, const char *body, const char *const *more)
{
	const char *argv[48];
	char url[1024], hfile[400], bfile[400];
	size_t n = 0;
	struct got g = {0};
	struct run r;

	snprintf(url, sizeof url, "%s%s", base, path);
	snprintf(hfile, sizeof hfile, "%s/curl.h", d.dir);
	snprintf(bfile, sizeof bfile, "%s/curl.b", d.dir);
	unlink(hfile);
	unlink(bfile);
	argv[n++] = "/usr/bin/curl";
	argv[n++] = "-sS";
	argv[n++] = "--max-time";
	argv[n++] = "30";
	argv[n++] = "-X";
	argv[n++] = method;
	argv[n++] = "-D";
	argv[n++] = hfile;
	argv[n++] = "-o";
	argv[n++] = bfile;
	argv[n++] = "-w";
	argv[n++] = "%{http_code}";
	if (body != NULL) {
		argv[n++] = "-H";
		argv[n++] = "Content-Type: application/json";
		argv[n++] = "--data-binary";
		argv[n++] = "@-";
	}
	for (size_t i = 0; more != NULL && more[i] != NULL && n < 46; i++)
		argv[n++] = more[i];
	argv[n++] = url;
	argv[n] = NULL;
	r = run_cmd(argv, body, NULL);
	g.exit = r.status;
	g.status = r.status == 0 ? atoi(r.out) : 0;
	g.headers = read_file(hfile, NULL);
	g.body = read_file(bfile, NULL);
	if (g.body != NULL && g.headers != NULL &&
	    strcasestr(g.headers, "Content-Type: application/json") != NULL)
		g.doc = json_loads(g.body, 0, NULL);
	run_free(&r);
	return g;
}

#define curl(method, path, body, ...)                                                              \
	curl_args(method, path, body, (const char *const[]){NULL, ##__VA_ARGS__, NULL} + 1)

static void
got_free(struct got *g)
{
	free(g->headers);
	free(g->body);
	json_decref(g->doc);
	memset(g, 0, sizeof *g);
}

/* Runs tests/http_client.py SCENARIO base ARGS...; asserts it passed. */
static void
python(const char *scenario, const char *arg)
{
	const char *argv[] = {
	    "/usr/bin/env", "python3", TESTS_DIR "/http_client.py", scenario, base, arg, NULL};
	struct run r = run_cmd(argv, NULL, NULL);

	cr_assert_eq(r.status, 0, "http_client.py %s: %s%s", scenario, r.out, r.err);
	run_free(&r);
}

/* The exit status of `jobsctl ARGS...`. */
#define ctl_status(...) ctl_status_(run_tool(JOBSCTL_PATH, d.url, NULL, __VA_ARGS__, NULL))
static int
ctl_status_(struct run r)
{
	int status = r.status;

	run_free(&r);
	return status;
}

/* `jobsctl --json ARGS...` parsed. */
#define ctl_json(...) ctl_json_(run_tool(JOBSCTL_PATH, d.url, NULL, "--json", __VA_ARGS__, NULL))
static json_t *
ctl_json_(struct run r)
{
	json_t *v;

	cr_assert_eq(r.status, 0, "jobsctl: %s", r.err);
	v = json_of(&r);
	run_free(&r);
	return v;
}

static void
assert_same_json(json_t *a, json_t *b, const char *what)
{
	char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, JSON_SORT_KEYS);

	cr_assert(json_equal(a, b), "%s differs:\nHTTP:    %s\njobsctl: %s", what, sa, sb);
	free(sa);
	free(sb);
}

Test(http, curl_sees_what_jobsctl_json_prints, .fini = stop_http)
{
	struct got g;
	json_t *j;
	char id[160], path[300];

	start_http("http://127.0.0.1:0", NULL);
	g = curl(
	    "POST", "/campaigns",
	    "{\"job_name\": \"Summer Sale\", \"product\": \"Solar Lantern\", \"hook\": \"Dark?\","
	    " \"enhanced_settings\": {\"voice\": {\"stability\": 0.5}}, \"tags\": [\"a\"],"
	    " \"created_at\": \"2026-03-01T10:00:00Z\"}");
	cr_assert_eq(g.status, 201, "%d %s", g.exit, g.body);
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(g.doc, "id")));
	got_free(&g);
	cr_assert_eq(
	    ctl_status("create", "--id", "second", "--name", "Winter", "--product", "Heater"), 0);

	snprintf(path, sizeof path, "/campaigns/%s", id);
	g = curl("GET", path, NULL);
	cr_assert_eq(g.status, 200);
	j = ctl_json("get", id);
	assert_same_json(g.doc, j, "GET /campaigns/ID and jobsctl --json get");
	json_decref(j);
	got_free(&g);

	g = curl("GET", "/campaigns", NULL);
	j = ctl_json("list");
	assert_same_json(g.doc, j, "GET /campaigns and jobsctl --json list");
	json_decref(j);
	got_free(&g);
	g = curl("GET", "/campaigns?view=summary&page_size=1", NULL);
	j = ctl_json("list", "--view", "summary", "--page-size", "1");
	assert_same_json(g.doc, j, "a summary page and jobsctl's");
	json_decref(j);
	got_free(&g);
	g = curl("GET", "/campaigns?search=solar+lant*&snippets=1", NULL);
	j = ctl_json("search", "--snippets", "solar lant*");
	assert_same_json(g.doc, j, "a search and jobsctl's");
	json_decref(j);
	got_free(&g);
	g = curl("GET", "/campaigns/stats?created_after=2026-02-27&created_before=2026-03-03",
	         NULL);
	j = ctl_json("stats", "--since", "2026-02-27", "--until", "2026-03-03");
	assert_same_json(g.doc, j, "GET /campaigns/stats and jobsctl --json stats");
	json_decref(j);
	got_free(&g);

	/* What jobsctl writes over nng, HTTP reads, and the other way round. */
	g = curl("PUT", "/campaigns/second", "{\"hook\": \"Cold?\", \"notes\": \"from http\"}");
	cr_assert_eq(g.status, 200, "%s", g.body);
	got_free(&g);
	j = ctl_json("get", "second");
	cr_assert_str_eq(json_string_value(json_object_get(j, "hook")), "Cold?");
	cr_assert_str_eq(json_string_value(json_object_get(j, "notes")), "from http");
	json_decref(j);

	g = curl("DELETE", "/campaigns/second", NULL);
	cr_assert_eq(g.status, 204);
	cr_assert_str_eq(g.body, "");
	got_free(&g);
	g = curl("GET", "/campaigns/second", NULL);
	cr_assert_eq(g.status, 404);
	cr_assert_str_eq(g.body, "{\"error\":\"Campaign not found\"}");
	got_free(&g);
	g = curl("PATCH", "/campaigns", NULL);
	cr_assert_eq(g.status, 405);
	cr_assert(strstr(g.headers, "Allow: GET, HEAD, POST, OPTIONS") != NULL, "%s", g.headers);
	got_free(&g);

	/* A body curl sends with Expect: 100-continue (over 1 KiB). */
	{
		char big[4096];

		snprintf(big, sizeof big, "{\"job_name\": \"big\", \"hook\": \"%0*d\"}", 3000, 7);
		g = curl("POST", "/campaigns", big);
		cr_assert_eq(g.status, 201, "%s", g.body);
		got_free(&g);
	}
	python("session", NULL);
}

Test(http, hostile_requests_leave_it_serving, .timeout = 240, .fini = stop_http)
{
	const char *extra[] = {"--max-message-size", "64K", NULL};

	start_http("http://127.0.0.1:0", extra);
	python("hostile", "65536");
	python("concurrent", NULL);
	/* And the nng side never noticed. */
	cr_assert_eq(ctl_status("health"), 0);
}

/* The value of the sample `series` (its name and labels, as written) in a
 * scrape; -1 when it is absent. */
static double
sample(const char *scrape, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = scrape; p != NULL && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return atof(p + n + 1);
	return -1;
}

/* How far a series moved between two scrapes; it must be in the second
 * (a series not yet written in the first counts from 0). */
static double
moved(const char *before, const char *after, const char *series)
{
	double b = sample(before, series), a = sample(after, series);

	cr_assert_geq(a, 0, "%s is not in the scrape:\n%s", series, after);
	return a - (b < 0 ? 0 : b);
}

static char *
scrape(void)
{
	struct got g = curl("GET", "/metrics", NULL);
	char *text = g.body;

	cr_assert_eq(g.status, 200);
	cr_assert(strstr(g.headers, "text/plain; version=0.0.4") != NULL, "%s", g.headers);
	g.body = NULL;
	got_free(&g);
	return text;
}

#define SERIES(m, t)                                                                               \
	"{grpc_method=\"" m "\",grpc_service=\"jobs.v1.Jobs\",grpc_type=\"unary\",transport=\"" t  \
	"\"}"
#define HANDLED(code, m, t)                                                                        \
	"grpc_server_handled_total{grpc_code=\"" code "\",grpc_method=\"" m                        \
	"\",grpc_service=\"jobs.v1.Jobs\",grpc_type=\"unary\",transport=\"" t "\"}"

/* Every histogram in the scrape: buckets cumulative, in order, ending with
 * +Inf, which equals _count. */
static void
assert_histograms(const char *text)
{
	char series[512] = "";
	double last = -1, prev_le = -1;
	int n = 0;

	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		const char *b = strstr(p, "_bucket{"), *eol = strchr(p, '\n');
		char name[512];

		if (b != NULL && b < eol) {
			const char *le = strstr(p, "le=\"");
			size_t head = (size_t)(le - p);

			snprintf(name, sizeof name, "%.*s", (int)head, p);
			if (strcmp(name, series) != 0) {
				cr_assert(series[0] == '\0' || prev_le == INFINITY,
				          "%s does not end with +Inf", series);
				snprintf(series, sizeof series, "%s", name);
				last = -1;
				prev_le = -INFINITY;
				n++;
			}
			double le_v = strncmp(le + 4, "+Inf", 4) == 0 ? INFINITY : atof(le + 4);
			double v = atof(strchr(le, '}') + 2);
			cr_assert_gt(le_v, prev_le, "%s: bounds out of order", series);
			cr_assert_geq(v, last, "%s: buckets not cumulative", series);
			prev_le = le_v;
			last = v;
		} else if (series[0] != '\0' && strstr(p, "_count") != NULL &&
		           strstr(p, "_count") < eol) {
			const char *v = eol;

			while (v > p && v[-1] != ' ')
				v--;
			cr_assert_eq(atof(v), last, "_count is not the +Inf bucket: %.*s",
			             (int)(eol - p), p);
		}
	}
	cr_assert(series[0] == '\0' || prev_le == INFINITY, "%s does not end with +Inf", series);
	cr_assert_geq(n, 3, "histograms were written");
}

Test(http, metrics_count_exactly_the_calls_made, .fini = stop_http)
{
	char *before, *after;
	struct got g;
	const char *promtool[] = {"/usr/bin/promtool", "check", "metrics", NULL};
	struct run r;

	start_http("http://127.0.0.1:0", NULL);
	before = scrape();
	/* Over nng: 3 Gets (one found), 1 Create. Over HTTP: 2 Gets, 1 Create, 1
	 * List, a 404 path and a 400 that never reach a call. */
	cr_assert_eq(ctl_status("create", "--id", "m1", "--name", "n"), 0);
	cr_assert_eq(ctl_status("get", "m1"), 0);
	cr_assert_eq(ctl_status("get", "nope"), 3);
	cr_assert_eq(ctl_status("get", "nope2"), 3);
	g = curl("POST", "/campaigns", "{\"id\": \"m2\", \"job_name\": \"n\"}");
	cr_assert_eq(g.status, 201);
	got_free(&g);
	g = curl("GET", "/campaigns/m2", NULL);
	cr_assert_eq(g.status, 200);
	got_free(&g);
	g = curl("GET", "/campaigns/nope", NULL);
	cr_assert_eq(g.status, 404);
	got_free(&g);
	g = curl("GET", "/campaigns", NULL);
	cr_assert_eq(g.status, 200);
	got_free(&g);
	g = curl("GET", "/nowhere", NULL);
	cr_assert_eq(g.status, 404);
	got_free(&g);
	g = curl("GET", "/campaigns?bogus=1", NULL);
	cr_assert_eq(g.status, 400);
	got_free(&g);
	after = scrape();

	static const struct {
		const char *series;
		double delta;
	} want[] = {
	    {"grpc_server_started_total" SERIES("GetJob", "nng"), 3},
	    {"grpc_server_started_total" SERIES("CreateJob", "nng"), 1},
	    {"grpc_server_started_total" SERIES("GetJob", "http"), 2},
	    {"grpc_server_started_total" SERIES("CreateJob", "http"), 1},
	    {"grpc_server_started_total" SERIES("ListJobs", "http"), 1},
	    {"grpc_server_started_total" SERIES("UpdateJob", "http"), 0},
	    {HANDLED("OK", "GetJob", "nng"), 1},
	    {HANDLED("NOT_FOUND", "GetJob", "nng"), 2},
	    {HANDLED("OK", "GetJob", "http"), 1},
	    {HANDLED("NOT_FOUND", "GetJob", "http"), 1},
	    {HANDLED("OK", "CreateJob", "http"), 1},
	    {"grpc_server_handling_seconds_count" SERIES("GetJob", "nng"), 3},
	    {"grpc_server_handling_seconds_count" SERIES("GetJob", "http"), 2},
	    {"jobsd_http_responses_total{code=\"404\"}", 2},
	    {"jobsd_http_responses_total{code=\"400\"}", 1},
	    {"jobsd_http_responses_total{code=\"201\"}", 1},
	    {"jobsd_group_commit_size_sum", 2},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_assert_eq(moved(before, after, want[i].series), want[i].delta,
		             "%s moved by %g, not %g", want[i].series,
		             moved(before, after, want[i].series), want[i].delta);
	cr_assert_eq(sample(after, "jobsd_jobs"), 2);
	cr_assert_eq(sample(after, "jobsd_calls_in_flight"), 0, "a scrape is not a call");
	cr_assert_gt(sample(after, "process_resident_memory_bytes"), 1e6);
	cr_assert_gt(sample(after, "process_open_fds"), 3);
	cr_assert_gt(sample(after, "process_cpu_seconds_total"), 0);
	double started = sample(after, "process_start_time_seconds");
	cr_assert(started > (double)time(NULL) - 600 && started <= (double)time(NULL) + 1,
	          "process_start_time_seconds %f is not the last few minutes", started);
	cr_assert_gt(sample(after, "jobsd_calls_in_flight_limit"), 0);
	cr_assert_eq(sample(after, "jobsd_store_up"), 1);
	cr_assert_gt(sample(after, "jobsd_database_size_bytes"), 0);
	cr_assert_geq(sample(after, "jobsd_dedup_entries"), 0, "no jobsd_dedup_entries");
	/* Each write's group was committed and timed. */
	double groups = moved(before, after, "jobsd_group_commit_size_count");
	cr_assert(groups >= 1 && groups <= 2, "%g groups for 2 creates", groups);
	cr_assert_eq(moved(before, after, "jobsd_group_commit_seconds_count"), groups);
	if (test_store_is_pg()) {
		/* PostgreSQL's log is the server's own. */
		cr_assert_eq(sample(after, "jobsd_wal_size_bytes"), -1);
	} else {
		cr_assert_geq(sample(after, "jobsd_wal_size_bytes"), 0, "no jobsd_wal_size_bytes");
		cr_assert_geq(moved(before, after, "jobsd_wal_sync_seconds_count"), 1);
	}
	char build_info[128];
	snprintf(build_info, sizeof build_info,
	         "jobsd_build_info{schema=\"%d\",version=\"" JOBS_VERSION "\"} 1\n",
	         test_store_is_pg() ? STORE_PG_SCHEMA_VERSION : STORE_SCHEMA_VERSION);
	cr_assert(strstr(after, build_info), "%s", after);
	assert_histograms(after);

	r = run_cmd(promtool, after, NULL);
	cr_assert_eq(r.status, 0, "promtool check metrics: %s%s", r.out, r.err);
	run_free(&r);
	free(before);
	free(after);
}

Test(http, a_token_file_guards_http_too, .fini = stop_http)
{
	char token[300];
	const char *extra[] = {"--token-file", token, NULL};
	const char *dir = tmpdir_make();
	char saved[256];
	FILE *f;
	struct got g;

	snprintf(saved, sizeof saved, "%s", dir);
	snprintf(token, sizeof token, "%s/token", saved);
	f = fopen(token, "w");
	fputs("s3cret\n", f);
	fclose(f);
	chmod(token, 0600);
	start_http("http://127.0.0.1:0", extra);

	g = curl("GET", "/campaigns", NULL);
	cr_assert_eq(g.status, 401);
	cr_assert(strstr(g.headers, "WWW-Authenticate: Bearer") != NULL, "%s", g.headers);
	cr_assert(strstr(json_string_value(json_object_get(g.doc, "error")), "token") != NULL);
	got_free(&g);
	g = curl("POST", "/campaigns", "{\"job_name\": \"x\"}", "-H", "Authorization: Bearer nope");
	cr_assert_eq(g.status, 401);
	got_free(&g);
	g = curl("GET", "/metrics", NULL);
	cr_assert_eq(g.status, 401);
	got_free(&g);
	g = curl("POST", "/campaigns", "{\"job_name\": \"x\"}", "-H",
	         "Authorization: Bearer s3cret");
	cr_assert_eq(g.status, 201, "%s", g.body);
	got_free(&g);
	g = curl("GET", "/metrics", NULL, "-H", "Authorization: bearer s3cret");
	cr_assert_eq(g.status, 200);
	got_free(&g);
	g = curl("GET", "/healthz", NULL);
	cr_assert_eq(g.status, 200, "probes need no token");
	got_free(&g);
	g = curl("GET", "/readyz", NULL);
	cr_assert_eq(g.status, 200);
	got_free(&g);
	tmpdir_remove(saved);
}

Test(http, https_with_the_same_certificate_flags, .fini = stop_http)
{
	char certs[300], cert[400], key[400], ca[400], ccert[400], ckey[400];
	const char *dir = tmpdir_make();
	struct got g;
	struct run r;

	snprintf(certs, sizeof certs, "%s", dir);
	const char *mk[] = {"/bin/bash", TESTS_DIR "/make_certs.sh", certs, NULL};
	r = run_cmd(mk, NULL, NULL);
	cr_assert_eq(r.status, 0, "make_certs.sh: %s", r.err);
	run_free(&r);
	snprintf(cert, sizeof cert, "%s/server.pem", certs);
	snprintf(key, sizeof key, "%s/server.key", certs);
	snprintf(ca, sizeof ca, "%s/ca.pem", certs);
	snprintf(ccert, sizeof ccert, "%s/client.pem", certs);
	snprintf(ckey, sizeof ckey, "%s/client.key", certs);

	const char *extra[] = {"--tls-cert", cert, "--tls-key", key, NULL};
	start_http("https://127.0.0.1:0", extra);
	cr_assert(strncmp(base, "https://", 8) == 0, "%s", base);
	g = curl("GET", "/healthz", NULL, "--cacert", ca);
	cr_assert_eq(g.status, 200, "curl exit %d", g.exit);
	got_free(&g);
	g = curl("POST", "/campaigns", "{\"job_name\": \"secret\"}", "--cacert", ca);
	cr_assert_eq(g.status, 201, "%s", g.body);
	got_free(&g);
	g = curl("GET", "/healthz", NULL);
	cr_assert_eq(g.exit, 60, "an unknown certificate: curl exit %d", g.exit);
	got_free(&g);
	{
		char plain[sizeof base];

		snprintf(plain, sizeof plain, "http://%.*s", (int)sizeof plain - 8, base + 8);
		snprintf(base, sizeof base, "%s", plain);
		g = curl("GET", "/healthz", NULL);
		cr_assert_neq(g.status, 200, "plain HTTP to the TLS port");
		got_free(&g);
	}
	stop_http();

	/* With --tls-ca: only clients with a certificate of that CA. */
	const char *mutual[] = {"--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, NULL};
	start_http("https://127.0.0.1:0", mutual);
	g = curl("GET", "/healthz", NULL, "--cacert", ca);
	cr_assert_neq(g.status, 200, "no client certificate");
	got_free(&g);
	g = curl("GET", "/healthz", NULL, "--cacert", ca, "--cert", ccert, "--key", ckey);
	cr_assert_eq(g.status, 200, "curl exit %d", g.exit);
	got_free(&g);
	tmpdir_remove(certs);
}

Test(http, a_bad_http_url_or_certificate_stops_the_start)
{
	const char *dir = tmpdir_make();
	char saved[256], db[300];
	static const struct {
		const char *url, *words;
	} bad[] = {
	    {"tcp://127.0.0.1:0", "--http wants http://"},
	    {"http://127.0.0.1:0/api", "--http wants http://"},
	    {"https://127.0.0.1:0", "--tls-cert and --tls-key"},
	};

	snprintf(saved, sizeof saved, "%s", dir);
	snprintf(db, sizeof db, "%s/jobs.db", saved);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = {JOBSD_PATH,          "--db",   db,         "--listen",
		                      "ipc:///dev/null/x", "--http", bad[i].url, NULL};
		char sock[300];
		struct run r;

		snprintf(sock, sizeof sock, "ipc://%s/s", saved);
		argv[4] = sock;
		r = run_cmd(argv, NULL, NULL);
		cr_assert_eq(r.status, 1, "%s: %s", bad[i].url, r.err);
		cr_assert(strstr(r.err, bad[i].words) != NULL, "%s", r.err);
		run_free(&r);
	}
	tmpdir_remove(saved);
}

Test(http, sigterm_with_http_clients_connected_exits_0, .timeout = 60)
{
	static const char hold[] =
	    "import socket, sys, time\n"
	    "host, port = sys.argv[1].split('//')[1].rsplit(':', 1)\n"
	    "held = []\n"
	    "for data in [b'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n',\n"
	    "             b'GET /campaigns HTTP/1.1\\r\\nHo',\n"
	    "             b'POST /campaigns HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: "
	    "50\\r\\n\\r\\n{']:\n"
	    "    s = socket.create_connection((host, int(port)))\n"
	    "    s.sendall(data)\n"
	    "    held.append(s)\n"
	    "held[0].recv(1000)\n"
	    "print('held', flush=True)\n"
	    "time.sleep(60)\n";
	char line[64] = "";
	int out[2];
	pid_t pid;
	FILE *f;

	start_http("http://127.0.0.1:0", NULL);
	/* An idle keep-alive connection (answered once), a head half sent, a
	 * body half sent: held open while jobsd stops. */
	cr_assert_eq(pipe(out), 0);
	if ((pid = fork()) == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		execl("/usr/bin/env", "env", "python3", "-c", hold, base, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	cr_assert(fgets(line, sizeof line, f) != NULL && strcmp(line, "held\n") == 0,
	          "the client did not connect: %s", line);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0, "exit 0 with HTTP connections open");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(f);
	char *log = read_file(d.log, NULL);
	cr_assert(strstr(log, "stopped cleanly") != NULL, "%s", log);
	free(log);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}
