"""Synthetic US licence plate crops for recognizer training.

Renders plates with per-state serial formats, state name on top, slogan at the
bottom, frames, bolts, stickers, colours, perspective, blur, noise, JPEG artefacts,
low resolution and detector-like crop padding. Only Debian fonts are used
(fonts-dejavu-core, plus DejaVu extra / Liberation when installed). Generator 3 draws
serials in many more typefaces, grouped by family (SERIAL_FAMILIES_V3); install them with

    apt-get install fonts-liberation2 fonts-urw-base35 fonts-roboto-unhinted fonts-noto-core \
      fonts-texgyre fonts-bebas-neue fonts-freefont-ttf fonts-croscore fonts-b612 fonts-dosis \
      fonts-jura fonts-lato fonts-adf-gillius

and for generator 13 also fonts-roadgeek fonts-opendin fonts-routed-gothic (families that are
not installed are skipped; the list in use is printed by --fonts).

    /usr/bin/python3 scripts/training/synth_plates.py --out /tmp/synth --n 32   # preview PNGs
"""

from __future__ import annotations

import argparse
import glob
import io
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# generator version: 1 = without emblems and middle-band crops (the first shipped model's
# data, commit history of this file); 2 = DejaVu/Liberation serials; 3 = serials in plate-like
# typefaces of many families, per-character spacing, motion blur; 4 = as 3 with more plates as
# small as distant ones on a 720p frame (40-90 px wide); 5 = as 4, and half the plates made as a
# car camera makes a distant one (scene brought down to 40-120 px, blurred, noised and
# JPEG-compressed whole, then cut: _distant_sample); 6 = as 4, with 35% of serials drawn from the
# glyphs a reader confuses on small plates (CONFUSABLE_*) and a motion blur that repeats the edge
# columns instead of wrapping round; 7 = as 4 with that motion blur, and on 30% of plates a stacked
# pair of small characters beside the serial (a specialty plate's type letters, as on many states'
# plates), which is not part of the label; 8 = as 7 with the stacked pair on whole-plate crops only
# (a text detector gives the pair its own box, so a text-line crop of the serial leaves it out);
# 9 = as 8 with the pair set apart from the serial (a gap of 0.2-0.4 of the serial's height, as a
# text detector sees two lines) and no taller than 0.44 of it; 10 = as 7 with the pair only on plates
# that end up at least 110 px wide; 11 = as 10 with a graphic splitting the serial on 30% of plates
# (_draw_separator); 12 = as 7 with text-line boxes as tight as a plate detector's often are: on
# each side, half the time, from 0.12 of the serial's height into its end character to 0.05 clear
# of it (else 0.05-0.4 clear, as before); 13 = as 7 with three more families of serial typefaces
# (SERIAL_FAMILIES_V13): the US road-sign alphabets many states' plate lettering follows (the FHWA
# series as fonts-roadgeek draws them), DIN (fonts-opendin) and a routed signage face
# (fonts-routed-gothic). train_rec.py --gen sets it.
GEN = 2

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # most states skip I, O, Q in standard serials
ALL_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
GAPS = " -·"  # what separates a serial's groups on the plate
# glyphs that lose their telling stroke at 10-15 px of character height: E/F, V/Y, M/W/H/N, B/8/5,
# 2/Z, 1/L/T, 0/D/U, 3/E, 6/G, K/X (generator 6 draws a share of serials from these only)
CONFUSABLE_LETTERS = "BDEFGHKLMNTUVWXYZ"
CONFUSABLE_DIGITS = "0123568"

# (state name, serial patterns, slogans). L letter, D digit, ' ' gap, '-' dash.
STATES = [
    ("CALIFORNIA", ["DLLLDDD"], ["DMV.CA.GOV", "The Golden State"]),
    ("TEXAS", ["LLL-DDDD", "LLL DDDD", "DLLLD"], ["THE LONE STAR STATE"]),
    ("NEW YORK", ["LLL-DDDD", "LLL DDDD"], ["EMPIRE STATE", "EXCELSIOR"]),
    ("FLORIDA", ["LLL LLD", "LLLL DD", "DDD LLL", "LLL D"], ["Sunshine State", "MYFLORIDA.COM"]),
    ("ILLINOIS", ["LL DDDDD", "L DDDDDD", "DDDDDDD"], ["Land of Lincoln"]),
    ("PENNSYLVANIA", ["LLL-DDDD"], ["visitPA.com", "keystone state"]),
    ("OHIO", ["LLL DDDD", "LL DDDDD"], ["BIRTHPLACE of AVIATION"]),
    ("Virginia", ["LLL-DDDD", "LLL DDDD"], ["Virginia is for Lovers"]),
    ("NORTH CAROLINA", ["LLL-DDDD"], ["FIRST IN FLIGHT", "FIRST IN FREEDOM"]),
    ("NEW JERSEY", ["LDDLLL", "LLL DDL", "LDD-LLL"], ["Garden State"]),
    ("Idaho", ["DL DDDDD", "DL LDDDD", "LL DDDDD"], ["FAMOUS POTATOES", "SCENIC IDAHO"]),
    ("Washington D.C.", ["LL-DDDD", "LL DDDD"], ["TAXATION WITHOUT REPRESENTATION", "Celebrate & Discover"]),
    ("Louisiana", ["LLL DDD", "DDD LLL"], ["SPORTSMAN'S PARADISE", "Pelican State"]),
    ("NEVADA", ["DDL-DDD", "DDL DDD", "LLL DDD"], ["The Silver State", "HOME MEANS NEVADA"]),
    ("OREGON", ["DDD LLL", "LLL DDD"], ["PACIFIC WONDERLAND"]),
    ("HAWAII", ["LLL DDD"], ["ALOHA STATE"]),
    ("MARYLAND", ["DLLDDDD", "DLL DDDD"], ["MY OLD LINE STATE", "Treasure the Chesapeake"]),
    ("NEW HAMPSHIRE", ["DDDDDDD", "DDD DDDD", "LLL DDD"], ["LIVE FREE OR DIE"]),
    ("RHODE ISLAND", ["DDDDDD", "LL-DDD", "DDD-DDD"], ["OCEAN STATE"]),
    ("WISCONSIN", ["LLL-DDDD", "DDD-LLL"], ["AMERICA'S DAIRYLAND"]),
    ("Massachusetts", ["DLLD DD", "DLLDDD", "DDLDDD"], ["The Spirit of America"]),
    ("MAINE", ["DDDD LL", "DDD LLL"], ["VACATIONLAND"]),
    ("MINNESOTA", ["DDD LLL", "LLL DDD"], ["10,000 lakes", "Explore Minnesota"]),
    ("Washington", ["LLLDDDD", "DDDLLLL", "LLL DDDD"], ["Evergreen State"]),
    ("ARKANSAS", ["DDD LLL", "LLL DDL"], ["The Natural State"]),
    ("IOWA", ["LLL DDD", "DDD LLL"], ["Iowa", "COUNTY"]),
    ("MISSISSIPPI", ["LLL DDDD", "LLL DDD"], ["IN GOD WE TRUST", "Magnolia State"]),
    ("VERMONT", ["LLL DDD", "DDDLDDD"], ["GREEN MOUNTAIN STATE"]),
    ("WYOMING", ["D-DDDDD", "DD-DDDD", "D-DDDDL"], [""]),
    ("NORTH DAKOTA", ["LLL DDD", "DDD LLL"], ["PEACE GARDEN STATE", "Legendary"]),
    ("ARIZONA", ["LLL DDDD", "LLL DDD", "DDL LLL"], ["GRAND CANYON STATE"]),
    ("CONNECTICUT", ["LLL DDDD", "DLL DDD", "DDD LLL"], ["Constitution State"]),
    ("DELAWARE", ["DDDDDD", "DDDDDDD", "DDDDD"], ["THE FIRST STATE"]),
    ("MICHIGAN", ["LLL DDDD", "DLLLDD", "DDD LLL"], ["GREAT LAKES STATE", "Pure Michigan"]),
    ("WEST VIRGINIA", ["DLLDDD", "LLL DDD", "DL DDDD"], ["Wild, Wonderful", "MOUNTAIN STATE"]),
    ("ALABAMA", ["DDLDDDL", "DLDDDDL", "DDLLDDD"], ["Stars Fell on Alabama", "Heart of Dixie"]),
    ("COLORADO", ["LLL-DDD", "DDD-LLL", "LLL-LDD"], [""]),
    ("INDIANA", ["DDDL", "DDDLLL", "DDLDDD"], ["IN GOD WE TRUST", "Crossroads of America"]),
    ("KENTUCKY", ["DDDLLL", "LLL DDD"], ["Unbridled Spirit", "KENTUCKY"]),
    ("NEW MEXICO", ["LLL DDD", "DDD LLL", "LLLDDD"], ["Land of Enchantment", "USA"]),
    ("SOUTH DAKOTA", ["DL DDDD", "DDL DDD"], ["Great Faces. Great Places."]),
    ("Alaska", ["LLL DDD"], ["The Last Frontier", "North to the Future"]),
    ("GEORGIA", ["LLL DDDD", "LLLDDDD"], ["IN GOD WE TRUST", "COUNTY"]),
    ("MISSOURI", ["LLD-LDL", "LLD LDL"], ["SHOW-ME STATE"]),
    ("TENNESSEE", ["LLL-DDD", "DDD-LLL", "LDD-DDL"], ["tnvacation.com", "Volunteer State"]),
    ("SOUTH CAROLINA", ["LLL DDD", "DDDD LL"], ["WHILE I BREATHE I HOPE"]),
    ("UTAH", ["LDDD LL", "DDD LLL", "LLL DDD"], ["LIFE ELEVATED", "Greatest Snow on Earth"]),
    ("MONTANA", ["D-DDDDDL", "DDD LLL", "DD-DDDDL"], ["BIG SKY", "TREASURE STATE"]),
    ("KANSAS", ["DDD LLL", "LLL DDD"], [""]),
    ("NEBRASKA", ["DD-LDDD", "LLL DDD", "DDD-LLL"], ["The Good Life"]),
    ("OKLAHOMA", ["LLL-DDD", "LLL DDD"], ["NATIVE AMERICA", "OK.gov"]),
]

# Where the Debian font packages put their files; SYNTH_SHARE names a copy of that layout instead
# (a machine without the packages: scripts/training/pack_fonts.py makes one).
_SHARE = os.environ.get("SYNTH_SHARE", "/usr/share")

FONT_PATTERNS = [
    f"{_SHARE}/fonts/truetype/dejavu/DejaVuSans*Bold.ttf",
    f"{_SHARE}/fonts/truetype/dejavu/DejaVuSansCondensed*.ttf",
    f"{_SHARE}/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    f"{_SHARE}/fonts/truetype/dejavu/DejaVuSerifCondensed-Bold.ttf",
    f"{_SHARE}/fonts/truetype/dejavu/DejaVuSans.ttf",
    f"{_SHARE}/fonts/truetype/liberation*/Liberation*Bold.ttf",
    f"{_SHARE}/fonts/truetype/liberation*/LiberationSansNarrow-Bold.ttf",
]
TEXT_FONT_PATTERNS = [
    f"{_SHARE}/fonts/truetype/dejavu/*.ttf",
    f"{_SHARE}/fonts/truetype/liberation*/*.ttf",
]


def _fonts(patterns: list[str]) -> list[str]:
    out: list[str] = []
    for p in patterns:
        out += [f for f in sorted(glob.glob(p)) if "Oblique" not in f and "Italic" not in f and "Math" not in f]
    return sorted(set(out)) or [f"{_SHARE}/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]


SERIAL_FONTS = _fonts(FONT_PATTERNS)
TEXT_FONTS = _fonts(TEXT_FONT_PATTERNS)

# Generator 3: one entry per family, drawn uniformly, then a file within it. Condensed
# grotesques (the common US plate look), rounded and squared faces (open 4s, narrow Ws),
# and a few wide ones. Faces with slashed or dotted zeros are left out.
_T, _O, _X = f"{_SHARE}/fonts/truetype", f"{_SHARE}/fonts/opentype", f"{_SHARE}/texmf/fonts/opentype/public"
SERIAL_FAMILIES_V3 = [
    [f"{_T}/dejavu/DejaVuSans*Bold.ttf", f"{_T}/dejavu/DejaVuSansCondensed*.ttf", f"{_T}/dejavu/DejaVuSans.ttf"],
    [f"{_T}/dejavu/DejaVuSerifCondensed-Bold.ttf", f"{_T}/dejavu/DejaVuSansMono-Bold.ttf"],
    [f"{_T}/liberation*/LiberationSans*-Bold.ttf", f"{_T}/croscore/Arimo-Bold.ttf", f"{_T}/freefont/FreeSansBold.ttf"],
    [f"{_O}/urw-base35/NimbusSansNarrow-Bold.otf", f"{_O}/urw-base35/NimbusSans-Bold.otf"],
    [f"{_X}/tex-gyre/texgyreheroscn-bold.otf", f"{_X}/tex-gyre/texgyreheroscn-regular.otf"],
    [f"{_T}/roboto/unhinted/RobotoCondensed-Bold.ttf", f"{_T}/roboto/unhinted/RobotoCondensed-Medium.ttf",
     f"{_T}/roboto/unhinted/RobotoCondensed-Regular.ttf"],
    [f"{_T}/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf", f"{_T}/roboto/unhinted/RobotoTTF/Roboto-Medium.ttf",
     f"{_T}/roboto/unhinted/RobotoTTF/Roboto-Black.ttf"],
    [f"{_T}/noto/NotoSans-Bold.ttf", f"{_T}/noto/NotoSans-Regular.ttf"],
    [f"{_O}/bebas-neue/BebasNeue-Bold.otf", f"{_O}/bebas-neue/BebasNeue-Regular.otf"],
    [f"{_O}/dosis/Dosis-Bold.otf", f"{_O}/dosis/Dosis-ExtraBold.otf", f"{_O}/dosis/Dosis-SemiBold.otf",
     f"{_O}/dosis/Dosis-Medium.otf"],
    [f"{_O}/jura/Jura-Bold.otf", f"{_O}/jura/Jura-SemiBold.otf", f"{_O}/jura/Jura-Medium.otf"],
    [f"{_T}/lato/Lato-Bold.ttf", f"{_T}/lato/Lato-Black.ttf", f"{_T}/lato/Lato-Heavy.ttf"],
    [f"{_T}/adf/GilliusADF-BoldCond.otf", f"{_T}/adf/GilliusADFNo2-BoldCond.otf", f"{_T}/adf/GilliusADF-Bold.otf"],
    [f"{_O}/b612/B612-Bold.otf", f"{_O}/b612/B612-Regular.otf"],
]
# Generator 13 adds: the FHWA road-sign series (narrow B and C, wider D, E and E modified: the
# letterforms of many states' plates), DIN, and routed signage lettering.
SERIAL_FAMILIES_V13 = [
    [f"{_T}/roadgeek/RG2014B.ttf", f"{_T}/roadgeek/RG2014C.ttf"],
    [f"{_T}/roadgeek/RG2014D.ttf", f"{_T}/roadgeek/RG2014E.ttf", f"{_T}/roadgeek/RG2014EM.ttf"],
    [f"{_T}/opendin/OSP-DIN.ttf", f"{_T}/routed-gothic/routed-gothic-narrow.ttf", f"{_T}/routed-gothic/routed-gothic.ttf"],
]
# a family none of whose files is installed is skipped (_fonts would fall back to DejaVu Sans Bold)
SERIAL_FONTS_V3 = [_fonts(g) for g in SERIAL_FAMILIES_V3 if any(glob.glob(x) for x in g)]
SERIAL_FONTS_V13 = SERIAL_FONTS_V3 + [_fonts(g) for g in SERIAL_FAMILIES_V13 if any(glob.glob(x) for x in g)]
TEXT_FONTS_V3 = sorted(set(TEXT_FONTS + [f for fam in SERIAL_FONTS_V3 for f in fam]))


def serial_font(rng: random.Random) -> str:
    if GEN >= 13:
        return rng.choice(rng.choice(SERIAL_FONTS_V13))
    if GEN >= 3:
        return rng.choice(rng.choice(SERIAL_FONTS_V3))
    return rng.choice(SERIAL_FONTS)


def text_font(rng: random.Random) -> str:
    return rng.choice(TEXT_FONTS_V3 if GEN >= 3 else TEXT_FONTS)
_font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(path, size)
    return _font_cache[key]


def serial_from_pattern(rng: random.Random, pat: str) -> tuple[str, str]:
    """Returns (display text with gaps/dashes, label A-Z0-9)."""
    letters = LETTERS if rng.random() < 0.93 else ALL_LETTERS
    digits = DIGITS
    if GEN == 6 and rng.random() < 0.35:
        letters, digits = CONFUSABLE_LETTERS, CONFUSABLE_DIGITS
    disp = []
    for ch in pat:
        if ch == "L":
            disp.append(rng.choice(letters))
        elif ch == "D":
            disp.append(rng.choice(digits))
        else:
            disp.append(ch)
    text = "".join(disp)
    return text, "".join(c for c in text if c.isalnum())


def random_serial(rng: random.Random) -> tuple[str, str, str, list[str]]:
    if rng.random() < 0.08:  # vanity / special plates: 2-8 random characters
        n = rng.choice([2, 3, 4, 5, 5, 6, 7, 7, 8])
        pool = ALL_LETTERS + DIGITS
        text = "".join(rng.choice(pool) for _ in range(n))
        st = rng.choice(STATES)
        return text, text, st[0], st[2]
    st = rng.choice(STATES)
    text, label = serial_from_pattern(rng, rng.choice(st[1]))
    return text, label, st[0], st[2]


def _color(rng: random.Random, dark: bool) -> tuple[int, int, int]:
    if dark:
        base = rng.choice([(10, 10, 10), (20, 30, 90), (110, 20, 20), (10, 70, 30), (40, 40, 60), (60, 20, 80)])
        return tuple(int(np.clip(c + rng.randint(-15, 15), 0, 255)) for c in base)
    base = rng.choice([(245, 245, 245), (235, 235, 225), (250, 245, 215), (225, 235, 245), (240, 240, 200),
                       (250, 250, 250), (215, 225, 215), (245, 220, 180)])
    return tuple(int(np.clip(c + rng.randint(-20, 10), 0, 255)) for c in base)


def _background(rng: random.Random, w: int, h: int) -> Image.Image:
    c1 = np.array(_color(rng, False), np.float32)
    c2 = np.array(_color(rng, False), np.float32) if rng.random() < 0.5 else c1
    t = np.linspace(0, 1, h if rng.random() < 0.6 else w, dtype=np.float32)
    grad = c1[None, :] * (1 - t[:, None]) + c2[None, :] * t[:, None]
    if len(t) == h:
        arr = np.repeat(grad[:, None, :], w, axis=1)
    else:
        arr = np.repeat(grad[None, :, :], h, axis=0)
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    if rng.random() < 0.5:  # background scenery: hills, sun, waves, stripes
        for _ in range(rng.randint(1, 4)):
            col = tuple(int(v) for v in np.clip(np.array(_color(rng, rng.random() < 0.3)) * 0.5 + c1 * 0.5, 0, 255))
            kind = rng.random()
            if kind < 0.4:
                y0 = rng.randint(h // 3, h)
                pts = [(0, h)] + [(x, y0 + rng.randint(-h // 6, h // 6)) for x in range(0, w + 40, 40)] + [(w, h)]
                d.polygon(pts, fill=col)
            elif kind < 0.7:
                r = rng.randint(h // 6, h // 2)
                cx, cy = rng.randint(0, w), rng.randint(0, h)
                d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=col)
            else:
                y = rng.randint(0, h)
                d.rectangle([0, y, w, y + rng.randint(3, h // 5)], fill=col)
    return img


def _fit_text(draw: ImageDraw.ImageDraw, text: str, fpath: str, max_w: int, max_h: int, stroke: int = 0):
    size = max(6, max_h)
    while size > 6:
        f = font(fpath, size)
        b = draw.textbbox((0, 0), text, font=f, stroke_width=stroke)
        if b[2] - b[0] <= max_w and b[3] - b[1] <= max_h:
            return f, b
        size = int(size * 0.9)
    f = font(fpath, 6)
    return f, draw.textbbox((0, 0), text, font=f, stroke_width=stroke)


def render_plate(rng: random.Random, stack_ok: bool = True) -> tuple[Image.Image, str, tuple[float, float, float, float]]:
    """The plate image (600x300), its label and the serial's box (x0, y0, x1, y1) in plate pixels;
    `stack_ok` False: no stacked pair beside the serial (generators 7 and later)."""
    W, H = 600, 300
    disp, label, state, slogans = random_serial(rng)
    img = _background(rng, W, H)
    d = ImageDraw.Draw(img)
    fg = _color(rng, True)
    # state name at the top
    top_h = rng.randint(35, 70)
    if rng.random() < 0.92:
        name = state if rng.random() < 0.7 else state.upper()
        f, b = _fit_text(d, name, text_font(rng), int(W * rng.uniform(0.4, 0.9)), top_h - 8)
        col = _color(rng, True) if rng.random() < 0.7 else fg
        x = (W - (b[2] - b[0])) // 2 + rng.randint(-30, 30) - b[0]
        d.text((x, 10 + rng.randint(0, 8) - b[1]), name, font=f, fill=col)
    # slogan at the bottom
    bot_h = rng.randint(25, 50)
    slogan = rng.choice(slogans)
    if slogan and rng.random() < 0.85:
        f, b = _fit_text(d, slogan, text_font(rng), int(W * rng.uniform(0.4, 0.85)), bot_h - 6)
        x = (W - (b[2] - b[0])) // 2 + rng.randint(-20, 20) - b[0]
        d.text((x, H - bot_h + rng.randint(0, 6) - b[1]), slogan, font=f, fill=_color(rng, True))
    # serial, rendered on its own layer so it can be condensed horizontally
    fpath = serial_font(rng)
    stroke = rng.choice([0, 0, 0, 1, 2, 3])
    size = 160
    f = font(fpath, size)
    if rng.random() < 0.15 and " " in disp:
        disp = disp.replace(" ", rng.choice(["  ", "-", " · "]))
    # generator 11: on 30% of plates a graphic splits the serial (a state outline, a fruit, a star),
    # in its gap or between two characters: not part of the label
    sep_at = None
    if GEN == 11 and rng.random() < 0.3 and len(disp) >= 4:
        gi = next((i for i, ch in enumerate(disp) if ch in GAPS), None)
        if gi is None:
            gi = rng.randint(2, len(disp) - 2)
        left = disp[:gi].rstrip(GAPS)
        disp = left + "   " + disp[gi:].lstrip(GAPS)
        sep_at = len(left)
    if GEN >= 3 and rng.random() < 0.35 and sep_at is None:
        layer = _spaced_text(rng, disp, f, stroke)
    else:
        tb = d.textbbox((0, 0), disp, font=f, stroke_width=stroke)
        layer = Image.new("L", (tb[2] - tb[0] + 20, tb[3] - tb[1] + 20), 0)
        ImageDraw.Draw(layer).text((10 - tb[0], 10 - tb[1]), disp, font=f, fill=255, stroke_width=stroke, stroke_fill=255)
        if sep_at is not None:  # the gap's centre and width in layer pixels
            gap_w = d.textlength("   ", font=f)
            sep_at = (10 - tb[0] + d.textlength(disp[:sep_at], font=f) + gap_w / 2, gap_w, layer.width)
    avail_h = H - top_h - bot_h - rng.randint(0, 20)
    char_h = int(avail_h * rng.uniform(0.75, 1.0))
    sx = rng.uniform(0.55, 1.05)  # condensed plate typefaces
    new_w = int(layer.width * char_h / layer.height * sx)
    emblem = (rng.choice(["L", "R"]) if rng.random() < 0.35 else None) if GEN >= 2 else None
    stack = rng.choice(["L", "R"]) if GEN >= 7 and stack_ok and rng.random() < 0.3 else None
    max_w = int(W * (rng.uniform(0.55, 0.72) if emblem else rng.uniform(0.8, 0.95)))
    if stack:
        max_w = int(max_w * 0.85)
    if new_w > max_w:
        char_h = int(char_h * max_w / new_w)
        new_w = max_w
    layer = layer.resize((max(8, new_w), max(8, char_h)), Image.BILINEAR)
    x0 = (W - layer.width) // 2 + rng.randint(-15, 15)
    if emblem:  # leave room for a graphic beside the serial
        x0 = W - layer.width - rng.randint(15, 40) if emblem == "L" else rng.randint(15, 40)
    if stack:  # and for the stacked pair on its side
        shift = int(layer.height * (0.5 if GEN == 9 else 0.35))
        x0 = min(W - layer.width - 5, x0 + shift) if stack == "L" else max(5, x0 - shift)
    y0 = top_h + (avail_h - layer.height) // 2 + rng.randint(-6, 6)
    if rng.random() < 0.2:  # embossed shadow
        shadow = Image.new("RGB", layer.size, tuple(max(0, c - 60) for c in _color(rng, False)))
        img.paste(shadow, (x0 + 3, y0 + 3), layer)
    img.paste(Image.new("RGB", layer.size, fg), (x0, y0), layer)
    if stack:
        _draw_stack(rng, img, fpath, fg, (x0, y0, x0 + layer.width, y0 + layer.height), stack)
    if sep_at is not None:  # the band below the layer's 10-px top margin (of ~180 px before resizing)
        k = layer.width / sep_at[2]
        _draw_separator(rng, img, x0 + sep_at[0] * k, sep_at[1] * k, (y0 + 10 * layer.height / 180, y0 + layer.height))
    # small stickers / county text near the corners
    for _ in range(rng.randint(0, 3)):
        sw, sh = rng.randint(30, 70), rng.randint(20, 40)
        sx0 = rng.choice([rng.randint(5, 60), rng.randint(W - 130, W - sw - 5)])
        sy0 = rng.choice([rng.randint(5, 40), rng.randint(H - 80, H - sh - 5)])
        col = tuple(rng.randint(0, 255) for _ in range(3))
        d.rectangle([sx0, sy0, sx0 + sw, sy0 + sh], fill=col)
        if rng.random() < 0.5:
            d.text((sx0 + 3, sy0 + 2), str(rng.randint(10, 99)), font=font(TEXT_FONTS[0], sh - 6), fill=(0, 0, 0))
    # bolts
    if rng.random() < 0.7:
        for bx in (W * 0.2, W * 0.8):
            for by in (H * 0.12, H * 0.88) if rng.random() < 0.5 else (H * 0.12,):
                r = rng.randint(6, 12)
                c = rng.randint(90, 200)
                d.ellipse([bx - r, by - r, bx + r, by + r], fill=(c, c, c))
    # frame / border
    if rng.random() < 0.6:
        bw = rng.randint(3, 22)
        col = _color(rng, True) if rng.random() < 0.7 else (rng.randint(120, 230),) * 3
        d.rectangle([0, 0, W - 1, H - 1], outline=col, width=bw)
        if rng.random() < 0.3:  # dealer frame with text at the bottom
            d.rectangle([0, H - rng.randint(20, 40), W, H], fill=col)
    if emblem:
        _draw_emblem(rng, img, (8, x0 - 8) if emblem == "L" else (x0 + layer.width + 8, W - 8), (y0, y0 + layer.height))
    # small text beside the serial (month/year stickers, "DISABLED", county), a source of extra characters
    if rng.random() < 0.3:
        side = rng.choice(["L", "R"])
        tag = rng.choice(["FEB", "2014", "APR", "13", "JUN", "DEC", "07", "SEP"])
        ft = font(text_font(rng), rng.randint(16, 30))
        tw = d.textbbox((0, 0), tag, font=ft)[2]
        lo, hi = (4, x0 - tw - 2) if side == "L" else (x0 + layer.width + 2, W - tw - 4)
        if hi > lo:
            d.text((rng.randint(lo, hi), rng.randint(top_h, H - bot_h - 30)), tag, font=ft, fill=_color(rng, True))
    # the benchmark's convention: round O glyphs are labelled as the digit 0
    ink = layer.getbbox() or (0, 0, layer.width, layer.height)
    serial_box = (x0 + ink[0], y0 + ink[1], x0 + ink[2], y0 + ink[3])
    return img, label.replace("O", "0"), serial_box


def _draw_stack(rng: random.Random, img: Image.Image, fpath: str, fg, serial: tuple[int, int, int, int], side: str) -> None:
    """Two small characters one above the other beside the serial (WY, MA, MS and other states mark
    plate types so); records and the benchmark leave them out of the registration."""
    x0, y0, x1, y1 = serial
    h = y1 - y0
    ch = int(h * (rng.uniform(0.36, 0.44) if GEN == 9 else rng.uniform(0.36, 0.48)))
    if ch < 6:
        return
    pair = "".join(rng.choice(ALL_LETTERS if rng.random() < 0.85 else DIGITS) for _ in range(2))
    f = font(fpath if rng.random() < 0.7 else text_font(rng), max(8, int(ch * 1.25)))
    d = ImageDraw.Draw(img)
    col = fg if rng.random() < 0.7 else _color(rng, True)
    gap = int(h * (rng.uniform(0.2, 0.4) if GEN == 9 else rng.uniform(0.04, 0.2)))
    widths = [d.textbbox((0, 0), c, font=f)[2] - d.textbbox((0, 0), c, font=f)[0] for c in pair]
    cw = max(widths)
    x = x1 + gap if side == "R" else x0 - gap - cw
    if x < 0 or x + cw > img.width:
        return
    top = y0 + int(h * rng.uniform(-0.03, 0.05))
    for i, c in enumerate(pair):
        b = d.textbbox((0, 0), c, font=f)
        cy = top + i * int(h * rng.uniform(0.5, 0.56))
        d.text((x + (cw - (b[2] - b[0])) // 2 - b[0], cy - b[1]), c, font=f, fill=col)


def _spaced_text(rng: random.Random, disp: str, f: ImageFont.FreeTypeFont, stroke: int) -> Image.Image:
    """The serial drawn glyph by glyph with its own tracking (plates space characters widely)."""
    gap = f.size * rng.uniform(-0.03, 0.25)
    asc, desc = f.getmetrics()
    widths = [f.getlength(c) for c in disp]
    w = int(sum(widths) + gap * max(0, len(disp) - 1) + 2 * stroke + 40)
    layer = Image.new("L", (max(8, w), asc + desc + 2 * stroke + 20), 0)
    dl = ImageDraw.Draw(layer)
    x = 10.0 + stroke
    for c, cw in zip(disp, widths):
        dl.text((x, 10 + stroke), c, font=f, fill=255, stroke_width=stroke, stroke_fill=255)
        x += cw + gap
    return _pad(layer)


def _pad(layer: Image.Image) -> Image.Image:
    bb = layer.getbbox() or (0, 0, layer.width, layer.height)
    out = Image.new("L", (bb[2] - bb[0] + 20, bb[3] - bb[1] + 20), 0)
    out.paste(layer.crop(bb), (10, 10))
    return out


def _blob(rng: random.Random, cx: float, cy: float, rx: float, ry: float, n: int, rmin: float) -> list:
    """A random n-gon around (cx, cy): each corner at a jittered angle, rmin-1 of the radii out."""
    pts = []
    for i in range(n):
        a = 2 * np.pi * i / n + rng.uniform(-0.3, 0.3)
        r = rng.uniform(rmin, 1.0)
        pts.append((cx + rx * r * np.cos(a), cy + ry * r * np.sin(a)))
    return pts


def _draw_separator(rng: random.Random, img: Image.Image, cx: float, gap_w: float, yr: tuple[float, float]) -> None:
    """Generator 11: a graphic in the serial's gap, as several states print one (an outline of the
    state, a fruit, a star), in a colour of its own."""
    d = ImageDraw.Draw(img)
    ch = yr[1] - yr[0]
    h = ch * rng.uniform(0.45, 0.95)
    w = min(gap_w * rng.uniform(0.6, 0.95), h * rng.uniform(0.7, 1.3))
    cy = (yr[0] + yr[1]) / 2 + rng.uniform(-0.1, 0.1) * ch
    rx, ry = w / 2, h / 2
    col = _color(rng, True) if rng.random() < 0.4 else tuple(rng.randint(0, 255) for _ in range(3))
    kind = rng.random()
    if kind < 0.5:  # an outline of a state
        d.polygon(_blob(rng, cx, cy, rx, ry, rng.randint(5, 12), 0.55), fill=col)
    elif kind < 0.8:  # a fruit, with a leaf
        r = min(rx, ry)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=col)
        if rng.random() < 0.6:
            d.ellipse([cx, cy - r * 1.3, cx + r * 0.7, cy - r * 0.8], fill=(40, rng.randint(110, 170), 50))
    else:  # a star
        pts = []
        for i in range(10):
            a = -np.pi / 2 + np.pi * i / 5
            r = 1.0 if i % 2 == 0 else 0.45
            pts.append((cx + rx * r * np.cos(a), cy + ry * r * np.sin(a)))
        d.polygon(pts, fill=col)


def _draw_emblem(rng: random.Random, img: Image.Image, xr: tuple[int, int], yr: tuple[int, int]) -> None:
    """State outlines, logos, flags or vertical words beside the serial: not part of the label."""
    x0, x1 = xr
    y0, y1 = yr
    if x1 - x0 < 20:
        return
    d = ImageDraw.Draw(img)
    kind = rng.random()
    col = _color(rng, True) if rng.random() < 0.6 else tuple(rng.randint(0, 255) for _ in range(3))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = (x1 - x0) / 2 * rng.uniform(0.5, 1.0), (y1 - y0) / 2 * rng.uniform(0.5, 1.0)
    if kind < 0.45:  # blob / state outline
        d.polygon(_blob(rng, cx, cy, rx, ry, rng.randint(5, 11), 0.5), fill=col)
        if rng.random() < 0.4:
            d.ellipse([cx - rx / 3, cy - ry / 3, cx + rx / 3, cy + ry / 3], fill=_color(rng, False))
    elif kind < 0.7:  # vertical word (county, "TRUCK", month)
        word = rng.choice(["COUNTY", "TRUCK", "PASS", "APR", "LIONS", "MARION", "DISABLED", "TRAILER", "2015"])
        ft = font(text_font(rng), max(10, int(min(x1 - x0, 60) * rng.uniform(0.4, 0.8))))
        b = d.textbbox((0, 0), word, font=ft)
        lay = Image.new("L", (b[2] - b[0] + 4, b[3] - b[1] + 4), 0)
        ImageDraw.Draw(lay).text((2 - b[0], 2 - b[1]), word, font=ft, fill=255)
        lay = lay.rotate(90, expand=True)
        if lay.height > y1 - y0:
            lay = lay.resize((max(4, int(lay.width * (y1 - y0) / lay.height)), y1 - y0))
        px = int(cx - lay.width / 2)
        img.paste(Image.new("RGB", lay.size, col), (px, int(cy - lay.height / 2)), lay)
    else:  # flag / stripes / circle logo
        if rng.random() < 0.5:
            for i in range(rng.randint(2, 5)):
                yy = cy - ry + i * 2 * ry / 5
                d.rectangle([cx - rx, yy, cx + rx, yy + ry / 5], fill=tuple(rng.randint(0, 255) for _ in range(3)))
        else:
            d.ellipse([cx - rx, cy - rx, cx + rx, cy + rx], outline=col, width=max(2, int(rx / 5)))
            d.line([cx - rx / 2, cy, cx + rx / 2, cy], fill=col, width=max(2, int(rx / 6)))


def _perspective_coeffs(src, dst):
    a = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    A = np.array(a, np.float64)
    B = np.array(src, np.float64).reshape(8)
    return np.linalg.solve(A, B).tolist()


def make_sample(rng: random.Random) -> tuple[Image.Image, str]:
    """A plate crop as a detector / the benchmark would cut it (RGB PIL image) and its label."""
    # generator 8 picks a text-line crop first: its plate gets no stacked pair
    textline = GEN in (8, 9) and rng.random() < 0.3
    # generator 10 picks the plate's final width first: a pair on a plate under 110 px is a blob
    # of a few pixels that cannot be told from a narrow serial glyph, so those plates get none
    pre_w = _target_width(rng) if GEN in (10, 11) else None
    stack_ok = not textline and (pre_w is None or pre_w >= 110)
    plate, label, sbox = render_plate(rng, stack_ok=stack_ok)
    W, H = plate.size
    # place the plate on a car-body background with margins, then warp
    m = 0.35
    cw, ch = int(W * (1 + 2 * m)), int(H * (1 + 2 * m))
    bgc = tuple(rng.randint(0, 255) for _ in range(3))
    canvas = Image.new("RGB", (cw, ch), bgc)
    noise = np.asarray(canvas, np.float32) + np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, 12, (ch, cw, 3))
    canvas = Image.fromarray(noise.clip(0, 255).astype(np.uint8))
    ox, oy = int(W * m), int(H * m)
    canvas.paste(plate, (ox, oy))
    corners = [(ox, oy), (ox + W, oy), (ox + W, oy + H), (ox, oy + H)]
    j = 0.08
    dst = [(x + rng.uniform(-j, j) * W, y + rng.uniform(-j, j) * H) for x, y in corners]
    # rotation
    ang = np.deg2rad(rng.gauss(0, 4))
    cx, cy = cw / 2, ch / 2
    dst = [(cx + (x - cx) * np.cos(ang) - (y - cy) * np.sin(ang), cy + (x - cx) * np.sin(ang) + (y - cy) * np.cos(ang))
           for x, y in dst]
    coeffs = _perspective_coeffs(corners, dst)
    warped = canvas.transform((cw, ch), Image.PERSPECTIVE, coeffs, Image.BILINEAR)
    xs = [p[0] for p in dst]
    ys = [p[1] for p in dst]
    bw, bh = max(xs) - min(xs), max(ys) - min(ys)
    # crop padding: benchmark-style tight crops mostly, some detector-style loose/tight boxes
    if rng.random() < 0.6:
        pl, pr, pt, pb = (rng.uniform(-0.01, 0.06) for _ in range(4))
        if GEN >= 2 and rng.random() < 0.35:  # a middle band: cuts through the state name and slogan
            pt, pb = rng.uniform(-0.25, -0.05), rng.uniform(-0.25, -0.05)
    else:
        pl, pr, pt, pb = (rng.uniform(-0.02, 0.2) for _ in range(4))
    box = (min(xs) - pl * bw, min(ys) - pt * bh, max(xs) + pr * bw, max(ys) + pb * bh)
    if textline if GEN in (8, 9) else rng.random() < 0.3:
        # a text-line box as a text detector gives it: the serial only, padded by a share of its height
        fwd = _perspective_coeffs(dst, corners)  # canvas -> warped

        def warp_pt(x: float, y: float) -> tuple[float, float]:
            a, b, c, d_, e, f, g, h = fwd
            z = g * x + h * y + 1
            return (a * x + b * y + c) / z, (d_ * x + e * y + f) / z

        pts = [warp_pt(ox + x, oy + y) for x, y in ((sbox[0], sbox[1]), (sbox[2], sbox[1]), (sbox[2], sbox[3]),
                                                    (sbox[0], sbox[3]))]
        px = [p[0] for p in pts]
        py = [p[1] for p in pts]
        th = max(py) - min(py)
        if GEN == 12:  # as a plate detector's box: often touching the serial's ends or a little into them
            padx = [rng.uniform(-0.12, 0.05) * th if rng.random() < 0.5 else rng.uniform(0.05, 0.4) * th
                    for _ in range(2)]
        else:
            padx = [rng.uniform(0.05, 0.4) * th for _ in range(2)]
        pady = [rng.uniform(-0.05, 0.25) * th for _ in range(2)]
        box = (min(px) - padx[0], min(py) - pady[0], max(px) + padx[1], max(py) + pady[1])
    if GEN == 5 and rng.random() < 0.5:
        return _distant_sample(rng, warped, box), label
    crop = warped.crop(tuple(int(round(v)) for v in box))
    # low resolution
    if pre_w is not None:
        target_w = pre_w
    elif GEN >= 4:
        target_w = _target_width(rng)
    else:
        target_w = int(rng.choice([rng.uniform(50, 120), rng.uniform(100, 330)]))
    target_h = max(12, int(crop.height * target_w / crop.width))
    crop = crop.resize((target_w, target_h), rng.choice([Image.BILINEAR, Image.BICUBIC, Image.LANCZOS, Image.NEAREST]))
    if rng.random() < 0.5:
        crop = crop.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.3)))
    if GEN >= 3 and rng.random() < 0.2:  # horizontal motion blur of a passing car
        k = rng.randint(2, 4)
        a = np.asarray(crop, np.float32)
        if GEN >= 6:  # shifted copies with the edge column repeated (np.roll wraps the far edge in)
            p = np.pad(a, ((0, 0), (k - 1, 0), (0, 0)), mode="edge")
            blurred = sum(p[:, k - 1 - i : k - 1 - i + a.shape[1]] for i in range(k)) / k
        else:
            blurred = sum(np.roll(a, i, axis=1) for i in range(k)) / k
        crop = Image.fromarray(blurred.clip(0, 255).astype(np.uint8))
    arr = np.asarray(crop, np.float32)
    # lighting, contrast, colour cast, noise
    arr = arr * rng.uniform(0.5, 1.3) + rng.uniform(-40, 40)
    if rng.random() < 0.3:
        arr = arr * np.array([rng.uniform(0.8, 1.2) for _ in range(3)], np.float32)
    if rng.random() < 0.3:  # shadow across the plate
        gx = np.linspace(rng.uniform(0.4, 1.0), rng.uniform(0.4, 1.0), arr.shape[1], dtype=np.float32)
        arr = arr * gx[None, :, None]
    arr = arr + np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, rng.uniform(0, 12), arr.shape)
    crop = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if rng.random() < 0.15:
        crop = crop.convert("L").convert("RGB")
    if rng.random() < 0.6:
        buf = io.BytesIO()
        crop.save(buf, format="JPEG", quality=rng.randint(15, 90))
        crop = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return crop, label


def _target_width(rng: random.Random) -> int:
    """Generators 4 and later: plates at a distance, as half the frame plates a car camera sees are
    under 90 px wide."""
    r = rng.random()
    return int(rng.uniform(40, 90) if r < 0.4 else rng.uniform(90, 160) if r < 0.7 else rng.uniform(150, 330))


def _distant_sample(rng: random.Random, warped: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """
    Generator 5: a distant plate as a car camera makes it. The whole scene around the plate is
    brought down to the plate's size on the frame first (40-120 px wide), blurred by the optics or
    the motion there, given sensor noise, and JPEG-compressed as a video frame is (4:2:0 chroma,
    the 8x8 block grid wherever the frame puts it); only then is the box cut out, at sub-pixel
    coordinates, and resampled as the runtime does. Generator 4 cuts first and compresses the cut.
    """
    target_w = rng.uniform(40, 120)
    k = target_w / max(1.0, box[2] - box[0])
    sw, sh = max(8, int(round(warped.width * k))), max(8, int(round(warped.height * k)))
    # a frame's pixels: the block grid starts somewhere in the margin, not at the box's corner
    ox, oy = rng.randint(0, 7), rng.randint(0, 7)
    scene = Image.new("RGB", (sw + ox, sh + oy), tuple(rng.randint(0, 255) for _ in range(3)))
    scene.paste(warped.resize((sw, sh), rng.choice([Image.BILINEAR, Image.BICUBIC, Image.LANCZOS])), (ox, oy))
    if rng.random() < 0.6:
        scene = scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    arr = np.asarray(scene, np.float32)
    if rng.random() < 0.3:  # a passing car: horizontal motion blur of 1.5-3 px at this scale
        n = rng.randint(2, 3)
        arr = sum(np.pad(arr, ((0, 0), (i, n - 1 - i), (0, 0)), mode="edge")[:, : arr.shape[1]] for i in range(n)) / n
    arr = arr * rng.uniform(0.5, 1.3) + rng.uniform(-40, 40)
    if rng.random() < 0.3:
        arr = arr * np.array([rng.uniform(0.8, 1.2) for _ in range(3)], np.float32)
    arr = arr + np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, rng.uniform(1, 8), arr.shape)
    scene = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if rng.random() < 0.1:
        scene = scene.convert("L").convert("RGB")
    buf = io.BytesIO()
    scene.save(buf, format="JPEG", quality=rng.randint(30, 90), subsampling=2)
    scene = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    # the box on the small frame, cut at sub-pixel coordinates and resampled to a fixed scale of
    # the crop (the reader's own resize then brings it to 48 px high)
    x0, y0, x1, y1 = (ox + box[0] * k, oy + box[1] * k, ox + box[2] * k, oy + box[3] * k)
    out_h = 48
    out_w = max(8, int(round(out_h * (x1 - x0) / max(1e-3, y1 - y0))))
    return scene.transform((out_w, out_h), Image.EXTENT, (x0, y0, x1, y1), Image.BILINEAR)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gen", type=int, default=GEN)
    ap.add_argument("--fonts", action="store_true", help="print the serial typefaces in use and exit")
    args = ap.parse_args()
    globals()["GEN"] = args.gen
    if args.fonts:
        for fam in SERIAL_FONTS_V13 if args.gen >= 13 else SERIAL_FONTS_V3 if args.gen >= 3 else [SERIAL_FONTS]:
            print(" ".join(os.path.basename(f) for f in fam))
        return
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    for i in range(args.n):
        img, label = make_sample(rng)
        img.save(os.path.join(args.out, f"{i:04d}_{label}.png"))


if __name__ == "__main__":
    main()
