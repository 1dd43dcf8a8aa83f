#!/usr/bin/env bash
# tools/cluster_bench.sh [SECONDS]: what one call costs on each store, and
# what many jobsd and a replicated PostgreSQL change: CLUSTER.md's figures.
#
# One run, the cases in turn, each jobsbench (Release build, build-rel/)
# for SECONDS (default 5) after a second of warm-up, over 10,000 seeded
# jobs, jobsd reaching PostgreSQL over TCP on 127.0.0.1:
#   sqlite       one jobsd on SQLite
#   pg           one jobsd on one PostgreSQL (tools/pg.sh)
#   replicated   tools/cluster.sh: a primary and two synchronous standbys;
#                one jobsd, then two (the client given both), then one
#                reading from the standbys (--read-db)
# Each line: calls/s, latency p50 and p99, and the CPU time per call of
# jobsd, of the PostgreSQL primary (all its processes), of the standbys
# (each), and of jobsbench; and the WAL the primary wrote per call. During
# the replicated creates the standbys' replay lag (pg_stat_replication,
# sampled every 0.1 s) is printed too. CPU per call, unlike calls/s, hardly
# depends on what else runs on the machine: it is what the page's capacity
# figures are made of.
#
# Run it under flock /work/bench.lock (tools/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
bin=build-rel/bin
for b in jobsd jobsbench; do
	[ -x "$bin/$b" ] || {
		echo "tools/cluster_bench.sh: no $bin/$b; build it first:" \
			"cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2" >&2
		exit 1
	}
done
PSQL=/usr/lib/postgresql/15/bin/psql
HZ=$(getconf CLK_TCK)

work=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-cbench.XXXXXX")
pids=()
cleanup() {
	tools/cluster.sh stop "$work/cluster" >/dev/null 2>&1 || true
	tools/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
	# Only children of this shell still running (a reaped pid may be reused).
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null && [ "$(ps -o ppid= -p "$p" | tr -d ' ')" = $$ ]; then
			kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT

# CPU ticks of processes $@ and, for a postmaster, of its children.
ticks() {
	local t=0 p f
	for p in "$@"; do
		for f in /proc/$p/stat $(pgrep -P "$p" | sed 's|.*|/proc/&/stat|'); do
			[ -r "$f" ] || continue
			t=$((t + $(awk '{ print $14 + $15 }' "$f" 2>/dev/null || echo 0)))
		done
	done
	echo $t
}

# jobsd PORT DB [FLAGS]: starts a jobsd at tcp://127.0.0.1:PORT; its pid in $jobsd_pid.
jobsd() {
	local url=tcp://127.0.0.1:$1 db=$2
	shift 2
	HOME=$work "$bin/jobsd" --no-legacy-migration --db "$db" --listen "$url" --log-level warn \
		"$@" 2>>"$work/jobsd.log" &
	jobsd_pid=$!
	pids+=("$jobsd_pid")
	for _ in $(seq 300); do
		"$bin/jobsctl" --server "$url" health >/dev/null 2>&1 && return
		sleep 0.05
	done
	echo "tools/cluster_bench.sh: jobsd on $db did not start" >&2
	exit 1
}

stop_jobsd() {
	local p
	for p in "$@"; do kill "$p" && wait "$p" || true; done
}

lsn() { "$PSQL" -X -At "$1" -c "SELECT pg_current_wal_lsn()"; }

# run CASE MIX C SERVERS "JOBSD_PIDS" PRIMARY_PM PRIMARY_URI "STANDBY_PMS"
run() {
	local name=$1 mix=$2 c=$3 servers=$4 jpids=$5 ppm=${6:-} puri=${7:-} spms=${8:-}
	local j0 p0 s0=() w0 out j1 p1 w1 sb="" i=0 s
	# Warm: seeds (the first time) and a second of calls, not counted.
	"$bin/jobsbench" -s "$servers" -c "$c" -d 1s --warmup 0 --seed 10000 -m "$mix" \
		-f csv >/dev/null 2>>"$work/jobsbench.log"
	j0=$(ticks $jpids)
	[ -n "$ppm" ] && p0=$(ticks "$ppm") && w0=$(lsn "$puri")
	for s in $spms; do s0+=("$(ticks "$s")"); done
	out=$("$bin/jobsbench" -s "$servers" -c "$c" -d "${secs}s" --warmup 0 --seed 10000 \
		-m "$mix" -f json 2>>"$work/jobsbench.log")
	j1=$(ticks $jpids)
	for s in $spms; do
		sb+="${sb:+/}$(($(ticks "$s") - ${s0[$i]}))"
		i=$((i + 1))
	done
	[ -n "$ppm" ] && p1=$(ticks "$ppm") && w1=$(lsn "$puri") &&
		w1=$("$PSQL" -X -At "$puri" -c "SELECT pg_wal_lsn_diff('$w1', '$w0')")
	python3 - "$name" "$mix" "$c" "$HZ" "$((j1 - j0))" "${p1:+$((p1 - p0))}" "$sb" \
		"${w1:-}" "$out" <<-'EOF'
		import json, sys
		name, mix, c, hz, jt, pt, sb, wal, out = sys.argv[1:]
		r = json.loads(out)
		n = r["count"]
		us = lambda t: "%6.0f" % (int(t) * 1e6 / int(hz) / n) if t != "" else "     -"
		errs = sum(r["errors"].values()) if isinstance(r["errors"], dict) else 0
		print("%-26s %-9s c=%-3s %8.0f/s  p50 %5.2f ms  p99 %6.2f ms  jobsd %s us  primary %s us"
		      "  standbys %-11s  jobsbench %4.0f us  WAL %s B%s" % (
		          name, mix.split("=")[0], c, r["throughput_rps"],
		          r["latency_us"]["p50"] / 1e3, r["latency_us"]["p99"] / 1e3, us(jt), us(pt),
		          "/".join(us(x).strip() for x in sb.split("/")) + " us" if sb else "-",
		          r["cpu_us_per_call"]["client"],
		          "%5.0f" % (float(wal) / n) if wal else "    -",
		          "  (%d errors)" % errs if errs else ""))
	EOF
}

echo "tools/cluster_bench.sh: ${secs} s a case, $(nproc) cores, $(date -u +%FT%TZ)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- SQLite ----
jobsd 17461 "$work/sqlite.db"
for c in 1 16; do
	run sqlite get=1 $c tcp://127.0.0.1:17461 "$jobsd_pid"
	run sqlite create=1 $c tcp://127.0.0.1:17461 "$jobsd_pid"
done
stop_jobsd "$jobsd_pid"

# ---- one PostgreSQL ----
tools/pg.sh start "$work/pg" 0 >/dev/null
pguri=$(cat "$work/pg/url")
pgpm=$(head -n 1 "$(cat "$work/pg/datadir")/db/postmaster.pid")
"$PSQL" -X -q "$pguri" -c "CREATE DATABASE bench"
db="${pguri%/*}/bench"
jobsd 17462 "$db"
for c in 1 16; do
	run "pg" get=1 $c tcp://127.0.0.1:17462 "$jobsd_pid" "$pgpm" "$db"
	run "pg" create=1 $c tcp://127.0.0.1:17462 "$jobsd_pid" "$pgpm" "$db"
done
stop_jobsd "$jobsd_pid"
tools/pg.sh stop "$work/pg"

# ---- a primary and two synchronous standbys ----
tools/cluster.sh start "$work/cluster" --jobsd 0 >/dev/null
data=$(cat "$work/cluster/datadir")
pm() { head -n 1 "$data/$1/postmaster.pid"; }
url=$(cat "$work/cluster/url")
puri="postgresql://postgres@127.0.0.1:$(cat "$work/cluster/node0/port")/jobs"
standbys="$(pm node1) $(pm node2)"
jobsd 17463 "$url"
one=$jobsd_pid
# The standbys' replay lag while one jobsd creates.
printf 'SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0) FROM pg_stat_replication \\watch 0.1\n' |
	"$PSQL" -X -At "$puri" >"$work/lag" 2>/dev/null &
lag_pid=$!
pids+=("$lag_pid")
run "replicated, 1 jobsd" create=1 16 tcp://127.0.0.1:17463 "$one" "$(pm node0)" "$puri" "$standbys"
kill "$lag_pid"
python3 - "$work/lag" <<-'EOF'
	import sys
	v = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
	if v:
	    print("  replay lag during those creates: median %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)"
	          % (v[len(v) // 2], v[int(len(v) * 0.99)], v[-1], len(v)))
EOF
run "replicated, 1 jobsd" get=1 16 tcp://127.0.0.1:17463 "$one" "$(pm node0)" "$puri" "$standbys"
run "replicated, 1 jobsd" create=1 32 tcp://127.0.0.1:17463 "$one" "$(pm node0)" "$puri" "$standbys"
run "replicated, 1 jobsd" get=1 32 tcp://127.0.0.1:17463 "$one" "$(pm node0)" "$puri" "$standbys"
jobsd 17464 "$url"
two=$jobsd_pid
run "replicated, 2 jobsd" create=1 32 tcp://127.0.0.1:17463,tcp://127.0.0.1:17464 "$one $two" \
	"$(pm node0)" "$puri" "$standbys"
run "replicated, 2 jobsd" get=1 32 tcp://127.0.0.1:17463,tcp://127.0.0.1:17464 "$one $two" \
	"$(pm node0)" "$puri" "$standbys"
stop_jobsd "$one" "$two"
jobsd 17465 "$url" --read-db "$(cat "$work/cluster/read-url")"
run "replicated, --read-db" get=1 16 tcp://127.0.0.1:17465 "$jobsd_pid" "$(pm node0)" "$puri" \
	"$standbys"
stop_jobsd "$jobsd_pid"
