"""One executor behind render, sign and verify: items in, results out, as they arrive.

A batch is a function `fn(state, item) -> result` over a stream of items. `state` is what
a worker builds once and keeps for every item (a renderer with its fonts and stencils,
the trust roots and lookup tables of a verification, a key): a `WorkerState` says how to
build it. The executor hands the items out in chunks, keeps only a few chunks in flight
per worker (memory does not grow with the batch), and yields the results in the order
of the items, so the caller writes the ledger and the reports while the batch runs.

Two implementations:

- `LocalExecutor` (the default): a process pool on this machine. Workers are forked, so
  they inherit what the parent already imported and built; the state is built by the
  pool's initializer. A worker that dies (a crash in a native library, the OOM killer)
  does not stop the batch: `on_crash` says what each item that was in flight becomes
  (verify checks each alone in a process of its own), and the rest goes on in a new
  pool.
- `DaskExecutor` (`dask://host:8786`): a Dask distributed cluster. The state is built by
  a `WorkerPlugin` on every worker, including one that joins or replaces a lost worker;
  a lost worker's tasks are run again by Dask's scheduler (its own retries and
  `allowed-failures`), not by pakta. Only the client writes the ledger: SQLite stays the
  store and nothing writes it from two machines. Items and results travel by pickle;
  outputs go to a folder every worker and the client can reach (a shared path).

Cancellation: Ctrl-C (KeyboardInterrupt in the client) cancels what is queued; what is
done is done and a rerun resumes (the callers skip what the ledger already has).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from pakta.errors import ConfigError
from pakta.i18n import _

T = TypeVar("T")
R = TypeVar("R")

IN_FLIGHT_PER_WORKER = 4  # chunks queued or running per worker
DASK_SCHEME = "dask://"


@dataclass(frozen=True)
class WorkerState:
    """How a worker builds its state once: `build(*args)`, a module-level function (it
    travels by reference). `close(state)` runs when a Dask worker drops it."""

    build: Callable[..., Any]
    args: tuple[Any, ...] = ()
    close: Callable[[Any], None] | None = None
    key: str = field(default_factory=lambda: f"pakta-{uuid.uuid4().hex[:12]}")


# The states built in this process, by key (a worker keeps one per batch).
_states: dict[str, Any] = {}


def state_of(setup: WorkerState) -> Any:
    state = _states.get(setup.key)
    if state is None:
        state = _states[setup.key] = setup.build(*setup.args)
    return state


def _run_chunk(key: str, fn: Callable[[Any, Any], Any], items: list[Any]) -> list[Any]:
    """In a worker: the chunk's results, with the state built for this batch."""
    state = _states.get(key)
    if state is None:  # a Dask worker whose plugin has not run (yet)
        from distributed import get_worker

        plugin = get_worker().plugins[key]
        state = state_of(plugin.setup_spec)  # type: ignore[attr-defined]
    return [fn(state, item) for item in items]


def chunks_of(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Executor(ABC):
    """Runs `fn(state, item)` over a stream of items; results in the items' order."""

    workers: int = 1
    remote: bool = False  # True when workers may be on other machines
    # How many times more items a task carries here than in a local pool. A local task
    # costs a pipe's round trip; a task on a cluster costs the client's, the scheduler's
    # and the worker's bookkeeping and two network hops, some milliseconds in all.
    items_per_task_factor: int = 1

    def chunk_size(self, items: int | None, *, most: int, spread: int = 16) -> int:
        """Items per task: `most` for a local pool (scaled up for a cluster), so there are
        few round trips, yet small enough that each worker gets `spread` tasks and the
        workers finish together (the last task is the only one a worker may wait for
        alone)."""
        most *= self.items_per_task_factor
        if items is None:
            return most
        return max(1, min(most, items // (self.workers * spread)))

    @abstractmethod
    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], setup: WorkerState, *,
            size: int | None = None, chunk: int = 4, in_flight: int = IN_FLIGHT_PER_WORKER,
            local: Any = None, on_crash: Callable[[T], R] | None = None) -> Iterator[R]:
        """`size`: how many items (when known; a small batch runs in this process).
        `local`: a state already built here, used when the batch runs in this process.
        `in_flight`: chunks queued or running per worker.
        `on_crash`: the result for an item in flight when its worker process died
        (locally; without it the batch stops). On Dask, the scheduler runs it again."""

    def close(self) -> None:  # noqa: B027 (most executors hold nothing)
        """Release the workers or the connection."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _in_process(fn: Callable[[Any, T], R], items: Iterable[T], setup: WorkerState,
                local: Any) -> Iterator[R]:
    state = local if local is not None else setup.build(*setup.args)
    try:
        for item in items:
            yield fn(state, item)
    finally:
        if local is None and setup.close is not None:
            setup.close(state)


# ---------------------------------------------------------------------------------------
# This machine


def _init_local(setup: WorkerState) -> None:
    # Ctrl-C is the parent's to handle: it stops handing out work and keeps what is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    state_of(setup)


class LocalExecutor(Executor):
    """A process pool on this machine, forked (the parent's imports are shared)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def _pool(self, workers: int, setup: WorkerState) -> Any:
        from concurrent.futures import ProcessPoolExecutor

        # fork: the initializer's arguments (a verification's whole ledger, say) are
        # inherited, not pickled; only the chunks and the results travel.
        return ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_local, initargs=(setup,))

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], setup: WorkerState, *,
            size: int | None = None, chunk: int = 4, in_flight: int = IN_FLIGHT_PER_WORKER,
            local: Any = None, on_crash: Callable[[T], R] | None = None) -> Iterator[R]:
        workers = self.workers if size is None else min(self.workers, size)
        if workers <= 1 or (size is not None and size < 4):
            yield from _in_process(fn, items, setup, local)
            return
        from concurrent.futures.process import BrokenProcessPool

        pending = chunks_of(items, chunk)
        while True:
            suspects: list[T] = []
            pool = self._pool(workers, setup)
            running: deque[tuple[list[T], Any]] = deque()
            try:
                try:
                    while True:
                        while len(running) < workers * in_flight:
                            part = next(pending, None)
                            if part is None:
                                break
                            running.append(
                                (part, pool.submit(_run_chunk, setup.key, fn, part)))
                        if not running:
                            return
                        part, future = running[0]
                        results = future.result()
                        running.popleft()
                        yield from results
                except BrokenProcessPool:
                    if on_crash is None:
                        raise
                    pool.shutdown(wait=False, cancel_futures=True)
                    suspects = [item for part, _ in running for item in part]
            finally:
                pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: running chunks end
            # The items in flight are the suspects: the caller says what each becomes
            # (verify checks each alone in a process of its own). The rest goes on in a
            # new pool.
            for item in suspects:
                yield on_crash(item)  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# A Dask cluster


# Dask's statistical profiler: a sample of every running task's stack every 10 ms, and a
# new profile every second, the last 1,000 kept (`distributed.admin.low-level-log-length`)
# besides one per task name. A render's stacks are deep and varied (WeasyPrint's layout):
# the history grew a worker by about 30 MB a minute of rendering, up to some 17 minutes,
# which is all of the Dask workers' growth in the number of documents. It is paused on a
# worker while a batch's state is there, and runs again once the last one is dropped.
PROFILER_CALLBACKS = ("profile", "profile-cycle")
_profiler_paused_by: set[str] = set()  # in a Dask worker: the states that paused it
_paused_callbacks: dict[str, Any] = {}  # the profiler's callbacks, while paused


def _pause_profiler(worker: Any, key: str) -> None:
    _profiler_paused_by.add(key)
    for name in PROFILER_CALLBACKS:
        # Taken out of the worker's callbacks, not only stopped: a worker that joins
        # while a batch runs (a replacement) gets the plugin first and starts its
        # callbacks after, which would start the profiler again.
        callback = worker.periodic_callbacks.pop(name, None)
        if callback is not None:
            callback.stop()
            _paused_callbacks[name] = callback


def _resume_profiler(worker: Any, key: str) -> None:
    _profiler_paused_by.discard(key)
    if _profiler_paused_by:
        return
    for name, callback in _paused_callbacks.items():
        worker.periodic_callbacks[name] = callback
        callback.start()
    _paused_callbacks.clear()


def _state_plugin(setup: WorkerState) -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class PaktaState(WorkerPlugin):
        """Builds the batch's state on every worker, once; drops it at the end. Meanwhile
        the worker's statistical profiler is paused (its history grows with the time
        the batch runs)."""

        def __init__(self, spec: WorkerState) -> None:
            self.setup_spec = spec

        def setup(self, worker: Any) -> None:
            _pause_profiler(worker, self.setup_spec.key)
            state_of(self.setup_spec)

        def teardown(self, worker: Any) -> None:
            state = _states.pop(self.setup_spec.key, None)
            if state is not None and self.setup_spec.close is not None:
                self.setup_spec.close(state)
            _resume_profiler(worker, self.setup_spec.key)

    return PaktaState(setup)


class DaskExecutor(Executor):
    """A Dask distributed cluster: `dask://host:8786` (or a `distributed.Client`)."""

    remote = True
    # Dask's own cost per task is a few ms of CPU over the client, the scheduler and the
    # worker (a trivial task: 6.4 ms of wall time on 2 cores), against some 180 ms for a
    # local render chunk (4 statements) and 60 ms for a verify chunk (16 unsigned files).
    # Four times the local chunk makes it 1-2% of a task.
    items_per_task_factor = 4

    def __init__(self, address: str | Any, *, retries: int = 2) -> None:
        from distributed import Client

        if isinstance(address, Client):
            self.client, self._own = address, False
        else:
            target = address.removeprefix(DASK_SCHEME)
            try:
                self.client = Client(target if "://" in target else f"tcp://{target}",
                                     timeout="20s")
            except OSError as exc:
                raise ConfigError(_("executor {address}: cannot reach the Dask scheduler "
                                    "({reason})").format(address=address, reason=exc)) from exc
            self._own = True
        self.retries = retries
        self._plugins: list[str] = []
        threads = self.client.nthreads()
        self.workers = max(1, sum(threads.values()))

    def map(self, fn: Callable[[Any, T], R], items: Iterable[T], setup: WorkerState, *,
            size: int | None = None, chunk: int = 4, in_flight: int = IN_FLIGHT_PER_WORKER,
            local: Any = None, on_crash: Callable[[T], R] | None = None) -> Iterator[R]:
        client = self.client
        if setup.key not in self._plugins:  # once per state: a batch in windows shares it
            client.register_plugin(_state_plugin(setup), name=setup.key)
            self._plugins.append(setup.key)
        running: deque[Any] = deque()
        try:
            for index, part in enumerate(chunks_of(items, chunk)):
                # Submitting with a key of our own (not a hash of the arguments): the
                # same chunk of another batch is another task.
                running.append(client.submit(
                    _run_chunk, setup.key, fn, part, key=f"{setup.key}-{index}",
                    retries=self.retries, pure=False))
                if index % 64 == 0:  # a worker that joins gets its share
                    self.workers = max(1, sum(client.nthreads().values()))
                while len(running) >= self.workers * in_flight:
                    yield from running.popleft().result()
            while running:
                yield from running.popleft().result()
        finally:
            if running:  # Ctrl-C or an error: drop what is queued
                client.cancel(list(running))

    def close(self) -> None:
        for key in self._plugins:  # the workers drop the states (fonts, trust roots)
            with contextlib.suppress(Exception):
                self.client.unregister_worker_plugin(key)
        self._plugins.clear()
        if self._own:
            self.client.close()


def open_executor(spec: str | None, workers: int = 1) -> Executor:
    """`None` or "local": this machine with `workers` processes; "dask://host:port": a
    Dask scheduler."""
    if not spec or spec == "local":
        return LocalExecutor(workers)
    if spec.startswith(DASK_SCHEME):
        try:
            import distributed  # noqa: F401
        except ImportError as exc:
            raise ConfigError(_("executor {spec}: Dask is not installed").format(spec=spec),
                              hint="pip install 'pakta[dask]'") from exc
        return DaskExecutor(spec)
    raise ConfigError(_("executor '{spec}': expected 'local' or 'dask://host:port'").format(
        spec=spec))
