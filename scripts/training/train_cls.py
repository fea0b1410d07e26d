"""Train the plate classifier (models/plate-cls/): plate registration vs any other text region.

Samples come from region_windows.ts on synthetic frames (synth_scenes.py --distractors): the
windows the runtime's detectors cut around text regions, labelled by where the renderer put its
plates. A small CNN (about 0.13 M parameters, input 3 x 48 x 128 RGB in [-1, 1]) learns
plate / not plate with balanced batches and photometric and shift augmentation. `--dev` scores
labelled real windows (region_windows.ts --manifest) for the model card only: nothing is chosen by it.

    /usr/bin/python3 scripts/training/train_cls.py --data .tmp/platecls/train --run .tmp/platecls/run1 \
        --epochs 8 [--dev .tmp/platecls/dev]
    /usr/bin/python3 scripts/training/train_cls.py --export .tmp/platecls/run1/ckpt.pt --out models/plate-cls/plate-cls.onnx
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

H, W = 48, 128


def block(i: int, o: int, s: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class PlateCls(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(block(3, 16, 2), block(16, 32, 2), block(32, 32, 1), block(32, 64, 2),
                                  block(64, 64, 1), block(64, 96, 2), block(96, 96, 1))
        self.head = nn.Linear(192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.body(x)
        g = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], 1)
        return self.head(g)[:, 0]


def load(prefixes: str) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """One or more (comma-separated) region_windows.ts outputs, frames numbered apart."""
    xs, metas = [], []
    for k, prefix in enumerate(prefixes.split(",")):
        meta = [json.loads(l) for l in open(prefix + ".jsonl") if l.strip()]
        for m in meta:
            m["frame"] = f"{k}:{m['frame']}"
        xs.append(np.fromfile(prefix + ".u8", np.uint8).reshape(len(meta), 3, H, W))
        metas += meta
    y = np.array([m["y"] for m in metas], np.float32)
    return np.concatenate(xs), y, metas


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """x: uint8 batch -> float in [-1, 1] with brightness, contrast, gamma, colour, noise, shift, blur."""
    n = x.shape[0]
    f = x.float() / 255
    r = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
    f = f ** (0.6 + 0.8 * r(n, 1, 1, 1))
    f = f * (0.6 + 0.8 * r(n, 1, 1, 1)) + (r(n, 1, 1, 1) - 0.5) * 0.4
    f = f * (0.85 + 0.3 * r(n, 3, 1, 1))
    gray = r(n, 1, 1, 1) < 0.35
    f = torch.where(gray, f.mean(1, keepdim=True).expand_as(f), f)
    lowres = r(n) < 0.35  # a small, soft region blown up to the input's size
    if lowres.any():
        k = int(torch.randint(2, 5, (1,), generator=g))
        f[lowres] = F.interpolate(F.avg_pool2d(f[lowres], k, ceil_mode=True), size=(H, W), mode="bilinear",
                                  align_corners=False)
    blur = r(n) < 0.3
    if blur.any():
        k = torch.tensor([1.0, 2.0, 1.0]) / 4
        k2 = (k[:, None] * k[None, :]).expand(3, 1, 3, 3).contiguous()
        f[blur] = F.conv2d(F.pad(f[blur], (1, 1, 1, 1), mode="replicate"), k2, groups=3)
    f = f + torch.randn(f.shape, generator=g) * 0.04 * r(n, 1, 1, 1)
    dx, dy = int(torch.randint(-6, 7, (1,), generator=g)), int(torch.randint(-3, 4, (1,), generator=g))
    f = torch.roll(f, (dy, dx), (2, 3))
    return (f.clamp(0, 1) - 0.5) / 0.5


def norm(x: np.ndarray) -> torch.Tensor:
    return (torch.from_numpy(x).float() / 255 - 0.5) / 0.5


def auc(scores: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / max(1, n1 * n0))


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    out = [torch.sigmoid(model(norm(x[i:i + 512]))).numpy() for i in range(0, len(x), 512)]
    return np.concatenate(out) if out else np.zeros(0)


def report(name: str, p: np.ndarray, y: np.ndarray) -> str:
    pos, neg = p[y == 1], p[y == 0]
    return (f"{name}: n={len(y)} auc={auc(p, y):.4f} pos>=0.5 {np.mean(pos >= 0.5):.3f} "
            f"neg>=0.5 {np.mean(neg >= 0.5):.3f} pos<0.1 {np.mean(pos < 0.1):.3f} neg<0.1 {np.mean(neg < 0.1):.3f}")


def train(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    x, y, meta = load(args.data)
    frames = sorted({m["frame"] for m in meta}, key=lambda f: (f.split(":")[0], int(f.split(":")[1])))
    val_frames = set(frames[-max(1, len(frames) // 10):])  # the last tenth of the frames: validation
    is_val = np.array([m["frame"] in val_frames for m in meta])
    xt, yt, xv, yv = x[~is_val], y[~is_val], x[is_val], y[is_val]
    print(f"train {len(yt)} ({int(yt.sum())} plates), val {len(yv)} ({int(yv.sum())} plates)", flush=True)
    dev = load(args.dev) if args.dev else None
    model = PlateCls()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * (len(yt) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    g = torch.Generator().manual_seed(args.seed)
    pos_idx, neg_idx = np.flatnonzero(yt == 1), np.flatnonzero(yt == 0)
    t0 = time.time()
    os.makedirs(args.run, exist_ok=True)
    for step in range(steps):
        model.train()
        # balanced batches: half plates, half other text
        idx = np.concatenate([np.random.choice(pos_idx, args.batch // 2), np.random.choice(neg_idx, args.batch // 2)])
        xb = augment(torch.from_numpy(xt[idx]), g)
        yb = torch.from_numpy(yt[idx])
        loss = F.binary_cross_entropy_with_logits(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            line = f"step {step}/{steps} loss {loss.item():.4f} {time.time() - t0:.0f} s"
            if step % 400 == 0 or step == steps - 1:
                line += " | " + report("val", predict(model, xv), yv)
            print(line, flush=True)
    torch.save({"model": model.state_dict(), "steps": steps}, os.path.join(args.run, "ckpt.pt"))
    print(report("val", predict(model, xv), yv), flush=True)
    if dev:
        print(report("real (eval only)", predict(model, dev[0]), dev[1]), flush=True)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


def export(args: argparse.Namespace) -> None:
    model = PlateCls()
    model.load_state_dict(torch.load(args.export)["model"])
    model.eval()

    class WithSigmoid(nn.Module):
        def __init__(self, m: nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.m(x))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(WithSigmoid(model), torch.zeros(1, 3, H, W), args.out, input_names=["x"],
                      output_names=["plate"], dynamic_axes={"x": {0: "n"}, "plate": {0: "n"}}, opset_version=13)
    print(f"exported {args.out}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", help="prefix(es, comma-separated) of region_windows.ts output (synthetic frames)")
    ap.add_argument("--dev", help="prefix of labelled real windows, reported only")
    ap.add_argument("--run", default=".tmp/platecls/run")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--export", help="checkpoint to export to ONNX")
    ap.add_argument("--out", help="ONNX path for --export")
    args = ap.parse_args()
    np.random.seed(args.seed)
    if args.export:
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
