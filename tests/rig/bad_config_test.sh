#!/usr/bin/env bash
# pcirig stress with a bad config must exit 2 before starting QEMU and name file:line:column + key.
set -u
pcirig=$1 dir=$2
check() {  # FILE EXPECTED-SUBSTRING
  out=$("$pcirig" stress --config "$dir/$1" --kernel /nonexistent/image.json 2>&1); rc=$?
  if [ $rc -ne 2 ]; then echo "FAIL $1: exit $rc (want 2): $out"; exit 1; fi
  case "$out" in *"$2"*) echo "ok $1: $out" ;; *) echo "FAIL $1: '$out' lacks '$2'"; exit 1 ;; esac
  if pgrep -f "qemu-system-x86_64.*$dir" >/dev/null; then echo "FAIL $1: QEMU was started"; exit 1; fi
}
check two_in_one_slot.yaml "two_in_one_slot.yaml:9:33: key 'devices.bus': port 'rp1' already holds 'a'"
check unknown_key.yaml "unknown_key.yaml:3:3: key 'machine.memroy_mb': unknown key"
