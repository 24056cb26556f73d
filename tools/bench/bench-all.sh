#!/usr/bin/env bash
# `make bench` (issue 15): builds the release preset, runs every benchmark
# script of tools/bench/ and prints one table: each figure (median of its
# rounds, min-max), the peer it is measured against in the same run, the
# ratio, the target, and whether it is met or by how much it misses; then the
# machine (cores, CPU model, kernel, load). Not part of `make test`.
#
#   tools/bench/bench-all.sh            (make bench)
#
# Environment:
#   BENCH_PRESET=release the build (build/$BENCH_PRESET)
#   JOBS=N               build jobs (default: nproc)
#   ROUNDS=N             rounds of every script instead of each one's default
#   BENCH_ONLY="a b"     only these scripts (e.g. "download-job-bench campaign-bench")
#   BENCH_NO_BUILD=1     use the build as it is
#   BENCH_VERBOSE=1      show the scripts' own text as they run
# The scripts' text is kept in build/$BENCH_PRESET/bench/NAME.log, the table also as
# Markdown in build/$BENCH_PRESET/bench/table.md (for docs/benchmarks.md).
#
# The protocol of a benchmark script: it is run as `SCRIPT BUILD_DIR` with
# BENCH_ROUNDS=N in its environment, runs N rounds of what it measures (or
# fewer of what is slow: its choice), and prints, besides its own text, one
# line per figure per round: `BENCH <key> <value> <unit>`. A script that
# prints one value per key (it does not know BENCH_ROUNDS) is run again until
# it has given N, unless a run takes over a minute. Exit status non-zero = the
# script failed: its rows say so and `make bench` exits 1 after the table.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
preset=${BENCH_PRESET:-release}
build=build/$preset
out=$build/bench
began=$EPOCHREALTIME

# name, rounds, its environment: the scripts in the order they run. Run B of
# the campaign (40 flashes on one bus: 80 s a round) is left out: no target.
scripts=(
  "download-job-bench 5"
  "sweep-bench 5"
  "memory-bench 3"
  "campaign-bench 3 CAMPAIGN_BENCH_ONE_BUS=0"
)
# What the scripts run, built and nothing else (the tests are not needed).
targets=(otagwd otagw-cloudsim otagw_mqtt_auth otagw-plugin-host otagw-bench-sweep-floor)

# The table: one row per figure against its peer.
#   label | key | peer label | peer key, or a number (same unit) | check | target
# check: ratio<=, ratio<, ratio>= (value / peer against target), <=, <, >=
# (value against target, a number and the unit the script prints), or empty
# (reported, no target). A label starting with '?' is left out when its key was not measured.
rows=$(cat <<'ROWS'
download job, HTTP, 512 MiB|download_job_http_512|curl -o|download_curl_http_512|ratio<=|1.3
download job, HTTP, 512 MiB|download_job_http_512|curl -o && sync|download_curl_sync_http_512|ratio<|1
download job, HTTPS, 512 MiB|download_job_https_512|curl -o|download_curl_https_512|ratio<=|1.3
download job, HTTPS, 512 MiB|download_job_https_512|curl -o && sync|download_curl_sync_https_512|ratio<|1
?job after nginx sent the last byte, HTTP|download_job_tail_http_512||||
?job after nginx sent the last byte, HTTPS|download_job_tail_https_512||||
RSS growth in the job, HTTP|download_rss_growth_http_512|||<=|4 MiB
RSS growth in the job, HTTPS|download_rss_growth_https_512|||<=|4 MiB
sweep visits, 1000 devices|sweep_visits_1000|pipelined floor|sweep_floor_pipelined_1000|ratio>=|0.8
sweep visits, 2000 devices|sweep_visits_2000|pipelined floor|sweep_floor_pipelined_2000|ratio>=|0.8
sweep visits, 1000 devices|sweep_visits_1000|acked floor|sweep_floor_acked_1000||
sweep visits, 2000 devices|sweep_visits_2000|acked floor|sweep_floor_acked_2000||
?sweep pass (logins + visits), 1000|sweep_pass_1000|acked floor|sweep_floor_acked_1000||
sweep whole run, 1000 devices|sweep_whole_1000|||
sweep whole run, 2000 devices|sweep_whole_2000|||
steady RSS, 2000 devices|mem_steady_rss_2000|||<=|24 MiB
peak RSS at start, 2000 devices|mem_peak_rss_2000|||<=|32 MiB
RSS per device, 2000 devices|mem_per_device_2000||||
idle CPU in 60 s, 1000 devices|idle_cpu_1000|||<=|0.1 s
campaign, 40 devices on 4 buses|campaign_40x4|bus limit|campaign_limit_40x4|ratio<=|1.15
?campaign, first offer to last inform|campaign_offer_to_inform_40x4|bus limit|campaign_limit_40x4||
first pass of a new gateway, 1000|first_pass_1000|next pass|next_pass_1000||
?first pass of a new gateway, 1000|first_pass_1000|all on one bus|first_pass_one_bus_1000||
ROWS
)

machine() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), Linux $(uname -r)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { s = b - a; printf "%d min %02d s", s / 60, s % 60 }'; }

mkdir -p "$out" || exit 1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== make bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), $(machine)"

if [[ -z ${BENCH_NO_BUILD-} ]]; then
  echo "== building $build (${targets[*]})"
  { cmake --preset "$preset" && cmake --build --preset "$preset" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"; } \
    > "$out/build.log" 2>&1 || { tail -30 "$out/build.log"; echo "make bench: the build failed ($out/build.log)"; exit 1; }
  echo "   built in $(elapsed "$began")"
fi

: > "$out/values"
failed=()
for entry in "${scripts[@]}"; do
  read -r name rounds settings <<<"$entry"
  read -ra settings <<<"$settings"
  [[ -z ${BENCH_ONLY-} || " $BENCH_ONLY " == *" $name "* ]] || continue
  script=tools/bench/$name.sh
  if [[ ! -x $script ]]; then echo "== $name: not there ($script), its rows say 'not run'"; continue; fi
  rounds=${ROUNDS:-$rounds}
  log=$out/$name.log
  : > "$log"
  script_began=$EPOCHREALTIME
  echo "== $name ($rounds round(s)), log $log"
  for ((run = 1; run <= rounds; run++)); do
    run_began=$EPOCHREALTIME
    if [[ -n ${BENCH_VERBOSE-} ]]; then
      env "${settings[@]}" BENCH_ROUNDS="$rounds" "$script" "$build" 2>&1 | tee -a "$log"
      status=${PIPESTATUS[0]}
    else
      env "${settings[@]}" BENCH_ROUNDS="$rounds" "$script" "$build" >> "$log" 2>&1
      status=$?
    fi
    if ((status != 0)); then
      echo "   FAILED (exit $status):"; tail -15 "$log" | sed 's/^/   | /'
      failed+=("$name")
      break
    fi
    # One value per key: the script does one round a run; run it again.
    most=$(grep '^BENCH ' "$log" | awk '{ n[$2]++ } END { for (k in n) if (n[k] > m) m = n[k]; print m + 0 }')
    ((most == run)) || break
    ((run == 1)) && [[ $(awk -v a="$run_began" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a > 60) }') == 1 ]] && break
  done
  grep '^BENCH ' "$log" | awk -v s="$name" '{ print $2, $3, $4, s }' >> "$out/values"
  echo "   $(grep -c '^BENCH ' "$log") values in $(elapsed "$script_began")"
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
took=$(elapsed "$began")
failed_list=" ${failed[*]-} "

# The table, as text (stdout) and as Markdown ($out/table.md).
table() {  # $1 = text | md
  awk -v format="$1" -v failed="$failed_list" -v rows="$rows" '
    function median(k,   m) { m = n[k]; return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
    function num(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : x >= 1 ? sprintf("%.2f", x) : sprintf("%.3f", x) }
    # The script that measures a key, to tell "failed" from "not run".
    function owner(k) {
      return k ~ /^download_/ ? "download-job-bench" : k ~ /^sweep_/ ? "sweep-bench" \
        : k ~ /^(mem|idle)_/ ? "memory-bench" : k ~ /^(campaign|first_pass|next_pass)_/ ? "campaign-bench" : ""
    }
    function shown(k) {
      if (!(k in n)) return index(failed, " " owner(k) " ") ? "failed" : "not run"
      return num(median(k)) " " unit[k] (n[k] > 1 ? " (" num(v[k, 1]) "-" num(v[k, n[k]]) ", " n[k] ")" : " (1)")
    }
    { key = $1; v[key, ++n[key]] = $2; unit[key] = $3 }
    END {
      for (k in n) {  # sort each key s values (insertion sort: a few rounds)
        for (i = 2; i <= n[k]; i++) { x = v[k, i]; for (j = i - 1; j >= 1 && v[k, j] > x; j--) v[k, j + 1] = v[k, j]; v[k, j + 1] = x }
      }
      cells[0, 1] = "figure"; cells[0, 2] = "median (min-max, rounds)"; cells[0, 3] = "peer"
      cells[0, 4] = "median (min-max, rounds)"; cells[0, 5] = "ratio"; cells[0, 6] = "target"; cells[0, 7] = "result"
      r = 0
      nrows = split(rows, lines, "\n")
      for (l = 1; l <= nrows; l++) {
        if (split(lines[l], f, "|") < 2) continue
        label = f[1]; key = f[2]; peer_label = f[3]; peer = f[4]; check = f[5]; target = f[6]
        optional = substr(label, 1, 1) == "?"
        if (optional) { label = substr(label, 2); if (!(key in n)) continue }
        ++r
        cells[r, 1] = label; cells[r, 2] = shown(key); cells[r, 3] = peer_label
        have = key in n; value = have ? median(key) : 0; u = have ? unit[key] : ""
        if (peer == "") { cells[r, 4] = ""; have_peer = 1; peer_value = 0 }
        else if (peer ~ /^[0-9.]+$/) { cells[r, 4] = peer; have_peer = 1; peer_value = peer }
        else { cells[r, 4] = shown(peer); have_peer = peer in n; peer_value = have_peer ? median(peer) : 0 }
        ratio = (have && have_peer && peer != "" && peer_value > 0) ? value / peer_value : ""
        cells[r, 5] = ratio == "" ? "" : sprintf("%.2f", ratio)
        op = check; sub(/^ratio/, "", op)
        cells[r, 6] = check == "" ? "" : (check ~ /^ratio/ ? op " " target " x" : op " " target)
        if (check == "") cells[r, 7] = ""
        else if (!have || !have_peer || (check ~ /^ratio/ && ratio == "")) cells[r, 7] = "not measured"
        else {
          limit = check ~ /^ratio/ ? target * peer_value : target + 0
          met = op == "<=" ? value <= limit : op == "<" ? value < limit : value >= limit
          if (met) cells[r, 7] = "met"
          else {
            gap = op == ">=" ? limit - value : value - limit
            cells[r, 7] = sprintf("misses by %s %s (needs %s%.0f %%)", num(gap), u, op == ">=" ? "+" : "-", 100 * gap / value)
          }
        }
      }
      if (format == "md") {
        for (i = 0; i <= r; i++) {
          line = "|"
          for (c = 1; c <= 7; c++) line = line " " cells[i, c] " |"
          print line
          if (i == 0) print "|---|---|---|---|---|---|---|"
        }
        exit
      }
      for (i = 0; i <= r; i++) for (c = 1; c <= 7; c++) if (length(cells[i, c]) > w[c]) w[c] = length(cells[i, c])
      for (i = 0; i <= r; i++) {
        line = ""
        for (c = 1; c < 7; c++) line = line sprintf("%-*s  ", w[c], cells[i, c])
        line = line cells[i, 7]
        print line
      }
    }' "$out/values"
}

echo
table text
table md > "$out/table.md"
echo
echo "machine: $(machine | sed 's/, load.*//'); load $load_before before, $load_after after"
echo "make bench took $took; the scripts' text: $out/*.log; the table as Markdown: $out/table.md"
((${#failed[@]} == 0)) || { echo "failed: ${failed[*]}"; exit 1; }
