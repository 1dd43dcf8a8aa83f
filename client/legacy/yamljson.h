/*
 * yamljson.h: YAML in, jansson JSON values out, resolved as PyYAML's
 * safe_load resolves them (YAML 1.1), so legacy files written by the Python
 * app read back as the app meant them. libyaml does the parsing.
 *
 * Streaming: with items_key, the elements of the sequence under that key of
 * the top-level mapping are handed to a callback one at a time and not kept,
 * so a 100,000-job campaigns.yaml never becomes one giant tree.
 *
 * What JSON cannot say the YAML way: mapping keys are the key scalar's text
 * as written (`1:` gives "1", `~:` gives "~"); timestamps become RFC 3339 UTC
 * strings ("2001-12-15T02:59:43.100000Z", from jobs_time_format); !!binary
 * gives its base64 text. yamljson.c lists every rule and where it departs
 * from PyYAML.
 *
 * Aliases share: the value an alias names is the same json_t, referenced
 * again, wherever the alias is used (as PyYAML shares the Python object).
 * Treat the values you get as read-only, or json_deep_copy() them first.
 */
#ifndef JOBS_LEGACY_YAMLJSON_H
#define JOBS_LEGACY_YAMLJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Where and why parsing failed. Lines and columns count from 1; both are 0
 * when the failure has no place in the text (a file that would not open). */
struct legacy_yaml_error {
	int line;
	int column;
	char message[256];
};

/*
 * Called with each element of the streamed sequence. `item` is borrowed:
 * json_incref() it to keep it; do not modify it, since parts of it may be
 * shared with later items through aliases. `index` counts from 0; `line` is
 * where the element starts. A non-zero return stops the parse;
 * legacy_yaml_parse() then returns that value (and err says the callback
 * stopped it).
 *
 * `spoiled` is NULL for an element read whole. Otherwise the element held a
 * scalar JSON cannot hold (an integer outside int64, .inf, .nan, an
 * unsupported tag, ...: the value errors of yamljson.c): `item` has a null
 * in place of each such value, so only what it says around them (an id, a
 * name) may be used, and `spoiled` gives the first one's place and reason.
 */
typedef int (*legacy_yaml_item_fn)(void *ud, json_t *item, size_t index, int line,
                                   const struct legacy_yaml_error *spoiled);

/*
 * Parses the first document of the YAML stream `f` (later documents are
 * ignored).
 *
 * Without items_key: *doc receives the whole document (owned by the caller;
 * json_decref it). An empty document gives JSON null.
 *
 * With items_key: the document must be a mapping (or empty). Each element of
 * the sequence at its key items_key goes to fn (which may be NULL), in
 * order; *doc (if doc != NULL) receives the mapping with items_key's value
 * replaced by the number of elements streamed. A document without items_key
 * streams nothing; items_key twice is an error, since the first list is
 * already gone. Memory holds one element at a time, plus anchored values.
 *
 * On any failure *doc is set to NULL and nothing needs freeing.
 *
 * Returns 0, a callback's non-zero value, or -1 with `err` filled: a YAML
 * syntax error (libyaml's problem and place), or a value JSON cannot hold
 * (an integer outside int64, .inf or .nan, a mapping used as a key, an
 * unknown tag such as !!python/object) outside a streamed element, or too
 * deep nesting (512 levels) or alias expansion (a "billion laughs"
 * document; limits in yamljson.c).
 */
int legacy_yaml_parse(FILE *f, const char *items_key, legacy_yaml_item_fn fn, void *ud,
                      json_t **doc, struct legacy_yaml_error *err);

/* legacy_yaml_parse() without items_key, of a file by path. The same contract; a
 * file that will not open is -1 with strerror's words in err. */
int legacy_yaml_load_file(const char *path, json_t **doc, struct legacy_yaml_error *err);

/*
 * Whether the text `s`, written as a plain (unquoted) scalar, reads back as
 * the same string under the rules above: false when PyYAML would resolve it
 * as null, a bool, an int, a float, a timestamp, or its merge (`<<`) or
 * value (`=`) tags. A YAML writer quotes exactly the strings for which this
 * is false, as PyYAML's safe_dump does (yamlout.c).
 */
bool legacy_yaml_plain_is_string(const char *s);

#endif
