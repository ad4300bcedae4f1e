#!/usr/bin/env bash
# Repro cells with a guest: a real crash bundle (the Debian kernel with the crash test
# module's null_deref, tests/rig/repro/crash.yaml) in a corpus directory, beside a copy
# whose config now triggers a WARNING instead. `pcirig nightly` with one attempt each
# (one guest at a time): the first comes back (ledger, history, reports say reproduced),
# the second no longer reproduces: a JUnit failure, flagged in report.json and
# report.html, and the campaign exits 1.
set -euo pipefail
pcirig=$1 root=$2
# $tmp, fail() and $tmp/img/image.json: the Debian image plus the crash test module.
source "$root/tests/rig/lib/crashtest_image.sh"

# The crash and its bundle (no kernel files: repro finds the image where the run found it).
set +e
"$pcirig" stress --config "$root/tests/rig/repro/crash.yaml" --kernel "$tmp/img/image.json" --seed 11 \
  --runs-dir "$tmp/runs" >"$tmp/stress.out" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$tmp/stress.out"; fail "the crashing run exited $rc, not 1"; }
run=$(ls -d "$tmp"/runs/*/ | head -1)
title=$(jq -r .crash.title "$run/result.json")
[ -f "$run/bundle/bundle.json" ] || fail "no bundle in $run"
mkdir -p "$tmp/corpus"
cp -r "$run/bundle" "$tmp/corpus/a-null-deref"
cp -r "$run/bundle" "$tmp/corpus/b-now-warns"
sed -i 's/pcirig.crashtest=null_deref/pcirig.crashtest=warn/' "$tmp/corpus/b-now-warns/config.yaml"
grep -q 'crashtest=warn' "$tmp/corpus/b-now-warns/config.yaml" || fail "could not edit the second bundle's config"

cat >"$tmp/plan.yaml" <<EOF
seed: 3
repro:
  - bundles: $tmp/corpus
    attempts: 1
    time_limit: 30s
EOF
"$pcirig" nightly --plan "$tmp/plan.yaml" --explain | tee "$tmp/explain.txt"
grep -q "repro:a-null-deref .*replays the bundle $tmp/corpus/a-null-deref on kernel debian+crashtest, 1 attempt of at most 30s" \
  "$tmp/explain.txt" || fail "--explain does not list the repro cell"

set +e
"$pcirig" nightly --plan "$tmp/plan.yaml" --parallel 1 --out "$tmp/out" --history "$tmp/h.sqlite" 2>&1 | tee "$tmp/log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 1 ] || fail "campaign exit $rc (want 1: a corpus crash no longer reproduces)"
dir=$(ls -d "$tmp"/out/nightly-*)
[ "$(jq -r .status "$dir/report.json")" = finished ] || fail "status $(jq -r .status "$dir/report.json")"
[ "$(wc -l <"$dir/ledger.jsonl")" -eq 2 ] || fail "ledger: $(cat "$dir/ledger.jsonl")"
cell() { jq -c --arg c "$1" 'select(.cell == $c)' "$dir/ledger.jsonl"; }
cell repro:a-null-deref | jq -e --arg t "$title" '.kind == "repro" and .result == "reproduced"
  and .repro_reproduced == 1 and .repro_attempts == 1 and .repro_rate == 1 and .repro_title == $t
  and .kernel == "debian+crashtest" and (.kernel_identity | startswith("debian+crashtest 6.")) and .title == ""' >/dev/null ||
  fail "ledger, first cell: $(cat "$dir/ledger.jsonl")"
cell repro:b-now-warns | jq -e --arg t "$title" '.result == "not_reproduced" and .repro_reproduced == 0
  and .repro_attempts == 1 and .repro_title == $t' >/dev/null ||
  fail "ledger, second cell: $(cat "$dir/ledger.jsonl")"
a=$(cell repro:a-null-deref | jq -r .run_dir)
jq -e '.reproduced == 1 and .per_attempt[0].rule == "exact-title" and .kernel.from == "run" and .kernel.exact' \
  "$dir/$a/repro.json" >/dev/null || fail "verdict: $(cat "$dir/$a/repro.json")"
[ -s "$(jq -r '.per_attempt[0].run_dir' "$dir/$a/repro.json")/console.log" ] || fail "the attempt's run directory lacks its console"
jq -e '[.repro[] | select(.flag == "corpus crash no longer reproduces")] | length == 1 and .[0].cell == "repro:b-now-warns"' \
  "$dir/report.json" >/dev/null || fail "report.json: $(jq .repro "$dir/report.json")"
grep -q 'failures="1"' "$dir/junit.xml" || fail "junit: $(cat "$dir/junit.xml")"
grep -qF "message=\"corpus crash no longer reproduces: $title\"" "$dir/junit.xml" || fail "junit lacks the failure: $(cat "$dir/junit.xml")"
grep -q 'class="repro-row lost"' "$dir/report.html" || fail "report.html does not flag the lost crash"
[ "$(sqlite3 "$tmp/h.sqlite" "select result || '|' || repro_reproduced || '/' || repro_attempts || '|' || kernel from runs where cell = 'repro:a-null-deref'")" = \
  "reproduced|1/1|debian+crashtest" ] || fail "history: $(sqlite3 "$tmp/h.sqlite" 'select * from runs')"
[ "$(sqlite3 "$tmp/h.sqlite" "select count(*) from crashes")" -eq 0 ] || fail "a replayed corpus crash counted as a crash found"
echo "nightly repro test: ok"
