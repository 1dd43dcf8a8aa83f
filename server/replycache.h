/*
 * replycache.h: a bounded cache of encoded jobs, so that GetJob answers from
 * memory what it read once.
 *
 * GetJob spends most of jobsd's time on reading the row from SQLite and
 * encoding the job again. The cache keeps each job as the protobuf bytes of
 * its Job message, as GetJobResponse.job carries it, and a hit puts those
 * bytes into the answer unchanged (as the field's encoding, see
 * replycache_get). Everything else about the call stays as it was: the
 * envelope, the deadline and the token are checked before the handler runs.
 *
 * NO STALE READ AFTER AN ACKNOWLEDGED WRITE. Writers forget the ids they
 * wrote after their COMMIT and before anyone is answered
 * (lanes_write_group). A read that started before that commit could still
 * bring the old job back into the cache after the forgetting; so each
 * shard counts the forgettings it has seen (its epoch), a miss notes the
 * epoch, and the fill is dropped when the epoch moved meanwhile. An entry
 * in the cache was therefore read after the last time its id was forgotten.
 *
 * This holds only while every write of the database goes through this
 * process: jobsd makes a cache only for a store whose traits say it is
 * exclusive (SQLite, one jobsd per database), never for a database that
 * other jobsd write (PostgreSQL).
 *
 * Thread-safe: shards each have a lock; GetJob runs on many threads.
 */
#ifndef JOBSD_REPLYCACHE_H
#define JOBSD_REPLYCACHE_H

#include "arena.h"
#include "jobs/v1/jobs.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct replycache replycache;

/* A cache of at most `max_bytes` (entries and their keys counted). On
 * success *out is the cache (replycache_free). 0, or -1 when out of memory. */
int replycache_new(replycache **out, size_t max_bytes);
void replycache_free(replycache *rc);

/*
 * A hit: the cached bytes of job `id`, copied into `a`, become the `job`
 * field of `out` (an unknown field to protobuf-c, which encodes it as it
 * is) and true is returned. A miss: false, and *epoch is what
 * replycache_put() needs to know whether the job it then reads may be kept.
 */
bool replycache_get(replycache *rc, const char *id, arena *a, Jobs__V1__GetJobResponse *out,
                    uint64_t *epoch);

/*
 * `job` was read after replycache_get() missed with *epoch: encodes it into
 * `a`, makes those bytes the job field of `out` (so that the answer is not
 * encoded twice), and keeps a copy, unless an id of its shard was forgotten
 * since the miss or it is larger than a shard holds. 0, or
 * RESOURCE_EXHAUSTED when `a` has no room (then `out` is untouched).
 */
int replycache_put(replycache *rc, const Jobs__V1__Job *job, uint64_t epoch, arena *a,
                   Jobs__V1__GetJobResponse *out);

/* Forgets the jobs ids[0..n): they were written (or deleted). */
void replycache_forget(replycache *rc, const char *const *ids, size_t n);

/* Hits, misses and entries so far, for tests and metrics. */
void replycache_counts(replycache *rc, uint64_t *hits, uint64_t *misses, uint64_t *entries);

#endif
