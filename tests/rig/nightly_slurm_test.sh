#!/usr/bin/env bash
# The nightly campaign on Slurm: a one-node slurmctld + slurmd on this host (their own
# config, ports and spool in a temp dir), `sbatch --array=1-2` running two shards of a
# model-only plan through rig/slurm/nightly.sbatch, then `nightly merge` of the shards.
set -u
pcirig=$1 plans=$2 root=$3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: slurmd and munged need root here"; exit 77; }
for c in slurmctld slurmd sbatch munged; do command -v $c > /dev/null || { echo "FAIL: $c missing (slurm-wlm, munge)"; exit 1; }; done
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done; sleep 1; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "== $f"; tail -5 "$f"; done; exit 1; }
# munge: its own socket, so a munged the host runs (or none) does not matter.
sock=$work/munge.socket
munged --force --socket="$sock" --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge.seed" \
  || fail "munged did not start"
pids+=("$(cat "$work/munged.pid")")
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=pcirigtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -f "$SLURM_CONF" > "$work/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/slurmd.out.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do sinfo -h -o %t 2> /dev/null | grep -qx idle && break; sleep 0.5; done
sinfo -h -o %t | grep -qx idle || fail "the node is not idle: $(sinfo 2>&1)"
out=$work/campaign
mkdir -p "$out"
cd "$work"
PCIRIG_SEED=42 PCIRIG_BIN=$pcirig PCIRIG_ROOT=$root sbatch --wait --array=1-2 --export=ALL \
  "$root/rig/slurm/nightly.sbatch" "$plans/model_quick.yaml" "$out" --parallel 1 > "$work/sbatch.log" 2>&1 \
  || fail "sbatch: $(cat "$work/sbatch.log"; cat "$work"/pcirig-nightly-*.out 2> /dev/null | tail -20)"
cat "$work/sbatch.log"
ls "$work"/pcirig-nightly-*.out > /dev/null || fail "no job output"
"$pcirig" nightly merge "$out"/shard-*/nightly-* --out "$out/merged" --history "$out/history.sqlite" | tee "$work/merge.log"
[ "$(jq -r .index "$out/merged/ledger.jsonl" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 " ] || fail "merged runs: $(jq -r .index "$out/merged/ledger.jsonl" | tr '\n' ' ')"
[ "$(jq -r .campaign "$out/merged/report.json")" = "slurm-$(grep -o '[0-9]*' "$work/sbatch.log" | head -1)" ] || fail "campaign id $(jq -r .campaign "$out/merged/report.json")"
echo "ok: 2 Slurm array tasks, 8 runs merged"
