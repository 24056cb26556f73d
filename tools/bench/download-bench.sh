#!/usr/bin/env bash
# Download throughput and memory: otagw's downloader (libcurl multi on the
# daemon's loop, SHA-256 while streaming, fsync) against `curl -o` of the same
# 256 MB file from the cloudsim firmware server over loopback, and what curl
# leaves undone (a hash pass, the sync). The measurement is the hidden
# "[.benchmark]" case of the transports tests (it needs the curl CLI).
#
#   tools/bench/download-bench.sh [BUILD_DIR]      (default build/release)
set -euo pipefail
build=${1:-build/release}
tests="$build/tests/transports/otagw_transports_tests"
[[ -x $tests ]] || { echo "download-bench: $tests missing: cmake --build $build" >&2; exit 1; }
command -v curl >/dev/null || { echo "download-bench: needs the curl command (apt-get install curl)" >&2; exit 1; }
"$tests" "[.benchmark]" 2>&1 | grep -A3 "otagw download" | sed 's/^ *//' | tr '\n' ' '
echo
