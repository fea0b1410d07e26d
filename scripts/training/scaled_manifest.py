"""A manifest's frames rescaled (images and plate boxes) as an evaluation set: how the runtime's
pipeline holds when the same plates come from a camera with fewer or more pixels, or from farther
or nearer; --quality and --gamma also make them blockier or darker (dusk). Writes img/*.jpg and
manifest.jsonl in the format of `alpr eval`; nothing is kept from the source but the changed
copies, under --out.

    /usr/bin/python3 scripts/training/scaled_manifest.py --manifest ../shared/data/plates-dev/endtoend-us.jsonl \\
      --scale 0.75 --out .tmp/scaled75
    npm run eval -- --config config/default.yaml --manifest .tmp/scaled75/manifest.jsonl --root .tmp/scaled75
"""

from __future__ import annotations

import argparse
import json
import os

from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--root", help="the images' folder (default: the manifest's)")
    ap.add_argument("--scale", type=float, default=1.0, help="e.g. 0.5, 0.75, 1.5")
    ap.add_argument("--quality", type=int, default=92, help="JPEG quality of the copies")
    ap.add_argument("--gamma", type=float, default=1.0, help="> 1 darkens the mid-tones (2: dusk)")
    ap.add_argument("--out", required=True, help="folder for img/*.jpg and manifest.jsonl")
    args = ap.parse_args()
    root = args.root or os.path.dirname(os.path.abspath(args.manifest))
    os.makedirs(os.path.join(args.out, "img"), exist_ok=True)
    s = args.scale
    # downscaled with Lanczos (as a camera's optics and sensor average), upscaled with bicubic
    resample = Image.LANCZOS if s < 1 else Image.BICUBIC
    with open(args.manifest) as src, open(os.path.join(args.out, "manifest.jsonl"), "w") as out:
        for line in src:
            if not line.strip():
                continue
            d = json.loads(line)
            im = Image.open(os.path.join(root, d["image"])).convert("RGB")
            w, h = round(im.width * s), round(im.height * s)
            name = "img/" + d["image"].replace("/", "_")
            if s != 1:
                im = im.resize((w, h), resample)
            if args.gamma != 1:
                im = im.point([round(255 * (v / 255) ** args.gamma) for v in range(256)] * 3)
            im.save(os.path.join(args.out, name), quality=args.quality)
            d["image"] = name
            if "width" in d:
                d["width"], d["height"] = w, h
            d["plates"] = [dict(p, box=[round(v * s) for v in p["box"]]) for p in d["plates"]]
            out.write(json.dumps(d) + "\n")


if __name__ == "__main__":
    main()
