/*
 * fuzz_db.c: see fuzz_db.h.
 */
#include "fuzz_db.h"

#include <sqlite3.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *who = "fuzz";
static store *db;
static sqlite3 *reset_db; /* a second connection, to put the seed state back */

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

static char dir[256]; /* $TMPDIR/jobsd-fuzz-XXXXXX, removed at exit */
static char backups[sizeof dir + 16];

void
fuzz_die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, why);
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
			fuzz_die("cleaning the backup folder", path);
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

store *
fuzz_db_open(const char *name, struct server_info *info)
{
	store_options o = {.sync = STORE_SYNC_OFF};
	const char *tmp = getenv("TMPDIR");
	char path[sizeof dir + 16], err[256];

	who = name;
	snprintf(dir, sizeof dir, "%s/jobsd-fuzz-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		fuzz_die("mkdtemp", "failed");
	snprintf(path, sizeof path, "%s/jobs.db", dir);
	snprintf(backups, sizeof backups, "%s/backups", dir);
	if (mkdir(backups, 0700) != 0)
		fuzz_die("mkdir", backups);
	info->backup_dir = backups;
	atexit(at_exit);
	if (dispatch_init(err, sizeof err) != 0)
		fuzz_die("dispatch_init", err);
	if (store_open(&db, path, &o, err, sizeof err) != 0)
		fuzz_die("store_open", err);
	if (sqlite3_open(path, &reset_db) != SQLITE_OK ||
	    sqlite3_exec(reset_db, reset_sql, NULL, NULL, NULL) != SQLITE_OK)
		fuzz_die("seeding", sqlite3_errmsg(reset_db));
	return db;
}

void
fuzz_db_reset(void)
{
	if (sqlite3_exec(reset_db, reset_sql, NULL, NULL, NULL) != SQLITE_OK)
		fuzz_die("reset", sqlite3_errmsg(reset_db));
	/* The reset wrote behind the store's back: the jobs it deleted and
	 * inserted wait in `pending` for the store's next COMMIT to reach the
	 * counts and the text indexes. Commit now, as jobsd would with its next
	 * write, so that a search in the next input cannot find a job the
	 * reset deleted (it answered INTERNAL, "search index is out of sync"). */
	if (store_begin(db) != 0 || store_commit(db) != 0)
		fuzz_die("reset", store_errmsg(db));
	clean(false);
}
