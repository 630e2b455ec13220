# The README's commands. `make demo` builds everything and starts the demo;
# `make test` runs every test on SQLite and PostgreSQL.
.PHONY: demo test build web bench-registry bench-solver bench-items bench-web bench-io bench-recovery bench-prevention fmt lint

CARGO ?= cargo
# Where cargo puts the release binary (honours CARGO_TARGET_DIR).
ANJU := $(or $(CARGO_TARGET_DIR),target)/release/anju

demo: build
	$(ANJU) demo

# The web app is embedded into the binary, so it is built first.
build: web
	$(CARGO) build --release -p anju-cli

web:
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

test:
	./scripts/test.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench-registry: build
	ANJU_BIN=$(ANJU) ./bench/registry/run.sh

bench-web:
	./bench/web/run.sh

bench-solver:
	./bench/solver/run.sh

bench-prevention:
	./bench/prevention/run.sh

bench-items:
	./bench/items/run.sh

bench-recovery:
	./bench/recovery/run.sh
bench-io: build
	$(CARGO) build --release -p anju-io --example gen_register
	ANJU_BIN=$(ANJU) ./bench/io/run.sh
