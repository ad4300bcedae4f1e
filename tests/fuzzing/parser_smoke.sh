#!/usr/bin/env bash
# One parser target in CI: replay its regression inputs (corpora/crashes/NAME/),
# then fuzz for SECONDS from its seed corpus (corpora/NAME/, read only: new inputs
# go to WORK). Fails on a crash, a leak (LeakSanitizer) or a timeout (10 s per input).
#   parser_smoke.sh FUZZER CORPORA NAME WORK SECONDS
set -uo pipefail
fuzzer=$1 corpora=$2 name=$3 work=$4 secs=$5
[ -x "$fuzzer" ] || { echo "$fuzzer missing: build the fuzz preset (cmake --build --preset fuzz; ./run.sh test does)"; exit 1; }
rm -rf "$work" && mkdir -p "$work/new"
opts=(-timeout=10 -rss_limit_mb=2048 -max_len=8192 -artifact_prefix="$work/")
shopt -s nullglob
saved=("$corpora/crashes/$name"/*)
if [ ${#saved[@]} -gt 0 ]; then
  "$fuzzer" "${opts[@]}" "${saved[@]}" > "$work/regressions.log" 2>&1 ||
    { cat "$work/regressions.log"; echo "FAIL: a saved regression input of $name fails again"; exit 1; }
  echo "$name: ${#saved[@]} regression inputs replayed clean"
fi
seeds=(); [ -d "$corpora/$name" ] && seeds=("$corpora/$name")
"$fuzzer" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 "$work/new" "${seeds[@]}" > "$work/fuzz.log" 2>&1
rc=$?
grep -E '^INFO: Seed:|^stat::number_of_executed_units|^Done ' "$work/fuzz.log"
if [ $rc -ne 0 ]; then
  grep -v '^#\|NEW_FUNC' "$work/fuzz.log" | tail -60
  echo "FAIL: $name: libFuzzer exit $rc; the input is in $work/"
  exit 1
fi
echo "$name: clean for ${secs}s from $(ls "$corpora/$name" 2>/dev/null | wc -l) seeds"
