/*
 * jobsctl.c: the handlers of jobsctl's commands, one per command, in the
 * order of the table (cmdtable.c), and what they share: errors and exit
 * statuses, job files and field flags, tables of jobs, the import report.
 * main.c parses the line and calls them.
 *
 * Output is for people by default (render.c: escaped, aligned, fitted to
 * the terminal) and one JSON document with --json. Data goes to stdout;
 * errors, notes and hints to stderr. Errors are one line (a usage error adds
 * the usage), and the exit status says what kind (EXIT_* in cli.h).
 */
#include "cli.h"
#include "internal.h"
#include "jobjson.h"
#include "legacy.h"
#include "yamljson.h"

#include "jobs/client.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------- */

static int
exit_for(int code)
{
	switch (code) {
	case JOBS_OK:
		return EXIT_OK;
	case JOBS_INVALID_ARGUMENT:
	case JOBS_OUT_OF_RANGE:
		return EXIT_INVALID;
	case JOBS_NOT_FOUND:
		return EXIT_NOT_FOUND;
	case JOBS_ALREADY_EXISTS:
	case JOBS_ABORTED:
	case JOBS_FAILED_PRECONDITION:
		return EXIT_CONFLICT;
	case JOBS_UNAVAILABLE:
	case JOBS_DEADLINE_EXCEEDED:
		return EXIT_UNREACHABLE;
	case JOBS_UNAUTHENTICATED:
	case JOBS_PERMISSION_DENIED:
		return EXIT_DENIED;
	case JOBS_RESOURCE_EXHAUSTED:
		return EXIT_BUSY;
	default:
		return EXIT_ERROR;
	}
}

/* Prints "jobsctl: MESSAGE" and returns `status`. */
static int __attribute__((format(printf, 2, 3))) fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("jobsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* A usage error found by a handler: one line saying what, then the usage. */
static int __attribute__((format(printf, 2, 3)))
usage_error(const struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jobsctl: %s: ", ctl->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_line(stderr, ctl->cmd);
	return EXIT_INVALID;
}

/* A note for people on stderr: never part of the data. */
static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	fputs("jobsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A failed call: "jobsctl: get: no job with id 'x' (NOT_FOUND)". */
static int
call_failed(const char *what, const jobs_call *call)
{
	return fail(exit_for(call->code), "%s: %s (%s)", what, call->message,
	            jobs_code_name(call->code));
}

/* ---- plumbing ------------------------------------------------------------ */

static int
connect_server(struct ctl *ctl)
{
	jobs_call call = {0};

	if (jobs_client_open(&ctl->client, ctl->server, &ctl->opts, &call) == JOBS_OK)
		return EXIT_OK;
	if (call.code == JOBS_UNAVAILABLE)
		return fail(EXIT_UNREACHABLE,
		            "%s; is jobsd running there? (--server or JOBS_SERVER "
		            "names another)",
		            call.message);
	return fail(exit_for(call.code), "%s", call.message);
}

static jobs_call
new_call(const struct ctl *ctl)
{
	jobs_call call = {.timeout_ms = ctl->opts.timeout_ms};
	return call;
}

/* Prints a JSON value on stdout, sorted keys, as one document. */
static int
print_json(json_t *v)
{
	char *s = v != NULL ? legacy_json_dumps(v, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;

	if (s == NULL)
		return fail(EXIT_ERROR, "out of memory");
	puts(s);
	free(s);
	return EXIT_OK;
}

/* Prints a JSON value and drops the reference. */
static int
print_json_new(json_t *v)
{
	int rv = print_json(v);
	json_decref(v);
	return rv;
}

#define LABEL_WIDTH 20 /* "elevenlabs_voice_id" and a space */

static int
print_job(const struct ctl *ctl, const jobs_job *job)
{
	char err[256], t[JOBS_TIME_BUFSIZE];
	json_t *o;

	if (ctl->json) {
		if ((o = legacy_job_to_json(job, true, err, sizeof err)) == NULL)
			return fail(EXIT_ERROR, "%s", err);
		return print_json_new(o);
	}
	for (size_t i = 0; i < client_n_job_fields; i++) {
		const struct job_field *f = &client_job_fields[i];
		const char *v;

		switch (f->kind) {
		case JF_BOOL:
			v = *JOB_BOOL(job, f) ? "yes" : "no";
			break;
		case JF_TIME:
			v = jobs_time_format(*JOB_TIME(job, f), t);
			break;
		default:
			v = *JOB_STR(job, f);
		}
		render_field(stdout, f->name, LABEL_WIDTH - 1, v, ctl->width);
	}
	return EXIT_OK;
}

/* ---- job files and field flags: create and update ------------------------------ */

/* Standard input, whole; at most this much (a job is at most ~400 KiB). */
#define STDIN_MAX (64u << 20)

/* Reads a job from standard input: JSON when it starts with '{', else
 * YAML. A new reference, or NULL after printing why. */
static json_t *
load_job_stdin(void)
{
	size_t len = 0, cap = 1 << 16, n;
	char *buf = malloc(cap), *p;
	json_t *doc = NULL;
	struct legacy_yaml_error ye;
	json_error_t je;
	FILE *f;

	if (buf == NULL)
		return fail(EXIT_ERROR, "out of memory"), NULL;
	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= STDIN_MAX) {
				free(buf);
				return fail(EXIT_INVALID,
				            "stdin: more than %u MiB; a job is smaller",
				            STDIN_MAX >> 20),
				       NULL;
			}
			if ((p = realloc(buf, cap *= 2)) == NULL) {
				free(buf);
				return fail(EXIT_ERROR, "out of memory"), NULL;
			}
			buf = p;
		}
	}
	if (ferror(stdin)) {
		free(buf);
		return fail(EXIT_INVALID, "stdin: %s", strerror(errno)), NULL;
	}
	for (p = buf; p < buf + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r');)
		p++;
	if (p < buf + len && *p == '{') {
		if ((doc = json_loadb(buf, len, 0, &je)) == NULL)
			fail(EXIT_INVALID, "stdin:%d:%d: %s", je.line, je.column, je.text);
	} else if ((f = fmemopen(buf, len > 0 ? len : 1, "rb")) == NULL) {
		fail(EXIT_ERROR, "out of memory");
	} else {
		if (len == 0)
			fgetc(f); /* fmemopen wants a size; an empty input reads as empty */
		if (legacy_yaml_parse(f, NULL, NULL, NULL, &doc, &ye) != 0)
			fail(EXIT_INVALID, "stdin:%d:%d: %s", ye.line, ye.column, ye.message);
		fclose(f);
	}
	free(buf);
	return doc;
}

/* Reads a job file: JSON if it ends in .json, YAML otherwise (the YAML
 * reader takes JSON too, nearly); "-" is standard input. A new reference,
 * or NULL after printing why. */
static json_t *
load_job_file(const char *path)
{
	const char *dot = strrchr(path, '.');
	struct legacy_yaml_error ye;
	json_error_t je;
	json_t *doc;

	if (strcmp(path, "-") == 0) {
		doc = load_job_stdin();
	} else if (dot != NULL && strcmp(dot, ".json") == 0) {
		if ((doc = json_load_file(path, 0, &je)) == NULL)
			return fail(EXIT_INVALID, "%s:%d:%d: %s", path, je.line, je.column,
			            je.text),
			       NULL;
	} else if (legacy_yaml_load_file(path, &doc, &ye) != 0) {
		if (ye.line > 0)
			fail(EXIT_INVALID, "%s:%d:%d: %s", path, ye.line, ye.column, ye.message);
		else
			fail(EXIT_INVALID, "%s: %s", path, ye.message);
		return NULL;
	}
	if (doc == NULL)
		return NULL;
	if (json_is_object(doc) && json_object_get(doc, "jobs") != NULL) {
		fail(EXIT_INVALID, "%s holds a list of jobs; give one job per file (or import it)",
		     path);
		json_decref(doc);
		return NULL;
	}
	if (!json_is_object(doc)) {
		fail(EXIT_INVALID, "%s: a job must be a mapping of field names to values", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Whether a key is a flag's name, any case, '_' for '-': "voice_id". */
static bool
same_name(const char *key, const char *flag)
{
	for (; *key != '\0' && *flag != '\0'; key++, flag++)
		if ((*key == '_' ? '-' : tolower((unsigned char)*key)) != *flag)
			return false;
	return *key == *flag;
}

/*
 * Warns about keys of a job file that look like a misspelt field: such keys
 * are kept (in extra, as legacy keys are), so a typo would otherwise pass
 * unseen. A key named like a flag (name: for job_name) gets the field's name.
 */
static void
warn_near_misses(const json_t *doc, const char *path)
{
	const char *names[JOB_FIELDS_MAX + 1], *key, *near;
	size_t n = 0;
	json_t *v;

	for (size_t i = 0; i < client_n_job_fields && n < JOB_FIELDS_MAX; i++)
		names[n++] = client_job_fields[i].name;
	names[n] = NULL;
	json_object_foreach((json_t *)doc, key, v)
	{
		if (client_job_field_by_name(key) != NULL)
			continue;
		near = nearest_word(key, names);
		for (int id = 1; near == NULL && id < N_FLAGS; id++)
			if (cli_flags[id].field != NULL && same_name(key, cli_flags[id].name))
				near = cli_flags[id].field;
		if (near != NULL)
			note("warning: %s: '%s' is no field of a job and is kept as a legacy key; "
			     "did you mean %s?",
			     path, key, near);
	}
}

/* Adds a field flag's value to the JSON object `flags_doc`. */
static int
add_field_flag(json_t *doc, const struct flag *fl, const char *value)
{
	const char *key;
	json_error_t je;
	json_t *v, *x;

	if (strcmp(fl->field, "enhanced_settings") != 0 && strcmp(fl->field, "extra") != 0)
		return json_object_set_new(doc, fl->field, json_string(value)) == 0
		           ? EXIT_OK
		           : fail(EXIT_ERROR, "out of memory");
	if ((v = json_loads(value, JSON_DECODE_ANY, &je)) == NULL)
		return fail(EXIT_INVALID, "--%s: not JSON: %s (column %d)", fl->name, je.text,
		            je.column);
	if (strcmp(fl->field, "enhanced_settings") == 0) {
		json_object_set_new(doc, fl->field, v);
		return EXIT_OK;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return fail(EXIT_INVALID, "--extra-json wants a JSON object");
	}
	/* extra's keys live at the top level of a job's JSON. */
	json_object_foreach(v, key, x)
	{
		if (strcmp(key, "extra") != 0 && client_job_field_by_name(key) != NULL) {
			json_decref(v);
			return fail(EXIT_INVALID,
			            "--extra-json: '%s' is a field of its own; use its flag", key);
		}
	}
	json_object_update(doc, v);
	json_decref(v);
	return EXIT_OK;
}

/*
 * Fills `job` (zeroed by the caller; release with job_strings_free) from
 * the field flags and --file. They become one JSON object, the flags
 * overriding the file's keys, read by legacy_job_from_json(): one set of rules for
 * both. Returns EXIT_OK or an exit status after printing why.
 */
static int
parse_job_fields(const struct args *a, enum legacy_json_use use, jobs_job *job)
{
	json_t *fl = json_object(), *doc = NULL;
	const char *file = arg_value(a, F_FILE);
	char err[256];
	int rv = EXIT_OK;

	if (fl == NULL)
		return fail(EXIT_ERROR, "out of memory");
	for (size_t i = 0; i < a->n_flags && rv == EXIT_OK; i++) {
		const struct flag *f = &cli_flags[a->flags[i].id];

		if (f->field != NULL)
			rv = add_field_flag(fl, f, a->flags[i].value);
		else if (a->flags[i].id == F_ENABLED || a->flags[i].id == F_DISABLED)
			json_object_set_new(fl, "enabled",
			                    json_boolean(a->flags[i].id == F_ENABLED));
	}
	if (rv != EXIT_OK)
		goto done;
	if (file != NULL) {
		if ((doc = load_job_file(file)) == NULL) {
			rv = EXIT_INVALID;
			goto done;
		}
		warn_near_misses(doc, strcmp(file, "-") == 0 ? "stdin" : file);
	} else if ((doc = json_object()) == NULL) {
		rv = fail(EXIT_ERROR, "out of memory");
		goto done;
	}
	json_object_update(doc, fl);
	if (legacy_job_from_json(doc, use, job, err, sizeof err) != 0)
		rv = fail(EXIT_INVALID, "%s%s%s", file ? file : "", file ? ": " : "", err);
done:
	json_decref(doc);
	json_decref(fl);
	return rv;
}

/* ---- create, get, update, delete ------------------------------------------------ */

int
cmd_create(struct ctl *ctl, const struct args *a)
{
	jobs_job job = {0}, *out = NULL;
	jobs_call call = new_call(ctl);
	int rv;

	if ((rv = parse_job_fields(a, LEGACY_FOR_CREATE, &job)) != EXIT_OK)
		goto done;
	/* The store's schema says job_name NOT NULL: every job has a name. */
	if (job.job_name == NULL || *job.job_name == '\0') {
		rv = usage_error(ctl, "a job needs a job_name: give --name, or job_name in --file");
		goto done;
	}
	if ((rv = connect_server(ctl)) != EXIT_OK)
		goto done;
	if (jobs_create_job(ctl->client, &call, &job, &out) != JOBS_OK)
		rv = call_failed("create", &call);
	else
		rv = print_job(ctl, out);
done:
	jobs_job_free(out);
	legacy_job_strings_free(&job);
	return rv;
}

int
cmd_get(struct ctl *ctl, const struct args *a)
{
	jobs_call call = new_call(ctl);
	jobs_job *job = NULL;
	int rv;

	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_get_job(ctl->client, &call, a->pos[0], &job) != JOBS_OK)
		return call_failed("get", &call);
	rv = print_job(ctl, job);
	jobs_job_free(job);
	return rv;
}

int
cmd_update(struct ctl *ctl, const struct args *a)
{
	jobs_job job = {0}, *out = NULL;
	jobs_call call = new_call(ctl);
	int rv;

	if ((rv = parse_job_fields(a, LEGACY_FOR_UPDATE, &job)) != EXIT_OK)
		goto done;
	if (job.fields == 0) {
		rv = usage_error(ctl, "nothing to change; give a field flag or --file");
		goto done;
	}
	if ((job.fields & JOBS_FIELD_JOB_NAME) && *job.job_name == '\0') {
		rv = usage_error(ctl, "job_name cannot be empty: every job has a name");
		goto done;
	}
	if ((job.id = strdup(a->pos[0])) == NULL) {
		rv = fail(EXIT_ERROR, "out of memory");
		goto done;
	}
	if ((rv = connect_server(ctl)) != EXIT_OK)
		goto done;
	if (jobs_update_job(ctl->client, &call, &job, arg_value(a, F_IF_ETAG), &out) != JOBS_OK)
		rv = call_failed("update", &call);
	else
		rv = print_job(ctl, out);
done:
	jobs_job_free(out);
	legacy_job_strings_free(&job);
	return rv;
}

int
cmd_delete(struct ctl *ctl, const struct args *a)
{
	jobs_call call = new_call(ctl);
	const char *id = a->pos[0];
	int rv;

	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_delete_job(ctl->client, &call, id, arg_value(a, F_IF_ETAG)) != JOBS_OK)
		return call_failed("delete", &call);
	if (ctl->json)
		return print_json_new(json_pack("{ss}", "deleted", id));
	printf("deleted %s\n", id);
	return EXIT_OK;
}

/* ---- list and search: tables ---------------------------------------------------- */

/* The columns a table of jobs can show. */
static const struct column {
	const char *name;  /* in --columns */
	const char *title; /* the header */
	const char *field; /* the Job field */
	unsigned how;      /* TABLE_* */
} columns[] = {
    {"id", "ID", "id", 0},
    {"enabled", "ENABLED", "enabled", 0},
    {"created", "CREATED (UTC)", "created_at", 0},
    {"updated", "UPDATED (UTC)", "updated_at", 0},
    {"name", "NAME", "job_name", TABLE_SHRINK},
    {"product", "PRODUCT", "product", TABLE_SHRINK},
    {"language", "LANGUAGE", "language", TABLE_SHRINK},
    {"brand", "BRAND", "brand_name", TABLE_SHRINK},
    {"persona", "PERSONA", "persona", TABLE_SHRINK},
    {"setting", "SETTING", "setting", TABLE_SHRINK},
    {"emotion", "EMOTION", "emotion", TABLE_SHRINK},
    {"voice", "VOICE ID", "elevenlabs_voice_id", TABLE_SHRINK},
    {"hook", "HOOK", "hook", TABLE_SHRINK},
};
#define N_COLUMNS (sizeof columns / sizeof columns[0])
#define MAX_SHOWN 32

static const char default_columns[] = "id,enabled,created,name,product";
static const char wide_columns[] = "id,enabled,created,updated,name,product,brand,language,persona";

/* The fields a summary view holds (jobs.proto, JOB_VIEW_SUMMARY). */
static bool
in_summary(const char *field)
{
	return strcmp(field, "id") == 0 || strcmp(field, "job_name") == 0 ||
	       strcmp(field, "product") == 0 || strcmp(field, "enabled") == 0 ||
	       strcmp(field, "created_at") == 0;
}

/* How a listing or a search is shown. */
struct shape {
	enum { SHOW_TABLE, SHOW_IDS, SHOW_JSON } show;
	bool headers;
	size_t n;                            /* columns */
	const struct column *col[MAX_SHOWN]; /* SHOW_TABLE */
	const char *titles[MAX_SHOWN];
	unsigned how[MAX_SHOWN];
	bool needs_full; /* a column outside the summary view */
};

static int
parse_shape(const struct ctl *ctl, const struct args *a, struct shape *s)
{
	const char *out = arg_value(a, F_OUTPUT), *list = arg_value(a, F_COLUMNS);

	*s = (struct shape){.show = SHOW_TABLE, .headers = !arg_given(a, F_NO_HEADERS)};
	if (ctl->json || (out != NULL && strcmp(out, "json") == 0))
		s->show = SHOW_JSON;
	else if (out != NULL && strcmp(out, "id") == 0)
		s->show = SHOW_IDS;
	if (s->show == SHOW_JSON && arg_given(a, F_NO_HEADERS))
		return usage_error(ctl, "--no-headers is for tables, not JSON");
	if (list == NULL)
		list = out != NULL && strcmp(out, "wide") == 0 ? wide_columns : default_columns;
	for (const char *p = list; s->show == SHOW_TABLE && p != NULL;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p), i;

		for (i = 0; i < N_COLUMNS; i++)
			if (strlen(columns[i].name) == len && strncmp(columns[i].name, p, len) == 0)
				break;
		if (i == N_COLUMNS)
			return usage_error(
			    ctl, "--columns: no column '%.*s' (there are: %s)", (int)len, p,
			    "id, name, product, enabled, created, updated, language, "
			    "brand, persona, setting, emotion, voice, hook");
		if (s->n == MAX_SHOWN)
			return usage_error(ctl, "--columns: at most %d", MAX_SHOWN);
		s->col[s->n] = &columns[i];
		s->titles[s->n] = columns[i].title;
		s->how[s->n] = columns[i].how;
		s->needs_full |= !in_summary(columns[i].field);
		s->n++;
		p = end != NULL ? end + 1 : NULL;
	}
	return EXIT_OK;
}

/* Adds the jobs of a page to a table (and their snippets, if any). */
static int
table_add_jobs(struct table *t, const struct shape *s, jobs_job *const *jobs, size_t n,
               char *const *snippets)
{
	char times[2][JOBS_TIME_BUFSIZE];

	for (size_t i = 0; i < n; i++) {
		const char *cells[MAX_SHOWN];
		int nt = 0;

		for (size_t c = 0; c < s->n; c++) {
			const struct job_field *f = client_job_field_by_name(s->col[c]->field);

			if (f->kind == JF_BOOL) {
				cells[c] = *JOB_BOOL(jobs[i], f) ? "yes" : "no";
			} else if (f->kind == JF_TIME) {
				/* To the second, with a space: what a person reads. */
				char *tb = times[nt++ % 2];
				int64_t us = *JOB_TIME(jobs[i], f);

				jobs_time_format(us - ((us % 1000000) + 1000000) % 1000000, tb);
				tb[10] = ' ';
				tb[19] = '\0';
				cells[c] = tb;
			} else {
				cells[c] = *JOB_STR(jobs[i], f);
			}
		}
		if (table_add(t, cells) != 0 ||
		    (snippets != NULL && table_add_note(t, snippets[i]) != 0))
			return fail(EXIT_ERROR, "out of memory");
	}
	return EXIT_OK;
}

/* A time flag's value (checked by args_parse) into *us, if it was given. */
static void
time_flag(const struct args *a, enum flag_id id, int64_t *us)
{
	const char *v = arg_value(a, id);

	if (v == NULL)
		return;
	jobs_time_parse(v, false, us);
	if (*us == 0)
		*us = -1; /* 0 means "no bound" on the wire; -1 us changes nothing here */
}

/* What list and search share: the filters and the view. */
static int
parse_filter(const struct ctl *ctl, const struct args *a, const struct shape *s, jobs_filter *f,
             jobs_view *view)
{
	static const struct {
		enum flag_id id;
		size_t offset;
	} times[] = {
	    {F_SINCE, offsetof(jobs_filter, created_after)},
	    {F_UNTIL, offsetof(jobs_filter, created_before)},
	    {F_UPDATED_SINCE, offsetof(jobs_filter, updated_after)},
	    {F_UPDATED_UNTIL, offsetof(jobs_filter, updated_before)},
	};
	const char *v = arg_value(a, F_VIEW);

	*f = (jobs_filter){0};
	if (arg_given(a, F_ONLY_ENABLED))
		f->enabled = JOBS_ENABLED_ONLY;
	if (arg_given(a, F_ONLY_DISABLED))
		f->enabled = JOBS_DISABLED_ONLY;
	f->product = arg_value(a, F_WHERE_PRODUCT);
	f->persona = arg_value(a, F_WHERE_PERSONA);
	f->language = arg_value(a, F_WHERE_LANGUAGE);
	f->brand_name = arg_value(a, F_WHERE_BRAND);
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
		time_flag(a, times[i].id, (int64_t *)((char *)f + times[i].offset));
	v = arg_value(a, F_VIEW);
	if (v != NULL && strcmp(v, "summary") == 0 && s->show == SHOW_TABLE && s->needs_full)
		return usage_error(ctl, "--view summary has only id, name, product, enabled and "
		                        "created; leave it out to show the other columns");
	/* A table that shows only what a summary holds asks for no more. */
	if (v != NULL)
		*view = strcmp(v, "summary") == 0 ? JOBS_VIEW_SUMMARY : JOBS_VIEW_FULL;
	else
		*view =
		    s->show == SHOW_TABLE && !s->needs_full ? JOBS_VIEW_SUMMARY : JOBS_VIEW_FULL;
	return EXIT_OK;
}

/*
 * A listing, as it is shown: a table grows (its columns are as wide as the
 * widest cell of all pages), ids go out at once, and so does JSON: the
 * document {"jobs": [...], "next_page_token": ...} is written a job at a
 * time, laid out as json_dumps() lays it out, so that list --all --json
 * holds one page in memory, not every job.
 */
struct lister {
	const struct shape *s;
	struct table *table;
	size_t count;
};

static int
lister_init(struct lister *l, const struct shape *s)
{
	*l = (struct lister){.s = s};
	if (s->show == SHOW_TABLE && (l->table = table_new(s->n, s->titles, s->how)) == NULL)
		return fail(EXIT_ERROR, "out of memory");
	return EXIT_OK;
}

/* Prints JSON text (lines) with every line after the first indented by
 * `indent` spaces: a value inside a document that json_dumps() would have
 * indented so. */
static void
print_nested(const char *text, int indent)
{
	for (const char *p = text; *p != '\0'; p++) {
		putchar(*p);
		if (*p == '\n')
			printf("%*s", indent, "");
	}
}

/* Prints `v` (stealing the reference) nested `indent` deep. */
static int
print_json_nested(json_t *v, int indent)
{
	char *text = v != NULL ? legacy_json_dumps(v, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;

	json_decref(v);
	if (text == NULL)
		return fail(EXIT_ERROR, "out of memory");
	print_nested(text, indent);
	free(text);
	return EXIT_OK;
}

static int
lister_add(struct lister *l, jobs_job *const *jobs, size_t n, char *const *snippets)
{
	char err[256];
	int rv = EXIT_OK;

	switch (l->s->show) {
	case SHOW_TABLE:
		rv = table_add_jobs(l->table, l->s, jobs, n, snippets);
		break;
	case SHOW_IDS:
		for (size_t i = 0; i < n; i++) {
			char *id = render_escape(jobs[i]->id, false);
			if (id == NULL)
				return fail(EXIT_ERROR, "out of memory");
			puts(id);
			free(id);
		}
		break;
	case SHOW_JSON:
		for (size_t i = 0; i < n && rv == EXIT_OK; i++) {
			json_t *o = legacy_job_to_json(jobs[i], true, err, sizeof err);

			if (o == NULL)
				return fail(EXIT_ERROR, "%s", err);
			fputs(l->count + i == 0 ? "{\n  \"jobs\": [\n    " : ",\n    ", stdout);
			rv = print_json_nested(o, 4);
		}
		break;
	}
	l->count += n;
	return rv;
}

/* Ends what was shown; `next` is the next page's token ("" at the end),
 * `again` how to ask for it; `snippets` (stolen; may be NULL) goes into the
 * JSON. */
static int
lister_finish(struct lister *l, const struct ctl *ctl, const char *next, const char *again,
              json_t *snippets)
{
	int rv = EXIT_OK;

	if (l->s->show == SHOW_JSON) {
		fputs(l->count == 0 ? "{\n  \"jobs\": [],\n" : "\n  ],\n", stdout);
		fputs("  \"next_page_token\": ", stdout);
		rv = print_json_nested(json_string(next), 2);
		if (rv == EXIT_OK && snippets != NULL) {
			fputs(",\n  \"snippets\": ", stdout);
			rv = print_json_nested(json_incref(snippets), 2);
		}
		fputs("\n}\n", stdout);
	} else {
		if (l->s->show == SHOW_TABLE && l->count > 0)
			table_print(stdout, l->table, l->s->headers, ctl->width);
		if (l->count == 0)
			note("no jobs found");
		if (*next != '\0')
			note("more: jobsctl %s --page-token '%s' (%s)", ctl->cmd->name, next,
			     again);
	}
	json_decref(snippets);
	return rv;
}

static void
lister_free(struct lister *l)
{
	table_free(l->table);
}

int
cmd_list(struct ctl *ctl, const struct args *a)
{
	jobs_list_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_job_page *page = NULL;
	struct shape s;
	struct lister l = {0};
	const char *order = arg_value(a, F_ORDER_BY);
	char *token = NULL;
	int rv;

	if ((rv = parse_shape(ctl, a, &s)) != EXIT_OK ||
	    (rv = parse_filter(ctl, a, &s, &q.filter, &q.view)) != EXIT_OK)
		return rv;
	if (order != NULL) {
		const char *colon = strchr(order, ':');
		size_t len = colon != NULL ? (size_t)(colon - order) : strlen(order);

		if (len == 10 && strncmp(order, "created_at", len) == 0)
			q.order_by = JOBS_ORDER_CREATED_AT;
		else if (len == 10 && strncmp(order, "updated_at", len) == 0)
			q.order_by = JOBS_ORDER_UPDATED_AT;
		else if (len == 8 && strncmp(order, "job_name", len) == 0)
			q.order_by = JOBS_ORDER_JOB_NAME;
		else
			return usage_error(ctl,
			                   "--order-by is created_at, updated_at or job_name, with "
			                   ":asc or :desc, not '%s'",
			                   order);
		if (colon != NULL && strcmp(colon, ":asc") == 0)
			q.direction = JOBS_ASCENDING;
		else if (colon != NULL && strcmp(colon, ":desc") == 0)
			q.direction = JOBS_DESCENDING;
		else if (colon != NULL)
			return usage_error(
			    ctl, "--order-by: the direction is :asc or :desc, not '%s'", colon);
	}
	q.page_size = (int)arg_number(a, F_PAGE_SIZE, 0);
	q.page_token = arg_value(a, F_PAGE_TOKEN);
	if ((rv = connect_server(ctl)) != EXIT_OK || (rv = lister_init(&l, &s)) != EXIT_OK)
		goto done;
	do {
		if (jobs_list_jobs(ctl->client, &call, &q, &page) != JOBS_OK) {
			rv = call_failed("list", &call);
			break;
		}
		rv = lister_add(&l, page->jobs, page->n_jobs, NULL);
		free(token);
		if ((token = strdup(page->next_page_token)) == NULL)
			rv = fail(EXIT_ERROR, "out of memory");
		q.page_token = token;
		jobs_job_page_free(page);
	} while (rv == EXIT_OK && arg_given(a, F_ALL) && *token != '\0');
	if (rv == EXIT_OK)
		rv = lister_finish(&l, ctl, token, "with the same flags", NULL);
done:
	lister_free(&l);
	free(token);
	return rv;
}

/* Whether a search text is plain words, that a substring search could take
 * as it is: no quotes, no prefix star, 3 or more characters. */
static bool
substring_worthy(const char *text)
{
	size_t chars = 0;

	if (strpbrk(text, "\"*") != NULL)
		return false;
	for (const char *p = text; *p != '\0'; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	return chars >= 3;
}

int
cmd_search(struct ctl *ctl, const struct args *a)
{
	jobs_search_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_search_page *page = NULL;
	struct shape s;
	struct lister l = {0};
	json_t *sn = NULL;
	char *text = NULL;
	size_t len = 0;
	int rv;

	if ((rv = parse_shape(ctl, a, &s)) != EXIT_OK ||
	    (rv = parse_filter(ctl, a, &s, &q.filter, &q.view)) != EXIT_OK)
		return rv;
	/* The words after the flags are the text, as one query. */
	for (size_t i = 0; i < a->n_pos; i++)
		len += strlen(a->pos[i]) + 1;
	if ((text = calloc(1, len + 1)) == NULL)
		return fail(EXIT_ERROR, "out of memory");
	for (size_t i = 0; i < a->n_pos; i++) {
		if (i > 0)
			strcat(text, " ");
		strcat(text, a->pos[i]);
	}
	q.text = text;
	q.mode = arg_given(a, F_SUBSTRING) ? JOBS_SEARCH_SUBSTRING : JOBS_SEARCH_WORDS;
	q.page_size = (int)arg_number(a, F_LIMIT, 0);
	q.page_token = arg_value(a, F_PAGE_TOKEN);
	q.snippets = arg_given(a, F_SNIPPETS);
	if ((rv = connect_server(ctl)) != EXIT_OK || (rv = lister_init(&l, &s)) != EXIT_OK)
		goto done;
	if (jobs_search_jobs(ctl->client, &call, &q, &page) != JOBS_OK) {
		rv = call_failed("search", &call);
		goto done;
	}
	/* Words that match nothing may be inside words: for people, try that
	 * and say so; for scripts, say how. */
	if (page->n_jobs == 0 && q.mode == JOBS_SEARCH_WORDS && q.page_token == NULL) {
		if (s.show != SHOW_JSON && substring_worthy(text)) {
			jobs_search_page *sub = NULL;
			jobs_call c2 = new_call(ctl);

			q.mode = JOBS_SEARCH_SUBSTRING;
			if (jobs_search_jobs(ctl->client, &c2, &q, &sub) == JOBS_OK &&
			    sub->n_jobs > 0) {
				note("no job has the words '%s'; these hold it inside a word "
				     "(--substring)",
				     text);
				jobs_search_page_free(page);
				page = sub;
			} else {
				jobs_search_page_free(sub);
				q.mode = JOBS_SEARCH_WORDS;
			}
		} else if (s.show == SHOW_JSON || !substring_worthy(text)) {
			note("no job has these words; --substring finds text inside words (3 or "
			     "more characters), and 'jobsctl help search' says what else works");
		}
	}
	if (s.show == SHOW_JSON && q.snippets) {
		if ((sn = json_array()) == NULL) {
			rv = fail(EXIT_ERROR, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < page->n_jobs; i++)
			json_array_append_new(sn, json_pack("{ss ss}", "id", page->jobs[i]->id,
			                                    "snippet", page->snippets[i]));
	}
	rv = lister_add(&l, page->jobs, page->n_jobs, q.snippets ? page->snippets : NULL);
	if (rv == EXIT_OK)
		rv = lister_finish(&l, ctl, page->next_page_token,
		                   q.mode == JOBS_SEARCH_SUBSTRING && !arg_given(a, F_SUBSTRING)
		                       ? "with --substring and the same text"
		                       : "with the same text and flags",
		                   sn);
	else
		json_decref(sn);
done:
	lister_free(&l);
	jobs_search_page_free(page);
	free(text);
	return rv;
}

/* ---- stats ------------------------------------------------------------------- */

static const struct {
	const char *name; /* --by NAME, and the key in by_NAME's objects */
	const char *title;
	size_t list, count;
} stat_groups[] = {
    {"product", "PRODUCT", offsetof(jobs_stats, by_product), offsetof(jobs_stats, n_by_product)},
    {"language", "LANGUAGE", offsetof(jobs_stats, by_language),
     offsetof(jobs_stats, n_by_language)},
    {"persona", "PERSONA", offsetof(jobs_stats, by_persona), offsetof(jobs_stats, n_by_persona)},
    {"brand", "BRAND", offsetof(jobs_stats, by_brand), offsetof(jobs_stats, n_by_brand)},
};
#define N_STAT_GROUPS (sizeof stat_groups / sizeof stat_groups[0])

#define GROUP_VALUES(st, g) (*(jobs_value_count *const *)((const char *)(st) + stat_groups[g].list))
#define GROUP_COUNT(st, g)  (*(const size_t *)((const char *)(st) + stat_groups[g].count))

static int
stats_json(const jobs_stats *st, unsigned groups)
{
	json_t *o = json_pack(
	    "{sI sI sI sI sI sI sI}", "total_jobs", (json_int_t)st->total_jobs, "enabled_jobs",
	    (json_int_t)st->enabled_jobs, "disabled_jobs", (json_int_t)st->disabled_jobs,
	    "unique_products", (json_int_t)st->unique_products, "unique_personas",
	    (json_int_t)st->unique_personas, "unique_languages", (json_int_t)st->unique_languages,
	    "unique_brands", (json_int_t)st->unique_brands);
	json_t *days = json_array();
	char key[32];

	if (o == NULL || days == NULL) {
		json_decref(o);
		json_decref(days);
		return fail(EXIT_ERROR, "out of memory");
	}
	for (size_t g = 0; g < N_STAT_GROUPS; g++) {
		const jobs_value_count *v = GROUP_VALUES(st, g);
		json_t *arr;

		if (!(groups & (1u << g)))
			continue;
		arr = json_array();
		for (size_t i = 0; i < GROUP_COUNT(st, g); i++)
			json_array_append_new(arr,
			                      json_pack("{ss sI}", stat_groups[g].name, v[i].value,
			                                "count", (json_int_t)v[i].count));
		snprintf(key, sizeof key, "by_%s", stat_groups[g].name);
		json_object_set_new(o, key, arr);
	}
	for (size_t i = 0; i < st->n_created_per_day; i++)
		json_array_append_new(days,
		                      json_pack("{ss sI}", "date", st->created_per_day[i].date,
		                                "count", (json_int_t)st->created_per_day[i].count));
	json_object_set_new(o, "created_per_day", days);
	return print_json_new(o);
}

/* Jobs per day as bars, from the first day with jobs to the last. */
static void
stats_days(const struct ctl *ctl, const jobs_stats *st)
{
	size_t first = 0, last = st->n_created_per_day, n = st->n_created_per_day;
	long long max = 0;
	char num[24];
	int numw = 4, cols;

	while (first < n && st->created_per_day[first].count == 0)
		first++;
	while (last > first && st->created_per_day[last - 1].count == 0)
		last--;
	if (first == last) {
		if (n > 0)
			printf("\nno jobs created from %s to %s\n", st->created_per_day[0].date,
			       st->created_per_day[n - 1].date);
		return;
	}
	for (size_t i = first; i < last; i++) {
		if (st->created_per_day[i].count > max)
			max = st->created_per_day[i].count;
	}
	if ((int)snprintf(num, sizeof num, "%lld", max) > numw)
		numw = (int)strlen(num);
	/* The bars take what the terminal has left, or 50 columns when piped. */
	cols = ctl->width > 0 ? ctl->width - 10 - 2 - numw - 2 : 50;
	if (cols > 100)
		cols = 100;
	if (cols < 10)
		cols = 10;
	printf("\nCREATED ON  %*s\n", numw, "JOBS");
	for (size_t i = first; i < last; i++) {
		long long c = st->created_per_day[i].count;

		printf("%-10s  %*lld", st->created_per_day[i].date, numw, c);
		if (c > 0) {
			fputs("  ", stdout);
			render_bar(stdout, c, max, cols);
		}
		putchar('\n');
	}
}

int
cmd_stats(struct ctl *ctl, const struct args *a)
{
	static const char *const headers[N_STAT_GROUPS][2] = {
	    {"PRODUCT", "JOBS"}, {"LANGUAGE", "JOBS"}, {"PERSONA", "JOBS"}, {"BRAND", "JOBS"}};
	static const unsigned how[2] = {TABLE_SHRINK, TABLE_RIGHT};
	jobs_stats_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_stats *st = NULL;
	unsigned groups = 0; /* bit i: stat_groups[i] */
	int rv = EXIT_OK;

	for (size_t i = 0; i < a->n_flags; i++)
		for (size_t g = 0; g < N_STAT_GROUPS && a->flags[i].id == F_BY; g++)
			if (strcmp(a->flags[i].value, stat_groups[g].name) == 0)
				groups |= 1u << g;
	if (groups == 0)
		groups = (1u << N_STAT_GROUPS) - 1;
	q.top = (int)arg_number(a, F_TOP, 0);
	time_flag(a, F_DAYS_SINCE, &q.created_after);
	time_flag(a, F_DAYS_UNTIL, &q.created_before);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_get_stats(ctl->client, &call, &q, &st) != JOBS_OK)
		return call_failed("stats", &call);
	if (ctl->json) {
		rv = stats_json(st, groups);
		jobs_stats_free(st);
		return rv;
	}
	printf("%lld jobs: %lld enabled, %lld disabled\n", (long long)st->total_jobs,
	       (long long)st->enabled_jobs, (long long)st->disabled_jobs);
	printf("%lld products, %lld personas, %lld languages, %lld brands\n",
	       (long long)st->unique_products, (long long)st->unique_personas,
	       (long long)st->unique_languages, (long long)st->unique_brands);
	for (size_t g = 0; g < N_STAT_GROUPS && rv == EXIT_OK; g++) {
		const jobs_value_count *vc = GROUP_VALUES(st, g);
		struct table *t;
		char count[24];

		if (!(groups & (1u << g)) || GROUP_COUNT(st, g) == 0)
			continue;
		if ((t = table_new(2, headers[g], how)) == NULL) {
			rv = fail(EXIT_ERROR, "out of memory");
			break;
		}
		for (size_t i = 0; i < GROUP_COUNT(st, g); i++) {
			snprintf(count, sizeof count, "%lld", (long long)vc[i].count);
			if (table_add(t, (const char *const[]){
			                     *vc[i].value ? vc[i].value : "(none)", count}) != 0)
				rv = fail(EXIT_ERROR, "out of memory");
		}
		putchar('\n');
		table_print(stdout, t, true, ctl->width);
		table_free(t);
	}
	if (rv == EXIT_OK)
		stats_days(ctl, st);
	jobs_stats_free(st);
	return rv;
}

/* ---- health, backup, check ------------------------------------------------------- */

int
cmd_health(struct ctl *ctl, const struct args *a)
{
	jobs_call call = new_call(ctl);
	jobs_health_info *h;
	int rv;

	(void)a;
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_health(ctl->client, &call, &h) != JOBS_OK)
		return call_failed("health", &call);
	if (ctl->json)
		rv = print_json_new(json_pack("{ss ss si sI si}", "status", h->status, "version",
		                              h->version, "schema_version", h->schema_version,
		                              "uptime_ms", (json_int_t)h->uptime_ms,
		                              "max_message_bytes", (int)h->max_message_bytes));
	else
		printf("%s: jobsd %s, schema %d, up %lld s, requests up to %u bytes\n", h->status,
		       h->version, h->schema_version, (long long)(h->uptime_ms / 1000),
		       h->max_message_bytes);
	jobs_health_info_free(h);
	return rv;
}

int
cmd_backup(struct ctl *ctl, const struct args *a)
{
	jobs_call call = new_call(ctl);
	jobs_backup_info *b;
	int rv;

	/* The name is inside jobsd's backup folder, on its machine: sent as
	 * given, never resolved against our working directory. */
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_backup(ctl->client, &call, a->pos[0], &b) != JOBS_OK)
		return call_failed("backup", &call);
	if (ctl->json)
		rv = print_json_new(json_pack("{ss sI sI sI}", "path", b->path, "bytes",
		                              (json_int_t)b->bytes, "jobs", (json_int_t)b->jobs,
		                              "duration_ms", (json_int_t)b->duration_ms));
	else
		printf("backed up %lld jobs (%lld bytes) to %s in %lld ms\n", (long long)b->jobs,
		       (long long)b->bytes, b->path, (long long)b->duration_ms);
	jobs_backup_info_free(b);
	return rv;
}

int
cmd_check(struct ctl *ctl, const struct args *a)
{
	jobs_call call = new_call(ctl);
	jobs_check_info *ci;
	int rv;

	(void)a;
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_check(ctl->client, &call, &ci) != JOBS_OK)
		return call_failed("check", &call);
	if (ctl->json) {
		json_t *o = json_pack("{sb si sI sI s[]}", "ok", ci->ok, "schema_version",
		                      ci->schema_version, "jobs", (json_int_t)ci->jobs, "bytes",
		                      (json_int_t)ci->bytes, "problems");
		for (size_t i = 0; i < ci->n_problems; i++)
			json_array_append_new(json_object_get(o, "problems"),
			                      json_string(ci->problems[i]));
		print_json_new(o);
	} else {
		printf("%s: %lld jobs, %lld bytes, schema %d\n", ci->ok ? "ok" : "DAMAGED",
		       (long long)ci->jobs, (long long)ci->bytes, ci->schema_version);
		for (size_t i = 0; i < ci->n_problems; i++)
			printf("  %s\n", ci->problems[i]);
	}
	rv = ci->ok ? EXIT_OK : EXIT_ERROR;
	jobs_check_info_free(ci);
	return rv;
}

/* ---- import and export -------------------------------------------------------- */

/* Prints s escaped for a terminal (render_escape), or "?" when out of
 * memory. */
static void
put_escaped(FILE *f, const char *s)
{
	char *e = render_escape(s != NULL ? s : "", false);

	fputs(e != NULL ? e : "?", f);
	free(e);
}

static const char *
str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* " (job 3, line 12)" or " (jobs/a.yaml, line 4)": where a report entry is
 * in the source, jobs counted from 1. */
static void
print_where(FILE *f, const json_t *e)
{
	json_t *file = json_object_get(e, "file"), *index = json_object_get(e, "index"),
	       *line = json_object_get(e, "line");
	const char *sep = " (";

	if (file != NULL) {
		fputs(sep, f);
		put_escaped(f, json_string_value(file));
		sep = ", ";
	} else if (index != NULL) {
		fprintf(f, "%sjob %lld", sep, (long long)json_integer_value(index) + 1);
		sep = ", ";
	}
	if (line != NULL) {
		fprintf(f, "%sline %lld", sep, (long long)json_integer_value(line));
		sep = ", ";
	}
	if (strcmp(sep, ", ") == 0)
		fputc(')', f);
}

/* The import report for people (the engine's JSON report, legacy.h). */
static void
print_import_report(FILE *f, const json_t *r)
{
	json_t *skipped = json_object_get(r, "skipped"),
	       *assigned = json_object_get(r, "assigned_ids"),
	       *unnamed = json_object_get(r, "unnamed"), *ignored = json_object_get(r, "ignored"),
	       *e;
	bool dry = json_is_true(json_object_get(r, "dry_run"));
	long long replaced = json_integer_value(json_object_get(r, "replaced"));
	size_t i;

	fprintf(f, "%s %lld of %lld jobs from ", dry ? "would import" : "imported",
	        (long long)json_integer_value(json_object_get(r, "imported")),
	        (long long)json_integer_value(json_object_get(r, "read")));
	put_escaped(f, str_of(r, "source"));
	fprintf(f, " (%s)", str_of(r, "format"));
	if (replaced > 0)
		fprintf(f, ", %lld of them %s jobs already in the database", replaced,
		        dry ? "replacing" : "replaced");
	fputc('\n', f);
	if (dry) {
		fputs("dry run: nothing was written, no backup made\n", f);
	} else if (str_of(r, "backup") != NULL) {
		fputs("backup: ", f);
		put_escaped(f, str_of(r, "backup"));
		fputc('\n', f);
	} else if (json_is_true(json_object_get(r, "backup_removed"))) {
		fputs("no backup kept: nothing was imported\n", f);
	}
	if (json_array_size(assigned) > 0)
		fprintf(f, "new ids for %zu jobs without one:\n", json_array_size(assigned));
	json_array_foreach(assigned, i, e)
	{
		fputs("  \"", f);
		put_escaped(f, str_of(e, "job_name"));
		fputc('"', f);
		print_where(f, e);
		fprintf(f, ": %s\n", str_of(e, "id"));
	}
	if (json_array_size(unnamed) > 0)
		fprintf(f,
		        "%zu jobs %s without a job_name, as the legacy app kept them (jobsctl "
		        "update ID --name NAME gives one):\n",
		        json_array_size(unnamed), dry ? "would be imported" : "imported");
	json_array_foreach(unnamed, i, e)
	{
		fputs("  '", f);
		put_escaped(f, str_of(e, "id"));
		fputc('\'', f);
		print_where(f, e);
		fputc('\n', f);
	}
	if (json_array_size(skipped) > 0)
		fprintf(f, "skipped %zu:\n", json_array_size(skipped));
	json_array_foreach(skipped, i, e)
	{
		fprintf(f, "  %s:", str_of(e, "reason"));
		if (str_of(e, "id") != NULL) {
			fputs(" '", f);
			put_escaped(f, str_of(e, "id"));
			fputc('\'', f);
		}
		if (str_of(e, "job_name") != NULL) {
			fputs(" \"", f);
			put_escaped(f, str_of(e, "job_name"));
			fputc('"', f);
		}
		print_where(f, e);
		fputs(": ", f);
		put_escaped(f, str_of(e, "message"));
		fputc('\n', f);
	}
	json_array_foreach(ignored, i, e)
	{
		fputs("ignored: ", f);
		put_escaped(f, str_of(e, "path"));
		fputs(": ", f);
		put_escaped(f, str_of(e, "why"));
		fputc('\n', f);
	}
}

int
cmd_import(struct ctl *ctl, const struct args *a)
{
	struct legacy_import_options o = {.progress = true};
	struct legacy_sink sink;
	jobs_call call = new_call(ctl);
	json_t *report = NULL;
	const char *format = arg_value(a, F_FORMAT);
	char err[1024];
	int rv;

	if (format != NULL)
		o.format = (enum legacy_format)legacy_format_parse(format);
	o.dry_run = arg_given(a, F_DRY_RUN);
	o.assign_ids = arg_given(a, F_ASSIGN_IDS);
	o.replace = arg_given(a, F_REPLACE);
	o.batch_jobs = (size_t)arg_number(a, F_BATCH_SIZE, 0);
	o.path = a->pos[0];
	o.backup_time = getenv("JOBSCTL_BACKUP_TIME"); /* tests: a known backup name */
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (legacy_client_sink(ctl->client, &call, &sink) != JOBS_OK)
		return call_failed("import", &call);
	rv = legacy_import(&o, &sink, &report, err, sizeof err);
	if (report != NULL) {
		if (ctl->json)
			print_json(report);
		else
			print_import_report(stdout, report);
	}
	if (rv != JOBS_OK) {
		fail(exit_for(rv), "import: %s (%s)", err, jobs_code_name(rv));
		json_decref(report);
		return exit_for(rv);
	}
	rv = legacy_report_severity(report);
	json_decref(report);
	return rv;
}

/* The format a PATH's name says, or -1. */
static int
format_of_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return -1;
	if (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)
		return LEGACY_YAML;
	if (strcmp(dot, ".json") == 0 || strcmp(dot, ".jsonl") == 0)
		return LEGACY_JSON;
	return -1;
}

int
cmd_export(struct ctl *ctl, const struct args *a)
{
	struct legacy_export_options o = {.format = LEGACY_AUTO, .progress = true};
	const char *format = arg_value(a, F_FORMAT);
	char err[1024];
	size_t count;
	int rv, f;

	o.path = a->pos[0];
	f = format != NULL ? legacy_format_parse(format) : format_of_name(o.path);
	if (f < 0)
		return usage_error(ctl, "which format? give --format yaml, yaml-dir or json");
	o.format = (enum legacy_format)f;
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	rv = legacy_export(ctl->client, &o, &count, err, sizeof err);
	/* `export - | head` once head has gone: it took what it wanted. */
	if (rv == JOBS_CANCELLED && strcmp(o.path, "-") == 0)
		return EXIT_OK;
	if (rv != JOBS_OK)
		return fail(exit_for(rv), "export: %s (%s)", err, jobs_code_name(rv));
	if (strcmp(o.path, "-") == 0) { /* stdout holds the export: the summary goes aside */
		note("exported %zu jobs to standard output (%s)", count,
		     legacy_format_name(o.format));
		return EXIT_OK;
	}
	if (ctl->json)
		return print_json_new(json_pack("{sIssss}", "exported", (json_int_t)count, "path",
		                                o.path, "format", legacy_format_name(o.format)));
	printf("exported %zu jobs to %s (%s)\n", count, o.path, legacy_format_name(o.format));
	return EXIT_OK;
}

/* ---- about jobsctl itself ------------------------------------------------------ */

int
cmd_completion(struct ctl *ctl, const struct args *a)
{
	(void)ctl;
	if (strcmp(a->pos[0], "bash") == 0)
		completion_bash(stdout);
	else
		completion_zsh(stdout);
	return EXIT_OK;
}

int
cmd_commands(struct ctl *ctl, const struct args *a)
{
	(void)ctl;
	(void)a;
	for (size_t i = 0; i < cli_n_commands; i++)
		printf("%s\t%s\n", cli_commands[i].name, cli_commands[i].calls);
	return EXIT_OK;
}

int
cmd_help(struct ctl *ctl, const struct args *a)
{
	const struct command *cmd;

	if (arg_given(a, F_HELP_ALL)) {
		if (a->n_pos > 0)
			return usage_error(ctl, "--all shows every command; leave out '%s'",
			                   a->pos[0]);
		help_all(stdout);
	} else if (a->n_pos == 0) {
		help_global(stdout);
	} else if ((cmd = command_find(a->pos[0])) != NULL) {
		help_command(stdout, cmd);
	} else {
		return usage_error(ctl, "no command '%s'", a->pos[0]);
	}
	return EXIT_OK;
}
