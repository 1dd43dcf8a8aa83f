/*
 * test_validate.c: validate.c (UTF-8, the wire walk, ids) and arena.c.
 */
#include "arena.h"
#include "status.h"
#include "validate.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

static bool
utf8(const char *s, size_t len)
{
	return validate_utf8((const unsigned char *)s, len, NULL);
}

Test(utf8, accepts_well_formed_text)
{
	cr_assert(utf8("", 0));
	cr_assert(utf8("plain ascii", 11));
	cr_assert(utf8("été", strlen("été")));
	cr_assert(utf8("日本語", strlen("日本語")));
	cr_assert(utf8("\xf0\x9f\x98\x80", 4)); /* U+1F600 */
	cr_assert(utf8("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
}

Test(utf8, refuses_malformed_text)
{
	size_t at;

	cr_assert(!utf8("\xff", 1));
	cr_assert(!utf8("\xc3", 1), "truncated sequence");
	cr_assert(!utf8("\xc0\xaf", 2), "overlong '/'");
	cr_assert(!utf8("\xe0\x80\xaf", 3), "overlong");
	cr_assert(!utf8("\xed\xa0\x80", 3), "surrogate U+D800");
	cr_assert(!utf8("\xf4\x90\x80\x80", 4), "beyond U+10FFFF");
	cr_assert(!utf8("\x80", 1), "lone continuation byte");
	cr_assert(!validate_utf8((const unsigned char *)"ok\xe2\x82", 5, &at));
	cr_assert_eq(at, 2);
}

/* A GetJobRequest in a Request, with `id` as raw bytes of length n. */
static size_t
get_request(uint8_t *buf, const char *id, size_t n)
{
	size_t len = 0;

	buf[len++] = (11 << 3) | 2; /* Request.get_job */
	buf[len++] = (uint8_t)(n + 2);
	buf[len++] = (1 << 3) | 2; /* GetJobRequest.id */
	buf[len++] = (uint8_t)n;
	memcpy(buf + len, id, n);
	return len + n;
}

Test(wire, accepts_a_valid_request)
{
	uint8_t buf[64];
	char why[256];
	size_t n = get_request(buf, "job-1", 5);

	cr_assert_eq(validate_wire(&jobs__v1__request__descriptor, buf, n, why, sizeof why), 0,
	             "%s", why);
}

Test(wire, refuses_invalid_utf8_naming_the_field)
{
	uint8_t buf[64];
	char why[256];
	size_t n = get_request(buf,
	                       "jo\xff"
	                       "b",
	                       4);

	cr_assert_eq(validate_wire(&jobs__v1__request__descriptor, buf, n, why, sizeof why),
	             ST(INVALID_ARGUMENT));
	cr_assert(strstr(why, "get_job.id") != NULL, "%s", why);
	cr_assert(strstr(why, "UTF-8") != NULL, "%s", why);
}

Test(wire, refuses_an_embedded_nul)
{
	uint8_t buf[64];
	char why[256];
	size_t n = get_request(buf, "ab\0cd", 5);

	cr_assert_eq(validate_wire(&jobs__v1__request__descriptor, buf, n, why, sizeof why),
	             ST(INVALID_ARGUMENT));
	cr_assert(strstr(why, "NUL") != NULL, "%s", why);
	cr_assert(strstr(why, "field get_job.id ") != NULL, "%s", why);
}

Test(wire, names_a_field_deep_inside_and_where_framing_broke)
{
	Jobs__V1__Request r = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest cj = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	uint8_t buf[256];
	char why[256];
	size_t n;

	j.hook = "bad \xc3";
	cj.job = &j;
	r.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	r.create_job = &cj;
	n = jobs__v1__request__pack(&r, buf);
	cr_assert_eq(validate_wire(&jobs__v1__request__descriptor, buf, n, why, sizeof why),
	             ST(INVALID_ARGUMENT));
	cr_assert(strstr(why, "field create_job.job.hook is not valid UTF-8") != NULL, "%s", why);
	/* Cut short, the outermost frame is what breaks: no field to name. */
	cr_assert_eq(validate_wire(&jobs__v1__request__descriptor, buf, n - 1, why, sizeof why),
	             ST(INVALID_ARGUMENT));
	cr_assert_str_eq(why, "malformed protobuf", "%s", why);
}

Test(wire, refuses_truncated_and_garbled_framing)
{
	uint8_t buf[64];
	char why[256];
	size_t n = get_request(buf, "job-1", 5);
	static const uint8_t varint_too_long[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                          0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t group[] = {(1 << 3) | 3};
	static const uint8_t field_zero[] = {0x00, 0x01};

	for (size_t cut = 1; cut < n; cut++)
		cr_assert_eq(
		    validate_wire(&jobs__v1__request__descriptor, buf, cut, why, sizeof why),
		    ST(INVALID_ARGUMENT), "cut at %zu", cut);
	cr_assert_neq(validate_wire(&jobs__v1__request__descriptor, varint_too_long,
	                            sizeof varint_too_long, why, sizeof why),
	              0);
	cr_assert_neq(
	    validate_wire(&jobs__v1__request__descriptor, group, sizeof group, why, sizeof why), 0);
	cr_assert_neq(validate_wire(&jobs__v1__request__descriptor, field_zero, sizeof field_zero,
	                            why, sizeof why),
	              0);
}

Test(wire, skips_unknown_fields_and_accepts_empty)
{
	static const uint8_t unknown[] = {(99 << 3 & 0x7f) | 0x80 | 2, 99 >> 4, 2, 0xff, 0xfe};
	char why[256];

	cr_assert_eq(
	    validate_wire(&jobs__v1__request__descriptor, unknown, sizeof unknown, why, sizeof why),
	    0, "%s", why);
	cr_assert_eq(validate_wire(&jobs__v1__request__descriptor, unknown, 0, why, sizeof why), 0);
}

Test(ids, rules)
{
	cr_assert_null(validate_id("3f2b6c1e-8a4d-4c2e-9f1a-0b7c5d3e2a10"));
	cr_assert_null(validate_id("job_1.v2:a@b+c"));
	cr_assert_not_null(validate_id(""));
	cr_assert_not_null(validate_id(".hidden"));
	cr_assert_not_null(validate_id("../etc/passwd"));
	cr_assert_not_null(validate_id("a b"));
	cr_assert_not_null(validate_id("été"));
	char long_id[200];
	memset(long_id, 'a', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	cr_assert_not_null(validate_id(long_id));
	long_id[128] = '\0';
	cr_assert_null(validate_id(long_id));
}

Test(arena, allocates_aligned_grows_and_resets)
{
	arena a;
	char *p, *q;

	cr_assert_eq(arena_init(&a, 64, 0), 0);
	p = arena_alloc(&a, 3);
	q = arena_alloc(&a, 8);
	cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0);
	cr_assert_eq((uintptr_t)q % _Alignof(max_align_t), 0);
	cr_assert_neq(p, q);
	p = arena_alloc(&a, 100000); /* larger than any block so far */
	cr_assert_not_null(p);
	memset(p, 1, 100000);
	cr_assert_str_eq(arena_printf(&a, "%s-%d", "x", 42), "x-42");
	cr_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
	arena_reset(&a);
	cr_assert_eq(a.used, 0);
	cr_assert_not_null(arena_alloc(&a, 10));
	arena_fini(&a);
}

Test(arena, enforces_its_limit)
{
	arena a;

	cr_assert_eq(arena_init(&a, 64, 1024), 0);
	cr_assert_not_null(arena_alloc(&a, 512));
	cr_assert_null(arena_alloc(&a, 1024), "over the limit");
	cr_assert_null(arena_alloc(&a, SIZE_MAX), "absurd sizes do not wrap");
	arena_reset(&a);
	cr_assert_not_null(arena_alloc(&a, 1000));
	arena_fini(&a);
}

Test(arena, backs_protobuf_c_unpacking)
{
	Jobs__V1__GetJobRequest in = JOBS__V1__GET_JOB_REQUEST__INIT, *out;
	uint8_t buf[64];
	size_t n;
	arena a;

	in.id = "abc";
	n = jobs__v1__get_job_request__pack(&in, buf);
	cr_assert_eq(arena_init(&a, 256, 0), 0);
	out = jobs__v1__get_job_request__unpack(arena_allocator(&a), n, buf);
	cr_assert_not_null(out);
	cr_assert_str_eq(out->id, "abc");
	arena_fini(&a); /* frees everything unpacking allocated */
}
