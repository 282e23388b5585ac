"""The layering contracts in pyproject.toml hold (Qt stays out of the core, data flows one way)."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = (REPO / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert f"Contracts: {contracts} kept, 0 broken" in result.stdout, result.stdout


def test_core_imports_without_qt():
    code = (
        "import sys; import deblur_app.engine.inference, deblur_app.jobs.run, deblur_app.cli.main; "
        "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=120).returncode == 0


# OpenCV's and Qt's ways to open image files (Pillow is the last contract in pyproject.toml).
IMAGE_FILE_CALLS = {"imread", "imreadmulti", "imwrite", "imdecode", "imencode", "QImageReader", "QImageWriter"}
# deblur_app.imagefiles reads and writes photos; training prepares its data (the photo set,
# blur kernels, simulated JPEG artefacts).
MAY_OPEN_IMAGE_FILES = ("deblur_app/imagefiles/", "deblur_app/training/")


def test_only_imagefiles_opens_image_files():
    offenders = []
    for path in sorted((REPO / "deblur_app").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith(MAY_OPEN_IMAGE_FILES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in node.names]
            elif isinstance(node, (ast.Attribute, ast.Name)):
                names = [node.attr if isinstance(node, ast.Attribute) else node.id]
            else:
                continue
            offenders += [f"{relative}:{node.lineno}: {name}" for name in names if name in IMAGE_FILE_CALLS]
    assert not offenders, "image files are opened outside deblur_app.imagefiles:\n" + "\n".join(offenders)
