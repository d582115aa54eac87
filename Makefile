# The two commands: `make demo` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
WITH_MOCK := scripts/with-mock.sh
DEMO_PORT ?= 8080
# Extra graph-mock arguments for `make demo`, e.g. MOCK_ARGS=--refuse-run-state-writes.
MOCK_ARGS ?=
SITE_PORT ?= 8000
export CHROMEDRIVER ?= /usr/bin/chromedriver
# The runner gives a whole test binary 20 s by default; the bulk runs take longer.
export WASM_BINDGEN_TEST_TIMEOUT ?= 300

.PHONY: help setup demo site serve test pkg lint test-native test-browser test-firefox test-node test-cli test-types test-page test-site test-bundler test-fuzz-seeds size bench fuzz clean

help:
	@echo "make demo   build, then serve the admin page with graph-mock on 127.0.0.1:$(DEMO_PORT)"
	@echo "            (make demo MOCK_ARGS=--refuse-run-state-writes: every user-state write refused as Graph refuses an absent route)"
	@echo "make test   lint, native tests, browser tests, Node and TypeScript checks, size budget"
	@echo "make site   build the deployable admin page (no demo mode) into dist/site/"
	@echo "make serve  build, then serve dist/site/ on http://localhost:$(SITE_PORT)/ for real use (sign in or paste a token)"
	@echo "make pkg    build the npm package into pkg/"
	@echo "make fuzz   fuzz the core, FUZZ_SECONDS (default 30) per target; see fuzz/README.md"
	@echo "make bench  Node + headless Chromium: the module against plain fetch and Microsoft's Graph client on graph-mock; a new file in bench/results/, and the latest run in BENCHMARKS.md"
	@echo "make test-page   the admin page in headless Chromium against graph-mock (screenshots in artifacts/screenshots/)"

setup:
	@scripts/setup.sh

pkg: setup
	@scripts/build-pkg.sh

demo: pkg
	@MOCK_ARGS="$(MOCK_ARGS)" scripts/demo.sh $(DEMO_PORT)

# The admin page for real use: dist/site/ (hashed assets, staticwebapp.config.json), served on
# localhost with the headers that file names (scripts/serve-site.mjs). See docs/page.md, "Use it for real".
site: pkg
	@node scripts/build-site.mjs

serve: site
	@node scripts/serve-site.mjs --dir dist/site --port $(SITE_PORT)

test: setup lint test-native test-fuzz-seeds test-browser test-firefox pkg test-node test-cli test-types test-page test-site test-bundler size
	@echo "make test: all green"

# Every crate: the workspace natively (core, test-support, graph-mock; the edge is empty
# there), the edge and the core for wasm32, and the fuzz targets' formatting (own workspace).
lint:
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p intune-script-user-state -p intune-script-user-state-core --target wasm32-unknown-unknown --all-targets -- -D warnings

test-native:
	cargo test --workspace

test-browser:
	$(WITH_MOCK) -- wasm-pack test --headless --chrome

# The same browser tests in headless Firefox ESR (Debian) with geckodriver (crates.io).
test-firefox: setup
	scripts/firefox-setup.sh >/dev/null
	GECKODRIVER=$$(command -v geckodriver) $(WITH_MOCK) -- wasm-pack test --headless --firefox

# The package as users get it: packed, installed by name into the JS test project.
test-node:
	rm -rf target/npm && mkdir -p target/npm
	cd pkg && npm pack --silent --pack-destination ../target/npm >/dev/null
	cd tests/js && npm install --no-save --no-audit --no-fund --loglevel=error ../../target/npm/intune-script-user-state-*.tgz
	$(WITH_MOCK) -- node --test --test-concurrency=1 tests/js/node.test.mjs tests/js/journal.test.mjs tests/js/lock.test.mjs \
	  tests/js/idb-lock.test.mjs tests/js/idb-lock-browser.test.mjs \
	  tests/js/sync.test.mjs

# The command line as users run it: the packed package installed into a temporary project,
# `npx intune-script-user-state …` against graph-mock (tests/cli/).
test-cli:
	rm -rf target/npm-cli && mkdir -p target/npm-cli
	cd pkg && npm pack --silent --pack-destination ../target/npm-cli >/dev/null
	CLI_TARBALL=$$(ls $$PWD/target/npm-cli/intune-script-user-state-*.tgz) $(WITH_MOCK) -- node --test --test-concurrency=1 tests/cli/

test-types:
	node_modules/.bin/tsc -p tests/js/tsconfig.json

# The admin page in headless Chromium (playwright-core) against graph-mock, which serves
# target/site built as `make demo` builds it; plus the page's CSV, settings and message unit tests.
test-page: pkg
	scripts/demo.sh --site-only
	$(WITH_MOCK) --static target/site -- node --test tests/page/

# The built dist/site/ served by scripts/serve-site.mjs (not graph-mock), in headless Chromium
# with the four Graph roots routed to graph-mock: pasted token and sign-in, CSP, headers, no demo.
test-site: site
	$(WITH_MOCK) -- node --test tests/site/

# The package in a bundled app (tests/bundler/): installed from the packed tarball, built with
# Vite 7 through the default entry (await init(), no plugin) and /bundler (vite-plugin-wasm),
# each run in headless Chromium against graph-mock, built and under Vite's dev server.
test-bundler: pkg
	tests/bundler/run.sh

size:
	node scripts/size.mjs

# Speed, never asserted: in Node, then in headless Chromium against plain fetch and
# @microsoft/microsoft-graph-client (npm-installed into git-ignored target/bench-deps); each run a
# new file in bench/results/, copied into BENCHMARKS.md's "Latest run".
bench: pkg
	@scripts/bench.sh

# Coverage-guided fuzzing of the pure core (cargo-fuzz on stable, no sanitizer by default),
# FUZZ_SECONDS per target (every target in fuzz/Cargo.toml; see fuzz/README.md).
FUZZ_SECONDS ?= 30
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The fuzz targets build, and replay their committed seeds once (no mutation: deterministic).
test-fuzz-seeds:
	scripts/fuzz.sh 0

clean:
	rm -rf pkg dist target/wasm-pack target/npm target/bench-deps target/bench-site node_modules tests/js/node_modules \
	  tests/bundler/node_modules target/npm-bundler target/npm-cli target/bundler-site target/bundler-vite-cache
