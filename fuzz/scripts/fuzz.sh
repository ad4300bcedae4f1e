#!/usr/bin/env bash
# libFuzzer corpus run on the locking model (./run.sh fuzz builds first).
#   fuzz/scripts/fuzz.sh [--variant V] [--time T] [--jobs J] [--kcsan] [--skip-known]
# T: seconds, or with a suffix s/m/h (default 60). J: parallel jobs (default nproc).
# New inputs are merged into corpora/<variant>/; each crash is replayed with
# the g++ tool, saved under corpora/crashes/ as <variant>--<kind>--<hash>.pcirig
# when its title is new, and listed with its title in runs/fuzz-*/crashes.txt.
# --skip-known: mainline's known findings (pcirig-model list-findings) go on.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

variant=v4.10 time_s=60 jobs=$(nproc) kcsan=0
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant=${2:?--variant needs a value}; shift 2 ;;
    --time) time_s=${2:?--time needs a value}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
    --kcsan) kcsan=1; shift ;;
    --skip-known) export PCIRIG_SKIP_KNOWN=1; shift ;;  # mainline's known findings are no crash
    -h|--help) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$time_s" in
  *h) time_s=$(( ${time_s%h} * 3600 )) ;;
  *m) time_s=$(( ${time_s%m} * 60 )) ;;
  *s) time_s=${time_s%s} ;;
esac
[[ "$time_s" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --time wants seconds or N[s|m|h], got '$time_s'" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --jobs wants a positive number, got '$jobs'" >&2; exit 2; }

fuzzer=${PCIRIG_FUZZ_BIN:-build/fuzz/fuzz/pcirig-fuzz-fast}    # no ASan/UBSan: campaigns (overridable)
model=${PCIRIG_MODEL_BIN:-build/default/fuzz/pcirig-model}
[ -x "$fuzzer" ] || { echo "fuzz.sh: $fuzzer missing (./run.sh fuzz builds it)" >&2; exit 2; }
[ -x "$model" ] || { echo "fuzz.sh: $model missing (./run.sh fuzz builds it)" >&2; exit 2; }
"$model" list-variants | awk '{print $1}' | grep -qx -- "$variant" || {
  echo "fuzz.sh: unknown variant '$variant'; known: $("$model" list-variants | awk '{print $1}' | tr '\n' ' ')" >&2; exit 2; }

work=runs/fuzz-$variant-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$work/new" "$work/seeds" "corpora/$variant" corpora/crashes
"$model" seed-corpus --out "$work/seeds" >/dev/null
echo "variant=$variant time=${time_s}s jobs=$jobs kcsan=$kcsan started=$(date -u +%FT%TZ)" > "$work/run.txt"

finish() {
  local rc=$?
  set +e
  echo "ended=$(date -u +%FT%TZ) fuzzer_rc=${fuzz_rc:-interrupted}" >> "$work/run.txt"
  # The kept corpus becomes a minimal set covering the kept and the new inputs' features,
  # minimised afresh: merging only the new ones in let it grow past 200 files in one
  # nightly. The old corpus stays until the new one is whole.
  if [ -n "$(ls -A "$work/new" 2>/dev/null)" ]; then
    rm -rf "$work/merged" && mkdir -p "$work/merged"
    if PCIRIG_VARIANT=$variant PCIRIG_KCSAN=$kcsan "$fuzzer" -merge=1 "$work/merged" "corpora/$variant" "$work/new" \
         > "$work/merge.log" 2>&1 && [ -n "$(ls -A "$work/merged")" ]; then
      rm -rf "corpora/.$variant.old" && mv "corpora/$variant" "corpora/.$variant.old" &&
        mv "$work/merged" "corpora/$variant" && rm -rf "corpora/.$variant.old"
      echo "corpus: $(ls "corpora/$variant" | wc -l) files after merging" >> "$work/run.txt"
    else
      echo "merge failed: see $work/merge.log" >> "$work/run.txt"
    fi
  fi
  : > "$work/crashes.txt"
  local repro_flags=(); [ "$kcsan" = 1 ] && repro_flags=(--kcsan)
  # as the target ran: a known lockdep cycle does not stop the run
  [ "${PCIRIG_SKIP_KNOWN:-0}" = 1 ] && repro_flags+=(--skip-known)
  for c in "$work"/crash-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$c" ] || continue
    local title kind hash out
    title=$("$model" repro --variant "$variant" "${repro_flags[@]}" -q "$c" 2>&1 | head -1)
    echo "$(basename "$c"): $title" >> "$work/crashes.txt"
    kind=${title%%:*}
    [ "$title" = "no report" ] && continue
    # One saved input per title.
    if ! grep -rqxF "title: ${title#*: }" corpora/crashes/ 2>/dev/null; then
      hash=$(sha1sum "$c" | cut -c1-8)
      out=corpora/crashes/$variant--$kind--$hash.pcirig
      "$model" repro --variant "$variant" "${repro_flags[@]}" --minimize -o "$out" "$c" > /dev/null 2>&1
      echo "  saved $out" >> "$work/crashes.txt"
    fi
  done
  echo "fuzz.sh: $work: $(wc -l < "$work/crashes.txt") crash line(s), corpus corpora/$variant: $(ls "corpora/$variant" | wc -l) inputs" >&2
  cat "$work/crashes.txt" >&2
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

# -fork over the cores; crashes do not stop the campaign; new units go to $work/new.
# -entropic=0 -reduce_inputs=0: entropic's bookkeeping and the search for smaller
# inputs with the same features, both per feature after every run, cost 6-8 % and 7 %
# of the fast build's execs/s; the eras are found in the seeds' runs or a few mutations
# after them either way, and the corpus is minimised afresh at the end (below;
# docs/model.md "Speed"). bench.sh measures with the same flags.
set +e
PCIRIG_VARIANT=$variant PCIRIG_KCSAN=$kcsan nice -n 10 "$fuzzer" -entropic=0 -reduce_inputs=0 \
  -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$time_s" \
  -artifact_prefix="$work/" -print_final_stats=1 \
  "$work/new" "corpora/$variant" "$work/seeds" > "$work/fuzzer.log" 2>&1
fuzz_rc=$?
set -e
tail -5 "$work/fuzzer.log" >&2
