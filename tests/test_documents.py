"""Documents an official would sign: one page with the longest real names and regions,
the capacity each status signs in, an acting head's NIP, and a stamp that stays in its
box. Real WeasyPrint and the real CLI; pdftotext and pdfinfo as witnesses."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pakta.render import wording
from tests.conftest import run_pakta

HEADER = "kode,jenis,nama_wilayah,provinsi,nama,status,nik,email,nip\n"
# Real titles at their real length: professor, doctor, engineer, haji; three degrees.
LONGEST_NAME = "Prof. Dr. Ir. H. Muhammad Nurdin Abdullah Syahrul Ramadhan, S.E., M.Si., M.H."
NIP = "197105121990031008"
ROSTER = HEADER + (
    f'71.09,kabupaten,Kepulauan Siau Tagulandang Biaro,Sulawesi Utara,"{LONGEST_NAME}",'
    f"Pj.,,,{NIP}\n"
    f'73.10,kabupaten,Pangkajene dan Kepulauan,Sulawesi Selatan,"{LONGEST_NAME}",Plt.,,,\n'
    # a definitive head is elected: no NIP printed even when the roster has one
    f"71,provinsi,Sulawesi Utara,Sulawesi Utara,Drs. Yohanes Lamba,definitif,,,{NIP}\n"
)
SIAU = "71.09-kepulauan-siau-tagulandang-biaro"
PANGKEP = "73.10-pangkajene-dan-kepulauan"


def text_of(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


def pages_of(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


@pytest.fixture(scope="module")
def long_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pakta.config import init_workspace

    folder = tmp_path_factory.mktemp("long") / "ws"
    init_workspace(folder)
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    result = run_pakta("render", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_longest_names_and_regions_fit_one_page(long_names: Path) -> None:
    for pdf in sorted((long_names / "out").glob("*.pdf")):
        assert pages_of(pdf) == 1, pdf.name
        assert "Muhammad Nurdin" in text_of(pdf) or "Drs. Yohanes Lamba" in text_of(pdf)


def test_acting_head_nip_under_the_name(long_names: Path) -> None:
    for template in ("deklarasi-netralitas", "pakta-integritas"):
        text = text_of(long_names / "out" / f"{SIAU}-{template}.pdf")
        assert f"NIP. {NIP}" in text
        # under the name: the last thing in the signature column, after the degrees
        assert text.index("M.Si., M.H. NIP. 197105121990031008") > text.index("Jakarta,")
        assert "NIP." not in text_of(long_names / "out" / f"71-sulawesi-utara-{template}.pdf")
        # a Plt. with no NIP in the roster: none printed
        assert "NIP." not in text_of(long_names / "out" / f"{PANGKEP}-{template}.pdf")


def test_declaration_wording_per_status(long_names: Path) -> None:
    out = long_names / "out"
    pj = text_of(out / f"{SIAU}-deklarasi-netralitas.pdf")
    assert ("sebagai Penjabat Bupati Kepulauan Siau Tagulandang Biaro, mendukung Netralitas "
            "Aparatur Sipil Negara (ASN)") in pj
    plt = text_of(out / f"{PANGKEP}-deklarasi-netralitas.pdf")
    assert "sebagai Pelaksana Tugas Bupati Pangkajene dan Kepulauan, mendukung" in plt
    assert "sebagai Kepala Daerah" not in plt
    assert "Plt. Bupati Pangkajene dan Kepulauan," in plt  # the title by the signature
    definitive = text_of(out / "71-sulawesi-utara-deklarasi-netralitas.pdf")
    assert "sebagai Kepala Daerah, mendukung Netralitas" in definitive


def test_pact_wording_per_status(long_names: Path) -> None:
    out = long_names / "out"
    assert ("selaku Penjabat Bupati Kepulauan Siau Tagulandang Biaro dan Pejabat Pembina "
            "Kepegawaian (PPK) di lingkungan Pemerintah Kabupaten Kepulauan Siau Tagulandang "
            "Biaro, dengan ini menyatakan:") in text_of(out / f"{SIAU}-pakta-integritas.pdf")
    assert ("selaku Pelaksana Tugas Bupati Pangkajene dan Kepulauan yang melaksanakan tugas "
            "Pejabat Pembina Kepegawaian (PPK) di lingkungan Pemerintah Kabupaten Pangkajene "
            "dan Kepulauan, dengan ini menyatakan:"
            ) in text_of(out / f"{PANGKEP}-pakta-integritas.pdf")
    assert ("selaku Pejabat Pembina Kepegawaian (PPK) di lingkungan Pemerintah Provinsi "
            "Sulawesi Utara, dengan ini menyatakan:"
            ) in text_of(out / "71-sulawesi-utara-pakta-integritas.pdf")


@pytest.mark.parametrize(("status", "declaration", "pact"), [
    ("definitif", "Kepala Daerah",
     "Pejabat Pembina Kepegawaian (PPK) di lingkungan Pemerintah Kabupaten Sleman"),
    ("Pj.", "Penjabat Bupati Sleman",
     "Penjabat Bupati Sleman dan Pejabat Pembina Kepegawaian (PPK) di lingkungan "
     "Pemerintah Kabupaten Sleman"),
    ("Pjs.", "Penjabat Sementara Bupati Sleman",
     "Penjabat Sementara Bupati Sleman dan Pejabat Pembina Kepegawaian (PPK) di lingkungan "
     "Pemerintah Kabupaten Sleman"),
    ("Plt.", "Pelaksana Tugas Bupati Sleman",
     "Pelaksana Tugas Bupati Sleman yang melaksanakan tugas Pejabat Pembina Kepegawaian "
     "(PPK) di lingkungan Pemerintah Kabupaten Sleman"),
    ("Plh.", "Pelaksana Harian Bupati Sleman",
     "Pelaksana Harian Bupati Sleman yang melaksanakan tugas Pejabat Pembina Kepegawaian "
     "(PPK) di lingkungan Pemerintah Kabupaten Sleman"),
])
def test_wording_of_every_status(status: str, declaration: str, pact: str) -> None:
    assert wording.declaration_capacity(status, "Bupati Sleman") == declaration
    assert wording.pact_capacity(status, "Bupati Sleman", "Pemerintah Kabupaten Sleman") == pact
    expected_nip = "" if status == "definitif" else "NIP. 197105121990031008"
    assert wording.nip_line(status, "19710512 199003 1 008") == expected_nip
    assert wording.nip_line(status, None) == ""


def test_wording_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="no wording for the status 'Wakil'"):
        wording.declaration_capacity("Wakil", "Bupati Sleman")


# ---------------------------------------------------------------------------------------
# What does not fit is a failure, named, with nothing written

TOO_LONG = " ".join([LONGEST_NAME.split(",")[0]] * 3) + ", S.E., M.Si., M.H."
OVERFLOW_ROSTER = HEADER + (
    f'76,provinsi,Sulawesi Barat,Sulawesi Barat,"{TOO_LONG}",Pj.,,,{NIP}\n'
    "75,provinsi,Gorontalo,Gorontalo,Budi Santoso,definitif,,,\n")
MESSAGES = {
    "en": "the signature block 'kepala_daerah' is pushed to page 2; the document must fit "
          "on 1 page(s) (even with the name and region set tighter)",
    "id": "blok tanda tangan 'kepala_daerah' terdorong ke halaman 2; dokumen harus muat "
          "dalam 1 halaman (meskipun nama dan wilayah sudah dirapatkan)",
}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_overflow_is_a_named_render_failure(make_workspace: Callable[..., Path],
                                            lang: str) -> None:
    folder = make_workspace(OVERFLOW_ROSTER)
    result = run_pakta("render", "-t", "deklarasi-netralitas", cwd=folder,
                       env={**os.environ, "PAKTA_LANG": lang})
    assert result.returncode == 4, result.stderr
    target = folder / "out" / "76-sulawesi-barat-deklarasi-netralitas.pdf"
    assert f"{target.relative_to(folder)}: Pj. Gubernur Sulawesi Barat, {TOO_LONG}: " \
           f"{MESSAGES[lang]}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()
    assert (folder / "out" / "75-gorontalo-deklarasi-netralitas.pdf").is_file()
    assert not [p.name for p in (folder / "out").iterdir() if p.name.startswith(".")]


def test_text_on_page_two_is_named(make_workspace: Callable[..., Path]) -> None:
    """A workspace template that limits itself to one page: what runs over is quoted."""
    folder = make_workspace(OVERFLOW_ROSTER)
    (folder / "templates" / "surat.html.j2").write_text(
        '<!doctype html>\n<html lang="id-ID" data-pakta-pages="1">\n<body>\n'
        "<p>{{ head.full_name }}</p>\n"
        '<div style="height: 24cm"></div>\n<p>Lampiran: daftar hadir rapat koordinasi '
        "kepala daerah se-Indonesia</p>\n</body>\n</html>\n", encoding="utf-8")
    result = run_pakta("render", "-t", "surat", "--only", "75", cwd=folder,
                       env={**os.environ, "PAKTA_LANG": "id"})
    assert result.returncode == 4, result.stderr
    assert ("out/75-gorontalo-surat.pdf: Gubernur Gorontalo, Budi Santoso: teks berlanjut ke "
            "halaman 2 mulai dari \"Lampiran: daftar hadir rapat koordinasi kepala daerah "
            "se-In…\"; dokumen harus muat dalam 1 halaman (meskipun nama dan wilayah sudah "
            "dirapatkan)") in result.stderr
    assert not (folder / "out" / "75-gorontalo-surat.pdf").exists()


def test_split_signature_box_is_named(make_workspace: Callable[..., Path]) -> None:
    """A workspace template without a page limit: only a box cut in two is refused."""
    folder = make_workspace(OVERFLOW_ROSTER)
    (folder / "templates" / "surat.html.j2").write_text(
        '<!doctype html>\n<html lang="id-ID">\n<body>\n<p>{{ head.full_name }}</p>\n'
        '<div style="height: 20cm"></div>\n'
        '<div id="slot-kepala_daerah">{% for i in range(12) %}<p>ttd</p>{% endfor %}'
        "</div>\n</body>\n</html>\n", encoding="utf-8")
    result = run_pakta("render", "-t", "surat", "--only", "75", cwd=folder)
    assert result.returncode == 4, result.stderr
    assert ("out/75-gorontalo-surat.pdf: Gubernur Gorontalo, Budi Santoso: the signature box "
            "'kepala_daerah' is split across pages 1 and 2 (even with the name and region "
            "set tighter)") in result.stderr
    assert not (folder / "out" / "75-gorontalo-surat.pdf").exists()


# ---------------------------------------------------------------------------------------
# The stamp


# A delegate with the longest name a certificate holds (a common name has at most 64
# characters), signing "a.n." the longest title, in the longest place: the lines are too
# long for the stamp at 7 pt.
DELEGATE = "Prof. Dr. Ir. H. Andi Muhammad Syahrul Yasin Limpo, S.E., M.Si."
PLACE = "Ondong, Kabupaten Kepulauan Siau Tagulandang Biaro"


def delegate_key(folder: Path) -> tuple[Path, Path]:
    """A real EC key (PEM, encrypted with the test passphrase) and a self-signed
    certificate for the delegate, with the key usage a signature needs."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tests.fixtures_pki import PASSPHRASE

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DELEGATE)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = folder / "delegate.key.pem", folder / "delegate.pem"
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def widget_rect(pdf: Path, slot: str) -> tuple[float, float, float, float]:
    """The signature widget's rectangle as pdftotext -bbox measures: x0, y0 (top), x1,
    y1 from the page's top left corner."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    with pdf.open("rb") as f:
        reader = PdfFileReader(f)
        page_height = float(reader.root["/Pages"]["/Kids"][0]["/MediaBox"][3])
        field = next(ref.get_object() for name, _filled, ref in enumerate_sig_fields(reader)
                     if name == slot)
        widget = field["/Kids"][0] if "/Kids" in field else field
        x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
    return min(x0, x1), page_height - max(y0, y1), max(x0, x1), page_height - min(y0, y1)


def test_stamp_text_stays_inside_its_box_on_the_longest_name_and_title(
        make_workspace: Callable[..., Path], tmp_path: Path) -> None:
    """A real signature by a delegate with the longest name, for the longest title, in
    the longest place; pdftotext -bbox witnesses where each word is drawn: every one
    inside the widget less a margin, none over the frame or the printed name under the
    box, and every word of every line drawn (wrapped, not lost or shrunk away)."""
    from tests.fixtures_pki import pakta_env

    folder = make_workspace(ROSTER)
    rendered = run_pakta("render", "-t", "pakta-integritas", "--only", "71.09", cwd=folder)
    assert rendered.returncode == 0, rendered.stderr
    config = folder / "pakta.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'place = "Jakarta"', f'place = "{PLACE}"'), encoding="utf-8")
    key, cert = delegate_key(tmp_path)
    result = run_pakta("sign", f"out/{SIAU}-pakta-integritas.pdf", "--slot", "kepala_daerah",
                       "--key", str(key), "--cert", str(cert), "--delegated-signer",
                       "--out", "signed", cwd=folder, env=pakta_env())
    assert result.returncode == 0, result.stderr
    signed = folder / "signed" / f"{SIAU}-pakta-integritas-signed.pdf"

    x0, top, x1, bottom = widget_rect(signed, "kepala_daerah")
    assert (x1 - x0, bottom - top) == pytest.approx((7 / 2.54 * 72, 2.5 / 2.54 * 72), abs=1)
    bbox = subprocess.run(["pdftotext", "-bbox", str(signed), "-"], capture_output=True,
                          text=True, check=True).stdout
    words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        bbox)]
    inside = [w for w in words if x0 <= w[0] and w[2] <= x1 and top <= w[1] and w[3] <= bottom]
    drawn = [w[4] for w in inside]
    # every word inside the widget keeps 3 pt from its edges (the text's 4 pt padding,
    # less what pdftotext's glyph boxes take beyond the glyphs)
    for left, upper, right, lower, word in inside:
        assert left >= x0 + 3 and right <= x1 - 3, (word, left, right, x0, x1)
        assert upper >= top + 3 and lower <= bottom - 3, (word, upper, lower, top, bottom)
    # nothing of the stamp outside: no stamp word overlaps the box's edges
    for left, upper, right, lower, word in words:
        overlaps = left < x1 and right > x0 and upper < bottom and lower > top
        assert not overlaps or (left, upper, right, lower, word) in inside, word
    # every word of every line, in order (the date and time follow the place)
    stamp = ["Ditandatangani secara elektronik oleh", DELEGATE,
             "a.n. Pj. Bupati Kepulauan Siau Tagulandang Biaro", "Menyetujui Pakta Integritas",
             f"{PLACE},"]
    assert " ".join(drawn).startswith(" ".join(stamp)), drawn
    # wrapped, not shrunk: set at 7 pt (pdftotext's glyph box: 7 pt x 1.117 em)
    assert min(w[3] - w[1] for w in inside) >= 7


def test_stamp_that_cannot_fit_is_refused() -> None:
    from pakta.sign.stampfit import StampOverflow, fit_stamp

    def measure(text: str, size: float) -> float:
        return len(text) * size * 0.5

    with pytest.raises(StampOverflow) as caught:
        fit_stamp(["Ditandatangani", "x" * 120], 100, 30, measure, 0.9, -0.2)
    assert caught.value.message == (
        "the signature stamp's text does not fit its box (100 x 30 pt) at 4 pt: "
        f"\"{'x' * 120}\"")
