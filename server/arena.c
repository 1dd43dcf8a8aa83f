/*
 * arena.c: see arena.h.
 *
 * Blocks form a list headed by `first`. Allocation bumps `used` in `cur`;
 * when `cur` is full a new block of at least twice its size (or of the
 * request, if larger) is linked after it. Reset frees all blocks but the
 * first.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size; /* bytes in data[] */
	size_t off;  /* bytes of data[] in use */
	alignas(max_align_t) unsigned char data[];
};

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - sizeof *b)
		return NULL;
	if ((b = malloc(sizeof *b + size)) == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->off = 0;
	return b;
}

static void *
pb_alloc(void *data, size_t n)
{
	return arena_alloc(data, n);
}

static void
pb_free(void *data, void *p)
{
	(void)data;
	(void)p; /* freed in bulk by arena_reset() */
}

int
arena_init(arena *a, size_t first_size, size_t limit)
{
	memset(a, 0, sizeof *a);
	if ((a->first = block_new(first_size)) == NULL)
		return -1;
	a->cur = a->first;
	a->limit = limit;
	a->pb.alloc = pb_alloc;
	a->pb.free = pb_free;
	a->pb.allocator_data = a;
	return 0;
}

static void
free_after(struct arena_block *b)
{
	struct arena_block *next;

	for (b = b->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

void
arena_fini(arena *a)
{
	if (a->first == NULL)
		return;
	free_after(a->first);
	free(a->first);
	a->first = a->cur = NULL;
}

void
arena_reset(arena *a)
{
	free_after(a->first);
	a->first->next = NULL;
	a->first->off = 0;
	a->cur = a->first;
	a->used = 0;
}

void *
arena_alloc(arena *a, size_t n)
{
	struct arena_block *b = a->cur;
	size_t need;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
	need = (n + ALIGN - 1) & ~(ALIGN - 1);
	if (a->limit != 0 && (need > a->limit || a->used > a->limit - need))
		return NULL;
	if (b->size - b->off < need) {
		size_t size = b->size * 2 > need ? b->size * 2 : need;
		struct arena_block *nb = block_new(size);

		if (nb == NULL)
			return NULL;
		b->next = nb;
		a->cur = b = nb;
	}
	p = b->data + b->off;
	b->off += need;
	a->used += need;
	return p;
}

char *
arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (p = arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

ProtobufCAllocator *
arena_allocator(arena *a)
{
	return &a->pb;
}
