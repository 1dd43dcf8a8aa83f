/*
 * rpc.h: jobsd on the network. One nng rep0 socket, listening on every URL
 * given, served by a fixed pool of contexts (nng's demo/async pattern): many
 * requests in flight, each decoded, run on its lane and answered on its own.
 */
#ifndef JOBSD_RPC_H
#define JOBSD_RPC_H

#include "dispatch.h"
#include "lanes.h"

#include <stddef.h>

typedef struct rpc rpc;

struct rpc_options {
	const char *const *urls; /* tcp://, ipc:// (nng URLs) */
	size_t n_urls;
	size_t max_message_bytes; /* NNG_OPT_RECVMAXSZ: larger requests are dropped by nng */
	lanes *lanes;             /* where calls run; not owned */
	/* Not owned. Its max_inflight sizes the context pool; rpc_drain() sets
	 * its `draining` and waits for its `inflight`. */
	struct server_info *info;
	/* For tls+tcp:// URLs: PEM files of the server's certificate and key,
	 * and, to require client certificates, of the CA that signs them. */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
};

/* Opens the socket, the context pool and the listeners, and logs the address
 * each listens on (with the real port when the URL asked for port 0). For
 * ipc:// URLs it holds a lock file beside the socket path, so a second jobsd
 * cannot steal the path from a live one, and creates the socket mode 0600. */
int rpc_start(rpc **out, const struct rpc_options *opt, char *err, size_t errlen);

/* Stops taking new calls (they get UNAVAILABLE; Health still answers) and
 * waits up to timeout_ms for calls in flight. Returns how many remain. */
int rpc_drain(rpc *r, int timeout_ms);

/* Closes the socket and frees everything. Call after lanes_stop(), so that no
 * lane still holds one of our calls. NULL is a no-op. */
void rpc_stop(rpc *r);

#endif
