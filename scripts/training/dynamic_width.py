"""Make an exported plate recognizer take any input width (a multiple of 8), not only 160.

    /usr/bin/python3 scripts/training/dynamic_width.py --src models/plate-rec/plate-rec.onnx \
        --out models/plate-rec/plate-rec.onnx

torch.onnx traces the SVTR neck's reshapes with the token count of the traced width baked in
(160 px -> 20 steps: `[N, 20, 3, 8, 15]`, `[N, 20, 120]`, `[N, 1, 20, 120]`). Every layer
before and after is convolutional or per step, so writing -1 in place of that 20 lets the graph
run at width W with W / 8 output steps. The runtime then feeds a crop at its own width instead
of padding it with zeros to 160 (a plate 2:1 at height 48 is ~96 px: the reader costs in
proportion to the width). Checked here in onnxruntime-node: at width 160 the outputs equal the
source graph's exactly; at 96 and 128 it runs and gives W / 8 steps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess

import numpy as np
import onnx
from onnx import helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_dynamic(model: onnx.ModelProto, steps: int) -> int:
    """Rewrites the reshape targets' constant `steps` to -1; returns how many were rewritten."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    minus1 = "dynamic_width_minus1"
    g.node.insert(0, helper.make_node("Constant", [], [minus1],
                                      value=numpy_helper.from_array(np.array([-1], dtype=np.int64))))
    changed = 0
    for n in g.node:
        if n.op_type != "Reshape":
            continue
        shape = producer.get(n.input[1])
        if shape is None or shape.op_type != "Concat":
            continue
        for k, name in enumerate(shape.input):
            p = producer.get(name)
            if p is not None and p.op_type == "Constant" and numpy_helper.to_array(p.attribute[0].t).tolist() == [steps]:
                shape.input[k] = minus1
                changed += 1
    # the constants no reshape reads any more (onnxruntime would warn on every load)
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    for n in [n for n in g.node if n.op_type == "Constant" and n.output[0] not in used]:
        g.node.remove(n)
    w = g.input[0].type.tensor_type.shape.dim[3]
    w.ClearField("dim_value")
    w.dim_param = "w"
    t = g.output[0].type.tensor_type.shape.dim[1]
    t.ClearField("dim_value")
    t.dim_param = "t"
    onnx.checker.check_model(model)
    return changed


def run(model: str, x: np.ndarray) -> np.ndarray:
    x.astype(np.float32).tofile("/tmp/dynw_in.f32")
    r = subprocess.run(["node", "scripts/training/ort_run.mjs", model, "/tmp/dynw_in.f32",
                        ",".join(map(str, x.shape)), "/tmp/dynw_out.f32"], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    dims = json.loads(r.stdout.strip().splitlines()[-1])["dims"]
    return np.fromfile("/tmp/dynw_out.f32", dtype=np.float32).reshape(dims)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--height", type=int, default=48)
    ap.add_argument("--width", type=int, default=160, help="the width the source graph was traced at")
    args = ap.parse_args()
    src = os.path.abspath(args.src)
    model = onnx.load(src)
    steps = args.width // 8
    changed = make_dynamic(model, steps)
    if changed == 0:
        raise SystemExit(f"no reshape holds the token count {steps}: is the graph already dynamic?")
    out = os.path.abspath(args.out)
    tmp = out + ".dynamic"
    onnx.save(model, tmp)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 3, args.height, args.width))
    diff = float(np.abs(run(tmp, x) - run(src, x)).max())
    if diff > 1e-5:
        os.remove(tmp)
        raise SystemExit(f"the dynamic graph differs from its source at width {args.width}: {diff}")
    for w in (96, 128):
        dims = run(tmp, rng.uniform(-1, 1, (1, 3, args.height, w))).shape
        if dims[1] != w // 8:
            os.remove(tmp)
            raise SystemExit(f"width {w} gave {dims[1]} steps, not {w // 8}")
    os.replace(tmp, out)
    print(json.dumps({"out": args.out, "reshapes_rewritten": changed, "max_abs_diff_at_160": diff}))


if __name__ == "__main__":
    main()
