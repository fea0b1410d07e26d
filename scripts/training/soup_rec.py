"""Average the weights of plate-recognizer runs fine-tuned from the same PP-OCRv4 weights ("model soup").

    /usr/bin/python3 scripts/training/soup_rec.py --out runs/soup.pt runs/rec14/ckpt.pt runs/rec15/ckpt.pt
    /usr/bin/python3 scripts/training/export_rec.py --ckpt runs/soup.pt --out models/plate-rec/plate-rec.onnx

Runs that start from one set of weights and differ only in their data draw (--seed) stay in one
basin of the loss, so their mean is a model of its own: one network, the cost of one at run time,
and less of either draw's chance in it. Floating-point tensors are averaged; integer buffers are
taken from the first run. The result holds {"model": state_dict}, which export_rec.py reads.
"""

from __future__ import annotations

import argparse

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("ckpts", nargs="+", help="ckpt.pt files of train_rec.py runs")
    args = ap.parse_args()
    sds = [torch.load(p, map_location="cpu")["model"] for p in args.ckpts]
    keys = set(sds[0])
    for p, sd in zip(args.ckpts, sds):
        if set(sd) != keys:
            raise SystemExit(f"{p}: not the same network as {args.ckpts[0]}")
    avg = {k: (sum(sd[k] for sd in sds) / len(sds) if v.is_floating_point() else v) for k, v in sds[0].items()}
    torch.save({"model": avg}, args.out)
    print(f"soup of {len(sds)} runs -> {args.out}")


if __name__ == "__main__":
    main()
