"""A batch that keeps the network busy: reading, deblurring and writing neighbouring photos overlap.

Photo by photo, a batch spends its time decoding (and reading metadata), in the network, then
applying the strength, encoding and writing atomically. Done one after the other, the network
idles during the rest. Here three threads take the photos in order:

    reader: the decoding (and metadata) of each photo, checked already (jobs.run._check)
    network: the engine's run (the one thread that runs the model while the batch goes)
    writer: the strength, the encoding and the atomic writes

At most ``IN_FLIGHT`` photos are between the start of their decoding and the end of their writing
(one being written while the next is deblurred), so memory stays that of two photos, and of one
after a photo over ``LARGE_PIXELS``: a 12 MP photo takes tens of seconds in the network, and the
second of decoding or writing saved beside it is not worth the memory (the 1.5 GB goal). And before such a
photo is decoded, the network thread prepares the engine for its size (Steps.prepare: a first use's export of the
network holds its serialised weights for a while, NAFNet-64 +1.2 GB), so that peak never stacks on the decoded photo.

What the caller sees is unchanged: the outcomes come back in the photos' order, on the caller's
thread, with the progress of a photo reported there too, after its "file" event; a photo that
cannot be read or written fails alone, with the same reason as before. Cancelling (``finish``) stops the
network within its pass, starts no other run, and writes every photo the network had finished (minutes of
work each; writes are atomic: no partial file), reported before the batch ends. A caller that stops listening
(``close`` alone: an exception on its thread, a second Ctrl+C) lets only a write under way finish: nothing
it would not report is begun, and nothing is written after the batch ends.
"""

from __future__ import annotations

import errno
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..engine.progress import Cancelled, Progress
from .. import reasons
from ..reasons import ReasonText

IN_FLIGHT = 2
LARGE_PIXELS = 4_000_000
_DONE = object()


@dataclass
class Outcome:
    """What happened to one photo: kind is "failed", "skipped", "done", "cancelled" or "fatal"."""

    index: int
    kind: str
    reason: ReasonText = ""
    error: BaseException | None = None  # "fatal": the batch cannot go on (no engine), re-raised by the caller
    done: object = None  # what Steps.save returned
    disk_full: bool = False  # "failed" writing because the disk is full: every later write would fail too


@dataclass
class Steps:
    """The per-photo work, as the sequential batch does it (jobs.run)."""

    load: Callable[[object], object]  # plan -> loaded photo (raises for a bad one)
    # (engine, loaded, progress, cancel) -> result; cancel is set by the batch's cancel or by the pipeline stopping
    deblur: Callable[[object, object, Callable[[Progress], None], object], object]
    save: Callable[[object, object, object], object]  # (plan, loaded, result) -> what "done" carries
    reason: Callable[[object, BaseException], ReasonText]  # (plan, error) -> the one-line reason of a failure
    pixels: Callable[[object], int]  # loaded -> its pixel count
    size: Callable[[object], tuple[int, int] | None] = lambda _plan: None  # plan -> (height, width) from its header
    prepare: Callable[[object, tuple[int, int], object], None] | None = None  # (engine, size, cancel), before decoding
    # error -> whether the photo is skipped rather than failed (its output was written meanwhile, by another batch)
    skipped: Callable[[BaseException], bool] = lambda _error: False


class Pipeline:
    """Runs ``plans`` (index, plan) through the three threads; ``outcomes()`` yields them in order."""

    def __init__(self, plans: list[tuple[int, object]], steps: Steps, load_engine: Callable[[], object],
                 cancel) -> None:
        self._steps, self._load_engine, self._cancel = steps, load_engine, cancel
        self._order = [index for index, _plan in plans]
        self._stop = threading.Event()
        # close() without finish(): the caller stopped listening, so the photos the network finished are not written.
        # Not the stop itself, which the network sets after a cancelled photo while one before it waits for the writer.
        self._abandoned = threading.Event()
        self._slots = threading.Condition()
        self._in_flight, self._limit = 0, IN_FLIGHT
        self._to_network: queue.Queue = queue.Queue(maxsize=1)
        self._to_writer: queue.Queue = queue.Queue(maxsize=1)
        self._events: queue.Queue = queue.Queue()  # outcomes and progress, for the caller's thread
        self._threads = [threading.Thread(target=target, name=f"deblur-batch-{name}", daemon=True)
                         for name, target in (("reader", lambda: self._read(plans)), ("network", self._network),
                                              ("writer", self._write))]
        for thread in self._threads:
            thread.start()

    def outcomes(self, on_progress: Callable[[int, Progress], None] | None) -> Iterator[Outcome]:
        """The outcomes in the photos' order; progress is handed to ``on_progress`` on this thread, only
        once the outcome of the photo before has been taken (so after the caller's "file" event)."""
        waiting: list[tuple[int, Progress]] = []  # progress of the next photos, reported in their turn
        turn = iter(self._order)
        expected = next(turn, None)
        while True:
            now = [item for item in waiting if item[0] == expected]
            waiting = [item for item in waiting if item[0] != expected]
            for item in now:
                self._report(on_progress, item)
            item = self._events.get()
            if item is _DONE:
                return
            if isinstance(item, Outcome):
                expected = next(turn, None)
                yield item
            elif item[0] == expected:
                self._report(on_progress, item)
            else:
                waiting.append(item)

    @staticmethod
    def _report(on_progress, item) -> None:
        if on_progress is not None:
            on_progress(*item)

    def finish(self) -> list[Outcome]:
        """After a cancel: stop, write the photos the network had finished (and let a write under way
        finish), and return the outcomes not taken yet, in order: every photo written is reported."""
        self._stop_and_wait()
        left = []
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return left
            if isinstance(item, Outcome):
                left.append(item)

    def close(self) -> None:
        """Stop taking photos, let a write under way finish, and wait for the threads. The photos decoded for
        the network are dropped; those it finished are written only after ``finish`` (see the module's docstring)."""
        self._abandoned.set()
        self._stop_and_wait()

    def _stop_and_wait(self) -> None:
        self._stop.set()
        with self._slots:
            self._slots.notify_all()
        _drain(self._to_network)
        for thread in self._threads:
            thread.join()

    # -- the threads

    def _stopped(self) -> bool:
        return self._stop.is_set() or (self._cancel is not None and self._cancel.is_set())

    # The engine's cancel check while it runs a photo: the batch's cancel, or the pipeline stopping (the
    # caller was interrupted, e.g. Ctrl+C on its thread), so close() never waits out a whole network pass.
    is_set = _stopped

    def _read(self, plans) -> None:
        try:
            self._read_all(plans)
        finally:  # whatever happened, the network thread learns that no more photos come
            _put(self._to_network, None, self._stop, always=True)

    def _read_all(self, plans) -> None:
        for index, plan in plans:
            with self._slots:
                self._slots.wait_for(lambda: self._in_flight < self._limit or self._stop.is_set())
                if self._stopped():
                    break
                self._in_flight += 1
            try:
                self._prepare_for(index, plan)
                loaded = self._steps.load(plan)
                item = (index, plan, "run", "", loaded)
                if self._steps.pixels(loaded) > LARGE_PIXELS:
                    with self._slots:
                        self._limit = 1  # from now on, one photo at a time (see the module's docstring)
            except Exception as error:  # noqa: BLE001 (one bad photo fails alone)
                item = (index, plan, self._failed_or_skipped(error), self._steps.reason(plan, error), None)
            _put(self._to_network, item, self._stop)

    def _failed_or_skipped(self, error: BaseException) -> str:
        return "skipped" if self._steps.skipped(error) else "failed"

    def _prepare_for(self, index: int, plan) -> None:
        """A large photo: the network thread prepares the engine for its size before it is decoded (and after the
        photo before it has run); any failure there is left to the photo's own run to report."""
        if self._steps.prepare is None:
            return
        size = self._steps.size(plan)
        if size is None or size[0] * size[1] <= LARGE_PIXELS:
            return
        ready = threading.Event()
        _put(self._to_network, (index, plan, "prepare", size, ready), self._stop)
        while not ready.wait(0.1) and not self._stopped():
            pass

    def _network(self) -> None:
        try:
            self._run_network()
        finally:  # a thread that ended on an error must not leave the writer (and the caller) waiting
            self._hand_to_writer(None)

    def _hand_to_writer(self, item) -> None:
        """Every item gets to the writer, which takes them until the end marker: a stop never drops a photo the
        network finished (the writer decides whether to write it)."""
        writer = self._threads[2]
        while True:
            try:
                self._to_writer.put(item, timeout=0.1)
                return
            except queue.Full:
                if not writer.is_alive():  # it ended on an error: nobody takes anything any more
                    return

    def _run_network(self) -> None:
        engine = None
        while (item := self._to_network.get()) is not None:
            index, plan, kind, reason, loaded = item
            if kind == "prepare":
                engine = self._prepare(engine, reason, loaded)
                continue
            if kind == "run" and not self._stopped():
                try:
                    engine = engine or self._load_engine()
                    report = lambda step, index=index: self._events.put((index, step))  # noqa: E731
                    item = (index, plan, kind, "", (loaded, self._steps.deblur(engine, loaded, report, self)))
                except Cancelled:
                    item = (index, plan, "cancelled", "", None)
                except Exception as error:  # noqa: BLE001
                    fatal = engine is None  # the engine itself could not be had: the batch cannot run
                    item = (index, plan, "fatal" if fatal else "failed", self._steps.reason(plan, error), error)
                except BaseException as error:  # KeyboardInterrupt, SystemExit: the caller re-raises it
                    item = (index, plan, "fatal", reasons.of(error), error)
            elif kind == "run":
                item = (index, plan, "cancelled", "", None)
            self._hand_to_writer(item)
            if item[2] in ("cancelled", "fatal"):
                self._stop.set()

    def _prepare(self, engine, size: tuple[int, int], ready: threading.Event):
        """The engine (loaded if it was not), prepared for a photo of ``size``; ``ready`` set whatever happens."""
        try:
            if not self._stopped():
                engine = engine or self._load_engine()
                self._steps.prepare(engine, size, self)
        except Exception:  # noqa: BLE001 (an engine that cannot load, a cancel: the photo's run says so)
            pass
        finally:
            ready.set()
        return engine

    def _write(self) -> None:
        try:
            self._write_all()
        finally:  # the caller waits for this marker: it always comes
            self._events.put(_DONE)

    def _write_all(self) -> None:
        while (item := self._to_writer.get()) is not None:
            index, plan, kind, reason, payload = item
            outcome = Outcome(index, kind, reason)
            if kind == "fatal":
                outcome.error = payload
            elif kind == "run" and self._abandoned.is_set():
                outcome = Outcome(index, "cancelled")  # the caller stopped listening: nothing it would not report
            elif kind == "run":
                try:
                    outcome = Outcome(index, "done", done=self._steps.save(plan, *payload))
                except Exception as error:  # noqa: BLE001
                    outcome = Outcome(index, self._failed_or_skipped(error), self._steps.reason(plan, error),
                                      disk_full=disk_full(error))
            del payload, item
            self._events.put(outcome)
            with self._slots:
                self._in_flight -= 1
                self._slots.notify_all()


def disk_full(error: BaseException | None) -> bool:
    """Whether ``error``, or one it was raised from or while handling, says the disk (or the user's quota) is full."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _put(pipe: queue.Queue, item, stop: threading.Event, always: bool = False) -> None:
    """Put ``item`` unless the pipeline stopped meanwhile (``always``: the end marker, which must get through)."""
    while True:
        try:
            pipe.put(item, timeout=0.1)
            return
        except queue.Full:
            if stop.is_set() and not always:
                return
            if stop.is_set():
                _drain(pipe)


def _drain(pipe: queue.Queue) -> None:
    try:
        while True:
            item = pipe.get_nowait()
            if item is None:  # an end marker: put it back for its reader
                pipe.put_nowait(None)
                return
    except queue.Empty:
        pass
