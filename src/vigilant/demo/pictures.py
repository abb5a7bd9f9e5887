"""Benign pictures drawn from a seed: what the demo, the tests and the benchmarks use as "seized" images.

Abstract gradients with random shapes, made with Pillow; never a photograph of anyone. One home for them so
that tests and benchmarks do not import the demo's command to get a picture.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageFilter


def draw_image(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A benign abstract picture: a colour gradient with random shapes, different for every seed."""
    rng = random.Random(seed)
    width, height = size
    top = tuple(rng.randrange(256) for _ in range(3))
    bottom = tuple(rng.randrange(256) for _ in range(3))
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line(
            [(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    for _ in range(rng.randrange(6, 14)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(40, width // 2), y0 + rng.randrange(40, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(1.5))
