/*
 * args.c: jobsctl's command line, read and described from the table in
 * cmdtable.c: the parser, help, and the bash and zsh completion scripts.
 *
 * The parser works as kubectl's and gh's do: global flags anywhere on the
 * line, a command's flags before or after its positional arguments, "--"
 * ending the flags, and --help after a command meaning that command's help.
 * It checks everything the table states (kinds, ranges, choices, flags that
 * exclude each other), so the handlers get values they can use.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- looking things up ----------------------------------------------------- */

/* Runs body with idvar set to each flag `cmd` takes, globals first; cmd may
 * be NULL (the globals only). */
#define FOR_EACH_FLAG(cmd, idvar, body)                                                            \
	do {                                                                                       \
		for (const enum flag_id *p_ = cli_global_flags; *p_ != F_NONE; p_++) {             \
			enum flag_id idvar = *p_;                                                  \
			body;                                                                      \
		}                                                                                  \
		for (const struct flag_section *s_ = (cmd) != NULL ? (cmd)->sections : NULL;       \
		     s_ != NULL && s_->title != NULL; s_++)                                        \
			for (const enum flag_id *p_ = s_->flags; *p_ != F_NONE; p_++) {            \
				enum flag_id idvar = *p_;                                          \
				body;                                                              \
			}                                                                          \
	} while (0)

/* The flag of `cmd` (or a global) called `name` (len bytes), or -- when
 * short_name is not 0 -- with that short name. F_NONE if none. */
static enum flag_id
flag_lookup(const struct command *cmd, const char *name, size_t len, char short_name)
{
	enum flag_id found = F_NONE;

	FOR_EACH_FLAG(cmd, id, {
		const struct flag *f = &cli_flags[id];
		if (found == F_NONE &&
		    (short_name != 0 ? f->short_name == short_name
		                     : strlen(f->name) == len && strncmp(f->name, name, len) == 0))
			found = id;
	});
	return found;
}

/* Whether any command has a flag of this name that takes a value: what the
 * first pass needs to skip values before it knows the command. */
static bool
any_flag_takes_value(const char *name, size_t len, char short_name)
{
	for (size_t i = 0; i < cli_n_commands; i++) {
		enum flag_id id = flag_lookup(&cli_commands[i], name, len, short_name);
		if (id != F_NONE && cli_flags[id].kind != ARG_NONE)
			return true;
	}
	return false;
}

/* ---- near misses ------------------------------------------------------------ */

/* A letter of a name, as a typo compares it: case and '-' for '_' do not
 * count. */
static int
fold(char c)
{
	return c == '-' ? '_' : tolower((unsigned char)c);
}

/* The optimal string alignment distance (Levenshtein plus swapped
 * neighbours) between a and b, up to 32 bytes each; 99 when longer. */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int cost = fold(a[i - 1]) != fold(b[j - 1]);
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
			    fold(a[i - 2]) == fold(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *
nearest_word(const char *s, const char *const *words)
{
	const char *best = NULL;
	int best_d = INT_MAX;
	size_t len = strlen(s);
	/* One edit in a short word, two in a longer one: beyond that the
	 * "suggestion" is a guess. */
	int max_d = len <= 4 ? 1 : 2;

	if (len < 2)
		return NULL;
	for (; *words != NULL; words++) {
		int d = distance(s, *words);
		if (d < best_d) {
			best_d = d;
			best = *words;
		}
	}
	return best_d <= max_d ? best : NULL;
}

/* The flag nearest to "--name" among those of cmd: for "did you mean". */
static const char *
nearest_flag(const struct command *cmd, const char *name)
{
	const char *names[N_FLAGS + 1];
	size_t n = 0;

	FOR_EACH_FLAG(cmd, id, {
		if (n < N_FLAGS)
			names[n++] = cli_flags[id].name;
	});
	names[n] = NULL;
	return nearest_word(name, names);
}

static const char *
nearest_command(const char *name)
{
	const char *names[64];
	size_t n = 0;

	for (size_t i = 0; i < cli_n_commands && n < 63; i++)
		names[n++] = cli_commands[i].name;
	names[n] = NULL;
	return nearest_word(name, names);
}

/* ---- parsing --------------------------------------------------------------- */

struct parser {
	struct args *a;
	char *err;
	size_t errlen;
	bool failed;
};

/* Records the first error (prefixed by the command's name); later ones are
 * consequences. */
static void __attribute__((format(printf, 2, 3))) perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->failed)
		return;
	p->failed = true;
	if (p->a->cmd != NULL)
		n = snprintf(p->err, p->errlen, "%s: ", p->a->cmd->name);
	if (n < 0 || (size_t)n >= p->errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* "a, b or c" from "a|b|c", into buf. */
static const char *
choice_list(const char *choices, char *buf, size_t len)
{
	size_t n = 0, k = 0, bars = 0;

	for (const char *c = choices; *c != '\0'; c++)
		bars += *c == '|';
	for (const char *c = choices; *c != '\0' && n + 6 < len; c++) {
		if (*c != '|') {
			buf[n++] = *c;
			continue;
		}
		k++;
		n += (size_t)snprintf(buf + n, len - n, "%s", k == bars ? " or " : ", ");
	}
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}

static bool
is_choice(const char *choices, const char *v)
{
	size_t len = strlen(v);

	for (const char *c = choices; c != NULL && *c != '\0';) {
		const char *end = strchr(c, '|');
		size_t n = end != NULL ? (size_t)(end - c) : strlen(c);

		if (n == len && strncmp(c, v, n) == 0)
			return true;
		c = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* Checks a value against its flag's kind. */
static void
check_value(struct parser *p, const struct flag *f, const char *v)
{
	char buf[256], *end;
	int64_t us;
	long n;

	switch (f->kind) {
	case ARG_NUMBER:
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || n < f->min || n > f->max)
			perr(p, "--%s wants a number from %ld to %ld, not '%s'", f->name, f->min,
			     f->max, v);
		break;
	case ARG_CHOICE:
		if (!is_choice(f->choices, v))
			perr(p, "--%s is %s, not '%s'", f->name,
			     choice_list(f->choices, buf, sizeof buf), v);
		break;
	case ARG_TIME:
		if (jobs_time_parse(v, false, &us) != JOBS_OK)
			perr(p,
			     "--%s wants a time such as 2026-11-24T10:00:00Z or 2026-11-24, not "
			     "'%s'",
			     f->name, v);
		break;
	default:
		break;
	}
}

static void
add_flag(struct parser *p, enum flag_id id, const char *value)
{
	struct args *a = p->a;
	const struct flag *f = &cli_flags[id];

	if (id == F_HELP)
		a->help = true;
	if (id == F_VERSION)
		a->version = true;
	if (value != NULL)
		check_value(p, f, value);
	for (size_t i = 0; i < a->n_flags && !f->repeatable; i++) {
		if (a->flags[i].id != id)
			continue;
		if (value == NULL || strcmp(a->flags[i].value, value) == 0)
			return; /* the same thing twice says it once */
		perr(p, "--%s is given twice ('%s', then '%s'); give it once", f->name,
		     a->flags[i].value, value);
		return;
	}
	a->flags[a->n_flags++] = (struct given){id, value};
}

/*
 * The first pass: which word names the command. Flag values are skipped;
 * before the command is known, a flag whose name some command takes with a
 * value is taken to have one.
 */
static int
find_command_word(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		bool takes;

		if (strcmp(s, "--") == 0)
			return i + 1 < argc ? i + 1 : -1;
		if (s[0] != '-' || s[1] == '\0')
			return i;
		if (s[1] == '-') {
			const char *eq = strchr(s + 2, '=');
			size_t len = eq != NULL ? (size_t)(eq - s - 2) : strlen(s + 2);
			enum flag_id g = flag_lookup(NULL, s + 2, len, 0);

			if (eq != NULL)
				continue;
			takes = g != F_NONE ? cli_flags[g].kind != ARG_NONE
			                    : any_flag_takes_value(s + 2, len, 0);
		} else {
			/* -xyz: the first that takes a value takes the rest, or the
			 * next word when it is last. */
			takes = false;
			for (const char *c = s + 1; *c != '\0'; c++) {
				enum flag_id g = flag_lookup(NULL, NULL, 0, *c);

				if (g != F_NONE ? cli_flags[g].kind != ARG_NONE
				                : any_flag_takes_value(NULL, 0, *c)) {
					takes = c[1] == '\0';
					break;
				}
			}
		}
		if (takes)
			i++;
	}
	return -1;
}

int
args_parse(int argc, char **argv, struct args *a, char *err, size_t errlen)
{
	struct parser p = {a, err, errlen, false};
	int cmd_at = find_command_word(argc, argv);
	bool flags_done = false;

	*a = (struct args){0};
	err[0] = '\0';
	a->flags = calloc((size_t)argc + 1, sizeof *a->flags);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	if (a->flags == NULL || a->pos == NULL) {
		snprintf(err, errlen, "out of memory");
		return EXIT_ERROR;
	}
	if (cmd_at > 0 && (a->cmd = command_find(argv[cmd_at])) == NULL) {
		const char *near = nearest_command(argv[cmd_at]);
		perr(&p, "no command '%s'%s%s%s", argv[cmd_at], near ? "; did you mean '" : "",
		     near ? near : "", near ? "'?" : "");
	}
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], *value = NULL, *name;
		enum flag_id id;
		size_t len;
		char shortname = 0;

		if (i == cmd_at)
			continue;
		if (flags_done || s[0] != '-' || s[1] == '\0') {
			a->pos[a->n_pos++] = argv[i];
			continue;
		}
		if (strcmp(s, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (s[1] == '-') {
			const char *eq = strchr(s + 2, '=');

			name = s + 2;
			len = eq != NULL ? (size_t)(eq - name) : strlen(name);
			if (eq != NULL)
				value = eq + 1;
		} else {
			name = s + 1;
			len = 1;
			shortname = s[1];
			if (s[2] != '\0')
				value = s + 2;
		}
		id = flag_lookup(a->cmd, name, len, shortname);
		if (id == F_NONE) {
			char flag[64];
			const char *near;

			snprintf(flag, sizeof flag, "%.*s", (int)len, name);
			near = shortname == 0 ? nearest_flag(a->cmd, flag) : NULL;
			if (near != NULL)
				perr(&p, "unknown flag %s%s; did you mean --%s?",
				     shortname ? "-" : "--", flag, near);
			else
				perr(&p, "unknown flag %s%s", shortname ? "-" : "--", flag);
			continue;
		}
		if (cli_flags[id].kind == ARG_NONE && value != NULL) {
			if (shortname == 0) {
				perr(&p, "--%s takes no value", cli_flags[id].name);
				continue;
			}
			/* -jA, -Aowide: short flags together, as getopt reads them;
			 * one that takes a value takes the rest. */
			for (const char *c = s + 1; *c != '\0'; c++) {
				enum flag_id b = flag_lookup(a->cmd, NULL, 0, *c);

				if (b == F_NONE) {
					perr(&p, "unknown flag -%c in %s", *c, s);
					break;
				}
				if (cli_flags[b].kind == ARG_NONE) {
					add_flag(&p, b, NULL);
					continue;
				}
				if (c[1] != '\0')
					add_flag(&p, b, c + 1);
				else if (i + 1 < argc)
					add_flag(&p, b, argv[++i]);
				else
					perr(&p, "-%c wants a value (%s)", *c,
					     cli_flags[b].metavar);
				break;
			}
			continue;
		}
		if (cli_flags[id].kind != ARG_NONE && value == NULL) {
			if (i + 1 >= argc) {
				perr(&p, "--%s wants a value (%s)", cli_flags[id].name,
				     cli_flags[id].metavar);
				continue;
			}
			value = argv[++i];
		}
		add_flag(&p, id, value);
	}
	/* Flags that exclude each other. */
	for (size_t i = 0; i < a->n_flags; i++)
		for (size_t j = i + 1; j < a->n_flags; j++) {
			const struct flag *x = &cli_flags[a->flags[i].id],
			                  *y = &cli_flags[a->flags[j].id];

			if (x->group != 0 && x->group == y->group && x != y)
				perr(&p, "--%s and --%s cannot be used together", x->name, y->name);
		}
	if (a->help || a->version)
		return EXIT_OK;
	if (a->cmd == NULL && !p.failed)
		perr(&p, "no command given");
	if (a->cmd != NULL && !p.failed) {
		const struct command *c = a->cmd;

		if (a->n_pos < (size_t)c->min_args)
			perr(&p, "missing %s", c->synopsis);
		else if (c->max_args >= 0 && a->n_pos > (size_t)c->max_args)
			perr(&p, "unexpected argument '%s'", a->pos[c->max_args]);
		else if (c->pos == POS_CHOICE && a->n_pos > 0 &&
		         !is_choice(c->pos_choices, a->pos[0]))
			perr(&p, "%s is %s, not '%s'", c->synopsis,
			     choice_list(c->pos_choices, (char[64]){0}, 64), a->pos[0]);
	}
	return p.failed ? EXIT_INVALID : EXIT_OK;
}

void
args_free(struct args *a)
{
	free(a->flags);
	free(a->pos);
	*a = (struct args){0};
}

bool
arg_given(const struct args *a, enum flag_id id)
{
	for (size_t i = 0; i < a->n_flags; i++)
		if (a->flags[i].id == id)
			return true;
	return false;
}

const char *
arg_value(const struct args *a, enum flag_id id)
{
	const char *v = NULL;

	for (size_t i = 0; i < a->n_flags; i++)
		if (a->flags[i].id == id)
			v = a->flags[i].value;
	return v;
}

long
arg_number(const struct args *a, enum flag_id id, long dflt)
{
	const char *v = arg_value(a, id);
	return v != NULL ? strtol(v, NULL, 10) : dflt;
}

/* ---- help ------------------------------------------------------------------ */

#define HELP_WIDTH 79
#define FLAG_COL   28

/* Prints `text` from column `col`, wrapped at spaces to HELP_WIDTH, later
 * lines indented by `indent`; ends the line. */
static void
wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p != '\0') {
		const char *end = p, *brk = NULL;
		int room = HELP_WIDTH - col;

		const char *before = NULL; /* the space before brk */

		/* Take words while they fit (bytes are near enough columns here:
		 * the help is ASCII but for a few examples). */
		while (*end != '\0' && (end - p < room || brk == NULL)) {
			if (*end == ' ') {
				before = brk;
				brk = end;
			}
			end++;
		}
		if (*end == '\0' || brk == NULL)
			brk = end;
		/* A line never starts with "-": help2man would take it for a flag. */
		else if (brk[1] == '-' && before != NULL)
			brk = before;
		fprintf(f, "%.*s\n", (int)(brk - p), p);
		p = *brk == ' ' ? brk + 1 : brk;
		if (*p != '\0')
			fprintf(f, "%*s", indent, "");
		col = indent;
	}
}

/* "  -s, --server URL" into buf; returns its length. */
static int
flag_label(char *buf, size_t len, const struct flag *fl)
{
	char sh[8] = "    ";

	if (fl->short_name != 0)
		snprintf(sh, sizeof sh, "-%c, ", fl->short_name);
	return snprintf(buf, len, "  %s--%s%s%s", sh, fl->name, fl->metavar ? " " : "",
	                fl->metavar ? fl->metavar : "");
}

static void
print_flag(FILE *f, enum flag_id id)
{
	char label[96];
	int n = flag_label(label, sizeof label, &cli_flags[id]);

	fputs(label, f);
	if (n > FLAG_COL - 2) {
		fprintf(f, "\n%*s", FLAG_COL, "");
		n = FLAG_COL;
	} else {
		fprintf(f, "%*s", FLAG_COL - n, "");
	}
	wrap(f, cli_flags[id].help, FLAG_COL, FLAG_COL);
}

void
usage_line(FILE *f, const struct command *cmd)
{
	if (cmd == NULL) {
		fputs("Usage: jobsctl [FLAGS] COMMAND [ARGS]; 'jobsctl help' lists the commands\n",
		      f);
		return;
	}
	fprintf(f, "Usage: jobsctl %s%s%s%s; 'jobsctl %s --help' for more\n", cmd->name,
	        cmd->sections != NULL ? " [FLAGS]" : "", *cmd->synopsis ? " " : "", cmd->synopsis,
	        cmd->name);
}

static void
print_synopsis(FILE *f, const struct command *cmd)
{
	fprintf(f, "Usage: jobsctl %s%s%s%s\n", cmd->name, cmd->sections != NULL ? " [FLAGS]" : "",
	        *cmd->synopsis ? " " : "", cmd->synopsis);
}

/* A command's help; `all`: as part of help --all, where the global flags
 * are listed once at the top. */
static void
command_help(FILE *f, const struct command *cmd, bool all)
{
	/* help2man makes a subsection of a line that ends in ':' with indented
	 * lines under it. */
	if (all)
		fprintf(f, "\njobsctl %s%s%s%s:\n", cmd->name, cmd->sections ? " [FLAGS]" : "",
		        *cmd->synopsis ? " " : "", cmd->synopsis);
	else
		print_synopsis(f, cmd);
	if (cmd->description != NULL) {
		fputs(all ? "  " : "\n", f);
		wrap(f, cmd->description, all ? 2 : 0, all ? 2 : 0);
	} else if (!all) {
		fprintf(f, "\n%c%s.\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	}
	for (const struct flag_section *s = cmd->sections; s != NULL && s->title != NULL; s++) {
		if (all)
			fputc('\n', f);
		else
			fprintf(f, "\n%s:\n", s->title);
		for (const enum flag_id *id = s->flags; *id != F_NONE; id++)
			print_flag(f, *id);
	}
	if (cmd->more != NULL) {
		fputc('\n', f);
		if (!all) {
			fputs(cmd->more, f);
		} else {
			/* Indented, so that help2man keeps it in the command's part. */
			for (const char *p = cmd->more; *p != '\0';) {
				const char *nl = strchr(p, '\n');
				size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

				fprintf(f, n > 0 ? "  %.*s\n" : "%.*s\n", (int)n, p);
				p = nl != NULL ? nl + 1 : p + n;
			}
		}
	}
	if (!all)
		fputs("\nGlobal flags (-s URL, -j, -t MS, --token-file, --tls-*): jobsctl help\n",
		      f);
}

void
help_command(FILE *f, const struct command *cmd)
{
	command_help(f, cmd, false);
}

static void global_end(FILE *f);

static void
global_help(FILE *f, bool all)
{
	fputs("Usage: jobsctl [FLAGS] COMMAND [ARGS]\n"
	      "The command line of jobsd, the store of video-ad campaign jobs: create, change,\n"
	      "find and count jobs, and move the legacy app's stores in and out.\n"
	      "\nCommands:\n",
	      f);
	for (size_t i = 0; i < cli_n_commands; i++)
		fprintf(f, "  %-12s%s\n", cli_commands[i].name, cli_commands[i].summary);
	fputs("\nGlobal flags (anywhere on the line):\n", f);
	for (const enum flag_id *id = cli_global_flags; *id != F_NONE; id++)
		print_flag(f, *id);
	if (all)
		return;
	fputs("\n'jobsctl help COMMAND' or 'jobsctl COMMAND --help' shows a command's flags;\n"
	      "'jobsctl help --all' shows them all.\n",
	      f);
	global_end(f);
}

/* Exit statuses and environment: the end of the global help. */
static void
global_end(FILE *f)
{
	fputs("\nExit status:\n", f);
	for (const char *p = cli_exit_status_text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		fprintf(f, "  %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
	fputs("\nEnvironment:\n", f);
	for (const char *p = cli_environment_text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		fprintf(f, "  %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

void
help_global(FILE *f)
{
	global_help(f, false);
}

void
help_all(FILE *f)
{
	global_help(f, true);
	for (size_t i = 0; i < cli_n_commands; i++)
		command_help(f, &cli_commands[i], true);
	global_end(f);
}

/* ---- completions ------------------------------------------------------------- */

/* The first clause of a flag's help, for a completion menu: up to the first
 * "; " or " (", at most 60 bytes; with `'` and brackets left out, so that it
 * can go inside '...' and zsh's [...]. */
static const char *
short_help(const char *help, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = help; *p != '\0' && n + 1 < len && n < 60; p++) {
		if ((p[0] == ';' || p[0] == ',') && p[1] == ' ')
			break;
		if (p[0] == ' ' && p[1] == '(')
			break;
		if (*p == '\'' || *p == '[' || *p == ']' || *p == '\\' || *p == ':')
			continue;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return buf;
}

/* `choices` with '|' turned into spaces, into buf. */
static const char *
spaced(const char *choices, char *buf, size_t len)
{
	snprintf(buf, len, "%s", choices);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '|')
			*p = ' ';
	return buf;
}

static void
bash_flag_words(FILE *f, const struct command *cmd, bool with_value)
{
	const char *sep = "";

	FOR_EACH_FLAG(cmd, id, {
		const struct flag *fl = &cli_flags[id];
		if ((fl->kind != ARG_NONE) == with_value) {
			fprintf(f, "%s--%s", sep, fl->name);
			sep = with_value ? "|" : " ";
			if (fl->short_name != 0)
				fprintf(f, "%s-%c", sep, fl->short_name);
		}
	});
	if (with_value && *sep == '\0')
		fputs("--", f); /* a pattern that matches no flag with a value */
}

/* The bash words that complete a value of flag fl. */
static void
bash_value(FILE *f, const struct flag *fl)
{
	char buf[512];

	if (fl->kind == ARG_FILE)
		fputs("_jobsctl_files", f);
	else if (fl->choices != NULL)
		fprintf(f, "COMPREPLY=($(compgen -W '%s' -- \"$cur\"))",
		        spaced(fl->choices, buf, sizeof buf));
	else
		fputs(":", f);
}

void
completion_bash(FILE *f)
{
	char buf[512];

	fputs("# bash completion for jobsctl                       -*- shell-script -*-\n"
	      "# Made by 'jobsctl completion bash' from jobsctl's command table.\n"
	      "\n"
	      "_jobsctl_files()\n"
	      "{\n"
	      "\tlocal IFS=$'\\n'\n"
	      "\tcompopt -o filenames 2>/dev/null\n"
	      "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "}\n"
	      "\n"
	      "_jobsctl()\n"
	      "{\n"
	      "\tlocal cur prev words cword cmd= i w valued\n"
	      "\tif declare -F _get_comp_words_by_ref >/dev/null; then\n"
	      "\t\t_get_comp_words_by_ref -n =: cur prev words cword\n"
	      "\telse\n"
	      "\t\twords=(\"${COMP_WORDS[@]}\") cword=$COMP_CWORD\n"
	      "\t\tcur=${words[cword]} prev=${words[cword-1]}\n"
	      "\tfi\n"
	      "\t# The command: the first word that is neither a flag nor a flag's value.\n"
	      "\tvalued='",
	      f);
	bash_flag_words(f, NULL, true);
	fputs("'\n"
	      "\tfor ((i = 1; i < cword; i++)); do\n"
	      "\t\tw=${words[i]}\n"
	      "\t\tcase $w in\n"
	      "\t\t--) break ;;\n"
	      "\t\t-*=*) ;;\n"
	      "\t\t-*) [[ \"|$valued|\" == *\"|$w|\"* ]] && ((i++)) ;;\n"
	      "\t\t*) cmd=$w; break ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tif [[ $cur == --*=* ]]; then\n"
	      "\t\tprev=${cur%%=*} cur=${cur#*=}\n"
	      "\telif [[ $cur != -* && $prev == -* ]]; then\n"
	      "\t\t:\n"
	      "\telse\n"
	      "\t\tprev=\n"
	      "\tfi\n"
	      "\t# A flag's value.\n"
	      "\tcase $cmd:$prev in\n",
	      f);
	FOR_EACH_FLAG((const struct command *)NULL, id, {
		const struct flag *fl = &cli_flags[id];
		if (fl->kind == ARG_NONE)
			continue;
		fprintf(f, "\t*:--%s", fl->name);
		if (fl->short_name != 0)
			fprintf(f, " | *:-%c", fl->short_name);
		fputs(")\n\t\t", f);
		bash_value(f, fl);
		fputs("\n\t\treturn ;;\n", f);
	});
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct command *c = &cli_commands[i];

		for (const struct flag_section *s = c->sections; s != NULL && s->title != NULL; s++)
			for (const enum flag_id *id = s->flags; *id != F_NONE; id++) {
				const struct flag *fl = &cli_flags[*id];
				if (fl->kind == ARG_NONE)
					continue;
				fprintf(f, "\t%s:--%s", c->name, fl->name);
				if (fl->short_name != 0)
					fprintf(f, " | %s:-%c", c->name, fl->short_name);
				fputs(")\n\t\t", f);
				bash_value(f, fl);
				fputs("\n\t\treturn ;;\n", f);
			}
	}
	fputs("\tesac\n"
	      "\t# Flags.\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tcase $cmd in\n",
	      f);
	for (size_t i = 0; i < cli_n_commands; i++) {
		fprintf(f, "\t\t%s) w='", cli_commands[i].name);
		bash_flag_words(f, &cli_commands[i], false);
		fputc(' ', f);
		bash_flag_words(f, &cli_commands[i], true);
		fputs("' ;;\n", f);
	}
	fputs("\t\t*) w='", f);
	bash_flag_words(f, NULL, false);
	fputc(' ', f);
	bash_flag_words(f, NULL, true);
	fputs("' ;;\n"
	      "\t\tesac\n"
	      "\t\tCOMPREPLY=($(compgen -W \"${w//|/ }\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\t# The command, then its arguments.\n"
	      "\tcase $cmd in\n"
	      "\t'') COMPREPLY=($(compgen -W '",
	      f);
	for (size_t i = 0; i < cli_n_commands; i++)
		fprintf(f, "%s%s", i > 0 ? " " : "", cli_commands[i].name);
	fputs("' -- \"$cur\")) ;;\n", f);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct command *c = &cli_commands[i];

		switch (c->pos) {
		case POS_FILE:
			fprintf(f, "\t%s) _jobsctl_files ;;\n", c->name);
			break;
		case POS_COMMAND:
			fprintf(f, "\t%s) COMPREPLY=($(compgen -W '", c->name);
			for (size_t k = 0; k < cli_n_commands; k++)
				fprintf(f, "%s%s", k > 0 ? " " : "", cli_commands[k].name);
			fputs("' -- \"$cur\")) ;;\n", f);
			break;
		case POS_CHOICE:
			fprintf(f, "\t%s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")) ;;\n", c->name,
			        spaced(c->pos_choices, buf, sizeof buf));
			break;
		case POS_NONE:
			break;
		}
	}
	fputs("\tesac\n"
	      "}\n"
	      "complete -F _jobsctl jobsctl\n",
	      f);
}

/* zsh's _arguments spec of one flag, as a line of an array. */
static void
zsh_flag(FILE *f, enum flag_id id, const struct command *cmd)
{
	const struct flag *fl = &cli_flags[id];
	char help[96], buf[512];
	bool first = true;

	fputs("\t\t'", f);
	if (fl->repeatable) {
		fputc('*', f);
	} else {
		/* What this flag excludes: itself, and its group. */
		fputc('(', f);
		FOR_EACH_FLAG(cmd, other, {
			const struct flag *o = &cli_flags[other];
			if (other == id || (fl->group != 0 && o->group == fl->group)) {
				fprintf(f, "%s--%s", first ? "" : " ", o->name);
				if (o->short_name != 0)
					fprintf(f, " -%c", o->short_name);
				first = false;
			}
		});
		fputc(')', f);
	}
	short_help(fl->help, help, sizeof help);
	if (fl->short_name != 0)
		fprintf(f, "'{-%c%s,--%s%s}'", fl->short_name, fl->kind != ARG_NONE ? "+" : "",
		        fl->name, fl->kind != ARG_NONE ? "=" : "");
	else
		fprintf(f, "--%s%s", fl->name, fl->kind != ARG_NONE ? "=" : "");
	fprintf(f, "[%s]", help);
	switch (fl->kind) {
	case ARG_NONE:
		break;
	case ARG_FILE:
		fprintf(f, ":%s:_files", fl->metavar);
		break;
	default:
		if (fl->choices != NULL)
			fprintf(f, ":%s:(%s)", fl->metavar, spaced(fl->choices, buf, sizeof buf));
		else
			fprintf(f, ":%s: ", fl->metavar);
	}
	fputs("'\n", f);
}

void
completion_zsh(FILE *f)
{
	char help[96], buf[512];

	fputs("#compdef jobsctl\n"
	      "# zsh completion for jobsctl. Made by 'jobsctl completion zsh' from\n"
	      "# jobsctl's command table.\n"
	      "\n"
	      "_jobsctl() {\n"
	      "\tlocal curcontext=$curcontext state state_descr line ret=1\n"
	      "\ttypeset -A opt_args\n"
	      "\tlocal -a globals commands\n"
	      "\tglobals=(\n",
	      f);
	for (const enum flag_id *id = cli_global_flags; *id != F_NONE; id++)
		zsh_flag(f, *id, NULL);
	fputs("\t)\n\tcommands=(\n", f);
	for (size_t i = 0; i < cli_n_commands; i++)
		fprintf(f, "\t\t'%s:%s'\n", cli_commands[i].name,
		        short_help(cli_commands[i].summary, help, sizeof help));
	fputs("\t)\n"
	      "\t_arguments -C -s -S $globals ': :->command' '*:: :->args' && ret=0\n"
	      "\tcase $state in\n"
	      "\tcommand)\n"
	      "\t\t_describe -t commands 'jobsctl command' commands && ret=0\n"
	      "\t\t;;\n"
	      "\targs)\n"
	      "\t\tcurcontext=${curcontext%:*:*}:jobsctl-$words[1]:\n"
	      "\t\tlocal -a spec\n"
	      "\t\tcase $words[1] in\n",
	      f);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct command *c = &cli_commands[i];

		fprintf(f, "\t\t%s)\n\t\t\tspec=(\n", c->name);
		for (const struct flag_section *s = c->sections; s != NULL && s->title != NULL; s++)
			for (const enum flag_id *id = s->flags; *id != F_NONE; id++) {
				fputc('\t', f);
				zsh_flag(f, *id, c);
			}
		switch (c->pos) {
		case POS_FILE:
			fprintf(f, "\t\t\t\t'1:%s:_files'\n", c->synopsis);
			break;
		case POS_COMMAND:
			fputs("\t\t\t\t'1:command:(", f);
			for (size_t k = 0; k < cli_n_commands; k++)
				fprintf(f, "%s%s", k > 0 ? " " : "", cli_commands[k].name);
			fputs(")'\n", f);
			break;
		case POS_CHOICE:
			fprintf(f, "\t\t\t\t'1:%s:(%s)'\n", c->synopsis,
			        spaced(c->pos_choices, buf, sizeof buf));
			break;
		case POS_NONE:
			if (c->max_args < 0)
				fprintf(f, "\t\t\t\t'*:%s: '\n", c->synopsis);
			else if (c->max_args > 0)
				fprintf(f, "\t\t\t\t'1:%s: '\n", c->synopsis);
			break;
		}
		fputs("\t\t\t)\n\t\t\t;;\n", f);
	}
	fputs("\t\tesac\n"
	      "\t\t_arguments -s -S $globals $spec && ret=0\n"
	      "\t\t;;\n"
	      "\tesac\n"
	      "\treturn ret\n"
	      "}\n"
	      "\n"
	      "_jobsctl \"$@\"\n",
	      f);
}
