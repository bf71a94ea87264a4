#!/usr/bin/env bash
# Installs cargo-fuzz (the libFuzzer driver behind scripts/fuzz.sh) once, pinned, into
# $BRANDPULSE_CACHE/cargo-fuzz. Prints the binary's path on stdout.
# Works on stable Rust: scripts/fuzz.sh runs it with --sanitizer none. The install takes
# 25-45 s on 2 cores.
set -euo pipefail
CARGO_FUZZ_VERSION=0.13.2
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
root="$cache/cargo-fuzz"
bin="$root/bin/cargo-fuzz"
if [ -x "$bin" ] && [ -f "$root/.version-$CARGO_FUZZ_VERSION" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$root"
rm -f "$root"/.version-*
echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into $root (once; 25-45 s on 2 cores)..." >&2
cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force --root "$root" >&2
touch "$root/.version-$CARGO_FUZZ_VERSION"
echo "$bin"
