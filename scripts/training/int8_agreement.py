"""How closely an int8 plate recognizer follows the float one, by how many convolutions stay float.

    /usr/bin/python3 scripts/training/int8_agreement.py --model models/plate-rec/plate-rec.onnx \
        --ranges .tmp/q/ranges.json --skip 0,3,5,8,12

The float recognizer (an exported plate-rec ONNX, run node by node in PyTorch) reads synthetic
plates (synth_plates.py, a seed of its own) twice: as it is, and with every dense convolution
after the first N computed as onnxruntime's QLinearConv computes it (quantize_int8.py's scheme:
input and output rounded to u8 on the calibrated ranges of calib_ranges.ts, weights to s8 per
output channel). Printed per N: the mean KL divergence of the per-step distributions from the
float model's, and the share of crops whose greedy read is the same. quantize_int8.py --skip N
then builds the model. No evaluation data is involved: N is chosen on these figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import synth_plates  # noqa: E402
from ppocr_torch import _run, load_graph  # noqa: E402
from quantize_int8 import act_params  # noqa: E402
from train_rec import IN_W, preprocess, resized_width  # noqa: E402

EXPORT_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MIN_W = 96  # the runtime's PLATE_REC_MIN_W
PAD_W = 16  # and PLATE_REC_PAD_W


def _ints(t) -> list[int]:
    return [int(v) for v in (t.reshape(-1).tolist() if isinstance(t, torch.Tensor) else np.array(t).reshape(-1))]


def run_op(op: str, args: list, a: dict):
    """The opset-13 forms of the ops torch.onnx writes (inputs instead of attributes)."""
    if op == "Identity":
        return args[0]
    if op == "Gather":
        x, idx, axis = args[0], args[1], a.get("axis", 0)
        if idx.dim() == 0:
            return x.select(axis, int(idx))
        return torch.index_select(x, axis, idx.long().reshape(-1)).reshape(
            *x.shape[:axis], *idx.shape, *x.shape[axis + 1:])
    if op == "Unsqueeze":
        x = args[0]
        for ax in sorted(_ints(args[1]) if len(args) > 1 else a["axes"]):
            x = x.unsqueeze(ax)
        return x
    if op == "Squeeze":
        x = args[0]
        for ax in sorted(_ints(args[1]) if len(args) > 1 else a["axes"], reverse=True):
            x = x.squeeze(ax)
        return x
    if op == "Slice":
        x = args[0]
        starts, ends = _ints(args[1]), _ints(args[2])
        axes = _ints(args[3]) if len(args) > 3 else list(range(len(starts)))
        steps = _ints(args[4]) if len(args) > 4 else [1] * len(starts)
        sl = [slice(None)] * x.dim()
        for ax, s, e, st in zip(axes, starts, ends, steps):
            sl[ax] = slice(s, min(e, x.shape[ax]), st)
        return x[tuple(sl)]
    if op == "Clip":
        lo = float(args[1]) if len(args) > 1 and args[1] is not None else -3.4e38
        hi = float(args[2]) if len(args) > 2 and args[2] is not None else 3.4e38
        return torch.clamp(args[0], lo, hi)
    if op == "QuickGelu":
        return args[0] * torch.sigmoid(a.get("alpha", 1.702) * args[0])
    return _run(op, args, a)


class Graph:
    """An exported plate-rec ONNX run node by node in PyTorch; with `ranges`, its dense convs after the
    first `skip` computed as int8 (quantize_int8.py's scheme)."""

    def __init__(self, path: str, ranges: dict | None = None, skip: int = 0):
        self.input_name, self.output_name, consts, self.nodes = load_graph(path)
        self.consts = {k: torch.from_numpy(np.array(v)) for k, v in consts.items()}
        dense = [i for i, (op, ins, _, a) in enumerate(self.nodes)
                 if op == "Conv" and ins[1] in consts and a.get("group", 1) == 1]
        # quantize_int8.py --skip: the first convs stay float
        self.dense = set(dense[skip:])
        self.ranges = ranges

    def fq_act(self, x: torch.Tensor, name: str) -> torch.Tensor:
        s, zp = act_params(*self.ranges[name])
        return torch.fake_quantize_per_tensor_affine(x, float(s), int(zp), 0, 255)

    def __call__(self, x: torch.Tensor, logits: bool = True) -> torch.Tensor:
        env = {self.input_name: x}
        get = lambda n: env[n] if n in env else self.consts.get(n)  # noqa: E731
        last = len(self.nodes) - 1
        for k, (op, ins, outs, a) in enumerate(self.nodes):
            if logits and k == last and op == "Softmax":
                return get(ins[0])
            args = [get(i) for i in ins]
            if self.ranges is not None and k in self.dense:
                w = args[1]
                sw = (w.detach().abs().reshape(w.shape[0], -1).amax(1).clamp_min(1e-12) / 127.0).float()
                args[0] = self.fq_act(args[0], ins[0])
                args[1] = torch.fake_quantize_per_channel_affine(
                    w, sw, torch.zeros(w.shape[0], dtype=torch.int32), 0, -127, 127)
                y = self.fq_act(run_op(op, args, a), outs[0])
            else:
                y = run_op(op, args, a)
            env[outs[0]] = y
        return env[self.output_name]


def batch(rng: random.Random, n: int) -> tuple[torch.Tensor, list[str]]:
    """n synthetic crops as the runtime feeds them: own width and PAD_W zero columns (at least MIN_W, at
    most IN_W), the batch padded to its widest."""
    imgs, ys = [], []
    for _ in range(n):
        img, label = synth_plates.make_sample(rng)
        imgs.append(img)
        ys.append(label)
    bw = max(resized_width(im) for im in imgs)
    bw = max(MIN_W, (bw + 7) // 8 * 8, min(IN_W, (bw + PAD_W + 7) // 8 * 8))
    return torch.from_numpy(np.stack([preprocess(im, bw) for im in imgs])), ys


def greedy(logits: torch.Tensor) -> list[str]:
    out = []
    for seq in logits.argmax(-1).tolist():
        s, prev = [], 0
        for k in seq:
            if k and k != prev:
                s.append(EXPORT_ALPHABET[k - 1])
            prev = k
        out.append("".join(s))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="the float plate-rec ONNX")
    ap.add_argument("--ranges", required=True, help="calib_ranges.ts output for that model")
    ap.add_argument("--skip", default="0,3,5,8,12", help="numbers of leading dense convs kept float")
    ap.add_argument("--n", type=int, default=256, help="synthetic crops")
    ap.add_argument("--gen", type=int, default=7)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    synth_plates.GEN = args.gen
    ranges = json.load(open(args.ranges))
    ref = Graph(args.model)
    rng = random.Random(args.seed)
    xs = [batch(rng, 32)[0] for _ in range(max(1, args.n // 32))]
    with torch.no_grad():
        outs = [ref(x) for x in xs]
    for skip in [int(v) for v in args.skip.split(",")]:
        q = Graph(args.model, ranges, skip)
        kl = same = n = 0
        with torch.no_grad():
            for x, o in zip(xs, outs):
                y = q(x)
                kl += F.kl_div(F.log_softmax(y, -1), F.softmax(o, -1), reduction="none").sum(-1).mean().item()
                same += sum(a == b for a, b in zip(greedy(y), greedy(o)))
                n += x.shape[0]
        print(json.dumps({"float_convs": skip, "int8_convs": len(q.dense), "kl": round(kl / len(xs), 4),
                          "same_read": round(same / n, 3)}), flush=True)


if __name__ == "__main__":
    main()
