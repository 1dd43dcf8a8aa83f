/*
 * store_sqlite_find.c: finding jobs: filtered, ordered listings (ListJobs), full-text
 * and substring search (SearchJobs) and statistics (GetStats). See store.h
 * for the interface and store_sqlite_schema.c for the tables, indexes and
 * counters these queries read.
 *
 * SHAPES AND THE STATEMENT CACHE. A listing's SQL depends on which filters
 * it has, its order and direction, whether it resumes, its view and the
 * index chosen to drive it; a search's on its filters and mode. The SQL is
 * built from that shape only (every value is a bound parameter, never text
 * in the SQL) and prepared once per connection with SQLITE_PREPARE_PERSISTENT;
 * later requests of the same shape find it again by its text in a small
 * cache (CACHE_SIZE entries, least recently used replaced).
 *
 * CHOOSING THE INDEX OF A LISTING. The order's own index (jobs_by_created,
 * jobs_by_updated, jobs_by_name) serves a listing without equality filters:
 * a page seeks to its keyset position and reads page + 1 rows. With
 * equality filters, the one held by the fewest jobs (exact counts from
 * stat_values and stat_totals, kept up to date by each commit) is the candidate
 * driver: in the default order its (column, created_at, id) index gives the
 * rows already sorted, so it always drives. In the other orders it drives
 * only when at most SORT_LIMIT jobs have that value (they are read and
 * sorted: bounded work); a more common value walks the order's index and
 * skips the jobs that do not pass, which reads about page / share rows per
 * page. INDEXED BY pins the choice, so SQLite's planner, which knows no
 * counts, cannot make another.
 *
 * SEARCH. Words go to jobs_fts ranked by bm25, in blocks: the latest
 * STORE_SEARCH_BLOCK matches (after the filter) are one block, ranked
 * together; when a block runs out the next older block follows. bm25 costs
 * 2 to 4 us per ranked row at a million jobs (it reads each row's column
 * sizes from %_docsize) plus a pass over each term's whole posting list (to
 * count the documents holding it, about 20 ns a document), so ranking every
 * match of a word found in most of a million jobs takes most of a second;
 * ranking a block costs at most 1000 rankings. A query with at most 1000 matches is one
 * block: ranked exactly. Substrings go to jobs_tri, latest first (bm25 over
 * trigrams ranks nothing a person would recognise); a substring of Chinese,
 * Japanese or Korean characters alone goes to jobs_fts instead, as the
 * phrase of its characters and pairs (cjk.c) in the columns jobs_tri holds:
 * it finds exactly the text that holds it, from one character on, where a
 * trigram needs three.
 */
#include "cjk.h"
#include "status.h"
#include "store_sqlite.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_SIZE 64
/* A filter value held by at most this many jobs drives a listing in a
 * non-default order through its own index (read them all, sort). About
 * sqrt(page size x a million jobs): the two plans then cost alike. */
#define SORT_LIMIT 4000

/* The summary view: the legacy manifest's fields, constants for the rest
 * (in STORE_JOB_COLUMNS order). */
#define SUMMARY_COLUMNS                                                                            \
	"id, job_name, product, '', '', '', '', '', '', '', enabled, created_at, 0, 0, NULL, NULL"

/* ---- the statement cache ------------------------------------------------- */

struct cache_entry {
	char *sql;
	sqlite3_stmt *stmt;
	uint64_t used; /* clock of the last use */
};

struct find_state {
	struct cache_entry e[CACHE_SIZE];
	uint64_t clock;
	/* The counters of statements no longer cached. */
	int64_t evicted_fullscan, evicted_sorts;
};

void
store_sqlite_find_close(store *st)
{
	struct find_state *fs = *store_sqlite_find_slot(st);

	if (fs == NULL)
		return;
	for (int i = 0; i < CACHE_SIZE; i++) {
		sqlite3_finalize(fs->e[i].stmt);
		free(fs->e[i].sql);
	}
	free(fs);
	*store_sqlite_find_slot(st) = NULL;
}

void
store_sqlite_find_counters(const store *st, int64_t *fullscan, int64_t *sorts)
{
	struct find_state *fs = *store_sqlite_find_slot((store *)st);

	*fullscan = fs != NULL ? fs->evicted_fullscan : 0;
	*sorts = fs != NULL ? fs->evicted_sorts : 0;
	for (int i = 0; fs != NULL && i < CACHE_SIZE; i++)
		if (fs->e[i].stmt != NULL) {
			*fullscan +=
			    sqlite3_stmt_status(fs->e[i].stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
			*sorts += sqlite3_stmt_status(fs->e[i].stmt, SQLITE_STMTSTATUS_SORT, 0);
		}
}

/* The prepared statement for `sql` in *out: from the cache, or prepared and
 * cached. Returns 0 or a status (store_errmsg says why). The statement is
 * the cache's: the caller resets it after use and never finalises it. */
static int
stmt_for(store *st, const char *sql, sqlite3_stmt **out)
{
	void **slot = store_sqlite_find_slot(st);
	struct find_state *fs = *slot;
	struct cache_entry *victim;
	sqlite3_stmt *s;
	char *copy;
	int rc;

	if (fs == NULL && (fs = *slot = calloc(1, sizeof *fs)) == NULL)
		return store_failf(st, ST(RESOURCE_EXHAUSTED), "out of memory");
	victim = &fs->e[0];
	for (int i = 0; i < CACHE_SIZE; i++) {
		if (fs->e[i].sql != NULL && strcmp(fs->e[i].sql, sql) == 0) {
			fs->e[i].used = ++fs->clock;
			*out = fs->e[i].stmt;
			return 0;
		}
		if (fs->e[i].used < victim->used)
			victim = &fs->e[i];
	}
	rc = sqlite3_prepare_v3(store_sqlite_db(st), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_fail(st, rc);
	if ((copy = strdup(sql)) == NULL) {
		sqlite3_finalize(s);
		return store_failf(st, ST(RESOURCE_EXHAUSTED), "out of memory");
	}
	if (victim->stmt != NULL) {
		fs->evicted_fullscan +=
		    sqlite3_stmt_status(victim->stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
		fs->evicted_sorts += sqlite3_stmt_status(victim->stmt, SQLITE_STMTSTATUS_SORT, 0);
	}
	sqlite3_finalize(victim->stmt);
	free(victim->sql);
	victim->sql = copy;
	victim->stmt = s;
	victim->used = ++fs->clock;
	*out = s;
	return 0;
}

/* Binders by parameter name; a name the statement lacks is skipped, so one
 * binder serves every shape. Text is borrowed until the statement resets. */
static void
bind_i64(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);
	if (i > 0)
		sqlite3_bind_int64(s, i, v);
}

static void
bind_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);
	if (i > 0)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void
done_with(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int
prepare_built(store *st, struct store_sql *b, sqlite3_stmt **out)
{
	if (b->overflow)
		return store_failf(st, ST(INTERNAL), "query text too long");
	return stmt_for(st, b->text, out);
}

/* ---- filters ------------------------------------------------------------- */

/* The equality filters: their column, parameter, index and stat dimension. */
enum { EQ_ENABLED, EQ_PRODUCT, EQ_PERSONA, EQ_LANGUAGE, EQ_BRAND, N_EQ };
static const struct {
	const char *col, *param, *index, *dim;
} eq[N_EQ] = {
    [EQ_ENABLED] = {"enabled", ":enabled", "jobs_by_enabled", NULL},
    [EQ_PRODUCT] = {"product", ":product", "jobs_by_product", "product"},
    [EQ_PERSONA] = {"persona", ":persona", "jobs_by_persona", "persona"},
    [EQ_LANGUAGE] = {"language", ":language", "jobs_by_language", "language"},
    [EQ_BRAND] = {"brand_name", ":brand", "jobs_by_brand", "brand"},
};

static const char *
eq_text(const Jobs__V1__JobFilter *f, int k)
{
	switch (k) {
	case EQ_PRODUCT:
		return f->product;
	case EQ_PERSONA:
		return f->persona;
	case EQ_LANGUAGE:
		return f->language;
	case EQ_BRAND:
		return f->brand_name;
	default:
		return "";
	}
}

static bool
eq_set(const Jobs__V1__JobFilter *f, int k)
{
	if (f == NULL)
		return false;
	if (k == EQ_ENABLED)
		return f->enabled != JOBS__V1__ENABLED_FILTER__ENABLED_ANY;
	return *eq_text(f, k) != '\0';
}

/* Appends " AND ..." for each condition of `f` (NULL: none). */
static void
filter_sql(struct store_sql *b, const Jobs__V1__JobFilter *f)
{
	if (f == NULL)
		return;
	for (int k = 0; k < N_EQ; k++)
		if (eq_set(f, k))
			store_sql_add(b, " AND jobs.%s = %s", eq[k].col, eq[k].param);
	if (f->created_after != 0)
		store_sql_add(b, " AND jobs.created_at >= :c_after");
	if (f->created_before != 0)
		store_sql_add(b, " AND jobs.created_at < :c_before");
	if (f->updated_after != 0)
		store_sql_add(b, " AND jobs.updated_at >= :u_after");
	if (f->updated_before != 0)
		store_sql_add(b, " AND jobs.updated_at < :u_before");
}

static void
filter_bind(sqlite3_stmt *s, const Jobs__V1__JobFilter *f)
{
	if (f == NULL)
		return;
	bind_i64(s, ":enabled", f->enabled == JOBS__V1__ENABLED_FILTER__ENABLED_ONLY ? 1 : 0);
	for (int k = EQ_PRODUCT; k < N_EQ; k++)
		bind_text(s, eq[k].param, eq_text(f, k));
	bind_i64(s, ":c_after", f->created_after);
	bind_i64(s, ":c_before", f->created_before);
	bind_i64(s, ":u_after", f->updated_after);
	bind_i64(s, ":u_before", f->updated_before);
}

/* How many jobs pass equality filter k alone, from the counters. */
static int
count_of(store *st, const Jobs__V1__JobFilter *f, int k, int64_t *n)
{
	sqlite3_stmt *s;
	int rc, rv;

	*n = 0;
	if (k == EQ_ENABLED) {
		rv = stmt_for(st,
		              "SELECT (SELECT n FROM stat_totals WHERE key = 'enabled'), "
		              "(SELECT n FROM stat_totals WHERE key = 'total')",
		              &s);
		if (rv != 0)
			return rv;
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t enabled = sqlite3_column_int64(s, 0);
			*n = f->enabled == JOBS__V1__ENABLED_FILTER__ENABLED_ONLY
			         ? enabled
			         : sqlite3_column_int64(s, 1) - enabled;
		}
	} else {
		if ((rv = stmt_for(st, "SELECT n FROM stat_values WHERE dim = ?1 AND value = ?2",
		                   &s)) != 0)
			return rv;
		sqlite3_bind_text(s, 1, eq[k].dim, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, eq_text(f, k), -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW)
			*n = sqlite3_column_int64(s, 0);
	}
	rv = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_sqlite_fail(st, rc);
	done_with(s);
	return rv;
}

/* The equality filter whose index drives listing `q`, or -1 for the order's
 * own index (see the top of this file). */
static int
driver(store *st, const store_list *q, int *drive)
{
	int64_t best_n = INT64_MAX, n;
	int rv;

	*drive = -1;
	for (int k = 0; k < N_EQ; k++) {
		if (!eq_set(q->filter, k))
			continue;
		if ((rv = count_of(st, q->filter, k, &n)) != 0)
			return rv;
		if (n < best_n) {
			best_n = n;
			*drive = k;
		}
	}
	if (*drive >= 0 && q->order != STORE_BY_CREATED && best_n > SORT_LIMIT)
		*drive = -1;
	return 0;
}

/* ---- pages of jobs -------------------------------------------------------- */

/* Appends the job in the current row of `s`. */
static int
page_add(store_page *p, sqlite3_stmt *s, bool summary, arena *a, size_t *bytes)
{
	Jobs__V1__Job **j = &p->jobs[p->n_jobs];
	int rv = store_sqlite_row_to_job(s, a, j, bytes);

	if (rv != 0)
		return rv;
	if (summary)
		(*j)->etag = (char *)"";
	p->n_jobs++;
	return 0;
}

/* The SQL of listing `q` in *b (see the top of this file). */
static int
list_sql(store *st, const store_list *q, struct store_sql *b)
{
	static const char *const key[] = {
	    [STORE_BY_CREATED] = "created_at",
	    [STORE_BY_UPDATED] = "updated_at",
	    [STORE_BY_NAME] = "job_name",
	};
	static const char *const key_index[] = {
	    [STORE_BY_CREATED] = "jobs_by_created",
	    [STORE_BY_UPDATED] = "jobs_by_updated",
	    [STORE_BY_NAME] = "jobs_by_name",
	};
	const char *dir = q->ascending ? "ASC" : "DESC";
	int drive, rv;

	if ((rv = driver(st, q, &drive)) != 0)
		return rv;
	store_sql_add(b, "SELECT %s FROM jobs INDEXED BY %s WHERE 1",
	              q->summary ? SUMMARY_COLUMNS : STORE_JOB_COLUMNS,
	              drive >= 0 ? eq[drive].index : key_index[q->order]);
	filter_sql(b, q->filter);
	if (q->after)
		store_sql_add(b, " AND (jobs.%s, jobs.id) %s (:key, :id)", key[q->order],
		              q->ascending ? ">" : "<");
	store_sql_add(b, " ORDER BY jobs.%s %s, jobs.id %s LIMIT :limit", key[q->order], dir, dir);
	return 0;
}

int
store_sqlite_list(store *st, const store_list *q, arena *a, store_page *out)
{
	struct store_sql b = {.n = 0};
	size_t bytes = 0;
	sqlite3_stmt *s;
	int rc, rv;

	if ((rv = store_page_init(out, q->limit, a)) != 0)
		return rv;
	if ((rv = list_sql(st, q, &b)) != 0 || (rv = prepare_built(st, &b, &s)) != 0)
		return rv;
	filter_bind(s, q->filter);
	if (q->after) {
		if (q->order == STORE_BY_NAME)
			bind_text(s, ":key", q->after_text != NULL ? q->after_text : "");
		else
			bind_i64(s, ":key", q->after_created);
		bind_text(s, ":id", q->after_id);
	}
	/* One row more than the page: it tells whether another page follows. */
	bind_i64(s, ":limit", q->limit + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (out->n_jobs == (size_t)q->limit || bytes >= q->max_bytes) {
			out->more = true;
			break;
		}
		if ((rv = page_add(out, s, q->summary, a, &bytes)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rv = store_sqlite_fail(st, rc);
	done_with(s);
	return rv;
}

int
store_sqlite_list_plan(store *st, const store_list *q, char *out, size_t outlen)
{
	struct store_sql b = {.n = 0};
	sqlite3_stmt *s;
	size_t n = 0;
	int rc, rv;

	store_sql_add(&b, "EXPLAIN QUERY PLAN ");
	if ((rv = list_sql(st, q, &b)) != 0)
		return rv;
	if (b.overflow)
		return store_failf(st, ST(INTERNAL), "query text too long");
	rc = sqlite3_prepare_v2(store_sqlite_db(st), b.text, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_fail(st, rc);
	*out = '\0';
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(s, 3);
		int k = snprintf(out + n, outlen - n, "%s%s", n > 0 ? "; " : "",
		                 detail != NULL ? detail : "");
		if (k < 0 || (size_t)k >= outlen - n)
			break;
		n += (size_t)k;
	}
	sqlite3_finalize(s);
	return 0;
}

/* ---- search ---------------------------------------------------------------- */

/* `text` as one FTS5 string: in double quotes, each '"' doubled. Inside
 * quotes FTS5 sees no syntax at all, only text for its tokenizer. */
static size_t
quote(char *dst, const char *text)
{
	size_t n = 0;

	dst[n++] = '"';
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"')
			dst[n++] = '"';
		dst[n++] = *p;
	}
	dst[n++] = '"';
	return n;
}

/* The columns a substring is looked for in: all but the hook. */
#define SUBSTRING_COLUMNS "{job_name product brand_name persona} : "

/* Whether substring search `q` goes to jobs_fts (see the top of this file). */
static bool
substring_in_words(const store_search *q)
{
	return cjk_only(q->substring, strlen(q->substring));
}

/* The FTS5 MATCH expression of a search, from the arena: the quoted terms
 * separated by spaces (implicit AND), " *" after a prefix term; for a
 * substring, the quoted text, limited to SUBSTRING_COLUMNS in jobs_fts. */
static char *
match_text(const store_search *q, arena *a)
{
	size_t cap = sizeof SUBSTRING_COLUMNS, n = 0;
	char *m;

	if (q->substring != NULL)
		cap += 2 * strlen(q->substring) + 2;
	for (size_t i = 0; i < q->n_terms; i++)
		cap += 2 * strlen(q->terms[i].text) + 5;
	if ((m = arena_alloc(a, cap)) == NULL)
		return NULL;
	if (q->substring != NULL && substring_in_words(q)) {
		memcpy(m, SUBSTRING_COLUMNS, sizeof SUBSTRING_COLUMNS - 1);
		n = sizeof SUBSTRING_COLUMNS - 1;
	}
	if (q->substring != NULL)
		n += quote(m + n, q->substring);
	for (size_t i = 0; i < q->n_terms; i++) {
		if (n > 0)
			m[n++] = ' ';
		n += quote(m + n, q->terms[i].text);
		if (q->terms[i].prefix) {
			memcpy(m + n, " *", 2);
			n += 2;
		}
	}
	m[n] = '\0';
	return m;
}

/* Appends the job with rowid `seq`, its score and snippet, to `out`. */
static int
hit_add(store *st, const store_search *q, const char *table, const char *match, int64_t seq,
        double score, arena *a, store_hits *out, size_t *bytes)
{
	size_t i = out->page.n_jobs;
	sqlite3_stmt *s;
	struct store_sql b = {.n = 0};
	int rc, rv;

	store_sql_add(&b, "SELECT %s FROM jobs WHERE seq = :seq",
	              q->summary ? SUMMARY_COLUMNS : STORE_JOB_COLUMNS);
	if ((rv = prepare_built(st, &b, &s)) != 0)
		return rv;
	bind_i64(s, ":seq", seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rv = page_add(&out->page, s, q->summary, a, bytes);
	else
		rv = rc == SQLITE_DONE
		         ? store_failf(st, ST(INTERNAL), "search index is out of sync")
		         : store_sqlite_fail(st, rc);
	done_with(s);
	if (rv != 0)
		return rv;
	out->scores[i] = score;
	if (!q->snippets)
		return 0;

	b.n = 0;
	store_sql_add(
	    &b,
	    "SELECT snippet(%s, -1, '[', ']', '…', 12) FROM %s WHERE %s MATCH :q AND rowid = "
	    ":seq",
	    table, table, table);
	if ((rv = prepare_built(st, &b, &s)) != 0)
		return rv;
	bind_text(s, ":q", match);
	bind_i64(s, ":seq", seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		out->snippets[i] = arena_strdup(a, t != NULL ? t : "");
		rv = out->snippets[i] != NULL ? 0 : ST(RESOURCE_EXHAUSTED);
	} else {
		out->snippets[i] = (char *)"";
		rv = rc == SQLITE_DONE ? 0 : store_sqlite_fail(st, rc);
	}
	done_with(s);
	return rv;
}

/* Maps a failure of a MATCH query: FTS5 syntax errors are the caller's. */
static int
match_failed(store *st, int rc)
{
	int rv = store_sqlite_fail(st, rc);
	return rv == ST(INTERNAL) && (rc & 0xff) == SQLITE_ERROR ? ST(INVALID_ARGUMENT) : rv;
}

/* Substring search: jobs_tri (or jobs_fts, for CJK text), newest first,
 * keyset on seq. */
static int
search_substring(store *st, const store_search *q, const char *match, arena *a, store_hits *out)
{
	const char *t = substring_in_words(q) ? "jobs_fts" : "jobs_tri";
	struct store_sql b = {.n = 0};
	size_t bytes = 0;
	int64_t seqs[101];
	size_t n = 0;
	sqlite3_stmt *s;
	int rc, rv;

	if (q->limit > 100)
		return store_failf(st, ST(INVALID_ARGUMENT), "page too large");
	store_sql_add(&b, "SELECT %s.rowid FROM %s", t, t);
	if (q->filter != NULL)
		store_sql_add(&b, " JOIN jobs ON jobs.seq = %s.rowid", t);
	store_sql_add(&b, " WHERE %s MATCH :q", t);
	if (q->after)
		store_sql_add(&b, " AND %s.rowid < :after", t);
	filter_sql(&b, q->filter);
	store_sql_add(&b, " ORDER BY %s.rowid DESC LIMIT :limit", t);
	if ((rv = prepare_built(st, &b, &s)) != 0)
		return rv;
	bind_text(s, ":q", match);
	bind_i64(s, ":after", q->after_seq);
	filter_bind(s, q->filter);
	bind_i64(s, ":limit", q->limit + 1);
	/* Collect first: the rows are read with other statements. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		seqs[n++] = sqlite3_column_int64(s, 0);
	rv = rc == SQLITE_DONE ? 0 : match_failed(st, rc);
	done_with(s);
	for (size_t i = 0; rv == 0 && i < n; i++) {
		if (i == (size_t)q->limit || bytes >= q->max_bytes) {
			out->page.more = true;
			break;
		}
		rv = hit_add(st, q, t, match, seqs[i], 0, a, out, &bytes);
		out->in_block = true;
		out->seq = seqs[i];
	}
	return rv;
}

/* The seq of the newest match at or below `top` in *seq; INT64_MIN when
 * there is none. */
static int
newest_match(store *st, const store_search *q, const char *match, int64_t top, int64_t *seq)
{
	struct store_sql b = {.n = 0};
	sqlite3_stmt *s;
	int rc, rv;

	store_sql_add(&b, "SELECT jobs_fts.rowid FROM jobs_fts%s WHERE jobs_fts MATCH :q",
	              q->filter != NULL ? " JOIN jobs ON jobs.seq = jobs_fts.rowid" : "");
	store_sql_add(&b, " AND jobs_fts.rowid <= :top");
	filter_sql(&b, q->filter);
	store_sql_add(&b, " ORDER BY jobs_fts.rowid DESC LIMIT 1");
	if ((rv = prepare_built(st, &b, &s)) != 0)
		return rv;
	bind_text(s, ":q", match);
	bind_i64(s, ":top", top);
	filter_bind(s, q->filter);
	rc = sqlite3_step(s);
	*seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : INT64_MIN;
	rv = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : match_failed(st, rc);
	done_with(s);
	return rv;
}

/*
 * The matches of the block that ends at `top`, best first (by_rank), into
 * *rows (from the arena; at most STORE_SEARCH_BLOCK). With have_lo, the
 * block is [*lo, top]. Without, it is entered now: the latest
 * STORE_SEARCH_BLOCK matches at or below top, read newest first with their
 * ranks in one pass and sorted here, and *lo becomes the oldest one's seq,
 * INT64_MIN when there were fewer (the last block).
 */
static int
rank_block(store *st, const store_search *q, const char *match, bool have_lo, int64_t *lo,
           int64_t top, arena *a, struct store_ranked **rows, size_t *n)
{
	struct store_sql b = {.n = 0};
	sqlite3_stmt *s;
	int rc, rv;

	*n = 0;
	if ((*rows = arena_alloc(a, sizeof **rows * STORE_SEARCH_BLOCK)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	store_sql_add(&b, "SELECT jobs_fts.rowid, jobs_fts.rank FROM jobs_fts%s",
	              q->filter != NULL ? " JOIN jobs ON jobs.seq = jobs_fts.rowid" : "");
	store_sql_add(&b, " WHERE jobs_fts MATCH :q AND jobs_fts.rowid <= :top%s",
	              have_lo ? " AND jobs_fts.rowid >= :lo" : "");
	filter_sql(&b, q->filter);
	store_sql_add(&b, " ORDER BY %s LIMIT :limit",
	              have_lo ? "jobs_fts.rank, jobs_fts.rowid DESC" : "jobs_fts.rowid DESC");
	if ((rv = prepare_built(st, &b, &s)) != 0)
		return rv;
	bind_text(s, ":q", match);
	if (have_lo)
		bind_i64(s, ":lo", *lo);
	bind_i64(s, ":top", top);
	filter_bind(s, q->filter);
	bind_i64(s, ":limit", STORE_SEARCH_BLOCK);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		(*rows)[*n].seq = sqlite3_column_int64(s, 0);
		(*rows)[*n].rank = sqlite3_column_double(s, 1);
		(*n)++;
	}
	rv = rc == SQLITE_DONE ? 0 : match_failed(st, rc);
	done_with(s);
	if (rv == 0 && !have_lo)
		*lo = *n == STORE_SEARCH_BLOCK ? (*rows)[*n - 1].seq : INT64_MIN;
	return rv;
}

/* The highest seq now. */
static int
top_seq(const struct store_words *w, int64_t *top)
{
	sqlite3_stmt *s;
	int rc, rv;

	if ((rv = stmt_for(w->st, "SELECT max(seq) FROM jobs", &s)) != 0)
		return rv;
	rc = sqlite3_step(s);
	*top = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	rv = rc == SQLITE_ROW ? 0 : store_sqlite_fail(w->st, rc);
	done_with(s);
	return rv;
}

static int
words_block(const struct store_words *w, bool have_lo, int64_t *lo, int64_t top, arena *a,
            struct store_ranked **rows, size_t *n)
{
	return rank_block(w->st, w->q, w->match, have_lo, lo, top, a, rows, n);
}

static int
words_newest(const struct store_words *w, int64_t top, int64_t *seq)
{
	return newest_match(w->st, w->q, w->match, top, seq);
}

static int
words_add(const struct store_words *w, int64_t seq, double score, arena *a, store_hits *out,
          size_t *bytes)
{
	return hit_add(w->st, w->q, "jobs_fts", w->match, seq, score, a, out, bytes);
}

int
store_sqlite_search(store *st, const store_search *q, arena *a, store_hits *out)
{
	store_search plain;
	struct store_words w = {.st = st,
	                        .top = top_seq,
	                        .block = words_block,
	                        .newest = words_newest,
	                        .add = words_add};
	char *match;

	if ((q = store_hits_init(q, &plain, a, out)) == NULL || (match = match_text(q, a)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	if (q->substring != NULL)
		return search_substring(st, q, match, a, out);
	w.q = q;
	w.match = match;
	return store_search_words(&w, a, out);
}

/* ---- statistics ------------------------------------------------------------- */

/* The top `top` values of dimension `dim`, most jobs first, ties by value. */
static int
top_values(store *st, const char *dim, int top, arena *a, Jobs__V1__ValueCount ***out, size_t *n)
{
	sqlite3_stmt *s;
	int rc, rv;

	*n = 0;
	if ((*out = arena_alloc(a, sizeof **out * (size_t)top)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	rv = stmt_for(st,
	              "SELECT value, n FROM stat_values INDEXED BY stat_values_by_n "
	              "WHERE dim = ?1 ORDER BY n DESC, value LIMIT ?2",
	              &s);
	if (rv != 0)
		return rv;
	sqlite3_bind_text(s, 1, dim, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, top);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		Jobs__V1__ValueCount *v = arena_alloc(a, sizeof *v);
		const char *t = (const char *)sqlite3_column_text(s, 0);

		if (v == NULL) {
			rv = ST(RESOURCE_EXHAUSTED);
			break;
		}
		jobs__v1__value_count__init(v);
		if ((v->value = arena_strdup(a, t != NULL ? t : "")) == NULL) {
			rv = ST(RESOURCE_EXHAUSTED);
			break;
		}
		v->count = sqlite3_column_int64(s, 1);
		(*out)[(*n)++] = v;
	}
	if (rv == 0 && rc != SQLITE_DONE)
		rv = store_sqlite_fail(st, rc);
	done_with(s);
	return rv;
}

int
store_sqlite_stats(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
                   Jobs__V1__GetStatsResponse *out)
{
	sqlite3_stmt *s;
	int rc, rv;

	if ((rv = stmt_for(st, "SELECT key, n FROM stat_totals", &s)) != 0)
		return rv;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		static const struct {
			const char *key;
			size_t offset;
		} totals[] = {
		    {"total", offsetof(Jobs__V1__GetStatsResponse, total_jobs)},
		    {"enabled", offsetof(Jobs__V1__GetStatsResponse, enabled_jobs)},
		    {"unique:product", offsetof(Jobs__V1__GetStatsResponse, unique_products)},
		    {"unique:persona", offsetof(Jobs__V1__GetStatsResponse, unique_personas)},
		    {"unique:language", offsetof(Jobs__V1__GetStatsResponse, unique_languages)},
		    {"unique:brand", offsetof(Jobs__V1__GetStatsResponse, unique_brands)},
		};
		const char *key = (const char *)sqlite3_column_text(s, 0);

		for (size_t i = 0; key != NULL && i < sizeof totals / sizeof totals[0]; i++)
			if (strcmp(key, totals[i].key) == 0)
				*(int64_t *)((char *)out + totals[i].offset) =
				    sqlite3_column_int64(s, 1);
	}
	rv = rc == SQLITE_DONE ? 0 : store_sqlite_fail(st, rc);
	done_with(s);
	if (rv != 0)
		return rv;
	out->disabled_jobs = out->total_jobs - out->enabled_jobs;

	if ((rv = top_values(st, "product", top, a, &out->by_product, &out->n_by_product)) != 0 ||
	    (rv = top_values(st, "language", top, a, &out->by_language, &out->n_by_language)) !=
	        0 ||
	    (rv = top_values(st, "persona", top, a, &out->by_persona, &out->n_by_persona)) != 0 ||
	    (rv = top_values(st, "brand", top, a, &out->by_brand, &out->n_by_brand)) != 0)
		return rv;

	/* Every day of the range, zeros included. */
	if ((rv = store_stats_days(st, day_from, day_to, a, out)) != 0)
		return rv;
	rv = stmt_for(st, "SELECT day, n FROM stat_days WHERE day BETWEEN ?1 AND ?2", &s);
	if (rv != 0)
		return rv;
	sqlite3_bind_int64(s, 1, day_from);
	sqlite3_bind_int64(s, 2, day_to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		out->created_per_day[sqlite3_column_int64(s, 0) - day_from]->count =
		    sqlite3_column_int64(s, 1);
	rv = rc == SQLITE_DONE ? 0 : store_sqlite_fail(st, rc);
	done_with(s);
	return rv;
}
