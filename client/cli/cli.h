/*
 * cli.h: what jobsctl's files share.
 *
 *   cmdtable.c  THE TABLE: every flag and every command, with its help.
 *               The parser, `jobsctl help`, the man page (help2man reads
 *               `jobsctl help --all`), and the bash and zsh completions are
 *               all made from it, so none of them can disagree with another.
 *   args.c      the parser, and the text made from the table: help,
 *               completions.
 *   render.c    output for people: escaping, display widths, tables that
 *               fit the terminal, wrapped fields, bar charts.
 *   jobsctl.c   one handler per command.
 *   main.c      main(): the line parsed, the global flags applied, the
 *               command run. Everything else is the static library
 *               jobsctl_core, which tests/test_cli.c links too.
 */
#ifndef JOBSCTL_CLI_H
#define JOBSCTL_CLI_H

#include "jobs/client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DEFAULT_SERVER "tcp://127.0.0.1:7460"

/* Exit statuses: what a script can tell apart (README.md has the table). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,       /* anything else: INTERNAL, DATA_LOSS, ... */
	EXIT_INVALID = 2,     /* bad usage or INVALID_ARGUMENT: fix the input */
	EXIT_NOT_FOUND = 3,   /* NOT_FOUND (a job, or a local path) */
	EXIT_CONFLICT = 4,    /* ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION */
	EXIT_UNREACHABLE = 5, /* could not reach the server: UNAVAILABLE, DEADLINE_EXCEEDED */
	EXIT_DENIED = 6,      /* UNAUTHENTICATED, PERMISSION_DENIED */
	EXIT_BUSY = 7,        /* RESOURCE_EXHAUSTED */
};

/* ---- the table (cmdtable.c) ------------------------------------------------ */

/* Every flag of every command. Two flags may share a name when no command
 * has both (--product sets a field in create, filters in list). */
enum flag_id {
	F_NONE,
	/* global: accepted anywhere on the line, by every command */
	F_SERVER,
	F_JSON,
	F_TIMEOUT,
	F_TOKEN_FILE,
	F_TLS_CA,
	F_TLS_CERT,
	F_TLS_KEY,
	F_HELP,
	F_VERSION,
	/* job fields: create and update */
	F_ID,
	F_NAME,
	F_PRODUCT,
	F_PERSONA,
	F_SETTING,
	F_EMOTION,
	F_HOOK,
	F_VOICE_ID,
	F_LANGUAGE,
	F_BRAND,
	F_SETTINGS_JSON,
	F_EXTRA_JSON,
	F_ENABLED,
	F_DISABLED,
	F_FILE,
	F_IF_ETAG,
	/* filters: list and search */
	F_ONLY_ENABLED,
	F_ONLY_DISABLED,
	F_WHERE_PRODUCT,
	F_WHERE_PERSONA,
	F_WHERE_LANGUAGE,
	F_WHERE_BRAND,
	F_SINCE,
	F_UNTIL,
	F_UPDATED_SINCE,
	F_UPDATED_UNTIL,
	F_VIEW,
	/* list */
	F_ORDER_BY,
	F_PAGE_SIZE,
	F_PAGE_TOKEN,
	F_ALL,
	/* search */
	F_SUBSTRING,
	F_SNIPPETS,
	F_LIMIT,
	/* tables: list and search */
	F_OUTPUT,
	F_COLUMNS,
	F_NO_HEADERS,
	/* stats */
	F_BY,
	F_TOP,
	F_DAYS_SINCE,
	F_DAYS_UNTIL,
	/* import and export */
	F_FORMAT,
	F_DRY_RUN,
	F_ASSIGN_IDS,
	F_REPLACE,
	F_BATCH_SIZE,
	/* help */
	F_HELP_ALL,
	N_FLAGS
};

/* What a flag's value is: how the parser checks it and how a shell
 * completes it. */
enum arg_kind {
	ARG_NONE,   /* a switch: no value */
	ARG_TEXT,   /* any text */
	ARG_NUMBER, /* a whole number from min to max */
	ARG_CHOICE, /* one of choices */
	ARG_FILE,   /* a local file */
	ARG_TIME,   /* RFC 3339, or a date */
};

struct flag {
	const char *name;    /* long name, without "--" */
	char short_name;     /* -x, or 0 */
	enum arg_kind kind;  /* ARG_NONE: a switch */
	const char *metavar; /* the value in help: "TEXT", "N", "PATH" */
	const char *choices; /* "full|summary": ARG_CHOICE's values; ARG_TEXT: completions */
	long min, max;       /* ARG_NUMBER */
	unsigned group;      /* flags of one nonzero group exclude each other */
	bool repeatable;     /* each value counts (--by); else given twice differently: error */
	const char *field;   /* the job field a field flag sets, or NULL */
	const char *help;    /* one paragraph; wrapped when printed */
};

/* A heading and the flags under it, in a command's help. */
struct flag_section {
	const char *title;
	const enum flag_id *flags; /* ends with F_NONE */
};

struct args;

/* What every handler gets besides its arguments: the global flags, applied. */
struct ctl {
	const char *server;
	bool json;
	int width;                 /* of the terminal; 0: not one */
	jobs_client_options opts;  /* timeout, token file, TLS files */
	jobs_client *client;       /* opened by the handler; main() closes it */
	const struct command *cmd; /* the command run */
};

/* What a command's positional arguments complete to. */
enum pos_kind { POS_NONE, POS_FILE, POS_COMMAND, POS_CHOICE };

struct command {
	const char *name;
	const char *synopsis;   /* after "jobsctl NAME", flags left out: "ID", "[PATH]" */
	int min_args, max_args; /* positional arguments; max -1: any number */
	enum pos_kind pos;
	const char *pos_choices;             /* POS_CHOICE: "bash|zsh" */
	const char *summary;                 /* one line, no final period */
	const char *description;             /* a paragraph, or NULL */
	const struct flag_section *sections; /* ends with a NULL title */
	const char *more;                    /* preformatted text after the flags, or NULL */
	const char *calls;                   /* service calls it makes, space-separated */
	int (*run)(struct ctl *ctl, const struct args *a);
};

/* The handlers (jobsctl.c), one per command: EXIT_* after printing. */
int cmd_create(struct ctl *ctl, const struct args *a);
int cmd_get(struct ctl *ctl, const struct args *a);
int cmd_update(struct ctl *ctl, const struct args *a);
int cmd_delete(struct ctl *ctl, const struct args *a);
int cmd_list(struct ctl *ctl, const struct args *a);
int cmd_search(struct ctl *ctl, const struct args *a);
int cmd_stats(struct ctl *ctl, const struct args *a);
int cmd_health(struct ctl *ctl, const struct args *a);
int cmd_backup(struct ctl *ctl, const struct args *a);
int cmd_check(struct ctl *ctl, const struct args *a);
int cmd_import(struct ctl *ctl, const struct args *a);
int cmd_export(struct ctl *ctl, const struct args *a);
int cmd_completion(struct ctl *ctl, const struct args *a);
int cmd_commands(struct ctl *ctl, const struct args *a);
int cmd_help(struct ctl *ctl, const struct args *a);

extern const struct flag cli_flags[N_FLAGS];
extern const struct command cli_commands[];
extern const size_t cli_n_commands;
extern const enum flag_id cli_global_flags[]; /* ends with F_NONE */
extern const char cli_exit_status_text[], cli_environment_text[];

const struct command *command_find(const char *name);
/* Whether `cmd` takes flag `id` (globals not counted). */
bool command_has_flag(const struct command *cmd, enum flag_id id);

/* ---- parsing (args.c) ------------------------------------------------------ */

struct given {
	enum flag_id id;
	const char *value; /* NULL for a switch; borrowed from argv */
};

/* A parsed command line; every string is borrowed from argv. */
struct args {
	const struct command *cmd; /* NULL: none named */
	struct given *flags;       /* in the order given */
	size_t n_flags;
	char **pos; /* positional arguments */
	size_t n_pos;
	bool help, version;
};

/*
 * Parses argv against the table: global flags anywhere, the command's flags
 * after (or before) its name, "--" ending the flags, "--flag=value" or
 * "--flag value", "-xVALUE" or "-x VALUE". Checks what the table says:
 * known flags, values present and of their kind, numbers in range, choices,
 * groups that exclude each other, flags given twice, the number of
 * positional arguments. Returns 0, or EXIT_INVALID with one line in err
 * saying what was wrong (a --help anywhere wins over that: a->help is set
 * and 0 returned). a->flags and a->pos are malloc'd: args_free.
 */
int args_parse(int argc, char **argv, struct args *a, char *err, size_t errlen);
void args_free(struct args *a);

bool arg_given(const struct args *a, enum flag_id id);
/* The value given last, or NULL. */
const char *arg_value(const struct args *a, enum flag_id id);
/* The number given (checked by args_parse), or dflt. */
long arg_number(const struct args *a, enum flag_id id, long dflt);

/* ---- text made from the table (args.c) -------------------------------------- */

/* `jobsctl help`: the synopsis, the commands, the global flags. */
void help_global(FILE *f);
/* `jobsctl help CMD`, `jobsctl CMD --help`. */
void help_command(FILE *f, const struct command *cmd);
/* `jobsctl help --all`: both, for every command; help2man makes the man
 * page of it. */
void help_all(FILE *f);
/* The usage line of a command, for usage errors. */
void usage_line(FILE *f, const struct command *cmd);
/* `jobsctl completion bash|zsh`. */
void completion_bash(FILE *f);
void completion_zsh(FILE *f);

/* The word of `words` (NULL-terminated) nearest to `s`, if near enough to
 * be what was meant (a typo: a letter or two off, case, '-' for '_'); else
 * NULL. */
const char *nearest_word(const char *s, const char *const *words);

/* ---- output for people (render.c) ------------------------------------------ */

/*
 * Sets LC_CTYPE from the environment, falling back to C.UTF-8 when that is
 * not UTF-8: jobs are UTF-8 whatever the terminal says, and display widths
 * come from libc's wcwidth, which needs a UTF-8 locale to know them.
 */
void render_init(void);

/* The width to fit stdout to: the terminal's (or $COLUMNS) when stdout is a
 * terminal, 0 (no limit) when it is not. */
int render_width(void);

/*
 * `s` made safe and visible for a terminal, malloc'd: control characters
 * (C0, DEL, C1), bidirectional overrides and bytes that are not UTF-8 are
 * escaped (\e, \t, \n, \x07, \u202e); with keep_newlines, '\n' is kept.
 * NULL when out of memory.
 */
char *render_escape(const char *s, bool keep_newlines);

/* Display columns of UTF-8 text with nothing to escape (render_escape's). */
int render_width_of(const char *s);

/* A table: headers and rows of escaped cells, printed so that columns line
 * up by display width, without trailing spaces, fitting `width` (0: no
 * limit) by truncating the cells of TABLE_SHRINK columns with "…". */
enum { TABLE_SHRINK = 1, TABLE_RIGHT = 2 };
struct table;
/* headers[] and how[] (TABLE_* bits, per column) are borrowed: they must
 * outlive the table. NULL when out of memory. */
struct table *table_new(size_t n_cols, const char *const *headers, const unsigned *how);
/* Adds a row of n_cols cells (copied, escaped here). Returns 0, or -1 when
 * out of memory. */
int table_add(struct table *t, const char *const *cells);
/* An indented line under the last row (a search snippet), escaped here. */
int table_add_note(struct table *t, const char *text);
size_t table_rows(const struct table *t);
void table_print(FILE *f, const struct table *t, bool headers, int width);
void table_free(struct table *t);

/* "label  value" with the value's lines under each other, wrapped to `width`
 * (0: no limit) at spaces where it can; `value` is escaped here, its
 * newlines kept as line breaks. */
void render_field(FILE *f, const char *label, int label_width, const char *value, int width);

/* One bar of a chart: `value` of `max` drawn in `cols` columns of block
 * characters (eighths of a column), nothing for 0. */
void render_bar(FILE *f, long long value, long long max, int cols);

#endif
