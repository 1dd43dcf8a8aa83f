/*
 * tls.c: see tls.h.
 */
#include "tls.h"
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole (PEM) file into a malloc'd NUL-terminated string. */
static char *
slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		         errno ? strerror(errno) : "too big");
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

int
tls_server_config(nng_tls_config **out, const char *cert_path, const char *key_path,
                  const char *ca_path, char *err, size_t errlen)
{
	nng_tls_config *cfg = NULL;
	char *cert = NULL, *key = NULL;
	int rv;

	*out = NULL;
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0) {
		snprintf(err, errlen, "TLS: %s", nng_strerror(rv));
		return ST(INTERNAL);
	}
	if ((cert = slurp(cert_path, err, errlen)) == NULL ||
	    (key = slurp(key_path, err, errlen)) == NULL) {
		rv = ST(INVALID_ARGUMENT);
		goto done;
	}
	if ((rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0) {
		snprintf(err, errlen, "TLS: %s and %s are not a certificate and its key: %s",
		         cert_path, key_path, nng_strerror(rv));
		rv = ST(INVALID_ARGUMENT);
		goto done;
	}
	if (ca_path != NULL &&
	    ((rv = nng_tls_config_ca_file(cfg, ca_path)) != 0 ||
	     (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0)) {
		snprintf(err, errlen, "TLS: cannot use %s as the client CA: %s", ca_path,
		         nng_strerror(rv));
		rv = ST(INVALID_ARGUMENT);
		goto done;
	}
	*out = cfg;
	cfg = NULL;
	rv = 0;
done:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	free(cert);
	if (key != NULL) {
		memset(key, 0, strlen(key)); /* the private key does not linger in freed memory */
		free(key);
	}
	return rv;
}
