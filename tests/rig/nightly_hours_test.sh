#!/usr/bin/env bash
# pcirig nightly --hours: a bare number is hours, 90m/30s durations; a bad value is refused
# before anything is made. With --hours 8s a plan of two 1 s model runs a round repeats
# its round until the time is spent: the ledger shows more than one round, no run started
# after the deadline, and the campaign ended on it (status deadline).
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
for bad in 0 0s -1 abc 8x . 1.2.3 inf; do
  out=$("$pcirig" nightly --plan "$plans/model_rounds.yaml" --hours "$bad" --out "$work/bad" --history "$work/bad.sqlite" 2>&1)
  rc=$?
  [ $rc -eq 2 ] || fail "--hours '$bad': exit $rc (want 2): $out"
  [[ $out == *"--hours '$bad': not a time like 8 (hours), 90m or 30s"* ]] || fail "--hours '$bad': $out"
  [ ! -e "$work/bad" ] && [ ! -e "$work/bad.sqlite" ] || fail "--hours '$bad' made something"
done
echo "ok: bad --hours values refused"
# Good values, as the campaign reads them (--explain stops before any run).
for good in "8:--hours 8 " "1.5:--hours 1.5 " "90m:--hours 1.5 " "30s:--hours 0.008333"; do
  out=$("$pcirig" nightly --plan "$plans/model_rounds.yaml" --hours "${good%%:*}" --explain 2>&1) || fail "--hours ${good%%:*}: $out"
  [[ $out == *"${good#*:}"* ]] || fail "--hours ${good%%:*}: not read as '${good#*:}': $out"
done
echo "ok: 8, 1.5, 90m and 30s read as hours"

"$pcirig" nightly --plan "$plans/model_rounds.yaml" --hours 8s --parallel 1 --out "$work" --history "$work/h.sqlite" \
  > "$work/log" 2>&1
rc=$?
cat "$work/log"
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "exit $rc (want 0 or 1: the campaign ran to its deadline)"
dir=$(ls -d "$work"/nightly-*/ | head -1)
ledger=$dir/ledger.jsonl
n=$(wc -l < "$ledger")
rounds=$(jq -r .round "$ledger" | sort -n | uniq | tr '\n' ' ')
echo "$n runs, rounds: $rounds"
[ "$n" -gt 2 ] || fail "$n runs: not more than one round of 2"
[ "$(jq -r .round "$ledger" | sort -n | tail -1)" -ge 1 ] || fail "only round 0 ran"
# Run i is round i/2, position i mod 2; indices 0..n-1 each once.
[ "$(jq -r '"\(.index) \(.round)"' "$ledger" | sort -n | awk '$1 != NR-1 || $2 != int((NR-1)/2)' | wc -l)" -eq 0 ] \
  || fail "indices or rounds wrong: $(jq -c '[.index, .round, .cell]' "$ledger" | tr '\n' ' ')"
[ "$(jq -r 'select(.index % 2 == 0) | .cell' "$ledger" | sort -u | wc -l)" -eq 1 ] || fail "a round's first cell varies"
# Every run started before the deadline; the campaign stopped on it, not before.
[ "$(jq -r 'select(.start_offset_s >= 8) | .index' "$ledger" | wc -l)" -eq 0 ] \
  || fail "runs started after the deadline: $(jq -c '[.index, .start_offset_s]' "$ledger" | tr '\n' ' ')"
[ "$(jq -s 'map(.end_offset_s) | max >= 7.5' "$ledger")" = true ] || fail "stopped before the deadline"
[ "$(jq -r .status "$dir/report.json")" = deadline ] || fail "status $(jq -r .status "$dir/report.json")"
[ "$(jq -r .reason "$dir/report.json")" = "--hours 8s spent" ] || fail "reason $(jq -r .reason "$dir/report.json")"
grep -q "deadline (--hours 8s spent), $n runs" "$work/log" || fail "the summary does not say why it stopped"
[ "$(jq -r .hours "$dir/campaign.json")" != 0 ] || fail "campaign.json lost the hours (a resume would run one round)"
echo "ok: $n runs over rounds $rounds within --hours 8s"
