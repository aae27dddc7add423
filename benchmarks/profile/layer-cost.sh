#!/usr/bin/env bash
# What a compare costs the service outside the face pipeline (issue 22): the CPU of HTTP, multipart, Orleans, the
# tenant's counters, the audit append, JSON and metrics, per request, with the pipeline taken out. For each git
# revision given, builds a scratch copy (git archive) whose InferenceGrain.Compare answers at once when FO_NULL=1
# instead of decoding and running the models (the one change, made by this script; never in the repo), starts its
# embedded default, drives POST /v1/attendance/compare with the load benchmark's client at concurrency 4 with the
# shared pairs, and after a warm-up reads the service's CPU time (/proc) over a window against the requests it
# answered in that window. Revisions alternate over the rounds, so a drift of the machine shows as spread, not bias.
# Usage: benchmarks/profile/layer-cost.sh [--rounds N] REV [REV...]   (e.g. HEAD~3 HEAD); needs provisioned models
# and the Release build of the load benchmark (dotnet build benchmarks/FaceOrleans.LoadBenchmark -c Release).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=2
if [[ ${1:-} == --rounds ]]; then rounds=$2; shift 2; fi
(($# > 0)) || { echo "usage: $0 [--rounds N] REV [REV...]" >&2; exit 2; }
warm=${LAYER_COST_WARMUP_S:-45}
window=${LAYER_COST_WINDOW_S:-20}
scratch=$(mktemp -d /tmp/faceorleans-layer-cost-XXXXXX)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

declare -A builds
for rev in "$@"; do
  dir="$scratch/$(git -C "$root" rev-parse --short "$rev")"
  mkdir -p "$dir"
  git -C "$root" archive "$rev" | tar -x -C "$dir"
  python3 - "$dir/Grains/InferenceGrain.cs" <<'EOF'
import sys
path = sys.argv[1]
source = open(path).read()
call = "CompareRequest request, FaceOptions options, CancellationToken cancellationToken = default) =>\n        RunOffScheduler("
assert call in source, "InferenceGrain.Compare is not where this script expects it"
source = source.replace(call, call.replace("RunOffScheduler(", """Environment.GetEnvironmentVariable("FO_NULL") == "1"
            ? Task.Run(() => new CompareResult(0.5f, true, options.SimilarityThreshold, "no pipeline", [], [], null, slice.Id, 0), cancellationToken)
            : RunOffScheduler("""))
open(path, "w").write(source)
EOF
  dotnet build "$dir/Silo" -c Release -v quiet -nologo > "$dir/build.log" 2>&1 || { tail -20 "$dir/build.log"; exit 1; }
  builds[$rev]=$dir
done

measure() {
  local rev=$1 dir=${builds[$1]} work port service client
  work=$(mktemp -d "$scratch/run-XXXXXX")
  port=$(free_port)
  (cd "$dir/Silo/bin/Release/net10.0" && FO_NULL=1 MALLOC_ARENA_MAX=2 exec dotnet FaceOrleans.Silo.dll embedded \
    --Urls="http://127.0.0.1:$port" --FaceOrleans:Cluster:StoragePath="$work/faceorleans.db" \
    --FaceOrleans:Cluster:SiloPort="$(free_port)" --FaceOrleans:Cluster:GatewayPort="$(free_port)" \
    --FaceOrleans:Models:Directory="$root/models" --FaceOrleans:Api:DemoKeysFile="$work/keys.env" \
    --FaceOrleans:Api:DefaultMaxConcurrentRequests=64 > "$work/service.log" 2>&1) &
  service=$!
  for _ in $(seq 120); do [[ -s $work/keys.env ]] && break; sleep 1; done
  local key
  key=$(grep -i '^ATTENDANCE' "$work/keys.env" | cut -d= -f2)
  (while true; do dotnet "$root/benchmarks/FaceOrleans.LoadBenchmark/bin/Release/net10.0/FaceOrleans.LoadBenchmark.dll" load \
    --url "http://127.0.0.1:$port" --key "$key" --http-only --levels 4 --pairs 520 --warmup 2000 >> "$work/load.txt" 2>&1; done) &
  client=$!
  sleep "$warm"
  # The API logs one line per answered request; its count over the window is the requests served in it.
  local pid c1 c2 t1 t2
  pid=$service
  c1=$(grep -c "POST /v1/attendance/compare answered 200" "$work/service.log" || true)
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep "$window"
  c2=$(grep -c "POST /v1/attendance/compare answered 200" "$work/service.log" || true)
  t2=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  pkill -P "$client" || true
  kill "$client" "$pid" 2> /dev/null || true
  wait "$service" 2> /dev/null || true
  python3 -c "import sys; r, n, ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]); print(f'| {r} | {n / $window:.0f} | {ms / n:.2f} |')" \
    "$rev" "$((c2 - c1))" "$(python3 -c "print(($t2 - $t1) * 1000 / $(getconf CLK_TCK))")"
}

echo "| revision | requests/s | CPU ms per request |"
echo "|---|---:|---:|"
for round in $(seq "$rounds"); do
  revs=("$@")
  ((round % 2 == 0)) && revs=($(printf '%s\n' "$@" | tac))
  for rev in "${revs[@]}"; do measure "$rev"; done
done
rm -rf "$scratch"
