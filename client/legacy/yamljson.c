/*
 * yamljson.c: YAML to jansson for jobsctl, with PyYAML's safe_load meaning.
 *
 * The legacy campaign files were written by Python's yaml.safe_dump and read
 * by yaml.safe_load, so "what a scalar means" is whatever PyYAML 6.0's
 * SafeLoader (YAML 1.1) says it means: `yes` is true, `010` is 8, `1e5` is the
 * string "1e5", `2001-12-14` is a date. This file reproduces those rules by
 * hand (see RESOLUTION below) on top of libyaml's event API; the event API,
 * not libyaml's document loader, because the loader keeps the whole tree and
 * a 100,000-job file must stream one job at a time.
 *
 * The builder is a stack of frames, one per open sequence or mapping. Each
 * finished node (a scalar, an alias, a closed collection) is "emitted" into
 * the frame below it: appended to an array, stored under the pending key of
 * an object, or, for the streamed sequence, handed to the caller's callback
 * and dropped.
 *
 * PyYAML's own rules that surprise people, kept: a scalar tagged "!" is
 * resolved like a plain one even when quoted (`! "12"` is 12); a date alone
 * needs two-digit month and day (2001-1-2 is a string, 2001-1-2 3:04:05 a
 * time); `.5` is a float but `-.5` a string; explicit !!int and !!float take
 * what PyYAML's constructors take (`!!int 0o17` is 15, `!!float 1e5` 1e5).
 *
 * Where we differ from PyYAML, on purpose:
 *   - Mapping keys become the key scalar's text as written (`1:` is "1",
 *     `~:` is "~"), since JSON keys are strings; a collection as a key is an
 *     error. PyYAML would make 1 an int key.
 *   - Integers outside int64, .inf and .nan are errors: JSON (and jansson)
 *     cannot hold them. Inside a streamed item such a value (and every
 *     other scalar JSON cannot hold: see VALUE ERRORS) spoils only that
 *     item, which the callback receives as spoiled; elsewhere it stops the
 *     parse.
 *   - Timestamps become RFC 3339 UTC strings, through the client library's
 *     jobs_time_parse/jobs_time_format; a naive time is UTC (YAML 1.1) and a
 *     date alone is midnight UTC. A scalar that looks like a timestamp but is
 *     not a real time (month 13, second 60) is an error, as in PyYAML.
 *   - !!binary gives its base64 text (whitespace removed) as a string, since
 *     JSON has no bytes. !!set, !!omap, !!pairs and every non-standard tag are
 *     refused ("unsupported tag").
 *   - Only the first document is read (PyYAML refuses a stream of several);
 *     a plain `=` or `<<` used as a value is the string, where PyYAML has no
 *     constructor for it and fails.
 *   - The syntax is libyaml's, as with PyYAML's CSafeLoader: the pure-Python
 *     parser behind safe_load refuses a few things libyaml takes (tabs before
 *     a value) and takes a few it refuses (`[190:, 1]`).
 *
 * Aliases share the anchored jansson value (json_incref), as PyYAML shares
 * the Python object: an alias costs no memory, and nothing here modifies a
 * value once it is built. To stop a "billion laughs" document from handing
 * the caller a tree of 10^9 nodes, we count the nodes each alias stands for
 * (see the LIMITS below).
 */
#include "yamljson.h"

#include <jobs/client.h>
#include <yaml.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * LIMITS. Collections nest at most MAX_DEPTH deep (the stack is allocated
 * once at that size, and jansson frees trees recursively). Aliases may add
 * at most max(ALIAS_FLOOR, ALIAS_RATIO x the nodes written out in the text
 * so far) nodes over the whole stream, so the work a caller does stays
 * linear in the size of the file, and at most TREE_ALIAS_MAX to one tree
 * (the document, or one streamed item), so no single value is enormous.
 * Legitimate files use anchors for defaults and stay far below both.
 */
#define MAX_DEPTH      512
#define ALIAS_FLOOR    1000000
#define ALIAS_RATIO    20
#define TREE_ALIAS_MAX 10000000

#define TAG_PREFIX "tag:yaml.org,2002:"

/* One anchor: what an alias to it stands for. */
struct anchor {
	json_t *value; /* one reference; NULL: the streamed sequence, not kept */
	bool spoiled;  /* holds a null in place of a value JSON cannot hold */
	size_t nodes;  /* nodes the value stands for, aliases expanded */
	char *raw;     /* a scalar's text, for an alias used as a key; else NULL */
	size_t rawlen;
};

enum frame_kind {
	FRAME_SEQ,    /* building a JSON array */
	FRAME_MAP,    /* building a JSON object */
	FRAME_STREAM, /* the items_key sequence: elements go to the callback */
};

/* An open collection. */
struct frame {
	enum frame_kind kind;
	json_t *value;  /* the array or object (NULL for FRAME_STREAM) */
	json_t *merges; /* FRAME_MAP: mappings to merge in, in PyYAML's order */
	char *key;      /* FRAME_MAP: the pending key, when have_key */
	size_t keylen;  /* keys may hold "\0" from a double-quoted escape */
	bool have_key;  /* FRAME_MAP: a key was read, its value is next */
	bool merge_key; /* the pending key is the merge key "<<" */
	char *anchor;   /* to register when the collection closes */
	size_t nodes;   /* nodes in this subtree, aliases expanded */
	size_t count;   /* FRAME_STREAM: elements streamed */
	bool spoiled;   /* a value in this subtree could not be held (a null stands in) */
	yaml_mark_t mark;
};

struct builder {
	yaml_parser_t parser;
	const char *items_key;
	legacy_yaml_item_fn fn;
	void *ud;
	struct legacy_yaml_error *err;
	bool failed;       /* err holds the first error */
	bool spoiled;      /* the node about to be emitted is spoiled */
	bool item_spoiled; /* item_err holds the current item's first value error */
	struct legacy_yaml_error item_err;
	int stream_depth;  /* depth of the open FRAME_STREAM frame + 1; 0: none */
	int stopped;       /* a callback's non-zero return */
	locale_t c_locale; /* floats are read with '.' whatever LC_NUMERIC says */

	struct frame *stack; /* MAX_DEPTH frames */
	int depth;
	json_t *root; /* the document, once its top node is complete */
	bool have_root;
	bool streamed; /* items_key's value was seen */

	json_t *anchor_index; /* anchor name -> index into anchors */
	struct anchor *anchors;
	size_t nanchors, anchor_cap;

	size_t own_nodes;        /* nodes written out in the text */
	size_t alias_nodes;      /* nodes aliases stood for, whole stream */
	size_t tree_alias_nodes; /* the same, in the current tree */
};

/* ---- errors ------------------------------------------------------------ */

/*
 * Records the first error at `mark` (NULL: no place) and returns -1, so a
 * failing step can `return fail(...)`. Later errors are consequences of the
 * first and are dropped.
 */
static int fail(struct builder *b, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct builder *b, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;

	if (b->failed)
		return -1;
	b->failed = true;
	b->err->line = mark != NULL ? (int)mark->line + 1 : 0;
	b->err->column = mark != NULL ? (int)mark->column + 1 : 0;
	va_start(ap, fmt);
	vsnprintf(b->err->message, sizeof(b->err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static int
fail_oom(struct builder *b, const yaml_mark_t *mark)
{
	return fail(b, mark, "out of memory");
}

/*
 * VALUE ERRORS: a scalar whose value JSON cannot hold (an integer outside
 * int64, .inf, a malformed !!int, an unsupported tag, ...). Inside a
 * streamed item, such a value spoils the item alone: *out becomes null, the
 * first such error of the item is kept for the callback, and parsing goes
 * on, so one legacy job with a huge number does not hide the others.
 * Anywhere else it is an error like any other (fail()).
 */
static int value_fail(struct builder *b, const yaml_mark_t *mark, json_t **out, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static int
value_fail(struct builder *b, const yaml_mark_t *mark, json_t **out, const char *fmt, ...)
{
	char msg[sizeof b->item_err.message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (b->stream_depth == 0 || b->depth < b->stream_depth)
		return fail(b, mark, "%s", msg);
	if (!b->item_spoiled) {
		b->item_spoiled = true;
		b->item_err.line = (int)mark->line + 1;
		b->item_err.column = (int)mark->column + 1;
		memcpy(b->item_err.message, msg, sizeof msg);
	}
	b->spoiled = true;
	*out = json_null();
	return 0;
}

/*
 * Turns libyaml's failure into our error: its problem, what it was parsing
 * ("did not find expected key while parsing a block mapping"), and where.
 */
static int
syntax_error(struct builder *b)
{
	yaml_parser_t *p = &b->parser;
	const char *problem = p->problem != NULL ? p->problem : "unknown YAML error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail_oom(b, &p->mark);
	case YAML_READER_ERROR:
		/* The reader runs ahead of the scanner, so it has no mark of its
		 * own; the scanner's position is the best place we have. */
		if (p->problem_value != -1)
			return fail(b, &p->mark, "%s (#%X at byte %zu)", problem,
			            (unsigned)p->problem_value, p->problem_offset);
		return fail(b, &p->mark, "%s at byte %zu", problem, p->problem_offset);
	default:
		if (p->context != NULL && p->context_mark.line != p->problem_mark.line)
			return fail(b, &p->problem_mark, "%s %s (which started at line %zu)",
			            problem, p->context, p->context_mark.line + 1);
		if (p->context != NULL)
			return fail(b, &p->problem_mark, "%s %s", problem, p->context);
		return fail(b, &p->problem_mark, "%s", problem);
	}
}

/* A tag as people write it: "!!int" for the YAML 1.1 ones, else as is. */
static const char *
short_tag(const char *tag, char *buf, size_t size)
{
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
		snprintf(buf, size, "!!%s", tag + strlen(TAG_PREFIX));
		return buf;
	}
	return tag;
}

/* ---- RESOLUTION: what a plain scalar means, as PyYAML 6.0 decides ---------
 *
 * PyYAML's resolver tries regular expressions picked by the first character
 * of the scalar; they do not overlap, so order does not matter here. Each
 * match_* function below is one of those expressions written out by hand,
 * quoted above it from PyYAML's resolver.py.
 */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Skips characters accepted by `ok` or '_'; returns how many. */
static size_t
skip_digits(const char **p, bool (*ok)(char))
{
	size_t n = 0;

	while (ok(**p) || **p == '_') {
		(*p)++;
		n++;
	}
	return n;
}

static bool
is_bin(char c)
{
	return c == '0' || c == '1';
}

static bool
is_oct(char c)
{
	return c >= '0' && c <= '7';
}

/* (:[0-5]?[0-9])+ : sexagesimal groups. Greedy is exact here: a group of two
 * digits that fails could not succeed as one, because a digit would follow. */
static bool
skip_sexagesimal(const char **p)
{
	int groups = 0;

	while (**p == ':') {
		const char *q = *p + 1;

		if (!is_digit(q[0]))
			return false;
		if (q[0] <= '5' && is_digit(q[1]))
			q += 2;
		else
			q += 1;
		*p = q;
		groups++;
	}
	return groups > 0;
}

/* yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF */
static int
match_bool(const char *s)
{
	static const char *const yes[] = {"yes",  "Yes", "YES", "true", "True",
	                                  "TRUE", "on",  "On",  "ON"};
	static const char *const no[] = {"no",    "No",  "NO",  "false", "False",
	                                 "FALSE", "off", "Off", "OFF"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* ~ | null | Null | NULL | (empty) */
static bool
match_null(const char *s)
{
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

enum int_form { INT_NONE, INT_DEC, INT_BIN, INT_OCT, INT_HEX, INT_SEX };

/*
 *   [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*)
 * | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
 * Note the octal: YAML 1.1 reads 010 as 8, and 08 is not an int at all.
 */
static enum int_form
match_int(const char *s)
{
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && p[1] == 'b') {
		p += 2;
		return skip_digits(&p, is_bin) > 0 && *p == '\0' ? INT_BIN : INT_NONE;
	}
	if (p[0] == '0' && p[1] == 'x') {
		p += 2;
		return skip_digits(&p, is_hex) > 0 && *p == '\0' ? INT_HEX : INT_NONE;
	}
	if (p[0] == '0') {
		if (p[1] == '\0')
			return INT_DEC;
		p++;
		return skip_digits(&p, is_oct) > 0 && *p == '\0' ? INT_OCT : INT_NONE;
	}
	if (*p < '1' || *p > '9')
		return INT_NONE;
	skip_digits(&p, is_digit);
	if (*p == '\0')
		return INT_DEC;
	return skip_sexagesimal(&p) && *p == '\0' ? INT_SEX : INT_NONE;
}

enum int_status { INT_OK, INT_RANGE, INT_EMPTY };

/* Accumulates *mag = *mag * base + d; false on uint64 overflow. */
static bool
mul_add(uint64_t *mag, unsigned base, unsigned d)
{
	if (*mag > (UINT64_MAX - d) / base)
		return false;
	*mag = *mag * base + d;
	return true;
}

static unsigned
digit_value(char c)
{
	if (is_digit(c))
		return (unsigned)(c - '0');
	return (unsigned)((c | 0x20) - 'a' + 10);
}

/*
 * The value of `s`, which match_int() accepted as `form`, as PyYAML's
 * construct_yaml_int computes it: underscores ignored, sexagesimal groups in
 * base 60. INT_RANGE: outside int64. INT_EMPTY: no digits at all ("0x_"),
 * which PyYAML also refuses.
 */
static enum int_status
int_value(const char *s, enum int_form form, int64_t *v)
{
	const char *p = s;
	bool neg = false;
	uint64_t mag = 0, group = 0;
	unsigned base = 10;
	size_t ndigits = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (form == INT_BIN || form == INT_HEX) {
		base = form == INT_BIN ? 2 : 16;
		p += 2;
	} else if (form == INT_OCT) {
		base = 8;
	}
	for (; *p != '\0'; p++) {
		if (*p == '_')
			continue;
		if (*p == ':') { /* INT_SEX: close a base-10 group */
			if (!mul_add(&mag, 60, 0) || mag > UINT64_MAX - group)
				return INT_RANGE;
			mag += group;
			group = 0;
			continue;
		}
		ndigits++;
		if (!mul_add(form == INT_SEX ? &group : &mag, base, digit_value(*p)))
			return INT_RANGE;
	}
	if (form == INT_SEX) {
		if (!mul_add(&mag, 60, 0) || mag > UINT64_MAX - group)
			return INT_RANGE;
		mag += group;
	}
	if (ndigits == 0)
		return INT_EMPTY;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return INT_RANGE;
		*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return INT_RANGE;
		*v = (int64_t)mag;
	}
	return INT_OK;
}

enum float_form { FLOAT_NONE, FLOAT_DEC, FLOAT_SEX, FLOAT_INF, FLOAT_NAN };

/* [eE][-+][0-9]+ , optional. The sign is required: 1.0e5 is a string. */
static bool
skip_exponent(const char **p)
{
	const char *q = *p;

	if (*q != 'e' && *q != 'E')
		return true;
	q++;
	if (*q != '-' && *q != '+')
		return false;
	q++;
	if (!is_digit(*q))
		return false;
	while (is_digit(*q))
		q++;
	*p = q;
	return true;
}

/*
 *   [-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)?
 * | \.[0-9][0-9_]*([eE][-+][0-9]+)?
 * | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
 * | [-+]?\.(inf|Inf|INF)
 * | \.(nan|NaN|NAN)
 * So "1e5" is a string (no dot), "-.5" is a string (the second form has no
 * sign), and "1.0e5" is a string (the exponent needs a sign).
 */
static enum float_form
match_float(const char *s)
{
	const char *p = s;
	bool sign = false;

	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
		return FLOAT_NAN;
	if (*p == '-' || *p == '+') {
		p++;
		sign = true;
	}
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0)
		return FLOAT_INF;
	if (*p == '.') {
		if (sign || !is_digit(p[1]))
			return FLOAT_NONE;
		p++;
		skip_digits(&p, is_digit);
		return skip_exponent(&p) && *p == '\0' ? FLOAT_DEC : FLOAT_NONE;
	}
	if (!is_digit(*p))
		return FLOAT_NONE;
	skip_digits(&p, is_digit);
	if (*p == '.') {
		p++;
		skip_digits(&p, is_digit);
		return skip_exponent(&p) && *p == '\0' ? FLOAT_DEC : FLOAT_NONE;
	}
	if (!skip_sexagesimal(&p) || *p != '.')
		return FLOAT_NONE;
	p++;
	skip_digits(&p, is_digit);
	return *p == '\0' ? FLOAT_SEX : FLOAT_NONE;
}

/*
 * Reads a decimal float without underscores, as Python's float() does (both
 * round correctly). `s` has passed match_float() or the !!float check, so
 * the whole string must be consumed.
 */
static bool
read_double(struct builder *b, const char *s, double *d)
{
	char *end;

	errno = 0;
	*d = strtod_l(s, &end, b->c_locale);
	return end != s && *end == '\0';
}

/*
 * The value of a float scalar of `form` (FLOAT_DEC or FLOAT_SEX), computed as
 * PyYAML's construct_yaml_float does: underscores dropped, base-60 groups
 * summed from the right in double arithmetic (so the rounding is the same).
 * Returns false when the text is not a number after all ("._").
 */
static bool
float_value(struct builder *b, const char *s, enum float_form form, double *d)
{
	size_t len = strlen(s), n = 0;
	char *buf = malloc(len + 1);
	double sign = 1, value = 0, base = 1, part;
	char *p, *colon;
	bool ok = true;

	if (buf == NULL)
		return false;
	for (const char *q = s; *q != '\0'; q++)
		if (*q != '_')
			buf[n++] = *q;
	buf[n] = '\0';
	p = buf;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	if (form == FLOAT_SEX) {
		/* Right to left: the last group carries the fraction. */
		while (ok && (colon = strrchr(p, ':')) != NULL) {
			ok = read_double(b, colon + 1, &part);
			value += part * base;
			base *= 60;
			*colon = '\0';
		}
		ok = ok && read_double(b, p, &part);
		value += part * base;
	} else {
		ok = read_double(b, p, &value);
	}
	free(buf);
	*d = sign * value;
	return ok;
}

/*
 * [0-9]{4}-[0-9]{2}-[0-9]{2}
 * | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
 *   (\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
 *
 * When `s` matches, writes to `norm` (at least strlen(s) + 1 bytes) the same
 * time in the form jobs_time_parse() reads as Python's datetime would: the
 * fraction truncated to microseconds (PyYAML truncates, jobs_time_parse
 * rounds) and a bare '.' dropped, and sets *second. `loose_date` lets a date
 * alone have one-digit month and day: PyYAML's constructor (used for an
 * explicit !!timestamp) allows that, its resolver does not.
 */
static bool
match_timestamp(const char *s, bool loose_date, char *norm, int *second)
{
	const char *p = s, *frac, *zone;
	size_t n, nfrac = 0;
	bool blanks;

	*second = 0;
	for (n = 0; n < 4; n++, p++)
		if (!is_digit(*p))
			return false;
	for (int field = 0; field < 2; field++) {
		if (*p++ != '-' || !is_digit(*p))
			return false;
		p++;
		if (is_digit(*p))
			p++;
	}
	if (*p == '\0') {
		/* The date alone: YYYY-MM-DD is 10 characters. */
		if (!loose_date && p - s != 10)
			return false;
		strcpy(norm, s);
		return true;
	}
	if (*p == 'T' || *p == 't') {
		p++;
	} else if (*p == ' ' || *p == '\t') {
		while (*p == ' ' || *p == '\t')
			p++;
	} else {
		return false;
	}
	if (!is_digit(*p++))
		return false;
	if (is_digit(*p))
		p++;
	if (p[0] != ':' || !is_digit(p[1]) || !is_digit(p[2]) || p[3] != ':' || !is_digit(p[4]) ||
	    !is_digit(p[5]))
		return false;
	*second = (p[4] - '0') * 10 + (p[5] - '0');
	p += 6;
	n = (size_t)(p - s);
	memcpy(norm, s, n);
	if (*p == '.') {
		frac = ++p;
		while (is_digit(*p))
			p++;
		nfrac = (size_t)(p - frac);
	}
	if (nfrac > 0) {
		norm[n++] = '.';
		memcpy(norm + n, frac, nfrac < 6 ? nfrac : 6);
		n += nfrac < 6 ? nfrac : 6;
	}
	/* The zone, copied as written: jobs_time_parse reads the same forms. */
	zone = p;
	blanks = false;
	while (*p == ' ' || *p == '\t') {
		p++;
		blanks = true;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '-' || *p == '+') {
		p++;
		if (!is_digit(*p++))
			return false;
		if (is_digit(*p))
			p++;
		if (*p == ':') {
			if (!is_digit(p[1]) || !is_digit(p[2]))
				return false;
			p += 3;
		}
	} else if (blanks) {
		return false;
	}
	if (*p != '\0')
		return false;
	strcpy(norm + n, zone);
	return true;
}

bool
legacy_yaml_plain_is_string(const char *s)
{
	char *norm;
	int second;
	bool ts;

	if (match_null(s) || match_bool(s) >= 0 || match_float(s) != FLOAT_NONE ||
	    match_int(s) != INT_NONE || strcmp(s, "<<") == 0 || strcmp(s, "=") == 0)
		return false;
	if (!is_digit(s[0]))
		return true;
	/* PyYAML's resolver asks only for the shape, not for a real date. */
	if ((norm = malloc(strlen(s) + 1)) == NULL)
		return false; /* quoting is always safe */
	ts = match_timestamp(s, false, norm, &second);
	free(norm);
	return !ts;
}

/* ---- building values --------------------------------------------------- */

static int
make_string(struct builder *b, const yaml_event_t *ev, json_t **out)
{
	/* libyaml hands over valid UTF-8 only (its reader refuses other bytes,
	 * its scanner escapes of surrogates), and jansson takes NULs: a NULL
	 * here is out of memory, never a value to skip the job for. */
	*out = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
	return *out != NULL ? 0 : fail_oom(b, &ev->start_mark);
}

/* An int scalar already matched as `form`; errors name the scalar. */
static int
make_int(struct builder *b, const yaml_event_t *ev, const char *s, enum int_form form, json_t **out)
{
	int64_t v;

	switch (int_value(s, form, &v)) {
	case INT_RANGE:
		return value_fail(b, &ev->start_mark, out,
		                  "integer out of range (not in int64): %.60s", s);
	case INT_EMPTY:
		return value_fail(b, &ev->start_mark, out, "integer without digits: %.60s", s);
	case INT_OK:
		break;
	}
	*out = json_integer(v);
	return *out != NULL ? 0 : fail_oom(b, &ev->start_mark);
}

/* A float scalar already matched as `form`. JSON holds no inf or nan. */
static int
make_float(struct builder *b, const yaml_event_t *ev, const char *s, enum float_form form,
           json_t **out)
{
	double d;

	if (form == FLOAT_INF || form == FLOAT_NAN)
		return value_fail(b, &ev->start_mark, out, "%.60s cannot be represented in JSON",
		                  s);
	if (!float_value(b, s, form, &d))
		return value_fail(b, &ev->start_mark, out, "not a number: %.60s", s);
	if (!isfinite(d))
		return value_fail(
		    b, &ev->start_mark, out,
		    "%.60s is too large for a double and cannot be represented in JSON", s);
	*out = json_real(d);
	return *out != NULL ? 0 : fail_oom(b, &ev->start_mark);
}

/*
 * A timestamp scalar, as the RFC 3339 UTC string of the same instant. Returns
 * 1 (not an error) when `s` does not have a timestamp's shape, so a plain
 * scalar can fall through to being a string.
 */
static int
make_timestamp(struct builder *b, const yaml_event_t *ev, const char *s, bool loose_date,
               json_t **out)
{
	char *norm = malloc(strlen(s) + 1);
	char buf[JOBS_TIME_BUFSIZE];
	int second, rc;
	int64_t us;

	if (norm == NULL)
		return fail_oom(b, &ev->start_mark);
	if (!match_timestamp(s, loose_date, norm, &second)) {
		free(norm);
		return 1;
	}
	/* Python's datetime refuses a leap second; jobs_time_parse takes it. */
	rc = second > 59 ? -1 : jobs_time_parse(norm, false, &us);
	free(norm);
	if (rc != 0)
		return value_fail(b, &ev->start_mark, out, "invalid timestamp: %.60s", s);
	*out = json_string(jobs_time_format(us, buf));
	return *out != NULL ? 0 : fail_oom(b, &ev->start_mark);
}

/* The value of an untagged plain scalar: PyYAML's implicit resolution. */
static int
resolve_plain(struct builder *b, const yaml_event_t *ev, json_t **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	enum float_form ff;
	enum int_form intf;
	int truth, rc;

	if (match_null(s)) {
		*out = json_null();
		return 0;
	}
	if ((truth = match_bool(s)) >= 0) {
		*out = json_boolean(truth);
		return 0;
	}
	if ((ff = match_float(s)) != FLOAT_NONE)
		return make_float(b, ev, s, ff, out);
	if ((intf = match_int(s)) != INT_NONE)
		return make_int(b, ev, s, intf, out);
	/* Most strings are not dates: look at the timestamp only if it starts so. */
	if (is_digit(s[0]) && (rc = make_timestamp(b, ev, s, false, out)) <= 0)
		return rc;
	return make_string(b, ev, out);
}

/* !!bool: PyYAML's constructor lowercases, so `!!bool yEs` is true. */
static int
explicit_bool(struct builder *b, const yaml_event_t *ev, const char *s, json_t **out)
{
	char low[8];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]);
	low[i] = '\0';
	if (s[i] == '\0' && match_bool(low) >= 0) {
		*out = json_boolean(match_bool(low));
		return 0;
	}
	return value_fail(b, &ev->start_mark, out, "invalid !!bool value: %.60s", s);
}

/* `s` without its underscores, in a new string (free it); NULL: no memory. */
static char *
strip_underscores(const char *s)
{
	char *buf = malloc(strlen(s) + 1), *q = buf;

	if (buf == NULL)
		return NULL;
	for (; *s != '\0'; s++)
		if (*s != '_')
			*q++ = *s;
	*q = '\0';
	return buf;
}

/*
 * Whether `s` is a decimal number as Python's float() reads one: an optional
 * sign, digits with an optional dot (or a dot and digits), an optional
 * exponent. Not "inf", "nan" or hexadecimal, which strtod would also take.
 */
static bool
is_decimal(const char *s)
{
	size_t before, after = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (before = 0; is_digit(*s); s++)
		before++;
	if (*s == '.')
		for (s++; is_digit(*s); s++)
			after++;
	if (before + after == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0';
}

/*
 * !!int: PyYAML's constructor, not its resolver, decides, and it is more
 * lenient: after dropping underscores it reads 0b.. and 0x.., a leading 0 as
 * octal (Python's int(x, 8), which also takes 0o17), groups with ':' in base
 * 60 whatever their size (1:60 is 120), and otherwise decimal.
 */
static int
explicit_int(struct builder *b, const yaml_event_t *ev, const char *s, json_t **out)
{
	char *buf = strip_underscores(s), *p;
	enum int_form form = INT_NONE;
	size_t n;
	int rc;

	if (buf == NULL)
		return fail_oom(b, &ev->start_mark);
	p = buf + (buf[0] == '-' || buf[0] == '+');
	if (strcmp(p, "0") == 0) {
		form = INT_DEC;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'x')) {
		n = strspn(p + 2, p[1] == 'b' ? "01" : "0123456789abcdefABCDEF");
		form = n > 0 && p[2 + n] == '\0' ? (p[1] == 'b' ? INT_BIN : INT_HEX) : INT_NONE;
	} else if (p[0] == '0') {
		if (p[1] == 'o' || p[1] == 'O') /* keep the 0: int_value reads 0[0-7]+ */
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
		n = strspn(p + 1, "01234567");
		form = n > 0 && p[1 + n] == '\0' ? INT_OCT : INT_NONE;
	} else if (strchr(p, ':') != NULL) {
		form = INT_SEX;
		for (char *q = p; form == INT_SEX; q += n + 1) {
			n = strspn(q, "0123456789");
			if (n == 0 || (q[n] != ':' && q[n] != '\0'))
				form = INT_NONE;
			else if (q[n] == '\0')
				break;
		}
	} else {
		n = strspn(p, "0123456789");
		form = n > 0 && p[n] == '\0' ? INT_DEC : INT_NONE;
	}
	if (form == INT_NONE)
		rc = value_fail(b, &ev->start_mark, out, "invalid !!int value: %.60s", s);
	else
		rc = make_int(b, ev, buf, form, out);
	free(buf);
	return rc;
}

/*
 * !!float: PyYAML's constructor drops underscores, reads .inf and .nan, sums
 * ':' groups in base 60, and gives the rest to Python's float(), so 1e5, 7
 * and 1:60 are floats here though none would resolve implicitly.
 */
static int
explicit_float(struct builder *b, const yaml_event_t *ev, const char *s, json_t **out)
{
	char *buf = strip_underscores(s), *p;
	enum float_form form = FLOAT_DEC;
	int rc;

	if (buf == NULL)
		return fail_oom(b, &ev->start_mark);
	for (p = buf; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
	p = buf + (buf[0] == '-' || buf[0] == '+');
	if (strcmp(p, ".inf") == 0 || strcmp(p, "inf") == 0 || strcmp(p, "infinity") == 0 ||
	    strcmp(p, ".nan") == 0 || strcmp(p, "nan") == 0) {
		form = FLOAT_INF;
	} else if (strchr(p, ':') != NULL) {
		char *part = p, *colon;

		form = FLOAT_SEX;
		while (form == FLOAT_SEX && part != NULL) {
			if ((colon = strchr(part, ':')) != NULL)
				*colon = '\0';
			if (!is_decimal(part))
				form = FLOAT_NONE;
			if (colon != NULL)
				*colon = ':';
			part = colon != NULL ? colon + 1 : NULL;
		}
	} else if (!is_decimal(p)) {
		form = FLOAT_NONE;
	}
	if (form == FLOAT_NONE)
		rc = value_fail(b, &ev->start_mark, out, "invalid !!float value: %.60s", s);
	else if (form == FLOAT_INF)
		rc = value_fail(b, &ev->start_mark, out, "%.60s cannot be represented in JSON", s);
	else
		rc = make_float(b, ev, buf, form, out);
	free(buf);
	return rc;
}

/* !!binary: the base64 text, whitespace (line breaks of a block) removed. */
static int
explicit_binary(struct builder *b, const yaml_event_t *ev, const char *s, json_t **out)
{
	size_t len = strlen(s), n = 0;
	char *buf = malloc(len + 1);

	if (buf == NULL)
		return fail_oom(b, &ev->start_mark);
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n", *s) == NULL)
			buf[n++] = *s;
	*out = json_stringn(buf, n);
	free(buf);
	return *out != NULL ? 0 : fail_oom(b, &ev->start_mark);
}

/*
 * The JSON value of a scalar event: quoted and block scalars are strings,
 * plain ones are resolved, explicit YAML tags are obeyed, other tags refused.
 * The non-specific tag "!" asks for resolution even on a quoted scalar: PyYAML
 * reads `! "123"` as 123 (its parser marks such scalars implicit), so we do.
 * On success *out holds a new reference.
 */
static int
resolve_scalar(struct builder *b, const yaml_event_t *ev, json_t **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *name;
	char tagbuf[128];
	int rc;

	if ((tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) ||
	    (tag != NULL && strcmp(tag, "!") == 0)) {
		/* A quoted "\0" would hide the rest of the text from the matchers;
		 * plain scalars cannot hold one. */
		if (strlen(s) == ev->data.scalar.length)
			return resolve_plain(b, ev, out);
		return make_string(b, ev, out);
	}
	if (tag == NULL || strcmp(tag, TAG_PREFIX "str") == 0)
		return make_string(b, ev, out);
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
		goto unsupported;
	name = tag + strlen(TAG_PREFIX);
	if (strcmp(name, "null") == 0) {
		/* PyYAML's constructor ignores the text: `!!null x` is None. */
		*out = json_null();
		return 0;
	}
	if (strcmp(name, "int") != 0 && strcmp(name, "float") != 0 && strcmp(name, "bool") != 0 &&
	    strcmp(name, "timestamp") != 0 && strcmp(name, "binary") != 0)
		goto unsupported;
	/* A "\0" escape would hide the rest of the text from the checks. */
	if (strlen(s) != ev->data.scalar.length)
		return value_fail(b, &ev->start_mark, out, "invalid %s value (contains NUL)",
		                  short_tag(tag, tagbuf, sizeof(tagbuf)));
	if (strcmp(name, "int") == 0)
		return explicit_int(b, ev, s, out);
	if (strcmp(name, "float") == 0)
		return explicit_float(b, ev, s, out);
	if (strcmp(name, "bool") == 0)
		return explicit_bool(b, ev, s, out);
	if (strcmp(name, "binary") == 0)
		return explicit_binary(b, ev, s, out);
	if ((rc = make_timestamp(b, ev, s, true, out)) == 1)
		return value_fail(b, &ev->start_mark, out, "invalid !!timestamp value: %.60s", s);
	return rc;
unsupported:
	return value_fail(b, &ev->start_mark, out, "unsupported tag %.100s",
	                  short_tag(tag, tagbuf, sizeof(tagbuf)));
}

/* ---- anchors ----------------------------------------------------------- */

static struct anchor *
find_anchor(struct builder *b, const char *name)
{
	json_t *i = json_object_get(b->anchor_index, name);

	return i != NULL ? &b->anchors[json_integer_value(i)] : NULL;
}

/*
 * Remembers `value` (borrowed: the table takes its own reference; NULL marks
 * the streamed sequence) under `name`. A name used again replaces the old
 * anchor, as YAML says; values already aliased keep their references.
 * `raw` is a scalar's text, kept for an alias used as a mapping key.
 */
static int
add_anchor(struct builder *b, const char *name, json_t *value, size_t nodes, bool spoiled,
           const char *raw, size_t rawlen, const yaml_mark_t *mark)
{
	struct anchor *a = find_anchor(b, name);
	char *rawcopy = NULL;

	if (raw != NULL) {
		if ((rawcopy = malloc(rawlen + 1)) == NULL)
			return fail_oom(b, mark);
		memcpy(rawcopy, raw, rawlen);
		rawcopy[rawlen] = '\0';
	}
	if (a == NULL) {
		if (b->nanchors == b->anchor_cap) {
			size_t cap = b->anchor_cap != 0 ? b->anchor_cap * 2 : 16;
			struct anchor *grown = realloc(b->anchors, cap * sizeof(*grown));

			if (grown == NULL) {
				free(rawcopy);
				return fail_oom(b, mark);
			}
			b->anchors = grown;
			b->anchor_cap = cap;
		}
		if (json_object_set_new(b->anchor_index, name,
		                        json_integer((json_int_t)b->nanchors)) != 0) {
			free(rawcopy);
			return fail_oom(b, mark);
		}
		a = &b->anchors[b->nanchors++];
	} else {
		json_decref(a->value);
		free(a->raw);
	}
	a->value = json_incref(value);
	a->spoiled = spoiled;
	a->nodes = nodes;
	a->raw = rawcopy;
	a->rawlen = rawlen;
	return 0;
}

/*
 * Accounts for an alias standing for `nodes` nodes, and fails when that makes
 * the document larger than LIMITS allow.
 */
static int
charge_alias(struct builder *b, size_t nodes, const yaml_mark_t *mark)
{
	size_t budget = (size_t)ALIAS_RATIO * b->own_nodes;

	if (budget < ALIAS_FLOOR)
		budget = ALIAS_FLOOR;
	b->alias_nodes += nodes;
	b->tree_alias_nodes += nodes;
	if (b->alias_nodes > budget || b->tree_alias_nodes > TREE_ALIAS_MAX)
		return fail(b, mark,
		            "aliases expand to too many nodes (%zu, from %zu written out): "
		            "a \"billion laughs\" document?",
		            b->alias_nodes, b->own_nodes);
	return 0;
}

/* ---- the frame stack --------------------------------------------------- */

static struct frame *
top(struct builder *b)
{
	return b->depth > 0 ? &b->stack[b->depth - 1] : NULL;
}

/* Releases what a frame owns. */
static void
frame_clear(struct frame *f)
{
	json_decref(f->value);
	json_decref(f->merges);
	free(f->key);
	free(f->anchor);
	memset(f, 0, sizeof(*f));
}

/* Whether the next node is the value of items_key in the top-level mapping. */
static bool
at_items(struct builder *b)
{
	struct frame *f = top(b);

	return b->items_key != NULL && b->depth == 1 && f->kind == FRAME_MAP && f->have_key &&
	       !f->merge_key && f->keylen == strlen(b->items_key) &&
	       memcmp(f->key, b->items_key, f->keylen) == 0;
}

/* Whether the next node is a key of the innermost mapping. */
static bool
at_key(struct builder *b)
{
	struct frame *f = top(b);

	return f != NULL && f->kind == FRAME_MAP && !f->have_key;
}

/*
 * Queues a "<<" value (owned: always consumed) for merging into `f` when it
 * closes. PyYAML's order: mappings in the order of their "<<" keys, a list's
 * mappings last to first, so that the first of a list wins and explicit keys
 * win over all of them (merge_into applies them in this order).
 */
static int
add_merge(struct builder *b, struct frame *f, json_t *v, const yaml_mark_t *mark)
{
	int rc = 0;

	if (f->merges == NULL && (f->merges = json_array()) == NULL) {
		json_decref(v);
		return fail_oom(b, mark);
	}
	if (json_is_object(v)) {
		if (json_array_append(f->merges, v) != 0)
			rc = fail_oom(b, mark);
	} else if (json_is_array(v)) {
		for (size_t i = json_array_size(v); rc == 0 && i-- > 0;) {
			json_t *m = json_array_get(v, i);

			if (!json_is_object(m))
				rc = fail(b, mark,
				          "expected a mapping for merging, but the list "
				          "holds something else");
			else if (json_array_append(f->merges, m) != 0)
				rc = fail_oom(b, mark);
		}
	} else {
		rc = fail(b, mark, "expected a mapping or list of mappings for merging");
	}
	json_decref(v);
	return rc;
}

/* Sets every key of `src` in `dst`, later wins, keys with NULs kept whole. */
static int
merge_into(json_t *dst, json_t *src)
{
	const char *key;
	size_t keylen;
	json_t *value;

	json_object_keylen_foreach(src, key, keylen, value)
	{
		if (json_object_setn(dst, key, keylen, value) != 0)
			return -1;
	}
	return 0;
}

/*
 * Hands a finished node `v` (owned: always consumed) standing for `nodes`
 * nodes, which started at `mark`, to the frame below it, or makes it the
 * document. Returns 0, -1, or a callback's non-zero value.
 */
static int
emit(struct builder *b, json_t *v, size_t nodes, const yaml_mark_t *mark)
{
	struct frame *f = top(b);
	bool spoiled = b->spoiled;
	int rc = 0;

	b->spoiled = false;
	if (f == NULL) {
		b->root = v;
		b->have_root = true;
		return 0;
	}
	f->nodes += nodes;
	f->spoiled |= spoiled;
	switch (f->kind) {
	case FRAME_STREAM:
		if (b->fn != NULL)
			rc = b->fn(b->ud, v, f->count, (int)mark->line + 1,
			           spoiled ? &b->item_err : NULL);
		json_decref(v);
		f->count++;
		f->spoiled = false;
		b->item_spoiled = false;
		b->tree_alias_nodes = 0; /* the next item is a tree of its own */
		if (rc != 0) {
			b->stopped = rc;
			fail(b, mark, "stopped by the item callback (it returned %d)", rc);
		}
		return rc;
	case FRAME_SEQ:
		if (json_array_append_new(f->value, v) != 0)
			return fail_oom(b, mark);
		return 0;
	case FRAME_MAP:
		if (f->merge_key && spoiled)
			json_decref(v); /* a null stands in: nothing to merge */
		else if (f->merge_key)
			rc = add_merge(b, f, v, mark);
		else if (json_object_setn_new(f->value, f->key, f->keylen, v) != 0)
			rc = fail(b, mark, "cannot store the value of key %.60s", f->key);
		free(f->key);
		f->key = NULL;
		f->have_key = false;
		return rc;
	}
	json_decref(v);
	return fail(b, mark, "internal error: unknown frame");
}

/*
 * Streams the elements of an array that an alias put under items_key (the
 * document said `jobs: *all`): they are already in memory, so this only
 * keeps the callback's view the same. Then stores the count as the value.
 */
static int
stream_array(struct builder *b, json_t *arr, const yaml_mark_t *mark)
{
	int rc;

	b->streamed = true;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		if (b->fn != NULL && (rc = b->fn(b->ud, json_array_get(arr, i), i,
		                                 (int)mark->line + 1, NULL)) != 0) {
			b->stopped = rc;
			fail(b, mark, "stopped by the item callback (it returned %d)", rc);
			return rc;
		}
	}
	return emit(b, json_integer((json_int_t)json_array_size(arr)), 1, mark);
}

/* ---- events ------------------------------------------------------------ */

/* Whether a mapping-key scalar's tag is one a key may carry. */
static bool
key_tag_ok(const char *tag)
{
	static const char *const ok[] = {"str",  "int",       "float",  "bool",
	                                 "null", "timestamp", "binary", "merge"};

	if (tag == NULL || strcmp(tag, "!") == 0)
		return true;
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
		return false;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(tag + strlen(TAG_PREFIX), ok[i]) == 0)
			return true;
	return false;
}

/* Records a key of `f` given as text (copied). */
static int
set_key(struct builder *b, struct frame *f, const char *text, size_t len, bool merge,
        const yaml_mark_t *mark)
{
	if ((f->key = malloc(len + 1)) == NULL)
		return fail_oom(b, mark);
	memcpy(f->key, text, len);
	f->key[len] = '\0';
	f->keylen = len;
	f->have_key = true;
	f->merge_key = merge;
	if (merge)
		return 0;
	if (b->items_key != NULL && b->depth == 1 && b->streamed && at_items(b))
		return fail(b, mark, "duplicate key '%.60s': its list was already streamed",
		            b->items_key);
	return 0;
}

/* A scalar used as a mapping key: its text as written (see the top). */
static int
key_scalar(struct builder *b, struct frame *f, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	bool merge, spoiled = false, item_spoiled = b->item_spoiled;
	char tagbuf[128];
	json_t *v;
	int rc;

	if (!key_tag_ok(tag))
		return fail(b, &ev->start_mark, "unsupported tag %.100s",
		            short_tag(tag, tagbuf, sizeof(tagbuf)));
	merge = (tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	         strcmp(s, "<<") == 0) ||
	        (tag != NULL && strcmp(tag, TAG_PREFIX "merge") == 0);
	b->own_nodes++;
	if (ev->data.scalar.anchor != NULL) {
		/* An alias to a key may be used as a value too: keep the value. */
		if (merge)
			v = json_string("<<");
		else if ((rc = resolve_scalar(b, ev, &v)) != 0)
			return rc;
		/* The key itself is its text, whatever the value: only a later
		 * alias to it as a value is spoiled. */
		spoiled = b->spoiled;
		b->spoiled = false;
		b->item_spoiled = item_spoiled;
		rc = v == NULL ? fail_oom(b, &ev->start_mark)
		               : add_anchor(b, (const char *)ev->data.scalar.anchor, v, 1, spoiled,
		                            s, len, &ev->start_mark);
		json_decref(v);
		if (rc != 0)
			return rc;
	}
	return set_key(b, f, s, len, merge, &ev->start_mark);
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *anchor = (const char *)ev->data.scalar.anchor;
	json_t *v;
	int rc;

	if (at_key(b))
		return key_scalar(b, top(b), ev);
	if (at_items(b))
		return fail(b, &ev->start_mark, "'%.60s' is not a list", b->items_key);
	b->own_nodes++;
	if ((rc = resolve_scalar(b, ev, &v)) != 0)
		return rc;
	if (b->depth == 0 && b->items_key != NULL && !json_is_null(v)) {
		json_decref(v);
		return fail(b, &ev->start_mark, "the document is not a mapping (to stream '%.60s')",
		            b->items_key);
	}
	if (anchor != NULL &&
	    add_anchor(b, anchor, v, 1, b->spoiled, (const char *)ev->data.scalar.value,
	               ev->data.scalar.length, &ev->start_mark) != 0) {
		json_decref(v);
		return -1;
	}
	return emit(b, v, 1, &ev->start_mark);
}

static int
on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct anchor *a = find_anchor(b, name);
	int rc;

	if (a == NULL)
		return fail(b, &ev->start_mark, "found undefined alias '%.60s'", name);
	if (a->value == NULL)
		return fail(b, &ev->start_mark,
		            "alias '%.60s' names the streamed list, which is not kept", name);
	if (at_key(b)) {
		if (a->raw == NULL)
			return fail(b, &ev->start_mark,
			            "alias '%.60s' is a mapping or list used as a key; "
			            "JSON keys are strings",
			            name);
		b->own_nodes++;
		return set_key(b, top(b), a->raw, a->rawlen, false, &ev->start_mark);
	}
	if ((rc = charge_alias(b, a->nodes, &ev->start_mark)) != 0)
		return rc;
	if (at_items(b)) {
		if (!json_is_array(a->value))
			return fail(b, &ev->start_mark, "'%.60s' is not a list", b->items_key);
		if (a->spoiled)
			return fail(b, &ev->start_mark,
			            "alias '%.60s' names a list holding a value JSON cannot hold",
			            name);
		return stream_array(b, a->value, &ev->start_mark);
	}
	if (a->spoiled) {
		json_t *null;

		if ((rc = value_fail(b, &ev->start_mark, &null,
		                     "alias '%.60s' names a value JSON cannot hold", name)) != 0)
			return rc;
	}
	return emit(b, json_incref(a->value), a->nodes, &ev->start_mark);
}

/* Opens a sequence (is_map false) or mapping. */
static int
on_start(struct builder *b, const yaml_event_t *ev, bool is_map)
{
	const char *tag, *anchor, *what = is_map ? "mapping" : "list";
	char tagbuf[128];
	struct frame *f;

	if (is_map) {
		tag = (const char *)ev->data.mapping_start.tag;
		anchor = (const char *)ev->data.mapping_start.anchor;
	} else {
		tag = (const char *)ev->data.sequence_start.tag;
		anchor = (const char *)ev->data.sequence_start.anchor;
	}
	if (at_key(b))
		return fail(b, &ev->start_mark,
		            "a %s cannot be a mapping key: JSON keys are strings", what);
	if (tag != NULL && strcmp(tag, "!") != 0 &&
	    strcmp(tag, is_map ? TAG_PREFIX "map" : TAG_PREFIX "seq") != 0)
		return fail(b, &ev->start_mark, "unsupported tag %.100s on a %s",
		            short_tag(tag, tagbuf, sizeof(tagbuf)), what);
	if (b->depth == MAX_DEPTH)
		return fail(b, &ev->start_mark, "nested more than %d levels deep", MAX_DEPTH);
	if (b->depth == 0 && b->items_key != NULL && !is_map)
		return fail(b, &ev->start_mark, "the document is not a mapping (to stream '%.60s')",
		            b->items_key);
	b->own_nodes++;
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->mark = ev->start_mark;
	f->nodes = 1;
	if (at_items(b)) {
		if (is_map)
			return fail(b, &ev->start_mark, "'%.60s' is not a list", b->items_key);
		f->kind = FRAME_STREAM;
		b->streamed = true;
	} else {
		f->kind = is_map ? FRAME_MAP : FRAME_SEQ;
		f->value = is_map ? json_object() : json_array();
		if (f->value == NULL)
			return fail_oom(b, &ev->start_mark);
	}
	if (anchor != NULL && (f->anchor = strdup(anchor)) == NULL) {
		frame_clear(f);
		return fail_oom(b, &ev->start_mark);
	}
	b->depth++;
	if (f->kind == FRAME_STREAM)
		b->stream_depth = b->depth;
	return 0;
}

/* Closes the innermost collection and emits it to its parent. */
static int
on_end(struct builder *b)
{
	struct frame f = b->stack[--b->depth];
	yaml_mark_t start = f.mark; /* errors and item lines name the opening */
	size_t nodes;
	json_t *v;
	int rc;

	memset(&b->stack[b->depth], 0, sizeof(b->stack[b->depth]));
	if (f.kind == FRAME_STREAM) {
		v = json_integer((json_int_t)f.count);
		f.nodes = 1;
		b->stream_depth = 0;
	} else if (f.merges != NULL) {
		/* Merged keys first, in PyYAML's order, then the explicit ones. */
		v = json_object();
		for (size_t i = 0; v != NULL && i <= json_array_size(f.merges); i++) {
			json_t *src =
			    i < json_array_size(f.merges) ? json_array_get(f.merges, i) : f.value;

			if (merge_into(v, src) != 0) {
				json_decref(v);
				v = NULL;
			}
		}
	} else {
		v = json_incref(f.value);
	}
	if (v == NULL) {
		frame_clear(&f);
		return fail_oom(b, &start);
	}
	nodes = f.nodes;
	rc = f.anchor != NULL ? add_anchor(b, f.anchor, f.kind == FRAME_STREAM ? NULL : v, nodes,
	                                   f.spoiled, NULL, 0, &start)
	                      : 0;
	b->spoiled = f.spoiled;
	frame_clear(&f);
	if (rc != 0) {
		json_decref(v);
		return rc;
	}
	return emit(b, v, nodes, &start);
}

/* ---- entry points ------------------------------------------------------ */

/* Frees everything the builder holds but the parser. */
static void
builder_clear(struct builder *b)
{
	for (int i = 0; i < b->depth; i++)
		frame_clear(&b->stack[i]);
	free(b->stack);
	for (size_t i = 0; i < b->nanchors; i++) {
		json_decref(b->anchors[i].value);
		free(b->anchors[i].raw);
	}
	free(b->anchors);
	json_decref(b->anchor_index);
	json_decref(b->root);
	if (b->c_locale != (locale_t)0)
		freelocale(b->c_locale);
}

int
legacy_yaml_parse(FILE *f, const char *items_key, legacy_yaml_item_fn fn, void *ud, json_t **doc,
                  struct legacy_yaml_error *err)
{
	struct legacy_yaml_error scratch;
	struct builder b;
	yaml_event_t ev;
	bool ended = false, done = false;
	int rc = 0;

	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (doc != NULL)
		*doc = NULL;
	memset(&b, 0, sizeof(b));
	b.items_key = items_key;
	b.fn = fn;
	b.ud = ud;
	b.err = err;
	if (f == NULL)
		return fail(&b, NULL, "no input");
	b.stack = calloc(MAX_DEPTH, sizeof(*b.stack));
	b.anchor_index = json_object();
	b.c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (b.stack == NULL || b.anchor_index == NULL || b.c_locale == (locale_t)0) {
		builder_clear(&b);
		return fail_oom(&b, NULL);
	}
	if (!yaml_parser_initialize(&b.parser)) {
		builder_clear(&b);
		return fail_oom(&b, NULL);
	}
	yaml_parser_set_input_file(&b.parser, f);

	while (!done && rc == 0) {
		if (!yaml_parser_parse(&b.parser, &ev)) {
			rc = syntax_error(&b);
			break;
		}
		if (ended) {
			/* One event past the first document: the start of a second
			 * one (not read) or the end of the stream. Asking for it is
			 * what makes libyaml report junk after a document that had
			 * no explicit end, "a: 1\n]" say, as PyYAML would. */
			yaml_event_delete(&ev);
			break;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_start(&b, &ev, false);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_start(&b, &ev, true);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_end(&b);
			break;
		case YAML_DOCUMENT_END_EVENT: /* only the first document counts */
			ended = true;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default: /* stream and document starts */
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&b.parser);

	if (rc == 0) {
		if (doc != NULL) {
			*doc = b.have_root ? b.root : json_null();
			b.root = NULL;
		}
	} else if (b.stopped != 0) {
		rc = b.stopped;
	} else {
		rc = -1;
	}
	builder_clear(&b);
	return rc;
}

int
legacy_yaml_load_file(const char *path, json_t **doc, struct legacy_yaml_error *err)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (f == NULL) {
		if (doc != NULL)
			*doc = NULL;
		if (err != NULL) {
			err->line = 0;
			err->column = 0;
			snprintf(err->message, sizeof(err->message), "cannot open %s: %s", path,
			         strerror(errno));
		}
		return -1;
	}
	rc = legacy_yaml_parse(f, NULL, NULL, NULL, doc, err);
	fclose(f);
	return rc;
}
