# connsync: the two set-up commands of README.md.
#   make demo   installs missing Debian packages, builds, runs the built-in demo against the emulator
#   make test   installs missing Debian packages, starts a local PostgreSQL, builds and runs every test
SWIFT ?= swift

.PHONY: deps build release demo test bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

# The Swift runtime and Foundation linked in: a process starts ≈ 7 ms sooner (no dynamic
# linking of a dozen Swift libraries), which is most of what `connsync --version` costs.
RELEASE = -c release --static-swift-stdlib

# By product: a static runtime cannot link the dynamic library product of a dependency (GRDB).
release: deps
	$(SWIFT) build $(RELEASE) --product connsync
	$(SWIFT) build $(RELEASE) --product connsync-bench

demo: build
	$$($(SWIFT) build --show-bin-path)/connsync demo

test: deps
	@CONNSYNC_TEST_POSTGRES_URL="$${CONNSYNC_TEST_POSTGRES_URL:-$$(bash scripts/test-postgres.sh)}" && \
	  export CONNSYNC_TEST_POSTGRES_URL && \
	  $(SWIFT) test --parallel

bench: release
	$$($(SWIFT) build $(RELEASE) --show-bin-path)/connsync-bench

clean:
	rm -rf .build
