#!/usr/bin/env bash
# pcirig compare on real guests: the Debian kernel with the crash test module (base,
# crashes right after READY: tests/rig/repro/crash.yaml) against the plain Debian kernel
# (candidate, the module absent: clean). The verdict counts the base's crashes as
# crashes (not as infrastructure failures), names their title and the side, and says
# the candidate fixed it.
set -euo pipefail
pcirig=$1 root=$2
# $tmp, fail() and $tmp/img/image.json: the Debian image plus the crash test module.
source "$root/tests/rig/lib/crashtest_image.sh"

"$pcirig" compare --base "$tmp/img/image.json" --candidate debian --config "$root/tests/rig/repro/crash.yaml" \
  --runs 2 --time 10s --hotplug none --seed 5 --runs-dir "$tmp/runs" --json "$tmp/c.json" | tee "$tmp/out.txt"
jq -e '.base.runs == 2 and .base.crashed == 2 and .base.infra_or_interrupted == 0
  and .candidate.runs == 2 and .candidate.crashed == 0 and .candidate.infra_or_interrupted == 0
  and (.base.titles | keys | length) == 1 and (.base.titles | keys[0] | test("crashtest"))' "$tmp/c.json" >/dev/null ||
  fail "unexpected verdict: $(cat "$tmp/c.json")"
grep -q '^base: crashed 2/2' <(jq -r .sentence "$tmp/c.json") || fail "sentence: $(jq -r .sentence "$tmp/c.json")"
echo "ok: $(jq -r .sentence "$tmp/c.json")"
