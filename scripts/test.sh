#!/usr/bin/env bash
# Runs every test on the real models and photos (../shared/testdata/faces must be beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

python3 models/test_provision.py
# The OpenAPI linter, at the exact version tools/openapi-lint/package-lock.json pins (the README check runs it).
(cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error)

log=$(mktemp)
results=$(mktemp -d)
trap 'rm -rf "$log" "$results"' EXIT
set +e
# Normal verbosity prints each test as it passes or fails, so a long run shows its progress; the .trx files give the
# failures again, whole, at the very end (scripts/failed_tests.py), where a log cut to its tail still shows them.
dotnet test FaceOrleans.sln -c Release --logger "console;verbosity=normal" --logger trx --results-directory "$results" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Every curl example in README.md, against ./scripts/run.sh exactly as a new user runs it, each answer checked against
# the served /openapi/v1.json, and that document through the pinned linter (any error fails the run).
python3 scripts/check_readme_examples.py || status=1
set -e

# One plain summary line across all test assemblies: from the minimal "Passed!  - Failed: 0, Passed: 9, ..." line, or
# from the block that normal verbosity prints instead ("Total tests: 9", then "Passed: 9", "Failed: 0", ...).
awk '/^(Passed|Failed)!/ {
       minimal = 1
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     /^Total tests:/ { block = 1; next }
     block && $1 == "Passed:" { bp += $2 }
     block && $1 == "Failed:" { bf += $2 }
     block && $1 == "Skipped:" { bs += $2 }
     block && $1 == "Total" && $2 == "time:" { block = 0 }
     END { if (!minimal) { p = bp; f = bf; s = bs } printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
python3 scripts/failed_tests.py "$results"
exit "$status"
