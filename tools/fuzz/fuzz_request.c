/*
 * fuzz_request.c: libFuzzer on the whole request path of jobsd, as the
 * network would drive it: bytes -> call_decode (wire checks, unpack,
 * envelope) -> lanes_serve_sync (handlers, store, transactions) ->
 * call_pack, on a temporary database. The answer must always be a
 * well-formed Response; anything else aborts.
 *
 * Every input starts from the same database: three seed jobs (so that Get,
 * Update and Delete find something) and nothing else, and an empty backup
 * folder. Both are reset after each input, so a crash reproduces from that
 * one input. Everything it writes stays in its own temporary folder (Backup
 * included: CI fuzzes as root), which is removed at exit.
 *
 * Build and run: tools/fuzz/run.sh [SECONDS] (see tools/README.md).
 */
#include "clock.h"
#include "dispatch.h"
#include "lanes.h"
#include "store.h"

#include <sqlite3.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static store *db;
static sqlite3 *reset_db; /* a second connection, to put the seed state back */
static arena ar;
static struct server_info info = {.version = "fuzz", .max_message_bytes = 1 << 20};

static const char reset_sql[] =
    "DELETE FROM jobs; DELETE FROM requests;"
    "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, hook,"
    " elevenlabs_voice_id, language, brand_name, enabled, created_at, updated_at, version,"
    " enhanced_settings, extra) VALUES"
    " ('seed-1', 'Summer Sale', 'Solar Lantern', 'parent', 'yard', 'joy', 'Hook one',"
    "  'v1', 'English', 'Acme', 1, 1700000000000000, 1700000000000000, 1,"
    "  '{\"voice\":{\"stability\":0.5}}', '{\"tags\":[\"a\"]}'),"
    " ('seed-2', 'Winter', 'Heater', 'student', 'dorm', 'calm', 'Hook two',"
    "  'v2', 'Deutsch', 'Brr', 0, 1700000000000001, 1700000000000001, 2, NULL, NULL),"
    " ('seed-3', 'Café', 'Espresso', 'barista', 'café', 'focus', 'Hook three',"
    "  'v3', 'Français', 'Bean', 1, 1700000000000002, 1700000000000002, 3, '[]', NULL);";

static char dir[] = "/tmp/jobsd-fuzz-XXXXXX";
static char backups[sizeof dir + 16];

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_request: %s: %s\n", what, why);
	abort();
}

/* Empties the backup folder (Backup makes only files in it). With `rmdir`,
 * removes it and the whole temporary folder. */
static void
clean(bool rmdir_too)
{
	DIR *d = opendir(backups);
	struct dirent *e;
	char path[sizeof backups + 256];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", backups, e->d_name);
		if (unlink(path) != 0)
			die("cleaning the backup folder", path);
	}
	if (d != NULL)
		closedir(d);
	if (rmdir_too) {
		const char *rest[] = {"jobs.db", "jobs.db-wal", "jobs.db-shm", "jobs.db-journal"};

		rmdir(backups);
		for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
			snprintf(path, sizeof path, "%s/%s", dir, rest[i]);
			unlink(path);
		}
		rmdir(dir);
	}
}

static void
at_exit(void)
{
	sqlite3_close(reset_db);
	store_close(db);
	clean(true);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	store_options o = {.sync = STORE_SYNC_OFF};
	char path[64], err[256];

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", "failed");
	snprintf(path, sizeof path, "%s/jobs.db", dir);
	snprintf(backups, sizeof backups, "%s/backups", dir);
	if (mkdir(backups, 0700) != 0)
		die("mkdir", backups);
	info.backup_dir = backups;
	atexit(at_exit);
	if (dispatch_init(err, sizeof err) != 0)
		die("dispatch_init", err);
	if (store_open(&db, path, &o, err, sizeof err) != 0)
		die("store_open", err);
	if (sqlite3_open(path, &reset_db) != SQLITE_OK ||
	    sqlite3_exec(reset_db, reset_sql, NULL, NULL, NULL) != SQLITE_OK)
		die("seeding", sqlite3_errmsg(reset_db));
	if (arena_init(&ar, 1 << 16, 64u << 20) != 0)
		die("arena_init", "out of memory");
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
		die("response", "no memory to encode it");
	call_pack(&c, out);
	/* The answer is always a Response, with a code, and a message on error. */
	r = jobs__v1__response__unpack(arena_allocator(&ar), n, out);
	if (r == NULL)
		die("response", "does not decode");
	if (r->code != JOBS__V1__CODE__OK && r->message[0] == '\0')
		die("response", "an error without a message");
	if (r->code == JOBS__V1__CODE__INTERNAL)
		die("response", r->message); /* hostile input must never be our bug */
	if (sqlite3_exec(reset_db, reset_sql, NULL, NULL, NULL) != SQLITE_OK)
		die("reset", sqlite3_errmsg(reset_db));
	/* The reset wrote behind the store's back: the jobs it deleted and
	 * inserted wait in `pending` for the store's next COMMIT to reach the
	 * counts and the text indexes. Commit now, as jobsd would with its next
	 * write, so that a search in the next input cannot find a job the
	 * reset deleted (it answered INTERNAL, "search index is out of sync"). */
	if (store_begin(db) != 0 || store_commit(db) != 0)
		die("reset", store_errmsg(db));
	clean(false);
	return 0;
}
