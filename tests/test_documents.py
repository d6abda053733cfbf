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
        '<div style="height: 25cm"></div>\n<p>Lampiran: daftar hadir rapat koordinasi '
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


def test_stamp_text_fits_its_box_on_the_longest_title_and_name() -> None:
    """The content stream as drawn, measured with the font's own metrics (fontTools):
    every line inside the box less the padding, none over the frame or the name line
    below the box."""
    from fontTools.ttLib import TTFont
    from pakta.pades import StampFont, stamp_appearance, stamp_lines

    from pakta.signing import stamp_font

    path = stamp_font()
    font = StampFont.load(path)
    lines = stamp_lines(LONGEST_NAME, "Pj. Bupati Kepulauan Siau Tagulandang Biaro",
                        "Deklarasi Kepala Daerah tentang Netralitas ASN",
                        "Ondong, Kabupaten Kepulauan Siau Tagulandang Biaro",
                        "Selasa, 17 September 2024 14.05 WITA")
    width, height = 7 / 2.54 * 72, 2.5 / 2.54 * 72  # the slot's box (_base.css)
    stream = stamp_appearance(font, lines, width, height).decode()

    metrics = TTFont(path)
    order, hmtx, upem = metrics.getGlyphOrder(), metrics["hmtx"], metrics["head"].unitsPerEm
    ascent, descent = metrics["hhea"].ascent / upem, metrics["hhea"].descent / upem
    size, leading, x, top = map(float, re.search(
        r"/F1 ([\d.]+) Tf ([\d.]+) TL ([\d.]+) ([\d.]+) Td", stream).groups())  # type: ignore[union-attr]
    drawn = re.findall(r"<([0-9a-f]+)> Tj", stream)
    widths = [sum(hmtx[order[int(h[i:i + 4], 16)]][0] for i in range(0, len(h), 4))
              * size / upem for h in drawn]
    pad = 4.0
    assert size >= 4.0
    for line_width in widths:
        assert x >= pad and x + line_width <= width - pad, (line_width, width)
    assert top + size * ascent <= height - pad
    last = top - leading * (len(drawn) - 1)
    assert last + size * descent >= pad  # descenders above the bottom edge
    # nothing lost in the wrapping: every word of every line is drawn
    text = "".join(chr(font_code(font, h[i:i + 4])) for h in drawn
                   for i in range(0, len(h), 4))
    for word in " ".join(lines).split():
        assert word in text, word


def font_code(font: object, glyph_hex: str) -> int:
    glyph = int(glyph_hex, 16)
    return next(cp for cp, g in font.glyph_of.items() if g == glyph)  # type: ignore[attr-defined]


def test_stamp_that_cannot_fit_is_refused() -> None:
    from pakta.stampfit import StampOverflow, fit_stamp

    def measure(text: str, size: float) -> float:
        return len(text) * size * 0.5

    with pytest.raises(StampOverflow) as caught:
        fit_stamp(["Ditandatangani", "x" * 120], 100, 30, measure, 0.9, -0.2)
    assert caught.value.message == (
        "the signature stamp's text does not fit its box (100 x 30 pt) at 4.0 pt: "
        f"\"{'x' * 120}\"")
