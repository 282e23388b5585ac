"""Reading a network's configuration from the key names of a state dict (no torch: keys and shapes only)."""

from __future__ import annotations

from collections.abc import Iterable


def count_children(keys: Iterable[str], prefix: str) -> int:
    """How many numbered children ``prefix0.``, ``prefix1.``... the keys name (the highest index + 1).

    ``count_children(keys, "encoders.0.")`` is the number of blocks in the first encoder stage.
    """
    indices = set()
    for key in keys:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit():
                indices.add(int(head))
    return max(indices) + 1 if indices else 0
