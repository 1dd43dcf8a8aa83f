#!/usr/bin/env python3
"""http_client.py SCENARIO URL [ARGS]: a real HTTP client (Python's
http.client, and raw sockets where a well-behaved client cannot go) against
a running jobsd --http, for tests/test_http.c. Exit status 0 when every
check held; otherwise the first failed check on stderr, exit 1.

Scenarios:
  session URL          every route and status, keep-alive, HEAD, 100-continue
  hostile URL LIMIT    bad bodies, wrong methods, hostile ids, oversized and
                       unfinished requests, many slow connections, garbage;
                       then jobsd must still serve (LIMIT: --max-message-size)
  concurrent URL       many clients at once creating, reading, updating and
                       deleting; every answer right, nothing lost
"""

import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse


def fail(msg):
    if len(msg) > 1000:
        msg = msg[:1000] + "..."
    sys.stderr.write("http_client.py: %s\n" % msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Server:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def call(self, method, path, body=None, headers=None, conn=None):
        """One request on a kept connection; (status, headers, parsed body)."""
        if conn is None:
            if self.conn is None:
                self.conn = self.connect()
            conn = self.conn
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        raw = r.read()
        doc = None
        if raw and (r.getheader("Content-Type") or "").startswith("application/json"):
            doc = json.loads(raw)
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            if conn is self.conn:
                self.conn = None
        return r.status, r, doc if doc is not None else raw

    def raw(self, data, read_timeout=10.0, then=None):
        """Sends bytes on a new socket; returns what came back until close
        or timeout (b"" when the server closed without answering)."""
        s = socket.create_connection((self.host, self.port), timeout=read_timeout)
        try:
            s.sendall(data)
            if then is not None:
                then(s)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()


def status_of(raw):
    line = raw.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def still_serving(srv):
    st, _, doc = srv.call("GET", "/healthz", conn=srv.connect())
    check(st == 200 and doc["status"] == "SERVING", "healthz after the abuse: %s %s" % (st, doc))
    st, _, doc = srv.call("POST", "/campaigns", {"job_name": "after", "product": "p"},
                          conn=srv.connect())
    check(st == 201, "create after the abuse: %s %s" % (st, doc))
    st, _, got = srv.call("GET", "/campaigns/" + doc["id"], conn=srv.connect())
    check(st == 200 and got["job_name"] == "after", "read after the abuse: %s %s" % (st, got))


# ---- session -----------------------------------------------------------------

def session(url):
    srv = Server(url)
    before = srv.call("GET", "/campaigns/stats")[2]["total_jobs"]
    st, r, doc = srv.call("POST", "/campaigns",
                          {"job_name": "Summer Sale", "product": "Zephyr Lantern",
                           "enhanced_settings": {"voice": {"stability": 0.5}},
                           "tags": ["a", "b"], "notes": "legacy key"})
    check(st == 201, "create: %s %s" % (st, doc))
    jid = doc["id"]
    check(r.getheader("Location") == "/campaigns/" + jid, "Location %s" % r.getheader("Location"))
    check(r.getheader("ETag") == '"%s"' % doc["etag"], "ETag %s" % r.getheader("ETag"))
    check(doc["language"] == "English" and doc["enabled"] is True, "defaults: %s" % doc)
    check(doc["created_at"].endswith("Z") and doc["tags"] == ["a", "b"], "filled in: %s" % doc)

    # Keep-alive: the same connection serves the next requests.
    st, r, got = srv.call("GET", "/campaigns/" + jid)
    check(st == 200 and got == doc, "get: %s %s" % (st, got))
    st, r, head = srv.call("HEAD", "/campaigns/" + jid)
    check(st == 200 and head == b"", "HEAD has no body: %r" % head)
    check(int(r.getheader("Content-Length")) > 0, "HEAD keeps Content-Length")

    # PUT: exactly the keys given.
    st, r, up = srv.call("PUT", "/campaigns/" + jid, {"hook": "New hook", "notes": "changed"})
    check(st == 200, "put: %s %s" % (st, up))
    check(up["hook"] == "New hook" and up["notes"] == "changed" and up["tags"] == ["a", "b"]
          and up["product"] == "Zephyr Lantern", "put changed exactly the keys given: %s" % up)
    check(up["etag"] != doc["etag"] and up["updated_at"] > doc["updated_at"], "put moves etag")
    st, _, e = srv.call("PUT", "/campaigns/" + jid, {"hook": "x"},
                        headers={"If-Match": '"%s"' % doc["etag"]})
    check(st == 412 and "error" in e, "stale If-Match: %s %s" % (st, e))
    st, _, e = srv.call("PUT", "/campaigns/" + jid, {"hook": "y"},
                        headers={"If-Match": '"%s"' % up["etag"]})
    check(st == 200 and e["hook"] == "y", "fresh If-Match: %s %s" % (st, e))

    # 100-continue: the client waits for the server's go-ahead.
    body = json.dumps({"job_name": "big", "hook": "h" * 5000}).encode()
    out = srv.raw(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body),
                  then=lambda s: (check(s.recv(100).startswith(b"HTTP/1.1 100 Continue"),
                                        "no 100 Continue"), s.sendall(body)))
    check(status_of(out) == 201, "after 100-continue: %r" % out[:200])

    # Pipelining: two requests at once on one connection, answered in order.
    out = srv.raw(b"GET /campaigns/" + jid.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /campaigns/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(out.count(b"HTTP/1.1 ") == 2 and out.index(b"200 OK") < out.index(b"404 Not Found"),
          "pipelined: %r" % out[:300])

    # Lists, search, stats.
    st, _, page = srv.call("GET", "/campaigns?page_size=1&view=summary")
    check(st == 200 and len(page["jobs"]) == 1 and page["next_page_token"] != "",
          "page: %s" % page)
    check(set(page["jobs"][0]) == {"id", "job_name", "product", "enabled", "created_at"},
          "summary view: %s" % page["jobs"][0])
    st, _, page2 = srv.call("GET", "/campaigns?page_size=1&view=summary&page_token=" +
                            urllib.parse.quote(page["next_page_token"]))
    check(st == 200 and page2["jobs"][0]["id"] != page["jobs"][0]["id"], "page 2: %s" % page2)
    st, _, hits = srv.call("GET", "/campaigns?search=" + urllib.parse.quote("zephyr lant*") +
                           "&snippets=1")
    check(st == 200 and [j["id"] for j in hits["jobs"]] == [jid], "search: %s" % hits)
    check(hits["snippets"][0]["id"] == jid and "[" in hits["snippets"][0]["snippet"],
          "snippets: %s" % hits)
    st, _, hits = srv.call("GET", "/campaigns?search=ephyr&substring=1")
    check(st == 200 and [j["id"] for j in hits["jobs"]] == [jid], "substring: %s" % hits)
    st, _, stats = srv.call("GET", "/campaigns/stats?top=1")
    check(st == 200 and stats["total_jobs"] == before + 2 and len(stats["by_product"]) == 1,
          "stats: %s" % stats)
    st, _, lst = srv.call("GET", "/campaigns?product=" + urllib.parse.quote("Zephyr Lantern") +
                          "&enabled=true&order_by=job_name&direction=asc")
    check(st == 200 and [j["id"] for j in lst["jobs"]] == [jid], "filtered list: %s" % lst)

    # Delete: 204 with an empty body, then the app's 404.
    st, _, b = srv.call("DELETE", "/campaigns/" + jid)
    check(st == 204 and b == b"", "delete: %s %r" % (st, b))
    st, _, e = srv.call("GET", "/campaigns/" + jid)
    check(st == 404 and e == {"error": "Campaign not found"}, "gone: %s %s" % (st, e))
    st, _, e = srv.call("DELETE", "/campaigns/" + jid)
    check(st == 404 and e == {"error": "Campaign not found"}, "delete again: %s %s" % (st, e))


# ---- hostile -------------------------------------------------------------------

def hostile(url, limit):
    srv = Server(url)
    limit = int(limit)

    for body, why in [("{not json", "not JSON"), ("[1, 2]", "an array"), ("", "empty"),
                      ('{"enabled": "yes"}', "a bad field value"),
                      ('{"a": 1, "a": 2}', "a key twice"),
                      (b'{"job_name": "\xff\xfe"}', "invalid UTF-8"),
                      ('{"job_name": "a\\u0000b"}', "a NUL"),
                      ('{"enhanced_settings": {"n": 99999999999999999999}}', "a huge integer"),
                      ('[' * min(limit - 1, 100000), "deep nesting")]:
        st, _, e = srv.call("POST", "/campaigns", body, conn=srv.connect())
        check(st == 400 and isinstance(e, dict) and e.get("error"),
              "%s: %s %r" % (why, st, e if isinstance(e, dict) else e[:200]))

    # A body over the limit: refused before it is read, the connection closed.
    out = srv.raw(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                  % (limit + 1) + b"{" * 1000)
    check(status_of(out) == 413 and b"Connection: close" in out, "over the limit: %r" % out[:300])
    out = srv.raw(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999"
                  b"\r\n\r\n")
    check(status_of(out) in (400, 413), "absurd Content-Length: %r" % out[:200])
    out = srv.raw(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n")
    check(status_of(out) == 411, "chunked: %r" % out[:200])

    # Wrong methods, unknown paths.
    for m, p, allow in [("PATCH", "/campaigns/x", "GET, HEAD, PUT, DELETE, OPTIONS"),
                        ("DELETE", "/campaigns", "GET, HEAD, POST, OPTIONS"),
                        ("POST", "/healthz", "GET, HEAD, OPTIONS"),
                        ("BREW", "/metrics", "GET, HEAD, OPTIONS")]:
        st, r, e = srv.call(m, p, conn=srv.connect())
        check(st == 405 and r.getheader("Allow") == allow and e.get("error"),
              "%s %s: %s %s %s" % (m, p, st, r.getheader("Allow"), e))
    for p in ["/", "/campaign", "/campaigns/", "/campaigns/a/b", "/campaigns//x",
              "/campaigns/../etc/passwd", "/%2e%2e/campaigns", "/healthz/x"]:
        st, _, e = srv.call("GET", p, conn=srv.connect())
        check(st == 404 and e.get("error"), "%s: %s %s" % (p, st, e))

    # Hostile ids: refused with a reason, never found, never a crash.
    for p, want in [("/campaigns/..%2F..%2Fetc%2Fpasswd", 400), ("/campaigns/a%00b", 400),
                    ("/campaigns/%FF%FE", 400), ("/campaigns/%C0%AF", 400),
                    ("/campaigns/a%2", 400), ("/campaigns/a%zz", 400),
                    ("/campaigns/" + "x" * 200, 400), ("/campaigns/.hidden", 400),
                    ("/campaigns/a%41", 404), ("/campaigns/%41", 404)]:
        st, _, e = srv.call("GET", p, conn=srv.connect())
        check(st == want and e.get("error"), "%s: %s %s" % (p, st, e))
        st, _, e = srv.call("PUT", p, {"hook": "h"}, conn=srv.connect())
        check(st == want and e.get("error"), "PUT %s: %s %s" % (p, st, e))
    for q in ["?bogus=1", "?page_size=-1", "?page_size=x", "?view=everything", "?enabled=maybe",
              "?created_after=yesterday", "?search=a&order_by=job_name", "?page_size=1&page_size=2",
              "?search=%00", "?search=%FF", "?page_token=garbage"]:
        st, _, e = srv.call("GET", "/campaigns" + q, conn=srv.connect())
        check(st == 400 and e.get("error"), "%s: %s %s" % (q, st, e))
    st, _, e = srv.call("GET", "/campaigns", headers={"Grpc-Timeout": "soon"}, conn=srv.connect())
    check(st == 400, "a bad Grpc-Timeout: %s %s" % (st, e))
    st, _, e = srv.call("GET", "/campaigns", headers={"Grpc-Timeout": "1n"}, conn=srv.connect())
    check(st == 504 and e.get("error"), "a deadline already past: %s %s" % (st, e))

    # Garbage and protocol abuse: nng's own answers or a closed connection.
    for data in [b"GARBAGE\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01",
                 b"GET /healthz HTTP/1.1\r\n\r\n",  # no Host
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
                 b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"]:
        out = srv.raw(data, read_timeout=5)
        check(out == b"" or status_of(out) in (400, 404, 431, 505),
              "garbage %r: %r" % (data[:40], out[:200]))

    # A request that never finishes its body: the connection is closed (nng
    # closes it when the read is cancelled: no 408 can be sent).
    t0 = time.monotonic()
    out = srv.raw(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"job",
                  read_timeout=20)
    took = time.monotonic() - t0
    check(out == b"", "an unfinished body: %r" % out[:200])
    check(4 < took < 15, "the unfinished body was cut after %.1f s" % took)

    # Many slow connections: each sends part of a head, then waits. jobsd
    # holds no call for them and goes on serving everyone else.
    slow = []
    for i in range(300):
        s = socket.create_connection((srv.host, srv.port), timeout=10)
        s.sendall(b"GET /campaigns HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * (i % 50))
        slow.append(s)
    bodies = []
    for i in range(50):
        s = socket.create_connection((srv.host, srv.port), timeout=10)
        s.sendall(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        bodies.append(s)
    still_serving(srv)
    for s in slow + bodies:
        s.sendall(b"a")
    still_serving(srv)
    for s in slow + bodies:
        s.close()
    still_serving(srv)


# ---- concurrent ----------------------------------------------------------------

def concurrent(url):
    srv = Server(url)
    errors = []
    before = srv.call("GET", "/campaigns/stats")[2]["total_jobs"]

    run = "%x" % int(time.time() * 1e6)  # request ids of this run only

    def worker(n):
        try:
            conn = srv.connect()
            for i in range(25):
                name = "w%d-%d-%s" % (n, i, run)
                st, _, doc = srv.call("POST", "/campaigns", {"job_name": name, "n": i},
                                      headers={"X-Request-Id": "req-" + name}, conn=conn)
                check(st == 201, "create %s: %s %s" % (name, st, doc))
                # A retry with the same request id gets the first answer.
                st, _, again = srv.call("POST", "/campaigns", {"job_name": name, "n": i},
                                        headers={"X-Request-Id": "req-" + name}, conn=conn)
                check(st == 201 and again["id"] == doc["id"], "retry %s: %s" % (name, again))
                st, _, got = srv.call("GET", "/campaigns/" + doc["id"], conn=conn)
                check(st == 200 and got["job_name"] == name, "read %s: %s" % (name, got))
                st, _, up = srv.call("PUT", "/campaigns/" + doc["id"], {"n": i + 1, "hook": "h"},
                                     conn=conn)
                check(st == 200 and up["n"] == i + 1, "update %s: %s %s" % (name, st, up))
                if i % 2:
                    st, _, _ = srv.call("DELETE", "/campaigns/" + doc["id"], conn=conn)
                    check(st == 204, "delete %s: %s" % (name, st))
        except SystemExit:
            errors.append("worker %d failed" % n)
        except Exception as e:  # noqa: BLE001 - report any failure of a worker
            errors.append("worker %d: %r" % (n, e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "; ".join(errors))

    # PUTs of legacy keys racing on one job: each merges into what it read,
    # conditionally, and reads again when another came first; none is lost.
    st, _, shared = srv.call("POST", "/campaigns", {"job_name": "shared", "base": 0})
    check(st == 201, "create shared: %s" % st)

    def merger(n):
        try:
            conn = srv.connect()
            for i in range(10):
                # 409: the job changed 16 times while this one merged, and
                # nothing was written; a caller sends it again, as here.
                for _ in range(20):
                    st, _, up = srv.call("PUT", "/campaigns/" + shared["id"],
                                         {"k%d_%d" % (n, i): i, "hook": "h%d" % n}, conn=conn)
                    if st != 409:
                        break
                check(st == 200, "merge %d.%d: %s %s" % (n, i, st, up))
        except SystemExit:
            errors.append("merger %d failed" % n)
        except Exception as e:  # noqa: BLE001 - report any failure of a worker
            errors.append("merger %d: %r" % (n, e))

    threads = [threading.Thread(target=merger, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "; ".join(errors))
    st, _, got = srv.call("GET", "/campaigns/" + shared["id"])
    lost = ["k%d_%d" % (n, i) for n in range(6) for i in range(10) if "k%d_%d" % (n, i) not in got]
    check(st == 200 and not lost and got["base"] == 0, "keys lost in the race: %s" % lost)
    st, _, stats = srv.call("GET", "/campaigns/stats")
    check(st == 200 and stats["total_jobs"] == before + 8 * 13 + 1,
          "jobs left: %s, not %d" % (stats["total_jobs"], before + 8 * 13 + 1))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        fail(__doc__)
    {"session": session, "hostile": hostile, "concurrent": concurrent}[sys.argv[1]](*sys.argv[2:])
