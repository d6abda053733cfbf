"""Signing through a Dask executor (pakta.batch): every worker loads the key once (its
per-worker state) and signs small chunks of files; this process records the ledger rows
as the results arrive.

The key travels to the workers: a key file's bytes and its passphrase, which is why
`pakta sign` does this only when told so (--ship-key-to-workers). The inputs, outputs
and the ledger must be on a path every worker reaches (workers read the ledger to check
each document; only this process writes it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pakta.batch import Executor, WorkerState, chunks_of
from pakta.ledger import Ledger, SignatureRecord
from pakta.sign.backends.keyfile import KeySource
from pakta.sign.batch import BatchPlan, sign_some
from pakta.sign.engine import BatchSigner
from pakta.sign.model import SignOutcome, SignSummary
from pakta.sign.workers import _outcome_of

FILES_PER_TASK = 8  # files signed together in one task (their timestamp requests overlap)


@dataclass(frozen=True)
class ShippedKey:
    """A key file's bytes (and its certificates', and the passphrase), read here and
    sent to the workers, which need not reach the files: loaded from a private
    temporary folder that is removed at once."""

    files: tuple[tuple[str, bytes], ...] = field(repr=False)  # (role, bytes)
    chain: tuple[bytes, ...] = field(default=(), repr=False)
    passphrase: bytes = field(default=b"", repr=False)

    @classmethod
    def of(cls, source: KeySource) -> ShippedKey:
        roles = [(role, path.read_bytes()) for role, path in
                 (("p12", source.p12), ("key", source.key), ("cert", source.cert))
                 if path is not None]
        return cls(tuple(roles), tuple(p.read_bytes() for p in source.chain),
                   source.passphrase)

    def load(self) -> Any:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="pakta-key-") as folder:  # mode 0700
            paths: dict[str, Path] = {}
            for role, data in self.files:
                paths[role] = Path(folder, role)
                paths[role].write_bytes(data)
            chain = []
            for index, data in enumerate(self.chain):
                chain.append(Path(folder, f"chain-{index}.pem"))
                chain[-1].write_bytes(data)
            return KeySource(p12=paths.get("p12"), key=paths.get("key"),
                             cert=paths.get("cert"), chain=tuple(chain),
                             passphrase=self.passphrase).load()


@dataclass
class _Signing:
    """A worker's state: the loaded key and the batch's plan; a ledger per thread."""

    batch: BatchSigner
    plan: BatchPlan
    local: threading.local


def _load(plan: BatchPlan, source: ShippedKey) -> _Signing:
    return _Signing(BatchSigner(source.load(), plan.settings), plan, threading.local())


def _close(state: _Signing) -> None:
    ledger: Ledger | None = getattr(state.local, "ledger", None)
    if ledger is not None:
        ledger.close()


def _sign_chunk(state: _Signing, sources: list[Path]
                ) -> list[tuple[SignOutcome, SignatureRecord | None]]:
    """In a worker: sign `sources`; each outcome with the ledger row to record."""
    plan = state.plan
    ledger: Ledger | None = getattr(state.local, "ledger", None)
    if ledger is None and plan.ledger_path is not None:  # sqlite: one per thread
        ledger = state.local.ledger = Ledger(plan.ledger_path)
    rows: dict[str, SignatureRecord] = {}
    done: list[tuple[SignOutcome, SignatureRecord | None]] = []

    def keep(row: SignatureRecord) -> None:
        rows[row.path] = row

    def sent(outcome: SignOutcome) -> None:
        done.append((outcome, rows.pop(str(outcome.output), None)))

    try:
        sign_some(sources, state.batch, plan, ledger, keep, sent)
    except Exception as exc:  # noqa: BLE001 (every file of the chunk fails alike)
        seen = {o.source for o, _ in done}
        done += [(_outcome_of(s, exc), None) for s in sources if s not in seen]
    return done


def sign_on_executor(sources: Sequence[Path], plan: BatchPlan,
                     source: ShippedKey, executor: Executor,
                     record: Callable[[list[SignatureRecord]], None],
                     progress: Callable[[SignOutcome], None] | None) -> SignSummary:
    """Sign `sources` on the executor's workers (absolute paths: the workers' working
    folders differ); the rows are recorded here, a chunk at a time."""
    plan = replace(plan, out_dir=_absolute(plan.out_dir),
                   ledger_path=_absolute(plan.ledger_path),
                   settings=replace(plan.settings,
                                    trust=tuple(p.resolve() for p in plan.settings.trust)))
    setup = WorkerState(_load, (plan, source), close=_close)
    summary = SignSummary()
    parts = list(chunks_of([Path(s).resolve() for s in sources], FILES_PER_TASK))
    for results in executor.map(_sign_chunk, parts, setup, size=len(parts), chunk=1):
        rows = [row for _, row in results if row is not None]
        if rows:
            record(rows)
        for outcome, _ in results:
            summary.outcomes.append(outcome)
            if progress:
                progress(outcome)
    return summary


def _absolute(path: Path | None) -> Path | None:
    return path.resolve() if path is not None else None
