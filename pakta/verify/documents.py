"""One file's verdict: what it is (from the ledger), one reading of its structure, its
signatures, its slots and signers.

Each file is checked on its own and never raises for a bad file: an unreadable,
encrypted, oversized, slow or hostile file becomes an ERROR row, which keeps the
document's identity when its first revision is a known document. A plain call has no
time or memory limit; a worker process that pakta started sets them (pakta.verify.limits).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pakta.files import cut_short
from pakta.findings import Finding
from pakta.ledger import DocumentRecord, first_revision_key, sha256_hex
from pakta.regions import name_key
from pakta.roster import RegionHead
from pakta.signed_reader import open_reader
from pakta.status import HEAD_SLOT, WITNESS_SLOT
from pakta.verify import limits
from pakta.verify.ambiguity import ambiguities
from pakta.verify.issued import Claim, Identity, Unresolved, identify
from pakta.verify.settings import Context, VerifySettings, context_for
from pakta.verify.signatures import doc_timestamp, signature
from pakta.verify.structure import (
    Signed,
    changed_before_signing,
    embedded_signatures,
    metadata_changes,
)
from pakta.verify.verdicts import (
    COMPLETE,
    ERROR,
    INCOMPLETE,
    INVALID,
    UNKNOWN,
    DocumentVerdict,
    SignatureVerdict,
)


def verify_file(path: Path, settings: VerifySettings | None = None, *,
                limited: bool | None = None) -> DocumentVerdict:
    """One file's verdict; never raises for a bad file. The set-up is built on the first
    call and again when other settings are given; the ledger is asked which document the
    file is. `limited`: a time and memory limit around the file (only in a worker
    process's main thread; by default where the worker's initializer enabled them)."""
    ctx = context_for(settings)
    started = time.perf_counter()
    data = _read(path, ctx)
    if isinstance(data, DocumentVerdict):
        return data
    return _verify_guarded(path, data, ctx, started, limited,
                           ctx.identity(path, first_revision_key(data)))


def verify_claimed(path: Path, claim: Claim, *,
                   limited: bool | None = None) -> DocumentVerdict | Unresolved:
    """A batch worker's verdict for a file sent with its claim (pakta.verify.issued):
    `Unresolved` when the file is none of the documents its name claims and the ledger
    has not been asked yet. Uses the set-up this process already has."""
    ctx = context_for(None)
    started = time.perf_counter()
    data = _read(path, ctx)
    if isinstance(data, DocumentVerdict):
        return data
    key = first_revision_key(data)
    identity = identify(key, claim)
    if identity is None:
        return Unresolved(path, key)
    return _verify_guarded(path, data, ctx, started, limited, identity)


def verify_data(data: bytes, name: str, settings: VerifySettings | None = None, *,
                limited: bool | None = None) -> DocumentVerdict:
    """Bytes held in memory (an upload to `pakta serve`), verified as a file called
    `name` would be; nothing is written anywhere."""
    ctx = context_for(settings)
    if len(data) > ctx.settings.max_bytes:
        return _error(Path(name), "", Finding.of("TOO_LARGE", size=len(data)))
    return _verify_guarded(Path(name), data, ctx, time.perf_counter(), limited,
                           ctx.identity(Path(name), first_revision_key(data)))


def _read(path: Path, ctx: Context) -> bytes | DocumentVerdict:
    try:
        size = path.stat().st_size
        if size > ctx.settings.max_bytes:
            return _error(path, "", Finding.of("TOO_LARGE", size=size))
        return path.read_bytes()
    except OSError:
        return _error(path, "", Finding.of("CANNOT_READ_FILE"))


def _verify_guarded(path: Path, data: bytes, ctx: Context, started: float,
                    limited: bool | None, identity: Identity) -> DocumentVerdict:
    digest = sha256_hex(data)
    record = identity.issued
    try:
        if limited if limited is not None else limits.enabled():
            with limits.bounded(ctx.settings.time_limit, limits.MEMORY_BUDGET):
                verdict = _verify(path, data, digest, ctx, identity)
        else:
            verdict = _verify(path, data, digest, ctx, identity)
    except limits.TimeUp:
        verdict = _error(path, digest, time_limit_finding(ctx.settings), record)
    except MemoryError:
        verdict = _error(path, digest, Finding.of("MEMORY_LIMIT"), record)
    except RecursionError:
        verdict = _error(path, digest, Finding.of("NESTED_TOO_DEEPLY"), record)
    except Exception:  # a hostile or broken file must not stop the batch
        verdict = _error(path, digest, Finding.of("UNREADABLE"), record)
    return replace(verdict, seconds=round(time.perf_counter() - started, 4))


def time_limit_finding(settings: VerifySettings) -> Finding:
    return Finding.of("TIME_LIMIT", seconds=f"{settings.time_limit:g}")


def error_row(path: Path, finding: Finding, ctx: Context,
              claim: Claim | None = None) -> DocumentVerdict | Unresolved:
    """An ERROR row for a file checked elsewhere (a watchdog child that ran out of time
    or died), with the document's identity when the file is one of ours: from `claim`
    (`Unresolved` when the ledger must be asked first), else from the ledger."""
    try:
        if path.stat().st_size <= ctx.settings.max_bytes:
            data = path.read_bytes()
            key = first_revision_key(data)
            identity = ctx.identity(path, key) if claim is None else identify(key, claim)
            if identity is None:
                return Unresolved(path, key)
            return _error(path, sha256_hex(data), finding, identity.issued)
    except OSError:
        pass
    return _error(path, "", finding)


def _error(path: Path, digest: str, finding: Finding,
           record: DocumentRecord | None = None) -> DocumentVerdict:
    """An ERROR row; it keeps the document's identity when the first revision is a
    known document."""
    return DocumentVerdict(
        str(path), digest, ERROR, (finding,),
        doc_id=record.doc_id if record else None,
        template=record.template if record else None,
        region_code=record.region_code if record else None,
        province=record.province if record else None,
        head=record.head_name if record else None, issued=record is not None)


def _verify(path: Path, data: bytes, digest: str, ctx: Context,
            identity: Identity) -> DocumentVerdict:
    from pyhanko.sign.fields import enumerate_sig_fields

    if not data.startswith(b"%PDF-"):
        return _error(path, digest, Finding.of("NOT_PDF"))
    record = identity.issued
    if cut_short(data) is not None:  # a reader would verify the last whole revision only
        tail = len(data) - data.rfind(b"%%EOF") - len(b"%%EOF")
        return _error(path, digest, Finding.of("CUT_SHORT", count=tail), record)
    reader = open_reader(data)
    if reader.encrypted:
        return _error(path, digest, Finding.of("ENCRYPTED"), record)
    reasons: list[Finding] = []
    status = COMPLETE
    issued = record is not None
    if record is None:
        # Named like an issued document but not its bytes: a changed document.
        if identity.named is not None:
            record = identity.named
            status = INVALID
            reasons.append(Finding.of("NOT_THE_ISSUED_DOCUMENT"))
        elif not ctx.settings.signatures_only:
            status = UNKNOWN
            reasons.append(Finding.of("NOT_IN_LEDGER"))

    # One reading of the file, before pyHanko's view of it is trusted.
    problems = ambiguities(data, reader)
    dss = _read_dss(reader)
    embedded, destroyed = embedded_signatures(reader)
    doc_ts_embedded = [s for s in embedded if s.sig_object_type == "/DocTimeStamp"]
    regular = [s for s in embedded if s.sig_object_type == "/Sig"]
    later_revisions = {s.signed_revision for s in (*regular, *doc_ts_embedded)}
    last_doc_ts = max((t.signed_revision for t in doc_ts_embedded), default=-1)
    sigs: list[SignatureVerdict] = []
    stamps: list[SignatureVerdict] = []
    for emb in embedded:
        try:
            if emb in regular:
                sigs.append(signature(emb, ctx, dss, reader, later_revisions, last_doc_ts))
            else:
                stamps.append(doc_timestamp(emb, ctx, dss, reader, later_revisions))
        except (RecursionError, MemoryError):
            raise
        except Exception:  # its data cannot be checked: a destroyed or forged signature
            destroyed.append(str(emb.field_name))
    document = record.doc_id if record else path.name
    problems += [Finding.of("SIGNATURE_DESTROYED", slot=name, document=document)
                 for name in destroyed]
    signed = [Signed(str(s.field_name), s.signed_revision) for s in embedded]
    if not destroyed:  # otherwise the first signature is not known
        problems += changed_before_signing(reader, signed)
    problems += [f for f in metadata_changes(reader, signed) if f not in problems]
    if problems:
        reasons.extend(problems)
        if status != UNKNOWN:
            status = INVALID
    for sig in (*sigs, *stamps):
        if not sig.passed:
            if status != UNKNOWN:
                status = INVALID
            code = "TIMESTAMP_NOT_PASSED" if sig.kind != "signature" \
                else "SIGNATURE_NOT_PASSED"
            reasons.append(Finding.of(code, field=sig.field, indication=sig.indication + (
                f" / {sig.sub_indication}" if sig.sub_indication else "")))

    fields = tuple(str(name) for name, _, _ in enumerate_sig_fields(reader))
    if record is not None and record.template not in ctx.settings.slots:
        # Never a default: which slots must be signed is the template's to say.
        return _error(path, digest, Finding.of("SLOTS_UNKNOWN", template=record.template),
                      record)
    slots = ctx.settings.slots[record.template] if record \
        else tuple(f for f in fields if f not in {t.field for t in stamps})
    signed_slots = {s.field: s for s in sigs}
    missing = tuple(s for s in slots if s not in signed_slots and s not in destroyed)
    head = ctx.heads.get(record.region_code) if record else None
    if record is not None:
        for slot in slots:
            if slot not in fields and slot in missing:
                status = INVALID
                reasons.append(Finding.of("FIELD_MISSING", slot=slot))
        wrong = _wrong_signers(signed_slots, head, ctx.settings.witness_name)
        if wrong:
            status = INVALID
            reasons.extend(wrong)
        order = [s.field for s in sorted(sigs, key=lambda s: s.covered_bytes)
                 if s.field in slots]
        expected = [s for s in slots if s in signed_slots]
        if order != expected:
            status = INVALID
            reasons.append(Finding.of("OUT_OF_ORDER", order=", ".join(order),
                                      expected=", ".join(expected)))
        certifier = ctx.settings.certification_slots.get(record.template)
        certifying = [s for s in sigs if s.certification is not None]
        for sig in certifying:
            if sig is not min(sigs, key=lambda s: s.covered_bytes):
                status = INVALID
                reasons.append(Finding.of("CERTIFICATION_NOT_FIRST", field=sig.field))
            if sig.field != certifier:
                status = INVALID
                reasons.append(Finding.of("CERTIFICATION_WRONG_FIELD", field=sig.field,
                                          expected=certifier or "-"))
        extra = [s.field for s in sigs if s.field not in slots
                 and not (s.field == certifier and s.certification is not None)]
        if extra:
            status = INVALID
            reasons.append(Finding.of("OUTSIDE_SLOTS", fields=", ".join(extra)))
        if head is None and ctx.heads:
            reasons.append(Finding.of("REGION_NOT_IN_ROSTER", region=record.region_code))
    if status == COMPLETE and missing:
        status = INCOMPLETE
        reasons.append(Finding.of("UNSIGNED", slots=", ".join(missing)))
    if status == COMPLETE and not sigs:
        status = INCOMPLETE
        reasons.append(Finding.of("NO_SIGNATURE"))
    return DocumentVerdict(
        path=str(path), sha256=digest, status=status, reasons=tuple(reasons),
        doc_id=record.doc_id if record else None,
        template=record.template if record else None,
        region_code=record.region_code if record else None,
        province=record.province if record else None,
        head=record.head_name if record else None, signatures=tuple(sigs),
        missing_slots=missing, slots=tuple(slots), document_timestamps=tuple(stamps),
        issued=issued)


def _read_dss(reader: Any) -> Any:
    """The file's document security store (validation data), or None. A DSS that
    cannot be read (absurd compressed streams, broken objects) makes the file an error
    row: validation data is never silently skipped."""
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None


def _head_matches(sig: SignatureVerdict, head: RegionHead) -> bool:
    """Prefer an explicit identifier: a certificate fingerprint the roster records
    (extra column `cert_sha256`), then NIK / NIP against the serialNumber attribute;
    names (without titles, case and punctuation) otherwise."""
    fingerprint = (head.extra.get("cert_sha256") or "").strip().lower().replace(":", "")
    if fingerprint and sig.cert_sha256:
        return fingerprint == sig.cert_sha256
    if head.identifier and sig.signer_serial:
        return head.identifier == sig.signer_serial.strip()
    return name_key(sig.signer_name) == head.name_key


def _wrong_signers(signed: dict[str, SignatureVerdict], head: RegionHead | None,
                   witness: str | None) -> list[Finding]:
    problems = []
    sig = signed.get(HEAD_SLOT)
    if sig is not None and head is not None and not _head_matches(sig, head):
        problems.append(Finding.of("WRONG_HEAD_SIGNER", slot=HEAD_SLOT,
                                   signer=sig.signer_name, expected=head.plain_name))
    sig = signed.get(WITNESS_SLOT)
    if sig is not None and witness and name_key(sig.signer_name) != name_key(witness):
        problems.append(Finding.of("WRONG_WITNESS_SIGNER", slot=WITNESS_SLOT,
                                   signer=sig.signer_name, expected=witness))
    return problems

