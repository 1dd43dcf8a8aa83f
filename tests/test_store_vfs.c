/*
 * test_store_vfs.c: the store's VFS (server/store_vfs.c) through SQLite, on a
 * temporary database: savepoints roll back from the in-memory sub-journal,
 * its buffer is reused by the next transaction, and one that outgrows
 * memory moves to a file and still rolls back.
 */
#include "helpers.h"
#include "store_internal.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>

static const char *dir;
static sqlite3 *db;

static void
setup(void)
{
	char path[512];

	dir = tmpdir_make();
	snprintf(path, sizeof path, "%s/t.db", dir);
	cr_assert_not_null(store_vfs());
	cr_assert_eq(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, store_vfs()),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
}

static void
teardown(void)
{
	sqlite3_close(db);
	tmpdir_remove(dir);
}

TestSuite(store_vfs, .init = setup, .fini = teardown);

static void
run(const char *sql)
{
	char *err = NULL;

	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s", sql, err);
}

static long long
one(const char *sql)
{
	sqlite3_stmt *s;
	long long v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sqlite3_errmsg(db));
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* `rows` rows of 4000 bytes, each a letter repeated, and an index over them:
 * one page or so a row, all existing before the savepoints below. */
static void
fill(int rows)
{
	char sql[512];

	snprintf(sql, sizeof sql,
	         "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);"
	         "CREATE INDEX t_by_x ON t (substr(x, 1, 100));"
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         "  INSERT INTO t SELECT i, printf('%%.*c', 4000, char(65 + i %% 26)) FROM n;",
	         rows);
	run(sql);
}

#define INTACT "SELECT count(*) FROM t WHERE x = printf('%.*c', 4000, char(65 + id % 26))"

/* Rewrites every row inside a savepoint of a transaction, rolls the
 * savepoint back, and checks that each row is as it was. */
static void
rewrite_and_roll_back(int rows)
{
	run("BEGIN; INSERT INTO t VALUES (0, 'before the savepoint'); SAVEPOINT s;"
	    "UPDATE t SET x = lower(x) WHERE id > 0; DELETE FROM t WHERE id % 3 = 0;"
	    "ROLLBACK TO s; RELEASE s; COMMIT");
	cr_assert_eq(one(INTACT), rows);
	cr_assert_eq(one("SELECT count(*) FROM t"), rows + 1);
	run("DELETE FROM t WHERE id = 0");
}

Test(store_vfs, a_savepoint_rolls_back_from_memory_and_the_buffer_serves_again)
{
	long long spills = store_vfs_spills();

	fill(200); /* ~1 MiB of sub-journal: under the 2 MiB a pooled buffer may keep */
	rewrite_and_roll_back(200);
	rewrite_and_roll_back(200);
	cr_assert_eq(store_vfs_spills(), spills, "1 MiB stayed in memory");
	cr_assert_eq(
	    one("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
}

Test(store_vfs, a_subjournal_past_32_mib_moves_to_a_file_and_still_rolls_back)
{
	long long spills = store_vfs_spills();

	fill(9000); /* ~36 MiB of pages, all journaled by the UPDATE */
	rewrite_and_roll_back(9000);
	cr_assert_gt(store_vfs_spills(), spills);
	cr_assert_eq(
	    one("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
}
