#!/usr/bin/env bash
# Whether the embedded service still compiles code once warm (issue 22): the tiered JIT's thread held 1-2 % of the
# samples after 1,040 compares in perf. A steady number of new methods per pass of the pairs would mean code made per
# request (as the options binder's invoke stubs once were); a number that falls pass by pass is the tail of tiering.
# Starts the Release build with the JIT's own list of what it compiles (DOTNET_JitStdOutFile, DOTNET_JitDisasmSummary),
# serves the 520 shared pairs PASSES times (default 5) at concurrency 4 with the load benchmark's client, and prints
# the methods compiled in each pass and the last pass's list.
# Usage: benchmarks/profile/jit-tail.sh [PASSES]; needs provisioned models and the Release build of the load benchmark
# (dotnet build benchmarks/FaceOrleans.LoadBenchmark -c Release).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
passes=${1:-5}
work=$(mktemp -d /tmp/faceorleans-jit-XXXXXX)
source "$root/benchmarks/profile/embedded.sh"
trap stop_embedded EXIT

EMBEDDED_ENV="DOTNET_JitStdOutFile=$work/jit.txt DOTNET_JitDisasmSummary=1" start_embedded "$root/Silo/bin/Release/net10.0" "$work"
cd "$root"
compiled=$(wc -l < "$work/jit.txt")
echo "methods compiled at start-up: $compiled"
for pass in $(seq "$passes"); do
  load_client --url "http://127.0.0.1:$port" --key "$key" --http-only --levels 4 --pairs 520 --warmup 0 > "$work/pass$pass.txt"
  now=$(wc -l < "$work/jit.txt")
  echo "pass $pass (520 compares): $((now - compiled)) methods compiled"
  tail -n "+$((compiled + 1))" "$work/jit.txt" > "$work/compiled-in-pass$pass.txt"
  compiled=$now
done
echo
echo "compiled in the last pass ($work/compiled-in-pass$passes.txt), by tier:"
grep -o '\[[A-Za-z0-9 ]*Tier[A-Za-z0-9 ]*' "$work/compiled-in-pass$passes.txt" | sort | uniq -c | sort -rn
echo "logs: $work"
