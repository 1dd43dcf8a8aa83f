/*
 * yamlout.c: see yamlout.h. What PyYAML's SafeDumper decides, and how it is
 * said to libyaml's emitter:
 *
 *   JSON value   YAML tag   text                    plain  quoted (implicit)
 *   string       !!str      as is                   (*)    yes
 *   integer      !!int      decimal                 yes    no
 *   real         !!float    Python repr, ".0e" form yes    no
 *   true/false   !!bool     true / false            yes    no
 *   null         !!null     null                    yes    no
 *   object       !!map      keys sorted, block      -      -
 *   array        !!seq      block                   -      -
 *
 * (*) plain only when legacy_yaml_plain_is_string() says the text reads back as a
 * string; otherwise the emitter must quote it ('123', 'yes', '2025-01-01').
 * libyaml then picks the style as PyYAML's emitter (a port of libyaml's)
 * does: plain if it can, else single quotes, else double quotes, which is
 * where non-ASCII text goes with unicode off (escaped as \xE9, \u263A,
 * \U0001F600, as safe_dump writes them). Empty collections come out as {}
 * and [], also as safe_dump writes them.
 *
 * The one difference from PyYAML's own emitter (tests/test_yamlout.c): an
 * empty mapping key is written `'': value`, where PyYAML writes the complex
 * key `? ''`; both read back as the same data.
 */
#include "yamlout.h"
#include "yamljson.h"

#include <yaml.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TAG(name) ((yaml_char_t *)"tag:yaml.org,2002:" name)

struct legacy_yaml_out {
	yaml_emitter_t emitter;
	char error[256];
	bool items_open;
};

/* ---- floats as Python writes them ------------------------------------- */

void
legacy_yaml_float_text(double d, char *buf, size_t size)
{
	char tmp[40], digits[24], *p, *e;
	int prec, exp, decpt, nd = 0;
	bool neg;
	size_t n = 0;

	/* The fewest significant digits that read back as d: Python's repr. */
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
	p = tmp;
	neg = *p == '-';
	if (neg)
		p++;
	e = strchr(p, 'e');
	for (; p < e; p++)
		if (*p != '.')
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp = atoi(e + 1);
	decpt = exp + 1;
	if (neg && n + 1 < size)
		buf[n++] = '-';
	if (decpt > -4 && decpt <= 16) {
		/* Fixed notation, always with a fraction: 1.0, 0.001, 120.5. */
		char fixed[48];
		size_t m = 0;

		if (decpt <= 0) {
			fixed[m++] = '0';
			fixed[m++] = '.';
			for (int z = 0; z < -decpt; z++)
				fixed[m++] = '0';
			memcpy(fixed + m, digits, (size_t)nd);
			m += (size_t)nd;
		} else if (decpt >= nd) {
			memcpy(fixed, digits, (size_t)nd);
			m = (size_t)nd;
			for (int z = 0; z < decpt - nd; z++)
				fixed[m++] = '0';
			fixed[m++] = '.';
			fixed[m++] = '0';
		} else {
			memcpy(fixed, digits, (size_t)decpt);
			m = (size_t)decpt;
			fixed[m++] = '.';
			memcpy(fixed + m, digits + decpt, (size_t)(nd - decpt));
			m += (size_t)(nd - decpt);
		}
		fixed[m] = '\0';
		snprintf(buf + n, size - n, "%s", fixed);
	} else {
		/* Exponent: Python's 1e-05 or 1.5e+16, which PyYAML makes 1.0e-05 (a
		 * float in YAML 1.1 needs the dot). */
		snprintf(buf + n, size - n, "%c.%se%c%02d", digits[0], nd > 1 ? digits + 1 : "0",
		         exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
}

/* ---- events ------------------------------------------------------------ */

static int
emit(legacy_yaml_out *y, yaml_event_t *ev)
{
	if (yaml_emitter_emit(&y->emitter, ev))
		return 0;
	snprintf(y->error, sizeof y->error, "cannot write YAML: %s",
	         y->emitter.problem != NULL              ? y->emitter.problem
	         : y->emitter.error == YAML_WRITER_ERROR ? "the file could not be written"
	                                                 : "libyaml failed");
	return -1;
}

static int
scalar(legacy_yaml_out *y, yaml_char_t *tag, const char *text, size_t len, bool plain_ok,
       bool quoted_ok)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, tag, (yaml_char_t *)text, (int)len, plain_ok,
	                                  quoted_ok, YAML_ANY_SCALAR_STYLE)) {
		snprintf(y->error, sizeof y->error, "out of memory");
		return -1;
	}
	return emit(y, &ev);
}

static int
string(legacy_yaml_out *y, const char *s, size_t len)
{
	/* Text with a NUL cannot be matched as a whole: quote it, always safe. */
	bool plain = strlen(s) == len && legacy_yaml_plain_is_string(s);

	return scalar(y, TAG("str"), s, len, plain, true);
}

struct key {
	const char *text;
	size_t len;
	json_t *value;
};

/* Python's sort of str keys: by code point, which is UTF-8 byte order. */
static int
key_order(const void *a_, const void *b_)
{
	const struct key *a = a_, *b = b_;
	size_t n = a->len < b->len ? a->len : b->len;
	int d = memcmp(a->text, b->text, n);

	return d != 0 ? d : (a->len > b->len) - (a->len < b->len);
}

static int value(legacy_yaml_out *y, const json_t *v);

static int
mapping(legacy_yaml_out *y, const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0, len;
	struct key *keys = malloc((n + 1) * sizeof *keys);
	const char *k;
	json_t *v;
	yaml_event_t ev;
	int rc = 0;

	if (keys == NULL) {
		snprintf(y->error, sizeof y->error, "out of memory");
		return -1;
	}
	json_object_keylen_foreach((json_t *)obj, k, len, v) keys[i++] = (struct key){k, len, v};
	qsort(keys, n, sizeof *keys, key_order);
	yaml_mapping_start_event_initialize(&ev, NULL, TAG("map"), 1, YAML_BLOCK_MAPPING_STYLE);
	rc = emit(y, &ev);
	for (i = 0; rc == 0 && i < n; i++)
		if ((rc = string(y, keys[i].text, keys[i].len)) == 0)
			rc = value(y, keys[i].value);
	free(keys);
	if (rc != 0)
		return rc;
	yaml_mapping_end_event_initialize(&ev);
	return emit(y, &ev);
}

static int
sequence(legacy_yaml_out *y, const json_t *arr)
{
	yaml_event_t ev;
	size_t i;
	json_t *v;

	yaml_sequence_start_event_initialize(&ev, NULL, TAG("seq"), 1, YAML_BLOCK_SEQUENCE_STYLE);
	if (emit(y, &ev) != 0)
		return -1;
	json_array_foreach(arr, i, v) if (value(y, v) != 0) return -1;
	yaml_sequence_end_event_initialize(&ev);
	return emit(y, &ev);
}

static int
value(legacy_yaml_out *y, const json_t *v)
{
	char buf[40];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return mapping(y, v);
	case JSON_ARRAY:
		return sequence(y, v);
	case JSON_STRING:
		return string(y, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return scalar(y, TAG("int"), buf, strlen(buf), true, false);
	case JSON_REAL:
		legacy_yaml_float_text(json_real_value(v), buf, sizeof buf);
		return scalar(y, TAG("float"), buf, strlen(buf), true, false);
	case JSON_TRUE:
		return scalar(y, TAG("bool"), "true", 4, true, false);
	case JSON_FALSE:
		return scalar(y, TAG("bool"), "false", 5, true, false);
	case JSON_NULL:
		return scalar(y, TAG("null"), "null", 4, true, false);
	}
	snprintf(y->error, sizeof y->error, "a JSON value of unknown type");
	return -1;
}

/* ---- documents --------------------------------------------------------- */

int
legacy_yaml_out_open(legacy_yaml_out **out, FILE *f)
{
	legacy_yaml_out *y = calloc(1, sizeof *y);
	yaml_event_t ev;

	*out = NULL;
	if (y == NULL)
		return -1;
	if (!yaml_emitter_initialize(&y->emitter)) {
		free(y);
		return -1;
	}
	yaml_emitter_set_output_file(&y->emitter, f);
	yaml_emitter_set_unicode(&y->emitter, 0); /* allow_unicode=False */
	yaml_emitter_set_indent(&y->emitter, 2);
	yaml_emitter_set_width(&y->emitter, 80);
	yaml_emitter_set_break(&y->emitter, YAML_LN_BREAK);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(y, &ev) != 0) {
		legacy_yaml_out_close(y);
		return -1;
	}
	*out = y;
	return 0;
}

static int
document_start(legacy_yaml_out *y)
{
	yaml_event_t ev;

	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	return emit(y, &ev);
}

static int
document_end(legacy_yaml_out *y)
{
	yaml_event_t ev;

	yaml_document_end_event_initialize(&ev, 1);
	return emit(y, &ev);
}

int
legacy_yaml_out_document(legacy_yaml_out *y, const json_t *doc)
{
	if (document_start(y) != 0 || value(y, doc) != 0)
		return -1;
	return document_end(y);
}

int
legacy_yaml_out_begin_items(legacy_yaml_out *y, const char *key)
{
	yaml_event_t ev;

	if (document_start(y) != 0)
		return -1;
	yaml_mapping_start_event_initialize(&ev, NULL, TAG("map"), 1, YAML_BLOCK_MAPPING_STYLE);
	if (emit(y, &ev) != 0 || string(y, key, strlen(key)) != 0)
		return -1;
	yaml_sequence_start_event_initialize(&ev, NULL, TAG("seq"), 1, YAML_BLOCK_SEQUENCE_STYLE);
	if (emit(y, &ev) != 0)
		return -1;
	y->items_open = true;
	return 0;
}

int
legacy_yaml_out_item(legacy_yaml_out *y, const json_t *item)
{
	return value(y, item);
}

int
legacy_yaml_out_end_items(legacy_yaml_out *y)
{
	yaml_event_t ev;

	y->items_open = false;
	yaml_sequence_end_event_initialize(&ev);
	if (emit(y, &ev) != 0)
		return -1;
	yaml_mapping_end_event_initialize(&ev);
	if (emit(y, &ev) != 0)
		return -1;
	return document_end(y);
}

int
legacy_yaml_out_finish(legacy_yaml_out *y)
{
	yaml_event_t ev;

	yaml_stream_end_event_initialize(&ev);
	if (emit(y, &ev) != 0)
		return -1;
	if (!yaml_emitter_flush(&y->emitter)) {
		snprintf(y->error, sizeof y->error,
		         "cannot write YAML: the file could not be written");
		return -1;
	}
	return 0;
}

const char *
legacy_yaml_out_error(const legacy_yaml_out *y)
{
	return y->error;
}

void
legacy_yaml_out_close(legacy_yaml_out *y)
{
	if (y == NULL)
		return;
	yaml_emitter_delete(&y->emitter);
	free(y);
}
