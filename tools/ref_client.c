/*
 * ref_client.c: jobsbench-ref, the leanest client nng allows, the floor that
 * jobsbench (and libjobsclient under it) is measured against.
 *
 *   jobsbench-ref [-c C] [-d SECONDS] [--warmup SECONDS] [--server-pid PID]
 *                 (--echo REQ:REPLY | --get N) URL
 *
 * One req0 socket, C contexts, one aio each whose callback sends the next
 * request as soon as an answer came: no thread of ours per call, no
 * decoding, no copies. --echo sends REQ-byte requests asking jobsbench-echo
 * for REPLY-byte replies; --get sends GetJob requests for the jobs that
 * `jobsbench --seed N` made, picked at random, and decodes one answer in
 * 256 to check that they are found. Prints one line of JSON: calls a
 * second, latency p50/p99 in microseconds, and CPU per call of this process
 * and, with --server-pid (or found from the URL), of the server.
 */
#include "hist.h"
#include "proc.h"

#include "jobs/v1/jobs.pb-c.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct slot {
	nng_ctx ctx;
	nng_aio *aio;
	bool sending;
	int64_t sent_ns;
	uint64_t rng;
	hist *lat;
	uint64_t calls, bad;
};

static struct {
	int mode; /* 'e' echo, 'g' get */
	size_t req, reply;
	long n_ids;
	atomic_bool stop, measuring;
} cfg;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The next request: an echo of the asked size, or a GetJob for a seeded id. */
static nng_msg *
request(struct slot *s)
{
	nng_msg *m = NULL;

	if (cfg.mode == 'e') {
		uint8_t *b;

		if (nng_msg_alloc(&m, cfg.req) != 0)
			return NULL;
		b = nng_msg_body(m);
		b[0] = (uint8_t)(cfg.reply >> 24), b[1] = (uint8_t)(cfg.reply >> 16);
		b[2] = (uint8_t)(cfg.reply >> 8), b[3] = (uint8_t)cfg.reply;
	} else {
		Jobs__V1__Request r = JOBS__V1__REQUEST__INIT;
		Jobs__V1__GetJobRequest g = JOBS__V1__GET_JOB_REQUEST__INIT;
		char id[32];

		s->rng ^= s->rng << 13, s->rng ^= s->rng >> 7, s->rng ^= s->rng << 17;
		snprintf(id, sizeof id, "jobsbench-%07lu",
		         (unsigned long)(s->rng % (uint64_t)cfg.n_ids));
		g.id = id;
		r.call_case = JOBS__V1__REQUEST__CALL_GET_JOB;
		r.get_job = &g;
		if (nng_msg_alloc(&m, jobs__v1__request__get_packed_size(&r)) != 0)
			return NULL;
		jobs__v1__request__pack(&r, nng_msg_body(m));
	}
	return m;
}

static void
send_next(struct slot *s)
{
	nng_msg *m;

	if (atomic_load(&cfg.stop) || (m = request(s)) == NULL) {
		s->sending = false;
		return;
	}
	s->sending = true;
	s->sent_ns = now_ns();
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio);
}

static void
slot_cb(void *arg)
{
	struct slot *s = arg;
	int rv = nng_aio_result(s->aio);

	if (s->sending) { /* the request went: wait for its answer */
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			s->bad += !atomic_load(&cfg.stop);
			send_next(s);
			return;
		}
		s->sending = false;
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv == 0) {
		nng_msg *m = nng_aio_get_msg(s->aio);

		if (atomic_load(&cfg.measuring)) {
			hist_record(s->lat, (uint64_t)(now_ns() - s->sent_ns) / 1000);
			s->calls++;
			if (cfg.mode == 'g' && (s->calls & 255) == 0) {
				Jobs__V1__Response *r = jobs__v1__response__unpack(
				    NULL, nng_msg_len(m), nng_msg_body(m));
				s->bad += r == NULL || r->code != JOBS__V1__CODE__OK;
				jobs__v1__response__free_unpacked(r, NULL);
			}
		}
		nng_msg_free(m);
	} else {
		s->bad += !atomic_load(&cfg.stop);
	}
	send_next(s);
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {{"echo", required_argument, NULL, 'e'},
	                                      {"get", required_argument, NULL, 'g'},
	                                      {"warmup", required_argument, NULL, 'w'},
	                                      {"server-pid", required_argument, NULL, 'p'},
	                                      {NULL, 0, NULL, 0}};
	int c = 16, ch, rv;
	double secs = 10, warm = 1;
	long server = 0;
	nng_socket sock;
	struct slot *slots;
	hist *all;
	int64_t t0, t1, cpu0, cpu1, srv0 = -1, srv1 = -1;
	uint64_t calls = 0, bad = 0;

	while ((ch = getopt_long(argc, argv, "c:d:", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'w':
			warm = atof(optarg);
			break;
		case 'p':
			server = atol(optarg);
			break;
		case 'g':
			cfg.mode = 'g', cfg.n_ids = atol(optarg);
			break;
		case 'e':
			cfg.mode = 'e';
			if (sscanf(optarg, "%zu:%zu", &cfg.req, &cfg.reply) != 2 || cfg.req < 4)
				cfg.mode = 0;
			break;
		default:
			cfg.mode = 0, optind = argc;
			break;
		}
	}
	if (optind != argc - 1 || cfg.mode == 0 || c < 1 || secs <= 0 ||
	    (cfg.mode == 'g' && cfg.n_ids < 1)) {
		fprintf(stderr, "usage: jobsbench-ref [-c C] [-d SECONDS] [--warmup SECONDS] "
		                "[--server-pid PID] (--echo REQ:REPLY | --get N) URL\n");
		return 2;
	}
	if ((rv = nng_req0_open(&sock)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, 64u << 20)) != 0 ||
	    (rv = nng_dial(sock, argv[optind], NULL, 0)) != 0) {
		fprintf(stderr, "jobsbench-ref: %s: %s\n", argv[optind], nng_strerror(rv));
		return 1;
	}
	if (server == 0)
		server = proc_serving(argv[optind]);
	slots = calloc((size_t)c, sizeof *slots);
	all = hist_new(8, 3600ull * 1000 * 1000);
	for (int i = 0; i < c; i++) {
		slots[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
		slots[i].lat = hist_new(8, 3600ull * 1000 * 1000);
		if (nng_ctx_open(&slots[i].ctx, sock) != 0 ||
		    nng_aio_alloc(&slots[i].aio, slot_cb, &slots[i]) != 0)
			return 1;
	}
	for (int i = 0; i < c; i++)
		send_next(&slots[i]);
	usleep((useconds_t)(warm * 1e6));
	t0 = now_ns(), cpu0 = self_cpu_us();
	if (server > 0)
		srv0 = proc_cpu_us(server);
	atomic_store(&cfg.measuring, true);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&cfg.measuring, false);
	t1 = now_ns(), cpu1 = self_cpu_us();
	if (server > 0)
		srv1 = proc_cpu_us(server);
	atomic_store(&cfg.stop, true);
	for (int i = 0; i < c; i++) {
		nng_aio_stop(slots[i].aio);
		hist_merge(all, slots[i].lat);
		calls += slots[i].calls;
		bad += slots[i].bad;
	}
	printf("{\"target\": \"%s\", \"concurrency\": %d, \"seconds\": %.3f, \"calls\": %llu, "
	       "\"errors\": %llu, \"throughput_rps\": %.1f, \"p50_us\": %llu, \"p99_us\": %llu, "
	       "\"client_cpu_us_per_call\": %.2f, \"server_cpu_us_per_call\": %.2f}\n",
	       cfg.mode == 'e' ? "echo" : "get", c, (double)(t1 - t0) / 1e9,
	       (unsigned long long)calls, (unsigned long long)bad,
	       (double)calls * 1e9 / (double)(t1 - t0),
	       (unsigned long long)hist_percentile(all, 50),
	       (unsigned long long)hist_percentile(all, 99),
	       calls ? (double)(cpu1 - cpu0) / (double)calls : 0,
	       calls && srv0 >= 0 && srv1 >= 0 ? (double)(srv1 - srv0) / (double)calls : -1.0);
	nng_close(sock);
	for (int i = 0; i < c; i++) {
		nng_aio_free(slots[i].aio);
		hist_free(slots[i].lat);
	}
	hist_free(all);
	free(slots);
	return bad > 0 ? 1 : 0;
}
