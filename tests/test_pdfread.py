"""The lean reader reads what pyHanko reads in pakta's files, writes values back as it
read them, and hands anything else to pyHanko."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pakta.pdfread import (
    NOT_READ,
    Name,
    PdfString,
    Real,
    Ref,
    open_pdf,
    parse_value,
    serialize,
)


def test_values_parse_as_pdf_syntax_says() -> None:
    data = (b"<</Type /Sig /T (a \\(b\\) c\\\\ \\101\\n) /H <41 42 4> /N#20x 3 "
            b"/A [1 0 R 2 -3 4.50 true false null [/x] <</k 5 0 R>>] %comment\n/Z +7>>")
    value, end = parse_value(data, 0)
    assert end == len(data)
    assert value == {
        "/Type": "/Sig", "/T": b"a (b) c\\ A\n", "/H": b"AB@", "/N x": 3,
        "/A": [Ref(1, 0), 2, -3, Real("4.50"), True, False, None, ["/x"], {"/k": Ref(5, 0)}],
        "/Z": 7}
    assert isinstance(value["/T"], PdfString) and isinstance(value["/Type"], Name)


names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), min_size=1,
                max_size=12).map(lambda s: Name("/" + s))
leaves = st.one_of(names, st.binary(max_size=20).map(PdfString), st.integers(-10**6, 10**6),
                   st.booleans(), st.none(),
                   st.builds(Ref, st.integers(1, 10**5), st.integers(0, 3)))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(names, inner, max_size=5)), max_leaves=20)


@given(values)
def test_written_values_read_back_the_same(value: object) -> None:
    data = serialize(value)
    parsed, end = parse_value(data, 0)
    assert parsed == value and end == len(data)


def _pyhanko_fields(data: bytes) -> list[tuple[str, int, bool]]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(data))
    return [(str(name), ref.idnum, value is not None)
            for name, value, ref in enumerate_sig_fields(reader)]


def test_fields_of_rendered_and_signed_files_match_pyhanko(signing_ws: Path) -> None:
    from tests.test_signing import PACT, sign

    assert sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--out", "signed").returncode == 0
    signed = signing_ws / "signed" / "75-gorontalo-pakta-integritas-signed.pdf"
    for path in [*sorted((signing_ws / "out").glob("*.pdf")), signed]:
        data = path.read_bytes()
        pdf = open_pdf(data)
        assert pdf is not None, path
        ours = [(f.name, f.ref.num, f.signed) for f in pdf.signature_fields()]
        assert ours == _pyhanko_fields(data), path
    assert [f.signed for f in open_pdf(signed.read_bytes()).signature_fields()  # type: ignore[union-attr]
            ] == [False, True]


def test_files_it_does_not_read_go_to_pyhanko() -> None:
    assert open_pdf(b"%PDF-1.7\nnot a pdf at all") is None  # no startxref
    hybrid = (b"%PDF-1.7\n1 0 obj\n<</Type /Catalog>>\nendobj\nxref\n0 2\n"
              b"0000000000 65535 f\r\n0000000009 00000 n\r\n"
              b"trailer\n<</Size 2 /Root 1 0 R /XRefStm 99>>\nstartxref\n43\n%%EOF\n")
    assert open_pdf(hybrid) is None
    looping = b"%PDF-1.7\nxref\n0 0\ntrailer\n<</Size 1 /Prev 9>>\nstartxref\n9\n%%EOF\n"
    assert open_pdf(looping) is None


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1,
                      max_size=3))
def test_flipped_bytes_are_read_as_pyhanko_reads_them_or_left_to_it(
        rendered_workspace: Path, flips: list[tuple[int, int]]) -> None:
    data = bytearray((rendered_workspace / "out" / "75-gorontalo-pakta-integritas.pdf")
                     .read_bytes())
    for at, bits in flips:
        data[at % len(data)] ^= bits
    pdf = open_pdf(bytes(data))
    if pdf is None:
        return  # left to pyHanko
    try:
        ours = [(f.name, f.ref.num, f.signed) for f in pdf.signature_fields()]
    except NOT_READ:
        return  # what pakta.signing catches: left to pyHanko
    try:
        theirs = _pyhanko_fields(bytes(data))
    except Exception:
        return  # pyHanko refuses what the lean reader did not need to read
    assert ours == theirs


def test_a_file_with_a_classic_cross_reference_table_is_read_and_signed(
        signing_ws: Path) -> None:
    """qpdf rewrites a rendered pact with an xref table and no object streams: the lean
    reader reads it as pyHanko does, and the signature written into it validates."""
    import datetime as dt
    import subprocess

    from pakta.pades import SignatureRequest, StampFont, prepare_document
    from pakta.signing import stamp_font
    from tests.fixtures_pki import validate
    from tests.test_signing import PACT, sign

    classic = signing_ws / "out" / "classic.pdf"
    subprocess.run(["qpdf", "--object-streams=disable", str(signing_ws / PACT), str(classic)],
                   check=True)
    data = classic.read_bytes()
    pdf = open_pdf(data)
    assert pdf is not None and not pdf.has_xref_stream
    assert [(f.name, f.ref.num, f.signed) for f in pdf.signature_fields()] == \
        _pyhanko_fields(data)
    # pakta's own update, not pyHanko's (which would raise nothing here either)
    prepared = prepare_document(data, pdf, SignatureRequest(
        slot="kepala_daerah", reason="r", location="l", stamp_lines=("a",), locks={},
        bytes_reserved=8192, signing_time=dt.datetime.now(dt.UTC)),
        StampFont.load(stamp_font()))
    assert b"\nxref\n" in prepared.data[len(data):]
    result = sign(signing_ws, "out/classic.pdf", "--slot", "kepala_daerah", "--p12",
                  "pki/signers/75.p12", "--any-pdf", "--out", "signed")
    assert result.returncode == 0, result.stderr
    signed = signing_ws / "signed" / "classic-signed.pdf"
    assert signed.read_bytes().startswith(data)
    assert b"\nxref\n" in signed.read_bytes()[len(data):]  # the update's own xref table
    status = validate(signed, signing_ws / "pki" / "root.pem")
    assert status["kepala_daerah"].bottom_line
