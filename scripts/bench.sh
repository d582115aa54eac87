#!/usr/bin/env bash
# `make bench`: in one invocation, against one graph-mock,
#   1. Node (bench/bench.mjs): createUserState, createUserStates and plain-fetch floors, and
#      the command line's import of 100,000 rows in a child process (bench/large.mjs, bounded);
#   2. headless Chromium (bench/browser/run.mjs): size, per-call latency, import to first
#      request and bulk throughput of the module against plain fetch and Microsoft's
#      @microsoft/microsoft-graph-client (installed into target/bench-deps, git-ignored);
# prints both and appends them, with the machine, versions and commit, to one dated section
# of BENCHMARKS.md. Fails only if a scenario does not leave exactly the expected objects on
# the server.
#   scripts/bench.sh [--no-record] [--no-browser | --browser-only]
# Uses the graph-mock at $GRAPH_MOCK_URL for the Node half when set (its config is restored
# afterwards; the browser half then starts its own, serving the bench page); otherwise starts
# one through scripts/with-mock.sh that serves target/bench-site and runs both halves.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

record=()
node_half=1
browser_half=1
for arg in "$@"; do
  case "$arg" in
    --no-record) record=(--no-record) ;;
    --no-browser) browser_half=0 ;;
    --browser-only) node_half=0 ;;
    *) say "unknown option: $arg (scripts/bench.sh [--no-record] [--no-browser | --browser-only])"; exit 2 ;;
  esac
done
[ "$node_half$browser_half" != 00 ] || { say "--no-browser and --browser-only leave nothing to run"; exit 2; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  say "needs Node 20 or later (found: $(node --version 2>/dev/null || echo none))"
  exit 2
fi

# Set by this script when it re-runs itself under scripts/with-mock.sh (see the end).
if [ "${BENCH_UNDER_MOCK:-}" = 1 ]; then
  if [ "$node_half" = 1 ]; then node bench/bench.mjs "${record[@]}"; fi
  if [ "$browser_half" = 1 ]; then
    standalone=()
    [ "$node_half" = 1 ] || standalone=(--standalone)
    node bench/browser/run.mjs "${record[@]}" "${standalone[@]}"
  fi
  exit 0
fi

[ "$major" -eq 20 ] || say "note: Node $(node --version), not 20; recorded as such"

wasm=pkg/node/intune_script_user_state_bg.wasm
if [ ! -f pkg/node/intune_script_user_state.cjs ] || [ ! -f "$wasm" ] ||
   [ ! -f pkg/intune_script_user_state.js ] || [ ! -f pkg/intune_script_user_state_bg.wasm ]; then
  say "pkg/ is missing: building it (scripts/build-pkg.sh)"
  scripts/build-pkg.sh
elif [ -n "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit 2>/dev/null)" ]; then
  say "warning: src/ changed since pkg/ was built; 'make bench' (or scripts/build-pkg.sh first) benches the current code"
fi

# The browser half's page: the module's browser build, the Microsoft client bundle, the harness.
if [ "$browser_half" = 1 ]; then bench/browser/build-site.sh; fi

if [ -n "${GRAPH_MOCK_URL:-}" ]; then
  if [ "$node_half" = 1 ]; then node bench/bench.mjs "${record[@]}"; fi
  if [ "$browser_half" = 1 ]; then
    say "the browser half needs a graph-mock serving target/bench-site: starting one"
    standalone=()
    [ "$node_half" = 1 ] || standalone=(--standalone)
    GRAPH_MOCK_URL= scripts/with-mock.sh --static target/bench-site -- node bench/browser/run.mjs "${record[@]}" "${standalone[@]}"
  fi
  exit 0
fi
BENCH_UNDER_MOCK=1 exec scripts/with-mock.sh --static target/bench-site -- "$PWD/scripts/bench.sh" "$@"
