#!/usr/bin/env bash
# tools/bench_stores.sh [SECONDS] [ROUNDS] [WRITERS]: SQLite against
# PostgreSQL, side by side in one run (issue 15's speed targets).
#
# Starts a throwaway PostgreSQL 15 (tools/pg.sh, fsync on, on this machine)
# and, ROUNDS times (default 3), for each store in turn: a jobsd of the
# Release build (build-rel/) on a fresh database seeded with 10,000 jobs,
# then jobsbench at c=16 for SECONDS (default 10) each, after 2 s of
# warm-up: GetJob, CreateJob, UpdateJob, and the weighted mix
# get=80,update=10,create=5,list=3,search=2. Prints each figure, each ratio
# PostgreSQL / SQLite, the median ratios, and the CPU time the PostgreSQL
# backends serving jobsd spent per call (from /proc; the server's other
# processes not counted). jobsd reaches PostgreSQL over TCP on 127.0.0.1,
# as a client on another machine would; PG_URL_KIND=unix uses the server's
# unix socket instead. WRITERS is jobsd's --writers on PostgreSQL (default:
# jobsd's own). BASE=DIR (a build's bin/, e.g. of main) adds a third store
# to each round: PostgreSQL with DIR's jobsd on a database it made, with
# the ratios of this build's PostgreSQL figures to it.
#
# Run it under flock /work/bench.lock (see tools/README.md).
set -euo pipefail
[ -z "${BASE:-}" ] || BASE=$(cd "$BASE" && pwd)
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
writers=${3:-}
bin=build-rel/bin
for b in jobsd jobsbench jobsctl; do
	[ -x "$bin/$b" ] || {
		echo "tools/bench_stores.sh: no $bin/$b; build it first:" \
			"cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2" >&2
		exit 1
	}
done
[ -z "${BASE:-}" ] || [ -x "$BASE/jobsd" ] || {
	echo "tools/bench_stores.sh: no jobsd in $BASE" >&2
	exit 1
}

. tools/pglib.sh
pg_scratch jobsd-bench
if [ "${PG_URL_KIND:-tcp}" = unix ]; then
	server="postgresql:///postgres?host=$(cat "$work/pg/datadir")&port=$(cat "$work/pg/port")&user=postgres"
fi

kinds=(get=1 create=1 update=1 "get=80,update=10,create=5,list=3,search=2")
names=(GetJob CreateJob UpdateJob mix)

# The CPU time (clock ticks) PostgreSQL's backends serving database $1 have
# spent: they live as long as jobsd's connections.
backends_cpu() {
	local p t=0 f
	for p in $(psql -Atq "$server" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1' \
	                                   AND backend_type = 'client backend'"); do
		# utime and stime: fields 14 and 15, after the name in parentheses.
		f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + $(echo "$f" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# bench BIN DB DATNAME EXTRA_FLAGS: prints, for each of kinds, "calls/s" and
# the backends' CPU µs per call ("-" on SQLite, DATNAME empty).
bench() {
	local bin=$1 db=$2 datname=$3 sock=ipc://$work/jobsd.sock out=() m c0 c1 csv
	shift 3
	HOME=$work "$bin/jobsd" --no-legacy-migration --db "$db" --listen "$sock" --log-level warn \
		"$@" 2>>"$work/jobsd.log" &
	jobsd_pid=$!
	for _ in $(seq 200); do
		"$bin/jobsctl" --server "$sock" health >/dev/null 2>&1 && break
		sleep 0.05
	done
	for m in "${kinds[@]}"; do
		# The warm-up apart, so that the CPU read around the measured run is its own.
		"$bin/jobsbench" -s "$sock" -c 16 -d 2s --warmup 0s --seed 10000 -m "$m" -f csv >/dev/null
		[ -n "$datname" ] && c0=$(backends_cpu "$datname")
		csv=$("$bin/jobsbench" -s "$sock" -c 16 -d "${secs}s" --warmup 0s --seed 10000 -m "$m" -f csv)
		[ -n "$datname" ] && c1=$(backends_cpu "$datname")
		out+=("$(echo "$csv" | awk -F, -v c0="${c0:-}" -v c1="${c1:-}" -v hz="$(getconf CLK_TCK)" \
			'$2 == "total" { printf "%s %s", $4, c0 == "" ? "-" : sprintf("%.0f", (c1 - c0) * 1e6 / hz / $3) }')")
	done
	kill "$jobsd_pid"
	wait "$jobsd_pid" || true
	jobsd_pid=
	echo "${out[*]}"
}

# pg_db NAME: a new database on the server, as a URI for jobsd.
pg_db() {
	local db
	psql -q "$server" -c "CREATE DATABASE $1" >/dev/null
	db="${server%%\?*}"
	db="${db%/*}/$1"
	[ "$server" = "${server%%\?*}" ] || db="$server&dbname=$1"
	echo "$db"
}

results=()
for r in $(seq "$rounds"); do
	sq=$(bench "$bin" "$work/sqlite-$r.db" "")
	pq=$(bench "$bin" "$(pg_db "bench_$r")" "bench_$r" ${writers:+--writers "$writers"})
	bq=
	[ -n "${BASE:-}" ] && bq=$(bench "$BASE" "$(pg_db "base_$r")" "base_$r" ${writers:+--writers "$writers"})
	results+=("$sq $pq $bq")
	echo "round $r: sqlite (calls/s, -) $sq; postgresql (calls/s, backend µs/call) $pq${bq:+; base $bq}" >&2
done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
n=${#kinds[@]}
printf '%-9s %-5s %10s %10s %7s %8s' call round sqlite postgresql ratio 'pg µs'
[ -n "${BASE:-}" ] && printf ' %10s %8s %7s' base 'base µs' 'pg/base'
echo
for k in $(seq 0 $((n - 1))); do
	ratios=() bratios=()
	for r in $(seq "$rounds"); do
		read -r -a v <<<"${results[$((r - 1))]}"
		s=${v[$((2 * k))]} p=${v[$((2 * (n + k)))]} pu=${v[$((2 * (n + k) + 1))]}
		ratios+=("$(awk -v p="$p" -v s="$s" 'BEGIN { printf "%.3f", p / s }')")
		printf '%-9s %-5s %10s %10s %7s %8s' "${names[$k]}" "$r" "$s" "$p" "${ratios[-1]}" "$pu"
		if [ -n "${BASE:-}" ]; then
			b=${v[$((2 * (2 * n + k)))]} bu=${v[$((2 * (2 * n + k) + 1))]}
			bratios+=("$(awk -v p="$p" -v b="$b" 'BEGIN { printf "%.3f", p / b }')")
			printf ' %10s %8s %7s' "$b" "$bu" "${bratios[-1]}"
		fi
		echo
	done
	printf '%-9s median ratio %s' "${names[$k]}" "$(printf '%s\n' "${ratios[@]}" | median)"
	[ -n "${BASE:-}" ] && printf ', postgresql / base %s' "$(printf '%s\n' "${bratios[@]}" | median)"
	echo
done
