"""Optional OpenVINO runtime for the CPU (``pip install deblur-app[openvino]``), for every registry
network whose entry allows it (``Architecture.openvino``).

The network is exported to ONNX (its outputs, dynamic height and width; its weights in a file of their own beside
it: export_onnx) into the user's cache folder, keyed by a digest of the weights, once per *shape class* (model/networks.py: MIMO-UNet has
one for all sizes; NAFNet's test-time local converter one for inputs larger than its window and one
for inputs no larger); each tile shape then gets its own statically shaped compiled model, kept in
memory for a few shapes and in OpenVINO's compiled-model cache on disk. That cache writes a blob
per shape and precision (MIMO-UNet 27 MB, NAFNet-64 about 270 MB), and the window's previews come
in many shapes, so only the newest blobs and exports are kept.
The inference precision is always set explicitly: OpenVINO would pick
bf16 by itself on CPUs that have it. In bf16 MIMO-UNet's layers that read image
pixels get the image as a bf16 part plus its float32 remainder (model/exporting.py
``SplitInputConv``), which lifts agreement with float32 from about 60 dB to
about 67 dB on an HD photo at no measurable cost.

Nothing here is imported unless the OpenVINO backend is selected, and the app
works fully without OpenVINO installed.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import io
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import reasons
from ..housekeeping import keep_newest
from ..model import networks
from ..model.registry import Architecture
from ..resources import resource_path, user_data_dir
from .choices import Int8Verdict, PathVerdict
from .filepages import release_file_pages
from .heap import return_freed_memory
from .progress import CancelCheck, Cancelled, raise_if_cancelled

OPSET = 17
WEIGHTS_SUFFIX = ".weights"  # an ONNX export's weights, beside it (export_onnx)
_ONNX_TYPES = {torch.float32: 1, torch.uint8: 2, torch.int8: 3, torch.int32: 6, torch.int64: 7, torch.bool: 9,
               torch.float16: 10, torch.float64: 11, torch.bfloat16: 16}  # onnx.TensorProto's data types
_LEAN_EXPORT = threading.Lock()  # _initializers_taken patches torch for the time of one export
KEPT_EXPORTS = 3  # the ONNX files of the most recently used weights
KEPT_COMPILED = 8  # compiled-model blobs (tile shapes x precisions), about 27 MB each
OUTPUT_NAMES = {4: "quarter", 2: "half", 1: "full"}  # by the registry's output scales
MAX_COMPILED_SHAPES = 4
# Each compiled shape holds its own copy of the weights and more (NAFNet-64: ~500 MB for 259 MiB of
# weights), so large networks keep fewer compiled shapes in memory (the window's previews come in many)
COMPILED_MEMORY_BYTES = 512 * 1024**2
# networks with more float32 weights than this compile without the blob cache (uses_blob_cache)
BLOB_CACHE_MAX_WEIGHT_BYTES = 128 * 1024**2
CANCEL_POLL_MS = 100
_HINTS = {torch.float32: "f32", torch.bfloat16: "bf16"}
# under resources/: the calibration crops and the measured int8 verdicts that ship with the app
CALIBRATION_FILE = ("int8", "calibration.npz")
VERDICTS_FILE = ("int8", "verdicts.json")
# NNCF's statistics pass: at most this many whole activations (statistics NNCF cannot reduce inside the network:
# MAX_QUANTILE's quantiles) come out of the network in one pass over the calibration crops (_collect_in_passes);
# MIMO-UNet: 3 passes
WHOLE_ACTIVATIONS_PER_PASS = 44
# ... and at most this many statistic points reduced inside the network (min, max, means: NAFNet's ranges and the
# fast bias correction's means), each an extra output of the statistics model: NAFNet-64's 1312 in 7 passes, its
# quantisation 1890 -> 1394 MiB (within 1.5 GB; 420 a pass, 4 passes: 1482 MiB); MIMO-UNet's 104 stay in its first
REDUCED_STATISTICS_PER_PASS = 210


class OpenVinoUnavailable(Exception):
    """OpenVINO (or the ONNX exporter it needs) is not installed or cannot run this model."""


def openvino_available() -> bool:
    """Installed, without importing it (importing OpenVINO takes a while)."""
    return importlib.util.find_spec("openvino") is not None and importlib.util.find_spec("onnx") is not None


def default_cache_dir() -> Path:
    """The user's cache folder for OpenVINO's files; where it cannot be written (a read-only HOME, a file in its
    place) a private temporary folder of this process instead, removed at its exit: OpenVINO runs there without a
    cache (exports again in every process, compiles in memory: uncached) rather than torch running fp32, several
    times slower. Said once (uncached_note)."""
    from platformdirs import user_cache_path

    preferred = user_cache_path("deblur_app") / "openvino"
    if preferred in _UNCACHED:
        return _UNCACHED[preferred][0]
    if preferred in _WRITABLE and preferred.is_dir():  # probed once per process, not at every run and prepare
        return preferred
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".writable.", dir=preferred)
        os.close(handle)
        os.unlink(probe)
        _WRITABLE.add(preferred)
        return preferred
    except OSError as error:
        try:
            private = Path(tempfile.mkdtemp(prefix="deblur_app-openvino-"))
        except OSError:
            return preferred  # no temporary folder either: the runner says the cache folder cannot be used
        atexit.register(shutil.rmtree, private, True)
        cause = reasons.reason(reasons.CANNOT_USE_CACHE_FOLDER, folder=preferred, cause=error.strerror or error)
        _UNCACHED[preferred] = private, reasons.joined(cause, reasons.reason(reasons.OPENVINO_WITHOUT_CACHE))
        return private


# the user cache folder that cannot be written -> (the private folder used instead, the note saying so)
_UNCACHED: dict[Path, tuple[Path, reasons.ReasonText]] = {}
_UNCACHED_SAID: set[Path] = set()
_WRITABLE: set[Path] = set()  # user cache folders this process could write


def uncached(folder: Path) -> bool:
    """Whether ``folder`` is a private stand-in for an unwritable cache folder (default_cache_dir)."""
    return any(folder == private for private, _note in _UNCACHED.values())


def uncached_note() -> reasons.ReasonText | None:
    """The note that OpenVINO runs without a cache, the first time it is asked in this process; None after."""
    for preferred, (_private, note) in _UNCACHED.items():
        if preferred not in _UNCACHED_SAID:
            _UNCACHED_SAID.add(preferred)
            return note
    return None


def weights_digest(model: nn.Module, architecture: Architecture | None = None) -> str:
    architecture = architecture or _architecture(model)
    digest = hashlib.sha256(f"{networks.export_tag(architecture, model)}/opset{OPSET}/torch{torch.__version__}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


def _architecture(model: nn.Module) -> Architecture:
    architecture = networks.recognise(model.state_dict())
    if architecture is None:
        raise OpenVinoUnavailable("the model is no network of the registry")
    return architecture


def export_onnx(model: nn.Module, folder: Path, architecture: Architecture | None = None,
                shape_class: str | None = None, digest: str | None = None, embedded_weights: bool = False) -> Path:
    """The model as ONNX in ``folder`` (exported on first use, then reused): dynamic height and
    width, for the inputs of ``shape_class`` (networks.export_shape_class; default: the first). Its weights lie
    beside it (weights_path, ONNX external data: _export_weights_apart); ``embedded_weights``: inside it, as torch
    exports them (the same model, at a higher peak; for comparisons)."""
    architecture = architecture or _architecture(model)
    shape_class = shape_class or networks.export_classes(architecture)[0]
    folder.mkdir(parents=True, exist_ok=True)
    path = _export_path(folder, architecture, shape_class, digest or weights_digest(model, architecture))
    # at least one file per shape class: a photo and its strip tiles must not export each other away
    _remove_stale_cache(folder, keep=path, prefix=architecture.key,
                        kept=max(KEPT_EXPORTS, len(networks.export_classes(architecture))))
    if path.exists():
        os.utime(path)  # recently used: kept by the pruning above
        return path
    network = networks.export_copy(architecture, model)
    example = torch.rand(1, 3, *networks.export_example(architecture, shape_class))
    outputs = [OUTPUT_NAMES[scale] for scale in architecture.outputs]
    dynamic = {"image": {2: "height", 3: "width"}}
    dynamic.update({name: {2: f"{name}_height", 3: f"{name}_width"} for name in outputs})
    handle, temp_name = tempfile.mkstemp(prefix=".export.", suffix=".onnx", dir=folder)
    os.close(handle)
    temp_weights = Path(temp_name).with_suffix(WEIGHTS_SUFFIX)
    try:
        with warnings.catch_warnings(), torch.no_grad(), unfragmented_heap():
            warnings.simplefilter("ignore")
            arguments = dict(dynamo=False, opset_version=OPSET, input_names=["image"], output_names=outputs,
                             dynamic_axes=dynamic)
            if embedded_weights or not _export_weights_apart(network, example, Path(temp_name), temp_weights,
                                                             weights_path(path).name, arguments):
                torch.onnx.export(network, (example,), temp_name, **arguments)
        if temp_weights.exists():
            os.replace(temp_weights, weights_path(path))  # before the .onnx: a complete export has both
        os.replace(temp_name, path)
    except Exception as error:
        raise OpenVinoUnavailable(reasons.reason(reasons.ONNX_EXPORT_FAILED, cause=reasons.first_line(error))) from None
    finally:
        Path(temp_name).unlink(missing_ok=True)
        temp_weights.unlink(missing_ok=True)
        del network
        return_freed_memory()
    return path


def weights_path(onnx: Path) -> Path:
    """Where an export's weights lie beside its .onnx (export_onnx)."""
    return onnx.with_suffix(WEIGHTS_SUFFIX)


def remove_export(onnx: Path) -> None:
    onnx.unlink(missing_ok=True)
    weights_path(onnx).unlink(missing_ok=True)


def _export_weights_apart(network: nn.Module, example: torch.Tensor, onnx: Path, weights: Path, location: str,
                          arguments: dict) -> bool:
    """torch's ONNX export with the weights (its initializers) written into ``weights`` one tensor at a time, and the
    .onnx naming them as external data at ``location``: the same model as torch's own export, byte for byte once the
    weights are read back (tests/test_memory_exports.py), without its peak. torch's encoder builds the protobuf with
    every weight in it, serialises it and hands the bytes to Python, three copies of the weights at once on top of the
    folded constants. Here torch exports without the weights (export_params=False: each becomes a graph input
    instead), its final initializers are taken where it would have encoded them (after constant folding and
    deduplication), and they are put back in its order as initializers. NAFNet-64's export ("local", 259 MiB of
    weights) peaked at +881 MiB over the loaded network (3.40 copies), now +475 (1.84: the trace), and OpenVINO
    reading the weights from their own file makes the conversion's peak +363 MiB where it was +591, the same IR byte
    for byte (benchmarks/bench_export_memory.py, RESULTS.md "#21 lean export"). False (nothing written) where this
    torch does not give them: the caller exports them embedded."""
    import onnx as onnx_module
    from onnx import TensorProto

    with _LEAN_EXPORT, _initializers_taken() as taken:
        torch.onnx.export(network, (example,), str(onnx), export_params=False, **arguments)
    initializers = taken.get("params")
    if initializers is None:
        return False
    model = onnx_module.load(str(onnx))
    graph = model.graph
    order = [value.name for value in graph.input if value.name in initializers]
    if len(order) != len(initializers) or any(t.dtype not in _ONNX_TYPES for t in initializers.values()):
        return False
    inputs = [value for value in graph.input if value.name not in initializers]
    del graph.input[:]
    graph.input.extend(inputs)
    offset = 0
    with open(weights, "wb") as file:
        for name in order:
            tensor = initializers[name].detach().to("cpu").contiguous()
            proto = graph.initializer.add()
            proto.name = name
            proto.dims.extend(tensor.shape)
            proto.data_type = _ONNX_TYPES[tensor.dtype]
            proto.data_location = TensorProto.EXTERNAL
            size = tensor.numel() * tensor.element_size()
            for key, value in (("location", location), ("offset", str(offset)), ("length", str(size))):
                entry = proto.external_data.add()
                entry.key, entry.value = key, value
            if size:
                file.write(memoryview(tensor.reshape(-1).view(torch.uint8).numpy()))
            offset += size
            del tensor
    onnx.write_bytes(model.SerializeToString())
    return True


@contextlib.contextmanager
def _initializers_taken():
    """torch's final initializers of an ONNX export ({name: tensor}, under "params"), taken as its exporter makes them
    (torch/onnx/_internal/torchscript_exporter/utils.py: the deduplication just before the encoder)."""
    taken: dict = {}
    original = getattr(torch._C, "_jit_pass_onnx_deduplicate_initializers", None)
    if original is None:
        yield taken
        return

    def deduplicated(graph, params, *rest):
        taken["params"] = result = original(graph, params, *rest)
        return result

    torch._C._jit_pass_onnx_deduplicate_initializers = deduplicated
    try:
        yield taken
    finally:
        torch._C._jit_pass_onnx_deduplicate_initializers = original


def exported_ir(model: nn.Module, folder: Path, architecture: Architecture | None = None,
                shape_class: str | None = None, digest: str | None = None, in_child: bool = False,
                cancel: CancelCheck | None = None, weights_file: Path | None = None) -> Path:
    """The model as OpenVINO IR (.xml and .bin) in ``folder``: exported to ONNX on first use (export_onnx), converted,
    and the ONNX removed. OpenVINO maps an IR's weights from its .bin instead of copying them into the heap as it
    does reading ONNX (NAFNet-64: 289 MiB resident for the read ONNX network, 26 MiB for the IR), and once a model
    is compiled those pages can be handed back (engine/filepages.py).
    ``in_child``: the export and conversion run in a process of their own (export_process.py: killed on
    ``cancel``, Cancelled; nothing of them left in this process); the app's runs do so. ``weights_file`` (in_child
    only): the child reads the weights from it (``model``'s may be gone: export_process.export_in_child)."""
    architecture = architecture or _architecture(model)
    shape_class = shape_class or networks.export_classes(architecture)[0]
    xml = _export_path(folder, architecture, shape_class, digest or weights_digest(model, architecture)).with_suffix(".xml")
    prune_cached_models(folder, xml, kept=max(KEPT_EXPORTS, len(networks.export_classes(architecture))),
                        family=lambda name: name.startswith(f"{architecture.key}-")
                        and not name.startswith(f"{architecture.key}-int8-"))
    if _is_complete(xml):
        os.utime(xml)
        return xml
    if in_child:
        from .export_process import ExportFailed, export_in_child

        try:
            return export_in_child(model, xml, architecture, shape_class, digest or weights_digest(model, architecture),
                                   cancel, weights_file, export_here=export_in_this_process)
        except ExportFailed as error:
            raise OpenVinoUnavailable(reasons.of(error)) from None
    onnx = export_onnx(model, folder, architecture, shape_class, digest)
    _convert_to_ir(onnx, xml)
    remove_export(onnx)
    return xml


def export_in_this_process(model: nn.Module, folder: Path, architecture: Architecture, shape_class: str, digest: str,
                           weights_file: Path | None = None) -> Path:
    """The export an export process runs (export_process.export_in_child): ``model``'s IR in ``folder``, its weights
    first read from ``weights_file`` where one is named (as the engine reads them back: weights_only); ExportFailed
    with the reason where the file holds other weights now than those ``digest`` names, or OpenVINO cannot export."""
    from ..model.checkpoints import CheckpointError, read_state_dict
    from .export_process import ExportFailed

    try:
        if weights_file is not None:
            try:
                state_dict, _metadata = read_state_dict(weights_file)
                model.load_state_dict(state_dict, strict=True, assign=True)
            except (CheckpointError, RuntimeError) as error:
                raise ExportFailed(reasons.about(weights_file, reasons.reason(
                    reasons.WEIGHTS_FILE_CHANGED, cause=reasons.first_line(error)))) from None
            if weights_digest(model, architecture) != digest:
                raise ExportFailed(reasons.about(weights_file, reasons.reason(
                    reasons.WEIGHTS_FILE_CHANGED, cause=reasons.reason(reasons.OTHER_WEIGHTS_NOW))))
        return exported_ir(model, folder, architecture, shape_class, digest)
    except OpenVinoUnavailable as error:
        raise ExportFailed(reasons.of(error)) from None


def ir_cached(folder: Path, architecture: Architecture, shape_class: str, digest: str) -> bool:
    """The IR of these weights (``digest``: weights_digest) and shape class is in ``folder``: no export needed."""
    return _is_complete(_export_path(folder, architecture, shape_class, digest).with_suffix(".xml"))


def _convert_to_ir(onnx: Path, xml: Path) -> None:
    """The ONNX file as an IR pair, written in a temporary folder and moved into place, the .xml last."""
    import openvino

    temp = Path(tempfile.mkdtemp(prefix=".ir.", dir=xml.parent))
    try:
        with unfragmented_heap():
            network = openvino.Core().read_model(str(onnx))
            openvino.save_model(network, str(temp / "model.xml"), compress_to_fp16=False)
            del network
        os.replace(temp / "model.bin", xml.with_suffix(".bin"))
        os.replace(temp / "model.xml", xml)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
        return_freed_memory()


def prune_cached_models(folder: Path, keep: Path, kept: int, family: Callable[[str], bool]) -> None:
    """Keep the ``kept`` newest cached IR pairs (.xml and .bin) of one family of file names, ``keep`` (about to be
    used) among them, and drop that family's .bin files whose .xml is gone. The float exports and the int8 models
    of a network are separate families: neither prunes the other's models, nor the .bin an int8 model moves into
    place before its .xml."""
    keep_newest((p for p in folder.glob("*.xml") if family(p.name) and p != keep), kept - 1)
    for orphan in folder.glob("*.bin"):
        if family(orphan.name) and orphan != keep.with_suffix(".bin") and not orphan.with_suffix(".xml").exists():
            orphan.unlink(missing_ok=True)


def _export_path(folder: Path, architecture: Architecture, shape_class: str, name: str) -> Path:
    if shape_class != networks.ANY_SHAPE:
        name = f"{shape_class}-{name}"
    return folder / f"{architecture.key}-{name}.onnx"


# glibc's mallopt parameters, and the mmap thresholds an export runs under and leaves (unfragmented_heap)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
EXPORT_MMAP_THRESHOLD = 128 * 1024  # glibc's starting value: every tensor of the trace gets pages of its own
AFTER_EXPORT_MMAP_THRESHOLD = 32 * 1024**2  # the ceiling glibc's dynamic threshold climbs to on 64-bit


@contextlib.contextmanager
def unfragmented_heap():
    """The ONNX export and IR conversion with every allocation over 128 KiB in pages of its own (mmap), handed back
    the moment it is freed. By default glibc raises that threshold as large blocks are freed, so the trace's
    intermediate tensors come from the heap between the tracer's small graph objects, and freed ones rarely fit the
    next: NAFNet-64's trace at 416x416 peaked at +1.21 GB over the loaded network, +0.47 GB with this, the same graph
    (benchmarks/bench_12mp_memory.py export). glibc cannot go back to its dynamic threshold, so afterwards it is
    set where that threshold ends up once a run has freed a few large tensors (trim at twice it, as glibc does).
    Heap freed before it is handed back first: under this threshold no large block reuses it. Elsewhere than glibc,
    nothing changes."""
    if not _set_malloc_option(M_MMAP_THRESHOLD, EXPORT_MMAP_THRESHOLD):
        yield
        return
    return_freed_memory()
    try:
        yield
    finally:
        _set_malloc_option(M_MMAP_THRESHOLD, AFTER_EXPORT_MMAP_THRESHOLD)
        _set_malloc_option(M_TRIM_THRESHOLD, 2 * AFTER_EXPORT_MMAP_THRESHOLD)
        return_freed_memory()


def _set_malloc_option(option: int, value: int) -> bool:
    """glibc's mallopt; False where there is no glibc or it refused."""
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").mallopt(option, value))
    return False


def compiled_shapes_kept(float32_weight_bytes: int) -> int:
    """How many compiled input shapes a runner keeps in memory: MIMO-UNet 4, NAFNet-32 3, NAFNet-64 1."""
    return max(1, min(MAX_COMPILED_SHAPES, COMPILED_MEMORY_BYTES // max(1, 2 * float32_weight_bytes)))


def uses_blob_cache(float32_weight_bytes: int) -> bool:
    """Whether compiled models are kept as blobs in the cache folder (MIMO-UNet, NAFNet-32, FFTformer) or compiled
    afresh (NAFNet-64): writing a blob holds a serialised copy of the weights while the model compiles, and reading
    one back maps the blob beside the IR's weights, either way one more copy of the weights at the compile's peak
    (NAFNet-64 at a 416-pixel tile, in a process of its own: 782 MiB compiled afresh, 801 writing the blob, 965
    reading it; benchmarks/RESULTS.md, "12 MP on OpenVINO"). Compiling NAFNet-64 afresh takes seconds beside a
    12 MP photo's minutes of tiles."""
    return float32_weight_bytes <= BLOB_CACHE_MAX_WEIGHT_BYTES


def _remove_stale_cache(folder: Path, keep: Path, prefix: str, kept: int = KEPT_EXPORTS) -> None:
    """Drop all but the ``kept`` newest exports of one architecture (``keep``, about to be used, among them), and the
    weights of exports that are gone (weights_path)."""
    keep_newest((p for p in folder.glob(f"{prefix}-*.onnx") if p != keep), kept - 1)
    for orphan in folder.glob(f"{prefix}-*{WEIGHTS_SUFFIX}"):
        if orphan != weights_path(keep) and not orphan.with_suffix(".onnx").exists():
            with contextlib.suppress(OSError):
                orphan.unlink()


def _prune_compiled(folder: Path) -> None:
    """Keep the newest compiled-model blobs; recompiling a dropped shape takes well under a second."""
    if folder.is_dir():
        keep_newest((p for p in folder.iterdir() if p.is_file()), KEPT_COMPILED)


class OpenVinoRunner:
    """Runs (1, 3, H, W) float32 tensors through OpenVINO on the CPU; returns the network's outputs.

    One export per shape class of the architecture (networks.export_shape_class) serves all sizes of
    that class; the first class is exported here, the others when an input of theirs first comes.
    An input size no export serves (``serves`` False) is the caller's to run in torch.
    """

    def __init__(self, model: nn.Module, dtype: torch.dtype, cache_dir: Path | None = None,
                 int8: Int8Plan | None = None, cancel: CancelCheck | None = None,
                 architecture: Architecture | None = None, model_source: Callable[[], nn.Module] | None = None,
                 release_weights: Callable[[], object] | None = None, first_class: str | None = None) -> None:
        """``cancel`` stops the slow first-use steps (the export, the int8 quantisation): Cancelled.
        ``model_source``: gives ``model`` with its weights for an export (the engine lets them go while OpenVINO
        runs a large photo and reads them again when asked: Deblurrer.model); ``model`` itself where None.
        ``release_weights``: lets torch's weights go (Deblurrer.release_torch_weights), called once the float IR is
        read and the int8 key taken, before NNCF quantises: its peak does not stack on torch's copy (NAFNet-64:
        259 MiB); ``model_source`` reads them again where an export needs them.
        ``first_class``: the shape class read (exported on first use) now, for a float runner; default the network's
        first (networks.export_classes). A photo's tiles may need another only: NAFNet-64's at 12 MP are "wide", and
        exporting "local" first made the first use two exports, the second beside the first read network."""
        if dtype not in _HINTS:
            raise OpenVinoUnavailable(reasons.reason(reasons.OPENVINO_FLOAT_TYPES, dtype=dtype))
        try:
            import openvino
        except ImportError as error:
            raise OpenVinoUnavailable(reasons.reason(reasons.OPENVINO_IMPORT_FAILED, cause=error)) from None
        self._folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.precision_hint = _HINTS[dtype]
        self._openvino = openvino
        self._core = openvino.Core()
        self._model = model
        self._architecture = architecture or _architecture(model)
        self._digest = weights_digest(model, self._architecture)
        self._networks: dict[str, object] = {}  # shape class -> the read (and for int8 quantised) network
        self._model_source = model_source or (lambda: model)
        self._mapped_files: list[Path] = []  # the IRs' weights, mapped by OpenVINO (release_weight_pages)
        first = first_class or networks.export_classes(self._architecture)[0]
        self._int8 = int8
        # taken while torch's weights are here: they may go before NNCF quantises (release_weights)
        self._int8_key = int8_key(model, int8, self._architecture) if int8 is not None else ""
        self._release_weights = release_weights
        if int8 is None:
            self._networks[first] = self._read_network(first, cancel)
        else:
            raise_if_cancelled(cancel)
            # the layers int8 leaves in float (pixel inputs, outputs) run in float32
            self.precision_hint = "f32"
            # first the class the calibration crops belong to (NAFNet: "global", which the check set's crops need
            # too), quantised by NNCF; the other classes carry its int8 model over when an input of theirs comes
            # (quantized_network: no calibration of their own)
            eager = int8_first_class(self._architecture)
            self._networks[eager] = self._network_for(eager, cancel)
        self._cache_dir = self._folder / "compiled"
        self._compiled: OrderedDict[tuple[int, int], object] = OrderedDict()
        weight_bytes = sum(p.numel() * 4 for p in model.parameters())
        self._max_shapes = compiled_shapes_kept(weight_bytes)
        self._blob_cache = uses_blob_cache(weight_bytes) and not uncached(self._folder)

    def _read_network(self, shape_class: str, cancel: CancelCheck | None = None):
        try:
            path = self._exported(shape_class, cancel)
        except OSError as error:  # an unwritable cache folder: under 'auto' the torch path takes over
            raise OpenVinoUnavailable(reasons.reason(reasons.CANNOT_USE_CACHE_FOLDER, folder=self._folder,
                                                     cause=error.strerror or error)) from None
        self._mapped_files.append(path.with_suffix(".bin"))
        return self._core.read_model(str(path))

    def _network_for(self, shape_class: str, cancel: CancelCheck | None = None):
        """The network of one shape class, read (and for int8 quantised, with calibration inputs of that class:
        NAFNet's exports of inputs beyond TLC's window need calibration images beyond it too)."""
        network = self._read_network(shape_class, cancel)
        if self._int8 is None:
            return network
        return quantized_network(self._core, network, self._model, self._folder, self._int8, cancel,
                                 shape_class=shape_class, first=self._networks.get(int8_first_class(self._architecture)),
                                 key=self._int8_key, before_quantising=self._release_weights)

    def _exported(self, shape_class: str, cancel: CancelCheck | None = None) -> Path:
        """The IR of one shape class: exported from the model's weights, in a process of its own, only where none is
        cached."""
        xml = _export_path(self._folder, self._architecture, shape_class, self._digest).with_suffix(".xml")
        model = self._model if _is_complete(xml) else self._model_source()  # (the path only names the file)
        return exported_ir(model, self._folder, self._architecture, shape_class, self._digest, in_child=True,
                           cancel=cancel)

    def read_networks_for(self, shapes: Iterable[tuple[int, int]], cancel: CancelCheck | None = None) -> None:
        """Export and read (int8: quantise) now what compiling these input shapes will need (torch's weights may
        go after)."""
        for height, width in shapes:
            shape_class = networks.export_shape_class(self._architecture, self._model, height, width)
            if shape_class is not None and shape_class not in self._networks:
                self._networks[shape_class] = self._network_for(shape_class, cancel)

    def serves(self, height: int, width: int) -> bool:
        """True when an export of this runner computes inputs of this size (int8: each shape class quantised)."""
        return networks.export_shape_class(self._architecture, self._model, height, width) is not None

    def compiled_for(self, height: int, width: int, cancel: CancelCheck | None = None):
        """The compiled model for this input shape and its inference request."""
        key = (height, width)
        if key in self._compiled:
            self._compiled.move_to_end(key)
            return self._compiled[key]
        while len(self._compiled) >= self._max_shapes:  # before compiling: never two large ones at once
            self._compiled.popitem(last=False)
        shape_class = networks.export_shape_class(self._architecture, self._model, height, width)
        if shape_class not in self._networks:
            self._networks[shape_class] = self._network_for(shape_class, cancel)
        network = self._networks[shape_class].clone()
        network.reshape({network.inputs[0]: [1, 3, height, width]})
        settings = {"INFERENCE_PRECISION_HINT": self.precision_hint, "PERFORMANCE_HINT": "LATENCY"}
        if self._blob_cache:
            settings["CACHE_DIR"] = str(self._cache_dir)
        try:
            compiled = self._core.compile_model(network, "CPU", settings)
        except RuntimeError:
            if "CACHE_DIR" not in settings:
                raise
            # another process writing or pruning the same cache folder (a second window, a batch beside it) can
            # make OpenVINO's blob vanish under it ("cannot set permissions: No such file or directory"): the blob is
            # a saving of a second, never a reason to fail the run, so compile without it (a real error comes again)
            del settings["CACHE_DIR"]
            compiled = self._core.compile_model(network, "CPU", settings)
        _prune_compiled(self._cache_dir)
        self._compiled[key] = (compiled, compiled.create_infer_request())
        self.release_weight_pages()
        while len(self._compiled) > self._max_shapes:
            self._compiled.popitem(last=False)
        return self._compiled[key]

    def release_weight_pages(self) -> None:
        """Hand back the pages of the weights the compiled models no longer read: the IRs' .bin (OpenVINO keeps them
        mapped behind each read network and compiled model) and the compiled-model blobs. Measured with NAFNet-64 at a
        416-pixel tile, read from the IR and compiled in a process of its own: 778 -> 508 MiB, 54 MiB of it the runtime
        (benchmarks/RESULTS.md, "12 MP on OpenVINO")."""
        blobs = list(self._cache_dir.iterdir()) if self._cache_dir.is_dir() else []
        release_file_pages([*self._mapped_files, *blobs])

    def release_compiled(self) -> None:
        """Let the compiled models go, keeping the read networks: each holds its input shape's working memory
        (MIMO-UNet fp32 at an 872x800 tile: 470 MB) for as long as it is kept. Compiling again comes from the
        cache folder's blob (well under a second beside a tiled photo's minutes)."""
        self._compiled.clear()
        return_freed_memory()

    def __call__(self, x: torch.Tensor, cancel: CancelCheck | None = None) -> list[torch.Tensor]:
        """The network's outputs; polls ``cancel`` while OpenVINO runs, and stops it when set."""
        pixels = x.detach().to("cpu", torch.float32).contiguous().numpy()
        compiled, request = self.compiled_for(*pixels.shape[-2:], cancel)
        request.set_input_tensor(self._openvino.Tensor(pixels))
        request.start_async()
        while not request.wait_for(CANCEL_POLL_MS):
            if cancel is not None and cancel.is_set():
                request.cancel()
                self._compiled.pop(tuple(pixels.shape[-2:]), None)  # a fresh request next time
                raise Cancelled("cancelled")
        return [torch.from_numpy(request.get_output_tensor(i).data.copy()) for i in range(len(compiled.outputs))]


# ---------------------------------------------------------------- int8


@dataclass(frozen=True)
class Int8Settings:
    """How NNCF quantises the network (benchmarks/int8_search.py compares the choices)."""

    preset: str = "mixed"  # performance: symmetric activations; mixed: asymmetric activations
    # the layers left in float, as regular expressions on OpenVINO's node names; None: the network's own
    # rules (registry: Architecture.int8_float_layers), filled in by ``for_network``
    keep_float: tuple[str, ...] | None = None
    subset_size: int = 64  # calibration crops used, at most
    overflow_fix: str = "enable"  # 7-bit weights: no int16 saturation on CPUs without VNNI
    fast_bias_correction: bool = True
    # a RangeEstimatorParametersSet name or MAX_QUANTILE (``_range_estimator``), "" for NNCF's default (min/max: 44 dB
    # on the HD photo, 47 dB without outliers); a network's own (registry: int8_activation_ranges) wins in ``for_network``
    activation_ranges: str = "MEAN_NO_OUTLIERS_MINMAX"

    def for_network(self, architecture: Architecture) -> "Int8Settings":
        """These settings with the network's layer rules where none were given; Int8Unavailable for a
        network that has none (no int8 path)."""
        if self.keep_float is not None:
            return self
        if not architecture.int8_float_layers:
            raise Int8Unavailable(reasons.reason(reasons.NO_INT8_PATH, network=architecture.display_name))
        ranges = architecture.int8_activation_ranges or self.activation_ranges
        return dataclasses.replace(self, keep_float=architecture.int8_float_layers, activation_ranges=ranges)

    def digest(self) -> str:
        """Names the settings in int8 keys. Taken of the settings with the rules filled in (``for_network``):
        MIMO-UNet's rules moved to the registry unchanged, so its digest, and the keys of the shipped
        verdicts, are what they were when the rules lived here (tests/test_int8.py checks the key)."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:12]


def _range_estimator(name: str):
    """NNCF's range estimator of that name (RangeEstimatorParametersSet), or MAX_QUANTILE: each calibration crop's
    1e-4 and 1 - 1e-4 quantiles, the widest crop counting. It covers the strongest edge any crop has (the mean of the
    crops' maxima clipped MIMO-UNet's strong edges, issue 21) without the single outliers of a global min/max."""
    from nncf.quantization import range_estimator as estimators

    if name != "MAX_QUANTILE":
        return getattr(estimators.RangeEstimatorParametersSet, name)
    quantile = estimators.StatisticsType.QUANTILE
    return estimators.RangeEstimatorParameters(
        min=estimators.StatisticsCollectorParameters(quantile, estimators.AggregatorType.MIN, quantile_outlier_prob=1e-4),
        max=estimators.StatisticsCollectorParameters(quantile, estimators.AggregatorType.MAX, quantile_outlier_prob=1e-4),
    )


def _advanced_parameters(settings: Int8Settings):
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, OverflowFix

    extra = {}
    if settings.activation_ranges:
        extra["activations_range_estimator_params"] = _range_estimator(settings.activation_ranges)
    return AdvancedQuantizationParameters(overflow_fix=OverflowFix(settings.overflow_fix), **extra)


def _statistic_passes(aggregator, points, per_pass: int, reduced_per_pass: int | None = None) -> list:
    """NNCF's statistic points (a StatisticPointsContainer) split into the passes ``_collect_in_passes`` makes:
    the points that take a whole activation out of the network (a reducer NNCF cannot put inside it) at most
    ``per_pass`` activations a pass, every point of one activation in the same pass (NNCF takes it out once for
    all of them); the points reduced inside the network (min, max, means: small outputs, but each one more output of
    the statistics model, NAFNet-64's 1312 of them held at once) at most ``reduced_per_pass`` a pass, in graph order
    from the first pass on (MIMO-UNet's all in the first, as before)."""
    from nncf.common.tensor_statistics.statistic_point import StatisticPointsContainer

    reduced_per_pass = reduced_per_pass or REDUCED_STATISTICS_PER_PASS
    whole: dict[tuple[str, int], int] = {}  # the activation (producer, output) -> its pass
    reduced = 0
    placed = []
    for name, statistic_points in points.data.items():
        for point in statistic_points:
            reducers = [reducer for collectors in point.algorithm_to_tensor_collectors.values()
                        for collector in collectors for reducer in collector.reducers]
            if any(not reducer.inplace for reducer in reducers):
                producer, port, _ = aggregator._translate_to_post_layer_operation(point)
                index = whole.setdefault((producer, port), len(whole) // per_pass)
            else:
                index = reduced // reduced_per_pass
                reduced += 1
            placed.append((index, name, point))
    count = max(1, -(-len(whole) // per_pass), -(-reduced // reduced_per_pass))
    passes = [StatisticPointsContainer() for _ in range(count)]
    for index, name, point in placed:  # the points themselves, as NNCF merged them: nothing is merged again
        passes[index].data.setdefault(name, []).append(point)
    return passes


def _collect_in_passes(collect_statistics, per_pass: int, reduced_per_pass: int = REDUCED_STATISTICS_PER_PASS):
    """NNCF's OpenVINO statistics collection (OVStatisticsAggregator.collect_statistics) in passes over the
    calibration crops that each take at most ``per_pass`` whole activations out of the network.

    NNCF collects every statistic in one pass: a statistics model with an output per statistic, run crop by crop.
    A quantile (MAX_QUANTILE's ranges) is not reduced inside the network, so that model outputs every quantised
    activation whole, and OpenVINO's output buffers, NNCF's copies of them and its float64 quantile copies are held
    at once: MIMO-UNet's statistics pass peaked at 1423 MiB, +1000 MiB over its statistics model's compile (min/max
    ranges, reduced inside the network: +267 MiB). In passes of 44 (3 for MIMO-UNet) it peaked at 894 MiB
    (benchmarks/mimo_nncf_memory.py, RESULTS.md "Issue 21/26, 2026-12-07, session 15, nncf-memory"). Each statistic
    is registered with the same collector from the same crops' activations in the same order, whichever pass carries
    it, so the statistics, and the int8 model, are the same (MIMO-UNet's 1152 constants, bit for bit); a pass costs
    one more run of the network over the crops, and the quantiles, NNCF's slow part, are computed once as before.
    Statistics reduced inside the network (NAFNet's min/max ranges, the bias correction's means) are small, but each
    is one more output of the statistics model: NAFNet-64's 1312 held at once peaked its quantisation at 1890 MiB;
    at most ``reduced_per_pass`` a pass (7 passes) it peaked at 1394 MiB, the int8 model the same, constant for
    constant (tests/test_openvino_memory.py; RESULTS.md "Issue 26, 2026-12-07, session 15, nafnet-passes")."""

    def in_passes(self, model, graph) -> None:
        points = self.statistic_points
        self._name_to_node_mapping = {op.get_friendly_name(): op for op in model.get_ops()}
        passes = _statistic_passes(self, points, per_pass, reduced_per_pass)
        if len(passes) == 1:
            return collect_statistics(self, model, graph)
        try:
            for part in passes:
                self.statistic_points = part
                collect_statistics(self, model, graph)
        finally:
            self.statistic_points = points

    in_passes.collects_in_passes = per_pass
    in_passes.reduced_per_pass = reduced_per_pass
    return in_passes


def _statistics_in_passes() -> None:
    """NNCF's OpenVINO statistics collected in passes (``_collect_in_passes``) from now on in this process: the
    same statistics NNCF collects, in less memory. Installed once, by the first quantisation."""
    from nncf.openvino.statistics.aggregator import OVStatisticsAggregator

    installed = OVStatisticsAggregator.collect_statistics
    if (getattr(installed, "collects_in_passes", None), getattr(installed, "reduced_per_pass", None)) != (
            WHOLE_ACTIVATIONS_PER_PASS, REDUCED_STATISTICS_PER_PASS):
        original = getattr(installed, "original", installed)
        OVStatisticsAggregator.collect_statistics = _collect_in_passes(original, WHOLE_ACTIVATIONS_PER_PASS,
                                                                       REDUCED_STATISTICS_PER_PASS)
        OVStatisticsAggregator.collect_statistics.original = original


def quantize_int8(network, calibration: np.ndarray, settings: Int8Settings = Int8Settings(),
                  cancel: CancelCheck | None = None):
    """``network`` (an OpenVINO model) with int8 convolutions, calibrated on ``calibration``.

    ``calibration`` is an (N, 3, H, W) float32 array of blurry photos in [0, 1].
    Raises Int8Unavailable when NNCF is missing or the quantisation fails, Cancelled when
    ``cancel`` is set: it is checked before each calibration crop goes through the network,
    which is where NNCF spends most of its time (about 0.2 s per crop on a 2-core EPYC,
    after some 3 s of graph preparation that cannot be interrupted).
    """
    try:
        import nncf
    except ImportError as error:
        raise Int8Unavailable(reasons.reason(reasons.NNCF_IMPORT_FAILED, cause=error)) from None
    # NNCF logs a line per kept-float layer (hundreds) at INFO; the window's terminal and the
    # command line's output are no place for them, and its warnings still come through
    nncf.set_log_level(logging.WARNING)
    _statistics_in_passes()
    samples = [calibration[i : i + 1] for i in range(len(calibration))]

    def sample(crop: np.ndarray) -> np.ndarray:  # NNCF calls this as it feeds each crop to the network
        raise_if_cancelled(cancel)
        return crop

    try:
        # NNCF draws rich progress bars ("Statistics collection ━━━ 100%") on stdout, in the middle of
        # the command line's output and the window's terminal; the app says itself that it prepares
        # the int8 model. Only this call's output is swallowed (the CLI is single-threaded here;
        # the window's threads do not print).
        with contextlib.redirect_stdout(io.StringIO()):
            return nncf.quantize(
                network, nncf.Dataset(samples, sample),
                preset=nncf.QuantizationPreset(settings.preset),
                subset_size=min(settings.subset_size, len(samples)),
                fast_bias_correction=settings.fast_bias_correction,
                ignored_scope=nncf.IgnoredScope(patterns=list(settings.keep_float or ()), validate=False),
                advanced_parameters=_advanced_parameters(settings),
            )
    except Cancelled:
        raise
    except Exception as error:  # NNCF raises many kinds; under 'auto' the float path takes over
        raise Int8Unavailable(reasons.reason(reasons.QUANTISATION_FAILED, cause=reasons.first_line(error))) from None


class Int8Unavailable(OpenVinoUnavailable):
    """No int8 model: NNCF missing, no usable calibration file, or a failed quantisation."""


@dataclass(frozen=True)
class Int8Plan:
    """What the int8 model is made from: calibration crops (an .npz of `deblur-app train make-calibration`) and settings."""

    calibration: Path
    settings: Int8Settings = Int8Settings()


def shipped_int8_plan() -> Int8Plan:
    return Int8Plan(resource_path(*CALIBRATION_FILE))


def load_calibration(path: Path) -> np.ndarray:
    """The calibration crops as (N, 3, H, W) float32 in [0, 1]; Int8Unavailable if missing or malformed."""
    try:
        with np.load(path, allow_pickle=False) as data:
            crops = data["crops"]
    except (OSError, KeyError, ValueError) as error:
        raise Int8Unavailable(reasons.reason(reasons.UNUSABLE_CALIBRATION_FILE, path=path, cause=error)) from None
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[-1] != 3 or not len(crops):
        found = reasons.reason(reasons.MALFORMED_CALIBRATION_CROPS, found=f"{crops.dtype} {crops.shape}")
        raise Int8Unavailable(reasons.about(path, found))
    return np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


def int8_key(model: nn.Module, plan: Int8Plan, architecture: Architecture | None = None) -> str:
    """Names one int8 model: the weights (not the torch version), the calibration crops and the settings
    with the network's layer rules; Int8Unavailable for a network without int8 rules."""
    settings = plan.settings.for_network(architecture or _architecture(model))
    digest = hashlib.sha256(f"int8/{settings.digest()}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    try:
        digest.update(Path(plan.calibration).read_bytes())
    except OSError as error:
        raise Int8Unavailable(reasons.reason(reasons.NO_CALIBRATION_FILE, path=plan.calibration,
                                             cause=error.strerror or error)) from None
    return digest.hexdigest()[:20]


def int8_first_class(architecture: Architecture) -> str:
    """The shape class whose int8 model is made first (and whose file is unnamed): the one the shipped 160-pixel
    calibration crops belong to (MIMO-UNet: its only one; NAFNet: "global")."""
    classes = networks.export_classes(architecture)
    return "global" if "global" in classes else classes[0]


def _quantized_path(folder: Path, key: str, architecture: Architecture, shape_class: str | None = None) -> Path:
    """An int8 model's file: its shape class named, but for the first (a network with one export: its only one)."""
    if shape_class not in (None, int8_first_class(architecture)):
        key = f"{shape_class}-{key}"
    return folder / f"{architecture.key}-int8-{key}.xml"


def _is_complete(path: Path) -> bool:
    """Both files of a cached OpenVINO model are there (the .xml is moved into place last)."""
    return path.exists() and path.with_suffix(".bin").exists()


def _cached_int8_path(model: nn.Module, plan: Int8Plan | None, cache_dir: Path | None) -> Path:
    """Where the int8 model of these weights is cached; Int8Unavailable when no plan can be read."""
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    architecture = _architecture(model)
    return _quantized_path(folder, int8_key(model, plan or shipped_int8_plan(), architecture), architecture)


def int8_cached(model: nn.Module, plan: Int8Plan | None = None, cache_dir: Path | None = None) -> bool:
    """True when the int8 model for these weights is in the cache folder: no quantisation needed."""
    try:
        return _is_complete(_cached_int8_path(model, plan, cache_dir))
    except Int8Unavailable:
        return False


def int8_missing(model: nn.Module, plan: Int8Plan | None = None, cache_dir: Path | None = None) -> reasons.ReasonText:
    """Why no int8 model can be had here ("" if it can): NNCF makes it, unless it is cached already."""
    if importlib.util.find_spec("nncf") is not None:
        return ""
    try:
        cached = _cached_int8_path(model, plan, cache_dir).exists()
    except Int8Unavailable as error:
        return reasons.of(error)
    return "" if cached else reasons.reason(reasons.INT8_NEEDS_NNCF)


def quantized_network(core, network, model: nn.Module, folder: Path, plan: Int8Plan, cancel: CancelCheck | None = None,
                      shape_class: str | None = None, first=None, key: str | None = None,
                      before_quantising: Callable[[], object] | None = None):
    """The int8 model for these weights (and this shape class's export, None: the first): made on first use,
    then read from the cache folder.

    Only the first class (int8_first_class: the one the calibration crops belong to) is quantised by NNCF. Another
    class's export (NAFNet's TLC classes beyond its window) is the same network but for the pooling, so its int8
    model is the first class's, carried over (``transfer_int8``: the same FakeQuantize ranges, int8 weights and
    corrected biases on the layers both exports have), with no NNCF calibration of its own: NNCF's statistics of
    NAFNet-64's "local" export on 416-pixel images peaked at 6.2 GB, and a 12 MP photo has 1.5 GB. ``first``: the
    first class's int8 model where the caller has it (else read from the cache or quantised). ``key``: the int8 key
    (int8_key) where the caller took it already (``model``'s weights may be gone since). ``before_quantising``: called
    just before NNCF quantises (not for a cached or carried-over model): the caller lets torch's weights go, which
    NNCF's peak (the statistics pass: NAFNet-64 2155 MiB, torch's 259 MiB of it) need not stack on.

    A cancelled quantisation raises Cancelled before anything is written; the pair of files
    is written in a temporary folder and moved into place, the .xml last, so a reader never
    sees half a model, even after a crash.
    """
    architecture = _architecture(model)
    first_class = int8_first_class(architecture)
    shape_class = shape_class or first_class
    key = key or int8_key(model, plan, architecture)
    path = _quantized_path(folder, key, architecture, shape_class)
    prune_cached_models(folder, path, kept=max(KEPT_EXPORTS, len(networks.export_classes(architecture))),
                        family=lambda name: name.startswith(f"{architecture.key}-int8-"))
    if _is_complete(path):
        os.utime(path)
        return core.read_model(str(path))
    if shape_class != first_class:
        if first is None:
            first_network = core.read_model(str(exported_ir(model, folder, architecture, first_class, in_child=True,
                                                            cancel=cancel)))
            first = quantized_network(core, first_network, model, folder, plan, cancel, first_class, key=key,
                                      before_quantising=before_quantising)
        raise_if_cancelled(cancel)
        quantized = transfer_int8(first, network.clone())
    else:
        if before_quantising is not None:
            before_quantising()
        quantized = quantize_int8(network.clone(), load_calibration(plan.calibration),
                                  plan.settings.for_network(architecture), cancel)
    import openvino

    temp = Path(tempfile.mkdtemp(prefix=".int8.", dir=folder))
    try:
        openvino.save_model(quantized, str(temp / "model.xml"), compress_to_fp16=False)
        os.replace(temp / "model.bin", path.with_suffix(".bin"))
        os.replace(temp / "model.xml", path)  # last: its presence means the pair is complete
    except OSError as error:
        raise Int8Unavailable(reasons.reason(reasons.CANNOT_CACHE_INT8, folder=folder,
                                             cause=error.strerror or error)) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return quantized


# the exporter's names (the module paths of the traced network) are the same in every export of a network; the
# names OpenVINO makes up for helper nodes (Reshape_228) are not, and are never matched
_EXPORTED_NAME = "/"


@dataclass(frozen=True)
class Int8Transfer:
    """What ``transfer_int8`` carried over: FakeQuantize nodes inserted, constant inputs (int8 weights, biases)
    taken from the int8 model, and the int8 model's activation FakeQuantizes that had no place in the float
    export (their producer or every consumer missing there: NAFNet's global pooling)."""

    fake_quantizes: int
    constants: int
    unplaced: tuple[str, ...]


def transfer_int8(quantized, network, report: list | None = None):
    """``network`` (a float OpenVINO model: another export of the same network) quantised as ``quantized`` (an int8
    model NNCF made of one export), without calibrating it: every node of ``network`` named as one of
    ``quantized`` reads what that one reads there, by name:
    - an activation's FakeQuantize (NNCF's, on a producer's output) where ``quantized`` has it between the same
      producer and the same consumer; a consumer that reads the producer unquantised there, or that ``quantized``
      lacks (NAFNet's local pooling), reads it as it is, in float;
    - a constant input (weights: int8 and their scales; biases as NNCF's bias correction left them) where both
      read a constant of the same shape.
    Layers only ``network`` has stay float. Returns ``network``, changed in place; ``report`` gets an
    Int8Transfer. Int8Unavailable where nothing could be carried over (not the same network)."""
    import openvino as ov

    ops = {op.get_friendly_name(): op for op in quantized.get_ordered_ops() if _exported(op)}
    variable, twin_variable = _variable_nodes(network), _variable_nodes(quantized)
    placed: dict[tuple[str, int, str], object] = {}  # (producer, output, NNCF's FakeQuantize) -> its copy here
    used: set[str] = set()
    constants = 0
    for node in list(network.get_ordered_ops()):
        twin = ops.get(node.get_friendly_name())
        if twin is None or twin.get_type_name() != node.get_type_name() or node.get_type_name() == "Constant":
            continue
        for port in range(min(node.get_input_size(), twin.get_input_size())):
            source, twin_source = node.input_value(port), twin.input_value(port)
            if twin_source.get_node().get_name() not in twin_variable:
                if (source.get_node().get_name() not in variable and source.get_partial_shape() == twin_source.get_partial_shape()
                        and source.get_element_type() == twin_source.get_element_type()):
                    node.input(port).replace_source_output(twin_source)
                    constants += 1
                continue
            fake = twin_source.get_node()
            if fake.get_type_name() != "FakeQuantize":
                continue
            producer = fake.input_value(0)
            if (producer.get_node().get_friendly_name() != source.get_node().get_friendly_name()
                    or producer.get_index() != source.get_index()):
                continue  # another tensor here (the sca conv reads the local means, not the global ones): float
            key = (source.get_node().get_friendly_name(), source.get_index(), fake.get_friendly_name())
            if key not in placed:
                placed[key] = ov.opset13.fake_quantize(source, *(fake.input_value(i) for i in range(1, 5)),
                                                        fake.get_attributes()["levels"])
                placed[key].set_friendly_name(fake.get_friendly_name())
            node.input(port).replace_source_output(placed[key].output(0))
            used.add(fake.get_friendly_name())
    if not placed and not constants:
        raise Int8Unavailable(reasons.reason(reasons.QUANTISATION_FAILED, cause="no layer in common with the int8 model"))
    network.validate_nodes_and_infer_types()
    if report is not None:
        unplaced = sorted(op.get_friendly_name() for op in quantized.get_ordered_ops()
                          if op.get_type_name() == "FakeQuantize" and op.get_name() in twin_variable
                          and op.get_friendly_name() not in used)
        report.append(Int8Transfer(len(placed), constants, tuple(unplaced)))
    return network


def _exported(op) -> bool:
    return op.get_friendly_name().startswith(_EXPORTED_NAME)


def _variable_nodes(model) -> set[str]:
    """The unique names of the nodes that depend on the input (the others are computed from constants alone:
    weights and their int8 decompression, a bias and its reshape), in one pass over the ordered graph."""
    variable: set[str] = set()
    for op in model.get_ordered_ops():
        if op.get_type_name() == "Parameter" or any(op.input_value(i).get_node().get_name() in variable
                                                   for i in range(op.get_input_size())):
            variable.add(op.get_name())
    return variable


# ---------------------------------------------------------------- measured verdicts


def verdict_files() -> list[Path]:
    """Shipped measurements first, then the user's own (`deblur-app weights check`, the window's background check)."""
    return [resource_path(*VERDICTS_FILE), user_verdicts_file()]


def user_verdicts_file() -> Path:
    return user_data_dir() / "int8-verdicts.json"


def find_int8_verdict(model: nn.Module, plan: Int8Plan | None = None) -> Int8Verdict | None:
    """The measured effect of int8 on these weights, if anyone measured it; None otherwise."""
    plan = plan or shipped_int8_plan()
    try:
        key = int8_key(model, plan)
    except Int8Unavailable:
        return None
    return _find_verdict(key, "int8")


def verdict_key(model: nn.Module, path: str) -> str:
    """Names the verdict of one fast path ("openvino-bf16", choices.FAST_PATHS) for these weights: int8's is
    its int8 model's key (the weights, calibration crops and layer rules); the others' the path and the
    weights alone (not the torch or OpenVINO version: a new runtime keeps the verdict). Int8Unavailable
    where the network has no int8 path."""
    if path.endswith("-int8"):
        return int8_key(model, shipped_int8_plan())
    digest = hashlib.sha256(f"verdict/{path}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


def find_verdict(model: nn.Module, path: str) -> PathVerdict | None:
    """The measured effect of a fast path on these weights (shipped, or the user's own), if any."""
    if path.endswith("-int8"):
        return find_int8_verdict(model)
    return _find_verdict(verdict_key(model, path), path.rsplit("-", 1)[-1])


def _find_verdict(key: str, precision: str) -> PathVerdict | None:
    found = None
    for path in verdict_files():  # the user's own measurement, read last, wins
        record = _read_verdicts(path).get(key)
        if isinstance(record, dict):
            try:
                # records from before check sets measured one photo: they do not qualify (choices.PathVerdict);
                # records from before the per-pixel bound (no "pixel_error") are no verdict: measured again
                found = PathVerdict(float(record["hd_agreement_db"]), float(record["validation_change_db"]),
                                    int(record.get("check_photos", 1)), str(record.get("worst_photo", "")),
                                    str(record.get("precision", precision)), float(record["pixel_error"]),
                                    str(record.get("pixel_worst_photo", "")))
            except (KeyError, TypeError, ValueError):
                continue
    return found


def _read_verdicts(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_path_verdict(path: Path, key: str, verdict: PathVerdict, details: dict) -> None:
    """Add one measurement (of any fast path: ``verdict.precision``) to a verdicts file (written atomically)."""
    data = _read_verdicts(path)
    data[key] = {"hd_agreement_db": round(verdict.hd_agreement_db, 2),
                 "validation_change_db": round(verdict.validation_change_db, 4),
                 "check_photos": verdict.photos, "worst_photo": verdict.worst_photo,
                 **({"pixel_error": round(verdict.pixel_error, 4), "pixel_worst_photo": verdict.pixel_worst_photo}
                    if verdict.pixel_error is not None else {}),
                 **({"precision": verdict.precision} if verdict.precision != "int8" else {}), **details}
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, path)

record_int8_verdict = record_path_verdict  # its name from when int8 was the only path with verdicts


# ---------------------------------------------------------------- which path is fastest here


def _timing_key(model: nn.Module, paths: tuple[str, ...], features: frozenset[str]) -> str:
    from . import fastest

    weights = weights_digest(model)
    if "int8" in paths:  # the int8 model timed is named by its layer rules and calibration too: new rules time again
        try:
            weights += f" int8 {int8_key(model, shipped_int8_plan())}"
        except Int8Unavailable:
            pass  # no int8 model can be made: nothing of it was timed
    return fastest.timing_key(weights, paths, fastest.cpu_identity(features), fastest.runtime_version())


def measured_paths(model: nn.Module, paths: tuple[str, ...], features: frozenset[str],
                   cache_dir: Path | None = None) -> dict[str, float] | None:
    """The seconds per path measured for these weights on this CPU (``features``: devices.cpu_features())
    and runtime (fastest.py), if any."""
    from . import fastest

    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    timings = fastest.load_timings(folder, _timing_key(model, paths, features))
    return timings if timings is not None and set(paths) <= set(timings) else None


def remember_paths(model: nn.Module, paths: tuple[str, ...], timings: dict[str, float], features: frozenset[str],
                   cache_dir: Path | None = None) -> None:
    from . import fastest

    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    fastest.store_timings(folder, _timing_key(model, paths, features), timings, {
        "cpu": fastest.cpu_identity(features), "runtime": fastest.runtime_version(),
        "frame": "x".join(map(str, fastest.TIMING_FRAME)),
    })
