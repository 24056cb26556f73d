#!/usr/bin/env bash
# A whole firmware job against the wire (issue 15): one sub-device offered a
# MB-MiB image served by Debian's nginx on loopback, over HTTP and HTTPS (a CA
# made here, as tools/pki makes the test CA: EC P-256, localhost/127.0.0.1),
# otagwd --once through a real mosquitto and otagw-cloudsim. Figure: from the
# first byte requested (nginx's access log: $msec - $request_time, the time
# nginx read the request's first bytes) to the start of the flashing plugin
# (tools/bench/campaign-plugin, which notes $EPOCHREALTIME first thing), i.e.
# download, verification, whatever else the job does, and the plugin's start.
# Peers in the same run, same file, same clock from the same log line: `curl -o`
# alone (to curl's exit) and `curl -o && sync` (to sync's return). RSS growth:
# otagwd's VmRSS sampled every 10 ms, the most after the first byte requested
# less the last sample before it. Also printed: the job's time after nginx
# sent the last byte (verification, fsync, what else the job does before the
# plugin), download_job_tail_http_512.
#
# Rounds interleave otagwd, curl, curl && sync for HTTP, then HTTPS; each
# measurement starts after a `sync` (not timed), so nothing dirty is left over
# from the one before. The files go to the work directory (TMPDIR, else /tmp):
# a disk, not tmpfs, or the sync is free.
#
#   tools/bench/download-job-bench.sh [BUILD_DIR] [ROUNDS] [MB]
#       (default build/release, $BENCH_ROUNDS or 5, 512)
#
# Besides its own text it prints, per round, the lines that tools/bench/bench-all.sh
# reads: "BENCH download_job_http_512 1.234 s", download_curl_http_512,
# download_curl_sync_http_512, download_rss_growth_http_512 (MiB), the same
# with _https_. DOWNLOAD_BENCH_KEEP=1 keeps the work directory (nginx's logs,
# otagwd's logs, the RSS samples) and prints where it is.
set -euo pipefail
# shellcheck source=tools/bench/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

build=${1:-build/release}
rounds=${2:-${BENCH_ROUNDS:-5}}
mb=${3:-512}
here=$(cd "$(dirname "$0")" && pwd)
otagwd="$build/daemon/otagwd"
cloudsim="$build/tools/cloudsim/otagw-cloudsim"
auth_plugin="$build/tools/mqtt-auth/otagw_mqtt_auth.so"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
for f in "$otagwd" "$cloudsim" "$auth_plugin"; do
  [[ -e $f ]] || { echo "download-job-bench: $f is missing: cmake --build $build first" >&2; exit 1; }
done
for tool in "$nginx_bin" curl openssl "$mosquitto_bin"; do
  command -v "$tool" >/dev/null || {
    echo "download-job-bench: needs $tool (apt-get install nginx curl openssl mosquitto; make bench-deps)" >&2; exit 1; }
done
auth_plugin=$(realpath "$auth_plugin")
bytes=$((mb * 1024 * 1024))

work=$(mktemp -d "${TMPDIR:-/tmp}/otagw-download-bench.XXXXXX")
broker="" sim="" nginx="" otagwd_pid=""
cleanup() {
  for pid in $otagwd_pid $sim $nginx $broker; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${DOWNLOAD_BENCH_KEEP-} ]]; then echo "download-job-bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {  # $1 = what, $2 = a log to show
  echo "download-job-bench: $1" >&2
  [[ -n ${2-} && -e $2 ]] && tail -20 "$2" >&2
  exit 1
}
[[ $(stat -f -c %T "$work") != tmpfs ]] ||
  echo "download-job-bench: warning: $work is on tmpfs, so fsync and sync cost nothing (set TMPDIR to a disk)" >&2

# ---- the image, the PKI, nginx ------------------------------------------------------------------
mkdir -p "$work/www" "$work/nginx/tmp" "$work/pki" "$work/out"
head -c "$bytes" /dev/urandom > "$work/www/fw.bin"
sha=$(openssl dgst -sha256 -r "$work/www/fw.bin" | cut -d' ' -f1)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=otagw bench CA" \
  -keyout "$work/pki/ca.key" -out "$work/pki/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$work/pki/server.key" -out "$work/pki/server.csr" 2>/dev/null
openssl x509 -req -in "$work/pki/server.csr" -CA "$work/pki/ca.pem" -CAkey "$work/pki/ca.key" -CAcreateserial \
  -days 30 -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n') \
  -out "$work/pki/server.pem" 2>/dev/null

# Two free loopback ports (another program may take one between the check and
# nginx's bind: nginx then fails and we try others).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . || { echo "$port"; return; }
  done
}
for _ in $(seq 1 20); do
  http_port=$(free_port) https_port=$(free_port)
  [[ $http_port != "$https_port" ]] || continue
  # Debian's defaults for static files (sendfile, tcp_nopush), one worker
  # (one connection at a time), nothing from /etc/nginx.
  cat > "$work/nginx/nginx.conf" <<CONF
$( ((EUID == 0)) && echo "user root root;")
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 64; }
http {
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 5;
  log_format bench '\$msec \$request_time \$status \$body_bytes_sent \$request_uri';
  access_log $work/nginx/access.log bench;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server { listen 127.0.0.1:$http_port; root $work/www; }
  server {
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $work/pki/server.pem;
    ssl_certificate_key $work/pki/server.key;
    root $work/www;
  }
}
CONF
  "$nginx_bin" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" 2>>"$work/nginx/nginx.out" &
  nginx=$!
  for _ in $(seq 1 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$http_port/fw.bin?warm" && break
    kill -0 "$nginx" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$nginx" 2>/dev/null && break
  nginx=""
done
[[ -n $nginx ]] || { cat "$work/nginx/nginx.out" >&2; fail "nginx did not start" "$work/nginx/error.log"; }
curl -sf --cacert "$work/pki/ca.pem" -o /dev/null "https://127.0.0.1:$https_port/fw.bin?warm" ||
  fail "nginx does not serve HTTPS with the bench CA" "$work/nginx/error.log"

# ---- mosquitto, the platform ----------------------------------------------------------------------
gateway='{product_key: a1BenchGw1, device_name: bench-gw, device_secret: bench-gateway-secret}'
scenario() {  # $1 = image URL
  cat <<YAML
gateway: $gateway
devices:
  - product_key: a1Dl
    device_name: dl-00000
    device_secret: secret-00000
    topology: present
    version: "1.0.0"
    modules:
      default:
        firmware: {version: "2.0.0", size: $bytes, url: "$1", signMethod: SHA256, sign: "$sha"}
YAML
}
scenario "http://127.0.0.1:$http_port/fw.bin" > "$work/scenario.yaml"
"$cloudsim" devices-file --scenario "$work/scenario.yaml" > "$work/devices.txt"

start_broker "$work" "$auth_plugin" "$work/devices.txt"

# The platform, fresh for each job: it offers nothing to a device that has
# reported the firmware's version already.
start_sim() {  # $1 = run directory (holds scenario.yaml)
  start_cloudsim "$cloudsim" "$1" "$1/scenario.yaml" --work-dir "$1/sim" --log-level warn \
    || fail "otagw-cloudsim serve did not get ready" "$1/sim.err"
}

# ---- measuring ------------------------------------------------------------------------------------
# When nginx read the first bytes of the first request whose URI carries the
# tag (the earliest, should a downloader make several), the bytes sent for
# all of them, and when the last of them ended (nginx handed its last byte
# to the socket).
request_start() {  # $1 = tag
  awk -v tag="$1" 'index($5, "tag=" tag) && (!n++ || $1 - $2 < t) { t = $1 - $2 }
    index($5, "tag=" tag) { sent += $4; if ($1 > last) last = $1 } END { if (n) printf "%.3f %d %.3f\n", t, sent, last }' \
    "$work/nginx/access.log"
}
# No fork per sample: read -t on a pipe that never has data is the sleep.
exec {nap}<> <(:)
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

record() {  # $1 = key, $2 = value, $3 = unit
  echo "BENCH $1 $2 $3" | tee -a "$work/bench.txt"
}

job_round() {  # $1 = scheme, $2 = round; prints the human line and the BENCH lines
  local scheme=$1 r=$2 run="$work/job-$1-$2" tag="job-$1-$2" url
  if [[ $scheme == http ]]; then url="http://127.0.0.1:$http_port/fw.bin?tag=$tag"
  else url="https://127.0.0.1:$https_port/fw.bin?tag=$tag"; fi
  mkdir -p "$run/plugin"
  scenario "$url" > "$run/scenario.yaml"
  cat > "$run/gateway.yaml" <<YAML
gateway: $gateway
mqtt: {host: 127.0.0.1, port: $port, tls: false, connect_retry_s: 10}
ota: {state_dir: $run/state, query_timeout_s: 5, allow_http: true, download_ca_file: $work/pki/ca.pem,
      max_image_bytes: $((2 * bytes))}
log: {level: info}
plugins: {bench: {exec: $here/campaign-plugin, timeout_s: 120}}
subdevices:
  - {product_key: a1Dl, device_name: dl-00000, device_secret: secret-00000, version: "1.0.0", plugin: bench,
     params: {dir: $run/plugin, flash_ms: 0}}
YAML
  chmod 600 "$run/gateway.yaml"  # it holds secrets: otagwd refuses it readable by others
  start_sim "$run"
  sync
  local status line rss=""
  "$otagwd" --config "$run/gateway.yaml" --once 2> "$run/otagwd.log" &
  otagwd_pid=$!
  while kill -0 "$otagwd_pid" 2>/dev/null; do
    rss=""
    while read -r line; do
      [[ $line == VmRSS:* ]] && { rss=${line//[!0-9]/}; break; }
    done 2>/dev/null < "/proc/$otagwd_pid/status" || true
    [[ -z $rss ]] || echo "$EPOCHREALTIME $rss"
    read -r -t 0.01 -u "$nap" || true
  done > "$run/rss"
  status=0
  wait "$otagwd_pid" || status=$?
  otagwd_pid=""
  stop_cloudsim
  ((status == 0)) || fail "$tag: otagwd exited $status" "$run/otagwd.log"
  grep -q ': now at 2.0.0' "$run/otagwd.log" || fail "$tag: the device was not upgraded" "$run/otagwd.log"

  local start sent last flash job tail growth
  read -r start sent last < <(request_start "$tag") || fail "$tag: nginx logged no request" "$work/nginx/access.log"
  ((sent >= bytes)) || fail "$tag: nginx sent $sent of $bytes bytes" "$work/nginx/access.log"
  flash=$(awk '$3 == "flash" { print $1; exit }' "$run/plugin/calls.log")
  [[ -n $flash ]] || fail "$tag: the plugin was not asked to flash" "$run/otagwd.log"
  job=$(seconds "$start" "$flash")
  tail=$(seconds "$last" "$flash")
  growth=$(awk -v start="$start" '$1 < start { before = $2 } $1 >= start && $2 > peak { peak = $2 }
    END { printf "%.1f", (peak - before) / 1024 }' "$run/rss")
  echo "   otagwd job    $scheme round $r: $job s from the first byte requested to the plugin's start" \
    "($tail s of it after nginx sent the last byte), RSS +$growth MiB"
  record "download_job_${scheme}_$mb" "$job" s
  record "download_job_tail_${scheme}_$mb" "$tail" s
  record "download_rss_growth_${scheme}_$mb" "$growth" MiB
  rm -rf "$run/state"
}

curl_round() {  # $1 = scheme, $2 = round, $3 = "sync" to sync after curl
  local scheme=$1 r=$2 tag="curl${3:+-sync}-$1-$2" url end start took key
  if [[ $scheme == http ]]; then url="http://127.0.0.1:$http_port/fw.bin?tag=$tag"
  else url="https://127.0.0.1:$https_port/fw.bin?tag=$tag"; fi
  rm -f "$work/out/fw.bin"
  sync
  curl -sS --cacert "$work/pki/ca.pem" -o "$work/out/fw.bin" "$url" || fail "$tag: curl failed"
  [[ -z ${3-} ]] || sync
  end=$EPOCHREALTIME
  read -r start _ < <(request_start "$tag") || fail "$tag: nginx logged no request" "$work/nginx/access.log"
  took=$(seconds "$start" "$end")
  if [[ -n ${3-} ]]; then key="download_curl_sync_${scheme}_$mb"; echo "   curl -o && sync $scheme round $r: $took s"
  else key="download_curl_${scheme}_$mb"; echo "   curl -o       $scheme round $r: $took s"; fi
  record "$key" "$took" s
}

echo "== $mb MiB from nginx $("$nginx_bin" -v 2>&1 | cut -d/ -f2) on 127.0.0.1:$http_port (HTTP) and :$https_port (HTTPS)," \
  "curl $(curl --version | awk 'NR == 1 { print $2 }'), $rounds round(s), files in $work ($(stat -f -c %T "$work"))"
for ((r = 1; r <= rounds; r++)); do
  for scheme in http https; do
    job_round "$scheme" "$r"
    curl_round "$scheme" "$r"
    curl_round "$scheme" "$r" sync
  done
done
rm -f "$work/out/fw.bin"

echo "== median (min-max) of $rounds round(s)"
sort -k2,2 -k3,3n "$work/bench.txt" | awk '
  { v[$2, ++n[$2]] = $3; unit[$2] = $4 }
  END { for (k in n) { m = n[k]; med = m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2
          printf "   %-32s %8.3f %s (%s-%s)\n", k, med, unit[k], v[k, 1], v[k, m] } }' | sort
