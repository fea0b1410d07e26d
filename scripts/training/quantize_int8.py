"""Static int8 quantization of a model's dense convolutions (QDQ format, onnxruntime fuses each
DequantizeLinear -> Conv -> QuantizeLinear group into one QLinearConv on u8 activations and
per-channel s8 weights: VNNI/AMX on recent x86, NEON dot products on ARM).

Depthwise convolutions, MatMuls and everything else stay float. Activation ranges come from
calib_ranges.ts, which runs the instrumented model on project-generated images fed exactly as the
runtime feeds them:

    /usr/bin/python3 scripts/training/quantize_int8.py instrument model.onnx /tmp/instr.onnx
    npx tsx scripts/training/calib_ranges.ts --reader plate-rec /tmp/instr.onnx /tmp/calib /tmp/r.json
    /usr/bin/python3 scripts/training/quantize_int8.py qdq model.onnx /tmp/r.json model-int8.onnx
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def dense_convs(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    inits = {i.name for i in model.graph.initializer}
    out = []
    for n in model.graph.node:
        if n.op_type != "Conv" or n.input[1] not in inits:
            continue
        group = next((a.i for a in n.attribute if a.name == "group"), 1)
        if group == 1:
            out.append(n)
    return out


def instrument(src: str, dst: str) -> None:
    model = onnx.load(src)
    names: list[str] = []
    for n in dense_convs(model):
        for t in (n.input[0], n.output[0]):
            if t not in names:
                names.append(t)
    have = {o.name for o in model.graph.output}
    for t in names:
        if t not in have:
            model.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    onnx.save(model, dst)
    print(f"instrument: {len(names)} tensors of {len(dense_convs(model))} dense convs -> {dst}")


def act_params(lo: float, hi: float) -> tuple[np.float32, np.uint8]:
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = max(hi - lo, 1e-8) / 255.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def qdq(src: str, ranges_path: str, dst: str, skip: int = 0) -> None:
    model = onnx.load(src)
    ranges = json.load(open(ranges_path))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    new_nodes: dict[int, list[onnx.NodeProto]] = {}  # insert before node index
    new_inits: list[onnx.TensorProto] = []
    done_act: dict[str, str] = {}
    convs = dense_convs(model)[skip:]
    index = {id(n): i for i, n in enumerate(g.node)}

    def qdq_act(name: str, before: int) -> str:
        if name in done_act:
            return done_act[name]
        s, zp = act_params(*ranges[name])
        base = name.replace("/", "_")
        new_inits.append(numpy_helper.from_array(np.array(s, np.float32), f"{base}_s"))
        new_inits.append(numpy_helper.from_array(np.array(zp, np.uint8), f"{base}_zp"))
        q = helper.make_node("QuantizeLinear", [name, f"{base}_s", f"{base}_zp"], [f"{base}_q"])
        dq = helper.make_node("DequantizeLinear", [f"{base}_q", f"{base}_s", f"{base}_zp"], [f"{base}_dq"])
        new_nodes.setdefault(before, []).extend([q, dq])
        done_act[name] = f"{base}_dq"
        return done_act[name]

    for n in convs:
        i = index[id(n)]
        x_name = n.input[0]
        s_x, _ = act_params(*ranges[x_name])
        n.input[0] = qdq_act(x_name, i)
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        m = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        s_w = np.where(m > 0, m, 1.0) / 127.0
        wq = np.clip(np.round(w / s_w.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
        wb = n.input[1].replace("/", "_") + "_int8"
        new_inits += [
            numpy_helper.from_array(wq, f"{wb}"),
            numpy_helper.from_array(s_w.astype(np.float32), f"{wb}_s"),
            numpy_helper.from_array(np.zeros(w.shape[0], np.int8), f"{wb}_zp"),
        ]
        dqw = helper.make_node("DequantizeLinear", [wb, f"{wb}_s", f"{wb}_zp"], [f"{wb}_dq"], axis=0)
        new_nodes.setdefault(i, []).append(dqw)
        n.input[1] = f"{wb}_dq"
        if len(n.input) > 2 and n.input[2] in inits:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            s_b = (s_w.astype(np.float64) * float(s_x)).astype(np.float32)
            bq = np.clip(np.round(b / s_b), -(2**31), 2**31 - 1).astype(np.int32)
            bb = n.input[2].replace("/", "_") + "_int32"
            new_inits += [
                numpy_helper.from_array(bq, bb),
                numpy_helper.from_array(s_b, f"{bb}_s"),
                numpy_helper.from_array(np.zeros(w.shape[0], np.int32), f"{bb}_zp"),
            ]
            new_nodes[i].append(helper.make_node("DequantizeLinear", [bb, f"{bb}_s", f"{bb}_zp"], [f"{bb}_dq"], axis=0))
            n.input[2] = f"{bb}_dq"
        # output: Conv -> Q -> DQ -> (the old output name, so consumers are untouched)
        y = n.output[0]
        s_y, zp_y = act_params(*ranges[y])
        yb = y.replace("/", "_") + "_raw"
        n.output[0] = yb
        new_inits += [
            numpy_helper.from_array(np.array(s_y, np.float32), f"{yb}_s"),
            numpy_helper.from_array(np.array(zp_y, np.uint8), f"{yb}_zp"),
        ]
        after = new_nodes.setdefault(-(i + 1), [])
        after.append(helper.make_node("QuantizeLinear", [yb, f"{yb}_s", f"{yb}_zp"], [f"{yb}_q"]))
        after.append(helper.make_node("DequantizeLinear", [f"{yb}_q", f"{yb}_s", f"{yb}_zp"], [y]))
        done_act.setdefault(y, y)

    nodes: list[onnx.NodeProto] = []
    for i, n in enumerate(g.node):
        nodes += new_nodes.get(i, [])
        nodes.append(n)
        nodes += new_nodes.get(-(i + 1), [])
    del g.node[:]
    g.node.extend(nodes)
    used = {t for n in g.node for t in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"qdq: {len(convs)} convs int8 -> {dst}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("instrument")
    a.add_argument("model")
    a.add_argument("out")
    b = sub.add_parser("qdq")
    b.add_argument("model")
    b.add_argument("ranges")
    b.add_argument("out")
    b.add_argument("--skip", type=int, default=0, help="leave the first N dense convs float")
    args = ap.parse_args()
    if args.cmd == "instrument":
        instrument(args.model, args.out)
    else:
        qdq(args.model, args.ranges, args.out, args.skip)
