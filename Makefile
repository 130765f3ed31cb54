# Two commands for a fresh machine: `make demo` (install, build, run the drills) and
# `make test` (install, build, pass every test). Everything else is a helper.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: setup setup-test build demo test unit sanitize bench clean

setup:
	@bash scripts/setup.sh

# The tests also need a real browser (the timeline pages are checked in headless Chromium).
setup-test: setup
	@bash scripts/setup-browser.sh

build: setup
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

test: setup-test build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

# ASan + UBSan build of everything; the tests must pass under it.
sanitize: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DREPLSIM_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ctest --test-dir build-asan --output-on-failure -j $(JOBS) -LE pg

# A short run of the benchmarks (scripts/bench.sh); docs/performance.md has the long ones.
bench: setup
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target wal_bench campaign_bench
	@bash scripts/bench.sh $(BUILD)

clean:
	@rm -rf $(BUILD) build-asan
