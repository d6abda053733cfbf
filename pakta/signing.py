"""PAdES signatures with pyHanko: signer backends, the visible stamp, levels, batches.

Backends: a PKCS#12 file, a PEM key with its certificate and chain, or a PKCS#11 token
(RSA or ECDSA). Levels: B-B, B-T (RFC 3161 timestamp), B-LT (plus the OCSP responses /
CRLs and certificates in the DSS), B-LTA (plus a document timestamp, renewed later with
`renew_timestamps`). The secretariat's certification signature (`certify_files`) allows
only form filling and signing afterwards; each approval signature locks every field but
the slots still to sign after it, and the profile's slot order is enforced.

A batch loads the key once, reserves the signature's room up front (no dry-run CMS per
file), and runs the timestamp requests concurrently over a few kept connections (and
pyHanko's OCSP and CRL requests over one aiohttp session with one validation context,
so revocation data is fetched once per batch).
Every output is written atomically; a refused file leaves nothing behind; a file that
fails is reported at the end and the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pakta.dates import BULAN, HARI
from pakta.errors import PdfInputError, SigningError, SigningRefused
from pakta.files import atomic_write, temp_path_for
from pakta.i18n import _
from pakta.ledger import Ledger, SignatureRecord, now_iso, sha256_hex
from pakta.pades import (
    CmsParts,
    NotFastPath,
    SignatureRequest,
    StampFont,
    cut_short,
    prepare_document,
    pyhanko_stamp_style,
    stamp_lines,
)
from pakta.pdfread import NOT_READ, LeanPdf, open_pdf
from pakta.profiles import LEVELS, Profile, load_profile
from pakta.timestamps import TimestampClient, TimestampError
from pakta.verify.structure import unsigned_changes

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

    from pakta.identity import IdentityCheck

# fontTools warns about tables it drops while subsetting the stamp font: not news.
logging.getLogger("fontTools").setLevel(logging.ERROR)
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
# Room for the CMS: certificates, signature, and at B-T the timestamp token.
BYTES_RESERVED = {"B-B": 8192, "B-T": 16384, "B-LT": 32768, "B-LTA": 32768}
# Per process: files between reading and writing, each with at most one request out
# to the services. The event loop reads a reply only between two files' CPU work, so
# the window must hold what a worker does while a reply waits its turn, not only the
# service's latency: with 64, B-T took 1.4x B-B against a 100 ms service.
FILES_IN_FLIGHT = 256


@dataclass(frozen=True)
class SignSettings:
    slot: str
    level: str | None = None  # None: the profile's level with a TSA, B-B without one
    tsa_url: str | None = None
    place: str = "Jakarta"
    signer_title: str | None = None  # for the stamp when the ledger does not know it
    any_pdf: bool = False
    overwrite: bool = False
    trust: tuple[Path, ...] = ()  # roots to validate against for B-LT / B-LTA
    certify: bool = False  # the secretariat's certification signature (slot: profile's)
    identity: IdentityCheck | None = None  # who may sign each slot (pakta.identity)


@dataclass(frozen=True)
class SignOutcome:
    source: Path
    output: Path | None
    error: str | None = None
    exit_code: int = 0
    skipped: bool = False  # the output was already this input signed: left as it was

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class SignSummary:
    outcomes: list[SignOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[SignOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def skipped(self) -> list[SignOutcome]:
        return [o for o in self.outcomes if o.skipped]


class AlreadySigned(Exception):
    """The output exists and is this very input signed in the slot with this key."""

    def __init__(self, output: Path, signed: bytes) -> None:
        super().__init__(f"{output}: already signed")
        self.output = output
        self.signed = signed


@dataclass(frozen=True)
class KeySource:
    """How a worker process loads the batch's key again (PKCS#12 or PEM files; a token's
    session cannot cross a process, so tokens sign in one process)."""

    p12: Path | None = None
    key: Path | None = None
    cert: Path | None = None
    chain: tuple[Path, ...] = ()
    passphrase: bytes = field(default=b"", repr=False)

    def load(self) -> Signer:
        if self.p12 is not None:
            return load_pkcs12_signer(self.p12, self.passphrase)
        assert self.key is not None and self.cert is not None
        return load_pem_signer(self.key, self.cert, self.chain, self.passphrase)


# ---------------------------------------------------------------------------------------
# Signers


def check_certificate(cert: Any, source: str) -> None:
    """Refuse certificates that cannot make a valid signature now."""
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_before > now:
        raise SigningRefused(_("{source}: the certificate is not valid before "
                               "{not_valid_before:%Y-%m-%d}").format(
                                 source=source, not_valid_before=cert.not_valid_before))
    if cert.not_valid_after < now:
        raise SigningRefused(_("{source}: the certificate expired on {date:%Y-%m-%d}")
                             .format(source=source, date=cert.not_valid_after))
    usage = cert.key_usage_value
    names = set(usage.native) if usage is not None else set()
    if not names & {"digital_signature", "non_repudiation"}:
        raise SigningRefused(_("{source}: the certificate may not sign documents (no "
                               "digitalSignature or nonRepudiation key usage)").format(
                                 source=source))


def load_pkcs12_signer(path: Path, passphrase: bytes) -> Signer:
    from pyhanko.sign.signers import SimpleSigner

    if not path.is_file():
        raise SigningRefused(_("{path}: key file not found").format(path=path))
    # pyHanko logs a failed load with a traceback; the refusal below says it plainly.
    quiet = logging.getLogger("pyhanko.sign.signers.pdf_cms")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        signer = SimpleSigner.load_pkcs12(str(path), passphrase=passphrase)
    finally:
        quiet.setLevel(level)
    if signer is None or signer.signing_cert is None:  # pyHanko returns None on failure
        raise SigningRefused(_("{path}: cannot open the PKCS#12 file: wrong passphrase, or not "
                               "a PKCS#12 file").format(path=path))
    check_certificate(signer.signing_cert, str(path))
    return signer


def load_pem_signer(key: Path, cert: Path, chain: Sequence[Path],
                    passphrase: bytes | None) -> Signer:
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_certificate
    from pyhanko.sign.signers import SimpleSigner

    for path in (key, cert, *chain):
        if not path.is_file():
            raise SigningRefused(_("{path}: file not found").format(path=path))
    try:
        private = serialization.load_pem_private_key(key.read_bytes(), passphrase or None)
    except (ValueError, TypeError) as exc:
        raise SigningRefused(_("{key}: cannot read the private key: wrong passphrase, or not a "
                               "PEM key").format(key=key)) from exc
    public = load_pem_x509_certificate(cert.read_bytes()).public_key()
    if private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != public.public_bytes(serialization.Encoding.DER,
                             serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SigningRefused(_("{key}: the key does not match the certificate {cert}").format(
                                 key=key, cert=cert))
    signer = SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(c) for c in chain],
                               key_passphrase=passphrase or None)
    if signer is None or signer.signing_cert is None:
        raise SigningRefused(_("{key}: cannot load the key and certificate").format(key=key))
    check_certificate(signer.signing_cert, str(cert))
    return signer


@contextmanager
def pkcs11_signer(module: Path, token_label: str, key_label: str, pin: bytes,
                  cert_label: str | None = None,
                  chain: Sequence[Path] = ()) -> Iterator[Signer]:
    """A signer on a PKCS#11 token (the key never leaves it); the session stays open for
    the whole batch and is closed after. The CA chain comes from the token's other
    certificates and the PEM files in `chain`. ECDSA keys sign with the raw mechanism
    (the token gets the digest), which SoftHSM and most tokens need."""
    from pkcs11 import KeyType, ObjectClass
    from pkcs11 import exceptions as p11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not module.is_file():
        raise SigningRefused(_("{module}: PKCS#11 module not found").format(module=module))
    ca_chain = load_certificates(chain)
    where = f"{module} token '{token_label}'"
    try:
        session = open_pkcs11_session(str(module), token_criteria=TokenCriteria(
            label=token_label), user_pin=pin.decode())
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
        raise SigningRefused(_("{where}: wrong PIN").format(where=where)) from exc
    except p11.PinLocked as exc:
        raise SigningRefused(_("{where}: the PIN is locked").format(where=where)) from exc
    except Exception as exc:  # no such token, a module that does not load
        raise SigningRefused(_("{where}: cannot open the token ({kind})").format(
                                 where=where, kind=type(exc).__name__)) from exc
    try:
        try:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
        except (p11.NoSuchKey, p11.MultipleObjectsReturned) as exc:
            raise SigningRefused(_("{where}: no single private key labelled '{key_label}'").format(
                                     where=where, key_label=key_label)) from exc
        signer = PKCS11Signer(session, key_label=key_label,
                              cert_label=cert_label or key_label, ca_chain=ca_chain,
                              other_certs_to_pull=None,  # every certificate on the token
                              use_raw_mechanism=key.key_type == KeyType.EC)
        try:
            cert = signer.signing_cert
        except Exception as exc:
            raise SigningRefused(_("{where}: no certificate labelled '{value}'").format(
                                     where=where, value=cert_label or key_label)) from exc
        check_certificate(cert, where)
        _check_token_key_matches(session, key, cert, where)
        yield signer
    finally:
        session.close()


def _check_token_key_matches(session: Any, key: Any, cert: Any, where: str) -> None:
    """The token's public key under the key's label must be the certificate's key."""
    from asn1crypto.core import OctetString
    from pkcs11 import Attribute, KeyType, ObjectClass

    try:
        public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key.label)
    except Exception:
        return  # tokens need not keep the public key; the signature check will tell
    if key.key_type == KeyType.RSA:
        ours = int.from_bytes(public[Attribute.MODULUS], "big")
        theirs = cert.public_key["public_key"].parsed["modulus"].native
    else:
        ours = OctetString.load(public[Attribute.EC_POINT]).native
        theirs = cert.public_key["public_key"].native
    if ours != theirs:
        raise SigningRefused(_("{where}: the key '{label}' does not match its certificate").format(
                                 where=where, label=key.label))


def signer_name(signer: Signer) -> str:
    assert signer.signing_cert is not None
    return str(signer.signing_cert.subject.native.get("common_name", "?"))


def cert_fingerprint(signer: Signer) -> str:
    assert signer.signing_cert is not None
    return sha256_hex(signer.signing_cert.dump())


# ---------------------------------------------------------------------------------------
# The stamp


def stamp_font() -> Path:
    """The stamp's font: Liberation Sans, Latin only, 1000 units per em (glyph widths
    are then PDF text-space units), made once and cached. Every signature embeds it
    whole (about 12 kB compressed), so the signed file stays PDF/A and the text extracts.
    """
    from importlib import resources

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pakta"
    target = cache / "LiberationSans-Regular-1000upem-latin.ttf"
    if not target.is_file():
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(str(resources.files("pakta") / "assets" / "fonts" /
                          "LiberationSans-Regular.ttf"))
        scale_upem(font, 1000)
        # Latin only (Indonesian names and titles) and no layout tables: small enough to
        # embed whole in every signature instead of subsetting it for each.
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[*range(0x20, 0x7F), *range(0xA0, 0x180)])
        subsetter.subset(font)
        cache.mkdir(parents=True, exist_ok=True)
        temp = temp_path_for(target)
        font.save(temp)
        os.replace(temp, target)
    return target


_stamp_fonts: dict[Path, StampFont] = {}


def _stamp_font_parts() -> StampFont:
    """The stamp font's PDF objects, made once per process."""
    path = stamp_font()
    if path not in _stamp_fonts:
        _stamp_fonts[path] = StampFont.load(path)
    return _stamp_fonts[path]


def waktu(moment: dt.datetime) -> str:
    """'Selasa, 17 September 2024 10:31 WIB'."""
    local = moment.astimezone(WIB)
    return (f"{HARI[local.weekday()]}, {local.day} {BULAN[local.month - 1]} {local.year} "
            f"{local:%H:%M} WIB")


# ---------------------------------------------------------------------------------------
# One document


@dataclass(frozen=True)
class Prepared:
    """A document checked and ready to sign."""

    source: Path
    output: Path
    data: bytes
    doc_id: str | None
    title: str | None
    reason: str
    profile: Profile = field(default_factory=lambda: load_profile(""))
    first_signature: bool = False  # nothing signed yet: this revision sets the field locks
    # the lean reader of `data`, None for a file that needs pyHanko's signer
    pdf: LeanPdf | None = field(default=None, compare=False, repr=False)
    on_behalf_of: str | None = None  # a delegate signs for this person


def output_path(source: Path, out_dir: Path | None, in_place: bool,
                suffix: str = "-signed") -> Path:
    if in_place:
        return source
    name = f"{source.stem}{suffix}.pdf"
    return (out_dir / name) if out_dir else source.with_name(name)


def read_bytes(source: Path) -> bytes:
    """The file's bytes; refuses what is not a PDF or is cut short."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise PdfInputError(_("{source}: cannot read ({strerror})").format(
                                source=source, strerror=exc.strerror)) from exc
    if not data.startswith(b"%PDF-"):
        raise PdfInputError(_("{source}: not a PDF file").format(source=source))
    damage = cut_short(data)  # a reader would take the last whole revision and go on
    if damage is not None:
        raise PdfInputError(f"{source}: {damage}")
    return data


def read_pdf(source: Path) -> tuple[bytes, Any]:
    """The file's bytes and a pyHanko reader; refuses what is not a plain, readable PDF."""
    data = read_bytes(source)
    return data, pyhanko_reader(source, data)


def pyhanko_reader(source: Path, data: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data))
        encrypted = reader.encrypted
        if not encrypted:
            reader.root  # noqa: B018 (parse the catalog now, not half-way through signing)
    except Exception as exc:
        raise PdfInputError(_("{source}: not a readable PDF ({kind})").format(
                                source=source, kind=type(exc).__name__)) from exc
    if encrypted:
        raise _encrypted(source)
    return reader


def _encrypted(source: Path) -> PdfInputError:
    return PdfInputError(_("{source}: the PDF is encrypted; pakta signs only the documents it "
                           "rendered").format(source=source))


def signature_fields(source: Path, data: bytes, lean: bool = True
                     ) -> tuple[dict[str, bool], LeanPdf | None]:
    """Each signature field's name and whether it is signed, and the lean reader when it
    reads the file (pakta's own documents); other files are read by pyHanko."""
    pdf = open_pdf(data) if lean else None
    if pdf is not None:
        if pdf.encrypted:
            raise _encrypted(source)
        try:
            return {f.name: f.signed for f in pdf.signature_fields()}, pdf
        except NOT_READ:
            pass  # an object of an unexpected kind: pyHanko reads the file
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = pyhanko_reader(source, data)
    try:
        return {name: value is not None
                for name, value, _ in enumerate_sig_fields(reader)}, None
    except Exception as exc:
        raise PdfInputError(_("{source}: unreadable form fields ({kind})").format(
                                source=source, kind=type(exc).__name__)) \
            from exc


def prepare(source: Path, output: Path, settings: SignSettings, ledger: Ledger | None,
            witness_title: str | None, fingerprint: str | None = None) -> Prepared:
    """Every check before signing; raises SigningRefused / PdfInputError, writes nothing.

    Raises AlreadySigned when the output is this input signed in the slot by the key of
    `fingerprint` (a rerun after an interruption), so the batch skips it."""
    data = read_bytes(source)
    # a certification is the secretariat's one signature per document: pyHanko's path
    fields, pdf = signature_fields(source, data, lean=not settings.certify)
    record = ledger.issued_document_for(data) if ledger else None
    if record is None and not settings.any_pdf:
        if ledger is None:
            raise SigningRefused(_("{source}: no ledger to tell whether pakta rendered this "
                                   "document").format(source=source),
                                 hint=_("run inside the workspace (or --workspace DIR), or "
                                        "sign it anyway with --any-pdf"))
        raise SigningRefused(_("{source}: not a document pakta rendered (its first revision "
                               "matches nothing in the ledger)").format(source=source),
                             hint=_("sign it anyway with --any-pdf"))
    if record is not None:  # the issued document plus signatures, nothing else
        refusal = unsigned_changes(data, record.size, record.doc_id)
        if refusal is not None:
            raise SigningRefused(f"{source}: {refusal}")
    profile = load_profile(record.template if record else "")
    if settings.certify:
        _check_certifiable(source, fields, profile)
        slot = profile.certification.slot
    else:
        slot = settings.slot
        _check_slot(source, fields, slot, profile)
    if output.exists() and output != source and not settings.overwrite:
        signed = _signed_version_of(output, data, slot, fingerprint)
        if signed is not None:
            raise AlreadySigned(output, signed)
        raise SigningRefused(_("{output}: exists; pass --overwrite to replace it").format(
                                 output=output))
    title = settings.signer_title
    if title is None and record is not None and not settings.certify:
        title = record.head_title if slot == "kepala_daerah" else witness_title
    behalf = None  # the person a delegate signs for (pakta.identity)
    if settings.identity is not None and not settings.certify:
        behalf = settings.identity.check(source, slot, record.region_code if record else
                                         None, record.head_name if record else None)
    title = f"a.n. {title}" if behalf and title else title  # "atas nama": for the person
    # every signature, document timestamps too, is the value of a signature field
    first = not any(fields.values())
    return Prepared(source, output, data, record.doc_id if record else None, title,
                    profile.reason(slot), profile, first, pdf, behalf)


def _signed_version_of(output: Path, data: bytes, slot: str,
                       fingerprint: str | None) -> bytes | None:
    """The output's bytes if it is `data` plus an intact signature in `slot` made with the
    certificate of `fingerprint`; checked by content, never by the file's mere presence."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    if fingerprint is None:
        return None
    try:
        signed = output.read_bytes()
        if len(signed) <= len(data) or not signed.startswith(data):
            return None
        for sig in PdfFileReader(io.BytesIO(signed)).embedded_signatures:
            if sig.field_name != slot or sha256_hex(sig.signer_cert.dump()) != fingerprint:
                continue
            intact, valid = validate_sig_integrity(sig.signer_info, sig.signer_cert, "data",
                                                   sig.compute_digest())
            return signed if intact and valid else None
    except Exception:  # unreadable: not ours to skip; the caller refuses to overwrite
        return None
    return None


def _check_slot(source: Path, fields: dict[str, bool], slot: str, profile: Profile) -> None:
    if slot not in fields:
        known = ", ".join(sorted(fields)) or "none"
        raise SigningRefused(_("{source}: no signature slot '{slot}' (slots: {known})").format(
                                 source=source, slot=slot, known=known))
    if fields[slot]:
        raise SigningRefused(_("{source}: slot '{slot}' is already signed").format(
                                 source=source, slot=slot))
    unsigned = [s for s in profile.earlier_slots(slot) if fields.get(s) is False]
    if unsigned:
        raise SigningRefused(_("{source}: slot '{slot}' is signed after {items}, which is not "
                               "signed yet").format(
                                 source=source, slot=slot, items=', '.join(unsigned)))


def _check_certifiable(source: Path, fields: dict[str, bool], profile: Profile) -> None:
    # A certification signature must be the document's first signature (every
    # signature, document timestamps too, is the value of a signature field).
    if any(fields.values()):
        raise SigningRefused(_("{source}: already signed; a certification signature must come "
                               "before every other signature").format(source=source))
    if profile.certification.slot in fields:
        raise SigningRefused(_("{source}: slot '{slot}' exists already").format(
                                 source=source, slot=profile.certification.slot))


def _lock_slots(writer: Any, profile: Profile) -> None:
    """Give every slot's field a /Lock: once a slot is signed, every field but the slots
    still to sign after it is locked (its signature carries the FieldMDP reference).

    Only in the first signed revision: a /Lock added to a field later is a change the
    earlier signatures would have to call suspicious."""
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, enumerate_sig_fields

    for name, _filled, ref in enumerate_sig_fields(writer, filled_status=False):
        if name not in profile.slot_order or "/Lock" in ref.get_object():
            continue
        keep_open = profile.later_slots(name)
        spec = (FieldMDPSpec(FieldMDPAction.EXCLUDE, list(keep_open)) if keep_open
                else FieldMDPSpec(FieldMDPAction.ALL))
        lock = spec.as_pdf_object()
        lock[NameObject("/Type")] = NameObject("/SigFieldLock")
        sig_field = ref.get_object()
        sig_field[NameObject("/Lock")] = writer.add_object(lock)
        writer.update_container(sig_field)


class Services:
    """What a batch shares, each made when first needed: pakta's timestamp client (B-T
    straight into the file), and for pyHanko's signer one aiohttp session with its
    timestamper and a validation context (revocation data fetched once per batch). A
    B-B or B-T batch of pakta's own documents opens no aiohttp session."""

    def __init__(self, tsa_url: str | None, roots: Sequence[Any] = (),
                 others: Sequence[Any] = ()) -> None:
        self.tsa_url = tsa_url
        self.roots = list(roots)
        self.others = list(others)
        self._tsa: TimestampClient | None = None
        self._session: Any = None
        self._timestamper: Any = None
        self._validation_context: Any = None

    @property
    def tsa(self) -> TimestampClient:
        assert self.tsa_url is not None
        if self._tsa is None:
            self._tsa = TimestampClient(self.tsa_url, connections=FILES_IN_FLIGHT)
        return self._tsa

    @property
    def session(self) -> Any:
        if self._session is None:
            import aiohttp

            # No file waits for a connection (aiohttp's default is 100).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=FILES_IN_FLIGHT))
        return self._session

    @property
    def timestamper(self) -> Any:
        if self._timestamper is None and self.tsa_url:
            from pyhanko.sign.timestamps.aiohttp_client import AIOHttpTimeStamper

            self._timestamper = AIOHttpTimeStamper(self.tsa_url, self.session, timeout=30)
        return self._timestamper

    @property
    def validation_context(self) -> Any:
        if self._validation_context is None and self.roots:
            self._validation_context = long_term_context(self.roots, self.session,
                                                         self.others)
        return self._validation_context

    async def close(self) -> None:
        if self._tsa is not None:
            await self._tsa.close()
        if self._session is not None:
            await self._session.close()


def trust_roots(signer: Signer, extra: Sequence[Path]) -> list[Any]:
    """Self-signed certificates of the signer's chain plus the roots given."""
    # asn1crypto answers "no", "maybe" or "yes" (a non-empty string either way)
    return [c for c in signer.cert_registry if c.self_signed != "no"] + \
        load_certificates(extra)


def load_certificates(paths: Sequence[Path]) -> list[Any]:
    """PEM or DER certificate files; a file that is none says which."""
    from pyhanko.keys import load_cert_from_pemder

    certificates = []
    for path in paths:
        try:
            certificates.append(load_cert_from_pemder(str(path)))
        except (OSError, ValueError) as exc:
            raise SigningRefused(_("{path}: not a certificate file").format(path=path)) from exc
    return certificates


class BatchSigner:
    """Signs many documents with one key: set up once, then one call per document."""

    def __init__(self, signer: Signer, settings: SignSettings) -> None:
        if settings.level is not None and settings.level not in LEVELS:
            raise SigningRefused(_("unknown level '{level}' ({items})").format(
                                     level=settings.level, items=', '.join(LEVELS)))
        if settings.level not in (None, "B-B") and not settings.tsa_url:
            raise SigningRefused(_("level {level} needs a timestamp service: --tsa URL").format(
                                     level=settings.level))
        self.signer = signer
        self.settings = settings
        self.name = signer_name(signer)
        self.fingerprint = cert_fingerprint(signer)
        self.font = _stamp_font_parts()
        self.style = pyhanko_stamp_style(self.font)
        self._cms: asyncio.Future[CmsParts] | None = None
        self.roots = (trust_roots(signer, settings.trust)
                      if settings.level in (None, "B-LT", "B-LTA") and settings.tsa_url
                      else [])

    def level_for(self, item: Prepared) -> str:
        """--level, else the profile's level when a TSA is given, else B-B."""
        if self.settings.level:
            return self.settings.level
        return item.profile.level if self.settings.tsa_url else "B-B"

    def services(self) -> Services:
        return Services(self.settings.tsa_url, self.roots, list(self.signer.cert_registry))

    async def sign(self, item: Prepared, services: Services) -> bytes:
        """B-B and B-T approval signatures go straight into the file (pakta.pades);
        certification, B-LT, B-LTA and unusual files through pyHanko's signer."""
        level = self.level_for(item)
        if not self.settings.certify and level in ("B-B", "B-T"):
            try:
                return await self._sign_direct(item, services, level)
            except NotFastPath:
                pass
        return await self._sign_with_pyhanko(item, services, level)

    async def _sign_direct(self, item: Prepared, services: Services, level: str) -> bytes:
        if item.pdf is None:
            raise NotFastPath("not a file the lean reader reads")
        cms = await self._cms_parts()
        now = dt.datetime.now(dt.UTC)
        locks: dict[str, tuple[str, ...] | None] = {}
        if item.first_signature and item.profile.lock_fields:
            locks = {name: item.profile.later_slots(name) or None
                     for name in item.profile.slot_order}
        request = SignatureRequest(
            slot=self.settings.slot, reason=item.reason, location=self.settings.place,
            stamp_lines=stamp_lines(self.name, item.title or "", item.reason,
                                    self.settings.place, waktu(now)), locks=locks,
            bytes_reserved=BYTES_RESERVED[level], signing_time=now)
        try:
            document = prepare_document(item.data, item.pdf, request, self.font)
        except (*NOT_READ, AttributeError) as exc:
            # an object of an unexpected kind: pyHanko's signer reads such files or
            # refuses them with its own reason
            raise NotFastPath(str(exc)) from exc
        timestamp = None
        if level == "B-T":
            tsa = services.tsa

            async def timestamp(digest: bytes) -> bytes:
                try:
                    return await tsa.token(digest)
                except TimestampError as exc:
                    raise SigningError(f"{item.source}: {exc}") from exc

        return document.fill(await cms.sign(self.signer, document.digest, timestamp))

    async def warm_up(self) -> None:
        """Build the CMS parts before the files start: otherwise every file's task would
        read its file and then wait for them, and a batch would read up to
        FILES_IN_FLIGHT files before writing its first. A failure stays in the future,
        for each file to report."""
        if not self.settings.certify:
            with contextlib.suppress(Exception):
                await self._cms_parts()

    async def _cms_parts(self) -> CmsParts:
        """Built once (a batch runs in one event loop): the first document's task builds,
        the others wait for it."""
        if self._cms is None:
            self._cms = asyncio.ensure_future(CmsParts.build(self.signer))
        return await self._cms

    async def _sign_with_pyhanko(self, item: Prepared, services: Services,
                                 level: str) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.general import SigningError as PyHankoSigningError

        certify = self.settings.certify
        slot = item.profile.certification.slot if certify else self.settings.slot
        meta = signers.PdfSignatureMetadata(
            field_name=slot, reason=item.reason, location=self.settings.place,
            subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            certify=certify, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
            embed_validation_info=level in ("B-LT", "B-LTA"),
            use_pades_lta=level == "B-LTA",
            validation_context=services.validation_context,
            signer_key_usage=set())  # checked ourselves: digitalSignature or nonRepudiation
        pdf_signer = signers.PdfSigner(
            meta, signer=self.signer, timestamper=services.timestamper,
            stamp_style=None if certify else self.style,
            new_field_spec=fields.SigFieldSpec(slot) if certify else None)
        writer = IncrementalPdfFileWriter(io.BytesIO(item.data), strict=False)
        if item.first_signature and item.profile.lock_fields:
            _lock_slots(writer, item.profile)
        out = io.BytesIO()
        try:
            await pdf_signer.async_sign_pdf(
                writer, existing_fields_only=not certify,
                bytes_reserved=BYTES_RESERVED[level], output=out,
                appearance_text_params={
                    "nama": self.name, "jabatan": item.title or "", "alasan": item.reason,
                    "tempat": self.settings.place, "waktu": waktu(dt.datetime.now(dt.UTC))})
        except PyHankoSigningError as exc:
            # e.g. B-LT: the signer's certificate is revoked, or no revocation data
            raise SigningRefused(f"{item.source}: {_reason(exc)}") from exc
        return out.getvalue()


def _reason(exc: BaseException) -> str:
    """pyHanko's message with the validator's reason behind it (revoked, no CRL...)."""
    messages = [str(exc)]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(messages) < 4:
        messages.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return ": ".join(m for m in messages if m)


def long_term_context(roots: Sequence[Any], session: Any, others: Sequence[Any] = ()) -> Any:
    """Validation for B-LT / B-LTA: fetch OCSP / CRLs over the batch's session, and
    require them (a signature that cannot be validated later is not B-LT). `others`
    (the signer's chain) lets the validator check who issued a CRL."""
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    return ValidationContext(trust_roots=list(roots), other_certs=list(others),
                             allow_fetching=True,
                             revocation_mode="require",
                             fetcher_backend=AIOHttpFetcherBackend(session,
                                                                   per_request_timeout=30))


def write_atomically(path: Path, data: bytes) -> None:
    """No flush per file: the batch flushes once at the end (`_flush_to_disk`)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, flush=False)
    except OSError as exc:
        raise SigningError(_("{path}: cannot write ({value})").format(
                               path=path, value=exc.strerror or exc)) from exc


# ---------------------------------------------------------------------------------------
# Batches


Job = Callable[[Path, Services], Awaitable[SignOutcome]]
NOT_STARTED = "not started"  # the error of a file a stopped batch did not reach


async def _run_batch(sources: Sequence[Path], services: Services, job: Job,
                     progress: Callable[[SignOutcome], None] | None,
                     stop: Any = None) -> SignSummary:
    """Every file concurrently (bounded), sharing the services; failures collected. Once
    `stop` (an Event) is set, files not yet started are left alone."""
    summary = SignSummary()
    limit = asyncio.Semaphore(FILES_IN_FLIGHT)

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


def _sign_some(sources: Sequence[Path], batch: BatchSigner, plan: BatchPlan,
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
        await batch.warm_up()
        return await _run_batch(sources, batch.services(), job, progress, stop)

    return asyncio.run(run())


def sign_files(
    sources: Sequence[Path], signer: Signer, settings: SignSettings, *,
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
    _remove_stale_temps({output_path(s, out_dir, in_place).parent for s in sources})
    record = ledger.record_signature if ledger is not None else (lambda r: None)
    try:
        if jobs > 1 and key_source is not None and len(sources) > 1:
            record_many = ledger.record_signatures if ledger is not None else (lambda r: None)
            return _sign_in_processes(sources, plan, key_source, jobs, record_many,
                                      progress)
        return _sign_some(sources, BatchSigner(signer, settings), plan, ledger, record,
                          progress)
    finally:
        _flush_to_disk()


def _flush_to_disk() -> None:
    """Outputs are renamed into place without a flush each; one flush for the batch
    makes them durable (a flush per file cost more than the signing)."""
    os.sync()


def _remove_stale_temps(folders: set[Path]) -> None:
    """Temporary files left by a run that was killed (its process is gone); those of a
    run still going on in the same folder are left alone."""
    for folder in folders:
        for temp in folder.glob(".*.part"):
            pid = temp.name.rsplit(".", 2)[-2]
            if pid.isdigit() and not _process_alive(int(pid)):
                with contextlib.suppress(OSError):
                    temp.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _worker_main(sources: list[Path], plan: BatchPlan, key_source: KeySource,
                 results: Any, stop: Any) -> None:
    """A worker process: sign a share of the batch, stream (outcome, row) back."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    ledger = Ledger(plan.ledger_path) if plan.ledger_path else None
    rows: dict[str, SignatureRecord] = {}  # by output path, until its outcome is sent
    try:
        batch = BatchSigner(key_source.load(), plan.settings)

        def keep(row: SignatureRecord) -> None:
            rows[row.path] = row

        def sent(outcome: SignOutcome) -> None:
            results.put((outcome, rows.pop(str(outcome.output), None)))

        _sign_some(sources, batch, plan, ledger, keep, sent, stop)
    except BaseException as exc:  # the key will not load here: every file fails alike
        for source in sources:
            results.put((_outcome_of(source, exc), None))
    finally:
        if ledger is not None:
            ledger.close()
        results.put(None)


def _outcome_of(source: Path, exc: BaseException) -> SignOutcome:
    if isinstance(exc, SigningRefused | PdfInputError | SigningError):
        return SignOutcome(source, None, exc.diagnostics(), exc.exit_code)
    return SignOutcome(source, None, f"{source}: {type(exc).__name__}: {exc}",
                       SigningError.exit_code)


def _sign_in_processes(sources: Sequence[Path], plan: BatchPlan, key_source: KeySource,
                       jobs: int, record: Callable[[list[SignatureRecord]], None],
                       progress: Callable[[SignOutcome], None] | None) -> SignSummary:
    import multiprocessing
    import queue
    import signal
    import threading

    # fork: the workers start with pyHanko imported and the stamp font loaded
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    stop = context.Event()
    shares = [list(sources[i::jobs]) for i in range(min(jobs, len(sources)))]
    workers = [context.Process(target=_worker_main, daemon=True,
                               args=(share, plan, key_source, results, stop))
               for share in shares]
    for worker in workers:
        worker.start()
    summary = SignSummary()
    running = len(workers)
    interrupted: list[bool] = []

    def on_ctrl_c(*_: Any) -> None:
        stop.set()  # workers finish the files they started, then stop
        interrupted.append(True)

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_ctrl_c) if in_main_thread else None
    rows: list[SignatureRecord] = []  # recorded 64 at a time, or when the workers pause

    def record_rows() -> None:
        if rows:
            record(rows)
            rows.clear()

    try:
        while running:
            try:
                message = results.get(timeout=0.05 if rows else 1)
            except queue.Empty:
                record_rows()
                if all(not w.is_alive() for w in workers) and results.empty():
                    break  # a worker died without saying so; its files are reported below
                continue
            if message is None:
                running -= 1
                continue
            outcome, row = message
            if row is not None:
                rows.append(row)
                if len(rows) >= 64:
                    record_rows()
            if outcome.error != NOT_STARTED:
                summary.outcomes.append(outcome)
                if progress:
                    progress(outcome)
    finally:
        record_rows()
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    for worker in workers:
        worker.join()
    if interrupted:
        raise KeyboardInterrupt
    seen = {o.source for o in summary.outcomes}
    for source in sources:
        if source not in seen:
            summary.outcomes.append(SignOutcome(source, None, f"{source}: the worker "
                                                "process signing it stopped",
                                                SigningError.exit_code))
    return summary


def renew_timestamps(
    sources: Sequence[Path], tsa_url: str, trust: Sequence[Path], *,
    out_dir: Path | None = None, in_place: bool = False, overwrite: bool = False,
    progress: Callable[[SignOutcome], None] | None = None,
) -> SignSummary:
    """Extend the archive timestamp chain of B-LTA files: validation data for the last
    document timestamp goes into the DSS, then a new document timestamp covers it all."""
    roots = load_certificates(trust)
    if not roots:
        raise SigningRefused(_("renewing a timestamp needs the trust root (--trust ROOT.pem)"))

    async def job(source: Path, services: Services) -> SignOutcome:
        from pyhanko.sign.signers import PdfTimeStamper

        output = output_path(source, out_dir, in_place, "-renewed")
        data, reader = read_pdf(source)
        if not reader.embedded_timestamp_signatures:
            raise SigningRefused(_("{source}: no archive timestamp to renew (sign at B-LTA "
                                   "first)").format(source=source))
        if output.exists() and output != source and not overwrite:
            raise SigningRefused(_("{output}: exists; pass --overwrite to replace it").format(
                                     output=output))
        out = io.BytesIO()
        await PdfTimeStamper(services.timestamper).async_update_archival_timestamp_chain(
            reader, services.validation_context, in_place=False, output=out)
        write_atomically(output, out.getvalue())
        return SignOutcome(source, output)

    try:
        async def run() -> SignSummary:
            return await _run_batch(sources, Services(tsa_url, roots), job, progress)

        return asyncio.run(run())
    finally:
        _flush_to_disk()
