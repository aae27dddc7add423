# Shell functions shared by gpu-measure.sh, gpu-load.sh and gpu-slices.sh (sourced, never run). They run inside an
# unpacked GPU bundle (through scripts/gpu-bundle-run.sh), start the bundle's own processes on free loopback ports
# with a temporary state folder, and stop every one of them when the calling script exits.
# shellcheck shell=bash

[ -f BUNDLE.txt ] || { echo "error: run this from an unpacked GPU bundle (through scripts/gpu-bundle-run.sh)" >&2; exit 2; }
device=${FaceOrleans__Slice__Device:-cpu}
scripts=$(dirname "${BASH_SOURCE[0]}")
state=$(mktemp -d)
started=()
stop_all() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
  started=()
}
trap 'stop_all; rm -rf "$state"' EXIT
step() { echo "== $* ($(date -u +%H:%M:%S))" >&2; }

# free_ports N: N loopback ports nobody listens on, on one line.
free_ports() {
  python3 -c '
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))' "$1"
}

# launch NAME COMMAND...: starts COMMAND in the background with its output in $state/NAME.log; sets $pid.
launch() {
  local name=$1; shift
  "$@" > "$state/$name.log" 2>&1 &
  pid=$!
  started+=("$pid")
}

# await_log NAME PID PATTERN [SECONDS]: waits until NAME's log matches PATTERN; fails at once if PID exits.
await_log() {
  local name=$1 pid=$2 pattern=$3 seconds=${4:-180}
  for _ in $(seq 1 "$seconds"); do
    grep -qE "$pattern" "$state/$name.log" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -40 "$state/$name.log" >&2; echo "error: $name stopped during start-up" >&2; exit 1; }
    sleep 1
  done
  tail -40 "$state/$name.log" >&2; echo "error: $name did not log /$pattern/ within ${seconds}s" >&2; exit 1
}

# await_port NAME PID PORT [SECONDS]: waits until PORT on 127.0.0.1 accepts connections (a silo's gateway: a silo
# serves no HTTP and logs nothing at Information when it is up); fails at once if PID exits.
await_port() {
  local name=$1 pid=$2 port=$3 seconds=${4:-180}
  for _ in $(seq 1 "$seconds"); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -40 "$state/$name.log" >&2; echo "error: $name stopped during start-up" >&2; exit 1; }
    sleep 1
  done
  tail -40 "$state/$name.log" >&2; echo "error: $name did not listen on port $port within ${seconds}s" >&2; exit 1
}

# start_embedded NAME [ARGS...]: the embedded default (the silo's `embedded` command: the API and its silo in one
# process) on $device; sets $port and $key (admin key).
start_embedded() {
  local name=$1; shift
  local silo_port gateway_port
  read -r port silo_port gateway_port < <(free_ports 3)
  launch "$name" Silo/FaceOrleans.Silo embedded --urls "http://127.0.0.1:$port" --FaceOrleans:Cluster:StoragePath="$state/$name.db" \
    --FaceOrleans:Api:DemoKeysFile="$state/$name-keys.env" --FaceOrleans:Cluster:SiloPort="$silo_port" \
    --FaceOrleans:Cluster:GatewayPort="$gateway_port" --FaceOrleans:Api:DefaultMaxConcurrentRequests=512 "$@"
  await_log "$name" "$pid" 'Application started'
  for _ in $(seq 1 60); do [ -s "$state/$name-keys.env" ] && break; sleep 1; done
  key=$(sed -n 's/^ADMIN_KEY=//p' "$state/$name-keys.env")
  [ -n "$key" ] || { echo "error: $name wrote no ADMIN_KEY to $state/$name-keys.env" >&2; exit 1; }
}

# load URL KEY TENANT LEVELS [ARGS...]: the HTTP-only load benchmark against one tenant (a Markdown table).
load() {
  local url=$1 key=$2 tenant=$3 levels=$4; shift 4
  FACEORLEANS_FACES="$PWD/faces" FACEORLEANS_MODELS="$PWD/models" LoadBenchmark/FaceOrleans.LoadBenchmark load --http-only \
    --url "$url" --key "$key" --tenant "$tenant" --levels "$levels" "$@"
}
