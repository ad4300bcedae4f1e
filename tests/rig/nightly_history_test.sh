#!/usr/bin/env bash
# Two campaigns writing one history database at once both succeed (WAL, busy timeout),
# and `pcirig history` shows the titles with both campaigns' runs counted.
set -u
pcirig=$1 plans=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$pcirig" nightly --plan "$plans/model_quick.yaml" --seed 1 --parallel 2 --out "$work/a" --history "$work/h.sqlite" > "$work/a.log" 2>&1 &
a=$!
"$pcirig" nightly --plan "$plans/model_quick.yaml" --seed 2 --parallel 2 --out "$work/b" --history "$work/h.sqlite" > "$work/b.log" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
cat "$work/a.log" "$work/b.log"
[ $ra -eq 1 ] && [ $rb -eq 1 ] || fail "exit codes $ra $rb (want 1 1: v4.10 reports)"
[ "$(sqlite3 "$work/h.sqlite" "select count(*) from campaigns")" -eq 2 ] || fail "campaigns: $(sqlite3 "$work/h.sqlite" "select * from campaigns")"
[ "$(sqlite3 "$work/h.sqlite" "select count(*) from runs")" -eq 16 ] || fail "runs: $(sqlite3 "$work/h.sqlite" "select count(*) from runs")"
[ "$(sqlite3 "$work/h.sqlite" "pragma journal_mode")" = wal ] || fail "not WAL"
crashes=$(sqlite3 "$work/h.sqlite" "select count(*) from crashes")
counted=$(sqlite3 "$work/h.sqlite" "select sum(count) from titles")
[ "$crashes" -ge 2 ] && [ "$crashes" -eq "$counted" ] || fail "crashes $crashes, titles count $counted"
# A title is new in exactly one campaign: the one that saw it first.
news=$(cat "$work"/a/*/report.json "$work"/b/*/report.json | jq -s '[.[].crashes[] | select(.new)] | length')
titles=$(sqlite3 "$work/h.sqlite" "select count(*) from titles")
[ "$news" -eq "$titles" ] || fail "$news titles flagged new across both campaigns, $titles titles"
"$pcirig" history --history "$work/h.sqlite" | tee "$work/history.txt"
grep -q "seen $counted time" "$work/history.txt" || [ "$titles" -gt 1 ] || fail "history count"
grep -q "kernels: model v4.10" "$work/history.txt" || fail "history lacks the kernels line"
echo "ok: two campaigns at once, $crashes crashes in $titles title(s)"
