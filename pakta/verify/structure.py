"""What the signers signed, and what changed around it, on a returned PDF.

- `changed_before_signing`: the revision each signature covers is the issued document
  plus signatures. Revisions between the issued one and the first signature, or a first
  signed revision that changes more than its signature field, are changes the signer
  signed without the secretariat having issued them.
- `metadata_changes`: the title, author, subject, keywords and XMP description are the
  issued ones up to the end of the file (writers only touch /Producer, /ModDate and the
  XMP dates); a change after the last signature is named.
- `embedded_signatures`: the signatures pyHanko can read, and the fields whose signature
  dictionary is destroyed or forged.
- `unsigned_changes`: why a pakta document must not be signed as it is (for `pakta sign`).

The one-reading check (`ambiguities`) is in pakta.verify.ambiguity. Everything answers
with `Finding`s, never with an exception's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pakta.findings import Finding
from pakta.signed_reader import open_reader
from pakta.verify.ambiguity import _WS, MAX_INFLATE, ambiguities

# ---------------------------------------------------------------------------------------
# What the signers signed


@dataclass(frozen=True)
class Signed:
    """A signature (or document timestamp) as this module needs it."""

    field: str
    revision: int  # the revision its byte range covers, 0 = the issued document


def changed_before_signing(reader: Any, signed: Sequence[Signed]) -> list[Finding]:
    """What the first signer signed must be the issued revision (0) plus their signature.

    No revision may come between the issued one and the first signature, and the first
    signature's own revision may change, of what was issued, only its signature fields
    (their value, appearance and locks), the form's flags, the catalog's signature
    entries and the metadata (checked by `metadata_changes`). Pages, content streams,
    fonts, annotations, layers and a second catalog are what was issued, or the signer
    signed another document. Everything after the first signature is the earlier
    signatures' difference analysis (pyHanko's) and `metadata_changes`."""
    if not signed:
        return []
    first = min(signed, key=lambda s: s.revision)
    finding = [Finding.of("CHANGED_BEFORE_SIGNING", slot=first.field)]
    if first.revision != 1:
        return finding
    return finding if _changes_beyond_signing(reader, first.revision) else []


# A signature's revision may set these keys of what was already there.
CATALOG_KEYS = {"/AcroForm", "/Perms", "/DSS", "/Metadata", "/Extensions", "/Version"}
FORM_KEYS = {"/SigFlags", "/DR", "/DA", "/Fields"}
SIG_FIELD_KEYS = {"/V", "/AP", "/Lock", "/F", "/SV"}


def _changes_beyond_signing(reader: Any, revision: int) -> bool:
    from pyhanko.pdf_utils import generic

    xrefs = reader.xrefs
    if xrefs.refs_freed_in_revision(revision):
        return True
    old, new = reader.get_historical_resolver(0), reader.get_historical_resolver(revision)
    old_trailer = old.trailer_view
    root_ref = old_trailer.raw_get("/Root")
    if new.trailer_view.raw_get("/Root") != root_ref:
        return True
    catalog = old.get_object(root_ref.reference)
    allowed_whole = {root_ref.reference}
    for holder, key in ((old_trailer, "/Info"), (catalog, "/Metadata")):
        value = holder.raw_get(key) if key in holder else None
        if isinstance(value, generic.IndirectObject):
            allowed_whole.add(value.reference)
    form = catalog.raw_get("/AcroForm") if "/AcroForm" in catalog else None
    form_ref = form.reference if isinstance(form, generic.IndirectObject) else None
    for ref in xrefs.explicit_refs_in_revision(revision):
        if xrefs.get_historical_ref(ref, 0) is None:
            continue  # a new object: reachable only through what may change
        before, after = old.get_object(ref), new.get_object(ref)
        if ref == root_ref.reference:
            if not _same_except(before, after, CATALOG_KEYS):
                return True
            if form_ref is None and not _same_except(before.get("/AcroForm"),
                                                     after.get("/AcroForm"), FORM_KEYS):
                return True
        elif ref in allowed_whole:
            continue
        elif ref == form_ref:
            if not _same_except(before, after, FORM_KEYS):
                return True
        elif _is_signature_field(before):
            if not _same_except(before, after, SIG_FIELD_KEYS):
                return True
        elif isinstance(before, generic.DictionaryObject) and \
                before.get("/Type") == "/Page":
            if not _same_except(before, after, {"/Annots"}) or \
                    not _only_signature_widgets_added(before, after, new):
                return True
        else:
            return True
    return False


def _only_signature_widgets_added(before: Any, after: Any, new: Any) -> bool:
    """A page's /Annots kept as it was, plus widgets of new signature fields (an
    invisible signature, a certification)."""
    from pyhanko.pdf_utils import generic

    def refs(page: Any) -> list[Any]:
        annots = page.get("/Annots")
        if annots is None:
            return []
        return [annots.raw_get(i) for i in range(len(annots))]

    old_refs, new_refs = refs(before), refs(after)
    if new_refs[:len(old_refs)] != old_refs:
        return False
    for ref in new_refs[len(old_refs):]:
        if not isinstance(ref, generic.IndirectObject) or \
                not _is_signature_field(new.get_object(ref.reference)):
            return False
    return True


def _same_except(before: Any, after: Any, keys: set[str]) -> bool:
    from pyhanko.pdf_utils import generic

    if not isinstance(before, generic.DictionaryObject) or \
            not isinstance(after, generic.DictionaryObject) or \
            isinstance(before, generic.StreamObject) or isinstance(after, generic.StreamObject):
        return before == after is None
    names = (set(before) | set(after)) - keys
    return all(before.raw_get(k) == after.raw_get(k) if k in before and k in after
               else False for k in names)


def _is_signature_field(obj: Any) -> bool:
    from pyhanko.pdf_utils import generic

    if not isinstance(obj, generic.DictionaryObject):
        return False
    if obj.get("/FT") == "/Sig":
        return True
    parent = obj.get("/Parent")  # a widget of a signature field
    return obj.get("/Subtype") == "/Widget" and isinstance(parent, generic.DictionaryObject) \
        and parent.get("/FT") == "/Sig"


# ---------------------------------------------------------------------------------------
# Metadata

INFO_KEYS = {"/Title": "title", "/Author": "author", "/Subject": "subject",
             "/Keywords": "keywords", "/Creator": "creator"}
XMP_FIELDS = {"title": "title", "creator": "author", "description": "subject",
              "Keywords": "keywords", "CreatorTool": "creator"}


def metadata(reader: Any, revision: int) -> dict[str, str]:
    """The document's descriptive metadata as of `revision`: /Info's entries and the XMP
    fields that say the same (`xmp-` prefixed), by name."""
    from pyhanko.pdf_utils import generic

    resolver = reader.get_historical_resolver(revision)

    def resolve(value: Any) -> Any:  # as of `revision`, not as of the file's end
        if isinstance(value, generic.IndirectObject):
            return resolver.get_object(value.reference)
        return value

    out: dict[str, str] = {}
    try:
        trailer = resolver.trailer_view
        info = resolve(trailer.raw_get("/Info")) if "/Info" in trailer else None
        for key, name in INFO_KEYS.items():
            if info is not None and key in info:
                out[name] = str(resolve(info.raw_get(key)))
    except Exception:  # an unreadable /Info is a change of it
        out["info"] = "unreadable"
    try:
        root = resolve(resolver.trailer_view.raw_get("/Root"))
        stream = resolve(root.raw_get("/Metadata")) if "/Metadata" in root else None
        if stream is not None:
            out.update({f"xmp-{k}": v for k, v in _xmp(stream.data).items()})
    except Exception:
        out["xmp"] = "unreadable"
    return out


def _xmp(xml: bytes) -> dict[str, str]:
    from xml.etree import ElementTree

    if len(xml) > MAX_INFLATE or b"<!ENTITY" in xml:
        return {"xmp": "unreadable"}
    try:
        tree = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return {"xmp": "unreadable"}
    out: dict[str, str] = {}
    for element in tree.iter():
        local = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if local in XMP_FIELDS:
            text = " ".join(t.strip() for t in element.itertext() if t.strip())
            out[XMP_FIELDS[local]] = text
    return out


def _changed(issued: dict[str, str], later: dict[str, str]) -> set[str]:
    """The fields that differ. An XMP field a writer left out is not a change (pyHanko
    rewrites the XMP of a PDF/A file without pdf:Keywords and xmp:CreatorTool; viewers
    then show /Info's, which is checked); a value that differs, or /Info's entry gone,
    is."""
    return {k for k in set(issued) | set(later)
            if (k in later or not k.startswith("xmp-")) and issued.get(k) != later.get(k)}


METADATA_NAMES = ("title", "author", "subject", "keywords", "creator")


def metadata_changes(reader: Any, signed: Sequence[Signed]) -> list[Finding]:
    """Changes to the document's descriptive metadata after the issued revision: before
    a signature they are what that signer signed (CHANGED_BEFORE_SIGNING); after the
    last one they are named (METADATA_CHANGED)."""
    total = reader.xrefs.total_revisions
    if total <= 1:
        return []
    issued = metadata(reader, 0)
    final = metadata(reader, total - 1)
    if not _changed(issued, final):
        return []
    order = sorted(signed, key=lambda s: s.revision)
    for sig in order:
        if _changed(issued, metadata(reader, sig.revision)):
            return [Finding.of("CHANGED_BEFORE_SIGNING", slot=sig.field)]
    changed = sorted({k.removeprefix("xmp-") for k in _changed(issued, final)})
    names = [n for n in METADATA_NAMES if n in changed]
    return [Finding.of(f"{name.upper()}_CHANGED") for name in names] or \
        [Finding.of("METADATA_CHANGED")]


# ---------------------------------------------------------------------------------------
# Signatures, each read on its own


def embedded_signatures(reader: Any) -> tuple[list[Any], list[str]]:
    """The signatures pyHanko can read, in signing order, and the names of the filled
    signature fields whose signature cannot be read at all (no or broken /Contents or
    /ByteRange, a value that is no signature dictionary): destroyed or forged. pyHanko's
    own list skips the latter silently, which made a destroyed signature look missing."""
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    found: list[Any] = []
    destroyed: list[str] = []
    for name, value, field in enumerate_sig_fields(reader, filled_status=True):
        try:
            sig_object = value.get_object()
            kind = sig_object.get("/Type", "/Sig")
            if kind not in ("/Sig", "/DocTimeStamp"):
                raise ValueError("not a signature dictionary")
            byte_range = [int(x) for x in sig_object["/ByteRange"]]
            if len(byte_range) != 4 or byte_range[0] != 0 or min(byte_range) < 0 or \
                    byte_range[1] <= 0 or byte_range[3] <= 0:
                raise ValueError("not a byte range")
            emb = EmbeddedPdfSignature(reader, field, name)
            emb.signed_revision  # noqa: B018 (the revision its byte range covers)
            emb.signer_cert  # noqa: B018
        except (RecursionError, MemoryError):
            raise
        except Exception:
            destroyed.append(str(name))
            continue
        found.append(emb)
    found.sort(key=lambda emb: emb.signed_revision)
    return found, destroyed


# ---------------------------------------------------------------------------------------
# Before signing


def unsigned_changes(data: bytes, issued_length: int, doc_id: str) -> Finding | None:
    """Why a pakta document must not be signed as it is: an update after the issued
    revision that is not a signature (with its validation data), a destroyed signature,
    or an ambiguous structure. None for the issued file itself or a file that only adds
    signatures to it."""

    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
    from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification

    if len(data) <= issued_length or not data[issued_length:].strip(_WS):
        return None  # the issued revision alone: the common case, read nothing
    changed = Finding.of("CHANGED_SINCE_ISSUE")
    try:
        reader = open_reader(data)
        if ambiguities(data, reader):
            return Finding.of("AMBIGUOUS_STRUCTURE")
        embedded, destroyed = embedded_signatures(reader)
        if destroyed:
            return Finding.of("SIGNATURE_DESTROYED", slot=destroyed[0],
                              document=doc_id)
        signed = [Signed(str(s.field_name), s.signed_revision) for s in embedded]
        if not signed or changed_before_signing(reader, signed) or \
                metadata_changes(reader, signed):
            return changed
        last = max(s.revision for s in signed)
        if last < reader.xrefs.total_revisions - 1:
            result = DEFAULT_DIFF_POLICY.review_file(reader, last)
            if isinstance(result, SuspiciousModification) or \
                    result.modification_level > ModificationLevel.LTA_UPDATES:
                return changed
    except SuspiciousModification:
        return changed
    except (RecursionError, MemoryError):
        raise
    except Exception:
        return Finding.of("UNREADABLE")
    return None
