#!/usr/bin/env bash
# Summarise smoke runs in the shape of `pcirig bench control --json`:
#   bench-json.sh REGRESSION_OUT FIXED_OUT [FILE]     (run-smoke.sh --out dirs)
# {"regression":{"runs","crashed","median_seconds_to_crash","max_seconds_to_crash","titles"},
#  "fixed":{"runs","seconds","crashes"}} plus "source":"smoke" to tell it from the rig's.
set -euo pipefail
reg=${1:?usage: bench-json.sh REGRESSION_OUT FIXED_OUT [FILE]}; fix=${2:?}; file=${3:-/dev/stdout}
tsv2json() {  # results.tsv -> JSON array of rows
  jq -R -s 'split("\n") | map(select(length > 0) | split("\t")) | .[1:]
    | map({outcome: .[1], seconds: (.[2] | tonumber? // null), wall: (.[3] | tonumber),
           load_start: (.[4] | tonumber), load_end: (.[5] | tonumber), title: (.[7] | gsub("\r"; ""))})' "$1"
}
jq -n --argjson r "$(tsv2json "$reg/results.tsv")" --argjson f "$(tsv2json "$fix/results.tsv")" '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
              else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  ($r | map(select(.outcome == "crash"))) as $c |
  {source: "smoke",
   regression: {runs: ($r | length), crashed: ($c | length),
     median_seconds_to_crash: ($c | map(.seconds) | median),
     max_seconds_to_crash: ($c | map(.seconds) | max),
     titles: ($c | map(.title) | unique),
     host_load: ($r | map(.load_end))},
   fixed: {runs: ($f | length), seconds: ($f | map(.wall) | add),
     crashes: ($f | map(select(.outcome != "clean")) | length),
     host_load: ($f | map(.load_end))}}' > "$file"
