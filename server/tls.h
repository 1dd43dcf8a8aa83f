/*
 * tls.h: the server's TLS configuration, one for every listener that speaks
 * TLS (rpc.c's tls+tcp://, http.c's https://), from the --tls-* flags.
 */
#ifndef JOBSD_TLS_H
#define JOBSD_TLS_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include <stddef.h>

/*
 * A server configuration with the certificate and key in the PEM files
 * `cert` and `key`, requiring client certificates signed by the CA in `ca`
 * unless it is NULL. On success *out is the caller's (nng_tls_config_free);
 * otherwise a status (INVALID_ARGUMENT: a file is missing, unreadable or not
 * PEM) with a reason in err, and *out is NULL. The private key does not
 * linger in freed memory.
 */
int tls_server_config(nng_tls_config **out, const char *cert, const char *key, const char *ca,
                      char *err, size_t errlen);

#endif
