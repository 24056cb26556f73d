#!/usr/bin/env bash
# Sweep rate: one otagwd --once pass over N up-to-date sub-devices through a
# real mosquitto and otagw-cloudsim on loopback, against the floor (the least
# a client can do per device, otagw-bench-sweep-floor) in the same run.
#
#   tools/bench/sweep-bench.sh [BUILD_DIR] [DEVICES]     (default build/release 1000)
set -euo pipefail

build=${1:-build/release}
devices=${2:-1000}
otagwd="$build/daemon/otagwd"
cloudsim="$build/tools/cloudsim/otagw-cloudsim"
floor="$build/tools/bench/otagw-bench-sweep-floor"
plugin="$build/tools/mqtt-auth/otagw_mqtt_auth.so"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
for f in "$otagwd" "$cloudsim" "$floor" "$plugin"; do
  [[ -e $f ]] || { echo "sweep-bench: $f is missing: cmake --build $build first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/otagw-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

secret() { printf 'secret-%05d' "$1"; }
cat > "$work/scenario.yaml" <<YAML
gateway: {product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}
generate:
  - {count: $devices, product_key: a1Bench, name_format: "sub-%05d", secret_format: "secret-%05d", topology: present}
YAML
"$cloudsim" devices-file --scenario "$work/scenario.yaml" > "$work/devices.txt"

{
  cat <<YAML
gateway: {product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}
mqtt: {host: 127.0.0.1, port: PORT, tls: false, connect_retry_s: 10}
ota: {state_dir: $work/state, query_timeout_s: 5}
log: {level: info}
plugins: {bench: {exec: /bin/true}}
subdevices:
YAML
  for ((i = 0; i < devices; i++)); do
    printf '  - {product_key: a1Bench, device_name: sub-%05d, device_secret: %s, version: "1.0.0", plugin: bench}\n' \
      "$i" "$(secret "$i")"
  done
} > "$work/gateway.yaml.in"

for _ in $(seq 1 20); do
  port=$(( 20000 + RANDOM % 40000 ))
  cat > "$work/broker.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous false
set_tcp_nodelay true
user root
persistence false
max_queued_messages 100000
log_dest none
plugin $PWD/$plugin
plugin_opt_devices_file $work/devices.txt
plugin_opt_platform_username platform
plugin_opt_platform_password platform-secret
CONF
  "$mosquitto_bin" -c "$work/broker.conf" >"$work/broker.out" 2>&1 &
  broker=$!
  sleep 0.3
  if kill -0 "$broker" 2>/dev/null; then pids+=("$broker"); break; fi
done
sed "s/PORT/$port/" "$work/gateway.yaml.in" > "$work/gateway.yaml"
chmod 600 "$work/gateway.yaml"  # it holds secrets: otagwd refuses it readable by others

echo "== $devices sub-devices, mosquitto $($mosquitto_bin -h | head -1 | awk '{print $3}') on 127.0.0.1:$port, $(nproc) cores"

# The floor signs in as the platform user (the auth plugin checks everyone).
"$floor" "$port" "$devices" 1 platform platform-secret | tee "$work/floor.out"

"$cloudsim" serve --scenario "$work/scenario.yaml" --broker-host 127.0.0.1 --broker-port "$port" \
  --username platform --password platform-secret --report "$work/report.json" > "$work/sim.out" 2> "$work/sim.err" &
sim=$!
pids+=("$sim")
for _ in $(seq 1 100); do grep -q '^ready' "$work/sim.out" 2>/dev/null && break; sleep 0.05; done

run_once() {  # $1 = label
  local timer=() start end pass rss
  [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f '%M' -o "$work/rss")
  start=$EPOCHREALTIME
  "${timer[@]}" "$otagwd" --config "$work/gateway.yaml" --once 2> "$work/otagwd.err" || {
    echo "otagwd failed:"; tail -20 "$work/otagwd.err"; exit 1; }
  end=$EPOCHREALTIME
  pass=$(grep -o 'pass complete in [0-9.]* s' "$work/otagwd.err" | awk '{print $4}')
  rss=$(cat "$work/rss" 2>/dev/null || echo "?")
  awk -v label="$1" -v n="$devices" -v pass="$pass" -v start="$start" -v end="$end" -v rss="$rss" 'BEGIN {
    printf "otagwd %s: %d devices: pass (login + visits) %.3f s = %.0f devices/s; whole run %.3f s; peak RSS %s KiB\n",
           label, n, pass, n / pass, end - start, rss }'
  # For tools/bench/bench-all.sh: the next pass, as "pass" (logins + visits) and whole run.
  [[ $1 != "next pass" ]] || awk -v n="$devices" -v pass="$pass" -v start="$start" -v end="$end" 'BEGIN {
    printf "BENCH sweep_pass_%d %.0f dev/s\nBENCH sweep_whole_%d %.3f s\n", n, n / pass, n, end - start }'
}
# The first pass of a new gateway asks every device's plugin for its version
# (a process each); later passes report the versions kept in state.
run_once "first pass"
run_once "next pass"
# For tools/bench/bench-all.sh: the floor that waits for SUBACK and UNSUBACK.
sed -n 's/^floor: \([0-9]*\) devices in .* = \([0-9]*\) devices\/s.*/BENCH sweep_floor_acked_\1 \2 dev\/s/p' "$work/floor.out"
