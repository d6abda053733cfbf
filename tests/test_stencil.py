"""Invariant blocks laid out once and painted into every document: the result must be
what WeasyPrint's full layout gives, pixel for pixel, with real text; poppler and qpdf
are the witnesses."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pakta.config import load_workspace
from pakta.render import PDF_VARIANT, Renderer, RenderJob, add_signature_fields, plan_jobs
from pakta.roster import load_roster
from tests.conftest import ROSTER_HEADER
from tests.test_render import PACT_POINTS, text_of

ROSTER = (ROSTER_HEADER + "75,provinsi,Gorontalo,,Budi Santoso,Pj.,,\n"
          "71.01,kabupaten,Bolaang Mongondow,Sulawesi Utara,Siti Rahmawati,,,\n")
FOUR_HEADS = (ROSTER + "76,provinsi,Sulawesi Barat,,Ahmad Yusuf,,,\n"
              "71.02,kabupaten,Minahasa,Sulawesi Utara,Dewi Lestari,,,\n")


def _pdf(renderer: Renderer, job: RenderJob, *, stencils: bool) -> bytes:
    if stencils:
        return renderer.render(job).pdf
    laid_out = renderer.layout(job, stencils=False)
    return laid_out.document.write_pdf(  # type: ignore[no-any-return]
        pdf_variant=PDF_VARIANT,
        finisher=lambda _doc, pdf: add_signature_fields(pdf, laid_out.slots))


def _pixels(pdf: bytes, folder: Path, name: str) -> list[bytes]:
    """Every page at 100 dpi, as raw grey pixels."""
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", str(source), str(folder / name)],
                   check=True)
    return [p.read_bytes() for p in sorted(folder.glob(f"{name}-*.pgm"))]


def _setup(folder: Path, templates: list[str]) -> tuple[Renderer, list[RenderJob]]:
    ws = load_workspace(folder)
    renderer = Renderer([ws.template_dir], ws.event, ws.witness)
    return renderer, plan_jobs(load_roster(ws.roster), templates, ws.out)


def _fonts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    return [line.split()[0] for line in out.splitlines()[2:]]


@pytest.mark.parametrize("template", ["pakta-integritas", "deklarasi-netralitas"])
def test_stencilled_documents_look_exactly_like_the_full_layout(
        make_workspace: Callable[..., Path], tmp_path: Path, template: str) -> None:
    renderer, jobs = _setup(make_workspace(ROSTER), [template])
    for job in jobs:
        with_stencils = _pdf(renderer, job, stencils=True)
        # the heading and the points; in the pact also the witness column, with its slot
        assert len(renderer.stencils.used) == (3 if template == "pakta-integritas" else 2)
        # a slot drawn with a stencil gets its field where the full layout puts it
        assert (renderer.layout(job).slots
                == renderer.layout(job, stencils=False).slots)
        full = _pdf(renderer, job, stencils=False)
        assert with_stencils != full
        assert (_pixels(with_stencils, tmp_path, f"{job.doc_id}-s")
                == _pixels(full, tmp_path, f"{job.doc_id}-f"))


def test_stencilled_text_is_real_text_once_in_reading_order_with_distinct_fonts(
        rendered_workspace: Path) -> None:
    pdf = rendered_workspace / "out" / "75-gorontalo-pakta-integritas.pdf"
    text = text_of(pdf)
    positions = [text.index(point) for point in PACT_POINTS]
    assert positions == sorted(positions)
    assert all(text.count(point) == 1 for point in PACT_POINTS)
    assert text.index("Saya yang bertanda tangan") < text.index("Nama")
    assert text.index("dengan ini menyatakan") < positions[0]
    assert text.index("Demikian pakta integritas") < text.index("Saksi,")
    fonts = _fonts(pdf)
    assert len(fonts) == len(set(fonts)) > 2  # each subset under its own name
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_block_whose_content_varies_is_laid_out_in_place_after_two_contents(
        make_workspace: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_workspace(FOUR_HEADS)
    (folder / "templates" / "catatan.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% set document_title = "Catatan" %}'
        "{% block body %}{% call stencil() %}<p>Untuk {{ head.full_name }}.</p>"
        "{% endcall %}{% endblock %}", encoding="utf-8")
    renderer, jobs = _setup(folder, ["catatan"])
    for job in jobs:
        out = tmp_path / f"{job.doc_id}.pdf"
        out.write_bytes(_pdf(renderer, job, stencils=True))
        assert f"Untuk {job.head.full_name}." in text_of(out)
    # The heading group, and the varying block twice: then it is laid out in place.
    assert len([s for s in renderer.stencils._stencils.values() if s]) == 3
    assert len(jobs) > 3


def test_a_block_nested_in_a_narrower_box_falls_back_to_the_full_layout(
        make_workspace: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_workspace(ROSTER)
    (folder / "templates" / "sempit.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% set document_title = "Sempit" %}'
        '{% block body %}<div style="width: 8cm">{% call stencil() %}'
        "<p>Teks yang sama untuk setiap kepala daerah, dalam kotak yang lebih sempit."
        "</p>{% endcall %}</div>{% endblock %}", encoding="utf-8")
    renderer, jobs = _setup(folder, ["sempit"])
    for job in jobs:
        with_stencils = _pdf(renderer, job, stencils=True)
        assert len(renderer.stencils.used) == 1  # the heading group only
        assert (_pixels(with_stencils, tmp_path, f"{job.doc_id}-s")
                == _pixels(_pdf(renderer, job, stencils=False), tmp_path, f"{job.doc_id}-f"))
        out = tmp_path / f"{job.doc_id}.pdf"
        out.write_bytes(with_stencils)
        assert "dalam kotak yang lebih sempit." in text_of(out)
