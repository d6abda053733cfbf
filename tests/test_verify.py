"""Verdicts on real signed files made with the demo PKI."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import chromium_dom, run_pakta
from tests.fixtures_pki import sign

PACT = "75-gorontalo-pakta-integritas"


def verify_json(ws: Path, *paths: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_pakta("verify", *paths, "--format", "json", cwd=ws)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def doc(report: dict, stem: str) -> dict:  # type: ignore[type-arg]
    return next(d for d in report["documents"] if Path(d["path"]).name.startswith(stem))


def test_untouched_batch_is_complete(signed_ws: Path) -> None:
    code, report = verify_json(signed_ws, "signed")
    assert code == 0, [d["reasons"] for d in report["documents"]]
    assert report["ok"] is True
    assert report["summary"]["by_status"] == {"COMPLETE": 8}
    pact = doc(report, PACT)
    assert [s["indication"] for s in pact["signatures"]] == ["TOTAL-PASSED"] * 2
    head = next(s for s in pact["signatures"] if s["field"] == "kepala_daerah")
    assert head["signer_name"] == "Hamka Hendra Noer" and head["level"] == "B-T"
    assert head["timestamp_trusted"] is True and head["page"] == 1
    text = run_pakta("verify", "signed", cwd=signed_ws)
    assert text.returncode == 0
    assert "Result: OK (8 files)" in text.stdout


def test_flipped_byte_is_total_failed(signed_ws: Path) -> None:
    path = signed_ws / "signed" / f"{PACT}-signed.pdf"
    data = bytearray(path.read_bytes())
    data[2000] ^= 0x01  # inside the first revision: covered by both signatures
    path.write_bytes(bytes(data))
    code, report = verify_json(signed_ws, "signed")
    assert code == 1
    pact = doc(report, PACT)
    assert pact["status"] == "INVALID"
    assert {s["indication"] for s in pact["signatures"]} == {"TOTAL-FAILED"}


def test_changed_page_after_signing_is_suspicious(signed_ws: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    path = signed_ws / "signed" / f"{PACT}-signed.pdf"
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (BATAL) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    code, report = verify_json(signed_ws, "signed")
    pact = doc(report, PACT)
    assert code == 1 and pact["status"] == "INVALID"
    assert any(s["sub_indication"] == "SUSPICIOUS_MODIFICATION" for s in pact["signatures"])
    assert all(s["modification"] == "other" for s in pact["signatures"])


def test_untrusted_certificate_is_indeterminate(signing_ws: Path) -> None:
    from pakta.pki import DemoPki, issue_test_certificate
    from tests.fixtures_pki import PASSPHRASE

    issue_test_certificate(DemoPki(signing_ws / "pki"), signing_ws / "x.p12",
                           "Hamka Hendra Noer", PASSPHRASE.encode(), self_signed=True)
    sign(signing_ws, [f"out/{PACT}.pdf"], "kepala_daerah", "x.p12", "--out", "signed")
    code, report = verify_json(signing_ws, "signed")
    pact = doc(report, PACT)
    (sig,) = pact["signatures"]
    assert sig["indication"] == "INDETERMINATE"
    assert sig["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert pact["status"] == "INVALID"


def test_wrong_head_and_missing_witness(signing_ws: Path) -> None:
    sign(signing_ws, [f"out/{PACT}.pdf"], "kepala_daerah", "pki/signers/33.76.p12",
         "--out", "signed")
    sign(signing_ws, ["out/33.76-tegal-pakta-integritas.pdf"], "kepala_daerah",
         "pki/signers/33.76.p12", "--out", "signed")
    code, report = verify_json(signing_ws, "signed")
    assert code == 1
    wrong = doc(report, PACT)
    assert wrong["status"] == "INVALID"
    assert "wrong signer in 'kepala_daerah': Dadang Somantri, the roster names " \
        "Hamka Hendra Noer" in wrong["reasons"]
    tegal = doc(report, "33.76-tegal-pakta-integritas")
    assert tegal["status"] == "INCOMPLETE" and tegal["missing_slots"] == ["saksi"]
    assert "75-gorontalo-deklarasi-netralitas" in report["summary"]["heads_without_document"]


def test_not_the_issued_document_and_unknown_file(
        signing_ws: Path, make_workspace: Callable[..., Path]) -> None:
    # The same head's pact re-rendered from a changed template, signed validly.
    other = make_workspace(name="other")
    template = (Path(__file__).parent.parent / "templates" / "pakta-integritas.html.j2")
    (other / "templates" / "pakta-integritas.html.j2").write_text(
        template.read_text().replace("Menolak politik uang", "Menerima politik uang"))
    assert run_pakta("render", "--only", "75", "-t", "pakta-integritas", cwd=other)\
        .returncode == 0
    (signing_ws / "inbox").mkdir()
    shutil.copy(other / "out" / f"{PACT}.pdf", signing_ws / "inbox" / f"{PACT}.pdf")
    shutil.copy(other / "out" / f"{PACT}.pdf", signing_ws / "inbox" / "surat-lain.pdf")
    sign(signing_ws, [f"inbox/{PACT}.pdf", "inbox/surat-lain.pdf"], "kepala_daerah",
         "pki/signers/75.p12", "--any-pdf", "--out", "signed")
    code, report = verify_json(signing_ws, "signed")
    changed = doc(report, PACT)
    assert changed["status"] == "INVALID"
    assert changed["reasons"][0].startswith("not the issued document")
    assert changed["signatures"][0]["indication"] == "TOTAL-PASSED"
    unknown = doc(report, "surat-lain")
    assert unknown["status"] == "UNKNOWN"


def test_expired_before_signing(signing_ws: Path) -> None:
    """A certificate already expired when the (claimed) signature was made."""
    import datetime as dt

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from pakta.pki import DemoPki, issue_test_certificate
    from tests.fixtures_pki import PASSPHRASE

    issue_test_certificate(DemoPki(signing_ws / "pki"), signing_ws / "old.p12",
                           "Hamka Hendra Noer", PASSPHRASE.encode(),
                           not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
    signer = signers.SimpleSigner.load_pkcs12(str(signing_ws / "old.p12"),
                                              passphrase=PASSPHRASE.encode())
    assert signer is not None
    target = signing_ws / "signed" / f"{PACT}-signed.pdf"
    target.parent.mkdir()
    writer = IncrementalPdfFileWriter(io.BytesIO((signing_ws / "out" / f"{PACT}.pdf")
                                                 .read_bytes()))
    with target.open("wb") as out:
        signers.PdfSigner(signers.PdfSignatureMetadata(
            field_name="kepala_daerah", subfilter=fields.SigSeedSubFilter.PADES),
            signer=signer).sign_pdf(writer, output=out)
    _, report = verify_json(signing_ws, "signed")
    (sig,) = doc(report, PACT)["signatures"]
    assert sig["indication"] == "INDETERMINATE"
    assert sig["sub_indication"] == "OUT_OF_BOUNDS_NO_POE"


def test_malformed_files_become_error_rows(signed_ws: Path) -> None:
    bad = signed_ws / "signed"
    good = (bad / f"{PACT}-signed.pdf").read_bytes()
    (bad / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "random.pdf").write_bytes(bytes(range(256)) * 40)
    subprocess.run(["qpdf", "--encrypt", "u", "o", "256", "--", str(bad / f"{PACT}-signed.pdf"),
                    str(bad / "encrypted.pdf")], check=True)
    code, report = verify_json(signed_ws, "signed")
    assert code == 1
    rows = {Path(d["path"]).name: d for d in report["documents"]}
    for name in ("truncated.pdf", "empty.pdf", "random.pdf", "encrypted.pdf"):
        assert rows[name]["status"] in ("ERROR", "UNKNOWN", "INVALID"), name
        assert rows[name]["status"] != "COMPLETE"
    assert rows["empty.pdf"]["reasons"] == ["not a PDF file"]
    assert rows["encrypted.pdf"]["reasons"] == ["encrypted PDF"]
    assert report["summary"]["by_status"]["COMPLETE"] == 8


def test_html_report_opens_in_chromium(signed_ws: Path, tmp_path: Path) -> None:
    result = run_pakta("verify", "signed", "--format", "html", "--output", "report.html",
                       cwd=signed_ws)
    assert result.returncode == 0, result.stderr
    html = (signed_ws / "report.html").read_text()
    assert "http" not in html.replace("http://www.w3.org", "")  # self-contained
    dom = chromium_dom((signed_ws / "report.html"), tmp_path / "chrome")
    assert 'id="verdict">OK: 8 files' in dom
    assert "COMPLETE" in dom and "Gorontalo" in dom


def test_verification_goes_into_the_ledger(signed_ws: Path) -> None:
    from pakta.ledger import Ledger

    assert run_pakta("verify", "signed", cwd=signed_ws).returncode == 0
    with Ledger(signed_ws / "pakta.db") as ledger:
        latest = ledger.latest_verifications()
    assert latest[PACT].status == "COMPLETE"
    status = run_pakta("status", cwd=signed_ws)
    assert "TOTAL" in status.stdout
    assert status.stdout.split("TOTAL")[1].split()[:4] == ["8", "8", "4", "8"]


def test_missing_trust_root_is_bad_input(signed_ws: Path) -> None:
    result = run_pakta("verify", "signed", "--trust", "nope.pem", cwd=signed_ws)
    assert result.returncode == 3
    assert "nope.pem: cannot read the trust root" in result.stderr


def test_revoked_certificate_from_a_crl(signing_ws: Path) -> None:
    from pakta.pki import DemoPki, revoke
    from tests.fixtures_pki import PASSPHRASE

    sign(signing_ws, [f"out/{PACT}.pdf"], "kepala_daerah", "pki/signers/75.p12",
         "--out", "signed")
    revoke(DemoPki(signing_ws / "pki"), signing_ws / "pki" / "signers" / "75.p12",
           PASSPHRASE.encode(), signing_ws / "ca.crl")
    without = verify_json(signing_ws, "signed")[1]
    assert doc(without, PACT)["signatures"][0]["indication"] == "TOTAL-PASSED"
    _, report = verify_json(signing_ws, "signed", "--crl", "ca.crl")
    (sig,) = doc(report, PACT)["signatures"]
    assert sig["revoked"] is True
    assert (sig["indication"], sig["sub_indication"]) == ("TOTAL-FAILED", "REVOKED")
    assert doc(report, PACT)["status"] == "INVALID"
