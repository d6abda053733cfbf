"""Verification: per signature, per document and per batch, against roster and ledger.

Each file is checked on its own and never stops the batch: an unreadable file becomes an
error row. Verdicts are frozen dataclasses with one bottom-line property each. The
signature indications follow ETSI EN 319 102-1 (TOTAL-PASSED, INDETERMINATE,
TOTAL-FAILED with a sub-indication). Verification is offline: only the trust roots
given and what the file carries are used.
"""

from __future__ import annotations

import io
import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pakta.errors import InputError
from pakta.ledger import DocumentRecord, Ledger, first_revision_length, sha256_hex
from pakta.regions import name_key
from pakta.roster import RegionHead
from pakta.status import HEAD_SLOT, WITNESS_SLOT

PASSED, INDETERMINATE, FAILED = "TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"
COMPLETE, INCOMPLETE, INVALID, UNKNOWN, ERROR = (
    "COMPLETE", "INCOMPLETE", "INVALID", "UNKNOWN", "ERROR")
MAX_FILE_BYTES = 50 * 2**20  # a pact is ~100 KB; anything this large is not one


@dataclass(frozen=True)
class SignatureVerdict:
    field: str
    page: int | None
    indication: str
    sub_indication: str | None
    intact: bool
    valid: bool
    trusted: bool
    signer_name: str
    signer_serial: str | None  # NIK / NIP in the certificate's serialNumber attribute
    cert_sha256: str
    signing_time: str | None  # as claimed by the signer
    timestamp: str | None
    timestamp_trusted: bool | None
    revoked: bool
    key_usage_ok: bool
    level: str  # PAdES baseline level found: B-B, B-T, B-LT, B-LTA
    coverage: str
    modification: str  # none / signatures-and-validation-data / form-filling / other
    covered_bytes: int

    @property
    def passed(self) -> bool:
        return self.indication == PASSED


@dataclass(frozen=True)
class DocumentVerdict:
    path: str
    sha256: str
    status: str
    reasons: tuple[str, ...] = ()
    doc_id: str | None = None
    template: str | None = None
    region_code: str | None = None
    province: str | None = None
    head: str | None = None
    signatures: tuple[SignatureVerdict, ...] = ()
    missing_slots: tuple[str, ...] = ()

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

    @property
    def ok(self) -> bool:
        """Every expected document is there, once, COMPLETE and valid."""
        return (bool(self.documents) and all(d.ok for d in self.documents)
                and not self.heads_without_document and not self.duplicates)


@dataclass(frozen=True)
class VerifySettings:
    """Everything a worker needs, picklable: built once per batch."""

    trust_roots: tuple[bytes, ...]  # DER certificates
    issued: tuple[DocumentRecord, ...] = ()
    heads: tuple[RegionHead, ...] = ()
    witness_name: str | None = None
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)  # template -> slots
    crls: tuple[bytes, ...] = ()  # revocation lists given on the command line (DER)


def load_trust_roots(paths: Sequence[Path]) -> tuple[bytes, ...]:
    from asn1crypto import pem

    roots = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read the trust root ({exc.strerror})") from exc
        blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        if not blocks:
            raise InputError(f"{path}: no certificate in the trust root file")
        roots.extend(blocks)
    return tuple(roots)


# ---------------------------------------------------------------------------------------
# One file

_context: dict[str, Any] = {}


def _setup(settings: VerifySettings) -> dict[str, Any]:
    """Per process: the validation context and lookup tables, built once."""
    from asn1crypto import crl, x509
    from pyhanko_certvalidator import ValidationContext

    roots = [x509.Certificate.load(der) for der in settings.trust_roots]
    crls = [crl.CertificateList.load(der) for der in settings.crls]
    return {
        "settings": settings,
        "roots": roots,
        "vc": lambda: ValidationContext(trust_roots=roots, allow_fetching=False, crls=crls,
                                        revocation_mode="soft-fail"),
        "by_hash": {(r.sha256, r.size): r for r in settings.issued},
        "by_id": {r.doc_id: r for r in settings.issued},
        "heads": {h.code: h for h in settings.heads},
    }


def _init_worker(settings: VerifySettings) -> None:
    global _context
    _context = _setup(settings)


def verify_file(path: Path, settings: VerifySettings | None = None) -> DocumentVerdict:
    """One file's verdict; never raises for a bad file."""
    global _context
    if settings is not None and _context.get("settings") is not settings:
        _context = _setup(settings)
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else None
    except OSError as exc:
        return DocumentVerdict(str(path), "", ERROR, (f"cannot read: {exc.strerror}",))
    if data is None:
        return DocumentVerdict(str(path), "", ERROR, ("larger than any pact: not checked",))
    digest = sha256_hex(data)
    try:
        return _verify(path, data, digest, _context)
    except Exception as exc:  # a hostile or broken file must not stop the batch
        return DocumentVerdict(str(path), digest, ERROR,
                               (f"unreadable PDF ({type(exc).__name__}: {exc})"[:300],))


def _verify(path: Path, data: bytes, digest: str, ctx: dict[str, Any]) -> DocumentVerdict:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    if not data.startswith(b"%PDF-"):
        return DocumentVerdict(str(path), digest, ERROR, ("not a PDF file",))
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if reader.encrypted:
        return DocumentVerdict(str(path), digest, ERROR, ("encrypted PDF",))
    settings: VerifySettings = ctx["settings"]
    length = first_revision_length(data)
    record = ctx["by_hash"].get((sha256_hex(data[:length]), length))
    reasons: list[str] = []
    status = COMPLETE
    if record is None:
        # Named like an issued document but not its bytes: a changed document.
        claimed = next((r for doc_id, r in ctx["by_id"].items()
                        if path.stem == doc_id or path.stem.startswith(doc_id + "-")), None)
        if claimed is not None:
            record = claimed
            status = INVALID
            reasons.append("not the issued document: its first revision differs from the "
                           "rendered file in the ledger")
        else:
            status = UNKNOWN
            reasons.append("matches no issued document in the ledger")
    fields = [name for name, _, _ in enumerate_sig_fields(reader)]
    sigs = [_signature(sig, ctx) for sig in reader.embedded_signatures]
    for sig in sigs:
        if not sig.passed:
            status = INVALID if status != UNKNOWN else status
            reasons.append(f"signature '{sig.field}': {sig.indication}"
                           + (f" / {sig.sub_indication}" if sig.sub_indication else ""))
    slots = settings.slots.get(record.template, tuple(fields)) if record else tuple(fields)
    signed = {s.field: s for s in sigs}
    missing = tuple(s for s in slots if s not in signed)
    head = ctx["heads"].get(record.region_code) if record else None
    if record is not None:
        wrong = _wrong_signers(signed, head, settings.witness_name)
        if wrong:
            status = INVALID
            reasons.extend(wrong)
        if HEAD_SLOT in signed and WITNESS_SLOT in signed and \
                signed[WITNESS_SLOT].covered_bytes < signed[HEAD_SLOT].covered_bytes:
            status = INVALID
            reasons.append("the witness signed before the head")
    if status == COMPLETE and missing:
        status = INCOMPLETE
        reasons.append(f"unsigned: {', '.join(missing)}")
    if status == COMPLETE and not sigs:
        status = INCOMPLETE
        reasons.append("no signature")
    return DocumentVerdict(
        path=str(path), sha256=digest, status=status, reasons=tuple(reasons),
        doc_id=record.doc_id if record else None,
        template=record.template if record else None,
        region_code=record.region_code if record else None,
        province=record.province if record else None,
        head=record.head_name if record else None, signatures=tuple(sigs),
        missing_slots=missing)


def _wrong_signers(signed: dict[str, SignatureVerdict], head: RegionHead | None,
                   witness: str | None) -> list[str]:
    problems = []
    sig = signed.get(HEAD_SLOT)
    if sig is not None and head is not None:
        if head.identifier and sig.signer_serial:
            right = head.identifier == sig.signer_serial
        else:
            right = name_key(sig.signer_name) == head.name_key
        if not right:
            problems.append(f"wrong signer in '{HEAD_SLOT}': {sig.signer_name}, the roster "
                            f"names {head.plain_name}")
    sig = signed.get(WITNESS_SLOT)
    if sig is not None and witness and name_key(sig.signer_name) != name_key(witness):
        problems.append(f"wrong signer in '{WITNESS_SLOT}': {sig.signer_name}, the witness "
                        f"is {witness}")
    return problems


MODIFICATIONS = {"NONE": "none", "LTA_UPDATES": "signatures-and-validation-data",
                 "FORM_FILLING": "form-filling", "ANNOTATIONS": "other",
                 "OTHER": "other"}


def _signature(sig: Any, ctx: dict[str, Any]) -> SignatureVerdict:
    from pyhanko.sign.validation import validate_pdf_signature

    status = validate_pdf_signature(sig, ctx["vc"]())
    cert = status.signing_cert
    subject = cert.subject.native if cert is not None else {}
    level_mod = status.modification_level
    modification = MODIFICATIONS.get(level_mod.name, "other") if level_mod else "other"
    ts = status.timestamp_validity
    revoked = status.revoked
    expired = False
    if cert is not None and status.signer_reported_dt is not None:
        expired = cert["tbs_certificate"]["validity"]["not_after"].native < \
            status.signer_reported_dt
    if not status.intact:
        indication, sub = FAILED, "HASH_FAILURE"
    elif not status.valid:
        indication, sub = FAILED, "SIG_CRYPTO_FAILURE"
    elif modification == "other" or not status.docmdp_ok:
        indication, sub = FAILED, "SUSPICIOUS_MODIFICATION"
    elif revoked:
        indication, sub = FAILED, "REVOKED"
    elif expired:
        indication, sub = INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"
    elif not status.trusted:
        problem = status.trust_problem_indic
        indication = INDETERMINATE
        sub = str(getattr(problem, "name", problem)) if problem else "NO_CERTIFICATE_CHAIN_FOUND"
        if sub == "OUT_OF_BOUNDS_NO_POE" or "EXPIRED" in sub:
            sub = "OUT_OF_BOUNDS_NO_POE"
    elif ts is not None and not (ts.intact and ts.valid and ts.trusted):
        indication, sub = INDETERMINATE, "TIMESTAMP_NOT_TRUSTED"
    elif not status.bottom_line:
        indication, sub = INDETERMINATE, "GENERIC"
    else:
        indication, sub = PASSED, None
    key_usage = set(status.key_usage or ()) if hasattr(status, "key_usage") else set()
    level = "B-T" if ts is not None else "B-B"
    page = None
    try:  # the widget's /P against the page tree's kids, by object number
        kids = sig.reader.root["/Pages"]["/Kids"]
        ids = [kids.raw_get(i).idnum for i in range(len(kids))]
        page = ids.index(sig.sig_field.raw_get("/P").idnum) + 1
    except Exception:
        page = None
    return SignatureVerdict(
        field=sig.field_name, page=page, indication=indication, sub_indication=sub,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        signer_name=str(subject.get("common_name", "?")),
        signer_serial=subject.get("serial_number"),
        cert_sha256=sha256_hex(cert.dump()) if cert is not None else "",
        signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt
        else None,
        timestamp=ts.timestamp.isoformat() if ts is not None else None,
        timestamp_trusted=bool(ts.trusted) if ts is not None else None,
        revoked=bool(revoked),
        key_usage_ok=not key_usage or bool(key_usage & {"digital_signature",
                                                         "non_repudiation"}),
        level=level,
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        modification=modification,
        covered_bytes=int(sig.byte_range[-2]) + int(sig.byte_range[-1]),
    )


# ---------------------------------------------------------------------------------------
# Batches


def collect_pdfs(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and p.suffix.lower() == ".pdf"))
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def make_settings(trust: Sequence[Path], ledger: Ledger | None,
                  heads: Sequence[RegionHead], witness_name: str | None,
                  template_dir: Path | None = None,
                  crls: Sequence[Path] = ()) -> VerifySettings:
    from pakta.templating import Catalogue

    issued = tuple(ledger.documents()) if ledger else ()
    catalogue = Catalogue(template_dir)
    slots = {}
    for template in {r.template for r in issued}:
        try:
            slots[template] = catalogue.info(template).slots
        except Exception:
            slots[template] = (HEAD_SLOT,)
    crl_data = []
    for path in crls:
        try:
            crl_data.append(path.read_bytes())
        except OSError as exc:
            raise InputError(f"{path}: cannot read the CRL ({exc.strerror})") from exc
    return VerifySettings(load_trust_roots(trust), issued, tuple(heads), witness_name, slots,
                          tuple(crl_data))


def verify_paths(files: Sequence[Path], settings: VerifySettings, *, workers: int = 1,
                 progress: Callable[[DocumentVerdict], None] | None = None) -> BatchVerdict:
    verdicts: list[DocumentVerdict] = []
    if workers > 1 and len(files) >= 8:
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("fork"),
                                 initializer=_init_worker, initargs=(settings,)) as pool:
            for verdict in pool.map(verify_file, files, chunksize=8):
                verdicts.append(verdict)
                if progress:
                    progress(verdict)
    else:
        for path in files:
            verdicts.append(verify_file(path, settings))
            if progress:
                progress(verdicts[-1])
    return summarise(verdicts, settings)


def summarise(verdicts: Sequence[DocumentVerdict], settings: VerifySettings) -> BatchVerdict:
    found = Counter(v.doc_id for v in verdicts if v.doc_id)
    duplicates = tuple(sorted(d for d, n in found.items() if n > 1))
    missing = tuple(sorted(r.doc_id for r in settings.issued if r.doc_id not in found))
    by_template: dict[str, Counter[str]] = defaultdict(Counter)
    by_province: dict[str, Counter[str]] = defaultdict(Counter)
    for v in verdicts:
        by_template[v.template or "-"][v.status] += 1
        by_province[v.province or "-"][v.status] += 1
    return BatchVerdict(
        documents=tuple(verdicts), heads_without_document=missing, duplicates=duplicates,
        by_status=dict(Counter(v.status for v in verdicts)),
        by_template={k: dict(v) for k, v in sorted(by_template.items())},
        by_province={k: dict(v) for k, v in sorted(by_province.items())})
