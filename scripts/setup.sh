#!/usr/bin/env bash
# Installs what the build and the tests need, once: the wasm target, wasm-pack, the
# wasm-bindgen CLI matching Cargo.lock, Chromium with its driver, binaryen's wasm-opt, and
# the test packages from npm. Every step checks first, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# The wasm-bindgen version the crate is pinned to (Cargo.lock is committed).
wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (about 4 minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
fi

WB=$(wasm_bindgen_version)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB" ]; then
  say "installing wasm-bindgen-cli $WB (about 4 minutes)"
  # Not --locked: its lock file names a webpki-roots release that the registry mirror here lacks.
  cargo install wasm-bindgen-cli --version "$WB" --force
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The JS tools (binaryen's wasm-opt, TypeScript, Playwright's driver for Debian's Chromium, and
# MSAL's browser build that the admin page serves), from the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing the JS tools"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "tools ready"
