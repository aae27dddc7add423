#!/usr/bin/env bash
# Sets up a fresh machine and runs FaceOrleans on its embedded default.
# Until the service host lands, this runs the real pipeline over the shared labelled photo pairs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
shared=${FACEORLEANS_SHARED:-../shared}
dotnet run -c Release --project Silo -- calibrate --pairs "$shared/testdata/faces/pairs.csv" --images "$shared/testdata/faces" "$@"
