"""Output file names, shared by the command line and the window (no torch, no Qt)."""

from __future__ import annotations

from pathlib import Path

from . import imagefiles

DEFAULT_NAME = "{stem}_deblurred{ext}"


def output_name(source: Path, template: str = DEFAULT_NAME) -> str:
    """The output name for a photo; HEIC and other read-only formats become JPEG.

    Raises KeyError/IndexError/ValueError for a template with unknown placeholders.
    """
    return template.format(stem=source.stem, ext=imagefiles.output_suffix_for(source), name=source.name)


def default_output(source: Path, folder: Path | None = None, template: str = DEFAULT_NAME) -> Path:
    return (folder or source.parent) / output_name(source, template)


def scale_paths(output: Path) -> dict[str, Path]:
    """Where the ½ and ¼ outputs of ``output`` go."""
    return {
        "half": output.with_name(f"{output.stem}_half{output.suffix}"),
        "quarter": output.with_name(f"{output.stem}_quarter{output.suffix}"),
    }


def batch_pairs(input_dir: Path, output_dir: Path, recursive: bool, template: str = DEFAULT_NAME) -> list[tuple[Path, Path]]:
    """(photo, output) pairs; sub-folders are mirrored; outputs inside the input are never re-read."""
    input_dir = Path(input_dir)
    pattern = "**/*" if recursive else "*"
    output_resolved = Path(output_dir).resolve()
    pairs = []
    for source in sorted(input_dir.glob(pattern)):
        if not source.is_file() or not imagefiles.is_supported(source):
            continue
        if output_resolved in source.resolve().parents and output_resolved != input_dir.resolve():
            continue
        relative = source.parent.relative_to(input_dir)
        pairs.append((source, Path(output_dir) / relative / output_name(source, template)))
    return pairs
