"""Pillow's decompression-bomb limit, set for one open at a time (it is a module global of Pillow).

Pillow warns ("could be decompression bomb DOS attack") above its own default of 89.5 MP and
refuses above twice that, whatever our limit (--max-megapixels, default 200 MP) says. Every
Pillow open in imagefiles goes through ``with_limit``: a load with our limit, a header read with
none (no pixels are decoded there; the load checks the limit and says why in one line). Left to
Pillow's default, a header read of a 100 MP camera photo printed the warning on the console, and
one of 180 MP found no facts and no thumbnail.
"""

from __future__ import annotations

import threading
import warnings
from typing import Callable, TypeVar

from PIL import Image

LOCK = threading.RLock()
Opened = TypeVar("Opened")


def with_limit(limit: int, open_file: Callable[[], Opened]) -> Opened:
    """``open_file()`` (a Pillow open) with Pillow's bomb limit at ``limit`` pixels (0 or less: none); its
    DecompressionBombWarning raised as an error, as its DecompressionBombError is."""
    with LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = limit if limit > 0 else None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return open_file()
        finally:
            Image.MAX_IMAGE_PIXELS = saved
