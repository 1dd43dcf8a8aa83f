/*
 * field_json.h: the JSON a job carries (enhanced_settings, extra), checked
 * and edited with jansson, the library jobsctl and the legacy export read it
 * back with. So jobsd accepts exactly what its own tools can read: what
 * jansson refuses (an integer outside int64, a number that overflows a
 * double, a \u0000 in a string, text after the value) is refused at the door
 * with INVALID_ARGUMENT, whichever database keeps the job.
 */
#ifndef JOBSD_FIELD_JSON_H
#define JOBSD_FIELD_JSON_H

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Checks that `text` is JSON as jansson reads it (RFC 8259, any value at the
 * top); with want_object, a JSON object. Returns 0, or INVALID_ARGUMENT with
 * a reason in why[0..whylen) that completes "enhanced_settings ..." ("is not
 * valid JSON: too big integer near '98...' (line 1, column 25)"; "is a JSON
 * array, not an object"); RESOURCE_EXHAUSTED when out of memory.
 */
int field_json_check(const char *text, bool want_object, char *why, size_t whylen);

/*
 * `text`, a JSON object that field_json_check() accepted, without its key
 * `key`, in *out (from the arena): compact, members in their order, numbers
 * as jansson reads them (reals in the fewest digits that read back the
 * same). 0, INVALID_ARGUMENT if text is no object, or RESOURCE_EXHAUSTED.
 */
int field_json_remove_key(const char *text, const char *key, arena *a, char **out);

#endif
