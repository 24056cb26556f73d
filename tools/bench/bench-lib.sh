# shellcheck shell=bash
# Shell functions the benchmark scripts share (sourced, not run).

# Starts mosquitto on a free loopback port, signing clients in through our
# platform plugin (sub-devices from a devices file, the simulator as the
# platform user), TCP_NODELAY on, nothing persisted or logged. Sets $port
# and $broker (its pid: the caller adds it to what it stops); returns 1
# with the broker's words on stderr when no port worked.
#   start_broker WORK_DIR AUTH_PLUGIN_SO DEVICES_FILE
start_broker() {
  local work=$1 plugin devices=$3 mosquitto_bin
  plugin=$(realpath "$2")
  mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  broker=
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
plugin $plugin
plugin_opt_devices_file $devices
plugin_opt_platform_username platform
plugin_opt_platform_password platform-secret
CONF
    "$mosquitto_bin" -c "$work/broker.conf" >"$work/broker.out" 2>&1 &
    broker=$!
    sleep 0.3
    kill -0 "$broker" 2>/dev/null && return 0
    broker=
  done
  echo "$(basename "$0"): mosquitto did not start:" >&2
  cat "$work/broker.out" >&2
  return 1
}

# Starts `otagw-cloudsim serve` against that broker as the platform user and
# waits for its "ready" line. Sets $sim (its pid); returns 1 with its stderr
# on stderr when it does not get ready.
#   start_cloudsim CLOUDSIM OUT_DIR SCENARIO [MORE SERVE ARGUMENTS...]
#   (OUT_DIR receives sim.out and sim.err)
start_cloudsim() {
  local cloudsim=$1 out=$2 scenario=$3
  shift 3
  "$cloudsim" serve --scenario "$scenario" --broker-host 127.0.0.1 --broker-port "$port" --username platform \
    --password platform-secret "$@" > "$out/sim.out" 2> "$out/sim.err" &
  # shellcheck disable=SC2034  # for the caller
  sim=$!
  for _ in $(seq 1 200); do grep -q '^ready' "$out/sim.out" 2>/dev/null && return 0; sleep 0.05; done
  echo "$(basename "$0"): otagw-cloudsim serve did not get ready:" >&2
  cat "$out/sim.err" >&2
  return 1
}

# Stops what start_cloudsim started (SIGTERM: it writes its report) and waits for it.
stop_cloudsim() {
  kill -TERM "$sim"
  wait "$sim" || true
  sim=""
}
