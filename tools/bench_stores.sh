#!/usr/bin/env bash
# tools/bench_stores.sh [SECONDS] [ROUNDS] [WRITERS]: SQLite against
# PostgreSQL, side by side in one run (issue 15's speed targets).
#
# Starts a throwaway PostgreSQL 15 (tools/pg.sh, fsync on, on this machine)
# and, ROUNDS times (default 3), for each store in turn: a jobsd of the
# Release build (build-rel/) on a fresh database seeded with 10,000 jobs,
# then jobsbench at c=16 for SECONDS (default 10) each: GetJob, CreateJob,
# and the weighted mix get=80,update=10,create=5,list=3,search=2. Prints
# each figure, each ratio PostgreSQL / SQLite, and the median ratios.
# jobsd reaches PostgreSQL over TCP on 127.0.0.1, as a client on another
# machine would; PG_URL_KIND=unix uses the server's unix socket instead.
# WRITERS is jobsd's --writers on PostgreSQL (default: jobsd's own).
#
# Run it under flock /work/bench.lock (see tools/README.md).
set -euo pipefail
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

work=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-bench.XXXXXX")
jobsd_pid=
cleanup() {
	[ -n "$jobsd_pid" ] && kill "$jobsd_pid" 2>/dev/null && wait "$jobsd_pid" 2>/dev/null
	tools/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
tools/pg.sh start "$work/pg" 0
server=$(cat "$work/pg/url")
if [ "${PG_URL_KIND:-tcp}" = unix ]; then
	server="postgresql:///postgres?host=$(cat "$work/pg/datadir")&port=$(cat "$work/pg/port")&user=postgres"
fi

# bench DB EXTRA_FLAGS: prints "get create mix" calls/s.
bench() {
	local db=$1 sock=ipc://$work/jobsd.sock out=() m
	shift
	HOME=$work "$bin/jobsd" --no-legacy-migration --db "$db" --listen "$sock" --log-level warn \
		"$@" 2>>"$work/jobsd.log" &
	jobsd_pid=$!
	for _ in $(seq 200); do
		"$bin/jobsctl" --server "$sock" health >/dev/null 2>&1 && break
		sleep 0.05
	done
	for m in get=1 create=1 get=80,update=10,create=5,list=3,search=2; do
		out+=("$("$bin/jobsbench" -s "$sock" -c 16 -d "${secs}s" --warmup 2s --seed 10000 \
			-m "$m" -f csv | awk -F, '$2 == "total" { print $4 }')")
	done
	kill "$jobsd_pid"
	wait "$jobsd_pid" || true
	jobsd_pid=
	echo "${out[*]}"
}

results=()
for r in $(seq "$rounds"); do
	sq=$(bench "$work/sqlite-$r.db")
	name=bench_$r
	psql -q "$server" -c "CREATE DATABASE $name" >/dev/null
	pgdb="${server%%\?*}"
	pgdb="${pgdb%/*}/$name"
	[ "$server" = "${server%%\?*}" ] || pgdb="$server&dbname=$name"
	pq=$(bench "$pgdb" ${writers:+--writers "$writers"})
	results+=("$sq $pq")
	echo "round $r: sqlite get/create/mix $sq; postgresql $pq" >&2
done

printf '%-8s %-6s %12s %12s %8s\n' call round sqlite postgresql ratio
for k in 0 1 2; do
	name=$(echo "GetJob CreateJob mix" | cut -d' ' -f$((k + 1)))
	ratios=()
	for r in $(seq "$rounds"); do
		read -r -a v <<<"${results[$((r - 1))]}"
		s=${v[$k]} p=${v[$((k + 3))]}
		ratio=$(awk -v p="$p" -v s="$s" 'BEGIN { printf "%.3f", p / s }')
		ratios+=("$ratio")
		printf '%-8s %-6s %12s %12s %8s\n' "$name" "$r" "$s" "$p" "$ratio"
	done
	printf '%-8s median ratio %s\n' "$name" \
		"$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
done
