#!/usr/bin/env bash
# Where the embedded service's CPU goes under load (issue 22): starts FaceOrleans.Silo embedded with perf maps,
# drives POST /v1/attendance/compare with the load benchmark's client at concurrency C (default 4), records 15 s of
# perf samples once the service has served 1,040 warm-up compares, and prints perf_breakdown.py's table.
# Needs `perf` (apt-get install linux-perf), the Release build (dotnet build benchmarks/FaceOrleans.LoadBenchmark -c Release)
# and provisioned models. Usage: benchmarks/profile/profile-service.sh [C] [extra --FaceOrleans:... service arguments]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
concurrency=${1:-4}
shift || true
work=$(mktemp -d /tmp/faceorleans-profile-XXXXXX)
source "$root/benchmarks/profile/embedded.sh"
cleanup() { [[ -n ${service:-} ]] && kill "$service" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

# Perf maps name the JIT's code; W^X off keeps that code at the addresses the maps give.
EMBEDDED_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" start_embedded "$root/Silo/bin/Release/net10.0" "$work" "$@"
cd "$root"
load=(dotnet benchmarks/FaceOrleans.LoadBenchmark/bin/Release/net10.0/FaceOrleans.LoadBenchmark.dll load
  --url "http://127.0.0.1:$port" --key "$key" --http-only --levels "$concurrency")
# The plain load table runs each level once: --warmup 520 then the 520 pairs make the 1,040 warm-up compares.
"${load[@]}" --pairs 520 --warmup 520 > "$work/warmup.txt"
"${load[@]}" --pairs 520 > "$work/measured.txt" &
client=$!
sleep 10
timeout -s INT 15 perf record -F 499 -g -p "$service" -o "$work/perf.data" > /dev/null 2>&1 || true
wait "$client"
tail -1 "$work/measured.txt"
echo
perf script -i "$work/perf.data" -F comm,tid,ip,sym,dso 2> /dev/null | python3 "$root/benchmarks/profile/perf_breakdown.py"
echo
echo "perf data and logs: $work"
