#!/usr/bin/env python3
"""Fill models/ with the ONNX files listed in models/manifest.json and verify their sha256.

Per model: keep an already-verified file; else copy from the shared folder (../shared/models);
else download the original from source.url, check it, apply source.patches, check the result.
Stdlib only, so it runs on a bare CI image or dev box before anything else is installed.
See models/README.md.
"""
import argparse
import hashlib
import json
import os
import shlex
import shutil
import struct
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in models/ from the import below: it is not git-ignored
from onnx_patches import PATCHES  # noqa: E402  (its folder is the script's, first on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()



class Failure(Exception):
    pass


def source_hash_ok(src, digest):
    """Check the original against source.sha256, or the prefix/suffix that is all some publish."""
    if src.get("sha256"):
        return digest == src["sha256"]
    return digest.startswith(src.get("sha256_prefix", "")) and digest.endswith(src.get("sha256_suffix", ""))


def source_hash_text(src):
    return src.get("sha256") or "%s...%s" % (src.get("sha256_prefix", ""), src.get("sha256_suffix", ""))


def patches_of(model):
    """source.patches: [{"name": ..., "sha256": hash of the result}], applied in order to the original.
    The last result is the model's own sha256, which its entry may leave out."""
    return model.get("source", {}).get("patches", [])


def patch_stage(model, digest):
    """How many patches a file with this sha256 already has (0 = the original), or None if unknown."""
    steps = patches_of(model)
    if steps and source_hash_ok(model.get("source", {}), digest):
        return 0
    for i, step in enumerate(steps[:-1]):
        if step.get("sha256") == digest:
            return i + 1
    return None


def run_patch(name, data):
    """One manifest patch (source.patches or cpu_form.patches) applied to model bytes."""
    if name not in PATCHES:
        raise Failure("unknown patch %r in the manifest" % name)
    try:
        return PATCHES[name](data)
    except (ValueError, IndexError, struct.error) as e:  # IndexError: truncated varint
        raise Failure("patch %s failed: %s" % (name, e))


def apply_patches(model, data, stage=0):
    """Apply the patches a file at `stage` still lacks; every result is checked against its sha256."""
    steps = patches_of(model)
    for i, step in enumerate(steps[stage:], stage):
        name = step.get("name")
        data = run_patch(name, data)
        expected = model["sha256"] if i == len(steps) - 1 else step.get("sha256")
        digest = hashlib.sha256(data).hexdigest()
        if expected and digest != expected:
            raise Failure("result of patch %s has sha256 %s, expected %s" % (name, digest, expected))
    digest = hashlib.sha256(data).hexdigest()
    if digest != model["sha256"]:
        raise Failure("result (patches: %s) has sha256 %s, expected %s"
                      % (", ".join(p.get("name", "?") for p in steps) or "none", digest, model["sha256"]))
    return data


def from_original(model, data):
    """Original source bytes -> final model bytes, checked against the original's and every patch's hash."""
    src = model["source"]
    digest = hashlib.sha256(data).hexdigest()
    if not source_hash_ok(src, digest):
        raise Failure("original has sha256 %s, expected %s" % (digest, source_hash_text(src)))
    return apply_patches(model, data)


def download(src, models_dir, timeout):
    """Fetch source.url to a temp file (unpacking archive_member); return the original bytes."""
    fd, tmp = tempfile.mkstemp(dir=models_dir, prefix=".download.", suffix=".tmp.onnx")
    try:
        # timeout bounds connecting and each read, so a dead host or stalled transfer fails fast.
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(src["url"], timeout=timeout) as r:
            shutil.copyfileobj(r, out, 1 << 20)
        if not src.get("archive_member"):
            with open(tmp, "rb") as f:
                return f.read()
        with tarfile.open(tmp, "r:gz") as tar:
            try:
                return tar.extractfile(src["archive_member"]).read()
            except (KeyError, AttributeError):
                raise Failure("%s is not a file in %s" % (src["archive_member"], src["url"]))
    except (OSError, EOFError, zlib.error, tarfile.TarError) as e:  # URLError/HTTPError are OSErrors
        if isinstance(e, urllib.error.HTTPError):
            e.close()  # it holds the open response
        reason = str(e.reason if type(e) is urllib.error.URLError else e)  # drop "<urlopen error"
        if "timed out" in reason:
            reason += " (no data for --timeout %g s)" % timeout
        raise Failure("download %s failed: %s" % (src["url"], reason))
    finally:
        os.unlink(tmp)


def install(data_or_path, dest, expected):
    """Write to a temp file beside dest, verify, then rename atomically: dest is never partial."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix="." + os.path.basename(dest) + ".",
                               suffix=".tmp.onnx")  # *.onnx is git-ignored, even if we are killed
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data_or_path, bytes):
                out.write(data_or_path)
            else:
                with open(data_or_path, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the service may run as another user
        digest = sha256_file(tmp)
        if digest != expected:
            raise Failure("copy to %s has sha256 %s, expected %s" % (dest, digest, expected))
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def provision(model, args):
    """Make models_dir/file verified; return a note on what was done, or raise Failure."""
    dest = os.path.join(args.models_dir, model["file"])
    shared = os.path.join(args.shared, model["file"])
    expected, src = model["sha256"], model.get("source", {})
    tried = []
    if os.path.exists(dest):
        digest = sha256_file(dest)
        if digest == expected:
            return ""
        tried.append("%s: sha256 %s, wrong" % (dest, digest))
    if os.path.exists(shared):
        digest = sha256_file(shared)
        try:
            if digest == expected:
                install(shared, dest, expected)
                return " (copied from %s)" % shared
            stage = patch_stage(model, digest)
            if stage is not None:  # the original, or a copy part-way through the patches
                with open(shared, "rb") as f:
                    install(apply_patches(model, f.read(), stage), dest, expected)
                return " (patched from %s at %s)" % (
                    "the original" if stage == 0 else "the %s copy" % patches_of(model)[stage - 1]["name"], shared)
            tried.append("%s: sha256 %s, neither that nor the original's %s%s"
                         % (shared, digest, source_hash_text(src), "".join(
                             " nor %s's %s" % (p["name"], p["sha256"]) for p in patches_of(model)[:-1] if p.get("sha256"))))
        except (Failure, OSError) as e:
            tried.append("%s: %s" % (shared, e))
    else:
        tried.append("%s: not found" % shared)
    if args.offline:
        tried.append("download skipped (--offline)")
    elif not src.get("url"):
        tried.append("download impossible: the manifest has no source.url")
    else:
        try:
            install(from_original(model, download(src, args.models_dir, args.timeout)), dest, expected)
            return " (downloaded from %s)" % src["url"]
        except (Failure, OSError) as e:
            tried.append(str(e))
    if os.path.exists(dest):  # a wrong file must not be picked up by the service
        os.unlink(dest)
        tried.append("removed the wrong %s" % dest)
    fix = "put a copy with sha256 %s at %s" % (expected, shared)
    if src.get("url"):
        fix = "download %s%s and save it as %s (it is checked%s), or %s" % (
            src["url"], ", extract %s from it," % src["archive_member"] if src.get("archive_member") else "",
            shared, " and patched" if patches_of(model) else "", fix)
    raise Failure("\n".join(
        ["FAILED %s (%s): expected sha256 %s" % (model["name"], model["file"], expected)]
        + ["  tried: " + t for t in tried] + ["  fix: %s; then run:" % fix, "       " + args.rerun]))


def derive(model, models, args):
    """An int8 model (an entry with "quantized"): made by models/quantize.py from its fp32 model, which must
    already be here and verified, and the committed activation ranges; the result is checked against sha256."""
    spec = model["quantized"]
    dest = os.path.join(args.models_dir, model["file"])
    if os.path.exists(dest) and sha256_file(dest) == model["sha256"]:
        return ""
    base = next((m for m in models if m["name"] == spec["from"]), None)
    if base is None:
        raise Failure("FAILED %s: quantized.from names %r, which is not in the manifest" % (model["name"], spec["from"]))
    source = os.path.join(args.models_dir, base["file"])
    if not os.path.exists(source) or sha256_file(source) != base["sha256"]:
        raise Failure("FAILED %s: its fp32 model %s is not provisioned at %s" % (model["name"], base["name"], source))
    sys.dont_write_bytecode = True  # no __pycache__ in models/: it is not git-ignored
    import quantize  # here, not at the top: it imports this module's protobuf walker
    try:
        with open(source, "rb") as f:
            data = quantize.quantize_file(f.read(), os.path.join(os.path.dirname(os.path.abspath(args.manifest)), spec["ranges"]),
                                          base["sha256"], spec.get("keep_fp32", []))
        install(data, dest, model["sha256"])
    except (ValueError, KeyError, OSError, Failure) as e:
        if os.path.exists(dest):  # a wrong file must not be picked up by the service
            os.unlink(dest)
        raise Failure("FAILED %s (%s): quantizing %s: %s" % (model["name"], model["file"], base["name"], e))
    return " (quantized from %s)" % base["name"]


def cpu_form(model, args):
    """The entry's CPU form ("cpu_form": the same network rewritten for ONNX Runtime's CPU provider, bit-identical
    outputs): its patches applied to the verified model file, the result checked against its sha256."""
    form = model["cpu_form"]
    dest = os.path.join(args.models_dir, form["file"])
    if os.path.exists(dest) and sha256_file(dest) == form["sha256"]:
        return ""
    source = os.path.join(args.models_dir, model["file"])
    try:
        with open(source, "rb") as f:
            data = f.read()
        for step in form["patches"]:
            data = run_patch(step["name"], data)
        install(data, dest, form["sha256"])
    except (KeyError, OSError, Failure) as e:
        if os.path.exists(dest):  # a wrong file must not be picked up by the service
            os.unlink(dest)
        raise Failure("FAILED %s (%s): its CPU form from %s: %s" % (model["name"], form["file"], source, e))
    return " (CPU form %s)" % form["file"]


def verify_only(models, models_dir, rerun):
    bad = 0
    files = [(m["name"], m["file"], m["sha256"]) for m in models]
    files += [(m["name"] + " (CPU form)", m["cpu_form"]["file"], m["cpu_form"]["sha256"]) for m in models if "cpu_form" in m]
    for name, file, sha256 in files:
        path = os.path.join(models_dir, file)
        digest = sha256_file(path) if os.path.exists(path) else None
        if digest == sha256:
            print("ok  %s" % name)
            continue
        bad += 1
        print("%s %s: %s %s, expected sha256 %s" % (
            "CORRUPT" if digest else "MISSING", name, path,
            "has sha256 " + digest if digest else "not found", sha256), file=sys.stderr)
    if bad:
        print("%d model(s) missing or corrupt; to fix run: %s" % (bad, rerun), file=sys.stderr)
    return 1 if bad else 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    repo_root = os.path.dirname(HERE)
    default_shared = os.environ.get("FACEORLEANS_SHARED_MODELS") or \
        os.path.join(os.path.dirname(repo_root), "shared", "models")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models-dir", default=HERE, help="where the .onnx files go (default: %(default)s)")
    ap.add_argument("--shared", default=default_shared, help="folder with ready copies (default: "
                    "$FACEORLEANS_SHARED_MODELS, else %(default)s)")
    ap.add_argument("--manifest", default=os.path.join(HERE, "manifest.json"))
    ap.add_argument("--offline", action="store_true", help="never download")
    ap.add_argument("--verify-only", action="store_true", help="only check the files in --models-dir")
    ap.add_argument("--timeout", type=float, default=30, help="network timeout, seconds (default 30)")
    args = ap.parse_args(argv)
    # The command that repairs things: this one, minus the flags that stop it from repairing.
    script = os.path.relpath(os.path.abspath(__file__))
    script = os.path.abspath(script) if script.startswith("..") else script
    args.rerun = " ".join(["python3", shlex.quote(script)]
                          + [shlex.quote(a) for a in argv if a not in ("--offline", "--verify-only")])
    with open(args.manifest) as f:
        models = json.load(f)["models"]
    if args.verify_only:
        return verify_only(models, args.models_dir, args.rerun)
    os.makedirs(args.models_dir, exist_ok=True)
    failed = 0
    for m in models:
        try:
            note = derive(m, models, args) if "quantized" in m else provision(m, args)
            note += cpu_form(m, args) if "cpu_form" in m else ""
            print("ok  %s%s" % (m["name"], note), flush=True)
        except Failure as e:
            print(e, file=sys.stderr, flush=True)
            failed += 1
    if failed:
        print("%d of %d model(s) not provisioned" % (failed, len(models)), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
