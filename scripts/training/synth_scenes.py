"""Synthetic street frames for distilling the text detector (960x544, RGB uint8).

Procedural backgrounds (multi-scale noise, buildings, road, poles), car-like bodies each carrying a
plate from synth_plates.render_plate, distractor text (signs, badges, phone numbers) and camera
overlays (timestamps). Nothing comes from the evaluation images. The teacher (PP-OCRv4's detector)
labels the frames afterwards (teacher_maps.ts); the student learns its maps (train_det.py).

    /usr/bin/python3 scripts/training/synth_scenes.py --out .tmp/det/frames2.npy --n 1500 --seed 11
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, os.path.dirname(__file__))
from synth_plates import TEXT_FONTS, font, render_plate  # noqa: E402

W, H = 960, 544
# Non-text clutter (grilles, foliage, bricks...). The first training stage of the shipped model ran
# on frames made before clutter existed: --no-clutter makes exactly those frames again.
CLUTTER = True
BIG = False
WORDS = ["STOP", "ONE WAY", "PARKING", "EXIT", "SALE", "OPEN", "PIZZA", "MOTEL", "BANK", "AUTO",
         "TOYOTA", "FORD", "HONDA", "DEALER", "SPEED LIMIT 35", "NO PARKING", "BUS", "TAXI",
         "CAFE", "HOTEL", "MARKET", "SCHOOL", "WASH", "TIRES", "OIL", "SERVICE", "RAV4", "CIVIC",
         "CALL 555-0134", "800-555-0199", "EST 1998", "MAIN ST", "5TH AVE", "LOT B", "GATE 3"]


def noise(rng: np.random.Generator, w: int, h: int, scales=(4, 16, 64)) -> np.ndarray:
    out = np.zeros((h, w), np.float32)
    for s in scales:
        small = rng.random((max(2, h // s), max(2, w // s))).astype(np.float32)
        img = Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
        out += np.asarray(img, np.float32) / 255 / len(scales)
    return out


def background(rng: random.Random, nrg: np.random.Generator) -> Image.Image:  # noqa: C901
    base = np.array([rng.randint(30, 200) for _ in range(3)], np.float32)
    tex = noise(nrg, W, H)[..., None] * rng.uniform(30, 120)
    arr = base + tex - 40
    # sky / road split
    horizon = rng.randint(H // 5, H // 2)
    arr[:horizon] = arr[:horizon] * 0.5 + np.array([rng.randint(120, 230)] * 3, np.float32) * 0.5
    road = np.array([rng.randint(40, 110)] * 3, np.float32)
    r0 = horizon + rng.randint(40, 120)
    arr[r0:] = arr[r0:] * 0.3 + road * 0.7
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(3, 12)):  # buildings, windows, poles, lane marks
        x0, y0 = rng.randint(-50, W), rng.randint(-20, H)
        w, h = rng.randint(5, 300), rng.randint(5, 250)
        c = tuple(rng.randint(0, 255) for _ in range(3))
        if rng.random() < 0.5:
            d.rectangle((x0, y0, x0 + w, y0 + h), fill=c)
        else:
            d.line((x0, y0, x0 + rng.randint(-200, 200), y0 + rng.randint(-200, 200)), fill=c,
                   width=rng.randint(1, 12))
    if CLUTTER:
        for _ in range(rng.randint(2, 8)):
            clutter(rng, nrg, img)
    return img


def clutter(rng: random.Random, nrg: np.random.Generator, img: Image.Image) -> None:
    """Things that are not text but have its edges: grilles, fences, foliage, bricks, window rows,
    scratches. The teacher calls them non-text; the student must learn the same."""
    d = ImageDraw.Draw(img)
    w, h = rng.randint(20, 400), rng.randint(10, 200)
    x0, y0 = rng.randint(-w // 2, W - w // 2), rng.randint(-h // 2, H - h // 2)
    c1 = tuple(rng.randint(0, 255) for _ in range(3))
    c2 = tuple(rng.randint(0, 255) for _ in range(3))
    kind = rng.randrange(6)
    if kind == 0:  # grille / fence: stripes, one or both directions
        period = rng.randint(2, 12)
        d.rectangle((x0, y0, x0 + w, y0 + h), fill=c1)
        if rng.random() < 0.7:
            for x in range(x0, x0 + w, period):
                d.line((x, y0, x, y0 + h), fill=c2, width=max(1, period // 3))
        if rng.random() < 0.5:
            for y in range(y0, y0 + h, period):
                d.line((x0, y, x0 + w, y), fill=c2, width=max(1, period // 3))
    elif kind == 1:  # foliage: thresholded fine noise
        ww, hh = max(8, w), max(8, h)
        n = noise(nrg, ww, hh, scales=(2, 4, 8))
        mask = Image.fromarray(((n > rng.uniform(0.45, 0.6)) * 255).astype(np.uint8))
        img.paste(Image.new("RGB", (ww, hh), c1), (x0, y0), mask)
    elif kind == 2:  # bricks / tiles
        bw, bh = rng.randint(6, 30), rng.randint(3, 14)
        d.rectangle((x0, y0, x0 + w, y0 + h), fill=c1)
        for r, y in enumerate(range(y0, y0 + h, bh)):
            d.line((x0, y, x0 + w, y), fill=c2)
            for x in range(x0 + (bw // 2 if r % 2 else 0), x0 + w, bw):
                d.line((x, y, x, y + bh), fill=c2)
    elif kind == 3:  # a row of windows / lights / dots
        n_ = rng.randint(3, 14)
        sz = rng.randint(3, 18)
        for k in range(n_):
            x = x0 + k * int(sz * rng.uniform(1.3, 2.5))
            d.rectangle((x, y0, x + sz, y0 + int(sz * rng.uniform(0.6, 2))), fill=c2)
    elif kind == 4:  # scratches, cables, branches
        for _ in range(rng.randint(3, 15)):
            x, y = x0 + rng.randint(0, w), y0 + rng.randint(0, h)
            d.line((x, y, x + rng.randint(-40, 40), y + rng.randint(-40, 40)), fill=c2, width=rng.randint(1, 3))
    else:  # shiny gradient patch (reflections)
        g = np.linspace(0, 1, max(2, w), dtype=np.float32)[None, :, None]
        arr = (np.array(c1, np.float32) * (1 - g) + np.array(c2, np.float32) * g).repeat(max(2, h), 0)
        img.paste(Image.fromarray(arr.clip(0, 255).astype(np.uint8)), (x0, y0))


def car(rng: random.Random, img: Image.Image) -> None:
    sizes = [rng.uniform(40, 90), rng.uniform(60, 150), rng.uniform(100, 230)]
    if BIG:  # close-ups: plates up to 45% of the frame's width (characters up to ~90 px tall)
        sizes += [rng.uniform(180, 300), rng.uniform(250, 430)]
    pw = int(rng.choice(sizes))
    cw = min(int(pw * rng.uniform(3.5, 5.5)), int(W * 0.95))
    ch = min(int(cw * rng.uniform(0.45, 0.75)), int(H * 0.9))
    cx = rng.randint(-cw // 4, max(-cw // 4 + 1, W - cw * 3 // 4))
    cy = rng.randint(H // 5, max(H // 5 + 1, H - ch * 3 // 4))
    d = ImageDraw.Draw(img)
    body = tuple(rng.randint(0, 255) for _ in range(3))
    d.rounded_rectangle((cx, cy, cx + cw, cy + ch), radius=max(2, ch // 6), fill=body)
    d.rectangle((cx + cw // 8, cy + ch // 10, cx + cw * 7 // 8, cy + ch * 4 // 10),
                fill=tuple(max(0, v - rng.randint(60, 140)) for v in body))  # rear window
    for lx in (cx + cw // 12, cx + cw * 10 // 12):  # tail lights
        d.rectangle((lx, cy + ch // 2, lx + cw // 12, cy + ch * 6 // 10), fill=(rng.randint(150, 255), 20, 20))
    if CLUTTER and rng.random() < 0.6:  # grille and chrome around the plate
        gy = cy + int(ch * 0.78)
        for x in range(cx + cw // 6, cx + cw * 5 // 6, rng.randint(3, 9)):
            d.line((x, gy, x, gy + ch // 8), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    plate, _, _ = render_plate(rng)
    ph = int(pw * plate.height / plate.width)
    plate = plate.resize((pw, max(8, ph)), Image.BILINEAR).rotate(rng.uniform(-6, 6), expand=True,
                                                                  fillcolor=body)
    px, py = cx + (cw - plate.width) // 2 + rng.randint(-cw // 10, cw // 10), cy + int(ch * rng.uniform(0.55, 0.7))
    img.paste(plate, (px, py))


def text(rng: random.Random, img: Image.Image) -> None:
    d = ImageDraw.Draw(img)
    s = rng.choice(WORDS) if rng.random() < 0.7 else "".join(
        rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(rng.randint(3, 9)))
    size = rng.randint(9, 46)
    f = font(rng.choice(TEXT_FONTS), size)
    x, y = rng.randint(-20, W - 40), rng.randint(0, H - size)
    tw = int(d.textlength(s, font=f))
    if rng.random() < 0.6:  # on a sign
        bg = tuple(rng.randint(0, 255) for _ in range(3))
        d.rectangle((x - size // 3, y - size // 4, x + tw + size // 3, y + size * 5 // 4), fill=bg)
        fg = tuple(255 - v if rng.random() < 0.8 else rng.randint(0, 255) for v in bg)
    else:
        fg = tuple(rng.randint(0, 255) for _ in range(3))
    d.text((x, y), s, font=f, fill=fg)


def overlay(rng: random.Random, img: Image.Image) -> None:
    d = ImageDraw.Draw(img)
    s = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if rng.random() < 0.5:
        s = s.replace("-", "").replace(":", "")[:8]
    f = font(rng.choice(TEXT_FONTS), rng.randint(12, 22))
    x = rng.choice([2, W - 10 - int(d.textlength(s, font=f))])
    y = rng.choice([1, H - 26])
    d.text((x, y), s, font=f, fill=(255, 255, 255) if rng.random() < 0.7 else (255, 255, 0))


def scene(rng: random.Random, nrg: np.random.Generator) -> np.ndarray:
    img = background(rng, nrg)
    for _ in range(rng.randint(0, 3)):
        text(rng, img)
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4])):
        car(rng, img)
    for _ in range(rng.randint(0, 4)):
        text(rng, img)
    if rng.random() < 0.4:
        overlay(rng, img)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    arr = np.asarray(img, np.float32) * rng.uniform(0.6, 1.25) + rng.uniform(-30, 30)
    arr = arr + nrg.normal(0, rng.uniform(0, 8), arr.shape)
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=rng.randint(35, 92))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, help="raw uint8 file, N x 544 x 960 x 3")
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--preview", help="also write the first 8 frames as JPEGs here")
    ap.add_argument("--no-clutter", action="store_true", help="frames without non-text clutter (stage 1)")
    ap.add_argument("--big", action="store_true", help="close-up plates as well (stage 4)")
    args = ap.parse_args()
    global CLUTTER, BIG
    CLUTTER = not args.no_clutter
    BIG = args.big
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    rng = random.Random(args.seed)
    nrg = np.random.default_rng(args.seed)
    out = np.lib.format.open_memmap(args.out, mode="w+", dtype=np.uint8, shape=(args.n, H, W, 3))
    for i in range(args.n):
        out[i] = scene(rng, nrg)
        if args.preview and i < 8:
            os.makedirs(args.preview, exist_ok=True)
            Image.fromarray(out[i]).save(os.path.join(args.preview, f"{i}.jpg"))
    out.flush()
    print(f"{args.n} frames -> {args.out}")


if __name__ == "__main__":
    main()
