# The commands of the README, wrapping the CMake presets (CMakePresets.json).
#   make demo   the main job: a local broker, cloud and daemon at work
#   make test   installs missing Debian packages (as root), builds, runs ctest
#   make fuzz   builds the libFuzzer targets (clang 14) and runs each for
#               FUZZ_SECONDS (docs/fuzzing.md)
#   make package  builds the two .debs (otagwd, otagw-cloudsim) from the
#               release build into build/release/packages (docs/operations.md)
#   make bench  builds the release preset, runs the benchmarks of tools/bench
#               and prints one table of figures against their peers
#               (docs/benchmarks.md); not part of make test
# PRESET=dev|asan|release|ci picks the build (build/$(PRESET)).

PRESET ?= dev
JOBS ?= $(shell nproc)

# Debian 12 packages the build, the tests and the demo need.
DEBIAN_PACKAGES := cmake ninja-build g++ pkg-config make openssl \
  libboost-dev libmosquitto-dev mosquitto mosquitto-dev libcurl4-openssl-dev libssl-dev \
  libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev libexpected-dev libcli11-dev catch2 libsystemd-dev systemd \
  dpkg-dev file binutils

# What `make fuzz` needs on top: clang 14 and its libFuzzer/ASan/UBSan
# runtimes (a recommendation of clang-14 only, so named here).
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_SECONDS ?= 300

# What `make bench` needs on top: nginx (the independent HTTP server of the
# download figures), curl (their peer), perf (profiles, docs/benchmarks.md).
BENCH_PACKAGES := nginx curl linux-perf

.PHONY: all deps fuzz-deps bench-deps configure build test fuzz bench demo install package clean

all: build

# Installs the Debian packages of $(1) that are missing when run as root;
# otherwise prints the apt-get line and fails.
define install_missing
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages; run:"; \
	    echo "  sudo apt-get install -y $$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_missing,$(DEBIAN_PACKAGES))

fuzz-deps:
	$(call install_missing,$(FUZZ_PACKAGES))

bench-deps:
	$(call install_missing,$(BENCH_PACKAGES))

build/$(PRESET)/build.ninja:
	cmake --preset $(PRESET)

configure: deps build/$(PRESET)/build.ninja

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) -j $(JOBS)

# Fails if a target crashes, naming the crash file (build/fuzz/artifacts/NAME/).
fuzz: deps fuzz-deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	tests/fuzz/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

# ROUNDS=N overrides each benchmark's rounds; tools/bench/bench-all.sh says more.
bench: deps bench-deps
	JOBS=$(JOBS) tools/bench/bench-all.sh

demo: build
	tools/demo/run-demo.sh build/$(PRESET)

install: build
	cmake --install build/$(PRESET)

# The release build unless PRESET says otherwise (CI packages its ci build).
package: PRESET = release
package: build
	cpack --config build/$(PRESET)/CPackConfig.cmake -B build/$(PRESET)/packages
	@ls -l build/$(PRESET)/packages/*.deb

clean:
	rm -rf build
