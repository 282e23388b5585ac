"""Reproducible builder for a small set of sharp, real photographs.

The photos come only from a fixed list of freely licensed sources (``sources``): a few
Debian packages (wallpapers, demo photos, OpenCV sample data) and the sample images
shipped inside the scikit-image and scikit-learn wheels.  Everything is fetched with
the ordinary clients (``apt-get download``, ``pip download``), unpacked without
installing (``dpkg -x`` / ``zipfile``) and given its licence (``fetching``,
``licences``), filtered down to real photographs and downscaled so that lens blur and
sensor noise shrink (``filtering``), and split into train/val by a seeded hash of a
per-photo group key (``splitting``).  ``build`` puts it together.

Output layout::

    out_dir/train/<pkg>__<stem>.png
    out_dir/val/<pkg>__<stem>.png
    out_dir/manifest.csv
    out_dir/sources.txt        (package versions actually used)

Run: ``deblur-app train prepare-photos OUT_DIR`` or ``python -m deblur_app.training.photoset OUT_DIR``.
"""

from __future__ import annotations

from .build import MANIFEST_COLUMNS, contact_sheet, export_compact, main, prepare_photos, write_manifest
from .fetching import Candidate, iter_candidates
from .filtering import PhotoStats, choose_scale, photo_stats, process_image, reject_reason
from .licences import guess_license, license_for, parse_dep5
from .sources import ALLOW_FLAT, DENY, denied, output_stem
from .splitting import assign_splits, group_key, split_of

__all__ = [
    "ALLOW_FLAT",
    "DENY",
    "MANIFEST_COLUMNS",
    "Candidate",
    "PhotoStats",
    "assign_splits",
    "choose_scale",
    "contact_sheet",
    "denied",
    "export_compact",
    "group_key",
    "guess_license",
    "iter_candidates",
    "license_for",
    "main",
    "output_stem",
    "parse_dep5",
    "photo_stats",
    "prepare_photos",
    "process_image",
    "reject_reason",
    "split_of",
    "write_manifest",
]
