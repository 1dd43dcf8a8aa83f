#!/usr/bin/env bash
# tools/deps.sh [build|test]: installs the Debian 12 packages jobsd needs that
# are not installed yet (apt-get install -y). `build` is what building and
# running needs; `test` adds what the test suite needs, and a de_DE.UTF-8
# locale when there is none.
set -euo pipefail

build=(gcc make cmake pkg-config protobuf-c-compiler libprotobuf-c-dev libnng-dev libmbedtls-dev
	libsqlite3-dev libjansson-dev libyaml-dev uuid-dev libpq-dev help2man)
test=(libcriterion-dev libnanomsg-dev nng-utils protobuf-compiler python3 python3-yaml clang-format openssl
	clang libclang-rt-14-dev locales postgresql-15 man-db bash-completion zsh systemd)
# The HTTP tests' real clients and Prometheus's own check of /metrics.
test+=(curl prometheus)
# jobsbench's HTML report is checked in a real (headless) browser.
test+=(chromium)


want=("${build[@]}")
[ "${1:-build}" = test ] && want+=("${test[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)

if [ ${#missing[@]} -gt 0 ]; then
	echo "tools/deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Several builds may install at once (parallel sessions, a test beside a
	# build): wait for dpkg's lock rather than fail on it.
	lock=(-o DPkg::Lock::Timeout=600)
	"${sudo[@]}" apt-get "${lock[@]}" update -qq
	"${sudo[@]}" apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# The tests read numbers under a locale whose decimal point is a comma
# (test_yamljson: floats_ignore_the_locale); Debian installs none by default.
if [ "${1:-build}" = test ] && ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then
	echo "tools/deps.sh: generating the de_DE.UTF-8 locale" >&2
	"${sudo[@]}" localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi
