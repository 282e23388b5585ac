"""deblur-app info: devices, installed weights and versions."""

from __future__ import annotations

import platform
import sys

from .. import __version__
from ..catalog import available_weights, describe, missing_weights_message
from ..model.variants import VARIANTS
from ..resources import user_weights_dir, weights_search_dirs


def _version(module_name: str) -> str:
    try:
        module = __import__(module_name)
    except ImportError:
        return "not installed"
    return getattr(module, "__version__", "installed")


def run_info() -> int:
    import torch

    from ..engine.devices import available_devices, cpu_has_native_bf16, resolve_device, resolve_precision

    device = resolve_device("auto")
    print(f"deblur-app {__version__} on Python {platform.python_version()} ({platform.platform()})")
    print(f"devices: {', '.join(available_devices())}; auto uses {device} "
          f"with {str(resolve_precision('auto', device)).removeprefix('torch.')} "
          f"(CPU native bf16: {'yes' if cpu_has_native_bf16() else 'no'})")
    if torch.cuda.is_available():
        print(f"  CUDA: {torch.cuda.get_device_name()}")
    print("weights:")
    for key, found in available_weights().items():
        name = VARIANTS[key].display_name
        if found is None:
            print(f"  {name}: none — {missing_weights_message(VARIANTS[key])}")
        else:
            print(f"  {name}: {found.path} — {describe(found)}")
    print(f"  searched: {', '.join(str(d) for d in weights_search_dirs())}")
    print(f"  installs go to {user_weights_dir()} (deblur-app weights list|download|install|remove)")
    try:
        from PySide6 import __version__ as qt_version
    except ImportError:
        qt_version = "not installed"
    print("versions: " + ", ".join([
        f"torch {torch.__version__}", f"numpy {_version('numpy')}", f"opencv {_version('cv2')}",
        f"pillow {_version('PIL')}", f"PySide6 {qt_version}", f"safetensors {_version('safetensors')}",
    ]))
    sys.stdout.flush()
    return 0
