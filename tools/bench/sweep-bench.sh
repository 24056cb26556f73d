#!/usr/bin/env bash
# Sweep rate: otagwd --once passes over N up-to-date sub-devices through a real
# mosquitto and otagw-cloudsim on loopback, against the floors (the least a
# client can do per device, otagw-bench-sweep-floor) in the same run, for each
# N given (default 1000 and 2000).
#
#   tools/bench/sweep-bench.sh [BUILD_DIR [DEVICES...]]     (default build/release 1000 2000)
#
# One responder answers every firmware/get at once, for the floors and for
# otagwd alike: `otagw-bench-sweep-floor --respond` (libmosquitto, its own
# thread). The simulator serves the sign-ins, topology and logins, records
# the informs and queries, and answers no query (its devices' modules are
# `query: no_reply`), so it is in the picture (the broker hands it every
# inform and query) but not in the round trip, during the floors as well.
#
# Per N, in this order:
#   floor pipelined  SUBSCRIBE, inform, query back to back -> reply,
#                    UNSUBSCRIBE not waited for: one round trip a device
#   floor acked      SUBACK and UNSUBACK waited for too: three round trips
#   first pass       otagwd --once on an empty state_dir: it asks every
#                    device's plugin for its version (a process each)
#   next pass        otagwd --once again: the versions come from state
#     visits         otagwd's own figure, from the first visit's SUBSCRIBE to
#                    the last one's UNSUBSCRIBE (steady clock; "visits X s" in
#                    its "--once: pass complete" line)
#     whole          process start to exit (this script's clock): config
#                    load, connect, paced batch logins, visits, state save
#
# Besides the human lines, one line per figure for `make bench`:
#   BENCH <key> <value> <unit>
# keys sweep_floor_pipelined_N, sweep_floor_acked_N, sweep_visits_N (dev/s),
# sweep_whole_N (s), first_pass_1000 (dev/s, when 1000 is among the N).
set -euo pipefail
# shellcheck source=tools/bench/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

build=${1:-build/release}
shift || true
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 2000)
otagwd="$build/daemon/otagwd"
cloudsim="$build/tools/cloudsim/otagw-cloudsim"
floor="$build/tools/bench/otagw-bench-sweep-floor"
plugin="$build/tools/mqtt-auth/otagw_mqtt_auth.so"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
for f in "$otagwd" "$cloudsim" "$floor" "$plugin"; do
  [[ -e $f ]] || { echo "sweep-bench: $f is missing: cmake --build $build first" >&2; exit 1; }
done
plugin=$(realpath "$plugin")  # the broker config needs it absolute, whatever BUILD_DIR is
max=0
for n in "${sizes[@]}"; do (( n > max )) && max=$n; done

work=$(mktemp -d /tmp/otagw-bench.XXXXXX)
# The crash-loop markers (a small file per visit) go where the service keeps
# them: on tmpfs (systemd's RuntimeDirectory=, /run/otagw).
run_dir=$(mktemp -d /dev/shm/otagw-bench.XXXXXX 2>/dev/null || mktemp -d /tmp/otagw-bench-run.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "$run_dir"
}
trap cleanup EXIT

bench() { printf 'BENCH %s %s %s\n' "$1" "$2" "$3"; }

cat > "$work/scenario.yaml" <<YAML
gateway: {product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}
generate:
  - {count: $max, product_key: a1Bench, name_format: "sub-%05d", secret_format: "secret-%05d", topology: present,
     modules: {default: {query: no_reply}}}
YAML
"$cloudsim" devices-file --scenario "$work/scenario.yaml" > "$work/devices.txt"

start_broker "$work" "$plugin" "$work/devices.txt"
pids+=("$broker")

wait_ready() {  # $1 = file that says "ready"
  for _ in $(seq 1 100); do grep -q '^ready' "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "sweep-bench: no 'ready' in $1" >&2
  exit 1
}

"$cloudsim" serve --scenario "$work/scenario.yaml" --broker-host 127.0.0.1 --broker-port "$port" \
  --username platform --password platform-secret --report "$work/report.json" > "$work/sim.out" 2> "$work/sim.err" &
pids+=("$!")
wait_ready "$work/sim.out"
# The responder signs in as the platform user (the auth plugin checks everyone).
"$floor" --respond "$port" platform platform-secret > "$work/responder.out" 2> "$work/responder.err" &
pids+=("$!")
wait_ready "$work/responder.out"

echo "== mosquitto $($mosquitto_bin -h | head -1 | awk '{print $3}') on 127.0.0.1:$port, $(nproc) cores," \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"

floor_rate() {  # $1 = mode, $2 = devices; prints devices/s
  local line
  line=$("$floor" --mode "$1" --external-responder "$port" "$2" 1 platform platform-secret)
  echo "$line" >&2
  awk '{ for (i = 1; i <= NF; ++i) if ($i == "devices/s") print $(i - 1) }' <<< "$line"
}

run_once() {  # $1 = label, $2 = devices; sets pass_s, visits_s, whole_s
  local timer=() start end rss
  [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f '%M' -o "$work/rss")
  start=$EPOCHREALTIME
  "${timer[@]}" "$otagwd" --config "$work/gateway.yaml" --once 2> "$work/otagwd.err" || {
    echo "otagwd failed:"; tail -20 "$work/otagwd.err"; exit 1; }
  end=$EPOCHREALTIME
  pass_s=$(grep -o 'pass complete in [0-9.]* s' "$work/otagwd.err" | awk '{print $4}')
  visits_s=$(grep -o '(visits [0-9.]* s)' "$work/otagwd.err" | awk '{print $2}')
  whole_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  rss=$(cat "$work/rss" 2>/dev/null || echo "?")
  awk -v label="$1" -v n="$2" -v pass="$pass_s" -v visits="$visits_s" -v whole="$whole_s" -v rss="$rss" 'BEGIN {
    printf "otagwd %s: %d devices: visits %.3f s = %.0f devices/s; pass (login + visits) %.3f s = %.0f devices/s; " \
           "whole run %.3f s; peak RSS %s KiB\n", label, n, visits, n / visits, pass, n / pass, whole, rss }'
}

for n in "${sizes[@]}"; do
  echo "== $n sub-devices"
  pipelined=$(floor_rate pipelined "$n")
  acked=$(floor_rate acked "$n")

  rm -rf "$work/state" "${run_dir:?}"/*
  {
    cat <<YAML
gateway: {product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}
mqtt: {host: 127.0.0.1, port: $port, tls: false, connect_retry_s: 10}
ota: {state_dir: $work/state, runtime_dir: $run_dir, query_timeout_s: 5}
log: {level: info}
plugins: {bench: {exec: /bin/true}}
subdevices:
YAML
    for ((i = 0; i < n; i++)); do
      printf '  - {product_key: a1Bench, device_name: sub-%05d, device_secret: secret-%05d, version: "1.0.0", plugin: bench}\n' \
        "$i" "$i"
    done
  } > "$work/gateway.yaml"
  chmod 600 "$work/gateway.yaml"  # it holds secrets: otagwd refuses it readable by others

  # The first pass of a new gateway asks each device's plugin for its version
  # (a process each); the next pass reports the versions kept in state.
  run_once "first pass" "$n"
  first_pass_s=$pass_s
  run_once "next pass" "$n"

  awk -v v="$visits_s" -v p="$pipelined" -v a="$acked" 'BEGIN {
    r = 1 / v; printf "visits / floor: %.2f of pipelined, %.2f of acked (target: at least 0.80 of pipelined)\n",
    '"$n"' * r / p, '"$n"' * r / a }'
  bench "sweep_floor_pipelined_$n" "$pipelined" dev/s
  bench "sweep_floor_acked_$n" "$acked" dev/s
  bench "sweep_visits_$n" "$(awk -v n="$n" -v v="$visits_s" 'BEGIN { printf "%.0f", n / v }')" dev/s
  bench "sweep_whole_$n" "$whole_s" s
  if [[ $n == 1000 ]]; then
    bench first_pass_1000 "$(awk -v n="$n" -v v="$first_pass_s" 'BEGIN { printf "%.0f", n / v }')" dev/s
  fi
done
