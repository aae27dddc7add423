# Sourced by the profile scripts: starts one embedded FaceOrleans (the API and its silo in one process) on free
# loopback ports with its state in a work folder, as the load benchmark's ApiProcess does, and waits for its demo keys.
# start_embedded SILO_DIR WORK [extra service arguments]: SILO_DIR holds FaceOrleans.Silo.dll (a Release build);
# EMBEDDED_ENV holds the service's own environment variables, given to it through `env` (e.g. "FO_NULL=1").
# Sets: service (its pid), port, key (the attendance tenant's demo key). Needs $root (the repository) and provisioned models.
# perf_window and perf_table (below) record and summarise a perf profile of it, for a service started with PERF_MAP_ENV;
# revision_tree and build_silo give a scratch build of any revision to start, and load_client drives it.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_embedded() {
  local dir=$1 work=$2
  shift 2
  port=$(free_port)
  (cd "$dir" && exec env ${EMBEDDED_ENV:-} dotnet FaceOrleans.Silo.dll embedded \
    --Urls="http://127.0.0.1:$port" --FaceOrleans:Cluster:StoragePath="$work/faceorleans.db" \
    --FaceOrleans:Cluster:SiloPort="$(free_port)" --FaceOrleans:Cluster:GatewayPort="$(free_port)" \
    --FaceOrleans:Models:Directory="$root/models" --FaceOrleans:Api:DemoKeysFile="$work/keys.env" \
    --FaceOrleans:Api:DefaultMaxConcurrentRequests=64 "$@" > "$work/service.log" 2>&1) &
  service=$!
  for _ in $(seq 120); do [[ -s $work/keys.env ]] && break; sleep 1; done
  key=$(grep -i '^ATTENDANCE' "$work/keys.env" | cut -d= -f2)
}

# stop_embedded: stops the service start_embedded started, if any, and waits for it; for `trap stop_embedded EXIT`.
stop_embedded() { [[ -n ${service:-} ]] && kill "$service" 2>/dev/null; wait 2>/dev/null || true; }

# Perf maps name the JIT's code; W^X off keeps that code at the addresses the maps give. Add to EMBEDDED_ENV to profile.
PERF_MAP_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0"

# perf_window PID SECONDS DATA [HZ]: records the process's samples, with call stacks, for SECONDS into DATA (499 Hz by default).
perf_window() { timeout -s INT "$2" perf record -F "${4:-499}" -g -p "$1" -o "$3" > /dev/null 2>&1 || true; }

# perf_table DATA [TOP]: perf_breakdown.py's table of where DATA's samples went.
perf_table() {
  perf script -i "$1" -F comm,tid,ip,sym,dso 2> /dev/null | python3 "$root/benchmarks/profile/perf_breakdown.py" ${2:+--top "$2"}
}

# revision_tree REV SCRATCH: extracts revision REV (git archive) into SCRATCH/<its short hash> and prints that folder.
revision_tree() {
  local hash
  hash=$(git -C "$root" rev-parse --short "$1") || return 1
  mkdir -p "$2/$hash"
  git -C "$root" archive "$1" | tar -x -C "$2/$hash" || return 1
  echo "$2/$hash"
}

# build_silo DIR: the Release build of DIR/Silo (a revision_tree), its log in DIR/build.log; shows its tail and exits on failure.
build_silo() {
  dotnet build "$1/Silo" -c Release -v quiet -nologo > "$1/build.log" 2>&1 || { tail -20 "$1/build.log"; exit 1; }
}

# load_client ARGS...: the load benchmark's `load` command from its Release build (e.g. --url and --key of a started service).
load_client() { dotnet "$root/benchmarks/FaceOrleans.LoadBenchmark/bin/Release/net10.0/FaceOrleans.LoadBenchmark.dll" load "$@"; }
