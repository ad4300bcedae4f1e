#!/usr/bin/env bash
# Captures real kernel reports for the console parser's golden tests: boots
# the guest once per KIND with the crash test module, triggers KIND from
# /init (pcirig.crashtest=KIND) and saves the raw serial console to
# tests/rig/golden/raw/KIND.log.
#   guest-images/capture-golden.sh [--kernel debian|CONTROL] [--out DIR] [KIND...]
# --kernel: debian (default), or a control kernel with loadable modules, i.e.
#   the crashtest flavour: fixed-lockdep+crashtest for the lockdep kinds.
# KIND (debian): bug warn list_add list_del null_deref paging gpf hung_task
#   soft_lockup rcu_stall
# KIND (fixed-lockdep+crashtest): lock_order recursive_lock lock_held
#   double_unlock held_lock_freed rcu_suspicious inconsistent_lock
#   sleep_atomic sched_atomic kfence ubsan wq_lockup
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
export PCIRIG_CACHE="${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}"
source "$here/lib/common.sh"
source "$here/lib/initramfs.sh"

debian_kinds=(bug warn list_add list_del null_deref paging gpf hung_task soft_lockup rcu_stall)
control_kinds=(lock_order recursive_lock lock_held double_unlock held_lock_freed rcu_suspicious
  inconsistent_lock sleep_atomic sched_atomic kfence ubsan wq_lockup)
all_kinds=("${debian_kinds[@]}" "${control_kinds[@]}")
out="$root/tests/rig/golden/raw"
kernel=debian
kinds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --kernel) kernel=${2:?--kernel needs debian or a control kernel name}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1'" ;;
    *) [[ " ${all_kinds[*]} " == *" $1 "* ]] || die "unknown kind '$1' (${all_kinds[*]})"; kinds+=("$1"); shift ;;
  esac
done
if [ ${#kinds[@]} -eq 0 ]; then
  if [ "$kernel" = debian ]; then kinds=("${debian_kinds[@]}"); else kinds=("${control_kinds[@]}"); fi
fi

"$here/build.sh" --kernel "$kernel" --if-needed
image="$PCIRIG_CACHE/images/$kernel"
if [ "$kernel" = debian ]; then
  ko=$("$here/testmod/build.sh")
else
  ko=$("$here/testmod/build.sh" --control "$PCIRIG_CACHE/kernels/$kernel")
fi

# The image's initramfs plus a second cpio with the module: the kernel
# unpacks concatenated archives in order, so the image itself stays as built.
work=$(mktemp -d "${TMPDIR:-/tmp}/pcirig-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/overlay/lib/modules/pcirig"
cp "$ko" "$work/overlay/lib/modules/pcirig/"
pack_cpio "$work/overlay" "$work/overlay.cpio.gz"
cat "$image/initramfs.cpio.gz" "$work/overlay.cpio.gz" >"$work/initramfs.cpio.gz"
mkdir -p "$out"

# What the rig passes (panic on any report, no reboot) plus short detector
# thresholds so the hang kinds end in seconds, not minutes.
# Each hang kind gets only its own detector tuned: a spinning CPU also stalls
# RCU, and the faster detector would otherwise report first.
append="console=ttyS0 panic_on_warn=1 oops=panic panic=-1 softlockup_panic=1 hung_task_panic=1"
extra_append() {
  case "$1" in
    hung_task) echo "sysctl.kernel.hung_task_timeout_secs=3" ;;
    soft_lockup) echo "watchdog_thresh=1" ;;
    rcu_stall) echo "rcupdate.rcu_cpu_stall_timeout=3 sysctl.kernel.panic_on_rcu_stall=1" ;;
    kfence) echo "kfence.sample_interval=10" ;;
    wq_lockup) echo "workqueue.watchdog_thresh=2" ;;
  esac
}
failed=0
for kind in "${kinds[@]}"; do
  log="$out/$kind.log"
  start=$(date +%s)
  # The agent channel exists as in a rig run; nobody connects to it.
  timeout 180 qemu-system-x86_64 -machine q35 -accel tcg -smp 2 -m 1024 \
    -display none -vga none -nic none -no-reboot -monitor none \
    -kernel "$image/vmlinux" -initrd "$work/initramfs.cpio.gz" \
    -append "$append $(extra_append "$kind") pcirig.crashtest=$kind" \
    -serial "file:$work/$kind.console" \
    -device virtio-serial-pci -chardev "socket,id=agent,path=$work/agent.sock,server=on,wait=off" \
    -device virtserialport,chardev=agent,name=pcirig.0 >"$work/qemu.log" 2>&1 || true
  # Serial output may end in a partial line or carriage returns; keep it raw
  # apart from the CRs the 8250 console adds.
  tr -d '\r' <"$work/$kind.console" >"$log"
  if grep -q "Kernel panic - not syncing" "$log"; then
    log "$kind: $(grep -m1 'Kernel panic - not syncing' "$log" | sed 's/^\[[^]]*\] //') ($(( $(date +%s) - start )) s, $(wc -l <"$log") lines)"
  else
    log "$kind: no panic in the console (see $log; qemu: $(tail -2 "$work/qemu.log" | tr '\n' ' '))"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] || die "$failed kind(s) did not end in a panic"
