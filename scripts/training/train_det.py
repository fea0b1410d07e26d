"""Distil PP-OCRv4's text detector into a small plate-text detector (experimental).

The student (depthwise-separable FCN with a small FPN, ~0.1M parameters) learns the teacher's
probability map at 1/4 resolution on synthetic frames (synth_scenes.py + teacher_maps.ts). Its
ONNX takes the detector's input (1x3xHxW, BGR, ImageNet mean/std) and gives a 1x1xHxW map
(sigmoid, bilinear x4), so the runtime's post-processing is unchanged (`recognize.detModel`).

    /usr/bin/python3 scripts/training/train_det.py --frames .tmp/det/frames.npy --maps .tmp/det/maps.u8 \
        --out .tmp/det/run1 --minutes 20
    /usr/bin/python3 scripts/training/train_det.py --frames ... --maps ... --out .tmp/det/run1 --export det.onnx
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def dw(ci: int, co: int, s: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(ci, ci, 3, s, 1, groups=ci, bias=False), nn.BatchNorm2d(ci), nn.ReLU(inplace=True),
        nn.Conv2d(ci, co, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class Student(nn.Module):
    def __init__(self, c=(16, 32, 64, 128), fpn=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c[0], 3, 2, 1, bias=False), nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True))
        self.b1 = nn.Sequential(dw(c[0], c[1], 2), dw(c[1], c[1], 1))  # 1/4
        self.b2 = nn.Sequential(dw(c[1], c[2], 2), dw(c[2], c[2], 1))  # 1/8
        self.b3 = nn.Sequential(dw(c[2], c[3], 2), dw(c[3], c[3], 1), dw(c[3], c[3], 1))  # 1/16
        self.l1, self.l2, self.l3 = nn.Conv2d(c[1], fpn, 1), nn.Conv2d(c[2], fpn, 1), nn.Conv2d(c[3], fpn, 1)
        self.head = nn.Sequential(dw(fpn, fpn, 1), dw(fpn, fpn, 1), nn.Conv2d(fpn, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits at 1/4 resolution."""
        x = self.stem(x)
        f1 = self.b1(x)
        f2 = self.b2(f1)
        f3 = self.b3(f2)
        p = self.l3(f3)
        p = F.interpolate(p, size=f2.shape[-2:], mode="nearest") + self.l2(f2)
        p = F.interpolate(p, size=f1.shape[-2:], mode="nearest") + self.l1(f1)
        return self.head(p)


class Exported(nn.Module):
    def __init__(self, m: Student):
        super().__init__()
        self.m = m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The map at a quarter of the input's resolution: the runtime upsamples it (bilinear,
        # half-pixel, as F.interpolate(scale_factor=4) would) only around text, which costs far
        # less than a full-resolution map (src/recognize/boxes.ts, upsampleQuarterMap).
        return torch.sigmoid(self.m(x))


def to_input(rgb: np.ndarray) -> torch.Tensor:
    """uint8 N,H,W,3 RGB -> float N,3,H,W BGR normalised like the runtime's DET_NORM."""
    t = torch.from_numpy(rgb[..., ::-1].copy()).permute(0, 3, 1, 2).float() / 255
    return (t - MEAN) / STD


def batch(frames, maps, idx, rng, crop=256):
    xs, ys = [], []
    H, W = frames.shape[1], frames.shape[2]
    for i in idx:
        y0 = rng.integers(0, (H - crop) // 4 + 1) * 4
        x0 = rng.integers(0, (W - crop) // 4 + 1) * 4
        xs.append(frames[i, y0:y0 + crop, x0:x0 + crop])
        ys.append(maps[i, y0 // 4:(y0 + crop) // 4, x0 // 4:(x0 + crop) // 4])
    return to_input(np.stack(xs)), torch.from_numpy(np.stack(ys)).float().unsqueeze(1) / 255


def loss_fn(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    dice = 1 - (2 * inter + 1) / (p.sum() + target.sum() + 1)
    return bce + dice


@torch.no_grad()
def validate(model, frames, maps, idx) -> dict:
    model.eval()
    inter = union = 0.0
    for i in idx:
        logits = model(to_input(frames[i:i + 1]))
        s = torch.sigmoid(logits)[0, 0].numpy() > 0.3
        t = maps[i] / 255 > 0.3
        inter += float((s & t).sum())
        union += float((s | t).sum())
    model.train()
    return {"iou": inter / max(1.0, union)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", help="frames .npy (training only)")
    ap.add_argument("--maps", help="teacher maps .u8 (training only)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export", help="write the ONNX here (from the checkpoint) and exit")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "ckpt.pt")
    model = Student()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    step = 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
    if args.export:
        model.eval()
        torch.onnx.export(Exported(model).eval(), torch.randn(1, 3, 544, 960), args.export, opset_version=13,
                          input_names=["x"], output_names=["map"],
                          dynamic_axes={"x": {2: "h", 3: "w"}, "map": {2: "h", 3: "w"}})
        print(f"exported step {step} -> {args.export} ({sum(p.numel() for p in model.parameters())} parameters)")
        return
    frames = np.load(args.frames, mmap_mode="r")
    n, H, W, _ = frames.shape
    maps = np.fromfile(args.maps, np.uint8).reshape(n, H // 4, W // 4)
    val = list(range(n - 60, n))
    rng = np.random.default_rng(step)
    t0 = time.time()
    last_save = t0
    model.train()
    while time.time() - t0 < args.minutes * 60:
        idx = rng.integers(0, n - 60, args.batch)
        x, y = batch(frames, maps, idx, rng)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f} {time.time() - t0:.0f} s", flush=True)
        if time.time() - last_save > 180:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, ckpt)
            last_save = time.time()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, ckpt)
    print(f"done step {step} val {validate(model, frames, maps, val)}", flush=True)


if __name__ == "__main__":
    main()
