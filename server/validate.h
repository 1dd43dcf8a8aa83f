/*
 * validate.h: checks on untrusted bytes that protobuf-c does not make.
 *
 * protobuf-c unpacks any string without checking UTF-8 and hands it out
 * NUL-terminated, so a string with an embedded NUL silently loses its tail.
 * validate_wire() walks the encoded message before it is unpacked and refuses
 * both. The rest are the field rules the handlers share.
 */
#ifndef JOBSD_VALIDATE_H
#define JOBSD_VALIDATE_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Walks the protobuf encoding `buf[0..len)` of a message of type `desc`,
 * nested messages included. Returns 0 when every string field of the schema
 * is valid UTF-8 without NUL bytes and the framing is sound; otherwise
 * ST(INVALID_ARGUMENT) with a reason naming the field in `why`.
 * Unknown fields are skipped, not inspected.
 */
int validate_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, char *why,
                  size_t whylen);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates).
 * On false, *bad_at (if not NULL) is the offset of the first bad byte. */
bool validate_utf8(const unsigned char *s, size_t len, size_t *bad_at);

/* NULL when `id` is a valid job id (see Job.id in the proto), else why not. */
const char *validate_id(const char *id);

#endif
