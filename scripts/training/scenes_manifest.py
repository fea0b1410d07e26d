"""Rendered street scenes as an evaluation set: JPEG frames and a manifest in the format of
`alpr eval` (image, width, height, plates with text and box), from synth_scenes.scene with its
distractors (badges, stickers, numbers, signs) and plate-like sign panels. Nothing comes from the
evaluation images: the set measures how a rule of the runtime behaves on plates and text it was
not chosen on.

    /usr/bin/python3 scripts/training/scenes_manifest.py --out .tmp/scenes --n 300 --seed 101
    npm run eval -- --config config/default.yaml --manifest .tmp/scenes/manifest.jsonl \\
      --root .tmp/scenes --out /tmp/scenes-pred.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import synth_scenes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, help="folder for img/*.jpg and manifest.jsonl")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=101)
    args = ap.parse_args()
    synth_scenes.DISTRACTORS = True
    synth_scenes.PANELS = True
    rng = random.Random(args.seed)
    nrg = np.random.default_rng(args.seed)
    os.makedirs(os.path.join(args.out, "img"), exist_ok=True)
    kept = 0
    with open(os.path.join(args.out, "manifest.jsonl"), "w") as man:
        for i in range(args.n):
            plates: list = []
            frame = synth_scenes.scene(rng, nrg, plates)
            if not plates:
                continue  # a frame without a car has no plate to score
            name = f"img/{i}.jpg"
            Image.fromarray(frame).save(os.path.join(args.out, name), quality=92)
            labelled = [
                {"text": p["label"], "box": [p["plate"][0], p["plate"][1],
                                             p["plate"][2] - p["plate"][0], p["plate"][3] - p["plate"][1]]}
                for p in plates
            ]
            man.write(json.dumps({"image": name, "region": "us", "width": synth_scenes.W,
                                  "height": synth_scenes.H, "plates": labelled}) + "\n")
            kept += 1
    print(f"{kept} frames with plates -> {args.out}/manifest.jsonl")


if __name__ == "__main__":
    main()
