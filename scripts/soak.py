#!/usr/bin/env python3
"""Soak benchmark (not a test): N minutes at saturation, then a per-minute table.

  python3 scripts/soak.py --minutes 10 --setup embedded   # the embedded default: API + one silo in one process
  python3 scripts/soak.py --minutes 10 --setup cluster    # redis-server, three silo processes (one tenant each), API as client

  python3 scripts/soak.py --minutes 60 --setup cluster --window 5 --warmup 10   # an hour, a row per 5 minutes

Run `dotnet build -c Release` first. Every tenant gets a closed loop of `--workers` clients alternating 1:1 compares
and enrollments as fast as they are answered (a 429 counts as an answer, not an error: it is the API shedding load
at saturation). Per window of `--window` minutes: requests, errors (5xx or no answer), other 4xx, p50/p99 latency of
answered requests and the mean RSS of every process started. RSS is sampled every 5 s and averaged over the window,
because one reading lands anywhere on the garbage collector's saw-tooth (tens of MB from one second to the next).
Then the RSS growth from the first window to the last, and from the first window after `--warmup` minutes to the last.
Everything runs on free loopback ports with a temporary data folder; nothing touches ./data.
"""
import argparse
import base64
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACES = os.path.join(ROOT, "..", "shared", "testdata", "faces")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assembly(project, dll):
    found = glob.glob(os.path.join(ROOT, project, "bin", "Release", "net*", dll))
    if not found:
        sys.exit(f"{dll} is not built: run `dotnet build -c Release` first")
    return found[0]


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


class Setup:
    """The processes under test, started on free ports in a temporary folder."""

    def __init__(self, kind, tenants, silo_args=None, silo_env=None):
        silo_args, silo_env = silo_args or {}, silo_env or {}
        self.folder = tempfile.mkdtemp(prefix="faceorleans-soak-")
        self.processes = {}
        self.url = f"http://127.0.0.1:{free_port()}"
        self.keys_file = os.path.join(self.folder, "demo-keys.env")
        models = ["--FaceOrleans:Models:Directory=" + os.path.join(ROOT, "models")]
        demo = ["--FaceOrleans:Api:DemoTenants=" + ",".join(tenants), "--FaceOrleans:Api:DemoKeysFile=" + self.keys_file]
        if kind == "embedded":
            # The embedded default, as scripts/run.sh starts it: the API and its silo in one process.
            self.start("api", assembly("Silo", "FaceOrleans.Silo.dll"), [
                "embedded", "--urls", self.url, *models, *demo,
                "--FaceOrleans:Slice:Tenants=" + ",".join(tenants),
                f"--FaceOrleans:Cluster:StoragePath={self.folder}/faceorleans.db",
                f"--FaceOrleans:Cluster:SiloPort={free_port()}", f"--FaceOrleans:Cluster:GatewayPort={free_port()}"])
            return
        redis = shutil.which("redis-server") or sys.exit("redis-server is not installed: run ./scripts/setup.sh")
        redis_port = free_port()
        self.start("redis", redis, ["--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        # Redis mode starts only with the master key every silo shares (docs/data-protection.md).
        cluster = ["--FaceOrleans:Cluster:Mode=Redis", f"--FaceOrleans:Cluster:Redis=127.0.0.1:{redis_port}",
                   "--FaceOrleans:Cluster:ClusterId=soak-" + uuid.uuid4().hex[:8],
                   "--FaceOrleans:Protection:MasterKey=" + base64.b64encode(secrets.token_bytes(32)).decode()]
        pins = [f"--FaceOrleans:Placement:Pins:{t}=cpu-{i + 1}" for i, t in enumerate(tenants)]
        for i, tenant in enumerate(tenants):
            self.start(f"silo cpu-{i + 1}", assembly("Silo", "FaceOrleans.Silo.dll"), [
                *cluster, *models, *pins, f"--FaceOrleans:Slice:Id=cpu-{i + 1}", "--FaceOrleans:Slice:Tenants=" + tenant,
                "--FaceOrleans:Slice:IntraOpThreads=1", "--FaceOrleans:Placement:RefuseUnknownTenants=true",
                f"--FaceOrleans:Cluster:SiloPort={free_port()}", f"--FaceOrleans:Cluster:GatewayPort={free_port()}",
                *silo_args.get(i + 1, [])], silo_env.get(i + 1, {}))  # last, so a variant overrides the defaults above
        self.start("api", assembly("Api", "FaceOrleans.Api.dll"), ["--urls", self.url, *cluster, *demo])

    def start(self, name, program, arguments, extra_env=None):
        command = ([program] if not program.endswith(".dll") else ["dotnet", program]) + arguments
        log = open(os.path.join(self.folder, name.replace(" ", "-") + ".log"), "w")
        # As scripts/run.sh and the images run the service: two glibc arenas, or native memory fragments (docs/soak.md).
        env = {"MALLOC_ARENA_MAX": "2", **os.environ, **(extra_env or {})}
        self.processes[name] = subprocess.Popen(command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, env=env)

    def keys(self, tenants, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.keys_file):
                pairs = dict(l.strip().split("=", 1) for l in open(self.keys_file) if "=" in l and not l.startswith("#"))
                if all(t.upper() + "_KEY" in pairs for t in tenants):
                    return {t: pairs[t.upper() + "_KEY"] for t in tenants}
            time.sleep(1)
        sys.exit(f"the API wrote no demo keys within {timeout} s; logs in {self.folder}")

    def stop(self):
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def multipart(files):
    boundary = uuid.uuid4().hex
    body = b""
    for name, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.jpg\"\r\n"
                 "Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post(url, key, body, content_type, timeout=60):
    request = urllib.request.Request(url, data=body, method="POST", headers={"X-Api-Key": key, "Content-Type": content_type})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except (urllib.error.URLError, OSError):
        status = 0
    return status, time.monotonic() - started


def ready(setup, keys, tenants, photo):
    body, kind = multipart([("image1", photo), ("image2", photo)])
    deadline = time.time() + 300
    while time.time() < deadline:
        if all(post(f"{setup.url}/v1/{t}/compare", keys[t], body, kind)[0] == 200 for t in tenants):
            return
        time.sleep(2)
    sys.exit(f"the service never answered a compare for every tenant; logs in {setup.folder}")


def print_table(options, tenants, samples, rss):
    names = list(rss[0][1])
    window = options.window * 60
    windows = max(1, int(options.minutes * 60 // window))
    print(f"soak: {options.setup}, {options.minutes:g} min, {options.workers} closed-loop clients per tenant "
          f"({', '.join(tenants)}), compare and enroll alternating; a row per {options.window} min, RSS its mean")
    print("| minutes | requests | errors | other 4xx | 429 | p50 ms | p99 ms | "
          + " | ".join(f"RSS {n} MB" for n in names) + " |")
    print("|---" * (7 + len(names)) + "|")
    means = []
    for w in range(windows):
        low, high = w * window, (w + 1) * window
        rows = [s for s in samples if low <= s[0] < high]
        answered = sorted(s[2] for s in rows if 200 <= s[1] < 300)
        errors = sum(1 for s in rows if s[1] == 0 or s[1] >= 500)
        shed = sum(1 for s in rows if s[1] == 429)
        rejected = sum(1 for s in rows if 400 <= s[1] < 500 and s[1] != 429)
        pct = lambda q: answered[min(len(answered) - 1, int(q * len(answered)))] * 1000 if answered else float("nan")
        readings = [r for t, r in rss if low < t <= high + 1]
        means.append({n: sum(r[n] for r in readings) / len(readings) for n in names})
        print(f"| {low // 60:.0f}-{high // 60:.0f} | {len(rows)} | {errors} | {rejected} | {shed} | {pct(0.50):.0f} | "
              f"{pct(0.99):.0f} | " + " | ".join(f"{means[-1][n]:.0f}" for n in names) + " |")

    def growth(first):
        return ", ".join(f"{n} {(means[-1][n] / means[first][n] - 1) * 100:+.1f} %" for n in names)

    print(f"RSS growth, first window to last: {growth(0)}")
    settled = min(windows - 1, -(-options.warmup * 60 // window))
    if options.warmup:
        print(f"RSS growth, from minute {settled * options.window} to the end: {growth(settled)}")
    print("answered per tenant: " + ", ".join(f"{t} {sum(1 for s in samples if s[3] == t and 200 <= s[1] < 300)}" for t in tenants))
    print(f"total: {len(samples)} requests, {sum(1 for s in samples if s[1] == 0 or s[1] >= 500)} errors, "
          f"{sum(1 for s in samples if 400 <= s[1] < 500 and s[1] != 429)} other 4xx")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", choices=["embedded", "cluster"], default="embedded")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4, help="closed-loop clients per tenant (default 4)")
    parser.add_argument("--window", type=int, default=1, help="minutes per table row (default 1)")
    parser.add_argument("--warmup", type=int, default=0,
                        help="minutes after which the second growth figure starts (default 0: only the first)")
    parser.add_argument("--silo-arg", action="append", default=[], metavar="N:ARG",
                        help="cluster: one more argument for silo cpu-N only, e.g. 2:--FaceOrleans:Slice:EnableCpuMemArena=false,"
                             " to compare settings side by side under the same load")
    parser.add_argument("--silo-env", action="append", default=[], metavar="N:NAME=VALUE",
                        help="cluster: an environment variable for silo cpu-N only, e.g. 2:MALLOC_MMAP_THRESHOLD_=131072")
    options = parser.parse_args()
    silo_args, silo_env = {}, {}
    for item in options.silo_arg:
        n, arg = item.split(":", 1)
        silo_args.setdefault(int(n), []).append(arg)
    for item in options.silo_env:
        n, pair = item.split(":", 1)
        name, value = pair.split("=", 1)
        silo_env.setdefault(int(n), {})[name] = value
    tenants = ["attendance", "access"] if options.setup == "embedded" else ["attendance", "access", "analytics"]
    photo1 = open(os.path.join(FACES, "img1.jpg"), "rb").read()
    photo2 = open(os.path.join(FACES, "img2.jpg"), "rb").read()

    setup = Setup(options.setup, tenants, silo_args, silo_env)
    try:
        keys = setup.keys(tenants)
        ready(setup, keys, tenants, photo2)
        for tenant in tenants:
            urllib.request.urlopen(urllib.request.Request(f"{setup.url}/v1/{tenant}/subjects", method="POST",
                                   data=json.dumps({"id": "soak"}).encode(),
                                   headers={"X-Api-Key": keys[tenant], "Content-Type": "application/json"})).read()
        compare = multipart([("image1", photo1), ("image2", photo2)])
        enroll = multipart([("image", photo2)])
        samples, lock, stop = [], threading.Lock(), threading.Event()
        start = time.monotonic()
        end = start + options.minutes * 60

        def loop(tenant, worker):
            n = worker
            while time.monotonic() < end:
                route, (body, kind) = (("compare", compare) if n % 2 == 0 else (f"subjects/soak/faces", enroll))
                status, seconds = post(f"{setup.url}/v1/{tenant}/{route}", keys[tenant], body, kind)
                with lock:
                    samples.append((time.monotonic() - start, status, seconds, tenant))
                n += 1

        threads = [threading.Thread(target=loop, args=(t, w), daemon=True) for t in tenants for w in range(options.workers)]
        for thread in threads:
            thread.start()
        rss = []  # (seconds since start, {process: MB})
        while time.monotonic() < end:
            time.sleep(min(5, max(0, end - time.monotonic())))
            rss.append((time.monotonic() - start, {n: rss_mb(p.pid) for n, p in setup.processes.items() if n != "redis"}))
        for thread in threads:
            thread.join()
        print_table(options, tenants, samples, rss)
    finally:
        setup.stop()


if __name__ == "__main__":
    main()
