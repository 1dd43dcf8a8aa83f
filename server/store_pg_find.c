/*
 * store_pg_find.c: finding jobs on PostgreSQL: filtered, ordered listings
 * (ListJobs), word and substring search (SearchJobs) and statistics
 * (GetStats). See store.h for the interface and store_pg_schema.c for the
 * tables and indexes these queries read.
 *
 * LISTINGS. A listing's SQL is built from its shape (filters, order,
 * direction, resumption, view); every value is a parameter. Each runs as an
 * unnamed statement, planned for its values: PostgreSQL's statistics then
 * choose between a filter's index and the order's, which a generic plan
 * could not (a product held by three jobs and one held by half of them want
 * different plans). A page resumes from the last (key, id) with a row
 * comparison, which the (key, id) indexes answer as a range.
 *
 * SEARCH. Words: each term becomes a tsquery phrase of its words (the last
 * one a prefix, for `lant*`), built here from the words alone, so no text a
 * person types reaches to_tsquery as an operator; a run of Chinese, Japanese
 * or Korean text in it becomes the phrase of its characters and pairs, as
 * the index holds them (cjk.c, jobs_words() in the schema). Matches are
 * ranked by ts_rank with the weights of the columns (name 1.0, product and
 * brand 0.4, persona 0.2, hook 0.1), in blocks of STORE_SEARCH_BLOCK as on
 * SQLite (store_find.c walks the blocks). Substrings: ILIKE on the trigram
 * index, newest first; CJK text alone through the words instead.
 *
 * STATISTICS. The folded counts (stat_values, stat_totals, stat_days) plus
 * the changes not folded yet (stat_changes): exact at any moment, a few
 * hundred rows at most to read when the writer folds once a second.
 */
#include "cjk.h"
#include "status.h"
#include "store_pg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The summary view: the legacy manifest's fields, constants for the rest
 * (in STORE_JOB_COLUMNS order, with their types). */
#define SUMMARY_COLUMNS                                                                            \
	"id, job_name, product, ''::text, ''::text, ''::text, ''::text, ''::text, ''::text, "      \
	"''::text, enabled, created_at, 'epoch'::timestamptz, 0::int8, NULL::json, NULL::json"

static int
run_built(store *st, const struct store_sql *b, const struct pg_params *p, PGresult **r)
{
	*r = NULL;
	if (b->overflow)
		return store_failf(st, ST(INTERNAL), "query text too long");
	return store_pg_query(st, b->text, p, r);
}

/* ---- filters -------------------------------------------------------------------- */

/* Appends " AND ..." for each condition of `f` (NULL: none), its values to p. */
static void
filter_sql(struct store_sql *b, struct pg_params *p, const Jobs__V1__JobFilter *f)
{
	static const struct {
		size_t offset;
		const char *col;
	} eq[] = {
	    {offsetof(Jobs__V1__JobFilter, product), "product"},
	    {offsetof(Jobs__V1__JobFilter, language), "language"},
	    {offsetof(Jobs__V1__JobFilter, brand_name), "brand_name"},
	};
	static const struct {
		size_t offset;
		const char *cond;
	} times[] = {
	    {offsetof(Jobs__V1__JobFilter, created_after), "created_at >="},
	    {offsetof(Jobs__V1__JobFilter, created_before), "created_at <"},
	    {offsetof(Jobs__V1__JobFilter, updated_after), "updated_at >="},
	    {offsetof(Jobs__V1__JobFilter, updated_before), "updated_at <"},
	};

	if (f == NULL)
		return;
	if (f->enabled != JOBS__V1__ENABLED_FILTER__ENABLED_ANY) {
		store_pg_bool(p, f->enabled == JOBS__V1__ENABLED_FILTER__ENABLED_ONLY);
		store_sql_add(b, " AND jobs.enabled = $%d", p->n);
	}
	for (size_t k = 0; k < sizeof eq / sizeof eq[0]; k++) {
		const char *v = *(const char *const *)((const char *)f + eq[k].offset);
		if (*v != '\0') {
			store_pg_text(p, v);
			store_sql_add(b, " AND jobs.%s = $%d", eq[k].col, p->n);
		}
	}
	/* The persona's index holds its first 200 characters (see the schema). */
	if (*f->persona != '\0') {
		store_pg_text(p, f->persona);
		store_sql_add(
		    b, " AND left(jobs.persona, 200) = left($%d, 200) AND jobs.persona = $%d", p->n,
		    p->n);
	}
	for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
		int64_t t = *(const int64_t *)((const char *)f + times[k].offset);
		if (t != 0) {
			store_pg_time(p, t);
			store_sql_add(b, " AND jobs.%s $%d", times[k].cond, p->n);
		}
	}
}

/* ---- pages of jobs ---------------------------------------------------------------- */

/* Appends the job in row `row` of r. */
static int
page_add(store_page *pg, const PGresult *r, int row, bool summary, arena *a, size_t *bytes)
{
	Jobs__V1__Job **j = &pg->jobs[pg->n_jobs];
	int rv = store_pg_row_to_job(r, row, a, j, bytes);

	if (rv != 0)
		return rv;
	if (summary) {
		(*j)->etag = (char *)"";
		(*j)->updated_at = 0;
	}
	pg->n_jobs++;
	return 0;
}

/* The SQL and parameters of listing `q`. */
static void
list_sql(const store_list *q, struct store_sql *b, struct pg_params *p)
{
	static const char *const key[] = {
	    [STORE_BY_CREATED] = "created_at",
	    [STORE_BY_UPDATED] = "updated_at",
	    [STORE_BY_NAME] = "job_name",
	};
	const char *dir = q->ascending ? "ASC" : "DESC";

	store_sql_add(b, "SELECT %s FROM jobs WHERE true",
	              q->summary ? SUMMARY_COLUMNS : STORE_JOB_COLUMNS);
	filter_sql(b, p, q->filter);
	if (q->after) {
		if (q->order == STORE_BY_NAME)
			store_pg_text(p, q->after_text != NULL ? q->after_text : "");
		else
			store_pg_time(p, q->after_created);
		store_pg_text(p, q->after_id);
		store_sql_add(b, " AND (jobs.%s, jobs.id) %s ($%d, $%d)", key[q->order],
		              q->ascending ? ">" : "<", p->n - 1, p->n);
	}
	/* One row more than the page: it tells whether another page follows. */
	store_pg_int8(p, q->limit + 1);
	store_sql_add(b, " ORDER BY jobs.%s %s, jobs.id %s LIMIT $%d", key[q->order], dir, dir,
	              p->n);
}

int
store_pg_list(store *st, const store_list *q, arena *a, store_page *out)
{
	struct store_sql b = {.n = 0};
	struct pg_params p = {0};
	size_t bytes = 0;
	PGresult *r;
	int rv;

	if ((rv = store_page_init(out, q->limit, a)) != 0)
		return rv;
	list_sql(q, &b, &p);
	if ((rv = run_built(st, &b, &p, &r)) != 0)
		return rv;
	for (int i = 0; i < PQntuples(r); i++) {
		if (out->n_jobs == (size_t)q->limit || bytes >= q->max_bytes) {
			out->more = true;
			break;
		}
		if ((rv = page_add(out, r, i, q->summary, a, &bytes)) != 0)
			break;
	}
	PQclear(r);
	return rv;
}

int
store_pg_list_plan(store *st, const store_list *q, char *out, size_t outlen)
{
	struct store_sql b = {.n = 0};
	struct pg_params p = {0};
	size_t n = 0;
	PGresult *r;
	int rv;

	store_sql_add(&b, "EXPLAIN (COSTS OFF) ");
	list_sql(q, &b, &p);
	if ((rv = run_built(st, &b, &p, &r)) != 0)
		return rv;
	*out = '\0';
	for (int i = 0; i < PQntuples(r); i++) {
		const char *line = PQgetvalue(r, i, 0);
		int k;

		while (*line == ' ')
			line++;
		k = snprintf(out + n, outlen - n, "%s%.*s", n > 0 ? "; " : "",
		             PQgetlength(r, i, 0) - (int)(line - PQgetvalue(r, i, 0)), line);
		if (k < 0 || (size_t)k >= outlen - n)
			break;
		n += (size_t)k;
	}
	PQclear(r);
	return 0;
}

/* ---- search -------------------------------------------------------------------------- */

/* Whether ch is part of a word (see jobs_words() in the schema). */
static bool
wordish(char ch)
{
	return (unsigned char)ch >= 0x80 || isalnum((unsigned char)ch);
}

/*
 * A tsquery being written (tsquery_text()). In the index a CJK run of n
 * characters is 2n - 1 words, character and pair in turn (jobs_words()):
 * 夏季促 is 夏 夏季 季 季促 促. A query's run is its pairs alone, two
 * positions apart (夏季 <2> 季促), which only a run holding 夏季促 has: its
 * characters would add nothing but long lists to read (a common character
 * is in many jobs), and a run of one character is that character. What
 * follows a run in a phrase follows its last character, which is one
 * position after the last pair: a Latin word, or a run of one, 2 positions
 * after it, a longer run's first pair 3; 1 and 2 after a Latin word (or a
 * run of one). A run ending there is what this asks: in a longer run, the
 * pair with the next character would stand in between.
 */
struct lexemes {
	char *m;
	size_t n;
	int in_term;         /* lexemes written in the current term */
	bool after_pair;     /* the last one written is a run's pair */
	int in_run;          /* tokens of the current CJK run seen */
	bool apart;          /* for ts_headline: CJK characters alone, in turn */
	const char *weights; /* after each lexeme: "" or ":ABC" */
	size_t word_len;     /* the word being written (word_lexemes())... */
	bool prefix;         /* ... and whether its end is a prefix */
};

/* What a lexeme is, for its distance from the one before (see above). */
enum lexeme_kind { WORD, FIRST_PAIR, PAIR };

/* Writes lexeme s[0..len) of that kind. */
static void
lexeme(struct lexemes *l, const char *s, size_t len, enum lexeme_kind kind, bool prefix)
{
	int gap = kind == PAIR ? 2 : (l->after_pair ? 2 : 1) + (kind == FIRST_PAIR);

	if (l->in_term++ == 0)
		l->n += (size_t)sprintf(l->m + l->n, "'%.*s'", (int)len, s);
	else if (gap == 1)
		l->n += (size_t)sprintf(l->m + l->n, " <-> '%.*s'", (int)len, s);
	else
		l->n += (size_t)sprintf(l->m + l->n, " <%d> '%.*s'", gap, (int)len, s);
	l->n += (size_t)sprintf(l->m + l->n, "%s%s", prefix ? ":*" : "", l->weights);
	l->after_pair = kind != WORD;
}

static int
run_token(void *l_, const char *tok, size_t len, size_t start, size_t end)
{
	struct lexemes *l = l_;
	bool pair = l->in_run++ % 2 == 1; /* a character, a pair, a character... */

	(void)start;
	(void)end;
	if (l->apart && !pair)
		lexeme(l, tok, len, WORD, false);
	else if (!l->apart && pair)
		lexeme(l, tok, len, l->in_run == 2 ? FIRST_PAIR : PAIR, false);
	return 0;
}

/* A stretch of a word (cjk_stretches()): a CJK run as its tokens (cjk.c),
 * the text between runs as it is, for PostgreSQL's parser. Text with no
 * letter or digit in it is left out: the parser finds no word in it and
 * to_tsquery() would take it for a stop word, a gap in the phrase that the
 * job's text does not have. */
static int
word_stretch(void *l_, const char *s, size_t len, size_t start, bool cjk)
{
	struct lexemes *l = l_;
	bool unused;

	if (cjk && (cjk_char(s, len, &unused) < len || l->apart)) {
		l->in_run = 0;
		return cjk_tokens(s, len, run_token, l);
	}
	if (cjk || cjk_has_alnum(s, len))
		lexeme(l, s, len, WORD, !cjk && l->prefix && start + len == l->word_len);
	return 0;
}

/* Writes the lexemes of the word s[0..n), the last one a prefix if asked. */
static void
word_lexemes(struct lexemes *l, const char *s, size_t n, bool prefix)
{
	l->word_len = n;
	l->prefix = prefix;
	cjk_stretches(s, n, word_stretch, l);
}

/* The tsquery of a word search, as text for to_tsquery('jobs_words', ...),
 * from the arena: each term a phrase of its words (`'solar' <-> 'lant':*`),
 * the terms joined by &. Words are what the job's words are made of (see
 * jobs_words() in the schema): every ASCII character that is not a letter or
 * a digit separates them, so no quote, backslash or operator a person types
 * survives into the text, and each word is quoted. A substring search of
 * CJK text (store_pg_search) is the phrase of its tokens, in the columns
 * of weights A, B and C: all but the hook. With `apart`, CJK runs are their
 * characters alone, as ts_headline sees them (jobs_cjk_apart()). */
static char *
tsquery_text(const store_search *q, bool apart, arena *a)
{
	const store_term sub = {.text = q->substring};
	const store_term *terms = q->substring != NULL ? &sub : q->terms;
	size_t n_terms = q->substring != NULL ? 1 : q->n_terms, cap = 1;
	struct lexemes l = {.apart = apart, .weights = q->substring != NULL ? ":ABC" : ""};

	/* At most 11 bytes out per byte in: a letter between punctuation
	 * marks, "a-", is " <-> 'a':ABC", 12 for 2. */
	for (size_t i = 0; i < n_terms; i++)
		cap += 11 * strlen(terms[i].text) + 16;
	if ((l.m = arena_alloc(a, cap)) == NULL)
		return NULL;
	for (size_t i = 0; i < n_terms; i++) {
		const char *p = terms[i].text, *first = NULL, *first_end = NULL;

		l.n += (size_t)sprintf(l.m + l.n, "%s(", i > 0 ? " & " : "");
		l.in_term = 0;
		l.after_pair = false;
		for (;;) {
			const char *start, *end;

			while (*p != '\0' && !wordish(*p))
				p++;
			if (*p == '\0')
				break;
			for (start = p; *p != '\0' && wordish(*p); p++)
				;
			end = p;
			while (*p != '\0' && !wordish(*p))
				p++;
			if (first == NULL) {
				first = start;
				first_end = end;
			}
			/* The last word of a prefix term is the prefix. */
			word_lexemes(&l, start, (size_t)(end - start),
			             terms[i].prefix && *p == '\0');
		}
		/* No letter or digit at all (☀): the text as it is, which
		 * to_tsquery() finds no word in, so the term matches nothing. */
		if (l.in_term == 0 && first != NULL)
			lexeme(&l, first, (size_t)(first_end - first), WORD, false);
		l.m[l.n++] = ')';
	}
	l.m[l.n] = '\0';
	return l.m;
}

/* ts_rank's weights of D, C, B, A: hook, persona, product and brand, name. */
#define RANK    "ts_rank('{0.1, 0.2, 0.4, 1.0}', jobs.words, to_tsquery('jobs_words', $1))::float8"
#define MATCHES "jobs.words @@ to_tsquery('jobs_words', $1)"

/* A word search on PostgreSQL: what store_search_words() is given, and the
 * hits read ahead. store_search_words() ranks a block's matches in place,
 * in the array words_block() returned, and adds them in that order: the
 * first hit added that was not read ahead says which ones follow, and as
 * many as the page still has room for are read at once (hits_read()). */
struct pg_words {
	struct store_words w;
	struct store_ranked *rows; /* the last block's matches */
	size_t n_rows;
	PGresult *ahead; /* the hits read ahead; NULL: none */
};

static int
words_top(const struct store_words *w, int64_t *top)
{
	PGresult *r;
	int rv = store_pg_query(w->st, "SELECT coalesce(max(seq), 0) FROM jobs", NULL, &r);

	if (rv == 0)
		*top = store_pg_get_int8(r, 0, 0);
	PQclear(r);
	return rv;
}

static int
words_block(const struct store_words *w, bool have_lo, int64_t *lo, int64_t top, arena *a,
            struct store_ranked **rows, size_t *n)
{
	struct store_sql b = {.n = 0};
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	*n = 0;
	if ((*rows = arena_alloc(a, sizeof **rows * STORE_SEARCH_BLOCK)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	store_pg_text(&p, w->match);
	store_pg_int8(&p, top);
	store_sql_add(&b,
	              "SELECT jobs.seq, " RANK " FROM jobs WHERE " MATCHES " AND jobs.seq <= $2");
	if (have_lo) {
		store_pg_int8(&p, *lo);
		store_sql_add(&b, " AND jobs.seq >= $3");
	}
	filter_sql(&b, &p, w->q->filter);
	store_sql_add(&b, " ORDER BY %s LIMIT %d", have_lo ? "2 DESC, 1 DESC" : "1 DESC",
	              STORE_SEARCH_BLOCK);
	if ((rv = run_built(w->st, &b, &p, &r)) != 0)
		return rv;
	for (int i = 0; i < PQntuples(r) && *n < STORE_SEARCH_BLOCK; i++) {
		(*rows)[*n].seq = store_pg_get_int8(r, i, 0);
		(*rows)[*n].rank = -store_pg_get_float8(r, i, 1);
		(*n)++;
	}
	PQclear(r);
	if (!have_lo)
		*lo = *n == STORE_SEARCH_BLOCK ? (*rows)[*n - 1].seq : INT64_MIN;
	((struct pg_words *)w)->rows = *rows; /* store_pg_search's */
	((struct pg_words *)w)->n_rows = *n;
	return 0;
}

static int
words_newest(const struct store_words *w, int64_t top, int64_t *seq)
{
	struct store_sql b = {.n = 0};
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	store_pg_text(&p, w->match);
	store_pg_int8(&p, top);
	store_sql_add(&b, "SELECT jobs.seq FROM jobs WHERE " MATCHES " AND jobs.seq <= $2");
	filter_sql(&b, &p, w->q->filter);
	store_sql_add(&b, " ORDER BY jobs.seq DESC LIMIT 1");
	if ((rv = run_built(w->st, &b, &p, &r)) != 0)
		return rv;
	*seq = PQntuples(r) > 0 ? store_pg_get_int8(r, 0, 0) : INT64_MIN;
	PQclear(r);
	return 0;
}

/* A word search's snippet: the first column, in the order of their weights,
 * that holds a match, with the matching words in [ ]. ts_headline parses the
 * column as it is, where a CJK run is one word: it is given the column with
 * each CJK character set apart by zero-width spaces (U+200B, which the parser
 * takes for a space; jobs_cjk_apart()) and the query with those characters
 * as words ($3); the highlights of neighbours are then joined and the
 * spaces taken out again ([夏][季] is [夏季]). */
#define HEADLINE(col)                                                                              \
	"WHEN to_tsvector('jobs_words', jobs_words(" col                                           \
	")) @@ to_tsquery('jobs_words', $2) THEN replace(regexp_replace(ts_headline("              \
	"'jobs_words', jobs_cjk_apart(" col "), to_tsquery('jobs_words', $3), 'StartSel=[, "       \
	"StopSel=], MaxWords=12, MinWords=4, ShortWord=0, MaxFragments=1'), "                      \
	"'\\]\\u200b+\\[', '', 'g'), chr(8203), '') "
#define SNIPPET                                                                                    \
	"CASE " HEADLINE("job_name") HEADLINE("product") HEADLINE("brand_name")                    \
	    HEADLINE("persona") HEADLINE("hook") "ELSE '' END"

/* A substring search's snippet: the first of the columns it searches that
 * holds the text, with the text in [ ] (ASCII case folded, as ILIKE). */
static char *
substring_snippet(const Jobs__V1__Job *j, const char *sub, arena *a)
{
	const char *cols[] = {j->job_name, j->product, j->brand_name, j->persona};

	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		const char *at = strcasestr(cols[i], sub);
		if (at != NULL)
			return arena_printf(a, "%.*s[%.*s]%s", (int)(at - cols[i]), cols[i],
			                    (int)strlen(sub), at, at + strlen(sub));
	}
	return arena_strdup(a, "");
}

/*
 * The jobs of a page's hits, read in one statement (a statement per hit
 * would cost a round trip each, most of a rare word's search): the rows of
 * seqs[0..n) in *r, any order, with the snippet of a word search when asked
 * (column N_COLUMNS) and the seq last. A job deleted since its match was
 * read (on another connection) is missing.
 */
static int
hits_read(store *st, const store_search *q, const char *match, const int64_t *seqs, size_t n,
          arena *a, PGresult **r)
{
	bool words = q->snippets && q->substring == NULL;
	struct store_sql b = {.n = 0};
	struct pg_params p = {0};
	char *list = arena_alloc(a, 21 * n + 3);
	size_t len = 0;

	*r = NULL;
	if (list == NULL)
		return ST(RESOURCE_EXHAUSTED);
	list[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(list + len, "%s%lld", i > 0 ? "," : "", (long long)seqs[i]);
	list[len++] = '}';
	list[len] = '\0';
	store_pg_text(&p, list);
	if (words) {
		const char *apart = tsquery_text(q, true, a);
		if (apart == NULL)
			return ST(RESOURCE_EXHAUSTED);
		store_pg_text(&p, match);
		store_pg_text(&p, apart);
	}
	store_sql_add(&b, "SELECT %s%s, seq FROM jobs WHERE seq = ANY ($1::int8[])",
	              q->summary ? SUMMARY_COLUMNS : STORE_JOB_COLUMNS, words ? ", " SNIPPET : "");
	return run_built(st, &b, &p, r);
}

/* Appends the job in row `row` of r (STORE_JOB_COLUMNS or the summary's,
 * then a word search's snippet when asked) to out, with its score and its
 * snippet if asked. */
static int
hit_row(const store_search *q, const PGresult *r, int row, double score, arena *a, store_hits *out,
        size_t *bytes)
{
	size_t i = out->page.n_jobs;
	int rv;

	if ((rv = page_add(&out->page, r, row, q->summary, a, bytes)) != 0)
		return rv;
	out->scores[i] = score;
	if (q->snippets && q->substring == NULL)
		out->snippets[i] = store_pg_get_text(r, row, N_COLUMNS, a);
	else if (q->snippets)
		out->snippets[i] = substring_snippet(out->page.jobs[i], q->substring, a);
	if (q->snippets && out->snippets[i] == NULL)
		return ST(RESOURCE_EXHAUSTED);
	return 0;
}

/* The row of r (hits_read()) that holds job `seq`; -1 if none. */
static int
hit_find(const PGresult *r, int64_t seq)
{
	for (int row = 0; r != NULL && row < PQntuples(r); row++)
		if (store_pg_get_int8(r, row, PQnfields(r) - 1) == seq)
			return row;
	return -1;
}

static int
words_add(const struct store_words *w_, int64_t seq, double score, arena *a, store_hits *out,
          size_t *bytes)
{
	struct pg_words *w = (struct pg_words *)w_; /* store_pg_search's */
	size_t i = 0, n = 1;
	int64_t *seqs = &seq;
	int row = hit_find(w->ahead, seq), rv;

	if (row >= 0)
		return hit_row(w->w.q, w->ahead, row, score, a, out, bytes);
	PQclear(w->ahead);
	w->ahead = NULL;
	while (i < w->n_rows && w->rows[i].seq != seq)
		i++;
	if (i < w->n_rows) {
		n = (size_t)w->w.q->limit - out->page.n_jobs;
		n = n < w->n_rows - i ? n : w->n_rows - i;
		if ((seqs = arena_alloc(a, sizeof *seqs * n)) == NULL)
			return ST(RESOURCE_EXHAUSTED);
		for (size_t k = 0; k < n; k++)
			seqs[k] = w->rows[i + k].seq;
	}
	if ((rv = hits_read(w->w.st, w->w.q, w->w.match, seqs, n, a, &w->ahead)) != 0)
		return rv;
	/* Not there: deleted since its match was read (another connection). */
	row = hit_find(w->ahead, seq);
	return row >= 0 ? hit_row(w->w.q, w->ahead, row, score, a, out, bytes) : 0;
}

/* `text` as an ILIKE pattern that finds it anywhere, from the arena: LIKE's
 * own characters in it are text. */
static char *
like_anywhere(const char *text, arena *a)
{
	char *pattern = arena_alloc(a, 2 * strlen(text) + 3), *d = pattern;

	if (pattern == NULL)
		return NULL;
	*d++ = '%';
	for (const char *c = text; *c != '\0'; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			*d++ = '\\';
		*d++ = *c;
	}
	*d++ = '%';
	*d = '\0';
	return pattern;
}

/* Substring search: newest first, keyset on seq. Through the trigram
 * index; a substring of CJK characters alone through the word index, as the
 * phrase of its tokens in the columns the trigram index holds (cjk.c): it
 * finds exactly the text that holds it, from one character on, where
 * pg_trgm extracts no trigram from fewer than three. */
static int
search_substring(store *st, const store_search *q, arena *a, store_hits *out)
{
	bool words = cjk_only(q->substring, strlen(q->substring));
	char *text = words ? tsquery_text(q, false, a) : like_anywhere(q->substring, a);
	struct store_sql b = {.n = 0};
	struct pg_params p = {0};
	size_t bytes = 0;
	PGresult *r;
	int rv;

	if (text == NULL)
		return ST(RESOURCE_EXHAUSTED);
	store_pg_text(&p, text);
	/* The page's jobs themselves, the seq last (as hits_read()'s). */
	store_sql_add(&b, "SELECT %s, jobs.seq FROM jobs WHERE ",
	              q->summary ? SUMMARY_COLUMNS : STORE_JOB_COLUMNS);
	if (words)
		store_sql_add(&b, MATCHES);
	else /* the very expression of the index jobs_trigrams */
		store_sql_add(&b, "(job_name || E'\\x1f' || product || E'\\x1f' || brand_name || "
		                  "E'\\x1f' || persona) ILIKE $1");
	if (q->after) {
		store_pg_int8(&p, q->after_seq);
		store_sql_add(&b, " AND jobs.seq < $%d", p.n);
	}
	filter_sql(&b, &p, q->filter);
	store_pg_int8(&p, q->limit + 1);
	store_sql_add(&b, " ORDER BY jobs.seq DESC LIMIT $%d", p.n);
	if ((rv = run_built(st, &b, &p, &r)) != 0)
		return rv;
	for (int i = 0; rv == 0 && i < PQntuples(r); i++) {
		if (out->page.n_jobs == (size_t)q->limit || bytes >= q->max_bytes) {
			out->page.more = true;
			break;
		}
		rv = hit_row(q, r, i, 0, a, out, &bytes);
		out->in_block = true;
		out->seq = store_pg_get_int8(r, i, N_COLUMNS);
	}
	PQclear(r);
	return rv;
}

int
store_pg_search(store *st, const store_search *q, arena *a, store_hits *out)
{
	store_search plain;
	struct pg_words w = {.w = {.st = st,
	                           .top = words_top,
	                           .block = words_block,
	                           .newest = words_newest,
	                           .add = words_add}};
	int rv;

	if ((q = store_hits_init(q, &plain, a, out)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	if (q->substring != NULL)
		return search_substring(st, q, a, out);
	w.w.q = q;
	if ((w.w.match = tsquery_text(q, false, a)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	rv = store_search_words(&w.w, a, out);
	PQclear(w.ahead);
	return rv;
}

/* ---- statistics ---------------------------------------------------------------------- */

/* The counts of every dimension's values, folded and not: (dim, value, n). */
#define VALUE_COUNTS                                                                               \
	"SELECT dim, value, sum(n) AS n FROM (SELECT dim, value, n FROM stat_values UNION ALL "    \
	"SELECT 'product', product, n FROM stat_changes UNION ALL SELECT 'language', language, n " \
	"FROM stat_changes UNION ALL SELECT 'persona', persona, n FROM stat_changes UNION ALL "    \
	"SELECT 'brand', brand_name, n FROM stat_changes) c GROUP BY dim, value HAVING sum(n) > 0"

int
store_pg_stats(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
               Jobs__V1__GetStatsResponse *out)
{
	static const struct {
		const char *dim;
		size_t values, n_values, unique;
	} dims[] = {
	    {"product", offsetof(Jobs__V1__GetStatsResponse, by_product),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_product),
	     offsetof(Jobs__V1__GetStatsResponse, unique_products)},
	    {"language", offsetof(Jobs__V1__GetStatsResponse, by_language),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_language),
	     offsetof(Jobs__V1__GetStatsResponse, unique_languages)},
	    {"persona", offsetof(Jobs__V1__GetStatsResponse, by_persona),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_persona),
	     offsetof(Jobs__V1__GetStatsResponse, unique_personas)},
	    {"brand", offsetof(Jobs__V1__GetStatsResponse, by_brand),
	     offsetof(Jobs__V1__GetStatsResponse, n_by_brand),
	     offsetof(Jobs__V1__GetStatsResponse, unique_brands)},
	};
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	/* One snapshot for the three reads: totals, values and days agree. */
	if ((rv = store_pg_query(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL,
	                         &r)) != 0)
		return rv;
	PQclear(r);

	rv = store_pg_query(
	    st,
	    "SELECT key, sum(n)::int8 FROM (SELECT key, n FROM stat_totals UNION ALL "
	    "SELECT 'total', n FROM stat_changes UNION ALL SELECT 'enabled', n FROM "
	    "stat_changes WHERE enabled) t GROUP BY key",
	    NULL, &r);
	if (rv != 0)
		goto done;
	for (int i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), "total") == 0)
			out->total_jobs = store_pg_get_int8(r, i, 1);
		else if (strcmp(PQgetvalue(r, i, 0), "enabled") == 0)
			out->enabled_jobs = store_pg_get_int8(r, i, 1);
	}
	PQclear(r);
	out->disabled_jobs = out->total_jobs - out->enabled_jobs;

	/* The top values of each dimension, most jobs first, ties by value. */
	store_pg_int8(&p, top);
	rv = store_pg_query(
	    st,
	    "SELECT dim, value, n::int8, uniq FROM (SELECT dim, value, n, count(*) OVER "
	    "(PARTITION BY dim) AS uniq, row_number() OVER (PARTITION BY dim ORDER BY n "
	    "DESC, value) AS r FROM (" VALUE_COUNTS ") v) t WHERE r <= $1 ORDER BY dim, r",
	    &p, &r);
	if (rv != 0)
		goto done;
	for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
		Jobs__V1__ValueCount ***values = (void *)((char *)out + dims[d].values);
		size_t *n = (size_t *)((char *)out + dims[d].n_values);

		*n = 0;
		if ((*values = arena_alloc(a, sizeof **values * (size_t)top)) == NULL) {
			rv = ST(RESOURCE_EXHAUSTED);
			break;
		}
		for (int i = 0; i < PQntuples(r); i++) {
			Jobs__V1__ValueCount *v;

			if (strcmp(PQgetvalue(r, i, 0), dims[d].dim) != 0)
				continue;
			*(int64_t *)((char *)out + dims[d].unique) = store_pg_get_int8(r, i, 3);
			if ((v = arena_alloc(a, sizeof *v)) == NULL) {
				rv = ST(RESOURCE_EXHAUSTED);
				break;
			}
			jobs__v1__value_count__init(v);
			if ((v->value = store_pg_get_text(r, i, 1, a)) == NULL) {
				rv = ST(RESOURCE_EXHAUSTED);
				break;
			}
			v->count = store_pg_get_int8(r, i, 2);
			(*values)[(*n)++] = v;
		}
	}
	PQclear(r);
	if (rv != 0)
		goto done;

	/* Every day of the range, zeros included. */
	if ((rv = store_stats_days(st, day_from, day_to, a, out)) != 0)
		goto done;
	p.n = 0;
	store_pg_int8(&p, day_from);
	store_pg_int8(&p, day_to);
	rv = store_pg_query(
	    st,
	    "SELECT (day - date '1970-01-01')::int8, sum(n)::int8 FROM (SELECT day, n FROM "
	    "stat_days UNION ALL SELECT day, n FROM stat_changes) d WHERE day BETWEEN "
	    "date '1970-01-01' + $1::int4 AND date '1970-01-01' + $2::int4 GROUP BY day",
	    &p, &r);
	if (rv != 0)
		goto done;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t day = store_pg_get_int8(r, i, 0);
		if (day >= day_from && day <= day_to)
			out->created_per_day[day - day_from]->count = store_pg_get_int8(r, i, 1);
	}
	PQclear(r);
done:
	if (store_pg_query(st, "COMMIT", NULL, &r) == 0)
		PQclear(r);
	return rv;
}

int
store_pg_fold_counts(store *st)
{
	struct pg_params p = {0};
	PGresult *r;
	int rv;

	if ((rv = store_pg_query(st, "BEGIN", NULL, &r)) != 0)
		return rv;
	PQclear(r);
	/* One folder at a time, across every jobsd on the database: the others
	 * have nothing to do meanwhile. */
	store_pg_int8(&p, STORE_PG_FOLD_LOCK);
	if ((rv = store_pg_query(st, "SELECT pg_try_advisory_xact_lock($1)", &p, &r)) != 0)
		goto done;
	bool mine = store_pg_get_bool(r, 0, 0);
	PQclear(r);
	if (!mine)
		goto done;
	rv = store_pg_query(
	    st,
	    "WITH c AS (DELETE FROM stat_changes RETURNING *), "
	    "v AS (INSERT INTO stat_values (dim, vkey, value, n) SELECT dim, md5(value)::uuid, "
	    "value, sum(n) FROM (SELECT 'product' AS dim, product AS value, n FROM c UNION ALL "
	    "SELECT 'language', language, n FROM c UNION ALL SELECT 'persona', persona, n FROM c "
	    "UNION ALL SELECT 'brand', brand_name, n FROM c) x GROUP BY dim, value HAVING sum(n) "
	    "<> "
	    "0 ON CONFLICT (dim, vkey) DO UPDATE SET n = stat_values.n + excluded.n), "
	    "t AS (UPDATE stat_totals SET n = stat_totals.n + d.n FROM (SELECT 'total' AS key, "
	    "sum(n) AS n FROM c UNION ALL SELECT 'enabled', sum(n) FROM c WHERE enabled) d WHERE "
	    "stat_totals.key = d.key AND d.n <> 0), "
	    "d AS (INSERT INTO stat_days SELECT day, sum(n) FROM c GROUP BY day HAVING sum(n) <> 0 "
	    "ON CONFLICT (day) DO UPDATE SET n = stat_days.n + excluded.n) "
	    "SELECT count(*) FROM c",
	    NULL, &r);
	PQclear(r);
done:
	if (rv == 0) {
		if ((rv = store_pg_query(st, "COMMIT", NULL, &r)) == 0)
			PQclear(r);
	} else if (store_pg_query(st, "ROLLBACK", NULL, &r) == 0) {
		PQclear(r);
	}
	return rv;
}
