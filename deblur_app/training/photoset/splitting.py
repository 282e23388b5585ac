"""Train/val split by a seeded hash of a per-photo group key, so near-duplicate shots
(stereo pairs, bursts, "_2" shots) always land in the same split."""

from __future__ import annotations

import hashlib
import re
from typing import Iterable

# Near-duplicate / multi-view groups: photos whose stem normalises to the same
# key are forced into the same split (e.g. stereo pairs, bursts, "_2" shots).
_GROUP_SUFFIX = re.compile(r"(?:[_-](?:\d+|left|right|[a-z])|\d+|(?<=[a-z])[LRAB])+$")
# Pairs that the suffix rule cannot see (stereo pair named just left/right).
GROUP_ALIASES: dict[str, str] = {
    "opencv-doc__left": "opencv-doc__stereo-pair",
    "opencv-doc__right": "opencv-doc__stereo-pair",
}


def group_key(name: str) -> str:
    """Key shared by near-duplicate shots so they land in the same split."""
    name = GROUP_ALIASES.get(name, name)
    pkg, _, stem = name.partition("__")
    base = _GROUP_SUFFIX.sub("", stem) or stem
    return f"{pkg}__{base.lower()}"


def split_of(name: str, *, val_fraction: float, seed: int) -> str:
    """Deterministic split from a seeded hash of the photo's group key."""
    h = hashlib.sha256(f"{seed}:{group_key(name)}".encode()).digest()
    u = int.from_bytes(h[:8], "big") / 2.0**64
    return "val" if u < val_fraction else "train"


def assign_splits(names: Iterable[str], *, val_fraction: float, seed: int,
                  groups: dict[str, str] | None = None) -> dict[str, str]:
    """Split names; ``groups`` optionally maps a name to the name whose group
    key it shares (used when a name had to be made unique)."""
    names = sorted(set(names))
    groups = groups or {}
    out = {n: split_of(groups.get(n, n), val_fraction=val_fraction, seed=seed) for n in names}
    # Guarantee both splits are non-empty when there are >= 2 groups.
    keys = sorted({group_key(groups.get(n, n)) for n in names},
                  key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())
    if 0 < val_fraction < 1 and len(keys) >= 2:
        for missing in ("val", "train"):
            if missing not in out.values():
                k0 = keys[0] if missing == "val" else keys[-1]
                for n in names:
                    if group_key(groups.get(n, n)) == k0:
                        out[n] = missing
    return out
