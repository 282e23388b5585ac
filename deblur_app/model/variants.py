"""Former name of the network table, kept while its importers move to ``model.registry``."""

from .registry import (  # noqa: F401
    DEFAULT_VARIANT,
    ENSEMBLE_PASSES,
    PRESETS,
    VARIANTS,
    Preset,
    Variant,
    preset_for,
    run_name,
    variant_for_blocks,
)
