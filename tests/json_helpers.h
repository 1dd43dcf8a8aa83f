/*
 * json_helpers.h: reading what jobsctl and jobsbench print with --json /
 * -f json, for the suites that run them (built into each with jansson).
 */
#ifndef JOBS_TEST_JSON_HELPERS_H
#define JOBS_TEST_JSON_HELPERS_H

#include "helpers.h"

#include <jansson.h>

/* A run's stdout parsed as JSON; asserts that it is (stdout and stderr in
 * the message). A new reference: json_decref() it. */
json_t *json_of(const struct run *r);

/* o[key], asserted to be a string; borrowed from o. */
const char *json_str(json_t *o, const char *key);

#endif
