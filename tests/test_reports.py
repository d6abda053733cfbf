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
    assert rows[2]["status"] == "INVALID" and rows[2]["verdict"] == "INVALID"
    assert rows[1]["problems"] == "Not yet signed by the witness."
    assert rows[0]["indications"] == "kepala_daerah=TOTAL-PASSED; saksi=TOTAL-PASSED"
    assert rows[2]["indications"] == "kepala_daerah=TOTAL-FAILED/HASH_FAILURE"
    assert rows[3]["path"].startswith("inbox/")  # not a formula
    assert rows[1]["missing_slots"] == "" and rows[1]["reasons"] == "UNSIGNED"
    assert rows[2]["problems"] == ("Signed by the wrong person: " + HOSTILE + " signed as "
                                   "the regional head, but the roster names x.")
    assert csv_report._cell("=1+1") == "'=1+1" and csv_report._cell("-5") == "'-5"


def test_text_report_ends_with_the_summary(batch) -> None:  # type: ignore[no-untyped-def]
    text = text_report.render(batch)
    body, summary = text.split("\nSummary\n")
    assert "COMPLETE         signed/75-gorontalo-pakta-integritas-signed.pdf" in body
    assert "kepala_daerah p.1: TOTAL-FAILED / HASH_FAILURE" in body
    assert "not fully signed: 1" in summary and "unreadable files: 1" in summary
    assert text.rstrip().endswith("Result: 4 of 5 documents need attention")


def test_html_escapes_every_value_and_loads_nothing(batch) -> None:  # type: ignore[no-untyped-def]
    html = html_report.render(batch)
    assert "<script" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") >= 3
    assert not re.search(r"""<[^>]*\b(src|href)\s*=|url\(|@import|<link""", html, re.I)
    assert 'id="verdict">4 dari 5 dokumen perlu ditindaklanjuti' in html
    assert 'id="verdict-en">4 of 5 documents need attention' in html
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
    assert 'id="verdict">4 dari 5 dokumen perlu ditindaklanjuti' in dom
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


@pytest.mark.parametrize("iso, region, lang, shown", [
    ("2024-09-17T02:05:06.123456+00:00", "31.71", "id", "17 September 2024 09.05 WIB"),
    ("2024-09-17T02:05:06.123456+00:00", "33.76", "en", "17 September 2024, 09:05 WIB"),
    ("2024-09-17T09:05:00+07:00", "75", "id", "17 September 2024 10.05 WITA"),
    ("2024-09-17T09:05:00+07:00", "51.71", "en", "17 September 2024, 10:05 WITA"),
    ("2024-09-17T09:05:00+07:00", "64", "id", "17 September 2024 10.05 WITA"),
    ("2024-09-17T09:05:00+07:00", "94.01", "id", "17 September 2024 11.05 WIT"),
    ("2024-09-17T20:05:00+07:00", "81", "en", "17 September 2024, 22:05 WIT"),
    ("2024-09-17T09:05:00+07:00", "62", "id", "17 September 2024 09.05 WIB"),
    ("2024-09-17T09:05:00+07:00", None, "id", "17 September 2024 02.05 UTC"),
    ("2024-12-31T23:30:00+00:00", None, "en", "31 December 2024, 23:30 UTC"),
])
def test_times_are_the_regions_own_to_the_minute(iso: str, region: str | None, lang: str,
                                                 shown: str) -> None:
    from pakta.reports.words import local_time

    assert local_time(iso, region, lang) == shown


def test_signatures_only_is_said_at_the_top_in_both_languages() -> None:
    from pakta.reports.words import headline

    docs = [document(None, COMPLETE, path="files/a.pdf", sigs=(signature(),)),
            document(None, INVALID, path="files/b.pdf",
                     reasons=(Finding.of("SIGNATURE_NOT_PASSED", field="kepala_daerah",
                                         indication="TOTAL-FAILED / HASH_FAILURE"),),
                     sigs=(signature(indication="TOTAL-FAILED", sub="HASH_FAILURE"),))]
    batch = summarise(docs, VerifySettings(trust_roots=(), signatures_only=True))
    assert batch.signatures_only and headline(batch, "en") == \
        "1 of 2 documents needs attention"
    assert headline(batch, "id") == "1 dari 2 dokumen perlu ditindaklanjuti"
    html = html_report.render(batch)
    assert ('<p class="mode" id="mode">tanpa buku register dan daftar kepala daerah: '
            "hanya tanda tangan yang diperiksa</p>") in html
    assert ('<p class="mode" id="mode-en">no ledger or roster: checking the signatures '
            "only</p>") in html
    assert html.index('id="mode"') < html.index('id="verdict"')
    summary = text_report.render(batch, "id").split("\nRingkasan\n")[1]
    assert summary.splitlines()[1] == \
        "  tanpa buku register dan daftar kepala daerah: hanya tanda tangan yang diperiksa"
    assert "TIDAK SAH        files/b.pdf" in text_report.render(batch, "id")


def test_csv_in_indonesian_with_rows_for_missing_and_duplicates() -> None:
    docs = [document("75-gorontalo-pakta-integritas", COMPLETE, path="a.pdf"),
            document("75-gorontalo-pakta-integritas", COMPLETE, path="b.pdf")]
    batch = summarise(docs, VerifySettings(trust_roots=()))
    batch = type(batch)(**{**batch.__dict__,
                           "heads_without_document": ("33.76-tegal-pakta-integritas",)})
    rows = list(csv.reader(io.StringIO(csv_report.render(batch, "id"))))
    assert rows[0] == ["berkas", "status", "id_dokumen", "templat", "kode_wilayah",
                       "provinsi", "kepala_daerah", "jumlah_tanda_tangan", "penanda_tangan",
                       "indikasi", "slot_belum_ditandatangani", "alasan", "sha256",
                       "diterbitkan", "tingkat", "cap_waktu", "detik", "putusan", "masalah"]
    assert rows[1][13] == "ya" and rows[1][17] == "LENGKAP"
    missing, twice = rows[3], rows[4]
    assert missing[:3] == ["", "MISSING", "33.76-tegal-pakta-integritas"]
    assert missing[17:] == ["TIDAK DITEMUKAN",
                            "Diterbitkan tetapi tidak ditemukan di antara berkas."]
    assert twice[:3] == ["a.pdf; b.pdf", "DUPLICATE", "75-gorontalo-pakta-integritas"]
    assert twice[17:] == ["GANDA", "Ditemukan dalam lebih dari satu berkas."]
    english = list(csv.reader(io.StringIO(csv_report.render(batch, "en"))))
    assert english[0] == csv_report.COLUMNS
    assert english[4][17:] == ["DUPLICATE", "Found in more than one file."]


@pytest.mark.parametrize("lang, sentences", [
    ("en", ["Signed by the wrong person: Dadang Somantri signed as the regional head, but "
            "the roster names Hamka Hendra Noer.",
            "Not yet signed by the witness.",
            "Not yet signed by the regional head and the witness.",
            "The file has no signature.",
            "This file is not a document the secretariat issued.",
            "The file cannot be read as a PDF.",
            "Signature of the regional head: The file was changed after it was signed: the "
            "signature no longer matches its content.",
            "Signed in the wrong order: the witness, then the regional head; the order must "
            "be the regional head, then the witness.",
            "The document was changed after it was issued and before the regional head "
            "signed it: the signed document is not the one the secretariat issued."]),
    ("id", ["Ditandatangani oleh orang yang salah: Dadang Somantri menandatangani sebagai "
            "kepala daerah, padahal daftar kepala daerah mencantumkan Hamka Hendra Noer.",
            "Belum ditandatangani oleh saksi.",
            "Belum ditandatangani oleh kepala daerah dan saksi.",
            "Berkas belum ditandatangani.",
            "Berkas ini bukan dokumen yang diterbitkan sekretariat.",
            "Berkas ini tidak dapat dibaca sebagai PDF.",
            "Tanda tangan kepala daerah: Berkas telah diubah setelah ditandatangani: tanda "
            "tangan tidak lagi cocok dengan isinya.",
            "Ditandatangani dengan urutan yang salah: saksi, lalu kepala daerah; urutan yang "
            "seharusnya adalah kepala daerah, lalu saksi.",
            "Dokumen diubah setelah diterbitkan dan sebelum ditandatangani oleh kepala "
            "daerah: dokumen yang ditandatangani bukan dokumen yang diterbitkan "
            "sekretariat."]),
])
def test_each_finding_is_one_plain_sentence(lang: str, sentences: list[str]) -> None:
    """The sentence is the finding's own (pakta/findings.py): a slot is named as the
    person who signs in it; the JSON keeps the slot's name."""
    findings = [
        Finding.of("WRONG_HEAD_SIGNER", slot="kepala_daerah", signer="Dadang Somantri",
                   expected="Hamka Hendra Noer"),
        Finding.of("UNSIGNED", slots="saksi"),
        Finding.of("UNSIGNED", slots="kepala_daerah, saksi"),
        Finding.of("NO_SIGNATURE"), Finding.of("NOT_ISSUED"), Finding.of("UNREADABLE"),
        Finding.of("SIGNATURE_NOT_PASSED", field="kepala_daerah",
                   indication="TOTAL-FAILED / HASH_FAILURE"),
        Finding.of("OUT_OF_ORDER", order="saksi, kepala_daerah",
                   expected="kepala_daerah, saksi"),
        Finding.of("CHANGED_BEFORE_SIGNING", slot="kepala_daerah")]
    assert [f.message(lang) for f in findings] == sentences
    assert findings[2].as_json()["params"] == {"slots": "kepala_daerah, saksi"}


def test_every_code_is_documented_with_its_sentence() -> None:
    from pakta.findings import MESSAGES

    schema = (ROOT / "docs" / "report-schema.md").read_text(encoding="utf-8")
    for code, sentence in MESSAGES.items():
        assert f"| `{code}` |" in schema and f"| {sentence} |" in schema, code
