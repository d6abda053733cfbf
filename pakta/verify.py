"""Verification: per signature, per document and per batch, against roster and ledger.

Each file is checked on its own and never stops the batch: an unreadable, encrypted,
oversized, slow or hostile file becomes an ERROR row. Verdicts are frozen dataclasses
with one bottom-line property each.

Per signature, the indication follows ETSI EN 319 102-1: TOTAL-PASSED, INDETERMINATE or
TOTAL-FAILED with a sub-indication (HASH_FAILURE, SIG_CRYPTO_FAILURE, REVOKED,
REVOKED_NO_POE, EXPIRED, NOT_YET_VALID, OUT_OF_BOUNDS_NO_POE, NO_CERTIFICATE_CHAIN_FOUND,
CHAIN_CONSTRAINTS_FAILURE, TIMESTAMP_NOT_TRUSTED, ...), plus the PDF-specific
SUSPICIOUS_MODIFICATION for a signed page changed afterwards. When the certificate is no
longer good now (expired, revoked) but a trusted signature timestamp proves the signature
existed before, the chain is validated again at the timestamp's time (past signature
validation, simplified).

Verification is offline by default: the trust roots given, the revocation data given on
the command line (CRLs) and what the file carries (its DSS) are all that is used;
`online=True` lets the validator fetch CRLs and OCSP responses.

Speed and memory: `iter_verdicts` runs `verify_file` over a process pool, a few chunks of
files in flight per worker, and hands each verdict on as soon as it is known; a `Tally`
sums the batch up without keeping the documents (`verify_paths` keeps them). Each worker
builds its validation set-up (trust manager, CRLs, lookup tables) once. Three
behaviour-preserving fast paths are installed in the verifying process: pyHanko's
byte-by-byte hex-string reader (a signature's /Contents is ~16 KB of hex), asn1crypto's
RFC 4518 string preparation and its name comparison (both memoised: the same issuer names
are compared for every file).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pakta.batch import Executor, LocalExecutor, WorkerState, chunk_size
from pakta.errors import InputError
from pakta.files import cut_short
from pakta.findings import Finding
from pakta.keyusage import key_usage_constraints, key_usage_ok
from pakta.ledger import DocumentRecord, Ledger, first_revision_length, sha256_hex
from pakta.regions import name_key
from pakta.roster import RegionHead
from pakta.status import HEAD_SLOT, WITNESS_SLOT
from pakta.structure import (
    Signed,
    ambiguities,
    changed_before_signing,
    embedded_signatures,
    metadata_changes,
)

PASSED, INDETERMINATE, FAILED = "TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"
COMPLETE, INCOMPLETE, INVALID, UNKNOWN, ERROR = (
    "COMPLETE", "INCOMPLETE", "INVALID", "UNKNOWN", "ERROR")
STATUSES = (COMPLETE, INCOMPLETE, INVALID, UNKNOWN, ERROR)
MAX_FILE_BYTES = 50 * 2**20  # a pact is ~100 KB; anything this large is not one
TIME_LIMIT_S = 30.0  # per file; a pact takes tens of milliseconds
MEMORY_BUDGET = 1 << 30  # per file, above what the process already uses

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


@dataclass(frozen=True)
class VerifySettings:
    """Everything a worker needs, picklable: built once per batch."""

    trust_roots: tuple[bytes, ...]  # DER certificates
    issued: tuple[DocumentRecord, ...] = ()
    heads: tuple[RegionHead, ...] = ()
    witness_name: str | None = None
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)  # template -> slots
    crls: tuple[bytes, ...] = ()  # revocation lists given on the command line (DER)
    # template -> the field of the secretariat's certification signature, if any
    certification_slots: dict[str, str] = field(default_factory=dict)
    online: bool = False  # let the validator fetch CRLs / OCSP responses
    time_limit: float = TIME_LIMIT_S
    max_bytes: int = MAX_FILE_BYTES
    # No ledger (an auditor with only the files): a file's verdict is its signatures'.
    signatures_only: bool = False
    # A folder was verified, not files one by one: issued documents not among the files
    # are reported missing.
    whole_batch: bool = True


def template_slots(template: str, template_dir: Path | None = None) -> tuple[str, ...]:
    """The signature slots a template requires (its signature fields), in the signing
    order of its signature profile (head first, then the witness)."""
    from pakta.profiles import load_profile
    from pakta.render.templating import template_slots as declared_slots

    try:
        slots = tuple(declared_slots(template, template_dir))
    except Exception:
        slots = (HEAD_SLOT,)
    try:
        order = load_profile(template).slot_order
    except Exception:
        order = (HEAD_SLOT, WITNESS_SLOT)
    rank = {slot: i for i, slot in enumerate(order)}
    return tuple(sorted(slots, key=lambda s: rank.get(s, len(rank))))


def certification_slot(template: str) -> str | None:
    """The field of the secretariat's certification signature in the template's signing
    profile (signed first, before every slot), if the profile has one."""
    from pakta.profiles import load_profile

    try:
        certification = getattr(load_profile(template), "certification", None)
    except Exception:
        return None
    return getattr(certification, "slot", None)


def load_trust_roots(paths: Sequence[Path]) -> tuple[bytes, ...]:
    from asn1crypto import pem

    roots = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read the trust root ({exc.strerror})",
                             hint="give the root certificate with --trust ROOT.pem"
                             ) from exc
        blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        if not blocks:
            raise InputError(f"{path}: no certificate in the trust root file")
        roots.extend(blocks)
    from asn1crypto import x509

    for der in roots:
        try:
            x509.Certificate.load(der).native  # noqa: B018 (parse it all now)
        except Exception as exc:
            raise InputError("a trust root is not an X.509 certificate (PEM or DER)") \
                from exc
    return tuple(roots)


def load_crls(paths: Sequence[Path]) -> tuple[bytes, ...]:
    from asn1crypto import crl, pem

    out = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read the CRL ({exc.strerror})") from exc
        blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        for der in blocks:
            try:
                crl.CertificateList.load(der).native  # noqa: B018
            except Exception as exc:
                raise InputError(f"{path}: not a certificate revocation list") from exc
            out.append(der)
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Fast paths (behaviour-preserving replacements for two measured hot spots)

_HEX_WS = b" \t\n\r\x00\x0c"
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_fast_paths_installed = False


def _install_fast_paths() -> None:
    global _fast_paths_installed
    if _fast_paths_installed:
        return
    import binascii

    from asn1crypto import x509
    from pyhanko.pdf_utils import generic

    original_hex = generic.read_hex_string_from_stream

    def read_hex_string(stream: Any) -> Any:
        start = stream.tell()
        stream.read(1)  # '<'
        collected = bytearray()
        while True:
            block = stream.read(65536)
            if not block:
                break
            end = block.find(b">")
            if end < 0:
                collected += block
                continue
            collected += block[:end]
            stream.seek(end + 1 - len(block), os.SEEK_CUR)
            digits = bytes(collected).translate(None, _HEX_WS)
            if not digits.translate(None, _HEX_DIGITS):
                if len(digits) % 2:
                    digits += b"0"
                return generic.pdf_string(binascii.unhexlify(digits))
            break
        stream.seek(start)  # anything unusual: pyHanko's own reader and its errors
        return original_hex(stream)

    read_hex_string.__wrapped__ = original_hex  # type: ignore[attr-defined]
    generic.read_hex_string_from_stream = read_hex_string

    ntv = x509.NameTypeAndValue
    original_prep = ntv._ldap_string_prep
    prepared: dict[str, str] = {}

    def ldap_string_prep(self: Any, string: str) -> str:
        try:
            return prepared[string]
        except KeyError:
            result: str = original_prep(self, string)
            if len(prepared) < 100_000:
                prepared[string] = result
            return result

    ntv._ldap_string_prep = ldap_string_prep  # type: ignore[method-assign]

    # RFC 5280 name comparison is a function of the two encodings: its result is kept.
    # pyHanko compares the signer's issuer with every certificate a signature carries;
    # the ones that differ went through string preparation every time.
    name = x509.Name
    original_eq = name.__eq__
    compared: dict[tuple[bytes, bytes], bool] = {}

    def name_eq(self: Any, other: Any) -> bool:
        if not isinstance(other, name):
            return False
        key = (self.dump(), other.dump())
        try:
            return compared[key]
        except KeyError:
            result: bool = original_eq(self, other)  # a ValueError is raised, not kept
            if len(compared) < 100_000:
                compared[key] = result
            return result

    name_eq.__wrapped__ = original_eq  # type: ignore[attr-defined]
    name.__eq__ = name_eq  # type: ignore[assignment,method-assign]
    _fast_paths_installed = True


# ---------------------------------------------------------------------------------------
# Per-process set-up

@dataclass
class _Context:
    settings: VerifySettings
    roots: list[Any]
    crls: list[Any]
    trust_manager: Any
    by_hash: dict[tuple[str, int], DocumentRecord]
    by_id: dict[str, DocumentRecord]
    heads: dict[str, RegionHead]

    def validation_context(self, dss: Any = None, moment: datetime | None = None) -> Any:
        from pyhanko_certvalidator import ValidationContext

        kwargs: dict[str, Any] = dict(
            trust_manager=self.trust_manager, crls=list(self.crls),
            allow_fetching=self.settings.online, revocation_mode="soft-fail")
        if moment is not None:
            kwargs.update(moment=moment, retroactive_revinfo=True)
        if dss is not None:
            return dss.as_validation_context(kwargs)
        return ValidationContext(**kwargs)


_context: _Context | None = None


def _setup(settings: VerifySettings) -> _Context:
    """Per process: the trust manager, revocation data and lookup tables, built once."""
    from asn1crypto import crl, x509
    from pyhanko_certvalidator.registry import SimpleTrustManager

    _install_fast_paths()
    roots = [x509.Certificate.load(der) for der in settings.trust_roots]
    crls = [crl.CertificateList.load(der) for der in settings.crls]
    return _Context(
        settings=settings, roots=roots, crls=crls,
        trust_manager=SimpleTrustManager.build(trust_roots=roots),
        by_hash={(r.sha256, r.size): r for r in settings.issued},
        by_id={r.doc_id: r for r in settings.issued},
        heads={h.code: h for h in settings.heads})


def _init_worker(settings: VerifySettings) -> None:
    global _context
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _context = _setup(settings)


class _TimeUp(BaseException):
    """Raised by the per-file alarm; a BaseException so that no `except Exception` in
    the PDF or ASN.1 parsers turns it into a parse error."""


ALARM_REPEAT_S = 0.05  # the time-up alarm again, should one be lost


@contextmanager
def _bounded(seconds: float, memory: int) -> Iterator[None]:
    """A time limit (SIGALRM, main thread only) and an address-space limit for one file.

    A time-up raised while a finaliser (`__del__`) or a garbage-collector callback runs
    is only reported, not raised. So the alarm repeats until one reaches the caller, and
    a body that finishes after the alarm went off is over its limit all the same: the
    outcome does not depend on where the signal happened to land."""
    main = threading.current_thread() is threading.main_thread()
    limits = None
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = used + memory
        if soft == resource.RLIM_INFINITY or soft > cap:
            resource.setrlimit(resource.RLIMIT_AS,
                               (cap if hard == resource.RLIM_INFINITY else min(cap, hard),
                                hard))
            limits = (soft, hard)
    except (ImportError, OSError, ValueError):
        limits = None
    timed = main and seconds > 0
    armed = [timed]
    went_off = [False]
    previous = None
    if timed:
        def alarm(signum: int, frame: Any) -> None:
            if armed[0]:
                went_off[0] = True
                raise _TimeUp()

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds, ALARM_REPEAT_S)  # armed last
    try:
        yield
    finally:
        armed[0] = False  # first: from here on an alarm raises nothing
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous or signal.SIG_DFL)
        if limits is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, limits)
    if went_off[0]:  # reached only when the body returned: its time-up was swallowed
        raise _TimeUp()


# ---------------------------------------------------------------------------------------
# One file

def verify_file(path: Path, settings: VerifySettings | None = None) -> DocumentVerdict:
    """One file's verdict; never raises for a bad file. In a pool worker the set-up made
    by the initializer is used; otherwise it is built on the first call (and again when
    other settings are given)."""
    import time

    global _context
    if settings is not None and (_context is None or _context.settings is not settings):
        _context = _setup(settings)
    if _context is None:
        raise RuntimeError("verify_file needs settings on its first call")
    ctx = _context
    started = time.perf_counter()
    try:
        size = path.stat().st_size
        if size > ctx.settings.max_bytes:
            return _error(path, "", Finding.of("TOO_LARGE", size=size))
        data = path.read_bytes()
    except OSError:
        return _error(path, "", Finding.of("CANNOT_READ_FILE"))
    return _verify_bounded(path, data, ctx, started)


def verify_data(data: bytes, name: str, settings: VerifySettings | None = None
                ) -> DocumentVerdict:
    """Bytes held in memory (an upload to `pakta serve`), verified as a file called
    `name` would be, with the same limits; nothing is written anywhere."""
    import time

    global _context
    if settings is not None and (_context is None or _context.settings is not settings):
        _context = _setup(settings)
    if _context is None:
        raise RuntimeError("verify_data needs settings on its first call")
    if len(data) > _context.settings.max_bytes:
        return _error(Path(name), "", Finding.of("TOO_LARGE", size=len(data)))
    return _verify_bounded(Path(name), data, _context, time.perf_counter())


def _verify_bounded(path: Path, data: bytes, ctx: _Context, started: float
                    ) -> DocumentVerdict:
    import time

    digest = sha256_hex(data)
    try:
        with _bounded(ctx.settings.time_limit, MEMORY_BUDGET):
            verdict = _verify(path, data, digest, ctx)
    except _TimeUp:
        verdict = _error(path, digest, Finding.of(
            "TIME_LIMIT", seconds=f"{ctx.settings.time_limit:g}"), _issued(data, ctx))
    except MemoryError:
        verdict = _error(path, digest, Finding.of("MEMORY_LIMIT"), _issued(data, ctx))
    except RecursionError:
        verdict = _error(path, digest, Finding.of("NESTED_TOO_DEEPLY"), _issued(data, ctx))
    except Exception:  # a hostile or broken file must not stop the batch
        verdict = _error(path, digest, Finding.of("UNREADABLE"), _issued(data, ctx))
    return _with_time(verdict, time.perf_counter() - started)


def _issued(data: bytes, ctx: _Context) -> DocumentRecord | None:
    """The issued document whose bytes are this file's first revision, if any."""
    length = first_revision_length(data)
    return ctx.by_hash.get((sha256_hex(data[:length]), length))


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


def _with_time(verdict: DocumentVerdict, seconds: float) -> DocumentVerdict:
    from dataclasses import replace

    return replace(verdict, seconds=round(seconds, 4))


def _verify(path: Path, data: bytes, digest: str, ctx: _Context) -> DocumentVerdict:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    if not data.startswith(b"%PDF-"):
        return _error(path, digest, Finding.of("NOT_PDF"))
    record = _issued(data, ctx)
    if cut_short(data) is not None:  # a reader would verify the last whole revision only
        tail = len(data) - data.rfind(b"%%EOF") - len(b"%%EOF")
        return _error(path, digest, Finding.of("CUT_SHORT", count=tail), record)
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if reader.encrypted:
        return _error(path, digest, Finding.of("ENCRYPTED"), record)
    reasons: list[Finding] = []
    status = COMPLETE
    issued = record is not None
    if record is None:
        # Named like an issued document but not its bytes: a changed document.
        claimed = next((r for doc_id, r in ctx.by_id.items()
                        if path.stem == doc_id or path.stem.startswith(doc_id + "-")), None)
        if claimed is not None:
            record = claimed
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
                sigs.append(_signature(emb, ctx, dss, reader, later_revisions, last_doc_ts))
            else:
                stamps.append(_doc_timestamp(emb, ctx, dss, reader, later_revisions))
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
    slots = (ctx.settings.slots.get(record.template) or template_slots(record.template)) \
        if record else tuple(f for f in fields if f not in {t.field for t in stamps})
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


# ---------------------------------------------------------------------------------------
# One signature

MODIFICATIONS = {"NONE": NO_CHANGE, "LTA_UPDATES": LATER_SIGNATURES,
                 "FORM_FILLING": FORM_FILLING, "ANNOTATIONS": OTHER_CHANGE,
                 "OTHER": OTHER_CHANGE}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _modification(sig: Any, status: Any, later_revisions: set[int], total: int) -> str:
    level = status.modification_level
    if level is None:
        return OTHER_CHANGE
    kind = MODIFICATIONS.get(level.name, OTHER_CHANGE)
    if kind == FORM_FILLING and all(
            r in later_revisions for r in range(sig.signed_revision + 1, total)):
        # Our templates have no form fields but the signature slots: every later
        # revision is another signature (or document timestamp).
        kind = LATER_SIGNATURES
    return kind


def _page_of(sig: Any) -> int | None:
    try:  # the widget's /P against the page tree's kids, by object number
        kids = sig.reader.root["/Pages"]["/Kids"]
        ids = [kids.raw_get(i).idnum for i in range(len(kids))]
        return ids.index(sig.sig_field.raw_get("/P").idnum) + 1
    except Exception:
        pass
    try:  # otherwise: the page whose /Annots lists the widget
        ref = sig.sig_field.container_ref
        for number, page in enumerate(sig.reader.root["/Pages"]["/Kids"], 1):
            annots = page.get_object().get("/Annots")
            if annots is not None and any(
                    a.idnum == ref.idnum for a in (annots.raw_get(i)
                                                   for i in range(len(annots)))):
                return number
    except Exception:
        return None
    return None


def _cert_facts(cert: Any) -> dict[str, Any]:
    if cert is None:
        return dict(signer_name="?", signer_serial=None, cert_sha256="", issuer="",
                    key_usage_ok=False)
    subject = cert.subject.native
    return dict(signer_name=str(subject.get("common_name", "?")),
                signer_serial=subject.get("serial_number"),
                cert_sha256=sha256_hex(cert.dump()),
                issuer=str(cert.issuer.native.get("common_name", "")),
                key_usage_ok=key_usage_ok(cert))


def _validate(sig: Any, vc: Any) -> Any:
    from pyhanko.sign.validation import validate_pdf_signature

    return validate_pdf_signature(sig, vc, key_usage_settings=key_usage_constraints())


def _revinfo_covers(vc: Any, cert: Any) -> bool:
    """Whether the revocation data the validator had (given, from the DSS, or fetched)
    speaks about `cert`: a CRL of its issuer or an OCSP response for its serial."""
    try:
        issuer = cert.issuer.dump()
        if any(c["tbs_cert_list"]["issuer"].dump() == issuer for c in vc.crls):
            return True
        serial = cert.serial_number
        for response in vc.ocsps:
            basic = response["response_bytes"]["response"].parsed
            if any(single["cert_id"]["serial_number"].native == serial
                   for single in basic["tbs_response_data"]["responses"]):
                return True
    except Exception:
        return False
    return False


def _signature(sig: Any, ctx: _Context, dss: Any, reader: Any, later_revisions: set[int],
               last_doc_ts: int) -> SignatureVerdict:
    vc = ctx.validation_context(dss)
    status = _validate(sig, vc)
    cert = status.signing_cert
    facts = _cert_facts(cert)
    total = reader.xrefs.total_revisions
    modification = _modification(sig, status, later_revisions, total)
    ts = status.timestamp_validity
    ts_ok = ts is not None and ts.intact and ts.valid and ts.trusted
    claimed = status.signer_reported_dt
    details: list[str] = []
    validated_at = status.validation_time
    revocation = status.revocation_details
    if not status.trusted and ts_ok and status.intact and status.valid and \
            not (revocation is not None and revocation.revocation_date <= ts.timestamp):
        # Past signature validation: the timestamp proves the signature existed then.
        past = _validate(sig, ctx.validation_context(dss, moment=ts.timestamp))
        if past.trusted:
            details.append(f"certificate not good now ({_problem(status)}); valid at the "
                           f"timestamp {ts.timestamp.isoformat()}")
            status, validated_at = past, past.validation_time
    validity = cert["tbs_certificate"]["validity"] if cert is not None else None
    not_after: Any = validity["not_after"].native if validity is not None else None
    not_before: Any = validity["not_before"].native if validity is not None else None
    problem = _problem(status)
    if not status.intact:
        indication, sub = FAILED, "HASH_FAILURE"
    elif not status.valid:
        indication, sub = FAILED, "SIG_CRYPTO_FAILURE"
    elif modification == OTHER_CHANGE or not status.docmdp_ok:
        indication, sub = FAILED, "SUSPICIOUS_MODIFICATION"
        details.append("the document was changed after this signature"
                       + ("" if status.docmdp_ok else " beyond what its certification "
                          "allows"))
    elif revocation is not None and not status.trusted:
        when = revocation.revocation_date
        proven = ts.timestamp if ts_ok else None
        if (proven or claimed) is not None and when <= (proven or claimed):
            indication, sub = FAILED, "REVOKED"
        else:
            indication, sub = INDETERMINATE, "REVOKED_NO_POE"
        details.append(f"certificate revoked on {when.isoformat()}"
                       + (" (a CA certificate)" if revocation.ca_revoked else ""))
    elif not status.trusted and cert is not None and problem in (
            "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED",
            "NOT_YET_VALID"):
        moment = ts.timestamp if ts_ok else None
        if moment is not None and moment > not_after:
            indication, sub = FAILED, "EXPIRED"
        elif moment is not None and moment < not_before:
            indication, sub = FAILED, "NOT_YET_VALID"
        else:
            indication, sub = INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"
        details.append(f"certificate valid {not_before.isoformat()} to "
                       f"{not_after.isoformat()}")
    elif not status.trusted:
        indication, sub = INDETERMINATE, problem or "NO_CERTIFICATE_CHAIN_FOUND"
        if not facts["key_usage_ok"]:
            sub = "CHAIN_CONSTRAINTS_FAILURE"
            details.append("the certificate is not for signing (no non-repudiation usage)")
    elif ts is not None and not ts_ok:
        indication, sub = INDETERMINATE, "TIMESTAMP_NOT_TRUSTED"
    elif not status.bottom_line:
        indication, sub = INDETERMINATE, "GENERIC"
    else:
        indication, sub = PASSED, None
    has_revinfo = dss is not None and bool(dss.ocsps or dss.crls)
    level = "B-B"
    if ts is not None:
        level = "B-T"
        if has_revinfo:
            level = "B-LT"
            if last_doc_ts > sig.signed_revision:
                level = "B-LTA"
    if revocation is not None:
        revocation_fact = "revoked"
    elif cert is not None and _revinfo_covers(vc, cert):
        revocation_fact = "good"
    else:
        revocation_fact = "unknown"
    return SignatureVerdict(
        field=str(sig.field_name), page=_page_of(sig), indication=indication,
        sub_indication=sub, intact=bool(status.intact), valid=bool(status.valid),
        trusted=bool(status.trusted), signing_time=_iso(claimed),
        timestamp=_iso(ts.timestamp) if ts is not None else None,
        timestamp_trusted=bool(ts_ok) if ts is not None else None,
        revoked=revocation is not None, level=level,
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        modification=modification,
        covered_bytes=int(sig.byte_range[-2]) + int(sig.byte_range[-1]),
        revocation=revocation_fact,
        revocation_date=_iso(revocation.revocation_date) if revocation else None,
        validated_at=_iso(validated_at), details=tuple(details),
        certification=_docmdp(sig), **facts)


def _docmdp(sig: Any) -> str | None:
    """The DocMDP permission when `sig` is a certification signature (a /Reference with
    the DocMDP transform; field locks of approval signatures do not count)."""
    from pyhanko.sign.fields import MDPPerm

    try:
        for ref in sig.sig_object.get("/Reference", ()):
            ref = ref.get_object()
            if ref.get("/TransformMethod") == "/DocMDP":
                params = ref.get("/TransformParams")
                return MDPPerm(int(params.get("/P", 2) if params else 2)).name
    except Exception:
        return "UNREADABLE"
    return None


def _problem(status: Any) -> str | None:
    problem = status.trust_problem_indic
    return str(getattr(problem, "name", problem)) if problem is not None else None


def _doc_timestamp(ts: Any, ctx: _Context, dss: Any, reader: Any,
                   later_revisions: set[int]) -> SignatureVerdict:
    from pyhanko.sign.validation import validate_pdf_timestamp

    status = validate_pdf_timestamp(ts, validation_context=ctx.validation_context(dss))
    facts = _cert_facts(status.signing_cert)
    modification = _modification(ts, status, later_revisions,
                                 reader.xrefs.total_revisions)
    if not status.intact:
        indication, sub = FAILED, "HASH_FAILURE"
    elif not status.valid:
        indication, sub = FAILED, "SIG_CRYPTO_FAILURE"
    elif modification == OTHER_CHANGE:
        indication, sub = FAILED, "SUSPICIOUS_MODIFICATION"
    elif not status.trusted:
        indication, sub = INDETERMINATE, _problem(status) or "NO_CERTIFICATE_CHAIN_FOUND"
    else:
        indication, sub = PASSED, None
    return SignatureVerdict(
        field=str(ts.field_name), page=None, indication=indication, sub_indication=sub,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        signing_time=None, timestamp=_iso(status.timestamp), timestamp_trusted=None,
        revoked=False, level="B-LTA",
        coverage=status.coverage.name if status.coverage else "UNKNOWN",
        modification=modification,
        covered_bytes=int(ts.byte_range[-2]) + int(ts.byte_range[-1]),
        kind="document-timestamp", validated_at=_iso(status.validation_time),
        **{**facts, "key_usage_ok": True})


# ---------------------------------------------------------------------------------------
# Batches


def collect_pdfs(paths: Iterable[Path]) -> list[Path]:
    """Files as given and every *.pdf under the folders given, each once, in order.
    No file at all is bad input: "0 PDF files found (N other files skipped)"."""
    from pakta.i18n import _, ngettext

    files: list[Path] = []
    seen: set[Path] = set()
    skipped = 0
    paths = list(paths)
    for path in paths:
        if path.is_dir():
            everything = [p for p in path.rglob("*") if p.is_file()]
            found = sorted(p for p in everything if p.suffix.lower() == ".pdf")
            skipped += len(everything) - len(found)
        elif path.exists():
            found = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                files.append(item)
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise InputError(ngettext("{where}: 0 PDF files found ({count} other file skipped)",
                                  "{where}: 0 PDF files found ({count} other files skipped)",
                                  skipped).format(where=where, count=skipped),
                         hint=_("give a folder of signed PDFs, or the PDF files themselves"))
    return files


def make_settings(trust: Sequence[Path], ledger: Ledger | None,
                  heads: Sequence[RegionHead], witness_name: str | None,
                  template_dir: Path | None = None,
                  crls: Sequence[Path] = (), *, online: bool = False,
                  time_limit: float = TIME_LIMIT_S,
                  paths: Sequence[Path] | None = None) -> VerifySettings:
    """Load everything a batch needs once: trust roots, CRLs, issued documents, slots.

    Without a ledger each file is judged by its signatures alone (the roster has nothing
    to match). Issued documents missing from the files are reported only when a folder
    is among `paths` (a whole batch), not for files named one by one."""
    issued = tuple(ledger.documents()) if ledger else ()
    if ledger is None:
        heads = ()
    templates = {r.template for r in issued}
    slots = {t: template_slots(t, template_dir) for t in templates}
    certification = {t: c for t in templates if (c := certification_slot(t))}
    return VerifySettings(load_trust_roots(trust), issued, tuple(heads), witness_name, slots,
                          load_crls(crls), certification_slots=certification,
                          online=online, time_limit=time_limit,
                          signatures_only=ledger is None,
                          whole_batch=paths is None or any(p.is_dir() for p in paths))


def verify_paths(files: Sequence[Path], settings: VerifySettings, *, workers: int = 1,
                 progress: Callable[[DocumentVerdict], None] | None = None) -> BatchVerdict:
    """Verify every file (a process pool when `workers` > 1) and sum up the batch, with
    every document's verdict kept. A large batch is better streamed: `iter_verdicts`
    and a `Tally`."""
    tally = Tally(settings, keep=True)
    for verdict in iter_verdicts(files, settings, workers=workers):
        tally.add(verdict)
        if progress:
            progress(verdict)
    return tally.result()


IN_FLIGHT_PER_WORKER = 3  # chunks queued or running per worker, beyond the one being read


def iter_verdicts(files: Sequence[Path], settings: VerifySettings, *,
                  workers: int = 1, executor: Executor | None = None
                  ) -> Iterator[DocumentVerdict]:
    """Each file's verdict, in the order of `files`, as soon as it is known.

    The files go to `executor` (a local process pool of `workers` by default; see
    pakta.batch) in chunks; each worker builds its set-up once (`_worker_context`). Only
    a few chunks per worker are in flight at a time, so memory does not grow with the
    batch. A local worker that dies on a file (a crash in a native library, the
    kernel's OOM killer) does not stop the batch: the files that were in flight are
    checked again one by one, each in its own process (the one that kills its process
    becomes an ERROR row), and the rest go on in a new pool. On Dask, the scheduler
    runs a lost worker's files again."""
    with contextlib.ExitStack() as stack:
        if executor is None:
            workers = min(workers, max(1, len(files) // 4))
            executor = stack.enter_context(LocalExecutor(workers))
        size = chunk_size(len(files), executor.workers, most=16, spread=8)
        setup = _worker_state(settings)
        yield from executor.map(
            _verify_item, files, setup, size=len(files), chunk=size,
            in_flight=IN_FLIGHT_PER_WORKER + 1,
            on_crash=lambda path: _verify_isolated(path, settings))


_last_state: tuple[VerifySettings, WorkerState] | None = None


def _worker_state(settings: VerifySettings) -> WorkerState:
    """One worker state per settings: a batch verified in windows builds it once per
    worker (on Dask, the settings travel to each worker once)."""
    global _last_state
    if _last_state is None or _last_state[0] is not settings:
        _last_state = (settings, WorkerState(_worker_context, (settings,)))
    return _last_state[1]


def _worker_context(settings: VerifySettings) -> _Context:
    """A worker's set-up, built once (pakta.batch keeps it for the batch)."""
    global _context
    _context = _setup(settings)
    return _context


def _verify_item(ctx: _Context, path: Path) -> DocumentVerdict:
    global _context
    _context = ctx  # this batch's set-up, should the worker hold another's
    return verify_file(path)


def _pool(workers: int, settings: VerifySettings) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_worker, initargs=(settings,))


def _verify_isolated(path: Path, settings: VerifySettings) -> DocumentVerdict:
    from concurrent.futures.process import BrokenProcessPool

    with _pool(1, settings) as pool:
        try:
            return pool.submit(verify_file, path).result()
        except BrokenProcessPool:
            return _error(path, "", Finding.of("PROCESS_DIED"))


class Tally:
    """The batch's sums, one verdict at a time: what `BatchVerdict` needs besides the
    documents themselves, which are kept only with `keep=True`."""

    def __init__(self, settings: VerifySettings, *, keep: bool = False) -> None:
        self.settings = settings
        self.documents: list[DocumentVerdict] | None = [] if keep else None
        self.count = 0
        self.all_complete = True
        self.found: Counter[str] = Counter()
        self.codes_found: set[str] = set()
        self.by_template: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_province: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_status: Counter[str] = Counter()
        self.incomplete: set[str] = set()
        self.unexpected: list[str] = []
        self.errors: list[str] = []

    def add(self, v: DocumentVerdict) -> None:
        if self.documents is not None:
            self.documents.append(v)
        self.count += 1
        self.all_complete = self.all_complete and v.ok
        if v.doc_id:
            self.found[v.doc_id] += 1
        if v.region_code:
            self.codes_found.add(v.region_code)
        self.by_template[v.template or "-"][v.status] += 1
        self.by_province[v.province or "-"][v.status] += 1
        self.by_status[v.status] += 1
        if v.status == INCOMPLETE and v.doc_id:
            self.incomplete.add(v.doc_id)
        if v.status == UNKNOWN:
            self.unexpected.append(v.path)
        if v.status == ERROR:
            self.errors.append(v.path)

    def result(self) -> BatchVerdict:
        settings, found = self.settings, self.found
        kept = self.documents is not None
        whole = settings.whole_batch
        return BatchVerdict(
            documents=tuple(self.documents or ()),
            heads_without_document=tuple(sorted(r.doc_id for r in settings.issued
                                                if whole and r.doc_id not in found)),
            duplicates=tuple(sorted(d for d, n in found.items() if n > 1)),
            by_status=dict(self.by_status),
            by_template={k: dict(v) for k, v in sorted(self.by_template.items())},
            by_province={k: dict(v) for k, v in sorted(self.by_province.items())},
            incomplete=tuple(sorted(self.incomplete)),
            unexpected=tuple(self.unexpected), errors=tuple(self.errors),
            heads_missing=tuple((h.code, h.plain_name, h.province) for h in settings.heads
                                if whole and h.code not in self.codes_found),
            count=None if kept else self.count,
            all_complete=None if kept else self.all_complete,
            signatures_only=settings.signatures_only)


def summarise(verdicts: Sequence[DocumentVerdict], settings: VerifySettings) -> BatchVerdict:
    tally = Tally(settings, keep=True)
    for verdict in verdicts:
        tally.add(verdict)
    return tally.result()
