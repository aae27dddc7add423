"""Static int8 QDQ quantization of an fp32 ONNX model, in the format ONNX Runtime's quantizer writes.

ONNX Runtime's own quantizer (onnxruntime.quantization) needs the onnx and numpy Python packages; this script
needs only the standard library, so models/provision.py can derive the int8 models on a bare machine in seconds.
It runs nothing: the activation ranges come from models/quantization/NAME.json, measured once on the shared
photos by the Silo's `calibrate-int8` command, so the output is the same bytes wherever it is made (the manifest
pins its sha256).

What it writes, per Conv that is not kept in fp32 (see docs/int8.md):
- the weight as int8, symmetric, per output channel (scale = max|w| / 127, zero point 0), behind a
  DequantizeLinear with axis 0;
- the bias as int32 with scale = input scale x weight scale (zero point 0), behind a DequantizeLinear;
- the data input and the output through a QuantizeLinear/DequantizeLinear pair, uint8 asymmetric, from the
  calibrated [min, max] widened to hold 0.
ONNX Runtime's CPU provider fuses each such group into a QLinearConv (u8 activations, s8 weights). The models
are opset 9, which has no QuantizeLinear, so the pairs use the com.microsoft domain's (same contract, with the
per-channel axis), which ONNX Runtime's QDQ fusions accept.
"""
import json
import math
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in models/: it is not git-ignored
from onnx_patches import enc_varint, fields, get, varint as _varint  # noqa: E402

MS_DOMAIN = b"com.microsoft"
MIN_OPSET = 10
FLOAT, UINT8, INT8, INT32 = 1, 2, 3, 6


def _len_field(field, payload):
    return enc_varint(field << 3 | 2) + enc_varint(len(payload)) + payload


def _int_field(field, value):
    return enc_varint(field << 3) + enc_varint(value & 0xFFFFFFFFFFFFFFFF)


def _tensor(name, data_type, dims, raw):
    return b"".join(_int_field(1, d) for d in dims) + _int_field(2, data_type) + _len_field(8, name) + _len_field(9, raw)


def _node(op, inputs, outputs, name, axis=None):
    attrs = b"" if axis is None else _len_field(5, _len_field(1, b"axis") + _int_field(3, axis) + _int_field(20, 2))
    return (b"".join(_len_field(1, i) for i in inputs) + b"".join(_len_field(2, o) for o in outputs)
            + _len_field(3, name) + _len_field(4, op) + attrs + _len_field(7, MS_DOMAIN))


def _f32(x):
    """x rounded to float32, as ONNX Runtime holds every scale."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _floats(tensor):
    """The dims and float values of an fp32 TensorProto (raw_data or packed float_data)."""
    dims, data_type, values = [], None, None
    for f, w, _, _, p, e in fields(tensor):
        if f == 1:
            if w == 0:
                dims.append(_varint_at(tensor, p))
            else:
                i = p
                while i < e:
                    d, i = _varint(tensor, i)
                    dims.append(d)
        elif f == 2:
            data_type = _varint_at(tensor, p)
        elif f in (4, 9) and w == 2:
            values = struct.unpack("<%df" % ((e - p) // 4), tensor[p:e])
    if data_type != FLOAT or values is None:
        raise ValueError("a Conv weight or bias is not an fp32 tensor with raw or packed data")
    return dims, values


def _varint_at(buf, i):
    return _varint(buf, i)[0]


def _uint8_params(lo, hi):
    """Scale and zero point of the uint8 range that holds [lo, hi] and 0 (ONNX Runtime's asymmetric MinMax)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = _f32((hi - lo) / 255.0) if hi > lo else 1.0
    return scale, max(0, min(255, int(round(-lo / scale))))


def _round_clamp(x, lo, hi):
    return max(lo, min(hi, int(round(x))))


def _quantize_weight(dims, values, floors):
    """int8 per output channel (axis 0), symmetric: the raw int8 bytes and one float32 scale per channel.
    floors[c] is the least scale channel c may have: a channel of (near) zero weights would otherwise get a
    scale so small that its bias, quantized with input scale x weight scale, overflows int32."""
    channels = dims[0]
    per = len(values) // channels
    scales, out = [], bytearray(len(values))
    for c in range(channels):
        chunk = values[c * per:(c + 1) * per]
        peak = max(abs(v) for v in chunk)
        scale = _f32(max(peak / 127.0, floors[c])) if peak > 0 or floors[c] > 0 else 1.0
        scales.append(scale)
        inv = 1.0 / scale
        out[c * per:(c + 1) * per] = struct.pack("<%db" % per, *(_round_clamp(v * inv, -127, 127) for v in chunk))
    return bytes(out), scales


def _group(node):
    """A Conv's group attribute (1 when absent); above 1 it is a grouped or depthwise convolution."""
    for attr in get(node, 5):
        if get(attr, 1) == [b"group"]:
            return next(_varint_at(attr, p) for f, w, _, _, p, _ in fields(attr) if f == 3 and w == 0)
    return 1


def _reachable_convs(nodes, start):
    """Whether some Conv consumes, directly or through other nodes, the tensor `start`."""
    consumers = {}
    for n in nodes:
        for i in n["inputs"]:
            consumers.setdefault(i, []).append(n)
    seen, todo = set(), [start]
    while todo:
        t = todo.pop()
        for n in consumers.get(t, []):
            if n["op"] == b"Conv":
                return True
            for o in n["outputs"]:
                if o not in seen:
                    seen.add(o)
                    todo.append(o)
    return False


def quantize(model, ranges, keep_fp32=()):
    """fp32 model bytes + calibrated ranges {tensor: [min, max]} -> QDQ model bytes.

    keep_fp32 lists the Convs to leave in float: "first" (those reading the graph's input: the image, where
    uint8 steps lose more than anywhere else) and "outputs" (those no other Conv follows: the detector's box,
    score and landmark heads, the recognizer's embedding layer)."""
    model_fields = list(fields(model))
    graph = [model[p:e] for f, w, _, _, p, e in model_fields if f == 7][0]
    nodes, weights, graph_inputs, graph_outputs, rest = [], {}, set(), set(), []
    for f, w, start, _, p, e in fields(graph):
        payload = graph[p:e]
        if f == 1:
            nodes.append({"inputs": get(payload, 1), "outputs": get(payload, 2), "op": (get(payload, 4) or [b""])[0],
                          "raw": payload})
        elif f == 5:
            weights[get(payload, 8)[0]] = payload
        else:
            if f == 11:
                graph_inputs.add(get(payload, 1)[0])
            elif f == 12:
                graph_outputs.add(get(payload, 1)[0])
            rest.append(graph[start:e])
    nodes = _live(nodes, graph_outputs)
    image_inputs = graph_inputs - set(weights)
    uses = {}
    for n in nodes:
        for i in n["inputs"]:
            uses[i] = uses.get(i, 0) + 1

    chosen = []
    for n in nodes:
        if n["op"] != b"Conv" or len(n["inputs"]) < 2 or n["inputs"][1] not in weights:
            continue
        if "first" in keep_fp32 and n["inputs"][0] in image_inputs:
            continue
        if "depthwise" in keep_fp32 and _group(n["raw"]) > 1:
            continue
        if "outputs" in keep_fp32 and not _reachable_convs(nodes, n["outputs"][0]):
            continue
        if any(uses[w] > 1 for w in n["inputs"][1:]) or n["inputs"][0] not in ranges:
            continue
        chosen.append(n)
    if not chosen:
        raise ValueError("no Conv to quantize")

    new_weights, front, pairs = [], [], {}  # pairs: tensor -> (scale, zero point)
    replaced = set()
    for n in chosen:
        pairs.setdefault(n["inputs"][0], _uint8_params(*ranges[n["inputs"][0]]))
        if n["outputs"][0] in ranges and n["outputs"][0] not in graph_outputs:
            pairs.setdefault(n["outputs"][0], _uint8_params(*ranges[n["outputs"][0]]))
    for n in chosen:
        x_scale = pairs[n["inputs"][0]][0]
        w_name = n["inputs"][1]
        dims, values = _floats(weights[w_name])
        b_name = n["inputs"][2] if len(n["inputs"]) > 2 else b""
        bias = _floats(weights[b_name])[1] if b_name else [0.0] * dims[0]
        raw, scales = _quantize_weight(dims, values, [2.0 * abs(b) / (x_scale * (2 ** 31 - 1)) for b in bias])
        new_weights += [_tensor(w_name + b"_quantized", INT8, dims, raw),
                        _tensor(w_name + b"_scale", FLOAT, [dims[0]], struct.pack("<%df" % dims[0], *scales)),
                        _tensor(w_name + b"_zero_point", INT8, [dims[0]], bytes(dims[0]))]
        front.append(_node(b"DequantizeLinear", [w_name + b"_quantized", w_name + b"_scale", w_name + b"_zero_point"],
                           [w_name], w_name + b"_DequantizeLinear", axis=0))
        replaced.add(w_name)
        if b_name:
            b_scales = [_f32(x_scale * s) for s in scales]
            q = [_round_clamp(b / s, -2 ** 31, 2 ** 31 - 1) for b, s in zip(bias, b_scales)]
            new_weights += [_tensor(b_name + b"_quantized", INT32, [len(q)], struct.pack("<%di" % len(q), *q)),
                            _tensor(b_name + b"_scale", FLOAT, [len(q)], struct.pack("<%df" % len(q), *b_scales)),
                            _tensor(b_name + b"_zero_point", INT32, [len(q)], bytes(4 * len(q)))]
            front.append(_node(b"DequantizeLinear", [b_name + b"_quantized", b_name + b"_scale", b_name + b"_zero_point"],
                               [b_name], b_name + b"_DequantizeLinear", axis=0))
            replaced.add(b_name)

    for t, (scale, zp) in sorted(pairs.items()):
        new_weights += [_tensor(t + b"_scale", FLOAT, [], struct.pack("<f", scale)),
                        _tensor(t + b"_zero_point", UINT8, [], bytes([zp]))]

    def pair(t):
        args = [t + b"_scale", t + b"_zero_point"]
        return [_node(b"QuantizeLinear", [t] + args, [t + b"_quantized"], t + b"_QuantizeLinear"),
                _node(b"DequantizeLinear", [t + b"_quantized"] + args, [t + b"_dequantized"], t + b"_DequantizeLinear")]

    # A quantized Conv's output reaches every consumer through its pair (the fusion needs the Q as its only
    # consumer); a tensor that is only a quantized Conv's input is rerouted for the quantized Convs alone.
    produced_by_chosen = {n["outputs"][0] for n in chosen} & set(pairs)
    chosen_ids = {id(n) for n in chosen}
    body = []
    for t in sorted(set(pairs) & image_inputs):
        body += pair(t)
    for n in nodes:
        def route(i, inp):
            if inp in produced_by_chosen or (i == 0 and id(n) in chosen_ids and inp in pairs):
                return inp + b"_dequantized"
            return inp
        mapped = [route(i, inp) for i, inp in enumerate(n["inputs"])]
        if mapped == n["inputs"] and n["op"] != b"Upsample":
            body.append(n["raw"])
        else:
            # Upsample is deprecated at opset 10; Resize-10 is the same operator under its new name.
            it = iter(mapped)
            body.append(b"".join(_len_field(1, next(it)) if f == 1 else _len_field(4, b"Resize") if f == 4 and n["op"] == b"Upsample"
                                 else n["raw"][s:e] for f, w, s, _, p, e in fields(n["raw"])))
        for o in n["outputs"]:
            if o in pairs:
                body += pair(o)

    new_graph = (b"".join(_len_field(1, n) for n in front + body)
                 + b"".join(_len_field(5, t) for name, t in weights.items() if name not in replaced)
                 + b"".join(_len_field(5, t) for t in new_weights) + b"".join(rest))
    out = bytearray()
    for f, w, start, _, p, e in model_fields:
        if f == 7:
            out += _len_field(7, new_graph)
        elif f == 8 and not get(model[p:e], 1):  # the ai.onnx opset: QLinearConv, which the fusion makes, is opset 10
            version = [_varint_at(model, q) for g, _, _, _, q, _ in fields(model[p:e]) if g == 2]
            out += _len_field(8, _int_field(2, max(version + [MIN_OPSET])))
        else:
            out += model[start:e]
    out += _len_field(8, _len_field(1, MS_DOMAIN) + _int_field(2, 1))  # opset_import com.microsoft v1
    return bytes(out)


def _live(nodes, graph_outputs):
    """The nodes something still reads: the Shape/Slice/Cast chains the dynamic-input-size patch left without a
    consumer go, because their opset-9 Slice (attributes, not inputs) is not valid at opset 10."""
    while True:
        read = {i for n in nodes for i in n["inputs"]} | graph_outputs
        kept = [n for n in nodes if any(o in read for o in n["outputs"])]
        if len(kept) == len(nodes):
            return nodes
        nodes = kept


def quantize_file(model_bytes, ranges_path, expected_source_sha256, keep_fp32):
    """The QDQ model from fp32 bytes and a calibration file made for exactly those bytes."""
    with open(ranges_path) as f:
        calibration = json.load(f)
    if calibration.get("source_sha256") != expected_source_sha256:
        raise ValueError("%s was calibrated on sha256 %s, not on the fp32 model's %s"
                         % (ranges_path, calibration.get("source_sha256"), expected_source_sha256))
    ranges = {k.encode(): v for k, v in calibration["tensors"].items()}
    if any(len(v) != 2 or not all(math.isfinite(x) for x in v) for v in ranges.values()):
        raise ValueError("%s holds a range that is not two finite numbers" % ranges_path)
    return quantize(model_bytes, ranges, keep_fp32)


def main(argv=None):
    """After `calibrate-int8` changed the ranges: rebuild every quantized entry from models/ and write each result's
    sha256 into the manifest (the fp32 files must be provisioned; the int8 files are then made by provision.py)."""
    import argparse
    import hashlib
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=main.__doc__.split("\n")[0])
    ap.add_argument("--manifest", default=os.path.join(here, "manifest.json"))
    ap.add_argument("--models-dir", default=here)
    args = ap.parse_args(argv)
    with open(args.manifest) as f:
        text = f.read()
    models = json.loads(text)["models"]
    for model in (m for m in models if "quantized" in m):
        spec = model["quantized"]
        base = next(m for m in models if m["name"] == spec["from"])
        with open(os.path.join(args.models_dir, base["file"]), "rb") as f:
            data = quantize_file(f.read(), os.path.join(os.path.dirname(os.path.abspath(args.manifest)), spec["ranges"]),
                                 base["sha256"], spec.get("keep_fp32", []))
        digest = hashlib.sha256(data).hexdigest()
        print("%s %s%s" % (model["name"], digest, "" if digest == model["sha256"] else " (was %s)" % model["sha256"]))
        text = text.replace('"sha256": "%s"' % model["sha256"], '"sha256": "%s"' % digest)
    with open(args.manifest, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
