/*
 * test_find.c: finding jobs. ListJobs filters, orders, views and pages,
 * SearchJobs (the query language, hostile text, ranking, snippets, pages
 * across candidate blocks) and GetStats, through the in-process request
 * path (bytes -> call_decode -> lanes_serve_sync -> response) as
 * test_handlers.c does; and the store's side: what a listing reads (the
 * full-scan and sort counters), the counters the writes keep, and the
 * migration of a version 1 database that holds jobs.
 */
#include "cjk.h"
#include "clock.h"
#include "dispatch.h"
#include "handlers.h"
#include "helpers.h"
#include "lanes.h"
#include "status.h"
#include "store.h"
#include "store_pg.h"
#include "store_sqlite.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static char path[512];
static store *db;
static arena ar, bulk;
static struct server_info info = {.version = "test", .max_message_bytes = 1 << 20};
static call cl;

/* A new database of the store under test (SQLite's, for find_sqlite). */
static void
open_new(bool sqlite)
{
	store_options o = {.sync = STORE_SYNC_OFF};
	char err[256];

	dir = tmpdir_make();
	if (sqlite)
		snprintf(path, sizeof path, "%s/jobs.db", dir);
	else
		test_db_make(dir, path, sizeof path);
	cr_assert_eq(dispatch_init(err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_open(&db, path, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(arena_init(&ar, 4096, 64 << 20), 0);
	cr_assert_eq(arena_init(&bulk, 4096, 0), 0);
}

static void
setup(void)
{
	open_new(false);
}

static void
setup_sqlite(void)
{
	open_new(true);
}

static void
teardown(void)
{
	store_close(db);
	arena_fini(&ar);
	arena_fini(&bulk);
	test_db_drop(path);
	tmpdir_remove(dir);
}

/* `find` runs on the store under test (CTest runs this binary on each);
 * `find_sqlite` holds what SQLite alone can show (its scan and sort
 * counters, its migrations). */
TestSuite(find, .init = setup, .fini = teardown);
TestSuite(find_sqlite, .init = setup_sqlite, .fini = teardown);

#define assert_code(resp, want)                                                                    \
	cr_assert_eq((resp)->code, ST(want), "code %s, message: %s", status_name((resp)->code),    \
	             (resp)->message)

/* Serves a Request built by the test; the response lives in `cl` until the
 * next call. */
static Jobs__V1__Response *
serve(Jobs__V1__Request *req)
{
	static uint8_t buf[1 << 16];
	size_t n = jobs__v1__request__get_packed_size(req);

	cr_assert_leq(n, sizeof buf);
	jobs__v1__request__pack(req, buf);
	arena_reset(&ar);
	if (call_decode(&cl, &ar, &info, buf, n, clock_now_us()) != LANE_NONE)
		lanes_serve_sync(db, &cl);
	return &cl.resp;
}

/* A job to add: the fields the finding calls look at. */
struct spec {
	const char *id, *name, *product, *persona, *language, *brand, *hook;
	bool disabled;
	int64_t created, updated;
};

static void
add(const struct spec *s)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *mask[] = {"id",         "job_name", "product", "persona",    "language",
	                "brand_name", "hook",     "enabled", "created_at", "updated_at"};

	j.id = (char *)s->id;
	j.job_name = (char *)(s->name ? s->name : "");
	j.product = (char *)(s->product ? s->product : "");
	j.persona = (char *)(s->persona ? s->persona : "");
	j.language = (char *)(s->language ? s->language : "English");
	j.brand_name = (char *)(s->brand ? s->brand : "");
	j.hook = (char *)(s->hook ? s->hook : "");
	j.enabled = !s->disabled;
	j.created_at = s->created ? s->created : 1000;
	j.updated_at = s->updated ? s->updated : j.created_at;
	j.enhanced_settings = "{\"voice\":{\"stability\":0.5}}";
	in.job = &j;
	in.field_mask = mask;
	in.n_field_mask = sizeof mask / sizeof mask[0];
	req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	req.create_job = &in;
	assert_code(serve(&req), OK);
}

static Jobs__V1__Response *
del(const char *id)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__DeleteJobRequest in = JOBS__V1__DELETE_JOB_REQUEST__INIT;

	in.id = (char *)id;
	req.call_case = JOBS__V1__REQUEST__CALL_DELETE_JOB;
	req.delete_job = &in;
	return serve(&req);
}

static Jobs__V1__Response *
update(const char *id, const char *field, const char *text, bool enabled)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__UpdateJobRequest in = JOBS__V1__UPDATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *mask[] = {(char *)field};
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(&jobs__v1__job__descriptor, field);

	j.id = (char *)id;
	if (f->type == PROTOBUF_C_TYPE_STRING)
		*(const char **)((char *)&j + f->offset) = text;
	else
		j.enabled = enabled;
	in.job = &j;
	in.update_mask = mask;
	in.n_update_mask = 1;
	req.call_case = JOBS__V1__REQUEST__CALL_UPDATE_JOB;
	req.update_job = &in;
	return serve(&req);
}

static Jobs__V1__Response *
list(Jobs__V1__ListJobsRequest *in)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;

	req.call_case = JOBS__V1__REQUEST__CALL_LIST_JOBS;
	req.list_jobs = in;
	return serve(&req);
}

static Jobs__V1__Response *
search(Jobs__V1__SearchJobsRequest *in)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;

	req.call_case = JOBS__V1__REQUEST__CALL_SEARCH_JOBS;
	req.search_jobs = in;
	return serve(&req);
}

static Jobs__V1__Response *
search_text(const char *text)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;

	in.query = (char *)text;
	return search(&in);
}

static Jobs__V1__Response *
stats(Jobs__V1__GetStatsRequest *in)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;

	req.call_case = JOBS__V1__REQUEST__CALL_GET_STATS;
	req.get_stats = in;
	return serve(&req);
}

/* The ids of a list or search response, "a,b,c" (static storage). */
static const char *
ids(const Jobs__V1__Response *r)
{
	static char out[4096];
	size_t n = 0;

	out[0] = '\0';
	if (r->result_case == JOBS__V1__RESPONSE__RESULT_LIST_JOBS)
		for (size_t i = 0; i < r->list_jobs->n_jobs; i++)
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? "," : "",
			                      r->list_jobs->jobs[i]->id);
	else if (r->result_case == JOBS__V1__RESPONSE__RESULT_SEARCH_JOBS)
		for (size_t i = 0; i < r->search_jobs->n_results; i++)
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? "," : "",
			                      r->search_jobs->results[i]->job->id);
	return out;
}

/* Every page of listing `in` (page_size as set), ids joined by ','. */
static char *
list_all(Jobs__V1__ListJobsRequest *in)
{
	static char all[8192];
	char token[512] = "";

	all[0] = '\0';
	do {
		in->page_token = token;
		Jobs__V1__Response *r = list(in);
		assert_code(r, OK);
		if (*all != '\0' && r->list_jobs->n_jobs > 0)
			strcat(all, ",");
		strcat(all, ids(r));
		snprintf(token, sizeof token, "%s", r->list_jobs->next_page_token);
	} while (*token != '\0');
	in->page_token = "";
	return all;
}

/* ---- ListJobs: filters, orders, views ------------------------------------ */

/* Eight jobs with distinct values; created t=100..800, updated in reverse. */
static void
add_catalogue(void)
{
	static const struct spec jobs[] = {
	    {"j1", "Bravo", "Lamp", "parent", "English", "Acme", "", false, 100, 800},
	    {"j2", "alpha", "Lamp", "student", "Deutsch", "Acme", "", true, 200, 700},
	    {"j3", "Charlie", "Kettle", "parent", "English", "Globex", "", false, 300, 600},
	    {"j4", "Delta", "Lamp", "parent", "English", "", "", false, 400, 500},
	    {"j5", "Echo", "Tent", "hiker", "Français", "Globex", "", true, 500, 400},
	    {"j6", "Alpha", "Kettle", "student", "English", "Acme", "", false, 600, 300},
	    {"j7", "Foxtrot", "Lamp", "hiker", "Deutsch", "Initech", "", false, 700, 200},
	    {"j8", "Golf", "Tent", "parent", "English", "Acme", "", false, 800, 100},
	};
	for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
		add(&jobs[i]);
}

Test(find, list_each_filter_and_combinations)
{
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;

	add_catalogue();
	in.filter = &f;
	cr_assert_str_eq(list_all(&in), "j8,j7,j6,j5,j4,j3,j2,j1", "no filter: newest first");
	f.enabled = JOBS__V1__ENABLED_FILTER__DISABLED_ONLY;
	cr_assert_str_eq(list_all(&in), "j5,j2");
	f.enabled = JOBS__V1__ENABLED_FILTER__ENABLED_ONLY;
	cr_assert_str_eq(list_all(&in), "j8,j7,j6,j4,j3,j1");
	f.enabled = 0;
	f.product = "Lamp";
	cr_assert_str_eq(list_all(&in), "j7,j4,j2,j1");
	f.product = "lamp";
	cr_assert_str_eq(list_all(&in), "", "exact: case matters");
	f.product = "";
	f.persona = "parent";
	cr_assert_str_eq(list_all(&in), "j8,j4,j3,j1");
	f.persona = "";
	f.language = "Deutsch";
	cr_assert_str_eq(list_all(&in), "j7,j2");
	f.language = "";
	f.brand_name = "Acme";
	cr_assert_str_eq(list_all(&in), "j8,j6,j2,j1");
	f.brand_name = "";
	f.created_after = 300;
	f.created_before = 600;
	cr_assert_str_eq(list_all(&in), "j5,j4,j3", "created_at in [300, 600)");
	f.created_after = f.created_before = 0;
	f.updated_after = 400;
	cr_assert_str_eq(list_all(&in), "j5,j4,j3,j2,j1", "updated_at >= 400");
	f.updated_after = 0;
	f.updated_before = 300;
	cr_assert_str_eq(list_all(&in), "j8,j7", "updated_at < 300");
	f.updated_before = 0;

	/* Combined: all must hold. */
	f.product = "Lamp";
	f.enabled = JOBS__V1__ENABLED_FILTER__ENABLED_ONLY;
	cr_assert_str_eq(list_all(&in), "j7,j4,j1");
	f.persona = "parent";
	f.brand_name = "Acme";
	cr_assert_str_eq(list_all(&in), "j1");
	f.language = "Deutsch";
	cr_assert_str_eq(list_all(&in), "");
	f.language = "";
	f.created_after = 50;
	f.created_before = 150;
	f.updated_after = 800;
	f.updated_before = 801;
	cr_assert_str_eq(list_all(&in), "j1");
}

Test(find, list_orders_directions_and_id_tiebreak)
{
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;

	add_catalogue();
	/* Ties: same created_at, same name, same updated_at. */
	add(&(struct spec){"k1", "Delta", "Lamp", .created = 400, .updated = 500});
	add(&(struct spec){"k0", "Delta", "Lamp", .created = 400, .updated = 500});

	for (int size = 1; size <= 11; size += 3) {
		in.page_size = size;
		in.order_by = JOBS__V1__JOB_ORDER__ORDER_CREATED_AT;
		in.direction = 0;
		cr_assert_str_eq(list_all(&in), "j8,j7,j6,j5,k1,k0,j4,j3,j2,j1", "size %d", size);
		in.direction = JOBS__V1__SORT_DIRECTION__ASCENDING;
		cr_assert_str_eq(list_all(&in), "j1,j2,j3,j4,k0,k1,j5,j6,j7,j8", "size %d", size);
		in.order_by = JOBS__V1__JOB_ORDER__ORDER_UPDATED_AT;
		in.direction = 0;
		cr_assert_str_eq(list_all(&in), "j1,j2,j3,k1,k0,j4,j5,j6,j7,j8", "size %d", size);
		in.direction = JOBS__V1__SORT_DIRECTION__ASCENDING;
		cr_assert_str_eq(list_all(&in), "j8,j7,j6,j5,j4,k0,k1,j3,j2,j1", "size %d", size);
		in.order_by = JOBS__V1__JOB_ORDER__ORDER_JOB_NAME;
		in.direction = 0; /* A to Z by bytes: upper case first */
		cr_assert_str_eq(list_all(&in), "j6,j1,j3,j4,k0,k1,j5,j7,j8,j2", "size %d", size);
		in.direction = JOBS__V1__SORT_DIRECTION__DESCENDING;
		cr_assert_str_eq(list_all(&in), "j2,j8,j7,j5,k1,k0,j4,j3,j1,j6", "size %d", size);
	}
}

Test(find, list_summary_view_leaves_heavy_fields_out)
{
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	Jobs__V1__Job *j;

	add(&(struct spec){"s1", "Name", "Lamp", "parent", "Deutsch", "Acme", "A long hook",
	                   .created = 5});
	in.view = JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY;
	assert_code(list(&in), OK);
	j = cl.resp.list_jobs->jobs[0];
	cr_assert_str_eq(j->id, "s1");
	cr_assert_str_eq(j->job_name, "Name");
	cr_assert_str_eq(j->product, "Lamp");
	cr_assert(j->enabled);
	cr_assert_eq(j->created_at, 5);
	cr_assert_str_eq(j->hook, "");
	cr_assert_str_eq(j->enhanced_settings, "");
	cr_assert_str_eq(j->persona, "");
	cr_assert_str_eq(j->etag, "");
	cr_assert_eq(j->updated_at, 0);
	cr_assert_lt(jobs__v1__response__get_packed_size(&cl.resp), 60, "small: %zu bytes",
	             jobs__v1__response__get_packed_size(&cl.resp));
}

Test(find, list_pages_survive_writes_between_them_in_every_order)
{
	for (int order = 0; order < 3; order++) {
		Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
		Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
		char id[32], name[32], product[8], token[512], seen_ids[4096] = ",";
		int seen = 0;

		snprintf(product, sizeof product, "P%d", order);
		for (int i = 0; i < 10; i++) {
			snprintf(id, sizeof id, "o%d-%02d", order, i);
			snprintf(name, sizeof name, "N%02d", i);
			add(&(struct spec){id, name, product, .created = 10 + i,
			                   .updated = 100 + i});
		}
		f.product = product;
		in.filter = &f;
		in.order_by = order;
		in.page_size = 4;
		assert_code(list(&in), OK);
		cr_assert_eq(cl.resp.list_jobs->n_jobs, 4);
		strcat(seen_ids, ids(&cl.resp));
		strcat(seen_ids, ",");
		snprintf(token, sizeof token, "%s", cl.resp.list_jobs->next_page_token);
		/* Times and names 0..9: the default direction puts 9..6 first
		 * for the times and 0..3 for names. Between pages: one job before
		 * the position (never to be seen), one after (to be seen), and a
		 * job not yet seen goes away. */
		bool ascending = order == JOBS__V1__JOB_ORDER__ORDER_JOB_NAME;
		snprintf(id, sizeof id, "o%d-before", order);
		add(&(struct spec){id, ascending ? "N00a" : "N99", product, .created = 99,
		                   .updated = 199});
		snprintf(id, sizeof id, "o%d-after", order);
		add(&(struct spec){id, ascending ? "N08a" : "N02a", product,
		                   .created = ascending ? 99 : 12,
		                   .updated = ascending ? 199 : 102});
		snprintf(id, sizeof id, "o%d-%02d", order, ascending ? 7 : 2);
		assert_code(del(id), OK);
		while (*token != '\0') {
			in.page_token = token;
			assert_code(list(&in), OK);
			for (size_t i = 0; i < cl.resp.list_jobs->n_jobs; i++) {
				snprintf(id, sizeof id, ",%s,", cl.resp.list_jobs->jobs[i]->id);
				cr_assert_null(strstr(seen_ids, id), "order %d: %s twice", order,
				               id);
				strcat(seen_ids, id + 1);
				seen++;
			}
			snprintf(token, sizeof token, "%s", cl.resp.list_jobs->next_page_token);
		}
		snprintf(id, sizeof id, ",o%d-before,", order);
		cr_assert_null(strstr(seen_ids, id), "order %d: %s", order, seen_ids);
		snprintf(id, sizeof id, ",o%d-after,", order);
		cr_assert_not_null(strstr(seen_ids, id), "order %d: %s", order, seen_ids);
		cr_assert_eq(seen, 6, "order %d: 10 - 4 seen - 1 deleted + 1 after: %s", order,
		             seen_ids);
	}
}

Test(find, a_token_is_tied_to_its_filter_order_and_view)
{
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
	char token[512];

	add_catalogue();
	in.page_size = 2;
	assert_code(list(&in), OK);
	snprintf(token, sizeof token, "%s", cl.resp.list_jobs->next_page_token);
	in.page_token = token;
	in.page_size = 3;
	assert_code(list(&in), OK); /* another page size is fine */
	in.order_by = JOBS__V1__JOB_ORDER__ORDER_JOB_NAME;
	Jobs__V1__Response *r = list(&in);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "other filters, order or query") != NULL, "%s", r->message);
	in.order_by = 0;
	in.direction = JOBS__V1__SORT_DIRECTION__ASCENDING;
	assert_code(list(&in), INVALID_ARGUMENT);
	in.direction = 0;
	in.view = JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY;
	assert_code(list(&in), INVALID_ARGUMENT);
	in.view = 0;
	f.product = "Lamp";
	in.filter = &f;
	assert_code(list(&in), INVALID_ARGUMENT);

	/* A search token is no listing token, and the other way round. */
	Jobs__V1__SearchJobsRequest s = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	s.query = "x";
	s.page_token = token;
	assert_code(search(&s), INVALID_ARGUMENT);
}

Test(find, list_refuses_bad_enums_and_ranges)
{
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
	static char long_product[1100];

	in.order_by = 7;
	assert_code(list(&in), INVALID_ARGUMENT);
	in.order_by = 0;
	in.direction = 9;
	assert_code(list(&in), INVALID_ARGUMENT);
	in.direction = 0;
	in.view = 3;
	assert_code(list(&in), INVALID_ARGUMENT);
	in.view = 0;
	in.filter = &f;
	f.enabled = 5;
	assert_code(list(&in), INVALID_ARGUMENT);
	f.enabled = 0;
	f.created_after = 10;
	f.created_before = 10;
	Jobs__V1__Response *r = list(&in);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "created_after must be before") != NULL, "%s", r->message);
	f.created_after = f.created_before = 0;
	f.updated_before = 300000000000000000LL;
	assert_code(list(&in), INVALID_ARGUMENT);
	f.updated_before = 0;
	memset(long_product, 'p', sizeof long_product - 1);
	f.product = long_product;
	assert_code(list(&in), INVALID_ARGUMENT);
}

/* ---- SearchJobs ------------------------------------------------------------- */

static void
add_searchable(void)
{
	add(&(struct spec){"hook-match", "Evening promo", "Torch",
	                   .hook = "A lantern for the night", .created = 300});
	add(&(struct spec){"name-match", "Solar Lantern Sale", "Solar Lantern", .brand = "Acme",
	                   .hook = "Tired of dark evenings?", .created = 100});
	add(&(struct spec){"accent", "Été à la plage", "Parasol", .language = "Français",
	                   .hook = "Crème solaire incluse", .created = 200});
	add(&(struct spec){"hostile", "Rock and roll", "Guitar",
	                   .hook = "'; DROP TABLE jobs; -- (not really) NEAR the ^top: OR bottom*",
	                   .disabled = true, .created = 400});
}

Test(find, search_ranks_a_name_match_above_a_hook_match)
{
	add_searchable();
	Jobs__V1__Response *r = search_text("lantern");
	assert_code(r, OK);
	cr_assert_str_eq(ids(r), "name-match,hook-match");
	cr_assert_gt(r->search_jobs->results[0]->score, r->search_jobs->results[1]->score);
	cr_assert_gt(r->search_jobs->results[1]->score, 0);
}

Test(find, search_language_words_phrases_prefixes_case_and_accents)
{
	static const struct {
		const char *query, *want;
	} cases[] = {
	    {"solar lantern", "name-match"},      /* both words */
	    {"lantern solar", "name-match"},      /* in any order */
	    {"\"solar lantern\"", "name-match"},  /* a phrase */
	    {"\"lantern solar\"", ""},            /* in this order only */
	    {"lant*", "name-match,hook-match"},   /* a prefix */
	    {"\"solar lant\"*", "name-match"},    /* a phrase's last word as prefix */
	    {"LANTERN", "name-match,hook-match"}, /* any case */
	    {"ete", "accent"},                    /* accents folded */
	    {"ÉTÉ PLAGE", "accent"},              /* both */
	    {"creme", "accent"},                  /* in the hook */
	    {"acme", "name-match"},               /* the brand */
	    {"parasol", "accent"},                /* the product */
	    {"lantern torch", "hook-match"},      /* across fields */
	    {"lantern nowhere", ""},              /* all words must match */
	    {"\"sale solar\"", ""},               /* a phrase is within one field */
	};

	add_searchable();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Jobs__V1__Response *r = search_text(cases[i].query);
		assert_code(r, OK);
		cr_assert_str_eq(ids(r), cases[i].want, "%s", cases[i].query);
	}
	/* One letter is no prefix: refused, saying why, rather than nothing found. */
	Jobs__V1__Response *r = search_text("l*");
	assert_code(r, INVALID_ARGUMENT);
	cr_assert_not_null(strstr(r->message, "at least 2 letters"), "%s", r->message);
}

Test(find, any_text_a_person_types_is_searched_as_text)
{
	/* Each is FTS5 or SQL syntax somewhere. OK with these ids, or
	 * INVALID_ARGUMENT (want == NULL) when there is no word at all. */
	static const struct {
		const char *query, *want;
	} cases[] = {
	    {"\"", NULL},
	    {"\"\"", NULL},
	    {"(", NULL},
	    {")", NULL},
	    {"*", NULL},
	    {"***", NULL},
	    {"^", NULL},
	    {":", NULL},
	    {"-", NULL},
	    {"+", NULL},
	    {"( ) ^ : * \" -", NULL},
	    {"and", "hostile"},
	    {"AND", "hostile"},
	    {"OR", "hostile"},
	    {"NOT", "hostile"},
	    {"NEAR", "hostile"},
	    {"NEAR(rock roll)", ""}, /* "NEAR(rock" is one word: the phrase "near rock" */
	    {"rock AND roll", "hostile"},
	    {"rock OR nothing", ""},
	    {"rock NOT roll", "hostile"},
	    {"'; DROP TABLE jobs; --", "hostile"},
	    {"\"; DROP TABLE jobs; --", "hostile"},
	    {"job_name:rock", ""},
	    {"{job_name}: rock", ""}, /* the phrase "job name" */
	    {"^top", "hostile"},
	    {"bottom*", "hostile"},
	    {"*bottom", "hostile"},
	    {"\"unbalanced rock", ""},
	    {"rock\"", "hostile"},
	    {"ro\"ck", ""},
	    {"(rock)", "hostile"},
	    {"rock -roll", "hostile"},
	    {"rock + roll", "hostile"},
	    {"NEAR/2", ""},
	    {"%", NULL},
	    {"_", NULL},
	    {"\\", NULL},
	    {"☀", ""},
	    {"rock\trock\nrock", "hostile"},
	    {"a b c d e f g h i j k l m n o p q", NULL}, /* 17 words: too many */
	};

	add_searchable();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Jobs__V1__Response *r = search_text(cases[i].query);
		if (cases[i].want == NULL) {
			assert_code(r, INVALID_ARGUMENT);
			cr_assert_neq(*r->message, '\0');
			continue;
		}
		cr_assert_eq(r->code, ST(OK), "'%s': %s %s", cases[i].query, status_name(r->code),
		             r->message);
		cr_assert_str_eq(ids(r), cases[i].want, "'%s'", cases[i].query);
	}
	/* And nothing was harmed. */
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	assert_code(list(&in), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 4);
	Jobs__V1__SearchJobsRequest s = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	static char long_query[600];
	memset(long_query, 'x', sizeof long_query - 1);
	s.query = long_query;
	assert_code(search(&s), INVALID_ARGUMENT);
}

Test(find, substring_search)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	Jobs__V1__Response *r;

	add_searchable();
	in.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	in.query = "ntern";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "name-match", "hooks are found by words, not substrings");
	cr_assert_eq(cl.resp.search_jobs->results[0]->score, 0);
	in.query = "NTERN";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "name-match", "any case");
	in.query = "ro";
	assert_code(search(&in), INVALID_ARGUMENT);
	in.query = "ck and r";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "hostile", "inside a name, spaces and all");
	in.query = "ar";
	assert_code(search(&in), INVALID_ARGUMENT);
	in.query = "sol";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "accent,name-match",
	                 "newest first: product Parasol, then Solar");
	in.query = "lar Lan";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "name-match", "spaces are part of it");
	in.query = "'; DROP";
	assert_code(search(&in), OK); /* searched as text, safely; it is in a hook only */
	cr_assert_str_eq(ids(&cl.resp), "");
	in.query = "\"\"\"";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "");
	in.query = "Été";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "accent");
	in.query = "ab";
	r = search(&in);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "at least 3 characters") != NULL, "%s", r->message);
	in.query = "  é  ";
	assert_code(search(&in), INVALID_ARGUMENT);
	in.mode = 9;
	assert_code(search(&in), INVALID_ARGUMENT);
}

Test(find, snippets_highlight_the_match)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;

	add_searchable();
	in.query = "lantern";
	assert_code(search(&in), OK);
	cr_assert_str_eq(cl.resp.search_jobs->results[0]->snippet, "", "only when asked");
	in.snippets = true;
	assert_code(search(&in), OK);
	cr_assert(strstr(cl.resp.search_jobs->results[0]->snippet, "Solar [Lantern]") != NULL, "%s",
	          cl.resp.search_jobs->results[0]->snippet);
	cr_assert_str_eq(cl.resp.search_jobs->results[1]->snippet, "A [lantern] for the night");
	in.query = "crème";
	assert_code(search(&in), OK);
	cr_assert_str_eq(cl.resp.search_jobs->results[0]->snippet, "[Crème] solaire incluse");
	in.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	in.query = "arasol";
	assert_code(search(&in), OK);
	cr_assert(strstr(cl.resp.search_jobs->results[0]->snippet, "[") != NULL, "%s",
	          cl.resp.search_jobs->results[0]->snippet);
}

/* ---- Chinese, Japanese and Korean text (cjk.c) ------------------------------ */

/* Jobs in CJK scripts, each created later than the one before. */
static void
add_cjk(void)
{
	add(&(struct spec){"zh", "夏季促销", "太阳能灯笼", .persona = "上班族", .brand = "光明",
	                   .hook = "夜晚也明亮。", .created = 100});
	add(&(struct spec){"ja", "ソーラーランタン夏のセール", "ランタン",
	                   .persona = "キャンプ好き", .hook = "夏の夜を明るく照らす",
	                   .created = 200});
	add(&(struct spec){"ko", "서울에서 만나요", "태양광 랜턴", .hook = "여름 밤을 밝게",
	                   .created = 300});
	add(&(struct spec){"mix", "LED灯笼 Solar ランタン", "Solar Lantern",
	                   .hook = "Tired of dark evenings?", .created = 400});
	add(&(struct spec){"latin", "Summer Sale", "Lantern", .hook = "季节限定 in the hook only",
	                   .created = 500});
	add(&(struct spec){"one", "茶", "Tea", .created = 600});
	add(&(struct spec){"rare", "𠀋𠂉 Ext B", "Kanji", .created = 700});
}

/* The ids of a search response, sorted: the stores rank alike but not the
 * same (bm25, ts_rank), and which jobs match is what must agree. */
static const char *
found(const Jobs__V1__Response *r)
{
	static char out[4096];
	const char *id[64];
	size_t n = 0, k = 0;

	cr_assert_eq(r->code, ST(OK), "%s %s", status_name(r->code), r->message);
	for (size_t i = 0; i < r->search_jobs->n_results && n < 64; i++)
		id[n++] = r->search_jobs->results[i]->job->id;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(id[j - 1], id[j]) > 0; j--) {
			const char *t = id[j];
			id[j] = id[j - 1];
			id[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? "," : "", id[i]);
	return out;
}

Test(find, cjk_words_are_found_inside_runs)
{
	static const struct {
		const char *query, *want;
	} cases[] = {
	    /* Chinese: any word inside a run, in its order only. */
	    {"夏季", "zh"},
	    {"促销", "zh"},
	    {"季促", "zh"},
	    {"夏季促销", "zh"},
	    {"促销夏季", ""},
	    {"灯笼", "mix,zh"},
	    {"太阳能", "zh"},
	    {"上班族", "zh"},
	    {"光明", "zh"},
	    {"夜晚", "zh"},
	    /* One character is a word. */
	    {"夏", "ja,zh"},
	    {"灯", "mix,zh"},
	    {"茶", "one"},
	    {"夜", "ja,zh"},
	    /* Japanese: katakana (with ー), hiragana, kanji, mixed. */
	    {"ランタン", "ja,mix"},
	    {"ソーラー", "ja"},
	    {"ラン", "ja,mix"},
	    {"セール", "ja"},
	    {"照らす", "ja"},
	    {"明るく", "ja"},
	    {"\"夏の夜\"", "ja"},
	    {"キャンプ", "ja"},
	    /* Korean: inside a word with its particle. */
	    {"서울", "ko"},
	    {"서울에서", "ko"},
	    {"만나", "ko"},
	    {"밤", "ko"},
	    {"랜턴", "ko"},
	    /* Beyond the Basic Multilingual Plane (CJK Extension B). */
	    {"𠀋", "rare"},
	    {"𠀋𠂉", "rare"},
	    {"ext", "rare"},
	    /* Mixed with Latin: the run ends the word, a phrase crosses it. */
	    {"led", "mix"},
	    {"LED灯笼", "mix"},
	    {"led 灯笼", "mix"},
	    {"灯笼 solar", "mix"},
	    {"\"solar ランタン\"", "mix"},
	    {"\"ランタン solar\"", ""},
	    {"solar", "mix"},
	    {"季节", "latin"},
	    {"季节 hook", "latin"},
	    /* A * after CJK text adds nothing: it is found anywhere already. */
	    {"夏季*", "zh"},
	    {"夏*", "ja,zh"},
	    {"ラン*", "ja,mix"},
	    {"LED灯*", "mix"},
	    {"\"led 灯\"*", "mix"},
	    {"sol*", "mix"},
	    /* Whatever else is typed around it is text. */
	    {"夏季\"", "zh"},
	    {"(夏季)", "zh"},
	    {"夏季:*", "zh"},
	    {"^夏季", "zh"},
	    {"-促销", "zh"},
	    {"夏季 OR 促销", ""},
	    {"夏季 AND 促销", ""},
	    {"NEAR(夏季", ""},
	    {"夏季'; DROP TABLE jobs; --", ""},
	    {"夏季&促销", ""},     /* the phrase 夏季 促销: two runs */
	    {"\"夏季 促销\"", ""}, /* likewise */
	    {"夏季　促销", "zh"},  /* the ideographic space separates words */
	    {"　夏季　", "zh"},
	    {"夏季、促销", ""}, /* CJK punctuation is punctuation */
	    {"夏季促销x", ""},
	    {"。", ""},
	    {"ｶﾞ", ""},
	};

	add_cjk();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_str_eq(found(search_text(cases[i].query)), cases[i].want, "'%s'",
		                 cases[i].query);
	/* A name's match ranks above a product's, as for Latin words. */
	Jobs__V1__Response *r = search_text("灯笼");
	cr_assert_str_eq(ids(r), "mix,zh");
	cr_assert_gt(r->search_jobs->results[0]->score, r->search_jobs->results[1]->score);
	/* And with a filter. */
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
	in.query = "灯笼";
	in.filter = &f;
	f.product = "太阳能灯笼";
	cr_assert_str_eq(found(search(&in)), "zh");
}

/* A phrase runs through CJK runs and Latin words as they stand in the text:
 * runs typed apart are found apart, never joined, and the reverse. (On
 * PostgreSQL the phrase says how far apart each token is: this checks each
 * distance.) */
Test(find, cjk_phrases_across_runs_and_words)
{
	static const struct {
		const char *query, *want;
	} cases[] = {
	    {"\"冬季 特卖\"", "apart"}, /* run, run */
	    {"冬季&特卖", "apart"},     /* the same, typed with punctuation */
	    {"冬季特卖", "joined"},     /* one run */
	    {"\"冬季特卖\"", "joined"},
	    {"\"特卖 led\"", "apart,joined"}, /* run, word: a run ends where Latin starts */
	    {"\"led 猫\"", "apart"},          /* word, run of one */
	    {"\"猫 灯笼\"", "apart"},         /* run of one, run */
	    {"\"led 猫 灯笼\"", "apart"},
	    {"\"冬季 特卖 led 猫 灯笼\"", "apart"},
	    {"\"特卖 猫\"", ""},    /* led stands between */
	    {"\"猫 灯\"", "apart"}, /* a run's start */
	    {"\"猫 笼\"", ""},      /* not its start */
	    {"\"特卖led\"", "apart,joined"},
	    {"\"季 特卖 led\"", "apart"},
	    {"\"冬季 特\"", "apart"}, /* not joined: 冬季特 is one run there */
	    {"\"季特\"", "joined"},
	    {"\"季 特\"", "apart"},
	};

	add(&(struct spec){"apart", "冬季 特卖 LED 猫 灯笼", "P", .created = 100});
	add(&(struct spec){"joined", "冬季特卖LED", "P", .created = 200});
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_str_eq(found(search_text(cases[i].query)), cases[i].want, "'%s'",
		                 cases[i].query);
}

Test(find, cjk_words_follow_every_write)
{
	add_cjk();
	assert_code(update("zh", "job_name", "冬季促销", false), OK);
	cr_assert_str_eq(found(search_text("夏季")), "");
	cr_assert_str_eq(found(search_text("冬季")), "zh");
	cr_assert_str_eq(found(search_text("季促")), "zh");
	assert_code(update("ko", "hook", "겨울 밤", false), OK);
	cr_assert_str_eq(found(search_text("여름")), "");
	cr_assert_str_eq(found(search_text("겨울")), "ko");
	assert_code(del("ja"), OK);
	cr_assert_str_eq(found(search_text("ランタン")), "mix");
	cr_assert_str_eq(found(search_text("夏")), "");
}

Test(find, cjk_substrings_of_one_character_on)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	static const struct {
		const char *query, *want; /* want: newest first; NULL: refused */
	} cases[] = {
	    {"夏季", "zh"},
	    {"季", "zh"},
	    {"季促", "zh"},
	    {" 夏季　", "zh"},
	    {"ランタン", "mix,ja"},
	    {"灯笼", "mix,zh"},
	    {"서울", "ko"},
	    {"𠂉", "rare"},
	    {"夜", ""},   /* in hooks only: as for Latin text */
	    {"季节", ""}, /* likewise */
	    {"夏季促销太", ""},
	    {"LED灯", "mix"}, /* not CJK alone: 3 characters, the trigram index */
	    {"led灯笼", "mix"},
	    {"笼 S", "mix"},
	    {"能灯笼", "zh"},
	    {"a夏", NULL},
	    {"。", NULL},
	    {"夏。", NULL},
	};
	Jobs__V1__Response *r;

	add_cjk();
	in.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		in.query = (char *)cases[i].query;
		r = search(&in);
		if (cases[i].want == NULL) {
			assert_code(r, INVALID_ARGUMENT);
			cr_assert(strstr(r->message, "at least 3 characters (Chinese, Japanese or "
			                             "Korean ones: 1)") != NULL,
			          "%s", r->message);
			continue;
		}
		assert_code(r, OK);
		cr_assert_str_eq(ids(r), cases[i].want, "'%s'", cases[i].query);
	}
	/* Pages, newest first. */
	for (int i = 0; i < 5; i++)
		add(&(struct spec){arena_printf(&bulk, "p%d", i), "新品夏季", "P",
		                   .created = 1000 + i});
	in.query = "夏季";
	in.page_size = 2;
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "p4,p3");
	char token[512];
	snprintf(token, sizeof token, "%s", cl.resp.search_jobs->next_page_token);
	in.page_token = token;
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "p2,p1");
}

Test(find, cjk_snippets_highlight_the_match)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	static const struct {
		const char *query, *id, *want;
	} cases[] = {
	    {"夏季", "zh", "[夏季]促销"},     {"季", "zh", "夏[季]促销"},
	    {"ランタン", "ja", "[ランタン]"}, {"LED灯笼", "mix", "[LED灯笼]"},
	    {"서울", "ko", "[서울]"},         {"照らす", "ja", "[照らす]"},
	};

	add_cjk();
	in.snippets = true;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Jobs__V1__Response *r;
		const char *snippet = NULL;

		in.query = (char *)cases[i].query;
		r = search(&in);
		assert_code(r, OK);
		for (size_t k = 0; k < r->search_jobs->n_results; k++)
			if (strcmp(r->search_jobs->results[k]->job->id, cases[i].id) == 0)
				snippet = r->search_jobs->results[k]->snippet;
		cr_assert_not_null(snippet, "'%s'", cases[i].query);
		cr_assert_not_null(strstr(snippet, cases[i].want), "'%s': %s", cases[i].query,
		                   snippet);
	}
	in.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	in.query = "季促";
	assert_code(search(&in), OK);
	cr_assert_not_null(strstr(cl.resp.search_jobs->results[0]->snippet, "夏[季促]销"), "%s",
	                   cl.resp.search_jobs->results[0]->snippet);
}

/* ---- CJK on PostgreSQL: the schema's characters, and its migration ------- */

TestSuite(find_pg, .init = setup, .fini = teardown);

/* Runs sql on the database `conninfo`; its result in *out when out is not
 * NULL (the caller PQclear()s it). */
static void
pg_run(const char *conninfo, const char *sql, PGresult **out)
{
	PGresult *r = test_pg_exec(conninfo, sql);

	if (out != NULL)
		*out = r;
	else
		PQclear(r);
}

/* PostgreSQL cannot ask libc which characters are CJK: its schema spells the
 * set out (jobs_cjk()), and it must be libc's, code point for code point,
 * or the two stores would split text differently. */
Test(find_pg, the_schemas_cjk_characters_are_libcs)
{
	char mine[2048] = "", theirs[2048] = "";
	size_t n = 0, k = 0;
	PGresult *r;

	for (uint32_t cp = 0x80, lo = 0; cp <= 0x110000; cp++) {
		bool in = cp < 0x110000 && cjk_is(cp);
		if (in && lo == 0)
			lo = cp;
		if (!in && lo != 0) {
			n += (size_t)snprintf(mine + n, sizeof mine - n, "%X-%X ", lo, cp - 1);
			lo = 0;
		}
	}
	cr_assert_lt(n, sizeof mine - 1);
	pg_run(path,
	       "SELECT to_hex(min(cp)), to_hex(max(cp)) FROM (SELECT cp, cp - row_number() OVER "
	       "(ORDER BY cp) AS run FROM generate_series(128, 1114111) cp WHERE (cp < 55296 OR "
	       "cp > 57343) AND chr(cp) ~ jobs_cjk()) c GROUP BY run ORDER BY min(cp)",
	       &r);
	for (int i = 0; i < PQntuples(r); i++) {
		char *lo = PQgetvalue(r, i, 0), *hi = PQgetvalue(r, i, 1);
		for (char *c = lo; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		for (char *c = hi; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		k += (size_t)snprintf(theirs + k, sizeof theirs - k, "%s-%s ", lo, hi);
	}
	PQclear(r);
	cr_assert_str_eq(theirs, mine);
	cr_assert_not_null(strstr(mine, "4E00-"), "Han is CJK: %s", mine);
	cr_assert_not_null(strstr(mine, "3041-"), "hiragana is CJK: %s", mine);
	cr_assert_not_null(strstr(mine, "AC00-"), "hangul is CJK: %s", mine);
	cr_assert(!cjk_is(0xff21), "fullwidth Latin letters (Ａ) are Latin");
	cr_assert(!cjk_is(0x3001), "CJK punctuation (、) is punctuation");
}

/* A database of schema 1, whose words split no CJK text, holding CJK jobs
 * is migrated: its jobs are found by CJK words, phrases (whose distances
 * are the new layout's) and substrings, and kept so when written. */
Test(find_pg, a_version_1_database_with_cjk_jobs_is_migrated)
{
	static const char *const jobs[][3] = {
	    {"old-zh", "夏季促销", "夜晚也明亮"},
	    {"old-ja", "ソーラーランタン", "夏の夜"},
	    {"old-apart", "冬季 特卖", ""},
	    {"old-en", "Summer Sale", "Tired of the dark?"},
	};
	store_options o = {.sync = STORE_SYNC_OFF};
	char old[600], err[256], sql[1024];
	store *mine = db;
	PGresult *r;

	test_db_make_empty(dir, old, sizeof old);
	pg_run(old, store_pg_migrations[0], NULL);
	pg_run(old, "INSERT INTO jobsd_schema (version, jobsd) VALUES (1, 'test')", NULL);
	for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
		snprintf(
		    sql, sizeof sql,
		    "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, hook, "
		    "elevenlabs_voice_id, language, brand_name, enabled, created_at, "
		    "updated_at) VALUES ('%s', '%s', '', '', '', '', '%s', '', 'English', '', "
		    "true, now(), now())",
		    jobs[i][0], jobs[i][1], jobs[i][2]);
		pg_run(old, sql, NULL);
	}
	pg_run(old, "SELECT count(*) FROM jobs WHERE words @@ to_tsquery('jobs_words', '夏季')",
	       &r);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "0", "schema 1 holds 夏季促销 as one word");
	PQclear(r);

	cr_assert_eq(store_open(&db, old, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_schema_version(db), STORE_PG_SCHEMA_VERSION);
	cr_assert_str_eq(found(search_text("夏季")), "old-zh");
	cr_assert_str_eq(found(search_text("夜")), "old-ja,old-zh");
	cr_assert_str_eq(found(search_text("ランタン")), "old-ja");
	cr_assert_str_eq(found(search_text("\"冬季 特卖\"")), "old-apart");
	cr_assert_str_eq(found(search_text("\"季 特\"")), "old-apart");
	cr_assert_str_eq(found(search_text("dark")), "old-en");
	Jobs__V1__SearchJobsRequest sub = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	sub.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	sub.query = "促销";
	cr_assert_str_eq(found(search(&sub)), "old-zh");
	assert_code(update("old-ja", "job_name", "ソーラー灯笼", false), OK);
	cr_assert_str_eq(found(search_text("ランタン")), "");
	cr_assert_str_eq(found(search_text("灯笼")), "old-ja");
	store_close(db);
	db = mine;
	test_db_drop(old);
}

/* Version 4 computes `words` in a trigger and PL/pgSQL (see the schema): a
 * database of version 2 keeps its words through the migration, and version 4
 * computes, on insert and on update, the words version 2 did, position for
 * position, whatever a writer puts in `words`, and jobs_words() needs no
 * search_path (pg_restore's is empty). */
Test(find_pg, version_4_computes_the_words_version_2_did)
{
	static const char *const texts[] = {
	    "",
	    "Summer Sale",
	    "Ça change tout — vraiment. \"quotes\" and \\backslashes\\ \\o/",
	    "Освещение без проводов",
	    "夏季促销 Solar太阳能灯笼!",
	    "ソーラーランタン、夏の夜",
	    "한국어 텍스트 and ＡＢＣ１２３",
	    "emoji 🌞 and\ttabs\nand lines",
	    "x-y_z.w@v 夏",
	};
	const int n = (int)(sizeof texts / sizeof texts[0]);
	store_options o = {.sync = STORE_SYNC_OFF};
	char old[600], err[256], sql[2048];
	store *migrated;
	PGresult *r;

	test_db_make_empty(dir, old, sizeof old);
	pg_run(old, store_pg_migrations[0], NULL);
	pg_run(old, store_pg_migrations[1], NULL);
	pg_run(old, "INSERT INTO jobsd_schema (version, jobsd) VALUES (1, 'test'), (2, 'test')",
	       NULL);
	for (int i = 0; i < n; i++) {
		snprintf(
		    sql, sizeof sql,
		    "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, hook, "
		    "elevenlabs_voice_id, language, brand_name, enabled, created_at, "
		    "updated_at) VALUES ('job-%d', '%s', '%s', '%s', '', '', '%s %s', '', "
		    "'English', '%s', true, now(), now())",
		    i, texts[i], texts[(i + 1) % n], texts[(i + 2) % n], texts[(i + 3) % n],
		    texts[i], texts[(i + 4) % n]);
		pg_run(old, sql, NULL);
	}
	pg_run(old, "CREATE TABLE old_words AS SELECT id, words FROM jobs", NULL);

	cr_assert_eq(store_open(&migrated, old, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_schema_version(migrated), STORE_PG_SCHEMA_VERSION);
	store_close(migrated);
	pg_run(old,
	       "SELECT count(*) FROM jobs j JOIN old_words o USING (id) WHERE j.words = o.words "
	       "AND o.words @@ to_tsquery('jobs_words', '夏 <-> 夏季 & ラン')",
	       &r);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "4", "version 2 split the CJK runs");
	PQclear(r);
	pg_run(old,
	       "UPDATE jobs SET hook = hook, job_name = job_name; "
	       "UPDATE jobs SET words = NULL WHERE id = 'job-4'; "
	       "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, hook, "
	       "elevenlabs_voice_id, language, brand_name, enabled, created_at, updated_at) "
	       "SELECT 'new-' || id, job_name, product, persona, setting, emotion, hook, "
	       "elevenlabs_voice_id, language, brand_name, enabled, created_at, updated_at "
	       "FROM jobs",
	       NULL);
	pg_run(old,
	       "SELECT count(*), count(*) FILTER (WHERE j.words = o.words) FROM jobs j "
	       "JOIN old_words o ON j.id IN (o.id, 'new-' || o.id)",
	       &r);
	snprintf(sql, sizeof sql, "%d", 2 * n);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), sql);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), sql, "jobs whose words are version 2's");
	PQclear(r);
	pg_run(
	    old,
	    "SET search_path = ''; SELECT count(*) FROM public.jobs j JOIN public.old_words o "
	    "USING (id) WHERE o.words = setweight(public.jobs_field(job_name), 'A') || "
	    "setweight(public.jobs_field(product), 'B') || "
	    "setweight(public.jobs_field(brand_name), 'B') || "
	    "setweight(public.jobs_field(persona), 'C') || setweight(public.jobs_field(hook), 'D')",
	    &r);
	snprintf(sql, sizeof sql, "%d", n);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), sql, "words computed with an empty search_path");
	PQclear(r);
	test_db_drop(old);
}

Test(find, search_combines_with_filters_and_views)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;

	add_searchable();
	in.query = "lantern";
	in.filter = &f;
	f.brand_name = "Acme";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "name-match");
	f.brand_name = "";
	f.created_after = 200;
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "hook-match");
	f.created_after = 0;
	f.enabled = JOBS__V1__ENABLED_FILTER__DISABLED_ONLY;
	in.query = "rock";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "hostile");
	in.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	in.query = "ock";
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "hostile");
	f.enabled = JOBS__V1__ENABLED_FILTER__ENABLED_ONLY;
	assert_code(search(&in), OK);
	cr_assert_str_eq(ids(&cl.resp), "");
	f.enabled = 0;
	in.view = JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY;
	in.mode = 0;
	in.query = "plage";
	assert_code(search(&in), OK);
	cr_assert_str_eq(cl.resp.search_jobs->results[0]->job->job_name, "Été à la plage");
	cr_assert_str_eq(cl.resp.search_jobs->results[0]->job->hook, "");
}

/* Writes n jobs straight through the store, in one transaction: job
 * "<prefix>-<i>", hook "<word> ...", created at base + i. */
static void
bulk_add(const char *prefix, int n, const char *hook, const char *product, int64_t base)
{
	cr_assert_eq(store_begin(db), 0);
	for (int i = 0; i < n; i++) {
		Jobs__V1__Job *j = arena_alloc(&bulk, sizeof *j);

		jobs__v1__job__init(j);
		j->id = arena_printf(&bulk, "%s-%05d", prefix, i);
		j->job_name = arena_printf(&bulk, "Job %d", i);
		j->product = (char *)product;
		j->hook = (char *)hook;
		j->language = "English";
		j->enabled = true;
		j->created_at = j->updated_at = base + i;
		cr_assert_eq(store_job_insert(db, j, &bulk), 0, "%s", store_errmsg(db));
		arena_reset(&bulk);
	}
	cr_assert_eq(store_commit(db), 0);
}

/* Within a block the best match comes first, whatever its age: an older
 * job whose hook repeats the word ranks above newer ones that hold it once,
 * and equal ranks go newest first. */
Test(find, search_ranks_an_older_better_match_first)
{
	bulk_add("best", 1, "lamp lamp lamp lamp", "P", 1000);
	bulk_add("newer", 5, "a lamp and more words", "P", 2000);
	Jobs__V1__Response *r = search_text("lamp");
	assert_code(r, OK);
	cr_assert_str_eq(ids(r), "best-00000,newer-00004,newer-00003,newer-00002,newer-00001,"
	                         "newer-00000");
	cr_assert_gt(r->search_jobs->results[0]->score, r->search_jobs->results[1]->score);
}

/* Statements a connection ran, for search_with_an_empty_filter_joins_nothing. */
static char traced[8192];

static int
trace_stmt(unsigned type, void *ctx, void *p, void *x)
{
	(void)type, (void)ctx, (void)x;
	size_t n = strlen(traced);
	snprintf(traced + n, sizeof traced - n, "%s\n", sqlite3_sql(p));
	return 0;
}

/* libjobsclient always sends a filter; an empty one is no filter, and the
 * search reads no job row to apply it (it used to join jobs for each match:
 * half of a search's time). */
Test(find_sqlite, search_with_an_empty_filter_joins_nothing)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;

	bulk_add("e", 30, "empty filter words", "P", 1000);
	in.query = "words";
	in.filter = &f;
	in.page_size = 10;
	sqlite3_trace_v2(store_sqlite_db(db), SQLITE_TRACE_STMT, trace_stmt, NULL);
	assert_code(search(&in), OK);
	sqlite3_trace_v2(store_sqlite_db(db), 0, NULL, NULL);
	cr_assert_eq(cl.resp.search_jobs->n_results, 10);
	cr_assert_str_eq(cl.resp.search_jobs->results[0]->job->id, "e-00029");
	cr_assert_not_null(strstr(traced, "jobs_fts MATCH"), "%s", traced);
	cr_assert_null(strstr(traced, "JOIN jobs"), "%s", traced);

	/* A filter that sets something still joins, and still filters. */
	f.product = "Q";
	traced[0] = '\0';
	sqlite3_trace_v2(store_sqlite_db(db), SQLITE_TRACE_STMT, trace_stmt, NULL);
	assert_code(search(&in), OK);
	sqlite3_trace_v2(store_sqlite_db(db), 0, NULL, NULL);
	cr_assert_eq(cl.resp.search_jobs->n_results, 0);
	cr_assert_not_null(strstr(traced, "JOIN jobs"), "%s", traced);
}

Test(find, search_pages_cover_every_match_once_across_blocks)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	const int n = STORE_SEARCH_BLOCK + 450;
	char *seen = calloc((size_t)n, 1), token[512] = "";
	int total = 0, pages = 0;

	/* Some hooks repeat the word, so ranks differ within a block. */
	bulk_add("m", n, "common words here", "P", 1000);
	bulk_add("r", 40, "common common common words", "P", 100000);
	bulk_add("x", 30, "other words", "P", 200000);
	in.query = "common";
	in.page_size = 100;
	do {
		in.page_token = token;
		assert_code(search(&in), OK);
		for (size_t i = 0; i < cl.resp.search_jobs->n_results; i++) {
			const char *id = cl.resp.search_jobs->results[i]->job->id;
			int k = atoi(id + 2);
			if (id[0] == 'r')
				continue;
			cr_assert_eq(id[0], 'm', "%s", id);
			cr_assert_eq(seen[k], 0, "%s twice", id);
			seen[k] = 1;
			total++;
		}
		if (pages == 0) {
			/* The repeated word ranks first; then a new job arrives. */
			cr_assert_eq(cl.resp.search_jobs->results[0]->job->id[0], 'r');
			bulk_add("new", 1, "common", "P", 300000);
		}
		pages++;
		snprintf(token, sizeof token, "%s", cl.resp.search_jobs->next_page_token);
	} while (*token != '\0');
	cr_assert_eq(total, n, "every match once: %d of %d in %d pages", total, n, pages);
	free(seen);
	cr_assert_eq(pages, (n + 40 + 99) / 100);
}

Test(find, a_search_token_is_tied_to_its_query)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	char token[512];

	bulk_add("t", 30, "lamp light", "P", 1);
	in.query = "lamp";
	in.page_size = 10;
	assert_code(search(&in), OK);
	snprintf(token, sizeof token, "%s", cl.resp.search_jobs->next_page_token);
	cr_assert_str_neq(token, "");
	in.page_token = token;
	assert_code(search(&in), OK);
	cr_assert_eq(cl.resp.search_jobs->n_results, 10);
	in.query = "light";
	assert_code(search(&in), INVALID_ARGUMENT);
	in.query = "lamp";
	in.snippets = true;
	assert_code(search(&in), INVALID_ARGUMENT);
	in.snippets = false;
	in.page_token = "garbage!";
	assert_code(search(&in), INVALID_ARGUMENT);
	in.page_token = "";
	in.page_size = -1;
	assert_code(search(&in), INVALID_ARGUMENT);
	in.page_size = 5000;
	assert_code(search(&in), OK);
	cr_assert_eq(cl.resp.search_jobs->n_results, 30, "large sizes are coerced");
}

/* ---- GetStats ------------------------------------------------------------------ */

#define DAY_US 86400000000LL

static const Jobs__V1__ValueCount *
value(Jobs__V1__ValueCount **v, size_t n, size_t i)
{
	cr_assert_lt(i, n);
	return v[i];
}

/* Fails unless the store's check finds the counts equal to the jobs. */
static void
counts_sound(void)
{
	char **problems;
	size_t n;
	int64_t jobs, bytes;

	cr_assert_eq(store_check(db, &bulk, 10, &problems, &n, &jobs, &bytes), 0, "%s",
	             store_errmsg(db));
	cr_assert_eq(n, 0, "%zu problems, the first: %s", n, n > 0 ? problems[0] : "");
}

Test(find, stats_on_known_data_follow_every_write)
{
	Jobs__V1__GetStatsRequest in = JOBS__V1__GET_STATS_REQUEST__INIT;
	Jobs__V1__GetStatsResponse *s;

	add_catalogue(); /* created at 100..800 us: all on 1970-01-01 */
	in.created_after = 1;
	in.created_before = 3 * DAY_US;
	assert_code(stats(&in), OK);
	s = cl.resp.get_stats;
	cr_assert_eq(s->total_jobs, 8);
	cr_assert_eq(s->enabled_jobs, 6);
	cr_assert_eq(s->disabled_jobs, 2);
	cr_assert_eq(s->unique_products, 3);
	cr_assert_eq(s->unique_personas, 3);
	cr_assert_eq(s->unique_languages, 3);
	cr_assert_eq(s->unique_brands, 4, "\"\" counts as a value");
	cr_assert_eq(s->n_by_product, 3);
	cr_assert_str_eq(value(s->by_product, s->n_by_product, 0)->value, "Lamp");
	cr_assert_eq(value(s->by_product, s->n_by_product, 0)->count, 4);
	cr_assert_str_eq(s->by_product[1]->value, "Kettle", "ties by value");
	cr_assert_eq(s->by_product[1]->count, 2);
	cr_assert_str_eq(s->by_product[2]->value, "Tent");
	cr_assert_str_eq(value(s->by_language, s->n_by_language, 0)->value, "English");
	cr_assert_eq(s->by_language[0]->count, 5);
	cr_assert_str_eq(value(s->by_persona, s->n_by_persona, 0)->value, "parent");
	cr_assert_eq(s->by_persona[0]->count, 4);
	cr_assert_str_eq(value(s->by_brand, s->n_by_brand, 0)->value, "Acme");
	cr_assert_eq(s->by_brand[0]->count, 4);
	cr_assert_eq(s->n_created_per_day, 3);
	cr_assert_str_eq(s->created_per_day[0]->date, "1970-01-01");
	cr_assert_eq(s->created_per_day[0]->count, 8);
	cr_assert_str_eq(s->created_per_day[2]->date, "1970-01-03");
	cr_assert_eq(s->created_per_day[2]->count, 0);

	/* Writes move the counts: update, disable, delete, add on another day. */
	assert_code(update("j1", "product", "Tent", false), OK);
	assert_code(update("j3", "product", "Brand New", false), OK);
	assert_code(update("j6", "enabled", NULL, false), OK);
	assert_code(update("j7", "persona", "parent", false), OK);
	assert_code(del("j5"), OK);
	add(&(struct spec){"late", "Late", "Lamp", .created = 2 * DAY_US + 5});
	in.top = 2;
	assert_code(stats(&in), OK);
	s = cl.resp.get_stats;
	cr_assert_eq(s->total_jobs, 8);
	cr_assert_eq(s->enabled_jobs, 6);
	cr_assert_eq(s->disabled_jobs, 2);
	cr_assert_eq(s->unique_products, 4, "Lamp, Tent, Kettle, Brand New");
	cr_assert_eq(s->n_by_product, 2, "top 2");
	cr_assert_str_eq(s->by_product[0]->value, "Lamp");
	cr_assert_eq(s->by_product[0]->count, 4);
	cr_assert_str_eq(s->by_product[1]->value, "Tent");
	cr_assert_eq(s->by_product[1]->count, 2);
	cr_assert_eq(s->unique_personas, 3);
	cr_assert_str_eq(s->by_persona[0]->value, "parent");
	cr_assert_eq(s->by_persona[0]->count, 5);
	cr_assert_eq(s->created_per_day[0]->count, 7);
	cr_assert_eq(s->created_per_day[2]->count, 1);

	/* The counters equal a count of the jobs (Check compares them), before
	 * and after the engine tidies what it keeps off the write path. */
	counts_sound();
	cr_assert_eq(store_tidy(db), 0, "%s", store_errmsg(db));
	counts_sound();
	assert_code(stats(&in), OK);
	cr_assert_eq(cl.resp.get_stats->total_jobs, 8);
	cr_assert_eq(cl.resp.get_stats->by_persona[0]->count, 5);
}

Test(find, stats_defaults_and_bad_ranges)
{
	Jobs__V1__GetStatsRequest in = JOBS__V1__GET_STATS_REQUEST__INIT;

	assert_code(stats(&in), OK);
	cr_assert_eq(cl.resp.get_stats->total_jobs, 0);
	cr_assert_eq(cl.resp.get_stats->n_created_per_day, 30, "the last 30 days");
	in.top = -1;
	assert_code(stats(&in), INVALID_ARGUMENT);
	in.top = 0;
	in.created_after = 5 * DAY_US;
	in.created_before = 2 * DAY_US;
	assert_code(stats(&in), INVALID_ARGUMENT);
	in.created_after = 1;
	in.created_before = 4000 * DAY_US;
	Jobs__V1__Response *r = stats(&in);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "limit is 3660") != NULL, "%s", r->message);
	in.created_after = -5 * DAY_US; /* before 1970 works too */
	in.created_before = -2 * DAY_US;
	assert_code(stats(&in), OK);
	cr_assert_eq(cl.resp.get_stats->n_created_per_day, 3);
	cr_assert_str_eq(cl.resp.get_stats->created_per_day[0]->date, "1969-12-27");
}

/* ---- the store: what listings read, migration ---------------------------------- */

/* What one page of listing q cost: rows read by full scans (of a table or of
 * a whole index, walked in its order) and sorts run. Behaviour, not plan
 * text: an index that serves an order reads the page and no more, and
 * needs no sort. */
struct cost {
	int64_t scanned, sorts;
};

static struct cost
cost_of(const store_list *q)
{
	int64_t steps = store_fullscan_steps(db), sorts = store_sorts(db);
	store_page p;

	cr_assert_eq(store_job_list(db, q, &bulk, &p), 0, "%s", store_errmsg(db));
	arena_reset(&bulk);
	return (struct cost){store_fullscan_steps(db) - steps, store_sorts(db) - sorts};
}

Test(find_sqlite, every_order_and_single_filter_reads_an_index_in_order)
{
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
	store_list q = {.limit = 50, .max_bytes = 1 << 20};
	struct cost c;

	bulk_add("c", 4001, "x", "Common", 1); /* more than the sort limit */
	bulk_add("r", 10, "x", "Rare", 10000);
	for (int o = 0; o < 3; o++) {
		q.order = o;
		q.filter = NULL;
		q.after = false;
		c = cost_of(&q);
		cr_assert_leq(c.scanned, q.limit + 1, "order %d read %lld rows", o,
		              (long long)c.scanned);
		cr_assert_eq(c.sorts, 0, "order %d sorted", o);
		/* From a keyset position: a search of the order's index. */
		q.after = true;
		q.after_id = "c-00001";
		q.after_created = 2;
		q.after_text = "Job 1";
		c = cost_of(&q);
		cr_assert_leq(c.scanned, q.limit + 1, "order %d, after, read %lld rows", o,
		              (long long)c.scanned);
		cr_assert_eq(c.sorts, 0, "order %d, after, sorted", o);
		q.after = false;
		/* A common value walks the order's index, skipping the others; in
		 * the default order its own index has the order too. */
		q.filter = &f;
		f.product = "Common";
		c = cost_of(&q);
		cr_assert_eq(c.sorts, 0, "order %d, a common value, sorted", o);
		cr_assert_leq(c.scanned, o == 0 ? 0 : 2 * (q.limit + 1),
		              "order %d, a common value, read %lld rows", o, (long long)c.scanned);
		/* A rare value reads its own index: its few rows, sorted in the
		 * other orders. */
		f.product = "Rare";
		c = cost_of(&q);
		cr_assert_eq(c.scanned, 0, "order %d, a rare value, scanned", o);
		cr_assert_eq(c.sorts, o == 0 ? 0 : 1, "order %d, a rare value", o);
		f.product = "";
	}
	/* Each equality filter in the default order: a search of its index,
	 * already in order. Two filters: the rarer drives, the same way. */
	q.order = STORE_BY_CREATED;
	q.filter = &f;
	for (int k = 0; k < 5; k++) {
		f.enabled = k == 0 ? JOBS__V1__ENABLED_FILTER__DISABLED_ONLY : 0;
		f.persona = k == 1 ? "p" : "";
		f.language = k == 2 || k == 4 ? "English" : "";
		f.brand_name = k == 3 || k == 4 ? "b" : "";
		c = cost_of(&q);
		cr_assert_eq(c.scanned, 0, "filter %d scanned %lld rows", k, (long long)c.scanned);
		cr_assert_eq(c.sorts, 0, "filter %d sorted", k);
	}
}

Test(find_sqlite, a_page_reads_what_it_returns_at_any_depth)
{
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
	store_list q = {.limit = 20, .max_bytes = 1 << 30};
	store_page p;

	bulk_add("a", 1500, "x", "A", 1);
	bulk_add("b", 500, "x", "B", 100000);
	for (int o = 0; o < 3; o++) {
		for (int filtered = 0; filtered < 2; filtered++) {
			q.order = o;
			q.filter = filtered ? &f : NULL;
			f.product = "A";
			q.after = false;
			for (int page = 0; page < 30; page++) {
				int64_t before = store_fullscan_steps(db);
				cr_assert_eq(store_job_list(db, &q, &bulk, &p), 0);
				cr_assert_eq(p.n_jobs, 20);
				int64_t steps = store_fullscan_steps(db) - before;
				/* Unfiltered: the index walk reads page + 1 rows; with
				 * product A (75% of jobs) at most about page / 0.75. */
				cr_assert_leq(steps, filtered ? 2 * (q.limit + 1) : q.limit + 1,
				              "order %d filtered %d page %d read %lld rows", o,
				              filtered, page, (long long)steps);
				if (filtered && o == 0)
					cr_assert_eq(steps, 0, "a SEARCH, no scan");
				Jobs__V1__Job *last = p.jobs[p.n_jobs - 1];
				q.after = true;
				q.after_id = last->id;
				q.after_created = o == 1 ? last->updated_at : last->created_at;
				q.after_text = last->job_name;
			}
			arena_reset(&bulk);
		}
	}
}

Test(find_sqlite, a_version_1_database_with_jobs_is_migrated)
{
	static const char *const v1 =
	    "CREATE TABLE jobs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, job_name TEXT "
	    "NOT NULL, product TEXT NOT NULL, persona TEXT NOT NULL, setting TEXT NOT NULL, "
	    "emotion "
	    "TEXT NOT NULL, hook TEXT NOT NULL, elevenlabs_voice_id TEXT NOT NULL, language TEXT "
	    "NOT "
	    "NULL, brand_name TEXT NOT NULL, enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)), "
	    "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL, "
	    "enhanced_settings TEXT, extra TEXT);"
	    "CREATE INDEX jobs_by_created ON jobs (created_at, id);"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	    "INSERT INTO meta VALUES ('last_version', 3);"
	    "INSERT INTO jobs VALUES (1, 'old-1', 'Solar Lantern', 'Lamp', 'parent', '', '', "
	    "'Tired of the dark?', '', 'English', 'Acme', 1, 10, 10, 1, NULL, NULL);"
	    "INSERT INTO jobs VALUES (2, 'old-2', 'Café', 'Espresso', 'student', '', '', 'Wake "
	    "up', '', 'Français', '', 0, 20, 20, 2, '{\"a\":1}', NULL);"
	    "INSERT INTO jobs VALUES (3, 'old-3', 'Lamp two', 'Lamp', 'parent', '', '', '', '', "
	    "'English', 'Acme', 1, 30, 30, 3, NULL, NULL);"
	    "PRAGMA user_version = 1;";
	store_options o = {.sync = STORE_SYNC_OFF};
	char old[600], err[256];
	sqlite3 *raw;
	store *mine = db;

	snprintf(old, sizeof old, "%s/v1.db", dir);
	cr_assert_eq(sqlite3_open(old, &raw), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(raw, v1, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(raw));
	sqlite3_close(raw);
	cr_assert_eq(store_open(&db, old, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_schema_version(db), STORE_SCHEMA_VERSION);

	Jobs__V1__Response *r = search_text("lantern");
	assert_code(r, OK);
	cr_assert_str_eq(ids(r), "old-1");
	cr_assert_str_eq(ids(search_text("cafe")), "old-2");
	Jobs__V1__SearchJobsRequest sub = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	sub.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	sub.query = "spress";
	assert_code(search(&sub), OK);
	cr_assert_str_eq(ids(&cl.resp), "old-2");
	sub.query = "Tired";
	assert_code(search(&sub), OK);
	cr_assert_str_eq(ids(&cl.resp), "", "migration 4 took the hooks out of jobs_tri");
	cr_assert_str_eq(ids(search_text("tired")), "old-1", "words of hooks are still found");

	Jobs__V1__GetStatsRequest in = JOBS__V1__GET_STATS_REQUEST__INIT;
	in.created_after = 1;
	in.created_before = 2;
	assert_code(stats(&in), OK);
	cr_assert_eq(cl.resp.get_stats->total_jobs, 3);
	cr_assert_eq(cl.resp.get_stats->enabled_jobs, 2);
	cr_assert_eq(cl.resp.get_stats->unique_products, 2);
	cr_assert_str_eq(cl.resp.get_stats->by_product[0]->value, "Lamp");
	cr_assert_eq(cl.resp.get_stats->by_product[0]->count, 2);
	cr_assert_eq(cl.resp.get_stats->created_per_day[0]->count, 3);

	Jobs__V1__ListJobsRequest l = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter f = JOBS__V1__JOB_FILTER__INIT;
	f.product = "Lamp";
	l.filter = &f;
	assert_code(list(&l), OK);
	cr_assert_str_eq(ids(&cl.resp), "old-3,old-1");

	/* Written after the migration: kept in step like the rest. */
	assert_code(update("old-1", "job_name", "Moon Lantern", false), OK);
	assert_code(del("old-3"), OK);
	cr_assert_str_eq(ids(search_text("moon lantern")), "old-1");
	cr_assert_str_eq(ids(search_text("solar")), "");
	sub.query = "oon Lan";
	assert_code(search(&sub), OK);
	cr_assert_str_eq(ids(&cl.resp), "old-1", "a new name is in jobs_tri");
	sub.query = "olar Lan";
	assert_code(search(&sub), OK);
	cr_assert_str_eq(ids(&cl.resp), "", "the old one is gone from it");
	assert_code(update("old-2", "hook", "Bright mornings", false), OK);
	cr_assert_str_eq(ids(search_text("mornings")), "old-2", "a new hook is in jobs_fts");
	assert_code(stats(&in), OK);
	cr_assert_eq(cl.resp.get_stats->total_jobs, 2);
	cr_assert_eq(cl.resp.get_stats->by_product[0]->count, 1);
	store_close(db);
	db = mine;
}

/* A database of schema 7, whose words split no CJK text, is migrated. What
 * another writer (the sqlite3 shell) changed before, which only jobsd's next
 * commit indexes (pending: a job renamed, one deleted, one added), is
 * indexed then as it would have been: the text indexes pass FTS5's own
 * check, and the counts the store's. */
Test(find_sqlite, a_version_7_database_with_cjk_jobs_is_migrated)
{
	static const char *const jobs =
	    "INSERT INTO jobs VALUES (1, 'zh', '夏季促销', '太阳能灯笼', '', '', '', '夜晚也明亮', "
	    "'', "
	    "'English', '', 1, 10, 10, 1, NULL, NULL);"
	    "INSERT INTO jobs VALUES (2, 'ja', 'ソーラーランタン', 'ランタン', '', '', '', "
	    "'夏の夜', "
	    "'', 'English', '', 1, 20, 20, 2, NULL, NULL);"
	    "INSERT INTO jobs VALUES (3, 'ko', '서울에서', 'Lamp', '', '', '', '', '', 'English', "
	    "'', 1, 30, 30, 3, NULL, NULL);"
	    "UPDATE meta SET value = 3 WHERE key = 'last_version';";
	static const char *const other_writer =
	    "UPDATE jobs SET job_name = '冬季促销' WHERE id = 'zh';"
	    "DELETE FROM jobs WHERE id = 'ko';"
	    "INSERT INTO jobs VALUES (4, 'new', '新品灯笼', 'Lamp', '', '', '', '', '', 'English', "
	    "'', 1, 40, 40, 4, NULL, NULL);"
	    "INSERT INTO jobs VALUES (5, 'new2', 'New', 'Lamp', '', '', '', '', '', 'English', '', "
	    "1, 50, 50, 5, NULL, NULL);"
	    "PRAGMA user_version = 7;";
	store_options o = {.sync = STORE_SYNC_OFF};
	char old[600], err[256], **problems;
	int64_t n_jobs, bytes;
	size_t n_problems;
	sqlite3 *raw;
	store *mine = db;

	/* Schema 2 with three jobs, then migrations 3 to 7, which index them. */
	snprintf(old, sizeof old, "%s/v7.db", dir);
	cr_assert_eq(sqlite3_open(old, &raw), SQLITE_OK);
	for (int v = 0; v < 7; v++) {
		cr_assert_eq(sqlite3_exec(raw, store_sqlite_migrations[v], NULL, NULL, NULL),
		             SQLITE_OK, "%d: %s", v + 1, sqlite3_errmsg(raw));
		if (v == 1)
			cr_assert_eq(sqlite3_exec(raw, jobs, NULL, NULL, NULL), SQLITE_OK, "%s",
			             sqlite3_errmsg(raw));
	}
	cr_assert_eq(sqlite3_exec(raw, other_writer, NULL, NULL, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(raw));
	sqlite3_close(raw);

	cr_assert_eq(store_open(&db, old, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_schema_version(db), STORE_SCHEMA_VERSION);
	/* jobsd's first commit applies what the other writer left pending. */
	add(&(struct spec){"after", "新しいランタン", "Lamp", .created = 50});
	cr_assert_str_eq(found(search_text("促销")), "zh");
	cr_assert_str_eq(found(search_text("夏季")), "", "the old name is gone");
	cr_assert_str_eq(found(search_text("冬季")), "zh");
	cr_assert_str_eq(found(search_text("灯笼")), "new,zh");
	cr_assert_str_eq(found(search_text("ランタン")), "after,ja");
	cr_assert_str_eq(found(search_text("서울")), "", "deleted");
	Jobs__V1__SearchJobsRequest sub = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	sub.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
	sub.query = "冬季促";
	cr_assert_str_eq(found(search(&sub)), "zh", "the new name is in jobs_tri");
	sub.query = "夏季促";
	cr_assert_str_eq(found(search(&sub)), "", "the old one is not");

	cr_assert_eq(sqlite3_open(old, &raw), SQLITE_OK);
	test_sqlite_text_indexes_intact(raw);
	/* FTS5's check does not look at the number of rows bm25 averages over:
	 * the first varint of its averages record (rowid 1 of %_data), one
	 * byte while it is under 128. Without putting the pending jobs back as
	 * they were, the commit takes out jobs the rebuild never put in and
	 * puts in again jobs it did. */
	sqlite3_stmt *s;
	cr_assert_eq(
	    sqlite3_prepare_v2(raw,
	                       "SELECT unicode(substr(CAST(block AS TEXT), 1, 1)), "
	                       "(SELECT count(*) FROM jobs) FROM jobs_fts_data WHERE id = 1",
	                       -1, &s, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(raw));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), sqlite3_column_int(s, 1));
	sqlite3_finalize(s);
	sqlite3_close(raw);
	cr_assert_eq(store_check(db, &ar, 10, &problems, &n_problems, &n_jobs, &bytes), 0);
	cr_assert_eq(n_problems, 0, "%s", n_problems > 0 ? problems[0] : "");
	cr_assert_eq(n_jobs, 5);
	store_close(db);
	db = mine;
}
