#!/usr/bin/env bash
# tools/run.sh [JOBSD FLAGS]: installs what is missing, builds (build/), and
# runs jobsd in the foreground on its default database
# ($XDG_DATA_HOME/jobsd/jobs.db, else ~/.local/share/jobsd/jobs.db) and
# address (tcp://127.0.0.1:7460). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBS_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec build/bin/jobsd "$@"
