"""What a batch renders: one job per head (or person) and template."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pakta.errors import TemplateError
from pakta.i18n import _
from pakta.render.qr import DEFAULT_BASE_URL
from pakta.roster import RegionHead

if TYPE_CHECKING:
    from pakta.ledger import Ledger
    from pakta.people.roster import Person


@dataclass(frozen=True)
class RenderJob:
    head: RegionHead | Person  # a regional head, or an ASN from a people roster
    template: str
    doc_id: str  # "75-gorontalo-pakta-integritas", also the file stem
    out_path: Path
    # The QR code's target (pakta.render.qr): set by render_batch from the ledger; a job
    # without one is rendered without the QR code.
    public_id: str = ""
    base_url: str = DEFAULT_BASE_URL


def doc_id_for(head: RegionHead, template: str) -> str:
    return f"{head.slug}-{template}"


def plan_jobs(
    heads: Sequence[RegionHead], templates: Sequence[str], out_dir: Path,
    only: Sequence[str] = (),
) -> list[RenderJob]:
    wanted = set(only)
    unknown = wanted - {h.code for h in heads}
    if unknown:
        raise TemplateError(_("--only: no head with region code {items}").format(
                                items=', '.join(sorted(unknown))))
    jobs = []
    for head in heads:
        if wanted and head.code not in wanted:
            continue
        for template in templates:
            doc_id = doc_id_for(head, template)
            jobs.append(RenderJob(head, template, doc_id, out_dir / f"{doc_id}.pdf"))
    return jobs


def with_public_ids(jobs: Sequence[RenderJob], ledger: Ledger, base_url: str
                    ) -> list[RenderJob]:
    """The jobs with their documents' public ids (made and kept in the ledger the first
    time), so that the QR code of a document never changes between renderings."""
    from dataclasses import replace

    ids = ledger.public_ids([job.doc_id for job in jobs])
    return [replace(job, public_id=ids[job.doc_id], base_url=base_url) for job in jobs]
