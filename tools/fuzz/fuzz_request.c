/*
 * fuzz_request.c: libFuzzer on the whole request path of jobsd, as the
 * network would drive it: bytes -> call_decode (wire checks, unpack,
 * envelope) -> lanes_serve_sync (handlers, store, transactions) ->
 * call_pack, on a temporary database (fuzz_db.c: three seed jobs, reset
 * after each input). The answer must always be a well-formed Response;
 * anything else aborts.
 *
 * Build and run: tools/fuzz/run.sh [SECONDS] (see tools/README.md).
 */
#include "clock.h"
#include "dispatch.h"
#include "fuzz_db.h"
#include "lanes.h"
#include "store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static store *db;
static arena ar;
static struct server_info info = {.version = "fuzz", .max_message_bytes = 1 << 20};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = fuzz_db_open("fuzz_request", &info);
	if (arena_init(&ar, 1 << 16, 64u << 20) != 0)
		fuzz_die("arena_init", "out of memory");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Jobs__V1__Response *r;
	uint8_t *out;
	size_t n;
	call c;

	arena_reset(&ar);
	if (call_decode(&c, &ar, &info, data, size, clock_now_us()) != LANE_NONE)
		lanes_serve_sync(db, &c);
	n = call_packed_size(&c);
	if ((out = arena_alloc(&ar, n)) == NULL)
		fuzz_die("response", "no memory to encode it");
	call_pack(&c, out);
	/* The answer is always a Response, with a code, and a message on error. */
	r = jobs__v1__response__unpack(arena_allocator(&ar), n, out);
	if (r == NULL)
		fuzz_die("response", "does not decode");
	if (r->code != JOBS__V1__CODE__OK && r->message[0] == '\0')
		fuzz_die("response", "an error without a message");
	if (r->code == JOBS__V1__CODE__INTERNAL)
		fuzz_die("response", r->message); /* hostile input must never be our bug */
	fuzz_db_reset();
	return 0;
}
