"""A first use's OpenVINO exports and the networks read beside them (issues 21/26: 12 MP within 1.5 GB, first use
included)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from deblur_app.engine import openvino_backend

pytestmark = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")


def _engine(tmp_path, monkeypatch):
    from deblur_app.engine.inference import Deblurrer, EngineOptions
    from deblur_app.model import networks
    from deblur_app.model.checkpoints import load_checkpoint, save_checkpoint
    from deblur_app.model.registry import ARCHITECTURES
    from test_network_checkpoints import NAFNET_16, small_state

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "openvino-cache")
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    model.load_state_dict(small_state("nafnet", **NAFNET_16))
    weights = save_checkpoint(tmp_path / "nafnet-16.safetensors", model, {"trained_by": "tests"})
    return lambda: Deblurrer.from_checkpoint(load_checkpoint(weights), EngineOptions(device="cpu"))


def test_a_first_use_exports_only_the_shape_classes_its_tiles_need_before_it_reads_any(tmp_path, monkeypatch,
                                                                                        photo_like):
    """An export peaked at about 3.4 copies of the weights over the process (1.84 since the lean export, below) and
    leaves some; a read network adds its own. NAFNet-64's 12 MP command line exported its first shape class ("local", which its tiles do not use), read it,
    then exported its tiles' class ("wide") over both: 1507 and 1544 MB, over the 1.5 GB goal. Now the runner is built
    on the tiles' class, exported before any read: one export where there were two (1470 MB; RESULTS.md, session 16,
    measure-12mp); the run computes the same pixels."""
    make = _engine(tmp_path, monkeypatch)
    events: list[str] = []
    from deblur_app.engine import export_process

    export, read = export_process.export_in_child, openvino_backend.OpenVinoRunner._read_network
    monkeypatch.setattr(export_process, "export_in_child", lambda *a, **k: events.append("export") or export(*a, **k))
    monkeypatch.setattr(openvino_backend.OpenVinoRunner, "_read_network", lambda self, shape_class, *rest:
                        events.append(f"read {shape_class}") or read(self, shape_class, *rest))
    engine = make()
    height, width = 480, 560
    assert len(engine.photo_tiles(height, width, 320, auto=False)) > 1
    assert engine.plan_photo(height, width, 320) == ("openvino", 320)
    engine.prepare_photo(height, width, tile=320)
    # the tiles' class ("global" at this size) alone, exported before it is read; torch's weights went, as before
    assert events == ["export", "read global"] and engine._released_digest
    tiled = engine.run(photo_like(height, width, seed=3), tile=320)
    assert events == ["export", "read global"] and tiled.backend == "openvino" and tiled.tiles > 1

    # as it was: the runner read (and so first exported) the network's first class, then the tiles' over it
    monkeypatch.setattr(type(engine), "_export_before_reading", lambda *_a: None)
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "elsewhere")
    events.clear()
    plain = make().run(photo_like(height, width, seed=3), tile=320)
    assert events == ["read local", "export", "read global", "export"]
    np.testing.assert_array_equal(tiled.full, plain.full)


def _small(architecture: str):
    import torch

    from deblur_app.model import networks
    from deblur_app.model.mimo_unet import MIMOUNet
    from deblur_app.model.registry import ARCHITECTURES
    from test_network_checkpoints import FFTFORMER_16, NAFNET_16, RESTORMER_8, small_state

    if architecture == "mimo-unet":
        torch.manual_seed(0)
        return MIMOUNet(num_res=1).eval()
    config = {"nafnet": NAFNET_16, "fftformer": FFTFORMER_16, "restormer": RESTORMER_8}[architecture]
    model = networks.build(ARCHITECTURES[architecture], config).eval()
    model.load_state_dict(small_state(architecture, **config))
    return model


def _numbered_in_order(xml_path) -> str:
    """The IR's .xml with OpenVINO's names for unnamed nodes (an operation's type and a number it counts per
    process: "Constant_65574" after many exports, "Constant_17" in a fresh export process; a whole attribute value or
    one of a port's names) numbered from 0 in order of first appearance, each name apart (a number alone could stand
    for two nodes across the two processes; the exporter's own names, "/Constant_17_output_0", stay as they are)."""
    import re

    names: dict[str, str] = {}
    return re.sub(r'(?<=["\s,])([A-Z][A-Za-z0-9]*)_(\d+)(?=["\s,])',
                  lambda m: f"{m.group(1)}_" + names.setdefault(m.group(0), f"n{len(names)}"), xml_path.read_text())


def _read_back(onnx_path):
    """The ONNX model with its external weights read back into it, as bytes in torch's own layout (raw data)."""
    import onnx

    model = onnx.load(str(onnx_path))  # reads the external data the file names, beside it
    for tensor in model.graph.initializer:
        tensor.ClearField("data_location")
        del tensor.external_data[:]
    return model.SerializeToString()


@pytest.mark.parametrize("architecture, shape_class", [("mimo-unet", "any"), ("nafnet", "local"),
                                                       ("fftformer", "any"), ("restormer", "any")])
def test_the_export_keeps_its_weights_out_of_torchs_encoder_and_gives_the_same_model_and_ir(
        architecture, shape_class, tmp_path, monkeypatch):
    """torch's ONNX encoder builds the protobuf with every weight in it, serialises it and hands Python the bytes:
    NAFNet-64's export peaked at +884 MiB over the loaded network (3.4 copies of its 259 MiB of weights), the peak of
    its 12 MP first use (1470-1477 MB). The export now gives torch no weights to encode (export_params=False) and
    writes them beside the .onnx itself, one tensor at a time, as the ONNX external data that OpenVINO reads
    (benchmarks/bench_export_memory.py). The model is torch's own export byte for byte once its weights are read
    back, and the IR converted from it is the same .bin and the same .xml up to the numbers OpenVINO gives unnamed
    nodes (a count in the process: two conversions in one process number them apart; in fresh processes the .xml is
    the same byte for byte, bench_export_memory.py): the cache keys (weights_digest) stay."""
    import onnx
    import torch

    from deblur_app.model.registry import ARCHITECTURES

    arch = ARCHITECTURES[architecture]
    model = _small(architecture)
    # a process's first trace builds FFTformer's lru-cached bases inside it (a Constant more in the graph), later
    # traces take them built: both exports compared here come after one
    openvino_backend.export_onnx(model, tmp_path / "first", arch, shape_class, digest="same")
    handed: list[bool] = []
    export = torch.onnx.export
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: handed.append(k.get("export_params", True))
                        or export(*a, **k))
    lean = openvino_backend.export_onnx(model, tmp_path / "lean", arch, shape_class, digest="same")
    assert handed == [False]  # one export, without the weights
    embedded = openvino_backend.export_onnx(model, tmp_path / "embedded", arch, shape_class, digest="same",
                                            embedded_weights=True)
    assert handed == [False, True] and lean.name == embedded.name
    weights = openvino_backend.weights_path(lean)
    assert sorted(p.name for p in lean.parent.iterdir()) == sorted([lean.name, weights.name])
    assert not list(embedded.parent.glob("*" + openvino_backend.WEIGHTS_SUFFIX))
    initializers = onnx.load(str(lean), load_external_data=False).graph.initializer
    assert initializers and all(t.data_location == onnx.TensorProto.EXTERNAL and not t.raw_data
                                for t in initializers)  # the .onnx holds no weight itself
    assert lean.stat().st_size < embedded.stat().st_size
    assert _read_back(lean) == embedded.read_bytes()

    xml = {name: openvino_backend.exported_ir(model, tmp_path / name, arch, shape_class, digest="same")
           for name in ("lean", "embedded")}
    assert _numbered_in_order(xml["lean"]) == _numbered_in_order(xml["embedded"])
    assert xml["lean"].with_suffix(".bin").read_bytes() == xml["embedded"].with_suffix(".bin").read_bytes()
    # converted: neither the .onnx nor its weights stay in the cache
    assert sorted(p.name for p in (tmp_path / "lean").iterdir()) == [xml["lean"].with_suffix(".bin").name,
                                                                      xml["lean"].name]


def test_a_torch_that_does_not_give_its_initializers_exports_them_embedded(tmp_path, monkeypatch):
    """Where torch's exporter no longer hands its initializers over (_initializers_taken finds nothing), the export
    is torch's own with the weights inside: the same file as before, only its peak."""
    import contextlib

    from deblur_app.model.registry import ARCHITECTURES

    arch = ARCHITECTURES["mimo-unet"]
    model = _small("mimo-unet")
    monkeypatch.setattr(openvino_backend, "_initializers_taken", lambda: contextlib.nullcontext({}))  # nothing taken
    fallen_back = openvino_backend.export_onnx(model, tmp_path / "a", arch, digest="same")
    monkeypatch.undo()
    embedded = openvino_backend.export_onnx(model, tmp_path / "b", arch, digest="same", embedded_weights=True)
    assert [p.name for p in fallen_back.parent.iterdir()] == [fallen_back.name]
    assert fallen_back.read_bytes() == embedded.read_bytes()


def test_pruned_exports_take_their_weights_with_them(tmp_path):
    """An export's weights go with its .onnx, and weights whose .onnx never came (an export stopped between the two
    moves) go too, except those of the export being made."""
    names = [f"nafnet-local-{n}" for n in "abcd"]
    for age, name in enumerate(names):
        for suffix in (".onnx", openvino_backend.WEIGHTS_SUFFIX):
            path = tmp_path / f"{name}{suffix}"
            path.write_bytes(b"x")
            os.utime(path, (1000 + age, 1000 + age))
    (tmp_path / f"nafnet-local-orphan{openvino_backend.WEIGHTS_SUFFIX}").write_bytes(b"x")  # its .onnx never came
    (tmp_path / f"nafnet-local-new{openvino_backend.WEIGHTS_SUFFIX}").write_bytes(b"x")  # the one being exported
    (tmp_path / f"mimo-unet-x{openvino_backend.WEIGHTS_SUFFIX}").write_bytes(b"x")  # another network's
    openvino_backend._remove_stale_cache(tmp_path, keep=tmp_path / "nafnet-local-new.onnx", prefix="nafnet", kept=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{n}{s}" for n in names[2:] for s in (".onnx", ".weights")]
        + ["nafnet-local-new.weights", "mimo-unet-x.weights"])
