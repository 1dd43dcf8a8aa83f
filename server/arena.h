/*
 * arena.h: a per-request bump allocator.
 *
 * Each in-flight request owns one arena. Decoding the request (protobuf-c,
 * through arena_allocator()), the rows read from the store and the response
 * all come from it, and arena_reset() frees them at once when the response
 * has been sent. The first block is kept across resets, so a typical request
 * costs no malloc at all; larger ones borrow extra blocks until the reset.
 *
 * Not thread-safe: an arena belongs to one request, which one thread at a time
 * works on.
 */
#ifndef JOBSD_ARENA_H
#define JOBSD_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stddef.h>

struct arena_block;

typedef struct arena {
	struct arena_block *first; /* kept across resets */
	struct arena_block *cur;   /* where allocation happens now */
	size_t limit;              /* most bytes handed out between resets; 0: no limit */
	size_t used;               /* bytes handed out since the last reset */
	ProtobufCAllocator pb;     /* adapter for protobuf-c; see arena_allocator() */
} arena;

/*
 * Prepares `a` with a first block of `first_size` bytes. `limit` bounds what
 * one request may allocate (0: unbounded), so that hostile input cannot make
 * the server allocate without end. Returns 0, or -1 when out of memory (then
 * `a` needs no arena_fini).
 */
int arena_init(arena *a, size_t first_size, size_t limit);

/* Frees every block. `a` may be re-initialised afterwards. */
void arena_fini(arena *a);

/* Forgets every allocation; keeps the first block. */
void arena_reset(arena *a);

/*
 * Returns `n` bytes aligned for any type, owned by the arena (valid until the
 * next reset), or NULL when out of memory or over the limit. Never returns
 * NULL for n == 0.
 */
void *arena_alloc(arena *a, size_t n);

/* Copies of strings, owned by the arena; NULL on failure as arena_alloc. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap);

/* A protobuf-c allocator drawing on `a`; its free is a no-op. */
ProtobufCAllocator *arena_allocator(arena *a);

#endif
