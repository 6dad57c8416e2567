"""Preview images: accept only real raster images and serve our own re-encoded copy.

Re-encoding drops anything riding along in the original file (scripts in a polyglot,
metadata, a second image format) and bounds what the browser has to decode.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
ACCEPTED_MEDIA_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_SOURCE_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000
MAX_SIDE = 640


@dataclass(frozen=True)
class PreviewImage:
    data: bytes
    media_type: str


def reencode(data: bytes) -> PreviewImage | None:
    """A PNG or JPEG thumbnail of ``data``, or None if it is not a sound raster image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                return None
            width, height = probe.size
            if width < 1 or height < 1 or width * height > MAX_SOURCE_PIXELS:
                return None
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            converted = image.convert("RGBA" if transparent else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    output = io.BytesIO()
    if transparent:
        converted.save(output, format="PNG", optimize=True)
        return PreviewImage(output.getvalue(), "image/png")
    converted.save(output, format="JPEG", quality=85)
    return PreviewImage(output.getvalue(), "image/jpeg")
