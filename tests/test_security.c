/*
 * test_security.c: strangers. A jobsd with --token-file lets nobody in
 * without the token (Health excepted); one on tls+tcp:// talks only TLS,
 * and with --tls-ca only to clients with a certificate of that CA.
 */
#include "helpers.h"

#include "jobs/client.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct jobsd d;
static char token_path[512], certs[512];

static void
write_token(const char *dir, const char *text)
{
	FILE *f;

	snprintf(token_path, sizeof token_path, "%s/token", dir);
	f = fopen(token_path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(token_path, 0600);
}

static jobs_client *
open_client(const char *url, const jobs_client_options *o, jobs_call *call)
{
	jobs_client *c = NULL;

	jobs_client_open(&c, url, o, call);
	return c;
}

Test(token, every_call_but_health_needs_it)
{
	const char *dir = tmpdir_make();
	char saved[256];
	const char *extra[] = {"--token-file", token_path, NULL};
	jobs_client_options none = {.max_attempts = 1},
	                    wrong = {.auth_token = "guess", .max_attempts = 1},
	                    right = {.auth_token_file = token_path};
	jobs_health_info *h;
	jobs_call call = {0};
	jobs_client *c;
	jobs_job job = {.id = "t1", .job_name = "t1"};

	snprintf(saved, sizeof saved, "%s", dir);
	write_token(saved, "s3cret-token\n");
	cr_assert(jobsd_start(&d, saved, extra));

	c = open_client(d.url, &none, &call);
	cr_assert_eq(jobs_health(c, &call, &h), JOBS_OK, "Health answers probes without a token");
	jobs_health_info_free(h);
	cr_assert_eq(jobs_get_job(c, &call, "t1", NULL), JOBS_UNAUTHENTICATED);
	cr_assert(strstr(call.message, "auth_token") != NULL, "%s", call.message);
	cr_assert_eq(jobs_create_job(c, &call, &job, NULL), JOBS_UNAUTHENTICATED);
	cr_assert_eq(call.attempts, 1, "not retried");
	jobs_client_close(c);

	c = open_client(d.url, &wrong, &call);
	cr_assert_eq(jobs_create_job(c, &call, &job, NULL), JOBS_UNAUTHENTICATED);
	jobs_client_close(c);

	c = open_client(d.url, &right, &call);
	cr_assert_eq(jobs_create_job(c, &call, &job, NULL), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_get_job(c, &call, "t1", NULL), JOBS_OK, "%s", call.message);
	jobs_client_close(c);

	/* jobsctl: --token-file, JOBS_TOKEN_FILE, and neither. */
	const char *with_flag[] = {JOBSCTL_PATH, "--server", d.url, "--token-file",
	                           token_path,   "get",      "t1",  NULL};
	const char *without[] = {JOBSCTL_PATH, "--server", d.url, "get", "t1", NULL};
	char env[600];
	const char *envv[] = {env, NULL};
	struct run r = run_cmd(with_flag, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	snprintf(env, sizeof env, "JOBS_TOKEN_FILE=%s", token_path);
	r = run_cmd(without, NULL, envv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = run_cmd(without, NULL, NULL);
	cr_assert_eq(r.status, 6, "not allowed: %s", r.err);
	cr_assert(strstr(r.err, "UNAUTHENTICATED") != NULL, "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

Test(token, a_bad_token_file_stops_jobsd_at_start)
{
	const char *dir = tmpdir_make();
	char saved[256], db[300], missing[300];
	const char *argv_empty[] = {JOBSD_PATH, "--db", db, "--token-file", token_path, NULL};
	const char *argv_missing[] = {JOBSD_PATH, "--db", db, "--token-file", missing, NULL};
	struct run r;

	snprintf(saved, sizeof saved, "%s", dir);
	snprintf(db, sizeof db, "%s/jobs.db", saved);
	snprintf(missing, sizeof missing, "%s/nope", saved);
	write_token(saved, "\n  \n");
	r = run_cmd(argv_empty, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "must hold a token") != NULL, "%s", r.err);
	run_free(&r);
	r = run_cmd(argv_missing, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "cannot read the token file") != NULL, "%s", r.err);
	run_free(&r);
	tmpdir_remove(saved);
}

/* Starts jobsd with a tls+tcp listener on a free port; returns its URL. */
static const char *
start_tls(bool require_client_cert)
{
	static char url[128];
	char cert[600], key[600], ca[600];
	const char *extra[16] = {
	    "--listen", "tls+tcp://127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, NULL};
	const char *mk[] = {"/bin/bash", TESTS_DIR "/make_certs.sh", certs, NULL};
	struct run r;
	char *log, *at;

	snprintf(certs, sizeof certs, "%s", tmpdir_make());
	r = run_cmd(mk, NULL, NULL);
	cr_assert_eq(r.status, 0, "make_certs.sh: %s", r.err);
	run_free(&r);
	snprintf(cert, sizeof cert, "%s/server.pem", certs);
	snprintf(key, sizeof key, "%s/server.key", certs);
	snprintf(ca, sizeof ca, "%s/ca.pem", certs);
	if (require_client_cert) {
		extra[6] = "--tls-ca";
		extra[7] = ca;
		extra[8] = NULL;
	}
	cr_assert(jobsd_start(&d, NULL, extra));
	log = read_file(d.log, NULL);
	at = strstr(log, "listening on tls+tcp://127.0.0.1:");
	cr_assert_not_null(at, "%s", log);
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d",
	         atoi(at + strlen("listening on tls+tcp://127.0.0.1:")));
	free(log);
	return url;
}

static char *
cert_path(const char *name)
{
	static char paths[4][600];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, 600, "%s/%s", certs, name);
	return p;
}

Test(tls, talks_only_to_clients_that_trust_its_certificate)
{
	const char *url = start_tls(false);
	jobs_client_options good = {.tls_ca_file = cert_path("ca.pem")},
	                    stranger = {.tls_ca_file = cert_path("other-ca.pem")}, none = {0};
	jobs_health_info *h;
	jobs_call call = {0};
	jobs_client *c;

	c = open_client(url, &good, &call);
	cr_assert_not_null(c, "%s", call.message);
	cr_assert_eq(jobs_health(c, &call, &h), JOBS_OK, "%s", call.message);
	jobs_health_info_free(h);
	jobs_job job = {.id = "over-tls", .job_name = "secret"};
	cr_assert_eq(jobs_create_job(c, &call, &job, NULL), JOBS_OK, "%s", call.message);
	jobs_client_close(c);

	cr_assert_null(open_client(url, &none, &call));
	cr_assert_eq(call.code, JOBS_INVALID_ARGUMENT);
	cr_assert(strstr(call.message, "CA") != NULL, "%s", call.message);
	cr_assert_null(open_client(url, &stranger, &call), "a server it cannot verify");
	cr_assert_eq(call.code, JOBS_UNAVAILABLE, "%s", call.message);

	/* jobsctl over TLS. */
	const char *argv[] = {JOBSCTL_PATH,        "--server", url,        "--tls-ca",
	                      cert_path("ca.pem"), "get",      "over-tls", NULL};
	struct run r = run_cmd(argv, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "secret") != NULL, "%s", r.out);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d), 0);
	tmpdir_remove(certs);
}

Test(tls, with_tls_ca_it_requires_a_client_certificate)
{
	const char *url = start_tls(true);
	jobs_client_options anon = {.tls_ca_file = cert_path("ca.pem"),
	                            .max_attempts = 1,
	                            .timeout_ms = 1000},
	                    known = {.tls_ca_file = cert_path("ca.pem"),
	                             .tls_cert_file = cert_path("client.pem"),
	                             .tls_key_file = cert_path("client.key")};
	jobs_health_info *h = NULL;
	jobs_call call = {0};
	jobs_client *c;

	c = open_client(url, &anon, &call);
	if (c != NULL) {
		/* TLS 1.2 may finish the client's side of the handshake before
		 * the server refuses: then the first call fails instead. */
		jobs_health(c, &call, &h);
		jobs_client_close(c);
	}
	/* Refused at the handshake, so never answered: the call cannot get
	 * through (UNAVAILABLE), or waits for a connection until its deadline. */
	cr_log_info("without a certificate: %s: %s", jobs_code_name(call.code), call.message);
	cr_assert(call.code == JOBS_UNAVAILABLE || call.code == JOBS_DEADLINE_EXCEEDED, "%s: %s",
	          jobs_code_name(call.code), call.message);
	cr_assert_null(h);
	c = open_client(url, &known, &call);
	cr_assert_not_null(c, "%s", call.message);
	cr_assert_eq(jobs_health(c, &call, &h), JOBS_OK, "%s", call.message);
	jobs_health_info_free(h);
	jobs_client_close(c);
	cr_assert_eq(jobsd_cleanup(&d), 0);
	tmpdir_remove(certs);
}

/*
 * A peer that starts a TLS handshake and hangs up, while jobsd is stopped so
 * that it answers one already gone, can make nng 1.5.2's listener stop
 * accepting for good: no certificate or token is needed to do it. jobsd's
 * watchdog renews such a listener. Whether a round breaks it is a race, so
 * there are many rounds; each time the listener broke, the log says so.
 */
Test(tls, a_peer_hanging_up_mid_handshake_does_not_stop_the_listener)
{
	const char *url = start_tls(true);
	jobs_client_options known = {.tls_ca_file = cert_path("ca.pem"),
	                             .tls_cert_file = cert_path("client.pem"),
	                             .tls_key_file = cert_path("client.key"),
	                             .timeout_ms = 10000};
	char pid[16], port[16];
	jobs_health_info *h;
	jobs_call call = {0};
	jobs_client *c;

	snprintf(pid, sizeof pid, "%d", (int)d.pid);
	snprintf(port, sizeof port, "%s", strrchr(url, ':') + 1);
	for (int round = 0; round < 3; round++) {
		const char *argv[] = {
		    "/usr/bin/env", "python3", TESTS_DIR "/tls_hang_up.py", pid, port, "15", NULL};
		struct run r = run_cmd(argv, NULL, NULL);
		cr_assert_eq(r.status, 0, "tls_hang_up.py: %s%s", r.out, r.err);
		run_free(&r);
		/* A fresh client, which the listener must accept. */
		c = open_client(url, &known, &call);
		cr_assert_not_null(c, "round %d: %s", round, call.message);
		cr_assert_eq(jobs_health(c, &call, &h), JOBS_OK, "round %d: %s", round,
		             call.message);
		jobs_health_info_free(h);
		jobs_client_close(c);
	}
	char *log = read_file(d.log, NULL);
	int renewed = 0;
	for (const char *p = log; (p = strstr(p, "listening again")) != NULL; p++)
		renewed++;
	cr_log_info("the listener was renewed %d times", renewed);
	free(log);
	cr_assert_eq(jobsd_cleanup(&d), 0);
	tmpdir_remove(certs);
}

Test(tls, a_tls_listener_without_a_certificate_is_refused)
{
	const char *dir = tmpdir_make();
	char saved[256], db[300];
	const char *argv[] = {
	    JOBSD_PATH, "--db", db, "--listen", "tls+tcp://127.0.0.1:0", "--no-legacy-migration",
	    NULL};
	struct run r;

	snprintf(saved, sizeof saved, "%s", dir);
	snprintf(db, sizeof db, "%s/jobs.db", saved);
	r = run_cmd(argv, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "--tls-cert and --tls-key") != NULL, "%s", r.err);
	run_free(&r);
	tmpdir_remove(saved);
}
