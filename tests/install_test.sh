#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR "CFLAGS": `cmake --install` into a
# temporary prefix, then checks that everything installed is there and works,
# as a user of the machine would find it:
#   - jobsd, jobsctl, jobsbench run; the installed jobsd serves the installed
#     jobsctl;
#   - client/example.c builds with nothing but `pkg-config jobsclient`,
#     against the shared library and against the static one, and runs;
#   - man finds jobsctl(1), jobsd(8) and jobsbench(1) and formats them
#     without a warning;
#   - bash-completion loads the completion by itself and it completes; zsh's
#     compinit registers _jobsctl for jobsctl;
#   - systemd-analyze verify passes the unit (its ExecStart, its man page),
#     and the unit has its hardening;
#   - protoc compiles the installed .proto.
# A tool missing is a failure, never a skip.
set -euo pipefail
build=$1 src=$2 cflags=$3
prefix=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$prefix"' EXIT
fail() {
	echo "install_test: $*" >&2
	exit 1
}
for tool in cc pkg-config man bash zsh systemd-analyze protoc; do
	command -v "$tool" >/dev/null || fail "$tool is missing (tools/deps.sh test installs it)"
done
[ -f /usr/share/bash-completion/bash_completion ] || fail "bash-completion is missing"

cmake --install "$build" --prefix "$prefix" >/dev/null

# ---- everything is there -----------------------------------------------------------
libdir=$(dirname "$(dirname "$(find "$prefix" -name jobsclient.pc)")")
for f in bin/jobsctl bin/jobsbench sbin/jobsd include/jobs/client.h \
	share/man/man1/jobsctl.1 share/man/man1/jobsbench.1 share/man/man8/jobsd.8 \
	share/bash-completion/completions/jobsctl share/zsh/site-functions/_jobsctl \
	lib/systemd/system/jobsd.service share/jobsd/jobs/v1/jobs.proto share/jobsd/README.md; do
	[ -e "$prefix/$f" ] || fail "$f was not installed"
done
for f in libjobsclient.a libjobsclient.so libjobsclient.so.0 pkgconfig/jobsclient.pc; do
	[ -e "$libdir/$f" ] || fail "lib/$f was not installed"
done

# ---- the programs ----------------------------------------------------------------
version=$("$prefix/bin/jobsctl" --version)
[ "$("$prefix/sbin/jobsd" --version)" = "${version/jobsctl/jobsd}" ] || fail "versions differ"
"$prefix/bin/jobsbench" --help | grep -q -- --concurrency || fail "jobsbench --help"
url="ipc://$prefix/jobsd.sock"
HOME=$prefix "$prefix/sbin/jobsd" --no-legacy-migration --db "$prefix/jobs.db" --listen "$url" \
	2>"$prefix/jobsd.log" &
pid=$!
for _ in $(seq 200); do
	"$prefix/bin/jobsctl" -s "$url" -t 200 health >/dev/null 2>&1 && break
	sleep 0.05
done
"$prefix/bin/jobsctl" -s "$url" health | grep -q '^SERVING' || fail "jobsd: $(cat "$prefix/jobsd.log")"
"$prefix/bin/jobsctl" -s "$url" create --id installed --name Installed >/dev/null
[ "$("$prefix/bin/jobsctl" -s "$url" list -o id)" = installed ] || fail "create, then list"

# ---- the library, through pkg-config -----------------------------------------------
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2086,SC2046
cc $cflags "$src/client/example.c" $(pkg-config --cflags --libs jobsclient) -o "$prefix/shared"
# shellcheck disable=SC2086,SC2046
cc $cflags "$src/client/example.c" $(pkg-config --cflags jobsclient) \
	"$libdir/libjobsclient.a" $(pkg-config --static --libs-only-l --libs-only-other jobsclient |
		sed 's/-ljobsclient//') -o "$prefix/static"
ldd "$prefix/static" | grep -q libjobsclient && fail "the static example links the shared library"
for example in shared static; do
	LD_LIBRARY_PATH=$libdir "$prefix/$example" "$url" >"$prefix/out" || fail "$example example"
	grep -q '^deleted ' "$prefix/out" || fail "$example example: $(cat "$prefix/out")"
done

# ---- man pages ----------------------------------------------------------------------
export MANPATH=$prefix/share/man LANG=C.UTF-8 MANWIDTH=80
for page in jobsctl.1 jobsbench.1 jobsd.8; do
	name=${page%.*} section=${page##*.}
	[ "$(man -w "$section" "$name")" = "$prefix/share/man/man$section/$page" ] ||
		fail "man does not find $name($section)"
	man --warnings -l "$prefix/share/man/man$section/$page" >"$prefix/page" 2>"$prefix/warnings"
	[ -s "$prefix/warnings" ] && fail "$page: $(cat "$prefix/warnings")"
	grep -q '^NAME' "$prefix/page" || fail "$page has no NAME"
	grep -q "^SEE ALSO" "$prefix/page" || fail "$page has no SEE ALSO"
done
man "$prefix/share/man/man1/jobsctl.1" | grep -q 'jobsctl search \[FLAGS\] TEXT' ||
	fail "jobsctl(1) lacks the commands"
man "$prefix/share/man/man1/jobsctl.1" | grep -q -- '--page-size N' || fail "jobsctl(1) lacks flags"
man "$prefix/share/man/man1/jobsctl.1" | grep -q '夏季促销' ||
	fail "jobsctl(1) lost its UTF-8 (help2man's locale)"

# ---- completions -------------------------------------------------------------------
# bash-completion finds it in XDG_DATA_DIRS, as it would in /usr/local/share.
got=$(XDG_DATA_DIRS=$prefix/share bash --norc --noprofile -c '
	source /usr/share/bash-completion/bash_completion
	_completion_loader jobsctl
	COMP_WORDS=(jobsctl list --or) COMP_CWORD=2 COMP_LINE="jobsctl list --or" COMP_POINT=17
	_jobsctl jobsctl --or list
	echo "${COMPREPLY[*]}"')
[ "$got" = --order-by ] || fail "bash completion: '$got'"
zsh -f -c "fpath=($prefix/share/zsh/site-functions \$fpath)
	autoload -Uz compinit && compinit -u -D
	[[ \${_comps[jobsctl]} == _jobsctl ]]" || fail "zsh does not register _jobsctl"

# ---- the systemd unit -----------------------------------------------------------------
unit=$prefix/lib/systemd/system/jobsd.service
systemd-analyze verify "$unit" >"$prefix/verify" 2>&1 || fail "systemd-analyze: $(cat "$prefix/verify")"
[ -s "$prefix/verify" ] && fail "systemd-analyze: $(cat "$prefix/verify")"
grep -q "^ExecStart=$prefix/sbin/jobsd " "$unit" || fail "ExecStart is not the installed jobsd"
for line in DynamicUser=yes ProtectSystem=strict StateDirectory=jobsd NoNewPrivileges=yes \
	ProtectHome=yes PrivateTmp=yes; do
	grep -qx "$line" "$unit" || fail "the unit lacks $line"
done

# ---- the contract ---------------------------------------------------------------------
protoc -I "$prefix/share/jobsd" --descriptor_set_out=/dev/null jobs/v1/jobs.proto ||
	fail "protoc cannot compile the installed jobs.proto"

kill "$pid"
wait "$pid" || fail "jobsd did not exit 0 at SIGTERM: $(cat "$prefix/jobsd.log")"
pid=
echo "install_test: ok"
