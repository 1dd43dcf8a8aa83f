/*
 * test_field_json.c: the checks and edits of a job's JSON fields
 * (server/field_json.c): jobsd accepts what jansson, and so jobsctl, reads
 * back, and refuses the rest with a reason a person can act on.
 */
#include "field_json.h"
#include "status.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

static char why[256];

static int
check(const char *text, bool want_object)
{
	why[0] = '\0';
	return field_json_check(text, want_object, why, sizeof why);
}

Test(field_json, any_json_value_passes_and_an_object_when_asked)
{
	cr_assert_eq(check("{\"a\":[1,2,{}],\"b\":-9223372036854775808}", false), 0, "%s", why);
	cr_assert_eq(check("[1]", false), 0);
	cr_assert_eq(check("null", false), 0);
	cr_assert_eq(check(" \"text\" ", false), 0);
	cr_assert_eq(check("{\"x\":1.5e300}", true), 0);
	cr_assert_eq(check("[1]", true), ST(INVALID_ARGUMENT));
	cr_assert_str_eq(why, "is a JSON array, not an object");
	cr_assert_eq(check("7", true), ST(INVALID_ARGUMENT));
	cr_assert_str_eq(why, "is a JSON number, not an object");
}

/* What jansson refuses, jobsctl could never read back (issue 19): refused,
 * saying why and where. */
Test(field_json, what_the_tools_cannot_read_back_is_refused_with_where)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"{\"n\": 9877453312372561764}", "too big integer"},
	    {"{\"n\": -9223372036854775809}", "too big negative integer"},
	    {"[1e400]", "real number overflow"},
	    {"\"a\\u0000b\"", "\\u0000"},
	    {"{\"a\":", "line 1"},
	    {"{\"a\":1} x", "end of file expected"},
	    {"{'a':1}", "column"},
	    {"", "not valid JSON"},
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(check(bad[i].text, false), ST(INVALID_ARGUMENT), "%s", bad[i].text);
		cr_assert(strncmp(why, "is not valid JSON: ", 19) == 0, "%s", why);
		cr_assert(strstr(why, bad[i].want) != NULL, "want '%s' in: %s", bad[i].want, why);
	}
	check("{\"a\":1,\n \"n\": 9877453312372561764}", true);
	cr_assert(strstr(why, "line 2, column 25") != NULL, "%s", why);
}

Test(field_json, remove_key_keeps_the_rest_as_jansson_reads_it)
{
	arena a;
	char *out;
	json_t *v;

	cr_assert_eq(arena_init(&a, 1024, 0), 0);
	cr_assert_eq(field_json_remove_key("{\"language\":null,\"tags\":[\"a\"],\"x\":0.1,\"n\":"
	                                   "9223372036854775807,\"y\":1.0}",
	                                   "language", &a, &out),
	             0);
	cr_assert_str_eq(out, "{\"tags\":[\"a\"],\"x\":0.1,\"n\":9223372036854775807,\"y\":1.0}");
	cr_assert_eq(field_json_remove_key("{\"a\":1}", "a", &a, &out), 0);
	cr_assert_str_eq(out, "{}");
	cr_assert_eq(field_json_remove_key("{\"a\":1}", "b", &a, &out), 0);
	cr_assert_str_eq(out, "{\"a\":1}");
	/* A double that needs all its digits keeps them. */
	cr_assert_eq(field_json_remove_key("{\"a\":1,\"p\":3.141592653589793}", "a", &a, &out), 0);
	v = json_loads(out, 0, NULL);
	cr_assert_not_null(v);
	cr_assert(json_real_value(json_object_get(v, "p")) == 3.141592653589793, "%s", out);
	json_decref(v);
	cr_assert_eq(field_json_remove_key("[1]", "a", &a, &out), ST(INVALID_ARGUMENT));
	arena_fini(&a);
}
