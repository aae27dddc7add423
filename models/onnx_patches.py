"""Byte-exact edits of ONNX files, for models/provision.py and models/quantize.py.

A minimal protobuf walker. The patched files must be byte-identical to the reference copies, so we never
decode-and-reserialise a whole model (that would reorder or re-encode fields): unchanged fields are copied verbatim
and only the messages we edit (and the length prefixes of their parents) are re-encoded. Stdlib only, like
provision.py. PATCHES maps each manifest patch name (source.patches) to its edit.
"""
import struct


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def enc_varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def fields(buf):
    """Yield (field, wire, start, tag_end, payload_start, end) for each top-level field;
    for length-delimited fields the payload starts after the length prefix."""
    i = 0
    while i < len(buf):
        start = i
        tag, i = varint(buf, i)
        field, wire = tag >> 3, tag & 7
        tag_end = payload = i
        if wire == 0:
            _, i = varint(buf, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            n, payload = varint(buf, i)
            i = payload + n
        elif wire == 5:
            i += 4
        else:
            raise ValueError("unsupported protobuf wire type %d at offset %d" % (wire, start))
        if i > len(buf):
            raise ValueError("truncated protobuf message")
        yield field, wire, start, tag_end, payload, i


def get(buf, field):
    """Payloads of all length-delimited occurrences of `field`."""
    return [buf[p:e] for f, w, _, _, p, e in fields(buf) if f == field and w == 2]


def rewrite(buf, fn):
    """Copy `buf`, letting fn(field, payload) return a replacement payload (None = keep)."""
    out = bytearray()
    for f, w, start, tag_end, p, e in fields(buf):
        new = fn(f, buf[p:e]) if w == 2 else None
        if new is None or new == buf[p:e]:
            out += buf[start:e]
        else:
            out += buf[start:tag_end] + enc_varint(len(new)) + new
    return bytes(out)


# Dimension payloads: dim_value 1 (field 1) and dim_param "batch" (field 2).
DIM_ONE = b"\x08\x01"
DIM_BATCH = b"\x12\x05batch"


def edit(buf, path, fn):
    """Apply fn to the payloads at a nested field path, e.g. (2, 1, 2) = type.tensor_type.shape."""
    if not path:
        return fn(buf)
    return rewrite(buf, lambda f, p: edit(p, path[1:], fn) if f == path[0] else None)


def dynamic_batch(model, reverse=False):
    """Make the batch dimension symbolic: graph input/output dim 0 becomes "batch", and the
    int64 Reshape shape constants [1,-1,...] become [0,-1,...] (0 = copy the batch size from
    the input). Both shipped models keep those constants as initializers, so Constant nodes are
    not handled. reverse=True undoes it (only models/test_provision.py uses that)."""
    dim_from, dim_to = (DIM_BATCH, DIM_ONE) if reverse else (DIM_ONE, DIM_BATCH)
    first_from, first_to = (0, 1) if reverse else (1, 0)
    changes = []

    def first_dim(shape):  # TensorShapeProto.dim is field 1; only the first one is the batch
        for f, w, _, tag_end, p, e in fields(shape):
            if f == 1 and w == 2:
                if shape[p:e] != dim_from:
                    return None
                return shape[:tag_end] + enc_varint(len(dim_to)) + dim_to + shape[e:]
        return None

    def shape_const(raw):  # TensorProto.raw_data: little-endian int64s
        if len(raw) >= 16 and struct.unpack_from("<qq", raw) == (first_from, -1):
            return struct.pack("<q", first_to) + raw[8:]
        return None

    def graph_fn(graph):
        reshape_shapes = {ins[1] for n in get(graph, 1) if get(n, 4) == [b"Reshape"]
                          for ins in [get(n, 1)] if len(ins) > 1}
        weights = {name for t in get(graph, 5) for name in get(t, 8)}

        def item_fn(f, msg):
            if f == 5:  # initializer
                name = (get(msg, 8) or [b""])[0]
                types = [varint(msg, p)[0] for g, w, _, _, p, _ in fields(msg) if g == 2 and w == 0]
                is_shape = name in reshape_shapes and types == [7]  # data_type 7 = INT64
                new = edit(msg, (9,), shape_const) if is_shape else msg  # 9 = raw_data
            elif f in (11, 12):  # graph input / output; old IR versions also list weights there
                name = (get(msg, 1) or [b""])[0]
                new = msg if name in weights else edit(msg, (2, 1, 2), first_dim)
            else:
                return None
            if new != msg:
                changes.append(name.decode())
            return new
        return rewrite(graph, item_fn)

    out = edit(model, (7,), graph_fn)
    if not changes:
        raise ValueError("dynamic-batch patch found nothing to change")
    return out


def replace_nth(buf, field, n, payload):
    """Copy `buf` with the payload of the n-th (0-based) length-delimited `field` replaced."""
    seen = [0]

    def fn(f, old):
        if f != field:
            return None
        seen[0] += 1
        return payload if seen[0] == n + 1 else None
    return rewrite(buf, fn)


# Dimension payloads for the image height and width: dim_param "height" / "width".
DIM_HEIGHT = b"\x12\x06height"
DIM_WIDTH = b"\x12\x05width"
FLOAT_ONES = struct.pack("<2f", 1.0, 1.0)
FLOAT_TWOS = struct.pack("<2f", 2.0, 2.0)


def dynamic_input_size(model):
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
        nodes = get(graph, 1)
        producer = {out: n for n in nodes for out in get(n, 2)}

        def made_by(name, op):
            node = producer.get(name)
            if node is None or get(node, 4) != [op]:
                raise ValueError("%s is not the output of a %s node" % (name.decode(), op.decode()))
            return node

        divisors, sizes = {}, set()
        for node in nodes:
            if get(node, 4) != [b"Upsample"]:
                continue
            x, scales = get(node, 1)[:2]
            ones, ratio = get(made_by(scales, b"Concat"), 1)
            value = [get(a, 5) for a in get(made_by(ones, b"Constant"), 5) if get(a, 1) == [b"value"]]
            if len(value) != 1 or get(value[0][0], 9) != [FLOAT_ONES]:
                raise ValueError("the Upsample scales do not start with a float [1, 1] constant")
            div = made_by(ratio, b"Div")
            size, divisor = get(div, 1)
            slice_ = made_by(get(made_by(divisor, b"Cast"), 1)[0], b"Slice")
            if get(made_by(get(slice_, 1)[0], b"Shape"), 1) != [x]:
                raise ValueError("the Upsample scales are not a constant size over the input's own shape")
            divisors[div] = ones
            sizes.add(size)
        weights = {name for t in get(graph, 5) for name in get(t, 8)}

        def image_dims(shape):  # TensorShapeProto.dim is field 1: N, C, H, W
            dims = get(shape, 1)
            if len(dims) != 4 or any(varint(d, 0)[0] != 8 for d in dims[2:]):  # 8 = dim_value tag
                raise ValueError("the image input is not NCHW with a fixed height and width")
            return replace_nth(replace_nth(shape, 1, 2, DIM_HEIGHT), 1, 3, DIM_WIDTH)

        def item_fn(f, msg):
            if f == 1 and msg in divisors:  # node: the Div's divisor becomes the [1, 1] constant
                name, new = get(msg, 3)[0], replace_nth(msg, 1, 1, divisors[msg])
            elif f == 5 and get(msg, 8)[0] in sizes:  # initializer: the constant size becomes 2.0
                name = get(msg, 8)[0]
                if len(get(msg, 9)) != 1 or len(get(msg, 9)[0]) != 8:
                    raise ValueError("the Upsample size %s is not two raw floats" % name.decode())
                new = edit(msg, (9,), lambda raw: FLOAT_TWOS)
            elif f == 11 and (get(msg, 1) or [b""])[0] not in weights:  # the image input
                name, new = get(msg, 1)[0], edit(msg, (2, 1, 2), image_dims)
            else:
                return None
            changes.append(name.decode())
            return new
        return rewrite(graph, item_fn)

    out = edit(model, (7,), graph_fn)
    if not changes:
        raise ValueError("dynamic-input-size patch found nothing to change")
    return out


def _ld(field, payload):
    return enc_varint(field << 3 | 2) + enc_varint(len(payload)) + payload


def _vi(field, n):
    return enc_varint(field << 3) + enc_varint(n)


def _node(op, inputs, outputs, name, attributes=b""):  # NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
    return b"".join(_ld(1, i) for i in inputs) + b"".join(_ld(2, o) for o in outputs) + _ld(3, name) + _ld(4, op) + attributes


def _float_tensor(name, dims, values):  # TensorProto: dims 1, data_type 2 (1 = FLOAT), name 8, raw_data 9
    return b"".join(_vi(1, d) for d in dims) + _vi(2, 1) + _ld(8, name) + _ld(9, struct.pack("<%df" % len(values), *values))


def _floats(tensor):
    """A float initializer's values (raw_data, else packed float_data); None for any other type."""
    types = [varint(tensor, p)[0] for f, w, _, _, p, _ in fields(tensor) if f == 2 and w == 0]
    data = get(tensor, 9) or get(tensor, 4)
    if types != [1] or len(data) != 1 or len(data[0]) % 4:
        return None
    return list(struct.unpack("<%df" % (len(data[0]) // 4), data[0]))


def prelu_as_depthwise(model):
    """Rewrite every per-channel PRelu(x, s) as Relu(x) + dw(Relu(dw(x, -1)), -s), dw a 1x1 depthwise Conv (one
    weight per channel, no bias), for ONNX Runtime's CPU provider (models/README.md, "CPU forms").

    ONNX Runtime runs PRelu as a generic broadcasting element-wise kernel in plain NCHW, so each one also costs a
    reorder out of and back into the blocked (NCHWc) layout its Convs use: in face_embed_512d the 33 PRelus were half
    of a run. 1x1 depthwise Convs, Relu and Add all stay in NCHWc, and ONNX Runtime fuses the Relu and the Add into the
    Convs. The result is bit-identical: multiplying by -1 is exact, and each output is one term plus an exact zero
    (x > 0: x + 0 * -s; x < 0: 0 + (-x) * (-s), which is PRelu's one rounding of s * x). The slope initializers this
    leaves unused are dropped; nothing else changes."""
    changes = []

    def graph_fn(graph):
        tensors = {get(t, 8)[0]: t for t in get(graph, 5)}
        slopes, negate = {}, {}
        for node in get(graph, 1):
            if get(node, 4) != [b"PRelu"]:
                continue
            slope = get(node, 1)[1]
            tensor = tensors.get(slope, b"")  # b"": not an initializer, refused below
            values = _floats(tensor)
            dims = [varint(tensor, p)[0] for f, w, _, _, p, _ in fields(tensor) if f == 1 and w == 0]
            if values is None or dims[-2:] != [1, 1] or dims[:-2] not in ([len(values)], [1, len(values)]):
                raise ValueError("PRelu %s: its slope %s is not a per-channel float initializer of shape [C, 1, 1]"
                                 % (get(node, 2)[0].decode(), slope.decode()))
            slopes[slope] = values
            negate.setdefault(len(values), b"prelu_negate_%d" % len(values))
        users = {i for n in get(graph, 1) if get(n, 4) != [b"PRelu"] for i in get(n, 1)}

        out = bytearray()
        for f, w, start, _, p, e in fields(graph):
            msg = graph[p:e]
            if f == 1 and w == 2 and get(msg, 4) == [b"PRelu"]:
                (x, slope), y = get(msg, 1), get(msg, 2)[0]
                channels = len(slopes[slope])
                group = _ld(5, _ld(1, b"group") + _vi(3, channels) + _vi(20, 2))  # AttributeProto: name, i, type INT
                for node in (_node(b"Conv", [x, negate[channels]], [y + b"/negated"], y + b"/negate", group),
                             _node(b"Relu", [y + b"/negated"], [y + b"/negative_part"], y + b"/negative_relu"),
                             _node(b"Conv", [y + b"/negative_part", slope + b"/negated"], [y + b"/sloped"], y + b"/slope", group),
                             _node(b"Relu", [x], [y + b"/positive_part"], y + b"/positive_relu"),
                             _node(b"Add", [y + b"/positive_part", y + b"/sloped"], [y], y + b"/add")):
                    out += _ld(1, node)
                changes.append(y.decode())
            elif f == 5 and w == 2 and get(msg, 8)[0] in slopes and get(msg, 8)[0] not in users:
                continue  # a slope only PRelu read: replaced by its negated depthwise weights below
            else:
                out += graph[start:e]
        for channels, name in sorted(negate.items()):
            out += _ld(5, _float_tensor(name, [channels, 1, 1, 1], [-1.0] * channels))
        for slope, values in slopes.items():
            out += _ld(5, _float_tensor(slope + b"/negated", [len(values), 1, 1, 1], [-v for v in values]))
        return bytes(out)

    out = edit(model, (7,), graph_fn)
    if not changes:
        raise ValueError("prelu-as-depthwise patch found no PRelu to rewrite")
    return out


PATCHES = {"dynamic-batch": dynamic_batch, "dynamic-input-size": dynamic_input_size, "prelu-as-depthwise": prelu_as_depthwise}
