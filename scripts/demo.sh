#!/usr/bin/env bash
# Serves the admin page and the npm package with graph-mock on 127.0.0.1, in demo mode:
# the page talks to the stand-in with a demo token, no Microsoft account needed.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8080}
site=target/site
rm -rf "$site" && mkdir -p "$site"
cp -r www/. "$site/"
cp -r pkg "$site/pkg"
cargo build --release -q -p graph-mock
echo
echo "  Admin page (demo mode, graph-mock): http://127.0.0.1:$port/?demo=1"
echo "  Stop with Ctrl-C."
echo
exec target/release/graph-mock --port "$port" --static "$site"
