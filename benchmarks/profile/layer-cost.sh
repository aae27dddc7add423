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
# LAYER_COST_PERF=1 also records perf samples over each window (perf maps on) and prints perf_breakdown.py's table.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=2
if [[ ${1:-} == --rounds ]]; then rounds=$2; shift 2; fi
(($# > 0)) || { echo "usage: $0 [--rounds N] REV [REV...]" >&2; exit 2; }
warm=${LAYER_COST_WARMUP_S:-45}
window=${LAYER_COST_WINDOW_S:-20}
scratch=$(mktemp -d /tmp/faceorleans-layer-cost-XXXXXX)
source "$root/benchmarks/profile/embedded.sh"

declare -A builds
for rev in "$@"; do
  dir=$(revision_tree "$rev" "$scratch")
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
  build_silo "$dir"
  builds[$rev]=$dir
done

measure() {
  local rev=$1 work client c1 c2 t1 t2
  work=$(mktemp -d "$scratch/run-XXXXXX")
  local perf=${LAYER_COST_PERF:-0}
  EMBEDDED_ENV="FO_NULL=1 MALLOC_ARENA_MAX=2 $( ((perf)) && echo "$PERF_MAP_ENV")" start_embedded "${builds[$rev]}/Silo/bin/Release/net10.0" "$work"
  (while true; do load_client \
    --url "http://127.0.0.1:$port" --key "$key" --http-only --levels 4 --pairs 520 --warmup 2000 >> "$work/load.txt" 2>&1; done) &
  client=$!
  sleep "$warm"
  # The API logs one line per answered request; its count over the window is the requests served in it.
  c1=$(grep -c "POST /v1/attendance/compare answered 200" "$work/service.log" || true)
  t1=$(awk '{print $14 + $15}' "/proc/$service/stat")
  if ((perf)); then
    perf_window "$service" "$window" "$work/perf.data" 999
  else
    sleep "$window"
  fi
  c2=$(grep -c "POST /v1/attendance/compare answered 200" "$work/service.log" || true)
  t2=$(awk '{print $14 + $15}' "/proc/$service/stat")
  pkill -P "$client" || true
  kill "$client" "$service" 2> /dev/null || true
  wait "$service" 2> /dev/null || true
  # CPU ticks (user + system, /proc) over the window, in ms per request.
  awk -v rev="$rev" -v n=$((c2 - c1)) -v ticks=$((t2 - t1)) -v hz="$(getconf CLK_TCK)" -v window="$window" \
    'BEGIN { printf "| %s | %.0f | %.2f |\n", rev, n / window, ticks * 1000 / hz / n }'
  if ((perf)); then
    perf_table "$work/perf.data" 25 > "$work/breakdown.md"
    breakdowns+=("$rev: $work/breakdown.md")
  fi
}
breakdowns=()

echo "| revision | requests/s | CPU ms per request |"
echo "|---|---:|---:|"
for round in $(seq "$rounds"); do
  revs=("$@")
  ((round % 2 == 0)) && revs=($(printf '%s\n' "$@" | tac))
  for rev in "${revs[@]}"; do measure "$rev"; done
done
if ((${#breakdowns[@]})); then
  for entry in "${breakdowns[@]}"; do echo; echo "perf, ${entry%%:*} (the window's samples):"; cat "${entry#*: }"; done
fi
rm -rf "$scratch"
