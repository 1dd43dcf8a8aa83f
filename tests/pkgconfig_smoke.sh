#!/usr/bin/env bash
# pkgconfig_smoke.sh BUILD_DIR SOURCE_DIR "CFLAGS": installs jobsd into a
# temporary prefix and builds client/example.c against it with nothing but
# `pkg-config --cflags --libs jobsclient`, as another service would, then
# runs it against the installed jobsd.
set -euo pipefail
build=$1 src=$2 cflags=$3
prefix=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$prefix"' EXIT
pid=
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name jobsclient.pc)")
export PKG_CONFIG_PATH=$pc
# shellcheck disable=SC2046,SC2086
cc $cflags "$src/client/example.c" $(pkg-config --cflags --libs jobsclient) -o "$prefix/example"
url="ipc://$prefix/jobsd.sock"
# HOME is the temporary prefix: a developer's ~/.zyra-video-agent stays out.
HOME=$prefix "$prefix/bin/jobsd" --db "$prefix/jobs.db" --listen "$url" --no-legacy-migration \
	2>"$prefix/log" &
pid=$!
for _ in $(seq 200); do [ -S "$prefix/jobsd.sock" ] && break; sleep 0.05; done
if [ ! -S "$prefix/jobsd.sock" ]; then
	echo "pkgconfig_smoke: jobsd did not listen within 10 s" >&2
	cat "$prefix/log" >&2
	exit 1
fi
LD_LIBRARY_PATH=$(pkg-config --variable=libdir jobsclient) "$prefix/example" "$url" | tee "$prefix/out"
grep -q '^deleted ' "$prefix/out"
echo "pkgconfig_smoke: ok"
