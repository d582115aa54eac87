#!/usr/bin/env bash
# Runs a command with graph-mock listening on a free loopback port, its root exported as
# GRAPH_MOCK_URL, and stops the stand-in afterwards whatever the command did.
#   scripts/with-mock.sh [--static DIR] -- COMMAND...
set -euo pipefail
cd "$(dirname "$0")/.."
mock_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do mock_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift

cargo build --release -q -p graph-mock
log=$(mktemp)
target/release/graph-mock --port 0 "${mock_args[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  url=$(sed -n 's/^graph-mock listening on \(http:[^ ]*\).*/\1/p' "$log")
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "graph-mock did not start"; cat "$log"; exit 1; }
echo "graph-mock at $url"
GRAPH_MOCK_URL=$url "$@"
