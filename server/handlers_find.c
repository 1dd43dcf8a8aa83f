/*
 * handlers_find.c: the calls that find jobs: ListJobs, SearchJobs, GetStats.
 * Like handlers.c, each is validate -> store -> response; the SQL, the
 * choice of index and the ranking are the store's (store_sqlite_find.c).
 *
 * Page tokens. A token is a PageToken message (proto) in base64: the keyset
 * position after the last job returned, and a hash of every field of the
 * request other than page_size and page_token, so that a token used with
 * another filter, order, view or query is refused rather than silently
 * misapplied. Tokens are not secret and need not be: any position a token
 * can name is one the caller could have reached by paging.
 *
 * The search language (SEARCH_WORDS), documented for users in jobs.proto and
 * `jobsctl help search`, is parsed here into terms (words and phrases, each
 * maybe a prefix); the store quotes each term for FTS5, so no text a person
 * types reaches FTS5 as syntax. Chinese, Japanese and Korean text is split
 * by the stores (cjk.c); here it only changes what a * after it and a short
 * substring mean.
 */
#include "cjk.h"
#include "hash.h"
#include "handlers.h"
#include "log.h"
#include "status.h"
#include "validate.h"

#include <mbedtls/base64.h>

#include <stdio.h>
#include <string.h>

/* ---- page tokens ------------------------------------------------------- */

/* A hash of the request minus its paging fields (page_size, page_token,
 * found by name): what a token is tied to. */
static uint64_t
query_hash(call *c, const ProtobufCMessage *in)
{
	const ProtobufCMessageDescriptor *d = in->descriptor;
	const ProtobufCFieldDescriptor *size = protobuf_c_message_descriptor_get_field_by_name(
	                                   d, "page_size"),
	                               *token = protobuf_c_message_descriptor_get_field_by_name(
	                                   d, "page_token");
	ProtobufCMessage *q = arena_alloc(c->arena, d->sizeof_message);
	uint8_t *buf;
	size_t n;

	if (q == NULL)
		return 0;
	memcpy(q, in, d->sizeof_message);
	if (size != NULL)
		*(int32_t *)((char *)q + size->offset) = 0;
	if (token != NULL)
		*(const char **)((char *)q + token->offset) = "";
	n = protobuf_c_message_get_packed_size(q);
	if ((buf = arena_alloc(c->arena, n)) == NULL)
		return 0;
	protobuf_c_message_pack(q, buf);
	return hash_bytes(buf, n);
}

static char *
token_encode(call *c, const Jobs__V1__PageToken *t)
{
	size_t n = jobs__v1__page_token__get_packed_size(t), olen;
	uint8_t *raw;
	unsigned char *text;

	if ((raw = arena_alloc(c->arena, n)) == NULL)
		return NULL;
	jobs__v1__page_token__pack(t, raw);
	mbedtls_base64_encode(NULL, 0, &olen, raw, n); /* olen: size needed, NUL included */
	if ((text = arena_alloc(c->arena, olen)) == NULL ||
	    mbedtls_base64_encode(text, olen, &olen, raw, n) != 0)
		return NULL;
	return (char *)text;
}

/* Decodes `text` into *out (from the arena) and checks it belongs to a
 * request with this hash. */
static int
token_decode(call *c, const char *text, uint64_t hash, Jobs__V1__PageToken **out)
{
	size_t len = strlen(text), olen;
	unsigned char *raw;
	Jobs__V1__PageToken *t;

	if (len > 1024 || mbedtls_base64_decode(NULL, 0, &olen, (const unsigned char *)text, len) ==
	                      MBEDTLS_ERR_BASE64_INVALID_CHARACTER)
		goto bad;
	if ((raw = arena_alloc(c->arena, olen + 1)) == NULL ||
	    mbedtls_base64_decode(raw, olen + 1, &olen, (const unsigned char *)text, len) != 0)
		goto bad;
	t = jobs__v1__page_token__unpack(arena_allocator(c->arena), olen, raw);
	if (t == NULL ||
	    !validate_utf8((const unsigned char *)t->after_text, strlen(t->after_text), NULL))
		goto bad;
	if (t->query_hash != hash)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "page_token belongs to a request with other filters, order or "
		                 "query; start again without it");
	*out = t;
	return 0;
bad:
	return call_fail(c, ST(INVALID_ARGUMENT), "page_token is not one this server issued");
}

/* ---- shared checks ------------------------------------------------------- */

static int
check_time(call *c, int64_t t, const char *name)
{
	if (t < JOB_MIN_TIME_US || t > JOB_MAX_TIME_US)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "filter.%s must fall in the years 1 to 9999", name);
	return 0;
}

/* Checks a filter (NULL is no filter). */
static int
check_filter(call *c, const Jobs__V1__JobFilter *f)
{
	const struct {
		const char *name, *field;
		const char *value;
	} text[] = {
	    {"product", "product", f ? f->product : ""},
	    {"persona", "persona", f ? f->persona : ""},
	    {"language", "language", f ? f->language : ""},
	    {"brand_name", "brand_name", f ? f->brand_name : ""},
	};
	int rv;

	if (f == NULL)
		return 0;
	if (f->enabled < JOBS__V1__ENABLED_FILTER__ENABLED_ANY ||
	    f->enabled > JOBS__V1__ENABLED_FILTER__DISABLED_ONLY)
		return call_fail(c, ST(INVALID_ARGUMENT), "filter.enabled: no such value %d",
		                 (int)f->enabled);
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		if (strlen(text[i].value) > handler_field_limit(text[i].field))
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "filter.%s is longer than a job's %s can be", text[i].name,
			                 text[i].name);
	if ((rv = check_time(c, f->created_after, "created_after")) != 0 ||
	    (rv = check_time(c, f->created_before, "created_before")) != 0 ||
	    (rv = check_time(c, f->updated_after, "updated_after")) != 0 ||
	    (rv = check_time(c, f->updated_before, "updated_before")) != 0)
		return rv;
	if (f->created_after != 0 && f->created_before != 0 &&
	    f->created_after >= f->created_before)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "filter.created_after must be before filter.created_before");
	if (f->updated_after != 0 && f->updated_before != 0 &&
	    f->updated_after >= f->updated_before)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "filter.updated_after must be before filter.updated_before");
	return 0;
}

static int
check_view(call *c, Jobs__V1__JobView v)
{
	if (v != JOBS__V1__JOB_VIEW__JOB_VIEW_FULL && v != JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY)
		return call_fail(c, ST(INVALID_ARGUMENT), "view: no such value %d", (int)v);
	return 0;
}

/* ---- ListJobs ------------------------------------------------------------ */

int
handle_list_jobs(call *c, const void *in_, void *out_)
{
	const Jobs__V1__ListJobsRequest *in = in_;
	Jobs__V1__ListJobsResponse *out = out_;
	store_list q = {.max_bytes = LIST_MAX_PAGE_BYTES};
	uint64_t hash = query_hash(c, &in->base);
	Jobs__V1__PageToken *t;
	store_page page;
	int rv;

	if (in->page_size < 0)
		return call_fail(c, ST(INVALID_ARGUMENT), "page_size must not be negative");
	if ((rv = check_filter(c, in->filter)) != 0 || (rv = check_view(c, in->view)) != 0)
		return rv;
	switch (in->order_by) {
	case JOBS__V1__JOB_ORDER__ORDER_CREATED_AT:
		q.order = STORE_BY_CREATED;
		break;
	case JOBS__V1__JOB_ORDER__ORDER_UPDATED_AT:
		q.order = STORE_BY_UPDATED;
		break;
	case JOBS__V1__JOB_ORDER__ORDER_JOB_NAME:
		q.order = STORE_BY_NAME;
		break;
	default:
		return call_fail(c, ST(INVALID_ARGUMENT), "order_by: no such value %d",
		                 (int)in->order_by);
	}
	switch (in->direction) {
	case JOBS__V1__SORT_DIRECTION__DIRECTION_DEFAULT:
		q.ascending = q.order == STORE_BY_NAME;
		break;
	case JOBS__V1__SORT_DIRECTION__ASCENDING:
		q.ascending = true;
		break;
	case JOBS__V1__SORT_DIRECTION__DESCENDING:
		q.ascending = false;
		break;
	default:
		return call_fail(c, ST(INVALID_ARGUMENT), "direction: no such value %d",
		                 (int)in->direction);
	}
	q.filter = in->filter;
	q.summary = in->view == JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY;
	q.limit = in->page_size == 0                   ? LIST_DEFAULT_PAGE_SIZE
	          : in->page_size > LIST_MAX_PAGE_SIZE ? LIST_MAX_PAGE_SIZE
	                                               : in->page_size;
	if (*in->page_token != '\0') {
		if ((rv = token_decode(c, in->page_token, hash, &t)) != 0)
			return rv;
		if (validate_id(t->after_id) != NULL)
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "page_token is not one this server issued");
		q.after = true;
		q.after_id = t->after_id;
		q.after_created = q.order == STORE_BY_UPDATED ? t->after_time : t->after_created_at;
		q.after_text = t->after_text;
	}
	if ((rv = store_job_list(c->db, &q, c->arena, &page)) != 0)
		return handler_store_failed(c, rv, "list");
	out->jobs = page.jobs;
	out->n_jobs = page.n_jobs;
	if (page.more && page.n_jobs > 0) {
		Jobs__V1__PageToken next = JOBS__V1__PAGE_TOKEN__INIT;
		const Jobs__V1__Job *last = page.jobs[page.n_jobs - 1];

		next.query_hash = hash;
		next.after_id = last->id;
		if (q.order == STORE_BY_CREATED)
			next.after_created_at = last->created_at;
		else if (q.order == STORE_BY_UPDATED)
			next.after_time = last->updated_at;
		else
			next.after_text = last->job_name;
		if ((out->next_page_token = token_encode(c, &next)) == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	}
	return 0;
}

/* ---- SearchJobs ---------------------------------------------------------- */

/* Characters of text that form words: ASCII letters and digits, and any
 * non-ASCII character (FTS5's unicode61 decides; most are letters). */
static bool
wordish(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch >= 0x80;
}

/* The length of the white space character that starts NUL-terminated s, 0
 * if none: ASCII's, and Unicode's, such as the ideographic space (U+3000)
 * that Chinese and Japanese input methods type between words. */
static size_t
space_at(const char *s)
{
	return cjk_space(s, strnlen(s, 4));
}

/* Whether the last word character of s[0..n) is a Chinese, Japanese or
 * Korean one (cjk.c). */
static bool
ends_in_cjk(const char *s, size_t n)
{
	bool last = false, cjk;

	for (size_t i = 0, k; i < n; i += k) {
		k = cjk_char(s + i, n - i, &cjk);
		if (wordish((unsigned char)s[i]))
			last = cjk;
	}
	return last;
}

/* Word characters in s[0..n), counting a UTF-8 sequence once. */
static size_t
word_chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (wordish(ch) && (ch & 0xc0) != 0x80)
			k++;
	}
	return k;
}

/*
 * Parses what a person typed into terms (see SearchJobsRequest in the
 * proto): bare words, "quoted phrases", a trailing * for a prefix. Terms
 * without a word character are dropped (FTS5's tokenizer would find nothing
 * in them). The terms' text is copied into the arena.
 */
static int
parse_query(call *c, const char *text, store_term **terms, size_t *n_terms)
{
	store_term *t = arena_alloc(c->arena, sizeof *t * SEARCH_MAX_TERMS);
	const char *p = text;
	size_t n = 0, k;

	if (t == NULL)
		return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	while (*p != '\0') {
		const char *start, *end, *close;
		bool prefix = false;

		if ((k = space_at(p)) > 0) {
			p += k;
			continue;
		}
		if (*p == '"' && (close = strchr(p + 1, '"')) != NULL) {
			/* A phrase; an unbalanced quote is just a character. */
			start = p + 1;
			end = close;
			p = close + 1;
			if (*p == '*') {
				prefix = true;
				while (*p == '*')
					p++;
			}
		} else {
			start = p;
			while (*p != '\0' && space_at(p) == 0)
				p++;
			end = p;
			while (end > start && end[-1] == '*') {
				end--;
				prefix = true;
			}
		}
		/* CJK text is found anywhere in a run, a character of it too
		 * (cjk.c): a * after it adds nothing, so it is not a prefix. */
		if (prefix && ends_in_cjk(start, (size_t)(end - start)))
			prefix = false;
		/* A prefix of one character would read every term that starts so;
		 * "a*" finding nothing, or everything, would say nothing of why. */
		if (prefix && word_chars(start, (size_t)(end - start)) == 1)
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "'%.*s*': a prefix needs at least 2 letters before the *",
			                 end - start > 32 ? 32 : (int)(end - start), start);
		if (word_chars(start, (size_t)(end - start)) == 0)
			continue;
		if (n == SEARCH_MAX_TERMS)
			return call_fail(
			    c, ST(INVALID_ARGUMENT),
			    "the query has more than %d words or phrases; leave some out",
			    SEARCH_MAX_TERMS);
		if ((t[n].text = arena_strndup(c->arena, start, (size_t)(end - start))) == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		t[n].prefix = prefix;
		n++;
	}
	*terms = t;
	*n_terms = n;
	return 0;
}

int
handle_search_jobs(call *c, const void *in_, void *out_)
{
	const Jobs__V1__SearchJobsRequest *in = in_;
	Jobs__V1__SearchJobsResponse *out = out_;
	store_search q = {.max_bytes = LIST_MAX_PAGE_BYTES};
	uint64_t hash = query_hash(c, &in->base);
	store_term *terms = NULL;
	Jobs__V1__PageToken *t;
	store_hits hits;
	int rv;

	if (in->page_size < 0)
		return call_fail(c, ST(INVALID_ARGUMENT), "page_size must not be negative");
	if ((rv = check_filter(c, in->filter)) != 0 || (rv = check_view(c, in->view)) != 0)
		return rv;
	if (strlen(in->query) > SEARCH_MAX_QUERY_BYTES)
		return call_fail(c, ST(INVALID_ARGUMENT), "the query is longer than %d bytes",
		                 SEARCH_MAX_QUERY_BYTES);
	if (in->mode == JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING) {
		const char *s = in->query, *e;
		size_t chars = 0, k;

		while ((k = space_at(s)) > 0)
			s += k;
		for (const char *p = e = s; *p != '\0';)
			if ((k = space_at(p)) > 0)
				p += k;
			else
				e = ++p;
		for (const char *p = s; p < e; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		/* Chinese, Japanese and Korean text is found through the word
		 * index, where one character is a word (cjk.c). */
		if (chars < SEARCH_MIN_SUBSTRING && !cjk_only(s, (size_t)(e - s)))
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "substring search needs at least %d characters (Chinese, "
			                 "Japanese or Korean ones: 1); '%.*s' has %zu",
			                 SEARCH_MIN_SUBSTRING, (int)(e - s), s, chars);
		if ((q.substring = arena_strndup(c->arena, s, (size_t)(e - s))) == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	} else if (in->mode == JOBS__V1__SEARCH_MODE__SEARCH_WORDS) {
		if ((rv = parse_query(c, in->query, &terms, &q.n_terms)) != 0)
			return rv;
		if (q.n_terms == 0)
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "the query has no letters or digits to search for");
		q.terms = terms;
	} else {
		return call_fail(c, ST(INVALID_ARGUMENT), "mode: no such value %d", (int)in->mode);
	}
	q.filter = in->filter;
	q.summary = in->view == JOBS__V1__JOB_VIEW__JOB_VIEW_SUMMARY;
	q.snippets = in->snippets;
	q.limit = in->page_size == 0                     ? SEARCH_DEFAULT_PAGE_SIZE
	          : in->page_size > SEARCH_MAX_PAGE_SIZE ? SEARCH_MAX_PAGE_SIZE
	                                                 : in->page_size;
	if (*in->page_token != '\0') {
		if ((rv = token_decode(c, in->page_token, hash, &t)) != 0)
			return rv;
		q.after = true;
		q.block_top = t->block_top;
		q.block_bottom = t->block_bottom;
		q.in_block = t->in_block;
		q.after_rank = t->after_rank;
		q.after_seq = t->after_seq;
	}
	rv = store_job_search(c->db, &q, c->arena, &hits);
	if (rv == ST(INVALID_ARGUMENT)) {
		/* The terms are quoted, so this is a bug of ours: say so. */
		log_error("SearchJobs: FTS5 refused the query '%s': %s", in->query,
		          store_errmsg(c->db));
		return call_fail(c, rv, "the query cannot be searched: %s", store_errmsg(c->db));
	}
	if (rv != 0)
		return handler_store_failed(c, rv, "search");

	out->n_results = hits.page.n_jobs;
	if ((out->results = arena_alloc(c->arena, sizeof *out->results * (out->n_results + 1))) ==
	    NULL)
		return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	for (size_t i = 0; i < hits.page.n_jobs; i++) {
		Jobs__V1__SearchResult *r = arena_alloc(c->arena, sizeof *r);

		if (r == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		jobs__v1__search_result__init(r);
		r->job = hits.page.jobs[i];
		r->score = hits.scores[i];
		if (hits.snippets != NULL)
			r->snippet = hits.snippets[i];
		out->results[i] = r;
	}
	if (hits.page.more && hits.page.n_jobs > 0) {
		Jobs__V1__PageToken next = JOBS__V1__PAGE_TOKEN__INIT;

		next.query_hash = hash;
		next.block_top = hits.block_top;
		next.block_bottom = hits.block_bottom;
		next.in_block = hits.in_block;
		next.after_rank = hits.rank;
		next.after_seq = hits.seq;
		if ((out->next_page_token = token_encode(c, &next)) == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	}
	return 0;
}

/* ---- GetStats ------------------------------------------------------------ */

#define DAY_US 86400000000LL

/* The UTC day (days since 1970-01-01) that holds `us`. */
static int64_t
day_of(int64_t us)
{
	return us >= 0 ? us / DAY_US : -((-us + DAY_US - 1) / DAY_US);
}

int
handle_get_stats(call *c, const void *in_, void *out_)
{
	const Jobs__V1__GetStatsRequest *in = in_;
	Jobs__V1__GetStatsResponse *out = out_;
	int64_t from, to;
	int top, rv;

	if (in->top < 0)
		return call_fail(c, ST(INVALID_ARGUMENT), "top must not be negative");
	top = in->top == 0 ? STATS_DEFAULT_TOP : in->top > STATS_MAX_TOP ? STATS_MAX_TOP : in->top;
	if ((rv = check_time(c, in->created_after, "created_after")) != 0 ||
	    (rv = check_time(c, in->created_before, "created_before")) != 0)
		return rv;
	to = in->created_before != 0 ? day_of(in->created_before - 1) : day_of(c->now_us);
	from = in->created_after != 0 ? day_of(in->created_after) : to - (STATS_DEFAULT_DAYS - 1);
	if (from > to)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "created_after must be before created_before");
	if (to - from + 1 > STATS_MAX_DAYS)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "the range of days is %lld days long; the limit is %d",
		                 (long long)(to - from + 1), STATS_MAX_DAYS);
	if ((rv = store_stats(c->db, top, from, to, c->arena, out)) != 0)
		return handler_store_failed(c, rv, "stats");
	return 0;
}
