/*
 * validate.c: see validate.h.
 *
 * The protobuf wire format, as far as validate_wire() needs it: a message is
 * a sequence of (tag, value); tag = field_number << 3 | wire_type, a varint.
 * Wire type 0 is a varint, 1 eight bytes, 5 four bytes, 2 a varint length
 * then that many bytes (strings, bytes, nested messages, packed repeated).
 * Types 3 and 4 (groups) are proto2-only and refused here, as protobuf-c
 * does.
 */
#include "validate.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32 /* our schema nests 4 deep; anything deeper is hostile */

bool
validate_utf8(const unsigned char *s, size_t len, size_t *bad_at)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			goto bad;
		}
		if (len - i <= n)
			goto bad;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n + 1;
	}
	return true;
bad:
	if (bad_at != NULL)
		*bad_at = i;
	return false;
}

/* Reads a varint at *p (< end). 0 on success, -1 when truncated or > 64 bits. */
static int
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*p == end)
			return -1;
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Where walk() is: the message field it is inside, and that field's
 * message's place in turn; NULL at the top. The dotted path is only spelt
 * out for an error, so that a good request costs no formatting. */
struct place {
	const struct place *up;
	const char *field;
};

/* Writes "field.field.name" (name may be NULL) into buf. */
static void
spell(const struct place *at, const char *name, char *buf, size_t len)
{
	size_t n = 0;

	if (at != NULL && at->field != NULL) {
		spell(at->up, at->field, buf, len);
		n = strlen(buf);
	} else if (len > 0) {
		buf[0] = '\0';
	}
	if (name != NULL && n < len)
		snprintf(buf + n, len - n, "%s%s", n > 0 ? "." : "", name);
}

static int
walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end, int depth,
     const struct place *at, char *why, size_t whylen)
{
	char path[256];

	if (depth > MAX_DEPTH) {
		snprintf(why, whylen, "message nested deeper than %d levels", MAX_DEPTH);
		return ST(INVALID_ARGUMENT);
	}
	while (p < end) {
		uint64_t tag, len;
		const ProtobufCFieldDescriptor *f;

		if (get_varint(&p, end, &tag) != 0 || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
			goto malformed;
		f = desc != NULL
		        ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3))
		        : NULL;
		switch (tag & 7) {
		case 0:
			if (get_varint(&p, end, &len) != 0)
				goto malformed;
			break;
		case 1:
			if (end - p < 8)
				goto malformed;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				goto malformed;
			p += 4;
			break;
		case 2:
			if (get_varint(&p, end, &len) != 0 || len > (uint64_t)(end - p))
				goto malformed;
			if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING) {
				size_t bad;

				if (memchr(p, '\0', len) != NULL) {
					spell(at, f->name, path, sizeof path);
					snprintf(why, whylen, "field %s contains a NUL byte", path);
					return ST(INVALID_ARGUMENT);
				}
				if (!validate_utf8(p, len, &bad)) {
					spell(at, f->name, path, sizeof path);
					snprintf(why, whylen,
					         "field %s is not valid UTF-8 (byte %zu)", path,
					         bad);
					return ST(INVALID_ARGUMENT);
				}
			} else if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				struct place in = {at, f->name};
				int rv =
				    walk(f->descriptor, p, p + len, depth + 1, &in, why, whylen);

				if (rv != 0)
					return rv;
			}
			p += len;
			break;
		default:
			goto malformed;
		}
	}
	return 0;
malformed:
	spell(at, NULL, path, sizeof path);
	snprintf(why, whylen, "malformed protobuf%s%s", *path ? " in " : "", path);
	return ST(INVALID_ARGUMENT);
}

int
validate_wire(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, char *why,
              size_t whylen)
{
	return walk(desc, buf, buf + len, 0, NULL, why, whylen);
}

const char *
validate_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0)
		return "is empty";
	if (n > 128)
		return "is longer than 128 bytes";
	if (id[0] == '.')
		return "starts with '.'";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._:@+-", c) != NULL))
			return "has a character outside [A-Za-z0-9._:@+-]";
	}
	return NULL;
}
