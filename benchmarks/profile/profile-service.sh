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
trap stop_embedded EXIT

EMBEDDED_ENV="$PERF_MAP_ENV" start_embedded "$root/Silo/bin/Release/net10.0" "$work" "$@"
cd "$root"
load=(--url "http://127.0.0.1:$port" --key "$key" --http-only --levels "$concurrency")
# The plain load table runs each level once: --warmup 520 then the 520 pairs make the 1,040 warm-up compares.
load_client "${load[@]}" --pairs 520 --warmup 520 > "$work/warmup.txt"
load_client "${load[@]}" --pairs 520 > "$work/measured.txt" &
client=$!
sleep 10
perf_window "$service" 15 "$work/perf.data"
wait "$client"
tail -1 "$work/measured.txt"
echo
perf_table "$work/perf.data"
echo
echo "perf data and logs: $work"
