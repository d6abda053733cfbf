"""The secretariat's loop: send out, collect returned files under any name, see status."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import chromium_dom, run_pakta
from tests.fixtures_pki import pakta_env


def pakta(ws: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_pakta(*args, cwd=ws, env=pakta_env())


def test_collect_sign_collect_again_and_status(signing_ws: Path, tsa_url: str) -> None:
    inbox = signing_ws / "inbox"
    inbox.mkdir()
    # Two heads sign and send their pacts back under names of their own choosing.
    for code, stem, new_name in [("75", "75-gorontalo", "scan_gorontalo_final.pdf"),
                                 ("33.76", "33.76-tegal", "PAKTA TEGAL (ttd).pdf")]:
        result = pakta(signing_ws, "sign", f"out/{stem}-pakta-integritas.pdf", "--slot",
                       "kepala_daerah", "--p12", f"pki/signers/{code}.p12", "--out", "tmp")
        assert result.returncode == 0, result.stderr
        shutil.move(signing_ws / "tmp" / f"{stem}-pakta-integritas-signed.pdf",
                    inbox / new_name)
    first = pakta(signing_ws, "collect", "inbox")
    assert first.returncode == 0, first.stderr
    assert "2 collected, 0 refused" in first.stderr
    canonical = signing_ws / "collected" / "75-gorontalo-pakta-integritas.pdf"
    assert canonical.exists()
    status = pakta(signing_ws, "status", "--format", "json")
    import json

    report = json.loads(status.stdout)
    assert report["total"]["head_signed"] == 2 and report["total"]["witness_signed"] == 0
    # The witness co-signs the collected copy; collecting it again files the new version.
    witness = pakta(signing_ws, "sign", str(canonical), "--slot", "saksi", "--p12",
                    "pki/witness.p12", "--out", "witness")
    assert witness.returncode == 0, witness.stderr
    second = pakta(signing_ws, "collect", "witness")
    assert "(2 signatures)" in second.stdout
    # The older copy with fewer signatures never replaces the filed one.
    again = pakta(signing_ws, "collect", "inbox/scan_gorontalo_final.pdf")
    assert again.returncode == 0
    assert "the filed copy has 2 signatures; this file has 1" in again.stdout
    versions = list((signing_ws / "collected" / "versions" /
                     "75-gorontalo-pakta-integritas").glob("*.pdf"))
    assert len(versions) == 2
    report = json.loads(pakta(signing_ws, "status", "--format", "json").stdout)
    assert report["total"]["witness_signed"] == 1
    text = pakta(signing_ws, "status").stdout
    assert "71.11-bolaang-mongondow-selatan-pakta-integritas" in text  # still waiting
    assert "bupati@bolsel.go.id" in text


def test_forged_and_foreign_files_are_refused_and_left(signing_ws: Path) -> None:
    inbox = signing_ws / "inbox"
    inbox.mkdir()
    assert pakta(signing_ws, "sign", "out/75-gorontalo-pakta-integritas.pdf", "--slot",
                 "kepala_daerah", "--p12", "pki/signers/75.p12", "--out", "inbox")\
        .returncode == 0
    forged = inbox / "75-gorontalo-pakta-integritas-signed.pdf"
    data = bytearray(forged.read_bytes())
    data[3000] ^= 0x20
    forged.write_bytes(bytes(data))
    (inbox / "foto.pdf").write_bytes(b"%PDF-1.4 not really")
    result = pakta(signing_ws, "collect", "inbox")
    assert result.returncode == 3
    assert "refused" in result.stderr
    assert "Signature of the regional head: " in result.stderr  # the reports' sentence
    assert "0 collected, 2 refused" in result.stderr
    assert forged.exists() and (inbox / "foto.pdf").exists()
    assert not (signing_ws / "collected").exists()


def test_export_verifies_and_a_changed_file_fails(signed_ws: Path, tmp_path: Path) -> None:
    import zipfile

    assert pakta(signed_ws, "collect", "signed").returncode == 0
    result = pakta(signed_ws, "export", "--out", "evidence.zip")
    assert result.returncode == 0, result.stderr
    assert "8 signed PDFs, verification OK" in result.stdout
    with zipfile.ZipFile(signed_ws / "evidence.zip") as archive:
        names = set(archive.namelist())
    for expected in ("manifest.json", "roster.csv", "ledger/ledger.json",
                     "ledger/documents.csv", "trust/root-1.pem", "reports/verify.json",
                     "reports/verify.html", "pdf/75-gorontalo-pakta-integritas.pdf"):
        assert expected in names
    ok = pakta(signed_ws, "verify", "evidence.zip")
    assert ok.returncode == 0, ok.stderr
    assert "package evidence.zip: OK" in ok.stderr
    # Change one signed PDF inside the zip (same name, manifest untouched).
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(signed_ws / "evidence.zip") as src, \
            zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "pdf/75-gorontalo-pakta-integritas.pdf":
                data = data.replace(b"/Reason", b"/Reasom", 1)
            dst.writestr(item, data)
    bad = pakta(signed_ws, "verify", str(tampered))
    assert bad.returncode == 1
    assert "manifest: changed since export: pdf/75-gorontalo-pakta-integritas.pdf" \
        in bad.stderr
    assert "PROBLEMS FOUND" in bad.stderr


def test_status_html_has_chart_and_table_in_chromium(signing_ws: Path, tmp_path: Path) -> None:

    assert pakta(signing_ws, "sign", "out/75-gorontalo-pakta-integritas.pdf", "--slot",
                 "kepala_daerah", "--p12", "pki/signers/75.p12").returncode == 0
    assert pakta(signing_ws, "collect", "out/75-gorontalo-pakta-integritas-signed.pdf")\
        .returncode == 0
    result = pakta(signing_ws, "status", "--format", "html", "--output", "status.html")
    assert result.returncode == 0, result.stderr
    dom = chromium_dom((signing_ws / "status.html"), tmp_path / "chrome")
    assert '<svg role="img" aria-label="Progress per province"' in dom
    assert 'class="bar head_signed"' in dom  # Gorontalo's bar has a head-signed part
    assert '<table id="documents">' in dom and "75-gorontalo-pakta-integritas" in dom
    assert "<b>8</b>rendered" in dom and "<b>1</b>signed by head" in dom
