"""Every check before a document is signed: readable, not cut short, issued by pakta (its
first revision is in the ledger) with nothing but signatures added since, the slot there
and free, the profile's slot order, the signer the slot's person (pakta.identity).
Raises SigningRefused / PdfInputError / IdentityMismatch and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pakta.errors import PdfInputError, SigningRefused
from pakta.files import cut_short
from pakta.i18n import _
from pakta.ledger import Ledger, sha256_hex
from pakta.profiles import Profile, load_profile
from pakta.sign.model import AlreadySigned, SignSettings
from pakta.signed_reader import open_reader
from pakta.verify.structure import unsigned_changes


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
    # pyHanko's reader of `data`, made by the checks; the signer writes on top of it
    reader: Any = field(default=None, compare=False, repr=False)
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

    try:
        reader = open_reader(data, strict=True)
        encrypted = reader.encrypted
        if not encrypted:
            reader.root  # noqa: B018 (parse the catalog now, not half-way through signing)
    except Exception as exc:
        raise PdfInputError(_("{source}: not a readable PDF ({kind})").format(
                                source=source, kind=type(exc).__name__)) from exc
    if encrypted:
        raise PdfInputError(_("{source}: the PDF is encrypted; pakta signs only the documents it "
                              "rendered").format(source=source))
    return reader


def signature_fields(source: Path, reader: Any) -> dict[str, bool]:
    """Each signature field's name and whether it is signed."""
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        return {name: value is not None for name, value, _ in enumerate_sig_fields(reader)}
    except Exception as exc:
        raise PdfInputError(_("{source}: unreadable form fields ({kind})").format(
                                source=source, kind=type(exc).__name__)) from exc


def prepare(source: Path, output: Path, settings: SignSettings, ledger: Ledger | None,
            witness_title: str | None, fingerprint: str | None = None) -> Prepared:
    """Every check before signing; raises SigningRefused / PdfInputError, writes nothing.

    Raises AlreadySigned when the output is this input signed in the slot by the key of
    `fingerprint` (a rerun after an interruption), so the batch skips it."""
    data, reader = read_pdf(source)
    fields = signature_fields(source, reader)
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
                    profile.reason(slot), profile, first, reader, behalf)


def _signed_version_of(output: Path, data: bytes, slot: str,
                       fingerprint: str | None) -> bytes | None:
    """The output's bytes if it is `data` plus an intact signature in `slot` made with the
    certificate of `fingerprint`; checked by content, never by the file's mere presence."""
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    if fingerprint is None:
        return None
    try:
        signed = output.read_bytes()
        if len(signed) <= len(data) or not signed.startswith(data):
            return None
        for sig in open_reader(signed, strict=True).embedded_signatures:
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
                                 source=source, slot=slot, items=", ".join(unsigned)))


def _check_certifiable(source: Path, fields: dict[str, bool], profile: Profile) -> None:
    # A certification signature must be the document's first signature (every
    # signature, document timestamps too, is the value of a signature field).
    if any(fields.values()):
        raise SigningRefused(_("{source}: already signed; a certification signature must come "
                               "before every other signature").format(source=source))
    if profile.certification.slot in fields:
        raise SigningRefused(_("{source}: slot '{slot}' exists already").format(
                                 source=source, slot=profile.certification.slot))
