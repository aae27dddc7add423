#!/usr/bin/env bash
# Three slices on one GPU, each a silo process whose ONNX Runtime CUDA arena is capped (gpu_mem_limit) in place of
# a MIG instance (never reconfigure MIG or clocks on a lent GPU), with Redis membership and one API in front,
# as docs/gpu.md describes. Measures, side by side in one run:
#   1. quiet: access and analytics loaded together at a low concurrency;
#   2. noisy neighbour: the same while attendance is loaded to saturation; access's and analytics's p95 and
#      failures should not move, and nvidia-smi shows each silo under its own cap;
#   3. a slice at its cap: analytics's silo restarted with a cap too small for its batches, loaded hard: its
#      requests should be refused as problems (503), never 500, while attendance and access keep answering.
# Run it through scripts/gpu-bundle-run.sh (on --cpu the caps do not apply, so phase 3 only rehearses the run):
#   scripts/gpu-bundle-run.sh --parts /tmp/fo-parts -- bash "$PWD/scripts/gpu-slices.sh" "$OUT"
# Environment: SLICE_CAP_MB (default 4096), TIGHT_CAP_MB (default 64), SLICES_PAIRS (default 200),
# QUIET_LEVEL (default 4), NOISY_LEVEL (default 64).
set -euo pipefail
results=$(realpath -m "${1:?usage: gpu-slices.sh RESULTS_DIR}")
# shellcheck source=scripts/gpu-lib.sh
source "$(dirname "$0")/gpu-lib.sh"
mkdir -p "$results"
cap=${SLICE_CAP_MB:-4096}
tight=${TIGHT_CAP_MB:-64}
pairs=${SLICES_PAIRS:-200}
quiet=${QUIET_LEVEL:-4}
noisy=${NOISY_LEVEL:-64}
out="$results/slices.txt"
: > "$out"

read -r redis_port api_port <<< "$(free_ports 2)"
key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
# Redis mode starts only with the master key every silo shares (docs/data-protection.md).
master_key=$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
cluster=(--FaceOrleans:Cluster:Mode=Redis "--FaceOrleans:Cluster:Redis=127.0.0.1:$redis_port" "--FaceOrleans:Protection:MasterKey=$master_key"
  --FaceOrleans:Placement:RefuseUnknownTenants=true --FaceOrleans:Placement:DefaultSlice=
  --FaceOrleans:Placement:Pins:attendance=s1 --FaceOrleans:Placement:Pins:access=s2 --FaceOrleans:Placement:Pins:analytics=s3)
declare -A tenant_of=([s1]=attendance [s2]=access [s3]=analytics) ports_of=() silo_pid=()

silo() { # silo SLICE CAP_MB [ARGS...]
  local slice=$1 cap_mb=$2; shift 2
  [ -n "${ports_of[$slice]:-}" ] || ports_of[$slice]=$(free_ports 2)
  local silo_port gateway_port; read -r silo_port gateway_port <<< "${ports_of[$slice]}"
  launch "silo-$slice" Silo/FaceOrleans.Silo "${cluster[@]}" --FaceOrleans:Slice:Id="$slice" \
    --FaceOrleans:Slice:Tenants="${tenant_of[$slice]}" --FaceOrleans:Slice:GpuMemoryLimitMb="$cap_mb" \
    --FaceOrleans:Cluster:SiloPort="$silo_port" --FaceOrleans:Cluster:GatewayPort="$gateway_port" "$@"
  silo_pid[$slice]=$pid
  await_port "silo-$slice" "$pid" "$gateway_port"
}

step "redis, three silos capped at $cap MiB each, the API"
launch redis bin/redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no
for slice in s1 s2 s3; do silo "$slice" "$cap"; done
launch api Api/FaceOrleans.Api --urls "http://127.0.0.1:$api_port" "${cluster[@]}" \
  --FaceOrleans:Api:DemoTenants= --FaceOrleans:Api:AdminKeySha256="$(printf %s "$key" | sha256sum | cut -d' ' -f1)" \
  --FaceOrleans:Api:DefaultMaxConcurrentRequests=512
await_log api "$pid" 'Application started'
url="http://127.0.0.1:$api_port"

# load_tenant TENANT LEVELS [ARGS...]: load() with the mean batch size of that tenant's own slice.
declare -A slice_of=([attendance]=s1 [access]=s2 [analytics]=s3)
load_tenant() { local tenant=$1; shift; load "$url" "$key" "$tenant" "$@" --slice "${slice_of[$tenant]}"; }

# await_served TENANT: until a compare for TENANT is answered by a live slice (200, or a refusal of the slice
# itself such as a memory cap), not 503 slice-unavailable while membership still lists a killed silo.
await_served() { python3 "$scripts/gpu_compare.py" served "$url" "$key" "$1"; }

for tenant in attendance access analytics; do await_served "$tenant"; done

gpu_memory() { command -v nvidia-smi >/dev/null && nvidia-smi --query-compute-apps=pid,used_memory --format=csv || echo "(no nvidia-smi)"; }
pids_line() { for slice in s1 s2 s3; do echo "silo $slice (${tenant_of[$slice]}): pid ${silo_pid[$slice]}"; done; }

step "1. quiet: access and analytics at concurrency $quiet"
{
  echo "## $device: three slices capped at $cap MiB; $pairs pairs per run"; echo
  echo "### 1. quiet: access and analytics together at concurrency $quiet"; echo
  load_tenant access "$quiet" --pairs "$pairs" > "$state/quiet-access.txt" &
  a=$!
  load_tenant analytics "$quiet" --pairs "$pairs" > "$state/quiet-analytics.txt" || true
  wait $a || true
  echo "access:"; tail -1 "$state/quiet-access.txt"; echo "analytics:"; tail -1 "$state/quiet-analytics.txt"; echo
} | tee -a "$out"

step "2. noisy neighbour: the same while attendance runs at concurrency $noisy"
{
  echo "### 2. the same while attendance is loaded at concurrency $noisy"; echo
  # Many rounds, so attendance's load outlasts the two measured runs; stopped once they end.
  load_tenant attendance "$(printf "$noisy,%.0s" $(seq 1 40))$noisy" --pairs "$pairs" > "$state/noisy-attendance.txt" 2>&1 &
  flood=$!
  sleep 3
  load_tenant access "$quiet" --pairs "$pairs" > "$state/noisy-access.txt" &
  a=$!
  load_tenant analytics "$quiet" --pairs "$pairs" > "$state/noisy-analytics.txt" || true
  wait $a || true
  echo "GPU memory per process while all three are loaded:"; gpu_memory; pids_line; echo
  kill $flood 2>/dev/null || true; wait $flood 2>/dev/null || true
  echo "access:"; tail -1 "$state/noisy-access.txt"; echo "analytics:"; tail -1 "$state/noisy-analytics.txt"
  echo "attendance (the flood, its rounds so far):"; grep '^| [0-9]' "$state/noisy-attendance.txt" | head -3; echo
} | tee -a "$out"

step "3. analytics's slice at a $tight MiB cap, loaded at concurrency $noisy"
kill "${silo_pid[s3]}"; wait "${silo_pid[s3]}" 2>/dev/null || true
silo s3 "$tight" --FaceOrleans:Slice:MaxBatchSize=64 --FaceOrleans:Slice:MaxBatchWaitMs=20
await_served analytics | tee -a "$out"
{
  echo "### 3. analytics's slice restarted with a $tight MiB cap and batches of up to 64, loaded at concurrency $noisy; access at $quiet beside it"; echo
  load_tenant access "$quiet" --pairs "$pairs" > "$state/tight-access.txt" &
  a=$!
  load_tenant analytics "$noisy" --pairs "$pairs" > "$state/tight-analytics.txt" 2>&1 || true
  wait $a || true
  echo "analytics (capped):"; grep -E '^warm-up|^\| [0-9]' "$state/tight-analytics.txt" || tail -3 "$state/tight-analytics.txt"; echo "access:"; tail -1 "$state/tight-access.txt"
  echo "analytics's silo still running: $(kill -0 "${silo_pid[s3]}" 2>/dev/null && echo yes || echo no)"
  echo "what its log says of memory:"; grep -iE 'allocat|memory|out of' "$state/silo-s3.log" | sort | uniq -c | sort -rn | head -5 || true
  echo
} | tee -a "$out"
