#!/usr/bin/env bash
# Micro-batching measured, not assumed: the embedded service on the bundle's device (cuda:0, or the CPU with
# gpu-bundle-run.sh --cpu) loaded from this machine's own cores at several concurrencies, once per batch setting:
# the defaults, no micro-batching (MaxBatchSize=1) and a larger batch with a longer wait. Each level runs the shared
# pairs once through POST /v1/attendance/compare; the table gives compares/s, images/s (each image detected and its
# face embedded), p50/p95/p99, failures by status, and the mean inputs per model call that /metrics reports for
# that level alone. Run it through scripts/gpu-bundle-run.sh (docs/gpu.md):
#   scripts/gpu-bundle-run.sh --parts /tmp/fo-parts -- bash "$PWD/scripts/gpu-load.sh" "$OUT"
# Environment: GPU_LOAD_LEVELS (default 1,8,32,64), GPU_LOAD_PAIRS (default: all 520), GPU_LOAD_SETTINGS
# (';'-separated argument lists, one service per entry; an empty entry is the defaults).
set -euo pipefail
results=$(realpath -m "${1:?usage: gpu-load.sh RESULTS_DIR}")
# shellcheck source=scripts/gpu-lib.sh
source "$(dirname "$0")/gpu-lib.sh"
mkdir -p "$results"
levels=${GPU_LOAD_LEVELS:-1,8,32,64}
pairs=()
[ -z "${GPU_LOAD_PAIRS:-}" ] || pairs=(--pairs "$GPU_LOAD_PAIRS")
IFS=';' read -r -a settings <<< "${GPU_LOAD_SETTINGS:-;--FaceOrleans:Slice:MaxBatchSize=1;--FaceOrleans:Slice:MaxBatchSize=32 --FaceOrleans:Slice:MaxBatchWaitMs=5}"

for setting in "${settings[@]}"; do
  # shellcheck disable=SC2206
  arguments=($setting)
  step "load on $device with ${setting:-the default batch settings}"
  start_embedded api "${arguments[@]}"
  {
    echo "### $device, ${setting:-default batch settings (MaxBatchSize=8, MaxBatchWaitMs=2)}"
    echo
    load "http://127.0.0.1:$port" "$key" attendance "$levels" "${pairs[@]}" "${arguments[@]}"
    echo
  } | tee -a "$results/load.txt"
  stop_all
done
