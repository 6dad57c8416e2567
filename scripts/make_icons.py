"""Draw the installable-app icons (static/img/icon-192.png, icon-512.png) with Pillow.

Pillow cannot rasterise SVG, so this draws the mark of ``static/img/favicon.svg`` (a
speech bubble with an "M" cut out) from the same 64-unit geometry. The icons are
"any maskable": a full-bleed background with the mark inside the central safe zone,
so a launcher may crop them to a circle or a squircle without cutting the mark.

Run from the repository root: ``python scripts/make_icons.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (58, 123, 240, 255)  # #3a7bf0, the logo colour
BACKGROUND = (14, 18, 23, 255)  # #0e1217, the dark theme's page background
SUPERSAMPLE = 4
MARK_SHARE = 0.62  # of the icon's width; the maskable safe zone is the central 80 % circle
OUTPUT = Path(__file__).resolve().parents[1] / "static" / "img"

# The favicon's geometry, in its 64 x 64 viewBox.
BUBBLE = (1.0, 3.0, 63.0, 50.0)
BUBBLE_RADIUS = 15.0
TAIL = [(10.5, 40.0), (28.0, 50.0), (14.6, 60.6), (12.9, 61.6), (11.2, 60.9), (10.5, 58.6)]
LETTER_M = [
    (17, 39), (17, 14), (24, 14), (32, 24.5), (40, 14), (47, 14),
    (47, 39), (40, 39), (40, 27.5), (32, 37.5), (24, 27.5), (24, 39),
]  # fmt: skip


def draw_icon(size: int) -> Image.Image:
    """One square icon of ``size`` pixels, drawn large and scaled down for smooth edges."""
    canvas = size * SUPERSAMPLE
    image = Image.new("RGBA", (canvas, canvas), BACKGROUND)
    mark = Image.new("L", (canvas, canvas), 0)
    pen = ImageDraw.Draw(mark)

    scale = canvas * MARK_SHARE / 64
    # Centre the mark's visual box (x 1..63, y 3..61.6) in the icon.
    offset_x = (canvas - 62 * scale) / 2 - 1 * scale
    offset_y = (canvas - 58.6 * scale) / 2 - 3 * scale

    def point(x: float, y: float) -> tuple[float, float]:
        return (offset_x + x * scale, offset_y + y * scale)

    left, top, right, bottom = BUBBLE
    pen.rounded_rectangle(
        (*point(left, top), *point(right, bottom)), radius=BUBBLE_RADIUS * scale, fill=255
    )
    pen.polygon([point(x, y) for x, y in TAIL], fill=255)
    pen.polygon([point(x, y) for x, y in LETTER_M], fill=0)

    image.paste(Image.new("RGBA", (canvas, canvas), BRAND), (0, 0), mark)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        path = OUTPUT / f"icon-{size}.png"
        draw_icon(size).save(path, optimize=True)
        print(f"wrote {path.relative_to(OUTPUT.parents[1])}")


if __name__ == "__main__":
    main()
