#!/usr/bin/env bash
# make_certs.sh DIR: a throwaway CA, a server certificate for 127.0.0.1 and
# localhost, and a client certificate, all signed by that CA, plus a second
# CA that signed nothing of ours. For the TLS tests only.
set -euo pipefail
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=jobsd-test-ca 2>/dev/null
key other-ca.key
openssl req -x509 -new -key other-ca.key -out other-ca.pem -days 2 -subj /CN=stranger-ca 2>/dev/null
for who in server client; do
	key $who.key
	openssl req -new -key $who.key -out $who.csr -subj "/CN=${who/server/127.0.0.1}" 2>/dev/null
	printf 'subjectAltName=DNS:127.0.0.1,DNS:localhost,IP:127.0.0.1\n' >$who.ext
	openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem \
		-days 2 -extfile $who.ext 2>/dev/null
done
chmod 600 ./*.key
