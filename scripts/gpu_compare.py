"""POST /v1/{tenant}/compare with two of the bundle's photos, for the GPU scripts (gpu-measure.sh, gpu-slices.sh).
Run from an unpacked bundle (photos in faces/), standard library only, as a bare GPU machine has no other:
  gpu_compare.py latency URL KEY           one compare shown, then 50 sequential: client- and server-side times
  gpu_compare.py served URL KEY TENANT     waits until TENANT's slice answers: 200, or a refusal of the slice itself
                                           (a memory cap), not 503 slice-unavailable while a killed silo is listed
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid


def compare(url, key, tenant, a="img10.jpg", b="img2.jpg"):
    """The answer's JSON; an error status raises urllib.error.HTTPError with the problem as its body."""
    boundary = uuid.uuid4().hex
    body = b""
    for field, name in (("image1", a), ("image2", b)):
        with open(f"faces/{name}", "rb") as photo:
            body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
                     f"Content-Type: image/jpeg\r\n\r\n").encode() + photo.read() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}/v1/{tenant}/compare", data=body, method="POST",
        headers={"X-Api-Key": key, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def latency(url, key):
    answer = compare(url, key, "attendance")
    print("POST /v1/attendance/compare img10.jpg img2.jpg:", json.dumps({k: answer[k] for k in ("similarity", "is_same_person", "message")}))
    times, server = [], []
    for _ in range(50):
        started = time.perf_counter()
        server.append(compare(url, key, "attendance")["timing_ms"])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    server.sort()
    print(f"50 sequential compares (2 images each, one client), client-side: p50 {statistics.median(times):.1f} ms, "
          f"p90 {times[44]:.1f} ms, max {times[-1]:.1f} ms")
    # timing_ms: the API handler's own time, from the bound request (uploads read) through the grain calls and models to the answer.
    print(f"the same compares, server-side (timing_ms): p50 {statistics.median(server):.1f} ms, p90 {server[44]:.1f} ms, "
          f"max {server[-1]:.1f} ms (target: p50 under 10 ms on a GPU)")


def served(url, key, tenant):
    for _ in range(120):
        try:
            compare(url, key, tenant, b="img10.jpg")
            return
        except urllib.error.HTTPError as error:
            problem = json.loads(error.read() or b"{}")
            if not str(problem.get("type", "")).endswith("slice-unavailable"):
                print(f"{tenant}: {error.code} {problem.get('type')}: {problem.get('detail')}")
                return
        time.sleep(1)
    sys.exit(f"{tenant} was not served within 120 s")


if __name__ == "__main__":
    {"latency": latency, "served": served}[sys.argv[1]](*sys.argv[2:])
