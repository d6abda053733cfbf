"""The verdicts: per signature, per document and per batch, frozen dataclasses with one
bottom-line property each, and the names of their indications and statuses."""

from __future__ import annotations

from dataclasses import dataclass, field

from pakta.findings import Finding

PASSED, INDETERMINATE, FAILED = "TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"
COMPLETE, INCOMPLETE, INVALID, UNKNOWN, ERROR = (
    "COMPLETE", "INCOMPLETE", "INVALID", "UNKNOWN", "ERROR")
STATUSES = (COMPLETE, INCOMPLETE, INVALID, UNKNOWN, ERROR)

# Classes of what changed after a signature (see `SignatureVerdict.modification`).
NO_CHANGE = "none"
LATER_SIGNATURES = "signatures-and-validation-data"
FORM_FILLING = "form-filling"
OTHER_CHANGE = "other"


@dataclass(frozen=True)
class SignatureVerdict:
    """One signature (or document timestamp): the ETSI indication and the facts."""

    field: str
    page: int | None
    indication: str
    sub_indication: str | None
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the chain reaches a trust root (at validation time)
    signer_name: str
    signer_serial: str | None  # NIK / NIP in the certificate's serialNumber attribute
    cert_sha256: str
    signing_time: str | None  # as claimed by the signer
    timestamp: str | None  # the signature timestamp's time
    timestamp_trusted: bool | None
    revoked: bool
    key_usage_ok: bool
    level: str  # PAdES baseline level found: B-B, B-T, B-LT, B-LTA
    coverage: str  # ENTIRE_FILE, ENTIRE_REVISION, CONTIGUOUS_BLOCK_FROM_START, ...
    modification: str  # none / signatures-and-validation-data / form-filling / other
    covered_bytes: int
    kind: str = "signature"  # or "document-timestamp"
    revocation: str = "unknown"  # good / revoked / unknown (no revocation data)
    revocation_date: str | None = None
    issuer: str = ""
    validated_at: str | None = None  # the time the chain was judged at
    details: tuple[str, ...] = ()
    certification: str | None = None  # DocMDP permission of a certification signature


    @property
    def passed(self) -> bool:
        return self.indication == PASSED


@dataclass(frozen=True)
class DocumentVerdict:
    """One file: what it is (from the ledger), who signed it, and its status."""

    path: str
    sha256: str
    status: str  # COMPLETE / INCOMPLETE / INVALID / UNKNOWN / ERROR
    reasons: tuple[Finding, ...] = ()  # why it is not COMPLETE: a code and a sentence
    doc_id: str | None = None
    template: str | None = None
    region_code: str | None = None
    province: str | None = None
    head: str | None = None
    signatures: tuple[SignatureVerdict, ...] = ()
    missing_slots: tuple[str, ...] = ()
    slots: tuple[str, ...] = ()  # the slots the template requires, in signing order
    document_timestamps: tuple[SignatureVerdict, ...] = ()
    issued: bool = False  # the first revision is the rendered file in the ledger
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == COMPLETE


@dataclass(frozen=True)
class BatchVerdict:
    documents: tuple[DocumentVerdict, ...]
    heads_without_document: tuple[str, ...]  # doc_ids issued but not found
    duplicates: tuple[str, ...]  # doc_ids found in more than one file
    by_status: dict[str, int] = field(default_factory=dict)
    by_template: dict[str, dict[str, int]] = field(default_factory=dict)
    by_province: dict[str, dict[str, int]] = field(default_factory=dict)
    incomplete: tuple[str, ...] = ()  # doc_ids found but not fully signed
    unexpected: tuple[str, ...] = ()  # paths of files that belong to no head
    errors: tuple[str, ...] = ()  # paths of files that could not be read
    # heads (code, name, province) with no document at all in the batch
    heads_missing: tuple[tuple[str, str, str], ...] = ()
    # When the documents were streamed (to a report, the ledger) instead of kept:
    # how many were checked and whether every one of them was COMPLETE.
    count: int | None = None
    all_complete: bool | None = None
    signatures_only: bool = False  # no ledger: each file judged by its signatures alone
    # revocation not established was accepted (`--accept-unchecked-revocation`)
    unchecked_revocation_accepted: bool = False

    @property
    def total(self) -> int:
        """The number of files checked."""
        return len(self.documents) if self.count is None else self.count

    @property
    def ok(self) -> bool:
        """Every expected document is there, once, COMPLETE and valid."""
        complete = all(d.ok for d in self.documents) if self.all_complete is None \
            else self.all_complete
        return (self.total > 0 and complete
                and not self.heads_without_document and not self.duplicates)

