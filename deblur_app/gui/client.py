"""The window's handle on the model-runner thread (GUI thread): submit, prepare, cancel, shut down.

``EngineClient`` owns a QThread running an ``EngineWorker`` (worker.py) and relays its signals;
what goes between them is plain data (messages.py).

The thread starts once the window has painted: its first job imports torch (seconds), and an
import holds Python's lock most of the time, so started with the window it tripled the time to
the first paint (benchmarks/bench_startup.py). Requests made before then wait in its queue.
"""

from __future__ import annotations

import functools
import itertools
import time

from PySide6.QtCore import QEvent, QObject, QThread, QTimer, Signal

from ..engine.progress import CancelToken
from .messages import (PREPARING_INT8, BatchRequest, CheckInt8Request, DeblurRequest, EngineInfo, Job, LoadedModel,
                       PrepareRequest, RunSettings, prepared_for)
from .worker import EngineSignals, EngineWorker


_STUCK: list[tuple[QThread, EngineWorker | None]] = []
# A shown window that has not painted by then (minimised, a slow compositor) starts the thread anyway.
LATEST_START_MS = 2000


def stuck_threads() -> int:
    """Worker threads that did not stop when their window closed (still running)."""
    return sum(1 for thread, _worker in _STUCK if thread.isRunning())


class EngineClient(EngineSignals):
    """The GUI-side handle on the worker thread: submit, prepare, cancel, shut down.

    A run asked for while a preparation is under way waits here, not in the worker's
    queue, so that cancelling it takes effect at once rather than after the quantisation.
    """

    busy_changed = Signal(bool)
    preparation = Signal(str)  # a lasting status note while the int8 model is prepared; "" when that ends
    # what the worker prepares now (messages.PREPARING_INT8, PREPARING_TIMING), "" once that ended: the views say it
    # while a run waits for it
    preparation_changed = Signal(str)

    _submit = Signal(object)
    _refresh = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, CancelToken]] = {}
        self._preparations: dict[int, tuple[tuple, CancelToken]] = {}  # in the worker, not ended yet
        self._held: list[Job] = []  # runs waiting for the preparations to end
        self.preparing = False  # the worker is quantising the int8 model
        self.preparation_kind = ""  # what the worker prepares now (EngineSignals.preparing), "" when nothing
        self.preparation_started: float | None = None  # when it began (time.monotonic)
        self.info: EngineInfo | None = None
        self.loaded_model: LoadedModel | None = None
        self._thread = QThread()
        self._thread.setObjectName("deblur-engine")
        self._worker = EngineWorker()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.publish_info)
        self._thread.finished.connect(self._worker.deleteLater)
        self._submit.connect(self._worker.handle)
        self._refresh.connect(self._worker.publish_info)
        w = self._worker
        w.info_ready.connect(self._on_info)
        w.status.connect(self.status)
        w.model_loaded.connect(self._on_model_loaded)
        w.progress.connect(self.progress)
        w.partial.connect(self.partial)
        w.batch_event.connect(self.batch_event)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.preparing.connect(self._on_preparing)
        w.prepared.connect(self._on_prepared)
        self._closed = False
        # The thread belongs to Python, not to this object: a window deleted without being closed (the app always
        # closes it; shutdown() runs then) took this object with it and left the thread running, and Python then
        # destroyed the running thread with the last reference ("QThread: Destroyed while thread 'deblur-engine'
        # is still running": the process aborted). Stopped here then; nothing of this object is used.
        self.destroyed.connect(functools.partial(_stop_orphaned_thread, self._thread, self._pending,
                                                 self._preparations))
        self._start_after_first_paint(parent)

    def _start_after_first_paint(self, window: QObject | None) -> None:
        """Start the thread after ``window``'s first paint, or as soon as events run if it is not shown."""
        def start_unless_shown() -> None:
            if window is None or not window.isWidgetType() or not window.isVisible():
                self._start()
            else:
                QTimer.singleShot(LATEST_START_MS, self, self._start)

        if window is not None and window.isWidgetType():
            self._first_paint = _FirstPaint(window, lambda: QTimer.singleShot(0, self, self._start))
        QTimer.singleShot(0, self, start_unless_shown)

    def _start(self) -> None:
        if not self._closed and not self._thread.isRunning():
            self._thread.start()

    # -- state

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def preparation_pending(self) -> bool:
        """A preparation has not ended yet: runs asked for now wait for it."""
        return bool(self._preparations)

    @property
    def busy_kind(self) -> str | None:
        """The kind of the newest unfinished request ('deblur', 'preview', 'batch') or None."""
        if not self._pending:
            return None
        return self._pending[max(self._pending)][0]

    # -- requests

    def submit(self, request: DeblurRequest | BatchRequest) -> int:
        """Run a request; whatever was running is cancelled first.

        A preparation for the same model goes on and the run starts after it (on the
        prepared model); one for other settings is of no use to this run and is cancelled.
        """
        was_busy = self.busy
        self.cancel()
        self._cancel_preparations(keep=prepared_for(request.settings))
        job_id = next(self._ids)
        token = CancelToken()
        kind = request.kind if not (isinstance(request, DeblurRequest) and request.region) else "preview"
        self._pending[job_id] = (kind, token)
        job = Job(job_id, token, request)
        if self._preparations:
            self._held.append(job)
            self._announce_preparation()
        else:
            self._submit.emit(job)
        if not was_busy:
            self.busy_changed.emit(True)
        return job_id

    def prepare(self, settings: RunSettings) -> None:
        """Load the model for these settings now and make its int8 model if it needs one (see PrepareRequest).

        Cheap when there is nothing to do; a preparation for other settings is cancelled.
        Asked before the worker has said what it has (weights, devices), it waits for that.
        """
        if self.info is None:
            return
        key = prepared_for(settings)
        if any(other == key and not token.is_set() for other, token in self._preparations.values()):
            return
        self._cancel_preparations()
        # then, for weights nobody measured int8 with, the check: any run cancels it (its key is no run's)
        requests = ((PrepareRequest(settings), key), (CheckInt8Request(settings), ("check-int8", key)))
        for request, request_key in requests:
            job_id = next(self._ids)
            token = CancelToken()
            self._preparations[job_id] = (request_key, token)
            self._submit.emit(Job(job_id, token, request))

    def cancel(self) -> None:
        """Cancel the runs (a preparation goes on: the next run will want it)."""
        for _kind, token in self._pending.values():
            token.cancel()
        held, self._held = self._held, []
        for job in held:  # never reached the worker: they end now, reported as the worker would (later)
            QTimer.singleShot(0, self, functools.partial(self._on_cancelled, job.job_id))

    def _cancel_preparations(self, keep: tuple | None = None) -> None:
        """Cancel the preparations under way, but one for the model ``keep`` (a run will use it)."""
        for key, token in self._preparations.values():
            if key != keep:
                token.cancel()

    def refresh_info(self) -> None:
        self._refresh.emit()

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel, stop the thread and wait for it; False if it did not stop in time.

        A thread that is still busy is kept referenced (see ``stuck_threads``) so
        Python never destroys a running QThread; the app then exits hard.
        """
        self._closed = True  # a window closed before it painted never starts the thread
        self.cancel()
        self._cancel_preparations()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if not stopped:
            _STUCK.append((self._thread, self._worker))
        return stopped

    @property
    def thread_running(self) -> bool:
        return self._thread.isRunning()

    # -- worker signals

    def _on_info(self, info: EngineInfo) -> None:
        self.info = info
        self.info_ready.emit(info)

    def _on_model_loaded(self, model: LoadedModel) -> None:
        self.loaded_model = model
        self.model_loaded.emit(model)

    def _end(self, job_id: int) -> None:
        self._pending.pop(job_id, None)
        if not self._pending:
            self.busy_changed.emit(False)

    def _on_finished(self, job_id: int, outcome: object) -> None:
        self._end(job_id)
        self.finished.emit(job_id, outcome)

    def _on_failed(self, job_id: int, reason: object, details: str) -> None:
        self._end(job_id)
        self.failed.emit(job_id, reason, details)

    def _on_cancelled(self, job_id: int) -> None:
        self._end(job_id)
        self.cancelled.emit(job_id)

    def _on_preparing(self, kind: str) -> None:
        self.preparing = kind == PREPARING_INT8
        if kind != self.preparation_kind:
            self.preparation_kind = kind
            self.preparation_started = time.monotonic() if kind else None
            self.preparation_changed.emit(kind)
        self._announce_preparation()

    def _announce_preparation(self) -> None:
        # no duration: "~1 min" took 6 min under load (the shared 2-core machine at a load of 17, 2026-12-08); the
        # views count the preparation's time instead (run_tracking.preparation_progress)
        if not self.preparing:
            self.preparation.emit("")
        elif self._held:
            # short: at 1280 px, beside a run's progress, a longer note was cut ("…prepared once for th…")
            self.preparation.emit(self.tr("Run waits for the int8 model (only the first time)…"))
        else:
            self.preparation.emit(self.tr("Making the int8 model (only the first time)…"))

    def _on_prepared(self, job_id: int) -> None:
        self._preparations.pop(job_id, None)
        if not self._preparations:
            held, self._held = self._held, []
            for job in held:
                self._submit.emit(job)


def _stop_orphaned_thread(thread: QThread, pending: dict, preparations: dict, *_destroyed) -> None:
    """What shutdown() does, for a client deleted without it: cancel, stop the thread and wait for it."""
    try:
        if not thread.isRunning():
            return
    except RuntimeError:  # the thread was deleted first (its parent went at exit): nothing runs
        return
    for _kind, token in [*pending.values(), *preparations.values()]:
        token.cancel()
    thread.quit()
    if not thread.wait(15000):
        _STUCK.append((thread, None))


class _FirstPaint(QObject):
    """Calls ``then`` once, when ``window`` is first painted (after the paint: ``then`` defers itself)."""

    def __init__(self, window: QObject, then) -> None:
        super().__init__(window)
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self._then()
        return False
