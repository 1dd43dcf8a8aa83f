#!/usr/bin/env bash
# tools/bench_targets.sh: measures the targets of issue 5 with jobsbench, on
# an optimized build (build-rel/), over tcp://127.0.0.1, and prints the
# median of RUNS runs of each. Every comparison (jobsd against the echo
# server, group commit against --max-batch 1) is made side by side within
# each run, because this machine is shared and noisy.
#
#   tools/bench_targets.sh [RUNS] [BIG]
#
# RUNS (default 3) runs of each; BIG (default 1000000) is the larger database
# of the memory target (seeding it through BatchCreateJobs takes minutes).
# PARTS (environment; default "get creates rss") picks the sets to run:
# get (GetJob at c=16 and c=1, and the mix, against the echo server),
# creates (group commit against --max-batch 1), rss (memory, 10k against
# BIG jobs). As the issue says, every set but rss runs over 100,000 jobs.
# Work files, every run's JSON included, go to a temporary directory, named
# at the end. Needs python3 for the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BIG=${2:-1000000}
DUR=${DUR:-10s}
WARM=${WARM:-2s}
PARTS=${PARTS:-get creates rss}
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

echo "work files: $W"
date -u +"date: %Y-%m-%dT%H:%M:%SZ" | tee "$W/commands.txt"

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
