#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for SECONDS each, one after the other
# (`make fuzz`; docs/fuzzing.md). Generated inputs stay under BUILD_DIR: the
# seeds of tests/fuzz/corpus/NAME are copied to BUILD_DIR/corpus/NAME, which
# libFuzzer grows; a crash goes to BUILD_DIR/artifacts/NAME/. Exits 1 if any
# target failed, naming each crash file.
#   tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS [NAME...]
set -uo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS [NAME...]}
seconds=${2:?usage: run-fuzzers.sh BUILD_DIR SECONDS [NAME...]}
shift 2
list="$build/fuzzers.tsv"
[ -f "$list" ] || { echo "no $list: configure and build the fuzz preset first" >&2; exit 2; }

failed=()
while IFS=$'\t' read -r name exe max_len corpus dict; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  scratch="$build/corpus/$name"
  artifacts="$build/artifacts/$name"
  log="$build/logs/$name.log"
  mkdir -p "$scratch" "$artifacts" "$build/logs"
  IFS=, read -ra seeds <<<"$corpus"
  for dir in "${seeds[@]}"; do cp -n "$dir"/* "$scratch"/ 2>/dev/null || true; done
  args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048
        -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -n "$dict" ] && args+=(-dict="$dict")
  echo "== fuzz $name: ${seconds} s, max_len $max_len (log: $log)"
  start=$(date +%s)
  if "$exe" "${args[@]}" "$scratch" >"$log" 2>&1; then
    echo "   $name: clean after $(( $(date +%s) - start )) s," \
         "$(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') runs," \
         "$(find "$scratch" -type f | wc -l) corpus files"
  else
    echo "   $name: FAILED after $(( $(date +%s) - start )) s"
    grep -E '^==[0-9]+==ERROR|runtime error|property violated|SUMMARY' "$log" | head -5 | sed 's/^/   /'
    crash=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')
    echo "   crash file: ${crash:-(none written; see the log)}"
    failed+=("$name")
  fi
done <"$list"

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets failed: ${failed[*]}"
  exit 1
fi
