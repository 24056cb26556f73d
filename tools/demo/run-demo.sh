#!/usr/bin/env bash
# make demo: the main job on one machine. otagw-cloudsim starts mosquitto
# (checking the platform's HMAC sign-in with our auth plugin), plays the IoT
# platform and its firmware server, and runs `otagwd --once` with the config
# it writes from config/examples/demo-scenario.yaml: six sub-devices on two
# serial buses updated by query and by push, a corrupted package refused, one
# already current, a download that drops and resumes, flashes on both buses at
# once. Progress bars on a terminal, plain lines otherwise; the final table and
# the longest overlap of flashes across buses; exit 0 when every outcome
# matches the scenario.
# Everything runs on loopback, in a temporary directory, and is stopped at the
# end (otagw-cloudsim run does both).
#
#   tools/demo/run-demo.sh BUILD_DIR      (default build/dev)
#
# Extra arguments go to otagw-cloudsim run (e.g. --keep DIR, --table plain).
set -euo pipefail

build_dir=${1:-build/dev}
shift || true
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case $build_dir in /*) ;; *) build_dir=$PWD/$build_dir ;; esac

cloudsim="$build_dir/tools/cloudsim/otagw-cloudsim"
otagwd="$build_dir/daemon/otagwd"
for f in "$cloudsim" "$otagwd"; do
  [[ -x $f ]] || { echo "demo: $f is missing (run make first)" >&2; exit 1; }
done

cd "$root"
exec "$cloudsim" run config/examples/demo-scenario.yaml --otagwd "$otagwd" "$@"
