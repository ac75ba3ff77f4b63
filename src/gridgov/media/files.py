"""What an uploaded file is, decided by its content alone, and where it lives on disk.

Nothing here trusts the file name or the content type the client sent. Images are decoded in
full with Pillow (a truncated or fake one is refused); videos are recognised by their container
(ISO-BMFF ``ftyp`` for MP4/MOV, the EBML header for WebM) and their top-level structure is
walked to the last byte, so a cut-off upload is refused too.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from PIL import ExifTags, Image, UnidentifiedImageError

from gridgov.kit.errors import AppError
from gridgov.media.models import MediaKind

THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 80
CHUNK = 1024 * 1024
# Enough of the file's start to recognise every accepted container.
SNIFF_BYTES = 64

PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# ISO-BMFF major brands of MP4 video; "qt  " is QuickTime (MOV). Other brands using the same
# container (HEIF photos "heic"/"mif1", 3GP, audio-only "M4A ") are refused.
MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"dash",
        b"mmp4",
        b"MSNV",
        b"f4v ",
    }
)
QUICKTIME_BRAND = b"qt  "
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE = 0x4282


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class MediaTooLarge(AppError):
    status_code = 413
    code = "media_too_large"


def unsupported() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "只能上传 JPEG、PNG、WebP 照片或 MP4、MOV、WebM 视频（按文件内容识别）",
        code="unsupported_media_type",
    )


@dataclass(frozen=True)
class Limits:
    image_bytes: int
    video_bytes: int
    max_pixels: int

    def for_kind(self, kind: MediaKind) -> int:
        return self.image_bytes if kind == MediaKind.IMAGE else self.video_bytes

    @property
    def any_bytes(self) -> int:
        return max(self.image_bytes, self.video_bytes)


def too_large(kind: MediaKind | None, limits: Limits) -> MediaTooLarge:
    limit = limits.any_bytes if kind is None else limits.for_kind(kind)
    what = {MediaKind.IMAGE: "照片", MediaKind.VIDEO: "视频", None: "文件"}[kind]
    return MediaTooLarge(
        f"{what}超过大小上限 {limit / 1024 / 1024:g} MB", code="media_too_large", limit=limit
    )


def sniff(head: bytes) -> tuple[MediaKind, str] | None:
    """The kind and content type the first bytes of a file announce, or None. Images are
    confirmed later by decoding them; this only decides which limit applies while receiving."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaKind.IMAGE, "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaKind.IMAGE, "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaKind.IMAGE, "image/webp"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        brand = head[8:12]
        if brand == QUICKTIME_BRAND:
            return MediaKind.VIDEO, "video/quicktime"
        if brand in MP4_BRANDS:
            return MediaKind.VIDEO, "video/mp4"
        return None
    if head.startswith(EBML_MAGIC) and _ebml_doctype(head) == b"webm":
        return MediaKind.VIDEO, "video/webm"
    return None


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``pos``: (value, length), or None if cut off."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, length


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType ("webm", "matroska") of the EBML header at the start of ``head``."""
    size = _vint(head, 4, keep_marker=False)
    if size is None:
        return None
    pos, end = 4 + size[1], min(len(head), 4 + size[1] + size[0])
    while pos < end:
        element = _vint(head, pos, keep_marker=True)
        if element is None:
            return None
        length = _vint(head, pos + element[1], keep_marker=False)
        if length is None:
            return None
        start = pos + element[1] + length[1]
        if element[0] == EBML_DOCTYPE:
            return head[start : start + length[0]] if start + length[0] <= len(head) else None
        pos = start + length[0]
    return None


@dataclass
class Staged:
    """A received file in the staging directory, with what was learnt while receiving it."""

    path: Path
    size: int = 0
    sha256: str = ""
    kind: MediaKind | None = None
    content_type: str = ""
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)

    def write(self, handle: IO[bytes], data: bytes) -> None:
        handle.write(data)
        self._hash.update(data)
        self.size += len(data)

    def finish(self) -> None:
        self.sha256 = self._hash.hexdigest()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def staging_dir(media_dir: Path) -> Path:
    path = media_dir / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_staged(media_dir: Path) -> Staged:
    return Staged(staging_dir(media_dir) / f"{secrets.token_hex(16)}.part")


def new_key() -> str:
    return secrets.token_hex(16)


def file_path(media_dir: Path, key: str) -> Path:
    """Where a stored file lives: spread over 256 directories by the key's first byte."""
    return media_dir / key[:2] / key


def thumbnail_path(media_dir: Path, key: str) -> Path:
    return media_dir / key[:2] / f"{key}.thumb.jpg"


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    width: int
    height: int


def inspect_image(path: Path, max_pixels: int) -> ImageFacts:
    """Decode the whole image: refuse anything Pillow cannot read in full, and bombs."""
    try:
        with warnings.catch_warnings():
            # Our own limit (below) decides; Pillow's fixed one would only warn.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=list(PILLOW_FORMATS)) as image:
                fmt = image.format or ""
                width, height = image.size
                if width * height > max_pixels:
                    raise MediaTooLarge(
                        f"照片像素过多（{width}×{height}），上限 {max_pixels / 1e6:g} 百万像素",
                        code="media_too_large",
                        limit=max_pixels,
                    )
                image.verify()
            # verify() leaves the image unusable: decode it again, in full.
            with Image.open(path, formats=[fmt]) as image:
                image.load()
                orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Image.DecompressionBombError as exc:  # beyond twice Pillow's limit
        raise MediaTooLarge("照片像素过多", code="media_too_large", limit=max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as exc:
        raise unsupported() from exc
    if fmt not in PILLOW_FORMATS:
        raise unsupported()
    if orientation in (5, 6, 7, 8):  # rotated by 90°: shown the other way round
        width, height = height, width
    return ImageFacts(PILLOW_FORMATS[fmt], width, height)


# EXIF orientation -> the transpose that turns the picture upright (as ImageOps.exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def write_thumbnail(source: Path, target: Path) -> None:
    """A JPEG whose longest side is at most THUMBNAIL_SIDE, turned upright by its EXIF
    orientation and saved without any EXIF (no GPS position, no camera serial)."""
    with Image.open(source, formats=list(PILLOW_FORMATS)) as image:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        # A JPEG decodes straight at a reduced scale (DCT scaling): a fraction of the work.
        image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        small: Image.Image = image
        if orientation in UPRIGHT:  # turned after shrinking: the box is square
            small = small.transpose(UPRIGHT[orientation])
        if small.mode in ("RGBA", "LA", "PA") or "transparency" in small.info:
            rgba = small.convert("RGBA")
            small = Image.new("RGB", rgba.size, (255, 255, 255))
            small.paste(rgba, mask=rgba.getchannel("A"))
        elif small.mode != "RGB":
            small = small.convert("RGB")
        _atomic_save(target, lambda handle: small.save(handle, "JPEG", quality=THUMBNAIL_QUALITY))


def _atomic_save(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as handle:
        write(handle)
    os.replace(partial, target)


def check_video(path: Path, content_type: str) -> None:
    """Walk the container's top-level structure to the last byte: refuses a cut-off upload
    and anything that only starts like a video."""
    ok = _isobmff_complete(path) if content_type != "video/webm" else _ebml_complete(path)
    if not ok:
        raise unsupported()


def _isobmff_complete(path: Path) -> bool:
    """Boxes chain exactly to the end of the file, the first is ``ftyp`` and a ``moov`` (the
    movie's index) is among them."""
    total = path.stat().st_size
    seen: list[bytes] = []
    with path.open("rb") as handle:
        pos = 0
        while pos < total:
            handle.seek(pos)
            header = handle.read(16)
            if len(header) < 8:
                return False
            size, kind = struct.unpack(">I4s", header[:8])
            if not all(32 <= c < 127 for c in kind):
                return False
            if size == 1:
                if len(header) < 16:
                    return False
                size = struct.unpack(">Q", header[8:16])[0]
                if size < 16:
                    return False
            elif size == 0:
                size = total - pos  # the last box runs to the end of the file
            elif size < 8:
                return False
            seen.append(kind)
            pos += size
        return pos == total and seen[:1] == [b"ftyp"] and b"moov" in seen


SEGMENT_ID = 0x18538067


def _ebml_complete(path: Path) -> bool:
    """The EBML header is followed by a Segment that reaches the end of the file (a live
    recording may leave the Segment's size unknown: then it runs to the end by definition)."""
    total = path.stat().st_size
    with path.open("rb") as handle:
        data = handle.read(SNIFF_BYTES * 2)
    header_size = _vint(data, 4, keep_marker=False)
    if header_size is None:
        return False
    pos = 4 + header_size[1] + header_size[0]
    element = _vint(data, pos, keep_marker=True)
    if element is None or element[0] != SEGMENT_ID:
        return False
    length = _vint(data, pos + element[1], keep_marker=False)
    if length is None:
        return False
    body_start = pos + element[1] + length[1]
    size_marker_len = length[1]
    if length[0] == (1 << (7 * size_marker_len)) - 1:
        return total > body_start
    return body_start + length[0] == total
