#!/usr/bin/env bash
# pcirig-model check: one verdict on a variant. v4.10 (the 2019 race) must give a
# report with its minimised input, timeline and title, and the saved input must
# replay to the same title; v5.9 (the access.c fix) must give "no report" with the
# counts of random, PCT and DFS work, on the access.c scenarios.
#   check_test.sh PCIRIG_MODEL
set -uo pipefail
model=${1:?usage: check_test.sh PCIRIG_MODEL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# --access-only: in the topology scenarios v4.10's base (v5.9's pci_dev_lock
# order) deadlocks against sriov_numvfs (a91ee0e9fca9) before the 2019 race
out=$("$model" check -v v4.10 --access-only --time 4 --bound 1 --save "$tmp/v4.10.pcirig" 2>&1); rc=$?
title=$(sed -n 's/^REPORT ([^)]*): \(.*\)$/\1/p' <<<"$out")
if [ $rc = 1 ] && [[ $title == use-after-return:* ]] && grep -q '^minimised: [0-9]* -> [0-9]* bytes' <<<"$out" &&
   grep -q '\[ report \]' <<<"$out"; then
  pass "v4.10: report, minimised, with its timeline ($title)"
else
  fail "v4.10: rc=$rc: $(tail -5 <<<"$out")"
fi
replay=$("$model" repro -q "$tmp/v4.10.pcirig" 2>&1)
[ "$replay" = "$title" ] && pass "the saved input replays to the same title" || fail "replay: '$replay' vs '$title'"

out=$("$model" check -v v5.9 --access-only --time 4s --bound 1 2>&1); rc=$?
if [ $rc = 0 ] && grep -Eq '^no report: [1-9][0-9]* random runs, [1-9][0-9]* PCT runs, DFS bound 1 explored [1-9][0-9]* schedules$' <<<"$out"; then
  pass "v5.9 access-only: $(grep '^no report' <<<"$out")"
else
  fail "v5.9: rc=$rc: $(tail -5 <<<"$out")"
fi

out=$("$model" check -v v9.99 --time 1 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"unknown variant 'v9.99'"* ]] && pass "unknown variant refused" || fail "v9.99: rc=$rc $out"
out=$("$model" check -v v5.9 --time 5x 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"--time"* ]] && pass "bad --time refused" || fail "--time 5x: rc=$rc $out"

echo "$failures failure(s)"
[ "$failures" = 0 ]
