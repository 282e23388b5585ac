"""The first use's OpenVINO export runs in a process of its own (engine/export_process.py): a cancel kills it and
caches nothing, this process does none of the export's work, a failure comes back as one line, and the model files
and the pixels are those of the export in this process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from deblur_app.engine import export_process, openvino_backend
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled
from deblur_app.model.mimo_unet import MIMOUNet
from deblur_app.model.registry import ARCHITECTURES

pytestmark = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")

MIMO = ARCHITECTURES["mimo-unet"]


def _small_mimo(kind=MIMOUNet) -> MIMOUNet:
    torch.manual_seed(0)
    return kind(num_res=1).eval()


class FailingMIMO(MIMOUNet):
    """Traces into an error of two lines (the child imports this module to read the network)."""

    def forward(self, x):
        raise RuntimeError("simulated exporter failure\nits second line")


class KilledMIMO(MIMOUNet):
    """Its ONNX export kills the process exporting it, as the kernel's out-of-memory killer would; torch runs it."""

    def forward(self, x):
        if torch.onnx.is_in_onnx_export():
            os.kill(os.getpid(), signal.SIGKILL)
        return super().forward(x)


def _export_work_here_fails(monkeypatch) -> None:
    """Any ONNX export or IR conversion in this process fails the test: the child does them."""

    def here(*_args, **_kwargs):
        raise AssertionError("exported in the test's own process")

    monkeypatch.setattr(openvino_backend, "export_onnx", here)
    monkeypatch.setattr(openvino_backend, "_convert_to_ir", here)


def _cache_files(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_the_export_in_a_child_gives_the_same_ir_as_the_export_here(tmp_path, monkeypatch):
    """The same .bin byte for byte and the same .xml (up to the numbers OpenVINO counts for unnamed nodes in a
    process: test_memory_exports._numbered_in_order); the child's files are installed and its folder is gone."""
    from test_memory_exports import _numbered_in_order

    model = _small_mimo()
    # an export before it here, as the suite's earlier tests make: OpenVINO's node numbers in this process then
    # differ from the fresh child's ("Constant_1234" against "Constant_17"), which the comparison must allow for
    openvino_backend.exported_ir(model, tmp_path / "earlier", MIMO, digest="earlier")
    here = openvino_backend.exported_ir(model, tmp_path / "here", MIMO, digest="same")
    with monkeypatch.context() as patched:
        _export_work_here_fails(patched)
        apart = openvino_backend.exported_ir(model, tmp_path / "apart", MIMO, digest="same", in_child=True)
    assert apart.name == here.name
    assert apart.with_suffix(".bin").read_bytes() == here.with_suffix(".bin").read_bytes()
    assert _numbered_in_order(apart) == _numbered_in_order(here)
    assert _cache_files(tmp_path / "apart") == [apart.with_suffix(".bin").name, apart.name]


def test_an_engines_first_use_exports_in_another_process_and_computes_the_same_pixels(tmp_path, monkeypatch,
                                                                                      photo_like):
    """The window's worker thread (or the command line) only waits for the child: no trace holds this process's GIL,
    and nothing the exporter allocated stays here. The run's pixels are those of an export made in this process."""
    image = photo_like(64, 96, seed=5)
    model = _small_mimo()
    in_process = tmp_path / "in-process"
    openvino_backend.exported_ir(model, in_process, MIMO)
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: in_process)
    options = EngineOptions(device="cpu", precision="fp32", tile=0, backend="openvino")
    reference = Deblurrer(_small_mimo(), options).run(image)

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "first-use")
    _export_work_here_fails(monkeypatch)
    result = Deblurrer(_small_mimo(), options).run(image)
    assert result.backend == "openvino" and reference.backend == "openvino"
    np.testing.assert_array_equal(result.full, reference.full)


class CancelOnceExporting:
    """A cancel that turns on at its first check while an export child is alive, noting that child."""

    def __init__(self) -> None:
        self.children: list = []

    def is_set(self) -> bool:
        self.children = self.children or multiprocessing.active_children()
        return bool(self.children)


def test_a_cancel_during_the_export_kills_the_child_and_caches_nothing(tmp_path, monkeypatch, photo_like):
    """A cancelled run, or a switch of network in the window, waited minutes behind an export in this process; now the
    child is killed at the first check after the cancel, and neither a model file nor its temporary folder stays."""
    cache = tmp_path / "cache"
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: cache)
    engine = Deblurrer(_small_mimo(), EngineOptions(device="cpu", precision="fp32", tile=0, backend="openvino"))
    cancel = CancelOnceExporting()
    with pytest.raises(Cancelled):
        engine.run(photo_like(64, 96), cancel=cancel)
    assert cancel.children, "no export process was started"
    assert all(child.exitcode == -signal.SIGKILL for child in cancel.children)
    assert not multiprocessing.active_children()
    assert _cache_files(cache) == []


def test_an_export_failure_in_the_child_comes_back_as_its_one_line_reason(tmp_path):
    """The exporter's error, as the export in this process gave it: the first line, no traceback; nothing cached."""
    with pytest.raises(openvino_backend.OpenVinoUnavailable) as raised:
        openvino_backend.exported_ir(_small_mimo(FailingMIMO), tmp_path, MIMO, digest="same", in_child=True)
    assert str(raised.value) == "could not export the network to ONNX (simulated exporter failure)"
    assert _cache_files(tmp_path) == []


def test_a_killed_export_child_gives_one_line_and_auto_runs_torch(tmp_path, monkeypatch, photo_like):
    """A child that dies (the out-of-memory killer) says so in one line, and `auto` runs the photo in torch, as it
    does when an export fails; in this process such an export took the app down with it."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "cache")
    with pytest.raises(openvino_backend.OpenVinoUnavailable) as raised:
        openvino_backend.exported_ir(_small_mimo(KilledMIMO), tmp_path / "cache", MIMO, digest="same", in_child=True)
    assert str(raised.value) == ("could not export the network to ONNX (its process was killed (SIGKILL), perhaps "
                                 "out of memory)")
    assert _cache_files(tmp_path / "cache") == []

    result = Deblurrer(_small_mimo(KilledMIMO), EngineOptions(device="cpu", precision="fp32", tile=0)).run(photo_like(64, 96, seed=2))
    assert result.backend == "torch"
    assert any("its process was killed (SIGKILL)" in note and "\n" not in note for note in result.notes)


def test_an_export_folder_left_by_a_killed_app_process_goes_with_the_next_export(tmp_path):
    """An app process killed during its export (its child ends with it) could not remove its temporary folder, which
    holds a copy of the weights; the next export removes it, and leaves a running process's folder alone."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f"{export_process.TEMP_PREFIX}{int(dead.stdout)}-abcd"
    running = tmp_path / f"{export_process.TEMP_PREFIX}{os.getppid()}-efgh"
    for folder in (abandoned, running):
        folder.mkdir()
        (folder / export_process.NETWORK_FILE).write_bytes(b"weights")
    openvino_backend.exported_ir(_small_mimo(), tmp_path, MIMO, digest="same", in_child=True)
    assert not abandoned.exists() and running.exists()


def test_a_prepared_photo_exports_with_torchs_weights_gone_here_and_read_from_their_file_there(tmp_path, monkeypatch,
                                                                                            photo_like):
    """The child and this process held a copy of the weights each while the child exported (NAFNet-64: 259 MiB more
    in the process tree than the export in the process had); now the engine lets torch's go first and the child reads
    them from the engine's file (checked against the weights' digest). The pixels are those of a run whose export
    was made in this process with the weights here."""
    from test_memory_exports import _engine

    make = _engine(tmp_path, monkeypatch)
    seen = []
    export = export_process.export_in_child

    def noted(model, xml, architecture, shape_class, digest, cancel=None, weights_file=None, **named):
        seen.append((all(p.device.type == "meta" for p in model.parameters()), weights_file))
        return export(model, xml, architecture, shape_class, digest, cancel, weights_file, **named)

    monkeypatch.setattr(export_process, "export_in_child", noted)
    engine = make()
    height, width = 480, 560
    engine.prepare_photo(height, width, tile=320)
    assert seen == [(True, engine.weights_file)]
    apart = engine.run(photo_like(height, width, seed=3), tile=320)

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "here")
    monkeypatch.setattr(Deblurrer, "_weights_can_go", lambda self: False)  # torch's weights stay for the export here
    monkeypatch.setattr(export_process, "export_in_child", lambda model, xml, architecture, shape_class, digest, *_a,
                        **_k: openvino_backend.exported_ir(model, xml.parent, architecture, shape_class, digest))
    here = make().run(photo_like(height, width, seed=3), tile=320)
    assert apart.backend == here.backend == "openvino" and apart.tiles > 1
    np.testing.assert_array_equal(apart.full, here.full)
