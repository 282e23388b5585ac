"""The first use's OpenVINO export runs in a process of its own (engine/export_process.py): a cancel kills it and
caches nothing, this process does none of the export's work, a failure comes back as one line, and the model files
and the pixels are those of the export in this process."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from deblur_app import reasons
from deblur_app.engine import export_process, openvino_backend
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled
from deblur_app.model.mimo_unet import MIMOUNet
from deblur_app.model.registry import ARCHITECTURES

pytestmark = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")

MIMO = ARCHITECTURES["mimo-unet"]


def _small_mimo() -> MIMOUNet:
    torch.manual_seed(0)
    return MIMOUNet(num_res=1).eval()


def _export_failing_in_the_trace(model, *arguments):
    """The export (export_here) with the network's trace failing with an error of two lines (in the export's own
    process: the class is changed there only)."""

    def failing(self, x):
        raise RuntimeError("simulated exporter failure\nits second line")

    type(model).forward = failing
    return openvino_backend.export_in_this_process(model, *arguments)


def _export_killed(*_arguments):
    """The export (export_here) killed, as the kernel's out-of-memory killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


def _killing_exports(monkeypatch) -> None:
    """Every export process of the engine is killed while exporting."""
    export = export_process.export_in_child
    monkeypatch.setattr(export_process, "export_in_child",
                        lambda *arguments, **named: export(*arguments, **{**named, "export_here": _export_killed}))


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
    with pytest.raises(export_process.ExportFailed) as raised:
        export_process.export_in_child(_small_mimo(), tmp_path / "mimo-unet-same.xml", MIMO, "any", "same",
                                       export_here=_export_failing_in_the_trace)
    assert str(raised.value) == "could not export the network to ONNX (simulated exporter failure)"
    assert isinstance(reasons.of(raised.value), reasons.Reason)  # its structure came back, for the window
    assert _cache_files(tmp_path) == []


@pytest.fixture
def chinese(window_language):
    window_language("zh_CN")


def test_a_killed_export_child_gives_one_line_in_the_window_s_language_and_auto_runs_torch(tmp_path, monkeypatch,
                                                                                         photo_like, chinese):
    """A child that dies (the out-of-memory killer) says so in one line, translated in the window as every reason of
    the core (it was English in the zh_CN window), and `auto` runs the photo in torch, as it does when an export
    fails; in this process such an export took the app down with it."""
    from deblur_app.gui.reasons import translated

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "cache")
    _killing_exports(monkeypatch)
    with pytest.raises(openvino_backend.OpenVinoUnavailable) as raised:
        openvino_backend.exported_ir(_small_mimo(), tmp_path / "cache", MIMO, digest="same", in_child=True)
    assert str(raised.value) == ("could not export the network to ONNX (its process was killed (SIGKILL), perhaps "
                                 "out of memory)")
    assert translated(reasons.of(raised.value)) == "无法把网络导出为 ONNX（其进程被终止（SIGKILL），可能是内存不足）"
    assert _cache_files(tmp_path / "cache") == []

    result = Deblurrer(_small_mimo(), EngineOptions(device="cpu", precision="fp32", tile=0)).run(photo_like(64, 96, seed=2))
    assert result.backend == "torch"
    assert any("its process was killed (SIGKILL)" in note and "\n" not in note for note in result.notes)


@pytest.mark.parametrize("exitcode, english", [
    (-signal.SIGTERM, "its process was killed (SIGTERM)"),
    (3, "its process ended with exit code 3 before it finished")])
def test_an_export_child_s_other_ends_are_reasons_of_the_catalogue(exitcode, english):
    said = export_process._ended(exitcode)
    assert str(said) == english and said.template in reasons.catalogue()


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


def _as_the_engine_holds_it(model):
    """The network as a Deblurrer holds it on the CPU: eval, convolution weights channels-last, MIMO-UNet's lean
    fusion."""
    from deblur_app.engine.inference import _with_memory_format

    if hasattr(model, "lean_fusion"):
        model.lean_fusion = True
    return _with_memory_format(model.eval(), torch.channels_last)


def _network_of(case: str):
    """Each registry network with an OpenVINO path, small, built the same in any process (fixed weights), and the
    shape class exported: MIMO-UNet, MIMO-UNet+ (its skips' dropout), NAFNet with TLC's local pooling and with the
    global one (settings beside the configuration), FFTformer, Restormer."""
    from test_memory_exports import _small

    if case == "mimo-unet+":
        torch.manual_seed(0)
        return _as_the_engine_holds_it(MIMOUNet(num_res=1, dropout=0.1)), ARCHITECTURES["mimo-unet"], "any"
    architecture = case.removesuffix("-global-pooling")
    model = _small(architecture)
    if case.endswith("-global-pooling"):
        model.use_global_pooling()
    shape_class = {"nafnet": "local", "nafnet-global-pooling": "global"}.get(case, "any")
    return _as_the_engine_holds_it(model), ARCHITECTURES[architecture], shape_class


NETWORK_CASES = ["mimo-unet", "mimo-unet+", "nafnet", "nafnet-global-pooling", "fftformer", "restormer"]


def _export_in_a_fresh_process(case: str, folder: str) -> None:
    """The reference: the network exported by the exporter itself, in a process that made it (as the export process
    of sessions 19-20 got it, unpickled) and traced nothing before (FFTformer's first trace in a process differs)."""
    model, architecture, shape_class = _network_of(case)
    openvino_backend.exported_ir(model, Path(folder), architecture, shape_class, digest="same")


def test_every_openvino_network_of_the_registry_has_a_case():
    assert {ARCHITECTURES[c.removesuffix("+").removesuffix("-global-pooling")].key for c in NETWORK_CASES} \
        == {key for key, architecture in ARCHITECTURES.items() if architecture.openvino}


@pytest.mark.parametrize("case", NETWORK_CASES)
def test_the_network_rebuilt_in_the_child_gives_the_ir_of_the_network_itself(case, tmp_path, monkeypatch):
    """The child rebuilds the network from the registry (its configuration and settings, JSON) and its weights
    (safetensors) and exports the same IR, .bin and .xml byte for byte, as the exporter does with the very network
    in a fresh process: what the cache held before (the export process unpickled the network) it holds now."""
    reference = multiprocessing.get_context("spawn").Process(target=_export_in_a_fresh_process,
                                                             args=(case, str(tmp_path / "reference")))
    reference.start()
    reference.join()
    assert reference.exitcode == 0
    expected, = (tmp_path / "reference").glob("*.xml")

    model, architecture, shape_class = _network_of(case)
    with monkeypatch.context() as patched:
        _export_work_here_fails(patched)
        apart = openvino_backend.exported_ir(model, tmp_path / "apart", architecture, shape_class, digest="same",
                                             in_child=True)
    assert apart.name == expected.name
    assert apart.with_suffix(".bin").read_bytes() == expected.with_suffix(".bin").read_bytes()
    assert apart.read_bytes() == expected.read_bytes()


def test_the_child_is_handed_a_json_description_and_safetensors_weights_and_nothing_pickled(tmp_path, monkeypatch):
    """The child used to unpickle the whole network (torch.load, weights_only=False) from a file the parent
    torch.saved; it gets plain data now: the process's arguments are text (and its pipe, its function by name), the
    folder holds the JSON the registry rebuilds the network from and the weights as safetensors (channels-last ones
    as they lie in memory: no copy here), and the child answers in JSON."""
    from multiprocessing.connection import Connection

    from safetensors.torch import load_file

    def pickled(*_arguments, **_named):
        raise AssertionError("the network was pickled for the export process")

    monkeypatch.setattr(torch, "save", pickled)
    handed = {}
    start = multiprocessing.context.SpawnProcess.start

    def noted(process):
        temp, = (tmp_path / "cache").glob(f"{export_process.TEMP_PREFIX}*")
        handed["files"] = sorted(p.name for p in temp.iterdir())
        handed["description"] = json.loads((temp / export_process.NETWORK_FILE).read_text(encoding="utf-8"))
        handed["weights"] = load_file(temp / export_process.WEIGHTS_FILE)
        handed["arguments"] = process._args
        return start(process)

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", noted)
    model = _as_the_engine_holds_it(_small_mimo())
    xml = openvino_backend.exported_ir(model, tmp_path / "cache", MIMO, digest="same", in_child=True)
    assert xml.is_file()

    assert handed["files"] == ["network.json", "weights.safetensors"]
    description = handed["description"]
    assert description["architecture"] == "mimo-unet" and description["config"] == {"num_res": 1}
    assert description["settings"] == {"lean_fusion": True, "dropout": 0.0}
    assert description["channels_last"]  # the engine's convolutions: stored as they lie
    state = model.state_dict()
    assert set(handed["weights"]) == set(state)
    for name, tensor in state.items():
        stored = handed["weights"][name]
        stored = stored.permute(0, 3, 1, 2) if name in description["channels_last"] else stored
        assert torch.equal(stored, tensor), name
    assert all(isinstance(a, (str, Connection)) or a is openvino_backend.export_in_this_process
               for a in handed["arguments"])


def test_the_child_rebuilds_the_network_from_the_registry_without_unpickling_anything(tmp_path, monkeypatch):
    """What the child does with the folder (read_network, exported_from), here in this process with every way to
    unpickle refused: the same network class, settings and weights; and the export from it succeeds."""
    from test_memory_exports import _small

    model = _as_the_engine_holds_it(_small("nafnet"))
    model.use_global_pooling()  # not the registry's default (build: local): the settings must carry it
    export_process.write_network(model, ARCHITECTURES["nafnet"], tmp_path, with_weights=True)

    def unpickling(*_arguments, **_named):
        raise AssertionError("unpickled")

    for module, name in ((torch, "load"), (pickle, "load"), (pickle, "loads"), (pickle, "Unpickler")):
        monkeypatch.setattr(module, name, unpickling)
    rebuilt, architecture = export_process.read_network(tmp_path, with_weights=True)
    assert type(rebuilt) is type(model) and architecture is ARCHITECTURES["nafnet"] and not rebuilt.training
    assert rebuilt.local_window is None and model.local_window is None
    assert list(rebuilt.state_dict()) == list(model.state_dict())
    assert all(torch.equal(rebuilt.state_dict()[k], v) for k, v in model.state_dict().items())

    outcome = export_process.exported_from(tmp_path, "global", "same", None, openvino_backend.export_in_this_process)
    assert outcome[0] == "done" and (tmp_path / outcome[1]).is_file()


def test_a_description_the_rebuilt_network_does_not_match_is_refused(tmp_path):
    """A network rebuilt otherwise than described (settings lost: NAFNet back to the registry's local pooling) would
    be cached under the described network's name; the child refuses it."""
    from test_memory_exports import _small

    model = _small("nafnet")
    model.use_global_pooling()
    export_process.write_network(model, ARCHITECTURES["nafnet"], tmp_path, with_weights=True)
    description = json.loads((tmp_path / export_process.NETWORK_FILE).read_text(encoding="utf-8"))
    description["settings"]["pool_windows"] = [[8, 8]] * len(description["settings"]["pool_windows"])
    (tmp_path / export_process.NETWORK_FILE).write_text(json.dumps(description), encoding="utf-8")
    with pytest.raises(RuntimeError, match="rebuilt"):
        export_process.read_network(tmp_path, with_weights=True)
