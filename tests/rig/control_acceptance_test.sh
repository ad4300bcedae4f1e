#!/usr/bin/env bash
# Acceptance test of the VM half (label `control`, `ctest --preset control`; not in CI:
# it needs the control kernels, about 15 minutes to build once, and up to 40 minutes).
# The shipped reset-heavy config must crash the regression kernel in the pci_cfg_wait
# wake-up path in every run, within the issue's 10 minutes, and leave fixed clean.
#   control_acceptance_test.sh PCIRIG_BINARY REPO_ROOT [RUNS] [FIXED_TIME]
set -euo pipefail
pcirig=${1:?pcirig binary}; root=${2:?repo root}; runs=${3:-3}; fixed=${4:-5m}
export PCIRIG_ROOT=$root
for k in fixed regression; do "$root/guest-images/build.sh" --kernel "$k" --if-needed >&2; done
work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-control-XXXXXX")
keep=0
trap '[ "$keep" = 1 ] && echo "runs kept in $work" >&2 || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; keep=1; exit 1; }

"$pcirig" bench control --config reset-heavy --runs "$runs" --crash-limit 10m --fixed-time "$fixed" \
  --seed "$(date +%s)" --runs-dir "$work/runs" --json "$work/bench.json" || fail "bench control exited $?"
j=$work/bench.json
crashed=$(jq '.regression.crashed' "$j")
[ "$crashed" = "$runs" ] || fail "regression crashed in $crashed of $runs runs"
# Every title in the wake-up path (a stale entry's func may also land in the scheduler).
bad=$(jq -r '.regression.titles[]' "$j" | grep -Ev '__wake_up_common|finish_task_switch' || true)
[ -z "$bad" ] || fail "a title outside the wake-up path: $bad"
for d in "$work"/runs/*-control-regression; do
  grep -q pci_cfg_access_unlock "$d/console.log" || fail "$d: no pci_cfg_access_unlock in the trace"
done
[ "$(jq '.fixed.crashes' "$j")" = 0 ] || fail "fixed crashed: $(jq -c '.fixed.titles' "$j")"
echo "regression: $crashed/$runs crashed, median $(jq '.regression.median_seconds_to_crash' "$j") s," \
  "max $(jq '.regression.max_seconds_to_crash' "$j") s; fixed: $(jq '.fixed.seconds' "$j") s clean"
