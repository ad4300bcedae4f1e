#!/usr/bin/env bash
# Boot a control kernel under the smoke load N times; print time to oops.
#   run-smoke.sh KERNEL_DIR [--runs N] [--timeout S] [--out DIR] [--append ARGS]
#                [--accel tcg|kvm] [--boot vmlinux|bzImage] [--hotplug none|acpi|native]
# --hotplug churns the third virtio function (device_del, wait DEVICE_DELETED,
# device_add, 1 s) over QMP during the load; acpi is q35's default, native turns
# ACPI hot-plug off so pciehp handles the slots. Cycles go to OUT/hotplug-I.log.
# KERNEL_DIR is a build-kernel.sh OUTDIR. Each run's console goes to
# OUT/run-I.log; one result line per run goes to OUT/results.tsv:
#   run  outcome(crash|clean|stalled|qemu-error)  seconds_from_workload_start  host_wall_s
#   loadavg1_start  loadavg1_end  hotplug_cycles  title
# and a summary (runs, crashed, median, max) is printed at the end.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PCIRIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pcirig}
kdir=${1:?usage: run-smoke.sh KERNEL_DIR [--runs N] [--timeout S] [--out DIR] [--append ARGS]}; shift
runs=5; timeout=600; out=; extra=; accel=tcg,thread=single; boot=vmlinux; hotplug=none
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --append) extra=$2; shift 2 ;;
    --accel) accel=$2; shift 2 ;;
    --boot) boot=$2; shift 2 ;;
    --hotplug) hotplug=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$kdir/$boot" ] || { echo "no $kdir/$boot (build it with build-kernel.sh)" >&2; exit 1; }
kname=$(jq -r .name "$kdir/kernel.json" 2>/dev/null || basename "$kdir")
out=${out:-$cache/smoke/$kname-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
initrd=$out/initramfs.cpio.gz   # per run dir: parallel runs, and a replay has it
"$here/make-initramfs.sh" "$initrd"
cp "$kdir/kernel.json" "$out/" 2>/dev/null || true

# A report opens with one of these (syzkaller's Linux report starts, plus list corruption).
report_re='(BUG:|Oops:|general protection fault|kernel BUG at|WARNING:|invalid opcode:|divide error:|stack segment:|PANIC: double fault|Unable to handle kernel|Kernel panic|list_(add|del) corruption|INFO: task .* blocked|watchdog: BUG|rcu: INFO)'
case "$hotplug" in
  none|acpi) hp_args=() ;;
  native) hp_args=(-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off) ;;
  *) echo "--hotplug: none, acpi or native" >&2; exit 2 ;;
esac

# QMP over TCP so plain bash can talk to it (/dev/tcp). Wait for EVENT on fd 3.
qmp_wait() {  # REGEX TIMEOUT_S
  local line end=$((SECONDS + $2))
  while [ $SECONDS -lt $end ]; do
    IFS= read -r -t 1 line <&3 || { kill -0 "$qpid" 2>/dev/null || return 1; continue; }
    printf '%s\n' "$line" >> "$hplog"
    [[ "$line" =~ $1 ]] && return 0
  done
  return 1
}
churn() {  # hot-unplug and re-plug n3 until QEMU goes away
  local port=$1 n=0
  # QEMU may not listen yet: retry quietly for 10 s.
  for _ in $(seq 50); do { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null && break; sleep 0.2; done
  qmp_wait '"QMP"' 10 || return 0
  echo '{"execute":"qmp_capabilities"}' >&3; qmp_wait '"return"' 10 || return 0
  # Hot-plug during boot can be lost: start when the workload has started.
  until grep -aq 'pcirig-smoke: workload started' "$con"; do kill -0 "$qpid" 2>/dev/null || return 0; sleep 0.5; done
  while kill -0 "$qpid" 2>/dev/null; do
    echo '{"execute":"device_del","arguments":{"id":"n3"}}' >&3
    qmp_wait '"event": *"DEVICE_DELETED".*"device": *"n3"' 30 || { echo "# no DEVICE_DELETED for n3 in 30 s" >> "$hplog"; return 0; }
    echo '{"execute":"device_add","arguments":{"driver":"virtio-net-pci","id":"n3","bus":"rp3"}}' >&3
    qmp_wait '"return"|"error"' 10 || return 0
    n=$((n + 1)); echo "# cycle $n at $SECONDS s" >> "$hplog"
    sleep 1
  done
}

guest_ts() { sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p' | head -n1; }

printf 'run\toutcome\tseconds\thost_wall_s\tload_start\tload_end\thotplug_cycles\ttitle\n' > "$out/results.tsv"
for ((i = 1; i <= runs; i++)); do
  con=$out/run-$i.log
  qmp_port=
  [ "$hotplug" != none ] && qmp_port=$((20000 + ($$ * 7 + i) % 20000))
  load0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  # -no-reboot + panic=-1: the guest's panic ends QEMU, so QEMU's exit marks the crash.
  qemu-system-x86_64 -machine q35 -accel "$accel" -smp 2 -m 1G \
    -kernel "$kdir/$boot" -initrd "$initrd" \
    -append "console=ttyS0 panic_on_warn=1 oops=panic panic=-1 $extra" \
    -no-reboot -display none -monitor none -serial "file:$con" -nic none \
    -device pcie-root-port,id=rp1,chassis=1,slot=1 -device virtio-net-pci,bus=rp1 \
    -device pcie-root-port,id=rp2,chassis=2,slot=2 -device virtio-net-pci,bus=rp2 \
    -device pcie-root-port,id=rp3,chassis=3,slot=3 -device virtio-net-pci,bus=rp3,id=n3 \
    ${hp_args[@]+"${hp_args[@]}"} ${qmp_port:+-qmp tcp:127.0.0.1:$qmp_port,server=on,wait=off} \
    > "$out/qemu-$i.err" 2>&1 &
  qpid=$!
  cpid=
  if [ "$hotplug" != none ]; then
    hplog=$out/hotplug-$i.log; : > "$hplog"
    churn "$qmp_port" & cpid=$!
  fi
  outcome=clean
  while kill -0 "$qpid" 2>/dev/null; do
    now=$(date +%s.%N)
    if (( $(echo "$now - $t0 > $timeout" | bc) )); then
      kill "$qpid"; wait "$qpid" 2>/dev/null || true; break
    fi
    sleep 0.5
  done
  wait "$qpid" 2>/dev/null && qrc=0 || qrc=$?
  if [ -n "$cpid" ]; then wait "$cpid" 2>/dev/null || true; fi
  cycles=-; [ "$hotplug" != none ] && cycles=$(grep -c '^# cycle' "$hplog" || true)
  t1=$(date +%s.%N)
  load1=$(cut -d' ' -f1 /proc/loadavg)
  wall=$(printf '%.1f' "$(echo "$t1 - $t0" | bc)")
  first=$(grep -aEm1 "$report_re" "$con" || true)
  start=$(grep -a 'pcirig-smoke: workload started' "$con" | guest_ts || true)
  secs=-
  if [ -n "$first" ]; then
    outcome=crash
    at=$(printf '%s\n' "$first" | guest_ts)
    [ -n "$start" ] && [ -n "$at" ] && secs=$(printf '%.1f' "$(echo "$at - $start" | bc)")
  elif ! grep -aq 'pcirig-smoke: alive' "$con"; then
    outcome=qemu-error   # no report and never alive: boot or QEMU failure
  else
    # Clean only if the heartbeat kept coming: a silent hang is not a pass.
    last=$(grep -ao 'pcirig-smoke: alive [0-9]*s' "$con" | tail -n1 | tr -dc 0-9)
    if (( $(echo "$wall - $last > 90" | bc) )); then
      outcome=stalled; secs=$last
    fi
  fi
  # Title: the report's first line, addresses folded, plus the first reliable
  # call-trace frame (the console's \r and timestamps dropped).
  title=
  if [ -n "$first" ]; then
    func=$(tr -d '\r' < "$con" | sed 's/^\[ *[0-9.]*\] *//' | awk '/^Call Trace:/ { t = 1; next }
      t && /^[A-Za-z_][A-Za-z0-9_.]*\+0x/ { sub(/\+0x.*/, ""); print; exit }')
    title=$(printf '%s' "$first" | tr -d '\r' | sed -E 's/^\[ *[0-9.]*\] *//; s/(0x)?[0-9a-f]{6,}/ADDR/g' | cut -c1-100)
    [ -n "$func" ] && title="$title in $func"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$outcome" "$secs" "$wall" "$load0" "$load1" "$cycles" "$title" >> "$out/results.tsv"
  printf '[smoke] %s run %d: %s after %s s (host %s s, load %s->%s, hot-plug cycles %s) %s\n' "$kname" "$i" "$outcome" "$secs" "$wall" "$load0" "$load1" "$cycles" "$title" >&2
done

# Summary over the crashed runs' times (median of the sorted list).
n=$(($(wc -l < "$out/results.tsv") - 1))
times=$(awk -F'\t' 'NR > 1 && $2 == "crash" && $3 != "-" { print $3 }' "$out/results.tsv" | sort -n)
c=$(awk -F'\t' 'NR > 1 && $2 == "crash"' "$out/results.tsv" | wc -l)
med=-; max=-
if [ -n "$times" ]; then
  k=$(printf '%s\n' "$times" | wc -l)
  med=$(printf '%s\n' "$times" | awk -v k="$k" '{ v[NR] = $1 } END { print (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }')
  max=$(printf '%s\n' "$times" | tail -n1)
fi
echo "kernel=$kname runs=$n crashed=$c median_s=$med max_s=$max" | tee "$out/summary.txt"
echo "logs: $out" >&2
