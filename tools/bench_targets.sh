#!/usr/bin/env bash
# tools/bench_targets.sh: measures the speed targets of issues 5 and 18 with
# jobsbench and jobsbench-ref, on an optimized build (build-rel/), over
# tcp://127.0.0.1, and prints the median of RUNS runs of each. Every
# comparison (jobsd against the echo server, jobsbench against the leanest
# client, group commit against --max-batch 1) is made side by side within
# each run, because this machine is shared and noisy.
#
#   tools/bench_targets.sh [RUNS] [BIG]
#
# RUNS (default 3) runs of each; BIG (default 1000000) is the larger database
# of the memory target (seeding it through BatchCreateJobs takes minutes).
# PARTS (environment; default "async get creates rss") picks the sets to
# run: async (issue 18, over 10,000 jobs: the leanest client, jobsbench-ref,
# against jobsd and against jobsbench-echo, with the reply cache and
# without; jobsbench's own CPU per call and its echo against the leanest
# client's; GetJob at c=16 and c=1, and the mix), get (issue 5: GetJob at
# c=16 and c=1, and the mix, against the echo server, over 100,000 jobs),
# creates (group commit against --max-batch 1), rss (memory, 10k against
# BIG jobs).
# Work files, every run's JSON included, go to a temporary directory, named
# at the end. Needs python3 for the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BIG=${2:-1000000}
DUR=${DUR:-10s}
WARM=${WARM:-2s}
PARTS=${PARTS:-async get creates rss}
want() { [[ " $PARTS " == *" $1 "* ]]; }

tools/deps.sh build
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DJOBS_TESTS=OFF >/dev/null
cmake --build build-rel -j"$(nproc)" >/dev/null
BIN=$PWD/build-rel/bin
W=$(mktemp -d "${TMPDIR:-/tmp}/jobsbench-targets-XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# start NAME PORT [jobsd flags...]: a jobsd on its own database; sets PID_NAME.
start() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$W/$name"
	"$BIN/jobsd" --db "$W/$name/jobs.db" --listen "tcp://127.0.0.1:$port" "$@" \
		2>"$W/$name/jobsd.log" &
	PIDS+=($!)
	printf -v "PID_$name" %s $!
	for _ in $(seq 100); do
		"$BIN/jobsbench" -s "tcp://127.0.0.1:$port" --mix health=1 -n 1 --warmup 0 \
			-f csv >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "jobsd $name did not start" >&2
	exit 1
}

# bench OUT ARGS...: one jobsbench run, JSON to $W/OUT.json, the command logged.
bench() {
	local out=$1
	shift
	echo "+ jobsbench $*" >>"$W/commands.txt"
	"$BIN/jobsbench" "$@" -f json >"$W/$out.json"
}

seed() { # PORT N
	local t0=$SECONDS
	"$BIN/jobsbench" -s "tcp://127.0.0.1:$1" --seed "$2" --mix get=1 -n 1 --warmup 0 \
		-c 64 -f csv >/dev/null
	echo "seeded $2 jobs on port $1 in $((SECONDS - t0)) s" | tee -a "$W/commands.txt"
}

# ref OUT ARGS...: one jobsbench-ref run, its JSON line to $W/OUT.json.
ref() {
	local out=$1
	shift
	echo "+ jobsbench-ref $*" >>"$W/commands.txt"
	"$BIN/jobsbench-ref" "$@" >"$W/$out.json"
}

echo "work files: $W"
date -u +"date: %Y-%m-%dT%H:%M:%SZ" | tee "$W/commands.txt"

# ---- issue 18: the client's cost, and GetJob near the transport's, 10,000 jobs
if want async; then
	start a18 17475
	start a18nocache 17477 --reply-cache-mib 0
	seed 17475 10000
	seed 17477 10000 # the same jobs: job i is made from i alone
	"$BIN/jobsbench-echo" tcp://127.0.0.1:17476 >"$W/echo.url" &
	PIDS+=($!)
	PID_echo=$!
	for _ in $(seq 100); do [[ -s $W/echo.url ]] && break; sleep 0.1; done
	# The echo sizes are GetJob's, as jobsbench's calibration measures them.
	bench sizes -s tcp://127.0.0.1:17475 -n 200 --warmup 0 --seed 10000 --mix get=100 \
		--baseline echo
	ECHO=$(python3 -c "import json,sys; g=json.load(open(sys.argv[1]))['by_call']['get'];
print(f\"{round(g['request_bytes'])}:{round(g['response_bytes'])}\")" "$W/sizes.json")
	echo "GetJob sizes (request:response bytes): $ECHO" | tee -a "$W/commands.txt"
fi
D18=${DUR%s}
for i in $(seq "$RUNS"); do
	want async || break
	ref "ref-echo-$i" -c 16 -d "$D18" --warmup 1 --echo "$ECHO" --server-pid "$PID_echo" \
		tcp://127.0.0.1:17476
	ref "ref-get-$i" -c 16 -d "$D18" --warmup 1 --get 10000 tcp://127.0.0.1:17475
	ref "ref-get-nocache-$i" -c 16 -d "$D18" --warmup 1 --get 10000 tcp://127.0.0.1:17477
	bench "a-get16-$i" -s tcp://127.0.0.1:17475 -c 16 -d "$DUR" --warmup "$WARM" --seed 10000 \
		--mix get=100 --baseline echo
	bench "a-get1-$i" -s tcp://127.0.0.1:17475 -c 1 -d "$DUR" --warmup "$WARM" --seed 10000 \
		--mix get=100 --baseline echo
	bench "a-mix-$i" -s tcp://127.0.0.1:17475 -c 16 -d "$DUR" --warmup "$WARM" --seed 10000 \
		--mix get=80,update=10,create=5,list=3,search=2 --baseline echo
done

# ---- GetJob and the mix, against the echo server, 100,000 jobs --------------
want get && start main 17470 && seed 17470 100000
S=tcp://127.0.0.1:17470
for i in $(seq "$RUNS"); do
	want get || break
	bench "get16-$i" -s $S -c 16 -d "$DUR" --warmup "$WARM" --seed 100000 --mix get=100 \
		--baseline echo --server-pid "$PID_main"
	bench "get1-$i" -s $S -c 1 -d "$DUR" --warmup "$WARM" --seed 100000 --mix get=100 \
		--baseline echo
	bench "mix-$i" -s $S -c 16 -d "$DUR" --warmup "$WARM" --seed 100000 \
		--mix get=80,update=10,create=5,list=3,search=2 --baseline echo
done

# ---- CreateJob: group commit against one commit per create, 100,000 jobs ----
if want creates; then
	start group 17471
	start single 17472 --max-batch 1
	seed 17471 100000
	seed 17472 100000
fi
for i in $(seq "$RUNS"); do
	want creates || break
	bench "create-group-$i" -s tcp://127.0.0.1:17471 -c 16 -d "$DUR" --warmup "$WARM" \
		--mix create=100
	bench "create-single-$i" -s tcp://127.0.0.1:17472 -c 16 -d "$DUR" --warmup "$WARM" \
		--mix create=100
done

# ---- resident memory under the GetJob load: 10,000 against BIG jobs ---------
if want rss; then
	start small 17473
	start big 17474
	seed 17473 10000
	seed 17474 "$BIG"
fi
for i in $(seq "$RUNS"); do
	want rss || break
	bench "rss-small-$i" -s tcp://127.0.0.1:17473 -c 16 -d "$DUR" --warmup "$WARM" \
		--seed 10000 --mix get=100 --server-pid "$PID_small"
	bench "rss-big-$i" -s tcp://127.0.0.1:17474 -c 16 -d "$DUR" --warmup "$WARM" \
		--seed "$BIG" --mix get=100 --server-pid "$PID_big"
done

python3 - "$W" "$RUNS" "$PARTS" <<'EOF'
import json, statistics, sys
w, runs, parts = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def load(name):
    return [json.load(open(f"{w}/{name}-{i}.json")) for i in range(1, runs + 1)]
def med(xs):
    return statistics.median(xs)
def show(label, xs, fmt="{:.3f}"):
    print(f"  {label:<48} median " + fmt.format(med(xs)) + "   runs: " +
          ", ".join(fmt.format(x) for x in xs))

if "async" in parts:
  re, rg, rn = load("ref-echo"), load("ref-get"), load("ref-get-nocache")
  g16, g1, mx = load("a-get16"), load("a-get1"), load("a-mix")
  print("\nIssue 18, 10,000 jobs, tcp, concurrency 16 unless said")
  show("ref client: echo (calls/s)", [r["throughput_rps"] for r in re], "{:.0f}")
  show("ref client: GetJob (calls/s)", [r["throughput_rps"] for r in rg], "{:.0f}")
  show("ref client: GetJob/echo (target >= 0.7)",
       [g["throughput_rps"] / e["throughput_rps"] for g, e in zip(rg, re)])
  show("  the same, reply cache off",
       [g["throughput_rps"] / e["throughput_rps"] for g, e in zip(rn, re)])
  show("echo server CPU per call (us)", [r["server_cpu_us_per_call"] for r in re], "{:.1f}")
  show("jobsd CPU per GetJob (us)", [r["server_cpu_us_per_call"] for r in rg], "{:.1f}")
  show("  the same, reply cache off", [r["server_cpu_us_per_call"] for r in rn], "{:.1f}")
  show("ref client CPU per call, echo (us)", [r["client_cpu_us_per_call"] for r in re],
       "{:.1f}")
  show("jobsbench CPU per GetJob (us, target <= 20)",
       [r["cpu_us_per_call"]["client"] for r in g16], "{:.1f}")
  show("jobsbench CPU per echo call (us)",
       [r["baseline"]["cpu_us_per_call"]["client"] for r in g16], "{:.1f}")
  show("jobsbench echo / ref echo (target >= 0.9)",
       [j["baseline"]["throughput_rps"] / e["throughput_rps"] for j, e in zip(g16, re)])
  show("jobsbench: GetJob/echo", [r["ratio"] for r in g16])
  show("GetJob p99 us (target < 2000)", [r["latency_us"]["p99"] for r in g16], "{:.0f}")
  show("c=1: GetJob p50 / echo p50 (target <= 1.2)",
       [r["latency_us"]["p50"] / r["baseline"]["latency_us"]["p50"] for r in g1])
  show("c=1: GetJob p50 us", [r["latency_us"]["p50"] for r in g1], "{:.0f}")
  show("mix: jobsd/echo", [r["ratio"] for r in mx])
  show("mix: jobsd (calls/s)", [r["throughput_rps"] for r in mx], "{:.0f}")
  show("mix: jobsbench CPU per call (us)", [r["cpu_us_per_call"]["client"] for r in mx],
       "{:.1f}")
  show("mix: jobsd CPU per call (us)", [r["cpu_us_per_call"]["server"] for r in mx], "{:.1f}")
  show("mix errors", [sum(r["errors"].values()) for r in mx], "{:.0f}")
if "get" in parts:
  print("\nGetJob, concurrency 16, 100,000 jobs")
  g = load("get16")
  show("jobsd throughput (calls/s)", [r["throughput_rps"] for r in g], "{:.0f}")
  show("echo throughput (calls/s)", [r["baseline"]["throughput_rps"] for r in g], "{:.0f}")
  show("ratio jobsd/echo (target >= 0.7)", [r["ratio"] for r in g])
  show("jobsd p99 us (target < 2000)", [r["latency_us"]["p99"] for r in g], "{:.0f}")
  show("echo p99 us", [r["baseline"]["latency_us"]["p99"] for r in g], "{:.0f}")
  show("errors", [sum(r["errors"].values()) for r in g], "{:.0f}")
  print("\nGetJob, concurrency 1")
  g = load("get1")
  show("jobsd p50 us", [r["latency_us"]["p50"] for r in g], "{:.0f}")
  show("echo p50 us", [r["baseline"]["latency_us"]["p50"] for r in g], "{:.0f}")
  show("p50 jobsd/echo (target <= 1.2)",
       [r["latency_us"]["p50"] / r["baseline"]["latency_us"]["p50"] for r in g])
  show("ratio of throughput jobsd/echo", [r["ratio"] for r in g])
  print("\nMix get=80,update=10,create=5,list=3,search=2, concurrency 16")
  g = load("mix")
  show("jobsd throughput (calls/s)", [r["throughput_rps"] for r in g], "{:.0f}")
  show("echo throughput (calls/s)", [r["baseline"]["throughput_rps"] for r in g], "{:.0f}")
  show("ratio jobsd/echo (target >= 0.35)", [r["ratio"] for r in g])
  show("errors (target 0)", [sum(r["errors"].values()) for r in g], "{:.0f}")
  show("jobsd p99 us", [r["latency_us"]["p99"] for r in g], "{:.0f}")
if "creates" in parts:
  print("\nCreateJob, concurrency 16, 100,000 jobs: group commit against --max-batch 1")
  a, b = load("create-group"), load("create-single")
  show("group commit (calls/s)", [r["throughput_rps"] for r in a], "{:.0f}")
  show("--max-batch 1 (calls/s)", [r["throughput_rps"] for r in b], "{:.0f}")
  show("ratio (target >= 2.5)", [x["throughput_rps"] / y["throughput_rps"] for x, y in zip(a, b)])
  show("errors", [sum(r["errors"].values()) + sum(s["errors"].values()) for r, s in zip(a, b)],
       "{:.0f}")
if "rss" in parts:
  print("\nResident memory of jobsd under GetJob load, concurrency 16")
  a, b = load("rss-small"), load("rss-big")
  show("10,000 jobs: max RSS (MiB)", [r["server_rss_kb"]["max"] / 1024 for r in a], "{:.1f}")
  show(f"{runs and b[0]['settings']['seed']:,} jobs: max RSS (MiB)",
       [r["server_rss_kb"]["max"] / 1024 for r in b], "{:.1f}")
  show("ratio big/small (target 0.90 to 1.10)",
       [y["server_rss_kb"]["max"] / x["server_rss_kb"]["max"] for x, y in zip(a, b)])
  show("GetJob throughput, 10,000 jobs", [r["throughput_rps"] for r in a], "{:.0f}")
  show("GetJob throughput, big", [r["throughput_rps"] for r in b], "{:.0f}")
EOF
echo
echo "commands: $W/commands.txt; every run's JSON: $W/*.json"
