#!/usr/bin/env bash
# wire_smoke.sh JOBSD PROTO_DIR: jobsd from the outside, with none of our C:
# protoc encodes requests from text, nngcat sends them, protoc decodes the
# answers, exactly as proto/README.md tells people in other languages to.
set -euo pipefail
jobsd=$1 proto=$2
dir=$(mktemp -d)
url="ipc://$dir/jobsd.sock"
# HOME is the temporary folder: a developer's ~/.zyra-video-agent stays out.
HOME=$dir "$jobsd" --db "$dir/jobs.db" --listen "$url" --no-legacy-migration 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

fail() { echo "wire_smoke: $*" >&2; cat "$dir/log" >&2; exit 1; }

for _ in $(seq 200); do [ -S "$dir/jobsd.sock" ] && break; sleep 0.05; done
[ -S "$dir/jobsd.sock" ] || fail "jobsd did not listen within 10 s"

# call TEXT: the Request in protobuf text format -> the Response, as text.
call() {
	printf '%s' "$1" | protoc -I"$proto" --encode=jobs.v1.Request jobs/v1/jobs.proto >"$dir/req"
	send
}
send() {
	nngcat --req --dial "$url" --file "$dir/req" --raw --recv-timeout 5 >"$dir/resp"
	protoc -I"$proto" --decode=jobs.v1.Response jobs/v1/jobs.proto <"$dir/resp"
}

out=$(call 'request_id: "w-1" create_job { job { id: "wire-1" job_name: "From protoc" } }')
grep -q 'request_id: "w-1"' <<<"$out" || fail "no request_id echo: $out"
grep -q 'id: "wire-1"' <<<"$out" || fail "create: $out"
grep -q 'language: "English"' <<<"$out" || fail "create defaults: $out"

out=$(call 'get_job { id: "wire-1" }')
grep -q 'job_name: "From protoc"' <<<"$out" || fail "get: $out"

out=$(call 'get_job { id: "nobody" }')
grep -q 'code: NOT_FOUND' <<<"$out" || fail "unknown id: $out"

printf 'this is not a protobuf message \377\377' >"$dir/req"
out=$(send)
grep -q 'code: INVALID_ARGUMENT' <<<"$out" || fail "malformed request: $out"

out=$(call 'health {}')
grep -q 'status: "SERVING"' <<<"$out" || fail "not serving after a malformed request: $out"

kill -TERM $pid
wait $pid || fail "jobsd exited $? at SIGTERM"
trap 'rm -rf "$dir"' EXIT
echo "wire_smoke: ok"
