"""The first use's OpenVINO export (the ONNX export of the torch network and its conversion to IR,
openvino_backend.exported_ir) in a process of its own.

In the app's own process the export could not be stopped (a cancelled run, or a network switch in the window,
waited minutes behind it), it held the GIL against the window's GUI thread (up to 6.6 s: Restormer motion, load 35),
and it left 53-147 MB in the process that a cached run never has (benchmarks/RESULTS.md, #21 session 18). A child
process is killed the moment a cancel is seen (polled every CANCEL_POLL_S), competes for no lock of the parent's,
and gives everything it allocated back when it ends.

The child is started by multiprocessing's spawn (a fork beside the window's threads could inherit a held lock; the
frozen build's entry script calls freeze_support first, as jobs/scan.py's pool needs). It is handed plain data only,
never a pickled object: the parent writes into a private temporary folder in the cache folder what the registry
rebuilds the network from (NETWORK_FILE, JSON: the architecture's key, the configuration, the settings a built
network holds beside it, networks.export_settings) and its weights as a safetensors state dict (WEIGHTS_FILE: each
tensor written from its own memory, channels-last ones as they lie, no copy of the weights in the parent), or, where
the engine let torch's weights go, the child reads them from the engine's own file. The child rebuilds the network
(networks.rebuilt), loads the weights strictly, exports into that folder, and sends its outcome back as JSON. Only
after it succeeded does the parent move the IR pair into the cache, the .bin first and the .xml last
(openvino_backend._is_complete): a killed or failed child leaves nothing a reader would take for an export. A child
whose parent dies ends too.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .. import reasons
from ..model import networks
from ..model.registry import ARCHITECTURES, Architecture
from .progress import CancelCheck, Cancelled

CANCEL_POLL_S = 0.1
NETWORK_FILE = "network.json"  # what rebuilds the network (write_network)
WEIGHTS_FILE = "weights.safetensors"  # its weights, where the child does not read them from the engine's file
TEMP_PREFIX = ".export-"
_DONE, _UNAVAILABLE, _OS_ERROR = "done", "unavailable", "os-error"
_log = logging.getLogger(__name__)


class ExportFailed(Exception):
    """The export failed, with its one-line reason (openvino_backend raises it again as OpenVinoUnavailable)."""


def export_in_child(model: nn.Module, xml: Path, architecture: Architecture, shape_class: str, digest: str,
                    cancel: CancelCheck | None = None, weights_file: Path | None = None, *,
                    export_here: Callable[..., Path]) -> Path:
    """``model`` exported to the IR ``xml`` (exported_ir's file in the cache folder) by a child process, which rebuilds
    it from plain data (write_network, read_network) and calls ``export_here(model, folder, architecture,
    shape_class, digest, weights_file)`` (a module-level function: it reaches the child by name, so this module
    imports nothing of the exporter's and the two stay one way round).

    ``weights_file``: the child reads the weights from there (the engine's file, checked against ``digest``), and
    ``model`` may have let its own go (Deblurrer.release_torch_weights: its parameters on the meta device): the
    parent then holds no copy of them beside the child's (NAFNet-64: 259 MiB), only the network's skeleton.

    Raises Cancelled (the child killed, nothing cached) when ``cancel`` is set, ExportFailed with the
    child's one-line reason where the export failed, or where the child ended without a result (killed, out of
    memory), and OSError where the cache folder cannot take the files (as the export in this process did)."""
    xml.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(xml.parent)
    temp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=xml.parent))
    child = None
    try:
        write_network(model, architecture, temp, with_weights=weights_file is None)
        context = multiprocessing.get_context("spawn")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(target=_export, name="deblur-app export", daemon=True,
                                args=(str(temp), shape_class, digest, str(weights_file) if weights_file is not None
                                      else "", sending, export_here))
        child.start()
        sending.close()  # the child's end: the parent sees EOF once the child is gone
        _log.info("exporting %s (%s) in process %d", architecture.key, shape_class, child.pid)
        outcome = _outcome(child, receiving, cancel)
        if outcome is None:
            child.join()
            raise ExportFailed(reasons.reason(reasons.ONNX_EXPORT_FAILED, cause=_ended(child.exitcode)))
        kind, value = outcome
        if kind == _UNAVAILABLE:
            raise ExportFailed(reasons.from_plain(value))
        if kind == _OS_ERROR:
            raise OSError(*value)
        built = temp / value
        os.replace(built.with_suffix(".bin"), xml.with_suffix(".bin"))
        os.replace(built, xml)  # last: its presence means the pair is complete
        return xml
    finally:
        if child is not None:
            if child.is_alive():
                child.kill()
            child.join()
        shutil.rmtree(temp, ignore_errors=True)


def write_network(model: nn.Module, architecture: Architecture, folder: Path, with_weights: bool) -> None:
    """What the export's process rebuilds ``model`` from (read_network), as plain data in ``folder``: NETWORK_FILE
    and, ``with_weights``, WEIGHTS_FILE. A weight in channels-last layout (the engine's convolutions) is stored as it
    lies, its dimensions in that order (listed under "channels_last"), so safetensors writes it from its own memory
    as it does every contiguous tensor: the parent makes no copy of the weights. ExportFailed where safetensors
    cannot store them."""
    from safetensors.torch import save_file

    channels_last = []
    if with_weights:
        stored = {}
        for name, tensor in model.state_dict().items():
            if not tensor.is_contiguous() and tensor.dim() == 4 \
                    and tensor.is_contiguous(memory_format=torch.channels_last):
                stored[name] = tensor.permute(0, 2, 3, 1)
                channels_last.append(name)
            else:
                stored[name] = tensor.contiguous()  # itself where it is contiguous already
        try:
            save_file(stored, folder / WEIGHTS_FILE)
        except OSError:
            raise
        except Exception as error:  # meta tensors (weights let go), shared ones: safetensors' own errors
            raise ExportFailed(reasons.reason(reasons.ONNX_EXPORT_FAILED, cause=reasons.first_line(error))) from None
        del stored
    description = {"architecture": architecture.key, "config": networks.configuration(architecture, model),
                   "settings": networks.export_settings(architecture, model),
                   "export_tag": networks.export_tag(architecture, model), "channels_last": channels_last}
    (folder / NETWORK_FILE).write_text(json.dumps(description), encoding="utf-8")


def read_network(folder: Path, with_weights: bool) -> tuple[nn.Module, Architecture]:
    """The network write_network described in ``folder``, rebuilt from the registry (networks.rebuilt) with its
    settings and, ``with_weights``, WEIGHTS_FILE's weights loaded strictly (else still on the meta device: the
    caller assigns them). Nothing is unpickled: JSON and safetensors. RuntimeError where the network rebuilt is not
    the one described (its export tag differs) or the weights do not fit it."""
    from safetensors.torch import load_file

    description = json.loads((folder / NETWORK_FILE).read_text(encoding="utf-8"))
    architecture = ARCHITECTURES[description["architecture"]]
    model = networks.rebuilt(architecture, _tuples(description["config"]), description["settings"])
    tag = networks.export_tag(architecture, model)
    if tag != description["export_tag"]:
        raise RuntimeError(f"the network rebuilt for the export is {tag}, not {description['export_tag']}")
    if with_weights:
        state = load_file(folder / WEIGHTS_FILE)
        for name in description["channels_last"]:
            state[name] = state[name].permute(0, 3, 1, 2)
        model.load_state_dict(state, strict=True, assign=True)
    return model, architecture


def _tuples(value):
    """JSON's lists as the tuples a configuration holds (NAFNet's block counts, Restormer's heads)."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _remove_abandoned(folder: Path) -> None:
    """The temporary folders of exports whose app process is gone (killed before it could tidy up: the weights file
    in one is as large as the weights); a folder of a process still running is its own."""
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        pid = temp.name[len(TEMP_PREFIX):].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            shutil.rmtree(temp, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (PermissionError): running
        return True
    return True


def _outcome(child, receiving, cancel: CancelCheck | None):
    """The child's (kind, value), or None where it ended without one; Cancelled (the child killed) on a cancel."""
    try:
        while True:
            if receiving.poll(CANCEL_POLL_S):
                try:
                    return tuple(json.loads(receiving.recv_bytes()))
                except (EOFError, ValueError):
                    return None
            if cancel is not None and cancel.is_set():
                child.kill()
                raise Cancelled("cancelled")
            if not child.is_alive() and not receiving.poll():
                return None
    finally:
        receiving.close()


def _ended(exitcode: int | None) -> reasons.Reason:
    """Why a child gave no result, on one line."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return reasons.reason(reasons.EXPORT_PROCESS_KILLED_OUT_OF_MEMORY if -exitcode == signal.SIGKILL
                              else reasons.EXPORT_PROCESS_KILLED, signal=name)
    return reasons.reason(reasons.EXPORT_PROCESS_ENDED, code=exitcode)


def _export(folder: str, shape_class: str, digest: str, weights_file: str, sending,
            export_here: Callable[..., Path]) -> None:
    """The child: the network described in ``folder`` exported there (exported_from); its outcome sent to the
    parent as JSON."""
    # Ctrl+C in a terminal reaches the whole process group: the parent stops the child, which prints no traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    outcome = exported_from(Path(folder), shape_class, digest, Path(weights_file) if weights_file else None,
                            export_here)
    sending.send_bytes(json.dumps(outcome).encode("utf-8"))
    sending.close()


def exported_from(folder: Path, shape_class: str, digest: str, weights_file: Path | None,
                  export_here: Callable[..., Path]) -> list:
    """What the child does: the network read from ``folder`` (read_network; its weights from ``weights_file`` where
    one is named) exported there by ``export_here``; its outcome as plain data: [kind, value]."""
    try:
        model, architecture = read_network(folder, with_weights=weights_file is None)
        xml = export_here(model, folder, architecture, shape_class, digest, weights_file)
        return [_DONE, xml.name]
    except ExportFailed as error:
        return [_UNAVAILABLE, reasons.as_plain(reasons.of(error))]
    except OSError as error:
        filename = error.filename
        filename = os.fsdecode(filename) if isinstance(filename, (bytes, os.PathLike)) else filename
        filename = filename if filename is None or isinstance(filename, str) else str(filename)
        return [_OS_ERROR, [error.errno, error.strerror or str(error), filename]]
    except Exception as error:  # anything else in the exporter: the reason the export in this process gave
        return [_UNAVAILABLE, reasons.as_plain(reasons.reason(reasons.ONNX_EXPORT_FAILED,
                                                              cause=reasons.first_line(error)))]


def _end_with_parent() -> None:
    """Exit the moment the parent process is gone (killed, crashed): no export goes on for nobody."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()
