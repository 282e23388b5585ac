"""A test's own verdict files, OpenVINO cache and a small check set, so no test reads or writes the user's."""

from __future__ import annotations

from pathlib import Path

from deblur_app.engine import int8_check, openvino_backend


def isolate_verdicts(monkeypatch, tmp_path: Path, photos: int, side: int = 64) -> Path:
    """Point the verdict files and the OpenVINO cache into tmp_path and cut the shipped check set to
    ``photos`` crops of ``side`` pixels (fast); returns the user's verdict file (not yet written)."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "cache")
    verdicts = tmp_path / "user" / "int8-verdicts.json"
    monkeypatch.setattr(openvino_backend, "user_verdicts_file", lambda: verdicts)
    monkeypatch.setattr(openvino_backend, "verdict_files", lambda: [tmp_path / "shipped.json", verdicts])
    shipped = int8_check.load_check_set()
    small = int8_check.CheckSet(shipped.blurry[:photos, :side, :side], shipped.sharp[:photos, :side, :side],
                                shipped.sources[:photos])
    monkeypatch.setattr(int8_check, "load_check_set", lambda path=None: small)
    return verdicts
