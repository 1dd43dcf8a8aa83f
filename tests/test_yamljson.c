/*
 * test_yamljson.c: client/legacy/yamljson.c, the legacy engine's YAML reader.
 *
 * Every resolution rule of PyYAML's safe_load that yamljson.c reproduces is
 * checked here with a known input and the JSON it must give, then the whole
 * of tests/data/yaml/tricky.yaml is checked against PyYAML itself when
 * python3 has it. The rest covers what a reader of untrusted files owes its
 * caller: errors with the right place, limits on aliases and nesting, and a
 * streaming mode whose memory does not grow with the file.
 */
#include "yamljson.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
/* From <sanitizer/allocator_interface.h>, which Debian ships only with clang. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define TRICKY TEST_DATA_DIR "/yaml/tricky.yaml"

/* ---- helpers ----------------------------------------------------------- */

/* An in-memory FILE over `text` (fmemopen refuses a size of 0). */
static FILE *
open_text(const char *text)
{
	FILE *f = *text != '\0' ? fmemopen((void *)text, strlen(text), "r") : tmpfile();

	cr_assert_not_null(f, "cannot open the input: %s", strerror(errno));
	return f;
}

/* legacy_yaml_parse() of `text`, without streaming. */
static int
parse(const char *text, json_t **doc, struct legacy_yaml_error *err)
{
	FILE *f = open_text(text);
	int rc = legacy_yaml_parse(f, NULL, NULL, NULL, doc, err);

	fclose(f);
	return rc;
}

/* The compact, key-sorted JSON of `v`; free() it. */
static char *
dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);

	cr_assert_not_null(s);
	return s;
}

/* Asserts that `yaml` parses to exactly the JSON `want`. */
static void
check(const char *yaml, const char *want)
{
	struct legacy_yaml_error err;
	json_t *doc = NULL;
	char *got;
	int rc = parse(yaml, &doc, &err);

	cr_assert_eq(rc, 0, "parse of [%s] failed at %d:%d: %s", yaml, err.line, err.column,
	             err.message);
	got = dump(doc);
	cr_assert_str_eq(got, want, "[%s] gave %s, want %s", yaml, got, want);
	free(got);
	json_decref(doc);
}

/* Asserts that the first document of `yaml` is the real `want`. */
static void
check_real(const char *yaml, double want)
{
	struct legacy_yaml_error err;
	json_t *doc = NULL;

	cr_assert_eq(parse(yaml, &doc, &err), 0, "[%s]: %s", yaml, err.message);
	cr_assert(json_is_real(doc), "[%s] is not a real", yaml);
	cr_assert_eq(json_real_value(doc), want, "[%s] gave %.17g, want %.17g", yaml,
	             json_real_value(doc), want);
	json_decref(doc);
}

/*
 * Asserts that `yaml` fails with -1 at line:col (0: do not check), with a
 * message containing `part`, and leaves *doc NULL.
 */
static void
check_error(const char *yaml, int line, int col, const char *part)
{
	struct legacy_yaml_error err;
	json_t *doc = json_null(); /* must be overwritten with NULL */
	int rc = parse(yaml, &doc, &err);

	cr_assert_eq(rc, -1, "[%s] did not fail (rc %d)", yaml, rc);
	cr_assert_null(doc, "[%s] failed but left a document", yaml);
	cr_assert(strstr(err.message, part) != NULL, "[%s]: message \"%s\" lacks \"%s\"", yaml,
	          err.message, part);
	if (line != 0)
		cr_assert_eq(err.line, line, "[%s]: line %d, want %d (%s)", yaml, err.line, line,
		             err.message);
	if (col != 0)
		cr_assert_eq(err.column, col, "[%s]: column %d, want %d (%s)", yaml, err.column,
		             col, err.message);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes the process has allocated, to see whether streaming grows. */
static size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

/* ---- strings and styles ------------------------------------------------ */

Test(styles, quoted_and_block_scalars_are_strings)
{
	check("'123'", "\"123\"");
	check("\"123\"", "\"123\"");
	check("\"true\"", "\"true\"");
	check("'~'", "\"~\"");
	check("''", "\"\"");
	check("'2001-12-14'", "\"2001-12-14\"");
	check("|\n  123\n", "\"123\\n\"");
	check(">-\n  yes\n", "\"yes\"");
	check("[\"1.5\", '0x1F', 'null']", "[\"1.5\",\"0x1F\",\"null\"]");
}

Test(styles, literal_and_folded_blocks)
{
	check("a: |\n  line one\n    indented\n  line three\n",
	      "{\"a\":\"line one\\n  indented\\nline three\\n\"}");
	check("a: >\n  folded\n  text\n\n  new paragraph\n",
	      "{\"a\":\"folded text\\nnew paragraph\\n\"}");
	check("a: |-\n  stripped\n\n", "{\"a\":\"stripped\"}");
	check("a: |+\n  kept\n\nb: 1\n", "{\"a\":\"kept\\n\\n\",\"b\":1}");
	check("a: this is\n  plain\n  over lines\n", "{\"a\":\"this is plain over lines\"}");
	check("a: \"x\n  y\\\n  z\"\n", "{\"a\":\"x yz\"}");
	check("a: 'it''s'\n", "{\"a\":\"it's\"}");
}

Test(styles, plain_text_stays_text)
{
	check("hello world", "\"hello world\"");
	check("[<<, =, a=b, -, 1.2.3, 1:60, 0b, 0x, 12:30:60, 0o17, 08, 1_2_z]",
	      "[\"<<\",\"=\",\"a=b\",\"-\",\"1.2.3\",\"1:60\",\"0b\",\"0x\",\"12:30:60\","
	      "\"0o17\",\"08\",\"1_2_z\"]");
}

Test(styles, unicode)
{
	json_t *doc;
	struct legacy_yaml_error err;
	const char *s;

	check("\"caf\\u00e9\"", "\"caf\xc3\xa9\"");
	check("café", "\"caf\xc3\xa9\"");
	check("\"caf\\xe9\"", "\"caf\xc3\xa9\"");
	check("naïve: ünïcödé", "{\"na\xc3\xafve\":\"\xc3\xbcn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9\"}");
	/* Astral plane: one code point, four bytes of UTF-8, a surrogate pair in
	 * escaped JSON. */
	cr_assert_eq(parse("\"\\U0001F600\"", &doc, &err), 0, "%s", err.message);
	s = json_string_value(doc);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "\xf0\x9f\x98\x80");
	json_decref(doc);
	cr_assert_eq(parse("\xf0\x9f\x98\x80 ok", &doc, &err), 0, "%s", err.message);
	cr_assert_str_eq(json_string_value(doc), "\xf0\x9f\x98\x80 ok");
	json_decref(doc);
	{
		char *ascii;

		cr_assert_eq(parse("\"\\U0001F600\"", &doc, &err), 0);
		ascii = json_dumps(doc, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		cr_assert_str_eq(ascii, "\"\\uD83D\\uDE00\"");
		free(ascii);
		json_decref(doc);
	}
}

Test(styles, nul_escape_is_kept)
{
	json_t *doc;
	struct legacy_yaml_error err;

	cr_assert_eq(parse("\"a\\0b\": \"c\\0d\"", &doc, &err), 0, "%s", err.message);
	cr_assert_eq(json_object_size(doc), 1);
	cr_assert_not_null(json_object_getn(doc, "a\0b", 3));
	cr_assert_eq(json_string_length(json_object_getn(doc, "a\0b", 3)), 3);
	json_decref(doc);
}

/* ---- null and bool ----------------------------------------------------- */

Test(resolve, nulls)
{
	check("[~, null, Null, NULL]", "[null,null,null,null]");
	check("a:\nb: ~\n", "{\"a\":null,\"b\":null}");
	check("[nUll, NULl, nil, None]", "[\"nUll\",\"NULl\",\"nil\",\"None\"]");
}

Test(resolve, booleans)
{
	check("[yes, Yes, YES, true, True, TRUE, on, On, ON]",
	      "[true,true,true,true,true,true,true,true,true]");
	check("[no, No, NO, false, False, FALSE, off, Off, OFF]",
	      "[false,false,false,false,false,false,false,false,false]");
	/* YAML 1.1 has y and n in its spec, PyYAML does not; nor mixed case. */
	check("[y, Y, n, N, yEs, tRue, oN, 'yes']", "[\"y\",\"Y\",\"n\",\"N\",\"yEs\",\"tRue\","
	                                            "\"oN\",\"yes\"]");
}

/* ---- integers ---------------------------------------------------------- */

Test(resolve, decimal_ints)
{
	check("[0, 7, -7, +7, -0, 1_000, 1__0_, 12345678901]", "[0,7,-7,7,0,1000,10,12345678901]");
	check("1099511627776", "1099511627776"); /* 2^40 */
	check("9223372036854775807", "9223372036854775807");
	check("-9223372036854775808", "-9223372036854775808");
}

Test(resolve, octal_hex_binary)
{
	/* 010 is octal in YAML 1.1: eight. 08 and 0o17 are not ints at all. */
	check("[010, -010, 0_7, 00, 0_, 017_7]", "[8,-8,7,0,0,127]");
	check("[08, 0o17, 019]", "[\"08\",\"0o17\",\"019\"]");
	check("[0x1F, 0x1f, 0x_1F, -0xff, +0x10, 0xFFFF_FFFF]", "[31,31,31,-255,16,4294967295]");
	check("[0b1010, -0b11, 0b_1_0, 0b102]", "[10,-3,2,\"0b102\"]");
	check("0x7fffffffffffffff", "9223372036854775807");
	check("-0x8000000000000000", "-9223372036854775808");
}

Test(resolve, sexagesimal_ints)
{
	check("190:20:30", "685230");
	check("-1:30", "-90");
	check("1:0:0:0", "216000");
	check("1_0:05", "605");
	/* 60 is not a base-60 digit; 0 cannot start the first group. */
	check("1:60", "\"1:60\"");
	check("0:30", "\"0:30\"");
	check("1:2:3x", "\"1:2:3x\"");
	check("1:2:345", "\"1:2:345\"");
}

Test(resolve, ints_outside_int64)
{
	check_error("a: 1\nb: 1180591620717411303424\n", 2, 4, "integer out of range");
	check_error("9223372036854775808", 1, 1, "integer out of range");
	check_error("-9223372036854775809", 1, 1, "integer out of range");
	check_error("0x1_0000_0000_0000_0000", 1, 1, "integer out of range");
	check_error("- 99999999999999999999:00\n", 1, 3, "integer out of range");
	/* The pattern matches, but there are no digits: PyYAML refuses too. */
	check_error("[1, 0x_]", 1, 5, "without digits");
	check_error("0b_", 1, 1, "without digits");
}

/* ---- floats ------------------------------------------------------------ */

Test(resolve, floats)
{
	check("[0.5, 1.25, -2.5, +0.75, 1., 0.]", "[0.5,1.25,-2.5,0.75,1.0,0.0]");
	check("[1.0e+5, 1.e+5, 1.0E-1, 1_000.5, .5, ._5]",
	      "[100000.0,100000.0,0.10000000000000001,1000.5,0.5,\"._5\"]");
	/* Strings, not floats, in YAML 1.1: no dot, or an unsigned exponent, or a
	 * sign before a bare fraction. */
	check("[1e5, 1.0e5, 1E+5, -.5, +.5, 1.5e, 1.5e+]",
	      "[\"1e5\",\"1.0e5\",\"1E+5\",\"-.5\",\"+.5\",\"1.5e\",\"1.5e+\"]");
	check_real("190:20:30.15", 685230.15);
	check_real("-1:30.5", -90.5);
	check_real("0.1", 0.1);
	check_real("6.02e+23", 6.02e+23);
	check_real("-0.0", -0.0);
}

Test(resolve, floats_json_cannot_hold)
{
	check_error("a: .inf", 1, 4, ".inf cannot be represented in JSON");
	check_error("[-.Inf]", 1, 2, "cannot be represented in JSON");
	check_error("+.INF", 1, 1, "cannot be represented in JSON");
	check_error("x:\n  - .nan\n", 2, 5, ".nan cannot be represented in JSON");
	check_error(".NaN", 1, 1, "cannot be represented in JSON");
	check_error("1.0e+999", 1, 1, "cannot be represented in JSON");
	/* Not the special forms, so plain strings. */
	check("[.infinity, -.nan, inf, nan, .iNf]",
	      "[\".infinity\",\"-.nan\",\"inf\",\"nan\",\".iNf\"]");
}

Test(resolve, floats_ignore_the_locale)
{
	static const char *const comma_locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR"};
	bool set = false;

	for (size_t i = 0; !set && i < sizeof(comma_locales) / sizeof(comma_locales[0]); i++)
		set = setlocale(LC_NUMERIC, comma_locales[i]) != NULL;
	cr_assert(set, "no locale with a decimal comma (tools/deps.sh test makes de_DE.UTF-8)");
	cr_assert_str_eq(localeconv()->decimal_point, ",", "the locale's decimal point");
	check("[1.5, 190:20:30.5]", "[1.5,685230.5]");
}

/* ---- timestamps -------------------------------------------------------- */

Test(resolve, timestamps)
{
	check("2002-12-14", "\"2002-12-14T00:00:00Z\"");
	check("2001-12-15T02:59:43.1Z", "\"2001-12-15T02:59:43.100000Z\"");
	check("2001-12-14t21:59:43.10-05:00", "\"2001-12-15T02:59:43.100000Z\"");
	check("2001-12-14 21:59:43.10 -5", "\"2001-12-15T02:59:43.100000Z\"");
	check("2001-12-14T21:59:43+05:30", "\"2001-12-14T16:29:43Z\"");
	check("2001-12-14 21:59:43 Z", "\"2001-12-14T21:59:43Z\"");
	/* A time without a zone is UTC, as YAML 1.1 says. */
	check("2001-12-14 2:59:43.10", "\"2001-12-14T02:59:43.100000Z\"");
	check("2001-1-2 3:04:05", "\"2001-01-02T03:04:05Z\"");
	/* PyYAML keeps microseconds by truncation, not rounding; a bare dot is
	 * no fraction. */
	check("2001-12-14 21:59:43.1234567", "\"2001-12-14T21:59:43.123456Z\"");
	check("2001-12-14 21:59:43.9999999", "\"2001-12-14T21:59:43.999999Z\"");
	check("2001-12-14 21:59:43.", "\"2001-12-14T21:59:43Z\"");
	check("2000-02-29", "\"2000-02-29T00:00:00Z\"");
}

Test(resolve, not_timestamps)
{
	/* A date alone needs two-digit month and day (PyYAML's resolver). */
	check("[2001-1-2, 2001-01-2, '2001-12-14', 2001-12-14x, 20011-12-14]",
	      "[\"2001-1-2\",\"2001-01-2\",\"2001-12-14\",\"2001-12-14x\",\"20011-12-14\"]");
	check("[2001-12-14 21:59, 2001-12-14 21:59:43 +0530, 2001-12-14 21:59:43 z]",
	      "[\"2001-12-14 21:59\",\"2001-12-14 21:59:43 +0530\","
	      "\"2001-12-14 21:59:43 z\"]");
}

Test(resolve, impossible_timestamps_fail)
{
	/* They have a timestamp's shape, so PyYAML fails (ValueError); so do we. */
	check_error("a: 2001-13-01\n", 1, 4, "invalid timestamp");
	check_error("a: 2001-02-29\n", 1, 4, "invalid timestamp");
	check_error("- 2001-12-14 21:59:60\n", 1, 3, "invalid timestamp");
	check_error("2001-12-14 24:00:00", 1, 1, "invalid timestamp");
	check_error("2001-12-14 21:59:43 +24", 1, 1, "invalid timestamp");
	check_error("0000-01-01", 1, 1, "invalid timestamp");
}

/* ---- explicit tags ----------------------------------------------------- */

Test(tags, yaml_tags_are_obeyed)
{
	check("!!str 123", "\"123\"");
	check("!!str yes", "\"yes\"");
	check("!!str", "\"\"");
	check("!!int \"7\"", "7");
	check("!!int '010'", "8");
	check("!!float 1e5", "100000.0");
	check("!!float \"3\"", "3.0");
	check("!!float 1_0.5", "10.5");
	check("!!bool \"yes\"", "true");
	check("!!bool yEs", "true");
	check("!!bool OFF", "false");
	check("!!null \"anything\"", "null");
	check("!!timestamp 2001-1-2", "\"2001-01-02T00:00:00Z\"");
	check("!!timestamp '2001-12-14 21:59:43.10 -5'", "\"2001-12-15T02:59:43.100000Z\"");
	check("!!seq [1, 2]", "[1,2]");
	check("!!map {a: 1}", "{\"a\":1}");
	check("%TAG !y! tag:yaml.org,2002:\n---\n!y!int \"12\"", "12");
	check("!<tag:yaml.org,2002:str> 5", "\"5\"");
}

/* PyYAML's constructors accept more than its resolvers recognise. */
Test(tags, explicit_numbers_read_as_pyyaml_constructs_them)
{
	check("!!int 0o17", "15");
	check("!!int 1:60", "120");
	check("!!int 12:30:60", "45060");
	check("!!int 0_b1_01", "5");
	check("!!int -0x_ff", "-255");
	check("!!int 00", "0");
	check("!!float 190:20:30", "685230.0");
	check("!!float -1:30", "-90.0");
	check("!!float 1_2:3_0", "750.0");
	check("!!float ._5", "0.5");
	check("!!float 1E5", "100000.0");
	check("!!float 5.", "5.0");
}

Test(tags, non_specific_tag_resolves_like_pyyaml)
{
	/* PyYAML marks a scalar tagged "!" as implicit, quoted or not. */
	check("! 123", "123");
	check("! \"123\"", "123");
	check("! 'yes'", "true");
	check("! hello", "\"hello\"");
	check("! [1]", "[1]");
	check("! {a: b}", "{\"a\":\"b\"}");
}

Test(tags, binary_is_its_base64_text)
{
	check("!!binary aGVsbG8=", "\"aGVsbG8=\"");
	check("!!binary |\n  R0lGODlhDAAMAIQAAP//9/X\n  17unp5WZmZgAAAOfn515eXvPz7Y6OjuDg4J\n",
	      "\"R0lGODlhDAAMAIQAAP//9/X17unp5WZmZgAAAOfn515eXvPz7Y6OjuDg4J\"");
}

Test(tags, unsupported_tags_fail)
{
	check_error("a: !!python/object:__main__.Foo {x: 1}\n", 1, 4,
	            "unsupported tag !!python/object:__main__.Foo");
	check_error("a: !!python/name:os.system ''\n", 1, 4, "unsupported tag !!python/name");
	check_error("- !custom 1\n", 1, 3, "unsupported tag !custom");
	check_error("!!set {a, b}", 1, 1, "unsupported tag !!set");
	check_error("!!omap [a: 1]", 1, 1, "unsupported tag !!omap");
	check_error("!!merge x", 1, 1, "unsupported tag !!merge");
	check_error("!!str [1]", 1, 1, "unsupported tag !!str on a list");
	check_error("!!seq {a: 1}", 1, 1, "unsupported tag !!seq on a mapping");
	check_error("!foo x: 1", 1, 1, "unsupported tag !foo");
}

Test(tags, bad_values_for_tags_fail)
{
	check_error("a: !!int abc", 1, 4, "invalid !!int value: abc");
	check_error("!!int ''", 1, 1, "invalid !!int value");
	check_error("!!int 1.5", 1, 1, "invalid !!int value");
	check_error("!!float x1", 1, 1, "invalid !!float value");
	check_error("!!float 0x1p3", 1, 1, "invalid !!float value");
	check_error("!!float 1e", 1, 1, "invalid !!float value");
	check_error("!!float 1:x", 1, 1, "invalid !!float value");
	check_error("!!float ''", 1, 1, "invalid !!float value");
	check_error("!!float .inf", 1, 1, "cannot be represented in JSON");
	check_error("!!float -Infinity", 1, 1, "cannot be represented in JSON");
	check_error("!!float NaN", 1, 1, "cannot be represented in JSON");
	check_error("!!int 08", 1, 1, "invalid !!int value");
	check_error("!!int 1::2", 1, 1, "invalid !!int value");
	check_error("!!int 0x", 1, 1, "invalid !!int value");
	check_error("!!bool maybe", 1, 1, "invalid !!bool value");
	check_error("!!timestamp yesterday", 1, 1, "invalid !!timestamp value");
	check_error("!!int \"1\\02\"", 1, 1, "contains NUL");
}

/* ---- mappings and keys ------------------------------------------------- */

Test(keys, scalar_keys_are_their_text)
{
	check("1: a\ntrue: b\n~: c\nnull: d\n0x1F: e\n1.5: f\n2001-12-14: g\n\"q\": h\n",
	      "{\"0x1F\":\"e\",\"1\":\"a\",\"1.5\":\"f\",\"2001-12-14\":\"g\",\"null\":\"d\","
	      "\"q\":\"h\",\"true\":\"b\",\"~\":\"c\"}");
	check("? complex\n  key\n: 1\n", "{\"complex key\":1}");
	check("? \n: empty\n", "{\"\":\"empty\"}");
	check("!!int 07: x", "{\"07\":\"x\"}");
	check("{a, b: 1}", "{\"a\":null,\"b\":1}");
}

Test(keys, later_duplicate_wins)
{
	check("a: 1\nb: 2\na: 3\n", "{\"a\":3,\"b\":2}");
	check("{a: 1, a: [2]}", "{\"a\":[2]}");
}

Test(keys, collections_cannot_be_keys)
{
	check_error("? [1]\n: 2\n", 1, 3, "a list cannot be a mapping key");
	check_error("a: 1\n? {b: 1}\n: 2\n", 2, 3, "a mapping cannot be a mapping key");
	check_error("{[1]: 2}", 1, 2, "cannot be a mapping key");
	check_error("- &l [1]\n- {*l : 2}\n", 2, 4, "used as a key");
}

Test(keys, insertion_order_is_kept)
{
	json_t *doc;
	struct legacy_yaml_error err;
	char *s;

	cr_assert_eq(parse("z: 1\na: 2\nm: 3\n", &doc, &err), 0);
	s = json_dumps(doc, JSON_COMPACT);
	cr_assert_str_eq(s, "{\"z\":1,\"a\":2,\"m\":3}");
	free(s);
	json_decref(doc);
}

/* ---- merge keys -------------------------------------------------------- */

Test(merge, mapping_merges_and_explicit_keys_win)
{
	check("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 4\n",
	      "{\"base\":{\"x\":1,\"y\":2},\"m\":{\"x\":1,\"y\":3,\"z\":4}}");
	/* Explicit keys win even when written before the merge. */
	check("- &b {x: 1, y: 2}\n- y: 3\n  <<: *b\n", "[{\"x\":1,\"y\":2},{\"x\":1,\"y\":3}]");
	check("{<<: {a: 1}}", "{\"a\":1}");
}

Test(merge, list_of_mappings_first_wins)
{
	check("- &c {x: 1, y: 2}\n- &l {x: 0, y: 2}\n- &s {r: 1}\n- &g {r: 10}\n"
	      "- <<: [*c, *g]\n- <<: [*g, *l, *s]\n  x: 1\n",
	      "[{\"x\":1,\"y\":2},{\"x\":0,\"y\":2},{\"r\":1},{\"r\":10},"
	      "{\"r\":10,\"x\":1,\"y\":2},{\"r\":10,\"x\":1,\"y\":2}]");
}

Test(merge, later_merge_keys_win_and_merges_nest)
{
	check("<<: {a: 1}\n<<: {a: 2, b: 3}\nb: 4\n", "{\"a\":2,\"b\":4}");
	check("<<: {a: 1, <<: {b: 2, a: 3}}", "{\"a\":1,\"b\":2}");
}

Test(merge, merged_keys_come_first)
{
	json_t *doc;
	struct legacy_yaml_error err;
	char *s;

	cr_assert_eq(parse("z: 0\n<<: {a: 1, z: 9}\nm: 2\n", &doc, &err), 0);
	s = json_dumps(doc, JSON_COMPACT); /* as Python's dict would order them */
	cr_assert_str_eq(s, "{\"a\":1,\"z\":0,\"m\":2}");
	free(s);
	json_decref(doc);
}

Test(merge, quoted_merge_key_is_a_plain_key)
{
	check("\"<<\": {a: 1}", "{\"<<\":{\"a\":1}}");
	check("a: <<", "{\"a\":\"<<\"}");
}

Test(merge, merging_a_non_mapping_fails)
{
	check_error("a: 1\n<<: 5\n", 2, 5, "expected a mapping or list of mappings");
	check_error("<<: [{a: 1}, 2]\n", 1, 5, "expected a mapping for merging");
}

/* ---- anchors and aliases ----------------------------------------------- */

Test(alias, aliases_repeat_values)
{
	check("a: &x 010\nb: *x\n", "{\"a\":8,\"b\":8}");
	check("a: &l [1, {b: c}]\nd: *l\n", "{\"a\":[1,{\"b\":\"c\"}],\"d\":[1,{\"b\":\"c\"}]}");
	check("- &k name\n- {*k : v}\n", "[\"name\",{\"name\":\"v\"}]");
	check("&k 0x10 : *k", "{\"0x10\":16}");
	/* An anchor may be defined again; aliases see the latest. */
	check("- &a 1\n- *a\n- &a 2\n- *a\n", "[1,1,2,2]");
}

Test(alias, aliases_share_the_value)
{
	json_t *doc;
	struct legacy_yaml_error err;

	cr_assert_eq(parse("a: &m {k: v}\nb: *m\nc: *m\n", &doc, &err), 0);
	cr_assert_eq(json_object_get(doc, "a"), json_object_get(doc, "b"));
	cr_assert_eq(json_object_get(doc, "b"), json_object_get(doc, "c"));
	cr_assert_eq(json_object_get(doc, "a")->refcount, 3);
	json_decref(doc);
}

Test(alias, undefined_and_recursive_aliases_fail)
{
	check_error("a: 1\nb: *nope\n", 2, 4, "undefined alias 'nope'");
	/* PyYAML builds a recursive structure; JSON cannot hold one. */
	check_error("&a [1, *a]", 1, 8, "undefined alias 'a'");
}

/*
 * The classic attack: nine levels of nine aliases, a billion "lol"s from a
 * few hundred bytes. It must fail quickly, and without building anything.
 */
Test(alias, billion_laughs_fails_fast)
{
	static const char doc[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	double t0 = now();
	size_t heap0 = heap_in_use();

	check_error(doc, 0, 0, "billion laughs");
	cr_assert_lt(now() - t0, 1.0, "took %.2f s", now() - t0);
	cr_assert_lt(heap_in_use(), heap0 + 1024 * 1024);
}

/* Also with a mapping at every level and the expansion reached by merges. */
Test(alias, billion_laughs_through_merges_fails)
{
	char doc[4096];
	size_t n = 0;

	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "l0: &l0 {a: 1, b: 2, c: 3}\n");
	for (int i = 1; i < 12; i++)
		n +=
		    (size_t)snprintf(doc + n, sizeof(doc) - n,
		                     "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
		                     i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	check_error(doc, 0, 0, "aliases expand to too many nodes");
}

/* Anchored defaults used many times are what real files do: allowed. */
Test(alias, heavy_but_honest_reuse_passes)
{
	size_t cap = 64 * 1024 * 1024, n = 0;
	char *doc = malloc(cap);
	json_t *v;
	struct legacy_yaml_error err;

	cr_assert_not_null(doc);
	n += (size_t)snprintf(doc + n, cap - n, "defaults: &d {");
	for (int k = 0; k < 40; k++)
		n += (size_t)snprintf(doc + n, cap - n, "%sk%d: v%d", k ? ", " : "", k, k);
	n += (size_t)snprintf(doc + n, cap - n, "}\njobs:\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(doc + n, cap - n, "  - {<<: *d, id: %d}\n", i);
	cr_assert_eq(parse(doc, &v, &err), 0, "%s", err.message);
	cr_assert_eq(json_array_size(json_object_get(v, "jobs")), 20000);
	cr_assert_str_eq(json_string_value(
	                     json_object_get(json_array_get(json_object_get(v, "jobs"), 7), "k39")),
	                 "v39");
	json_decref(v);
	free(doc);
}

/* ---- nesting ----------------------------------------------------------- */

/* `depth` opening brackets, then as many closing ones; free() it. */
static char *
nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);

	cr_assert_not_null(s);
	memset(s, '[', (size_t)depth);
	memset(s + depth, ']', (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

Test(nesting, up_to_512_levels)
{
	char *s = nested(512);
	json_t *doc, *v;
	struct legacy_yaml_error err;
	int depth = 0;

	cr_assert_eq(parse(s, &doc, &err), 0, "%s", err.message);
	for (v = doc; json_array_size(v) == 1; v = json_array_get(v, 0))
		depth++;
	cr_assert_eq(depth, 511);
	json_decref(doc);
	free(s);
}

Test(nesting, deeper_fails)
{
	char *s = nested(513);

	check_error(s, 1, 513, "nested more than 512 levels deep");
	free(s);
	s = nested(1000000); /* fails at level 513, long before libyaml is done */
	check_error(s, 1, 513, "nested more than 512 levels deep");
	free(s);
}

Test(nesting, deep_block_mappings_fail_too)
{
	size_t cap = 600 * 700, n = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	for (int i = 0; i < 600; i++)
		n += (size_t)snprintf(s + n, cap - n, "%*sk:\n", i, "");
	check_error(s, 513, 513, "nested more than 512 levels deep");
	free(s);
}

/* ---- syntax errors ----------------------------------------------------- */

Test(syntax, libyaml_problems_with_their_place)
{
	check_error("a: 1\n b: 2\n", 2, 3, "mapping values are not allowed in this context");
	check_error("a: [1, 2\nb: 3\n", 2, 2,
	            "did not find expected ',' or ']' while parsing a flow sequence");
	check_error("a:\n  b: 1\n c: 2\n", 3, 2,
	            "did not find expected key while parsing a block mapping");
	check_error("key: \"unterminated\n", 2, 1,
	            "found unexpected end of stream while scanning a quoted scalar");
	check_error("a: @x\n", 1, 4, "found character that cannot start any token");
	check_error("- a\nb: 1\n", 2, 1, "did not find expected '-' indicator");
	check_error("a: 1\n\tb: 2\n", 2, 1, "found a tab character that violates indentation");
}

Test(syntax, invalid_utf8_fails)
{
	check_error("a: caf\xe9\n", 0, 0, "UTF-8");
	check_error("a: \xff\xfe\n", 0, 0, "UTF-8");
}

Test(syntax, errors_after_the_first_document_are_not_read)
{
	check("--- 1\n--- [\n", "1");
	check("a: 1\n...\n--- {{{\n", "{\"a\":1}");
}

/* Text after a document with no "---" or "..." is not a second document. */
Test(syntax, junk_after_the_document_is_an_error)
{
	check_error("  - 1\nb: 2\n", 2, 1, "did not find expected <document start>");
	check_error("  a: 1\nb: 2\n", 2, 1, "did not find expected <document start>");
	check_error("\"x\"\ny\n", 2, 1, "did not find expected <document start>");
	/* After "...", a new document needs its "---". */
	check_error("a: 1\n...\nb: 2\n", 3, 1, "did not find expected <document start>");
}

/* ---- empty input ------------------------------------------------------- */

Test(empty, empty_input_is_null)
{
	check("", "null");
	check("\n\n", "null");
	check("# only a comment\n", "null");
	check("---\n", "null");
	check("--- ~\n", "null");
	check("---\n...\n", "null");
}

Test(empty, null_doc_pointer_and_error_are_allowed)
{
	FILE *f = open_text("a: [1, 2]\n");

	cr_assert_eq(legacy_yaml_parse(f, NULL, NULL, NULL, NULL, NULL), 0);
	fclose(f);
	f = open_text("a: [1, 2\n");
	cr_assert_eq(legacy_yaml_parse(f, NULL, NULL, NULL, NULL, NULL), -1);
	fclose(f);
}

/* ---- streaming --------------------------------------------------------- */

struct seen {
	size_t calls;
	size_t indexes[16];
	int lines[16];
	char *items[16];
	json_t *kept[16]; /* items the callback held on to */
	size_t keep;      /* hold on to the first `keep` items */
	size_t stop_at;   /* return stop_rc at this index (SIZE_MAX: never) */
	int stop_rc;
	/* "LINE:COLUMN: message" of a spoiled item, NULL for a whole one */
	char *spoiled[16];
};

static int
collect(void *ud, json_t *item, size_t index, int line, const struct legacy_yaml_error *spoiled)
{
	struct seen *s = ud;

	if (s->calls < 16) {
		s->indexes[s->calls] = index;
		s->lines[s->calls] = line;
		s->items[s->calls] = dump(item);
		if (spoiled != NULL)
			cr_assert_geq(asprintf(&s->spoiled[s->calls], "%d:%d: %s", spoiled->line,
			                       spoiled->column, spoiled->message),
			              0);
		if (s->calls < s->keep)
			s->kept[s->calls] = json_incref(item);
	}
	s->calls++;
	return index == s->stop_at ? s->stop_rc : 0;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < 16; i++) {
		free(s->items[i]);
		free(s->spoiled[i]);
		json_decref(s->kept[i]);
	}
}

/* Streams `yaml` under "jobs" into `s`; returns legacy_yaml_parse's value. */
static int
stream(const char *yaml, struct seen *s, json_t **doc, struct legacy_yaml_error *err)
{
	FILE *f = open_text(yaml);
	int rc = legacy_yaml_parse(f, "jobs", collect, s, doc, err);

	fclose(f);
	return rc;
}

Test(stream, items_go_to_the_callback_in_order)
{
	static const char yaml[] = "name: spring\n"
	                           "jobs:\n"
	                           "  - id: 1\n"
	                           "    on: yes\n"
	                           "  - {id: 2, when: 2001-12-14}\n"
	                           "  - plain\n"
	                           "owner: ads\n";
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;
	char *d;

	cr_assert_eq(stream(yaml, &s, &doc, &err), 0, "%s", err.message);
	cr_assert_eq(s.calls, 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(s.indexes[i], i);
	cr_assert_eq(s.lines[0], 3);
	cr_assert_eq(s.lines[1], 5);
	cr_assert_eq(s.lines[2], 6);
	cr_assert_str_eq(s.items[0], "{\"id\":1,\"on\":true}");
	cr_assert_str_eq(s.items[1], "{\"id\":2,\"when\":\"2001-12-14T00:00:00Z\"}");
	cr_assert_str_eq(s.items[2], "\"plain\"");
	d = dump(doc);
	cr_assert_str_eq(d, "{\"jobs\":3,\"name\":\"spring\",\"owner\":\"ads\"}");
	free(d);
	json_decref(doc);
	seen_free(&s);
}

Test(stream, items_are_not_retained)
{
	struct seen s = {.stop_at = SIZE_MAX, .keep = 3};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("jobs: [{a: 1}, [2], x]\n", &s, &doc, &err), 0, "%s", err.message);
	cr_assert_eq(s.calls, 3);
	/* Ours is now the only reference: the reader dropped its own. */
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(s.kept[i]->refcount, 1, "item %zu has refcount %zu", i,
		             s.kept[i]->refcount);
	cr_assert_eq(json_integer_value(json_object_get(doc, "jobs")), 3);
	json_decref(doc);
	seen_free(&s);
}

Test(stream, anchors_and_merges_across_items)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("defaults: &d {lang: en, on: yes}\n"
	                    "jobs:\n"
	                    "  - &first {<<: *d, id: 1}\n"
	                    "  - {<<: *d, id: 2, lang: fr}\n"
	                    "  - *first\n",
	                    &s, &doc, &err),
	             0, "%s", err.message);
	cr_assert_eq(s.calls, 3);
	cr_assert_str_eq(s.items[0], "{\"id\":1,\"lang\":\"en\",\"on\":true}");
	cr_assert_str_eq(s.items[1], "{\"id\":2,\"lang\":\"fr\",\"on\":true}");
	cr_assert_str_eq(s.items[2], "{\"id\":1,\"lang\":\"en\",\"on\":true}");
	json_decref(doc);
	seen_free(&s);
}

/* A legacy job may hold what JSON cannot (Python wrote any int): that job
 * alone is spoiled, named by its place, and the others read whole. */
Test(stream, a_value_json_cannot_hold_spoils_only_its_item)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("jobs:\n"
	                    "  - {id: a}\n"
	                    "  - id: b\n"
	                    "    settings: {n: 99999999999999999999, m: [.inf, 1]}\n"
	                    "  - {id: c, x: !!int 12}\n"
	                    "  - {id: d, y: !secret abc}\n"
	                    "total: 4\n",
	                    &s, &doc, &err),
	             0, "%s", err.message);
	cr_assert_eq(s.calls, 4);
	cr_assert_null(s.spoiled[0]);
	cr_assert_not_null(s.spoiled[1]);
	cr_assert_str_eq(s.spoiled[1],
	                 "4:19: integer out of range (not in int64): 99999999999999999999");
	/* What is around the values stays, so the job can be named. */
	cr_assert_str_eq(s.items[1], "{\"id\":\"b\",\"settings\":{\"m\":[null,1],\"n\":null}}");
	cr_assert_null(s.spoiled[2]);
	cr_assert_str_eq(s.items[2], "{\"id\":\"c\",\"x\":12}");
	cr_assert_not_null(s.spoiled[3]);
	cr_assert(strstr(s.spoiled[3], "unsupported tag") != NULL, "%s", s.spoiled[3]);
	cr_assert_eq(json_integer_value(json_object_get(doc, "total")), 4);
	json_decref(doc);
	seen_free(&s);
}

Test(stream, an_alias_to_a_spoiled_value_spoils_its_item_too)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("jobs:\n"
	                    "  - {id: a, n: &big 1.0e+400, ok: &fine {v: 1}}\n"
	                    "  - {id: b, n: *big}\n"
	                    "  - {id: c, <<: *fine}\n"
	                    "  - &k {id: d, &key .nan : 1}\n"
	                    "  - {id: e, v: *key}\n",
	                    &s, &doc, &err),
	             0, "%s", err.message);
	cr_assert_eq(s.calls, 5);
	cr_assert_not_null(s.spoiled[0]);
	cr_assert(strstr(s.spoiled[0], "too large for a double") != NULL, "%s", s.spoiled[0]);
	cr_assert_not_null(s.spoiled[1]);
	cr_assert(strstr(s.spoiled[1], "alias 'big'") != NULL, "%s", s.spoiled[1]);
	cr_assert_null(s.spoiled[2], "a sound anchor of a spoiled item is sound");
	cr_assert_str_eq(s.items[2], "{\"id\":\"c\",\"v\":1}");
	cr_assert_null(s.spoiled[3], "a key is its text, whatever its value");
	cr_assert_not_null(s.spoiled[4]);
	json_decref(doc);
	seen_free(&s);
}

Test(stream, outside_the_items_a_value_json_cannot_hold_is_an_error)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("total: 99999999999999999999\njobs: [a]\n", &s, &doc, &err), -1);
	cr_assert_eq(err.line, 1);
	cr_assert(strstr(err.message, "out of range") != NULL, "%s", err.message);
	cr_assert_null(doc);
	seen_free(&s);
	memset(&s, 0, sizeof s);
	s.stop_at = SIZE_MAX;
	cr_assert_eq(stream("all: &all [1, .inf]\njobs: *all\n", &s, &doc, &err), -1);
	cr_assert(strstr(err.message, "cannot be represented") != NULL, "%s", err.message);
	seen_free(&s);
}

Test(stream, callback_stops_the_parse)
{
	struct seen s = {.stop_at = 1, .stop_rc = 42};
	struct legacy_yaml_error err;
	json_t *doc = json_null();

	cr_assert_eq(stream("jobs: [a, b, c, d]\n", &s, &doc, &err), 42);
	cr_assert_eq(s.calls, 2);
	cr_assert_null(doc);
	cr_assert(strstr(err.message, "callback") != NULL, "%s", err.message);
	seen_free(&s);
}

Test(stream, no_items_key_streams_nothing)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;
	char *d;

	cr_assert_eq(stream("name: x\nother: [1, 2]\n", &s, &doc, &err), 0);
	cr_assert_eq(s.calls, 0);
	d = dump(doc);
	cr_assert_str_eq(d, "{\"name\":\"x\",\"other\":[1,2]}");
	free(d);
	json_decref(doc);
	/* A nested "jobs" is not the top-level one. */
	cr_assert_eq(stream("a:\n  jobs: [1]\n", &s, &doc, &err), 0);
	cr_assert_eq(s.calls, 0);
	json_decref(doc);
	seen_free(&s);
}

Test(stream, empty_list_and_empty_input)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("jobs: []\n", &s, &doc, &err), 0);
	cr_assert_eq(json_integer_value(json_object_get(doc, "jobs")), 0);
	json_decref(doc);
	cr_assert_eq(stream("", &s, &doc, &err), 0);
	cr_assert(json_is_null(doc));
	cr_assert_eq(s.calls, 0);
	seen_free(&s);
}

Test(stream, alias_to_a_list_under_the_key_streams_it)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_eq(stream("all: &all [1, 2]\njobs: *all\n", &s, &doc, &err), 0, "%s",
	             err.message);
	cr_assert_eq(s.calls, 2);
	cr_assert_str_eq(s.items[1], "2");
	cr_assert_eq(json_integer_value(json_object_get(doc, "jobs")), 2);
	json_decref(doc);
	seen_free(&s);
}

Test(stream, callback_stops_an_aliased_list)
{
	struct seen s = {.stop_at = 0, .stop_rc = -7};
	struct legacy_yaml_error err;
	json_t *doc = json_null();

	cr_assert_eq(stream("all: &all [{a: 1}, 2]\njobs: *all\n", &s, &doc, &err), -7);
	cr_assert_eq(s.calls, 1);
	cr_assert_null(doc);
	cr_assert_eq(err.line, 2);
	seen_free(&s);
}

/* Streams `yaml` and expects failure with `part` at `line`. */
static void
check_stream_error(const char *yaml, int line, const char *part)
{
	struct seen s = {.stop_at = SIZE_MAX};
	struct legacy_yaml_error err;
	json_t *doc = json_null();

	cr_assert_eq(stream(yaml, &s, &doc, &err), -1, "[%s] did not fail", yaml);
	cr_assert_null(doc);
	cr_assert(strstr(err.message, part) != NULL, "[%s]: \"%s\" lacks \"%s\"", yaml, err.message,
	          part);
	cr_assert_eq(err.line, line, "[%s]: line %d, want %d", yaml, err.line, line);
	seen_free(&s);
}

Test(stream, bad_shapes_fail)
{
	check_stream_error("name: x\njobs: 5\n", 2, "'jobs' is not a list");
	check_stream_error("jobs: {a: 1}\n", 1, "'jobs' is not a list");
	check_stream_error("jobs:\n", 1, "'jobs' is not a list");
	check_stream_error("x: &x {a: 1}\njobs: *x\n", 2, "'jobs' is not a list");
	check_stream_error("- 1\n- 2\n", 1, "not a mapping");
	check_stream_error("just text\n", 1, "not a mapping");
	check_stream_error("jobs: [1]\njobs: [2]\n", 2, "duplicate key 'jobs'");
	check_stream_error("jobs: &j [1]\nagain: *j\n", 2, "streamed list");
	check_stream_error("jobs:\n  - 1\n  - [\n", 4,
	                   "did not find expected node content while parsing a flow node");
}

/*
 * A FILE that produces `n` jobs on the fly, so the test itself holds no
 * big document: the heap can only grow if the reader keeps items.
 */
struct gen {
	long i, n;
	char line[256];
	size_t len, pos;
};

static ssize_t
gen_read(void *cookie, char *buf, size_t size)
{
	struct gen *g = cookie;
	size_t out = 0;

	while (out < size) {
		if (g->pos == g->len) {
			if (g->i == -1)
				g->len = (size_t)snprintf(g->line, sizeof(g->line),
				                          "name: big\njobs:\n");
			else if (g->i < g->n)
				g->len = (size_t)snprintf(
				    g->line, sizeof(g->line),
				    "  - {id: %ld, name: job-%ld, on: yes, budget: %ld.5, "
				    "tags: [video, ads, \"t%ld\"], start: 2024-01-%02ld}\n",
				    g->i, g->i, g->i, g->i % 7, g->i % 28 + 1);
			else if (g->i == g->n)
				g->len = (size_t)snprintf(g->line, sizeof(g->line), "total: %ld\n",
				                          g->n);
			else
				break;
			g->i++;
			g->pos = 0;
		}
		size_t k = g->len - g->pos < size - out ? g->len - g->pos : size - out;
		memcpy(buf + out, g->line + g->pos, k);
		g->pos += k;
		out += k;
	}
	return (ssize_t)out;
}

struct watch {
	size_t calls;
	size_t heap_at_1000;
	size_t heap_max;
	long bad;
};

static int
watch_item(void *ud, json_t *item, size_t index, int line, const struct legacy_yaml_error *spoiled)
{
	struct watch *w = ud;
	size_t heap = heap_in_use();

	if (json_integer_value(json_object_get(item, "id")) != (json_int_t)index ||
	    line != (int)index + 3 || spoiled != NULL)
		w->bad++;
	if (index == 1000)
		w->heap_at_1000 = heap;
	if (index > 1000 && heap > w->heap_max)
		w->heap_max = heap;
	w->calls++;
	return 0;
}

Test(stream, memory_stays_bounded, .timeout = 120)
{
	const long n = 100000;
	struct gen g = {.i = -1, .n = n};
	cookie_io_functions_t io = {.read = gen_read};
	FILE *f = fopencookie(&g, "r", io);
	struct watch w = {0};
	struct legacy_yaml_error err;
	json_t *doc;

	cr_assert_not_null(f);
	cr_assert_eq(legacy_yaml_parse(f, "jobs", watch_item, &w, &doc, &err), 0, "%d:%d: %s",
	             err.line, err.column, err.message);
	fclose(f);
	cr_assert_eq(w.calls, (size_t)n);
	cr_assert_eq(w.bad, 0);
	cr_assert_eq(json_integer_value(json_object_get(doc, "jobs")), n);
	cr_assert_eq(json_integer_value(json_object_get(doc, "total")), n);
	/* 99,000 more jobs (some 10 MB of YAML) and the heap has not grown by
	 * even 256 KB: nothing is kept per item. */
	cr_assert_lt(w.heap_max, w.heap_at_1000 + 256 * 1024, "heap grew from %zu to %zu",
	             w.heap_at_1000, w.heap_max);
	json_decref(doc);
}

/* ---- files ------------------------------------------------------------- */

Test(file, load_file)
{
	json_t *doc;
	struct legacy_yaml_error err;

	cr_assert_eq(legacy_yaml_load_file(TRICKY, &doc, &err), 0, "%d:%d: %s", err.line,
	             err.column, err.message);
	cr_assert_eq(json_integer_value(json_array_get(json_object_get(doc, "ints"), 4)), 8);
	json_decref(doc);
}

Test(file, missing_file_says_why)
{
	json_t *doc = json_null();
	struct legacy_yaml_error err;

	cr_assert_eq(legacy_yaml_load_file("/nonexistent/campaigns.yaml", &doc, &err), -1);
	cr_assert_null(doc);
	cr_assert(strstr(err.message, "/nonexistent/campaigns.yaml") != NULL, "%s", err.message);
	cr_assert(strstr(err.message, strerror(ENOENT)) != NULL, "%s", err.message);
	cr_assert_eq(err.line, 0);
}

/* ---- against PyYAML ---------------------------------------------------- */

/*
 * PyYAML's reading of a file, as JSON: timestamps turned into the RFC 3339
 * UTC text jobs_time_format writes, the one thing json.dumps cannot do.
 */
static const char pyyaml_to_json[] =
    "import yaml, json, sys, datetime\n"
    "def conv(o):\n"
    "    if isinstance(o, datetime.datetime):\n"
    "        if o.tzinfo is not None:\n"
    "            o = o.astimezone(datetime.timezone.utc).replace(tzinfo=None)\n"
    "        s = \"%04d-%02d-%02dT%02d:%02d:%02d\" % (o.year, o.month, o.day, o.hour,\n"
    "                                               o.minute, o.second)\n"
    "        if o.microsecond:\n"
    "            s += \".%06d\" % o.microsecond\n"
    "        return s + \"Z\"\n"
    "    if isinstance(o, datetime.date):\n"
    "        return \"%04d-%02d-%02dT00:00:00Z\" % (o.year, o.month, o.day)\n"
    "    raise TypeError(repr(o))\n"
    "with open(sys.argv[1], encoding=\"utf-8\") as f:\n"
    "    doc = yaml.safe_load(f)\n"
    "print(json.dumps(doc, sort_keys=True, separators=(\",\", \":\"), default=conv))\n";

Test(pyyaml, tricky_file_reads_as_pyyaml_reads_it, .timeout = 60)
{
	char cmd[8192], out[65536];
	size_t n;
	FILE *p;
	json_t *ours, *theirs;
	json_error_t jerr;
	struct legacy_yaml_error err;
	char *a, *b;

	cr_assert_eq(system("python3 -c 'import yaml'"), 0,
	             "python3 with PyYAML is missing (tools/deps.sh test installs python3-yaml)");
	/* The script has no single quotes, so the shell passes it unchanged. */
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' '%s'", pyyaml_to_json, TRICKY);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "python3 failed: %s", out);
	cr_assert_lt(n, sizeof(out) - 1, "PyYAML's output is too long for the buffer");
	theirs = json_loads(out, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(theirs, "PyYAML's JSON does not parse: %s", jerr.text);

	cr_assert_eq(legacy_yaml_load_file(TRICKY, &ours, &err), 0, "%d:%d: %s", err.line,
	             err.column, err.message);
	/* Reals print differently in Python and jansson; compare values. */
	if (!json_equal(ours, theirs)) {
		const char *key;
		json_t *value;

		json_object_foreach(theirs, key, value)
		{
			a = dump(json_object_get(ours, key));
			b = dump(value);
			cr_expect(json_equal(json_object_get(ours, key), value),
			          "key %s: ours %s\nPyYAML's %s", key, a, b);
			free(a);
			free(b);
		}
		cr_assert_eq(json_object_size(ours), json_object_size(theirs));
		cr_assert_fail("our reading differs from PyYAML's");
	}
	json_decref(ours);
	json_decref(theirs);
}
