"""The desktop window (PySide6). Only worker.py touches the engine."""
