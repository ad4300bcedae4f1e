#!/usr/bin/env bash
# pcirig repro on a real crash (guest): a run on the Debian kernel with the crash test
# module crashes at boot (tests/rig/repro/crash.yaml); repro brings it back in every
# attempt with the exact-title rule, and --minimize drops the slot, the worker and the
# device and saves the bundle of a run that reproduced it; that bundle with another crash kind
# in its config is reported as a different crash (exit 1), never as reproduced; the
# run's own bundle, moved elsewhere with the run and the image gone and an empty
# PCIRIG_CACHE, replays from its own kernel files and builds nothing.
set -euo pipefail
pcirig=$1 root=$2
# $tmp, fail() and $tmp/img/image.json: the Debian image plus the crash test module.
source "$root/tests/rig/lib/crashtest_image.sh"

# 1. The original crash, its bundle with the kernel files.
set +e
"$pcirig" stress --config "$root/tests/rig/repro/crash.yaml" --kernel "$tmp/img/image.json" --seed 11 \
  --runs-dir "$tmp/runs" --with-kernel >"$tmp/stress.out" 2>&1
rc=$?
set -e
cat "$tmp/stress.out"
[ $rc -eq 1 ] || fail "the crashing run exited $rc, not 1"
run=$(ls -d "$tmp"/runs/*/ | head -1)
title=$(jq -r .crash.title "$run/result.json")
[ -f "$run/bundle/bundle.json" ] || fail "no bundle in $run"
for f in config.yaml seed journal.jsonl workload.json image.json qemu.cmdline console.txt kernel/vmlinux kernel/initramfs.cpio.gz; do
  [ -s "$run/bundle/$f" ] || fail "the bundle lacks $f"
done
grep -qF "$(jq -r .crash.function "$run/result.json")" "$run/bundle/console.txt" || fail "console.txt lacks the report"

# 2. Two attempts from the run directory, then minimised (one attempt a step).
set +e
"$pcirig" repro "$run" --attempts 2 --time-limit 60s --runs-dir "$tmp/rr" --json "$tmp/r1.json" --minimize --minimize-attempts 1
rc=$?
set -e
[ $rc -eq 0 ] || fail "repro of the run exited $rc, not 0"
jq -e --arg t "$title" '.attempts == 2 and .reproduced == 2 and .rate == 1 and .infra_failures == 0
  and ([.per_attempt[] | select(.rule == "exact-title" and .title == $t and (.seconds_to_crash | type) == "number")] | length) == 2' \
  "$tmp/r1.json" >/dev/null || fail "unexpected verdict: $(cat "$tmp/r1.json")"
jq -e '.minimize.original.slots == 1 and .minimize.original.workers == 1 and .minimize.original.devices == 1
  and .minimize.minimized.slots == 0 and .minimize.minimized.workers == 0 and .minimize.minimized.devices == 0
  and (.minimize.steps | length) >= 3' "$tmp/r1.json" >/dev/null ||
  fail "unexpected minimisation: $(jq .minimize "$tmp/r1.json")"
min="$run/bundle-min"
[ -f "$min/bundle.json" ] || fail "no minimised bundle at $min"
grep -q 'crashtest=null_deref' "$min/config.yaml" || fail "the minimised config lost the trigger"
# Each kept step was a reproducing run of the smaller reproducer; the bundle is the last one's.
jq -e '.readers == 0 and .resetters == 0' "$min/workload.json" >/dev/null || fail "the minimised bundle's workload: $(cat "$min/workload.json")"

# 3. Another crash kind in the minimised bundle's config: a different crash, exit 1.
cp -r "$min" "$tmp/b2"
sed -i 's/pcirig.crashtest=null_deref/pcirig.crashtest=warn/' "$tmp/b2/config.yaml"
grep -q 'crashtest=warn' "$tmp/b2/config.yaml" || fail "could not edit $tmp/b2/config.yaml"
set +e
"$pcirig" repro "$tmp/b2" --attempts 1 --time-limit 30s --runs-dir "$tmp/rr" --json "$tmp/r3.json"
rc=$?
set -e
[ $rc -eq 1 ] || fail "repro with another crash exited $rc, not 1"
jq -e '.reproduced == 0 and .attempts == 1 and .per_attempt[0].rule == "different-crash" and (.other_titles | length) == 1' \
  "$tmp/r3.json" >/dev/null || fail "unexpected verdict: $(cat "$tmp/r3.json")"

# 4. The bundle moved away; the image and the run gone; an empty cache.
mkdir -p "$tmp/elsewhere" "$tmp/empty-cache"
mv "$run/bundle" "$tmp/elsewhere/b"
rm -rf "$tmp/img" "$tmp/runs"
set +e
PCIRIG_CACHE="$tmp/empty-cache" "$pcirig" repro "$tmp/elsewhere/b" --attempts 1 --time-limit 30s --runs-dir "$tmp/rr" --json "$tmp/r2.json"
rc=$?
set -e
[ $rc -eq 0 ] || fail "repro of the moved bundle exited $rc, not 0"
jq -e '.reproduced == 1 and .kernel.from == "bundle" and .kernel.exact and .source_kind == "bundle"' "$tmp/r2.json" >/dev/null ||
  fail "unexpected verdict: $(cat "$tmp/r2.json")"
[ -z "$(find "$tmp/empty-cache" -mindepth 1 -print -quit)" ] || fail "the empty cache got: $(find "$tmp/empty-cache" -mindepth 1)"

echo "repro guest test: ok"
