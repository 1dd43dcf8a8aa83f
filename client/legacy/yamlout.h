/*
 * yamlout.h: JSON values out as YAML, the way PyYAML's yaml.safe_dump(data)
 * writes them (sort_keys, block style, allow_unicode=False, width 80), so
 * the legacy app's yaml.safe_load reads exports as it read its own files.
 * libyaml's emitter does the writing; yamlout only chooses what safe_dump's
 * representer would: tags, which strings must be quoted (yamljson.h's
 * legacy_yaml_plain_is_string), key order, and Python's text for floats.
 *
 * Streaming: legacy_yaml_out_begin_items() opens `KEY:` and its list in a top-level
 * mapping, legacy_yaml_out_item() adds one element at a time, legacy_yaml_out_end_items()
 * closes both, so an export of 100,000 jobs never holds them all.
 */
#ifndef JOBS_LEGACY_YAMLOUT_H
#define JOBS_LEGACY_YAMLOUT_H

#include <jansson.h>
#include <stdio.h>

typedef struct legacy_yaml_out legacy_yaml_out;

/* Starts a YAML stream on `f` (borrowed; not closed). Returns 0, or -1 when
 * out of memory. Close with legacy_yaml_out_close(). */
int legacy_yaml_out_open(legacy_yaml_out **out, FILE *f);

/* Writes `doc` as one whole document. Returns 0, or -1 with a reason
 * (legacy_yaml_out_error) when libyaml or the FILE failed. */
int legacy_yaml_out_document(legacy_yaml_out *y, const json_t *doc);

/* A document that is a mapping of one key, `key`, whose value is a list fed
 * by legacy_yaml_out_item(). */
int legacy_yaml_out_begin_items(legacy_yaml_out *y, const char *key);
int legacy_yaml_out_item(legacy_yaml_out *y, const json_t *item);
int legacy_yaml_out_end_items(legacy_yaml_out *y);

/* Ends the stream and flushes it into the FILE. Returns 0 or -1. */
int legacy_yaml_out_finish(legacy_yaml_out *y);

/* Why the last call failed. */
const char *legacy_yaml_out_error(const legacy_yaml_out *y);

/* Frees the writer (not the FILE). NULL is a no-op. */
void legacy_yaml_out_close(legacy_yaml_out *y);

/* Python's repr() of a float as PyYAML writes it ("0.1", "1.0e-05",
 * "1.0e+16"), into buf (at least 32 bytes). Finite values only. */
void legacy_yaml_float_text(double d, char *buf, size_t size);

#endif
