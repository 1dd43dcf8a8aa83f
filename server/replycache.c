/*
 * replycache.c: see replycache.h.
 *
 * SHARDS shards, picked by the id's hash, each a chained hash table with its
 * own lock, byte budget (max_bytes / SHARDS), epoch and LRU list (most
 * recently used first; the least recent goes when the budget is over). An
 * entry is one allocation: the id, its NUL, then the job's bytes.
 */
#include "replycache.h"
#include "hash.h"
#include "status.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS        16
#define FIRST_BUCKETS 64

struct entry {
	struct entry *chain;       /* next in its bucket */
	struct entry *prev, *next; /* in the LRU list */
	uint64_t hash;
	size_t size; /* what it counts against the budget */
	size_t key_len, len;
	char key[]; /* key_len bytes, a NUL, then the job's len bytes */
};

struct shard {
	pthread_mutex_t mu;
	struct entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t n_entries;
	struct entry lru; /* sentinel: lru.next is the most recent */
	size_t bytes, max_bytes;
	uint64_t epoch; /* forgettings seen */
	uint64_t hits, misses;
};

struct replycache {
	struct shard shards[SHARDS];
	uint32_t job_field; /* GetJobResponse.job's number */
};

static const uint8_t *
entry_data(const struct entry *e)
{
	return (const uint8_t *)e->key + e->key_len + 1;
}

int
replycache_new(replycache **out, size_t max_bytes)
{
	replycache *rc = calloc(1, sizeof *rc);
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
	    &jobs__v1__get_job_response__descriptor, "job");

	*out = NULL;
	if (rc == NULL || f == NULL) {
		free(rc);
		return -1;
	}
	/* An unknown field's data is what follows its tag: for a message, the
	 * length and the bytes, which is what a packed GetJobResponse holds
	 * after its first byte when `job` is its only field and that field's
	 * tag takes one byte (numbers 1 to 15). */
	if (jobs__v1__get_job_response__descriptor.n_fields != 1 || f->id > 15) {
		free(rc);
		return -1;
	}
	rc->job_field = f->id;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &rc->shards[i];

		pthread_mutex_init(&s->mu, NULL);
		s->lru.next = s->lru.prev = &s->lru;
		s->max_bytes = max_bytes / SHARDS;
		s->n_buckets = FIRST_BUCKETS;
		if ((s->buckets = calloc(s->n_buckets, sizeof *s->buckets)) == NULL) {
			replycache_free(rc);
			return -1;
		}
	}
	*out = rc;
	return 0;
}

void
replycache_free(replycache *rc)
{
	if (rc == NULL)
		return;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &rc->shards[i];

		for (struct entry *e = s->lru.next, *next; e != NULL && e != &s->lru; e = next) {
			next = e->next;
			free(e);
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->mu);
	}
	free(rc);
}

static struct shard *
shard_of(replycache *rc, uint64_t hash)
{
	return &rc->shards[hash % SHARDS];
}

/* The slot in s's table that points at id's entry (or where it would). */
static struct entry **
find(struct shard *s, uint64_t hash, const char *id, size_t len)
{
	struct entry **p = &s->buckets[(hash / SHARDS) & (s->n_buckets - 1)];

	for (; *p != NULL; p = &(*p)->chain)
		if ((*p)->hash == hash && (*p)->key_len == len && memcmp((*p)->key, id, len) == 0)
			break;
	return p;
}

static void
lru_unlink(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void
lru_push(struct shard *s, struct entry *e)
{
	e->next = s->lru.next;
	e->prev = &s->lru;
	s->lru.next->prev = e;
	s->lru.next = e;
}

/* Takes the entry *slot out of s; returns it, to be freed unlocked. */
static struct entry *
take(struct shard *s, struct entry **slot)
{
	struct entry *e = *slot;

	*slot = e->chain;
	lru_unlink(e);
	s->bytes -= e->size;
	s->n_entries--;
	return e;
}

/* Doubles s's table; keeps it as it is when there is no memory for that. */
static void
grow(struct shard *s)
{
	size_t n = s->n_buckets * 2;
	struct entry **b = calloc(n, sizeof *b);

	if (b == NULL)
		return;
	for (size_t i = 0; i < s->n_buckets; i++)
		for (struct entry *e = s->buckets[i], *next; e != NULL; e = next) {
			size_t k = (e->hash / SHARDS) & (n - 1);

			next = e->chain;
			e->chain = b[k];
			b[k] = e;
		}
	free(s->buckets);
	s->buckets = b;
	s->n_buckets = n;
}

/* Makes bytes[0..len) (in `a`) the job field of `out`. */
static void
answer(replycache *rc, Jobs__V1__GetJobResponse *out, uint8_t *bytes, size_t len,
       ProtobufCMessageUnknownField *f)
{
	f->tag = rc->job_field;
	f->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	f->len = len;
	f->data = bytes;
	out->job = NULL;
	out->base.n_unknown_fields = 1;
	out->base.unknown_fields = f;
}

bool
replycache_get(replycache *rc, const char *id, arena *a, Jobs__V1__GetJobResponse *out,
               uint64_t *epoch)
{
	size_t len = strlen(id);
	uint64_t h = hash_bytes(id, len);
	struct shard *s = shard_of(rc, h);
	ProtobufCMessageUnknownField *f = arena_alloc(a, sizeof *f);
	uint8_t *copy = NULL;
	struct entry *e;
	size_t n = 0;

	pthread_mutex_lock(&s->mu);
	*epoch = s->epoch;
	if (f != NULL && (e = *find(s, h, id, len)) != NULL &&
	    (copy = arena_alloc(a, e->len)) != NULL) {
		memcpy(copy, entry_data(e), e->len);
		n = e->len;
		lru_unlink(e);
		lru_push(s, e);
		s->hits++;
	} else {
		s->misses++;
	}
	pthread_mutex_unlock(&s->mu);
	if (copy == NULL)
		return false;
	answer(rc, out, copy, n, f);
	return true;
}

int
replycache_put(replycache *rc, const Jobs__V1__Job *job, uint64_t epoch, arena *a,
               Jobs__V1__GetJobResponse *out)
{
	Jobs__V1__GetJobResponse whole = JOBS__V1__GET_JOB_RESPONSE__INIT;
	size_t key_len = strlen(job->id), len;
	uint64_t h = hash_bytes(job->id, key_len);
	struct shard *s = shard_of(rc, h);
	ProtobufCMessageUnknownField *f = arena_alloc(a, sizeof *f);
	struct entry *e, *old = NULL, *evicted = NULL, **slot;
	uint8_t *bytes;
	size_t size;

	/* The job's field as protobuf-c encodes it: all but the tag's byte of
	 * a GetJobResponse holding only the job (see replycache_new). */
	whole.job = (Jobs__V1__Job *)job;
	len = jobs__v1__get_job_response__get_packed_size(&whole);
	if (f == NULL || (bytes = arena_alloc(a, len)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	jobs__v1__get_job_response__pack(&whole, bytes);
	bytes++;
	len--;
	answer(rc, out, bytes, len, f);
	size = sizeof *e + key_len + 1 + len;
	if (size > s->max_bytes || (e = malloc(size)) == NULL)
		return 0;
	e->hash = h;
	e->size = size;
	e->key_len = key_len;
	e->len = len;
	memcpy(e->key, job->id, key_len + 1);
	memcpy(e->key + key_len + 1, bytes, len);

	pthread_mutex_lock(&s->mu);
	if (s->epoch != epoch) { /* an id of this shard was written since the read */
		pthread_mutex_unlock(&s->mu);
		free(e);
		return 0;
	}
	slot = find(s, h, job->id, key_len);
	if (*slot != NULL) /* another reader filled it meanwhile: the same job */
		old = take(s, slot);
	e->chain = *slot;
	*slot = e;
	lru_push(s, e);
	s->bytes += size;
	s->n_entries++;
	/* The least recently used go until the budget holds; the ones taken
	 * are chained on `evicted` to be freed after the lock. */
	while (s->bytes > s->max_bytes && s->lru.prev != e) {
		struct entry *last = s->lru.prev;
		struct entry *t = take(s, find(s, last->hash, last->key, last->key_len));

		t->chain = evicted;
		evicted = t;
	}
	if (s->n_entries > s->n_buckets)
		grow(s);
	pthread_mutex_unlock(&s->mu);
	free(old);
	while (evicted != NULL) {
		struct entry *next = evicted->chain;

		free(evicted);
		evicted = next;
	}
	return 0;
}

void
replycache_forget(replycache *rc, const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(ids[i]);
		uint64_t h = hash_bytes(ids[i], len);
		struct shard *s = shard_of(rc, h);
		struct entry **slot, *gone = NULL;

		pthread_mutex_lock(&s->mu);
		s->epoch++; /* before the entry goes: see the top of replycache.h */
		if (*(slot = find(s, h, ids[i], len)) != NULL)
			gone = take(s, slot);
		pthread_mutex_unlock(&s->mu);
		free(gone);
	}
}

void
replycache_counts(replycache *rc, uint64_t *hits, uint64_t *misses, uint64_t *entries)
{
	*hits = *misses = *entries = 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &rc->shards[i];

		pthread_mutex_lock(&s->mu);
		*hits += s->hits;
		*misses += s->misses;
		*entries += s->n_entries;
		pthread_mutex_unlock(&s->mu);
	}
}
