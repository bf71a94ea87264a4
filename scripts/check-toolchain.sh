#!/usr/bin/env bash
# Checks the tools brandpulse builds with, and says what to do when one is missing.
set -euo pipefail
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "error: '$1' not found. $2" >&2
    exit 1
  fi
}
need cargo "Install Rust 1.85 or newer with rustup (https://rustup.rs), then re-run."
need cc "Install a C compiler (Debian: apt-get install build-essential); librdkafka is built from source."
need make "Install make (Debian: apt-get install make)."
rustc_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "${rustc_minor:-0}" -lt 85 ]; then
  echo "error: rustc 1.85 or newer is needed, found $(rustc --version). Run: rustup update" >&2
  exit 1
fi
