/*
 * hash.h: FNV-1a, 64 bits. For fingerprints that tie a page token to its
 * query and a remembered answer to its request: cheap and stable across
 * builds and machines; not a defence against anyone choosing collisions.
 */
#ifndef JOBSD_HASH_H
#define JOBSD_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t
hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

#endif
