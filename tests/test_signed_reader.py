"""pakta.signed_reader: pyHanko's reader with the signatures' /Contents read in one pass
gives the same objects as pyHanko's reader alone, for real signed pacts and for
generated, hostile signature dictionaries (pyHanko is the reference)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pakta.signed_reader import open_reader
from tests.conftest import pdf_of
from tests.verify_cases import signed_batch  # noqa: F401  (fixture)


def _plain(data: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False)


def _shape(obj: Any) -> Any:
    """An object as comparable values: its type, and its contents all the way down."""
    from pyhanko.pdf_utils import generic

    if isinstance(obj, generic.DictionaryObject):
        return ("dict", sorted((str(k), _shape(obj.raw_get(k))) for k in obj))
    if isinstance(obj, generic.ArrayObject):
        return ("array", [_shape(obj.raw_get(i)) for i in range(len(obj))])
    if isinstance(obj, generic.IndirectObject):
        return ("ref", obj.idnum, obj.generation)
    if isinstance(obj, generic.TextStringObject):
        return ("text", str(obj), bytes(obj.original_bytes))
    if isinstance(obj, generic.ByteStringObject):
        return ("bytes", bytes(obj))
    return (type(obj).__name__, repr(obj))


def _read(reader: Any, ref: Any) -> Any:
    try:
        return _shape(reader.get_object(ref))
    except Exception as exc:  # noqa: BLE001 (the same failure is the same answer)
        return ("error", type(exc).__name__)


def _pdf(sig_dict: bytes) -> bytes:
    """A one-page PDF whose signature field's value (object 4) is `sig_dict` as given."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /FT /Sig /T (kepala_daerah) /V 4 0 R /Type /Annot /Subtype /Widget "
        b"/Rect [0 0 0 0] /P 5 0 R >>",
        sig_dict,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [3 0 R] >>",
    ]
    return pdf_of(objects)


def _same_as_pyhanko(data: bytes) -> bool:
    from pyhanko.pdf_utils.generic import Reference

    ref = Reference(4, 0)
    fast, plain = open_reader(data), _plain(data)
    return _read(fast, ref) == _read(plain, ref)


def _preloaded(data: bytes) -> bool:
    reader = open_reader(data)
    return reader.cache_get_indirect_object(0, 4) is not None


SIGNATURE = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
             b"/ByteRange [0 10 20 30] /Contents <3082AB00> /M (D:20261202120000Z) >>")

# Pieces of a signature dictionary, the hostile ones among them: a second /Contents
# hidden in a string, a comment or an escaped name, hex with whitespace, odd digits,
# stray characters, "endobj" inside a string, a stream.
PIECES = [
    b"/Type /Sig", b"/Type /DocTimeStamp", b"/Filter /Adobe.PPKLite",
    b"/ByteRange [0 10 20 30]", b"/M (D:20261202120000Z)", b"/Name (Budi)",
    b"/Contents <3082AB00>", b"/Contents <30 82\nab\t0\x00\x0c0>", b"/Contents <308>",
    b"/Contents <>", b"/Contents (literal)", b"/Contents <30g2>", b"/Contents <30%x\n82>",
    b"/Contents[<00>]", b"/Cont#65nts <FFFF>", b"/Reason (/Contents <41414141>)",
    b"/Reason (endobj)", b"% /Contents <4242>\n", b"/Reason <feff00410042>",
    b"/X /Contents", b"/Location (Jakarta \\(Pusat\\))", b"/Contents <4>",
]


@given(st.lists(st.sampled_from(PIECES), min_size=0, max_size=8),
       st.sampled_from([b"", b" ", b"\n% note\n", b" stream\nabc\nendstream", b" junk"]))
@example([b"/Type /Sig", b"/Contents <3082AB00>"], b"")
@example([b"/Cont#65nts <>", b"/Reason (/Contents <41414141>)"], b"")
@example([b"/Contents <30 82\nab\t0\x00\x0c0>", b"/Reason (endobj)"], b"")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_signature_dictionaries_read_as_pyhanko_reads_them(
        pieces: list[bytes], tail: bytes) -> None:
    data = _pdf(b"<< " + b" ".join(pieces) + b" >>" + tail)
    assert _same_as_pyhanko(data)


def test_a_plain_signature_dictionary_takes_the_one_pass_path() -> None:
    data = _pdf(SIGNATURE)
    assert _preloaded(data)
    assert _same_as_pyhanko(data)


def test_what_the_one_pass_path_cannot_vouch_for_is_left_to_pyhanko() -> None:
    hidden = SIGNATURE[:-2] + b"/Reason (/Contents <41414141>) >>"
    # pyHanko keeps the first of two equal keys: here the escaped one
    escaped = SIGNATURE.replace(b"/ByteRange", b"/Cont#65nts <4141> /ByteRange", 1)
    for data in (_pdf(hidden), _pdf(escaped), _pdf(SIGNATURE + b" stream\nx\nendstream"),
                 _pdf(SIGNATURE.replace(b"<3082AB00>", b"<30%c\n82>"))):
        assert not _preloaded(data)
        assert _same_as_pyhanko(data)


def test_real_signed_pacts_read_the_same_and_verify_alike(
        signed_batch: Path) -> None:  # noqa: F811
    """Every signature of a signed batch (B-T, head and witness): the same signature
    dictionaries, byte ranges, signed revisions and signer certificates either way."""
    files = sorted((signed_batch / "signed").glob("*.pdf"))
    assert files
    for path in files:
        data = path.read_bytes()
        fast, plain = open_reader(data), _plain(data)
        fast_sigs, plain_sigs = fast.embedded_signatures, plain.embedded_signatures
        assert len(fast_sigs) == len(plain_sigs) >= 1
        for a, b in zip(fast_sigs, plain_sigs, strict=True):
            ref = a.sig_object.container_ref
            assert fast.cache_get_indirect_object(ref.generation, ref.idnum) is a.sig_object
            assert _shape(a.sig_object) == _shape(b.sig_object)
            assert (a.field_name, a.signed_revision, a.signer_cert.dump()) == \
                (b.field_name, b.signed_revision, b.signer_cert.dump())
            assert a.compute_digest() == b.compute_digest()
