#!/usr/bin/env bash
# What `npm test` runs. Integration tests drive real socat, mosquitto, influxd, mbpoll and chromium,
# so this first makes sure Debian's packages are there (installing them when we may), then runs
# vitest. Tests start their own servers through test/harness; nothing is started here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash test/harness/system-packages.sh

args=("$@")
if [ -n "${VITEST_JSON:-}" ]; then
  args+=(--reporter=default --reporter=json "--outputFile.json=$VITEST_JSON")
fi

# exec: vitest's exit code becomes ours, and a signal sent to `npm test` reaches vitest.
exec npx vitest run "${args[@]}"
