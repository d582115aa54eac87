#!/usr/bin/env bash
# `make bench`: times createUserState, createUserStates and plain-fetch floors against
# graph-mock in one Node process (bench/bench.mjs), prints a table and appends it, with the
# machine and commit, to BENCHMARKS.md. Fails only if a scenario does not leave exactly
# 1,000 objects on the server.
#   scripts/bench.sh [--no-record]
# Uses the graph-mock at $GRAPH_MOCK_URL when set (its config is restored afterwards),
# otherwise starts one through scripts/with-mock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  say "needs Node 20 or later (found: $(node --version 2>/dev/null || echo none))"
  exit 2
fi
[ "$major" -eq 20 ] || say "note: Node $(node --version), not 20; recorded as such"

wasm=pkg/node/intune_script_user_state_bg.wasm
if [ ! -f pkg/node/intune_script_user_state.cjs ] || [ ! -f "$wasm" ]; then
  say "pkg/ is missing: building it (scripts/build-pkg.sh)"
  scripts/build-pkg.sh
elif [ -n "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit 2>/dev/null)" ]; then
  say "warning: src/ changed since pkg/ was built; 'make bench' (or scripts/build-pkg.sh first) benches the current code"
fi

if [ -n "${GRAPH_MOCK_URL:-}" ]; then
  exec node bench/bench.mjs "$@"
fi
exec scripts/with-mock.sh -- node bench/bench.mjs "$@"
