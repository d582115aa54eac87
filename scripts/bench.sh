#!/usr/bin/env bash
# `make bench`: in one invocation, against one graph-mock,
#   1. Node (bench/bench.mjs): createUserState, createUserStates and plain-fetch floors, and
#      the command line's import of 100,000 rows in a child process (bench/large.mjs, bounded),
#      syncUserStates against createUserStates under a write budget (bench/sync.mjs, bounded);
#   2. headless Chromium (bench/browser/run.mjs): size, per-call latency, import to first
#      request and bulk throughput of the module against plain fetch and Microsoft's
#      @microsoft/microsoft-graph-client (installed into target/bench-deps, git-ignored);
# prints both and records them, with the machine, versions and commit, as one dated run: a new
# file bench/results/<date>T<time>Z.md (UTC), copied into the "Latest run" section of
# BENCHMARKS.md (between its `latest run` markers). Fails, and records nothing, if a scenario
# does not leave exactly the expected objects on the server.
#   scripts/bench.sh [--no-record] [--no-browser | --browser-only]
# The two halves are always run with --no-record (they would append to BENCHMARKS.md
# themselves); this script keeps what they print on stdout and records it.
# Uses the graph-mock at $GRAPH_MOCK_URL for the Node half when set (its config is restored
# afterwards; the browser half then starts its own, serving the bench page); otherwise starts
# one through scripts/with-mock.sh that serves target/bench-site and runs both halves.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

record=1
node_half=1
browser_half=1
for arg in "$@"; do
  case "$arg" in
    --no-record) record=0 ;;
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

# Runs one half with --no-record; what it prints on stdout (its section) is also appended to
# $BENCH_CAPTURE when that is set, for record_run below.
half() {
  if [ -n "${BENCH_CAPTURE:-}" ]; then
    "$@" --no-record | tee -a "$BENCH_CAPTURE"
  else
    "$@" --no-record
  fi
}

# The captured run as a new file in bench/results/, and as the "Latest run" section of
# BENCHMARKS.md (headings one level down), replacing the one there.
record_run() {
  local capture=$1 stamp file latest
  [ -s "$capture" ] || { say "nothing to record"; return 0; }
  # The run's own date, from its first heading: "## 2026-12-02 03:58:47 UTC[ (browser only)]".
  stamp=$(sed -n 's/^## \([0-9-]*\) \([0-9]*\):\([0-9]*\):\([0-9]*\) UTC.*/\1T\2-\3-\4Z/p' "$capture" | head -n 1)
  [ -n "$stamp" ] || stamp=$(date -u +%Y-%m-%dT%H-%M-%SZ)
  mkdir -p bench/results
  file=bench/results/$stamp.md
  sed -e '/./,$!d' "$capture" >"$file"
  latest=$(mktemp)
  {
    echo "<!-- latest run: begin (written by scripts/bench.sh) -->"
    echo
    echo "Recorded in [\`$file\`]($file); earlier runs are beside it in [\`bench/results/\`](bench/results/)."
    echo
    sed -e 's/^### /#### /' -e 's/^## /### /' "$file"
    echo
    echo "<!-- latest run: end -->"
  } >"$latest"
  if grep -q '^<!-- latest run: begin' BENCHMARKS.md && grep -q '^<!-- latest run: end' BENCHMARKS.md; then
    awk -v latest="$latest" '
      /^<!-- latest run: begin/ { while ((getline line < latest) > 0) print line; skip = 1; next }
      /^<!-- latest run: end/ { skip = 0; next }
      !skip { print }
    ' BENCHMARKS.md >BENCHMARKS.md.tmp && mv BENCHMARKS.md.tmp BENCHMARKS.md
  else
    { echo; echo "## Latest run"; echo; cat "$latest"; } >>BENCHMARKS.md
  fi
  rm -f "$latest"
  say "recorded: $file, and the latest run in BENCHMARKS.md"
}

# Set by this script when it re-runs itself under scripts/with-mock.sh (see the end).
if [ "${BENCH_UNDER_MOCK:-}" = 1 ]; then
  if [ "$node_half" = 1 ]; then half node bench/bench.mjs; fi
  if [ "$browser_half" = 1 ]; then
    standalone=()
    [ "$node_half" = 1 ] || standalone=(--standalone)
    half node bench/browser/run.mjs "${standalone[@]}"
  fi
  exit 0
fi

[ "$major" -eq 20 ] || say "note: Node $(node --version), not 20; recorded as such"

wasm=pkg/node/intune_script_user_state_bg.wasm
if [ ! -f pkg/node/intune_script_user_state.cjs ] || [ ! -f "$wasm" ] ||
   [ ! -f pkg/intune_script_user_state.js ] || [ ! -f pkg/intune_script_user_state_bg.wasm ]; then
  say "pkg/ is missing: building it (scripts/build-pkg.sh)"
  scripts/build-pkg.sh
elif [ -n "$(find src core/src core/Cargo.toml Cargo.toml Cargo.lock -newer "$wasm" -print -quit 2>/dev/null)" ]; then
  say "warning: src/ or core/src/ changed since pkg/ was built; 'make bench' (or scripts/build-pkg.sh first) benches the current code"
fi

# The browser half's page: the module's browser build, the Microsoft client bundle, the harness.
if [ "$browser_half" = 1 ]; then bench/browser/build-site.sh; fi

# What the halves print, kept for record_run (nothing is recorded when a half fails: set -e).
if [ "$record" = 1 ]; then
  mkdir -p target
  BENCH_CAPTURE=$(mktemp "$PWD/target/bench-run.XXXXXX")
  export BENCH_CAPTURE
  trap 'rm -f "$BENCH_CAPTURE"' EXIT
fi

if [ -n "${GRAPH_MOCK_URL:-}" ]; then
  if [ "$node_half" = 1 ]; then half node bench/bench.mjs; fi
  if [ "$browser_half" = 1 ]; then
    say "the browser half needs a graph-mock serving target/bench-site: starting one"
    standalone=()
    [ "$node_half" = 1 ] || standalone=(--standalone)
    # Only the half's own stdout is kept (with-mock.sh prints its URL there too).
    GRAPH_MOCK_URL= scripts/with-mock.sh --static target/bench-site -- \
      bash -c 'set -o pipefail; if [ -n "${BENCH_CAPTURE:-}" ]; then node bench/browser/run.mjs "$@" --no-record | tee -a "$BENCH_CAPTURE"; else node bench/browser/run.mjs "$@" --no-record; fi' \
      run.mjs "${standalone[@]}"
  fi
else
  BENCH_UNDER_MOCK=1 scripts/with-mock.sh --static target/bench-site -- "$PWD/scripts/bench.sh" "$@"
fi
if [ "$record" = 1 ]; then record_run "$BENCH_CAPTURE"; fi
