/*
 * test_yamlout.c: client/legacy/yamlout.c, YAML written as PyYAML's safe_dump
 * writes it. The decisions it makes (which strings to quote, how floats
 * look) are checked against PyYAML itself, run at test time; without
 * python3 and its yaml module the tests fail.
 */
#include "helpers.h"
#include "yamljson.h"
#include "yamlout.h"

#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs python3 with `program`, `input` on stdin; returns its stdout
 * (malloc'd). Fails the test when python3, PyYAML or the program fails:
 * PyYAML refusing our YAML is exactly what these tests are for. */
static char *
python(const char *program, const char *input)
{
	const char *argv[] = {"/usr/bin/env", "python3", "-c", program, NULL};
	struct run r = run_cmd(argv, input, NULL);

	cr_assert_eq(r.status, 0,
	             "python3 (with PyYAML: tools/deps.sh test installs python3-yaml) failed, "
	             "status %d, on:\n%s\n%s",
	             r.status, input, r.err);
	free(r.err);
	return r.out;
}

/* The YAML text of `v` as yamlout writes it; free() it. */
static char *
write_yaml(const json_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	legacy_yaml_out *y;

	cr_assert_not_null(f);
	cr_assert_eq(legacy_yaml_out_open(&y, f), 0);
	cr_assert_eq(legacy_yaml_out_document(y, v), 0, "%s", legacy_yaml_out_error(y));
	cr_assert_eq(legacy_yaml_out_finish(y), 0);
	legacy_yaml_out_close(y);
	fclose(f);
	return buf;
}

Test(yamlout, strings_are_quoted_exactly_when_pyyaml_quotes_them)
{
	static const char *const words[] = {"hello",
	                                    "yes",
	                                    "No",
	                                    "ON",
	                                    "off",
	                                    "y",
	                                    "n",
	                                    "true",
	                                    "False",
	                                    "null",
	                                    "Null",
	                                    "~",
	                                    "",
	                                    "123",
	                                    "-12",
	                                    "+1",
	                                    "0x1F",
	                                    "0o17",
	                                    "017",
	                                    "08",
	                                    "0b101",
	                                    "1_000",
	                                    "1:30",
	                                    "190:20:30",
	                                    "1.5",
	                                    "-.5",
	                                    ".5",
	                                    "1e5",
	                                    "1.0e+5",
	                                    "1.0e5",
	                                    ".inf",
	                                    "-.Inf",
	                                    ".NaN",
	                                    "2024-01-01",
	                                    "2024-1-1",
	                                    "2024-01-01 10:00:00",
	                                    "2024-01-01T10:00:00Z",
	                                    "2024-13-45",
	                                    "<<",
	                                    "=",
	                                    "a=b",
	                                    "-",
	                                    "12:30:60",
	                                    "1.2.3",
	                                    "0.",
	                                    "._",
	                                    "+.5",
	                                    "0x",
	                                    "x0",
	                                    "1e",
	                                    "3.",
	                                    "30:00",
	                                    "-0",
	                                    "+0",
	                                    " lead",
	                                    "trail ",
	                                    "a: b",
	                                    "#x",
	                                    "x #y",
	                                    "caf\xc3\xa9",
	                                    "tab\there",
	                                    "line\nbreak"};
	size_t n = sizeof words / sizeof words[0];
	json_t *list = json_array(), *theirs;
	char *input, *out;

	/* safe_dump of each word as a value and as a key (where exports have
	 * text; a document that is a scalar alone never occurs), against ours. */
	for (size_t k = 0; k < n; k++)
		json_array_append_new(list, json_string(words[k]));
	input = json_dumps(list, 0);
	out = python(
	    "import sys, json, yaml\n"
	    "print(json.dumps([yaml.safe_dump({\"v\": w, w + \"\": 1} if w else {\"v\": w})\n"
	    "                  for w in json.load(sys.stdin)]))\n",
	    input);
	theirs = json_loads(out, 0, NULL);
	cr_assert_eq(json_array_size(theirs), n, "%s", out);
	for (size_t k = 0; k < n; k++) {
		json_t *w = *words[k] != '\0' ? json_pack("{sssi}", "v", words[k], words[k], 1)
		                              : json_pack("{ss}", "v", words[k]);
		char *mine = write_yaml(w);

		cr_assert_str_eq(mine, json_string_value(json_array_get(theirs, k)), "'%s'",
		                 words[k]);
		free(mine);
		json_decref(w);
	}
	/* The resolver half on its own: text that reads back as another type. */
	cr_assert(!legacy_yaml_plain_is_string("yes") &&
	          !legacy_yaml_plain_is_string("2024-13-45") &&
	          !legacy_yaml_plain_is_string("<<") && !legacy_yaml_plain_is_string("1:30"));
	cr_assert(legacy_yaml_plain_is_string("1e5") && legacy_yaml_plain_is_string("-.5") &&
	          legacy_yaml_plain_is_string("hello"));
	json_decref(theirs);
	json_decref(list);
	free(input);
	free(out);
}

Test(yamlout, floats_are_written_as_pyyaml_writes_them)
{
	static const double values[] = {0.0,       -0.0,    0.1,     1.0,         3.0,
	                                -2.5,      1e-4,    1e-5,    1.5e-7,      1e15,
	                                1e16,      1.25e16, 1e22,    123456789.0, 1.0 / 3,
	                                2.0 / 3e9, 5e-324,  DBL_MAX, 100.0,       12345.678};
	char input[4096] = "", buf[64], *out, *line, *save = NULL;
	size_t n = sizeof values / sizeof values[0], i = 0;

	for (size_t k = 0; k < n; k++) {
		snprintf(buf, sizeof buf, "%.17g\n", values[k]);
		strcat(input, buf);
	}
	out = python("import sys, yaml\n"
	             "for w in sys.stdin.read().split()[:]:\n"
	             "    print(yaml.safe_dump(float(w)).split(\"\\n\")[0])\n",
	             input);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), i++) {
		cr_assert_lt(i, n);
		legacy_yaml_float_text(values[i], buf, sizeof buf);
		cr_assert_str_eq(buf, line, "%.17g", values[i]);
	}
	cr_assert_eq(i, n);
	free(out);
}

Test(yamlout, documents_are_byte_for_byte_safe_dump)
{
	const char *json = "{\"b\": [1, 2.5, true, null, \"yes\", \"caf\\u00e9 \\ud83d\\ude00\"],"
	                   " \"a\": {\"z\": {}, \"y\": [], \"x\": \"multi\\nline\\n\"},"
	                   " \"long\": \"" /* folded past 80 columns */
	                   "word word word word word word word word word word word word word word "
	                   "word word word word word word\", \"2024-01-01\": 1}";
	json_t *v = json_loads(json, 0, NULL);
	char *mine, *theirs;

	cr_assert_not_null(v);
	mine = write_yaml(v);
	theirs = python("import sys, json, yaml\n"
	                "sys.stdout.write(yaml.safe_dump(json.load(sys.stdin)))\n",
	                json);
	cr_assert_str_eq(mine, theirs);
	free(mine);
	free(theirs);
	json_decref(v);
}

/* The one place libyaml's emitter and PyYAML's differ: an empty mapping key,
 * which PyYAML writes as a complex key (? ''). The data read back is the same. */
Test(yamlout, an_empty_key_reads_back_the_same)
{
	json_t *v = json_pack("{ss}", "", "empty key");
	char *mine = write_yaml(v), *ok;

	cr_assert_str_eq(mine, "'': empty key\n");
	ok = python("import sys, yaml\n"
	            "print(yaml.safe_load(sys.stdin.read()) == {\"\": \"empty key\"})\n",
	            mine);
	cr_assert_str_eq(ok, "True\n");
	free(ok);
	free(mine);
	json_decref(v);
}
