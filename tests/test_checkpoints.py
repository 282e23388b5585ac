"""Checkpoint files are untrusted input: every bad one is a one-line error."""

import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from conftest import conformance_state_dict
from deblur_app.model.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from deblur_app.model.mimo_unet import build_model


def _one_line(error: pytest.ExceptionInfo, path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_bare_state_dict_and_module_prefix(tmp_path):
    state = conformance_state_dict("mimo-unet")
    bare = tmp_path / "bare.pth"
    torch.save(state, bare)
    prefixed = tmp_path / "dataparallel.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, prefixed)
    for path in (bare, prefixed):
        checkpoint = load_checkpoint(path)
        assert checkpoint.variant.key == "mimo-unet"
        assert torch.equal(checkpoint.state_dict["feat_extract.0.main.0.weight"], state["feat_extract.0.main.0.weight"])


def test_variant_detected_from_block_count(tmp_path):
    path = tmp_path / "plus.pth"
    torch.save({"model": build_model("mimo-unet+").state_dict()}, path)
    assert load_checkpoint(path).variant.key == "mimo-unet+"


def test_model_that_contradicts_the_file_names_both(published_checkpoint):
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(published_checkpoint, expected_variant="mimo-unet+")
    message = _one_line(error, published_checkpoint)
    assert "MIMO-UNet weights" in message and "MIMO-UNet+ was asked for" in message


def test_own_format_is_float16_with_metadata_and_loads_as_float32(tmp_path):
    model = build_model("mimo-unet")
    path = save_checkpoint(tmp_path / "own.safetensors", model, {"trained_by": "test", "val_psnr": 30.5})
    with safe_open(str(path), framework="pt") as handle:
        assert handle.get_tensor("feat_extract.0.main.0.weight").dtype == torch.float16
        assert handle.metadata()["val_psnr"] == "30.5"
    checkpoint = load_checkpoint(path)
    assert checkpoint.metadata["trained_by"] == "test"
    assert checkpoint.provenance == "test"
    loaded = checkpoint.state_dict["feat_extract.0.main.0.weight"]
    assert loaded.dtype == torch.float32
    original = model.state_dict()["feat_extract.0.main.0.weight"]
    torch.testing.assert_close(loaded, original.half().float())
    assert not list(tmp_path.glob(".*tmp"))


class _RunsCode:
    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED_MARKER",))


def test_pickle_that_runs_code_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as handle:
        pickle.dump({"model": {"x": _RunsCode()}}, handle)
    evil_zip = tmp_path / "evil_zip.pth"
    torch.save({"model": _RunsCode()}, evil_zip)
    for bad in (path, evil_zip):
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(bad)
        assert "refused" in _one_line(error, bad) or "not a PyTorch checkpoint" in str(error.value)
    assert not (tmp_path / "PWNED_MARKER").exists()


@pytest.mark.parametrize("protocol", [4, 5])
def test_a_pickle_of_protocol_4_or_5_is_refused_as_unreadable_safely_not_as_no_checkpoint(tmp_path, monkeypatch,
                                                                                         protocol):
    """A malicious protocol-4 pickle was "not a PyTorch checkpoint (Unsupported operand 149)", and torch's
    UserWarning about the protocol reached the terminal: torch's weights-only reader stops at protocol 4's first
    opcode, whatever the file holds. It is refused as a pickle that cannot be read safely, in one line; nothing runs."""
    monkeypatch.chdir(tmp_path)
    bare, zipped = tmp_path / "evil.pth", tmp_path / "tensors.pth"
    bare.write_bytes(pickle.dumps({"model": {"x": _RunsCode()}}, protocol=protocol))
    torch.save({"w": torch.zeros(2)}, zipped, pickle_protocol=protocol)  # tensors only, still unreadable safely
    for bad in (bare, zipped):
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(bad)
        assert str(error.value) == (
            f"{bad}: refused: a pickle of protocol {protocol}, which PyTorch's safe loader (weights only) cannot "
            "read; it was not executed (save the weights with torch.save's defaults or as .safetensors)")
    assert not (tmp_path / "PWNED_MARKER").exists()
    # torch's UserWarning about the protocol printed two lines before ours (pytest records warnings itself, so
    # what reaches a terminal is seen in a process of its own)
    import subprocess
    import sys

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-m", "deblur_app", "weights", "install", str(bare)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and done.stderr == f"deblur-app: {bare}: refused: a pickle of protocol {protocol}, " \
        "which PyTorch's safe loader (weights only) cannot read; it was not executed (save the weights with " \
        "torch.save's defaults or as .safetensors)\n", done.stderr


def test_random_bytes_are_no_checkpoint_not_python_objects(tmp_path):
    """Ten bytes of "x" or random noise as a .pth were "refused: the file contains Python objects other than
    tensors": any failure of torch's weights-only unpickler read as code. Only a refused global is code."""
    garbage, noise = tmp_path / "garbage.pth", tmp_path / "noise.pth"
    garbage.write_bytes(b"x" * 10)
    noise.write_bytes(bytes(range(256)) * 20)
    for bad in (garbage, noise):
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(bad)
        said = _one_line(error, bad)
        assert said.startswith(f"{bad}: not a ") and "Python objects" not in said, said
        assert "Weights only load failed" not in said and "PyTorch 2.6" not in said, said
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(noise)
    assert str(error.value) == f"{noise}: not a PyTorch checkpoint (Unsupported operand 0)"
    with pytest.raises(CheckpointError) as error:  # ten x's were "Unsupported operand 120": text, as it says now
        load_checkpoint(garbage)
    assert str(error.value) == f"{garbage}: not a weights file but a text file"
    zeros = tmp_path / "zeros.pth"  # torch takes it for its pre-1.6 .tar format, and said so with its advice
    zeros.write_bytes(bytes(100_000))
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(zeros)
    assert str(error.value) == (f"{zeros}: not a checkpoint this app can read safely (PyTorch's old .tar format, "
                                "or a file of zeros)")


def test_a_file_of_another_kind_is_named_for_what_it_is_from_its_first_bytes(tmp_path):
    """torch's weights-only reader names the first byte it cannot read ("Unsupported operand 80": the P of PNG);
    --weights and install say what the file is instead, read from its signature (nothing is decoded)."""
    from PIL import Image

    image = Image.new("RGB", (16, 16), (10, 120, 240))
    expected = {}
    for format_name, said in (("PNG", "PNG"), ("JPEG", "JPEG"), ("GIF", "GIF"), ("WEBP", "WebP"), ("TIFF", "TIFF"),
                              ("BMP", "BMP")):
        path = tmp_path / f"{format_name.lower()}.pth"
        image.save(path, format_name)
        expected[path] = f"a {said} image"
    page = tmp_path / "page.pkl"
    page.write_text("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>")
    expected[page] = "a web page (HTML)"
    archive = tmp_path / "archive.pt"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("weights/readme.txt", "see the release page")
    expected[archive] = "a zip archive that holds no PyTorch checkpoint"
    renamed = tmp_path / "photo.safetensors"  # read by safetensors, not torch: named the same way
    image.save(renamed, "JPEG")
    expected[renamed] = "a JPEG image"
    for path, kind in expected.items():
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(path)
        assert str(error.value) == f"{path}: not a weights file but {kind}"


def test_missing_empty_truncated_and_non_checkpoint_files(tmp_path, published_checkpoint):
    missing = tmp_path / "missing.pkl"
    empty = tmp_path / "empty.pkl"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(published_checkpoint.read_bytes()[:100_000])
    text = tmp_path / "notes.pkl"
    text.write_text("these are not weights\n")
    tensor_only = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor_only)
    bad_safetensors = tmp_path / "bad.safetensors"
    bad_safetensors.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    reasons = {
        missing: "not found", empty: "empty", truncated: "truncated or corrupt",
        text: "not a weights file but a text file", tensor_only: "no state dict", bad_safetensors: "safetensors",
    }
    for path, reason in reasons.items():
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(path)
        assert reason in _one_line(error, path), str(error.value)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(truncated)  # in the user's words, not torch's miniz advice cut mid-sentence
    assert str(error.value) == (f"{truncated}: truncated or corrupt file (its zip archive has no end: an incomplete "
                                "download or copy)")


def test_wrong_architecture_lists_missing_and_unexpected_keys(tmp_path):
    state = conformance_state_dict("mimo-unet")
    del state["AFFs.0.conv.0.main.0.weight"]
    state["extra.head.weight"] = torch.zeros(1)
    path = tmp_path / "other.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = _one_line(error, path)
    assert "AFFs.0.conv.0.main.0.weight" in message and "extra.head.weight" in message


def test_wrong_shape_is_named(tmp_path):
    state = conformance_state_dict("mimo-unet")
    state["FAM1.merge.main.0.weight"] = torch.zeros(128, 128, 5, 5)
    path = tmp_path / "shape.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert "FAM1.merge.main.0.weight" in _one_line(error, path)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_weights_holding_nan_or_infinity_are_refused_before_a_black_result_is_saved(tmp_path, bad, photo_like):
    """A diverged training run's NaN weights loaded as any others, and every photo came out black (NaN pixels
    written as 0) with exit status 0."""
    from deblur_app.cli.main import main
    from deblur_app import imagefiles

    state = conformance_state_dict("mimo-unet")
    state["FAM1.merge.main.0.weight"][0, 0, 0, 0] = bad
    path = tmp_path / "diverged.pth"
    torch.save({"model": state}, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert "FAM1.merge.main.0.weight holds NaN or infinite values" in _one_line(error, path)
    photo = tmp_path / "photo.png"
    imagefiles.save_image(photo, photo_like(24, 32))
    assert main(["deblur", str(photo), "--weights", str(path), "--backend", "torch"]) == 1
    assert not (tmp_path / "photo_deblurred.png").exists()


@pytest.mark.parametrize("name", ["weights.pkl", "weights.safetensors"])
def test_weights_the_user_may_not_read_are_one_line_naming_the_file(tmp_path, name, monkeypatch, capsys):
    """A weights file without read permission: a .pkl gave a traceback and a crash log (PermissionError in the
    format sniffing), a .safetensors "No such file or directory". Unreadable is simulated (the tests may run as
    root, which reads a file of mode 000)."""
    import builtins

    from deblur_app.cli.main import main
    from deblur_app.model import checkpoints

    path = tmp_path / name
    save_checkpoint(path, conformance_state_dict("mimo-unet"), {}) if name.endswith(".safetensors") else \
        torch.save(conformance_state_dict("mimo-unet"), path)

    def no_permission(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(checkpoints, "open", no_permission, raising=False)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert _one_line(error, path) == f"{path}: permission denied (cannot read the file)"
    photo = tmp_path / "photo.png"
    from deblur_app import imagefiles

    imagefiles.save_image(photo, torch.rand(24, 32, 3).numpy())
    assert main(["deblur", str(photo), "--weights", str(path), "--backend", "torch"]) == 1
    assert capsys.readouterr().err == f"deblur-app: {path}: permission denied (cannot read the file)\n"


def test_not_mimo_unet_at_all(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert "not weights of a network this app knows" in _one_line(error, path)


def test_a_device_or_a_pipe_as_weights_is_said_to_be_one_not_an_empty_file(tmp_path):
    """`--weights /dev/zero` or a named pipe was "the file is empty" (their size is 0): wrong, and the advice it
    implies (a broken download) misleads."""
    pipe = tmp_path / "fifo.pth"
    os.mkfifo(pipe)
    for path in (Path("/dev/zero"), pipe):
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(path)
        assert str(error.value) == f"{path}: is a device, pipe or socket, not a weights file"
