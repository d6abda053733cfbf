"""A signing batch: every file of a share concurrently in one event loop (bounded),
sharing one key, one stamp style and the services; a failure is reported and the others
go on. `sign_files` is the entry point: one process, or worker processes
(`pakta.sign.workers`) each signing a share.

The boundaries: `prepare` checks one file (pakta.sign.prepare), `BatchSigner.sign` signs
one file (pakta.sign.engine), `finish` writes it and records the ledger row; the loop
around them is `_run_batch`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pakta.errors import PdfInputError, SigningError, SigningRefused
from pakta.files import atomic_write, remove_left_behind
from pakta.i18n import _
from pakta.ledger import Ledger, SignatureRecord, now_iso, sha256_hex
from pakta.profiles import Profile, load_profile
from pakta.sign.backends.keyfile import KeySource
from pakta.sign.engine import BatchSigner
from pakta.sign.model import AlreadySigned, SignOutcome, SignSettings, SignSummary
from pakta.sign.prepare import Prepared, output_path, prepare
from pakta.sign.services import FILES_IN_FLIGHT, Services


def write_atomically(path: Path, data: bytes) -> None:
    """No flush per file: the batch flushes once at the end (`flush_to_disk`)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, flush=False)
    except OSError as exc:
        raise SigningError(_("{path}: cannot write ({value})").format(
                               path=path, value=exc.strerror or exc)) from exc


Job = Callable[[Path, Services], Awaitable[SignOutcome]]
NOT_STARTED = "not started"  # the error of a file a stopped batch did not reach


async def run_batch(sources: Sequence[Path], services: Services, job: Job,
                     progress: Callable[[SignOutcome], None] | None,
                     stop: Any = None, in_flight: int = FILES_IN_FLIGHT) -> SignSummary:
    """Every file concurrently (bounded), sharing the services; failures collected. Once
    `stop` (an Event) is set, files not yet started are left alone."""
    summary = SignSummary()
    limit = asyncio.Semaphore(in_flight)

    async def one(source: Path) -> SignOutcome:
        async with limit:
            if stop is not None and stop.is_set():
                return SignOutcome(source, None, NOT_STARTED, 130)
            try:
                outcome = await job(source, services)
            except (SigningRefused, PdfInputError, SigningError) as exc:
                outcome = SignOutcome(source, None, exc.diagnostics(), exc.exit_code)
            except Exception as exc:  # a service down, a pyHanko error
                outcome = SignOutcome(source, None,
                                      f"{source}: {type(exc).__name__}: {exc}",
                                      SigningError.exit_code)
        if progress:
            progress(outcome)
        return outcome

    try:
        summary.outcomes = list(await asyncio.gather(*(one(s) for s in sources)))
    finally:
        await services.close()
    return summary


@dataclass(frozen=True)
class BatchPlan:
    """Where a batch's files go and what it knows of them (sent to worker processes)."""

    settings: SignSettings
    ledger_path: Path | None
    out_dir: Path | None
    in_place: bool
    witness_title: str | None


def sign_some(sources: Sequence[Path], batch: BatchSigner, plan: BatchPlan,
               ledger: Ledger | None, record: Callable[[SignatureRecord], None],
               progress: Callable[[SignOutcome], None] | None, stop: Any = None,
               ) -> SignSummary:
    """Check, sign and write `sources`; each signature made goes to `record`."""
    settings = plan.settings
    suffix = "-certified" if settings.certify else "-signed"

    def slot_of(profile: Profile) -> str:
        return profile.certification.slot if settings.certify else settings.slot

    def finish(item: Prepared, signed: bytes) -> SignOutcome:
        write_atomically(item.output, signed)
        if item.doc_id is not None:
            record(SignatureRecord(
                doc_id=item.doc_id, slot=slot_of(item.profile), signer_name=batch.name,
                cert_sha256=batch.fingerprint, signed_at=now_iso(),
                sha256_after=sha256_hex(signed), path=str(item.output),
                delegated_for=item.on_behalf_of))
        return SignOutcome(item.source, item.output)

    def kept(done: AlreadySigned, source: Path) -> SignOutcome:
        """A rerun's skipped file; its ledger row is added if the run that wrote it was
        killed between writing and recording."""
        doc = ledger.issued_document_for(done.signed) if ledger is not None else None
        if ledger is not None and doc is not None:
            after = sha256_hex(done.signed)
            if not any(r.sha256_after == after for r in ledger.signatures(doc.doc_id)):
                record(SignatureRecord(
                    doc_id=doc.doc_id, slot=slot_of(load_profile(doc.template)),
                    signer_name=batch.name, cert_sha256=batch.fingerprint,
                    signed_at=now_iso(), sha256_after=after, path=str(done.output)))
        return SignOutcome(source, done.output, skipped=True)

    async def job(source: Path, services: Services) -> SignOutcome:
        output = output_path(source, plan.out_dir, plan.in_place, suffix)
        try:
            item = prepare(source, output, settings, ledger, plan.witness_title,
                           batch.fingerprint)
        except AlreadySigned as done:
            return kept(done, source)
        return finish(item, await batch.sign(item, services))

    async def run() -> SignSummary:
        # Files overlap only to hide the services' latency: without a TSA (B-B) one
        # file at a time, read only when its turn comes (pyHanko's signer yields to
        # the event loop, so a wide window would read every input first).
        in_flight = FILES_IN_FLIGHT if settings.tsa_url else 1
        return await run_batch(sources, batch.services(), job, progress, stop, in_flight)

    return asyncio.run(run())


def sign_files(
    sources: Sequence[Path], signer: Any, settings: SignSettings, *,
    ledger: Ledger | None, out_dir: Path | None = None, in_place: bool = False,
    witness_title: str | None = None,
    progress: Callable[[SignOutcome], None] | None = None,
    jobs: int = 1, key_source: KeySource | None = None,
) -> SignSummary:
    """Sign every file (or certify, with settings.certify); a failure is reported and
    the others go on. Each signature is recorded in the ledger.

    With `jobs` > 1 and a key file (`key_source`), worker processes each load the key
    once and take a share of the files, checking, signing (their timestamp requests
    overlapping over one HTTP session each) and writing; this process records the
    ledger rows as results stream in. A token's session cannot cross processes, so a
    token signs in this process alone, its timestamp requests overlapping all the same.
    """
    plan = BatchPlan(settings, ledger.path if ledger else None, out_dir, in_place,
                     witness_title)
    remove_left_behind(output_path(s, out_dir, in_place) for s in sources)
    record = ledger.record_signature if ledger is not None else (lambda r: None)
    try:
        if jobs > 1 and key_source is not None and len(sources) > 1:
            record_many = ledger.record_signatures if ledger is not None else (lambda r: None)
            from pakta.sign.workers import sign_in_processes

            return sign_in_processes(sources, plan, key_source, jobs, record_many,
                                     progress)
        return sign_some(sources, BatchSigner(signer, settings), plan, ledger, record,
                          progress)
    finally:
        flush_to_disk()


def flush_to_disk() -> None:
    """Outputs are renamed into place without a flush each; one flush for the batch
    makes them durable (a flush per file cost more than the signing)."""
    os.sync()
