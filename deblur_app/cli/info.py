"""deblur-app info: devices, installed weights and versions."""

from __future__ import annotations

import platform
import sys

from .. import __version__
from ..imagefiles import rawpy_version
from ..weights.catalog import available_weights, describe, missing_weights_message
from ..model.registry import VARIANTS
from ..resources import user_weights_dir, weights_search_dirs


# The distributions that install each module, read from their metadata: importing NNCF and OpenVINO
# only to print their versions took `info` from seconds to many (NNCF imports torch's whole stack).
DISTRIBUTIONS = {"numpy": ("numpy",), "cv2": ("opencv-python-headless", "opencv-python"), "PIL": ("pillow",),
                 "safetensors": ("safetensors",), "openvino": ("openvino",), "nncf": ("nncf",)}


def _version(module_name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    for distribution in DISTRIBUTIONS.get(module_name, (module_name,)):
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    try:  # a frozen app may carry the module without its metadata
        module = __import__(module_name)
    except ImportError:
        return "not installed"
    return getattr(module, "__version__", "installed")


def _cpu_paths(device) -> list[str]:
    """Which backend and precision `auto` runs each installed network with, and why."""
    from ..engine.openvino_backend import openvino_available
    from ..jobs import EngineChoices, JobError, open_engine

    lines = []
    for key, found in available_weights().items():
        if found is None:
            continue
        try:
            engine = open_engine(EngineChoices(weights=found.path, device=str(device))).engine
        except JobError as error:
            lines.append(f"  {VARIANTS[key].display_name}: cannot load ({error})")
            continue
        backend = "OpenVINO" if engine.backend == "openvino" else "torch"
        pending = (f"; not timed on this CPU yet: the first run times {', '.join(engine.precision.measure)} and "
                   "keeps the fastest" if engine.timing_pending else "")
        unmeasured = engine.unmeasured_paths()
        if unmeasured:
            pending += (f"; {' and '.join(unmeasured)} not measured with these weights yet (`deblur-app weights "
                        f"check {key}` measures each once; until then auto leaves them out)")
        lines.append(f"{VARIANTS[key].display_name} runs on {engine.device} with {backend} {engine.precision_name}: "
                     f"{engine.precision.reason}{pending}")
    if not openvino_available():
        lines.append("OpenVINO is not installed: the CPU runs torch (pip install openvino onnx nncf for the fast path)")
    return lines


def network_lines() -> list[str]:
    """One line per registry network: its --model name, what it is for, its training data and published PSNR."""
    from ..model.registry import PRESETS, architecture_of

    lines = []
    for key, preset in PRESETS.items():
        variant = VARIANTS[preset.variant]
        if preset.ensemble:
            lines.append(f"  {key:20s} {preset.display_name}: {variant.display_name} with the 8-way self-ensemble")
            continue
        published = variant.published
        trained = f"; trained on {published.training_data} ({published.psnr})" if published else ""
        lines.append(f"  {key:20s} {variant.display_name} ({architecture_of(key).display_name}): {variant.purpose}{trained}")
    return lines


def run_info() -> int:
    import torch

    from ..engine.devices import CPU_FEATURES, available_devices, cpu_features, resolve_device

    device = resolve_device("auto")
    print(f"deblur-app {__version__} on Python {platform.python_version()} ({platform.platform()})")
    print(f"devices: {', '.join(available_devices())}; auto uses {device}")
    print("CPU features: " + ", ".join(f"{name} {'yes' if name in cpu_features() else 'no'}" for name in CPU_FEATURES))
    for line in _cpu_paths(device):
        print(line)
    if torch.cuda.is_available():
        print(f"  CUDA: {torch.cuda.get_device_name()}")
    print("networks (--model):")
    for line in network_lines():
        print(line)
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
        f"openvino {_version('openvino')}", f"nncf {_version('nncf')}", f"rawpy {rawpy_version()}",
    ]))
    sys.stdout.flush()
    return 0
