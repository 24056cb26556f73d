#!/usr/bin/env bash
# The two .debs, built from this build tree with CPack and extracted into an
# empty root (dpkg-deb -x), as a vendor would ship them (issue 12):
#   - the layout: every file where the unit, the binaries and the example
#     config look for it, the config root-owned 0640 and a conffile;
#   - the unit verifies (systemd-analyze verify) and its exposure score is at
#     most 2.5 (systemd-analyze security --offline);
#   - the packaged otagwd refuses a config holding secrets that others can read;
#   - otagwctl is in the otagwd package, the unit reloads through it, and
#     sysusers.d makes its group otagwctl with the service user in it.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/otagw-package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check_file() { [ -f "$root/$1" ] || fail "missing $1"; }
check_exec() { [ -x "$root/$1" ] && [ -f "$root/$1" ] || fail "missing or not executable: $1"; }

cpack --config "$build/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  exit 1
}
root=$work/root
mkdir -p "$root"
debs=("$work"/out/*.deb)
[ "${#debs[@]}" -eq 2 ] || fail "expected 2 packages, got: ${debs[*]}"
for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$root"; done
otagwd_deb=$(ls "$work"/out/otagwd_*.deb)
cloudsim_deb=$(ls "$work"/out/otagw-cloudsim_*.deb)

echo "== layout"
check_exec usr/sbin/otagwd
check_exec usr/bin/otagwctl
check_exec usr/libexec/otagw/otagw-plugin-host
check_exec usr/libexec/otagw/plugins/file-copy
check_exec usr/libexec/otagw/plugins/sim-mcu
check_file usr/lib/otagw/plugins/libotagw_sample_flash.so
check_file usr/include/otagw/otagw_plugin.h
check_file lib/systemd/system/otagwd.service
check_file usr/lib/sysusers.d/otagw.conf
check_file usr/lib/tmpfiles.d/otagw.conf
check_file usr/share/doc/otagwd/operations.md
check_exec usr/bin/otagw-cloudsim
check_file usr/lib/otagw/otagw_mqtt_auth.so
check_file usr/share/otagw-cloudsim/demo-scenario.yaml
check_file etc/otagw/gateway.yaml
[ -d "$root/etc/otagw/subdevices.d" ] || fail "missing etc/otagw/subdevices.d (the example config names it)"
mode=$(dpkg-deb -c "$otagwd_deb" | awk '$6 == "./etc/otagw/gateway.yaml" {print $1 " " $2}')
[ "$mode" = "-rw-r----- root/root" ] || fail "etc/otagw/gateway.yaml is '$mode' in the package, not -rw-r----- root/root"
dpkg-deb -c "$otagwd_deb" | awk '{print $6}' | grep -qx './usr/bin/otagwctl' || fail "otagwctl is not in the otagwd package"
dpkg-deb -e "$otagwd_deb" "$work/control"
grep -qx /etc/otagw/gateway.yaml "$work/control/conffiles" || fail "/etc/otagw/gateway.yaml is not a conffile"
for script in postinst prerm postrm; do [ -x "$work/control/$script" ] || fail "no executable $script"; done
grep -q 'systemd-sysusers' "$work/control/postinst" || fail "postinst does not create the account"
depends=$(dpkg-deb -f "$otagwd_deb" Depends)
for lib in libmosquitto1 libcurl4 libssl3 libsystemd0 libyaml-cpp; do
  [[ $depends == *"$lib"* ]] || fail "otagwd does not depend on $lib: $depends"
done
[[ $(dpkg-deb -f "$cloudsim_deb" Depends) == *mosquitto* ]] || fail "otagw-cloudsim does not depend on mosquitto"
# Nothing outside the standard places (a /usr/local path means a prefix leak).
if for deb in "${debs[@]}"; do dpkg-deb -c "$deb"; done | awk '{print $6}' | grep -q '^\./usr/local'; then
  fail "files under /usr/local"
fi

echo "== paths the unit, the binaries and the configs name"
unit=$root/lib/systemd/system/otagwd.service
while read -r program; do
  check_exec "${program#/}"
done < <(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*\([^ ]*\).*/\1/p' "$unit")
grep -q '^User=otagw$' "$unit" || fail "the unit does not run as otagw"
grep -q '^u otagw ' "$root/usr/lib/sysusers.d/otagw.conf" || fail "sysusers.d does not create otagw"
grep -qx 'ExecReload=/usr/bin/otagwctl --config /etc/otagw/gateway.yaml reload' "$unit" ||
  fail "the unit does not reload with otagwctl: $(grep '^ExecReload' "$unit" || echo 'no ExecReload')"
grep -qx 'RuntimeDirectoryMode=0711' "$unit" || fail "the runtime directory is not 0711 (group otagwctl must reach the socket)"
grep -q '^g otagwctl ' "$root/usr/lib/sysusers.d/otagw.conf" || fail "sysusers.d does not create the group otagwctl"
grep -q '^m otagw otagwctl$' "$root/usr/lib/sysusers.d/otagw.conf" || fail "sysusers.d does not put otagw in group otagwctl"
# otagwd and otagw-cloudsim find their companions relative to themselves:
# the relative paths compiled in must land on the packaged files.
strings "$root/usr/sbin/otagwd" > "$work/otagwd.strings"
strings "$root/usr/bin/otagw-cloudsim" > "$work/cloudsim.strings"
grep -qx '\.\./libexec/otagw/otagw-plugin-host' "$work/otagwd.strings" ||
  fail "otagwd does not look for ../libexec/otagw/otagw-plugin-host"
grep -qx '\.\./lib/otagw/otagw_mqtt_auth\.so' "$work/cloudsim.strings" ||
  fail "otagw-cloudsim does not look for ../lib/otagw/otagw_mqtt_auth.so"
[ -x "$root/usr/sbin/otagwd" ] && [ -x "$(realpath -m "$root/usr/sbin/../libexec/otagw/otagw-plugin-host")" ] ||
  fail "../libexec/otagw/otagw-plugin-host from usr/sbin is not in the package"
for config in "$root/etc/otagw/gateway.yaml" "$root/usr/share/otagw-cloudsim/demo-scenario.yaml"; do
  while read -r path; do
    [ -e "$root$path" ] || fail "${config#"$root"} names $path, which the packages do not hold"
  done < <(grep -o '\(exec\|library\): *"\?/[^ ,}"]*' "$config" | sed 's/^[a-z]*: *"\?//')
done

echo "== systemd-analyze"
# A Debian 12 root has systemd's own units (otagwd depends on systemd).
cp -n /lib/systemd/system/*.target /lib/systemd/system/*.slice "$root/lib/systemd/system/" 2> /dev/null || true
if ! systemd-analyze verify --root="$root" otagwd.service > "$work/verify.log" 2>&1; then
  cat "$work/verify.log" >&2
  fail "systemd-analyze verify"
fi
score=$(systemd-analyze security --offline=yes --root="$root" otagwd.service 2>&1 |
        sed -n 's/.*Overall exposure level for otagwd.service: \([0-9.]*\).*/\1/p')
echo "exposure: $score"
if [ -z "$score" ] || ! awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
  fail "exposure level '$score' is above 2.5"
fi

echo "== the packaged otagwd and a config others can read"
# The shipped config as the package leaves it (with its subdevices.d), made
# readable by all.
mkdir -p "$work/etc"
cp -R "$root/etc/otagw/." "$work/etc/"
config=$work/etc/gateway.yaml
chmod 0644 "$config"
status=0
"$root/usr/sbin/otagwd" --check-config --config "$config" > "$work/check.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "--check-config of a 0644 config holding secrets exited $status, not 1"
grep -q 'others can read' "$work/check.log" || { cat "$work/check.log" >&2; fail "no 'others can read' in the refusal"; }
chmod 0600 "$config"
status=0
"$root/usr/sbin/otagwd" --check-config --config "$config" > "$work/check.log" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$work/check.log" >&2; fail "--check-config of the example at 0600 exited $status"; }

echo "== the packaged otagwctl"
# It reads control.socket alone from the shipped config (here pointed at a
# relative path where no daemon listens), and says so with exit 3.
grep -q '^  socket: /run/otagw/otagw.sock ' "$config" || fail "the example config does not name /run/otagw/otagw.sock"
sed -i 's|^  socket: /run/otagw/otagw.sock |  socket: run/none.sock |' "$config"
status=0
"$root/usr/bin/otagwctl" --config "$config" status > "$work/otagwctl.log" 2>&1 || status=$?
[ "$status" -eq 3 ] || { cat "$work/otagwctl.log" >&2; fail "otagwctl without a daemon exited $status, not 3"; }
grep -q "$work/etc/run/none.sock" "$work/otagwctl.log" || { cat "$work/otagwctl.log" >&2; fail "otagwctl does not name the socket it tried"; }
status=0
"$root/usr/bin/otagwctl" frobnicate > "$work/otagwctl.log" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "otagwctl with an unknown command exited $status, not 2"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "packages OK: $(basename "$otagwd_deb") $(basename "$cloudsim_deb")"
