#!/usr/bin/env bash
# Installs what `wasm-pack test --headless --firefox` needs, once: Debian's Firefox ESR and
# geckodriver from crates.io (wasm-pack would otherwise try to download a prebuilt driver,
# which this network refuses). Every step checks first, so a second run takes a second.
# Prints the driver's path for GECKODRIVER=.
set -euo pipefail

GECKODRIVER_VERSION=0.37.1
say() { printf '\033[1m[firefox-setup]\033[0m %s\n' "$*" >&2; }

if ! command -v firefox-esr >/dev/null; then
  say "installing firefox-esr from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
fi

if [ "$(geckodriver --version 2>/dev/null | head -1)" != "geckodriver $GECKODRIVER_VERSION" ]; then
  say "installing geckodriver $GECKODRIVER_VERSION from crates.io (about 2 minutes)"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked
fi

command -v geckodriver
