"""The weights manager for NAFNet and FFTformer: catalogue entries from the registry, terms before a
download, a Drive folder narrowed to one file, strict verification, and nothing half-installed.

No test reaches the internet: ``--source`` points at the local http.server of conftest, and the
authors' Google Drive (files and folders) is stood in for by patched gdown calls. The checkpoints
are built from the published key lists in tests/data/conformance/networks with the deterministic
weights of tests/conformance_weights.py.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import Route

from deblur_app.cli.main import main
from deblur_app.model.registry import VARIANTS
from deblur_app.weights import catalog
from deblur_app.weights import store as weightstore
from test_network_checkpoints import FFTFORMER_16, NAFNET_16, small_state
from test_networks_conformance import published_weights

NAFNET_32_LINK = "https://drive.google.com/file/d/1Fr2QadtDCEXg6iwWX8OzeZLbHOx2t5Bj/view"
FFTFORMER_FOLDER = "https://drive.google.com/drive/folders/1l_R8_2UKfiQP_BYrgcQrmCBSe_ogwL41"


def saved(state: dict, wrapper: str | None) -> bytes:
    buffer = io.BytesIO()
    torch.save(state if wrapper is None else {wrapper: state}, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def nafnet32_bytes() -> bytes:
    """NAFNet-32 as its authors publish it: BasicSR's {'params': state_dict}."""
    return saved(published_weights("NAFNet-width32"), "params")


@pytest.fixture(scope="module")
def fftformer_bytes() -> bytes:
    """FFTformer as its authors publish it: a plain state dict."""
    return saved(published_weights("FFTformer"), None)


@pytest.fixture
def user_folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return weightstore.user_weights_dir()


def leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.name.endswith(".origin.json")) if folder.exists() else []


class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


# ----------------------------------------------------------------------------- the catalogue


def test_every_published_variant_is_in_the_catalogue_with_the_registry_facts():
    entries = catalog.downloads()
    assert {"nafnet-64", "nafnet-32", "nafnet-64-reds", "fftformer", "fftformer-realblur"} <= set(entries)
    assert set(entries) == {k for k, v in VARIANTS.items() if v.published is not None}
    nafnet = entries["nafnet-32"]
    assert nafnet.link == NAFNET_32_LINK and nafnet.file_name == "NAFNet-GoPro-width32.pth"
    assert "params" in nafnet.checkpoint_format and "MIT" in nafnet.terms and not nafnet.is_folder
    realblur = entries["fftformer-realblur"]
    assert realblur.is_folder and realblur.link == FFTFORMER_FOLDER and "RealBlur" in realblur.training_data
    assert "no licence" in realblur.terms
    assert weightstore.browser_link("fftformer") == FFTFORMER_FOLDER
    assert "fftformer" not in weightstore.PUBLISHED_DRIVE_IDS  # a folder: listed first, no file id
    terms = weightstore.download_terms("fftformer-realblur")
    assert "Terms: no licence" in terms and "RealBlur-J" in terms and FFTFORMER_FOLDER in terms and "\n" not in terms


def test_missing_weights_name_only_files_a_user_can_have():
    """A release whose README names no file (FFTformer RealBlur: one file of a Drive folder) is asked for by the
    command and by our own file name; it had been "put fftformer-realblur.published", a name no release uses."""
    realblur = str(catalog.missing_weights_message(VARIANTS["fftformer-realblur"]))
    assert ".published" not in realblur
    assert "weights download fftformer-realblur" in realblur and "fftformer-realblur.safetensors" in realblur
    named = str(catalog.missing_weights_message(VARIANTS["fftformer"]))
    assert "net_g_GoPro_HIDE.pth" in named and "fftformer.safetensors" in named


def test_one_file_is_picked_from_a_folder_by_its_name_or_else_refused():
    folder = ["FFTformer/net_g_GoPro_HIDE.pth", "FFTformer/fftformer_RealBlur_J.pth", "README.txt"]
    entries = catalog.downloads()
    assert catalog.pick_from_folder(entries["fftformer"], folder) == "FFTformer/net_g_GoPro_HIDE.pth"
    assert catalog.pick_from_folder(entries["fftformer-realblur"], folder) == "FFTformer/fftformer_RealBlur_J.pth"
    ambiguous = ["realblur_j.pth", "realblur_r.pth"]
    with pytest.raises(LookupError, match="realblur_j.pth, realblur_r.pth") as error:
        catalog.pick_from_folder(entries["fftformer-realblur"], ambiguous)
    assert "\n" not in str(error.value)
    with pytest.raises(LookupError, match="no weights files"):
        catalog.pick_from_folder(entries["fftformer-realblur"], ["README.txt"])


# ----------------------------------------------------------------------------- downloads from a server


def test_download_of_nafnet_prints_the_terms_first_and_installs_the_verified_file(server, nafnet32_bytes,
                                                                                  user_folder, capsys):
    url, routes = server
    routes["/NAFNet-GoPro-width32.pth"] = Route(nafnet32_bytes, piece=4 << 20)
    assert main(["weights", "download", "nafnet-32", "--source", f"{url}/NAFNet-GoPro-width32.pth", "--no-int8-check"]) == 0
    out = capsys.readouterr().out
    assert out.index("Terms: MIT licence") < out.index("installed")
    installed = user_folder / "NAFNet-GoPro-width32.pth"
    assert installed.read_bytes() == nafnet32_bytes and leftovers(user_folder) == [installed]
    assert weightstore.find_weights("nafnet-32").path == installed


def test_download_of_fftformer_in_a_zip_installs_the_checkpoint_inside(server, fftformer_bytes, user_folder):
    url, routes = server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "FFTformer")
        archive.writestr("FFTformer/net_g_GoPro_HIDE.pth", fftformer_bytes)
    routes["/fftformer.zip"] = Route(buffer.getvalue())
    installed = weightstore.download("fftformer", source=f"{url}/fftformer.zip")
    assert installed == user_folder / "net_g_GoPro_HIDE.pth" and installed.read_bytes() == fftformer_bytes
    assert leftovers(user_folder) == [installed]


@pytest.mark.parametrize("case", ["html", "truncated", "wrong-network", "malicious", "missing"])
def test_bad_fftformer_downloads_are_one_line_and_leave_nothing(case, server, nafnet32_bytes, fftformer_bytes,
                                                                user_folder, tmp_path, capsys):
    url, routes = server
    marker = tmp_path / "pwned"
    cases = {
        "html": (Route(b"<!DOCTYPE html><html><title>Google Drive - Quota exceeded</title></html>",
                       content_type="text/html"), "web page instead of the weights"),
        "truncated": (Route(fftformer_bytes[: len(fftformer_bytes) // 2]), "truncated or corrupt"),
        # a NAFNet file offered as FFTformer: recognised by its keys, whatever it is called
        "wrong-network": (Route(nafnet32_bytes), "holds NAFNet-32 weights but FFTformer was asked for"),
        "malicious": (Route(saved({"patch_embed.proj.weight": Evil(marker)}, None)), "refused"),
        "missing": (None, "HTTP 404"),
    }
    route, expected = cases[case]
    if route is not None:
        routes[f"/{case}.pth"] = route
    assert main(["weights", "download", "fftformer", "--source", f"{url}/{case}.pth"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("deblur-app: FFTformer: "), error
    assert expected in error and FFTFORMER_FOLDER in error, error
    assert leftovers(user_folder) == [] and not marker.exists()


def test_no_network_is_one_line_and_leaves_nothing(user_folder, capsys):
    assert main(["weights", "download", "nafnet-64", "--source", "http://127.0.0.1:9/NAFNet.pth"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot connect" in error and "NAFNet-64" in error
    assert leftovers(user_folder) == []


# ----------------------------------------------------------------------------- the authors' Drive folder


@pytest.fixture
def drive(monkeypatch):
    """Stand-ins for gdown's folder listing and file download: {file id: bytes}, and the folder's listing."""
    import gdown

    files: dict[str, bytes] = {}
    folder: list[SimpleNamespace] = []
    asked = []

    def download_folder(url, skip_download=False, **_kwargs):
        assert skip_download, "a whole folder must never be downloaded"
        asked.append(url)
        return list(folder)

    def download(url=None, id=None, output=None, progress=None, **_kwargs):
        assert url is None and id in files
        Path(output).write_bytes(files[id])
        if progress is not None:
            progress(len(files[id]), len(files[id]))
        return output

    monkeypatch.setattr(gdown, "download_folder", download_folder)
    monkeypatch.setattr(gdown, "download", download)
    return SimpleNamespace(files=files, folder=folder, asked=asked)


def test_a_folder_release_downloads_only_its_own_file_as_the_authors(drive, fftformer_bytes, nafnet32_bytes,
                                                                      user_folder):
    drive.folder += [SimpleNamespace(id="gopro-id", path="net_g_GoPro_HIDE.pth"),
                     SimpleNamespace(id="realblur-id", path="RealBlur_J/net_g_RealBlur_J.pth")]
    drive.files.update({"gopro-id": nafnet32_bytes, "realblur-id": fftformer_bytes})
    installed = weightstore.download("fftformer-realblur")
    assert drive.asked == [FFTFORMER_FOLDER]
    assert installed.read_bytes() == fftformer_bytes and leftovers(user_folder) == [installed]
    assert weightstore.find_weights("fftformer-realblur").kind == "published"
    # the GoPro entry of the same folder is the NAFNet file here: strictly refused, nothing installed
    with pytest.raises(weightstore.WeightsError, match="holds NAFNet-32 weights but FFTformer was asked for"):
        weightstore.download("fftformer")
    assert leftovers(user_folder) == [installed]


def test_a_folder_without_a_clear_file_is_refused_naming_what_it_holds(drive, user_folder):
    drive.folder += [SimpleNamespace(id="a", path="model_a.pth"), SimpleNamespace(id="b", path="model_b.pth")]
    with pytest.raises(weightstore.WeightsError) as error:
        weightstore.download("fftformer-realblur")
    text = str(error.value)
    assert "model_a.pth, model_b.pth" in text and "download it in a browser" in text and "\n" not in text
    assert leftovers(user_folder) == []


# ----------------------------------------------------------------------------- install from a file


@pytest.mark.parametrize("wrapper", ["params", "params_ema", "state_dict", "model", None])
@pytest.mark.parametrize("network", ["nafnet", "fftformer"])
def test_install_accepts_every_container_of_any_configuration(network, wrapper, user_folder, tmp_path):
    config = NAFNET_16 if network == "nafnet" else FFTFORMER_16
    source = tmp_path / "mine.pth"
    source.write_bytes(saved(small_state(network, **config), wrapper))
    weights = weightstore.install_file(source)
    first = "nafnet-64" if network == "nafnet" else "fftformer"  # an unpublished width counts as the first variant
    assert weights.variant == first and weights.provenance == "user"
    assert weights.path == user_folder / f"{first}.user.pth" and weights.path.read_bytes() == source.read_bytes()
    assert weights.unpublished.startswith(("NAFNet (width 16", "FFTformer (dim 16"))


def test_install_of_an_unpublished_configuration_says_which_network_it_holds(user_folder, tmp_path, capsys):
    """A NAFNet of width 16 named restormer_defocus.pth is installed as what its keys and shapes say, under the first
    NAFNet variant's name: the command line says it is no published NAFNet-64 but a width-16 NAFNet (weights list and
    the window's menu call it NAFNet-64), and that nothing made of the file's name counted. A published file says
    nothing more."""
    source = tmp_path / "restormer_defocus.pth"
    source.write_bytes(saved(small_state("nafnet", **NAFNET_16), "params"))
    assert main(["weights", "install", str(source), "--no-int8-check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("NAFNet-64 (user): ") and len(lines) == 2
    assert lines[1].startswith("NAFNet-64: the file holds NAFNet (width 16, ") and "not the configuration" in lines[1]
    assert weightstore.find_weights("nafnet-64").path == user_folder / "nafnet-64.user.pth"


def test_install_of_a_published_nafnet_file_keeps_its_name_and_variant(nafnet32_bytes, user_folder, tmp_path, capsys):
    source = tmp_path / "NAFNet-GoPro-width32.pth"
    source.write_bytes(nafnet32_bytes)
    assert main(["weights", "install", str(source), "--no-int8-check"]) == 0
    out = capsys.readouterr().out
    assert "NAFNet-32 (user)" in out and "the file holds" not in out and len(out.splitlines()) == 1
    assert weightstore.find_weights("nafnet-32").path == user_folder / "NAFNet-GoPro-width32.pth"


@pytest.mark.parametrize("case", ["super-resolution", "unknown", "truncated", "renamed-to-mimo"])
def test_install_refuses_in_one_line_and_installs_nothing(case, nafnet32_bytes, user_folder, tmp_path, capsys):
    sr = {"conv_first.weight": torch.zeros(64, 3, 3, 3), "upconv1.weight": torch.zeros(64, 64, 3, 3),
          "conv_last.weight": torch.zeros(3, 64, 3, 3)}
    files = {
        "super-resolution": (saved(sr, "params_ema"), "a super-resolution model"),
        "unknown": (saved({"backbone.conv1.weight": torch.zeros(2, 2)}, "state_dict"), "not weights of a network"),
        "truncated": (nafnet32_bytes[: len(nafnet32_bytes) // 3], "truncated or corrupt"),
    }
    if case == "renamed-to-mimo":
        # a NAFNet file under MIMO-UNet's published name is NAFNet: installed as what its keys say
        source = tmp_path / "MIMO-UNet.pkl"
        source.write_bytes(nafnet32_bytes)
        assert main(["weights", "install", str(source), "--no-int8-check"]) == 0
        assert "NAFNet-32 (user)" in capsys.readouterr().out
        assert (user_folder / "nafnet-32.user.pkl").exists() and not (user_folder / "MIMO-UNet.pkl").exists()
        return
    data, reason = files[case]
    source = tmp_path / "model.pth"
    source.write_bytes(data)
    assert main(["weights", "install", str(source)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and reason in error and str(source) in error, error
    assert leftovers(user_folder) == []
