"""What an image's header claims, checked before anything decodes it (issue 18, items 5, 6).

A PNG of a few hundred bytes may claim 100,000 x 100,000 pixels: decoding it asks for 10^10
pixels (OpenCV raised, a 500), and storing it unread keeps a photo nobody can open. The
header is read by Pillow without decoding the pixels.
"""

from __future__ import annotations

import io
import warnings

from django.utils.translation import gettext as _
from PIL import Image

MAX_PIXELS = 50_000_000  # a 50-megapixel camera; a photo or camera view is far smaller
MAX_SIDE = 20_000


def size_problem(content: bytes, *, max_pixels: int = MAX_PIXELS) -> str | None:
    """Why an image's claimed size is refused, or None (also when no header can be read)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return _("The image claims more than %(count)s pixels.") % {"count": max_pixels}
    except Exception:  # noqa: BLE001 - no header to read: the callers' own checks decide
        return None  # (a photo that cannot be drawn is listed, not drawn: cases/report.py)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
        return _("The image claims %(width)s x %(height)s pixels; at most %(count)s.") % {
            "width": width, "height": height, "count": max_pixels}
    return None
