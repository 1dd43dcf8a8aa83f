/*
 * json_helpers.c: see json_helpers.h.
 */
#include "json_helpers.h"

#include <criterion/criterion.h>

json_t *
json_of(const struct run *r)
{
	json_error_t je;
	json_t *v = json_loads(r->out, 0, &je);

	cr_assert_not_null(v, "not JSON (%s): %s\nstderr: %s", je.text, r->out, r->err);
	return v;
}

const char *
json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}
