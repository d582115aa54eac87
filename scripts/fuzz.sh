#!/usr/bin/env bash
# Fuzzes the pure Rust core natively with cargo-fuzz (libFuzzer), on the stable toolchain.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# SECONDS per target (default 30); every target in fuzz/Cargo.toml unless some are named.
# SECONDS 0 replays the committed seeds once, with no mutation: deterministic, for `make test`.
# Each target starts from its hand-written seeds in fuzz/corpus/<target>/ plus what earlier
# runs learnt (kept in fuzz/target/corpus/<target>/, not committed). A crash is saved under
# fuzz/artifacts/<target>/ and makes the script exit 1 after the other targets have run.
#
#   FUZZ_SANITIZER=address   build with AddressSanitizer (needs RUSTC_BOOTSTRAP=1, set here;
#                            the crate forbids unsafe code, so the default `none` loses little
#                            and runs faster)
#   FUZZ_ALLOW=name,...      let findings already reported through (names: fuzz/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
SECONDS_PER_TARGET=${1:-30}
shift || true
SANITIZER=${FUZZ_SANITIZER:-none}
say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }

case "$SECONDS_PER_TARGET" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# cargo-fuzz asks for nightly only for -Zsanitizer; without a sanitizer stable builds it.
if [ "$SANITIZER" != none ]; then
  export RUSTC_BOOTSTRAP=1
fi
# -a: optimised, with debug assertions and overflow checks (an overflow is a finding).
fuzz_flags=(-a -s "$SANITIZER" --fuzz-dir fuzz)

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

say "building ${targets[*]} (sanitizer: $SANITIZER)"
cargo fuzz build "${fuzz_flags[@]}"

logs=fuzz/target/logs
mkdir -p "$logs"
failed=()
summary=()
for t in "${targets[@]}"; do
  work=fuzz/target/corpus/$t
  mkdir -p "$work" "fuzz/artifacts/$t"
  say "$t: ${SECONDS_PER_TARGET}s"
  status=ok
  if [ "$SECONDS_PER_TARGET" = 0 ]; then
    corpora=("fuzz/corpus/$t")
    limit=(-runs=0)
  else
    corpora=("$work" "fuzz/corpus/$t")
    limit=(-max_total_time="$SECONDS_PER_TARGET")
  fi
  if ! cargo fuzz run "${fuzz_flags[@]}" "$t" "${corpora[@]}" -- \
    "${limit[@]}" -dict=fuzz/dict/graph.dict \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$logs/$t.log" 2>&1; then
    status=CRASH
    failed+=("$t")
    grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$logs/$t.log" | head -20 || true
    grep -A3 'panicked' "$logs/$t.log" | head -8 || true
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$logs/$t.log" | tail -1 || true)
  summary+=("$(printf '%-18s %-6s %10s runs %8s exec/s  %s' "$t" "$status" "${runs:-?}" "${rate:-?}" "${cov:-}")")
done

say "summary (logs in $logs/)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  say "crashes in: ${failed[*]}"
  say "reproduce: cargo fuzz run ${fuzz_flags[*]} TARGET fuzz/artifacts/TARGET/crash-..."
  say "minimise:  cargo fuzz tmin ${fuzz_flags[*]} TARGET fuzz/artifacts/TARGET/crash-..."
  exit 1
fi
