"""`pakta verify` for the people who read it: an auditor with only the files, one file
at a time, an empty folder, and the HTML report (Indonesian first) in a real browser.

PAKTA_SCREENSHOTS=1 (`make screenshots`) writes the README's picture of the Indonesian
report, docs/img/verify-report.png."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import chromium_dom, run_pakta
from tests.verify_cases import (  # noqa: F401  (fixture)
    DECL,
    PACT,
    TEGAL_PACT,
    rendered,
    sign_bytes,
    signed_batch,
)

ROOT = Path(__file__).resolve().parent.parent
SIGNATURES_ONLY = {"en": "no ledger or roster: checking the signatures only",
                   "id": "tanpa buku register dan daftar kepala daerah: hanya tanda tangan "
                         "yang diperiksa"}


@pytest.fixture
def ws(signed_batch: Path, tmp_path: Path) -> Path:  # noqa: F811
    """A private copy of the signed batch (verify writes to its ledger)."""
    copy = tmp_path / "ws"
    shutil.copytree(signed_batch, copy)
    db = sqlite3.connect(copy / "pakta.db")
    db.execute("UPDATE documents SET path = replace(path, ?, ?)",
               (str(signed_batch), str(copy)))
    db.commit()
    db.close()
    return copy


def tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[2000] ^= 1
    path.write_bytes(bytes(data))


@pytest.fixture
def auditor(ws: Path, tmp_path: Path) -> Path:
    """What an auditor has: a folder of signed files (one of them tampered with) and
    the trust root, in a folder that is no workspace."""
    home = tmp_path / "auditor"
    shutil.copytree(ws / "signed", home / "files")
    shutil.copy(ws / "pki" / "root.pem", home / "root.pem")
    shutil.copytree(ws / "pki" / "crls", home / "crls")  # the CAs' CRLs, downloaded
    tamper(home / "files" / f"{PACT}-signed.pdf")
    return home


AUDITOR_CRLS = ("--crl", "crls/interm.crl", "--crl", "crls/root.crl")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_auditor_with_only_the_files_gets_the_signatures_verdict(
        auditor: Path, lang: str) -> None:
    result = run_pakta("--lang", lang, "verify", "files", "--trust", "root.pem",
                       *AUDITOR_CRLS, "--jobs", "1", cwd=auditor)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[0] == SIGNATURES_ONLY[lang]
    lines = {line.split()[-1]: line for line in result.stdout.splitlines()
             if line.startswith(("COMPLETE", "INVALID", "LENGKAP", "TIDAK SAH"))}
    invalid, complete = {"en": ("INVALID", "COMPLETE"), "id": ("TIDAK SAH", "LENGKAP")}[lang]
    assert lines[f"files/{PACT}-signed.pdf"].startswith(invalid)
    assert sum(line.startswith(complete) for line in lines.values()) == 7
    assert "UNKNOWN" not in result.stdout and "NOT ISSUED" not in result.stdout
    sentence = {"en": "    - Signature of the regional head: The file was changed after it "
                      "was signed: the signature no longer matches its content.",
                "id": "    - Tanda tangan kepala daerah: Berkas telah diubah setelah "
                      "ditandatangani: tanda tangan tidak lagi cocok dengan isinya."}[lang]
    assert sentence in result.stdout.splitlines()
    headline = {"en": "Result: 1 of 8 documents needs attention",
                "id": "Hasil: 1 dari 8 dokumen perlu ditindaklanjuti"}[lang]
    assert result.stdout.rstrip().endswith(headline)
    # the JSON keeps the machine codes
    report = run_pakta("--lang", lang, "verify", "files", "--trust", "root.pem",
                       *AUDITOR_CRLS, "--format", "json", "--jobs", "1", cwd=auditor)
    assert '"status": "INVALID"' in report.stdout and "TIDAK SAH" not in report.stdout


@pytest.mark.parametrize("lang", ["en", "id"])
def test_one_file_gives_that_files_verdict_and_exit_code(ws: Path, lang: str) -> None:
    good = run_pakta("--lang", lang, "verify", f"signed/{PACT}-signed.pdf", cwd=ws)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith({"en": "COMPLETE ", "id": "LENGKAP "}[lang])
    assert good.stdout.rstrip().endswith(
        {"en": "Result: OK: the 1 document is complete and valid",
         "id": "Hasil: OK: 1 dokumen lengkap dan sah"}[lang])
    assert "issued but not found" not in good.stdout
    assert "diterbitkan tetapi tidak ditemukan" not in good.stdout
    tamper(ws / "signed" / f"{DECL}-signed.pdf")
    bad = run_pakta("--lang", lang, "verify", f"signed/{DECL}-signed.pdf", cwd=ws)
    assert bad.returncode == 1
    assert bad.stdout.startswith({"en": "INVALID ", "id": "TIDAK SAH "}[lang])
    # a whole folder still reports what is missing from it
    (ws / "signed" / f"{TEGAL_PACT}-signed.pdf").unlink()
    folder = run_pakta("--lang", lang, "verify", "signed", cwd=ws)
    missing = {"en": "issued but not found: 1", "id": "diterbitkan tetapi tidak ditemukan: 1"}
    assert missing[lang] in folder.stdout.splitlines()


@pytest.mark.parametrize("lang, messages", [
    ("en", ("error: empty: 0 PDF files found (0 other files skipped)",
            "error: notes: 0 PDF files found (2 other files skipped)")),
    ("id", ("galat: empty: 0 berkas PDF ditemukan (0 berkas lain dilewati)",
            "galat: notes: 0 berkas PDF ditemukan (2 berkas lain dilewati)")),
])
def test_a_folder_without_pdfs_says_so(auditor: Path, lang: str,
                                       messages: tuple[str, str]) -> None:
    (auditor / "empty").mkdir()
    (auditor / "notes").mkdir()
    (auditor / "notes" / "readme.txt").write_text("x")
    (auditor / "notes" / "scan.jpg").write_bytes(b"x")
    for folder, message in zip(("empty", "notes"), messages, strict=True):
        result = run_pakta("--lang", lang, "verify", folder, "--trust", "root.pem",
                           cwd=auditor)
        assert result.returncode == 3, result.stderr
        assert result.stderr.splitlines()[0] == message
        assert result.stdout == "" and "Traceback" not in result.stderr


def problem_batch(ws: Path) -> None:
    """A batch with problems: a tampered file, a head's slot signed by another head, a
    pact the witness has not signed, an issued document missing, a stray file."""
    tamper(ws / "signed" / f"{PACT}-signed.pdf")
    (ws / "signed" / f"{DECL}-signed.pdf").write_bytes(sign_bytes(
        rendered(ws, DECL), "kepala_daerah", ws / "pki" / "signers" / "33.76.p12"))
    (ws / "signed" / f"{TEGAL_PACT}-signed.pdf").write_bytes(sign_bytes(
        rendered(ws, TEGAL_PACT), "kepala_daerah", ws / "pki" / "signers" / "33.76.p12"))
    os.remove(ws / "signed" / "33.76-tegal-deklarasi-netralitas-signed.pdf")
    (ws / "signed" / "surat-lain.pdf").write_bytes(b"%PDF-1.7 not a pact")


def test_the_html_report_reads_for_people_in_chromium(ws: Path, tmp_path: Path) -> None:
    problem_batch(ws)
    result = run_pakta("verify", "signed", "--format", "html", "--output", "report.html",
                       cwd=ws)
    assert result.returncode == 1, result.stderr
    page = ws / "report.html"
    html = page.read_text(encoding="utf-8")
    dom = chromium_dom(page, tmp_path / "chrome")
    # Indonesian first, English in the same page; no script
    assert "<script" not in html and dom.index('class="l-id"') < dom.index('class="l-en"')
    assert 'id="verdict">4 dari 8 dokumen perlu ditindaklanjuti</div>' in dom
    assert 'id="verdict-en">4 of 8 documents need attention</div>' in dom
    assert "1 dokumen yang diterbitkan tidak ditemukan" in dom
    assert "1 issued document was not found" in dom
    # the problem list comes before the province table
    assert dom.index('id="problems"') < dom.index('id="provinces"')
    assert dom.index('id="problems-en"') < dom.index('id="provinces-en"')
    # plain sentences, the ETSI indication in small print
    assert ("Tanda tangan kepala daerah: Berkas telah diubah setelah ditandatangani: "
            "tanda tangan tidak lagi cocok dengan isinya.") in dom
    assert ("Signature of the regional head: The file was changed after it was signed: "
            "the signature no longer matches its content.") in dom
    assert '<p class="etsi">ETSI EN 319 102-1: TOTAL-FAILED / HASH_FAILURE</p>' in dom
    assert ("Ditandatangani oleh orang yang salah: Dadang Somantri menandatangani sebagai "
            "kepala daerah, padahal daftar kepala daerah mencantumkan Hamka Hendra Noer."
            ) in dom
    assert "Belum ditandatangani oleh saksi." in dom and "Not yet signed by the witness." \
        in dom
    # the wrong signer's valid signature: no PASSED badge, its validity apart
    assert "TOTAL-PASSED</span>" not in dom and "PASSED" not in dom.split("ETSI")[0]
    assert ("Tanda tangan ini sendiri sah; keputusan atas dokumen berasal dari "
            "pemeriksaan di atas.") in dom
    # a chain that reaches the trust root says so; revocation said honestly
    assert "<td>rantai sertifikat sampai akar tepercaya</td><td>ya</td>" in dom
    assert "<td>certificate chain to the trust root</td><td>yes</td>" in dom
    # a signature that does not match its file: its chain was not judged, not "no"
    assert ("<td>certificate chain to the trust root</td><td>not checked: the signature "
            "does not match the file</td>") in dom
    assert ("<td>rantai sertifikat sampai akar tepercaya</td><td>tidak diperiksa: tanda "
            "tangan tidak cocok dengan berkas</td>") in dom
    # revocation checked against the CRLs the workspace keeps (pki/crls)
    assert "diperiksa: tidak dicabut" in dom and "checked: not revoked" in dom
    # times in the region's zone, to the minute
    assert " WITA</td>" in dom and " WIB</td>" in dom and ".000" not in dom
    assert not any(f":{s:02d}." in dom for s in range(60))  # no microseconds
    shot = tmp_path / "report.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chrome2'}",
         f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("PAKTA_SCREENSHOTS"):
        shutil.copy(shot, ROOT / "docs" / "img" / "verify-report.png")


def test_the_csv_has_rows_for_missing_and_duplicate_documents(ws: Path) -> None:
    shutil.copy(ws / "signed" / f"{PACT}-signed.pdf", ws / "signed" / "copy.pdf")
    os.remove(ws / "signed" / f"{TEGAL_PACT}-signed.pdf")
    for lang, missing, twice in (
            ("en", "Issued but not found among the files.", "Found in more than one file."),
            ("id", "Diterbitkan tetapi tidak ditemukan di antara berkas.",
             "Ditemukan dalam lebih dari satu berkas.")):
        result = run_pakta("--lang", lang, "verify", "signed", "--format", "csv", cwd=ws)
        import csv
        import io

        rows = list(csv.reader(io.StringIO(result.stdout)))
        header, body = rows[0], rows[1:]
        assert header[:3] == {"en": ["path", "status", "doc_id"],
                              "id": ["berkas", "status", "id_dokumen"]}[lang]
        by_status = {row[1]: row for row in body if row[1] in ("MISSING", "DUPLICATE")}
        assert by_status["MISSING"][2] == TEGAL_PACT and missing in by_status["MISSING"]
        assert by_status["DUPLICATE"][2] == PACT and twice in by_status["DUPLICATE"]
        assert by_status["DUPLICATE"][0] == f"signed/copy.pdf; signed/{PACT}-signed.pdf" \
            or by_status["DUPLICATE"][0] == f"signed/{PACT}-signed.pdf; signed/copy.pdf"
