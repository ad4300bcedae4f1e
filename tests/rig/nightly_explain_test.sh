#!/usr/bin/env bash
# pcirig nightly --explain prints the matrix and what each cell exercises, then stops: no
# run, no campaign directory, no history. On a model-only test plan and on the shipped
# default plan, whose coverage list (issue 10) must be reached item by item.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
explain() {  # OUT-FILE ARGS...: runs --explain, checks it made nothing
  local f=$1; shift
  "$pcirig" nightly --explain --out "$work/out" --history "$work/h.sqlite" "$@" > "$f" 2>&1
  local rc=$?
  cat "$f"
  [ $rc -eq 0 ] || fail "--explain $*: exit $rc"
  [ ! -e "$work/out" ] && [ ! -e "$work/h.sqlite" ] || fail "--explain $* made $(ls "$work")"
  return 0
}
cell_lines() { grep -E '^  (vm|model|repro):' "$1"; }

# The small plan: its four cells, each with its runs, duration, plan line and search.
explain "$work/small" --plan "$plans/model_quick.yaml" --seed 3
grep -q "^plan .*model_quick.yaml: 4 cells, 8 runs per round, campaign seed 3$" "$work/small" || fail "small: header"
grep -q "without --hours the campaign is one round" "$work/small" || fail "small: rounds"
for v in v4.10 v5.9; do
  grep -qE "^  model:$v/random +x2 +1s +line 4 +random scenarios, uniform random schedules$" "$work/small" || fail "small: $v/random"
  grep -qE "^  model:$v/pct +x2 +1s +line 4 +random scenarios under PCT schedules$" "$work/small" || fail "small: $v/pct"
done
[ "$(cell_lines "$work/small" | wc -l)" -eq 4 ] || fail "small: $(cell_lines "$work/small" | wc -l) cell lines"
# A model-only plan reaches none of the guest items, and says so.
grep -q "^  NOT REACHED: .*reset flr under acpi hot-plug.*a lockdep kernel" "$work/small" || fail "small: coverage gaps not named"
# The first runs are the round's interleaved cells, with the seeds the campaign would use.
grep -q "^first runs and their seeds: #0 model:v4.10/random seed [0-9]*; #1 model:v4.10/pct" "$work/small" || fail "small: first runs"

# The shipped plan (rig/plans/default.yaml), as `./run.sh nightly --explain --hours 8` shows it.
explain "$work/default" --hours 8
read -r cells runs < <(sed -nE 's/^plan .*default.yaml: ([0-9]+) cells, ([0-9]+) runs per round.*/\1 \2/p' "$work/default")
[ -n "${cells:-}" ] || fail "default: no header"
[ "$(cell_lines "$work/default" | wc -l)" -eq "$cells" ] || fail "default: $(cell_lines "$work/default" | wc -l) cell lines for $cells cells"
[ "$(cell_lines "$work/default" | sed -nE 's/^  [^ ]+ +x([0-9]+) .*/\1/p' | awk '{n += $1} END {print n}')" -eq "$runs" ] \
  || fail "default: the cells' runs do not add up to $runs"
[ "$(cell_lines "$work/default" | awk '{print $1}' | sort -u | wc -l)" -eq "$cells" ] || fail "default: a cell twice"
grep -q -- "--hours 8 repeats rounds until the time is up" "$work/default" || fail "default: --hours"
# Every vm cell says its workers, its hot-plug flavour (or cold slots) and, for lockdep kernels, lockdep.
while read -r line; do
  id=${line%% *}
  IFS=/ read -r topo kernel mix hp <<< "${id#vm:}"
  case $hp in
    none) [[ $line == *"cold slots only"* ]] || fail "$id: no 'cold slots only': $line" ;;
    own) [[ $line == *"cold slots only"* || $line == *" hot-plug of "* ]] || fail "$id: no hot-plug said: $line" ;;
    *) [[ $line == *"$hp hot-plug of "* ]] || fail "$id: no '$hp hot-plug': $line" ;;
  esac
  case $mix in flr|pm|bus) [[ $line == *"resetters ($mix reset)"* ]] || fail "$id: no $mix reset: $line" ;; esac
  case $mix in vfio) [[ $line == *"2 vfio users (open, reset, release)"* ]] || fail "$id: no vfio: $line" ;; esac
  case $mix in rescan) [[ $line == *"2 remove/rescan"* ]] || fail "$id: no rescan: $line" ;; esac
  case $kernel in *lockdep*) [[ $line == *"; lockdep"* ]] || fail "$id: lockdep not said: $line" ;; esac
  [[ $line == *"config reader"* ]] || fail "$id: no readers: $line"
done < <(cell_lines "$work/default" | sed 's/^  //' | grep '^vm:')
for s in pct random libfuzzer; do
  grep -qE "^  model:v4.10/$s " "$work/default" || fail "default: no model:v4.10/$s"
done
# The issue's coverage list: each item reached by at least one cell.
for m in flr pm bus; do
  line=$(grep "^  reset $m: " "$work/default") || fail "default: no reset $m line"
  for item in "acpi hot-plug" "native hot-plug" "hot-plugged devices" "cold-plugged devices"; do
    [[ $line =~ "$item "[0-9]+" cell" ]] || fail "reset $m: '$item' not reached: $line"
  done
done
grep -qE "^  two or more of a kind in one guest, on the same devices: readers [0-9]+ cells; resetters [0-9]+ cells; vfio users [0-9]+ cells?$" \
  "$work/default" || fail "default: two of each kind"
grep -qE "^  vfio open, reset and release of hot-plugged devices: [0-9]+ cells?$" "$work/default" || fail "default: vfio on hot-plug slots"
grep -qE "^  removal and rescan: [0-9]+ cells?$" "$work/default" || fail "default: removal and rescan"
grep -qE "^  lockdep kernels: [0-9]+ cells? \(.*lockdep.*\)$" "$work/default" || fail "default: lockdep"
grep -q "^  every item reached$" "$work/default" || fail "default: coverage incomplete"

# A bad --hours is refused before the plan is even explained.
out=$("$pcirig" nightly --explain --hours 8x 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"--hours '8x': not a time like 8 (hours), 90m or 30s"* ]] || fail "bad --hours: $rc $out"
echo "ok: --explain on model_quick.yaml and the default plan ($cells cells, $runs runs a round), nothing made"
