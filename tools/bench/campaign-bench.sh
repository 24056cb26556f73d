#!/usr/bin/env bash
# Campaigns at bus speed (issue 14), through a real mosquitto and otagw-cloudsim
# on loopback, otagwd --once each time:
#
# 1. a campaign: DEVICES sub-devices offered one small package, each flash
#    FLASH_MS long (tools/bench/campaign-plugin), on 4 buses (run A) and on
#    one bus (run B). Wall time of otagwd from its start to its exit, and from
#    the first offer to the last inform (otagwd's log, and the simulator's
#    report when jq is installed), against the bus limit DEVICES / 4 x FLASH_MS.
#    The plugin's own call log checks that no two calls on one bus overlapped
#    and shows how busy each bus was.
# 2. the first pass of a new gateway: NEW_DEVICES up-to-date sub-devices on 4
#    buses whose `version` answers at once (tools/bench/version-now), against
#    the next pass on the same state_dir (every version known, no probes),
#    and against the same first pass with every device on one bus.
#
#   tools/bench/campaign-bench.sh [BUILD_DIR] [DEVICES] [FLASH_MS] [NEW_DEVICES]
#                                 (default build/release 40 2000 1000)
#
# BENCH_ROUNDS=N runs both N times (default 1); CAMPAIGN_BENCH_ONE_BUS=0 leaves
# out run B (DEVICES x FLASH_MS long: 80 s by default), as `make bench` does.
# Besides the table it prints, per round, the lines tools/bench/bench-all.sh
# reads: "BENCH campaign_40x4 21.3 s" (run A, start to exit),
# campaign_limit_40x4 (the bus limit), campaign_offer_to_inform_40x4,
# campaign_40x1 (run B), first_pass_1000, next_pass_1000 and
# first_pass_one_bus_1000 (devices/s), first_pass_whole_1000 (s).
# CAMPAIGN_BENCH_KEEP=1 keeps the work directory (logs, configs, the plugin's
# call logs, the simulator's reports) and prints where it is.
set -euo pipefail
# shellcheck source=tools/bench/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

build=${1:-build/release}
devices=${2:-40}
flash_ms=${3:-2000}
new_devices=${4:-1000}
buses=4
rounds=${BENCH_ROUNDS:-1}
one_bus=${CAMPAIGN_BENCH_ONE_BUS:-1}
here=$(cd "$(dirname "$0")" && pwd)
otagwd="$build/daemon/otagwd"
cloudsim="$build/tools/cloudsim/otagw-cloudsim"
auth_plugin="$build/tools/mqtt-auth/otagw_mqtt_auth.so"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
for f in "$otagwd" "$cloudsim" "$auth_plugin"; do
  [[ -e $f ]] || { echo "campaign-bench: $f is missing: cmake --build $build first" >&2; exit 1; }
done
(( devices % buses == 0 )) || { echo "campaign-bench: DEVICES must be a multiple of $buses" >&2; exit 2; }
auth_plugin=$(realpath "$auth_plugin")

work=$(mktemp -d /tmp/otagw-campaign-bench.XXXXXX)
broker="" sim=""
cleanup() {
  [[ -n $sim ]] && kill "$sim" 2>/dev/null
  [[ -n $broker ]] && kill "$broker" 2>/dev/null
  wait 2>/dev/null || true
  if [[ -n ${CAMPAIGN_BENCH_KEEP-} ]]; then echo "campaign-bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {  # $1 = what, $2 = a log to show
  echo "campaign-bench: $1" >&2
  [[ -n ${2-} && -e $2 ]] && tail -20 "$2" >&2
  exit 1
}

gateway='{product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}'
cat > "$work/campaign.yaml" <<YAML
gateway: $gateway
packages:
  fw-2: {version: "2.0.0", generate: {size: 65536, seed: 14}, scheme: http}
generate:
  - {count: $devices, product_key: a1Camp, name_format: "camp-%05d", secret_format: "secret-%05d",
     topology: present, version: "1.0.0", modules: {default: {package: fw-2}}}
YAML
cat > "$work/new-gateway.yaml" <<YAML
gateway: $gateway
generate:
  - {count: $new_devices, product_key: a1New, name_format: "new-%05d", secret_format: "secret-%05d",
     topology: present, version: "1.0.0"}
YAML
"$cloudsim" devices-file --scenario "$work/campaign.yaml" > "$work/devices.txt"

start_broker "$work" "$auth_plugin" "$work/devices.txt"

# The platform, fresh for each run: it offers nothing to a device that has
# reported the firmware's version already.
start_sim() {  # $1 = scenario, $2 = run name
  start_cloudsim "$cloudsim" "$work/$2" "$1" --report "$work/$2/report.json" --work-dir "$work/$2/sim" --log-level warn \
    || fail "otagw-cloudsim serve did not get ready" "$work/$2/sim.err"
}

config_head() {  # $1 = state_dir
  cat <<YAML
gateway: $gateway
mqtt: {host: 127.0.0.1, port: $port, tls: false, connect_retry_s: 10}
ota: {state_dir: $1, query_timeout_s: 5, allow_http: true, max_parallel_downloads: 2}
log: {level: info}
YAML
}

# A log line's time stamp ("2026-12-07 19:30:00.123 info ...", local time) in epoch seconds.
log_time() { date -d "$(cut -d' ' -f1-2 <<<"$1")" +%s.%N; }

rows=()
label_round=""  # " (round N)" when there are several
row() { rows+=("$(printf '%s\t%s\t%s\t%s' "$1$label_round" "${@:2}")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

bus_limit=$(awk -v n="$devices" -v b="$buses" -v ms="$flash_ms" 'BEGIN { printf "%.3f", n / b * ms / 1000 }')
serial_limit=$(awk -v n="$devices" -v ms="$flash_ms" 'BEGIN { printf "%.3f", n * ms / 1000 }')

# ---- 1. the campaign ----------------------------------------------------------------------------
declare -A whole campaign sim_campaign  # by run name: seconds ("" = no jq)
run_campaign() {  # $1 = run name, $2 = buses (1: every device on the bus `default`)
  local name=$1 nbuses=$2 run="$work/$1"
  mkdir -p "$run/plugin"
  {
    config_head "$run/state"
    echo "plugins: {bench: {exec: $here/campaign-plugin, timeout_s: 120}}"
    echo "subdevices:"
    local i bus bus_key
    for ((i = 0; i < devices; i++)); do
      # In blocks (the first tenth on bus-0, ...): the sweep's round-robin
      # order, not the config's, spreads the first offers over the buses.
      if ((nbuses == 1)); then bus=default bus_key=""; else bus="bus-$((i * nbuses / devices))" bus_key=", bus: $bus"; fi
      printf '  - {product_key: a1Camp, device_name: camp-%05d, device_secret: secret-%05d, version: "1.0.0", plugin: bench%s,\n' \
        "$i" "$i" "$bus_key"
      printf '     params: {dir: %s, flash_ms: %d, bus: %s}}\n' "$run/plugin" "$flash_ms" "$bus"
    done
  } > "$run/gateway.yaml"
  chmod 600 "$run/gateway.yaml"  # it holds secrets: otagwd refuses it readable by others

  start_sim "$work/campaign.yaml" "$name"
  local start end
  start=$EPOCHREALTIME
  "$otagwd" --config "$run/gateway.yaml" --once 2> "$run/otagwd.log" || fail "$name: otagwd exited $?" "$run/otagwd.log"
  end=$EPOCHREALTIME
  stop_cloudsim

  local installed first_offer last_inform
  installed=$(grep -c ': now at 2.0.0' "$run/otagwd.log" || true)
  ((installed == devices)) || fail "$name: $installed of $devices devices upgraded" "$run/otagwd.log"
  first_offer=$(log_time "$(grep -m1 -E ': firmware [^ ]+ -> 2.0.0' "$run/otagwd.log")")
  last_inform=$(log_time "$(grep ': now at 2.0.0' "$run/otagwd.log" | tail -1)")
  whole[$name]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  campaign[$name]=$(awk -v a="$first_offer" -v b="$last_inform" 'BEGIN { printf "%.3f", b - a }')
  sim_campaign[$name]=""
  if command -v jq >/dev/null; then
    # First query answered with an offer to the last inform of the new version,
    # on the simulator's clock.
    sim_campaign[$name]=$(jq -r '[.devices[] | .queries[0].t_ms] as $q
        | [.devices[] | .informs[] | select(.version == "2.0.0") | .t_ms] as $i
        | (([$i | max] | .[0]) - ([$q | min] | .[0])) / 1000' "$run/report.json")
    local upgraded
    upgraded=$(jq '[.devices[] | select(.result == "upgraded")] | length' "$run/report.json")
    ((upgraded == devices)) || fail "$name: the simulator counts $upgraded of $devices upgraded" "$run/sim.err"
  fi

  echo "== run $name: $devices devices on $nbuses bus(es), flash $flash_ms ms"
  awk -v start="$start" -v offer="$first_offer" -v inform="$last_inform" -v end="$end" 'BEGIN {
    printf "   otagwd start -> first offer %.3f s, first offer -> last inform %.3f s, last inform -> exit %.3f s\n",
           offer - start, inform - offer, end - inform }'
  # Per bus, from the plugin: calls, flashes, time busy, first call to last
  # end, and calls that began before the previous one on that bus ended.
  sort -k4,4 -k1,1n "$run/plugin/calls.log" | awk -v start="$start" -v out="$run/overlaps" '
    { bus = $4; calls[bus]++; busy[bus] += $2 - $1
      if ($3 == "flash") { flashes[bus]++; flashing[bus] += $2 - $1 }
      if (!(bus in first)) first[bus] = $1
      if (bus in last && $1 < last[bus]) overlaps++
      if (!(bus in last) || $2 > last[bus]) last[bus] = $2 }
    END {
      for (bus in calls)
        printf "   %-8s %3d calls (%d flashes, %.3f s flashing), busy %.3f s of %.3f s from its first call (%.3f s after start)\n",
               bus, calls[bus], flashes[bus], flashing[bus], busy[bus], last[bus] - first[bus], first[bus] - start | "sort"
      print overlaps + 0 > out }'
  local overlaps
  overlaps=$(cat "$run/overlaps")
  echo "   plugin calls overlapping on one bus: $overlaps"
  ((overlaps == 0)) || fail "$name: two plugin calls overlapped on one bus" "$run/plugin/calls.log"
}

campaign_round() {  # $1 = round
  local A=A$1 B=B$1
  run_campaign "$A" "$buses"
  row "A: $devices devices on $buses buses, otagwd start to exit" "${whole[$A]} s" "bus limit ${bus_limit} s (target <= $(awk -v l="$bus_limit" 'BEGIN { printf "%g", 1.15 * l }') s)" "$(ratio "${whole[$A]}" "$bus_limit")"
  row "A: first offer to last inform (otagwd log)" "${campaign[$A]} s" "bus limit ${bus_limit} s" "$(ratio "${campaign[$A]}" "$bus_limit")"
  [[ -z ${sim_campaign[$A]} ]] || row "A: first offer to last inform (simulator)" "${sim_campaign[$A]} s" "bus limit ${bus_limit} s" "$(ratio "${sim_campaign[$A]}" "$bus_limit")"
  echo "BENCH campaign_${devices}x$buses ${whole[$A]} s"
  echo "BENCH campaign_limit_${devices}x$buses $bus_limit s"
  echo "BENCH campaign_offer_to_inform_${devices}x$buses ${campaign[$A]} s"
  ((one_bus)) || return 0
  run_campaign "$B" 1
  row "B: the same on one bus, otagwd start to exit" "${whole[$B]} s" "serial ${serial_limit} s (target >= $(awk -v l="$bus_limit" 'BEGIN { printf "%g", 4 * l }') s)" "$(ratio "${whole[$B]}" "$serial_limit")"
  row "B: first offer to last inform (otagwd log)" "${campaign[$B]} s" "serial ${serial_limit} s" "$(ratio "${campaign[$B]}" "$serial_limit")"
  [[ -z ${sim_campaign[$B]} ]] || row "B: first offer to last inform (simulator)" "${sim_campaign[$B]} s" "serial ${serial_limit} s" "$(ratio "${sim_campaign[$B]}" "$serial_limit")"
  row "speed-up of $buses buses (B / A, start to exit)" "$(ratio "${whole[$B]}" "${whole[$A]}") x" "$buses x" "$(ratio "$(ratio "${whole[$B]}" "${whole[$A]}")" "$buses")"
  echo "BENCH campaign_${devices}x1 ${whole[$B]} s"
}

# ---- 2. the first pass of a new gateway ------------------------------------------------------------
new_gateway_config() {  # $1 = directory, $2 = buses; writes $1/gateway.yaml
  {
    config_head "$1/state"
    echo "plugins: {now: {exec: $here/version-now}}"
    echo "subdevices:"
    local i
    for ((i = 0; i < new_devices; i++)); do
      printf '  - {product_key: a1New, device_name: new-%05d, device_secret: secret-%05d, version: "1.0.0", plugin: now, bus: bus-%d}\n' \
        "$i" "$i" $((i * $2 / new_devices))
    done
  } > "$1/gateway.yaml"
  chmod 600 "$1/gateway.yaml"
}
pass_once() {  # $1 = directory, $2 = log name; prints "PASS_S WHOLE_S PROBES PROBE_S"
  local start end log="$1/$2.log" probe_line
  start=$EPOCHREALTIME
  "$otagwd" --config "$1/gateway.yaml" --once 2> "$log" || fail "new gateway: otagwd exited $?" "$log"
  end=$EPOCHREALTIME
  probe_line=$(grep -o 'asked [0-9]* module(s) of new sub-devices for their version on [0-9]* bus(es) in [0-9.]* s' "$log" || true)
  echo "$(grep -o 'pass complete in [0-9.]* s' "$log" | awk '{ print $4 }') $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" \
    "$(awk '{ print $2, $14 } END { if (NR == 0) print 0, 0 }' <<<"$probe_line")"
}
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
new_gateway_round() {  # $1 = round
  local new="$work/new-$1" one="$work/new-one-bus-$1"
  local first_pass first_whole probes probe_s next_pass next_whole next_probes one_pass one_whole one_probes one_probe_s
  mkdir -p "$new/sim" "$one"
  new_gateway_config "$new" "$buses"
  new_gateway_config "$one" 1
  start_sim "$work/new-gateway.yaml" "new-$1"
  read -r first_pass first_whole probes probe_s < <(pass_once "$new" first)
  read -r next_pass next_whole next_probes _ < <(pass_once "$new" next)
  # The peer of the parallel probes: the same first pass with every device on one bus.
  read -r one_pass one_whole one_probes one_probe_s < <(pass_once "$one" first)
  stop_cloudsim
  ((probes == new_devices && one_probes == new_devices)) ||
    fail "new gateway: the first pass asked $probes versions ($one_probes on one bus), not $new_devices" "$new/first.log"
  ((next_probes == 0)) || fail "new gateway: the next pass asked $next_probes versions again" "$new/next.log"
  echo "== new gateway: $new_devices devices, version answered at once"
  echo "   first pass on $buses buses ${first_pass} s (whole run ${first_whole} s), $probes version probes in ${probe_s} s"
  echo "   next pass                ${next_pass} s (whole run ${next_whole} s), no probes"
  echo "   first pass on one bus    ${one_pass} s (whole run ${one_whole} s), $one_probes version probes in ${one_probe_s} s"
  row "new gateway: first pass, $new_devices devices on $buses buses" "$(per_s "$new_devices" "$first_pass") devices/s (${first_pass} s)" "next pass $(per_s "$new_devices" "$next_pass") devices/s (${next_pass} s)" "$(ratio "$next_pass" "$first_pass")"
  row "new gateway: version probes on $buses buses" "$(per_s "$probes" "$probe_s") probes/s (${probe_s} s)" "on one bus $(per_s "$one_probes" "$one_probe_s") probes/s (${one_probe_s} s)" "$(ratio "$one_probe_s" "$probe_s")"
  row "new gateway: whole run, first / next" "${first_whole} s" "${next_whole} s" "$(ratio "$next_whole" "$first_whole")"
  echo "BENCH first_pass_$new_devices $(per_s "$new_devices" "$first_pass") dev/s"
  echo "BENCH next_pass_$new_devices $(per_s "$new_devices" "$next_pass") dev/s"
  echo "BENCH first_pass_one_bus_$new_devices $(per_s "$new_devices" "$one_pass") dev/s"
  echo "BENCH first_pass_whole_$new_devices $first_whole s"
}

for ((round = 1; round <= rounds; round++)); do
  ((rounds == 1)) || label_round=" (round $round)"
  campaign_round "$round"
  new_gateway_round "$round"
done

echo
echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
{
  printf 'figure\tvalue\ttarget/peer\tratio\n'
  printf '%s\n' "${rows[@]}"
} | awk -F'\t' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END { for (r = 1; r <= NR; r++) printf "%-*s  %-*s  %-*s  %s\n", w[1], cell[r, 1], w[2], cell[r, 2], w[3], cell[r, 3], cell[r, 4] }'
