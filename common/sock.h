/*
 * sock.h: closing an nng socket without waiting forever, for jobsd
 * (server/rpc.c) and libjobsclient (client/client.c).
 *
 * nng 1.5.2's nng_close() can wait forever: when a connection is closed
 * (the peer went away, or this side closes) while its transport is between
 * the header and the body of a message it reads, the transport starts the
 * body's read on an aio already stopped, which nng drops without a
 * completion, and the pipe never finishes closing. By then the socket's
 * contexts are closed, so nothing of the caller's runs any more but nng's
 * pipe notifications.
 */
#ifndef JOBS_COMMON_SOCK_H
#define JOBS_COMMON_SOCK_H

#include <nng/nng.h>
#include <stdbool.h>

/*
 * nng_close(s), given at most `ms`. True when it returned; false when it
 * did not, and goes on on a thread of its own: the caller must then keep
 * alive whatever nng may still call (pipe notify callbacks' arguments), and
 * leave the rest to the process's exit.
 */
bool sock_close_within(nng_socket s, int ms);

#endif
