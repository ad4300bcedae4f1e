#!/usr/bin/env bash
# The model benchmark (./run.sh bench fuzz builds the release and fuzz presets first).
#   fuzz/scripts/bench.sh --json FILE [--trials N] [--time-cap S] [--variant V] [--empty-corpus] [--speed-turns K] [--speed-time S]
# Each variant under libFuzzer (one process, one core, generated seed
# scenarios), random, PCT and DFS; N trials (default 10) capped at S seconds
# (default 60). Writes FILE and prints a table. --empty-corpus adds a
# libFuzzer row that starts from nothing. Then K turns (default 3, 0: none) of
# libFuzzer and random side by side on v5.9, S seconds each (default 15): "speed".
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

json="" trials=10 cap=60 variants=() empty=0 speed_turns=3 speed_time=15
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json=${2:?}; shift 2 ;;
    --trials) trials=${2:?}; shift 2 ;;
    --time-cap) cap=${2:?}; shift 2 ;;
    --variant) variants+=("${2:?}"); shift 2 ;;
    --empty-corpus) empty=1; shift ;;
    --speed-turns) speed_turns=${2:?}; shift 2 ;;
    --speed-time) speed_time=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$json" ] || { echo "bench.sh: --json FILE is required" >&2; usage >&2; exit 2; }
[[ "$trials" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --trials wants a positive number" >&2; exit 2; }
[[ "$cap" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --time-cap wants whole seconds" >&2; exit 2; }
[[ "$speed_turns" =~ ^[0-9]+$ ]] || { echo "bench.sh: --speed-turns wants a number" >&2; exit 2; }
[[ "$speed_time" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --speed-time wants whole seconds" >&2; exit 2; }
# The campaign's libFuzzer flags (fuzz/scripts/fuzz.sh says why), so the bench measures what runs.
lf_flags=(-entropic=0 -reduce_inputs=0)

fuzzer=${PCIRIG_FUZZ_BIN:-build/fuzz/fuzz/pcirig-fuzz-fast}  # no ASan/UBSan: measures the campaign build
model=${PCIRIG_MODEL_BIN:-build/release/fuzz/pcirig-model}
for b in "$fuzzer" "$model"; do [ -x "$b" ] || { echo "bench.sh: $b missing (./run.sh bench fuzz builds it)" >&2; exit 2; }; done
[ ${#variants[@]} -eq 0 ] && mapfile -t variants < <("$model" list-variants | awk '{print $1}')

work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$model" seed-corpus --out "$work/seeds" > /dev/null
mkdir -p "$work/empty"
echo "bench.sh: load when starting: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2

tsv="$work/libfuzzer.tsv"
: > "$tsv"
lf_trial() {  # variant row-name seed-dir trial
  local v=$1 name=$2 seeds=$3 t=$4
  local d="$work/t-$name-$v-$t"
  mkdir -p "$d/corpus"
  local start end secs execs found=0 kind="" title=""
  start=$(date +%s.%N)
  # PCIRIG_SKIP_KNOWN=1: as for random and PCT (bench.cc), an era's own bug
  # is timed, not mainline's known findings, which most eras share.
  PCIRIG_VARIANT=$v PCIRIG_SKIP_KNOWN=1 timeout $((cap + 60)) "$fuzzer" "${lf_flags[@]}" -seed=$((1000 + t)) -max_total_time="$cap" \
    -print_final_stats=1 -artifact_prefix="$d/" "$d/corpus" "$seeds" > "$d/log" 2>&1 || true
  end=$(date +%s.%N)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$d/log" | grep -o '[0-9]*$' | tail -1)
  execs=${execs:-0}
  local c
  c=$(ls "$d"/crash-* 2>/dev/null | head -1 || true)
  if [ -n "$c" ]; then
    found=1
    local line
    line=$("$model" repro --variant "$v" --skip-known -q "$c" | head -1 || true)  # exits 1 on a report; known findings passed over, as in the trial
    kind=${line%%: *}
    title=${line#*: }
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$name" "$found" "$secs" "$execs" "$kind" "$title" >> "$tsv"
  rm -rf "$d"
}
for v in "${variants[@]}"; do
  for t in $(seq 1 "$trials"); do
    lf_trial "$v" libfuzzer "$work/seeds" "$t"
    [ "$empty" = 1 ] && lf_trial "$v" libfuzzer-empty "$work/empty" "$t"
  done
  echo "bench.sh: $v/libfuzzer done" >&2
done

# Speed: libFuzzer and the random scheduler in turns, on a clean variant (so both run
# for the whole time), from the same seeds as the trials, under the same load.
speed=()
if [ "$speed_turns" -gt 0 ]; then
  : > "$work/speed.tsv"
  for t in $(seq 1 "$speed_turns"); do
    mkdir -p "$work/speed-$t"
    PCIRIG_VARIANT=v5.9 PCIRIG_SKIP_KNOWN=1 "$fuzzer" "${lf_flags[@]}" -seed="$t" -max_total_time="$speed_time" \
      -print_final_stats=1 "$work/speed-$t" "$work/seeds" > "$work/speed-$t.log" 2>&1 || true
    lf=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/speed-$t.log" | grep -o '[0-9]*$' | tail -1)
    lf_steps=$(grep -o 'stat::pcirig_steps_per_run: *[0-9.]*' "$work/speed-$t.log" | grep -o '[0-9.]*$' | tail -1)
    line=$("$model" random -v v5.9 --seed "$t" --time "$speed_time" --runs 1000000000000 --skip-known 2>&1 | grep ' runs/s, ' || true)
    rnd=$(sed -n 's/.*(\([0-9.]*\) runs\/s, \([0-9.]*\) steps\/run).*/\1/p' <<< "$line")
    rnd_steps=$(sed -n 's/.*(\([0-9.]*\) runs\/s, \([0-9.]*\) steps\/run).*/\2/p' <<< "$line")
    printf 'v5.9\t%s\t%s\t%s\t%s\t%s\n' "$speed_time" "${lf:-0}" "${lf_steps:-0}" "${rnd:-0}" "${rnd_steps:-0}" >> "$work/speed.tsv"
    rm -rf "$work/speed-$t"
  done
  speed=(--speed-file "$work/speed.tsv")
fi

vargs=()
for v in "${variants[@]}"; do vargs+=(--variant "$v"); done
"$model" bench --json "$json" --trials "$trials" --time-cap "$cap" "${vargs[@]}" --trial-file "$tsv" "${speed[@]}"
