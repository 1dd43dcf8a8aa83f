# tools/pglib.sh: what tools/pg.sh and tools/cluster.sh share, sourced by
# both (never run): where PostgreSQL 15's programs are, running them as the
# user that owns the servers' files (initdb refuses root: as root, that is
# the `postgres` user), and a free 127.0.0.1 port. The script that sources
# it defines die().

bindir() {
	local d
	for d in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
	done
	die "no initdb/pg_ctl of PostgreSQL 15 (apt-get install postgresql-15, or tools/deps.sh test)"
}

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Whether a PostgreSQL server runs from data folder $1: its postmaster.pid
# names a live process (a zombie, killed and not yet reaped, is not). A
# folder a killed run left behind answers no.
pg_running() {
	local pid
	pid=$(as_owner head -n 1 "$1/postmaster.pid" 2>/dev/null) || return 1
	alive "$pid"
}

alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*zombie' "/proc/$1/status" 2>/dev/null
}

# For a benchmark run from the top of the tree: a new folder $work (named
# after $1), a throwaway PostgreSQL in $work/pg whose URL is $server, and at
# exit the jobsd in $jobsd_pid (if any) and that server stopped and $work
# removed, whatever the jobsd's exit status.
pg_scratch() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	jobsd_pid=
	trap pg_scratch_end EXIT
	tools/pg.sh start "$work/pg" 0
	server=$(cat "$work/pg/url")
}

pg_scratch_end() {
	if [ -n "$jobsd_pid" ] && kill "$jobsd_pid" 2>/dev/null; then
		wait "$jobsd_pid" 2>/dev/null || true
	fi
	tools/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
