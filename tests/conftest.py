import atexit
import http.server
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

# Before torch loads its OpenMP runtime (read once, at load), and inherited by every process the tests start (the
# CLI, Ray's workers, the frozen app): a thread waiting at the end of an operation sleeps instead of spinning.
# Spinning is for a machine with idle cores; on a loaded one the spinning thread burns the share of the thread it
# waits for: test_engine's tiled run (324x484, MIMO-UNet, 2 threads) took 20.9 s of CPU spinning, 9.5 s passive,
# at load 11-27 on 2 cores. The computation is the same: threads and results do not change.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A private runtime folder: the one-window socket (deblur_app/gui/single_instance.py) lives there, so
# a test that opens photos never hands them to a deblur-app window the developer has open.
os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="dbl-run-")
atexit.register(shutil.rmtree, os.environ["XDG_RUNTIME_DIR"], True)
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

# The window's fixtures (window, make_window, photo, errors, ...) for every test module that names them;
# crashdump: a crash in any test prints every thread's Python stack (tests/crashdump.py).
pytest_plugins = ["guikit", "crashdump"]

REPO = Path(__file__).resolve().parent.parent
# The project carries its conformance data: a user's clone has nothing beside it.
CONFORMANCE = REPO / "tests" / "data" / "conformance"
PUBLISHED_NAMES = {"mimo-unet": "MIMO-UNet", "mimo-unet+": "MIMO-UNetPlus"}


def conformance_shapes(variant: str) -> dict:
    return json.loads((CONFORMANCE / f"keys_{PUBLISHED_NAMES[variant]}.json").read_text())


def conformance_state_dict(variant: str) -> dict:
    from conformance_weights import deterministic_weights

    return {k: torch.from_numpy(v) for k, v in deterministic_weights(conformance_shapes(variant)).items()}


def checkpoint_bytes(variant: str) -> bytes:
    """The conformance weights of a variant as the published .pkl holds them."""
    import io

    buffer = io.BytesIO()
    torch.save({"model": conformance_state_dict(variant)}, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.fail(f"conformance fixture missing at {CONFORMANCE}")
    return CONFORMANCE


@pytest.fixture(scope="session")
def published_checkpoint(tmp_path_factory, conformance_dir):
    """The conformance weights of MIMO-UNet saved in the published format."""
    path = tmp_path_factory.mktemp("weights") / "MIMO-UNet.pkl"
    torch.save({"model": conformance_state_dict("mimo-unet")}, path)
    return path


@pytest.fixture(scope="session")
def small_model():
    """A MIMO-UNet with the conformance weights: deterministic and non-trivial."""
    from deblur_app.model.mimo_unet import build_model

    model = build_model("mimo-unet")
    model.load_state_dict(conformance_state_dict("mimo-unet"))
    return model.eval()


# the signals the command line turns into Ctrl+C (cli/main.stop_as_ctrl_c_does), and Ctrl+C itself
_STOPPING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


@pytest.fixture(autouse=True)
def signal_handlers_restored():
    """Every test leaves the test run's signal handlers as it found them. A CLI test (main([...]) in this process)
    installs the app's SIGTERM handler, which raised KeyboardInterrupt wherever the run was: `kill` no longer
    stopped a test run (kill -9 did)."""
    before = {number: signal.getsignal(number) for number in _STOPPING_SIGNALS}
    yield
    for number, handler in before.items():
        if handler is not None and signal.getsignal(number) is not handler:
            signal.signal(number, handler)


@pytest.fixture(autouse=True)
def first_use_stand_ins(request, monkeypatch, tmp_path_factory):
    """What the engine does on its own the first time it meets weights, replaced where a test does not
    mark that it wants the real thing:

    - ``real_path_timing``: `auto` times its paths (engine/fastest.py): seconds of compiling and running,
      and a ranking that follows the machine's load. The stand-in ranks them as auto prefers without
      timings (int8, bf16, fp32) and keeps them in memory, never in the user's cache folder.
    - ``real_int8_check``: the window measures the fast paths (int8, bf16) on the check set for weights
      without a verdict (engine/verdicts.py): a quantisation of a minute in every window test. The
      stand-in finds no path to measure, and verdicts go to a temporary file, never the user's.
    """
    from deblur_app.engine import fastest, openvino_backend, verdicts as path_verdicts

    if not request.node.get_closest_marker("real_path_timing"):
        kept: dict = {}
        ranking = {"int8": 1.0, "bf16": 2.0, "fp32": 3.0}
        monkeypatch.setattr(fastest, "measure_paths", lambda runners, cancel=None, **_: {p: ranking[p] for p in runners})
        monkeypatch.setattr(fastest, "load_timings", lambda folder, key: kept.get(key))
        monkeypatch.setattr(fastest, "store_timings", lambda folder, key, timings, details: kept.__setitem__(key, dict(timings)))
    if not request.node.get_closest_marker("real_int8_check"):
        def no_check(*_args, **_kwargs):
            raise path_verdicts.PathUnavailable("fast paths are not measured in this test (tests/conftest.py)")

        monkeypatch.setattr(path_verdicts, "check_path", no_check)
    verdicts = tmp_path_factory.mktemp("user-data") / "int8-verdicts.json"
    monkeypatch.setattr(openvino_backend, "user_verdicts_file", lambda: verdicts)
    from deblur_app.weights import catalog  # the verdicts on weights files: a temporary file, never the user's

    monkeypatch.setattr(catalog, "verdicts_file", lambda: verdicts.with_name("weights-verdicts.json"))


@pytest.fixture
def window_language(qapp):
    """Install the window's translation of a language (``window_language("zh_CN")``), uninstalled after the test."""
    from deblur_app.gui import i18n

    def install(language: str) -> None:
        assert i18n.install(qapp, language) == language

    yield install
    i18n.uninstall(qapp)


@pytest.fixture
def installed_weights(weights_dir, monkeypatch):
    """guikit's seeded MIMO-UNet weights are the only installed ones (a module takes them with
    pytest.mark.usefixtures("installed_weights"))."""
    from deblur_app.weights import catalog

    monkeypatch.setattr(catalog, "weights_search_dirs", lambda: [weights_dir])


@pytest.fixture
def photo_like():
    """A smooth, textured RGB float image in [0, 1]."""

    def make(height: int, width: int, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        base = 0.5 + 0.25 * np.sin(x / 17.0)[..., None] * np.cos(y / 23.0)[..., None] * np.array([1.0, 0.7, 0.4])
        return np.clip(base + rng.normal(0, 0.05, (height, width, 3)), 0, 1).astype(np.float32)

    return make


class CancelAfter:
    """A cancel flag that turns on at its n-th check, counting the checks."""

    def __init__(self, checks_before_set: int) -> None:
        self.limit, self.checks = checks_before_set, 0

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks > self.limit


# ----------------------------------------------------------------------------- a local download server


class Route:
    """What the test server answers for one path: ``announced`` bytes in the header, ``body`` sent in pieces."""

    def __init__(self, body: bytes, announced: int | None = None, piece: int = 0, pause: float = 0.0,
                 content_type: str = "application/octet-stream") -> None:
        self.body, self.announced, self.piece, self.pause, self.content_type = body, announced, piece, pause, content_type


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(route.announced or len(route.body)))
        self.end_headers()
        piece = route.piece or len(route.body)
        try:
            for start in range(0, len(route.body), piece):
                self.wfile.write(route.body[start:start + piece])
                self.wfile.flush()
                if route.pause:
                    time.sleep(route.pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled
        if route.announced:
            self.close_connection = True

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    """An http.server in a thread on 127.0.0.1: (base URL, routes); tests add path -> Route to routes."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.routes = {}
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler.routes
    httpd.shutdown()
    httpd.server_close()
