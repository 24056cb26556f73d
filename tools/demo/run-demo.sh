#!/usr/bin/env bash
# make demo: a local broker that checks the platform's sign-in (our auth
# plugin), and otagwd signing in to it as the gateway. Everything runs on
# loopback in a temporary directory and is stopped at the end.
set -euo pipefail

build_dir=${1:-build/dev}
otagwd="$build_dir/daemon/otagwd"
plugin="$build_dir/tools/mqtt-auth/otagw_mqtt_auth.so"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
for f in "$otagwd" "$plugin" "$mosquitto_bin"; do
  [[ -x $f || -f $f ]] || { echo "demo: $f is missing (run make first)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/otagw-demo.XXXXXX)
broker_pid=""
cleanup() {
  [[ -n $broker_pid ]] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

gw_pk=a1DemoGw01 gw_dn=demo-gateway gw_secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$gw_pk $gw_dn $gw_secret" > "$work/devices.txt"

# A free loopback port: try a few random ones until the broker binds.
for _ in $(seq 1 20); do
  port=$(( 20000 + RANDOM % 40000 ))
  cat > "$work/broker.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous false
set_tcp_nodelay true
user root
persistence false
log_dest file $work/broker.log
log_type error
log_type warning
log_type notice
plugin $PWD/$plugin
plugin_opt_devices_file $work/devices.txt
CONF
  "$mosquitto_bin" -c "$work/broker.conf" >"$work/broker.out" 2>&1 &
  broker_pid=$!
  sleep 0.3
  kill -0 "$broker_pid" 2>/dev/null && break
  broker_pid=""
done
[[ -n $broker_pid ]] || { echo "demo: could not start mosquitto" >&2; cat "$work/broker.out" >&2; exit 1; }

write_config() {  # $1 = secret
  cat > "$work/gateway.yaml" <<CONF
gateway:
  product_key: $gw_pk
  device_name: $gw_dn
  device_secret: "$1"
mqtt:
  host: 127.0.0.1
  port: $port
  tls: false
  connect_retry_s: 5
ota:
  state_dir: $work/state
CONF
}

say "broker on 127.0.0.1:$port, checking the platform HMAC sign-in"
write_config "$gw_secret"
"$otagwd" --check-config --config "$work/gateway.yaml"

say "otagwd --once with the right device secret"
set +e
"$otagwd" --config "$work/gateway.yaml" --once
ok=$?
say "otagwd --once with a wrong device secret (must be refused, exit 3)"
write_config "wrong-secret"
"$otagwd" --config "$work/gateway.yaml" --once
refused=$?
set -e

say "result"
printf '%-28s %s\n' "right secret" "exit $ok (expect 0)" "wrong secret" "exit $refused (expect 3)"
[[ $ok == 0 && $refused == 3 ]]
