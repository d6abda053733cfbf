"""The published attacks on PDF signatures, built against a real signed pact.

From Mladenov et al. 2019 ("1 Trillion Dollar Refund": Universal Signature Forgery,
Incremental Saving Attack, Signature Wrapping) and Mainka et al. 2021 (shadow attacks:
hide, replace, hide-and-replace), as a hostile returner would try them on a pact the
secretariat issued. Each builder takes bytes and gives bytes; nothing depends on the
clock or on chance but the signatures themselves, so the same inputs give the same
attacks. Updates are written by pyHanko's incremental writer, or by hand (`append`)
where a writer would refuse to write what the attack needs (two /Root keys, a
destroyed signature dictionary).

`corpus(rendered, signed, sign)` builds every case of `EXPECTED`, which gives the
verdict and finding code `pakta verify` must give it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

Signer = Callable[[bytes, str], bytes]  # (data, slot) -> data with that slot signed

FORGED_TEXT = b"BT /F1 28 Tf 1 0 0 rg 90 420 Td (DIBATALKAN) Tj ET"


def _write(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _first_page(writer: IncrementalPdfFileWriter) -> tuple[Any, Any]:
    ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    return ref, ref.get_object()


def _add_content(writer: IncrementalPdfFileWriter, page: Any, data: bytes) -> None:
    """Append a content stream to the page (drawn over what is there)."""
    stream = writer.add_object(generic.StreamObject(stream_data=data))
    contents = page.raw_get("/Contents")
    items = list(contents.get_object()) if isinstance(contents.get_object(),
                                                       generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*items, stream])


# ---------------------------------------------------------------------------------------
# (a) changed after issue, before the head signs


def whiteout(data: bytes) -> bytes:
    """The page's text whited out: a white rectangle over the commitments."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    _, page = _first_page(writer)
    _add_content(writer, page, b"q 1 1 1 rg 60 300 480 400 re f Q")
    writer.update_container(page)
    return _write(writer)


def _white_box(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    """An appearance that paints a white 480 x 200 box: what hides the page's text."""
    return writer.add_object(generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/XObject"),
        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
        generic.NameObject("/BBox"): generic.ArrayObject(
            [generic.FloatObject(v) for v in (0, 0, 480, 200)]),
    }, stream_data=b"1 1 1 rg 0 0 480 200 re f"))


def overlay(data: bytes) -> bytes:
    """A hidden overlay: a white-filled square annotation with forged text over the page
    (Mainka et al.: hide)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page_ref, page = _first_page(writer)
    appearance = _white_box(writer)
    annot = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Square"),
        generic.NameObject("/Rect"): generic.ArrayObject(
            [generic.FloatObject(v) for v in (60, 400, 540, 600)]),
        generic.NameObject("/F"): generic.NumberObject(4),
        generic.NameObject("/P"): page_ref,
        generic.NameObject("/AP"): generic.DictionaryObject(
            {generic.NameObject("/N"): appearance}),
    }))
    annots = page.get("/Annots")
    page["/Annots"] = generic.ArrayObject([*(annots or []), annot])
    writer.update_container(page)
    return _write(writer)


def optional_content(data: bytes) -> bytes:
    """An optional-content layer in the catalog, hidden by default, with forged text on
    the page: a viewer's layer switch shows another document."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    _, page = _first_page(writer)
    group = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/OCG"),
        generic.NameObject("/Name"): generic.TextStringObject("Lapisan"),
    }))
    writer.root["/OCProperties"] = generic.DictionaryObject({
        generic.NameObject("/OCGs"): generic.ArrayObject([group]),
        generic.NameObject("/D"): generic.DictionaryObject({
            generic.NameObject("/OFF"): generic.ArrayObject([group])}),
    })
    writer.update_root()
    resources = page["/Resources"]
    resources[generic.NameObject("/Properties")] = generic.DictionaryObject(
        {generic.NameObject("/L1"): group})
    _add_content(writer, page, b"/OC /L1 BDC " + FORGED_TEXT + b" EMC")
    writer.update_container(page)
    return _write(writer)


def shadow_catalog(data: bytes) -> bytes:
    """A second catalog with its own page tree (the forged page), and the trailer
    pointing at it (Mainka et al.: replace)."""
    objects, catalog = _shadow_objects(data)
    return append(data, objects, b"/Root %d 0 R" % catalog)


def _shadow_objects(data: bytes) -> tuple[dict[int, bytes], int]:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    root = reader.root
    page = root["/Pages"]["/Kids"][0].get_object()
    size = int(reader.trailer["/Size"])
    catalog, pages, new_page, content = size, size + 1, size + 2, size + 3
    page_entries = b"".join(
        b"/" + key[1:].encode() + b" " + _raw(page.raw_get(key)) for key in page
        if key not in ("/Contents", "/Parent", "/Annots"))
    catalog_entries = b"".join(
        b"/" + key[1:].encode() + b" " + _raw(root.raw_get(key)) for key in root
        if key != "/Pages")
    objects = {
        catalog: b"<<" + catalog_entries + b"/Pages %d 0 R>>" % pages,
        pages: b"<</Type/Pages/Kids[%d 0 R]/Count 1>>" % new_page,
        new_page: b"<<" + page_entries + b"/Parent %d 0 R/Contents %d 0 R>>" % (
            pages, content),
        content: b"<</Length %d>>stream\n%s\nendstream" % (len(FORGED_TEXT), FORGED_TEXT),
    }
    return objects, catalog


# ---------------------------------------------------------------------------------------
# Updates written by hand


def _raw(value: Any) -> bytes:
    out = io.BytesIO()
    value.write_to_stream(out)
    return out.getvalue()


def append(data: bytes, objects: dict[int, bytes], trailer: bytes | None = None) -> bytes:
    """An incremental update with a classic cross-reference table: `objects` (number ->
    body) and the trailer's entries (default: the last trailer's /Root and /Info)."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    size = max(int(reader.trailer["/Size"]), max(objects) + 1)
    if trailer is None:
        trailer = b"/Root " + _raw(reader.trailer.raw_get("/Root"))
    if "/Info" in reader.trailer and b"/Info" not in trailer:
        trailer += b"/Info " + _raw(reader.trailer.raw_get("/Info"))
    body = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for number, text in sorted(objects.items()):
        offsets[number] = len(body)
        body += b"%d 0 obj\n%s\nendobj\n" % (number, text)
    xref = len(body)
    body += b"xref\n"
    for number in sorted(offsets):
        body += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    body += b"trailer\n<</Size %d%s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        size, trailer, reader.last_startxref, xref)
    return bytes(body)


# ---------------------------------------------------------------------------------------
# (b)-(e): after both signatures


def two_roots(signed: bytes) -> bytes:
    """A shadow catalog with the forged page, named by a second /Root in the trailer:
    pyHanko reads the first /Root, poppler and qpdf the last."""
    objects, catalog = _shadow_objects(signed)
    root = _raw(PdfFileReader(io.BytesIO(signed), strict=False).trailer.raw_get("/Root"))
    return append(signed, objects, b"/Root " + root + b"/Root %d 0 R" % catalog)


def info_title(signed: bytes) -> bytes:
    """/Info /Title changed after signing."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    info = reader.trailer["/Info"]
    entries = {key: info.raw_get(key) for key in info}
    entries["/Title"] = generic.TextStringObject(str(info["/Title"]) + " DIBATALKAN")
    text = b"<<" + b"".join(b"/" + k[1:].encode() + b" " + _raw(v)
                            for k, v in entries.items()) + b">>"
    number = reader.trailer.raw_get("/Info").idnum
    return append(signed, {number: text})


def added_field(signed: bytes, box: tuple[float, float, float, float]) -> bytes:
    """A new, unsigned signature field after signing whose appearance is a new stream
    painting over the page: a widget over the commitments (`box` with an area) or an
    invisible one (a zero box). The slots' field locks (FieldMDP) forbid both, new
    fields included; only a document timestamp field may come, with no new appearance
    stream (pakta.sign.engine.add_timestamp_field)."""
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    append_signature_field(writer, SigFieldSpec("catatan", box=box))
    appearance = _white_box(writer)
    _name, _value, ref = next(enumerate_sig_fields(writer, with_name="catatan"))
    widget = ref.get_object()
    widget["/AP"] = generic.DictionaryObject({generic.NameObject("/N"): appearance})
    writer.update_container(widget)
    return _write(writer)


def _sig_object_number(signed: bytes, slot: str) -> int:
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    for sig in reader.embedded_signatures:
        if sig.field_name == slot:
            return int(sig.sig_field.raw_get("/V").idnum)
    raise KeyError(slot)


SIG_DICT = (b"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached"
            b"%(byte_range)s%(contents)s>>")


def replace_signature(signed: bytes, slot: str, byte_range: bytes | None,
                      contents: bytes | None) -> bytes:
    """The slot's signature dictionary defined again, with the given /ByteRange and
    /Contents values (None: the key left out)."""
    text = SIG_DICT % {
        b"byte_range": b"" if byte_range is None else b"/ByteRange " + byte_range,
        b"contents": b"" if contents is None else b"/Contents " + contents}
    return append(signed, {_sig_object_number(signed, slot): text})


def bogus_signature(signed: bytes, slot: str) -> bytes:
    """The slot's signature dictionary replaced by bogus values."""
    return append(signed, {_sig_object_number(signed, slot):
                           b"<</Type/Bogus/Filter/Nothing/Contents (forged)/ByteRange 7>>"})


def zero_contents_in_place(signed: bytes, slot: str) -> bytes:
    """The slot's signature /Contents overwritten with zeros where it is (Universal
    Signature Forgery: the signature value is gone, the file's length is the same)."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    sig = next(s for s in reader.embedded_signatures if s.field_name == slot)
    start, end = int(sig.byte_range[1]), int(sig.byte_range[2])  # <hex...>
    return signed[:start + 1] + b"0" * (end - start - 2) + signed[end - 1:]


# ---------------------------------------------------------------------------------------
# The corpus

INVALID = "INVALID"
PRESIGN = ("whiteout", "overlay", "optional-content", "shadow-catalog", "title")
BROKEN = {  # /ByteRange, /Contents of the witness's signature defined again
    "contents-missing": (b"[0 100 200 300]", None),
    "contents-empty": (b"[0 100 200 300]", b"<>"),
    "contents-null": (b"[0 100 200 300]", b"null"),
    "contents-zeroed": (b"[0 100 200 300]", b"<" + b"00" * 64 + b">"),
    "byterange-missing": (None, b"<" + b"00" * 64 + b">"),
    "byterange-empty": (b"[]", b"<" + b"00" * 64 + b">"),
    "byterange-null": (b"null", b"<" + b"00" * 64 + b">"),
    "byterange-zeroed": (b"[0 0 0 0]", b"<" + b"00" * 64 + b">"),
}
# case -> (the document's status, a finding code it must carry)
EXPECTED: dict[str, tuple[str, str]] = {
    "control-signed": ("COMPLETE", ""),
    **{f"presign-{name}": (INVALID, "CHANGED_BEFORE_SIGNING") for name in PRESIGN},
    "two-roots": (INVALID, "AMBIGUOUS_TRAILER_KEY"),
    "title-after-signing": (INVALID, "TITLE_CHANGED"),
    "field-added-over-page": (INVALID, "SIGNATURE_NOT_PASSED"),
    "field-added-invisible": (INVALID, "SIGNATURE_NOT_PASSED"),
    "witness-bogus": (INVALID, "SIGNATURE_DESTROYED"),
    "head-contents-zeroed-in-place": (INVALID, "SIGNATURE_DESTROYED"),
    **{f"witness-{name}": (INVALID, "SIGNATURE_DESTROYED") for name in BROKEN},
}


def corpus(rendered: bytes, signed: bytes, sign: Signer) -> dict[str, bytes]:
    """Every case of `EXPECTED`, built. `rendered` is the issued pact, `signed` the same
    pact signed by the head and the witness with `pakta sign`, `sign(data, slot)` signs
    one slot (the attacker's file, signed by the real signers)."""
    attacks = {"whiteout": whiteout, "overlay": overlay,
               "optional-content": optional_content, "shadow-catalog": shadow_catalog,
               "title": info_title}
    cases = {"control-signed": signed}
    for name in PRESIGN:
        cases[f"presign-{name}"] = sign(sign(attacks[name](rendered), "kepala_daerah"),
                                        "saksi")
    cases["two-roots"] = two_roots(signed)
    cases["title-after-signing"] = info_title(signed)
    cases["field-added-over-page"] = added_field(signed, (60, 400, 540, 600))
    cases["field-added-invisible"] = added_field(signed, (0, 0, 0, 0))
    cases["witness-bogus"] = bogus_signature(signed, "saksi")
    cases["head-contents-zeroed-in-place"] = zero_contents_in_place(signed, "kepala_daerah")
    for name, (byte_range, contents) in BROKEN.items():
        cases[f"witness-{name}"] = replace_signature(signed, "saksi", byte_range, contents)
    assert set(cases) == set(EXPECTED)
    return cases
