/*
 * store_sqlite_cjk.c: the FTS5 tokenizer `cjk` of jobs_fts: another
 * tokenizer (unicode61 for jobs_fts) for the text between runs of Chinese,
 * Japanese and Korean characters, and cjk.c's characters and pairs for the
 * runs (cjk.c says why). A table names it with the wrapped tokenizer and its
 * arguments after it, as FTS5's porter does:
 *
 *     tokenize = 'cjk unicode61 remove_diacritics 2'
 *
 * FTS5 tokenizes a query's quoted strings with the table's tokenizer too, so
 * the phrase "夏季" becomes 夏 夏季 季 with no work of the store's.
 *
 * Every connection that reads or writes jobs_fts needs the tokenizer: it is
 * an automatic extension (sqlite3_auto_extension), registered on every
 * connection the process opens once store_sqlite_cjk_init() has run. Other
 * programs (the sqlite3 shell) can read and write the jobs table, whose
 * triggers only note what changed (the pending table), but not query
 * jobs_fts.
 */
#include "cjk.h"
#include "status.h"
#include "store_sqlite.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef int (*token_fn)(void *ctx, int tflags, const char *tok, int len, int start, int end);

struct cjk_tokenizer {
	fts5_tokenizer inner; /* the wrapped tokenizer's methods */
	Fts5Tokenizer *inner_tok;
};

/*
 * HOW A RUN IS INDEXED. cjk_tokens() gives a run's character, pair,
 * character, pair, ..., character. In a document each character takes a
 * position of its own, and the pair that starts there shares it (colocated),
 * so n characters take n positions, as n words do: snippets are as long in
 * characters as in words, and bm25 weighs a run's length as a text's. The
 * last character of a run also holds, colocated, an end mark (the character
 * and END): 夏季 促销 is 夏|夏季, 季|季<END>, 促|促销, 销|销<END>.
 *
 * A query's run is its pairs, then its last character: 夏季促 is 夏季, 季促,
 * 促, which only a run holding 夏季促 has at consecutive positions. The
 * pairs alone would find the same, but a snippet's highlight ends with the
 * last token matched, and a pair's position is its first character's. When
 * more of the query follows in the phrase, the last character is its end
 * mark instead, so that the phrase 夏季 促销 (two runs, typed with a space
 * or punctuation between) is not found in the single run 夏季促销, where 季
 * does not end a run: as on PostgreSQL, whose index is the same tokens one
 * after the other (store_pg_find.c).
 */
#define END "\x01" /* no tokenizer gives a token holding it */

/* What the wrapped tokenizer and the runs report through: FTS5's callback,
 * where in the text the part being tokenized starts, how many tokens of the
 * current run came so far; the last character seen of a run; and, in a
 * query, a run's last character not yet given (whether as itself or as its
 * end mark depends on whether more tokens follow). */
struct relay {
	struct cjk_tokenizer *t;
	int flags;
	void *ctx;
	token_fn token;
	int offset;
	int in_run;
	bool query;
	char last[4 + sizeof END]; /* a character (at most 4 bytes) and END */
	int last_len, last_start, last_end;
	bool pending;
};

/* Gives the query's pending last character: as its end mark when more
 * follows (`followed`), else as itself. */
static int
flush(struct relay *r, bool followed)
{
	if (!r->pending)
		return SQLITE_OK;
	r->pending = false;
	return r->token(r->ctx, 0, r->last, r->last_len + (followed ? (int)sizeof END - 1 : 0),
	                r->last_start, r->last_end);
}

static int
relay_token(void *r_, int tflags, const char *tok, int len, int start, int end)
{
	struct relay *r = r_;
	int rc;

	if ((rc = flush(r, true)) != SQLITE_OK)
		return rc;
	return r->token(r->ctx, tflags, tok, len, r->offset + start, r->offset + end);
}

static int
relay_cjk(void *r_, const char *tok, size_t len, size_t start, size_t end)
{
	struct relay *r = r_;
	bool pair = r->in_run++ % 2 == 1;
	int rc;

	if ((rc = flush(r, true)) != SQLITE_OK)
		return rc;
	if (!pair) {
		memcpy(r->last, tok, len);
		memcpy(r->last + len, END, sizeof END);
		r->last_len = (int)len;
		r->last_start = r->offset + (int)start;
		r->last_end = r->offset + (int)end;
	}
	if (r->query)
		return pair ? r->token(r->ctx, 0, tok, (int)len, r->offset + (int)start,
		                       r->offset + (int)end)
		            : SQLITE_OK;
	return r->token(r->ctx, pair ? FTS5_TOKEN_COLOCATED : 0, tok, (int)len,
	                r->offset + (int)start, r->offset + (int)end);
}

/* The end of a run: a document's end mark; a query's last character, given
 * once what follows is known. */
static int
relay_run_end(struct relay *r)
{
	if (r->query) {
		r->pending = true;
		return SQLITE_OK;
	}
	return r->token(r->ctx, FTS5_TOKEN_COLOCATED, r->last, r->last_len + (int)sizeof END - 1,
	                r->last_start, r->last_end);
}

static int
cjk_create(void *api_, const char **args, int n_args, Fts5Tokenizer **out)
{
	fts5_api *api = api_;
	const char *name = n_args > 0 ? args[0] : "unicode61";
	struct cjk_tokenizer *t;
	void *user;
	int rc;

	*out = NULL;
	if (strcmp(name, "cjk") == 0)
		return SQLITE_ERROR; /* it would wrap itself */
	if ((t = sqlite3_malloc(sizeof *t)) == NULL)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	if ((rc = api->xFindTokenizer(api, name, &user, &t->inner)) == SQLITE_OK)
		rc = t->inner.xCreate(user, n_args > 0 ? args + 1 : NULL,
		                      n_args > 0 ? n_args - 1 : 0, &t->inner_tok);
	if (rc != SQLITE_OK) {
		sqlite3_free(t);
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
cjk_delete(Fts5Tokenizer *t_)
{
	struct cjk_tokenizer *t = (struct cjk_tokenizer *)t_;

	if (t == NULL)
		return;
	t->inner.xDelete(t->inner_tok);
	sqlite3_free(t);
}

/* A stretch of the text (cjk_stretches()): between CJK runs, to the wrapped
 * tokenizer; a run, its tokens (cjk_tokens()) as said at the top. Positions
 * follow the order of the tokens, so a phrase may run from Latin words into
 * a run and out of it. */
static int
stretch(void *r_, const char *s, size_t len, size_t start, bool cjk)
{
	struct relay *r = r_;
	int rc;

	r->offset = (int)start;
	if (!cjk)
		return r->t->inner.xTokenize(r->t->inner_tok, r, r->flags, s, (int)len,
		                             relay_token);
	r->in_run = 0;
	if ((rc = cjk_tokens(s, len, relay_cjk, r)) != SQLITE_OK)
		return rc;
	return relay_run_end(r);
}

static int
cjk_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n, token_fn token)
{
	struct relay r = {.t = (struct cjk_tokenizer *)t,
	                  .flags = flags,
	                  .ctx = ctx,
	                  .token = token,
	                  .query = (flags & FTS5_TOKENIZE_QUERY) != 0};
	int rc;

	if (n > 0 && (rc = cjk_stretches(text, (size_t)n, stretch, &r)) != SQLITE_OK)
		return rc;
	return flush(&r, false);
}

/* Registers the tokenizer on connection db (an automatic extension's entry
 * point: it runs inside sqlite3_open_v2()). */
static int
cjk_register(sqlite3 *db, char **err, const sqlite3_api_routines *unused)
{
	static fts5_tokenizer methods = {cjk_create, cjk_delete, cjk_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *s;
	int rc;

	(void)unused;
	(void)err;
	if ((rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_pointer(s, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	rc = sqlite3_finalize(s);
	if (rc == SQLITE_OK && api == NULL)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = api->xCreateTokenizer(api, "cjk", api, &methods, NULL);
	return rc;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered = SQLITE_ERROR;

static void
register_once(void)
{
	/* sqlite3_auto_extension() initializes SQLite, after which the
	 * process-wide settings store_sqlite_vfs() makes first (no memory
	 * statistics, whose mutex every allocation would take) can no longer
	 * be made. */
	store_sqlite_vfs();
	registered = sqlite3_auto_extension((void (*)(void))cjk_register);
}

int
store_sqlite_cjk_init(char *err, size_t errlen)
{
	int rv;

	if ((rv = cjk_init(err, errlen)) != 0)
		return rv;
	pthread_once(&once, register_once);
	if (registered != SQLITE_OK) {
		snprintf(err, errlen, "cannot register the cjk tokenizer: %s",
		         sqlite3_errstr(registered));
		return ST(INTERNAL);
	}
	return 0;
}
