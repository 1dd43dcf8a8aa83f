/*
 * jobsctl.c: the command-line client of jobsd, over libjobsclient.
 *
 *   jobsctl [--server URL] [--json] [--timeout MS] COMMAND [ARGS]
 *
 * Subcommands come from one table, commands[] below: name, usage, the
 * service calls it makes, and its handler. `jobsctl commands` prints the
 * table, and tests/test_contract.c checks that every call of the service is
 * reachable from some subcommand.
 *
 * Output is for people by default and one JSON document with --json. Errors
 * are one line on stderr, and the exit status says what kind (EXIT_* below).
 */
#include "internal.h"
#include "jobjson.h"
#include "legacy.h"
#include "yamljson.h"

#include "jobs/client.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_SERVER "tcp://127.0.0.1:7460"

/* Exit statuses: what a script can tell apart. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,       /* anything else: INTERNAL, DATA_LOSS, ... */
	EXIT_INVALID = 2,     /* bad usage or INVALID_ARGUMENT: fix the input */
	EXIT_NOT_FOUND = 3,   /* NOT_FOUND */
	EXIT_CONFLICT = 4,    /* ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION */
	EXIT_UNREACHABLE = 5, /* could not reach the server: UNAVAILABLE, DEADLINE_EXCEEDED */
	EXIT_DENIED = 6,      /* UNAUTHENTICATED, PERMISSION_DENIED */
	EXIT_BUSY = 7,        /* RESOURCE_EXHAUSTED */
};

struct ctl {
	const char *server;
	bool json;
	jobs_client_options opts; /* timeout, token file, TLS files */
	jobs_client *client;      /* opened by connect_server() */
};

struct command {
	const char *name;
	const char *usage; /* after "jobsctl NAME" */
	const char *help;
	const char *calls; /* service calls it makes, space-separated */
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

static const struct command *find_command(const char *name);

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

/* A failed call: "jobsctl: get: no job with id 'x' (NOT_FOUND)". */
static int
call_failed(const char *what, const jobs_call *call)
{
	return fail(exit_for(call->code), "%s: %s (%s)", what, call->message,
	            jobs_code_name(call->code));
}

static int
usage_of(const char *name)
{
	const struct command *cmd = find_command(name);

	fprintf(stderr, "usage: jobsctl %s %s\nTry 'jobsctl help %s'.\n", name,
	        cmd != NULL ? cmd->usage : "", name);
	return EXIT_INVALID;
}

/* ---- plumbing ------------------------------------------------------------ */

static int
connect_server(struct ctl *ctl)
{
	jobs_call call = {0};

	if (jobs_client_open(&ctl->client, ctl->server, &ctl->opts, &call) != JOBS_OK)
		return fail(exit_for(call.code), "%s", call.message);
	return EXIT_OK;
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
	char *s = legacy_json_dumps(v, JSON_SORT_KEYS | JSON_INDENT(2));

	if (s == NULL)
		return fail(EXIT_ERROR, "out of memory");
	puts(s);
	free(s);
	return EXIT_OK;
}

static int
print_job(const struct ctl *ctl, const jobs_job *job)
{
	char err[256];
	json_t *o;
	int rv;

	if (!ctl->json) {
		legacy_job_print_human(stdout, job);
		return EXIT_OK;
	}
	if ((o = legacy_job_to_json(job, true, err, sizeof err)) == NULL)
		return fail(EXIT_ERROR, "%s", err);
	rv = print_json(o);
	json_decref(o);
	return rv;
}

/* Reads a job file: JSON if it ends in .json, YAML otherwise (JSON is YAML
 * too, nearly: the YAML reader takes both). A new reference, or NULL after
 * printing why. */
static json_t *
load_job_file(const char *path)
{
	const char *dot = strrchr(path, '.');
	struct legacy_yaml_error ye;
	json_error_t je;
	json_t *doc;

	if (dot != NULL && strcmp(dot, ".json") == 0) {
		if ((doc = json_load_file(path, 0, &je)) == NULL)
			fail(EXIT_INVALID, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return doc;
	}
	if (legacy_yaml_load_file(path, &doc, &ye) != 0) {
		if (ye.line > 0)
			fail(EXIT_INVALID, "%s:%d:%d: %s", path, ye.line, ye.column, ye.message);
		else
			fail(EXIT_INVALID, "%s: %s", path, ye.message);
		return NULL;
	}
	if (json_is_object(doc) && json_object_get(doc, "jobs") != NULL) {
		fail(EXIT_INVALID, "%s holds a list of jobs; give one job per file", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- field flags, shared by create and update ------------------------------ */

/* --FLAG VALUE sets the Job field of that name. */
static const struct field_flag {
	const char *flag;
	const char *field;
} field_flags[] = {
    {"id", "id"},
    {"name", "job_name"},
    {"product", "product"},
    {"persona", "persona"},
    {"setting", "setting"},
    {"emotion", "emotion"},
    {"hook", "hook"},
    {"voice-id", "elevenlabs_voice_id"},
    {"language", "language"},
    {"brand", "brand_name"},
    {"settings-json", "enhanced_settings"},
    {"extra-json", "extra"},
};
#define N_FIELD_FLAGS (sizeof field_flags / sizeof field_flags[0])

enum {
	OPT_FIELD = 1000,
	OPT_ENABLED = 2000,
	OPT_DISABLED,
	OPT_FILE,
	OPT_IF_ETAG,
	OPT_PAGE_SIZE,
	OPT_PAGE_TOKEN,
	OPT_FORMAT,
	OPT_DRY_RUN,
	OPT_ASSIGN_IDS,
	OPT_REPLACE,
	OPT_BATCH
};

static const char field_flags_help[] =
    "  --id ID, --name TEXT, --product TEXT, --persona TEXT, --setting TEXT,\n"
    "  --emotion TEXT, --hook TEXT, --voice-id ID, --language TEXT, --brand TEXT\n"
    "  --enabled, --disabled\n"
    "  --settings-json JSON   enhanced_settings, any JSON value\n"
    "  --extra-json JSON      legacy keys without a field of their own, a JSON object\n"
    "  --file JOB.json|JOB.yaml  a job as jobsctl get --json prints it; flags win\n";

/*
 * Parses the field flags of create/update into `job` (zeroed by the caller;
 * release with legacy_job_strings_free). Flags and --file become one JSON object,
 * the flags overriding the file's keys, read by legacy_job_from_json(): one set of
 * rules for both. Positional arguments stay at argv[optind..]. Returns
 * EXIT_OK or an exit status after printing why.
 */
static int
parse_job_flags(int argc, char **argv, enum legacy_json_use use, jobs_job *job,
                const char **if_etag)
{
	struct option opts[N_FIELD_FLAGS + 6];
	json_t *flags = json_object(), *doc = NULL, *v;
	const char *file = NULL;
	json_error_t je;
	char err[256];
	size_t n = 0;
	int c, rv = EXIT_OK;

	if (flags == NULL)
		return fail(EXIT_ERROR, "out of memory");
	for (size_t i = 0; i < N_FIELD_FLAGS; i++)
		if (use == LEGACY_FOR_CREATE || strcmp(field_flags[i].flag, "id") != 0)
			opts[n++] = (struct option){field_flags[i].flag, required_argument, NULL,
			                            OPT_FIELD + (int)i};
	opts[n++] = (struct option){"enabled", no_argument, NULL, OPT_ENABLED};
	opts[n++] = (struct option){"disabled", no_argument, NULL, OPT_DISABLED};
	opts[n++] = (struct option){"file", required_argument, NULL, OPT_FILE};
	if (if_etag != NULL)
		opts[n++] = (struct option){"if-etag", required_argument, NULL, OPT_IF_ETAG};
	opts[n] = (struct option){NULL, 0, NULL, 0};

	optind = 0;
	while (rv == EXIT_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c >= OPT_FIELD && c < OPT_FIELD + (int)N_FIELD_FLAGS) {
			const struct field_flag *ff = &field_flags[c - OPT_FIELD];
			const char *key;

			if (strcmp(ff->field, "enhanced_settings") != 0 &&
			    strcmp(ff->field, "extra") != 0) {
				json_object_set_new(flags, ff->field, json_string(optarg));
			} else if ((v = json_loads(optarg, JSON_DECODE_ANY, &je)) == NULL) {
				rv = fail(EXIT_INVALID, "--%s: not JSON: %s (column %d)", ff->flag,
				          je.text, je.column);
			} else if (strcmp(ff->field, "enhanced_settings") == 0) {
				json_object_set_new(flags, ff->field, v);
			} else if (!json_is_object(v)) {
				json_decref(v);
				rv = fail(EXIT_INVALID, "--extra-json wants a JSON object");
			} else {
				/* extra's keys live at the top level of a job's JSON. */
				json_t *x;
				json_object_foreach(v, key, x)
				{
					if (strcmp(key, "extra") != 0 &&
					    job_field_by_name(key) != NULL) {
						rv = fail(EXIT_INVALID,
						          "--extra-json: '%s' is a field of its "
						          "own; use its flag",
						          key);
						break;
					}
				}
				if (rv == EXIT_OK)
					json_object_update(flags, v);
				json_decref(v);
			}
		} else if (c == OPT_ENABLED || c == OPT_DISABLED) {
			json_object_set_new(flags, "enabled", json_boolean(c == OPT_ENABLED));
		} else if (c == OPT_FILE) {
			file = optarg;
		} else if (c == OPT_IF_ETAG && if_etag != NULL) {
			*if_etag = optarg;
		} else {
			rv = usage_of(argv[0]);
		}
	}
	if (rv != EXIT_OK)
		goto done;
	if (file != NULL) {
		if ((doc = load_job_file(file)) == NULL) {
			rv = EXIT_INVALID;
			goto done;
		}
		if (!json_is_object(doc)) {
			rv = fail(EXIT_INVALID,
			          "%s: a job must be a mapping of field names to values", file);
			goto done;
		}
	} else if ((doc = json_object()) == NULL) {
		rv = fail(EXIT_ERROR, "out of memory");
		goto done;
	}
	json_object_update(doc, flags);
	if (legacy_job_from_json(doc, use, job, err, sizeof err) != 0)
		rv = fail(EXIT_INVALID, "%s%s%s", file ? file : "", file ? ": " : "", err);
done:
	json_decref(doc);
	json_decref(flags);
	return rv;
}

/* ---- the commands ----------------------------------------------------------- */

static int
cmd_create(struct ctl *ctl, int argc, char **argv)
{
	jobs_job job = {0}, *out = NULL;
	jobs_call call = new_call(ctl);
	int rv;

	if ((rv = parse_job_flags(argc, argv, LEGACY_FOR_CREATE, &job, NULL)) != EXIT_OK)
		goto done;
	if (optind < argc) {
		rv = usage_of(argv[0]);
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

static int
cmd_get(struct ctl *ctl, int argc, char **argv)
{
	jobs_call call = new_call(ctl);
	jobs_job *job = NULL;
	int rv;

	if (argc != 2)
		return usage_of(argv[0]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_get_job(ctl->client, &call, argv[1], &job) != JOBS_OK)
		return call_failed("get", &call);
	rv = print_job(ctl, job);
	jobs_job_free(job);
	return rv;
}

static int
cmd_update(struct ctl *ctl, int argc, char **argv)
{
	jobs_job job = {0}, *out = NULL;
	jobs_call call = new_call(ctl);
	const char *if_etag = NULL;
	int rv;

	if ((rv = parse_job_flags(argc, argv, LEGACY_FOR_UPDATE, &job, &if_etag)) != EXIT_OK)
		goto done;
	if (optind != argc - 1) {
		rv = usage_of(argv[0]);
		goto done;
	}
	if (job.fields == 0) {
		rv = fail(EXIT_INVALID, "update: nothing to change; give a field flag or --file");
		goto done;
	}
	job.id = strdup(argv[optind]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		goto done;
	if (jobs_update_job(ctl->client, &call, &job, if_etag, &out) != JOBS_OK)
		rv = call_failed("update", &call);
	else
		rv = print_job(ctl, out);
done:
	jobs_job_free(out);
	legacy_job_strings_free(&job);
	return rv;
}

static int
cmd_delete(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"if-etag", required_argument, NULL, OPT_IF_ETAG},
	    {NULL, 0, NULL, 0},
	};
	jobs_call call = new_call(ctl);
	const char *if_etag = NULL;
	int c, rv;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_IF_ETAG)
			return usage_of(argv[0]);
		if_etag = optarg;
	}
	if (optind != argc - 1)
		return usage_of(argv[0]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_delete_job(ctl->client, &call, argv[optind], if_etag) != JOBS_OK)
		return call_failed("delete", &call);
	if (ctl->json) {
		json_t *o = json_pack("{ss}", "deleted", argv[optind]);
		rv = print_json(o);
		json_decref(o);
		return rv;
	}
	printf("deleted %s\n", argv[optind]);
	return EXIT_OK;
}

/* Writes at most `width` characters of s (whole UTF-8 sequences), padded. */
static void
print_cell(const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;

	while (*p != '\0' && *p != '\n' && cols < width) {
		int len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;

		if (cols == width - 1 && p[len] != '\0' && p[len] != '\n') {
			fputs("…", stdout);
			cols++;
			break;
		}
		fwrite(p, 1, (size_t)len, stdout);
		p += len;
		cols++;
	}
	printf("%*s", width - cols + 2, "");
}

/* The table of a listing or search: one line a job; with snippets, the
 * extract under each. */
static void
print_table_header(void)
{
	printf("%-36s  %-7s  %-20s  %-30s  %s\n", "ID", "ENABLED", "CREATED (UTC)", "NAME",
	       "PRODUCT");
}

static void
print_table_rows(jobs_job *const *jobs, size_t n, char *const *snippets)
{
	char t[JOBS_TIME_BUFSIZE];

	for (size_t i = 0; i < n; i++) {
		const jobs_job *j = jobs[i];

		jobs_time_format(j->created_at / 1000000 * 1000000, t);
		t[10] = ' ';
		t[19] = '\0';
		print_cell(j->id, 36);
		print_cell(j->enabled ? "yes" : "no", 7);
		print_cell(t, 20);
		print_cell(j->job_name, 30);
		print_cell(j->product, 30);
		putchar('\n');
		if (snippets != NULL && *snippets[i] != '\0') {
			fputs("    ", stdout);
			for (const char *p = snippets[i]; *p != '\0'; p++)
				putchar(*p == '\n' ? ' ' : *p);
			putchar('\n');
		}
	}
}

/* Appends the JSON of jobs[0..n) to `array`. */
static int
jobs_to_json_array(json_t *array, jobs_job *const *jobs, size_t n)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		json_t *j = legacy_job_to_json(jobs[i], true, err, sizeof err);
		if (j == NULL)
			return fail(EXIT_ERROR, "%s", err);
		json_array_append_new(array, j);
	}
	return EXIT_OK;
}

/* ---- list and search: filters and order ---------------------------------- */

enum {
	OPT_PRODUCT = 3000,
	OPT_PERSONA,
	OPT_LANGUAGE,
	OPT_BRAND,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_UPDATED_SINCE,
	OPT_UPDATED_UNTIL,
	OPT_ORDER_BY,
	OPT_VIEW,
	OPT_ALL,
	OPT_LIMIT,
	OPT_SNIPPETS,
	OPT_SUBSTRING,
	OPT_BY,
	OPT_TOP,
};

static const char filter_flags_help[] =
    "  --enabled, --disabled     only enabled, or only disabled, jobs\n"
    "  --product TEXT, --persona TEXT, --language TEXT, --brand TEXT\n"
    "                            only jobs with exactly this value\n"
    "  --since TIME, --until TIME  created at or after TIME, before TIME\n"
    "  --updated-since TIME, --updated-until TIME  likewise for updated_at\n"
    "                            TIME: RFC 3339 (2026-11-24T10:00:00Z) or a date\n"
    "                            (2026-11-24, midnight UTC)\n"
    "  --view summary|full       summary: id, job_name, product, enabled,\n"
    "                            created_at only (smaller, faster); default full\n";

static const char search_help[] =
    "\n"
    "search language (what TEXT may be):\n"
    "  solar lantern        jobs with both words, in any field, in any order\n"
    "  \"solar lantern\"      the phrase: the words together, in this order\n"
    "  lant*                words starting with lant (2 or more letters before *)\n"
    "  everything else is text: ( ) ^ : - + AND OR NOT NEAR, SQL and an unbalanced\n"
    "  \" are searched for as words, never as operators. Case and accents do\n"
    "  not matter (Ete finds Été). A word with punctuation inside is its parts\n"
    "  as a phrase: e-bike finds \"e bike\". Fields: job_name, product,\n"
    "  brand_name, hook, persona; a match in the name ranks above one in the hook.\n"
    "\n"
    "  --substring          TEXT as a substring of 3 or more characters of the\n"
    "                       name, product, brand or persona (not the hook) instead\n"
    "                       (ntern finds Solar Lantern); any case, but accents\n"
    "                       must match; most recently added first\n"
    "  --snippets           show the best matching extract of each job, matches\n"
    "                       in [ ]\n"
    "  --limit N            jobs per page (default 20, at most 100)\n"
    "  --page-token TOKEN   the next page, from the previous one\n"
    "\n"
    "Results are ranked by relevance in blocks of the 1000 most recently added\n"
    "matches; a search with fewer matches than that is ranked exactly.\n";

struct find_opts {
	jobs_filter filter;
	jobs_view view;
	/* list */
	jobs_order order;
	jobs_direction direction;
	int page_size;
	const char *page_token;
	bool all;
	/* search */
	bool snippets, substring;
};

static int
parse_time_flag(const char *flag, const char *text, int64_t *us)
{
	if (jobs_time_parse(text, false, us) != JOBS_OK)
		return fail(EXIT_INVALID,
		            "--%s wants a time such as 2026-11-24T10:00:00Z or 2026-11-24", flag);
	if (*us == 0)
		*us = -1; /* 0 means "no bound" on the wire; -1 us changes nothing here */
	return EXIT_OK;
}

static int
parse_count(const char *flag, const char *text, int max, int *out)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || n < 1 || n > max)
		return fail(EXIT_INVALID, "--%s wants a number from 1 to %d", flag, max);
	*out = (int)n;
	return EXIT_OK;
}

/*
 * Parses the flags of list (search == false) or search into `o`. Positional
 * arguments stay at argv[optind..]. Returns EXIT_OK or an exit status after
 * printing why.
 */
static int
parse_find_flags(int argc, char **argv, bool search, struct find_opts *o)
{
	static const struct option filter_opts[] = {
	    {"enabled", no_argument, NULL, OPT_ENABLED},
	    {"disabled", no_argument, NULL, OPT_DISABLED},
	    {"product", required_argument, NULL, OPT_PRODUCT},
	    {"persona", required_argument, NULL, OPT_PERSONA},
	    {"language", required_argument, NULL, OPT_LANGUAGE},
	    {"brand", required_argument, NULL, OPT_BRAND},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"updated-since", required_argument, NULL, OPT_UPDATED_SINCE},
	    {"updated-until", required_argument, NULL, OPT_UPDATED_UNTIL},
	    {"view", required_argument, NULL, OPT_VIEW},
	    {"page-token", required_argument, NULL, OPT_PAGE_TOKEN},
	};
	static const struct option list_opts[] = {
	    {"order-by", required_argument, NULL, OPT_ORDER_BY},
	    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
	    {"all", no_argument, NULL, OPT_ALL},
	};
	static const struct option search_opts[] = {
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"snippets", no_argument, NULL, OPT_SNIPPETS},
	    {"substring", no_argument, NULL, OPT_SUBSTRING},
	};
	struct option opts[sizeof filter_opts / sizeof filter_opts[0] + 4];
	size_t n = sizeof filter_opts / sizeof filter_opts[0];

	/* The filters, then the command's own flags (3 each), then the end. */
	memcpy(opts, filter_opts, sizeof filter_opts);
	memcpy(opts + n, search ? search_opts : list_opts, sizeof list_opts);
	opts[n + 3] = (struct option){NULL, 0, NULL, 0};
	_Static_assert(sizeof list_opts == sizeof search_opts, "3 flags each");
	jobs_filter *f = &o->filter;
	int c, rv = EXIT_OK;

	optind = 0;
	while (rv == EXIT_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ENABLED:
			f->enabled = JOBS_ENABLED_ONLY;
			break;
		case OPT_DISABLED:
			f->enabled = JOBS_DISABLED_ONLY;
			break;
		case OPT_PRODUCT:
			f->product = optarg;
			break;
		case OPT_PERSONA:
			f->persona = optarg;
			break;
		case OPT_LANGUAGE:
			f->language = optarg;
			break;
		case OPT_BRAND:
			f->brand_name = optarg;
			break;
		case OPT_SINCE:
			rv = parse_time_flag("since", optarg, &f->created_after);
			break;
		case OPT_UNTIL:
			rv = parse_time_flag("until", optarg, &f->created_before);
			break;
		case OPT_UPDATED_SINCE:
			rv = parse_time_flag("updated-since", optarg, &f->updated_after);
			break;
		case OPT_UPDATED_UNTIL:
			rv = parse_time_flag("updated-until", optarg, &f->updated_before);
			break;
		case OPT_VIEW:
			if (strcmp(optarg, "summary") == 0)
				o->view = JOBS_VIEW_SUMMARY;
			else if (strcmp(optarg, "full") == 0)
				o->view = JOBS_VIEW_FULL;
			else
				rv = fail(EXIT_INVALID, "--view is summary or full, not '%s'",
				          optarg);
			break;
		case OPT_PAGE_TOKEN:
			o->page_token = optarg;
			break;
		case OPT_ORDER_BY: {
			char *colon = strchr(optarg, ':');
			size_t len = colon != NULL ? (size_t)(colon - optarg) : strlen(optarg);

			if (len == 10 && strncmp(optarg, "created_at", len) == 0)
				o->order = JOBS_ORDER_CREATED_AT;
			else if (len == 10 && strncmp(optarg, "updated_at", len) == 0)
				o->order = JOBS_ORDER_UPDATED_AT;
			else if (len == 8 && strncmp(optarg, "job_name", len) == 0)
				o->order = JOBS_ORDER_JOB_NAME;
			else
				rv = fail(EXIT_INVALID,
				          "--order-by is created_at, updated_at or job_name, with "
				          ":asc or :desc, not '%s'",
				          optarg);
			if (rv == EXIT_OK && colon != NULL) {
				if (strcmp(colon, ":asc") == 0)
					o->direction = JOBS_ASCENDING;
				else if (strcmp(colon, ":desc") == 0)
					o->direction = JOBS_DESCENDING;
				else
					rv = fail(EXIT_INVALID,
					          "--order-by: the direction is :asc or :desc, not "
					          "'%s'",
					          colon);
			}
			break;
		}
		case OPT_PAGE_SIZE:
			rv = parse_count("page-size", optarg, INT_MAX, &o->page_size);
			break;
		case OPT_LIMIT:
			rv = parse_count("limit", optarg, INT_MAX, &o->page_size);
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_SNIPPETS:
			o->snippets = true;
			break;
		case OPT_SUBSTRING:
			o->substring = true;
			break;
		default:
			rv = usage_of(argv[0]);
		}
	}
	if (rv == EXIT_OK && o->all && o->page_token != NULL)
		rv = fail(EXIT_INVALID, "--all starts at the first page; leave out --page-token");
	return rv;
}

static int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	struct find_opts o = {0};
	jobs_list_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_job_page *page = NULL;
	json_t *doc = NULL, *jobs = NULL;
	char *token = NULL;
	size_t pages = 0;
	int rv;

	if ((rv = parse_find_flags(argc, argv, false, &o)) != EXIT_OK)
		return rv;
	if (optind != argc)
		return usage_of(argv[0]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	q.page_size = o.page_size;
	q.page_token = o.page_token;
	q.filter = o.filter;
	q.order_by = o.order;
	q.direction = o.direction;
	q.view = o.view;
	if (ctl->json && ((doc = json_object()) == NULL || (jobs = json_array()) == NULL ||
	                  json_object_set_new(doc, "jobs", jobs) != 0))
		return fail(EXIT_ERROR, "out of memory");
	do {
		if (jobs_list_jobs(ctl->client, &call, &q, &page) != JOBS_OK) {
			rv = call_failed("list", &call);
			break;
		}
		if (ctl->json)
			rv = jobs_to_json_array(jobs, page->jobs, page->n_jobs);
		else {
			if (pages == 0)
				print_table_header();
			print_table_rows(page->jobs, page->n_jobs, NULL);
		}
		pages++;
		free(token);
		token = strdup(page->next_page_token);
		q.page_token = token;
		jobs_job_page_free(page);
		page = NULL;
	} while (rv == EXIT_OK && o.all && token != NULL && *token != '\0');
	if (rv == EXIT_OK && token == NULL)
		rv = fail(EXIT_ERROR, "out of memory");
	if (rv == EXIT_OK && ctl->json) {
		json_object_set_new(doc, "next_page_token", json_string(token));
		rv = print_json(doc);
	} else if (rv == EXIT_OK && *token != '\0') {
		printf("\nmore: jobsctl list --page-token '%s' (same flags)\n", token);
	}
	json_decref(doc);
	free(token);
	return rv;
}

static int
cmd_search(struct ctl *ctl, int argc, char **argv)
{
	struct find_opts o = {0};
	jobs_search_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_search_page *page = NULL;
	char *text = NULL;
	size_t len = 0;
	int rv;

	if ((rv = parse_find_flags(argc, argv, true, &o)) != EXIT_OK)
		return rv;
	if (optind >= argc)
		return usage_of(argv[0]);
	/* The words after the flags are the text, as one query. */
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((text = calloc(1, len + 1)) == NULL)
		return fail(EXIT_ERROR, "out of memory");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	if ((rv = connect_server(ctl)) != EXIT_OK)
		goto done;
	q.text = text;
	q.mode = o.substring ? JOBS_SEARCH_SUBSTRING : JOBS_SEARCH_WORDS;
	q.filter = o.filter;
	q.page_size = o.page_size;
	q.page_token = o.page_token;
	q.snippets = o.snippets;
	q.view = o.view;
	if (jobs_search_jobs(ctl->client, &call, &q, &page) != JOBS_OK) {
		rv = call_failed("search", &call);
		goto done;
	}
	if (ctl->json) {
		json_t *doc = json_object(), *jobs = json_array();

		json_object_set_new(doc, "jobs", jobs);
		json_object_set_new(doc, "next_page_token", json_string(page->next_page_token));
		if ((rv = jobs_to_json_array(jobs, page->jobs, page->n_jobs)) == EXIT_OK &&
		    o.snippets) {
			json_t *sn = json_array();
			json_object_set_new(doc, "snippets", sn);
			for (size_t i = 0; i < page->n_jobs; i++)
				json_array_append_new(sn,
				                      json_pack("{ss ss}", "id", page->jobs[i]->id,
				                                "snippet", page->snippets[i]));
		}
		if (rv == EXIT_OK)
			rv = print_json(doc);
		json_decref(doc);
	} else {
		print_table_header();
		print_table_rows(page->jobs, page->n_jobs, o.snippets ? page->snippets : NULL);
		if (*page->next_page_token != '\0')
			printf("\nmore: jobsctl search --page-token '%s' (same text and flags)\n",
			       page->next_page_token);
	}
done:
	jobs_search_page_free(page);
	free(text);
	return rv;
}

/* ---- stats ------------------------------------------------------------------- */

static const struct {
	const char *name; /* --by NAME, and the key in by_NAME's objects */
	size_t list, count;
} stat_groups[] = {
    {"product", offsetof(jobs_stats, by_product), offsetof(jobs_stats, n_by_product)},
    {"language", offsetof(jobs_stats, by_language), offsetof(jobs_stats, n_by_language)},
    {"persona", offsetof(jobs_stats, by_persona), offsetof(jobs_stats, n_by_persona)},
    {"brand", offsetof(jobs_stats, by_brand), offsetof(jobs_stats, n_by_brand)},
};
#define N_STAT_GROUPS (sizeof stat_groups / sizeof stat_groups[0])

static int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"by", required_argument, NULL, OPT_BY},
	    {"top", required_argument, NULL, OPT_TOP},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {NULL, 0, NULL, 0},
	};
	jobs_stats_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_stats *st = NULL;
	unsigned groups = 0; /* bit i: stat_groups[i]; 0: all */
	int c, rv = EXIT_OK;

	optind = 0;
	while (rv == EXIT_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_BY) {
			size_t i;
			for (i = 0; i < N_STAT_GROUPS; i++)
				if (strcmp(optarg, stat_groups[i].name) == 0)
					break;
			if (i == N_STAT_GROUPS)
				rv = fail(EXIT_INVALID,
				          "--by is product, language, persona or brand, not '%s'",
				          optarg);
			else
				groups |= 1u << i;
		} else if (c == OPT_TOP) {
			rv = parse_count("top", optarg, 1000, &q.top);
		} else if (c == OPT_SINCE) {
			rv = parse_time_flag("since", optarg, &q.created_after);
		} else if (c == OPT_UNTIL) {
			rv = parse_time_flag("until", optarg, &q.created_before);
		} else {
			rv = usage_of(argv[0]);
		}
	}
	if (rv != EXIT_OK)
		return rv;
	if (optind != argc)
		return usage_of(argv[0]);
	if (groups == 0)
		groups = (1u << N_STAT_GROUPS) - 1;
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_get_stats(ctl->client, &call, &q, &st) != JOBS_OK)
		return call_failed("stats", &call);
	if (ctl->json) {
		json_t *o =
		    json_pack("{sI sI sI sI sI sI sI}", "total_jobs", (json_int_t)st->total_jobs,
		              "enabled_jobs", (json_int_t)st->enabled_jobs, "disabled_jobs",
		              (json_int_t)st->disabled_jobs, "unique_products",
		              (json_int_t)st->unique_products, "unique_personas",
		              (json_int_t)st->unique_personas, "unique_languages",
		              (json_int_t)st->unique_languages, "unique_brands",
		              (json_int_t)st->unique_brands);
		json_t *days = json_array();
		char key[32];

		for (size_t g = 0; g < N_STAT_GROUPS; g++) {
			const jobs_value_count *v =
			    *(jobs_value_count *const *)((const char *)st + stat_groups[g].list);
			size_t n = *(const size_t *)((const char *)st + stat_groups[g].count);
			json_t *a;

			if (!(groups & (1u << g)))
				continue;
			a = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(a, json_pack("{ss sI}", stat_groups[g].name,
				                                   v[i].value, "count",
				                                   (json_int_t)v[i].count));
			snprintf(key, sizeof key, "by_%s", stat_groups[g].name);
			json_object_set_new(o, key, a);
		}
		for (size_t i = 0; i < st->n_created_per_day; i++)
			json_array_append_new(
			    days, json_pack("{ss sI}", "date", st->created_per_day[i].date, "count",
			                    (json_int_t)st->created_per_day[i].count));
		json_object_set_new(o, "created_per_day", days);
		rv = print_json(o);
		json_decref(o);
	} else {
		printf("%lld jobs: %lld enabled, %lld disabled\n", (long long)st->total_jobs,
		       (long long)st->enabled_jobs, (long long)st->disabled_jobs);
		printf("%lld products, %lld personas, %lld languages, %lld brands\n",
		       (long long)st->unique_products, (long long)st->unique_personas,
		       (long long)st->unique_languages, (long long)st->unique_brands);
		for (size_t g = 0; g < N_STAT_GROUPS; g++) {
			const jobs_value_count *v =
			    *(jobs_value_count *const *)((const char *)st + stat_groups[g].list);
			size_t n = *(const size_t *)((const char *)st + stat_groups[g].count);
			char title[16];

			if (!(groups & (1u << g)))
				continue;
			snprintf(title, sizeof title, "%s", stat_groups[g].name);
			for (char *p = title; *p != '\0'; p++)
				*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
			printf("\n%-50s  %s\n", title, "JOBS");
			for (size_t i = 0; i < n; i++) {
				print_cell(*v[i].value != '\0' ? v[i].value : "(none)", 50);
				printf("%lld\n", (long long)v[i].count);
			}
		}
		printf("\n%-12s  %s\n", "CREATED ON", "JOBS");
		for (size_t i = 0; i < st->n_created_per_day; i++)
			printf("%-12s  %lld\n", st->created_per_day[i].date,
			       (long long)st->created_per_day[i].count);
	}
	jobs_stats_free(st);
	return rv;
}

static int
cmd_health(struct ctl *ctl, int argc, char **argv)
{
	jobs_call call = new_call(ctl);
	jobs_health_info *h;
	int rv;

	if (argc != 1)
		return usage_of(argv[0]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_health(ctl->client, &call, &h) != JOBS_OK)
		return call_failed("health", &call);
	if (ctl->json) {
		json_t *o = json_pack("{ss ss si sI si}", "status", h->status, "version",
		                      h->version, "schema_version", h->schema_version, "uptime_ms",
		                      (json_int_t)h->uptime_ms, "max_message_bytes",
		                      (int)h->max_message_bytes);
		rv = print_json(o);
		json_decref(o);
	} else {
		printf("%s: jobsd %s, schema %d, up %lld s, requests up to %u bytes\n", h->status,
		       h->version, h->schema_version, (long long)(h->uptime_ms / 1000),
		       h->max_message_bytes);
	}
	jobs_health_info_free(h);
	return rv;
}

static int
cmd_backup(struct ctl *ctl, int argc, char **argv)
{
	jobs_call call = new_call(ctl);
	jobs_backup_info *b;
	int rv;

	if (argc != 2)
		return usage_of(argv[0]);
	/* The name is inside jobsd's backup folder, on its machine: sent as
	 * given, never resolved against our working directory. */
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_backup(ctl->client, &call, argv[1], &b) != JOBS_OK)
		return call_failed("backup", &call);
	if (ctl->json) {
		json_t *o = json_pack("{ss sI sI sI}", "path", b->path, "bytes",
		                      (json_int_t)b->bytes, "jobs", (json_int_t)b->jobs,
		                      "duration_ms", (json_int_t)b->duration_ms);
		rv = print_json(o);
		json_decref(o);
	} else {
		printf("backed up %lld jobs (%lld bytes) to %s in %lld ms\n", (long long)b->jobs,
		       (long long)b->bytes, b->path, (long long)b->duration_ms);
	}
	jobs_backup_info_free(b);
	return rv;
}

static int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"assign-ids", no_argument, NULL, OPT_ASSIGN_IDS},
	    {"replace", no_argument, NULL, OPT_REPLACE},
	    {"batch-size", required_argument, NULL, OPT_BATCH},
	    {NULL, 0, NULL, 0},
	};
	struct legacy_import_options o = {.progress = true};
	struct legacy_sink sink;
	jobs_call call = new_call(ctl);
	json_t *report = NULL;
	char err[1024], *end;
	int c, rv, f;
	long n;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if ((f = legacy_format_parse(optarg)) < 0)
				return fail(EXIT_INVALID, "--format wants yaml, yaml-dir or json");
			o.format = (enum legacy_format)f;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_ASSIGN_IDS:
			o.assign_ids = true;
			break;
		case OPT_REPLACE:
			o.replace = true;
			break;
		case OPT_BATCH:
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > JOBS_BATCH_MAX_JOBS)
				return fail(EXIT_INVALID, "--batch-size wants 1 to %d",
				            JOBS_BATCH_MAX_JOBS);
			o.batch_jobs = (size_t)n;
			break;
		default:
			return usage_of(argv[0]);
		}
	}
	if (optind != argc - 1)
		return usage_of(argv[0]);
	o.path = argv[optind];
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
			legacy_report_print(stdout, report);
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

static int
cmd_check(struct ctl *ctl, int argc, char **argv)
{
	jobs_call call = new_call(ctl);
	jobs_check_info *ci;
	int rv;

	if (argc != 1)
		return usage_of(argv[0]);
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
		print_json(o);
		json_decref(o);
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

static int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {NULL, 0, NULL, 0},
	};
	struct legacy_export_options o = {.format = LEGACY_AUTO, .progress = true};
	char err[1024];
	size_t count;
	int c, rv, f;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_FORMAT)
			return usage_of(argv[0]);
		if ((f = legacy_format_parse(optarg)) < 0)
			return fail(EXIT_INVALID, "--format wants yaml, yaml-dir or json");
		o.format = (enum legacy_format)f;
	}
	if (optind != argc - 1 || o.format == LEGACY_AUTO)
		return usage_of(argv[0]);
	o.path = argv[optind];
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if ((rv = legacy_export(ctl->client, &o, &count, err, sizeof err)) != JOBS_OK)
		return fail(exit_for(rv), "export: %s (%s)", err, jobs_code_name(rv));
	if (strcmp(o.path, "-") == 0) { /* stdout holds the export: the summary goes aside */
		fprintf(stderr, "exported %zu jobs to standard output (%s)\n", count,
		        legacy_format_name(o.format));
		return EXIT_OK;
	}
	if (ctl->json) {
		json_t *out = json_pack("{sIssss}", "exported", (json_int_t)count, "path", o.path,
		                        "format", legacy_format_name(o.format));
		rv = print_json(out);
		json_decref(out);
		return rv;
	}
	printf("exported %zu jobs to %s (%s)\n", count, o.path, legacy_format_name(o.format));
	return EXIT_OK;
}

static int cmd_help(struct ctl *ctl, int argc, char **argv);
static int cmd_commands(struct ctl *ctl, int argc, char **argv);

static const struct command commands[] = {
    {"create", "[FIELD FLAGS] [--file JOB.json|JOB.yaml]", "create a job", "CreateJob", cmd_create},
    {"get", "ID", "show one job", "GetJob", cmd_get},
    {"update", "ID [FIELD FLAGS] [--file JOB] [--if-etag ETAG]",
     "change the fields given, and only those", "UpdateJob", cmd_update},
    {"delete", "ID [--if-etag ETAG]", "delete a job", "DeleteJob", cmd_delete},
    {"list", "[FILTERS] [--order-by FIELD[:asc|desc]] [--page-size N] [--page-token TOKEN | --all]",
     "list jobs, newest first, or as --order-by says (created_at, updated_at, job_name)",
     "ListJobs", cmd_list},
    {"search", "[FILTERS] [--substring] [--snippets] [--limit N] [--page-token TOKEN] TEXT...",
     "find jobs by the words in them, best match first", "SearchJobs", cmd_search},
    {"stats", "[--by product|language|persona|brand] [--top N] [--since DAY] [--until DAY]",
     "count jobs: totals, the most common values, jobs created per day", "GetStats", cmd_stats},
    {"health", "", "is jobsd up?", "Health", cmd_health},
    {"backup", "NAME", "copy the database to NAME in jobsd's backup folder while it serves",
     "Backup", cmd_backup},
    {"check", "", "run the database's integrity check; exit 1 if it finds damage", "Check",
     cmd_check},
    {"import",
     "[--format yaml|yaml-dir|json] [--dry-run] [--assign-ids] [--replace] "
     "[--batch-size N] PATH",
     "import a legacy store (campaigns.yaml, or a folder of jobs/ID.yaml)",
     "Health BatchCreateJobs", cmd_import},
    {"export", "--format yaml|yaml-dir|json PATH", "write every job in a legacy layout", "ListJobs",
     cmd_export},
    {"commands", "", "the commands and the calls each makes, for scripts", "", cmd_commands},
    {"help", "[COMMAND]", "this text, or a command's", "", cmd_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static const char global_help[] =
    "usage: jobsctl [--server URL] [--json] [--timeout MS] COMMAND [ARGS]\n"
    "\n"
    "  -s, --server URL   jobsd to talk to, or several: URL1,URL2,...; default\n"
    "                     $JOBS_SERVER, else " DEFAULT_SERVER "\n"
    "  -j, --json         print JSON (the legacy field names) instead of text\n"
    "  -t, --timeout MS   give up after MS milliseconds, connecting included;\n"
    "                     default 5000 (within it a call is tried up to 3 times\n"
    "                     when a server is unavailable or overloaded)\n"
    "      --token-file PATH  bearer token for servers that need one; default\n"
    "                     $JOBS_TOKEN_FILE\n"
    "      --tls-ca PEM   for tls+tcp:// servers: the CA of the server's certificate\n"
    "      --tls-cert PEM, --tls-key PEM  a client certificate, if the server wants one\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n"
    "\n"
    "exit status: 0 ok, 2 invalid input, 3 not found, 4 conflict (exists, etag\n"
    "mismatch), 5 cannot reach the server, 6 not allowed, 7 server busy, 1 other\n"
    "\n"
    "commands:\n";

static const char import_help[] =
    "\n"
    "PATH is a single file (a mapping whose jobs: is a list: campaigns.yaml), a\n"
    "folder holding jobs/ID.yaml files and jobs_manifest.yaml, a folder of job\n"
    "files, or a JSON Lines file (.json, .jsonl); --format yaml|yaml-dir|json says\n"
    "which. The source is never modified: it is first copied beside itself\n"
    "(PATH.backup-YYYYMMDDTHHMMSSZ) and the copy is what is read.\n"
    "\n"
    "  --dry-run     check everything and report; write nothing, make no backup\n"
    "  --assign-ids  give jobs without an id a new one (else they are skipped)\n"
    "  --replace     overwrite jobs whose id is already in the database\n"
    "  --batch-size N  jobs per BatchCreateJobs call, 1 to 1000; default 1000\n"
    "\n"
    "The report names every job skipped and why: no_id, duplicate_id (the first\n"
    "in the source wins), exists (already in the database), invalid (jobsd\n"
    "refused it), broken_file, missing_file (in the manifest only), not_a_job.\n"
    "A single file that is not valid YAML writes nothing.\n"
    "Exit status: 0 all imported; 4 some skipped as duplicates or existing;\n"
    "2 some skipped as unreadable, without id or refused, or the file is broken.\n";

static const char export_help[] =
    "\n"
    "  yaml      PATH is one file, {jobs: [...]}, as PyYAML's safe_dump writes it\n"
    "  yaml-dir  PATH is a folder: jobs/ID.yaml and jobs_manifest.yaml\n"
    "  json      PATH is JSON Lines, one job per line\n"
    "Jobs come newest first (created_at, then id), keys sorted: the same jobs\n"
    "always give the same bytes. PATH is replaced atomically; a symlink is\n"
    "written through; - is standard output (yaml, json).\n";

static int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd;

	(void)ctl;
	if (argc > 1 && (cmd = find_command(argv[1])) != NULL) {
		printf("usage: jobsctl %s %s\n\n%s.\n", cmd->name, cmd->usage, cmd->help);
		if (strcmp(cmd->name, "create") == 0 || strcmp(cmd->name, "update") == 0)
			printf("\nfield flags:\n%s", field_flags_help);
		if (strcmp(cmd->name, "import") == 0)
			fputs(import_help, stdout);
		if (strcmp(cmd->name, "export") == 0)
			fputs(export_help, stdout);
		if (strcmp(cmd->name, "list") == 0 || strcmp(cmd->name, "search") == 0)
			printf("\nfilters (combinable):\n%s", filter_flags_help);
		if (strcmp(cmd->name, "list") == 0)
			printf(
			    "\n  --order-by FIELD[:asc|desc]  created_at (default, newest first),\n"
			    "                            updated_at or job_name (default A to Z);\n"
			    "                            ties broken by id\n"
			    "  --all                     follow every page\n"
			    "\nWith --json: {\"jobs\": [...], \"next_page_token\": \"...\"}.\n");
		if (strcmp(cmd->name, "search") == 0)
			fputs(search_help, stdout);
		if (strcmp(cmd->name, "stats") == 0)
			printf(
			    "\n  --by GROUP     show only this group's top values (repeatable)\n"
			    "  --top N        values per group (default 10, at most 1000)\n"
			    "  --since DAY, --until DAY  the days counted per day (default:\n"
			    "                 the last 30); --until is exclusive\n"
			    "\nWith --json: total_jobs, enabled_jobs, disabled_jobs,\n"
			    "unique_products, unique_personas, unique_languages, unique_brands,\n"
			    "by_product: [{\"product\": P, \"count\": N}, ...] (likewise\n"
			    "by_language, by_persona, by_brand) and created_per_day:\n"
			    "[{\"date\": \"2026-11-24\", \"count\": N}, ...].\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return fail(EXIT_INVALID, "no command '%s'", argv[1]);
	fputs(global_help, stdout);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %-9s %s\n", commands[i].name, commands[i].help);
	return EXIT_OK;
}

static int
cmd_commands(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("%s\t%s\n", commands[i].name, commands[i].calls);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum { OPT_TOKEN = 3000, OPT_TLS_CA, OPT_TLS_CERT, OPT_TLS_KEY };
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"token-file", required_argument, NULL, OPT_TOKEN},
	    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
	    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl ctl = {.server = getenv("JOBS_SERVER")};
	const char *token_file = getenv("JOBS_TOKEN_FILE");
	const struct command *cmd;
	char *end;
	int c, rv;

	if (ctl.server == NULL || *ctl.server == '\0')
		ctl.server = DEFAULT_SERVER;
	while ((c = getopt_long(argc, argv, "+s:jt:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctl.server = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 't':
			errno = 0;
			ctl.opts.timeout_ms = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || ctl.opts.timeout_ms < 1)
				return fail(EXIT_INVALID, "--timeout wants milliseconds, not '%s'",
				            optarg);
			break;
		case OPT_TOKEN:
			token_file = optarg;
			break;
		case OPT_TLS_CA:
			ctl.opts.tls_ca_file = optarg;
			break;
		case OPT_TLS_CERT:
			ctl.opts.tls_cert_file = optarg;
			break;
		case OPT_TLS_KEY:
			ctl.opts.tls_key_file = optarg;
			break;
		case 'h':
			return cmd_help(&ctl, 1, argv);
		case 'V':
			printf("jobsctl %s\n", JOBS_VERSION);
			return EXIT_OK;
		default:
			fputs("Try 'jobsctl help'.\n", stderr);
			return EXIT_INVALID;
		}
	}
	if (token_file != NULL && *token_file != '\0')
		ctl.opts.auth_token_file = token_file;
	if (optind >= argc) {
		cmd_help(&ctl, 1, argv);
		return EXIT_INVALID;
	}
	if ((cmd = find_command(argv[optind])) == NULL)
		return fail(EXIT_INVALID, "no command '%s'; try 'jobsctl help'", argv[optind]);
	rv = cmd->run(&ctl, argc - optind, argv + optind);
	jobs_client_close(ctl.client);
	return rv;
}
