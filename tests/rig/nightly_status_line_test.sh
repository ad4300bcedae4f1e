#!/usr/bin/env bash
# The live status line of pcirig nightly, under a real pseudo-terminal (util-linux
# `script`): runs done, running and queued, crashes so far by title (v4.10 reports a
# KASAN title within a second), time left with --hours; redrawn in place on stderr. Not
# on a pipe: there, one line per finished run.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
on_tty() {  # NAME ARGS...: the campaign under a pty; its status lines, one a line, in NAME.lines
  local name=$1; shift
  local cmd
  printf -v cmd '%q ' "$pcirig" nightly --out "$work/$name" --history "$work/h.sqlite" "$@"
  script -qec "$cmd" /dev/null < /dev/null > "$work/$name.tty"
  local rc=$?
  tr '\r' '\n' < "$work/$name.tty" | sed 's/\x1b\[K//g' > "$work/$name.text"
  cat "$work/$name.text"
  grep '^\[nightly\] ' "$work/$name.text" > "$work/$name.lines"
  [ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "$name: exit $rc"
  [ -s "$work/$name.lines" ] || fail "$name: no status line on the terminal"
  local bad
  bad=$(grep -vE '^\[nightly\] [0-9]+ done, [0-9]+ running, [0-9]+ queued( this round, [0-9hms]+ left)?( \| no crashes| \| [0-9]+x .+)$' \
        "$work/$name.lines") && fail "$name: malformed status line: $bad"
  # Redrawn in place: each line starts at column 0 on a cleared line.
  grep -q $'\r\x1b\\[K\\[nightly\\] ' "$work/$name.tty" || fail "$name: not redrawn with CR + erase-line"
  return 0
}
field() { sed -nE "s/^\[nightly\] ([0-9]+) done, ([0-9]+) running, ([0-9]+) queued.*/\\$1/p" "$2"; }

# One round of 3 model runs, one at a time: v4.10 reports at once, two clean runs of 2 s follow.
on_tty quick --plan "$plans/model_status.yaml" --parallel 1
ledger=$(ls "$work"/quick/nightly-*/ledger.jsonl)
[ "$(wc -l < "$ledger")" -eq 3 ] || fail "quick: $(wc -l < "$ledger") runs in the ledger"
paste <(field 1 "$work/quick.lines") <(field 2 "$work/quick.lines") <(field 3 "$work/quick.lines") > "$work/counts"
awk '$1 + $2 + $3 > 3 || $2 > 1 { exit 1 }' "$work/counts" || fail "quick: counts beyond the plan's 3 runs or 1 at once: $(cat "$work/counts")"
sort -n -c <(field 1 "$work/quick.lines") 2>/dev/null || fail "quick: runs done went down: $(field 1 "$work/quick.lines" | tr '\n' ' ')"
awk '$1 >= 1 && $2 == 1 && $3 >= 1 { found = 1 } END { exit !found }' "$work/counts" \
  || fail "quick: never runs done, running and queued at once: $(cat "$work/counts")"
# The crash title, as the ledger has it, with how many runs hit it so far: its start, and
# its " in FUNC" when shortened (campaign_status.cpp keeps the function, cuts the middle).
title=$(jq -r 'select(.title != "") | .title' "$ledger" | head -1)
[[ $title == "model v4.10: "*KASAN* ]] || fail "quick: v4.10 reported no KASAN title: '$title'"
[ "$(jq -r 'select(.title != "") | .cell' "$ledger")" = model:v4.10/pct ] || fail "quick: a clean cell reported"
if [ ${#title} -le 48 ]; then shown=$title; else shown="... in ${title##* in }"; fi
grep -F "| 1x ${title:0:12}" "$work/quick.lines" | grep -qF -- "$shown" || fail "quick: no status line names '$title' (as '${title:0:12}...$shown')"
# Run #0 (v4.10) ends first: from then on every line names its crash.
grep -E '^\[nightly\] [1-9][0-9]* done.* \| no crashes$' "$work/quick.lines" && fail "quick: 'no crashes' after v4.10 reported"
# Without a terminal: no status line, one line per finished run.
"$pcirig" nightly --plan "$plans/model_status.yaml" --parallel 1 --out "$work/pipe" --history "$work/h.sqlite" > "$work/pipe.out" 2>&1
cat "$work/pipe.out"
grep -q '\[nightly\]' "$work/pipe.out" && fail "pipe: a status line without a terminal"
[ "$(grep -c '^run #[0-9]' "$work/pipe.out")" -eq 3 ] || fail "pipe: $(grep -c '^run #' "$work/pipe.out") run lines (want 3)"
grep -q '^run #0 model:v4.10/pct .*: model_report: model v4.10: .*KASAN' "$work/pipe.out" || fail "pipe: the crash not told"

# --hours: time left, and the queue is the rest of the current round (2 runs a round, 1 at a time).
on_tty hours --plan "$plans/model_rounds.yaml" --hours 3s --parallel 1
grep -qE ' queued this round, [0-9]s left \| ' "$work/hours.lines" || fail "hours: no time left shown"
awk '$3 > 1 { exit 1 }' <(paste <(field 1 "$work/hours.lines") <(field 2 "$work/hours.lines") <(field 3 "$work/hours.lines")) \
  || fail "hours: more queued than the round's rest"
echo "ok: $(wc -l < "$work/quick.lines") + $(wc -l < "$work/hours.lines") status lines on the terminal, none on a pipe"
