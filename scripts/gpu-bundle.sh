#!/usr/bin/env bash
# Packs FaceOrleans for a bare Linux x86-64 machine with an NVIDIA GPU and nothing else (no .NET, no NuGet, no
# network): self-contained linux-x64 publishes of the silo and the API, the models, the shared test photos, the
# system libraries OpenCvSharp and redis-server need (used there only where the machine lacks them) and
# redis-server itself, as one xz-compressed tar split into parts of at most 60 MiB, with SHA256SUMS and
# scripts/gpu-bundle-run.sh beside them. docs/gpu.md says how a GPU session carries and runs it.
#   ./scripts/gpu-bundle.sh [OUT_DIR]        (default: .gpu-bundle, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=$(realpath -m "${1:-.gpu-bundle}")
part_size=$((60 * 1024 * 1024))
faces="$repo/../shared/testdata/faces"

[ -d "$faces" ] || { echo "error: $faces is missing; the bundle carries the shared photos for the correctness check." >&2; exit 1; }
python3 models/provision.py >/dev/null

staging=$(mktemp -d "${TMPDIR:-/tmp}/faceorleans-gpu-bundle.XXXXXX")
trap 'rm -rf "$staging"' EXIT
root="$staging/faceorleans"
mkdir -p "$root/models" "$root/faces" "$root/libs" "$root/bin"

# Three apps: the silo runs the whole service alone (`embedded`: the API and its silo in one process), carries the
# measurement commands (check-provider, model-latency, calibrate) and is what a multi-slice layout runs; the API is
# that layout's client-only front end (gpu-slices.sh); the load benchmark drives the service from the GPU machine's
# own cores (scripts/gpu-load.sh, gpu-slices.sh). Identical files become hard links, which tar stores once, so the
# second and third apps cost a few MB.
declare -A projects=([Api]=Api/FaceOrleans.Api.csproj [Silo]=Silo/FaceOrleans.Silo.csproj
  [LoadBenchmark]=benchmarks/FaceOrleans.LoadBenchmark/FaceOrleans.LoadBenchmark.csproj)
for app in Silo Api LoadBenchmark; do
  echo "publishing $app (self-contained, linux-x64)..."
  dotnet publish "${projects[$app]}" -c Release -r linux-x64 --self-contained -o "$root/$app" -nologo -v quiet
  # No TensorRT on the target: its provider (and the libnvinfer it links) would never load.
  rm -f "$root/$app/libonnxruntime_providers_tensorrt.so"
done
for app in Api LoadBenchmark; do
  (cd "$root/$app" && find . -type f | while read -r file; do
    if [ -f "../Silo/$file" ] && cmp -s "$file" "../Silo/$file"; then ln -f "../Silo/$file" "$file"; fi
  done)
done

# Hosts read appsettings.json from the working folder; gpu-bundle-run.sh points the API at its own, and the
# silo, run from the bundle's top folder, finds this copy.
cp "$root/Silo/appsettings.json" "$root/appsettings.json"
# The manifest's default detector and recognizer only, with their CPU forms (for --cpu and a CPU fallback): the parts
# must stay few (one device call each), and with the other recognizer too the bundle takes more. The manifest still names it; asking for it there says it is missing.
cp models/manifest.json "$root/models/"
python3 -c '
import json, sys
manifest = json.load(open("models/manifest.json"))
wanted = set(manifest["defaults"].values())
print("\n".join("models/" + f for m in manifest["models"] if m["name"] in wanted
                for f in [m["file"]] + ([m["cpu_form"]["file"]] if "cpu_form" in m else [])))' | xargs -I{} cp {} "$root/models/"
cp "$faces"/* "$root/faces/"

# Shared libraries a bare machine may lack: what OpenCvSharp's native library and redis-server link, and the
# OpenSSL that .NET loads for hashing. glibc, libstdc++ and libgcc_s stay the machine's own.
redis=$(command -v redis-server || true)
libraries() { ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'; }
{
  libraries "$root/Silo/libOpenCvSharpExtern.so" ${redis:+"$redis"}
  ldconfig -p | awk '$1 ~ /^lib(ssl|crypto)\.so\.3$/ { print $NF }'
} | sort -u | while read -r library; do
  case "$(basename "$library")" in
    libc.so.*|libm.so.*|libdl.so.*|librt.so.*|libpthread.so.*|libutil.so.*|libresolv.so.*|ld-linux*|libstdc++.so.*|libgcc_s.so.*) ;;
    *) cp -L "$library" "$root/libs/$(basename "$library")" ;;
  esac
done
if [ -n "$redis" ]; then cp -L "$redis" "$root/bin/redis-server"; else echo "warning: no redis-server here; the bundle carries none" >&2; fi

# What must not be there: Windows binaries and the compiler.
foreign=$(find "$root" -type f \( -name '*.dll' -o -name '*.exe' \) -exec file {} + | grep 'PE32' | grep -v 'Mono/.Net assembly' || true)
roslyn=$(find "$root" -name 'Microsoft.CodeAnalysis*' | head -5)
if [ -n "$foreign$roslyn" ]; then
  echo "error: the bundle carries Windows binaries or Roslyn:" >&2; echo "$foreign$roslyn" >&2; exit 1
fi

{
  echo "FaceOrleans GPU bundle, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)'), built $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "dotnet SDK $(dotnet --version); ONNX Runtime $(grep -o 'Microsoft.ML.OnnxRuntime.Gpu.Linux" Version="[^"]*' Directory.Packages.props | sed 's/.*"//')"
  echo "Silo/ Api/ LoadBenchmark/ (self-contained linux-x64), models/ ($(cd "$root/models" && ls *.onnx | tr '\n' ' ')), faces/ ($(ls "$root/faces" | wc -l) files), libs/ ($(ls "$root/libs" | wc -l) fallback libraries), bin/redis-server"
  echo "bytes unpacked: $(du -sb "$root" | cut -f1)"
} > "$root/BUNDLE.txt"

echo "compressing $(du -sh "$root" | cut -f1) (xz -9)..."
rm -rf "$out" && mkdir -p "$out"
tar -C "$staging" -cf - faceorleans | xz -9 -T2 | split -b "$part_size" -d -a 2 - "$out/faceorleans-gpu.tar.xz.part-"
cp scripts/gpu-bundle-run.sh "$out/"
(cd "$out" && sha256sum faceorleans-gpu.tar.xz.part-* > SHA256SUMS)

for part in "$out"/faceorleans-gpu.tar.xz.part-*; do
  [ "$(stat -c %s "$part")" -le "$part_size" ] || { echo "error: $part is over 60 MiB" >&2; exit 1; }
done
cat "$root/BUNDLE.txt"
ls -l "$out"
echo "total: $(du -cb "$out"/faceorleans-gpu.tar.xz.part-* | tail -1 | cut -f1) bytes in $(ls "$out"/faceorleans-gpu.tar.xz.part-* | wc -l) parts"
