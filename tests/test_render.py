"""Rendering with the real Jinja and WeasyPrint; poppler and qpdf as witnesses."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pakta.config import load_workspace
from pakta.ledger import Ledger, sha256_hex
from tests.conftest import ROSTER_HEADER, run_pakta

PACT_POINTS = [
    "Menjaga dan menegakkan prinsip netralitas Aparatur Sipil Negara (ASN) pada Pemilu dan "
    "Pemilihan 2024;",
    "Menghindari konflik kepentingan dengan tidak melakukan praktik-praktik intimidatif dan "
    "ancaman kepada ASN dan seluruh elemen masyarakat serta tidak memihak kepada peserta "
    "pemilu dan pemilihan;",
    "Menggunakan media sosial secara bijak, tidak digunakan untuk mendukung peserta pemilu "
    "dan pemilihan tertentu dan tidak melakukan kampanye hitam, menyebarkan ujaran "
    "kebencian, serta berita bohong;",
    "Menolak politik uang dan segala jenis pemberian dalam bentuk apa pun.",
]
DECLARATION_POINTS = [
    "Memastikan ASN tidak membuat keputusan atau tindakan yang menunjukkan keberpihakan "
    "kepada Calon atau Pasangan Calon;",
    "Memastikan ASN tidak terlibat dan/atau dilibatkan dalam kegiatan Kampanye Pemilihan;",
    "Sebagai Pejabat Pembina Kepegawaian akan memberikan sanksi kepada ASN yang melakukan "
    "pelanggaran Netralitas ASN;",
    "Menyampaikan informasi dugaan pelanggaran Netralitas ASN kepada Pengawas Pemilu",
    "Akan melakukan sosialisasi dan mendukung pelaksanaan Keputusan Bersama",
]


def text_of(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


def test_pact_text_holds_head_title_region_and_points(rendered_workspace: Path) -> None:
    text = text_of(rendered_workspace / "out" / "75-gorontalo-pakta-integritas.pdf")
    for expected in ["PAKTA INTEGRITAS", "Dr. Ir. Hamka Hendra Noer, M.Si",
                     "Pj. Gubernur Gorontalo", "Pemerintah Provinsi Gorontalo",
                     "Jakarta, 17 September 2024", "Saksi,", "Rahmat Bagja",
                     "Pejabat Pembina Kepegawaian", *PACT_POINTS]:
        assert expected in text, expected


def test_declaration_text(rendered_workspace: Path) -> None:
    text = text_of(rendered_workspace / "out" / "33.76-tegal-deklarasi-netralitas.pdf")
    for expected in ["DEKLARASI KEPALA DAERAH", "Dadang Somantri", "Pj. Wali Kota Tegal",
                     "Pemerintah Kota Tegal", *DECLARATION_POINTS]:
        assert expected in text, expected
    assert "Saksi" not in text


def test_pdfa_markers_fonts_and_structure(rendered_workspace: Path) -> None:
    pdf = rendered_workspace / "out" / "71.11-bolaang-mongondow-selatan-pakta-integritas.pdf"
    xmp = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    data = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), "-"],
                          capture_output=True, check=True).stdout
    assert b"/OutputIntents" in data and b"/GTS_PDFA1" in data
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        assert "Pakta-Serif" in line  # the shipped font, not the machine's
        assert line.split()[-5] == "yes", line  # emb column
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert "Title:           Pakta Integritas Bupati Bolaang Mongondow Selatan" in info
    assert "Author:          Iskandar Kamaru" in info
    assert "Keywords:        netralitas ASN" in info
    assert b"/Lang (id-ID)" in data
    # the file identifier PDF/A requires: the input's fingerprint, as qpdf reads it
    with Ledger(rendered_workspace / "pakta.db") as ledger:
        record = ledger.document("71.11-bolaang-mongondow-selatan-pakta-integritas")
    assert record is not None
    shown = subprocess.run(["qpdf", "--show-object=trailer", str(pdf)], capture_output=True,
                           text=True, check=True).stdout
    identifier = record.input_sha256[:32]
    assert f"/ID [ ({identifier}) ({identifier}) ]" in shown


def test_signature_fields_sit_on_the_slot_boxes(rendered_workspace: Path) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    from pakta.config import load_workspace
    from pakta.render import Renderer, plan_jobs
    from pakta.roster import load_roster

    ws = load_workspace(rendered_workspace)
    renderer = Renderer([ws.template_dir], ws.event, ws.witness)
    job = next(j for j in plan_jobs(load_roster(ws.roster), ["pakta-integritas"], ws.out)
               if j.head.code == "75")
    boxes = renderer.layout(job).slots
    with job.out_path.open("rb") as f:
        reader = PdfFileReader(f)
        fields = {name: obj for name, value, obj in enumerate_sig_fields(reader)}
        assert set(fields) == {"kepala_daerah", "saksi"}
        for box in boxes:
            widget = fields[box.name].get_object()
            assert [round(float(v), 2) for v in widget["/Rect"]] == list(box.rect)
            assert widget.get("/V") is None  # empty: nobody has signed
    assert boxes[0].rect[2] - boxes[0].rect[0] == pytest.approx(7 / 2.54 * 72, abs=0.5)


def test_long_name_moves_the_field_with_the_block(make_workspace: Callable[..., Path]) -> None:
    from pakta.render import Renderer, plan_jobs
    from pakta.roster import load_roster

    long_name = "Prof. Dr. Ir. H. " + " ".join(["Muhammad Abdurrahman Wijayakusuma"] * 3)
    folder = make_workspace(ROSTER_HEADER + f"75,provinsi,Gorontalo,,Budi,,,\n"
                            f"76,provinsi,Sulawesi Barat,,\"{long_name}, S.H., M.H.\",,,\n")
    ws = load_workspace(folder)
    renderer = Renderer([ws.template_dir], ws.event, ws.witness)
    short, long = plan_jobs(load_roster(ws.roster), ["deklarasi-netralitas"], ws.out)
    (short_box,) = renderer.layout(short).slots
    (long_box,) = renderer.layout(long).slots
    # The identity table grows with the long name, so the block lands lower, and still
    # on the first page (the lines that vary per head set tighter: pakta.render.pagefit).
    assert long_box.page == short_box.page == 0
    assert long_box.rect[1] < short_box.rect[1] - 5


def test_roster_values_are_escaped(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace(ROSTER_HEADER + "75,provinsi,Gorontalo,,<b>Budi</b> & Co,,,\n")
    result = run_pakta("render", "--only", "75", "-t", "deklarasi-netralitas", cwd=folder)
    assert result.returncode == 0, result.stderr
    text = text_of(folder / "out" / "75-gorontalo-deklarasi-netralitas.pdf")
    assert "<b>Budi</b> & Co" in text


def test_rerun_skips_identical_and_refuses_to_overwrite(
        make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    first = run_pakta("render", "--jobs", "2", cwd=folder)
    assert first.returncode == 0, first.stderr
    assert "8 rendered, 0 overwritten, 0 unchanged, 0 failed" in first.stdout
    with Ledger(folder / "pakta.db") as ledger:
        records = ledger.documents()
    assert len(records) == 8
    for record in records:
        assert sha256_hex(Path(record.path).read_bytes()) == record.sha256
    again = run_pakta("render", cwd=folder)
    assert "0 rendered, 0 overwritten, 8 unchanged" in again.stdout
    # A hand-edited file is never overwritten silently, and nothing else is rendered.
    edited = folder / "out" / "75-gorontalo-pakta-integritas.pdf"
    edited.write_bytes(edited.read_bytes() + b"%edited\n")
    (folder / "out" / "33.76-tegal-pakta-integritas.pdf").unlink()
    refused = run_pakta("render", cwd=folder)
    assert refused.returncode == 2
    assert "1 output file(s) exist and differ" in refused.stderr
    assert "75-gorontalo-pakta-integritas.pdf" in refused.stderr
    assert "nothing was rendered; move them away or pass --overwrite" in refused.stderr
    assert not (folder / "out" / "33.76-tegal-pakta-integritas.pdf").exists()
    forced = run_pakta("render", "--overwrite", cwd=folder)
    assert forced.returncode == 0, forced.stderr
    assert "1 rendered, 1 overwritten, 6 unchanged" in forced.stdout
    # Deterministic: the re-rendered file is byte for byte what was issued before.
    assert edited.read_bytes() == Path(records[[r.doc_id for r in records].index(
        "75-gorontalo-pakta-integritas")].path).read_bytes()
    assert not list((folder / "out").glob(".*.part"))


def test_changed_roster_value_is_a_conflict(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    assert run_pakta("render", "--only", "75", cwd=folder).returncode == 0
    roster = folder / "roster.csv"
    roster.write_text(roster.read_text().replace("Hamka Hendra Noer", "Hamka H. Noer"))
    result = run_pakta("render", "--only", "75", cwd=folder)
    assert result.returncode == 2
    assert "2 output file(s) exist and differ" in result.stderr


def test_template_errors_name_template_line_and_variable(
        make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    (folder / "templates" / "surat.html.j2").write_text(
        "<html><body>\n<p>{{ head.full_name }}</p>\n<p>{{ nomor_surat }}</p>\n"
        "<div id=\"slot-kepala_daerah\" style=\"height:2cm;width:5cm\"></div></body></html>\n")
    result = run_pakta("render", "-t", "surat", "--only", "75", cwd=folder)
    assert result.returncode == 3
    assert "template 'surat' (surat.html.j2, line 3): 'nomor_surat' is undefined" \
        in result.stderr
    assert "Traceback" not in result.stderr
    listing = run_pakta("templates", "list", cwd=folder)
    assert "surat  [workspace" in listing.stdout
    assert "fields: head, nomor_surat" in listing.stdout


def test_workspace_template_overrides_builtin(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    (folder / "templates" / "deklarasi-netralitas.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% set document_title = "Deklarasi Khusus" %}'
        "{% block body %}<p>Isi {{ head.extra.get('catatan', '-') }}</p>{% endblock %}")
    result = run_pakta("render", "-t", "deklarasi-netralitas", "--only", "75", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "DEKLARASI KHUSUS" in text_of(folder / "out" / "75-gorontalo-deklarasi-netralitas.pdf")


def test_unknown_template_and_bad_config(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    result = run_pakta("render", "-t", "surat-cinta", cwd=folder)
    assert result.returncode == 3
    assert "unknown template 'surat-cinta'" in result.stderr
    config = folder / "pakta.toml"
    config.write_text(config.read_text() + "\n[render2]\nx = 1\n")
    result = run_pakta("render", cwd=folder)
    assert result.returncode == 3
    assert "pakta.toml: unknown section [render2]" in result.stderr


def test_cli_start_does_not_import_weasyprint_or_pyhanko() -> None:
    import subprocess
    import sys

    code = ("import sys; from click.testing import CliRunner; from pakta.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in sys.modules if re.match(r'(weasyprint|pyhanko)', m)))")
    out = subprocess.run([sys.executable, "-c", "import re; " + code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_552_head_roster_renders(tmp_path: Path) -> None:
    """A national-size roster: every head gets a document (the single-template part of
    the benchmark; timings are in the README and benchmarks/, not asserted here)."""
    from benchmarks.synthetic import synthetic_roster
    from pakta.config import init_workspace
    from pakta.render import plan_jobs, render_batch
    from pakta.roster import load_roster

    folder = tmp_path / "ws"
    init_workspace(folder)
    (folder / "roster.csv").write_text(synthetic_roster(552), encoding="utf-8")
    ws = load_workspace(folder)
    heads = load_roster(ws.roster)
    assert len(heads) == 552
    jobs = plan_jobs(heads, ["deklarasi-netralitas"], ws.out)
    with Ledger(ws.ledger) as ledger:
        summary = render_batch(jobs, template_dir=ws.template_dir, event=ws.event,
                               witness=ws.witness, ledger=ledger, workers=2)
    assert summary.count("rendered") == 552
    assert len(list(ws.out.glob("*.pdf"))) == 552
    assert re.match(r"^\d\d-", sorted(p.name for p in ws.out.glob("*.pdf"))[0])


def test_no_temporary_files_left_behind(make_workspace: Callable[..., Path],
                                        tmp_path: Path) -> None:
    import os

    folder = make_workspace()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    result = run_pakta("render", "--jobs", "2", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    assert list(scratch.iterdir()) == []
