"""Batches: every file's verdict through the executor (pakta.batch), summed up as they
come by a `Tally`, without keeping the documents unless asked.

Where a file runs decides how it is limited (pakta.verify.limits): in a process whose
limits are on (the `pakta` command and the local pool workers it forks) the file runs in
the main thread under SIGALRM and RLIMIT_AS; anywhere else (a Dask worker's thread, a
library caller's process) it runs in a watchdog child (pakta.verify.watchdog).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pakta.batch import Executor, LocalExecutor, WorkerState
from pakta.findings import Finding
from pakta.verify import limits
from pakta.verify.documents import verify_claimed, verify_file
from pakta.verify.issued import NO_LEDGER, Claim, LedgerIndex, Unresolved
from pakta.verify.settings import Context, VerifySettings, use_context
from pakta.verify.settings import setup as build_context
from pakta.verify.verdicts import (
    ERROR,
    INCOMPLETE,
    UNKNOWN,
    BatchVerdict,
    DocumentVerdict,
)
from pakta.verify.watchdog import Watchdog


def verify_paths(files: Sequence[Path], settings: VerifySettings, *, workers: int = 1,
                 progress: Callable[[DocumentVerdict], None] | None = None) -> BatchVerdict:
    """Verify every file (a process pool when `workers` > 1) and sum up the batch, with
    every document's verdict kept. A large batch is better streamed: `iter_verdicts`
    and a `Tally`."""
    tally = Tally(settings, keep=True)
    for verdict in iter_verdicts(files, settings, workers=workers):
        tally.add(verdict)
        if progress:
            progress(verdict)
    return tally.result()


IN_FLIGHT_PER_WORKER = 3  # chunks queued or running per worker, beyond the one being read


def iter_verdicts(files: Sequence[Path], settings: VerifySettings, *,
                  workers: int = 1, executor: Executor | None = None
                  ) -> Iterator[DocumentVerdict]:
    """Each file's verdict as soon as it is known: in the order of `files`, except the
    files that are not the documents their names claim, which come last.

    The files go to `executor` (a local process pool of `workers` by default; see
    pakta.batch) in chunks, each with its claim: the documents the ledger holds under its
    name (pakta.verify.issued). A file that is none of them comes back `Unresolved`, and
    is sent again, after the others, with the ledger's answer for its bytes. Each worker
    builds its set-up once (`_worker_context`); only a few chunks per worker are in
    flight at a time, so memory does not grow with the batch. A local worker that dies
    on a file (a crash in a native library, the kernel's OOM killer) does not stop the
    batch: the files that were in flight are checked again one by one, each in its own
    process (the one that kills its process becomes an ERROR row), and the rest go on in
    a new pool. On Dask, the scheduler runs a lost worker's files again."""
    with contextlib.ExitStack() as stack:
        if executor is None:
            workers = min(workers, max(1, len(files) // 4))
            executor = stack.enter_context(LocalExecutor(workers))
        index = stack.enter_context(LedgerIndex(settings.ledger)) \
            if settings.ledger is not None else None
        size = executor.chunk_size(len(files), most=16, spread=8)
        stack.callback(_close_watchdog)  # one this thread started for an in-process run
        setup = _worker_state(settings)
        claims = ((path, index.claim(path) if index else NO_LEDGER) for path in files)
        unresolved: list[Unresolved] = []
        for result in executor.map(_verify_item, claims, setup, size=len(files), chunk=size,
                                   in_flight=IN_FLIGHT_PER_WORKER + 1,
                                   on_crash=lambda item: _verify_isolated(item[0], settings)):
            if isinstance(result, Unresolved):
                unresolved.append(result)
            else:
                yield result
        if unresolved and index is not None:
            answered = [(u.path, index.answer(index.claim(u.path), u.key)) for u in unresolved]
            for result in executor.map(_verify_item, answered, setup, size=len(answered),
                                       chunk=1, on_crash=lambda item: _verify_isolated(
                                           item[0], settings)):
                assert isinstance(result, DocumentVerdict)  # an answered claim identifies
                yield result


_last_state: tuple[VerifySettings, WorkerState] | None = None


def _worker_state(settings: VerifySettings) -> WorkerState:
    """One worker state per settings: a batch verified in windows builds it once per
    worker (on Dask, the settings travel to each worker once)."""
    global _last_state
    if _last_state is None or _last_state[0] is not settings:
        _last_state = (settings, WorkerState(_worker_context, (settings,)))
    return _last_state[1]


def _worker_context(settings: VerifySettings) -> Context:
    """A worker's set-up, built once (pakta.batch keeps it for the batch)."""
    ctx = build_context(settings)
    use_context(ctx)
    return ctx


_watchdogs = threading.local()  # per thread: the watchdog child of the current settings


def _verify_item(ctx: Context, item: tuple[Path, Claim]) -> DocumentVerdict | Unresolved:
    path, claim = item
    if limits.enabled() and limits.in_main_thread():
        use_context(ctx)  # this batch's set-up, should the worker hold another's
        return verify_claimed(path, claim)
    dog: Watchdog | None = getattr(_watchdogs, "dog", None)
    if dog is None or dog.settings is not ctx.settings:
        if dog is not None:
            dog.close()
        dog = _watchdogs.dog = Watchdog(ctx.settings)
    return dog.verify(path, claim)


def _close_watchdog() -> None:
    dog: Watchdog | None = getattr(_watchdogs, "dog", None)
    if dog is not None:
        dog.close()
        _watchdogs.dog = None


def _init_isolated(settings: VerifySettings) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    limits.enable()
    use_context(build_context(settings))


def _verify_isolated(path: Path, settings: VerifySettings) -> DocumentVerdict:
    """A file whose local worker died, checked again alone in a process forked like the
    pool's workers: the one that kills its process becomes an ERROR row."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from pakta.verify.documents import error_row

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                             initializer=_init_isolated, initargs=(settings,)) as pool:
        try:
            return pool.submit(verify_file, path).result()
        except BrokenProcessPool:
            row = error_row(path, Finding.of("PROCESS_DIED"), build_context(settings))
            assert isinstance(row, DocumentVerdict)  # the ledger was asked: identified
            return row


class Tally:
    """The batch's sums, one verdict at a time: what `BatchVerdict` needs besides the
    documents themselves, which are kept only with `keep=True`."""

    def __init__(self, settings: VerifySettings, *, keep: bool = False) -> None:
        self.settings = settings
        self.documents: list[DocumentVerdict] | None = [] if keep else None
        self.count = 0
        self.all_complete = True
        self.found: Counter[str] = Counter()
        self.codes_found: set[str] = set()
        self.by_template: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_province: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_status: Counter[str] = Counter()
        self.incomplete: set[str] = set()
        self.unexpected: list[str] = []
        self.errors: list[str] = []

    def add(self, v: DocumentVerdict) -> None:
        if self.documents is not None:
            self.documents.append(v)
        self.count += 1
        self.all_complete = self.all_complete and v.ok
        if v.doc_id:
            self.found[v.doc_id] += 1
        if v.region_code:
            self.codes_found.add(v.region_code)
        self.by_template[v.template or "-"][v.status] += 1
        self.by_province[v.province or "-"][v.status] += 1
        self.by_status[v.status] += 1
        if v.status == INCOMPLETE and v.doc_id:
            self.incomplete.add(v.doc_id)
        if v.status == UNKNOWN:
            self.unexpected.append(v.path)
        if v.status == ERROR:
            self.errors.append(v.path)

    def _not_found(self) -> tuple[str, ...]:
        """The issued documents none of the files is (read from the ledger in pages)."""
        if self.settings.ledger is None:
            return ()
        with LedgerIndex(self.settings.ledger) as index:
            return tuple(d for d in index.doc_ids() if d not in self.found)

    def result(self) -> BatchVerdict:
        settings, found = self.settings, self.found
        kept = self.documents is not None
        whole = settings.whole_batch
        return BatchVerdict(
            documents=tuple(self.documents or ()),
            heads_without_document=self._not_found() if whole else (),
            duplicates=tuple(sorted(d for d, n in found.items() if n > 1)),
            by_status=dict(self.by_status),
            by_template={k: dict(v) for k, v in sorted(self.by_template.items())},
            by_province={k: dict(v) for k, v in sorted(self.by_province.items())},
            incomplete=tuple(sorted(self.incomplete)),
            unexpected=tuple(self.unexpected), errors=tuple(self.errors),
            heads_missing=tuple((h.code, h.plain_name, h.province) for h in settings.heads
                                if whole and h.code not in self.codes_found),
            count=None if kept else self.count,
            all_complete=None if kept else self.all_complete,
            signatures_only=settings.signatures_only,
            unchecked_revocation_accepted=settings.accept_unchecked_revocation)


def summarise(verdicts: Sequence[DocumentVerdict], settings: VerifySettings) -> BatchVerdict:
    tally = Tally(settings, keep=True)
    for verdict in verdicts:
        tally.add(verdict)
    return tally.result()
