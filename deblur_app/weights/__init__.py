"""Weights: which checkpoint files exist and what they are (``catalog``), and installing,
downloading and removing them (``store``).

Not to be confused with the repository's top-level ``weights/`` folder: that one holds the
bundled checkpoint files (data, found through ``deblur_app.resources.bundled_weights_dir``);
this package is code. In a frozen build the code sits in the archive under ``deblur_app/``
and the data folder at the bundle's root, so the two never meet.
"""
