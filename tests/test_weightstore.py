"""The weights manager: download from a local HTTP server, verify, install, list, remove.

No test reaches the internet: ``--source`` points at an http.server in a thread
serving checkpoints built from the conformance key lists.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import Route, checkpoint_bytes, conformance_state_dict

from deblur_app import imagefiles
from deblur_app.weights import store as weightstore
from deblur_app.cli.main import main
from deblur_app.model.registry import VARIANTS
from deblur_app.resources import bundled_weights_dir
from deblur_app.weights.catalog import classify, describe, find_weights

DRIVE_LINK = "https://drive.google.com/file/d/1EQJoQj3YMLFfzrbgzWMD3Xj96RqLdIlx/view"


@pytest.fixture(scope="module")
def unet_bytes() -> bytes:
    return checkpoint_bytes("mimo-unet")


@pytest.fixture(scope="module")
def plus_bytes() -> bytes:
    return checkpoint_bytes("mimo-unet+")


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "weights inside")
        archive.writestr(f"release/{name}", data)
    return buffer.getvalue()


class Evil:
    """Unpickling this would create ``marker``: a stand-in for code a malicious checkpoint runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def user_folder(tmp_path, monkeypatch) -> Path:
    """The user weights folder, in a temp folder (platformdirs follows XDG_DATA_HOME)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = weightstore.user_weights_dir()
    assert str(folder).startswith(str(tmp_path))
    return folder


def _other_unet_bytes(unet_bytes: bytes) -> bytes:
    """Other MIMO-UNet weights, a file of the same size."""
    state = conformance_state_dict("mimo-unet")
    for tensor in state.values():
        tensor.mul_(0.5)
    buffer = io.BytesIO()
    torch.save({"model": state}, buffer)
    assert len(buffer.getvalue()) == len(unet_bytes)
    return buffer.getvalue()


def leftovers(folder: Path) -> list[Path]:
    """Every file in the folder but the records of how installed files arrived (weights/origin.py)."""
    return sorted(p for p in folder.rglob("*") if not p.name.endswith(".origin.json")) if folder.exists() else []


# ----------------------------------------------------------------------------- download


def test_download_verifies_installs_and_deblur_then_uses_it(server, unet_bytes, user_folder, tmp_path, photo_like):
    url, routes = server
    routes["/MIMO-UNet.pkl"] = Route(unet_bytes, piece=1 << 20)
    seen = []
    installed = weightstore.download("mimo-unet", source=f"{url}/MIMO-UNet.pkl", progress=lambda d, t: seen.append((d, t)))
    assert installed == user_folder / "MIMO-UNet.pkl"
    assert installed.read_bytes() == unet_bytes
    assert leftovers(user_folder) == [installed]  # the staging folder is gone
    assert seen[-1] == (len(unet_bytes), len(unet_bytes)) and len(seen) > 1
    listed = {w.path: w for w in weightstore.installed()}
    # from a mirror: its name says MIMO-UNet.pkl, but only the authors' own release is "published"
    assert listed[installed].provenance == "user" and listed[installed].in_use
    assert installed.stat().st_mode & 0o777 == 0o644  # as every installed file, not a private 0600 temporary
    assert describe(classify(installed, VARIANTS["mimo-unet"])) == (
        f"user: installed by you; downloaded from {url}/MIMO-UNet.pkl, not from the authors' release")
    starter = bundled_weights_dir() / "mimo-unet.safetensors"
    if starter.exists():  # the shipped starter weights are still there, just no longer used
        assert not listed[starter].in_use and listed[starter].provenance == "starter"

    photo = tmp_path / "photo.png"
    imagefiles.save_image(photo, photo_like(48, 64))
    source = tmp_path / "source.pkl"
    source.write_bytes(unet_bytes)
    runs = {}
    for name, extra in (("installed", []), ("explicit", ["--weights", str(source)])):
        runs[name] = tmp_path / f"{name}.png"
        assert main(["deblur", str(photo), "-o", str(runs[name]), "--precision", "fp32", "--backend", "torch", *extra]) == 0
    pixels = {name: imagefiles.load_image(path).pixels for name, path in runs.items()}
    np.testing.assert_array_equal(pixels["installed"], pixels["explicit"])


def test_download_of_a_zip_installs_the_checkpoint_inside(server, unet_bytes, user_folder):
    url, routes = server
    routes["/release.zip"] = Route(zipped("MIMO-UNet.pkl", unet_bytes))
    installed = weightstore.download("mimo-unet", source=f"{url}/release.zip")
    assert installed.read_bytes() == unet_bytes
    assert leftovers(user_folder) == [installed]


def test_installed_weights_are_not_downloaded_again_without_overwrite(server, unet_bytes, user_folder):
    url, routes = server
    routes["/again.pkl"] = Route(unet_bytes)
    (user_folder).mkdir(parents=True)
    (user_folder / "MIMO-UNet.pkl").write_bytes(b"placeholder")
    with pytest.raises(weightstore.AlreadyInstalled):
        weightstore.download("mimo-unet", source=f"{url}/again.pkl")
    assert (user_folder / "MIMO-UNet.pkl").read_bytes() == b"placeholder"
    weightstore.download("mimo-unet", source=f"{url}/again.pkl", overwrite=True)
    assert (user_folder / "MIMO-UNet.pkl").read_bytes() == unet_bytes


def bad_downloads(unet_bytes: bytes, plus_bytes: bytes, marker: Path) -> dict[str, tuple[Route, str]]:
    evil = io.BytesIO()
    torch.save({"model": {"Encoder.0.layers.0.main.0.main.0.weight": Evil(marker)}}, evil)
    quota_page = (b"<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head>"
                  b"<body>Too many users have viewed or downloaded this file recently.</body></html>")
    return {
        "html": (Route(quota_page, content_type="text/html"), "web page instead of the weights"),
        "truncated": (Route(unet_bytes[: len(unet_bytes) // 2]), "truncated or corrupt"),
        "cut-off": (Route(unet_bytes[: len(unet_bytes) // 3], announced=len(unet_bytes)), "download failed"),
        "wrong-variant": (Route(plus_bytes), "holds MIMO-UNet+ weights"),
        "malicious": (Route(evil.getvalue()), "refused"),
        "zipped-wrong-variant": (Route(zipped("MIMO-UNet.pkl", plus_bytes)),
                                 "release/MIMO-UNet.pkl in the zip: holds MIMO-UNet+ weights"),
        "missing": (None, "HTTP 404"),
    }


@pytest.mark.parametrize("case", ["html", "truncated", "cut-off", "wrong-variant", "malicious", "zipped-wrong-variant",
                                  "missing"])
def test_bad_downloads_are_refused_in_one_line_leaving_nothing(case, server, unet_bytes, plus_bytes, user_folder,
                                                               tmp_path, capsys):
    url, routes = server
    marker = tmp_path / "pwned"
    route, expected = bad_downloads(unet_bytes, plus_bytes, marker)[case]
    if route is not None:
        routes[f"/{case}.pkl"] = route
    assert main(["weights", "download", "mimo-unet", "--source", f"{url}/{case}.pkl"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("deblur-app: MIMO-UNet: "), error
    assert expected in error and DRIVE_LINK in error and "Install from file" in error, error
    assert leftovers(user_folder) == []
    assert not marker.exists()  # the malicious pickle was never run


def test_no_network_is_one_line_and_leaves_nothing(user_folder, capsys):
    assert main(["weights", "download", "mimo-unet", "--source", "http://127.0.0.1:9/MIMO-UNet.pkl"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot connect" in error and DRIVE_LINK in error
    assert leftovers(user_folder) == []


def test_a_full_disk_is_refused_before_writing_and_leaves_nothing(server, unet_bytes, user_folder, monkeypatch):
    url, routes = server
    routes["/big.pkl"] = Route(unet_bytes)
    real_usage = weightstore.shutil.disk_usage

    def nearly_full(path):
        return real_usage(path)._replace(free=1000)

    monkeypatch.setattr(weightstore.shutil, "disk_usage", nearly_full)
    with pytest.raises(weightstore.WeightsError, match="not enough free space") as error:
        weightstore.download("mimo-unet", source=f"{url}/big.pkl")
    assert "\n" not in str(error.value) and DRIVE_LINK in str(error.value)
    assert leftovers(user_folder) == []


def test_cancel_mid_download_leaves_nothing(server, unet_bytes, user_folder):
    url, routes = server
    routes["/slow.pkl"] = Route(unet_bytes, piece=256 << 10, pause=0.05)  # about 5 s in all
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done >= 1 << 20:
            cancel.set()

    started = time.monotonic()
    with pytest.raises(weightstore.WeightsCancelled, match="cancelled; nothing was installed"):
        weightstore.download("mimo-unet", source=f"{url}/slow.pkl", progress=progress, cancel=cancel)
    assert time.monotonic() - started < 4 and seen and max(seen) < len(unet_bytes)
    assert leftovers(user_folder) == []


def test_source_must_be_http_and_names_one_variant(capsys):
    assert main(["weights", "download", "mimo-unet", "--source", "file:///etc/passwd"]) == 2
    assert main(["weights", "download", "all", "--source", "http://127.0.0.1:9/x.pkl"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["weights", "download", "mimo-unet-xl"])
    assert exit_info.value.code == 2
    assert main(["weights"]) == 2


# ----------------------------------------------------------------------------- install from a file


def test_install_from_file_detects_the_variant_and_keeps_the_format(plus_bytes, unet_bytes, user_folder, tmp_path):
    mine = tmp_path / "finetuned.pth"
    mine.write_bytes(plus_bytes)
    weights = weightstore.install_file(mine)
    assert weights.variant == "mimo-unet+" and weights.provenance == "user" and weights.in_use
    assert weights.path == user_folder / "mimo-unet-plus.user.pth" and weights.path.read_bytes() == plus_bytes

    published = tmp_path / "downloads" / "MIMO-UNet.pkl"  # as saved by a browser
    published.parent.mkdir()
    published.write_bytes(unet_bytes)
    weights = weightstore.install_file(published)
    assert weights.variant == "mimo-unet" and weights.provenance == "user"  # its name proves nothing
    assert weights.path == user_folder / "MIMO-UNet.pkl"
    assert sorted(p.name for p in leftovers(user_folder)) == ["MIMO-UNet.pkl", "mimo-unet-plus.user.pth"]


def test_install_from_safetensors_and_zip(user_folder, tmp_path):
    from deblur_app.model.checkpoints import save_checkpoint

    own = save_checkpoint(tmp_path / "best.safetensors", conformance_state_dict("mimo-unet"), {"trained_by": "me"})
    weights = weightstore.install_file(own)
    assert weights.path == user_folder / "mimo-unet.user.safetensors" and weights.provenance == "user"
    archive = tmp_path / "weights.zip"
    archive.write_bytes(zipped("best.safetensors", own.read_bytes()))
    assert weightstore.install_file(archive).already_installed  # the same weights, zipped: nothing to do
    other = save_checkpoint(tmp_path / "other.safetensors",
                            {k: v * 0.5 for k, v in conformance_state_dict("mimo-unet").items()}, {"trained_by": "me"})
    archive.write_bytes(zipped("best.safetensors", other.read_bytes()))
    with pytest.raises(weightstore.AlreadyInstalled, match="--overwrite"):
        weightstore.install_file(archive)
    weights = weightstore.install_file(archive, overwrite=True)
    assert weights.path.read_bytes() == other.read_bytes() and not weights.already_installed
    assert [p.name for p in leftovers(user_folder)] == ["mimo-unet.user.safetensors"]


def test_install_refuses_unknown_and_unsafe_files(user_folder, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    torch.save({"model": {"x": Evil(marker)}}, evil)
    other = tmp_path / "resnet.pt"
    torch.save({"conv1.weight": torch.zeros(2, 2)}, other)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    page = tmp_path / "MIMO-UNet.pkl"
    page.write_text("<html><body>Sign in</body></html>")
    for path, reason in ((evil, "refused"), (other, "not weights of a network this app knows"), (text, "not a weights file"),
                         (page, "web page"), (tmp_path / "absent.pth", "file not found")):
        with pytest.raises(weightstore.WeightsError, match=reason) as error:
            weightstore.install_file(path)
        assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)
    assert not marker.exists() and leftovers(user_folder) == []


def test_a_file_of_another_kind_is_refused_as_what_it_is(user_folder, tmp_path, capsys):
    """A PNG renamed photo.zip was "not a PyTorch checkpoint (Unsupported operand 80)": torch's unpickler reading
    the 'P' of "\x89PNG" as an opcode. What the file is, when its first bytes say so, is the reason given."""
    from PIL import Image

    image = Image.new("RGB", (8, 8), (200, 30, 30))
    photo = tmp_path / "photo.zip"
    image.save(photo, "PNG")
    jpeg = tmp_path / "MIMO-UNet.pkl"
    image.save(jpeg, "JPEG")
    notes = tmp_path / "weights.pth"
    notes.write_text("download the weights from the authors' page\n")
    assert main(["weights", "install", str(photo)]) != 0
    assert capsys.readouterr().err == f"deblur-app: {photo}: not a weights file but a PNG image\n"
    for path, kind in ((jpeg, "a JPEG image"), (notes, "a text file")):
        with pytest.raises(weightstore.WeightsError) as error:
            weightstore.install_file(path)
        assert str(error.value) == f"{path}: not a weights file but {kind}"
    assert leftovers(user_folder) == []


def test_a_zip_member_refused_is_named_with_its_reason(unet_bytes, user_folder, tmp_path, capsys):
    """Installing from a zip said "weights.zip: not a weights file but a PNG image" without saying which file in
    the zip it had read: the refusal names the member (its path in the zip) and why, for a member of another
    kind, one holding code, one the zip's checksum refuses (damaged), and a download's zip alike."""
    from PIL import Image

    marker = tmp_path / "pwned"
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, "PNG")
    evil = io.BytesIO()
    torch.save({"model": {"x": Evil(marker)}}, evil)
    photo, code, damaged = tmp_path / "photo.zip", tmp_path / "code.zip", tmp_path / "damaged.zip"
    photo.write_bytes(zipped("MIMO-UNet.pkl", png.getvalue()))
    code.write_bytes(zipped("model.pth", evil.getvalue()))
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("release/MIMO-UNet.pkl", unet_bytes)
    data = bytearray(stored.getvalue())
    data[len(data) // 2] ^= 0xFF  # in the member's data: its CRC-32 no longer matches
    damaged.write_bytes(bytes(data))
    expected = {photo: "release/MIMO-UNet.pkl in the zip: not a weights file but a PNG image",
                code: "release/model.pth in the zip: refused: the file contains Python objects other than tensors",
                damaged: "release/MIMO-UNet.pkl in the zip: a damaged zip (Bad CRC-32"}
    for path, said in expected.items():
        with pytest.raises(weightstore.WeightsError) as error:
            weightstore.install_file(path)
        assert str(error.value).startswith(f"{path}: {said}") and "\n" not in str(error.value)
    assert main(["weights", "install", str(photo)]) != 0
    assert capsys.readouterr().err == f"deblur-app: {photo}: {expected[photo]}\n"
    assert not marker.exists() and leftovers(user_folder) == []


def test_a_file_of_another_kind_is_named_in_one_place_for_install_and_for_weights(user_folder, tmp_path):
    """The store asked its own "web page?" question before the checkpoint reader's, so a page the user saved as
    page.pkl was "received a web page instead of the weights (Google Drive shows one when its download quota is
    exceeded ...)", a download's explanation for a file that was never downloaded, while --weights said "not a
    weights file but a web page (HTML)". The checkpoint reader names a file of another kind, for both (and for a
    zip's member); a download that got a page keeps its explanation (test_bad_downloads...)."""
    from deblur_app.model.checkpoints import CheckpointError, load_checkpoint

    page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"
    saved, safetensors, archive = tmp_path / "page.pkl", tmp_path / "page.safetensors", tmp_path / "page.zip"
    saved.write_bytes(page)
    safetensors.write_bytes(page)
    archive.write_bytes(zipped("MIMO-UNet.pkl", page))
    for path in (saved, safetensors):
        with pytest.raises(CheckpointError) as read:
            load_checkpoint(path)
        with pytest.raises(weightstore.WeightsError) as installed:
            weightstore.install_file(path)
        assert str(installed.value) == str(read.value) == f"{path}: not a weights file but a web page (HTML)"
    with pytest.raises(weightstore.WeightsError) as installed:
        weightstore.install_file(archive)
    assert str(installed.value) == (f"{archive}: release/MIMO-UNet.pkl in the zip: not a weights file but a web page "
                                    "(HTML)")
    assert leftovers(user_folder) == []


def test_a_disk_full_while_copying_leaves_nothing(unet_bytes, user_folder, tmp_path, monkeypatch):
    import errno

    source = tmp_path / "MIMO-UNet.pkl"
    source.write_bytes(unet_bytes)

    def full(_source, target):
        Path(target).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(weightstore.shutil, "copyfile", full)
    with pytest.raises(weightstore.WeightsError, match="is full"):
        weightstore.install_file(source)
    assert leftovers(user_folder) == []


# ----------------------------------------------------------------------------- list and remove


def test_cli_install_list_and_remove(unet_bytes, user_folder, tmp_path, capsys):
    source = tmp_path / "MIMO-UNet.pkl"
    source.write_bytes(unet_bytes)
    assert main(["weights", "install", str(source), "--no-int8-check"]) == 0
    assert "used from now on" in capsys.readouterr().out
    assert main(["weights", "install", str(source)]) == 0  # the same file again: already installed is success
    assert f"MIMO-UNet: already installed at {user_folder / 'MIMO-UNet.pkl'} (the same file)" in capsys.readouterr().out
    other = tmp_path / "other" / "MIMO-UNet.pkl"
    other.parent.mkdir()
    other.write_bytes(_other_unet_bytes(unet_bytes))
    assert main(["weights", "install", str(other)]) == 1  # other weights under that name: never replaced silently
    assert "--overwrite" in capsys.readouterr().err
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "MIMO-UNet.pkl" in line)
    assert "* used" in line and " user " in line and hashlib.sha256(unet_bytes).hexdigest() in line
    assert "MIMO-UNet+: not installed" in out and str(user_folder) in out
    assert main(["info"]) == 0
    assert (f"{user_folder / 'MIMO-UNet.pkl'} — user: installed by you; installed from {source}"
            in capsys.readouterr().out)
    if (bundled_weights_dir() / "mimo-unet.safetensors").exists():
        assert main(["weights", "remove", "mimo-unet.safetensors"]) == 1
        assert "ships with the app" in capsys.readouterr().err
    assert main(["weights", "remove", "mimo-unet"]) == 0
    assert not (user_folder / "MIMO-UNet.pkl").exists()
    assert list(user_folder.iterdir()) == []  # its record of origin went with it
    assert main(["weights", "remove", "MIMO-UNet.pkl"]) == 1
    assert "no such installed weights" in capsys.readouterr().err


# ----------------------------------------------------------------------------- provenance (issue 22 item 4)


@pytest.fixture
def from_authors_drive(monkeypatch):
    """Google Drive is unreachable here: the authors' file ids are served by a stand-in for the fetch."""
    served = {}

    def fetch(variant_key, source, staging, folder, progress, cancel):
        assert source is None  # only the authors' own release goes this way
        target = staging / "download"
        target.write_bytes(served[weightstore.PUBLISHED_DRIVE_IDS[variant_key]])
        return target

    monkeypatch.setattr(weightstore, "_fetch", fetch)
    return served


def test_only_a_download_from_the_authors_release_is_published(from_authors_drive, unet_bytes, user_folder,
                                                               capsys):
    from_authors_drive[weightstore.PUBLISHED_DRIVE_IDS["mimo-unet"]] = unet_bytes
    assert main(["weights", "download", "mimo-unet", "--no-int8-check"]) == 0
    capsys.readouterr()
    installed = user_folder / "MIMO-UNet.pkl"
    assert find_weights("mimo-unet").kind == "published"
    assert main(["info"]) == 0
    assert f"{installed} — published: the paper's weights: downloaded from the authors' release" in \
        capsys.readouterr().out
    record = (user_folder / "MIMO-UNet.pkl.origin.json").read_text()
    assert '"how": "authors"' in record and hashlib.sha256(unet_bytes).hexdigest() in record


def test_a_file_copied_over_the_authors_download_is_no_longer_published(from_authors_drive, unet_bytes,
                                                                        user_folder, tmp_path):
    from_authors_drive[weightstore.PUBLISHED_DRIVE_IDS["mimo-unet"]] = unet_bytes
    installed = weightstore.download("mimo-unet")
    assert find_weights("mimo-unet").kind == "published"
    state = conformance_state_dict("mimo-unet")
    for tensor in state.values():
        tensor.mul_(0.5)  # other weights of the same network: a file of the same size
    buffer = io.BytesIO()
    torch.save({"model": state}, buffer)
    assert len(buffer.getvalue()) == len(unet_bytes)
    time.sleep(0.01)
    installed.write_bytes(buffer.getvalue())
    assert find_weights("mimo-unet").kind == "user"
    assert describe(find_weights("mimo-unet")) == "user: installed by you"


def test_a_published_name_without_a_record_is_installed_by_you(unet_bytes, user_folder, tmp_path):
    user_folder.mkdir(parents=True, exist_ok=True)
    (user_folder / "MIMO-UNet.pkl").write_bytes(unet_bytes)  # put there by hand
    assert find_weights("mimo-unet").kind == "user"
    elsewhere = tmp_path / "MIMO-UNet.pkl"
    elsewhere.write_bytes(unet_bytes)
    assert classify(elsewhere, VARIANTS["mimo-unet"]).kind == "user"  # --weights ~/Downloads/MIMO-UNet.pkl


def test_a_pipe_a_device_or_a_huge_file_is_refused_before_it_is_copied(tmp_path, monkeypatch):
    """A named pipe "weights.pth" was called "file not found" (and copying one waits for a writer); /dev/zero
    symlinked as a .pth too; a 3 GB file was copied whole into the weights folder before torch refused it."""
    import os

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    pipe, zero, huge = tmp_path / "pipe.pth", tmp_path / "zero.pth", tmp_path / "huge.pth"
    os.mkfifo(pipe)
    zero.symlink_to("/dev/zero")
    with open(huge, "wb") as sparse:  # sparse: no disk used
        sparse.truncate(weightstore.MAX_WEIGHTS_BYTES + 10**9)
    copied = []
    monkeypatch.setattr(weightstore.shutil, "copyfile", lambda *args, **_: copied.append(args))
    for path, said in [(pipe, "is a device, pipe or socket, not a weights file"),
                       (zero, "is a device, pipe or socket, not a weights file"),
                       (huge, "the file is 3147 MB, too large for weights (at most 2147 MB)"),
                       (tmp_path / "gone.pth", "file not found")]:
        with pytest.raises(weightstore.WeightsError) as refused:
            weightstore.install_file(path)
        assert str(refused.value) == f"{path}: {said}"
    assert not copied


@pytest.mark.parametrize("cut", ["empty", "truncated"])
def test_an_empty_or_cut_weights_file_in_use_is_no_used_weights_in_the_list(cut, unet_bytes, user_folder, tmp_path,
                                                                          capsys):
    """The list, info and a run judge the file in use alike (catalog.unusable): a file emptied or cut short (a
    copy stopped midway) is not "* used" in the list while info calls it unreadable and a run stops on it."""
    installed = user_folder / "MIMO-UNet.pkl"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(b"" if cut == "empty" else unet_bytes[: len(unet_bytes) // 2])
    photo = tmp_path / "photo.png"
    imagefiles.save_image(photo, np.full((24, 24, 3), 0.5, np.float32))

    assert main(["deblur", str(photo), "--model", "mimo-unet"]) == 1
    run_says = capsys.readouterr().err.strip().removeprefix("deblur-app: ").removeprefix(f"{installed}: ")
    assert main(["info"]) == 0
    info_line = next(line for line in capsys.readouterr().out.splitlines() if f"{installed} — " in line)
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = next(index for index, line in enumerate(out) if "MIMO-UNet.pkl" in line)
    assert "* used" not in out[at] and "! used" in out[at]
    assert out[at + 1].strip() == (f"unreadable: {run_says}: runs of MIMO-UNet stop on it "
                                   "(`deblur-app weights remove MIMO-UNet.pkl` takes it away)")
    assert f"unreadable: {installed}: {run_says}" in info_line
    assert ("the file is empty" if cut == "empty" else "incomplete download or copy") in run_says
    assert not any(path.name.startswith("photo_") for path in tmp_path.iterdir())


def test_the_list_still_marks_usable_weights_used(unet_bytes, user_folder, capsys):
    user_folder.mkdir(parents=True)
    (user_folder / "MIMO-UNet.pkl").write_bytes(unet_bytes)
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "* used MIMO-UNet.pkl" in out and "unreadable" not in out


@pytest.mark.parametrize("name", ["", "  "])
def test_removing_a_blank_name_is_a_usage_error_not_a_line_naming_nothing(name, user_folder, capsys):
    assert main(["weights", "remove", name]) == 2
    error = capsys.readouterr().err
    assert error.startswith("deblur-app: weights remove: name a file") and len(error.splitlines()) == 1


def _judged_afresh(monkeypatch) -> list:
    """A new process's view of the verdicts (the in-memory ones forgotten), and a list of every weights file read."""
    from deblur_app.model import checkpoints
    from deblur_app.weights import catalog

    monkeypatch.setattr(catalog, "_JUDGED", {})
    reads, real_load = [], checkpoints.load_checkpoint
    monkeypatch.setattr(checkpoints, "load_checkpoint", lambda path, *a, **k: reads.append(path) or real_load(path, *a, **k))
    return reads


def test_a_second_weights_list_reads_no_weights_file_and_a_changed_one_is_judged_again(unet_bytes, user_folder,
                                                                                      monkeypatch, capsys):
    """`weights list` judges the file in use as a run reads it (catalog.unusable): 0.19 s became 4.4 s. The verdict is
    kept in the app's cache folder, keyed by the file's resolved path, size and mtime: the next `weights list` (another
    process) reads no weights file; a file replaced since is judged again."""
    import os

    from deblur_app.weights import catalog

    installed = user_folder / "MIMO-UNet.pkl"
    user_folder.mkdir(parents=True)
    installed.write_bytes(unet_bytes)
    reads = _judged_afresh(monkeypatch)
    assert main(["weights", "list"]) == 0
    first = capsys.readouterr().out
    assert "* used MIMO-UNet.pkl" in first and reads == [installed]
    reads = _judged_afresh(monkeypatch)
    assert main(["weights", "list"]) == 0
    assert capsys.readouterr().out == first and reads == [], "the kept verdict was not used"
    assert not [p for p in catalog.verdicts_file().parent.iterdir() if p.name.endswith(".tmp")]
    installed.write_bytes(unet_bytes[: len(unet_bytes) // 2])  # cut short: another size
    reads = _judged_afresh(monkeypatch)
    assert main(["weights", "list"]) == 0
    assert "! used MIMO-UNet.pkl" in capsys.readouterr().out and reads == [installed]
    installed.write_bytes(unet_bytes)
    status = installed.stat()
    os.utime(installed, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))  # same size, another mtime
    reads = _judged_afresh(monkeypatch)
    assert main(["weights", "list"]) == 0
    assert "* used MIMO-UNet.pkl" in capsys.readouterr().out and reads == [installed]


@pytest.mark.parametrize("cache", ["corrupt", "foreign", "a folder"])
def test_an_unreadable_or_corrupt_verdict_cache_only_means_judging_again(cache, unet_bytes, user_folder, monkeypatch,
                                                                         capsys):
    import json

    from deblur_app.weights import catalog

    installed = user_folder / "MIMO-UNet.pkl"
    user_folder.mkdir(parents=True)
    installed.write_bytes(unet_bytes)
    kept = catalog.verdicts_file()
    kept.parent.mkdir(parents=True, exist_ok=True)
    if cache == "a folder":
        kept.mkdir()
    else:
        key = catalog._stored_key(catalog._file_key(installed))
        kept.write_text("{not json" if cache == "corrupt" else json.dumps(
            {key: {"metadata": 5, "problem": {"template": "{nothing}", "fields": []}}, "other": [1]}))
    reads = _judged_afresh(monkeypatch)
    assert main(["weights", "list"]) == 0
    assert "* used MIMO-UNet.pkl" in capsys.readouterr().out and reads == [installed]
    if cache != "a folder":  # rewritten whole, with this verdict
        assert catalog._stored_key(catalog._file_key(installed)) in json.loads(kept.read_text())


def test_a_kept_refusal_comes_back_as_the_same_reason(unet_bytes, user_folder, monkeypatch, capsys):
    """A cut file's refusal is kept as its template and fields, so the window still translates the kept one."""
    from deblur_app.weights import catalog

    installed = user_folder / "MIMO-UNet.pkl"
    user_folder.mkdir(parents=True)
    installed.write_bytes(b"")
    _judged_afresh(monkeypatch)
    said = catalog.unusable(installed)
    reads = _judged_afresh(monkeypatch)
    kept = catalog.unusable(installed)
    assert reads == [] and kept == said and repr(kept) == repr(said)


def test_a_checkpoint_s_validation_psnr_is_shown_to_two_decimals(tmp_path):
    """`deblur-app info` (and the window's weights line) showed val_psnr as training wrote it: 31.269874572753906."""
    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.weights.catalog import rounded_psnr

    weights = save_checkpoint(tmp_path / "mine.safetensors", conformance_state_dict("mimo-unet"),
                              {"trained_by": "tests", "val_psnr": 31.269874572753906})
    line = describe(classify(weights, VARIANTS["mimo-unet"]))
    assert "validation 31.27 dB" in line and "31.2698" not in line, line
    assert [rounded_psnr(v) for v in ("30.5", 28, "n/a", "nan")] == ["30.50", "28.00", "n/a", "nan"]


def test_a_second_weights_list_in_a_new_process_imports_no_torch(tmp_path):
    """What makes the kept verdict fast: a second `weights list` (another process) does not even import torch (seconds
    at a high load), which reading the file needs: the first one does, to judge the file in use."""
    import os
    import subprocess
    import sys

    listing = ("import sys; from deblur_app.cli.main import main; code = main(['weights', 'list']); "
               "print('torch imported:', 'torch' in sys.modules); sys.exit(code)")
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data"),
                   "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                  os.environ.get("PYTHONPATH", "")])}
    said = [subprocess.run([sys.executable, "-c", listing], env=environment, capture_output=True, text=True,
                           timeout=300) for _ in range(2)]
    assert [run.returncode for run in said] == [0, 0], said[0].stderr[-2000:]
    assert "* used " in said[0].stdout and said[0].stdout.replace("True", "False") == said[1].stdout
    assert "torch imported: True" in said[0].stdout and "torch imported: False" in said[1].stdout
    assert (tmp_path / "cache" / "deblur_app" / "weights-verdicts.json").is_file()
