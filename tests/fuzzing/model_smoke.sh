#!/usr/bin/env bash
# The model's libFuzzer target on one variant in CI: RUNS executions from seed 1
# (deterministic). A sanitizer report, a leak or a timeout fails. A model report
# (the target aborts with "pcirig-title:") ends the run: that is the model finding
# the variant's bug, and fails on a variant that list-variants expects clean or
# when its kind is not one list-variants expects. Mainline's known findings
# (pcirig-model list-findings) are no report here (PCIRIG_SKIP_KNOWN=1).
#   model_smoke.sh FUZZER MODEL VARIANT WORK RUNS
set -uo pipefail
fuzzer=$1 model=$2 variant=$3 work=$4 runs=$5
[ -x "$fuzzer" ] || { echo "$fuzzer missing: build the fuzz preset (cmake --build --preset fuzz; ./run.sh test does)"; exit 1; }
expect=$("$model" list-variants | awk -v v="$variant" '$1 == v { for (i = 2; i < NF; i++) if ($i == "expect") print $(i + 1) }')
rm -rf "$work" && mkdir -p "$work/corpus"
PCIRIG_VARIANT=$variant PCIRIG_SKIP_KNOWN=1 "$fuzzer" -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" \
  -print_final_stats=1 "$work/corpus" > "$work/fuzz.log" 2>&1
rc=$?
grep -E '^stat::number_of_executed_units|^Done ' "$work/fuzz.log"
[ $rc -eq 0 ] && { echo "$variant: clean for $runs executions (expect ${expect:-?})"; exit 0; }
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:|ERROR: libFuzzer: (timeout|out-of-memory)' "$work/fuzz.log" ||
   ! grep -q '^pcirig-title:' "$work/fuzz.log"; then
  grep -v '^#\|NEW_FUNC' "$work/fuzz.log" | tail -60
  echo "FAIL: $variant: libFuzzer exit $rc that is not a model report; the input is in $work/"
  exit 1
fi
title=$(grep -m1 '^pcirig-title:' "$work/fuzz.log")
if [ "$expect" = none ]; then
  grep -m1 '^pcirig: ' "$work/fuzz.log"
  echo "FAIL: $variant is expected clean but the model reported: ${title#pcirig-title: }"
  exit 1
fi
found=$(grep -m1 '^pcirig: ' "$work/fuzz.log")
kind=${found##*: }
case "|$expect|" in
  *"|$kind|"*) echo "$variant: the model found its bug (expect $expect): $found" ;;
  *) echo "FAIL: $variant reported $kind (${title#pcirig-title: }), expected one of $expect"; exit 1 ;;
esac
