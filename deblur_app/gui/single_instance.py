"""One window per user: photos opened while the app runs go to the window that is already open.

The first window listens on a local socket (QLocalServer). A later ``deblur-app photo.jpg``
(a file manager's "Open With", a terminal, the menu entry) connects, sends the photos'
absolute paths, waits for the answer and exits: the running window adds the photos and comes
to the front, and no second copy of the app (nor of its model) starts. ``--new-window`` and
the self-test neither ask nor listen.

The client side runs before any QApplication exists and imports nothing but QtCore and
QtNetwork, so forwarding takes a fraction of a second and never loads torch.

Protocol: one request per connection, one line of JSON each way.
    {"open": ["/abs/a.jpg", ...], "activation_token": "..."}   ->  {"added": 2}
    {"photos": true}                                            ->  {"photos": ["/abs/a.jpg", ...]}
The second request tells what the window holds (the tests look inside the running app with it).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 1000
# how long a new process waits for the running window's answer; a window whose event loop is
# blocked for longer is treated as gone, and the new process opens its own window
ANSWER_TIMEOUT_MS = 5000
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # a few thousand paths; anything larger is not ours
SOCKET_FILE = "deblur-app.socket"


def server_name() -> str:
    """The socket's name, one per user (and per login session where the desktop provides one).

    On Linux, $XDG_RUNTIME_DIR is the user's private folder for exactly this (mode 0700, emptied
    at logout, so a crash leaves nothing for the next login); without it Qt puts the socket in
    the temp folder under a name carrying the user's name.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and runtime and Path(runtime).is_dir():
        return str(Path(runtime) / SOCKET_FILE)
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return f"deblur-app-{hashlib.sha256(user.encode()).hexdigest()[:16]}"


def activation_token() -> str:
    """The token a Wayland launcher hands to the program it starts, so the running window may take focus."""
    return os.environ.get("XDG_ACTIVATION_TOKEN", "")


def ask_running(request: dict, name: str | None = None) -> dict | None:
    """Send ``request`` to the running window; its answer, or None when no window answers in time."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return None  # nobody listens (or a crashed app's socket file: connection refused)
    try:
        socket.write(json.dumps(request).encode("utf-8") + b"\n")
        if not socket.waitForBytesWritten(CONNECT_TIMEOUT_MS):
            return None
        answer = b""
        while not answer.endswith(b"\n"):
            if not socket.waitForReadyRead(ANSWER_TIMEOUT_MS):
                return None
            answer += bytes(socket.readAll().data())
        reply = json.loads(answer)
        return reply if isinstance(reply, dict) else None
    except ValueError:
        return None
    finally:
        socket.abort()


def forward_to_running(paths: list[str], name: str | None = None) -> bool:
    """Hand ``paths`` to the window already running; True when it took them (this process can exit)."""
    absolute = [str(Path(path).expanduser().absolute()) for path in paths]  # the window has another cwd
    reply = ask_running({"open": absolute, "activation_token": activation_token()}, name)
    return reply is not None and "added" in reply


class InstanceServer(QObject):
    """The running window's side: answers requests, asking ``photos`` what the window holds."""

    open_requested = Signal(list, str)  # absolute paths, activation token ("" if none)

    def __init__(self, photos: Callable[[], list[str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._photos = photos
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self, name: str | None = None) -> bool:
        """Start listening. False when another window already does (it answers): then this one stays alone.

        The probe comes first because Qt, to give the socket user-only access, binds it elsewhere and
        renames it into place, replacing any file there, a live window's socket included. A socket
        file left by a crashed app refuses the probe and is replaced.
        """
        name = name or server_name()
        probe = QLocalSocket()
        probe.connectToServer(name)
        if probe.waitForConnected(CONNECT_TIMEOUT_MS):
            probe.abort()
            return False  # alive: started just before this one
        QLocalServer.removeServer(name)  # stale (its app crashed or was killed) or absent
        return self._server.listen(name)  # False e.g. without permission: the app works, unreachable

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda socket=socket: self._read(socket))
            socket.disconnected.connect(lambda socket=socket: self._forget(socket))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        self._buffers[socket] = data
        if len(data) > MAX_REQUEST_BYTES:
            socket.abort()
            return
        if not data.endswith(b"\n"):
            return  # the rest is on its way
        try:
            request = json.loads(data)
        except ValueError:
            request = None
        socket.write(json.dumps(self._answer(request)).encode("utf-8") + b"\n")
        socket.flush()
        socket.disconnectFromServer()

    def _answer(self, request: object) -> dict:
        if not isinstance(request, dict):
            return {"error": "not a request"}
        if request.get("photos"):
            return {"photos": list(self._photos())}
        paths = request.get("open")
        if isinstance(paths, list) and all(isinstance(path, str) and os.path.isabs(path) for path in paths):
            before = set(self._photos())
            token = request.get("activation_token")
            self.open_requested.emit(paths, token if isinstance(token, str) else "")
            return {"added": len(set(self._photos()) - before)}
        return {"error": "open takes a list of absolute paths"}
