#!/usr/bin/env python3
"""Runs every curl example of README.md's "Using the API" section against ./scripts/run.sh, as a user would.

Each answer is also checked against the service's own OpenAPI document (/openapi/v1.json): its status must be one the
operation declares and its JSON body must match the declared schema. The document itself goes through the pinned
Redocly linter (tools/openapi-lint), which must report no error.

The user's own service is left alone: the run command gets a temporary data folder (FACEORLEANS_DATA) and free
ports, and the examples' 127.0.0.1:8080 and data/demo-keys.env are rewritten to those. The check fails when any
example answers other than 2xx (a batch example: when any of its images does), or when ./data changed while it ran.
Stops the service afterwards.
"""
import json
import os
import urllib.request
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


def operation(document, command, base):
    """The document's (path template, operation) for a curl command's method and URL; None when none matches."""
    url = next((t.strip("'\"") for t in command.split() if t.strip("'\"").startswith(base)), None)
    if url is None:
        return None, None
    path = url[len(base):].split("?")[0]
    method = re.search(r"-X\s+([A-Z]+)", command)
    method = method.group(1) if method else ("POST" if re.search(r"\s-(F|d|-data\S*|-json)\s", command) else "GET")
    # A concrete segment wins over a template, as in routing: try the templates with the fewest parameters first.
    for template in sorted(document["paths"], key=lambda t: t.count("{")):
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in document["paths"][template]:
            return f"{method} {template}", document["paths"][template][method.lower()]
    return f"{method} {path}", None


def contract_problems(document, command, base, status, body_path):
    """Why an answer breaks the document: an undeclared operation or status, or a body that does not match its schema."""
    import jsonschema
    name, op = operation(document, command, base)
    if name is None:
        return []
    if op is None:
        return [f"{name} is not in the OpenAPI document"]
    declared = op.get("responses", {}).get(str(status))
    if declared is None:
        return [f"{name} answered {status}, which the document does not declare (it declares {sorted(op.get('responses', {}))})"]
    content = declared.get("content", {})
    media = next((m for m in ("application/json", "application/problem+json") if m in content), None)
    if media is None or "schema" not in content[media] or not os.path.exists(body_path):
        return []
    try:
        body = json.load(open(body_path))
    except ValueError:
        return [f"{name} {status}: the body is not JSON, the document says {media}"]
    schema = {**content[media]["schema"], "components": document.get("components", {})}
    return [f"{name} {status}: {e.message} at {'/'.join(map(str, e.absolute_path)) or 'the body'}"
            for e in jsonschema.Draft202012Validator(schema).iter_errors(body)][:3]


def lint(document_path):
    """The pinned Redocly linter on the served document: True when it reports no error."""
    lint_dir = os.path.join(ROOT, "tools", "openapi-lint")
    if not os.path.isdir(os.path.join(lint_dir, "node_modules")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=lint_dir, check=True)
    result = subprocess.run(["npx", "--no-install", "redocly", "lint", document_path, "--format=summary"],
                            cwd=lint_dir, capture_output=True, text=True)
    summary = [l for l in (result.stdout + result.stderr).splitlines() if re.match(r"^(error|warning)\s", l) or "valid" in l.lower()]
    print("\n".join("     " + l for l in summary))
    return result.returncode == 0


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
    """SIGTERM to the run command's process group; waits for `dotnet run` and then for the service it started."""
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
        document_path = os.path.join(work, "openapi.json")
        with urllib.request.urlopen(f"{url}/openapi/v1.json") as served, open(document_path, "wb") as saved:
            saved.write(served.read())
        document = json.load(open(document_path))
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
            broken = [] if piped else contract_problems(document, command, url, output[:3], body)
            failures += not ok or bool(broken)
            print(("ok   " if ok and not broken else "FAIL ") + (("" if piped else output + " ") + command)[:150])
            for problem in broken:
                print(f"     against /openapi/v1.json: {problem}")
        print(f"{len(curls)} README examples, {failures} failed (service at {url}, data in a temporary folder)")
        print("OpenAPI document through the pinned linter (tools/openapi-lint):")
        if not lint(document_path):
            print("FAIL the linter reports errors in /openapi/v1.json")
            failures += 1
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
