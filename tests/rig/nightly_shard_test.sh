#!/usr/bin/env bash
# --shard I/N runs one share of the plan; `nightly merge` folds the shards into one
# report (every run once, a JUnit testcase per cell) and into the history.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
for i in 1 2 3; do
  "$pcirig" nightly --plan "$plans/model_quick.yaml" --shard $i/3 --parallel 1 --out "$work/s$i" \
    --history "$work/s$i.sqlite" > "$work/s$i.log" 2>&1
  rc=$?
  [ $rc -le 1 ] || fail "shard $i exit $rc: $(cat "$work/s$i.log")"
done
n1=$(wc -l < "$work"/s1/*/ledger.jsonl) n2=$(wc -l < "$work"/s2/*/ledger.jsonl) n3=$(wc -l < "$work"/s3/*/ledger.jsonl)
[ $((n1 + n2 + n3)) -eq 8 ] && [ "$n1" -eq 3 ] && [ "$n3" -eq 2 ] || fail "shard sizes $n1 $n2 $n3 (want 3 3 2)"
"$pcirig" nightly merge "$work"/s1/nightly-* "$work"/s2/nightly-* "$work"/s3/nightly-* --out "$work/merged" \
  --history "$work/h.sqlite" | tee "$work/merge.log"
m="$work/merged"
[ "$(jq -r .index "$m/ledger.jsonl" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 " ] || fail "merged indices: $(jq -r .index "$m/ledger.jsonl" | tr '\n' ' ')"
[ "$(grep -c '<testcase ' "$m/junit.xml")" -eq 4 ] || fail "junit testcases: $(grep -c '<testcase ' "$m/junit.xml")"
f=$(grep -o 'failures="[0-9]*"' "$m/junit.xml" | head -1 | tr -dc 0-9)
[ "$f" -ge 2 ] || fail "junit failures $f (want one per title on each v4.10 cell)"
grep -q '<testcase classname="pcirig.model" name="model:v5.9/pct" time="[0-9.]*">' "$m/junit.xml" || fail "no v5.9 testcase"
[ "$(sqlite3 "$work/h.sqlite" "select count(*) from runs")" -eq 8 ] || fail "history runs"
[ "$(sqlite3 "$work/h.sqlite" "select count(distinct campaign) from runs")" -eq 1 ] || fail "shards are not one campaign in the history"
# Links in the merged page reach into the shards' run directories.
for href in $(grep -o 'href="[^"]*"' "$m/report.html" | sed 's/href="//; s/"$//'); do
  [ -f "$m/$href" ] || fail "merged report links to missing $href"
done
# The same seed and plan run whole gives the same cells and seeds as the shards did.
"$pcirig" nightly --plan "$plans/model_quick.yaml" --parallel 2 --out "$work/whole" --history "$work/w.sqlite" > /dev/null 2>&1
[ "$(jq -r '"\(.index) \(.cell) \(.seed)"' "$work"/whole/*/ledger.jsonl | sort -n)" = \
  "$(jq -r '"\(.index) \(.cell) \(.seed)"' "$m/ledger.jsonl" | sort -n)" ] || fail "shards and the whole campaign disagree on cells or seeds"
echo "ok: 3 shards ($n1+$n2+$n3 runs) merged"
