#!/usr/bin/env bash
# Runs a command from the FaceOrleans GPU bundle (made by scripts/gpu-bundle.sh) on a bare Linux x86-64 machine:
# checks and reassembles the parts, unpacks them once, finds the CUDA 13 and cuDNN 9 libraries (for example in a
# Python environment's nvidia packages), puts their folders and any system library the machine lacks on
# LD_LIBRARY_PATH, and runs the command in the unpacked folder with the slice set to cuda:0 and RequireGpu=true.
#   gpu-bundle-run.sh [--parts DIR] [--into DIR] [--cpu] [--] COMMAND [ARGS...]
#     --parts DIR  folder with faceorleans-gpu.tar.xz.part-* and SHA256SUMS (default: this script's folder)
#     --into DIR   where to unpack (default: /tmp/faceorleans-gpu); an unpacked bundle with the same
#                  SHA256SUMS is reused
#     --cpu        run on the CPU (Device=cpu, RequireGpu=false): for machines without a GPU
# Example: gpu-bundle-run.sh -- Silo/FaceOrleans.Silo check-provider --device cuda:0 --images faces
set -euo pipefail

parts=$(dirname "$(realpath "$0")")
into=/tmp/faceorleans-gpu
device=gpu
while [ $# -gt 0 ]; do
  case "$1" in
    --parts) parts=$(realpath "$2"); shift 2 ;;
    --into) into=$(realpath -m "$2"); shift 2 ;;
    --cpu) device=cpu; shift ;;
    --) shift; break ;;
    -*) echo "error: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "error: no command given; e.g. $0 -- Silo/FaceOrleans.Silo model-latency --device cuda:0" >&2; exit 2; }
say() { echo "gpu-bundle-run: $*" >&2; }
export PATH="$PATH:/usr/sbin:/sbin"   # ldconfig, for a user whose PATH lacks them

# 1. Every part present and intact, or a list of what is missing.
[ -f "$parts/SHA256SUMS" ] || { say "error: no SHA256SUMS in $parts"; exit 2; }
missing=$(cd "$parts" && awk '{ print $2 }' SHA256SUMS | while read -r part; do [ -f "$part" ] || echo "$part"; done)
[ -z "$missing" ] || { say "error: parts missing from $parts:"; echo "$missing" >&2; exit 2; }

# 2. Unpack once per bundle.
home="$into/faceorleans"
if ! cmp -s "$parts/SHA256SUMS" "$into/SHA256SUMS" 2>/dev/null; then
  (cd "$parts" && sha256sum --quiet -c SHA256SUMS) || { say "error: a part is corrupt (sha256 differs); copy it again"; exit 2; }
  say "unpacking $(awk '{ print $2 }' "$parts/SHA256SUMS" | wc -l) parts into $into"
  rm -rf "$into" && mkdir -p "$into"
  list=$(awk -v d="$parts" '{ print d "/" $2 }' "$parts/SHA256SUMS")
  if command -v xz >/dev/null; then
    # shellcheck disable=SC2086
    cat $list | xz -dc | tar -x -C "$into"
  else
    # shellcheck disable=SC2086
    cat $list | python3 -c '
import lzma, sys, tarfile
archive = tarfile.open(fileobj=lzma.open(sys.stdin.buffer), mode="r|")
archive.extractall(sys.argv[1], **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))' "$into"
  fi
  cp "$parts/SHA256SUMS" "$into/SHA256SUMS"
fi
say "$(head -1 "$home/BUNDLE.txt")"

# 3. The CUDA 13 and cuDNN 9 libraries the CUDA provider loads, wherever the machine keeps them (a Python
#    environment's nvidia packages, /usr/local/cuda, ...); found once and remembered.
cuda_libs="libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 libnvrtc.so.13 libcuda.so.1"
library_path=""
if [ "$device" = gpu ]; then
  if [ ! -f "$into/cuda-libraries" ]; then
    say "looking for $cuda_libs under / ..."
    names=()
    for lib in $cuda_libs; do names+=(-o -name "$lib*"); done
    find / \( -path /proc -o -path /sys -o -path /dev -o -path "$into" \) -prune -o \( -false "${names[@]}" \) -print 2>/dev/null \
      | sort > "$into/cuda-libraries" || true
  fi
  for lib in $cuda_libs; do
    # The driver's own libcuda.so.1 is normally in the loader's cache already; use a found one only if not.
    if [ "$lib" = libcuda.so.1 ] && ldconfig -p | grep -q 'libcuda\.so\.1 '; then continue; fi
    # A Python environment's nvidia packages first, as they come as one consistent set; never a stub or a
    # forward-compatibility copy of the driver.
    found=$( { grep -F "/$lib" "$into/cuda-libraries" || true; } \
      | awk '{ rank = index($0, "/site-packages/nvidia/") ? 0 : 1; if ($0 ~ /\/(stubs|compat)\//) rank = 9; print rank "\t" $0 }' \
      | sort | head -1 | cut -f2)
    if [ -z "$found" ]; then
      [ "$lib" = libnvrtc.so.13 ] || say "warning: $lib not found on this machine"
      continue
    fi
    dir=$(dirname "$found")
    case ":$library_path:" in *":$dir:"*) ;; *) library_path="$library_path:$dir" ;; esac
    say "$lib: $found"
  done
  export FaceOrleans__Slice__Device=cuda:0 FaceOrleans__Slice__RequireGpu=true
else
  export FaceOrleans__Slice__Device=cpu FaceOrleans__Slice__RequireGpu=false
fi

# 4. Bundled system libraries, only those the machine lacks (its own are newer or match its other libraries).
used="$into/libs-used"
rm -rf "$used" && mkdir -p "$used"
cache=$(ldconfig -p)
for library in "$home"/libs/*; do
  grep -q "^[[:space:]]*$(basename "$library") " <<<"$cache" || ln -s "$library" "$used/"
done
[ -z "$(ls "$used")" ] || say "using the bundle's $(ls "$used" | tr '\n' ' ')"
export LD_LIBRARY_PATH="${library_path#:}${library_path:+:}$used${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! grep -q 'libicuuc\.so' <<<"$cache"; then
  say "no ICU on this machine: .NET runs in invariant globalisation mode"
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
fi

# 5. Say now, not at the first request, if a native library still cannot load.
unresolved=$(ldd "$home/Silo/libOpenCvSharpExtern.so" | grep 'not found' || true)
[ -z "$unresolved" ] || { say "error: OpenCvSharp cannot load:"; echo "$unresolved" >&2; exit 2; }
if [ "$device" = gpu ]; then
  unresolved=$(ldd "$home/Silo/libonnxruntime_providers_cuda.so" | grep 'not found' || true)
  [ -z "$unresolved" ] || { say "error: the CUDA provider cannot load (FaceOrleans:Slice:RequireGpu would stop the service):"; echo "$unresolved" >&2; exit 2; }
fi

# Each host reads appsettings.json from its content root, by default the working folder: the API's comes from
# ASPNETCORE_CONTENTROOT, which only the web host reads; the working folder holds a copy of the silo's.
export ASPNETCORE_CONTENTROOT="$home/Api"
export PATH="$home/bin:$PATH" FaceOrleans__Models__Directory="$home/models"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
say "running in $home: $*"
cd "$home"
exec "$@"
