"""Copies every typeface the plate renderer uses into DEST, in /usr/share's layout, so that
synth_plates.py renders the same plates on a machine without the Debian font packages
(`SYNTH_SHARE=DEST`). The fonts only draw training images; DEST is not part of the project.

    /usr/bin/python3 scripts/training/pack_fonts.py .tmp/share
"""

from __future__ import annotations

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import synth_plates  # noqa: E402


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: pack_fonts.py DEST")
    dest = sys.argv[1]
    share = synth_plates._SHARE
    files = set(synth_plates.SERIAL_FONTS) | set(synth_plates.TEXT_FONTS) | set(synth_plates.TEXT_FONTS_V3)
    files |= {f for fam in synth_plates.SERIAL_FONTS_V13 for f in fam}
    size = 0
    for f in sorted(files):
        rel = os.path.relpath(f, share)
        if rel.startswith(".."):
            sys.exit(f"{f} is not under {share}")
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy2(f, out)
        size += os.path.getsize(out)
    print(f"{len(files)} font files, {size / 1e6:.1f} MB, in {dest}")


if __name__ == "__main__":
    main()
