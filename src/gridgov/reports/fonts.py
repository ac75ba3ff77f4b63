"""A CJK font cut down to the characters reports use, made once per process.

Loading a whole CJK TrueType collection (about 28,000 glyphs) costs fpdf2 two seconds per
document, more than everything else in a report. The cut-down copy holds ASCII, the GB 2312
characters (every common 汉字 and the punctuation), the characters of the report templates and
whatever else a report brings (a rare character in a place name grows the copy once). It is
written under ``<var_dir>/fonts`` (fpdf2 reads fonts from paths), named by a digest of what it
holds, so later processes reuse it."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from fontTools import subset
from fontTools.ttLib import TTFont

_LOCK = threading.Lock()
# (font path, number in the collection) -> (cut-down file, characters it was made for)
_CUTS: dict[tuple[str, int], tuple[Path, frozenset[int]]] = {}


def _gb2312() -> set[int]:
    found: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


_BASE: frozenset[int] = frozenset(
    set(range(0x20, 0x7F)) | _gb2312() | {ord(c) for c in "↑↓→…—–·×÷％"}
)


def characters(value: Any, found: set[int] | None = None) -> set[int]:
    """Every character of every string inside a value (dataclasses, lists, dicts, tuples)."""
    found = set() if found is None else found
    if isinstance(value, str):
        found.update(ord(c) for c in value)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            characters(getattr(value, f.name), found)
    elif isinstance(value, dict):
        for key, item in value.items():
            characters(key, found)
            characters(item, found)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            characters(item, found)
    return found


def cut(font: tuple[Path, int], needed: Iterable[int], directory: Path) -> tuple[Path, int]:
    """A TrueType file with the font's glyphs for ``needed`` and the base set; cached."""
    path, number = font
    key = (str(path), number)
    wanted = frozenset(needed)
    with _LOCK:
        cached = _CUTS.get(key)
        if cached is not None and wanted <= cached[1]:
            return cached[0], 0
        chars = wanted | _BASE | (cached[1] if cached else frozenset())
        stat = path.stat()
        digest = hashlib.sha1(
            f"{key}{stat.st_size}{stat.st_mtime_ns}{sorted(chars)}".encode()
        ).hexdigest()[:16]
        target = directory / f"{path.stem}-{number}-{digest}.ttf"
        if target.is_file():
            _CUTS[key] = (target, chars)
            return target, 0
        source = TTFont(str(path), fontNumber=number, lazy=True)
        options = subset.Options()
        options.glyph_names = False
        options.hinting = False
        options.layout_features = []
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables = [*options.drop_tables, "FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(source)
        directory.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        source.save(str(partial))
        source.close()
        partial.replace(target)  # atomic: another process never reads half a font
        _CUTS[key] = (target, chars)
        return target, 0
