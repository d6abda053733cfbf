"""PAdES signatures with pyHanko: signer backends, the visible stamp, levels, batches.

A batch loads the key once, reserves the signature's room up front (no dry-run CMS per
file), and, at B-T, runs the timestamp requests concurrently over one aiohttp session so
the TSA's latency is hidden. Every output is written atomically; a refused file leaves
nothing behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pakta.errors import PdfInputError, SigningError, SigningRefused
from pakta.ledger import Ledger, SignatureRecord, now_iso, sha256_hex
from pakta.profiles import LEVELS, load_profile
from pakta.render import atomic_write, temp_path_for
from pakta.templating import BULAN, HARI

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

# fontTools warns about tables it drops while subsetting the stamp font: not news.
logging.getLogger("fontTools").setLevel(logging.ERROR)
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
# Room for the CMS: certificates, signature, and at B-T the timestamp token.
BYTES_RESERVED = {"B-B": 8192, "B-T": 16384, "B-LT": 32768, "B-LTA": 32768}
CONCURRENT_REQUESTS = 16


@dataclass(frozen=True)
class SignSettings:
    slot: str
    level: str = "B-B"
    tsa_url: str | None = None
    place: str = "Jakarta"
    signer_title: str | None = None  # for the stamp when the ledger does not know it
    any_pdf: bool = False
    overwrite: bool = False


@dataclass(frozen=True)
class SignOutcome:
    source: Path
    output: Path | None
    error: str | None = None
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class SignSummary:
    outcomes: list[SignOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[SignOutcome]:
        return [o for o in self.outcomes if not o.ok]


# ---------------------------------------------------------------------------------------
# Signers


def _check_certificate(cert: Any, source: str) -> None:
    """Refuse certificates that cannot make a valid signature now."""
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_before > now:
        raise SigningRefused(f"{source}: the certificate is not valid before "
                             f"{cert.not_valid_before:%Y-%m-%d}")
    if cert.not_valid_after < now:
        raise SigningRefused(f"{source}: the certificate expired on "
                             f"{cert.not_valid_after:%Y-%m-%d}")
    usage = cert.key_usage_value
    names = set(usage.native) if usage is not None else set()
    if not names & {"digital_signature", "non_repudiation"}:
        raise SigningRefused(f"{source}: the certificate may not sign documents "
                             "(no digitalSignature or nonRepudiation key usage)")


def load_pkcs12_signer(path: Path, passphrase: bytes) -> SimpleSigner:
    from pyhanko.sign.signers import SimpleSigner

    if not path.is_file():
        raise SigningRefused(f"{path}: key file not found")
    # pyHanko logs a failed load with a traceback; the refusal below says it plainly.
    quiet = logging.getLogger("pyhanko.sign.signers.pdf_cms")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        signer = SimpleSigner.load_pkcs12(str(path), passphrase=passphrase)
    finally:
        quiet.setLevel(level)
    if signer is None or signer.signing_cert is None:  # pyHanko returns None on failure
        raise SigningRefused(f"{path}: cannot open the PKCS#12 file: wrong passphrase, "
                             "or not a PKCS#12 file")
    _check_certificate(signer.signing_cert, str(path))
    return signer


def load_pem_signer(key: Path, cert: Path, chain: Sequence[Path],
                    passphrase: bytes | None) -> SimpleSigner:
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_certificate
    from pyhanko.sign.signers import SimpleSigner

    for path in (key, cert, *chain):
        if not path.is_file():
            raise SigningRefused(f"{path}: file not found")
    try:
        private = serialization.load_pem_private_key(key.read_bytes(), passphrase or None)
    except (ValueError, TypeError) as exc:
        raise SigningRefused(f"{key}: cannot read the private key: wrong passphrase, or "
                             "not a PEM key") from exc
    public = load_pem_x509_certificate(cert.read_bytes()).public_key()
    if private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != public.public_bytes(serialization.Encoding.DER,
                             serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SigningRefused(f"{key}: the key does not match the certificate {cert}")
    signer = SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(c) for c in chain],
                               key_passphrase=passphrase or None)
    if signer is None or signer.signing_cert is None:
        raise SigningRefused(f"{key}: cannot load the key and certificate")
    _check_certificate(signer.signing_cert, str(cert))
    return signer


def signer_name(signer: SimpleSigner) -> str:
    assert signer.signing_cert is not None
    return str(signer.signing_cert.subject.native.get("common_name", "?"))


def cert_fingerprint(signer: SimpleSigner) -> str:
    assert signer.signing_cert is not None
    return sha256_hex(signer.signing_cert.dump())


# ---------------------------------------------------------------------------------------
# The stamp


def stamp_font() -> Path:
    """Liberation Sans rescaled to 1000 units per em, made once and cached.

    pyHanko 0.38 draws fonts of 2048 units per em stretched; the font is embedded, so
    the signed file stays PDF/A.
    """
    from pakta.templating import assets_dir

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pakta"
    target = cache / "LiberationSans-Regular-1000upem-latin.ttf"
    if not target.is_file():
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        font = TTFont(assets_dir() / "fonts" / "LiberationSans-Regular.ttf")
        scale_upem(font, 1000)
        # Latin only and no layout tables: pyHanko subsets the stamp font again for every
        # signature, and on the full font that was most of the signing time.
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


def waktu(moment: dt.datetime) -> str:
    """'Selasa, 17 September 2024 10:31 WIB'."""
    local = moment.astimezone(WIB)
    return (f"{HARI[local.weekday()]}, {local.day} {BULAN[local.month - 1]} {local.year} "
            f"{local:%H:%M} WIB")


def _stamp_style() -> Any:
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text=("Ditandatangani secara elektronik oleh\n%(nama)s\n%(jabatan)s\n"
                    "%(alasan)s\n%(tempat)s, %(waktu)s"),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(stamp_font()),
                                                                 font_size=7)),
        border_width=1,
        background=None,
    )


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


def output_path(source: Path, out_dir: Path | None, in_place: bool) -> Path:
    if in_place:
        return source
    name = f"{source.stem}-signed.pdf"
    return (out_dir / name) if out_dir else source.with_name(name)


def prepare(source: Path, output: Path, settings: SignSettings, ledger: Ledger | None,
            witness_title: str | None) -> Prepared:
    """Every check before signing; raises SigningRefused / PdfInputError, writes nothing."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        data = source.read_bytes()
    except OSError as exc:
        raise PdfInputError(f"{source}: cannot read ({exc.strerror})") from exc
    if not data.startswith(b"%PDF-"):
        raise PdfInputError(f"{source}: not a PDF file")
    try:
        reader = PdfFileReader(io.BytesIO(data))
        if reader.encrypted:
            raise PdfInputError(f"{source}: the PDF is encrypted; pakta signs only the "
                                "documents it rendered")
        fields = {name: value for name, value, _ in enumerate_sig_fields(reader)}
    except PdfInputError:
        raise
    except Exception as exc:
        raise PdfInputError(f"{source}: not a readable PDF ({type(exc).__name__})") from exc
    record = ledger.issued_document_for(data) if ledger else None
    if record is None and not settings.any_pdf:
        raise SigningRefused(f"{source}: not a document pakta rendered (its first revision "
                             "matches nothing in the ledger)",
                             hint="sign it anyway with --any-pdf")
    if settings.slot not in fields:
        known = ", ".join(sorted(fields)) or "none"
        raise SigningRefused(f"{source}: no signature slot '{settings.slot}' "
                             f"(slots: {known})")
    if fields[settings.slot] is not None:
        raise SigningRefused(f"{source}: slot '{settings.slot}' is already signed")
    profile = load_profile(record.template if record else "")
    unsigned = [s for s in profile.earlier_slots(settings.slot) if fields.get(s, 1) is None]
    if unsigned:
        raise SigningRefused(f"{source}: slot '{settings.slot}' is signed after "
                             f"{', '.join(unsigned)}, which is not signed yet")
    if output.exists() and output != source and not settings.overwrite:
        raise SigningRefused(f"{output}: exists; pass --overwrite to replace it")
    title = settings.signer_title
    if title is None and record is not None:
        title = record.head_title if settings.slot == "kepala_daerah" else witness_title
    return Prepared(source, output, data, record.doc_id if record else None, title,
                    profile.reason(settings.slot))


class BatchSigner:
    """Signs many documents with one key: set up once, then one call per document."""

    def __init__(self, signer: SimpleSigner, settings: SignSettings) -> None:
        if settings.level not in LEVELS:
            raise SigningRefused(f"unknown level '{settings.level}' ({', '.join(LEVELS)})")
        if settings.level != "B-B" and not settings.tsa_url:
            raise SigningRefused(f"level {settings.level} needs a timestamp service: --tsa URL")
        if settings.level in ("B-LT", "B-LTA"):
            raise SigningRefused(f"level {settings.level} is not supported yet; use B-T")
        self.signer = signer
        self.settings = settings
        self.name = signer_name(signer)
        self.fingerprint = cert_fingerprint(signer)
        self.style = _stamp_style()

    async def sign(self, item: Prepared, timestamper: Any) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name=self.settings.slot, reason=item.reason, location=self.settings.place,
            subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
        pdf_signer = signers.PdfSigner(meta, signer=self.signer, timestamper=timestamper,
                                       stamp_style=self.style)
        writer = IncrementalPdfFileWriter(io.BytesIO(item.data), strict=False)
        out = io.BytesIO()
        await pdf_signer.async_sign_pdf(
            writer, existing_fields_only=True,
            bytes_reserved=BYTES_RESERVED[self.settings.level], output=out,
            appearance_text_params={
                "nama": self.name, "jabatan": item.title or "", "alasan": item.reason,
                "tempat": self.settings.place, "waktu": waktu(dt.datetime.now(dt.UTC))})
        return out.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        raise SigningError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def sign_files(
    sources: Sequence[Path], signer: SimpleSigner, settings: SignSettings, *,
    ledger: Ledger | None, out_dir: Path | None = None, in_place: bool = False,
    witness_title: str | None = None,
    progress: Callable[[SignOutcome], None] | None = None,
) -> SignSummary:
    """Sign every file; a failure is reported and the others go on."""
    batch = BatchSigner(signer, settings)
    return asyncio.run(_sign_all(batch, sources, ledger, out_dir, in_place, witness_title,
                                 progress))


async def _sign_all(batch: BatchSigner, sources: Sequence[Path], ledger: Ledger | None,
                    out_dir: Path | None, in_place: bool, witness_title: str | None,
                    progress: Callable[[SignOutcome], None] | None) -> SignSummary:
    import aiohttp

    summary = SignSummary()
    limit = asyncio.Semaphore(CONCURRENT_REQUESTS)
    async with aiohttp.ClientSession() as session:
        timestamper = None
        if batch.settings.tsa_url:
            from pyhanko.sign.timestamps.aiohttp_client import AIOHttpTimeStamper

            timestamper = AIOHttpTimeStamper(batch.settings.tsa_url, session, timeout=30)

        async def one(source: Path) -> SignOutcome:
            output = output_path(source, out_dir, in_place)
            try:
                item = prepare(source, output, batch.settings, ledger, witness_title)
                async with limit:
                    signed = await batch.sign(item, timestamper)
                write_atomically(output, signed)
                if ledger is not None and item.doc_id is not None:
                    ledger.record_signature(SignatureRecord(
                        doc_id=item.doc_id, slot=batch.settings.slot, signer_name=batch.name,
                        cert_sha256=batch.fingerprint, signed_at=now_iso(),
                        sha256_after=sha256_hex(signed), path=str(output)))
                outcome = SignOutcome(source, output)
            except (SigningRefused, PdfInputError, SigningError) as exc:
                outcome = SignOutcome(source, None, exc.message, exc.exit_code)
            except Exception as exc:  # a timestamp service down, a pyHanko error
                outcome = SignOutcome(source, None, f"{source}: {type(exc).__name__}: {exc}",
                                      SigningError.exit_code)
            if progress:
                progress(outcome)
            return outcome

        summary.outcomes = list(await asyncio.gather(*(one(s) for s in sources)))
    return summary
