"""Avatar images: only real images are accepted, and only our own re-encoding is stored.

Re-encoding drops whatever else the upload carried (metadata, trailing payloads,
polyglot tricks), so what we serve is always a plain square JPEG.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

AVATAR_SIZE = 256
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"})
MAX_PIXELS = 40_000_000


class AvatarError(ValueError):
    """The upload is not an image we accept; the message is shown to the user."""


def normalize_avatar(data: bytes, *, size: int = AVATAR_SIZE) -> bytes:
    """Centre-crop to a square, scale to ``size`` pixels and re-encode as JPEG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise AvatarError("Avatars must be JPEG, PNG, GIF, WebP or BMP images.")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise AvatarError("That image is too large to use as an avatar.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                oriented = ImageOps.exif_transpose(image)
                square = ImageOps.fit(
                    oriented.convert("RGB"), (size, size), Image.Resampling.LANCZOS
                )
    except AvatarError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise AvatarError("That file is not an image we can read.") from error
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()
