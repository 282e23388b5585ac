"""Optional OpenVINO runtime for the CPU (``pip install deblur-app[openvino]``).

The network is exported once to ONNX (all three outputs, dynamic height and
width) into the user's cache folder, keyed by a digest of the weights; each
tile shape then gets its own statically shaped compiled model, kept in memory
for a few shapes and in OpenVINO's compiled-model cache on disk. That cache
writes a 27 MB blob per shape and precision, and the window's previews come
in many shapes, so only the newest blobs and exports are kept.
The inference precision is always set explicitly: OpenVINO would pick
bf16 by itself on CPUs that have it. In bf16 the layers that read image
pixels get the image as a bf16 part plus its float32 remainder (see
``SplitInputConv``), which lifts agreement with float32 from about 60 dB to
about 67 dB on an HD photo at no measurable cost.

Nothing here is imported unless the OpenVINO backend is selected, and the app
works fully without OpenVINO installed.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import tempfile
import warnings
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from ..housekeeping import keep_newest
from ..model.mimo_unet import MIMOUNet
from .progress import CancelCheck, Cancelled

OPSET = 17
KEPT_EXPORTS = 3  # the ONNX files of the most recently used weights
KEPT_COMPILED = 8  # compiled-model blobs (tile shapes x precisions), about 27 MB each
OUTPUT_NAMES = ("quarter", "half", "full")
MAX_COMPILED_SHAPES = 4
CANCEL_POLL_MS = 100
_HINTS = {torch.float32: "f32", torch.bfloat16: "bf16"}


class OpenVinoUnavailable(Exception):
    """OpenVINO (or the ONNX exporter it needs) is not installed or cannot run this model."""


def openvino_available() -> bool:
    """Installed, without importing it (importing OpenVINO takes a while)."""
    return importlib.util.find_spec("openvino") is not None and importlib.util.find_spec("onnx") is not None


def default_cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("deblur_app") / "openvino"


def weights_digest(model: MIMOUNet) -> str:
    digest = hashlib.sha256(f"mimo-unet/{model.num_res}/split-input/opset{OPSET}/torch{torch.__version__}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


class SplitInputConv(nn.Module):
    """A convolution that reads image pixels, exact to float32 even when run in bf16.

    bf16 keeps 8 significant bits, coarser than 8-bit pixels near white, so a
    bf16 runtime would round the image itself. Feeding the convolution the
    bf16-representable part of each pixel and, separately, the small remainder
    (whose own rounding is negligible) keeps the pixels intact; by linearity the
    two results add up to the convolution of the image.
    """

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv
        self.remainder = copy.deepcopy(conv)
        self.remainder.bias = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        coarse = x.to(torch.bfloat16).to(x.dtype)
        return self.conv(coarse) + self.remainder(x - coarse)


def _split_pixel_inputs(network: MIMOUNet) -> None:
    """Wrap the three convolutions that read the image (the ones the torch path keeps in float32)."""
    for block in (network.feat_extract[0], network.SCM1.main[0], network.SCM2.main[0]):
        block.main[0] = SplitInputConv(block.main[0])


def export_onnx(model: MIMOUNet, folder: Path) -> Path:
    """The model as ONNX in ``folder`` (exported on first use, then reused)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mimo-unet-{weights_digest(model)}.onnx"
    _remove_stale_cache(folder, keep=path)
    if path.exists():
        os.utime(path)  # recently used: kept by the pruning above
        return path
    network = copy.deepcopy(model).to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()
    network.lean_fusion = True
    _split_pixel_inputs(network)
    example = torch.rand(1, 3, 64, 64)
    dynamic = {"image": {2: "height", 3: "width"}}
    dynamic.update({name: {2: f"{name}_height", 3: f"{name}_width"} for name in OUTPUT_NAMES})
    handle, temp_name = tempfile.mkstemp(prefix=".export.", suffix=".onnx", dir=folder)
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                network, (example,), temp_name, dynamo=False, opset_version=OPSET,
                input_names=["image"], output_names=list(OUTPUT_NAMES), dynamic_axes=dynamic,
            )
        os.replace(temp_name, path)
    except Exception as error:
        raise OpenVinoUnavailable(f"could not export the network to ONNX ({str(error).splitlines()[0][:200]})") from None
    finally:
        Path(temp_name).unlink(missing_ok=True)
    return path


def _remove_stale_cache(folder: Path, keep: Path) -> None:
    """Drop all but the newest exports (``keep`` is about to be used)."""
    keep_newest((p for p in folder.glob("mimo-unet-*.onnx") if p != keep), KEPT_EXPORTS - 1)


def _prune_compiled(folder: Path) -> None:
    """Keep the newest compiled-model blobs; recompiling a dropped shape takes well under a second."""
    if folder.is_dir():
        keep_newest((p for p in folder.iterdir() if p.is_file()), KEPT_COMPILED)


class OpenVinoRunner:
    """Runs (1, 3, H, W) float32 tensors through OpenVINO on the CPU; returns the three outputs."""

    def __init__(self, model: MIMOUNet, dtype: torch.dtype, cache_dir: Path | None = None) -> None:
        if dtype not in _HINTS:
            raise OpenVinoUnavailable(f"OpenVINO on the CPU runs fp32 or bf16, not {dtype}")
        try:
            import openvino
        except ImportError as error:
            raise OpenVinoUnavailable(f"OpenVINO is not installed ({error})") from None
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.precision_hint = _HINTS[dtype]
        self._openvino = openvino
        self._core = openvino.Core()
        try:
            self._onnx_path = export_onnx(model, folder)
        except OSError as error:  # an unwritable cache folder: under 'auto' the torch path takes over
            raise OpenVinoUnavailable(f"cannot use the cache folder {folder} ({error.strerror or error})") from None
        self._network = self._core.read_model(str(self._onnx_path))
        self._cache_dir = folder / "compiled"
        self._compiled: OrderedDict[tuple[int, int], object] = OrderedDict()

    def compiled_for(self, height: int, width: int):
        """The compiled model for this input shape and its inference request."""
        key = (height, width)
        if key in self._compiled:
            self._compiled.move_to_end(key)
            return self._compiled[key]
        network = self._network.clone()
        network.reshape({network.inputs[0]: [1, 3, height, width]})
        compiled = self._core.compile_model(
            network, "CPU",
            {"INFERENCE_PRECISION_HINT": self.precision_hint, "PERFORMANCE_HINT": "LATENCY",
             "CACHE_DIR": str(self._cache_dir)},
        )
        _prune_compiled(self._cache_dir)
        self._compiled[key] = (compiled, compiled.create_infer_request())
        while len(self._compiled) > MAX_COMPILED_SHAPES:
            self._compiled.popitem(last=False)
        return self._compiled[key]

    def __call__(self, x: torch.Tensor, cancel: CancelCheck | None = None) -> list[torch.Tensor]:
        """The three outputs; polls ``cancel`` while OpenVINO runs, and stops it when set."""
        pixels = x.detach().to("cpu", torch.float32).contiguous().numpy()
        compiled, request = self.compiled_for(*pixels.shape[-2:])
        request.set_input_tensor(self._openvino.Tensor(pixels))
        request.start_async()
        while not request.wait_for(CANCEL_POLL_MS):
            if cancel is not None and cancel.is_set():
                request.cancel()
                self._compiled.pop(tuple(pixels.shape[-2:]), None)  # a fresh request next time
                raise Cancelled("cancelled")
        return [torch.from_numpy(request.get_output_tensor(i).data.copy()) for i in range(len(compiled.outputs))]
