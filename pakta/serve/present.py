"""What the pages and the JSON API show of a verdict and of a ledger record, in plain
words (Indonesian or English). Presentation only: the verdicts are pakta.verify's and
the states pakta.status's. Never shown: a NIK, NIP, e-mail address or server path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pakta.config import Workspace
from pakta.dates import BULAN
from pakta.i18n import N_, in_language
from pakta.ledger import DocumentRecord
from pakta.render.qr import short_code
from pakta.status import HEAD_SLOT, WITNESS_SLOT, DocumentStatus
from pakta.verify import (
    COMPLETE,
    ERROR,
    FAILED,
    INCOMPLETE,
    INVALID,
    PASSED,
    UNKNOWN,
    DocumentVerdict,
    SignatureVerdict,
)

TEMPLATE_TITLES = {"pakta-integritas": "Pakta Integritas",
                   "deklarasi-netralitas": "Deklarasi Netralitas ASN"}

HEADLINES = {
    COMPLETE: N_("Valid: this is the document the secretariat issued, signed by everyone "
                 "who must sign it."),
    INCOMPLETE: N_("Genuine but not yet complete: not every signature is there yet."),
    INVALID: N_("Not valid: do not rely on this file."),
    UNKNOWN: N_("This file is not a document the secretariat issued."),
    ERROR: N_("This file could not be checked."),
}
NEXT_STEPS = {
    COMPLETE: N_("Nothing to do: keep this file as it is. Any change to it will show here."),
    INCOMPLETE: N_("Ask the signer still missing to sign this file, or ask the secretariat "
                   "for the complete copy."),
    INVALID: N_("Ask the secretariat (Bawaslu) for the original, and do not pass this "
                "copy on."),
    UNKNOWN: N_("Check that you uploaded the right file. A copy printed to PDF again or "
                "scanned is not the signed document: ask its sender for the original."),
    ERROR: N_("Check that the file is a PDF and not damaged, then try again."),
}
SIGNATURE_WORDS = {
    PASSED: N_("Valid signature"),
    FAILED: N_("Invalid signature"),
}
SIGNATURE_UNSURE = N_("The signature could not be confirmed")
CHANGES = {
    "none": N_("Nothing was changed after this signature."),
    "signatures-and-validation-data": N_("Only later signatures and validation data were "
                                         "added after this signature."),
    "form-filling": N_("Form fields were filled in after this signature."),
    "other": N_("The document was changed after this signature."),
}
# sub-indications that mean the signed content itself changed
CHANGED_CONTENT = frozenset({"HASH_FAILURE", "SUSPICIOUS_MODIFICATION"})
SLOT_NAMES = {HEAD_SLOT: N_("Regional head"), WITNESS_SLOT: N_("Witness")}
STATES = {
    "waiting_head": N_("Waiting for the regional head's signature"),
    "waiting_witness": N_("Waiting for the witness's signature"),
    "complete": N_("Signed by everyone"),
}


def when(value: str | None) -> str:
    """'17 September 2024, 10.15 UTC' from an ISO time; '' when unknown."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = moment.tzname() or ""
    return (f"{moment.day} {BULAN[moment.month - 1]} {moment.year}, "
            f"{moment.hour:02d}.{moment.minute:02d} {zone}").strip()


def template_title(template: str | None) -> str:
    if not template:
        return ""
    return TEMPLATE_TITLES.get(template, template.replace("-", " ").title())


def _office(slot: str, record: DocumentRecord | None, ws: Workspace) -> str:
    if slot == HEAD_SLOT and record is not None:
        return record.head_title
    if slot == WITNESS_SLOT:
        return ws.witness.title
    return ""


def changed_after(sig: SignatureVerdict) -> str:
    """What changed after the signature; a signature that no longer matches its file's
    bytes was changed after it, whatever the later revisions say."""
    if sig.sub_indication in CHANGED_CONTENT:
        return "other"
    return sig.modification


def signature_view(sig: SignatureVerdict, record: DocumentRecord | None, ws: Workspace,
                   lang: str) -> dict[str, Any]:
    words = SIGNATURE_WORDS.get(sig.indication, SIGNATURE_UNSURE)
    slot = SLOT_NAMES.get(sig.field)
    changed = changed_after(sig)
    return {
        "field": sig.field,
        "role": in_language(lang, slot) if slot else sig.field,
        "signer": sig.signer_name,
        "office": _office(sig.field, record, ws),
        "signed_at": sig.timestamp or sig.signing_time,
        "signed_at_text": when(sig.timestamp or sig.signing_time),
        "timestamped": sig.timestamp is not None,
        "valid": sig.passed,
        "verdict": in_language(lang, words),
        "indication": sig.indication,
        "sub_indication": sig.sub_indication,
        "changed_after": changed,
        "changed_after_text": in_language(lang, CHANGES.get(changed, CHANGES["other"])),
    }


def verdict_view(verdict: DocumentVerdict, record: DocumentRecord | None,
                 public_id: str | None, ws: Workspace, lang: str) -> dict[str, Any]:
    """A verdict as the page and /api/verify show it."""
    changed = any(changed_after(s) == "other" for s in verdict.signatures)
    return {
        "status": verdict.status,
        "ok": verdict.ok,
        "headline": in_language(lang, HEADLINES[verdict.status]),
        "next_step": in_language(lang, NEXT_STEPS[verdict.status]),
        "issued": verdict.issued,
        "changed_after_signing": changed,
        "document": None if record is None else {
            "id": public_id,
            "code": short_code(public_id) if public_id else None,
            "template": record.template,
            "title": template_title(record.template),
            "region_code": record.region_code,
            "province": record.province,
            "head": record.head_name,
            "head_title": record.head_title,
        },
        "signatures": [signature_view(s, record, ws, lang) for s in verdict.signatures],
        "missing": [in_language(lang, SLOT_NAMES[s]) if s in SLOT_NAMES else s
                    for s in verdict.missing_slots],
        # what verify found: the sentences every report shows, in the page's language
        "problems": [r.message(lang) for r in verdict.reasons],
        "findings": [r.as_json() for r in verdict.reasons],
    }


def state_of(status: DocumentStatus) -> str:
    if not status.head_signed:
        return "waiting_head"
    if not status.witness_signed:
        return "waiting_witness"
    return "complete"


def record_view(record: DocumentRecord, public_id: str, status: DocumentStatus | None,
                last_verified: tuple[str, str] | None, lang: str) -> dict[str, Any]:
    """The ledger's record of one document, as /d/{id} and /api/documents/{id} show it."""
    state = state_of(status) if status is not None else "waiting_head"
    return {
        "id": public_id,
        "code": short_code(public_id),
        "title": template_title(record.template),
        "template": record.template,
        "region_code": record.region_code,
        "province": record.province,
        "issued_to": record.head_name,
        "issued_to_title": record.head_title,
        "issued_at": record.rendered_at,
        "issued_at_text": when(record.rendered_at),
        "state": state,
        "state_text": in_language(lang, STATES[state]),
        "signed_slots": list(status.signed_slots) if status else [],
        "last_verified": last_verified[0] if last_verified else None,
        "last_verified_text": when(last_verified[0]) if last_verified else "",
        "last_verification": last_verified[1] if last_verified else None,
    }
