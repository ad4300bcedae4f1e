#!/usr/bin/env bash
# libFuzzer run of one parser target (./run.sh fuzz --target NAME builds first).
#   rig/fuzz/run-target.sh --target NAME [--time T] [--jobs J]
# T: seconds, or N[s|m|h] (default 60). J: parallel jobs (default 1). Starts from
# the seeds corpora/NAME/, what earlier runs found (corpora/NAME.grown/, git-ignored)
# and the regression inputs in corpora/crashes/NAME/; new inputs are merged into
# corpora/NAME.grown/; a crash, leak or timeout stops the run and is left in
# runs/fuzz-NAME-*/ with the libFuzzer log (add it to corpora/crashes/NAME/ once fixed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

bin=${PCIRIG_FUZZ_BUILD:-build/fuzz}/fuzz-parsers   # overridable for other build dirs
target= time_s=60 jobs=1
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
known() { ls "$bin" 2>/dev/null | sed -n 's/^pcirig-fuzz-//p' | tr '\n' ' '; }
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=${2:?--target needs a value}; shift 2 ;;
    --time) time_s=${2:?--time needs a value}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-target.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$time_s" in
  *h) time_s=$(( ${time_s%h} * 3600 )) ;;
  *m) time_s=$(( ${time_s%m} * 60 )) ;;
  *s) time_s=${time_s%s} ;;
esac
[[ "$time_s" =~ ^[0-9]+$ ]] || { echo "run-target.sh: --time wants seconds or N[s|m|h], got '$time_s'" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run-target.sh: --jobs wants a positive number, got '$jobs'" >&2; exit 2; }
[ -n "$target" ] || { usage >&2; exit 2; }
fuzzer=$bin/pcirig-fuzz-$target
[ -x "$fuzzer" ] || { echo "run-target.sh: unknown target '$target'; known: $(known)" >&2; exit 2; }

work=runs/fuzz-$target-$(date -u +%Y%m%dT%H%M%SZ)
grown=corpora/$target.grown
mkdir -p "$work/new" "$grown"
inputs=("$grown")
for d in "corpora/$target" "corpora/crashes/$target"; do [ -d "$d" ] && inputs+=("$d"); done
fork=(); [ "$jobs" -gt 1 ] && fork=(-fork="$jobs")
echo "target=$target time=${time_s}s jobs=$jobs started=$(date -u +%FT%TZ)" > "$work/run.txt"
set +e
nice -n 10 "$fuzzer" "${fork[@]}" -max_total_time="$time_s" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work/new" "${inputs[@]}" \
  > "$work/fuzzer.log" 2>&1
rc=$?
set -e
echo "ended=$(date -u +%FT%TZ) fuzzer_rc=$rc" >> "$work/run.txt"
if [ -n "$(ls -A "$work/new")" ]; then
  "$fuzzer" -merge=1 -max_len=8192 "$grown" "$work/new" > "$work/merge.log" 2>&1 ||
    echo "merge failed: see $work/merge.log" >> "$work/run.txt"
fi
grep -E '^(Done|stat::number_of_executed_units)' "$work/fuzzer.log" >&2 || true
found=$(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' || true)
if [ -n "$found" ]; then
  echo "run-target.sh: $target: found (see $work/fuzzer.log):" >&2
  printf '  %s\n' $found >&2
  grep -m3 -E 'ERROR:|runtime error:|^[a-z_]+: ' "$work/fuzzer.log" >&2 || true
  exit 1
fi
echo "run-target.sh: $work: no crash; $grown: $(ls "$grown" | wc -l) inputs" >&2
exit "$rc"
