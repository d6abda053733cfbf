"""Worker processes for a batch signed with a key file: each loads the key once and
signs a share; this process records the ledger rows as results stream in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pakta.errors import PdfInputError, SigningError, SigningRefused
from pakta.i18n import _
from pakta.ledger import Ledger, SignatureRecord
from pakta.sign.backends.keyfile import KeySource
from pakta.sign.batch import NOT_STARTED, BatchPlan, sign_some
from pakta.sign.engine import BatchSigner
from pakta.sign.model import SignOutcome, SignSummary


def _worker_main(sources: list[Path], plan: BatchPlan, key_source: KeySource,
                 results: Any, stop: Any) -> None:
    """A worker process: sign a share of the batch, stream (outcome, row) back."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    ledger = Ledger(plan.ledger_path) if plan.ledger_path else None
    rows: dict[str, SignatureRecord] = {}  # by output path, until its outcome is sent
    try:
        batch = BatchSigner(key_source.load(), plan.settings)

        def keep(row: SignatureRecord) -> None:
            rows[row.path] = row

        def sent(outcome: SignOutcome) -> None:
            results.put((outcome, rows.pop(str(outcome.output), None)))

        sign_some(sources, batch, plan, ledger, keep, sent, stop)
    except BaseException as exc:  # the key will not load here: every file fails alike
        for source in sources:
            results.put((_outcome_of(source, exc), None))
    finally:
        if ledger is not None:
            ledger.close()
        results.put(None)


def _outcome_of(source: Path, exc: BaseException) -> SignOutcome:
    if isinstance(exc, SigningRefused | PdfInputError | SigningError):
        return SignOutcome(source, None, exc.diagnostics(), exc.exit_code)
    return SignOutcome(source, None, f"{source}: {type(exc).__name__}: {exc}",
                       SigningError.exit_code)


def sign_in_processes(sources: Sequence[Path], plan: BatchPlan, key_source: KeySource,
                       jobs: int, record: Callable[[list[SignatureRecord]], None],
                       progress: Callable[[SignOutcome], None] | None) -> SignSummary:
    import multiprocessing
    import queue
    import signal
    import threading

    # fork: the workers start with pyHanko imported and the stamp font loaded
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    stop = context.Event()
    shares = [list(sources[i::jobs]) for i in range(min(jobs, len(sources)))]
    workers = [context.Process(target=_worker_main, daemon=True,
                               args=(share, plan, key_source, results, stop))
               for share in shares]
    for worker in workers:
        worker.start()
    summary = SignSummary()
    running = len(workers)
    interrupted: list[bool] = []

    def on_ctrl_c(*_: Any) -> None:
        stop.set()  # workers finish the files they started, then stop
        interrupted.append(True)

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_ctrl_c) if in_main_thread else None
    rows: list[SignatureRecord] = []  # recorded 64 at a time, or when the workers pause

    def record_rows() -> None:
        if rows:
            record(rows)
            rows.clear()

    try:
        while running:
            try:
                message = results.get(timeout=0.05 if rows else 1)
            except queue.Empty:
                record_rows()
                if all(not w.is_alive() for w in workers) and results.empty():
                    break  # a worker died without saying so; its files are reported below
                continue
            if message is None:
                running -= 1
                continue
            outcome, row = message
            if row is not None:
                rows.append(row)
                if len(rows) >= 64:
                    record_rows()
            if outcome.error != NOT_STARTED:
                summary.outcomes.append(outcome)
                if progress:
                    progress(outcome)
    finally:
        record_rows()
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    for worker in workers:
        worker.join()
    if interrupted:
        raise KeyboardInterrupt
    seen = {o.source for o in summary.outcomes}
    for source in sources:
        if source not in seen:
            summary.outcomes.append(SignOutcome(
                source, None, _("{source}: the worker process signing it stopped").format(
                    source=source), SigningError.exit_code))
    return summary


