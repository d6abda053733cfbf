"""`pakta verify` on the command line: exit codes, formats, output files, the ledger."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pakta.cli import main
from tests.conftest import run_pakta
from tests.verify_cases import PACT, signed_batch  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ws(signed_batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """A private copy of the signed batch (verify writes to its ledger), as the cwd."""
    copy = tmp_path / "ws"
    shutil.copytree(signed_batch, copy)
    db = sqlite3.connect(copy / "pakta.db")
    db.execute("UPDATE documents SET path = replace(path, ?, ?)",
               (str(signed_batch), str(copy)))
    db.commit()
    db.close()
    monkeypatch.chdir(copy)
    return copy


def pakta(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_complete_batch_exits_0_with_a_summary(ws: Path) -> None:
    result = pakta("verify", "signed")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Result: OK: all 8 documents are complete and valid" in result.stdout
    assert result.stdout.index("COMPLETE         signed/") < result.stdout.index("Summary")
    assert "Traceback" not in result.stderr


def test_a_bad_file_exits_1_and_the_batch_goes_on(ws: Path) -> None:
    (ws / "signed" / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really")
    result = pakta("verify", "signed", "--format", "json", "--output", "out/report.json")
    assert result.exit_code == 1
    assert result.stdout == "" and "wrote out/report.json" in result.stderr
    report = json.loads((ws / "out" / "report.json").read_text())
    assert report["summary"]["by_status"]["COMPLETE"] == 8
    assert report["summary"]["errors"] == ["signed/broken.pdf"]
    assert [p.name for p in (ws / "out").iterdir() if "report" in p.name] == ["report.json"]


def test_csv_has_a_row_per_document(ws: Path) -> None:
    result = pakta("verify", "signed", "--format", "csv", "--jobs", "1")
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("path,status,doc_id") and len(lines) == 9
    assert sum("kepala_daerah=TOTAL-PASSED" in line for line in lines) == 8


def test_results_go_into_the_ledger(ws: Path) -> None:
    from pakta.ledger import Ledger

    assert pakta("verify", "signed").exit_code == 0
    with Ledger(ws / "pakta.db") as ledger:
        latest = ledger.latest_verifications()
    assert latest[PACT].status == "COMPLETE"


@pytest.mark.parametrize("args, code, message", [
    (("signed", "--trust", "nope.pem"), 3, "nope.pem: cannot read the trust root"),
    (("signed", "--crl", "nope.crl"), 3, "nope.crl: cannot read the CRL"),
    (("nowhere",), 3, "nowhere: no such file or folder"),
    (("signed", "--ledger", "other.db"), 3, "other.db: ledger not found"),
    (("signed", "--output", "signed"), 2, "is a directory"),
])
def test_bad_input(ws: Path, args: tuple[str, ...], code: int, message: str) -> None:
    result = pakta("verify", *args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_outside_a_workspace_everything_is_given(ws: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = pakta("verify", str(ws / "signed"))
    assert result.exit_code == 2 and "--trust" in result.stderr
    result = pakta("verify", str(ws / "signed"), "--trust", str(ws / "pki" / "root.pem"),
                   "--roster", str(ws / "roster.csv"), "--ledger", str(ws / "pakta.db"),
                   "--format", "json", "--online")
    report = json.loads(result.stdout)
    # no witness name without the workspace: the pacts are still COMPLETE by slot
    assert report["summary"]["by_status"]["COMPLETE"] == 8, report["documents"][0]


def test_the_real_command_never_shows_a_traceback(ws: Path) -> None:
    (ws / "signed" / "zero.pdf").write_bytes(b"")
    result = run_pakta("verify", "signed", "signed/zero.pdf", cwd=ws)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "UNREADABLE       signed/zero.pdf" in result.stdout
    # pyHanko is loaded by the command, not by `pakta --help`
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, pakta.cli; print('pyhanko' in sys.modules)"],
        capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "False"


def test_html_report_opens_in_chromium(ws: Path, tmp_path: Path) -> None:
    """The summary shows in a real browser (the README's picture is taken by
    tests/test_verify_people.py)."""
    from tests.conftest import chromium_dom

    data = bytearray((ws / "signed" / f"{PACT}-signed.pdf").read_bytes())
    data[2000] ^= 1
    (ws / "signed" / f"{PACT}-signed.pdf").write_bytes(bytes(data))
    (ws / "signed" / "surat-lain.pdf").write_bytes(b"%PDF-1.7 not a pact")
    os.remove(ws / "signed" / "33.76-tegal-deklarasi-netralitas-signed.pdf")
    result = pakta("verify", "signed", "--format", "html", "--output", "report.html")
    assert result.exit_code == 1
    page = ws / "report.html"
    dom = chromium_dom(page, tmp_path / "chrome")
    assert 'id="verdict">2 dari 8 dokumen perlu ditindaklanjuti' in dom
    assert 'id="summary"' in dom and 'id="provinces"' in dom and "Gorontalo" in dom
    assert "33.76-tegal-deklarasi-netralitas" in dom  # issued but not found
    shot = tmp_path / "report.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chrome2'}",
         f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["en", "id"])
def test_without_revocation_data_a_signature_is_not_a_pass(ws: Path, lang: str) -> None:
    """Fail closed: offline, without the CAs' CRLs, no signature is TOTAL-PASSED; the
    auditor may accept that by name, and the report says so."""
    shutil.move(ws / "pki" / "crls", ws / "downloaded")
    closed = run_pakta("--lang", lang, "verify", f"signed/{PACT}-signed.pdf",
                       "--format", "json", cwd=ws)
    assert closed.returncode == 1, closed.stderr
    (document,) = json.loads(closed.stdout)["documents"]
    assert document["status"] == "INVALID"
    assert {(s["indication"], s["sub_indication"]) for s in document["signatures"]} == {
        ("INDETERMINATE", "TRY_LATER")}
    accepted = run_pakta("--lang", lang, "verify", f"signed/{PACT}-signed.pdf",
                         "--accept-unchecked-revocation", cwd=ws)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    line = {"en": "revocation not checked where no data was found: accepted with "
                  "--accept-unchecked-revocation",
            "id": "status pencabutan tidak diperiksa bila datanya tidak ada: diterima "
                  "dengan --accept-unchecked-revocation"}[lang]
    assert accepted.stderr.splitlines()[0] == line
    assert f"  {line}" in accepted.stdout.splitlines()  # in the report's summary
    # the CAs' CRLs given, as an auditor downloads them: the same file passes in full
    given = run_pakta("verify", f"signed/{PACT}-signed.pdf", "--crl",
                      "downloaded/interm.crl", "--crl", "downloaded/root.crl", cwd=ws)
    assert given.returncode == 0, given.stdout + given.stderr
    assert "revocation not checked" not in given.stdout + given.stderr
