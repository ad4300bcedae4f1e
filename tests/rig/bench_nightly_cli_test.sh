#!/usr/bin/env bash
# bench nightly end to end without a guest: a 6-second campaign of model cells through
# the real binary. The figures land in --json and in the campaign directory, agree with
# its ledger and the sampler's file, and the bench keeps its own history. Bad input:
# exit 2 and no bench directory left behind.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$pcirig" bench nightly --plan "$plans/model_quick.yaml" --minutes 6s --parallel 2 --out "$work" --json "$work/b.json" \
  > "$work/log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "exit $rc: $(tail -20 "$work/log")"
bench=$(ls -d "$work"/bench-nightly-* | head -1)
dir=$(ls -d "$bench"/nightly-* | head -1)
[ -f "$bench/history.sqlite" ] || fail "no history of the bench's own in $bench"
cmp -s "$work/b.json" "$dir/bench-nightly.json" || fail "--json and $dir/bench-nightly.json differ"
runs=$(wc -l < "$dir/ledger.jsonl")
[ "$runs" -ge 2 ] || fail "only $runs runs in 6 s"
[ "$(jq .runs_finished "$work/b.json")" -eq "$runs" ] || fail "runs_finished $(jq .runs_finished "$work/b.json") vs $runs ledger lines"
[ "$(jq .orchestrator.samples "$work/b.json")" -eq "$(wc -l < "$dir/bench-usage.jsonl")" ] || fail "samples vs bench-usage.jsonl"
[ "$(jq .orchestrator.samples "$work/b.json")" -ge 3 ] || fail "fewer than 3 looks at the orchestrator in 6 s"
# Model runs only: no boot, no guest, so the guest targets are not measured.
[ "$(jq '.share.boot' "$work/b.json")" = 0 ] || fail "boot share $(jq .share.boot "$work/b.json") without a guest"
[ "$(jq -c '.start_modes' "$work/b.json")" = '{}' ] || fail "start modes without a guest"
[ "$(jq '.orchestrator.cpu_percent_with_n_guests' "$work/b.json")" = null ] || fail "CPU with 2 guests measured without a guest"
[ "$(jq '.orchestrator.cpu_percent_overall > 0' "$work/b.json")" = true ] || fail "no orchestrator CPU at all"
[ "$(jq '.targets.first_regression_crash_seconds.met' "$work/b.json")" = null ] || fail "regression target without a regression cell"
# v4.10's searches report; each title is listed with its cells.
jq -e '.crashes | map(select(.title | startswith("model v4.10: "))) | length >= 1' "$work/b.json" > /dev/null ||
  fail "no v4.10 report among $(jq -c '[.crashes[].title]' "$work/b.json")"
grep -q "target boot_share" "$work/log" || fail "no target lines printed"
# --rescore: the same figures from the directory again, nothing run, its own file untouched.
cp "$dir/bench-nightly.json" "$work/before.json"
"$pcirig" bench nightly --rescore "$dir" --json "$work/r.json" > "$work/r.log" 2>&1 || fail "--rescore: $(tail -5 "$work/r.log")"
[ "$(wc -l < "$dir/ledger.jsonl")" -eq "$runs" ] || fail "--rescore ran something"
cmp -s "$work/before.json" "$dir/bench-nightly.json" || fail "--rescore rewrote $dir/bench-nightly.json"
[ "$(jq 'del(.rescored, .minutes, .campaign_exit)' "$work/r.json")" = "$(jq 'del(.minutes, .campaign_exit)' "$work/b.json")" ] ||
  fail "--rescore's figures differ from the bench's"
jq -e '.rescored | type == "string"' "$work/r.json" > /dev/null || fail "--rescore: no rescored time"
"$pcirig" bench nightly --rescore "$work" > "$work/bad.log" 2>&1
[ $? -eq 2 ] && grep -q "no ledger.jsonl" "$work/bad.log" || fail "--rescore of a non-campaign directory: $(cat "$work/bad.log")"
# Bad input: refused, nothing left behind.
mkdir "$work/bad"
"$pcirig" bench nightly --plan "$plans/missing_variant.yaml" --minutes 1 --out "$work/bad" > "$work/bad.log" 2>&1
[ $? -eq 2 ] || fail "a plan naming a missing variant: exit not 2"
grep -q "missing_variant.yaml:" "$work/bad.log" || fail "the error does not name the plan: $(cat "$work/bad.log")"
"$pcirig" bench nightly --plan "$plans/model_quick.yaml" --minutes 0 --out "$work/bad" > "$work/bad.log" 2>&1
[ $? -eq 2 ] || fail "--minutes 0: exit not 2"
[ -z "$(ls -A "$work/bad")" ] || fail "a refused bench left $(ls "$work/bad")"
echo "ok: $runs runs, $(jq .orchestrator.samples "$work/b.json") looks, $(jq -c '[.crashes[].title]' "$work/b.json")"
