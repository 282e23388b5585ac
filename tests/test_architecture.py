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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(name: str, path: Path, modules: set[str]) -> set[str]:
    """The deblur_app modules ``name`` imports anywhere in its file (inside functions too).

    ``from package import name`` counts as importing the module package.name where there is one;
    a module's own parent packages are left out (Python runs them first, whatever it imports).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # deblur_app.jobs.run.iter_batch -> deblur_app.jobs.run
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in (REPO / "deblur_app").rglob("*.py")}
    return {name: _imported_modules(name, path, set(paths)) for name, path in paths.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(module: str) -> None:
        index[module] = lowlink[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.get(module, ()):
            if imported not in index:
                visit(imported)
                lowlink[module] = min(lowlink[module], lowlink[imported])
            elif imported in on_stack:
                lowlink[module] = min(lowlink[module], index[imported])
        if lowlink[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_import_cycles_are_found_inside_functions_too(tmp_path):
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    module = tmp_path / "a.py"
    module.write_text("from . import c\n\ndef later():\n    from .b import thing\n    import pkg.c.deep\n")
    assert _imported_modules("pkg.a", module, {"pkg", "pkg.a", "pkg.b", "pkg.c"}) == {"pkg.b", "pkg.c"}


def test_no_import_cycles():
    """Modules import each other one way only: a cycle, even through an import inside a function,
    means two modules that cannot be understood (or moved) apart."""
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in cycles)


def test_every_package_has_its_layer():
    """Each top-level package and module of deblur_app is in the layers contract of pyproject.toml, so a new
    one says where it stands (what it may import, and what may import it)."""
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(contract["layers"] for contract in contracts
                  if contract["type"] == "layers" and "deblur_app.model" in " ".join(contract["layers"]))
    placed = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    tops = {f"deblur_app.{path.stem if path.is_file() else path.name}" for path in (REPO / "deblur_app").iterdir()
            if (path.suffix == ".py" and path.stem not in ("__init__", "__main__")) or (path / "__init__.py").is_file()}
    assert tops - placed == set(), "not in the layers contract of pyproject.toml"
