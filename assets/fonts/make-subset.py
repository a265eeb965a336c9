#!/usr/bin/python3
"""Regenerate the chart fonts in this folder: subsets of DejaVu Sans and DejaVu Sans Bold.

    apt-get install fonts-dejavu-core fonttools
    /usr/bin/python3 assets/fonts/make-subset.py

Why: resvg (through fontdb) reads a font file again for every run of glyphs it shapes and
outlines; with the system's DejaVuSans.ttf (760 KB) a chart of a few hundred labels read about
2 GB (strace). A 60 KB subset with the same outlines and the same layout tables renders the
same pixels for the characters it holds (src/report/render.ts). The family is renamed so that
the full system font stays a separate family, the fallback for any other character.
"""
import pathlib

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = pathlib.Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "mallocbench DejaVu Sans"

# Basic Latin, Latin-1 and Latin Extended-A, Greek, general punctuation, super- and subscripts,
# arrows and the mathematical signs the report's labels use (minus, ≤, ≥, ≈, √, ...).
UNICODES = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x180))
    + list(range(0x391, 0x3AA))
    + list(range(0x3B1, 0x3CA))
    + list(range(0x2010, 0x2028))
    + list(range(0x2030, 0x203B))
    + list(range(0x2070, 0x20A0))
    + list(range(0x2190, 0x219A))
    + [0x2212, 0x2215, 0x221A, 0x221E, 0x2248, 0x2260, 0x2264, 0x2265, 0x22C5, 0xFFFD]
)

for source, target, style in [
    ("DejaVuSans.ttf", "mallocbench-sans.ttf", "Book"),
    ("DejaVuSans-Bold.ttf", "mallocbench-sans-bold.ttf", "Bold"),
]:
    options = subset.Options()
    options.layout_features = ["*"]  # every GSUB/GPOS feature: the same shaping and kerning
    options.name_IDs = ["*"]
    options.name_legacy = True
    options.name_languages = ["*"]
    options.hinting = False  # resvg does not hint
    options.notdef_outline = True
    font = TTFont(SOURCE / source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    names = font["name"]
    full = f"{FAMILY} {style}" if style != "Book" else FAMILY
    postscript = full.replace(" ", "")
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4):
            names.setName(full, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName(postscript, 6, record.platformID, record.platEncID, record.langID)
    font.save(HERE / target)
    print(f"{target}: {(HERE / target).stat().st_size} bytes")
