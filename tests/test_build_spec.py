"""Cheap checks of the standalone build (build.spec) that need neither PyInstaller nor a build.

The full check, which builds the folder and runs it, is scripts/smoke_frozen.sh
(tests/test_frozen_build.py runs it when DEBLUR_TEST_FROZEN=1).
"""

import ast
import re
import sys
import types
from pathlib import Path

import pytest

from deblur_app import resources

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "build.spec"
LAZY_TORCH_INTERNALS = ("torch._dynamo", "torch._inductor", "torch.onnx", "sympy")

# What PyInstaller's analysis typically hands the spec, by place in the bundle.
SAMPLE_FILES = {
    "torch/bin/torch_shm_manager": "kept",
    "torch/bin/test_api": "dropped",
    "torch/bin/FileStoreTest": "dropped",
    "torch/bin/protoc": "dropped",
    "torch/test/Dict_test": "dropped",
    "torch/lib/libtorch_cpu.so": "kept",
    "torch/lib/libtorchbind_test.so": "dropped",
    "torch/_inductor/codegen/cpp_prefix.h": "kept",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so": "kept",
    "PySide6/Qt/plugins/platforms/libqxcb.so": "kept",
    "PySide6/Qt/plugins/platforms/libqwayland.so": "kept",
    "PySide6/Qt/plugins/platforms/qwindows.dll": "kept",
    "PySide6/Qt/plugins/platforms/libqcocoa.dylib": "kept",
    "PySide6/Qt/plugins/platforms/libqeglfs.so": "dropped",
    "PySide6/Qt/plugins/platforms/libqvnc.so": "dropped",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so": "kept",
    "PySide6/Qt/plugins/imageformats/libqpdf.so": "dropped",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so": "kept",
    "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so": "kept",
    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so": "dropped",
    "PySide6/Qt/translations/qtbase_de.qm": "dropped",
    "PySide6/Qt/translations/qtbase_zh_CN.qm": "kept",  # Qt's dialogs in the window's languages
    "PySide6/Qt/translations/qt_zh_CN.qm": "dropped",
    "PySide6/Qt/translations/qtdeclarative_zh_CN.qm": "dropped",
    "resources/i18n/deblur_app_zh_CN.qm": "kept",
    "resources/i18n/deblur_app_en.qm": "kept",
    "resources/i18n/deblur_app_zh_CN.ts": "dropped",
    "PySide6/Qt/lib/libQt6Widgets.so.6": "kept",
    "resources/icons/app.png": "kept",
    "weights/mimo-unet.safetensors": "kept",
}


# what collect_dynamic_libs finds for a package in the fake build environment
FAKE_DYNAMIC_LIBS = {"rawpy": [("/site/rawpy/libraw_r.so.25", "rawpy")]}


class _Recorder:
    """Stands in for PyInstaller's Analysis/PYZ/EXE/COLLECT/BUNDLE and remembers its arguments."""

    made: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.binaries = [(dest, "/src/" + dest, "BINARY") for dest in SAMPLE_FILES if not dest.endswith((".qm", ".ts", ".safetensors", ".png"))]
        self.datas = [(dest, "/src/" + dest, "DATA") for dest in SAMPLE_FILES if dest.endswith((".qm", ".ts", ".safetensors", ".png"))]
        self.pure, self.scripts = [], []
        _Recorder.made.append(self)


@pytest.fixture(scope="module")
def spec():
    """build.spec executed with stand-ins for PyInstaller: its namespace after the run."""
    fake_hooks = types.ModuleType("PyInstaller.utils.hooks")
    fake_hooks.collect_submodules = lambda package, **_: [f"{package}.cli.main"]
    fake_hooks.collect_dynamic_libs = lambda package, **_: list(FAKE_DYNAMIC_LIBS.get(package, []))
    saved = {name: sys.modules.get(name) for name in ("PyInstaller", "PyInstaller.utils", "PyInstaller.utils.hooks")}
    sys.modules.update({"PyInstaller": types.ModuleType("PyInstaller"), "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
                        "PyInstaller.utils.hooks": fake_hooks})
    _Recorder.made = []
    namespace = {"__name__": "__main__", "SPECPATH": str(REPO),
                 **{name: type(name, (_Recorder,), {}) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}}
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return namespace


def made(kind: str) -> list:
    return [obj for obj in _Recorder.made if type(obj).__name__ == kind]


def test_spec_is_valid_python():
    ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def test_version_comes_from_the_package(spec):
    import deblur_app

    assert spec["VERSION"] == deblur_app.__version__


def test_entry_script_is_the_package_main_with_freeze_support(spec):
    (analysis,) = made("Analysis")
    (script,) = analysis.args[0]
    assert Path(script) == REPO / "deblur_app" / "__main__.py"
    source = Path(script).read_text(encoding="utf-8")
    assert source.index("multiprocessing.freeze_support()") < source.index("run()")


def test_resources_and_weights_are_bundled(spec):
    (analysis,) = made("Analysis")
    datas = analysis.kwargs["datas"]
    weights = [(src, dest) for src, dest in datas if Path(src).name == "mimo-unet.safetensors"]
    assert weights == [(str(REPO / "weights" / "mimo-unet.safetensors"), "weights")]
    assert {"resources", "weights"} <= set(spec["BUNDLED_FOLDERS"])
    resource_files = [src for src in map(Path, (REPO / "resources").rglob("*")) if src.is_file() and not src.name.startswith(".")]
    bundled = {src for src, _ in datas}
    assert all(str(src) in bundled for src in resource_files)
    assert all(dest == "weights" or dest.startswith("resources") for _, dest in datas)


def test_one_folder_build_named_deblur_app(spec):
    (collect,) = made("COLLECT")
    assert collect.kwargs["name"] == "deblur-app"
    executables = made("EXE")
    assert all(exe.kwargs["exclude_binaries"] for exe in executables)  # one-folder, not one-file
    names = {exe.kwargs["name"]: exe.kwargs["console"] for exe in executables}
    assert names["deblur-app"] is True
    if sys.platform in ("win32", "darwin"):
        assert names["deblur-app-gui"] is False
    else:
        assert set(names) == {"deblur-app"}


def test_tkinter_and_dev_tools_are_excluded(spec):
    excludes = set(made("Analysis")[0].kwargs["excludes"])
    assert {"tkinter", "_tkinter", "pytest"} <= excludes
    assert {"PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore"} <= excludes
    assert "PySide6.QtNetwork" not in excludes  # the one-window socket (gui/single_instance.py)
    assert "ray" in excludes  # the cluster extra stays out of the standalone folder
    assert "openvino_telemetry" in excludes  # no usage telemetry in the frozen build (deblur_app/privacy.py)
    # never imported by the app (python -X importtime over every command; the frozen smoke checks): 17+ MB each
    assert {"pandas", "sklearn"} <= excludes
    assert not {"scipy", "skimage", "nncf", "onnx"} & excludes  # NNCF's int8 path needs scipy.linalg; eval --real skimage


def test_torch_lazy_internals_are_not_excluded(spec):
    excludes = made("Analysis")[0].kwargs["excludes"]
    for name in LAZY_TORCH_INTERNALS:
        assert not any(name == ex or name.startswith(ex + ".") for ex in excludes), name
    assert "torch.testing" not in excludes and "torch" not in excludes


def test_spec_drops_test_binaries_and_unused_qt_files_but_keeps_the_rest(spec):
    dropped = spec["dropped"]
    for dest, expected in SAMPLE_FILES.items():
        assert dropped(dest) == (expected == "dropped"), dest
        assert dropped(dest.replace("/", "\\")) == (expected == "dropped"), dest  # Windows separators
    (analysis,) = made("Analysis")
    kept = {entry[0] for entry in analysis.binaries + analysis.datas}
    assert "torch/bin/torch_shm_manager" in kept
    qt_translations = {dest for dest in kept if dest.startswith("PySide6/Qt/translations/")}
    assert qt_translations == {"PySide6/Qt/translations/qtbase_zh_CN.qm"}


def test_every_window_language_is_bundled_with_qts_own_translation(spec):
    compiled = sorted(path.stem.removeprefix("deblur_app_") for path in (REPO / "resources" / "i18n").glob("*.qm"))
    assert spec["WINDOW_LANGUAGES"] == compiled and "zh_CN" in compiled
    dropped = spec["dropped"]
    for language in compiled:
        assert not dropped(f"resources/i18n/deblur_app_{language}.qm")
        assert not dropped(f"PySide6/Qt/translations/qtbase_{language}.qm")


def test_window_uses_only_bundled_qt_modules(spec):
    """An excluded Qt module imported by the window would break only the frozen app."""
    excluded = {name for name in made("Analysis")[0].kwargs["excludes"] if name.startswith("PySide6.")}
    gui = REPO / "deblur_app" / "gui"
    used = set()
    for path in gui.rglob("*.py"):
        used |= set(re.findall(r"\bPySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
        used |= {m for line in re.findall(r"from PySide6 import ([^\n(]+)", path.read_text(encoding="utf-8"))
                 for m in re.findall(r"Qt\w+", line)}
    assert not {f"PySide6.{name}" for name in used} & excluded


def test_bundle_root_is_meipass_when_frozen(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.bundle_root() == tmp_path
    assert resources.bundled_weights_dir() == tmp_path / "weights"
    assert resources.resource_path("icons", "x.png") == tmp_path / "resources" / "icons" / "x.png"


def test_bundle_root_is_the_checkout_from_source(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert resources.bundle_root() == REPO
    assert (resources.bundled_weights_dir() / "mimo-unet.safetensors").is_file()


def test_build_extra_lists_pyinstaller():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^build = \[[^\]]*"pyinstaller', pyproject, re.MULTILINE | re.IGNORECASE)


def test_camera_raw_support_is_bundled_rawpy_libraw_and_exifread(spec):
    """rawpy and exifread are imported lazily (inside imagefiles), so the spec names them, and
    LibRaw, a shared library beside rawpy's extension, goes in with rawpy's dynamic libraries."""
    pytest.importorskip("rawpy")
    assert spec["WITH_RAW"]
    assert {"rawpy", "rawpy._rawpy", "exifread"} <= set(spec["HIDDEN_IMPORTS"])
    (analysis,) = made("Analysis")
    assert ("/site/rawpy/libraw_r.so.25", "rawpy") in analysis.kwargs["binaries"]
    assert "rawpy" not in spec["EXCLUDED_MODULES"] and "exifread" not in spec["EXCLUDED_MODULES"]


def test_torch_goes_in_as_bytecode_but_its_config_modules_keep_their_source(spec):
    """torch's hook would ship every .py beside its bytecode (46 MB); the config modules read their own
    source on import (torch.utils._config_module), so without theirs `import torch` fails frozen, and
    the modules defining TorchScript overloads read their functions' sources."""
    pytest.importorskip("torch")
    modes = made("Analysis")[0].kwargs["module_collection_mode"]
    assert modes["torch"] == "pyz"
    for config in ("torch._dynamo.config", "torch._inductor.config", "torch.utils.serialization.config"):
        assert modes.get(config) == "pyz+py", config
    # @torch.jit._overload parses each overload's body when they are defined: no warning at every start
    for overloads in ("torch.functional", "torch.nn.functional", "torch.nn.modules.rnn"):
        assert modes.get(overloads) == "pyz+py", overloads
    assert "torch.jit" not in modes  # a package's mode would reach its whole subtree
    assert "torch.nn.modules.conv" not in modes and "torch.onnx" not in modes


def test_openvino_keeps_its_onnx_and_ir_readers_and_leaves_the_other_frameworks_out(spec):
    excludes = set(made("Analysis")[0].kwargs["excludes"])
    assert {"openvino.frontend.pytorch", "openvino.frontend.tensorflow", "openvino.frontend.jax",
            "openvino.tools.ovc"} <= excludes
    assert not {"openvino", "openvino.frontend", "openvino.frontend.onnx", "nncf", "onnx"} & excludes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF libraries")
def test_large_symbol_tables_are_measured_and_stripped_keeping_the_dynamic_symbols(spec, tmp_path, monkeypatch):
    import shutil
    import subprocess

    torch = pytest.importorskip("torch")
    library = Path(torch.__file__).parent / "lib" / "libtorch_python.so"
    if shutil.which("strip") is None or not library.is_file():
        pytest.skip("needs binutils' strip and torch's libtorch_python.so")
    symbol_table_bytes = spec["symbol_table_bytes"]
    assert symbol_table_bytes(library) >= spec["STRIP_AT_LEAST"]  # worth stripping (8.6 MB, torch 2.13)
    assert symbol_table_bytes(SPEC) == 0  # not ELF

    monkeypatch.setitem(spec, "workpath", str(tmp_path))
    copy = Path(spec["stripped_copy"]("torch/lib/libtorch_python.so", str(library)))
    assert copy == tmp_path / "stripped" / "torch" / "lib" / "libtorch_python.so"
    assert symbol_table_bytes(copy) == 0 and copy.stat().st_size < library.stat().st_size - spec["STRIP_AT_LEAST"]

    def dynamic_symbols(path):
        return subprocess.run(["readelf", "--dyn-syms", "-W", str(path)], capture_output=True, text=True, check=True).stdout

    assert dynamic_symbols(copy) == dynamic_symbols(library)  # what the loader links against is untouched
