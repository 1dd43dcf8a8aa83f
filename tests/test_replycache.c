/*
 * test_replycache.c: GetJob's cache of encoded jobs (server/replycache.c):
 * its bytes are the job's encoding, it forgets what is written, a fill that
 * raced a write is dropped, its budget holds; and against a real jobsd, an
 * answer from the cache is byte for byte the answer without it, and no read
 * after an acknowledged write ever sees the job as it was before, while
 * other threads keep refilling the cache.
 */
#include "dispatch.h"
#include "helpers.h"
#include "replycache.h"

#include <criterion/criterion.h>
#include <jobs/client.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Jobs__V1__Job *
job(const char *id, const char *hook)
{
	static Jobs__V1__Job j;

	jobs__v1__job__init(&j);
	j.id = (char *)id;
	j.job_name = "cached";
	j.hook = (char *)hook;
	j.etag = "7";
	return &j;
}

/* The bytes GetJobResponse carries for `out`: packs it whole. */
static size_t
packed(const Jobs__V1__GetJobResponse *out, uint8_t *buf, size_t cap)
{
	size_t n = jobs__v1__get_job_response__get_packed_size(out);

	cr_assert_leq(n, cap);
	jobs__v1__get_job_response__pack(out, buf);
	return n;
}

Test(replycache, a_hit_is_the_encoding_of_the_job_that_was_put)
{
	replycache *rc;
	arena a;
	Jobs__V1__GetJobResponse plain = JOBS__V1__GET_JOB_RESPONSE__INIT,
	                         put = JOBS__V1__GET_JOB_RESPONSE__INIT,
	                         hit = JOBS__V1__GET_JOB_RESPONSE__INIT;
	uint8_t want[4096], got[4096];
	size_t n_want;
	uint64_t epoch;

	cr_assert_eq(replycache_new(&rc, 1 << 20), 0);
	cr_assert_eq(arena_init(&a, 4096, 0), 0);
	plain.job = job("j1", "Tired of dark evenings?");
	n_want = packed(&plain, want, sizeof want);

	cr_assert_not(replycache_get(rc, "j1", &a, &hit, &epoch), "empty: a miss");
	cr_assert_eq(replycache_put(rc, plain.job, epoch, &a, &put), 0);
	cr_assert_eq(packed(&put, got, sizeof got), n_want, "the miss answers in the same bytes");
	cr_assert_arr_eq(got, want, n_want);
	cr_assert(replycache_get(rc, "j1", &a, &hit, &epoch));
	cr_assert_null(hit.job);
	cr_assert_eq(packed(&hit, got, sizeof got), n_want);
	cr_assert_arr_eq(got, want, n_want, "a hit answers as the job's own encoding");

	/* Written: forgotten. */
	const char *ids[] = {"j1"};
	replycache_forget(rc, ids, 1);
	hit = (Jobs__V1__GetJobResponse)JOBS__V1__GET_JOB_RESPONSE__INIT;
	cr_assert_not(replycache_get(rc, "j1", &a, &hit, &epoch));
	arena_fini(&a);
	replycache_free(rc);
}

Test(replycache, a_fill_that_raced_a_write_is_dropped)
{
	replycache *rc;
	arena a;
	Jobs__V1__GetJobResponse out = JOBS__V1__GET_JOB_RESPONSE__INIT;
	const char *ids[] = {"j2"};
	uint64_t epoch, hits, misses, entries;

	cr_assert_eq(replycache_new(&rc, 1 << 20), 0);
	cr_assert_eq(arena_init(&a, 4096, 0), 0);
	/* A reader misses, reads the old job; the writer commits and
	 * forgets; the reader's fill comes last. */
	cr_assert_not(replycache_get(rc, "j2", &a, &out, &epoch));
	replycache_forget(rc, ids, 1);
	cr_assert_eq(replycache_put(rc, job("j2", "old"), epoch, &a, &out), 0);
	cr_assert_not(replycache_get(rc, "j2", &a, &out, &epoch), "the old job was not kept");
	replycache_counts(rc, &hits, &misses, &entries);
	cr_assert_eq(entries, 0);
	cr_assert_eq(hits, 0);
	arena_fini(&a);
	replycache_free(rc);
}

Test(replycache, its_budget_holds)
{
	static char hook[2000];
	replycache *rc;
	arena a;
	uint64_t epoch, hits, misses, entries;
	int found = 0;

	memset(hook, 'h', sizeof hook - 1);
	cr_assert_eq(replycache_new(&rc, 256 * 1024), 0);
	cr_assert_eq(arena_init(&a, 4096, 0), 0);
	for (int i = 0; i < 2000; i++) {
		Jobs__V1__GetJobResponse out = JOBS__V1__GET_JOB_RESPONSE__INIT;
		char id[32];

		snprintf(id, sizeof id, "job-%d", i);
		if (!replycache_get(rc, id, &a, &out, &epoch))
			cr_assert_eq(replycache_put(rc, job(id, hook), epoch, &a, &out), 0);
		arena_reset(&a);
	}
	replycache_counts(rc, &hits, &misses, &entries);
	/* 256 KiB over jobs of ~2 KiB: about a hundred stay, the newest. */
	cr_assert_lt(entries, 140, "%llu entries", (unsigned long long)entries);
	cr_assert_gt(entries, 60, "%llu entries", (unsigned long long)entries);
	for (int i = 1990; i < 2000; i++) {
		Jobs__V1__GetJobResponse out = JOBS__V1__GET_JOB_RESPONSE__INIT;
		char id[32];

		snprintf(id, sizeof id, "job-%d", i);
		found += replycache_get(rc, id, &a, &out, &epoch);
	}
	cr_assert_geq(found, 8, "the most recent are kept (%d of 10)", found);
	arena_fini(&a);
	replycache_free(rc);
}

/* ---- against jobsd ------------------------------------------------------- */

/* The raw answer of jobsd at `url` to a GetJob for `id` (request bytes fixed,
 * request_id included). malloc'd; *len its size. */
static uint8_t *
raw_get(const char *url, const char *id, size_t *len)
{
	Jobs__V1__Request r = JOBS__V1__REQUEST__INIT;
	Jobs__V1__GetJobRequest g = JOBS__V1__GET_JOB_REQUEST__INIT;
	nng_socket s;
	nng_msg *m;
	uint8_t *out;

	g.id = (char *)id;
	r.request_id = "raw-1";
	r.call_case = JOBS__V1__REQUEST__CALL_GET_JOB;
	r.get_job = &g;
	cr_assert_eq(nng_req0_open(&s), 0);
	cr_assert_eq(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000), 0);
	cr_assert_eq(nng_dial(s, url, NULL, 0), 0);
	cr_assert_eq(nng_msg_alloc(&m, jobs__v1__request__get_packed_size(&r)), 0);
	jobs__v1__request__pack(&r, nng_msg_body(m));
	cr_assert_eq(nng_sendmsg(s, m, 0), 0);
	cr_assert_eq(nng_recvmsg(s, &m, 0), 0);
	*len = nng_msg_len(m);
	out = malloc(*len);
	memcpy(out, nng_msg_body(m), *len);
	nng_msg_free(m);
	nng_close(s);
	return out;
}

Test(jobsd, an_answer_from_the_cache_is_the_answer_without_it, .timeout = 60)
{
	const char *off[] = {"--reply-cache-mib", "0", NULL};
	struct jobsd with, without;
	jobs_client *c;
	jobs_call jc = {0};
	jobs_job in = {.id = "same-bytes",
	               .job_name = "Été ☀",
	               .hook = "Line one\nLine two",
	               .enhanced_settings = "{\"n\":1}",
	               .extra = "{\"tags\":[\"a\"]}"};
	uint8_t *miss, *hit, *plain;
	size_t n_miss, n_hit, n_plain;

	cr_assert(jobsd_start(&with, NULL, NULL));
	cr_assert_eq(jobs_client_open(&c, with.url, NULL, &jc), JOBS_OK);
	cr_assert_eq(jobs_create_job(c, &jc, &in, NULL), JOBS_OK, "%s", jc.message);
	jobs_client_close(c);
	miss = raw_get(with.url, "same-bytes", &n_miss);
	hit = raw_get(with.url, "same-bytes", &n_hit);
	cr_assert_eq(jobsd_stop(&with, SIGTERM), 0);
	/* The same database, served without the cache. */
	cr_assert(jobsd_start(&without, with.dir, off));
	plain = raw_get(without.url, "same-bytes", &n_plain);
	cr_assert_eq(n_miss, n_plain);
	cr_assert_arr_eq(miss, plain, n_plain);
	cr_assert_eq(n_hit, n_plain);
	cr_assert_arr_eq(hit, plain, n_plain, "a hit is byte for byte the uncached answer");
	free(miss);
	free(hit);
	free(plain);
	cr_assert_eq(jobsd_cleanup(&without), 0);
}

/* Readers keep GetJob on the job busy (so that fills race the writes). */
struct reader {
	jobs_client *c;
	atomic_bool *stop;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(r->stop)) {
		jobs_call jc = {.timeout_ms = 5000};

		jobs_get_job(r->c, &jc, "hot", NULL);
	}
	return NULL;
}

Test(jobsd, no_read_after_an_acknowledged_write_sees_the_job_as_it_was, .timeout = 120)
{
	enum { READERS = 3, WRITES = 400 };
	struct jobsd d;
	jobs_client *c;
	jobs_call jc = {0};
	jobs_job in = {.id = "hot", .job_name = "v0"}, *got = NULL, *made = NULL;
	pthread_t t[READERS];
	/* static: a failed assertion leaves this frame while the readers run */
	static struct reader rd;
	static atomic_bool stop;

	cr_assert(jobsd_start(&d, NULL, NULL));
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &jc), JOBS_OK);
	cr_assert_eq(jobs_create_job(c, &jc, &in, &made), JOBS_OK, "%s", jc.message);
	rd = (struct reader){.c = c, .stop = &stop};
	for (int i = 0; i < READERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, reader_main, &rd), 0);
	for (int i = 1; i <= WRITES; i++) {
		char name[32];
		jobs_job change = {.id = "hot", .job_name = name, .fields = JOBS_FIELD_JOB_NAME};
		jobs_job *after = NULL;

		snprintf(name, sizeof name, "v%d", i);
		jc = (jobs_call){0};
		cr_assert_eq(jobs_update_job(c, &jc, &change, NULL, &after), JOBS_OK, "%s",
		             jc.message);
		jc = (jobs_call){0};
		cr_assert_eq(jobs_get_job(c, &jc, "hot", &got), JOBS_OK, "%s", jc.message);
		cr_assert_str_eq(got->job_name, name, "write %d acknowledged, then read", i);
		cr_assert_str_eq(got->etag, after->etag);
		jobs_job_free(got);
		jobs_job_free(after);
	}
	/* Deleted: gone at once, cached or not. */
	cr_assert_eq(jobs_delete_job(c, &jc, "hot", NULL), JOBS_OK, "%s", jc.message);
	cr_assert_eq(jobs_get_job(c, &jc, "hot", NULL), JOBS_NOT_FOUND);
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	jobs_job_free(made);
	jobs_client_close(c);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

Test(jobsd, the_cache_is_on_only_where_jobsd_is_the_only_writer, .timeout = 60)
{
	struct jobsd d;
	char *log;

	cr_assert(jobsd_start(&d, NULL, NULL));
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);
	log = read_file(d.log, NULL);
	cr_assert_not_null(log);
	if (test_store_is_pg())
		cr_assert_not_null(
		    strstr(log, "GetJob's reply cache is off: other jobsd may write"), "%s", log);
	else
		cr_assert_null(strstr(log, "reply cache is off"), "%s", log);
	free(log);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}
