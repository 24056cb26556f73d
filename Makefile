# The two commands of the README, wrapping the CMake presets (CMakePresets.json).
#   make demo   the main job: a local broker, cloud and daemon at work
#   make test   installs missing Debian packages (as root), builds, runs ctest
# PRESET=dev|asan|release|ci picks the build (build/$(PRESET)).

PRESET ?= dev
JOBS ?= $(shell nproc)

# Debian 12 packages the build, the tests and the demo need.
DEBIAN_PACKAGES := cmake ninja-build g++ pkg-config make openssl \
  libboost-dev libmosquitto-dev mosquitto mosquitto-dev libcurl4-openssl-dev libssl-dev \
  libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev libexpected-dev catch2 libsystemd-dev systemd

.PHONY: all deps configure build test demo install clean

all: build

deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
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

build/$(PRESET)/build.ninja:
	cmake --preset $(PRESET)

configure: deps build/$(PRESET)/build.ninja

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) -j $(JOBS)

demo: build
	tools/demo/run-demo.sh build/$(PRESET)

install: build
	cmake --install build/$(PRESET)

clean:
	rm -rf build
