"""Who has signed what: the secretariat's view of a batch, from the ledger alone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pakta.ledger import DocumentRecord, Ledger
from pakta.register import Coverage, coverage, load_register
from pakta.render.templating import Catalogue
from pakta.roster import RegionHead

HEAD_SLOT = "kepala_daerah"
WITNESS_SLOT = "saksi"
STAGES = ("rendered", "head_signed", "witness_signed", "verified")


@dataclass(frozen=True)
class DocumentStatus:
    doc_id: str
    template: str
    region_code: str
    province: str
    head_name: str
    head_title: str
    slots: tuple[str, ...]
    signed_slots: tuple[str, ...]
    verification: str | None  # latest verification outcome, e.g. "COMPLETE"
    email: str | None
    last_change: str

    @property
    def head_signed(self) -> bool:
        return HEAD_SLOT in self.signed_slots

    @property
    def witness_signed(self) -> bool:
        """True when the template has no witness slot, or the witness has signed."""
        return WITNESS_SLOT not in self.slots or WITNESS_SLOT in self.signed_slots

    @property
    def missing_slots(self) -> tuple[str, ...]:
        return tuple(s for s in self.slots if s not in self.signed_slots)

    @property
    def verified(self) -> bool:
        return self.verification == "COMPLETE"

    @property
    def stage(self) -> str:
        """The furthest stage reached, for the chart."""
        if self.verified:
            return "verified"
        if self.head_signed and self.witness_signed:
            return "witness_signed"
        if self.head_signed:
            return "head_signed"
        return "rendered"


@dataclass(frozen=True)
class Counts:
    rendered: int = 0
    head_signed: int = 0
    witness_signed: int = 0
    verified: int = 0

    def add(self, doc: DocumentStatus) -> Counts:
        return Counts(self.rendered + 1, self.head_signed + doc.head_signed,
                      self.witness_signed + (doc.witness_signed and WITNESS_SLOT in doc.slots),
                      self.verified + doc.verified)


@dataclass(frozen=True)
class StatusReport:
    documents: tuple[DocumentStatus, ...]
    by_template: dict[str, Counts] = field(default_factory=dict)
    by_province: dict[str, Counts] = field(default_factory=dict)
    total: Counts = Counts()
    last_change: str | None = None
    # The register's regions in scope against the roster: "no head in the roster" is
    # apart from "not signed yet". None without a roster.
    coverage: Coverage | None = None

    @property
    def missing_head(self) -> list[DocumentStatus]:
        return [d for d in self.documents if not d.head_signed]

    @property
    def missing_witness(self) -> list[DocumentStatus]:
        return [d for d in self.documents if d.head_signed and not d.witness_signed]


def build_status(
    ledger: Ledger, heads: list[RegionHead] | None = None, *,
    template_dir: Path | None = None, template: str | None = None,
    province: str | None = None, provinces: tuple[str, ...] = (),
) -> StatusReport:
    """`provinces`: the batch's scope (pakta.toml), for the coverage of the register."""
    catalogue = Catalogue(template_dir)
    emails = {h.code: h.email for h in heads or []}
    signatures = defaultdict(list)
    for sig in ledger.signatures():
        signatures[sig.doc_id].append(sig)
    verifications = ledger.latest_verifications()
    slots_of: dict[str, tuple[str, ...]] = {}
    documents: list[DocumentStatus] = []
    for record in ledger.documents():
        if template and record.template != template:
            continue
        if province and record.province.lower() != province.lower():
            continue
        if record.template not in slots_of:
            slots_of[record.template] = _slots(catalogue, record)
        signed = tuple(dict.fromkeys(s.slot for s in signatures[record.doc_id]))
        verification = verifications.get(record.doc_id)
        times = [record.rendered_at, *(s.signed_at for s in signatures[record.doc_id])]
        if verification:
            times.append(verification.verified_at)
        documents.append(DocumentStatus(
            doc_id=record.doc_id, template=record.template, region_code=record.region_code,
            province=record.province or "?", head_name=record.head_name,
            head_title=record.head_title, slots=slots_of[record.template],
            signed_slots=signed, verification=verification.status if verification else None,
            email=emails.get(record.region_code), last_change=max(times)))
    by_template: dict[str, Counts] = defaultdict(Counts)
    by_province: dict[str, Counts] = defaultdict(Counts)
    total = Counts()
    for doc in documents:
        by_template[doc.template] = by_template[doc.template].add(doc)
        by_province[doc.province] = by_province[doc.province].add(doc)
        total = total.add(doc)
    return StatusReport(
        documents=tuple(documents), by_template=dict(sorted(by_template.items())),
        by_province=dict(sorted(by_province.items())), total=total,
        last_change=max((d.last_change for d in documents), default=None),
        coverage=_coverage(heads, provinces, province))


def _coverage(heads: list[RegionHead] | None, provinces: tuple[str, ...],
              province: str | None) -> Coverage | None:
    if not heads:
        return None
    scope = provinces
    if province:  # --province narrows the view to that province
        code = load_register().province_code_of(province)
        scope = (code,) if code else provinces
    return coverage((h.code for h in heads), scope)


def _slots(catalogue: Catalogue, record: DocumentRecord) -> tuple[str, ...]:
    """The template's slots, head first; a template no longer installed keeps the head."""
    try:
        slots = catalogue.info(record.template).slots
    except Exception:
        slots = (HEAD_SLOT,)
    return tuple(sorted(slots, key=lambda s: (s != HEAD_SLOT, s)))
