#!/usr/bin/env python3
"""Runs every curl example of README.md's "Using the API" section against ./scripts/run.sh, as a user would.

Starts the run command exactly as written, waits for its demo keys, runs each example with the section's own
setup lines, and fails when any answers other than 2xx. Stops the service afterwards.
"""
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def main():
    keys = os.path.join(ROOT, "data", "demo-keys.env")
    if os.path.exists(keys):
        os.remove(keys)
    log = open("/tmp/faceorleans-run.log", "w")
    service = subprocess.Popen(["./scripts/run.sh"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 300
        while not os.path.exists(keys):
            if service.poll() is not None or time.time() > deadline:
                print("the run command did not come up; see /tmp/faceorleans-run.log", file=sys.stderr)
                return 1
            time.sleep(1)
        time.sleep(1)
        setup, curls = examples()
        prefix = "set -e; " + "; ".join(setup) + "; "
        # The examples create subject emp-042 and delete it at the end; clear one left by an interrupted run.
        subprocess.run(["bash", "-c", prefix + 'curl -s -o /dev/null -X DELETE http://127.0.0.1:8080/v1/attendance/subjects/emp-042 -H "X-Api-Key: $ATTENDANCE_KEY"'], cwd=ROOT)
        failures = 0
        for command in curls:
            piped = "|" in command
            probe = command if piped else command.replace("curl -s", 'curl -s -o /dev/null -w "%{http_code}"', 1)
            result = subprocess.run(["bash", "-c", prefix + probe], cwd=ROOT, capture_output=True, text=True)
            output = result.stdout.strip()
            ok = (result.returncode == 0 and output != "") if piped else output.startswith("2")
            failures += not ok
            print(("ok   " if ok else "FAIL ") + (("" if piped else output + " ") + command)[:150])
        print(f"{len(curls)} README examples, {failures} failed")
        return 1 if failures else 0
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        service.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
