#!/usr/bin/env python3
"""tls_hang_up.py PID PORT N: N times, while the process PID (jobsd) is
stopped, connects to 127.0.0.1:PORT, sends a TLS ClientHello and hangs up,
then lets jobsd go on. jobsd then answers a peer already gone: nng 1.5.2's
TLS listener can stop accepting for good on that (server/rpc.c, THE
LISTENER WATCHDOG). Whether a given round breaks it is a race of jobsd's
writes with the peer's reset, which is why there are N of them."""
import os
import signal
import socket
import ssl
import sys
import time

pid, port, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for _ in range(rounds):
    os.kill(pid, signal.SIGSTOP)
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        raw.setblocking(False)
        tls = ctx.wrap_socket(raw, do_handshake_on_connect=False)
        try:
            tls.do_handshake()  # sends the ClientHello; the answer never comes
        except ssl.SSLWantReadError:
            pass
        tls.close()
    finally:
        os.kill(pid, signal.SIGCONT)
    time.sleep(0.05)
