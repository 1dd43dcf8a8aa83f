#!/usr/bin/env bash
# tools/pg.sh start DIR [PORT] | stop DIR | url DIR | pause DIR | resume DIR
#
# A throwaway PostgreSQL 15 for tests and development: `start` makes a new
# cluster (initdb) in a temporary folder, starts it on 127.0.0.1:PORT (0 or
# none: a free port) with fsync on, and writes what a client needs into DIR:
#   DIR/url      postgresql://postgres@127.0.0.1:PORT/postgres (trust auth,
#                local connections only)
#   DIR/datadir  where the cluster lives;  DIR/log  the server's log
# `stop` stops it and removes the cluster and DIR; `url` prints DIR/url.
# `pause` stops the server and keeps its data; `resume` starts it again on
# the same port (what a restart or a failover looks like to a client).
#
# As root the server runs as the `postgres` user (initdb refuses root) from a
# folder under $TMPDIR that user owns, so DIR may be anywhere. Any failure
# exits non-zero with one line saying why: a test that needs PostgreSQL
# fails, never skips.
set -euo pipefail

die() {
	echo "tools/pg.sh: $*" >&2
	exit 1
}

. "$(dirname "$0")/pglib.sh"

start() {
	local dir=$1 port=${2:-0} bin data
	bin=$(bindir)
	if [ -e "$dir/datadir" ]; then
		{ pg_running "$(cat "$dir/datadir")/db" || [ -e "$dir/paused" ]; } &&
			die "$dir already describes a server, running or paused (tools/pg.sh stop $dir first)"
		echo "tools/pg.sh: $dir describes a server that no longer runs (a killed run's); removing it" >&2
		stop "$dir"
	fi
	mkdir -p "$dir"
	[ "$port" = 0 ] && port=$(free_port)
	data=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-pg.XXXXXX")
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "there is no postgres user to run the server as"
		chown postgres: "$data"
		chmod 0700 "$data"
	fi
	echo "$data" >"$dir/datadir"
	: >"$dir/log"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/log" 2>/dev/null || true
	as_owner "$bin/initdb" -D "$data/db" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$data/initdb.log" 2>&1 || {
		cat "$data/initdb.log" >&2
		die "initdb failed"
	}
	# The log goes into the cluster's folder (the postgres user can write
	# there) and is copied to DIR/log at stop; unix sockets go there too.
	if ! as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=on \
		    -c max_connections=300 -c shared_buffers=128MB" >/dev/null; then
		cat "$data/server.log" >&2 || true
		die "the server did not start on 127.0.0.1:$port"
	fi
	echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"
	echo "$port" >"$dir/port"
}

pause() {
	local dir=$1 bin data
	bin=$(bindir)
	data=$(cat "$dir/datadir")
	as_owner "$bin/pg_ctl" -D "$data/db" -m fast -w -t 60 stop >/dev/null ||
		die "the server in $data did not stop"
	: >"$dir/paused"
}

resume() {
	local dir=$1 bin data port
	bin=$(bindir)
	data=$(cat "$dir/datadir")
	port=$(cat "$dir/port")
	as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=on \
		    -c max_connections=300 -c shared_buffers=128MB" >/dev/null ||
		die "the server did not start again on 127.0.0.1:$port"
	rm -f "$dir/paused"
}

stop() {
	local dir=$1 bin data
	bin=$(bindir)
	[ -f "$dir/datadir" ] || die "$dir holds no server of tools/pg.sh"
	data=$(cat "$dir/datadir")
	if [ -d "$data/db" ]; then
		as_owner "$bin/pg_ctl" -D "$data/db" -m fast -w -t 60 stop >/dev/null 2>&1 || true
		cp "$data/server.log" "$dir/log" 2>/dev/null || true
	fi
	case "$data" in
	*/jobsd-pg.*) rm -rf "$data" ;;
	esac
	rm -f "$dir/url" "$dir/port" "$dir/datadir" "$dir/paused"
}

case "${1:-}" in
start) [ $# -ge 2 ] || die "usage: tools/pg.sh start DIR [PORT]"; start "$2" "${3:-0}" ;;
stop) [ $# -eq 2 ] || die "usage: tools/pg.sh stop DIR"; stop "$2" ;;
url) [ -f "${2:-}/url" ] || die "no server described in ${2:-DIR}"; cat "$2/url" ;;
pause | resume)
	[ -f "${2:-}/datadir" ] || die "no server described in ${2:-DIR}"
	"$1" "$2"
	;;
*) die "usage: tools/pg.sh start DIR [PORT] | stop DIR | url DIR | pause DIR | resume DIR" ;;
esac
