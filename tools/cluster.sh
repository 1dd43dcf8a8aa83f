#!/usr/bin/env bash
# tools/cluster.sh: jobsd on a replicated PostgreSQL, on one machine.
#
#   start DIR [--jobsd N] [--read-db] [--port-base P]
#       Three PostgreSQL 15 nodes on 127.0.0.1 (node0 the primary, node1 and
#       node2 its standbys, synchronous: a commit waits until one of the two
#       has it on disk), a database `jobs` on them, and N jobsd (default 2,
#       0 for none) serving it over tcp://127.0.0.1. With --read-db, the
#       jobsd read from the standbys. Ports are free ones, or P, P+1, ...
#       Prints the --server list for jobsctl and jobsbench.
#   status DIR        each node's role, WAL position and replication; each jobsd.
#   failover DIR      what losing the primary's machine looks like, and the
#                     cure: kill -9 of the primary's postmaster, promotion of
#                     the standby that has the most WAL (pg_ctl promote), the
#                     other standby pointed at it.
#   rebuild DIR NODE  makes a dead node a standby of the primary again
#                     (pg_rewind, else a fresh pg_basebackup).
#   stop DIR          stops the jobsd and the nodes it started, removes their
#                     data. Exits non-zero if a jobsd did not stop cleanly.
#
# DIR holds what a client needs and what the script keeps:
#   DIR/servers   the --server list;  DIR/url  jobsd's --db (every node, the
#   one that takes writes is used);  DIR/read-url  its --read-db;
#   DIR/nodeK/port, DIR/nodeK/log (the server's log, copied there at stop);
#   DIR/jobsd-J.{pid,log,url}.
# The nodes' data lives in a folder under $TMPDIR (as root, the postgres user
# runs the servers and owns it: initdb refuses root). JOBSD names the jobsd
# binary (default build/bin/jobsd). Any failure exits non-zero with a line
# saying why.
set -euo pipefail

NODES=(node0 node1 node2)

die() {
	echo "tools/cluster.sh: $*" >&2
	exit 1
}

say() { echo "tools/cluster.sh: $*" >&2; }

. "$(dirname "$0")/pglib.sh"
BIN=$(bindir)

now_ms() { date +%s%3N; }

port_of() { cat "$DIR/$1/port"; }
data_of() { echo "$(cat "$DIR/datadir")/$1"; }

# psql on a node, one value out; fails quietly (status 1) when it is down.
q() {
	"$BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$(port_of "$1")" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -c "$2" 2>/dev/null
}

# primary, standby or down.
role() {
	local r
	r=$(q "$1" "SELECT pg_is_in_recovery()") || { echo down; return; }
	[ "$r" = f ] && echo primary || echo standby
}

primary() {
	local n
	for n in "${NODES[@]}"; do
		[ "$(role "$n")" = primary ] && { echo "$n"; return; }
	done
	return 1
}

# Sets `key = 'value'` in a node's postgresql.auto.conf (its own settings:
# pg_basebackup copies the primary's files, so the port is set after).
set_conf() {
	local f
	f="$(data_of "$1")/postgresql.auto.conf"
	as_owner sh -c "grep -v '^$2 = ' '$f' >'$f.new' || true; printf \"%s = '%s'\\n\" '$2' \"\$1\" >>'$f.new'; mv '$f.new' '$f'" sh "$3"
}

# Points node $1 at primary $2: a standby streaming from it under its name,
# which synchronous_standby_names lists.
follow() {
	set_conf "$1" primary_conninfo \
		"host=127.0.0.1 port=$(port_of "$2") user=postgres application_name=$1"
	as_owner touch "$(data_of "$1")/standby.signal"
}

# A node's log: beside its data, which pg_rewind and pg_basebackup copy
# from another node.
log_of() { echo "$(cat "$DIR/datadir")/$1.log"; }

node_start() {
	local n=$1 data
	data=$(data_of "$n")
	if ! as_owner "$BIN/pg_ctl" -D "$data" -l "$(log_of "$n")" -w -t 120 start >/dev/null; then
		tail -n 20 "$(log_of "$n")" >&2 || true
		die "$n did not start on 127.0.0.1:$(port_of "$n")"
	fi
}

# Waits until node $1 is up in role $2 (at most $3 seconds).
wait_role() {
	local deadline=$(($(now_ms) + ${3:-60} * 1000))
	while [ "$(role "$1")" != "$2" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || die "$1 is not a $2 after ${3:-60} s"
		sleep 0.1
	done
}

# Waits until the primary counts $1 streaming standbys (at most 60 s).
wait_standbys() {
	local p deadline=$(($(now_ms) + 60000))
	p=$(primary) || die "no primary"
	until [ "$(q "$p" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" \
		-ge "$1" ] 2>/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] || die "fewer than $1 standbys stream from $p"
		sleep 0.1
	done
}

# A new standby $1 of primary $2, copied whole.
basebackup() {
	local data
	data=$(data_of "$1")
	as_owner rm -rf "$data"
	as_owner "$BIN/pg_basebackup" -h 127.0.0.1 -p "$(port_of "$2")" -U postgres -D "$data" \
		-X stream -c fast >/dev/null 2>"$DIR/$1/basebackup.log" ||
		{ cat "$DIR/$1/basebackup.log" >&2; die "pg_basebackup of $1 from $2 failed"; }
	node_conf "$1"
	follow "$1" "$2"
}

# The settings that are the node's own.
node_conf() {
	local data
	data=$(data_of "$1")
	set_conf "$1" port "$(port_of "$1")"
	# Not in the data folder, which pg_rewind copies (a socket cannot be).
	set_conf "$1" unix_socket_directories "$(cat "$DIR/datadir")/sockets"
	# In the processes' titles, and unique on the machine: rebuild looks
	# for a killed node's processes by it.
	set_conf "$1" cluster_name "$(basename "$(cat "$DIR/datadir")")-$1"
}

uri() {
	local hosts="" n
	for n in "${NODES[@]}"; do hosts+="${hosts:+,}127.0.0.1:$(port_of "$n")"; done
	echo "postgresql://postgres@$hosts/jobs?$1"
}

# Whether anything that DIR's cluster started still runs: a node's
# postmaster or a jobsd.
running() {
	local n f
	for n in "${NODES[@]}"; do
		pg_running "$(data_of "$n")" && return 0
	done
	for f in "$DIR"/jobsd-*.pid; do
		[ -e "$f" ] && alive "$(cat "$f")" && return 0
	done
	return 1
}

start() {
	local jobsd=2 read_db=0 base=0 data n i jport url
	while [ $# -gt 0 ]; do
		case $1 in
		--jobsd) jobsd=${2:?--jobsd wants a number}; shift 2 ;;
		--read-db) read_db=1; shift ;;
		--port-base) base=${2:?--port-base wants a port}; shift 2 ;;
		*) die "start: unknown option $1" ;;
		esac
	done
	[[ $jobsd =~ ^[0-9]+$ ]] || die "--jobsd wants a number, not $jobsd"
	if [ -e "$DIR/datadir" ]; then
		running && die "$DIR already holds a cluster (tools/cluster.sh stop $DIR first)"
		say "$DIR holds a cluster that no longer runs (a killed run's); removing it"
		stop || true
	fi
	JOBSD=${JOBSD:-build/bin/jobsd}
	if [ "$jobsd" -gt 0 ]; then
		[ -x "$JOBSD" ] || die "no jobsd at $JOBSD (build first, or set JOBSD)"
		JOBSD=$(realpath "$JOBSD")
	fi
	mkdir -p "$DIR"
	data=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-cluster.XXXXXX")
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "there is no postgres user to run the servers as"
		chown postgres: "$data"
	fi
	chmod 0700 "$data"
	as_owner mkdir -m 0700 "$data/sockets"
	echo "$data" >"$DIR/datadir"
	i=0
	for n in "${NODES[@]}"; do
		mkdir -p "$DIR/$n"
		if [ "$base" -gt 0 ]; then echo $((base + i)) >"$DIR/$n/port"; else free_port >"$DIR/$n/port"; fi
		i=$((i + 1))
	done

	# node0: a new cluster. wal_log_hints lets pg_rewind bring a failed
	# primary back as a standby; wal_keep_size keeps the WAL a standby
	# that was away a while needs to catch up; hot_standby_feedback keeps
	# the primary from removing rows a standby's reads still use.
	as_owner "$BIN/initdb" -D "$(data_of node0)" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$DIR/node0/initdb.log" 2>&1 || { cat "$DIR/node0/initdb.log" >&2; die "initdb failed"; }
	as_owner sh -c "cat >>'$(data_of node0)/postgresql.conf'" <<-EOF
		listen_addresses = '127.0.0.1'
		fsync = on
		synchronous_commit = on
		synchronous_standby_names = 'ANY 1 (${NODES[0]}, ${NODES[1]}, ${NODES[2]})'
		wal_log_hints = on
		wal_keep_size = '256MB'
		hot_standby_feedback = on
		max_connections = 300
		shared_buffers = '128MB'
	EOF
	node_conf node0
	node_start node0
	for n in node1 node2; do
		basebackup "$n" node0
		node_start "$n"
	done
	wait_standbys 2
	"$BIN/createdb" -h 127.0.0.1 -p "$(port_of node0)" -U postgres jobs ||
		die "cannot create the database jobs"
	uri "target_session_attrs=read-write" >"$DIR/url"
	uri "target_session_attrs=prefer-standby" >"$DIR/read-url"

	: >"$DIR/servers"
	for ((i = 1; i <= jobsd; i++)); do
		if [ "$base" -gt 0 ]; then jport=$((base + 9 + i)); else jport=$(free_port); fi
		url="tcp://127.0.0.1:$jport"
		echo "$url" >"$DIR/jobsd-$i.url"
		args=(--db "$(cat "$DIR/url")" --listen "$url" --no-legacy-migration)
		[ "$read_db" -eq 1 ] && args+=(--read-db "$(cat "$DIR/read-url")")
		# Its own session, so that it outlives this script.
		setsid "$JOBSD" "${args[@]}" >"$DIR/jobsd-$i.log" 2>&1 </dev/null &
		echo $! >"$DIR/jobsd-$i.pid"
		printf '%s%s' "$([ "$i" -gt 1 ] && echo ,)" "$url" >>"$DIR/servers"
	done
	[ "$jobsd" -gt 0 ] && echo >>"$DIR/servers"
	for ((i = 1; i <= jobsd; i++)); do
		local deadline=$(($(now_ms) + 60000))
		until grep -q ' serving ' "$DIR/jobsd-$i.log"; do
			kill -0 "$(cat "$DIR/jobsd-$i.pid")" 2>/dev/null ||
				{ cat "$DIR/jobsd-$i.log" >&2; die "jobsd $i exited"; }
			[ "$(now_ms)" -lt "$deadline" ] || die "jobsd $i did not come up in 60 s"
			sleep 0.1
		done
	done
	echo "database: $(cat "$DIR/url")"
	if [ "$jobsd" -gt 0 ]; then
		echo "jobsd:    $jobsd, reading from $([ "$read_db" -eq 1 ] && echo the standbys || echo the primary)"
		echo "use:      --server $(cat "$DIR/servers")"
	fi
}

status() {
	local n p r
	for n in "${NODES[@]}"; do
		r=$(role "$n")
		case $r in
		primary) printf '%s  127.0.0.1:%s  primary  wal %s\n' "$n" "$(port_of "$n")" \
			"$(q "$n" "SELECT pg_current_wal_lsn()")" ;;
		standby) printf '%s  127.0.0.1:%s  standby  received %s, replayed %s\n' "$n" \
			"$(port_of "$n")" "$(q "$n" "SELECT pg_last_wal_receive_lsn()")" \
			"$(q "$n" "SELECT pg_last_wal_replay_lsn()")" ;;
		*) printf '%s  127.0.0.1:%s  down\n' "$n" "$(port_of "$n")" ;;
		esac
	done
	if p=$(primary); then
		q "$p" "SELECT application_name || ': ' || state || ', ' || sync_state || ', replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication ORDER BY 1" |
			sed 's/^/  streams to /'
	fi
	for f in "$DIR"/jobsd-*.pid; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .pid)
		if kill -0 "$(cat "$f")" 2>/dev/null; then
			echo "$n  $(cat "$DIR/$n.url")  pid $(cat "$f")"
		else
			echo "$n  $(cat "$DIR/$n.url")  not running"
		fi
	done
	[ -s "$DIR/servers" ] && echo "use: --server $(cat "$DIR/servers")"
	return 0
}

# The pid of a node's postmaster, if it runs.
postmaster_pid() {
	local f
	f="$(data_of "$1")/postmaster.pid"
	[ -f "$f" ] && head -n 1 "$f"
}

failover() {
	local old best lsn best_lsn n t0 t1
	old=$(primary) || die "no primary to fail over from"
	t0=$(now_ms)
	kill -9 "$(postmaster_pid "$old")"
	# Its backends end when they see the postmaster gone; until then the
	# port may still answer.
	while [ "$(role "$old")" != down ]; do
		[ "$(now_ms)" -lt $((t0 + 30000)) ] || die "$old still answers 30 s after kill -9"
		sleep 0.05
	done
	# The standby with the most WAL on disk: a commit the primary
	# acknowledged is on at least one of them (ANY 1), so on this one.
	best="" best_lsn=""
	for n in "${NODES[@]}"; do
		[ "$n" = "$old" ] && continue
		[ "$(role "$n")" = standby ] || continue
		lsn=$(q "$n" "SELECT pg_last_wal_receive_lsn()")
		if [ -z "$best" ] || [ "$(q "$n" "SELECT '$lsn'::pg_lsn > '$best_lsn'::pg_lsn")" = t ]; then
			best=$n best_lsn=$lsn
		fi
	done
	[ -n "$best" ] || die "no standby left to promote"
	as_owner "$BIN/pg_ctl" -D "$(data_of "$best")" -w -t 60 promote >/dev/null ||
		die "pg_ctl promote of $best failed"
	wait_role "$best" primary
	t1=$(now_ms)
	for n in "${NODES[@]}"; do
		[ "$n" = "$old" ] || [ "$n" = "$best" ] && continue
		[ "$(role "$n")" = standby ] || continue
		follow "$n" "$best"
		as_owner "$BIN/pg_ctl" -D "$(data_of "$n")" reload >/dev/null
	done
	echo "$old killed; $best promoted at $best_lsn ($((t1 - t0)) ms after the kill)"
}

rebuild() {
	local n=$1 p data pid deadline
	[ -d "$DIR/$n" ] || die "no node $n"
	[ "$(role "$n")" = down ] || die "$n is running; it must be down to be rebuilt"
	p=$(primary) || die "no primary to follow"
	data=$(data_of "$n")
	# The killed postmaster's backends must be gone: they hold its memory.
	deadline=$(($(now_ms) + 30000))
	while pgrep -f "postgres: $(basename "$(cat "$DIR/datadir")")-$n: " >/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] || die "the processes of $n did not end"
		sleep 0.1
	done
	# What the killed postmaster left: its pid, and its socket's lock file,
	# whose pid another process may have by now (a false "in use").
	as_owner rm -f "$data/postmaster.pid" "$(cat "$DIR/datadir")/sockets/.s.PGSQL.$(port_of "$n")"*
	# pg_rewind copies only what changed since the timelines parted (it
	# first finishes the crash recovery of a node killed mid-write). It
	# reads the source's timeline from its control file, which a promoted
	# node updates at its first checkpoint: without one, pg_rewind sees
	# one timeline and does nothing.
	q "$p" "CHECKPOINT" >/dev/null || die "CHECKPOINT on $p failed"
	if as_owner "$BIN/pg_rewind" -D "$data" \
		--source-server="host=127.0.0.1 port=$(port_of "$p") user=postgres dbname=postgres" \
		>"$DIR/$n/rewind.log" 2>&1; then
		node_conf "$n"
		follow "$n" "$p"
		echo "$n rewound to follow $p"
	else
		basebackup "$n" "$p"
		echo "$n copied from $p (pg_rewind failed: $(tail -n 1 "$DIR/$n/rewind.log"))"
	fi
	node_start "$n"
	wait_role "$n" standby
}

stop() {
	local f pid n data status=0 deadline
	[ -f "$DIR/datadir" ] || die "$DIR holds no cluster of tools/cluster.sh"
	for f in "$DIR"/jobsd-*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		n=$(basename "$f" .pid)
		if kill -TERM "$pid" 2>/dev/null; then
			deadline=$(($(now_ms) + 30000))
			while kill -0 "$pid" 2>/dev/null; do
				[ "$(now_ms)" -lt "$deadline" ] || { kill -KILL "$pid"; break; }
				sleep 0.05
			done
			# A child of another shell: its exit status is in its log.
			if ! tail -n 1 "$DIR/$n.log" | grep -q 'stopped cleanly'; then
				say "$n did not stop cleanly; its log:"
				cat "$DIR/$n.log" >&2
				status=1
			elif grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\)\|runtime error:' "$DIR/$n.log"; then
				say "$n: sanitizer report:"
				cat "$DIR/$n.log" >&2
				status=1
			fi
		fi
		rm -f "$f"
	done
	for n in "${NODES[@]}"; do
		data=$(data_of "$n")
		if [ -f "$data/postmaster.pid" ]; then
			as_owner "$BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
				as_owner "$BIN/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
		fi
		cp "$(log_of "$n")" "$DIR/$n/log" 2>/dev/null || true
	done
	data=$(cat "$DIR/datadir")
	case "$data" in
	*/jobsd-cluster.*) rm -rf "$data" ;;
	esac
	rm -f "$DIR/datadir" "$DIR/url" "$DIR/read-url" "$DIR/servers"
	return $status
}

cmd=${1:-}
DIR=${2:-}
[ -n "$DIR" ] || die "usage: tools/cluster.sh start|status|failover|rebuild NODE|stop DIR ..."
shift 2
case "$cmd" in
start) start "$@" ;;
status) [ -f "$DIR/datadir" ] || die "$DIR holds no cluster"; status ;;
failover) [ -f "$DIR/datadir" ] || die "$DIR holds no cluster"; failover ;;
rebuild) [ -f "$DIR/datadir" ] || die "$DIR holds no cluster"; rebuild "${1:?rebuild wants a node: node0, node1 or node2}" ;;
stop) stop ;;
*) die "usage: tools/cluster.sh start|status|failover|rebuild NODE|stop DIR ..." ;;
esac
