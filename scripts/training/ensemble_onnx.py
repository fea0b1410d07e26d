"""Join plate recognizers of one input/output contract into one ONNX graph that averages them.

    /usr/bin/python3 scripts/training/ensemble_onnx.py --out models/plate-rec/plate-rec.onnx \
        .tmp/plate-rec/run4.onnx .tmp/plate-rec/run5.onnx

Each member keeps its own weights (names prefixed m0_, m1_, ...); all read the same input "x"
and the output "probs" is the mean of the members' per-step softmaxes, so it is still a
distribution over blank + 0-9A-Z at every step and the runtime reads it unchanged. Two runs
fine-tuned from the same PP-OCRv4 weights share its CTC alignment (one step ≈ 8 columns), which
is what makes averaging per step meaningful; the check below compares the joined graph with the
members run one by one in onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess

import numpy as np
import onnx
from onnx import helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def prefixed(model: onnx.ModelProto, p: str, inp: str) -> onnx.GraphProto:
    g = model.graph
    names = {i.name for i in g.initializer} | {o for n in g.node for o in n.output}
    ren = lambda s: (p + s) if s in names else s  # noqa: E731
    for init in g.initializer:
        init.name = p + init.name
    for n in g.node:
        n.name = p + n.name
        n.input[:] = [inp if s == g.input[0].name else ren(s) for s in n.input]
        n.output[:] = [ren(s) for s in n.output]
    return g


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("members", nargs="+")
    args = ap.parse_args()
    models = [onnx.load(m) for m in args.members]
    base = models[0]
    inp = base.graph.input[0]
    out = base.graph.output[0]
    nodes, inits, outs = [], [], []
    for i, m in enumerate(models):
        if m.opset_import[0].version != base.opset_import[0].version:
            raise SystemExit("members must share an opset")
        g = prefixed(m, f"m{i}_", inp.name)
        nodes += list(g.node)
        inits += list(g.initializer)
        outs.append(f"m{i}_{g.output[0].name}")
    inits.append(helper.make_tensor("ens_scale", onnx.TensorProto.FLOAT, [], [1.0 / len(models)]))
    nodes.append(helper.make_node("Sum", outs, ["ens_sum"], name="ens_sum"))
    nodes.append(helper.make_node("Mul", ["ens_sum", "ens_scale"], [out.name], name="ens_mean"))
    graph = helper.make_graph(nodes, "plate_rec_ensemble", [inp], [out], inits)
    joined = helper.make_model(graph, opset_imports=base.opset_import, producer_name="alpr-ensemble")
    joined.ir_version = base.ir_version
    onnx.checker.check_model(joined)
    onnx.save(joined, args.out)

    # the check, in onnxruntime-node (the runtime's own): joined graph == members averaged
    x = np.random.default_rng(1).uniform(-1, 1, (3, 3, 48, 160)).astype(np.float32)
    x.tofile("/tmp/ensemble_in.f32")

    def run(model: str) -> np.ndarray:
        r = subprocess.run(["node", "scripts/training/ort_run.mjs", os.path.abspath(model), "/tmp/ensemble_in.f32",
                            "3,3,48,160", "/tmp/ensemble_out.f32"], cwd=ROOT, capture_output=True, text=True,
                           check=True)
        dims = json.loads(r.stdout.strip().splitlines()[-1])["dims"]
        return np.fromfile("/tmp/ensemble_out.f32", dtype=np.float32).reshape(dims)

    want = np.mean([run(m) for m in args.members], axis=0)
    diff = float(np.abs(run(args.out) - want).max())
    print(json.dumps({"out": args.out, "members": len(models), "max_abs_diff": diff,
                      "bytes": os.path.getsize(args.out)}))
    if diff > 1e-5:
        raise SystemExit("the joined graph differs from its members averaged")


if __name__ == "__main__":
    main()
