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
	char *s = json_dumps_exact(v, JSON_SORT_KEYS | JSON_INDENT(2));

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
		job_print_human(stdout, job);
		return EXIT_OK;
	}
	if ((o = job_to_json(job, true, err, sizeof err)) == NULL)
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
	struct yaml_error ye;
	json_error_t je;
	json_t *doc;

	if (dot != NULL && strcmp(dot, ".json") == 0) {
		if ((doc = json_load_file(path, 0, &je)) == NULL)
			fail(EXIT_INVALID, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return doc;
	}
	if (yaml_load_file(path, &doc, &ye) != 0) {
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
 * release with job_strings_free). Flags and --file become one JSON object,
 * the flags overriding the file's keys, read by job_from_json(): one set of
 * rules for both. Positional arguments stay at argv[optind..]. Returns
 * EXIT_OK or an exit status after printing why.
 */
static int
parse_job_flags(int argc, char **argv, enum job_json_use use, jobs_job *job, const char **if_etag)
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
		if (use == JOB_FOR_CREATE || strcmp(field_flags[i].flag, "id") != 0)
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
	if (job_from_json(doc, use, job, err, sizeof err) != 0)
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

	if ((rv = parse_job_flags(argc, argv, JOB_FOR_CREATE, &job, NULL)) != EXIT_OK)
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
	job_strings_free(&job);
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

	if ((rv = parse_job_flags(argc, argv, JOB_FOR_UPDATE, &job, &if_etag)) != EXIT_OK)
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
	job_strings_free(&job);
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

static void
print_table(const jobs_job_page *page)
{
	char t[JOBS_TIME_BUFSIZE];

	printf("%-36s  %-7s  %-20s  %-30s  %s\n", "ID", "ENABLED", "CREATED (UTC)", "NAME",
	       "PRODUCT");
	for (size_t i = 0; i < page->n_jobs; i++) {
		const jobs_job *j = page->jobs[i];

		jobs_time_format(j->created_at / 1000000 * 1000000, t);
		t[10] = ' ';
		t[19] = '\0';
		print_cell(j->id, 36);
		print_cell(j->enabled ? "yes" : "no", 7);
		print_cell(t, 20);
		print_cell(j->job_name, 30);
		print_cell(j->product, 30);
		putchar('\n');
	}
}

static int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
	    {"page-token", required_argument, NULL, OPT_PAGE_TOKEN},
	    {NULL, 0, NULL, 0},
	};
	jobs_list_query q = {0};
	jobs_call call = new_call(ctl);
	jobs_job_page *page = NULL;
	char *end, err[256];
	int c, rv;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_PAGE_SIZE) {
			long n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 || n > INT_MAX)
				return fail(EXIT_INVALID, "--page-size wants a positive number");
			q.page_size = (int)n;
		} else if (c == OPT_PAGE_TOKEN) {
			q.page_token = optarg;
		} else {
			return usage_of(argv[0]);
		}
	}
	if (optind != argc)
		return usage_of(argv[0]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_list_jobs(ctl->client, &call, &q, &page) != JOBS_OK)
		return call_failed("list", &call);
	if (ctl->json) {
		json_t *o = json_object(), *jobs = json_array();

		json_object_set_new(o, "jobs", jobs);
		json_object_set_new(o, "next_page_token", json_string(page->next_page_token));
		for (size_t i = 0; i < page->n_jobs; i++) {
			json_t *j = job_to_json(page->jobs[i], true, err, sizeof err);
			if (j == NULL) {
				json_decref(o);
				jobs_job_page_free(page);
				return fail(EXIT_ERROR, "%s", err);
			}
			json_array_append_new(jobs, j);
		}
		rv = print_json(o);
		json_decref(o);
	} else {
		print_table(page);
		if (*page->next_page_token != '\0')
			printf("\nmore: jobsctl list --page-token '%s'\n", page->next_page_token);
	}
	jobs_job_page_free(page);
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
	char path[PATH_MAX], cwd[PATH_MAX];
	int rv;

	if (argc != 2)
		return usage_of(argv[0]);
	/* The path is on jobsd's machine; a relative one means "here", which is
	 * right when both run on one machine, as they usually do. */
	if (argv[1][0] == '/')
		snprintf(path, sizeof path, "%s", argv[1]);
	else if (getcwd(cwd, sizeof cwd) == NULL ||
	         snprintf(path, sizeof path, "%s/%s", cwd, argv[1]) >= (int)sizeof path)
		return fail(EXIT_INVALID, "backup: cannot make %s absolute", argv[1]);
	if ((rv = connect_server(ctl)) != EXIT_OK)
		return rv;
	if (jobs_backup(ctl->client, &call, path, &b) != JOBS_OK)
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
    {"list", "[--page-size N] [--page-token TOKEN]", "list jobs, newest first", "ListJobs",
     cmd_list},
    {"health", "", "is jobsd up?", "Health", cmd_health},
    {"backup", "PATH", "copy the database to PATH (on jobsd's machine) while it serves", "Backup",
     cmd_backup},
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
    "  -s, --server URL   jobsd to talk to; default $JOBS_SERVER, else " DEFAULT_SERVER "\n"
    "  -j, --json         print JSON (the legacy field names) instead of text\n"
    "  -t, --timeout MS   give up on an attempt after MS milliseconds; default 5000\n"
    "                     (a call is tried up to 3 times when the server is\n"
    "                     unavailable, overloaded or slow)\n"
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
    "always give the same bytes. PATH is replaced atomically.\n";

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
