#!/usr/bin/env bash
# `make fuzz`: fuzzes the brand query parser (fuzz/fuzz_targets/query_parser.rs) for SECONDS
# (default 30) with cargo-fuzz and libFuzzer, on stable Rust. Fails on a crash (a panic in
# parse, literals or eval, or a broken invariant) and prints the crashing input's path.
#
#   bash scripts/fuzz.sh [SECONDS]      FUZZ_MAX_LEN=512 (bytes per input)
#
# Works on stable: `--sanitizer none` avoids the nightly-only -Zsanitizer flag (the target is
# still built with libFuzzer's coverage instrumentation, debug assertions and overflow
# checks). libFuzzer's C++ runtime is compiled by libfuzzer-sys with the system C++ compiler.
# First run on a fresh machine (2 cores): installing cargo-fuzz (scripts/ensure-cargo-fuzz.sh)
# 25-45 s; building the target with all of brandpulse's dependencies (librdkafka included)
# into $CACHE/fuzz-target about 5 min, since the coverage flags rule out sharing ./target. Later
# runs start fuzzing within a second (30 s runs about 1.3-1.5 million inputs).
#
# The committed seeds (fuzz/seeds/query_parser) are copied into a scratch corpus,
# fuzz/corpus/query_parser (git-ignored, kept between runs; delete it to start over), which
# is what libFuzzer grows. Crashes land in fuzz/artifacts/query_parser/. Reproduce one with
#   "$(bash scripts/ensure-cargo-fuzz.sh)" fuzz run --fuzz-dir fuzz --sanitizer none query_parser PATH
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
max_len="${FUZZ_MAX_LEN:-512}"
target=query_parser
root="$PWD/fuzz"
corpus="$root/corpus/$target"
artifacts="$root/artifacts/$target"

cargo_fuzz=$(bash scripts/ensure-cargo-fuzz.sh)
# The fuzz build lives in the cache, not in the clone: a fresh clone (CI) on a machine that
# fuzzed before starts fuzzing at once instead of rebuilding every dependency (~5 min).
target_dir="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}/fuzz-target"
mkdir -p "$target_dir"
mkdir -p "$corpus" "$artifacts"
cp "$root/seeds/$target"/* "$corpus"/
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT

rc=0
"$cargo_fuzz" fuzz run --fuzz-dir "$root" --target-dir "$target_dir" --sanitizer none "$target" "$corpus" -- \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
  -dict="$root/$target.dict" -print_final_stats=1 || rc=$?

new=$(find "$artifacts" -type f -newer "$marker" | sort)
if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
  echo "error: fuzz target $target failed (exit $rc). Crashing input(s):" >&2
  for f in $new; do echo "  $f" >&2; done
  echo "Reproduce: $cargo_fuzz fuzz run --fuzz-dir fuzz --target-dir $target_dir --sanitizer none $target <path>" >&2
  exit 1
fi
echo "fuzz: $target ran ${seconds}s without a crash (corpus: $(find "$corpus" -type f | wc -l) inputs)"
