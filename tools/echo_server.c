/*
 * echo_server.c: jobsbench-echo, the raw nng baseline that jobsbench
 * measures jobsd against (--baseline echo). jobsbench starts it in a child
 * process; it is no use on its own.
 *
 *   jobsbench-echo [--contexts N] URL
 *
 * It listens on URL (tcp://HOST:0 picks a free port), prints the URL it
 * listens on as one line on stdout, and answers every request until SIGTERM
 * or SIGINT, then exits 0.
 *
 * The server is jobsd's transport with nothing of jobsd in it: one rep0
 * socket and a fixed pool of contexts, each an nng_ctx + nng_aio driven by a
 * two-state machine (nng's demo/async pattern, as server/rpc.c). The reply
 * reuses the request's nng_msg, as jobsd's does.
 *
 * Protocol: the first 4 bytes of a request are the size of the reply wanted,
 * big-endian; the rest is padding, so that the request has the size of the
 * jobsd request it stands for. The reply is that many bytes. A request
 * shorter than 4 bytes, or asking for more than 64 MiB, gets an empty reply.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPLY (64u << 20)

struct work {
	enum { RECV, SEND } state;
	nng_aio *aio;
	nng_ctx ctx;
};

static nng_socket sock;
static volatile sig_atomic_t closing;

static void
work_cb(void *arg)
{
	struct work *w = arg;
	int rv = nng_aio_result(w->aio);
	nng_msg *msg;
	size_t want = 0;

	switch (w->state) {
	case RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || closing)
				return;
			nng_ctx_recv(w->ctx, w->aio);
			return;
		}
		msg = nng_aio_get_msg(w->aio);
		if (nng_msg_len(msg) >= 4) {
			const uint8_t *b = nng_msg_body(msg);
			want = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
		}
		if (want > MAX_REPLY || nng_msg_realloc(msg, want) != 0)
			nng_msg_clear(msg);
		nng_aio_set_msg(w->aio, msg);
		w->state = SEND;
		nng_ctx_send(w->ctx, w->aio);
		break;
	case SEND:
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(w->aio));
		if (rv == NNG_ECLOSED || closing)
			return;
		w->state = RECV;
		nng_ctx_recv(w->ctx, w->aio);
		break;
	}
}

int
main(int argc, char **argv)
{
	int n = 160, rv, sig;
	const char *url;
	struct work *works;
	nng_listener l;
	sigset_t set;

	if (argc == 4 && strcmp(argv[1], "--contexts") == 0) {
		n = atoi(argv[2]);
		url = argv[3];
	} else if (argc == 2) {
		url = argv[1];
	} else {
		fprintf(stderr, "usage: jobsbench-echo [--contexts N] URL\n");
		return 2;
	}
	if (n < 1 || n > 65536 || (works = calloc((size_t)n, sizeof *works)) == NULL) {
		fprintf(stderr, "jobsbench-echo: bad --contexts or out of memory\n");
		return 2;
	}
	/* Signals are taken by sigwait below, not by nng's threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((rv = nng_rep0_open(&sock)) != 0) {
		fprintf(stderr, "jobsbench-echo: rep0: %s\n", nng_strerror(rv));
		return 1;
	}
	nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, MAX_REPLY);
	for (int i = 0; i < n; i++) {
		if ((rv = nng_aio_alloc(&works[i].aio, work_cb, &works[i])) != 0 ||
		    (rv = nng_ctx_open(&works[i].ctx, sock)) != 0) {
			fprintf(stderr, "jobsbench-echo: context %d: %s\n", i, nng_strerror(rv));
			return 1;
		}
	}
	if ((rv = nng_listener_create(&l, sock, url)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0) {
		fprintf(stderr, "jobsbench-echo: cannot listen on %s: %s\n", url, nng_strerror(rv));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		works[i].state = RECV;
		nng_ctx_recv(works[i].ctx, works[i].aio);
	}
	if (strncmp(url, "tcp://", 6) == 0 && strrchr(url + 6, ':') != NULL) {
		int port = 0;
		const char *colon = strrchr(url + 6, ':');

		nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port);
		printf("%.*s:%d\n", (int)(colon - url), url, port);
	} else {
		printf("%s\n", url);
	}
	fflush(stdout);

	sigwait(&set, &sig);
	closing = 1;
	nng_close(sock);
	for (int i = 0; i < n; i++) {
		nng_aio_stop(works[i].aio);
		nng_aio_free(works[i].aio);
	}
	free(works);
	return 0;
}
