"""Loading and saving the weights of any registry network, treating every file as untrusted.

Accepted: a state dict saved bare or under ``model`` (MIMO-UNet's release), ``state_dict``,
``params`` or ``params_ema`` (BasicSR: NAFNet's release), and this project's float16
safetensors with metadata. Pickles are only ever read with ``weights_only=True``, which refuses
to build arbitrary objects, so a malicious file cannot run code.

The network is identified by the file's keys, never its name (a NAFNet file renamed
``MIMO-UNet.pkl`` is NAFNet), its configuration read from the shapes, and every key and shape
is checked against the network built from that configuration before the file is used.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import reasons
from . import filekinds, networks
from .registry import VARIANTS, Architecture, Variant, variant_for

SAFETENSORS_SUFFIX = ".safetensors"
# where BasicSR-style files (and MIMO-UNet's) keep the state dict, in the order looked at
STATE_DICT_ENTRIES = ("model", "state_dict", "params", "params_ema")
# key fragments of the upsampling tails of common super-resolution networks (ESRGAN, SwinIR, EDSR,
# NAFSSR, HAT...): such a file enlarges images, and this app restores them at their own size
_UPSAMPLER = re.compile(r"(^|\.)(upsample|upsampler|upconv\d*|conv_up\d*|up|tail|conv_before_upsample|"
                        r"conv_hr|pixel_shuffle|pixelshuffle)\.")


# torch's weights-only reader warns on stderr of every pickle of protocol 3 or later (torch.save writes 2); such a
# file is refused in our own line (_read_torch_pickle), and a warning on the terminal is no message of the app
warnings.filterwarnings("ignore", message=r"Detected pickle protocol \d+ in the checkpoint", category=UserWarning)
# the protocols torch's weights-only reader reads: 4 and 5 frame their data (opcode FRAME), which it refuses
SAFE_LOADER_PROTOCOLS = range(2, 4)


class CheckpointError(Exception):
    """A weights file that cannot be used; str() is one line naming the file."""


def _refused(path: Path, template: str, **fields: object) -> CheckpointError:
    """The error for ``path`` with a reason of the catalogue (deblur_app/reasons.py): "<path>: <reason>"."""
    return CheckpointError(reasons.about(path, reasons.reason(template, **fields)))


@dataclass
class Checkpoint:
    path: Path
    variant: Variant  # the named network it counts as (see registry.variant_for)
    state_dict: dict[str, torch.Tensor]
    metadata: dict[str, str] = field(default_factory=dict)
    config: dict[str, object] = field(default_factory=dict)  # read from the shapes; builds the network
    published_config: bool = True  # False: a width or block counts no published variant has

    @property
    def architecture(self) -> Architecture:
        return architecture_of_variant(self.variant)

    @property
    def display_name(self) -> str:
        if self.published_config:
            return self.variant.display_name
        settings = ", ".join(f"{k} {v}" for k, v in self.config.items() if k not in ("img_channel", "inp_channels",
                                                                                  "out_channels"))
        return f"{self.architecture.display_name} ({settings})"

    @property
    def provenance(self) -> str:
        if self.metadata.get("trained_by"):
            return self.metadata["trained_by"]
        if self.path.name == self.variant.published_file:
            trained_on = self.variant.published.training_data if self.variant.published else "GoPro"
            return f"published weights of the paper ({trained_on})"
        return "unknown origin"

    def build(self, lean_fusion: bool = False) -> torch.nn.Module:
        """The network with these weights, for inference (lean_fusion: MIMO-UNet's, see mimo_unet.AFF)."""
        model = networks.build(self.architecture, self.config or self.variant.config_dict)
        # the checkpoint's own tensors, not copies (no second copy of the weights while both are held); an engine
        # that lets its weights go while OpenVINO runs replaces its parameters, never these tensors
        model.load_state_dict(self.state_dict, strict=True, assign=True)
        if hasattr(model, "lean_fusion"):
            model.lean_fusion = lean_fusion
        return model.eval()


def architecture_of_variant(variant: Variant) -> Architecture:
    from .registry import ARCHITECTURES

    return ARCHITECTURES[variant.architecture]


def read_state_dict(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read tensors and metadata from a file, without building a model."""
    path = Path(path)
    if not path.exists():
        raise _refused(path, reasons.not_found_template(path))
    if path.is_dir():
        raise _refused(path, reasons.CHECKPOINT_IS_A_FOLDER)
    if not path.is_file():  # /dev/zero read as "empty" (size 0), a pipe blocked the read for ever
        raise _refused(path, reasons.WEIGHTS_NOT_A_REGULAR_FILE)
    try:  # before any reader: torch's gave a traceback, safetensors' said "No such file or directory"
        with open(path, "rb"):
            pass
    except PermissionError:
        raise _refused(path, reasons.CANNOT_READ_PERMISSION) from None
    except OSError as error:
        raise _refused(path, reasons.CANNOT_READ, cause=error.strerror or reasons.first_line(error)) from None
    if path.stat().st_size == 0:
        raise _refused(path, reasons.CHECKPOINT_EMPTY)
    if _looks_like_safetensors(path):
        return _read_safetensors(path)
    return _read_torch_pickle(path), {}


def _looks_like_safetensors(path: Path) -> bool:
    if path.suffix == SAFETENSORS_SUFFIX:
        return True
    with open(path, "rb") as handle:
        head = handle.read(9)
    # 8-byte little-endian header length, then the JSON header
    return len(head) == 9 and head[8:9] == b"{"


def architecture_in_header(path: Path | str) -> Architecture | None:
    """The architecture of a safetensors file told by its header's tensor names alone (a millisecond: no tensor is
    read), for refusing an option the network cannot honour before the weights load (--save-scales with --weights
    alone); None for a file that is no safetensors or whose header does not tell: loading it says why."""
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 2 <= size <= 100_000_000:
                return None
            header = json.loads(handle.read(size))
    except (OSError, ValueError):
        return None
    return networks.recognise(set(header) - {"__metadata__"}) if isinstance(header, dict) else None


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    try:
        tensors: dict[str, torch.Tensor] = {}
        with safe_open(str(path), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
            for key in handle.keys():
                tensors[key] = handle.get_tensor(key).float()
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        another_kind = _another_kind(path)  # a photo renamed .safetensors is named as one, as in _unreadable
        if another_kind is not None:
            raise another_kind from None
        raise _refused(path, reasons.NOT_READABLE_SAFETENSORS, cause=reasons.first_line(error)) from None
    return tensors, metadata


def _another_kind(path: Path) -> CheckpointError | None:
    """"<file>: not a weights file but a PNG image" where the first bytes say what ``path`` is (model/filekinds.py);
    None where they do not. The one step every reader takes after its own reader failed (safetensors, torch), and
    the only place a weights file of the user's is called another kind of file (the store asks no question of its
    own: weights/store.py)."""
    kind = filekinds.other_kind(path)
    return None if kind is None else _refused(path, reasons.ANOTHER_KIND_OF_FILE, kind=kind)


def _unpickler_problem(text: str) -> str:
    """What torch's weights-only unpickler found, without the advice around it ("Unsupported operand 120")."""
    _advice, found, rest = text.partition("WeightsUnpickler error:")
    problem = next((line.strip() for line in rest.splitlines() if line.strip()), "") if found else ""
    return problem[:200] or text.strip().splitlines()[0][:200]


def _pickle_protocol(path: Path) -> int | None:
    """The protocol of the pickle in ``path`` (a bare pickle, or torch's zip with its data.pkl), None when it is no
    pickle: torch's reader stops at protocol 4's first opcode, whatever the file holds (code or tensors)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = next((name for name in archive.namelist() if name.endswith("data.pkl")), None)
                if member is None:
                    return None
                with archive.open(member) as handle:
                    head = handle.read(2)
        else:
            with open(path, "rb") as handle:
                head = handle.read(2)
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    is_pickle = len(head) == 2 and head[0] == pickle.PROTO[0] and 2 <= head[1] <= 5  # PROTO, then its number
    return head[1] if is_pickle else None


def _read_torch_pickle(path: Path) -> dict[str, torch.Tensor]:
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any decoder failure is a bad file, said in one line
        raise _unreadable(path, error) from None
    return _unwrap(path, loaded)


def _unreadable(path: Path, error: Exception) -> CheckpointError:
    """Why torch's weights-only reader refused ``path``: code in it, a pickle protocol it cannot read, a file of
    another kind (named for what it is: a PNG is "Unsupported operand 80" to torch), a cut file, or torch's words."""
    message = reasons.first_line(error)
    if isinstance(error, pickle.UnpicklingError):
        # torch's message starts with advice ("Weights only load failed ...", whatever failed) and names a refused
        # global later; any other failure (random bytes: "Unsupported operand 120") is no checkpoint, not code
        if any(sign in str(error) for sign in ("Unsupported global", "GLOBAL")):
            return _refused(path, reasons.REFUSED_PYTHON_OBJECTS)
        protocol = _pickle_protocol(path)
        if protocol is not None and protocol not in SAFE_LOADER_PROTOCOLS:  # a pickle, in a protocol torch refuses
            return _refused(path, reasons.UNSAFE_PICKLE_PROTOCOL, protocol=protocol)
        message = _unpickler_problem(str(error))
    another_kind = _another_kind(path)
    if another_kind is not None:
        return another_kind
    if isinstance(error, (zipfile.BadZipFile, EOFError)):
        return _refused(path, reasons.TRUNCATED_CHECKPOINT, cause=message)
    if isinstance(error, RuntimeError):
        if "legacy .tar format" in message:  # torch < 1.6's format, which only a full unpickling reads
            return _refused(path, reasons.LEGACY_TAR_CHECKPOINT)
        if "zip" in message.lower() or "central directory" in message.lower():
            return _refused(path, reasons.TRUNCATED_CHECKPOINT, cause=_zip_problem(message))
        return _refused(path, reasons.CANNOT_READ_CHECKPOINT, cause=message)
    return _refused(path, reasons.NOT_A_PYTORCH_CHECKPOINT, cause=message)


def _zip_problem(message: str) -> str:
    """torch's words for a broken zip checkpoint, without its miniz boilerplate (which the 200-character cut ended
    mid-sentence): a zip without its central directory, the archive's end, is a file cut short."""
    if "central directory" in message:
        return "its zip archive has no end: an incomplete download or copy"
    return message.split(". This is an internal miniz error")[0]


def _unwrap(path: Path, loaded: object) -> dict[str, torch.Tensor]:
    if isinstance(loaded, dict):
        for key in STATE_DICT_ENTRIES:
            if key in loaded and isinstance(loaded[key], dict):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not loaded:
        raise _refused(path, reasons.NO_STATE_DICT)
    tensors = {}
    for key, value in loaded.items():
        if not isinstance(value, torch.Tensor):
            raise _refused(path, reasons.ENTRY_NOT_A_TENSOR, key=repr(key))
        tensors[key.removeprefix("module.")] = value.float()
    return tensors


def identify(state_dict: dict[str, torch.Tensor], path: Path | str = "weights") -> tuple[Architecture, dict]:
    """The architecture (by its keys) and configuration (by the shapes) of a state dict."""
    architecture = networks.recognise(state_dict)
    if architecture is None:
        sample = ", ".join(list(state_dict)[:3])
        if any(_UPSAMPLER.search(key) for key in state_dict):
            raise _refused(path, reasons.SUPER_RESOLUTION_MODEL, keys=sample)
        from .registry import ARCHITECTURES

        known = ", ".join(a.display_name for a in ARCHITECTURES.values())
        raise _refused(path, reasons.UNKNOWN_NETWORK, known=known, keys=sample)
    try:
        config = networks.config_from_shapes(architecture, {k: tuple(v.shape) for k, v in state_dict.items()})
    except (KeyError, IndexError, ValueError, ZeroDivisionError) as error:
        incomplete = reasons.reason(reasons.INCOMPLETE_WEIGHTS, network=architecture.display_name, cause=reasons.first_line(error))
        raise CheckpointError(reasons.about(path, incomplete)) from None
    why = networks.unusable(architecture, config)
    if why is not None:
        raise _refused(path, reasons.UNUSABLE_CONFIGURATION, network=architecture.display_name, cause=why)
    return architecture, config


def detect_variant(state_dict: dict[str, torch.Tensor], path: Path | str = "weights") -> Variant:
    architecture, config = identify(state_dict, path)
    return variant_for(architecture.key, config, Path(path).name)[0]


def check_architecture(state_dict: dict[str, torch.Tensor], architecture: Architecture, config: dict,
                       path: Path | str, name: str) -> None:
    """Every key and shape of the network built from ``config``, and no other key."""
    try:
        expected = networks.build(architecture, config).state_dict()
    except (TypeError, ValueError, RuntimeError) as error:
        raise _refused(path, reasons.UNUSABLE_CONFIGURATION, network=name, cause=reasons.first_line(error)) from None
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(reasons.reason(reasons.MISSING_KEYS, count=len(missing), keys=", ".join(missing[:3])))
        if unexpected:
            parts.append(reasons.reason(reasons.UNEXPECTED_KEYS, count=len(unexpected), keys=", ".join(unexpected[:3])))
        raise _refused(path, reasons.NOT_A_NETWORK_CHECKPOINT, network=name, problems=reasons.joined(*parts))
    for key, tensor in expected.items():
        if tuple(state_dict[key].shape) != tuple(tensor.shape):
            wrong = reasons.reason(reasons.WRONG_SHAPE, key=key, found=tuple(state_dict[key].shape),
                                               expected=tuple(tensor.shape), network=name)
            raise CheckpointError(reasons.about(path, wrong))


def _refuse_non_finite(state_dict: dict[str, torch.Tensor], path: Path) -> None:
    """A weight that is NaN or infinite (a training run that diverged, a damaged file) makes every output pixel NaN,
    which the encoder writes as black: refused here, naming the first such entry, not a black photo saved as the
    result. One pass over the weights (NAFNet-64's 68 M: tens of milliseconds)."""
    for key, tensor in state_dict.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise _refused(path, reasons.NON_FINITE_WEIGHTS, key=key)


def load_checkpoint(path: Path | str, expected_variant: str | None = None, file_name: str | None = None) -> Checkpoint:
    """Read, identify and validate a weights file. Raises CheckpointError.

    ``expected_variant``: the file must hold that variant's network (its architecture and
    configuration); it then counts as that variant even where another shares the configuration.
    ``file_name``: the name that tells such variants apart (default: the file's own; an install
    reads a staged copy of a file whose name is the user's).
    """
    path = Path(path)
    state_dict, metadata = read_state_dict(path)
    architecture, config = identify(state_dict, path)
    _refuse_non_finite(state_dict, path)
    variant, published = variant_for(architecture.key, config, file_name or path.name)
    if expected_variant is not None:
        wanted = VARIANTS[expected_variant]
        if (wanted.architecture, wanted.config_dict) != (architecture.key, config):
            held = variant.display_name if published else reasons.reason(reasons.UNPUBLISHED_CONFIGURATION,
                network=architecture.display_name)
            raise _refused(path, reasons.HOLDS_OTHER_WEIGHTS, held=held, wanted=wanted.display_name)
        variant = wanted
    checkpoint = Checkpoint(path=path, variant=variant, state_dict=state_dict, metadata=metadata,
                            config=config, published_config=published)
    check_architecture(state_dict, architecture, config, path, checkpoint.display_name)
    return checkpoint


def save_checkpoint(path: Path | str, model_or_state: torch.nn.Module | dict, metadata: dict[str, object]) -> Path:
    """Write this project's format: float16 safetensors with string metadata, atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    state = model_or_state.state_dict() if isinstance(model_or_state, torch.nn.Module) else model_or_state
    tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in state.items()}
    text_metadata = {k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        save_file(tensors, temp_name, metadata=text_metadata)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
