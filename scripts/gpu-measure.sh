#!/usr/bin/env bash
# The GPU measurements that need no load generator, in one go, from inside an unpacked GPU bundle. Run it
# through scripts/gpu-bundle-run.sh, which sets the libraries, the device (cuda:0 with RequireGpu, or --cpu)
# and the working folder; docs/gpu.md has the whole procedure:
#   scripts/gpu-bundle-run.sh --parts /tmp/fo-parts -- bash "$PWD/scripts/gpu-measure.sh" "$OUT"
# Prints every table and writes into RESULTS_DIR machine.txt, check-provider.json, model-latency-<device>.json,
# model-latency-cpu.json and service.txt (the API on that device: provider per model, one real /compare and the
# client-side latency of sequential compares): few files, as a device call brings back at most eight.
# Exits non-zero when any step fails.
set -euo pipefail
results=$(realpath -m "${1:?usage: gpu-measure.sh RESULTS_DIR}")
# shellcheck source=scripts/gpu-lib.sh
source "$(dirname "$0")/gpu-lib.sh"
mkdir -p "$results"
iterations=${GPU_MEASURE_ITERATIONS:-200}

step "machine"
{
  cat BUNDLE.txt
  echo "kernel $(uname -r), $(nproc) CPU cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB memory"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,mig.mode.current,clocks.max.sm --format=csv
    nvidia-smi | grep -m1 'CUDA Version' || true
  else
    echo "no nvidia-smi"
  fi
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  for dir in ${LD_LIBRARY_PATH//:/ }; do ls "$dir" 2>/dev/null | grep -E '^lib(cudart|cublas|cublasLt|curand|cudnn)\.so\.[0-9.]+$' | sed "s|^|  $dir/|" || true; done
} > "$results/machine.txt"
cat "$results/machine.txt"

step "correctness: every photo on $device against the CPU"
Silo/FaceOrleans.Silo check-provider --device "$device" --images faces --json > "$results/check-provider.json"
Silo/FaceOrleans.Silo check-provider --device "$device" --images faces

for on in "$device" cpu; do
  [ "$on" != cpu ] || [ "$device" != cpu ] || [ ! -f "$results/model-latency-cpu.json" ] || continue
  calls=$iterations; [ "$on" = cpu ] && [ "$device" != cpu ] && calls=$(( iterations / 10 > 5 ? iterations / 10 : 5 ))
  step "models alone on $on, batches 1 8 32, $calls calls each"
  name=model-latency-${on/:/}
  Silo/FaceOrleans.Silo model-latency --device "$on" --batches 1 8 32 --iterations "$calls" --warmup 10 --json > "$results/$name.json"
  Silo/FaceOrleans.Silo model-latency --device "$on" --batches 1 8 32 --iterations "$calls" --warmup 10
done

step "the service on $device: start-up, /compare, sequential compares"
start_embedded api
{
  grep -E 'Loaded model|falling back' "$state/api.log" | sed 's/^ *//'
  python3 "$scripts/gpu_compare.py" latency "http://127.0.0.1:$port" "$key"
} | tee "$results/service.txt"
