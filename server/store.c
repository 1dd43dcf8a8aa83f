/*
 * store.c: store.h's functions, dispatched to the engine behind each
 * connection (store_backend.h), and what is the same for every engine: which
 * engine a --db value names, how it is shown in logs, etags.
 */
#include "cjk.h"
#include "status.h"
#include "store_backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- engines --------------------------------------------------------------- */

/* Whether db starts with `scheme` followed by "://". */
static bool
has_scheme(const char *db, const char *scheme)
{
	size_t n = strlen(scheme);
	return strncmp(db, scheme, n) == 0 && strncmp(db + n, "://", 3) == 0;
}

enum store_engine
store_engine_of(const char *db)
{
	const char *p = db;

	if (has_scheme(db, "postgresql") || has_scheme(db, "postgres"))
		return STORE_POSTGRESQL;
	/* Any other scheme:// is a mistake, never a folder named "scheme:". */
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	if (p > db && strncmp(p, "://", 3) == 0)
		return STORE_UNKNOWN;
	return STORE_SQLITE;
}

const char *
store_describe(const char *db, char *buf, size_t size)
{
	const char *rest, *at, *end;

	if (store_engine_of(db) == STORE_SQLITE) {
		snprintf(buf, size, "%s", db);
		return buf;
	}
	/* scheme://[userinfo@]hosts[/dbname][?params]: the userinfo may hold a
	 * password and so may the parameters; what is left names the place. */
	rest = strstr(db, "://") + 3;
	end = rest + strcspn(rest, "?");
	at = NULL;
	for (const char *p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL)
		rest = at + 1;
	snprintf(buf, size, "%.*s://%.*s", (int)(strstr(db, "://") - db), db, (int)(end - rest),
	         rest);
	return buf;
}

int
store_open(store **out, const char *db, const store_options *opt, char *err, size_t errlen)
{
	*out = NULL;
	/* Both engines split Chinese, Japanese and Korean text (cjk.c). */
	if (cjk_init(err, errlen) != 0)
		return ST(FAILED_PRECONDITION);
	switch (store_engine_of(db)) {
	case STORE_SQLITE:
		return store_sqlite_open(out, db, opt, err, errlen);
	case STORE_POSTGRESQL:
		return store_pg_open(out, db, opt, err, errlen);
	default:
		snprintf(err, errlen,
		         "--db: '%.*s' is not a database this jobsd knows (a file path, or "
		         "postgresql://...)",
		         (int)strcspn(db, ":"), db);
		return ST(INVALID_ARGUMENT);
	}
}

int
store_restore(const char *db, const char *from, int64_t *jobs, char *why, size_t whylen)
{
	if (store_engine_of(db) != STORE_SQLITE) {
		snprintf(why, whylen,
		         "jobsd restores SQLite databases only; restore PostgreSQL with its own "
		         "tools (pg_restore of a pg_dump, or a pg_basebackup)");
		return ST(FAILED_PRECONDITION);
	}
	return store_sqlite_restore(db, from, jobs, why, whylen);
}

int
store_failf(store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- etags ------------------------------------------------------------------ */

/* Every job a read hands out gets one (a page of 50 jobs, 50): the digits
 * are written here, where printf would spend most of its time parsing its
 * format. */
char *
store_etag(arena *a, int64_t version)
{
	char digits[24], *p = digits + sizeof digits;
	uint64_t v = version < 0 ? -(uint64_t)version : (uint64_t)version;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (version < 0)
		*--p = '-';
	return arena_strndup(a, p, (size_t)(digits + sizeof digits - p));
}

int64_t
store_etag_parse(const char *etag)
{
	char *end;
	long long v;

	if (*etag < '1' || *etag > '9')
		return -1;
	errno = 0;
	v = strtoll(etag, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : v;
}

/* ---- a job's columns ------------------------------------------------------------ */

const size_t store_text_offset[N_COLUMNS] = {
    [C_ID] = offsetof(Jobs__V1__Job, id),
    [C_JOB_NAME] = offsetof(Jobs__V1__Job, job_name),
    [C_PRODUCT] = offsetof(Jobs__V1__Job, product),
    [C_PERSONA] = offsetof(Jobs__V1__Job, persona),
    [C_SETTING] = offsetof(Jobs__V1__Job, setting),
    [C_EMOTION] = offsetof(Jobs__V1__Job, emotion),
    [C_HOOK] = offsetof(Jobs__V1__Job, hook),
    [C_VOICE] = offsetof(Jobs__V1__Job, elevenlabs_voice_id),
    [C_LANGUAGE] = offsetof(Jobs__V1__Job, language),
    [C_BRAND] = offsetof(Jobs__V1__Job, brand_name),
    [C_SETTINGS] = offsetof(Jobs__V1__Job, enhanced_settings),
    [C_EXTRA] = offsetof(Jobs__V1__Job, extra),
};

const char *const store_update_columns[N_COLUMNS] = {
    [C_JOB_NAME] = "job_name",
    [C_PRODUCT] = "product",
    [C_PERSONA] = "persona",
    [C_SETTING] = "setting",
    [C_EMOTION] = "emotion",
    [C_HOOK] = "hook",
    [C_VOICE] = "elevenlabs_voice_id",
    [C_LANGUAGE] = "language",
    [C_BRAND] = "brand_name",
    [C_ENABLED] = "enabled",
    [C_SETTINGS] = "enhanced_settings",
    [C_EXTRA] = "extra",
};

unsigned
store_changed_columns(const Jobs__V1__Job *was, const Jobs__V1__Job *now)
{
	unsigned mask = 0;

	for (int c = 0; c < N_COLUMNS; c++)
		if (store_update_columns[c] != NULL && store_text_offset[c] != 0 &&
		    strcmp(store_job_text(was, c), store_job_text(now, c)) != 0)
			mask |= 1u << c;
	if (was->enabled != now->enabled)
		mask |= 1u << C_ENABLED;
	return mask;
}

/* ---- dispatch ---------------------------------------------------------------- */

void
store_close(store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

const char *
store_errmsg(const store *st)
{
	return st->errmsg;
}

int
store_schema_version(const store *st)
{
	return st->schema_version;
}

struct store_traits
store_traits(const store *st)
{
	return st->ops->traits;
}

void
store_set_deadline(store *st, int64_t deadline_us)
{
	if (st->ops->set_deadline != NULL)
		st->ops->set_deadline(st, deadline_us);
}

int
store_is_standby(store *st, bool *standby)
{
	*standby = false;
	return st->ops->is_standby != NULL ? st->ops->is_standby(st, standby) : 0;
}

int
store_tidy(store *st)
{
	return st->ops->tidy != NULL ? st->ops->tidy(st) : 0;
}

int64_t
store_wal_pages(const store *st)
{
	return st->ops->wal_pages != NULL ? st->ops->wal_pages(st) : 0;
}

bool
store_sync_deferred(const store *st)
{
	return st->sync_deferred;
}

int
store_wal_sync(const store *st)
{
	return st->ops->wal_sync != NULL ? st->ops->wal_sync(st) : 0;
}

int64_t
store_wal_appended(const store *st)
{
	return st->ops->wal_appended != NULL ? st->ops->wal_appended(st) : 0;
}

int
store_checkpoint(store *st, int *left)
{
	if (st->ops->checkpoint != NULL)
		return st->ops->checkpoint(st, left);
	if (left != NULL)
		*left = 0;
	return 0;
}

int64_t
store_fullscan_steps(const store *st)
{
	return st->ops->fullscan_steps != NULL ? st->ops->fullscan_steps(st) : -1;
}

int64_t
store_sorts(const store *st)
{
	return st->ops->sorts != NULL ? st->ops->sorts(st) : -1;
}

int
store_begin(store *st)
{
	return st->ops->begin(st);
}

int
store_commit(store *st)
{
	return st->ops->commit(st);
}

void
store_rollback(store *st)
{
	st->ops->rollback(st);
}

int
store_savepoint(store *st)
{
	return st->ops->savepoint(st);
}

int
store_release(store *st)
{
	return st->ops->release(st);
}

int
store_rollback_to(store *st)
{
	return st->ops->rollback_to(st);
}

int
store_job_get(store *st, const char *id, arena *a, Jobs__V1__Job **out)
{
	return st->ops->job_get(st, id, a, out);
}

int
store_job_insert(store *st, Jobs__V1__Job *job, arena *a)
{
	return st->ops->job_insert(st, job, a);
}

int
store_job_create(store *st, Jobs__V1__Job *job, arena *a)
{
	return st->ops->job_create != NULL ? st->ops->job_create(st, job, a)
	                                   : st->ops->job_insert(st, job, a);
}

int
store_job_replace(store *st, const Jobs__V1__Job *was, Jobs__V1__Job *job, arena *a)
{
	return st->ops->job_replace(st, was, job, a);
}

int
store_job_overwrite(store *st, Jobs__V1__Job *job, arena *a)
{
	return st->ops->job_overwrite(st, job, a);
}

int
store_job_delete(store *st, const char *id, int64_t expected_version)
{
	return st->ops->job_delete(st, id, expected_version);
}

int
store_job_list(store *st, const store_list *q, arena *a, store_page *out)
{
	return st->ops->job_list(st, q, a, out);
}

int
store_list_plan(store *st, const store_list *q, char *out, size_t outlen)
{
	return st->ops->list_plan(st, q, out, outlen);
}

int
store_job_search(store *st, const store_search *q, arena *a, store_hits *out)
{
	return st->ops->job_search(st, q, a, out);
}

int
store_stats(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
            Jobs__V1__GetStatsResponse *out)
{
	return st->ops->stats(st, top, day_from, day_to, a, out);
}

int
store_gauges(store *st, struct store_gauges *out)
{
	bool any;

	*out = (struct store_gauges){.jobs = -1, .db_bytes = -1, .wal_bytes = -1, .dedup = -1};
	/* Without figures of its own, an engine still says whether it can be
	 * read: the cheapest question it answers from the database. */
	return st->ops->gauges != NULL ? st->ops->gauges(st, out) : store_has_jobs(st, &any);
}

int
store_backup(store *st, const char *path, const atomic_bool *stop, int64_t *bytes, int64_t *jobs,
             char *why, size_t whylen)
{
	return st->ops->backup(st, path, stop, bytes, jobs, why, whylen);
}

int
store_check(store *st, arena *a, int max, char ***problems, size_t *n, int64_t *jobs,
            int64_t *bytes)
{
	return st->ops->check(st, a, max, problems, n, jobs, bytes);
}

int
store_request_get(store *st, const char *request_id, arena *a, struct store_request *out)
{
	return st->ops->request_get(st, request_id, a, out);
}

void
store_request_prefetch(store *st, const char *const *request_ids, size_t n)
{
	if (st->ops->request_prefetch != NULL && n > 0)
		st->ops->request_prefetch(st, request_ids, n);
}

int
store_request_put(store *st, const char *request_id, const struct store_request *r, int64_t now_us)
{
	return st->ops->request_put(st, request_id, r, now_us);
}

int
store_request_prune(store *st, int64_t before_us, int limit, int *n)
{
	return st->ops->request_prune(st, before_us, limit, n);
}

int
store_has_jobs(store *st, bool *any)
{
	return st->ops->has_jobs(st, any);
}

int
store_meta_get(store *st, const char *key, char *buf, size_t size)
{
	return st->ops->meta_get(st, key, buf, size);
}

int
store_meta_put(store *st, const char *key, const char *value)
{
	return st->ops->meta_put(st, key, value);
}
