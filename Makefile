# brandpulse: the two commands a newcomer needs.
#   make demo   build, then run the whole pipeline on an in-process broker with sample data
#   make test   set up what the tests need (tansu broker), then run every check and test
# Both are idempotent: set-up is cached under $(BRANDPULSE_CACHE).

BRANDPULSE_CACHE ?= $(HOME)/.cache/brandpulse
export BRANDPULSE_CACHE
DEMO_ARGS ?=

.PHONY: demo test build setup-test bench lint

demo: build
	./target/release/brandpulse demo $(DEMO_ARGS)

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
