"""The four report formats of `pakta verify`, on verdicts built by hand (no PDFs)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from pakta.findings import Finding
from pakta.reports import csv as csv_report
from pakta.reports import html as html_report
from pakta.reports import json as json_report
from pakta.reports import text as text_report
from pakta.reports.verification import RENDERERS
from pakta.verify import (
    COMPLETE,
    ERROR,
    INCOMPLETE,
    INVALID,
    STATUSES,
    UNKNOWN,
    DocumentVerdict,
    SignatureVerdict,
    VerifySettings,
    summarise,
)

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '<script>alert("x")</script> & <img src=http://example.org/x.png>'


def signature(field: str = "kepala_daerah", name: str = "Hamka Hendra Noer",
              indication: str = "TOTAL-PASSED", sub: str | None = None) -> SignatureVerdict:
    return SignatureVerdict(
        field=field, page=1, indication=indication, sub_indication=sub, intact=True,
        valid=True, trusted=indication == "TOTAL-PASSED", signer_name=name,
        signer_serial=None, cert_sha256="ab" * 32, signing_time="2024-09-17T09:00:00+07:00",
        timestamp="2024-09-17T09:00:01+07:00", timestamp_trusted=True, revoked=False,
        key_usage_ok=True, level="B-T", coverage="ENTIRE_FILE", modification="none",
        covered_bytes=40000, issuer="pakta Demo Signing CA", revocation="good")


def document(doc_id: str | None, status: str, province: str | None = "Gorontalo",
             head: str | None = "Dr. Ir. Hamka Hendra Noer, M.Si",
             reasons: tuple[Finding, ...] = (), path: str | None = None,
             sigs: tuple[SignatureVerdict, ...] = ()) -> DocumentVerdict:
    return DocumentVerdict(
        path=path or f"signed/{doc_id}-signed.pdf", sha256="cd" * 32, status=status,
        reasons=reasons, doc_id=doc_id, template="pakta-integritas" if doc_id else None,
        region_code="75" if doc_id else None, province=province if doc_id else None,
        head=head if doc_id else None, signatures=sigs,
        slots=("kepala_daerah", "saksi") if doc_id else (), issued=bool(doc_id))


@pytest.fixture
def batch():  # type: ignore[no-untyped-def]
    docs = [
        document("75-gorontalo-pakta-integritas", COMPLETE,
                 sigs=(signature(), signature("saksi", "Rahmat Bagja"))),
        document("71-sulawesi-utara-pakta-integritas", INCOMPLETE, province="Sulawesi Utara",
                 head="Drs. Yohanes Lamba", reasons=(Finding.of("UNSIGNED", slots="saksi"),),
                 sigs=(signature(name="Yohanes Lamba"),)),
        document("33.76-tegal-pakta-integritas", INVALID, province="Jawa Tengah",
                 head=HOSTILE, reasons=(Finding.of("WRONG_HEAD_SIGNER", slot="kepala_daerah",
                                                   signer=HOSTILE, expected="x"),),
                 sigs=(signature(name=HOSTILE, indication="TOTAL-FAILED",
                                 sub="HASH_FAILURE"),)),
        document(None, UNKNOWN, path="inbox/=HYPERLINK(\"http://x\").pdf",
                 reasons=(Finding.of("NOT_IN_LEDGER"),)),
        document(None, ERROR, path="inbox/empty.pdf", reasons=(Finding.of("NOT_PDF"),)),
    ]
    return summarise(docs, VerifySettings(trust_roots=()))


def test_json_report_follows_the_documented_schema(batch) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(json_report.render(batch))
    assert report["schema_version"] == json_report.SCHEMA_VERSION == 1
    assert report["ok"] is False and report["tool"]["name"] == "pakta"
    summary = report["summary"]
    assert summary["by_status"] == {COMPLETE: 1, INCOMPLETE: 1, INVALID: 1, UNKNOWN: 1,
                                    ERROR: 1}
    assert summary["incomplete"] == ["71-sulawesi-utara-pakta-integritas"]
    assert summary["unexpected"] == ['inbox/=HYPERLINK("http://x").pdf']
    assert summary["errors"] == ["inbox/empty.pdf"]
    assert summary["by_province"]["Jawa Tengah"] == {INVALID: 1}
    doc = report["documents"][0]
    assert doc["ok"] is True and doc["signatures"][1]["signer_name"] == "Rahmat Bagja"
    # every field of the dataclasses is in the report and in the schema document
    schema = (ROOT / "docs" / "report-schema.md").read_text(encoding="utf-8")
    for name in [f.name for f in fields(DocumentVerdict)] + ["ok"]:
        assert name in doc, name
        assert f"`{name}`" in schema, f"docs/report-schema.md does not describe {name}"
    for name in [f.name for f in fields(SignatureVerdict)]:
        assert name in doc["signatures"][0], name
        assert f"`{name}`" in schema, f"docs/report-schema.md does not describe {name}"
    for name in summary:
        assert f"`{name}`" in schema, f"docs/report-schema.md does not describe {name}"


def test_csv_has_one_row_per_document_and_no_formulas(batch) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(csv_report.render(batch))))
    assert len(rows) == 5 and list(rows[0]) == csv_report.COLUMNS
    assert rows[0]["indications"] == "kepala_daerah=TOTAL-PASSED; saksi=TOTAL-PASSED"
    assert rows[2]["indications"] == "kepala_daerah=TOTAL-FAILED/HASH_FAILURE"
    assert rows[3]["path"].startswith("inbox/")  # not a formula
    assert rows[1]["missing_slots"] == "" and rows[1]["reasons"] == "unsigned: saksi"
    assert csv_report._cell("=1+1") == "'=1+1" and csv_report._cell("-5") == "'-5"


def test_text_report_ends_with_the_summary(batch) -> None:  # type: ignore[no-untyped-def]
    text = text_report.render(batch)
    body, summary = text.split("\nSummary\n")
    assert "COMPLETE   signed/75-gorontalo-pakta-integritas-signed.pdf" in body
    assert "kepala_daerah p.1: TOTAL-FAILED / HASH_FAILURE" in body
    assert "not fully signed: 1" in summary and "unreadable files: 1" in summary
    assert text.rstrip().endswith("Result: PROBLEMS FOUND (5 files)")


def test_html_escapes_every_value_and_loads_nothing(batch) -> None:  # type: ignore[no-untyped-def]
    html = html_report.render(batch)
    assert "<script" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") >= 3
    assert not re.search(r"""<[^>]*\b(src|href)\s*=|url\(|@import|<link""", html, re.I)
    assert 'id="verdict">PROBLEMS FOUND: 5 files' in html
    for status in STATUSES:
        assert status in html


def test_every_format_is_registered(batch) -> None:  # type: ignore[no-untyped-def]
    assert set(RENDERERS) == {"text", "json", "csv", "html"}
    for render in RENDERERS.values():
        assert render(batch)


def test_html_report_in_headless_chromium(batch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import chromium_dom

    page = tmp_path / "report.html"
    page.write_text(html_report.render(batch), encoding="utf-8")
    dom = chromium_dom(page, tmp_path / "profile")
    assert 'id="verdict">PROBLEMS FOUND: 5 files' in dom
    assert 'id="provinces"' in dom and "Jawa Tengah" in dom
    assert "<script>alert" not in dom  # the hostile value stayed text


def test_streamed_reports_are_the_rendered_reports(batch) -> None:  # type: ignore[no-untyped-def]
    """Each format's writer, fed one document at a time and then only the batch's sums
    (no documents kept), gives exactly the report rendered from the whole batch."""
    from datetime import UTC, datetime

    from pakta.reports.verification import WRITERS
    from pakta.verify import Tally

    moment = datetime(2024, 9, 17, 9, 0, tzinfo=UTC)
    tally = Tally(VerifySettings(trust_roots=()))
    for d in batch.documents:
        tally.add(d)
    sums = tally.result()
    assert sums.documents == () and sums.total == 5 and sums.ok is False
    assert sums.by_status == batch.by_status and sums.errors == batch.errors
    expected = {"text": text_report.render(batch), "csv": csv_report.render(batch),
                "json": json_report.render(batch, moment),
                "html": html_report.render(batch, moment)}
    for fmt, make in WRITERS.items():
        out = io.StringIO()
        writer = make(out, moment) if fmt in ("json", "html") else make(out)  # type: ignore[call-arg]
        for d in batch.documents:
            writer.document(d)
        writer.finish(sums)
        assert out.getvalue() == expected[fmt], fmt
    # an empty batch too
    empty = Tally(VerifySettings(trust_roots=())).result()
    for fmt, make in WRITERS.items():
        out = io.StringIO()
        writer = make(out, moment) if fmt in ("json", "html") else make(out)  # type: ignore[call-arg]
        writer.finish(empty)
        kept = summarise([], VerifySettings(trust_roots=()))
        assert out.getvalue() == {"text": text_report.render, "csv": csv_report.render,
                                  "json": lambda b: json_report.render(b, moment),
                                  "html": lambda b: html_report.render(b, moment)
                                  }[fmt](kept), fmt
    assert json.loads(json_report.render(batch, moment))["summary"]["documents"] == 5


def test_a_streamed_batch_is_ok_only_when_every_document_is_complete() -> None:
    from pakta.verify import Tally

    tally = Tally(VerifySettings(trust_roots=()))
    assert not tally.result().ok  # nothing checked is not OK
    tally.add(document("75-gorontalo-pakta-integritas", COMPLETE))
    assert tally.result().ok and tally.result().total == 1
    tally.add(document("71-sulawesi-utara-pakta-integritas", INCOMPLETE))
    assert not tally.result().ok
