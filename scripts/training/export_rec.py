"""Export a fine-tuned plate recognizer checkpoint to ONNX (opset 13) and check it.

    /usr/bin/python3 scripts/training/export_rec.py --ckpt .tmp/plate-rec/run1/ckpt.pt \
        --out models/plate-rec/plate-rec.onnx

Input  "x":     float32 [N, 3, 48, W], RGB, (x/255-0.5)/0.5, aspect kept, W a multiple of 8 (trained
               at 160, right-padded with 0; dynamic_width.py lets W vary).
Output "probs": float32 [N, W/8, 37], per-step softmax; class 0 = CTC blank, 1..36 = "0-9A-Z"
               (EXPORT_ALPHABET, the order of src/recognize/ctc.ts PLATE_ALPHABET).
The check runs the ONNX in onnxruntime-node and compares with PyTorch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from ppocr_torch import ALPHABET, EXPORT_ALPHABET, PlateRec  # noqa: E402
from train_rec import ASSETS, IN_H, IN_W, ROOT  # noqa: E402


class Exported(torch.nn.Module):
    """The trained model with its head rows put in EXPORT_ALPHABET order and a softmax on top."""

    def __init__(self, model: PlateRec):
        super().__init__()
        self.model = model
        order = [0] + [ALPHABET.index(c) + 1 for c in EXPORT_ALPHABET]
        with torch.no_grad():
            model.head.weight.copy_(model.head.weight[order].clone())
            model.head.bias.copy_(model.head.bias[order].clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=-1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", help="training checkpoint; omitted = the un-tuned sliced PP-OCRv4")
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-fuse", action="store_true", help="keep torch's graph (no fuse_onnx.py rewrite)")
    ap.add_argument("--src", default=os.path.join(ASSETS, "ch_PP-OCRv4_rec_infer.onnx"),
                    help="the recognizer the checkpoint was trained from (train_rec.py --src)")
    ap.add_argument("--keys", default=os.path.join(ASSETS, "ppocr_keys_v1.txt"), help="its character list")
    ap.add_argument("--shape-ops", action="store_true",
                    help="for a graph whose reshapes compute their shapes (PP-OCRv3): traced at batch 1 with "
                         "the width as a dynamic axis, no dynamic_width.py pass (the runtime reads one crop a run)")
    args = ap.parse_args()
    n = 1 if args.shape_ops else 2
    torch.set_num_threads(2)
    model = PlateRec(args.src, args.keys)
    if args.ckpt:
        model.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    model = Exported(model.eval()).eval()
    # the big 6625-way head is not part of the exported graph: drop its buffers
    x = torch.randn(n, 3, IN_H, IN_W)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with torch.no_grad():
        ref = model(x).numpy()
        torch.onnx.export(model, (x,), args.out, opset_version=13, input_names=["x"], output_names=["probs"],
                          dynamic_axes={"x": {0: "n", 3: "w"}, "probs": {0: "n", 1: "t"}} if args.shape_ops
                          else {"x": {0: "n"}, "probs": {0: "n"}}, do_constant_folding=True)
    # checked at another batch size than traced (the batch axis stays dynamic), or at 1 as the runtime reads
    m = 1 if args.shape_ops else 3
    xb = np.random.default_rng(0).uniform(-1, 1, (m, 3, IN_H, IN_W)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(xb)).numpy()
    xb.tofile("/tmp/export_in.f32")
    r = subprocess.run(["node", "scripts/training/ort_run.mjs", os.path.abspath(args.out), "/tmp/export_in.f32",
                        f"{m},3,{IN_H},{IN_W}", "/tmp/export_out.f32"], cwd=ROOT, capture_output=True, text=True,
                       check=True)
    dims = json.loads(r.stdout.strip().splitlines()[-1])["dims"]
    got = np.fromfile("/tmp/export_out.f32", dtype=np.float32).reshape(dims)
    diff = float(np.abs(got - ref).max())
    size = os.path.getsize(args.out)
    print(json.dumps({"out": args.out, "dims": dims, "max_abs_diff": diff, "bytes": size}))
    if diff > 1e-3:
        raise SystemExit("onnxruntime output differs from PyTorch")
    if not args.no_fuse:
        # same function, fewer passes: see fuse_onnx.py (checks the fused graph against this one)
        unfused = args.out + ".unfused"
        os.replace(args.out, unfused)
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "fuse_onnx.py"), "--src", unfused,
                        "--out", args.out, "--check-shape", f"{IN_H},{IN_W}"], check=True)
        os.remove(unfused)
    # any width, not only the traced 160: the runtime reads a crop at its own width
    if not args.shape_ops:
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "dynamic_width.py"), "--src",
                        args.out, "--out", args.out, "--height", str(IN_H), "--width", str(IN_W)], check=True)


if __name__ == "__main__":
    main()
