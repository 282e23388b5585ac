"""The first use's OpenVINO export (the ONNX export of the torch network and its conversion to IR,
openvino_backend.exported_ir) in a process of its own.

In the app's own process the export could not be stopped (a cancelled run, or a network switch in the window,
waited minutes behind it), it held the GIL against the window's GUI thread (up to 6.6 s: Restormer motion, load 35),
and it left 53-147 MB in the process that a cached run never has (benchmarks/RESULTS.md, #21 session 18). A child
process is killed the moment a cancel is seen (polled every CANCEL_POLL_S), competes for no lock of the parent's,
and gives everything it allocated back when it ends.

The child is started by multiprocessing's spawn (a fork beside the window's threads could inherit a held lock; the
frozen build's entry script calls freeze_support first, as jobs/scan.py's pool needs). It reads the network from a
file the parent writes into a private temporary folder in the cache folder (torch.save: the weights go from their
tensors to the file, no copy in the parent's memory), and exports into that folder. Only after it succeeded does the
parent move the IR pair into the cache, the .bin first and the .xml last (openvino_backend._is_complete): a killed
or failed child leaves nothing a reader would take for an export. A child whose parent dies ends too.
"""

from __future__ import annotations

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
from ..model.registry import ARCHITECTURES, Architecture
from .progress import CancelCheck, Cancelled

CANCEL_POLL_S = 0.1
NETWORK_FILE = "network.pt"
TEMP_PREFIX = ".export-"
_DONE, _UNAVAILABLE, _OS_ERROR = "done", "unavailable", "os-error"
_log = logging.getLogger(__name__)


class ExportFailed(Exception):
    """The export failed, with its one-line reason (openvino_backend raises it again as OpenVinoUnavailable)."""


def export_in_child(model: nn.Module, xml: Path, architecture: Architecture, shape_class: str, digest: str,
                    cancel: CancelCheck | None = None, weights_file: Path | None = None, *,
                    export_here: Callable[..., Path]) -> Path:
    """``model`` exported to the IR ``xml`` (exported_ir's file in the cache folder) by a child process, which calls
    ``export_here(model, folder, architecture, shape_class, digest, weights_file)`` (a module-level function: it
    reaches the child by name, so this module imports nothing of the exporter's and the two stay one way round).

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
        network_file = temp / NETWORK_FILE
        torch.save(model, network_file)
        context = multiprocessing.get_context("spawn")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(target=_export, name="deblur-app export", daemon=True,
                                args=(str(network_file), str(temp), architecture.key, shape_class, digest,
                                      str(weights_file) if weights_file is not None else "", sending, export_here))
        child.start()
        sending.close()  # the child's end: the parent sees EOF once the child is gone
        _log.info("exporting %s (%s) in process %d", architecture.key, shape_class, child.pid)
        outcome = _outcome(child, receiving, cancel)
        if outcome is None:
            child.join()
            raise ExportFailed(reasons.reason(reasons.ONNX_EXPORT_FAILED, cause=_ended(child.exitcode)))
        kind, value = outcome
        if kind == _UNAVAILABLE:
            raise ExportFailed(value)
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


def _remove_abandoned(folder: Path) -> None:
    """The temporary folders of exports whose app process is gone (killed before it could tidy up: the network file
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
                    return receiving.recv()
                except EOFError:
                    return None
            if cancel is not None and cancel.is_set():
                child.kill()
                raise Cancelled("cancelled")
            if not child.is_alive() and not receiving.poll():
                return None
    finally:
        receiving.close()


def _ended(exitcode: int | None) -> str:
    """Why a child gave no result, on one line."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        killed = f"its process was killed ({name})"
        return f"{killed}, perhaps out of memory" if -exitcode == signal.SIGKILL else killed
    return f"its process ended with exit code {exitcode} before it finished"


def _export(network_file: str, folder: str, architecture_key: str, shape_class: str, digest: str, weights_file: str,
            sending, export_here: Callable[..., Path]) -> None:
    """The child: the network from ``network_file`` exported into ``folder`` by ``export_here`` (its weights read
    from ``weights_file`` where one is named); its outcome sent to the parent."""
    # Ctrl+C in a terminal reaches the whole process group: the parent stops the child, which prints no traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    try:
        # the parent's own file, written a moment ago into a folder only this user can read (mkdtemp): not a
        # checkpoint from outside, and the module itself (its class, its settings beside the weights) is what traces
        model = torch.load(network_file, weights_only=False, mmap=True)
        xml = export_here(model, Path(folder), ARCHITECTURES[architecture_key], shape_class, digest,
                          Path(weights_file) if weights_file else None)
        outcome = (_DONE, xml.name)
    except ExportFailed as error:
        outcome = (_UNAVAILABLE, reasons.of(error))
    except OSError as error:
        outcome = (_OS_ERROR, (error.errno, error.strerror or str(error), error.filename))
    except Exception as error:  # anything else in the exporter: the reason the export in this process gave
        outcome = (_UNAVAILABLE, reasons.reason(reasons.ONNX_EXPORT_FAILED, cause=reasons.first_line(error)))
    sending.send(outcome)
    sending.close()


def _end_with_parent() -> None:
    """Exit the moment the parent process is gone (killed, crashed): no export goes on for nobody."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()
