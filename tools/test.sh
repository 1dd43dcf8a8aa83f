#!/usr/bin/env bash
# tools/test.sh: installs what is missing, builds everything with -Werror and
# AddressSanitizer + UndefinedBehaviorSanitizer (build-test/), checks the
# formatting, runs every test, then fuzzes the request paths for a minute
# (JOBS_FUZZ_SECONDS). Exit status 0 only if all of it passed.

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

echo "== test"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd build-test && ctest --output-on-failure -j"$(nproc)")

echo "== fuzz (${JOBS_FUZZ_SECONDS:-60} s)"
tools/fuzz/run.sh "${JOBS_FUZZ_SECONDS:-60}" 2>&1 | tail -n 16

