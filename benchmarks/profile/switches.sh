#!/usr/bin/env bash
# What the service's threads cost the kernel per compare (issue 22): context switches, CPU migrations and CPU time
# (perf stat's task-clock, every thread of the process) per compare at concurrency 4, for each git revision given,
# side by side. Builds a scratch copy of each revision (git archive), starts every build's embedded default at once
# (the idle ones cost about 2 % of a core each, alike), warms each with the 520 shared pairs, then serves one pass of
# the pairs per build and round, builds alternating, with the load benchmark's client. Counts, unlike compares per
# second, hardly move with what else the machine runs, so a change in the hand-offs between threads shows in one run.
# The thread pool's work items per compare come from the build's /metrics (the runtime's dotnet.thread_pool.work_item.count).
# Usage: benchmarks/profile/switches.sh [--rounds N] REV [REV...]   (e.g. HEAD~2 HEAD); needs provisioned models, perf,
# and the Release build of the load benchmark (dotnet build benchmarks/FaceOrleans.LoadBenchmark -c Release).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=3
if [[ ${1:-} == --rounds ]]; then rounds=$2; shift 2; fi
(($# > 0)) || { echo "usage: $0 [--rounds N] REV [REV...]" >&2; exit 2; }
scratch=$(mktemp -d /tmp/faceorleans-switches-XXXXXX)
source "$root/benchmarks/profile/embedded.sh"
pairs=520  # the shared pairs, each served once per measured pass; the counts below are divided by it
load() { load_client --http-only --levels 4 --rounds 1 --pairs "$pairs" "$@"; }
# work_items PORT: the thread pool's completed work items so far, or nothing where the build does not publish them.
work_items() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '$1 == "system_runtime_dotnet_thread_pool_work_item_count" {print $2}'
}

declare -A dirs pids ports keys
trap 'kill "${pids[@]}" 2> /dev/null || true' EXIT
for rev in "$@"; do
  dir=$(revision_tree "$rev" "$scratch")
  build_silo "$dir"
  mkdir -p "$dir/work"
  start_embedded "$dir/Silo/bin/Release/net10.0" "$dir/work"
  dirs[$rev]=$dir pids[$rev]=$service ports[$rev]=$port keys[$rev]=$key
  load --url "http://127.0.0.1:$port" --key "$key" --warmup 520 > "$dir/warmup.txt" 2>&1
done

echo "| round | revision | compares/s | context switches per compare | CPU migrations per compare | CPU ms per compare | thread-pool work items per compare |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for round in $(seq "$rounds"); do
  for rev in "$@"; do
    stat="${dirs[$rev]}/stat-$round"
    perf stat -x, -e context-switches,cpu-migrations,task-clock -p "${pids[$rev]}" -o "$stat" &
    counter=$!
    sleep 0.5
    items_before=$(work_items "${ports[$rev]}")
    # The client's table row at concurrency 4: "| 4 | compares/s | ..." (no warm-up: the build is warm).
    rate=$(load --url "http://127.0.0.1:${ports[$rev]}" --key "${keys[$rev]}" --warmup 0 2>&1 | awk -F'|' '$2 ~ /^ *4 *$/ {gsub(/ /, "", $3); print $3; exit}')
    items_after=$(work_items "${ports[$rev]}")
    kill -INT "$counter"
    wait "$counter" 2> /dev/null || true
    python3 - "$stat" "$round" "$rev" "$rate" "$pairs" "$items_before" "$items_after" <<'PY'
import csv, sys
path, round_, rev, rate, pairs, items_before, items_after = sys.argv[1:]
counts = {row[2]: float(row[0]) for row in csv.reader(l for l in open(path) if l.strip() and not l.startswith("#")) if len(row) > 2}
pairs = int(pairs)
items = f"{(float(items_after) - float(items_before)) / pairs:.1f}" if items_before and items_after else "–"
print(f"| {round_} | {rev} | {rate} | {counts['context-switches'] / pairs:.1f} | {counts['cpu-migrations'] / pairs:.2f} | {counts['task-clock'] / pairs:.1f} | {items} |")
PY
  done
done
