"""Batches at scale: people's statements rendered and verified in windows, so memory
stays flat in the number of people, and the ledger's sums per instansi."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pakta.batch import Executor, chunks_of
from pakta.people.roster import (
    ASN_SLOT,
    ASN_TEMPLATE,
    PROBLEMS_SHOWN,
    Person,
    check_people,
    iter_people,
)

if TYPE_CHECKING:
    from pakta.config import Event, Witness
    from pakta.ledger import Ledger
    from pakta.render.batches import RenderOutcome
    from pakta.verify import DocumentVerdict, VerifySettings

WINDOW = 5_000  # documents planned, checked and recorded at a time (at least)
TASKS_PER_WORKER_IN_A_WINDOW = 16


def window_for(executor: Executor, window: int | None) -> int:
    """The documents of a window: `WINDOW`, or enough for every worker of a large
    cluster to get its share of full tasks (a window ends with the workers waiting for
    its last tasks)."""
    if window is not None:
        return window
    full_task = executor.chunk_size(None, most=4)
    return max(WINDOW, executor.workers * full_task * TASKS_PER_WORKER_IN_A_WINDOW)


def doc_id_for(person: Person, template: str = ASN_TEMPLATE) -> str:
    return f"{person.nip}-{template}"


def out_path_for(out_dir: Path, person: Person, template: str = ASN_TEMPLATE) -> Path:
    """One folder per instansi region: no folder of millions of files."""
    return out_dir / person.region_code / f"{doc_id_for(person, template)}.pdf"


@dataclass
class BatchCounts:
    """A batch summed up without keeping its items: counts, and the first failures."""

    counts: dict[str, int]
    failures: list[tuple[str, str]]  # (doc_id or path, reason), the first PROBLEMS_SHOWN
    interrupted: bool = False

    def add(self, action: str, name: str, reason: str | None = None) -> None:
        self.counts[action] = self.counts.get(action, 0) + 1
        if reason is not None and len(self.failures) < PROBLEMS_SHOWN:
            self.failures.append((name, reason))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def render_people(roster: Path, *, out_dir: Path, template_dir: Path | None,
                  event: Event, witness: Witness, ledger: Ledger, executor: Executor,
                  template: str = ASN_TEMPLATE, overwrite: bool = False,
                  window: int | None = None,
                  progress: Callable[[RenderOutcome], None] | None = None) -> BatchCounts:
    """Every person's statement: the roster checked as a stream first (nothing rendered
    if it has problems), then rendered window by window through `executor`; each
    window's people go into the ledger with their documents. A rerun skips what is
    rendered (pakta.render.batches' ledger check), so a batch killed half-way resumes."""
    from pakta.render.batches import _render_batch
    from pakta.render.jobs import RenderJob
    from pakta.render.layout import Renderer

    check_people(roster).raise_if_problems()
    checker = Renderer([template_dir] if template_dir else [], event, witness)
    counts = BatchCounts({}, [])
    try:
        people = iter_people(roster, default_place=event.place, default_date=event.date)
        for part in chunks_of(people, window_for(executor, window)):
            jobs = [RenderJob(p, template, doc_id_for(p, template),
                              out_path_for(out_dir, p, template)) for p in part]
            ledger.record_people([(doc_id_for(p, template), p.nip, p.instansi,
                                   p.unit_kerja, p.region_code) for p in part])
            summary = _render_batch(jobs, checker, template_dir=template_dir, event=event,
                                    witness=witness, ledger=ledger, overwrite=overwrite,
                                    executor=executor, progress=progress)
            for outcome in summary.outcomes:
                counts.add(outcome.action, outcome.doc_id, outcome.error)
            if summary.interrupted:
                counts.interrupted = True
                break
    finally:
        checker.close()
    return counts


def iter_pdfs(folder: Path) -> Iterator[Path]:
    """Every *.pdf under `folder`, sorted per folder, found as the walk goes (no list of
    millions of paths)."""
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            yield from iter_pdfs(Path(entry.path))
        elif entry.name.lower().endswith(".pdf") and not entry.name.startswith("."):
            yield Path(entry.path)


LEDGER_ROWS_PER_WRITE = 1024


def verify_people(folder: Path, settings: VerifySettings, *, ledger: Ledger | None,
                  executor: Executor, window: int | None = None,
                  on_verdict: Callable[[DocumentVerdict], None] | None = None
                  ) -> BatchCounts:
    """Verify every PDF under `folder` window by window through `executor`; each
    verdict goes to `on_verdict` (a CSV or JSON writer) and the ledger as it comes.
    Only the counts by status and the first problems are kept: no list of documents
    (a verify `Tally` keeps every id it sees: 300 bytes a statement, 1.3 GB for 4.3
    million), so the client's memory stays flat in the batch's size."""
    from pakta.ledger import VerificationRecord, now_iso
    from pakta.verify import iter_verdicts

    counts = BatchCounts({}, [])
    rows: list[VerificationRecord] = []
    try:
        for part in chunks_of(iter_pdfs(folder), window_for(executor, window)):
            for verdict in iter_verdicts(part, settings, executor=executor):
                counts.add(verdict.status, verdict.doc_id or verdict.path,
                           "; ".join(map(str, verdict.reasons))
                           if verdict.status == "ERROR" else None)
                if on_verdict is not None:
                    on_verdict(verdict)
                if ledger is not None:
                    rows.append(VerificationRecord(
                        verdict.doc_id, verdict.path, verdict.sha256, verdict.status,
                        "; ".join(r.message("en") for r in verdict.reasons), now_iso()))
                    if len(rows) >= LEDGER_ROWS_PER_WRITE:
                        ledger.record_verifications(rows)
                        rows.clear()
    except KeyboardInterrupt:
        counts.interrupted = True
    finally:
        if ledger is not None and rows:
            ledger.record_verifications(rows)
    return counts


@dataclass(frozen=True)
class GroupRow:
    instansi: str
    region_code: str
    province: str
    rendered: int
    signed: int
    verified: int


def people_summary(ledger: Ledger, template: str = ASN_TEMPLATE) -> list[GroupRow]:
    """Per instansi and region (hundreds of rows, never millions): rendered, signed and
    verified, from the ledger's indexes."""
    return [GroupRow(r["instansi"], r["region_code"], r["province"], r["rendered"],
                     r["signed"] or 0, r["verified"] or 0)
            for r in ledger.people_summary(template, ASN_SLOT)]
