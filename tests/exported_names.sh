#!/usr/bin/env bash
# exported_names.sh LIB PREFIX...: fails, naming them, when the static
# library LIB defines a global name that starts with none of the PREFIXes.
# Names say their room (STYLE.md): a program that links libjobsclient
# statically must not meet a bare `call_defs` or `job_fields` of ours.
# Names the toolchain reserves (leading underscore) are not ours to check.
set -euo pipefail
lib=$1
shift
pattern="^($(
	IFS='|'
	echo "$*"
))"
# nm on its own: a library it cannot read fails the test, never passes it.
syms=$(nm -g --defined-only "$lib")
bad=$(echo "$syms" | awk 'NF == 3 { print $3 }' | grep -v '^_' | grep -Ev "$pattern" | sort -u || true)
if [ -n "$bad" ]; then
	echo "exported_names.sh: $lib defines names outside its prefixes ($*):" >&2
	echo "$bad" >&2
	exit 1
fi
echo "$lib: every name it exports starts with one of: $*"
