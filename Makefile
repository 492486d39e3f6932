# Thin wrapper: every target installs missing Debian packages (as root),
# configures with a CMake preset, builds, then runs.
PRESET ?= default
JOBS   ?= $(shell nproc)
BUILD_DIR := $(if $(filter default,$(PRESET)),build,build-$(PRESET))

.PHONY: all deps configure build test bench demo clean

all: build

deps:
	@bash scripts/deps.sh $(PRESET)

configure: deps
	cmake --preset $(PRESET)

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET)

bench: build
	$(BUILD_DIR)/bin/bench_kmc
	$(BUILD_DIR)/bin/bench_model
	$(BUILD_DIR)/bin/bench_circuits
	@for b in bench_gpu bench_rtl_crossbar bench_systemc; do \
	  if [ -x $(BUILD_DIR)/bin/$$b ]; then $(BUILD_DIR)/bin/$$b; else echo "make bench: $$b not built (optional part off)"; fi; \
	done

# The demo needs the `ionrail` command alone: build that target, not the
# tests, benches, Verilated models and SystemC examples `make test` builds.
demo: configure
	cmake --build --preset $(PRESET) -j $(JOBS) --target ionrail
	$(BUILD_DIR)/bin/ionrail demo --out out/demo --force

clean:
	rm -rf build build-debug build-asan build-fuzz
