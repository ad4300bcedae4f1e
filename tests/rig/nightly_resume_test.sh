#!/usr/bin/env bash
# Nothing lost: kill -9 the campaign once two runs are in its ledger, --resume it, and
# check that every planned run is done exactly once, the finished ones not repeated, and
# the history holds each run once. Model cells only: the ledger is the same for guests.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# 8 runs of 1 s each, one at a time, so the kill lands with runs done and runs to go.
"$pcirig" nightly --plan "$plans/model_quick.yaml" --parallel 1 --out "$work" --history "$work/h.sqlite" \
  > "$work/first.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  ledger=$(ls "$work"/nightly-*/ledger.jsonl 2>/dev/null | head -1)
  [ -n "$ledger" ] && [ "$(wc -l < "$ledger")" -ge 2 ] && break
  kill -0 $pid 2>/dev/null || fail "the campaign ended before the kill: $(cat "$work/first.log")"
  sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
dir=$(dirname "$ledger")
before=$(wc -l < "$ledger")
echo "killed with $before run(s) in $ledger"
[ "$before" -ge 2 ] && [ "$before" -lt 8 ] || fail "ledger has $before lines at the kill (want 2..7)"
first_runs=$(jq -r .run_dir "$ledger" | sort)
"$pcirig" nightly --resume "$dir" --parallel 1 --history "$work/h.sqlite" > "$work/resume.log" 2>&1
rc=$?
cat "$work/resume.log"
[ $rc -eq 1 ] || fail "resume exit $rc (want 1: v4.10 reports)"
grep -q "resuming $dir: $before runs already done" "$work/resume.log" || fail "resume did not start from the ledger"
total=$(wc -l < "$ledger")
[ "$total" -eq 8 ] || fail "ledger has $total lines (want 8)"
[ "$(jq -r .index "$ledger" | sort -n | uniq | wc -l)" -eq 8 ] || fail "indices repeated or missing: $(jq -r .index "$ledger" | tr '\n' ' ')"
# The runs finished before the kill kept their lines (same run directories), in order.
[ "$(head -n "$before" "$ledger" | jq -r .run_dir | sort)" = "$first_runs" ] || fail "finished runs changed"
[ "$(sqlite3 "$work/h.sqlite" "select count(*) from runs")" -eq 8 ] || fail "history runs: $(sqlite3 "$work/h.sqlite" "select count(*) from runs")"
[ "$(jq -r .status "$dir/report.json")" = finished ] || fail "report status $(jq -r .status "$dir/report.json")"
[ "$(jq '.runs | length' "$dir/report.json")" -eq 8 ] || fail "report lists $(jq '.runs | length' "$dir/report.json") runs"
# The run the kill cut short says so, and no run directory is left "running".
running=$(grep -l '"result": "running"' "$dir"/runs/*/result.json 2>/dev/null | wc -l)
[ "$running" -eq 0 ] || fail "$running run(s) still say running after the resume"
cut=$(grep -l '"end_cause": "orchestrator_gone"' "$dir"/runs/*/result.json 2>/dev/null | wc -l)
[ "$cut" -ge 1 ] || fail "the run cut by the kill is not marked (runs: $(ls "$dir/runs" | tr '\n' ' '))"
grep -q "run(s) cut by the orchestrator's end marked" "$work/resume.log" || fail "the resume did not say it marked cut runs"
echo "ok: $before runs before kill -9, 8 after --resume, none repeated, $cut cut run(s) marked"
