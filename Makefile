# connsync: the two set-up commands of README.md.
#   make demo   installs missing Debian packages, builds, runs the built-in demo against the emulator
#   make test   installs missing Debian packages, starts a local PostgreSQL, builds and runs every test
SWIFT ?= swift

.PHONY: deps build release demo test bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: build
	$$($(SWIFT) build --show-bin-path)/connsync demo

test: deps
	@CONNSYNC_TEST_POSTGRES_URL="$${CONNSYNC_TEST_POSTGRES_URL:-$$(bash scripts/test-postgres.sh)}" && \
	  export CONNSYNC_TEST_POSTGRES_URL && \
	  $(SWIFT) test --parallel

bench: release
	$$($(SWIFT) build -c release --show-bin-path)/connsync-bench

clean:
	rm -rf .build
