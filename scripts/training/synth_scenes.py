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
import json
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, os.path.dirname(__file__))
import synth_plates  # noqa: E402
from synth_plates import TEXT_FONTS, font, render_plate  # noqa: E402

W, H = 960, 544
# Non-text clutter (grilles, foliage, bricks...). The first training stage of the shipped model ran
# on frames made before clutter existed: --no-clutter makes exactly those frames again.
CLUTTER = True
BIG = False
# Text on and around cars that is not a plate (badges, dealer names, bumper stickers, fleet and
# phone numbers, registration stickers): --distractors, for the plate classifier's frames.
DISTRACTORS = False
# Text that looks most like a plate without being one: bordered sign panels of a plate's size and
# shape (a word or a number, small lines above and below), badges inside a chrome outline, lit roof
# signs: --panels (with --distractors), the plate classifier's fourth set of frames.
PANELS = False
WORDS = ["STOP", "ONE WAY", "PARKING", "EXIT", "SALE", "OPEN", "PIZZA", "MOTEL", "BANK", "AUTO",
         "TOYOTA", "FORD", "HONDA", "DEALER", "SPEED LIMIT 35", "NO PARKING", "BUS", "TAXI",
         "CAFE", "HOTEL", "MARKET", "SCHOOL", "WASH", "TIRES", "OIL", "SERVICE", "RAV4", "CIVIC",
         "CALL 555-0134", "800-555-0199", "EST 1998", "MAIN ST", "5TH AVE", "LOT B", "GATE 3"]
BADGES = ["JEEP", "S300", "C250", "RAV4", "CR-V", "F-150", "LX", "EX-L", "V6", "4X4", "AWD", "HYBRID",
          "CAMRY", "ACCORD", "ALTIMA", "SILVERADO", "TACOMA", "CIVIC", "PRIUS", "4MATIC", "328i", "XLT",
          "SE", "GT", "TDI", "ECOBOOST", "Z71", "2500HD", "LIMITED", "SPORT", "TOURING", "EV6", "Q5"]
DEALERS = ["SMITH FORD", "AUTONATION", "CITY HONDA", "BOB'S AUTO", "CARMAX", "MOTOR MALL",
           "VALLEY TOYOTA", "METRO KIA", "FREEWAY NISSAN"]
STICKERS = ["HONK IF", "BABY ON BOARD", "STUDENT DRIVER", "COEXIST", "26.2", "OBX", "I LOVE MY DOG",
            "NO FEAR", "VOTE", "ARMY", "STAY WILD", "SURF", "KEEP CLEAR", "HOW'S MY DRIVING?"]


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


def _rot_box(box, size, angle, out_size):
    """The box (x0, y0, x1, y1) of an image of `size` after rotate(angle, expand=True)."""
    cx, cy = size[0] / 2, size[1] / 2
    ox, oy = out_size[0] / 2, out_size[1] / 2
    a = np.deg2rad(angle)
    pts = []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy
        pts.append((ox + np.cos(a) * dx + np.sin(a) * dy, oy - np.sin(a) * dx + np.cos(a) * dy))
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def car(rng: random.Random, img: Image.Image) -> dict:
    """Draws a car with a plate; returns the plate's and its serial's boxes (x0, y0, x1, y1) on the frame."""
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
    if DISTRACTORS and rng.random() < 0.75:  # the colours cars come in: white, black, greys, dark blues and reds
        base = rng.choice([(235, 235, 235), (20, 20, 22), (120, 122, 125), (175, 177, 180), (30, 40, 80),
                           (120, 20, 25), (60, 60, 65), (200, 190, 170), (40, 60, 45)])
        k = rng.uniform(0.6, 1.15)
        body = tuple(int(np.clip(v * k + rng.randint(-12, 12), 0, 255)) for v in base)
    d.rounded_rectangle((cx, cy, cx + cw, cy + ch), radius=max(2, ch // 6), fill=body)
    d.rectangle((cx + cw // 8, cy + ch // 10, cx + cw * 7 // 8, cy + ch * 4 // 10),
                fill=tuple(max(0, v - rng.randint(60, 140)) for v in body))  # rear window
    for lx in (cx + cw // 12, cx + cw * 10 // 12):  # tail lights
        d.rectangle((lx, cy + ch // 2, lx + cw // 12, cy + ch * 6 // 10), fill=(rng.randint(150, 255), 20, 20))
    if CLUTTER and rng.random() < 0.6:  # grille and chrome around the plate
        gy = cy + int(ch * 0.78)
        for x in range(cx + cw // 6, cx + cw * 5 // 6, rng.randint(3, 9)):
            d.line((x, gy, x, gy + ch // 8), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    plate, label, sb = render_plate(rng)
    if DISTRACTORS:
        plate = _weathered(rng, plate)
    ph = int(pw * plate.height / plate.width)
    k = (pw / plate.width, max(8, ph) / plate.height)
    small = plate.resize((pw, max(8, ph)), Image.BILINEAR)
    angle = rng.uniform(-6, 6)
    plate = small.rotate(angle, expand=True, fillcolor=body)
    px, py = cx + (cw - plate.width) // 2 + rng.randint(-cw // 10, cw // 10), cy + int(ch * rng.uniform(0.55, 0.7))
    if DISTRACTORS and rng.random() < 0.6:  # the bumper the plate is mounted on
        g = rng.randint(15, 140)
        bh = int(plate.height * rng.uniform(1.3, 2.2))
        d.rectangle((cx, py - (bh - plate.height) // 2, cx + cw, py + plate.height + (bh - plate.height) // 2),
                    fill=(g, g, g + rng.randint(0, 8)))
    img.paste(plate, (px, py))
    serial = _rot_box((sb[0] * k[0], sb[1] * k[1], sb[2] * k[0], sb[3] * k[1]), small.size, angle, plate.size)
    out = {"car": [cx, cy, cx + cw, cy + ch], "plate": [px, py, px + plate.width, py + plate.height],
           "serial": [px + serial[0], py + serial[1], px + serial[2], py + serial[3]], "label": label}
    if DISTRACTORS:
        badges(rng, img, (cx, cy, cx + cw, cy + ch), out["plate"], body)
        if PANELS and rng.random() < 0.5:
            emblem_badge(rng, img, (cx, cy, cx + cw, cy + ch), out["plate"])
        trims(rng, img, (cx, cy, cx + cw, cy + ch), out["plate"])
        if rng.random() < 0.3:  # a separator mark between the serial's groups (a dot, a state's emblem)
            sx0, sy0, sx1, sy1 = out["serial"]
            mx = sx0 + (sx1 - sx0) * rng.uniform(0.35, 0.6)
            r = max(1.0, (sy1 - sy0) * rng.uniform(0.1, 0.25))
            my = (sy0 + sy1) / 2
            col = rng.choice([(200, 30, 30), (30, 60, 160), (20, 20, 20), (200, 160, 30)])
            ImageDraw.Draw(img).rectangle((mx - r, my - r, mx + r, my + r), fill=col)
            out["mark"] = True  # it may cover part of a character: no fair sample for the reader
    return out


def trims(rng: random.Random, img: Image.Image, car_box, plate_box) -> None:
    """Shapes on a car that are not text but look busy: an emblem, chrome strips, lamps, a handle."""
    d = ImageDraw.Draw(img)
    cx0, cy0, cx1, cy1 = car_box
    ph = max(6, plate_box[3] - plate_box[1])
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(4)
        x = rng.randint(int(cx0), max(int(cx0) + 1, int(cx1) - ph * 2))
        y = rng.randint(int(cy0), max(int(cy0) + 1, int(cy1) - ph))
        c = rng.randint(150, 250)
        if kind == 0:  # oval emblem with a mark inside
            w, h = int(ph * rng.uniform(0.8, 1.8)), int(ph * rng.uniform(0.5, 0.9))
            d.ellipse((x, y, x + w, y + h), outline=(c, c, c), width=max(1, h // 8))
            d.ellipse((x + w // 4, y + h // 4, x + 3 * w // 4, y + 3 * h // 4), outline=(c, c, c), width=max(1, h // 10))
        elif kind == 1:  # chrome strip
            w, h = int(ph * rng.uniform(2, 6)), max(2, int(ph * rng.uniform(0.08, 0.3)))
            g = np.linspace(c, 80, h).astype(np.uint8)
            strip = Image.fromarray(np.repeat(np.repeat(g[:, None, None], w, 1), 3, 2))
            img.paste(strip, (x, y))
        elif kind == 2:  # lamp with reflector rows
            w, h = int(ph * rng.uniform(1.2, 3)), int(ph * rng.uniform(0.6, 1.2))
            d.rounded_rectangle((x, y, x + w, y + h), radius=max(1, h // 4), fill=(rng.randint(120, 255), rng.randint(10, 60), 20))
            for k in range(1, rng.randint(2, 5)):
                d.line((x, y + k * h // 5, x + w, y + k * h // 5), fill=(255, 200, 180))
        else:  # handle / recess
            w, h = int(ph * rng.uniform(1.5, 3)), int(ph * rng.uniform(0.3, 0.6))
            d.rounded_rectangle((x, y, x + w, y + h), radius=max(1, h // 2), fill=(c // 3, c // 3, c // 3))


def _weathered(rng: random.Random, plate: Image.Image) -> Image.Image:
    """Real plates are seldom bright and clean: shade, dirt, faded colours, low contrast."""
    a = np.asarray(plate, np.float32)
    if rng.random() < 0.5:
        gray = a.mean(axis=2, keepdims=True)
        a = a * (1 - rng.uniform(0.3, 0.9)) + gray * rng.uniform(0.3, 0.9)
    if rng.random() < 0.6:
        a = (a - 128) * rng.uniform(0.35, 0.9) + 128 - rng.uniform(0, 60)
    if rng.random() < 0.3:
        h, w = a.shape[:2]
        dirt = np.asarray(Image.fromarray((np.random.default_rng(rng.randint(0, 1 << 30)).random((max(2, h // 20), max(2, w // 20))) * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), np.float32)
        a = a - (dirt[..., None] / 255) * rng.uniform(20, 70)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


def signs(rng: random.Random, img: Image.Image) -> None:
    """Several lines of text: shop signs, van lettering with a phone number, two-line overlays."""
    d = ImageDraw.Draw(img)
    lines = []
    for _ in range(rng.randint(2, 5)):
        r = rng.random()
        if r < 0.4:
            lines.append(" ".join(rng.choice(WORDS + STICKERS) for _ in range(rng.randint(1, 3))))
        elif r < 0.6:
            lines.append(f"{rng.randint(200, 989)}-{rng.randint(200, 989)}-{rng.randint(1000, 9999)}")
        elif r < 0.75:
            lines.append(rng.choice(DEALERS) + rng.choice(["", " INC", " & SONS", " LLC"]))
        else:
            lines.append(("• " if rng.random() < 0.5 else "") + rng.choice(["24 HR ACCESS", "FREE ESTIMATES",
                         "LICENSED & INSURED", "SINCE 1987", "WE BUY CARS", "TOWING ENFORCED", "PRIVATE PROPERTY",
                         "CLIMATE CONTROLLED", "SELF STORAGE", "PLUMBING", "HEATING & AIR"]))
    size = rng.randint(8, 30)
    f = font(rng.choice(TEXT_FONTS), size)
    x, y = rng.randint(-20, W - 60), rng.randint(0, max(1, H - size * len(lines)))
    tw = max(int(d.textlength(t, font=f)) for t in lines)
    bg = tuple(rng.randint(0, 255) for _ in range(3))
    if rng.random() < 0.8:
        d.rectangle((x - size // 2, y - size // 2, x + tw + size // 2, y + int(size * 1.3 * len(lines)) + size // 2), fill=bg)
    fgs = [tuple(255 - v if rng.random() < 0.8 else rng.randint(0, 255) for v in bg) for _ in range(2)]
    for k, t in enumerate(lines):
        d.text((x, y + int(k * size * 1.3)), t, font=f, fill=rng.choice(fgs))


PANEL_SMALL = ["PRIVATE PROPERTY", "NO PARKING", "TOW AWAY ZONE", "RESERVED", "VISITOR", "CUSTOMER",
               "NO TRESPASSING", "AUTHORIZED ONLY", "LOADING ZONE", "FIRE LANE", "EMPLOYEE", "CALL",
               "VISIT US", "SINCE 1987", "24 HOURS", "VIOLATORS TOWED", "AT ALL TIMES", "BY PERMIT"]


def _panel_text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return rng.choice(WORDS + STICKERS + BADGES + ["PRIVATE", "RESIDENT", "PERMIT", "CAUTION", "DANGER",
                                                        "ENTRANCE", "OFFICE", "GARAGE", "VALET", "ONLY"])
    if r < 0.75:
        n = rng.choice([3, 4, 4, 5, 6, 7, 7])
        digits = "".join(rng.choice("0123456789") for _ in range(n))
        return digits if n != 7 or rng.random() < 0.5 else f"{digits[:3]}-{digits[3:]}"
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(rng.randint(3, 7)))


def panels(rng: random.Random, img: Image.Image) -> None:
    """A sign of a plate's size and shape: a light (or coloured) panel with a border, one large
    line (a word, a number) and now and then small lines above and below it, as parking, property
    and business signs and van lettering are made."""
    d = ImageDraw.Draw(img)
    pw = int(rng.choice([rng.uniform(40, 90), rng.uniform(60, 150), rng.uniform(100, 230)]))
    ph = int(pw * rng.uniform(0.35, 0.75))
    x, y = rng.randint(-pw // 4, W - pw * 3 // 4), rng.randint(0, H - ph)
    light = rng.random() < 0.7
    bg = tuple(rng.randint(200, 255) for _ in range(3)) if light else rng.choice(
        [(20, 90, 40), (30, 50, 140), (180, 30, 30), (230, 190, 30), (20, 20, 20)])
    fg = rng.choice([(20, 20, 20), (150, 20, 20), (20, 40, 130), (20, 90, 40)]) if light else (
        (20, 20, 20) if sum(bg) > 400 else (245, 245, 245))
    radius = max(1, ph // rng.randint(4, 12)) if rng.random() < 0.5 else 0
    if rng.random() < 0.5:  # a post or a wall bracket
        d.rectangle((x + pw // 2 - 2, y + ph, x + pw // 2 + 2, min(H, y + ph * 4)), fill=(110, 110, 115))
    d.rounded_rectangle((x, y, x + pw, y + ph), radius=radius, fill=bg)
    if rng.random() < 0.8:  # the border, often inset
        inset = rng.choice([0, 0, max(1, ph // 14)])
        d.rounded_rectangle((x + inset, y + inset, x + pw - inset, y + ph - inset), radius=radius,
                            outline=fg, width=max(1, ph // rng.randint(12, 30)))
    big = _panel_text(rng)
    small = [rng.choice(PANEL_SMALL) for _ in range(rng.choice([0, 1, 1, 2]))]
    above = small[:1] if small and rng.random() < 0.5 else []
    below = [t for t in small if t not in above]
    size = int(ph * (0.42 if small else 0.6) * rng.uniform(0.8, 1.1))
    f = font(rng.choice(TEXT_FONTS), max(6, size))
    while d.textlength(big, font=f) > pw * 0.9 and size > 6:
        size -= 1
        f = font(rng.choice(TEXT_FONTS), size)
    sf = font(rng.choice(TEXT_FONTS), max(5, size // 3))
    y0 = y + (ph - size) // 2 + (size // 4 if above else 0) - (size // 4 if below else 0)
    for t in above:
        d.text((x + (pw - d.textlength(t, font=sf)) / 2, y0 - size // 3 - size // 5), t, font=sf, fill=fg)
    d.text((x + (pw - d.textlength(big, font=f)) / 2, y0), big, font=f, fill=fg)
    for k, t in enumerate(below):
        d.text((x + (pw - d.textlength(t, font=sf)) / 2, y0 + size * 1.15 + k * size // 2.5), t, font=sf, fill=fg)


def emblem_badge(rng: random.Random, img: Image.Image, car_box, plate_box) -> None:
    """A maker's name inside a chrome outline (an oval or a rounded bar), or a lit sign on a roof."""
    d = ImageDraw.Draw(img)
    cx0, cy0, cx1, cy1 = car_box
    ph = max(8, plate_box[3] - plate_box[1])
    s = rng.choice(BADGES + ["SAAB", "KIA", "TAXI", "CAB", "MINI", "FIAT", "LEXUS", "ACURA", "VOLVO", "MAZDA"])
    size = max(7, int(ph * rng.uniform(0.35, 0.7)))
    f = font(rng.choice(TEXT_FONTS), size)
    tw = int(d.textlength(s, font=f))
    roof = "TAXI" in s or "CAB" in s or rng.random() < 0.15
    x = rng.randint(int(cx0), max(int(cx0) + 1, int(cx1) - tw - size))
    y = int(cy0) - size * 2 if roof else rng.randint(int(cy0), max(int(cy0) + 1, int(plate_box[1]) - size * 2))
    box = (x - size // 2, y - size // 3, x + tw + size // 2, y + size * 4 // 3)
    if roof:
        d.rounded_rectangle(box, radius=size // 3, fill=rng.choice([(250, 250, 240), (250, 220, 60)]))
        d.text((x, y), s, font=f, fill=(15, 15, 15))
        return
    c = rng.randint(160, 250)
    if rng.random() < 0.5:
        d.ellipse(box, outline=(c, c, c), width=max(1, size // 8))
    else:
        d.rounded_rectangle(box, radius=size // 2, outline=(c, c, c), width=max(1, size // 8),
                            fill=rng.choice([None, (20, 20, 25), (c // 2, c // 2, c // 2)]))
    d.text((x, y), s, font=f, fill=(c, c, c), stroke_width=rng.choice([0, 1]), stroke_fill=(60, 60, 60))


def stamp(rng: random.Random, img: Image.Image) -> None:
    """A camera's date and time in outlined characters, often on two lines."""
    d = ImageDraw.Draw(img)
    date = f"{rng.randint(2010, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    tm = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    size = rng.randint(10, 24)
    f = font(rng.choice(TEXT_FONTS), size)
    x, y = rng.randint(0, W - 12 * size), rng.randint(0, H - 3 * size)
    for k, t in enumerate([date, tm] if rng.random() < 0.6 else [f"{date} {tm}"]):
        d.text((x, y + int(k * size * 1.2)), t, font=f, fill=(255, 255, 255), stroke_width=rng.choice([1, 2]),
               stroke_fill=(0, 0, 0))


def badges(rng: random.Random, img: Image.Image, car_box, plate_box, body) -> None:
    """Text on the car that is not its plate: model badges, a dealer name, bumper stickers,
    fleet or phone numbers, window and registration stickers."""
    d = ImageDraw.Draw(img)
    cx0, cy0, cx1, cy1 = car_box
    ph = plate_box[3] - plate_box[1]
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.35:
            s = rng.choice(BADGES)
        elif kind < 0.5:
            s = rng.choice(DEALERS)
        elif kind < 0.7:
            s = rng.choice(STICKERS)
        elif kind < 0.85:
            s = rng.choice([f"({rng.randint(200, 989)}) {rng.randint(200, 989)}-{rng.randint(1000, 9999)}",
                            f"{rng.randint(200, 989)}-{rng.randint(200, 989)}-{rng.randint(1000, 9999)}",
                            f"UNIT {rng.randint(10, 9999)}", f"USDOT {rng.randint(100000, 3999999)}",
                            f"{rng.randint(1000, 9999)}", f"NO. {rng.randint(10, 999)}"])
        else:
            s = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(rng.randint(4, 8)))
        size = max(7, int(ph * rng.uniform(0.2, 0.8)))
        f = font(rng.choice(TEXT_FONTS), size)
        tw = int(d.textlength(s, font=f))
        for _ in range(10):  # never on the plate itself
            x = rng.randint(int(cx0), max(int(cx0) + 1, int(cx1) - tw))
            y = rng.randint(int(cy0), max(int(cy0) + 1, int(cy1) - size))
            if x + tw < plate_box[0] or x > plate_box[2] or y + size * 1.3 < plate_box[1] or y > plate_box[3]:
                break
        else:
            continue
        if rng.random() < 0.45:  # on a sticker or a dealer plate
            bg = tuple(rng.randint(0, 255) for _ in range(3))
            d.rectangle((x - size // 3, y - size // 4, x + tw + size // 3, y + size * 5 // 4), fill=bg)
            fg = tuple(255 - v if rng.random() < 0.8 else rng.randint(0, 255) for v in bg)
        elif rng.random() < 0.5:  # chrome
            c = rng.randint(170, 250)
            fg = (c, c, c)
        else:
            fg = tuple(max(0, v - rng.randint(60, 160)) if sum(body) > 300 else min(255, v + rng.randint(60, 160))
                       for v in body)
        d.text((x, y), s, font=f, fill=fg, stroke_width=rng.choice([0, 0, 1]))


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


def scene(rng: random.Random, nrg: np.random.Generator, plates: list | None = None) -> np.ndarray:
    """One frame; the boxes of its plates are appended to `plates` when given."""
    img = background(rng, nrg)
    for _ in range(rng.randint(0, 3)):
        text(rng, img)
    if DISTRACTORS:  # behind the cars: a sign never hides a plate
        for _ in range(rng.randint(0, 2)):
            signs(rng, img)
    if PANELS:
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            panels(rng, img)
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4])):
        boxes = car(rng, img)
        if plates is not None:
            plates.append(boxes)
    for _ in range(rng.randint(0, 4)):
        text(rng, img)
    if DISTRACTORS and rng.random() < 0.3:
        stamp(rng, img)
    if rng.random() < 0.4:
        overlay(rng, img)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    arr = np.asarray(img, np.float32) * rng.uniform(0.6, 1.25) + rng.uniform(-30, 30)
    if DISTRACTORS and rng.random() < 0.25:  # dusk, night, infrared: dark and grey
        arr = (arr.clip(0, 255) / 255) ** rng.uniform(1.3, 2.5) * 255 * rng.uniform(0.5, 0.9)
        if rng.random() < 0.5:
            arr = arr.mean(axis=2, keepdims=True).repeat(3, 2)
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
    ap.add_argument("--distractors", action="store_true", help="badges, stickers and numbers on the cars")
    ap.add_argument("--panels", action="store_true", help="plate-like sign panels and outlined badges too")
    ap.add_argument("--boxes", help="write each frame's plate and serial boxes here (JSON lines)")
    ap.add_argument("--gen", type=int, default=synth_plates.GEN, help="the plates' generator (synth_plates.GEN)")
    args = ap.parse_args()
    synth_plates.GEN = args.gen
    global CLUTTER, BIG, DISTRACTORS, PANELS
    CLUTTER = not args.no_clutter
    BIG = args.big
    DISTRACTORS = args.distractors
    PANELS = args.panels
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    rng = random.Random(args.seed)
    nrg = np.random.default_rng(args.seed)
    out = np.lib.format.open_memmap(args.out, mode="w+", dtype=np.uint8, shape=(args.n, H, W, 3))
    boxes = open(args.boxes, "w") if args.boxes else None
    for i in range(args.n):
        plates: list = []
        out[i] = scene(rng, nrg, plates)
        if boxes:
            boxes.write(json.dumps({"i": i, "plates": plates}) + "\n")
        if args.preview and i < 8:
            os.makedirs(args.preview, exist_ok=True)
            Image.fromarray(out[i]).save(os.path.join(args.preview, f"{i}.jpg"))
    out.flush()
    if boxes:
        boxes.close()
    print(f"{args.n} frames -> {args.out}")


if __name__ == "__main__":
    main()
