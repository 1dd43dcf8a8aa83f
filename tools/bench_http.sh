#!/usr/bin/env bash
# tools/bench_http.sh [ROUNDS] [SECONDS]: what jobsd --http costs GetJob over
# nng (its counting for /metrics, and the HTTP server idling beside it). On
# one database of 100,000 jobs it starts build-rel/'s jobsd without and with
# `--http http://127.0.0.1:0`, in ABBA order, ROUNDS times each (default 5),
# and runs jobsbench -c 16 --mix get=100 for SECONDS (default 10) against
# each over ipc://. Prints every run, then the medians of throughput and of
# jobsd's CPU time per call, and with/without ratios. Needs python3.
# Run it under `flock /work/bench.lock` where others benchmark too.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
secs=${2:-10}
bin=build-rel/bin
for b in jobsd jobsbench jobsctl; do
	if [ ! -x "$bin/$b" ]; then
		echo "tools/bench_http.sh: no $bin/$b; build build-rel first (tools/README.md)" >&2
		exit 2
	fi
done
work=$(mktemp -d /tmp/jobsd-bench-http-XXXXXX)
sock="ipc://$work/jobsd.sock"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

start() {
	HOME=$work "$bin/jobsd" --db "$work/jobs.db" --listen "$sock" --no-legacy-migration "$@" \
		2>>"$work/jobsd.log" &
	pid=$!
	for _ in $(seq 500); do
		"$bin/jobsctl" --server "$sock" health >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	echo "tools/bench_http.sh: jobsd did not come up:" >&2
	cat "$work/jobsd.log" >&2
	exit 1
}
stop() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

start
"$bin/jobsbench" -s "$sock" --server-pid "$pid" -n 1 --warmup 0 --seed 100000 -f json >/dev/null
stop
for r in $(seq "$rounds"); do # ROUNDS 0: the callgrind part alone
	order="off on"
	[ $((r % 2)) -eq 0 ] && order="on off"
	for mode in $order; do
		if [ "$mode" = on ]; then start --http http://127.0.0.1:0; else start; fi
		"$bin/jobsbench" -s "$sock" --server-pid "$pid" -c 16 -d "${secs}s" --seed 100000 \
			--mix get=100 -f json >"$work/$mode-$r.json"
		stop
	done
done
[ "$rounds" -gt 0 ] && python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = {"off": [], "on": []}
for r in range(1, rounds + 1):
    for mode in ("off", "on"):
        d = json.load(open("%s/%s-%d.json" % (work, mode, r)))
        runs[mode].append((d["throughput_rps"], d["cpu_us_per_call"]["server"]))
        print("round %d  --http %-3s  %8.0f calls/s  jobsd %6.2f us/call" %
              (r, mode, runs[mode][-1][0], runs[mode][-1][1]))
med = {m: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
       for m, v in runs.items()}
for m in ("off", "on"):
    print("median    --http %-3s  %8.0f calls/s  jobsd %6.2f us/call" % (m, med[m][0], med[m][1]))
print("with/without: throughput %.3f, jobsd CPU per call %.3f" %
      (med["on"][0] / med["off"][0], med["on"][1] / med["off"][1]))
PY

# CALLGRIND=1: also counts the instructions jobsd runs per GetJob, with and
# without --http, under valgrind's callgrind: only inside rpc.c's work_cb()
# (receive, decode, admit, run inline, answer), from runs of N and 3N calls,
# so that what does not scale with the calls cancels out.
[ "${CALLGRIND:-0}" = 1 ] || exit 0
n=${CALLGRIND_CALLS:-5000}
ir() { # MODE CALLS: total instructions in work_cb
	local out="$work/cg-$1-$2" args=()
	[ "$1" = on ] && args=(--http http://127.0.0.1:0)
	HOME=$work valgrind --tool=callgrind --toggle-collect=work_cb --callgrind-out-file="$out" \
		"$bin/jobsd" --db "$work/jobs.db" --listen "$sock" --no-legacy-migration "${args[@]}" \
		2>>"$work/valgrind.log" &
	pid=$!
	for _ in $(seq 3000); do
		"$bin/jobsctl" --server "$sock" health >/dev/null 2>&1 && break
		sleep 0.05
	done
	"$bin/jobsbench" -s "$sock" -c 1 -n "$2" --warmup 0 --seed 100000 --mix get=100 \
		-f json >/dev/null
	stop
	callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
for mode in off on; do
	a=$(ir "$mode" "$n")
	b=$(ir "$mode" $((3 * n)))
	echo "callgrind --http $mode: $(((b - a) / (2 * n))) instructions per GetJob in work_cb"
done
