/*
 * render.c: jobsctl's output for people.
 *
 * What a job holds is anyone's text, so nothing of it reaches a terminal
 * raw: control characters (which recolour a terminal or set its title),
 * bidirectional overrides (which reorder what is shown) and bytes that are
 * not UTF-8 are printed as escapes. Widths are display columns, from libc's
 * wcwidth() (CJK and emoji take two, combining marks none), so columns line
 * up whatever the script. On a terminal, output fits its width; piped, it
 * is whole.
 */
#include "cli.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

void
render_init(void)
{
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	if (strcmp(cs, "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

int
render_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long n;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (env != NULL && (n = strtol(env, &end, 10)) > 0 && *end == '\0' && n < 10000)
		return (int)n;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* ---- escaping ---------------------------------------------------------------- */

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
puts_buf(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Characters that change the order text is shown in (the "Trojan Source"
 * ones): shown as escapes, so that what is seen is what is stored. */
static bool
bidi_control(wchar_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	       c == 0x200f || c == 0x061c;
}

/* The letter of a C escape for control character c ('e' for ESC), or 0. */
static char
c_escape(wchar_t c)
{
	switch (c) {
	case '\a':
		return 'a';
	case '\b':
		return 'b';
	case '\t':
		return 't';
	case '\n':
		return 'n';
	case '\v':
		return 'v';
	case '\f':
		return 'f';
	case '\r':
		return 'r';
	case 033:
		return 'e';
	default:
		return 0;
	}
}

char *
render_escape(const char *s, bool keep_newlines)
{
	struct buf b = {0};
	mbstate_t st = {0};
	size_t left = strlen(s);
	char esc[16];

	puts_buf(&b, "");
	while (left > 0) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, left, &st);

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			/* Not UTF-8: the byte, as an escape. */
			snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)*s);
			puts_buf(&b, esc);
			memset(&st, 0, sizeof st);
			s++;
			left--;
			continue;
		}
		if (wc == '\n' && keep_newlines) {
			put(&b, "\n", 1);
		} else if (c_escape(wc) != 0) {
			esc[0] = '\\';
			esc[1] = c_escape(wc);
			put(&b, esc, 2);
		} else if (wc < 0x20 || wc == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", (unsigned)wc);
			puts_buf(&b, esc);
		} else if (wc >= 0x80 && (bidi_control(wc) || !iswprint((wint_t)wc))) {
			snprintf(esc, sizeof esc, wc > 0xffff ? "\\U%08x" : "\\u%04x",
			         (unsigned)wc);
			puts_buf(&b, esc);
		} else {
			put(&b, s, n);
		}
		s += n;
		left -= n;
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* The columns of the character at s (n bytes), and its length in *n. */
static int
char_width(const char *s, size_t *n)
{
	mbstate_t st = {0};
	wchar_t wc;
	size_t k = mbrtowc(&wc, s, strlen(s), &st);
	int w;

	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		*n = 1;
		return 1;
	}
	*n = k;
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

int
render_width_of(const char *s)
{
	int w = 0;
	size_t n;

	while (*s != '\0' && *s != '\n') {
		w += char_width(s, &n);
		s += n;
	}
	return w;
}

/*
 * Appends s (one line) to b in at most `cols` columns: whole when it fits,
 * else cut with "…" as its last column. With pad, spaces fill up to cols.
 * Returns the columns written.
 */
static int
put_fitted(struct buf *b, const char *s, int cols, bool pad)
{
	int total = render_width_of(s), w = 0;
	size_t n;

	if (cols <= 0)
		cols = total;
	if (total <= cols) {
		const char *nl = strchr(s, '\n');
		put(b, s, nl != NULL ? (size_t)(nl - s) : strlen(s));
		w = total;
	} else {
		while (*s != '\0') {
			int cw = char_width(s, &n);
			if (w + cw > cols - 1)
				break;
			put(b, s, n);
			w += cw;
			s += n;
		}
		puts_buf(b, "…");
		w++;
	}
	for (; pad && w < cols; w++)
		put(b, " ", 1);
	return w;
}

/* Ends a line: trailing spaces dropped, then "\n", and out it goes. */
static void
flush_line(FILE *f, struct buf *b)
{
	while (b->len > 0 && b->s[b->len - 1] == ' ')
		b->len--;
	if (b->s != NULL)
		fwrite(b->s, 1, b->len, f);
	fputc('\n', f);
	b->len = 0;
}

/* ---- tables -------------------------------------------------------------------- */

struct row {
	char **cells; /* n_cols, escaped */
	char *note;   /* escaped, or NULL */
};

struct table {
	size_t n_cols;
	const char *const *headers;
	const unsigned *how;
	struct row *rows;
	size_t n_rows, cap;
};

struct table *
table_new(size_t n_cols, const char *const *headers, const unsigned *how)
{
	struct table *t = calloc(1, sizeof *t);

	if (t != NULL) {
		t->n_cols = n_cols;
		t->headers = headers;
		t->how = how;
	}
	return t;
}

int
table_add(struct table *t, const char *const *cells)
{
	struct row *r;

	if (t->n_rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct row *rows = realloc(t->rows, cap * sizeof *rows);

		if (rows == NULL)
			return -1;
		t->rows = rows;
		t->cap = cap;
	}
	r = &t->rows[t->n_rows];
	r->note = NULL;
	if ((r->cells = calloc(t->n_cols, sizeof *r->cells)) == NULL)
		return -1;
	t->n_rows++;
	for (size_t c = 0; c < t->n_cols; c++)
		if ((r->cells[c] = render_escape(cells[c] != NULL ? cells[c] : "", false)) == NULL)
			return -1;
	return 0;
}

int
table_add_note(struct table *t, const char *text)
{
	struct row *r;

	if (t->n_rows == 0)
		return -1;
	r = &t->rows[t->n_rows - 1];
	free(r->note);
	return (r->note = render_escape(text, false)) != NULL ? 0 : -1;
}

size_t
table_rows(const struct table *t)
{
	return t->n_rows;
}

static void
table_line(FILE *f, struct buf *b, const struct table *t, const char *const *cells, const int *w)
{
	for (size_t c = 0; c < t->n_cols; c++) {
		bool last = c + 1 == t->n_cols;

		if ((t->how[c] & TABLE_RIGHT) != 0) {
			int cw = render_width_of(cells[c]);
			for (int k = cw; k < w[c]; k++)
				put(b, " ", 1);
			put_fitted(b, cells[c], w[c], false);
		} else {
			put_fitted(b, cells[c], w[c], !last);
		}
		if (!last)
			put(b, "  ", 2);
	}
	flush_line(f, b);
}

void
table_print(FILE *f, const struct table *t, bool headers, int width)
{
	int *w = calloc(t->n_cols, sizeof *w), total = 0;
	struct buf b = {0};

	if (w == NULL)
		return;
	for (size_t c = 0; c < t->n_cols; c++) {
		if (headers)
			w[c] = render_width_of(t->headers[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			int cw = render_width_of(t->rows[r].cells[c]);
			if (cw > w[c])
				w[c] = cw;
		}
		total += w[c] + (c > 0 ? 2 : 0);
	}
	/* Too wide: take a column at a time from the widest shrinkable column,
	 * down to 4 (a header is cut too, then). */
	while (width > 0 && total > width) {
		size_t widest = t->n_cols;

		for (size_t c = 0; c < t->n_cols; c++) {
			if ((t->how[c] & TABLE_SHRINK) && w[c] > 4 &&
			    (widest == t->n_cols || w[c] > w[widest]))
				widest = c;
		}
		if (widest == t->n_cols)
			break;
		w[widest]--;
		total--;
	}
	if (headers)
		table_line(f, &b, t, t->headers, w);
	for (size_t r = 0; r < t->n_rows; r++) {
		table_line(f, &b, t, (const char *const *)t->rows[r].cells, w);
		if (t->rows[r].note != NULL && *t->rows[r].note != '\0') {
			puts_buf(&b, "    ");
			put_fitted(&b, t->rows[r].note, width > 4 ? width - 4 : 0, false);
			flush_line(f, &b);
		}
	}
	free(b.s);
	free(w);
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols && t->rows[r].cells != NULL; c++)
			free(t->rows[r].cells[c]);
		free(t->rows[r].cells);
		free(t->rows[r].note);
	}
	free(t->rows);
	free(t);
}

/* ---- fields and bars ---------------------------------------------------------- */

/* One output line of a field: the label (first) or its indentation, then
 * text[0..n). */
static void
field_line(FILE *f, struct buf *b, const char *label, int label_width, bool first, const char *text,
           size_t n)
{
	int w = first ? put_fitted(b, label, 0, false) : 0;

	for (; w < label_width + 1; w++)
		put(b, " ", 1);
	put(b, text, n);
	flush_line(f, b);
}

void
render_field(FILE *f, const char *label, int label_width, const char *value, int width)
{
	char *v = render_escape(value != NULL && *value != '\0' ? value : "-", true);
	int room = width > 0 ? width - label_width - 1 : 0;
	struct buf b = {0};
	bool first = true;
	size_t len;

	if (v == NULL)
		return;
	/* Too narrow a terminal to wrap into: print whole lines instead. */
	if (room < 20)
		room = 0;
	len = strlen(v);
	while (len > 0 && v[len - 1] == '\n')
		v[--len] = '\0'; /* a final newline would only show as a blank line */
	for (const char *p = v; first || *p != '\0';) {
		const char *nl = strchr(p, '\n');
		const char *end = nl != NULL ? nl : p + strlen(p);

		if (p == end)
			field_line(f, &b, label, label_width, first, "", 0);
		while (p < end) {
			const char *q = p, *brk = NULL;
			int w = 0;
			size_t n;

			while (room > 0 && q < end) {
				int cw = char_width(q, &n);
				if (w + cw > room)
					break;
				if (*q == ' ')
					brk = q;
				w += cw;
				q += n;
			}
			if (room == 0)
				q = end;
			else if (q < end && brk != NULL && brk > p)
				q = brk; /* break at the last space that fits */
			else if (q == p)
				q = p + (char_width(p, &n), n); /* wider than the room */
			field_line(f, &b, label, label_width, first, p, (size_t)(q - p));
			first = false;
			p = q;
			if (q < end && *q == ' ')
				p++;
		}
		first = false;
		p = nl != NULL ? nl + 1 : end;
	}
	free(b.s);
	free(v);
}

void
render_bar(FILE *f, long long value, long long max, int cols)
{
	static const char *const part[8] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	long long eighths;

	if (value <= 0 || max <= 0 || cols <= 0)
		return;
	eighths = (long long)((double)value / (double)max * cols * 8 + 0.5);
	if (eighths < 1)
		eighths = 1; /* a day with jobs never looks like one without */
	for (long long i = 0; i < eighths / 8; i++)
		fputs("█", f);
	fputs(part[eighths % 8], f);
}
