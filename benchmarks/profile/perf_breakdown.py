#!/usr/bin/env python3
"""Where a .NET service's CPU goes, from `perf script` output (perf record -g, DOTNET_PerfMapEnabled=1).

Each sample is put in one bucket: by its thread (the tiered JIT's, the GC's), by the native library its leaf
frame is in (ONNX Runtime, OpenCV, the JIT), by a thread-pool wait or spin anywhere on its stack, else by the
assembly of the nearest managed frame that is not the base library (System.Private.CoreLib and friends), so
ASP.NET Core, Orleans, prometheus-net and the pipeline's own managed code each get their share.
Usage: perf script -i perf.data -F comm,tid,ip,sym,dso | perf_breakdown.py [--top N]
"""
import collections
import re
import sys

BASE = {"System.Private.CoreLib", "System.Runtime", "System.Memory", "System.Collections",
        "System.Collections.Concurrent", "System.Linq", "System.Threading", "System.Threading.Tasks.Parallel"}
FRAME = re.compile(r"^\s*[0-9a-f]+ (.*?)(?: \(([^()]*)\))?$")
ASSEMBLY = re.compile(r"\[([A-Za-z0-9_.]+)\]\s*\S*?[A-Za-z0-9_.`+<>]+::")


def bucket(comm, frames):
    if "Tiered Com" in comm:
        return "JIT (tiered compilation thread)"
    if "GC" in comm:
        return "GC threads"
    leaf_dso = frames[0][1]
    if "libonnxruntime" in leaf_dso:
        return "ONNX Runtime"
    if "OpenCvSharpExtern" in leaf_dso:
        return "OpenCV (decode, resize, warp)"
    if "libclrjit" in leaf_dso:
        return "JIT (on other threads)"
    symbols = " ".join(symbol for symbol, _ in frames)
    if "sched_yield" in symbols or "LowLevelLifoSemaphore" in symbols or "LowLevelSpinWaiter" in symbols:
        return "thread pool: spinning and waiting for work"
    if "sqlite" in leaf_dso:
        return "SQLite"
    for symbol, _ in frames:
        match = ASSEMBLY.search(symbol)
        if match and match.group(1) not in BASE:
            return "managed: " + match.group(1)
    if "kernel" in leaf_dso:
        return "kernel, no managed caller"
    if "libcoreclr" in leaf_dso:
        return "runtime (libcoreclr), no managed caller"
    if "libc.so" in leaf_dso:
        return "libc (memset, memcpy, malloc), no managed caller"
    return "other: " + leaf_dso.rsplit("/", 1)[-1]


def main():
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 25
    counts = collections.Counter()
    comm, frames = None, []
    for line in sys.stdin:
        if not line.strip():
            if frames:
                counts[bucket(comm, frames)] += 1
            comm, frames = None, []
        elif not line[0].isspace():
            comm = line.strip()
        else:
            match = FRAME.match(line.rstrip("\n"))
            if match:
                frames.append((match.group(1), match.group(2) or ""))
    if frames:
        counts[bucket(comm, frames)] += 1
    total = sum(counts.values()) or 1
    print(f"| share of samples ({total}) | where |")
    print("|---:|---|")
    for name, count in counts.most_common(top):
        print(f"| {100 * count / total:.2f} % | {name} |")


if __name__ == "__main__":
    main()
