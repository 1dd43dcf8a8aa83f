#!/usr/bin/env bash
# tools/test.sh: installs what is missing, builds everything with -Werror and
# AddressSanitizer + UndefinedBehaviorSanitizer (build-test/), checks the
# formatting, runs every test, then fuzzes the request paths for a minute
# (JOBS_FUZZ_SECONDS). Exit status 0 only if all of it passed, and only if
# the tests and the fuzz run removed every temporary folder they made.

set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test

echo "== format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find proto server client tests tools -name '*.[ch]')
if ! clang-format --dry-run --Werror $files; then
	echo "tools/test.sh: run clang-format -i on the files above" >&2
	exit 1
fi

echo "== build"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DJOBS_WERROR=ON -DJOBS_SANITIZE=ON \
	-DJOBS_TESTS=ON >/dev/null
cmake --build build-test -j"$(nproc)"

# The tests and the fuzz targets make their folders under $TMPDIR: a private
# one, so that what they forget to remove is found (and fails the run) rather
# than piling up in /tmp. 0711: the postgres user that tools/pg.sh runs a
# server as must reach its own folder inside.
suite_tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-suite.XXXXXX")
# A run cut short (Ctrl-C) skips ctest's fixture cleanups: stop the servers
# they started, whose data lives in suite_tmp, before removing it.
suite_end() {
	[ -f build-test/pg/datadir ] && tools/pg.sh stop build-test/pg >/dev/null 2>&1
	[ -f build-test/cluster/datadir ] && tools/cluster.sh stop build-test/cluster >/dev/null 2>&1
	rm -rf "$suite_tmp"
}
trap suite_end EXIT
chmod 0711 "$suite_tmp"
export TMPDIR=$suite_tmp

echo "== test"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd build-test && ctest --output-on-failure -j"$(nproc)")

# libjobsclient's threads under ThreadSanitizer (criterion cannot run under
# it: tests/stress_client.c says why), jobsd built alike.
echo "== ThreadSanitizer: stress_client"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DJOBS_WERROR=ON -DJOBS_TESTS=ON \
	-DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
cmake --build build-tsan -j"$(nproc)" --target stress_client jobsd >/dev/null
if ! TSAN_OPTIONS=halt_on_error=1 build-tsan/bin/stress_client build-tsan/bin/jobsd \
	>"$suite_tmp/tsan.log" 2>&1 || grep -q ThreadSanitizer "$suite_tmp/tsan.log"; then
	cat "$suite_tmp/tsan.log" >&2
	exit 1
fi
tail -n 1 "$suite_tmp/tsan.log"
rm -f "$suite_tmp/tsan.log"

echo "== fuzz (${JOBS_FUZZ_SECONDS:-60} s)"
tools/fuzz/run.sh "${JOBS_FUZZ_SECONDS:-60}" 2>&1 | tail -n 16

# Anything left is a folder some test or the fuzz run did not remove.
left=$(find "$suite_tmp" -mindepth 1 -maxdepth 1)
if [ -n "$left" ]; then
	echo "tools/test.sh: the run left these temporary folders behind:" >&2
	for f in $left; do
		echo "  $(basename "$f"): $(ls -A "$f" 2>/dev/null | tr '\n' ' ')" >&2
	done
	exit 1
fi
