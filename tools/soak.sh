#!/usr/bin/env bash
# tools/soak.sh: a bounded soak of jobsd (issue 6). On an optimized build
# (build-rel/), over tcp://127.0.0.1, a fresh jobsd takes a write-heavy mix
# from jobsbench for MINUTES, its resident memory sampled every 5 s. Then
# jobsd is stopped with SIGTERM, and every write jobsbench saw acknowledged
# (--ack-log) is looked up in the database file: each created job must be
# there, each updated one at that etag or a later one.
#
#   tools/soak.sh [MINUTES] [CONCURRENCY]      defaults: 5 and 16
#
# It passes (exit 0) with 0 errors, 0 lost writes, an intact database
# (PRAGMA integrity_check), jobsd exiting 0, and memory flat: the largest
# resident size of the last third of the run within 10% of the largest of
# the first third (the first minute, the warm-up of SQLite's page caches, is
# left out). Needs python3 for the checks. Work files go to a temporary
# directory, named at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-5}
CONC=${2:-16}
SEED=${SEED:-10000}
MIX=${MIX:-create=30,update=40,get=20,list=5,search=5}
PORT=${PORT:-17490}

tools/deps.sh build
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DJOBS_TESTS=OFF >/dev/null
cmake --build build-rel -j"$(nproc)" >/dev/null
BIN=$PWD/build-rel/bin
W=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-soak-XXXXXX")
URL=tcp://127.0.0.1:$PORT
PID=
SAMPLER=
trap '[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null; [ -n "$PID" ] && kill "$PID" 2>/dev/null; true' EXIT

echo "work files: $W"
date -u +"date: %Y-%m-%dT%H:%M:%SZ" | tee "$W/summary.txt"
"$BIN/jobsd" --db "$W/jobs.db" --listen "$URL" 2>"$W/jobsd.log" &
PID=$!
for _ in $(seq 100); do
	"$BIN/jobsbench" -s "$URL" --mix health=1 -n 1 --warmup 0 -f csv >/dev/null 2>&1 && break
	sleep 0.1
done

# Resident memory every 5 s: "seconds-since-start KiB".
(
	t0=$(date +%s)
	while kill -0 "$PID" 2>/dev/null; do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null || true)
		[ -n "$rss" ] && echo "$(($(date +%s) - t0)) $rss" >>"$W/rss.txt"
		sleep 5
	done
) &
SAMPLER=$!

CMD=("$BIN/jobsbench" -s "$URL" -c "$CONC" -d "${MINUTES}m" --warmup 0 --seed "$SEED"
	--mix "$MIX" --ack-log "$W/acks.txt" --server-pid "$PID" -f json)
echo "+ ${CMD[*]}" | sed "s|$BIN/||; s|$W/|\$W/|g" | tee -a "$W/summary.txt"
"${CMD[@]}" >"$W/soak.json"

kill -TERM "$PID"
status=0
wait "$PID" || status=$?
PID=
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
echo "jobsd exit status at SIGTERM: $status" | tee -a "$W/summary.txt"
echo "work files: $W"

python3 - "$W" "$status" <<'EOF' | tee -a "$W/summary.txt"
import json, sqlite3, sys
w, jobsd_status = sys.argv[1], int(sys.argv[2])
r = json.load(open(f"{w}/soak.json"))
errors = sum(r["errors"].values())
lat = r["latency_us"]
print(f"calls {r['count']}, {r['throughput_rps']:.0f}/s; errors {errors} {r['errors'] or ''}")
print(f"latency us: p50 {lat['p50']}, p99 {lat['p99']}, p99.9 {lat['p999']}, max {lat['max']}")
for k, v in sorted(r["by_call"].items()):
    print(f"  {k:<7} {v['count']:>8} calls, p50 {v['latency_us']['p50']} us, "
          f"p99 {v['latency_us']['p99']} us")

# Every acknowledged write, in the file jobsd left.
acked = {}
with open(f"{w}/acks.txt") as f:
    for line in f:
        i, etag = line.split()
        acked[i] = max(acked.get(i, 0), int(etag))
db = sqlite3.connect(f"file:{w}/jobs.db?mode=ro", uri=True)
lost = [i for i, v in acked.items()
        if (row := db.execute("SELECT version FROM jobs WHERE id = ?", (i,)).fetchone()) is None
        or row[0] < v]
integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
creates = sum(1 for i in acked if not i.startswith("jobsbench-"))
print(f"acknowledged writes: {sum(1 for _ in open(f'{w}/acks.txt'))} "
      f"({creates} jobs created, {len(acked) - creates} seeded jobs updated); lost: {len(lost)}"
      + (f" e.g. {lost[:5]}" if lost else ""))
print(f"integrity_check: {integrity}")

rss = [tuple(map(int, l.split())) for l in open(f"{w}/rss.txt")]
end = rss[-1][0]
body = [(t, kb) for t, kb in rss if t >= 60] or rss
third = max(1, len(body) // 3)
first, last = max(kb for _, kb in body[:third]), max(kb for _, kb in body[-third:])
print(f"resident memory MiB: at start {rss[0][1] / 1024:.1f}, "
      f"max of the first third {first / 1024:.1f}, max of the last third {last / 1024:.1f}, "
      f"ratio {last / first:.3f} (samples every 5 s over {end} s)")
ok = errors == 0 and not lost and integrity == "ok" and jobsd_status == 0 and last <= 1.10 * first
print("soak: PASSED" if ok else "soak: FAILED")
sys.exit(0 if ok else 1)
EOF
