/*
 * field_json.c: see field_json.h.
 */
#include "field_json.h"
#include "status.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

int
field_json_check(const char *text, bool want_object, char *why, size_t whylen)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	int rv = 0;

	if (v == NULL) {
		if (json_error_code(&je) == json_error_out_of_memory) {
			snprintf(why, whylen, "could not be checked: out of memory");
			return ST(RESOURCE_EXHAUSTED);
		}
		snprintf(why, whylen, "is not valid JSON: %s (line %d, column %d)", je.text,
		         je.line, je.column);
		return ST(INVALID_ARGUMENT);
	}
	if (want_object && !json_is_object(v)) {
		snprintf(why, whylen, "is a JSON %s, not an object", type_name(v));
		rv = ST(INVALID_ARGUMENT);
	}
	json_decref(v);
	return rv;
}

/* The fewest significant digits (1..17) that print x so that it reads back
 * as x, over every real in v: jansson prints reals with one precision for
 * the whole document, and 17 digits turn 0.1 into 0.10000000000000001. */
static int
real_digits(const json_t *v)
{
	char buf[40];
	int best = 1, d;
	const char *key;
	json_t *child;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_REAL:
		for (d = 1; d < 17; d++) {
			snprintf(buf, sizeof buf, "%.*g", d, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		return d;
	case JSON_ARRAY:
		json_array_foreach(v, i, child) if ((d = real_digits(child)) > best) best = d;
		return best;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, child) if ((d = real_digits(child)) > best)
		    best = d;
		return best;
	default:
		return best;
	}
}

int
field_json_remove_key(const char *text, const char *key, arena *a, char **out)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	char *s;
	int rv = 0;

	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		return ST(INVALID_ARGUMENT);
	}
	json_object_del(v, key);
	s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(real_digits(v)));
	if (s == NULL || (*out = arena_strdup(a, s)) == NULL)
		rv = ST(RESOURCE_EXHAUSTED);
	free(s);
	json_decref(v);
	return rv;
}
