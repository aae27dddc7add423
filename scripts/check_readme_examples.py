#!/usr/bin/env python3
"""Runs every curl example of README.md's "Using the API" section against ./scripts/run.sh, as a user would.

The user's own service is left alone: the run command gets a temporary data folder (FACEORLEANS_DATA) and free
ports, and the examples' 127.0.0.1:8080 and data/demo-keys.env are rewritten to those. The check fails when any
example answers other than 2xx (a batch example: when any of its images does), or when ./data changed while it ran.
Stops the service afterwards.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README_URL = "http://127.0.0.1:8080"
README_KEYS = "data/demo-keys.env"


def examples():
    block = open(os.path.join(ROOT, "README.md")).read().split("## Using the API")[1].split("```sh")[1].split("```")[0]
    commands, current = [], ""
    for line in block.splitlines():
        if not line.strip() or (line.strip().startswith("#") and not current):
            continue
        if line.endswith("\\"):
            current += line[:-1].rstrip() + " "
            continue
        commands.append((current + line).strip())
        current = ""
    setup = [c.split("  #")[0].strip() for c in commands if not c.startswith("curl")]
    return setup, [c for c in commands if c.startswith("curl")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def failed_images(body_path):
    """The statuses of a batch answer's images that are not 2xx: a batch answers 200 even when every image failed."""
    try:
        body = json.load(open(body_path))
    except (OSError, ValueError):
        return []
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        return []
    return [r.get("status") for r in results if not str(r.get("status")).startswith("2")]


def snapshot(folder):
    """Every file under the user's data folder with its size and modification time."""
    found = {}
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            stat = os.stat(path)
            found[os.path.relpath(path, folder)] = (stat.st_size, stat.st_mtime_ns)
    return found


def stop(service):
    """SIGTERM to the run command's process group; waits for `dotnet run` and then for the API it started."""
    os.killpg(service.pid, signal.SIGTERM)
    service.wait(timeout=60)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            os.killpg(service.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.killpg(service.pid, signal.SIGKILL)


def main():
    user_data = os.path.join(ROOT, "data")
    before = snapshot(user_data)
    work = tempfile.mkdtemp(prefix="faceorleans-readme-")
    url, keys = f"http://127.0.0.1:{free_port()}", os.path.join(work, "demo-keys.env")
    setup, curls = examples()
    setup, curls = ([c.replace(README_URL, url).replace(README_KEYS, keys) for c in part] for part in (setup, curls))
    leftover = [c for c in setup + curls if ":8080" in c or re.search(r"(?<![\w./])data/", c)]
    if leftover:
        print(f"README examples use an address or data path the check cannot redirect: {leftover[0]}", file=sys.stderr)
        return 1

    log_path = os.path.join(work, "run.log")
    log = open(log_path, "w")
    service = subprocess.Popen(
        ["./scripts/run.sh", "--urls", url,
         f"--FaceOrleans:Cluster:SiloPort={free_port()}", f"--FaceOrleans:Cluster:GatewayPort={free_port()}"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "FACEORLEANS_DATA": work})
    failures = 0
    try:
        deadline = time.time() + 300
        while not os.path.exists(keys):
            if service.poll() is not None or time.time() > deadline:
                print("the run command did not come up; its output ends:", file=sys.stderr)
                print("".join(open(log_path).readlines()[-40:]), file=sys.stderr)
                return 1
            time.sleep(1)
        time.sleep(1)
        prefix = "set -e; " + "; ".join(setup) + "; "
        body = os.path.join(work, "body.json")
        for command in curls:
            piped = "|" in command
            if os.path.exists(body):
                os.remove(body)
            probe = command if piped else command.replace("curl -s", f'curl -s -o {body} -w "%{{http_code}}"', 1)
            result = subprocess.run(["bash", "-c", prefix + probe], cwd=ROOT, capture_output=True, text=True)
            output = result.stdout.strip()
            if not piped and (failed := failed_images(body)):
                output += f" (images answered {failed})"
            ok = (result.returncode == 0 and output != "") if piped else (output.startswith("2") and "images answered" not in output)
            failures += not ok
            print(("ok   " if ok else "FAIL ") + (("" if piped else output + " ") + command)[:150])
        print(f"{len(curls)} README examples, {failures} failed (service at {url}, data in a temporary folder)")
    finally:
        stop(service)
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    if snapshot(user_data) != before:
        print("the README check changed ./data, which belongs to the user", file=sys.stderr)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
