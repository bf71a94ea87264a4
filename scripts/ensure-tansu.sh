#!/usr/bin/env bash
# Installs the tansu Kafka-compatible broker (SQLite storage) used by the end-to-end tests,
# once, into $BRANDPULSE_CACHE/tansu. Prints the binary's path on stdout.
set -euo pipefail
TANSU_VERSION=0.6.0
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
root="$cache/tansu"
bin="$root/bin/tansu"
if [ -x "$bin" ] && [ -f "$root/.version-$TANSU_VERSION" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$root"
echo "installing tansu $TANSU_VERSION into $root (once; about 9 minutes on 2 cores)..." >&2
cargo install tansu --version "$TANSU_VERSION" --locked --no-default-features --features libsql \
  --root "$root" >&2 || \
cargo install tansu --version "$TANSU_VERSION" --no-default-features --features libsql \
  --root "$root" >&2
touch "$root/.version-$TANSU_VERSION"
echo "$bin"
