/*
 * main.c: jobsctl's main(). The line is parsed against the table (args.c,
 * cmdtable.c); --help and --version answer at once, without a server; a
 * usage error is one line saying what was wrong, then the usage, exit 2.
 * Otherwise the global flags become a struct ctl and the command's handler
 * (jobsctl.c) runs.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Whether the server URL (or each of a comma-separated list) names a
 * transport nng knows; "127.0.0.1:7499" gets a hint rather than nng's
 * "Invalid argument" at connect time. Prints why not; `from` says where
 * the URL came from. Entries are read as libjobsclient reads them (blanks
 * around them ignored); the list's own faults (an empty entry, a server
 * named twice) are left to it, which names them.
 */
static int
check_server(const char *url, const char *from)
{
	static const char *const schemes[] = {"tcp",     "tcp4", "tcp6", "ipc",     "inproc",
	                                      "tls+tcp", "ws",   "wss",  "abstract"};
	const char *p = url;

	do {
		const char *end = strchr(p, ','), *sep;
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		bool known = false;

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			p = end != NULL ? end + 1 : NULL;
			continue;
		}
		sep = memmem(p, len, "://", 3);
		if (sep == NULL) {
			fprintf(stderr, "jobsctl: %s '%.*s' has no scheme; did you mean %s%.*s?\n",
			        from, (int)len, p, *p == '/' ? "ipc://" : "tcp://", (int)len, p);
			return EXIT_INVALID;
		}
		for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
			known |= strlen(schemes[i]) == (size_t)(sep - p) &&
			         strncmp(schemes[i], p, (size_t)(sep - p)) == 0;
		if (!known) {
			fprintf(stderr,
			        "jobsctl: %s '%.*s': jobsd is reached over nng: tcp://HOST:PORT, "
			        "tls+tcp://HOST:PORT or ipc:///PATH\n",
			        from, (int)len, p);
			return EXIT_INVALID;
		}
		p = end != NULL ? end + 1 : NULL;
	} while (p != NULL);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct ctl ctl = {0};
	struct args a;
	const char *token_file = getenv("JOBS_TOKEN_FILE"), *from = "--server", *out;
	char err[512];
	int rv;

	render_init();
	if (argc < 2) {
		help_global(stderr);
		return EXIT_INVALID;
	}
	rv = args_parse(argc, argv, &a, err, sizeof err);
	if (a.help || (a.version && rv == EXIT_OK)) {
		if (a.help && a.cmd != NULL)
			help_command(stdout, a.cmd);
		else if (a.help)
			help_global(stdout);
		else
			printf("jobsctl %s\n", JOBS_VERSION);
		args_free(&a);
		return EXIT_OK;
	}
	if (rv != EXIT_OK) {
		fprintf(stderr, "jobsctl: %s\n", err);
		if (rv == EXIT_INVALID)
			usage_line(stderr, a.cmd);
		args_free(&a);
		return rv;
	}
	ctl.cmd = a.cmd;
	ctl.width = render_width();
	out = arg_value(&a, F_OUTPUT);
	ctl.json = arg_given(&a, F_JSON) || (out != NULL && strcmp(out, "json") == 0);
	ctl.server = arg_value(&a, F_SERVER);
	if (ctl.server == NULL && (ctl.server = getenv("JOBS_SERVER")) != NULL)
		from = "JOBS_SERVER";
	if (ctl.server == NULL || *ctl.server == '\0')
		ctl.server = DEFAULT_SERVER;
	ctl.opts.timeout_ms = (int)arg_number(&a, F_TIMEOUT, 0);
	if (arg_value(&a, F_TOKEN_FILE) != NULL)
		token_file = arg_value(&a, F_TOKEN_FILE);
	if (token_file != NULL && *token_file != '\0')
		ctl.opts.auth_token_file = token_file;
	ctl.opts.tls_ca_file = arg_value(&a, F_TLS_CA);
	ctl.opts.tls_cert_file = arg_value(&a, F_TLS_CERT);
	ctl.opts.tls_key_file = arg_value(&a, F_TLS_KEY);
	/* Commands that call no server (help, completion) need no good URL. */
	if (*a.cmd->calls == '\0' || (rv = check_server(ctl.server, from)) == EXIT_OK)
		rv = a.cmd->run(&ctl, &a);
	jobs_client_close(ctl.client);
	args_free(&a);
	/* A reader that went away (`jobsctl list | head -1`) took what it
	 * wanted: SIGPIPE ends jobsctl quietly, and where it is ignored (a
	 * parent may leave it so), EPIPE is as quiet. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE) {
		fprintf(stderr, "jobsctl: cannot write the output: %s\n", strerror(errno));
		if (rv == EXIT_OK)
			rv = EXIT_ERROR;
	}
	return rv;
}
