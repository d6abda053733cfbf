"""One document signed through pyHanko's PdfSigner: approval signatures with the stamp,
certification, B-B to B-LTA; document timestamps (B-LTA, renewal) through PdfTimeStamper.

What pakta adds to pyHanko's defaults, all through pyHanko's own API:
- the output stays PDF 1.7 with the ESIC extension (PDF/A-3 is built on PDF 1.7):
  `Pdf17Signer` registers no PDF 2.0 extension (ISO 32002, for ECDSA on the NIST
  curves, which PAdES on PDF 1.7 already allows);
- every widget pakta adds has an appearance: the invisible certification and document
  timestamp fields are created with an empty appearance before pyHanko fills them (see
  `add_timestamp_field` for how a timestamp field's appearance stays within the locks);
- the field locks of the first signature (FieldMDP), and the same key usage rule as
  verification (`pakta.keyusage`).
"""

from __future__ import annotations

import io
from typing import Any

from pyhanko.sign.signers import PdfSigner

from pakta.errors import SigningError, SigningRefused
from pakta.i18n import _
from pakta.keyusage import SIGNING_KEY_USAGE
from pakta.profiles import LEVELS
from pakta.sign.backends import cert_fingerprint, signer_name, trust_roots
from pakta.sign.model import SignSettings
from pakta.sign.prepare import Prepared
from pakta.sign.services import Services
from pakta.sign.stamp import stamp_style, stamp_text_params
from pakta.sign.stampfit import StampOverflow
from pakta.sign.timestamper import TimestampError

# Room for the CMS (hex digits): certificates, signature, at B-T the timestamp token, at
# B-LT the revocation data.
BYTES_RESERVED = {"B-B": 8192, "B-T": 16384, "B-LT": 32768, "B-LTA": 32768}
TIMESTAMP_RESERVED = 16384
TIMESTAMP_FIELD = "stempel_waktu"


class Pdf17Signer(PdfSigner):
    """PdfSigner writing PDF 1.7 with the ESIC extension only (PAdES on PDF 1.7)."""

    def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
        from pyhanko.sign.fields import SigSeedSubFilter
        from pyhanko.sign.signers import constants

        if self.signature_meta.subfilter == SigSeedSubFilter.PADES:
            pdf_out.ensure_output_version(version=(1, 7))
            pdf_out.register_extension(constants.ESIC_EXTENSION_1)


def add_invisible_field(writer: Any, name: str, appearance: Any = None, **spec: Any) -> None:
    """A signature field without a visible box, with an appearance (PDF/A wants one on
    every widget; pyHanko gives invisible fields none): `appearance`, a reference to an
    existing form XObject, or else a new empty one."""
    from pyhanko.pdf_utils import generic
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields

    append_signature_field(writer, SigFieldSpec(name, **spec))
    if appearance is None:
        appearance = writer.add_object(generic.StreamObject({
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject([generic.NumberObject(0)] * 4),
        }, stream_data=b""))
    _name, _value, ref = next(enumerate_sig_fields(writer, with_name=name))
    widget = ref.get_object()
    widget[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): appearance})
    writer.update_container(widget)


def align_metadata(writer: Any) -> None:
    """Info and XMP saying the same after pyHanko's update (PDF/A): pyHanko writes
    XMP's pdf:Producer as itself and xmp:ModifyDate always, but appends itself to the
    Info /Producer and updates /ModDate only where there is one. So the Info dictionary
    gets pyHanko's producer and a /ModDate before pyHanko updates both."""
    import datetime as dt

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    trailer = writer.trailer
    info_ref = trailer.raw_get("/Info") if "/Metadata" in writer.root and "/Info" in \
        trailer else None
    if not isinstance(info_ref, generic.IndirectObject):
        return  # no XMP (pyHanko then writes Info alone), or an Info pyHanko rewrites
    info = info_ref.get_object()
    info[generic.NameObject("/Producer")] = generic.TextStringObject(VENDOR)
    info[generic.NameObject("/ModDate")] = generic.pdf_date(dt.datetime.now(dt.UTC))
    writer.update_container(info)


def next_timestamp_field(writer: Any) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    names = {name for name, _, _ in enumerate_sig_fields(writer)}
    n = 1
    while f"{TIMESTAMP_FIELD}_{n}" in names:
        n += 1
    return f"{TIMESTAMP_FIELD}_{n}"


def issued_empty_appearance(writer: Any, reader: Any) -> Any:
    """A reference, in `writer`, to an empty appearance stream that the issued document
    (the first revision of `reader`'s file) already holds: the normal appearance of its
    first signature field whose appearance is a form XObject with no content (pakta
    renders every slot with one). None if there is none (a PDF pakta did not render)."""
    from pyhanko.pdf_utils import generic

    try:
        issued = reader.get_historical_root(0)
        fields = issued["/AcroForm"]["/Fields"]
    except (KeyError, TypeError, AttributeError):
        return None
    for field_ref in fields:
        try:
            field = field_ref.get_object()
            if field.get("/FT") != "/Sig":
                continue
            issued_ref = field["/AP"].raw_get("/N")
            if not isinstance(issued_ref, generic.IndirectObject):
                continue
            ref = generic.IndirectObject(issued_ref.idnum, issued_ref.generation, writer)
            stream = ref.get_object()  # as the document holds it now
        except (KeyError, TypeError, AttributeError):
            continue
        if isinstance(stream, generic.StreamObject) and stream.get("/Subtype") == "/Form" \
                and not stream.data.strip():
            return ref
    return None


def add_timestamp_field(writer: Any, reader: Any) -> str:
    """A new invisible field for a document timestamp (pyHanko's `PdfTimeStamper` then
    fills it), with an appearance (PDF/A wants one on every widget); its name. `reader`
    reads the file `writer` extends.

    The appearance is the empty one the issued document already holds, shared, not a new
    stream: the field locks of the slots (`lock_slots`) lock every field but the slots
    still to sign, new fields included, and pyHanko's change analysis takes a new
    appearance stream on a locked field for "an update of a locked field", while a new
    invisible signature field whose appearance adds no object is a document timestamp
    update (LTA) that no lock forbids. Without such a stream (a PDF pakta did not render)
    the field has no appearance, as pyHanko makes it."""
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    name = next_timestamp_field(writer)
    # named for viewers as PdfTimeStamper names the fields it creates
    appearance = issued_empty_appearance(writer, reader)
    if appearance is not None:
        add_invisible_field(writer, name, appearance, readable_field_name="Timestamp")
    else:
        append_signature_field(writer, SigFieldSpec(name, readable_field_name="Timestamp"))
    return name


async def add_document_timestamp(data: bytes, services: Services) -> bytes:
    """A document timestamp over `data` in a new field (`add_timestamp_field`), the
    TSA's validation data in the DSS first (B-LTA)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    writer = IncrementalPdfFileWriter.from_reader(reader)
    name = add_timestamp_field(writer, reader)
    align_metadata(writer)
    out = io.BytesIO()
    await PdfTimeStamper(services.timestamper, field_name=name).async_timestamp_pdf(
        writer, "sha256", services.validation_context, bytes_reserved=TIMESTAMP_RESERVED,
        output=out)
    return out.getvalue()


def lock_slots(writer: Any, profile: Any) -> None:
    """Give every slot's field a /Lock: once a slot is signed, every field but the slots
    still to sign after it is locked (its signature carries the FieldMDP reference),
    fields added later included (/Exclude, /All): a new field with its own appearance
    after a signature is a change that signature does not allow. (/Include with the
    fields that exist would let a new visible field paint over the page.)

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


def failure_reason(exc: BaseException) -> str:
    """pyHanko's message with the reason behind it (revoked, no CRL, a TSA down...)."""
    messages = [str(exc)]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(messages) < 4:
        if isinstance(cause, TimestampError):
            return str(cause)
        messages.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return ": ".join(m for m in messages if m)


class BatchSigner:
    """Signs many documents with one key: set up once (key, stamp style, metadata per
    level), then one call per document."""

    def __init__(self, signer: Any, settings: SignSettings) -> None:
        if settings.level is not None and settings.level not in LEVELS:
            raise SigningRefused(_("unknown level '{level}' ({items})").format(
                                     level=settings.level, items=", ".join(LEVELS)))
        if settings.level not in (None, "B-B") and not settings.tsa_url:
            raise SigningRefused(_("level {level} needs a timestamp service: --tsa URL").format(
                                     level=settings.level))
        self.signer = signer
        self.settings = settings
        self.name = signer_name(signer)
        self.fingerprint = cert_fingerprint(signer)
        self.style = None if settings.certify else stamp_style()
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

    def _signer_for(self, slot: str, reason: str, level: str, services: Services) -> Any:
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name=slot, reason=reason, location=self.settings.place,
            subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            certify=self.settings.certify, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
            embed_validation_info=level in ("B-LT", "B-LTA"),
            validation_context=services.validation_context if level in ("B-LT", "B-LTA")
            else None, signer_key_usage=set(SIGNING_KEY_USAGE))
        return Pdf17Signer(meta, signer=self.signer,
                           timestamper=services.timestamper if level != "B-B" else None,
                           stamp_style=self.style)

    async def sign(self, item: Prepared, services: Services) -> bytes:
        """The signed document's bytes."""
        import datetime as dt

        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign.general import SigningError as PyHankoSigningError
        from pyhanko.sign.timestamps.common_utils import TimestampRequestError

        level = self.level_for(item)
        certify = self.settings.certify
        slot = item.profile.certification.slot if certify else self.settings.slot
        reader = item.reader
        writer = (IncrementalPdfFileWriter.from_reader(reader) if reader is not None
                  else IncrementalPdfFileWriter(io.BytesIO(item.data), strict=False))
        if certify:
            add_invisible_field(writer, slot)
        if item.first_signature and item.profile.lock_fields:
            lock_slots(writer, item.profile)
        align_metadata(writer)
        params = stamp_text_params(self.name, item.title or "", item.reason,
                                   self.settings.place, dt.datetime.now(dt.UTC))
        out = io.BytesIO()
        try:
            await self._signer_for(slot, item.reason, level, services).async_sign_pdf(
                writer, existing_fields_only=True, bytes_reserved=BYTES_RESERVED[level],
                output=out, appearance_text_params=params)
            signed = out.getvalue()
            if level == "B-LTA":
                signed = await add_document_timestamp(signed, services)
        except StampOverflow as exc:  # raised where pyHanko draws the stamp: name the file
            raise StampOverflow(f"{item.source}: {exc.message}", hint=exc.hint) from exc
        except TimestampRequestError as exc:
            raise SigningError(f"{item.source}: {failure_reason(exc)}") from exc
        except PyHankoSigningError as exc:
            if any(isinstance(c, TimestampError) for c in _causes(exc)):
                raise SigningError(f"{item.source}: {failure_reason(exc)}") from exc
            # e.g. B-LT: the signer's certificate is revoked, or no revocation data
            raise SigningRefused(f"{item.source}: {failure_reason(exc)}") from exc
        return signed


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(found) < 8:
        found.append(cause)
        cause = cause.__cause__ or cause.__context__
    return found
