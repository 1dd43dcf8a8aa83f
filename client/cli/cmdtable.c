/*
 * cmdtable.c: jobsctl's commands and flags, and their help: THE TABLE.
 *
 * Everything a person can type is here once. args.c parses the command line
 * against it and makes help, completions and (through help2man) the man
 * page from it; jobsctl.c holds the handlers. tests/test_cli.c checks that
 * every flag the help shows is one the parser takes, and the reverse.
 */
#include "cli.h"

#include <string.h>

/* The most ListJobs and SearchJobs return per page (jobs.proto: larger
 * page_size values are taken as these). jobsctl refuses more rather than
 * let the server cut it down unsaid. */
#define LIST_MAX_PAGE   1000
#define SEARCH_MAX_PAGE 100

/* Groups of flags that exclude each other. */
enum { G_NONE, G_ENABLED, G_ONLY, G_PAGING, G_SHAPE };

#define SWITCH(...) .kind = ARG_NONE, __VA_ARGS__
#define TEXT(mv)    .kind = ARG_TEXT, .metavar = mv

const struct flag cli_flags[N_FLAGS] = {
    /* ---- global ---- */
    [F_SERVER] = {"server", 's', TEXT("URL"),
                  .help = "the jobsd to talk to: tcp://HOST:PORT, tls+tcp://HOST:PORT or "
                          "ipc:///PATH, or several, URL1,URL2,...; default $JOBS_SERVER, "
                          "else " DEFAULT_SERVER},
    [F_JSON] = {"json", 'j', SWITCH(.group = G_SHAPE),
                .help = "print JSON (the legacy field names) instead of text"},
    [F_TIMEOUT] = {"timeout", 't', .kind = ARG_NUMBER, .metavar = "MS", .min = 1, .max = 86400000,
                   .help = "give up after MS milliseconds, connecting included; default "
                           "5000 (within it a call is tried up to 3 times when a server is "
                           "unavailable or overloaded)"},
    [F_TOKEN_FILE] = {"token-file", 0, .kind = ARG_FILE, .metavar = "PATH",
                      .help = "the bearer token, for a jobsd started with --token-file; "
                              "default $JOBS_TOKEN_FILE"},
    [F_TLS_CA] = {"tls-ca", 0, .kind = ARG_FILE, .metavar = "PEM",
                  .help = "for tls+tcp:// servers: the CA that signed the server's "
                          "certificate"},
    [F_TLS_CERT] = {"tls-cert", 0, .kind = ARG_FILE, .metavar = "PEM",
                    .help = "a client certificate, for a server that asks for one"},
    [F_TLS_KEY] = {"tls-key", 0, .kind = ARG_FILE, .metavar = "PEM",
                   .help = "the client certificate's private key"},
    [F_HELP] = {"help", 'h', SWITCH(0), .help = "this help; after a command, its help"},
    [F_VERSION] = {"version", 'V', SWITCH(0), .help = "the version"},

    /* ---- job fields ---- */
    [F_ID] = {"id", 0, TEXT("ID"), .field = "id",
              .help = "the job's id (letters, digits, '-', '_', '.', ':', at most 128); "
                      "default a new UUID"},
    [F_NAME] = {"name", 0, TEXT("TEXT"), .field = "job_name",
                .help = "job_name; a job must have one"},
    [F_PRODUCT] = {"product", 0, TEXT("TEXT"), .field = "product", .help = "product"},
    [F_PERSONA] = {"persona", 0, TEXT("TEXT"), .field = "persona", .help = "persona"},
    [F_SETTING] = {"setting", 0, TEXT("TEXT"), .field = "setting", .help = "setting"},
    [F_EMOTION] = {"emotion", 0, TEXT("TEXT"), .field = "emotion", .help = "emotion"},
    [F_HOOK] = {"hook", 0, TEXT("TEXT"), .field = "hook", .help = "hook"},
    [F_VOICE_ID] = {"voice-id", 0, TEXT("ID"), .field = "elevenlabs_voice_id",
                    .help = "elevenlabs_voice_id"},
    [F_LANGUAGE] = {"language", 0, TEXT("TEXT"), .field = "language",
                    .help = "language; default English"},
    [F_BRAND] = {"brand", 0, TEXT("TEXT"), .field = "brand_name", .help = "brand_name"},
    [F_SETTINGS_JSON] = {"settings-json", 0, TEXT("JSON"), .field = "enhanced_settings",
                         .help = "enhanced_settings, any JSON value"},
    [F_EXTRA_JSON] = {"extra-json", 0, TEXT("JSON"), .field = "extra",
                      .help = "legacy keys without a field of their own, as a JSON object"},
    [F_ENABLED] = {"enabled", 0, SWITCH(.group = G_ENABLED),
                   .help = "the job runs (the default for a new job)"},
    [F_DISABLED] = {"disabled", 0, SWITCH(.group = G_ENABLED), .help = "the job does not run"},
    [F_FILE] = {"file", 'f', .kind = ARG_FILE, .metavar = "FILE",
                .help = "the job as YAML or JSON (as jobsctl --json get prints it), '-' for "
                        "standard input; flags given beside it win"},
    [F_IF_ETAG] = {"if-etag", 0, TEXT("ETAG"),
                   .help = "only if the job's etag is still ETAG (unchanged since it was "
                           "read); else exit 4 and nothing changes"},

    /* ---- filters ---- */
    [F_ONLY_ENABLED] = {"enabled", 0, SWITCH(.group = G_ONLY), .help = "only enabled jobs"},
    [F_ONLY_DISABLED] = {"disabled", 0, SWITCH(.group = G_ONLY), .help = "only disabled jobs"},
    [F_WHERE_PRODUCT] = {"product", 0, TEXT("TEXT"),
                         .help = "only jobs whose product is exactly TEXT"},
    [F_WHERE_PERSONA] = {"persona", 0, TEXT("TEXT"), .help = "likewise for persona"},
    [F_WHERE_LANGUAGE] = {"language", 0, TEXT("TEXT"), .help = "likewise for language"},
    [F_WHERE_BRAND] = {"brand", 0, TEXT("TEXT"), .help = "likewise for brand_name"},
    [F_SINCE] = {"since", 0, .kind = ARG_TIME, .metavar = "TIME",
                 .help = "created at or after TIME: RFC 3339 (2026-11-24T10:00:00Z) or a "
                         "date (2026-11-24, midnight UTC)"},
    [F_UNTIL] = {"until", 0, .kind = ARG_TIME, .metavar = "TIME", .help = "created before TIME"},
    [F_UPDATED_SINCE] = {"updated-since", 0, .kind = ARG_TIME, .metavar = "TIME",
                         .help = "updated at or after TIME"},
    [F_UPDATED_UNTIL] = {"updated-until", 0, .kind = ARG_TIME, .metavar = "TIME",
                         .help = "updated before TIME"},
    [F_VIEW] = {"view", 0, .kind = ARG_CHOICE, .metavar = "VIEW", .choices = "full|summary",
                .help = "summary: only id, job_name, product, enabled and created_at "
                        "(smaller, faster); default full"},

    /* ---- list ---- */
    [F_ORDER_BY] = {"order-by", 0, .kind = ARG_TEXT, .metavar = "FIELD[:asc|desc]",
                    .choices = "created_at|created_at:asc|created_at:desc|updated_at|"
                               "updated_at:asc|updated_at:desc|job_name|job_name:asc|"
                               "job_name:desc",
                    .help = "created_at (the default, newest first), updated_at (newest "
                            "first) or job_name (A to Z); ties are broken by id"},
    [F_PAGE_SIZE] = {"page-size", 0, .kind = ARG_NUMBER, .metavar = "N", .min = 1,
                     .max = LIST_MAX_PAGE, .help = "jobs per page, 1 to 1000; default 50"},
    [F_PAGE_TOKEN] = {"page-token", 0, TEXT("TOKEN"), .group = G_PAGING,
                      .help = "the next page: the token the previous page ended with"},
    [F_ALL] = {"all", 'A', SWITCH(.group = G_PAGING), .help = "every page, not just the first"},

    /* ---- search ---- */
    [F_SUBSTRING] = {"substring", 0, SWITCH(0),
                     .help = "find TEXT inside the name, product, brand or persona (3 or "
                             "more characters; Chinese, Japanese or Korean: 1 or more), "
                             "instead of words"},
    [F_SNIPPETS] = {"snippets", 0, SWITCH(0),
                    .help = "show each job's best matching extract, matches in [ ]"},
    [F_LIMIT] = {"limit", 0, .kind = ARG_NUMBER, .metavar = "N", .min = 1, .max = SEARCH_MAX_PAGE,
                 .help = "jobs per page, 1 to 100; default 20"},

    /* ---- tables ---- */
    [F_OUTPUT] = {"output", 'o', .kind = ARG_CHOICE, .metavar = "FORMAT",
                  .choices = "table|wide|id|json", .group = G_SHAPE,
                  .help = "table (the default), wide (more columns), id (ids only, one a "
                          "line) or json (as --json)"},
    [F_COLUMNS] = {"columns", 0, TEXT("LIST"), .group = G_SHAPE,
                   .help = "the columns to show, comma-separated, from id, name, product, "
                           "enabled, created, updated, language, brand, persona, setting, "
                           "emotion, voice, hook"},
    [F_NO_HEADERS] = {"no-headers", 0, SWITCH(0), .help = "leave out the header line"},

    /* ---- stats ---- */
    [F_BY] = {"by", 0, .kind = ARG_CHOICE, .metavar = "GROUP",
              .choices = "product|language|persona|brand", .repeatable = true,
              .help = "show only this group's most common values (repeatable); default all "
                      "four"},
    [F_TOP] = {"top", 0, .kind = ARG_NUMBER, .metavar = "N", .min = 1, .max = 1000,
               .help = "values per group, 1 to 1000; default 10"},
    [F_DAYS_SINCE] = {"since", 0, .kind = ARG_TIME, .metavar = "DAY",
                      .help = "the first day counted per day; default 29 days before today"},
    [F_DAYS_UNTIL] = {"until", 0, .kind = ARG_TIME, .metavar = "DAY",
                      .help = "the day after the last one counted; default tomorrow"},

    /* ---- import and export ---- */
    [F_FORMAT] = {"format", 0, .kind = ARG_CHOICE, .metavar = "FORMAT",
                  .choices = "yaml|yaml-dir|json",
                  .help = "yaml (one file), yaml-dir (a folder of jobs/ID.yaml) or json (JSON "
                          "Lines)"},
    [F_DRY_RUN] = {"dry-run", 'n', SWITCH(0),
                   .help = "check everything and report; write nothing, make no backup"},
    [F_ASSIGN_IDS] = {"assign-ids", 0, SWITCH(0),
                      .help = "give jobs without an id a new one (else they are skipped)"},
    [F_REPLACE] = {"replace", 0, SWITCH(0),
                   .help = "overwrite jobs whose id is already in the database"},
    [F_BATCH_SIZE] = {"batch-size", 0, .kind = ARG_NUMBER, .metavar = "N", .min = 1,
                      .max = JOBS_BATCH_MAX_JOBS,
                      .help = "jobs per BatchCreateJobs call, 1 to 1000; default 1000"},

    /* ---- help ---- */
    [F_HELP_ALL] = {"all", 'a', SWITCH(0), .help = "every command's help, one after another"},
};

const enum flag_id cli_global_flags[] = {F_SERVER,   F_JSON,    F_TIMEOUT, F_TOKEN_FILE, F_TLS_CA,
                                         F_TLS_CERT, F_TLS_KEY, F_HELP,    F_VERSION,    F_NONE};

/* ---- flag sections ---------------------------------------------------------- */

#define FIELD_FLAGS                                                                                \
	F_NAME, F_PRODUCT, F_PERSONA, F_SETTING, F_EMOTION, F_HOOK, F_VOICE_ID, F_LANGUAGE,        \
	    F_BRAND, F_SETTINGS_JSON, F_EXTRA_JSON, F_ENABLED, F_DISABLED, F_FILE

static const enum flag_id create_fields[] = {F_ID, FIELD_FLAGS, F_NONE};
static const enum flag_id update_fields[] = {FIELD_FLAGS, F_NONE};
static const enum flag_id etag_flags[] = {F_IF_ETAG, F_NONE};
static const enum flag_id filter_flags[] = {F_ONLY_ENABLED,  F_ONLY_DISABLED,  F_WHERE_PRODUCT,
                                            F_WHERE_PERSONA, F_WHERE_LANGUAGE, F_WHERE_BRAND,
                                            F_SINCE,         F_UNTIL,          F_UPDATED_SINCE,
                                            F_UPDATED_UNTIL, F_VIEW,           F_NONE};
static const enum flag_id list_flags[] = {F_ORDER_BY, F_PAGE_SIZE, F_PAGE_TOKEN, F_ALL, F_NONE};
static const enum flag_id search_flags[] = {F_SUBSTRING, F_SNIPPETS, F_LIMIT, F_PAGE_TOKEN, F_NONE};
static const enum flag_id table_flags[] = {F_OUTPUT, F_COLUMNS, F_NO_HEADERS, F_NONE};
static const enum flag_id stats_flags[] = {F_BY, F_TOP, F_DAYS_SINCE, F_DAYS_UNTIL, F_NONE};
static const enum flag_id import_flags[] = {F_FORMAT,  F_DRY_RUN,    F_ASSIGN_IDS,
                                            F_REPLACE, F_BATCH_SIZE, F_NONE};
static const enum flag_id export_flags[] = {F_FORMAT, F_NONE};
static const enum flag_id help_flags[] = {F_HELP_ALL, F_NONE};

static const struct flag_section create_sections[] = {
    {"Fields", create_fields},
    {NULL, NULL},
};
static const struct flag_section update_sections[] = {
    {"Fields", update_fields},
    {"Conditions", etag_flags},
    {NULL, NULL},
};
static const struct flag_section delete_sections[] = {
    {"Conditions", etag_flags},
    {NULL, NULL},
};
static const struct flag_section list_sections[] = {
    {"Filters (combinable)", filter_flags},
    {"Order and pages", list_flags},
    {"Output", table_flags},
    {NULL, NULL},
};
static const struct flag_section search_sections[] = {
    {"Search", search_flags},
    {"Filters (combinable)", filter_flags},
    {"Output", table_flags},
    {NULL, NULL},
};
static const struct flag_section stats_sections[] = {
    {"Counting", stats_flags},
    {NULL, NULL},
};
static const struct flag_section import_sections[] = {
    {"Import", import_flags},
    {NULL, NULL},
};
static const struct flag_section export_sections[] = {
    {"Export", export_flags},
    {NULL, NULL},
};
static const struct flag_section help_sections[] = {
    {"Help", help_flags},
    {NULL, NULL},
};

/* ---- longer texts --------------------------------------------------------------- */

static const char list_more[] =
    "With --json: {\"jobs\": [...], \"next_page_token\": \"...\"}. On a terminal, long\n"
    "values are cut to fit its width (…); piped, they are printed whole. A hint\n"
    "for the next page, and \"no jobs found\", go to standard error.\n";

static const char search_more[] =
    "The search language (what TEXT may be):\n"
    "  solar lantern       jobs with both words, in any field, in any order\n"
    "  \"solar lantern\"     the phrase: the words together, in this order\n"
    "  lant*               words starting with lant (at least 2 letters before *)\n"
    "Everything else is text: ( ) ^ : - + AND OR NOT NEAR, SQL and an unbalanced\n"
    "\" are searched for as words, never as operators. Case and accents do not\n"
    "matter (Ete finds Été). A word with punctuation inside is its parts as a\n"
    "phrase: e-bike finds \"e bike\". Fields: job_name, product, brand_name, hook,\n"
    "persona; a match in the name ranks above one in the hook. Results are\n"
    "ranked by relevance in blocks of the 1000 most recently added matches; a\n"
    "search with fewer matches than that is ranked exactly.\n"
    "\n"
    "With --substring, TEXT is found inside words (ntern finds Solar Lantern) in\n"
    "the name, product, brand and persona (not the hook): at least 3\n"
    "characters, any case, but accents must match; most recently added first.\n"
    "When words match nothing, jobsctl tries TEXT as a substring and says so on\n"
    "standard error.\n"
    "\n"
    "Chinese, Japanese and Korean text, written without spaces between words,\n"
    "is found anywhere inside it: 夏季 and 促销 both find 夏季促销, ランタン\n"
    "finds ソーラーランタン, 서울 finds 서울에서, and one character is a word\n"
    "(茶 finds 绿茶). 夏季 促销 (a space or an ideographic space between) finds\n"
    "jobs with both; \"夏季 促销\" finds them side by side, not joined (夏季、促销).\n"
    "Where Latin meets such text a word ends: LED灯笼 is LED and 灯笼. A * after\n"
    "such text adds nothing, and --substring takes one or more of these\n"
    "characters (季促 finds 夏季促销). SQLite and PostgreSQL answer alike.\n"
    "Thai, Lao, Khmer and Burmese, also written without spaces, are still one\n"
    "word per run: find inside them with --substring.\n"
    "\n"
    "With --json: {\"jobs\": [...], \"next_page_token\": \"...\"}, and with the\n"
    "snippets, \"snippets\": [{\"id\": ..., \"snippet\": ...}].\n";

static const char stats_more[] =
    "Jobs created per day are drawn as bars, from the first day with jobs to the\n"
    "last, each bar scaled to the busiest day.\n"
    "\n"
    "With --json: total_jobs, enabled_jobs, disabled_jobs, unique_products,\n"
    "unique_personas, unique_languages, unique_brands, by_product:\n"
    "[{\"product\": P, \"count\": N}, ...] (likewise by_language, by_persona,\n"
    "by_brand), and created_per_day: [{\"date\": \"2026-11-24\", \"count\": N}, ...]\n"
    "with every day of the range, zeros included.\n";

static const char create_more[] =
    "A job given with --file may hold keys that are no field of a job: they are\n"
    "kept, as legacy keys are (README.md, \"Legacy values that do not fit\"), but\n"
    "a key that looks like a misspelt field (job_nmae) is warned about.\n";

static const char import_more[] =
    "PATH is a single file (a mapping whose jobs: is a list: campaigns.yaml), a\n"
    "folder holding jobs/ID.yaml files and jobs_manifest.yaml, a folder of job\n"
    "files, or a JSON Lines file (.json, .jsonl); --format says which when the\n"
    "name does not. The source is never modified: it is first copied beside\n"
    "itself (PATH.backup-YYYYMMDDTHHMMSSZ) and the copy is what is read.\n"
    "\n"
    "The report names every job skipped and why: no_id, duplicate_id (the first\n"
    "in the source wins), exists (already in the database), invalid (jobsd\n"
    "refused it), broken_file, missing_file (in the manifest only), not_a_job;\n"
    "and the jobs imported without a job_name, which new jobs must have. A\n"
    "single file that is not valid YAML writes nothing.\n"
    "\n"
    "Exit status: 0 all imported; 4 some skipped as duplicates or existing;\n"
    "2 some skipped as unreadable, without id or refused, or the file is broken;\n"
    "3 no such PATH.\n";

static const char export_more[] =
    "  yaml      PATH is one file, {jobs: [...]}, as PyYAML's safe_dump writes it\n"
    "  yaml-dir  PATH is a folder: jobs/ID.yaml and jobs_manifest.yaml\n"
    "  json      PATH is JSON Lines, one job per line\n"
    "Without --format, a PATH ending in .yaml or .yml is yaml, one ending in\n"
    ".json or .jsonl is json. PATH '-' is standard output (yaml or json).\n"
    "Jobs come newest first (created_at, then id), keys sorted: the same jobs\n"
    "always give the same bytes. PATH is replaced atomically; a symlink is\n"
    "written through.\n";

static const char backup_more[] =
    "NAME is a file name, or a path inside the backup folder (jobsd --backup-dir;\n"
    "by default backups/ beside the database, on jobsd's machine); it must not\n"
    "exist yet. Restore a backup with jobsd --restore NAME.\n";

const char cli_exit_status_text[] =
    "0 ok, 2 invalid input (a usage error, or a value the server refused),\n"
    "3 not found (a job, or a local path), 4 conflict (exists, etag mismatch),\n"
    "5 cannot reach the server, 6 not allowed, 7 server busy, 1 other.\n";

const char cli_environment_text[] =
    "JOBS_SERVER      the default --server\n"
    "JOBS_TOKEN_FILE  the default --token-file\n"
    "COLUMNS          the width to fit, when standard output is a terminal\n";

/* ---- the commands ------------------------------------------------------------ */

const struct command cli_commands[] = {
    {"create", "", 0, 0, POS_NONE, NULL, "create a job",
     "Creates a job from the field flags, a file, or both (the flags win). It needs a "
     "job_name. Prints the job as stored.",
     create_sections, create_more, "CreateJob", cmd_create},
    {"get", "ID", 1, 1, POS_NONE, NULL, "show one job",
     "Prints the job: one field a line, long values wrapped to the terminal; with --json, "
     "the job as JSON with the legacy field names (what create --file reads).",
     NULL, NULL, "GetJob", cmd_get},
    {"update", "ID", 1, 1, POS_NONE, NULL, "change the fields given, and only those",
     "Changes the fields given by flags or by a file, and leaves the others as they are. "
     "The id of a job cannot change.",
     update_sections, NULL, "UpdateJob", cmd_update},
    {"delete", "ID", 1, 1, POS_NONE, NULL, "delete a job",
     "Deletes a job; with --if-etag, only if nobody changed it since it was read.", delete_sections,
     NULL, "DeleteJob", cmd_delete},
    {"list", "", 0, 0, POS_NONE, NULL, "list jobs, newest first",
     "Lists jobs a page at a time, newest first, or in the order --order-by gives.", list_sections,
     list_more, "ListJobs", cmd_list},
    {"search", "TEXT...", 1, -1, POS_NONE, NULL, "find jobs by the words in them",
     "Finds jobs by the words in them, best match first. The words after the flags are "
     "the text, as one query.",
     search_sections, search_more, "SearchJobs", cmd_search},
    {"stats", "", 0, 0, POS_NONE, NULL, "count jobs: totals, common values, jobs per day",
     "Counts jobs: totals, the most common values of product, language, persona and brand, "
     "and jobs created per day. The counts are kept as jobs are written, so this is fast "
     "on any number of jobs.",
     stats_sections, stats_more, "GetStats", cmd_stats},
    {"health", "", 0, 0, POS_NONE, NULL, "is jobsd up?",
     "Asks jobsd whether it serves; exit 0 when it does. Needs no token.", NULL, NULL, "Health",
     cmd_health},
    {"backup", "NAME", 1, 1, POS_NONE, NULL, "copy the database while jobsd serves",
     "Copies the database, consistently, to NAME in jobsd's backup folder while jobsd "
     "keeps serving.",
     NULL, backup_more, "Backup", cmd_backup},
    {"check", "", 0, 0, POS_NONE, NULL, "run the database's integrity check",
     "Runs SQLite's integrity check on jobsd's database; exit 1 if it finds damage.", NULL, NULL,
     "Check", cmd_check},
    {"import", "PATH", 1, 1, POS_FILE, NULL, "import a legacy store",
     "Imports the Flask app's jobs: campaigns.yaml, or a folder of jobs/ID.yaml.", import_sections,
     import_more, "Health BatchCreateJobs", cmd_import},
    {"export", "PATH", 1, 1, POS_FILE, NULL, "write every job in a legacy layout",
     "Writes every job in one of the legacy app's layouts.", export_sections, export_more,
     "ListJobs", cmd_export},
    {"completion", "SHELL", 1, 1, POS_CHOICE, "bash|zsh", "print a shell's completion script",
     "Prints the completion script for bash or zsh. Installed, it is loaded by itself; "
     "else: source <(jobsctl completion bash), or, for zsh, save it as _jobsctl in a "
     "folder of $fpath.",
     NULL, NULL, "", cmd_completion},
    {"commands", "", 0, 0, POS_NONE, NULL, "list the commands and the calls each makes",
     "Prints each command and the service calls it makes, tab-separated, for scripts.", NULL, NULL,
     "", cmd_commands},
    {"help", "[COMMAND]", 0, 1, POS_COMMAND, NULL, "show help",
     "Shows the commands and the global flags, or a command's help.", help_sections, NULL, "",
     cmd_help},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < cli_n_commands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

bool
command_has_flag(const struct command *cmd, enum flag_id id)
{
	for (const struct flag_section *s = cmd->sections; s != NULL && s->title != NULL; s++)
		for (const enum flag_id *f = s->flags; *f != F_NONE; f++)
			if (*f == id)
				return true;
	return false;
}
