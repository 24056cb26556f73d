#!/usr/bin/env bash
# Memory and idle CPU of the service (otagwd without --once) with many
# registered, up-to-date sub-devices, through a real mosquitto and
# otagw-cloudsim on loopback.
#
#   tools/bench/memory-bench.sh [BUILD_DIR]        (default build/release)
#
# Each otagwd run starts on a state_dir that already knows every device (its
# topology added, its version installed): the gateway as it runs day to day,
# so the first pass is the query of every device and not a version probe (a
# process) per device. Figures, read from /proc/PID/{status,stat}:
#   - peak RSS (VmHWM) of 2000 devices, once the first pass is done: the
#     config load, the registry and the pass itself;
#   - steady RSS (VmRSS) of 2000 devices, settled after the first pass, between
#     passes, and again after a reload of the same file (SIGHUP);
#   - the cost of a device: (steady RSS of 2000 - that of SMALL) / (2000 - SMALL);
#   - idle CPU (utime + stime) of 1000 devices over IDLE_S seconds between passes.
# With otagw-bench-memory-breakdown built, it also prints the heap each of the
# daemon's per-device structures holds. Besides the text, one line per figure
# for `make bench`:
#   BENCH mem_steady_rss_2000 <MiB> MiB, BENCH mem_peak_rss_2000 <MiB> MiB,
#   BENCH mem_per_device_2000 <KiB> KiB, BENCH idle_cpu_1000 <s> s
# Environment: SMALL (default 200), IDLE_S (default 60), SETTLE_S (default 3).
set -euo pipefail
# shellcheck source=tools/bench/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

build=${1:-build/release}
small=${SMALL:-200}
idle_s=${IDLE_S:-60}
settle_s=${SETTLE_S:-3}
max_devices=2000
otagwd="$build/daemon/otagwd"
cloudsim="$build/tools/cloudsim/otagw-cloudsim"
plugin="$build/tools/mqtt-auth/otagw_mqtt_auth.so"
breakdown="$build/tools/bench/otagw-bench-memory-breakdown"  # optional: what holds the memory
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
for f in "$otagwd" "$cloudsim" "$plugin"; do
  [[ -e $f ]] || { echo "memory-bench: $f is missing: cmake --build $build first" >&2; exit 1; }
done
clk_tck=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/otagw-membench.XXXXXX)
pids=()
daemon_pid=
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/scenario.yaml" <<YAML
gateway: {product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}
generate:
  - {count: $max_devices, product_key: a1Bench, name_format: "sub-%05d", secret_format: "secret-%05d", topology: present}
YAML
"$cloudsim" devices-file --scenario "$work/scenario.yaml" > "$work/devices.txt"

start_broker "$work" "$plugin" "$work/devices.txt"
pids+=("$broker")

"$cloudsim" serve --scenario "$work/scenario.yaml" --broker-host 127.0.0.1 --broker-port "$port" \
  --username platform --password platform-secret > "$work/sim.out" 2> "$work/sim.err" &
pids+=("$!")
for _ in $(seq 1 100); do grep -q '^ready' "$work/sim.out" 2>/dev/null && break; sleep 0.05; done
grep -q '^ready' "$work/sim.out" || { echo "memory-bench: otagw-cloudsim did not start:"; cat "$work/sim.err"; exit 1; }

# $1 = devices, $2 = directory: gateway.yaml and a state_dir that knows them all.
prepare() {
  local n=$1 dir=$2 i
  mkdir -p "$dir/state"
  {
    cat <<YAML
gateway: {product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}
mqtt: {host: 127.0.0.1, port: $port, tls: false, connect_retry_s: 10}
ota: {state_dir: $dir/state, query_timeout_s: 5, sweep_interval_s: 3600}
control: {socket: $dir/otagw.sock}
log: {level: info}
plugins: {bench: {exec: /bin/true}}
subdevices:
YAML
    for ((i = 0; i < n; i++)); do
      printf '  - {product_key: a1Bench, device_name: sub-%05d, device_secret: secret-%05d, version: "1.0.0", plugin: bench}\n' "$i" "$i"
    done
  } > "$dir/gateway.yaml"
  chmod 600 "$dir/gateway.yaml"  # it holds secrets: otagwd refuses it readable by others
  {
    printf '{"version": 1, "devices": {'
    for ((i = 0; i < n; i++)); do
      ((i > 0)) && printf ','
      printf '"a1Bench.sub-%05d": {"topology_added": true, "installed_versions": {"": "1.0.0"}, "last_check_ms": 0, "last_result": "up_to_date", "failed_targets": {}}' "$i"
    done
    printf '}}\n'
  } > "$dir/state/devices.json"
}

status_kib() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime

# Starts otagwd on $1 devices and waits for the end of its first pass.
# Sets daemon_pid; $2 = directory.
start_daemon() {
  local n=$1 dir=$2
  prepare "$n" "$dir"
  "$otagwd" --config "$dir/gateway.yaml" 2> "$dir/otagwd.err" &
  daemon_pid=$!
  for _ in $(seq 1 600); do
    grep -q 'sweep done' "$dir/otagwd.err" && break
    kill -0 "$daemon_pid" 2>/dev/null || { echo "otagwd ($n devices) exited:"; tail -20 "$dir/otagwd.err"; exit 1; }
    sleep 0.05
  done
  grep -q 'sweep done' "$dir/otagwd.err" || { echo "otagwd ($n devices): no pass within 30 s"; tail -20 "$dir/otagwd.err"; exit 1; }
  grep -q "$n visited, $n up to date" "$dir/otagwd.err" ||
    { echo "otagwd ($n devices): the pass did not find every device up to date:"; grep 'sweep done' "$dir/otagwd.err"; exit 1; }
}

stop_daemon() {
  kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
}

# $1 = devices: sets peak and steady (KiB), measured as described above, and
# reloaded: VmRSS once a reload of the same file (SIGHUP) has settled.
measure_rss() {
  local dir="$work/run-$1"
  start_daemon "$1" "$dir"
  sleep "$settle_s"
  peak=$(status_kib "$daemon_pid" VmHWM)
  steady=$(status_kib "$daemon_pid" VmRSS)
  kill -HUP "$daemon_pid"
  for _ in $(seq 1 200); do grep -q 'reload (SIGHUP) accepted' "$dir/otagwd.err" && break; sleep 0.05; done
  grep -q 'reload (SIGHUP) accepted' "$dir/otagwd.err" || { echo "otagwd ($1 devices): reload not accepted"; tail -5 "$dir/otagwd.err"; exit 1; }
  sleep "$settle_s"
  reloaded=$(status_kib "$daemon_pid" VmRSS)
  stop_daemon
}

echo "== otagwd memory: mosquitto $("$mosquitto_bin" -h | head -1 | awk '{print $3}') on 127.0.0.1:$port, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# The config load alone: --check-config reads and checks it, then exits.
prepare "$max_devices" "$work/check"
check_peak=$(/usr/bin/time -f '%M' "$otagwd" --check-config --config "$work/check/gateway.yaml" 2>&1 >/dev/null | tail -1)
[[ -x $breakdown ]] && "$breakdown" "$work/check/gateway.yaml" "$work/check/state"

measure_rss "$max_devices"
peak_big=$peak steady_big=$steady reloaded_big=$reloaded
measure_rss "$small"
peak_small=$peak steady_small=$steady

# Idle: between passes, the online set stays logged in and nothing else runs.
start_daemon 1000 "$work/idle"
sleep "$settle_s"
ticks_before=$(cpu_ticks "$daemon_pid")
rss_idle_before=$(status_kib "$daemon_pid" VmRSS)
sleep "$idle_s"
ticks_after=$(cpu_ticks "$daemon_pid")
rss_idle_after=$(status_kib "$daemon_pid" VmRSS)
threads=$(status_kib "$daemon_pid" Threads)
stop_daemon

awk -v check="$check_peak" -v rb="$reloaded_big" -v pb="$peak_big" -v sb="$steady_big" -v ps="$peak_small" -v ss="$steady_small" \
    -v small="$small" -v big="$max_devices" -v t0="$ticks_before" -v t1="$ticks_after" -v hz="$clk_tck" \
    -v idle="$idle_s" -v r0="$rss_idle_before" -v r1="$rss_idle_after" -v threads="$threads" 'BEGIN {
  mib = 1024
  printf "config load alone (--check-config, %d devices): peak RSS %.1f MiB\n", big, check / mib
  printf "%d devices: peak RSS %.1f MiB (start, config load, first pass), steady RSS %.1f MiB (between passes)\n",
         big, pb / mib, sb / mib
  printf "%d devices after a reload of the same file (SIGHUP): RSS %.1f MiB\n", big, rb / mib
  printf "%d devices: peak RSS %.1f MiB, steady RSS %.1f MiB\n", small, ps / mib, ss / mib
  per = (sb - ss) / (big - small)
  printf "cost of a device (steady, %d against %d): %.2f KiB; peak: %.2f KiB\n", big, small, per, (pb - ps) / (big - small)
  printf "idle, 1000 devices, %d s between passes: %.2f s of CPU; RSS %.1f -> %.1f MiB; %d threads\n",
         idle, (t1 - t0) / hz, r0 / mib, r1 / mib, threads
  printf "targets: steady <= 24 MiB, peak <= 32 MiB, idle CPU <= 0.1 s in 60 s\n"
  printf "BENCH mem_steady_rss_2000 %.1f MiB\n", sb / mib
  printf "BENCH mem_peak_rss_2000 %.1f MiB\n", pb / mib
  printf "BENCH mem_per_device_2000 %.2f KiB\n", per
  printf "BENCH idle_cpu_1000 %.2f s\n", (t1 - t0) / hz
}'
