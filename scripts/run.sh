#!/usr/bin/env bash
# Sets up a fresh machine and runs FaceOrleans on its embedded default: the API and one silo in one process,
# one CPU slice (or GPU: add --FaceOrleans:Slice:Device=cuda:0), tenants attendance and access with demo keys.
# Listens on http://127.0.0.1:8080; state and demo keys live in ./data, or in $FACEORLEANS_DATA when set.
# The silo's `embedded` command is that one process (the API alone is the cluster modes' front end). Extra
# arguments go to it (--urls http://127.0.0.1:9090 for another port).
set -euo pipefail
data="$(realpath -m "${FACEORLEANS_DATA:-$(dirname "$0")/../data}")"
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p "$data"
# Two glibc malloc arenas instead of 8 per core: decoding on many threads otherwise fragments native memory and the
# process keeps growing under load (docs/soak.md). Set it yourself to override.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec dotnet run -c Release --project Silo -- embedded \
  --FaceOrleans:Cluster:StoragePath="$data/faceorleans.db" \
  --FaceOrleans:Api:DemoKeysFile="$data/demo-keys.env" \
  "$@"
