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

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Minimal protobuf walker. The patched files must be byte-identical to the reference copies, so
# we never decode-and-reserialise a whole model (that would reorder or re-encode fields):
# unchanged fields are copied verbatim and only the messages we edit (and the length prefixes
# of their parents) are re-encoded.

def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def _enc_varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _fields(buf):
    """Yield (field, wire, start, tag_end, payload_start, end) for each top-level field;
    for length-delimited fields the payload starts after the length prefix."""
    i = 0
    while i < len(buf):
        start = i
        tag, i = _varint(buf, i)
        field, wire = tag >> 3, tag & 7
        tag_end = payload = i
        if wire == 0:
            _, i = _varint(buf, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            n, payload = _varint(buf, i)
            i = payload + n
        elif wire == 5:
            i += 4
        else:
            raise ValueError("unsupported protobuf wire type %d at offset %d" % (wire, start))
        if i > len(buf):
            raise ValueError("truncated protobuf message")
        yield field, wire, start, tag_end, payload, i


def _get(buf, field):
    """Payloads of all length-delimited occurrences of `field`."""
    return [buf[p:e] for f, w, _, _, p, e in _fields(buf) if f == field and w == 2]


def _rewrite(buf, fn):
    """Copy `buf`, letting fn(field, payload) return a replacement payload (None = keep)."""
    out = bytearray()
    for f, w, start, tag_end, p, e in _fields(buf):
        new = fn(f, buf[p:e]) if w == 2 else None
        if new is None or new == buf[p:e]:
            out += buf[start:e]
        else:
            out += buf[start:tag_end] + _enc_varint(len(new)) + new
    return bytes(out)


# Dimension payloads: dim_value 1 (field 1) and dim_param "batch" (field 2).
DIM_ONE = b"\x08\x01"
DIM_BATCH = b"\x12\x05batch"


def _edit(buf, path, fn):
    """Apply fn to the payloads at a nested field path, e.g. (2, 1, 2) = type.tensor_type.shape."""
    if not path:
        return fn(buf)
    return _rewrite(buf, lambda f, p: _edit(p, path[1:], fn) if f == path[0] else None)


def _dynamic_batch(model, reverse=False):
    """Make the batch dimension symbolic: graph input/output dim 0 becomes "batch", and the
    int64 Reshape shape constants [1,-1,...] become [0,-1,...] (0 = copy the batch size from
    the input). Both shipped models keep those constants as initializers, so Constant nodes are
    not handled. reverse=True undoes it (only models/test_provision.py uses that)."""
    dim_from, dim_to = (DIM_BATCH, DIM_ONE) if reverse else (DIM_ONE, DIM_BATCH)
    first_from, first_to = (0, 1) if reverse else (1, 0)
    changes = []

    def first_dim(shape):  # TensorShapeProto.dim is field 1; only the first one is the batch
        for f, w, _, tag_end, p, e in _fields(shape):
            if f == 1 and w == 2:
                if shape[p:e] != dim_from:
                    return None
                return shape[:tag_end] + _enc_varint(len(dim_to)) + dim_to + shape[e:]
        return None

    def shape_const(raw):  # TensorProto.raw_data: little-endian int64s
        if len(raw) >= 16 and struct.unpack_from("<qq", raw) == (first_from, -1):
            return struct.pack("<q", first_to) + raw[8:]
        return None

    def graph_fn(graph):
        reshape_shapes = {ins[1] for n in _get(graph, 1) if _get(n, 4) == [b"Reshape"]
                          for ins in [_get(n, 1)] if len(ins) > 1}
        weights = {name for t in _get(graph, 5) for name in _get(t, 8)}

        def item_fn(f, msg):
            if f == 5:  # initializer
                name = (_get(msg, 8) or [b""])[0]
                types = [_varint(msg, p)[0] for g, w, _, _, p, _ in _fields(msg) if g == 2 and w == 0]
                is_shape = name in reshape_shapes and types == [7]  # data_type 7 = INT64
                new = _edit(msg, (9,), shape_const) if is_shape else msg  # 9 = raw_data
            elif f in (11, 12):  # graph input / output; old IR versions also list weights there
                name = (_get(msg, 1) or [b""])[0]
                new = msg if name in weights else _edit(msg, (2, 1, 2), first_dim)
            else:
                return None
            if new != msg:
                changes.append(name.decode())
            return new
        return _rewrite(graph, item_fn)

    out = _edit(model, (7,), graph_fn)
    if not changes:
        raise ValueError("dynamic-batch patch found nothing to change")
    return out


def _replace_nth(buf, field, n, payload):
    """Copy `buf` with the payload of the n-th (0-based) length-delimited `field` replaced."""
    seen = [0]

    def fn(f, old):
        if f != field:
            return None
        seen[0] += 1
        return payload if seen[0] == n + 1 else None
    return _rewrite(buf, fn)


# Dimension payloads for the image height and width: dim_param "height" / "width".
DIM_HEIGHT = b"\x12\x06height"
DIM_WIDTH = b"\x12\x05width"
FLOAT_ONES = struct.pack("<2f", 1.0, 1.0)
FLOAT_TWOS = struct.pack("<2f", 2.0, 2.0)


def _dynamic_input_size(model):
    """Make the image height and width symbolic, for a fully convolutional detector exported at one size.

    Graph input dims 2 and 3 become "height" and "width". That alone is not enough for RetinaFace:
    its export computes each FPN Upsample's scales as Concat([1, 1], size / Shape(x)[2:4]) with `size`
    a constant (40 and 80 at 640x640), i.e. "upsample to the feature size of a 640x640 input", which is
    wrong at any other size. Every such pattern is rewritten to Concat([1, 1], [2, 2] / [1, 1]): the
    `size` initializer becomes 2.0 and the Div's divisor the Concat's own [1, 1] constant. That is
    exact for any input whose sides are multiples of 32 (each FPN level is then exactly twice the
    coarser one, which the detector guarantees by padding), and at 640x640 it is the same 2.0 as
    40/20, so outputs there are bit-identical. The Shape/Slice/Cast nodes left without a consumer
    stay (they cost nothing and keep the edit byte-minimal)."""
    changes = []

    def graph_fn(graph):
        nodes = _get(graph, 1)
        producer = {out: n for n in nodes for out in _get(n, 2)}

        def made_by(name, op):
            node = producer.get(name)
            if node is None or _get(node, 4) != [op]:
                raise ValueError("%s is not the output of a %s node" % (name.decode(), op.decode()))
            return node

        divisors, sizes = {}, set()
        for node in nodes:
            if _get(node, 4) != [b"Upsample"]:
                continue
            x, scales = _get(node, 1)[:2]
            ones, ratio = _get(made_by(scales, b"Concat"), 1)
            value = [_get(a, 5) for a in _get(made_by(ones, b"Constant"), 5) if _get(a, 1) == [b"value"]]
            if len(value) != 1 or _get(value[0][0], 9) != [FLOAT_ONES]:
                raise ValueError("the Upsample scales do not start with a float [1, 1] constant")
            div = made_by(ratio, b"Div")
            size, divisor = _get(div, 1)
            slice_ = made_by(_get(made_by(divisor, b"Cast"), 1)[0], b"Slice")
            if _get(made_by(_get(slice_, 1)[0], b"Shape"), 1) != [x]:
                raise ValueError("the Upsample scales are not a constant size over the input's own shape")
            divisors[div] = ones
            sizes.add(size)
        weights = {name for t in _get(graph, 5) for name in _get(t, 8)}

        def image_dims(shape):  # TensorShapeProto.dim is field 1: N, C, H, W
            dims = _get(shape, 1)
            if len(dims) != 4 or any(_varint(d, 0)[0] != 8 for d in dims[2:]):  # 8 = dim_value tag
                raise ValueError("the image input is not NCHW with a fixed height and width")
            return _replace_nth(_replace_nth(shape, 1, 2, DIM_HEIGHT), 1, 3, DIM_WIDTH)

        def item_fn(f, msg):
            if f == 1 and msg in divisors:  # node: the Div's divisor becomes the [1, 1] constant
                name, new = _get(msg, 3)[0], _replace_nth(msg, 1, 1, divisors[msg])
            elif f == 5 and _get(msg, 8)[0] in sizes:  # initializer: the constant size becomes 2.0
                name = _get(msg, 8)[0]
                if len(_get(msg, 9)) != 1 or len(_get(msg, 9)[0]) != 8:
                    raise ValueError("the Upsample size %s is not two raw floats" % name.decode())
                new = _edit(msg, (9,), lambda raw: FLOAT_TWOS)
            elif f == 11 and (_get(msg, 1) or [b""])[0] not in weights:  # the image input
                name, new = _get(msg, 1)[0], _edit(msg, (2, 1, 2), image_dims)
            else:
                return None
            changes.append(name.decode())
            return new
        return _rewrite(graph, item_fn)

    out = _edit(model, (7,), graph_fn)
    if not changes:
        raise ValueError("dynamic-input-size patch found nothing to change")
    return out


PATCHES = {"dynamic-batch": _dynamic_batch, "dynamic-input-size": _dynamic_input_size}


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


def apply_patches(model, data, stage=0):
    """Apply the patches a file at `stage` still lacks; every result is checked against its sha256."""
    steps = patches_of(model)
    for i, step in enumerate(steps[stage:], stage):
        name = step.get("name")
        if name not in PATCHES:
            raise Failure("unknown patch %r in the manifest" % name)
        try:
            data = PATCHES[name](data)
        except (ValueError, IndexError, struct.error) as e:  # IndexError: truncated varint
            raise Failure("patch %s failed: %s" % (name, e))
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


def verify_only(models, models_dir, rerun):
    bad = 0
    for m in models:
        path = os.path.join(models_dir, m["file"])
        digest = sha256_file(path) if os.path.exists(path) else None
        if digest == m["sha256"]:
            print("ok  %s" % m["name"])
            continue
        bad += 1
        print("%s %s: %s %s, expected sha256 %s" % (
            "CORRUPT" if digest else "MISSING", m["name"], path,
            "has sha256 " + digest if digest else "not found", m["sha256"]), file=sys.stderr)
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
            print("ok  %s%s" % (m["name"], note), flush=True)
        except Failure as e:
            print(e, file=sys.stderr, flush=True)
            failed += 1
    if failed:
        print("%d of %d model(s) not provisioned" % (failed, len(models)), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
