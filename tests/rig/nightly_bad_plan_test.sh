#!/usr/bin/env bash
# pcirig nightly refuses a plan naming a missing kernel or variant before anything starts:
# exit 2, file:line:column and the name, no campaign directory, no QEMU.
set -u
pcirig=$1 plans=$2
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
check() {  # PLAN EXPECTED-SUBSTRING
  out=$("$pcirig" nightly --plan "$plans/$1" --out "$out_dir" --history "$out_dir/h.sqlite" 2>&1); rc=$?
  if [ $rc -ne 2 ]; then echo "FAIL $1: exit $rc (want 2): $out"; exit 1; fi
  case "$out" in *"$2"*) echo "ok $1: $out" ;; *) echo "FAIL $1: '$out' lacks '$2'"; exit 1 ;; esac
  if [ -n "$(ls -A "$out_dir")" ]; then echo "FAIL $1: something was made: $(ls "$out_dir")"; exit 1; fi
}
check missing_kernel.yaml "missing_kernel.yaml:4:23: key 'vm.kernels': kernel 'linux-9.9-nosuch': not built"
check missing_variant.yaml "missing_variant.yaml:4:16: key 'model.variants': no variant 'v4.11-nosuch'"
out=$("$pcirig" nightly --plan "$plans/model_quick.yaml" --shard 3/2 --out "$out_dir" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"--shard '3/2': need 1 <= I <= N"* ]] || { echo "FAIL bad shard: $rc $out"; exit 1; }
echo "ok bad shard: $out"
