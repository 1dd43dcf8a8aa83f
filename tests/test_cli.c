/*
 * test_cli.c: jobsctl.
 *
 * In process, through jobsctl_core (what the binary links): the command
 * table, the parser and the help made from them, which must agree; and the
 * output for people (render.c): escapes, display widths, tables, wrapping,
 * bars.
 *
 * Through the binary, against a real jobsd: what it prints, in text and in
 * JSON, where (data on stdout, notes on stderr), the exit status of each
 * kind of failure, output on a terminal (a pty of known width), and the
 * bash and zsh completion scripts, run by bash and zsh.
 */
#include "cli.h"
#include "helpers.h"
#include "json_helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ==== in process: the table and the parser ================================ */

static void
render_setup(void)
{
	render_init();
}

TestSuite(args, .init = render_setup);
TestSuite(render, .init = render_setup);

/* Parses "jobsctl WORDS..." (NULL-terminated); the error, if any, in err. */
static int
parse(struct args *a, char *err, size_t errlen, ...)
{
	static char *argv[64];
	va_list ap;
	int argc = 0;

	argv[argc++] = "jobsctl";
	va_start(ap, errlen);
	for (char *w; (w = va_arg(ap, char *)) != NULL && argc < 63;)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	return args_parse(argc, argv, a, err, errlen);
}

/* A value args_parse takes for flag f. */
static const char *
sample_value(const struct flag *f, char *buf, size_t len)
{
	switch (f->kind) {
	case ARG_NUMBER:
		snprintf(buf, len, "%ld", f->min);
		return buf;
	case ARG_CHOICE:
		snprintf(buf, len, "%.*s", (int)strcspn(f->choices, "|"), f->choices);
		return buf;
	case ARG_TIME:
		return "2026-11-24";
	default:
		return "x";
	}
}

/* The help of cmd, as text (malloc'd). */
static char *
help_of(const struct command *cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	if (cmd != NULL)
		help_command(f, cmd);
	else
		help_global(f);
	fclose(f);
	return text;
}

/* Runs the parser on "jobsctl CMD --FLAG [VALUE] POSITIONALS". */
static int
parse_with_flag(const struct command *cmd, const char *flag, const struct flag *f, struct args *a,
                char *err, size_t errlen)
{
	char *argv[8], value[64];
	int argc = 0;

	argv[argc++] = "jobsctl";
	argv[argc++] = (char *)cmd->name;
	argv[argc++] = (char *)flag;
	if (f != NULL && f->kind != ARG_NONE)
		argv[argc++] = (char *)sample_value(f, value, sizeof value);
	if (cmd->min_args > 0)
		argv[argc++] = cmd->pos == POS_CHOICE ? "bash" : "x";
	argv[argc] = NULL;
	return args_parse(argc, argv, a, err, errlen);
}

/*
 * The help of each command shows exactly the flags its parser takes: every
 * "--flag" at the start of a help line parses, every flag of the table that
 * the command takes is in its help, and every other flag is refused.
 */
Test(args, help_and_parser_agree_for_every_command)
{
	char *global_help = help_of(NULL);

	for (size_t c = 0; c < cli_n_commands; c++) {
		const struct command *cmd = &cli_commands[c];
		char *help = help_of(cmd), err[512];
		struct args a;

		/* Flags shown: lines "  -x, --name ..." or "      --name ...". */
		for (char *line = help; line != NULL && *line != '\0';) {
			char *nl = strchr(line, '\n'), *dd = strstr(line, "--"), name[64];

			if (nl != NULL)
				*nl = '\0';
			if (dd != NULL && dd - line == 6 &&
			    (line[2] == '-' || strspn(line, " ") == 6) &&
			    sscanf(dd, "--%63[a-z-]", name) == 1) {
				char flag[80];
				int rv;

				snprintf(flag, sizeof flag, "--%s", name);
				/* Which flag: the command's of this name, else a global. */
				const struct flag *f = NULL;
				for (int id = 1; id < N_FLAGS; id++)
					if (strcmp(cli_flags[id].name, name) == 0 &&
					    (command_has_flag(cmd, (enum flag_id)id) || f == NULL))
						f = &cli_flags[id];
				rv = parse_with_flag(cmd, flag, f, &a, err, sizeof err);
				cr_assert_eq(rv, 0, "%s: help shows %s, the parser says: %s",
				             cmd->name, flag, err);
				args_free(&a);
			}
			line = nl != NULL ? nl + 1 : NULL;
		}
		free(help);
		help = help_of(cmd);

		/* Every flag of the table: in the help and taken, or refused. */
		for (int id = 1; id < N_FLAGS; id++) {
			const struct flag *f = &cli_flags[id];
			bool takes = command_has_flag(cmd, (enum flag_id)id), same_name = false;
			char flag[80];
			int rv;

			for (int o = 1; o < N_FLAGS; o++)
				same_name |= o != id && strcmp(cli_flags[o].name, f->name) == 0 &&
				             command_has_flag(cmd, (enum flag_id)o);
			for (const enum flag_id *g = cli_global_flags; *g != F_NONE; g++)
				takes |= (int)*g == id;
			if (same_name)
				continue;
			snprintf(flag, sizeof flag, "--%s", f->name);
			rv = parse_with_flag(cmd, flag, f, &a, err, sizeof err);
			if (takes) {
				cr_assert_eq(rv, 0, "%s %s: %s", cmd->name, flag, err);
				cr_assert_not_null(strstr(command_has_flag(cmd, (enum flag_id)id)
				                              ? help
				                              : global_help,
				                          flag),
				                   "%s: %s is not in its help", cmd->name, flag);
			} else {
				cr_assert_eq(rv, EXIT_INVALID,
				             "%s takes %s, which its help does not show", cmd->name,
				             flag);
				cr_assert_not_null(strstr(err, "unknown flag"), "%s", err);
			}
			args_free(&a);
		}
		free(help);
	}
	free(global_help);
}

Test(args, update_has_no_id_flag_and_says_so)
{
	struct args a;
	char err[512], *help = help_of(command_find("update"));

	cr_assert_null(strstr(help, "--id"), "%s", help);
	cr_assert_eq(parse(&a, err, sizeof err, "update", "j1", "--id", "j2", NULL), EXIT_INVALID);
	cr_assert_str_eq(err, "update: unknown flag --id");
	args_free(&a);
	free(help);
}

Test(args, global_flags_anywhere_and_help_after_a_command)
{
	struct args a;
	char err[512];

	cr_assert_eq(parse(&a, err, sizeof err, "get", "ID", "--json", NULL), 0, "%s", err);
	cr_assert(arg_given(&a, F_JSON));
	cr_assert_str_eq(a.pos[0], "ID");
	args_free(&a);
	cr_assert_eq(parse(&a, err, sizeof err, "--json", "list", "-s", "ipc:///x", "--all", NULL),
	             0, "%s", err);
	cr_assert_str_eq(arg_value(&a, F_SERVER), "ipc:///x");
	cr_assert(arg_given(&a, F_ALL));
	args_free(&a);
	/* A command's flag before the command. */
	cr_assert_eq(parse(&a, err, sizeof err, "--page-size", "5", "list", NULL), 0, "%s", err);
	cr_assert_eq(arg_number(&a, F_PAGE_SIZE, 0), 5);
	args_free(&a);

	/* --help wins over anything else on the line. */
	cr_assert_eq(parse(&a, err, sizeof err, "backup", "--help", NULL), 0);
	cr_assert(a.help);
	cr_assert_str_eq(a.cmd->name, "backup");
	args_free(&a);
	cr_assert_eq(parse(&a, err, sizeof err, "create", "-h", "--bogus", NULL), 0);
	cr_assert(a.help);
	args_free(&a);
	/* After "--", it is an argument. */
	cr_assert_eq(parse(&a, err, sizeof err, "get", "--", "--help", NULL), 0, "%s", err);
	cr_assert(!a.help);
	cr_assert_str_eq(a.pos[0], "--help");
	args_free(&a);
	/* As a flag's value, too. */
	cr_assert_eq(parse(&a, err, sizeof err, "create", "--name", "--help", NULL), 0, "%s", err);
	cr_assert(!a.help);
	cr_assert_str_eq(arg_value(&a, F_NAME), "--help");
	args_free(&a);
}

Test(args, values_forms_ranges_and_conflicts)
{
	static const struct {
		const char *words[6];
		const char *error; /* NULL: parses */
	} cases[] = {
	    {{"list", "--page-size=7"}, NULL},
	    {{"list", "-A", "-o", "wide"}, NULL},
	    {{"list", "-Aowide"}, NULL}, /* -A -o wide, as getopt reads it */
	    {{"-jt100", "health"}, NULL},
	    {{"list", "-Ax"}, "list: unknown flag -x in -Ax"},
	    {{"-t100", "health"}, NULL},
	    {{"list", "--page-size", "100000"},
	     "list: --page-size wants a number from 1 to 1000, not '100000'"},
	    {{"search", "--limit", "500", "x"},
	     "search: --limit wants a number from 1 to 100, not '500'"},
	    {{"search", "--limit", "0", "x"},
	     "search: --limit wants a number from 1 to 100, not '0'"},
	    {{"list", "--page-size", "1e3"},
	     "list: --page-size wants a number from 1 to 1000, not '1e3'"},
	    {{"list", "--enabled", "--disabled"},
	     "list: --enabled and --disabled cannot be used together"},
	    {{"update", "x", "--enabled", "--disabled"},
	     "update: --enabled and --disabled cannot be used together"},
	    {{"list", "--all", "--page-token", "t"},
	     "list: --all and --page-token cannot be used together"},
	    {{"list", "--json", "-o", "wide"}, "list: --json and --output cannot be used together"},
	    {{"list", "--columns", "id", "-o", "id"},
	     "list: --columns and --output cannot be used together"},
	    {{"create", "--name", "a", "--name", "b"},
	     "create: --name is given twice ('a', then 'b'); give it once"},
	    {{"create", "--name", "a", "--name", "a"}, NULL},
	    {{"stats", "--by", "product", "--by", "brand"}, NULL},
	    {{"stats", "--by", "colour"},
	     "stats: --by is product, language, persona or brand, not 'colour'"},
	    {{"list", "--view", "tiny"}, "list: --view is full or summary, not 'tiny'"},
	    {{"list", "--since", "yesterday"},
	     "list: --since wants a time such as 2026-11-24T10:00:00Z or 2026-11-24, not "
	     "'yesterday'"},
	    {{"list", "--json=yes"}, "list: --json takes no value"},
	    {{"list", "--page-size"}, "list: --page-size wants a value (N)"},
	    {{"list", "--colums"}, "list: unknown flag --colums; did you mean --columns?"},
	    {{"list", "--colour"}, "list: unknown flag --colour"},
	    {{"search", "--substrng", "x"},
	     "search: unknown flag --substrng; did you mean --substring?"},
	    {{"lsit"}, "no command 'lsit'; did you mean 'list'?"},
	    {{"frobnicate"}, "no command 'frobnicate'"},
	    {{"--json"}, "no command given"},
	    {{"get"}, "get: missing ID"},
	    {{"get", "a", "b"}, "get: unexpected argument 'b'"},
	    {{"search"}, "search: missing TEXT..."},
	    {{"completion", "fish"}, "completion: SHELL is bash or zsh, not 'fish'"},
	    {{"export", "-", "--format", "json"}, NULL},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *argv[8] = {"jobsctl"}, err[512];
		struct args a;
		int argc = 1, rv;

		for (int k = 0; k < 6 && cases[i].words[k] != NULL; k++)
			argv[argc++] = (char *)cases[i].words[k];
		rv = args_parse(argc, argv, &a, err, sizeof err);
		if (cases[i].error == NULL) {
			cr_assert_eq(rv, 0, "case %zu: %s", i, err);
		} else {
			cr_assert_eq(rv, EXIT_INVALID, "case %zu parsed", i);
			cr_assert_str_eq(err, cases[i].error, "case %zu", i);
		}
		args_free(&a);
	}
}

Test(args, near_words)
{
	const char *const fields[] = {"job_name", "product", "brand_name", "hook", NULL};

	cr_assert_str_eq(nearest_word("job_nmae", fields), "job_name");
	cr_assert_str_eq(nearest_word("Job-Name", fields), "job_name");
	cr_assert_str_eq(nearest_word("prodcut", fields), "product");
	cr_assert_str_eq(nearest_word("hooks", fields), "hook");
	cr_assert_null(nearest_word("tags", fields));
	cr_assert_null(nearest_word("schedule", fields));
	cr_assert_null(nearest_word("x", fields));
}

/* Completion scripts hold every command and every flag each takes. */
Test(args, completions_come_from_the_table)
{
	char *text[2] = {NULL, NULL};
	size_t len;

	for (int shell = 0; shell < 2; shell++) {
		FILE *f = open_memstream(&text[shell], &len);
		if (shell == 0)
			completion_bash(f);
		else
			completion_zsh(f);
		fclose(f);
		for (size_t c = 0; c < cli_n_commands; c++) {
			char word[64];

			snprintf(word, sizeof word, "%s", cli_commands[c].name);
			cr_assert_not_null(strstr(text[shell], word), "%s", word);
			for (int id = 1; id < N_FLAGS; id++) {
				snprintf(word, sizeof word, "--%s", cli_flags[id].name);
				if (command_has_flag(&cli_commands[c], (enum flag_id)id))
					cr_assert_not_null(strstr(text[shell], word), "%s", word);
			}
		}
		free(text[shell]);
	}
}

/* ==== in process: output for people ========================================== */

Test(render, control_characters_and_bidi_overrides_are_escaped)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"Evil \033[31mRED\033[0m \033]0;pwned\a", "Evil \\e[31mRED\\e[0m \\e]0;pwned\\a"},
	    {"tab\there", "tab\\there"},
	    {"a\x01z", "a\\x01z"},
	    {"del\x7f", "del\\x7f"},
	    {"csi\xc2\x9b"
	     "31m",
	     "csi\\u009b31m"}, /* C1 CSI, as UTF-8 */
	    {"abc\xe2\x80\xae"
	     "cba",
	     "abc\\u202ecba"},                        /* RIGHT-TO-LEFT OVERRIDE */
	    {"bad\xff\xfe", "bad\\xff\\xfe"},         /* not UTF-8 */
	    {"Été 夏季 🚀 مرحبا", "Été 夏季 🚀 مرحبا"}, /* printable stays */
	    {"line\nbreak", "line\\nbreak"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *e = render_escape(cases[i].in, false);
		cr_assert_str_eq(e, cases[i].out, "case %zu", i);
		free(e);
	}
	char *kept = render_escape("one\ntwo\033", true);
	cr_assert_str_eq(kept, "one\ntwo\\e");
	free(kept);
}

Test(render, display_widths)
{
	cr_assert_eq(render_width_of("abc"), 3);
	cr_assert_eq(render_width_of("Été"), 3);
	cr_assert_eq(render_width_of("e\xcc\x81"), 1, "a combining accent takes no column");
	cr_assert_eq(render_width_of("夏季促销"), 8);
	cr_assert_eq(render_width_of("ランタン"), 8);
	cr_assert_eq(render_width_of("🚀"), 2);
	cr_assert_eq(render_width_of("مرحبا"), 5);
}

/* Each line of text, split in place; returns how many. */
static size_t
lines_of(char *text, char **lines, size_t max)
{
	size_t n = 0;

	for (char *p = text; *p != '\0' && n < max;) {
		char *nl = strchr(p, '\n');
		cr_assert_not_null(nl, "every line ends with a newline");
		*nl = '\0';
		lines[n++] = p;
		p = nl + 1;
	}
	return n;
}

/* The display column at which `needle` starts in line. */
static int
column_of(const char *line, const char *needle)
{
	const char *at = strstr(line, needle);
	char *prefix;
	int w;

	cr_assert_not_null(at, "'%s' in '%s'", needle, line);
	prefix = strndup(line, (size_t)(at - line));
	w = render_width_of(prefix);
	free(prefix);
	return w;
}

Test(render, table_columns_line_up_by_display_width)
{
	static const char *const headers[] = {"NAME", "PRODUCT", "QTY"};
	static const unsigned how[] = {TABLE_SHRINK, TABLE_SHRINK, TABLE_RIGHT};
	struct table *t = table_new(3, headers, how);
	char *text = NULL, *lines[8];
	size_t len, n;
	FILE *f;

	cr_assert_eq(table_add(t, (const char *[]){"夏季促销", "ランタン", "1"}), 0);
	cr_assert_eq(table_add(t, (const char *[]){"Solar", "🚀 Rocket", "22"}), 0);
	cr_assert_eq(table_add(t, (const char *[]){"مرحبا", "\033[31mRED", "333"}), 0);
	cr_assert_eq(table_add(t, (const char *[]){"e\xcc\x81t\xc3\xa9", "", "4"}), 0);
	f = open_memstream(&text, &len);
	table_print(f, t, true, 0);
	fclose(f);
	n = lines_of(text, lines, 8);
	cr_assert_eq(n, 5);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		cr_assert(l == 0 || lines[i][l - 1] != ' ', "no trailing spaces: '%s'", lines[i]);
	}
	cr_assert_eq(column_of(lines[0], "PRODUCT"), 10);
	cr_assert_eq(column_of(lines[1], "ランタン"), 10);
	cr_assert_eq(column_of(lines[2], "🚀"), 10);
	cr_assert_eq(column_of(lines[3], "\\e[31mRED"), 10);
	/* Numbers are right-aligned: they end where the header ends. */
	cr_assert_eq(render_width_of(lines[0]), render_width_of(lines[3]), "%s|%s", lines[0],
	             lines[3]);
	cr_assert_eq(column_of(lines[4], "4") + 1, column_of(lines[0], "QTY") + 3);
	free(text);

	/* Fitted to 20 columns: the shrinkable cells are cut with an ellipsis. */
	text = NULL;
	f = open_memstream(&text, &len);
	table_print(f, t, true, 20);
	fclose(f);
	n = lines_of(text, lines, 8);
	for (size_t i = 0; i < n; i++)
		cr_assert_leq(render_width_of(lines[i]), 20, "'%s'", lines[i]);
	cr_assert_eq(strncmp(lines[1], "夏季…  ", strlen("夏季…  ")), 0, "%s", lines[1]);
	cr_assert_not_null(strstr(lines[3], "\\e[31m…"), "%s", lines[3]);
	cr_assert_not_null(strstr(lines[4], "  4"), "numbers are never cut: %s", lines[4]);
	free(text);
	table_free(t);
}

Test(render, fields_wrap_at_spaces_and_keep_their_lines)
{
	const char *hook = "First line\nthe second line is long enough that it has to be wrapped "
	                   "twice over at forty columns";
	char *text = NULL, *lines[16];
	size_t len, n;
	FILE *f = open_memstream(&text, &len);

	render_field(f, "hook", 8, hook, 40);
	render_field(f, "empty", 8, "", 40);
	fclose(f);
	n = lines_of(text, lines, 16);
	cr_assert_str_eq(lines[0], "hook     First line");
	cr_assert_str_eq(lines[1], "         the second line is long enough");
	for (size_t i = 1; i < n - 1; i++) {
		cr_assert_leq(render_width_of(lines[i]), 40, "'%s'", lines[i]);
		cr_assert_eq(strncmp(lines[i], "         ", 9), 0, "'%s'", lines[i]);
		cr_assert_neq(lines[i][9], ' ', "'%s'", lines[i]);
	}
	cr_assert_str_eq(lines[n - 1], "empty    -");
	free(text);

	/* Not a terminal (width 0): whole lines. */
	text = NULL;
	f = open_memstream(&text, &len);
	render_field(f, "hook", 8, hook, 0);
	fclose(f);
	n = lines_of(text, lines, 16);
	cr_assert_eq(n, 2);
	free(text);
}

Test(render, bars_are_scaled_in_eighths)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	render_bar(f, 10, 10, 4);
	fputc('|', f);
	render_bar(f, 5, 10, 4);
	fputc('|', f);
	render_bar(f, 1, 1000, 4);
	fputc('|', f);
	render_bar(f, 0, 10, 4);
	fclose(f);
	cr_assert_str_eq(text, "████|██|▏|");
	free(text);
}

/* ==== through the binary, against jobsd ======================================= */

static struct jobsd d;

static void
start(void)
{
	render_init();
	cr_assert(jobsd_start(&d, NULL, NULL));
}

static void
stop(void)
{
	cr_assert_eq(jobsd_cleanup(&d), 0, "jobsd must exit 0 at SIGTERM");
}

TestSuite(cli, .init = start, .fini = stop);

/* Runs `jobsctl --server URL ARGS...` (NULL-terminated). */
#define ctl(...) run_tool(JOBSCTL_PATH, d.url, NULL, __VA_ARGS__)

/* One line on stderr, starting "jobsctl: ". */
static void
assert_one_line_error(const struct run *r)
{
	cr_assert(strncmp(r->err, "jobsctl: ", 9) == 0, "stderr: %s", r->err);
	cr_assert_eq(strchr(r->err, '\n'), r->err + strlen(r->err) - 1, "one line: %s", r->err);
}

/* A usage error: exit 2, a line saying what, then the usage line. */
static void
assert_usage_error(const struct run *r, const char *what)
{
	char *nl = strchr(r->err, '\n');

	cr_assert_eq(r->status, 2, "%s", r->err);
	cr_assert(strncmp(r->err, "jobsctl: ", 9) == 0, "stderr: %s", r->err);
	cr_assert_not_null(nl, "%s", r->err);
	cr_assert(strstr(r->err, what) != NULL && strstr(r->err, what) < nl, "'%s' in: %s", what,
	          r->err);
	cr_assert_eq(strncmp(nl + 1, "Usage: jobsctl ", 15), 0, "then the usage: %s", r->err);
	cr_assert_eq(strchr(nl + 1, '\n'), r->err + strlen(r->err) - 1, "two lines: %s", r->err);
	cr_assert_str_eq(r->out, "", "nothing on stdout");
}

/* Creates a job; asserts success. */
static void
create(const char *id, const char *name)
{
	struct run r = ctl("create", "--id", id, "--name", name, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
}

static char *
write_file(const char *name, const char *text)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", d.dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/*
 * Runs argv (argv[0] a path) on a pseudo-terminal `cols` columns wide, with
 * `env` added (NULL-terminated, may be NULL): what it writes to the terminal
 * (stdout and stderr together, "\r\n" line ends) and its exit status.
 */
static struct run
run_pty(const char *const *argv, int cols, const char *const *env)
{
	struct winsize ws = {.ws_row = 40, .ws_col = (unsigned short)cols};
	struct run r = {.out = malloc(1 << 16), .err = strdup("")};
	size_t len = 0, cap = 1 << 16;
	int fd, status;
	pid_t pid = forkpty(&fd, NULL, NULL, &ws);

	cr_assert_neq(pid, -1, "forkpty: %s", strerror(errno));
	if (pid == 0) {
		unsetenv("COLUMNS");
		for (int i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096)
			r.out = realloc(r.out, cap *= 2);
		n = read(fd, r.out + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break; /* EIO: the child closed the terminal */
	}
	r.out[len] = '\0';
	close(fd);
	waitpid(pid, &status, 0);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

/* ---- create, get, update ------------------------------------------------------ */

Test(cli, create_and_get_in_json_with_legacy_names)
{
	struct run r = ctl("--json", "create", "--id", "c1", "--name", "Summer Sale", "--product",
	                   "Solar Lantern", "--persona", "parent", "--setting", "yard", "--emotion",
	                   "joy", "--hook", "Line 1\nLine 2", "--voice-id", "v-1", "--language",
	                   "Deutsch", "--brand", "Acme", "--disabled", "--settings-json",
	                   "{\"voice\":{\"stability\":0.5},\"takes\":[1,2]}", "--extra-json",
	                   "{\"tags\":[\"a\"]}", NULL);
	json_t *o;

	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "id"), "c1");
	cr_assert_str_eq(json_str(o, "job_name"), "Summer Sale");
	cr_assert_str_eq(json_str(o, "elevenlabs_voice_id"), "v-1");
	cr_assert_str_eq(json_str(o, "brand_name"), "Acme");
	cr_assert_str_eq(json_str(o, "hook"), "Line 1\nLine 2");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	cr_assert(json_is_object(json_object_get(o, "enhanced_settings")),
	          "enhanced_settings is a JSON value, not a string");
	cr_assert(json_is_array(json_object_get(o, "tags")), "extra keys at the top level");
	cr_assert_null(json_object_get(o, "extra"));
	cr_assert_eq(strlen(json_str(o, "created_at")), 27, "RFC 3339 with microseconds: %s",
	             json_str(o, "created_at"));
	cr_assert(json_str(o, "created_at")[26] == 'Z');
	cr_assert_str_neq(json_str(o, "etag"), "");
	cr_assert_lt(strstr(r.out, "\"brand_name\""), strstr(r.out, "\"created_at\""),
	             "keys are sorted");
	json_decref(o);
	run_free(&r);

	/* The global flag after the command and its argument. */
	r = ctl("get", "c1", "--json", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "product"), "Solar Lantern");
	cr_assert_eq(
	    json_real_value(json_object_get(
	        json_object_get(json_object_get(o, "enhanced_settings"), "voice"), "stability")),
	    0.5);
	json_decref(o);
	run_free(&r);
}

Test(cli, human_output)
{
	struct run r = ctl("create", "--id", "h1", "--name", "Été", "--hook", "one\ntwo", NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "job_name            Été\n") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "enabled             yes\n") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "hook                one\n                    two\n") != NULL, "%s",
	          r.out);
	cr_assert(strstr(r.out, "language            English\n") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "persona             -\n") != NULL, "%s", r.out);
	cr_assert_null(strstr(r.out, " \n"), "no trailing spaces: %s", r.out);
	run_free(&r);
	r = ctl("list", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "ID ", 3) == 0, "%s", r.out);
	cr_assert(strstr(r.out, "h1 ") != NULL, "%s", r.out);
	run_free(&r);
	r = ctl("health", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "SERVING: jobsd ", 15) == 0, "%s", r.out);
	run_free(&r);
}

Test(cli, control_characters_never_reach_the_terminal)
{
	const char *evil = "Evil \033[31mRED\033[0m \033]0;pwned\a";
	struct run r = ctl("create", "--id", "evil", "--name", evil, "--hook", "x\033[2Jy", NULL);
	json_t *o;

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strchr(r.out, '\033'), "%s", r.out);
	cr_assert_null(strchr(r.out, '\a'), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Evil \\e[31mRED\\e[0m \\e]0;pwned\\a"), "%s", r.out);
	run_free(&r);
	for (int i = 0; i < 4; i++) {
		static const char *const cmds[][3] = {{"get", "evil", NULL},
		                                      {"list", NULL},
		                                      {"list", "-o", "wide"},
		                                      {"search", "evil"}};
		r = ctl(cmds[i][0], cmds[i][1], cmds[i][2], NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_null(strchr(r.out, '\033'), "%s: %s", cmds[i][0], r.out);
		cr_assert_null(strchr(r.out, '\a'), "%s: %s", cmds[i][0], r.out);
		run_free(&r);
	}
	/* JSON carries the exact text (escaped the JSON way). */
	r = ctl("--json", "get", "evil", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "job_name"), evil);
	json_decref(o);
	run_free(&r);
}

Test(cli, update_changes_only_what_is_given)
{
	struct run r = ctl("create", "--id", "u1", "--name", "Keep", "--product", "Old", NULL);
	json_t *o;
	char etag[32];

	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("--json", "update", "u1", "--product", "New", "--disabled", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "product"), "New");
	cr_assert_str_eq(json_str(o, "job_name"), "Keep");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	snprintf(etag, sizeof etag, "%s", json_str(o, "etag"));
	json_decref(o);
	run_free(&r);

	r = ctl("update", "u1", "--if-etag", "999999", "--product", "Newer", NULL);
	cr_assert_eq(r.status, 4, "a stale etag is a conflict: %s", r.err);
	assert_one_line_error(&r);
	run_free(&r);
	r = ctl("update", "u1", "--if-etag", etag, "--product", "Newer", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("update", "u1", NULL);
	assert_usage_error(&r, "nothing to change");
	run_free(&r);
	r = ctl("update", "nobody", "--product", "x", NULL);
	cr_assert_eq(r.status, 3);
	run_free(&r);
	r = ctl("update", "u1", "--id", "u2", NULL);
	assert_usage_error(&r, "unknown flag --id");
	run_free(&r);
}

/* The seed's schema: job_name NOT NULL. Refused by jobsctl, by the library
 * and on the wire (the library's call is the wire call). */
Test(cli, a_job_needs_a_name_on_every_path)
{
	jobs_client *c;
	jobs_call call = {0};
	jobs_job nameless = {.id = "nameless", .product = "Lamp"};
	struct run r;

	r = ctl("create", "--product", "Lamp", NULL);
	assert_usage_error(&r, "a job needs a job_name");
	run_free(&r);
	r = ctl("create", "--name", "", NULL);
	assert_usage_error(&r, "a job needs a job_name");
	run_free(&r);
	r = ctl("create", "--file", write_file("nameless.yaml", "product: Lamp\n"), NULL);
	assert_usage_error(&r, "a job needs a job_name");
	run_free(&r);

	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_create_job(c, &call, &nameless, NULL), JOBS_INVALID_ARGUMENT);
	cr_assert_not_null(strstr(call.message, "job_name is required"), "%s", call.message);
	nameless.job_name = "";
	nameless.fields = JOBS_FIELD_ID | JOBS_FIELD_JOB_NAME;
	cr_assert_eq(jobs_create_job(c, &call, &nameless, NULL), JOBS_INVALID_ARGUMENT);
	jobs_client_close(c);

	create("named", "Named");
	r = ctl("update", "named", "--name", "", NULL);
	assert_usage_error(&r, "job_name cannot be empty");
	run_free(&r);
	r = ctl("--json", "list", NULL);
	json_t *o = json_of(&r);
	cr_assert_eq(json_array_size(json_object_get(o, "jobs")), 1, "only the named job");
	json_decref(o);
	run_free(&r);
}

Test(cli, exit_statuses_and_one_line_errors)
{
	struct run r;

	r = ctl("get", "missing", NULL);
	cr_assert_eq(r.status, 3);
	cr_assert_str_eq(r.err, "jobsctl: get: no job with id 'missing' (NOT_FOUND)\n");
	run_free(&r);

	r = ctl("create", "--id", "bad id", "--name", "x", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	create("twice", "Twice");
	r = ctl("create", "--id", "twice", "--name", "Twice", NULL);
	cr_assert_eq(r.status, 4, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	r = ctl("create", "--name", "x", "--settings-json", "{nope", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	r = ctl("delete", "twice", NULL);
	cr_assert_eq(r.status, 0);
	run_free(&r);
	r = ctl("delete", "twice", NULL);
	cr_assert_eq(r.status, 3);
	run_free(&r);

	r = ctl("frobnicate", NULL);
	assert_usage_error(&r, "no command 'frobnicate'");
	run_free(&r);
	r = ctl("get", NULL);
	assert_usage_error(&r, "get: missing ID");
	run_free(&r);
}

Test(cli, unreachable_server_and_jobs_server_variable)
{
	const char *argv[] = {JOBSCTL_PATH, "health", NULL};
	char env[700], gone[600];
	const char *envv[] = {env, NULL};
	struct run r;

	snprintf(gone, sizeof gone, "ipc://%s/nobody-here.sock", d.dir);
	snprintf(env, sizeof env, "JOBS_SERVER=%s", gone);
	r = run_cmd(argv, NULL, envv);
	cr_assert_eq(r.status, 5, "could not reach the server: %s", r.err);
	assert_one_line_error(&r);
	cr_assert(strstr(r.err, "nobody-here.sock") != NULL, "%s", r.err);
	run_free(&r);

	snprintf(env, sizeof env, "JOBS_SERVER=%s", d.url);
	r = run_cmd(argv, NULL, envv);
	cr_assert_eq(r.status, 0, "JOBS_SERVER is used: %s", r.err);
	run_free(&r);

	/* A URL without a scheme gets a hint, not nng's "Invalid argument". */
	snprintf(env, sizeof env, "JOBS_SERVER=127.0.0.1:7499");
	r = run_cmd(argv, NULL, envv);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_str_eq(r.err, "jobsctl: JOBS_SERVER '127.0.0.1:7499' has no scheme; did you "
	                        "mean tcp://127.0.0.1:7499?\n");
	run_free(&r);
	r = run_tool(JOBSCTL_PATH, "/run/jobsd.sock", NULL, "health", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "did you mean ipc:///run/jobsd.sock?"), "%s", r.err);
	run_free(&r);
	r = run_tool(JOBSCTL_PATH, "http://127.0.0.1:7460", NULL, "health", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "tcp://HOST:PORT"), "%s", r.err);
	run_free(&r);
}

/* --timeout bounds the whole call, connecting included: a jobsd that
 * accepts connections but never answers (stopped) costs the timeout, not
 * the library's retries on top of it. */
Test(cli, the_timeout_bounds_the_whole_call)
{
	struct timespec t0, t1;
	struct run r;
	double s;

	cr_assert_eq(kill(d.pid, SIGSTOP), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ctl("--timeout", "1000", "health", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(d.pid, SIGCONT);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_eq(r.status, 5, "%s", r.err);
	assert_one_line_error(&r);
	cr_assert_geq(s, 0.9, "gave up early: %.2f s", s);
	cr_assert_lt(s, 2.5, "--timeout 1000 took %.2f s", s);
	run_free(&r);
	r = ctl("health", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
}

/* --help after a command, or -h, is that command's help: exit 0, no server
 * asked (the one given does not exist), nothing written. */
Test(cli, help_anywhere_without_a_server)
{
	static const char *const lines[][4] = {
	    {"backup", "--help", NULL},        {"get", "--help", NULL},
	    {"list", "--help", NULL},          {"create", "-h", NULL},
	    {"get", "ID", "--json", "--help"}, {"help", "search", NULL},
	    {"search", "x", "-h", NULL},
	};
	char gone[600];

	snprintf(gone, sizeof gone, "ipc://%s/nobody-here.sock", d.dir);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		const char *cmd = strcmp(lines[i][0], "help") == 0 ? lines[i][1] : lines[i][0];
		struct run r = run_tool(JOBSCTL_PATH, gone, NULL, lines[i][0], lines[i][1],
		                        lines[i][2], lines[i][3], NULL);
		char usage[64];

		cr_assert_eq(r.status, 0, "%s %s: %s", lines[i][0], lines[i][1], r.err);
		cr_assert_str_eq(r.err, "");
		snprintf(usage, sizeof usage, "Usage: jobsctl %s ", cmd);
		cr_assert_eq(strncmp(r.out, usage, strlen(usage)), 0, "%s", r.out);
		run_free(&r);
	}
	cr_assert_eq(access("--help", F_OK), -1, "no file named --help");

	struct run r = run_tool(JOBSCTL_PATH, NULL, NULL, "help", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "Exit status"));
	cr_assert_not_null(strstr(r.out, "completion"));
	run_free(&r);
	r = run_tool(JOBSCTL_PATH, NULL, NULL, "--version", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "jobsctl " JOBS_VERSION "\n");
	run_free(&r);
	r = run_tool(JOBSCTL_PATH, NULL, NULL, "help", "create", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "--voice-id"), "%s", r.out);
	run_free(&r);
	r = run_tool(JOBSCTL_PATH, NULL, NULL, "help", "--all", NULL);
	cr_assert_eq(r.status, 0);
	for (size_t c = 0; c < cli_n_commands; c++) {
		char title[64];
		snprintf(title, sizeof title, "\njobsctl %s", cli_commands[c].name);
		cr_assert_not_null(strstr(r.out, title), "%s", title);
	}
	run_free(&r);
}

/* ---- job files ------------------------------------------------------------------ */

Test(cli, create_from_yaml_and_json_files)
{
	const char *yaml = "id: from-yaml\n"
	                   "job_name: \"Caf\\u00e9 launch\"\n"
	                   "product: Espresso Machine\n"
	                   "enabled: false\n"
	                   "created_at: 2025-10-17 12:34:56.789012+02:00\n"
	                   "hook: |\n"
	                   "  First line\n"
	                   "  Second line\n"
	                   "enhanced_settings:\n"
	                   "  camera: {angle: low, moves: [pan, zoom]}\n"
	                   "  seed: 8589934592\n"
	                   "  ratio: 0.75\n"
	                   "  note: null\n"
	                   "tags: [coffee, morning]\n"
	                   "schedule: {cron: '0 9 * * 1'}\n";
	struct run r;
	json_t *o;

	r = ctl("--json", "create", "--file", write_file("job.yaml", yaml), "--product", "Grinder",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "", "tags and schedule are no near miss of a field");
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "job_name"), "Café launch");
	cr_assert_str_eq(json_str(o, "product"), "Grinder", "flags win over the file");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-17T10:34:56.789012Z",
	                 "the same instant");
	cr_assert_str_eq(json_str(o, "hook"), "First line\nSecond line\n");
	json_t *es = json_object_get(o, "enhanced_settings");
	cr_assert_eq(json_integer_value(json_object_get(es, "seed")), 8589934592LL);
	cr_assert_eq(json_real_value(json_object_get(es, "ratio")), 0.75);
	cr_assert(json_is_null(json_object_get(es, "note")));
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "tags"), 1)),
	                 "morning");
	cr_assert_str_eq(json_str(json_object_get(o, "schedule"), "cron"), "0 9 * * 1");
	json_decref(o);
	run_free(&r);

	/* What get --json prints, create --file reads back (etag ignored). */
	r = ctl("--json", "get", "from-yaml", NULL);
	cr_assert_eq(r.status, 0);
	o = json_of(&r);
	json_object_set_new(o, "id", json_string("from-json"));
	char *text = json_dumps(o, 0);
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "create", "--file", write_file("job.json", text), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-17T10:34:56.789012Z");
	cr_assert_str_eq(json_str(json_object_get(o, "schedule"), "cron"), "0 9 * * 1");
	json_decref(o);
	run_free(&r);

	/* --file - reads standard input: JSON, then YAML. */
	{
		const char *argv[] = {JOBSCTL_PATH, "--server", d.url, "--json",
		                      "create",     "--file",   "-",   NULL};
		char *stdin_json = strdup(text);
		char *at = strstr(stdin_json, "from-json");
		memcpy(at, "from-stdn", 9);
		r = run_cmd(argv, stdin_json, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		o = json_of(&r);
		cr_assert_str_eq(json_str(o, "id"), "from-stdn");
		cr_assert_str_eq(json_str(o, "job_name"), "Café launch");
		json_decref(o);
		run_free(&r);
		free(stdin_json);
		r = run_cmd(argv, "id: yaml-stdin\njob_name: From stdin\n", NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		o = json_of(&r);
		cr_assert_str_eq(json_str(o, "job_name"), "From stdin");
		json_decref(o);
		run_free(&r);
		r = run_cmd(argv, "id: x\n  bad: [indent\n", NULL);
		cr_assert_eq(r.status, 2, "%s", r.err);
		cr_assert_eq(strncmp(r.err, "jobsctl: stdin:", 15), 0, "%s", r.err);
		run_free(&r);
	}
	free(text);

	r = ctl("create", "--file", write_file("broken.yaml", "id: x\n  bad: [indent\n"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "broken.yaml:") != NULL, "names the file and place: %s", r.err);
	run_free(&r);
	r = ctl("create", "--file", write_file("list.yaml", "jobs:\n- id: a\n"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);
	r = ctl("create", "--file", write_file("typed.json", "{\"enabled\": \"yes\"}"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "enabled must be true or false") != NULL, "%s", r.err);
	run_free(&r);
}

/* Unknown keys are kept (as legacy keys), but a near miss of a field name
 * is warned about. */
Test(cli, near_miss_keys_are_kept_and_warned_about)
{
	struct run r = ctl("--json", "create", "--name", "Typo", "--file",
	                   write_file("typo.yaml", "job_nmae: Oops\nbrand: Acme\n"
	                                           "voice_id: v1\ncolour: red\n"),
	                   NULL);
	json_t *o;

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "'job_nmae' is no field of a job and is kept as a legacy "
	                                 "key; did you mean job_name?"),
	                   "%s", r.err);
	cr_assert_not_null(strstr(r.err, "'brand' is no field of a job and is kept as a legacy "
	                                 "key; did you mean brand_name?"),
	                   "%s", r.err);
	cr_assert_not_null(strstr(r.err, "did you mean elevenlabs_voice_id?"), "%s", r.err);
	cr_assert_null(strstr(r.err, "colour"), "no field is near colour: %s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "job_nmae"), "Oops", "kept");
	cr_assert_str_eq(json_str(o, "colour"), "red", "kept");
	json_decref(o);
	run_free(&r);
}

/* ---- list, search, stats ------------------------------------------------------------ */

static void
create_catalogue(void)
{
	static const char *const jobs[][12] = {
	    {"--id", "f1", "--name", "Solar Lantern Sale", "--product", "Lamp", "--brand", "Acme",
	     "--language", "English", "--hook", "Light up"},
	    {"--id", "f2", "--name", "Alpha Kettle", "--product", "Kettle", "--brand", "Globex",
	     "--language", "Deutsch", "--hook", "A lantern of tea"},
	    {"--id", "f3", "--name", "Zulu Lamp", "--product", "Lamp", "--brand", "Acme",
	     "--language", "English", "--hook", "Night"},
	    {"--id", "f4", "--name", "Beta Tent", "--product", "Tent", "--brand", "", "--language",
	     "Français", "--hook", "Camp"},
	};

	for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
		struct run r =
		    ctl("create", jobs[i][0], jobs[i][1], jobs[i][2], jobs[i][3], jobs[i][4],
		        jobs[i][5], jobs[i][6], jobs[i][7], jobs[i][8], jobs[i][9], jobs[i][10],
		        jobs[i][11], i == 3 ? "--disabled" : NULL, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		run_free(&r);
	}
}

/* The "id"s of the "jobs" array of a JSON document, "a,b,c" (static). */
static const char *
json_ids(json_t *doc)
{
	static char out[1024];
	json_t *jobs = json_object_get(doc, "jobs"), *j;
	size_t i;

	cr_assert(json_is_array(jobs));
	out[0] = '\0';
	json_array_foreach(jobs, i, j)
	{
		if (i > 0)
			strcat(out, ",");
		strcat(out, json_str(j, "id"));
	}
	return out;
}

/* JSON listings are written a job at a time, and read as if jansson had
 * written the whole document (no reals here, whose digits may differ). */
static void
assert_laid_out_as_one_document(const struct run *r)
{
	json_error_t je;
	json_t *doc = json_loads(r->out, 0, &je);
	char *again;

	cr_assert_not_null(doc, "%s: %s", je.text, r->out);
	again = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2));
	cr_assert_eq(strncmp(r->out, again, strlen(again)), 0, "%s\nvs\n%s", r->out, again);
	cr_assert_str_eq(r->out + strlen(again), "\n");
	free(again);
	json_decref(doc);
}

Test(cli, list_json_shape_and_paging)
{
	struct run r;
	json_t *o;
	char token[256];
	int seen = 0;

	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		create(id, "Paged");
	}
	r = ctl("--json", "list", "--page-size", "2", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "", "the token is in the JSON; no hint");
	o = json_of(&r);
	cr_assert(json_is_array(json_object_get(o, "jobs")));
	cr_assert_eq(json_array_size(json_object_get(o, "jobs")), 2);
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "jobs"), 0), "id"), "p4",
	                 "newest first");
	snprintf(token, sizeof token, "%s", json_str(o, "next_page_token"));
	cr_assert_str_neq(token, "");
	json_decref(o);
	run_free(&r);
	seen = 2;
	while (*token != '\0') {
		r = ctl("--json", "list", "--page-size", "2", "--page-token", token, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		o = json_of(&r);
		seen += (int)json_array_size(json_object_get(o, "jobs"));
		snprintf(token, sizeof token, "%s", json_str(o, "next_page_token"));
		json_decref(o);
		run_free(&r);
	}
	cr_assert_eq(seen, 5);
	r = ctl("list", "--page-token", "garbage!", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);

	/* For people: the data on stdout, the hint for the next page on stderr. */
	r = ctl("list", "--page-size", "2", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "more"), "%s", r.out);
	cr_assert_eq(strncmp(r.err, "jobsctl: more: jobsctl list --page-token '", 42), 0, "%s",
	             r.err);
	run_free(&r);
	/* Limits are refused with the true range, not cut down unsaid. */
	r = ctl("list", "--page-size", "100000", NULL);
	assert_usage_error(&r, "--page-size wants a number from 1 to 1000");
	run_free(&r);
	r = ctl("search", "--limit", "500", "x", NULL);
	assert_usage_error(&r, "--limit wants a number from 1 to 100");
	run_free(&r);
}

Test(cli, list_filters_order_view_and_all)
{
	struct run r;
	json_t *o, *j, *v;
	const char *key;
	size_t i;

	create_catalogue();
	r = ctl("--json", "list", "--product", "Lamp", "--order-by", "job_name:desc", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f3,f1");
	cr_assert_str_eq(json_str(o, "next_page_token"), "");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "list", "--order-by", "job_name", "--enabled", "--brand", "Acme", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1,f3");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "list", "--disabled", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f4");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "list", "--language", "Deutsch", "--since", "2000-01-01", "--until",
	        "2999-01-01T00:00:00Z", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f2");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "list", "--since", "2999-01-01", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "");
	json_decref(o);
	run_free(&r);

	/* Summary: exactly the manifest's fields. */
	r = ctl("--json", "list", "--view", "summary", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	json_array_foreach(json_object_get(o, "jobs"), i, j)
	{
		cr_assert_eq(json_object_size(j), 5, "%s", r.out);
		json_object_foreach(j, key, v)
		{
			cr_assert(strcmp(key, "id") == 0 || strcmp(key, "job_name") == 0 ||
			              strcmp(key, "product") == 0 || strcmp(key, "enabled") == 0 ||
			              strcmp(key, "created_at") == 0,
			          "%s", key);
		}
	}
	json_decref(o);
	run_free(&r);

	/* --all follows every page into one document. */
	r = ctl("--json", "list", "--all", "--page-size", "1", "--order-by", "updated_at:asc",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1,f2,f3,f4");
	cr_assert_str_eq(json_str(o, "next_page_token"), "");
	json_decref(o);
	assert_laid_out_as_one_document(&r);
	run_free(&r);
	r = ctl("--json", "list", "--product", "None such", NULL);
	assert_laid_out_as_one_document(&r);
	run_free(&r);
	r = ctl("--json", "search", "--snippets", "lantern", NULL);
	assert_laid_out_as_one_document(&r);
	run_free(&r);
	r = ctl("--json", "search", "nothing-like-it", NULL);
	assert_laid_out_as_one_document(&r);
	run_free(&r);
	r = ctl("list", "--all", "--page-size", "1", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, "ID ", 3), 0, "one header: %s", r.out);
	cr_assert_null(strstr(r.out + 3, "ID "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "f1 "));
	cr_assert_not_null(strstr(r.out, "f4 "));
	cr_assert_str_eq(r.err, "", "the last page has no next");
	run_free(&r);

	r = ctl("list", "--order-by", "colour", NULL);
	assert_usage_error(&r, "--order-by is created_at, updated_at or job_name");
	run_free(&r);
	r = ctl("list", "--order-by", "job_name:up", NULL);
	assert_usage_error(&r, "the direction is :asc or :desc");
	run_free(&r);
	r = ctl("list", "--view", "tiny", NULL);
	assert_usage_error(&r, "--view is full or summary, not 'tiny'");
	run_free(&r);
	r = ctl("list", "--since", "yesterday", NULL);
	assert_usage_error(&r, "--since wants a time");
	run_free(&r);
}

Test(cli, tables_for_people_and_for_scripts)
{
	struct run r;

	create_catalogue();
	r = ctl("list", "--no-headers", "--order-by", "job_name", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, "f2 ", 3), 0, "no header: %s", r.out);
	run_free(&r);
	r = ctl("list", "-o", "id", "--order-by", "job_name", NULL);
	cr_assert_str_eq(r.out, "f2\nf4\nf1\nf3\n");
	run_free(&r);
	r = ctl("list", "-o", "wide", NULL);
	cr_assert_not_null(strstr(r.out, "BRAND"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Globex"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "UPDATED (UTC)"), "%s", r.out);
	run_free(&r);
	r = ctl("list", "--columns", "name,hook", "--order-by", "job_name", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *head = "NAME                HOOK\nAlpha Kettle        A lantern of tea\n";
	cr_assert_eq(strncmp(r.out, head, strlen(head)), 0, "%s", r.out);
	run_free(&r);
	r = ctl("list", "--columns", "name,colour", NULL);
	assert_usage_error(&r, "--columns: no column 'colour'");
	run_free(&r);
	r = ctl("list", "--columns", "hook", "--view", "summary", NULL);
	assert_usage_error(&r, "--view summary has only");
	run_free(&r);
	r = ctl("list", "--json", "--no-headers", NULL);
	assert_usage_error(&r, "--no-headers is for tables");
	run_free(&r);
	/* Nothing found: said on stderr, stdout stays empty. */
	r = ctl("list", "--product", "Nothing", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_str_eq(r.err, "jobsctl: no jobs found\n");
	run_free(&r);
	r = ctl("-o", "json", "list", "--product", "Nothing", NULL);
	cr_assert_str_eq(r.err, "");
	json_decref(json_of(&r));
	run_free(&r);
}

/* On a terminal, rows fit its width; piped, values are whole. */
Test(cli, output_fits_a_terminal_and_is_whole_when_piped)
{
	const char *long_name = "A very long campaign name that goes on and on, well past the edge";
	const char *argv[] = {JOBSCTL_PATH, "--server", d.url, "list", NULL};
	const char *get[] = {JOBSCTL_PATH, "--server", d.url, "get", "wide", NULL};
	struct run r;

	r = ctl("create", "--id", "wide", "--name", long_name, "--product", "夏季促销 ランタン",
	        "--hook", "words words words words words words words words words words words",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = run_pty(argv, 80, NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	for (char *line = strtok(r.out, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
		cr_assert_leq(render_width_of(line), 80, "'%s'", line);
	run_free(&r);
	r = run_pty(argv, 80, NULL);
	cr_assert_not_null(strstr(r.out, "…"), "cut: %s", r.out);
	run_free(&r);

	r = run_pty(get, 50, NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "hook                words words words words words\r\n"
	                                 "                    words words words words words\r\n"),
	                   "wrapped under itself: %s", r.out);
	run_free(&r);

	r = ctl("list", NULL);
	cr_assert_not_null(strstr(r.out, long_name), "whole: %s", r.out);
	run_free(&r);
}

Test(cli, search_json_shape_snippets_and_hostile_text)
{
	struct run r;
	json_t *o, *sn;

	create_catalogue();
	r = ctl("--json", "search", "lantern", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1,f2", "the name match first");
	cr_assert_str_eq(json_str(o, "next_page_token"), "");
	cr_assert_null(json_object_get(o, "snippets"));
	cr_assert_not_null(json_object_get(json_array_get(json_object_get(o, "jobs"), 0), "hook"),
	                   "full jobs");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "search", "--snippets", "--limit", "1", "lantern", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1");
	cr_assert_str_neq(json_str(o, "next_page_token"), "");
	sn = json_array_get(json_object_get(o, "snippets"), 0);
	cr_assert_str_eq(json_str(sn, "id"), "f1");
	cr_assert_not_null(strstr(json_str(sn, "snippet"), "[Lantern]"), "%s",
	                   json_str(sn, "snippet"));
	char token[256];
	snprintf(token, sizeof token, "%s", json_str(o, "next_page_token"));
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "--snippets", "--limit", "1", "--page-token", token, "lantern",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f2");
	json_decref(o);
	run_free(&r);

	r = ctl("search", "--snippets", "lantern", "of", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "    A [lantern] [of] tea\n"), "%s", r.out);
	run_free(&r);
	r = ctl("--json", "search", "--substring", "ntern", "--product", "Lamp", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "--view", "summary", "--disabled", "camp", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f4");
	cr_assert_null(json_object_get(json_array_get(json_object_get(o, "jobs"), 0), "hook"));
	json_decref(o);
	run_free(&r);

	r = ctl("search", "'; DROP TABLE jobs; --", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("search", "NEAR(", "\"", "OR", "^lamp", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("search", "(", ")", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);
	r = ctl("search", "--substring", "ab", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "at least 3 characters"), "%s", r.err);
	run_free(&r);
	r = ctl("search", NULL);
	assert_usage_error(&r, "missing TEXT");
	run_free(&r);
	r = ctl("--json", "list", NULL);
	o = json_of(&r);
	cr_assert_eq(json_array_size(json_object_get(o, "jobs")), 4, "nothing was harmed");
	json_decref(o);
	run_free(&r);
}

/* Search never fails silently: words that match nothing are tried inside
 * words, and a one-letter prefix says what is wrong. */
Test(cli, search_says_why_it_finds_nothing)
{
	struct run r;
	json_t *o;

	create_catalogue();
	create("cjk", "夏季促销 ランタン");
	r = ctl("search", "ntern", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "f1 "), "found inside a word: %s", r.out);
	cr_assert_not_null(strstr(r.err, "no job has the words 'ntern'"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "--substring"), "%s", r.err);
	run_free(&r);
	/* For scripts, the answer stays the words' answer, and stderr says how. */
	r = ctl("--json", "search", "ntern", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "");
	json_decref(o);
	cr_assert_not_null(strstr(r.err, "--substring"), "%s", r.err);
	run_free(&r);
	r = ctl("search", "zz", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert_not_null(strstr(r.err, "--substring"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "no jobs found"), "%s", r.err);
	run_free(&r);

	r = ctl("search", "a*", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "a prefix needs at least 2 letters"), "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	/* What help search says works for text without spaces. */
	r = ctl("--json", "search", "夏季*", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "cjk");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "--substring", "季促销", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "cjk");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "ランタン", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "cjk", "a whole run is a word");
	json_decref(o);
	run_free(&r);
	/* And any word inside a run, of one character or more (issue 20). */
	r = ctl("--json", "search", "夏季", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "cjk", "%s", r.err);
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "--substring", "季促", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "cjk", "%s", r.err);
	json_decref(o);
	run_free(&r);
	r = run_tool(JOBSCTL_PATH, NULL, NULL, "help", "search", NULL);
	cr_assert_not_null(strstr(r.out, "夏季 and 促销 both find 夏季促销"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "at least 2 letters before *"), "%s", r.out);
	run_free(&r);
}

Test(cli, stats_json_shape_groups_and_the_chart)
{
	char first_day[11], last_day[11], day[16], *line;
	struct run r;
	json_t *o, *a;
	json_int_t made = 0;
	long long count;
	int n_days = 0;

	utc_day(first_day);
	create_catalogue();
	r = ctl("--json", "stats", NULL);
	utc_day(last_day);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_integer_value(json_object_get(o, "total_jobs")), 4);
	cr_assert_eq(json_integer_value(json_object_get(o, "enabled_jobs")), 3);
	cr_assert_eq(json_integer_value(json_object_get(o, "disabled_jobs")), 1);
	cr_assert_eq(json_integer_value(json_object_get(o, "unique_products")), 3);
	cr_assert_eq(json_integer_value(json_object_get(o, "unique_personas")), 1);
	a = json_object_get(o, "by_product");
	cr_assert_eq(json_array_size(a), 3);
	cr_assert_str_eq(json_str(json_array_get(a, 0), "product"), "Lamp");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "count")), 2);
	cr_assert_eq(json_object_size(json_array_get(a, 0)), 2, "product and count only");
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "by_language"), 0), "language"),
	                 "English");
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "by_persona"), 0), "persona"),
	                 "");
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "by_brand"), 0), "brand"),
	                 "Acme");
	a = json_object_get(o, "created_per_day");
	cr_assert_eq(json_array_size(a), 30, "the plain numbers keep every day");
	/* All four on the day they were made: today, or across midnight (UTC)
	 * yesterday too. */
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);

		if (json_integer_value(json_object_get(e, "count")) > 0)
			cr_assert(strcmp(json_str(e, "date"), first_day) == 0 ||
			              strcmp(json_str(e, "date"), last_day) == 0,
			          "%s is neither %s nor %s", json_str(e, "date"), first_day,
			          last_day);
		made += json_integer_value(json_object_get(e, "count"));
	}
	cr_assert_eq(made, 4, "created today");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "stats", "--by", "product", "--top", "1", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_array_size(json_object_get(o, "by_product")), 1);
	cr_assert_null(json_object_get(o, "by_language"));
	cr_assert_null(json_object_get(o, "by_brand"));
	cr_assert_eq(json_integer_value(json_object_get(o, "total_jobs")), 4);
	json_decref(o);
	run_free(&r);

	r = ctl("stats", "--by", "brand", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, "4 jobs: 3 enabled, 1 disabled\n", 30), 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\nBRAND   JOBS\nAcme       2\n"), "%s", r.out);
	cr_assert_null(strstr(r.out, "\nPRODUCT "), "%s", r.out);
	/* The chart: only the days that have jobs (all made today, or across
	 * midnight yesterday too), a bar each. */
	line = strstr(r.out, "\nCREATED ON  JOBS\n");
	cr_assert_not_null(line, "%s", r.out);
	for (line = strtok(line + strlen("\nCREATED ON  JOBS\n"), "\n"); line != NULL;
	     line = strtok(NULL, "\n"), n_days++) {
		cr_assert_eq(sscanf(line, "%15s %lld", day, &count), 2, "%s", line);
		cr_assert(strcmp(day, first_day) == 0 || strcmp(day, last_day) == 0, "%s", line);
		cr_assert_not_null(strstr(line, "  █"), "a bar: %s", line);
		made -= count;
	}
	cr_assert_eq(made, 0, "the chart counts all four");
	cr_assert_leq(n_days, 2);
	run_free(&r);
	r = ctl("stats", "--since", "2001-01-01", "--until", "2001-01-10", NULL);
	cr_assert_not_null(strstr(r.out, "no jobs created from 2001-01-01 to 2001-01-09"), "%s",
	                   r.out);
	run_free(&r);
	r = ctl("stats", "--by", "colour", NULL);
	assert_usage_error(&r, "--by is product, language, persona or brand");
	run_free(&r);
	r = ctl("stats", "--top", "0", NULL);
	assert_usage_error(&r, "--top wants a number from 1 to 1000");
	run_free(&r);
}

/* ---- import: the report and the progress ------------------------------------- */

Test(cli, import_keeps_nameless_legacy_jobs_and_counts_from_one)
{
	const char *yaml = "jobs:\n"
	                   "- id: named\n"
	                   "  job_name: Named\n"
	                   "- id: nameless\n"
	                   "  product: Lamp\n"
	                   "- job_name: No Id\n"
	                   "- id: named\n"
	                   "  job_name: Twice\n";
	struct run r = ctl("import", write_file("legacy.yaml", yaml), NULL);
	json_t *o;

	cr_assert_eq(r.status, 2, "a job without an id: %s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "imported 2 of 4 jobs"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "1 jobs imported without a job_name"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "  'nameless' (job 2, line 4)\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "no_id: \"No Id\" (job 3, line 6)"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "duplicate_id: 'named' \"Twice\" (job 4, line 7): the id "
	                                 "is also that of job 1, line 2"),
	                   "%s", r.out);
	run_free(&r);
	r = ctl("--json", "get", "nameless", NULL);
	cr_assert_eq(r.status, 0, "imported without a name: %s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "job_name"), "");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "import", "--dry-run", write_file("again.yaml", "jobs:\n- id: x2\n"),
	        NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "unnamed"), 0), "id"), "x2");
	json_decref(o);
	run_free(&r);
}

/* jobsd's own import (--import-legacy, the start-up migration) names them
 * in its log. */
Test(cli, jobsd_logs_the_nameless_jobs_it_imports)
{
	const char *extra[] = {"--import-legacy", NULL, NULL};
	struct jobsd d2;
	char *log = NULL;

	extra[1] = write_file("nameless.yaml", "jobs:\n- id: named\n  job_name: Named\n"
	                                       "- id: nameless\n  product: Lamp\n");
	cr_assert(jobsd_start(&d2, NULL, extra));
	for (int i = 0; i < 600; i++) {
		struct timespec pause = {0, 50 * 1000 * 1000};

		free(log);
		log = read_file(d2.log, NULL);
		if (log != NULL && strstr(log, "legacy import: imported") != NULL)
			break;
		nanosleep(&pause, NULL);
	}
	cr_assert_not_null(strstr(log, "legacy import: imported 2 of 2 jobs"), "%s", log);
	cr_assert_not_null(strstr(log, "legacy import: job nameless has no job_name"), "%s", log);
	free(log);
	cr_assert_eq(jobsd_cleanup(&d2), 0);
}

Test(cli, import_progress_in_whole_numbers)
{
	const char *argv[] = {JOBSCTL_PATH, "--server", d.url, "import", NULL, NULL};
	char *yaml = malloc(1 << 20), *p = yaml;
	struct run r;

	p += sprintf(p, "jobs:\n");
	for (int i = 0; i < 3000; i++)
		p += sprintf(p, "- {id: prog-%d, job_name: Job %d, hook: '%s'}\n", i, i,
		             "padding padding padding padding padding padding padding");
	argv[4] = write_file("progress.yaml", yaml);
	free(yaml);
	r = run_pty(argv, 120, NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "imported 3000 of 3000 jobs"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "import: reading: "), "a progress line: %s", r.out);
	cr_assert_not_null(strstr(r.out, "KiB"), "sizes in a unit that fits: %s", r.out);
	cr_assert_not_null(strstr(r.out, "of 3000 jobs)"), "whole jobs: %s", r.out);
	cr_assert_null(strstr(r.out, ".0 of"), "no fractions of jobs: %s", r.out);
	/* (" MiB": the folder's random name may hold "MB") */
	cr_assert_null(strstr(r.out, " MiB"), "%s", r.out);
	run_free(&r);
}

/* A local path that is not there is exit 3 (not found), one that may not be
 * written exit 6, never 5, which says jobsd could not be reached. */
Test(cli, export_and_import_name_local_path_problems)
{
	char path[700];
	struct run r;

	create("one", "One");
	snprintf(path, sizeof path, "%s/no-such-folder/out.yaml", d.dir);
	r = ctl("export", path, NULL);
	cr_assert_eq(r.status, 3, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "No such file or directory (NOT_FOUND)"), "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);
	snprintf(path, sizeof path, "%s/one.yaml/out.yaml", d.dir);
	write_file("one.yaml", "not a folder\n");
	r = ctl("export", "--format", "json", path, NULL);
	cr_assert_eq(r.status, 3, "%s", r.err);
	run_free(&r);
	r = ctl("export", "out.txt", NULL);
	assert_usage_error(&r, "which format? give --format yaml, yaml-dir or json");
	run_free(&r);
	snprintf(path, sizeof path, "%s/no-such-file.yaml", d.dir);
	r = ctl("import", path, NULL);
	cr_assert_eq(r.status, 3, "%s", r.err);
	run_free(&r);
}

/* ---- completions, run by the shells ----------------------------------------------- */

/* The words bash completes `line` to, with the script jobsctl prints. */
static struct run
bash_complete(const char *line)
{
	char script[4096];
	const char *argv[] = {"/bin/bash", "--norc", "--noprofile", "-c", script, NULL};

	snprintf(script, sizeof script,
	         "source /usr/share/bash-completion/bash_completion || exit 1\n"
	         "source <(%s completion bash)\n"
	         "COMP_LINE='%s'; COMP_POINT=${#COMP_LINE}\n"
	         "read -ra COMP_WORDS <<<\"$COMP_LINE\"\n"
	         "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
	         "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
	         "_jobsctl jobsctl \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
	         "printf '%%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '\n",
	         JOBSCTL_PATH, line);
	return run_cmd(argv, NULL, NULL);
}

Test(cli, bash_completes_commands_flags_and_values)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
	    {"jobsctl li", "list "},
	    {"jobsctl list --or", "--order-by "},
	    {"jobsctl list --no", "--no-headers "},
	    {"jobsctl --json list --vi", "--view "},
	    {"jobsctl export --format ", "json yaml yaml-dir "},
	    {"jobsctl stats --by pe", "persona "},
	    {"jobsctl -s ipc:///x se", "search "},
	    {"jobsctl help up", "update "},
	    {"jobsctl completion ", "bash zsh "},
	    {"jobsctl update x --i", "--if-etag "},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run r = bash_complete(cases[i].line);
		cr_assert_eq(r.status, 0, "%s: %s", cases[i].line, r.err);
		cr_assert_str_eq(r.out, cases[i].want, "%s", cases[i].line);
		run_free(&r);
	}
}

/* zsh completes in a real interactive zsh on a pseudo-terminal
 * (tests/complete.zsh): what a person gets on pressing Tab. */
Test(cli, zsh_completes_commands_flags_and_values)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
	    {"jobsctl li", "list "},
	    {"jobsctl list --or", "--order-by "},
	    {"jobsctl export --format ", "json yaml yaml-dir "},
	    {"jobsctl list --enabled --dis", ""}, /* they exclude each other */
	    {"jobsctl stats --by product --by pe", "persona "},
	    {"jobsctl completion ", "bash zsh "},
	};
	char dir[600], path[700];
	struct run r;
	FILE *f;

	snprintf(dir, sizeof dir, "%s/zfunc", d.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/_jobsctl", dir);
	r = run_tool(JOBSCTL_PATH, NULL, NULL, "completion", "zsh", NULL);
	cr_assert_eq(r.status, 0);
	f = fopen(path, "w");
	fputs(r.out, f);
	fclose(f);
	run_free(&r);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[] = {"/usr/bin/zsh", "-f", TESTS_DIR "/complete.zsh", dir,
		                      cases[i].line,  NULL};
		r = run_cmd(argv, NULL, NULL);
		cr_assert_eq(r.status, 0, "%s: %s", cases[i].line, r.err);
		cr_assert_str_eq(r.out, cases[i].want, "%s", cases[i].line);
		run_free(&r);
	}
}

/* `jobsctl list | head -1` once head has gone: jobsctl stops quietly, as
 * `seq 100000 | head -1` does: SIGPIPE (141), or exit 0 where a parent left
 * SIGPIPE ignored; never an error message. */
Test(cli, a_reader_that_went_away_ends_the_output_quietly)
{
	const char *list[] = {JOBSCTL_PATH, "--server", d.url, "list", NULL};
	const char *json[] = {JOBSCTL_PATH, "--server", d.url, "--json", "list", NULL};
	const char *export[] = {JOBSCTL_PATH, "--server", d.url, "export",
	                        "--format",   "json",     "-",   NULL};
	const char *const *runs[] = {list, json, export};

	create("pipe-1", "first");
	create("pipe-2", "second");
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		for (int ignored = 0; ignored < 2; ignored++) {
			struct run r = run_reader_gone(runs[i], ignored);

			cr_assert(r.status == (ignored ? 0 : 128 + SIGPIPE),
			          "%s %s, SIGPIPE %s: %d: %s", runs[i][3],
			          runs[i][4] ? runs[i][4] : "", ignored ? "ignored" : "default",
			          r.status, r.err);
			cr_assert_str_eq(r.err, "", "nothing to say: %s", r.err);
			run_free(&r);
		}
	}
}

/* A server list, as --server and as JOBS_SERVER: read as libjobsclient
 * reads it (blanks around entries ignored), a dead entry passed over, and
 * its faults named by what is wrong with the list. */
Test(cli, a_server_list_with_blanks_a_dead_entry_and_faults)
{
	const char *argv[] = {JOBSCTL_PATH, "health", NULL};
	const char *envv[] = {NULL, NULL};
	char list[1400], env[1500], gone[600];
	struct jobsd d2;
	struct run r;
	static const struct {
		const char *list, *says;
	} bad[] = {
	    {"tcp://127.0.0.1:1,,tcp://127.0.0.1:2",
	     "the server list has an empty entry (number 2)"},
	    {",", "the server list has an empty entry (number 1)"},
	    {"tcp://127.0.0.1:1,", "the server list has an empty entry (number 2)"},
	    {"tcp://127.0.0.1:1, 127.0.0.1:2", "'127.0.0.1:2' has no scheme; did you mean tcp://"},
	    {"tcp://127.0.0.1:1,tcp://127.0.0.1:1", "names tcp://127.0.0.1:1 twice"},
	};

	cr_assert(jobsd_start(&d2, NULL, NULL));
	snprintf(list, sizeof list, " %s , %s\t", d.url, d2.url);
	r = run_tool(JOBSCTL_PATH, list, NULL, "health", NULL);
	cr_assert_eq(r.status, 0, "--server '%s': %s", list, r.err);
	run_free(&r);
	snprintf(env, sizeof env, "JOBS_SERVER=%s,%s", d.url, d2.url);
	envv[0] = env;
	r = run_cmd(argv, NULL, envv);
	cr_assert_eq(r.status, 0, "%s: %s", env, r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d2), 0);

	/* One of the two gone: the calls go to the other. */
	snprintf(gone, sizeof gone, "ipc://%s/nobody-here.sock", d.dir);
	snprintf(list, sizeof list, "%s,%s", gone, d.url);
	for (int i = 0; i < 5; i++) {
		r = run_tool(JOBSCTL_PATH, list, NULL, "health", NULL);
		cr_assert_eq(r.status, 0, "--server '%s': %s", list, r.err);
		run_free(&r);
	}

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = run_tool(JOBSCTL_PATH, bad[i].list, NULL, "health", NULL);
		cr_assert_eq(r.status, 2, "--server '%s': exit %d: %s", bad[i].list, r.status,
		             r.err);
		assert_one_line_error(&r);
		cr_assert_not_null(strstr(r.err, bad[i].says), "--server '%s': %s", bad[i].list,
		                   r.err);
		run_free(&r);
	}
}
