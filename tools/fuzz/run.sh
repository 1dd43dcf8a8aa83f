#!/usr/bin/env bash
# tools/fuzz/run.sh [SECONDS]: builds the libFuzzer targets with clang, ASan and
# UBSan (build-fuzz/), encodes the seed requests (tools/fuzz/seeds/*.txt, in
# protobuf text format) with protoc, and fuzzes for SECONDS (default 60) in
# all: the protobuf request path (fuzz_request) for half of it, the HTTP one
# (fuzz_http, seeds in tools/fuzz/seeds-http/, raw requests) for the rest.
# SECONDS 0 skips fuzzing (libFuzzer would read -max_total_time=0 as "no
# limit"). The targets write only inside their own temporary folder, under a
# $TMPDIR of this run's that must be empty when they have exited.
# A crash leaves its input in build-fuzz/crashes/; copy it into
# tests/data/fuzz-regressions/ so that test_handlers replays it forever.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
case $seconds in
'' | *[!0-9]*)
	echo "tools/fuzz/run.sh: SECONDS must be a whole number, not '$seconds'" >&2
	exit 2
	;;
esac
if [ "$seconds" -eq 0 ]; then
	echo "tools/fuzz/run.sh: 0 seconds: fuzzing skipped"
	exit 0
fi
CC=clang cmake -S . -B build-fuzz -DJOBS_FUZZ=ON -DJOBS_SANITIZE=ON -DJOBS_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_request fuzz_http
corpus=build-fuzz/corpus
mkdir -p "$corpus" build-fuzz/corpus-http build-fuzz/crashes
for f in tools/fuzz/seeds/*.txt; do
	protoc -Iproto --encode=jobs.v1.Request jobs/v1/jobs.proto <"$f" >"$corpus/$(basename "$f" .txt).bin"
done
cp tests/data/fuzz-regressions/*.bin "$corpus/" 2>/dev/null || true
cp tools/fuzz/seeds-http/*.http build-fuzz/corpus-http/
export ASAN_OPTIONS=detect_leaks=1
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-fuzz-run.XXXXXX")
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR=$run_tmp
half=$(((seconds + 1) / 2))
build-fuzz/bin/fuzz_request -max_total_time="$half" -max_len=65536 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1 "$corpus"
build-fuzz/bin/fuzz_http -max_total_time="$half" -max_len=65536 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=build-fuzz/crashes/http- -print_final_stats=1 \
	build-fuzz/corpus-http
if [ -n "$(ls -A "$run_tmp")" ]; then
	echo "tools/fuzz/run.sh: the targets left $(ls -A "$run_tmp") in $run_tmp" >&2
	exit 1
fi
