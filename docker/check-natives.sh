#!/bin/sh
# Fails the image build when a native library under DIR has a dependency that does not resolve, so a missing run-time
# package stops `docker build` instead of crashing the container at its first start.
# usage: check-natives.sh DIR [EXEMPT-REGEX]   (EXEMPT-REGEX: libraries the container runtime mounts, e.g. the CUDA driver)
set -eu
dir=$1
exempt=${2:-^$}
checked=0
failed=0
# Real files only: the silo's copies are links to the API's (see the Dockerfiles).
for so in $(find "$dir" -type f \( -name '*.so' -o -name '*.so.*' \)); do
    checked=$((checked + 1))
    missing=$(ldd "$so" 2>&1 | awk '/not found/ {print $1}' | grep -Ev "$exempt" || true)
    if [ -n "$missing" ]; then
        echo "unresolved in $so: $(echo $missing)" >&2
        failed=1
    fi
done
[ "$checked" -gt 0 ] || { echo "no native library under $dir" >&2; exit 1; }
[ "$failed" -eq 0 ] || { echo "install the packages that provide these (docker/runtime-packages.txt)" >&2; exit 1; }
echo "all $checked native libraries under $dir resolve"
