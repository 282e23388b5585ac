"""The desktop window (PySide6). The model runs in worker.py's thread, which alone loads torch; the
window talks to it through client.py with the plain data of messages.py."""
