#!/usr/bin/env bash
# pcirig nightly reads <repo>/corpora/known-reports.yaml before anything starts: a broken
# list is refused with file:line:column and the key (exit 2, no campaign directory); the
# repo's own list is accepted. The repo here is a copy pointing at the real rig/.
set -u
pcirig=$1 plans=$2
src=${PCIRIG_ROOT:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/corpora" "$work/out"
ln -s "$src/rig" "$work/root/rig"
fail() { echo "FAIL: $*"; exit 1; }
check() {  # YAML EXPECTED-SUBSTRING
  printf '%s' "$1" > "$work/root/corpora/known-reports.yaml"
  out=$(PCIRIG_ROOT="$work/root" "$pcirig" nightly --plan "$plans/model_quick.yaml" --out "$work/out" \
        --history "$work/out/h.sqlite" 2>&1); rc=$?
  [ $rc -eq 2 ] || fail "exit $rc (want 2): $out"
  [[ "$out" == *"$2"* ]] || fail "'$out' lacks '$2'"
  [ -z "$(ls -A "$work/out")" ] || fail "something was made: $(ls "$work/out")"
  echo "ok: $out"
}
entry='- id: a
  releases: ["6.1.*"]
  why: w
  evidence: e
'
check "$entry  title: 'BUG: (unclosed'
" "corpora/known-reports.yaml:5:10: key 'a.title': 'BUG: (unclosed' is not an ECMAScript regex"
check "$entry  title: x
  state: fixed
" "corpora/known-reports.yaml:6:3: key 'a.state': unknown key"
check "$entry" "corpora/known-reports.yaml:1:3: key 'a.title': missing (required)"
# The shipped list: the campaign runs (model cells only; their runs are never marked).
cp "$src/corpora/known-reports.yaml" "$work/root/corpora/"
PCIRIG_ROOT="$work/root" "$pcirig" nightly --plan "$plans/model_quick.yaml" --out "$work/out" \
  --history "$work/out/h.sqlite" > "$work/log" 2>&1
rc=$?
[ $rc -le 1 ] || fail "the shipped list: exit $rc: $(tail -5 "$work/log")"
[ -n "$(ls "$work"/out/nightly-*/ledger.jsonl 2>/dev/null)" ] || fail "the shipped list: no campaign ran"
echo "ok: the shipped list is accepted (exit $rc)"
