"""Signing with the real pyHanko and the demo PKI; every output is validated again."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_pakta
from tests.fixtures_pki import PASSPHRASE, pakta_env, pdfsig, validate

PACT = "out/75-gorontalo-pakta-integritas.pdf"
DECL = "out/75-gorontalo-deklarasi-netralitas.pdf"
SIGNED = "signed/75-gorontalo-pakta-integritas-signed.pdf"


def sign(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pakta("sign", *args, cwd=ws, env=pakta_env())


def sign_cmd(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pakta(*args, cwd=ws, env=pakta_env())


def dss(path: Path) -> dict[str, int]:
    """How many OCSP responses, CRLs and certificates the file's DSS holds."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with path.open("rb") as f:
        root = PdfFileReader(f).root
        if "/DSS" not in root:
            return {}
        store = root["/DSS"]
        return {key: len(store[key]) if key in store else 0
                for key in ("/OCSPs", "/CRLs", "/Certs")}


def doc_timestamps(path: Path) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    with path.open("rb") as f:
        return len(PdfFileReader(f).embedded_timestamp_signatures)


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_head_signs_at_each_level(signing_ws: Path, tsa_url: str, tmp_path: Path,
                                  level: str) -> None:
    args = ["--tsa", tsa_url] if level != "B-B" else []
    result = sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                  "--level", level, "--out", "signed", *args)
    assert result.returncode == 0, result.stderr
    assert f"signed {SIGNED}" in result.stdout
    output = signing_ws / SIGNED
    status = validate(output, signing_ws / "pki" / "root.pem")
    head = status["kepala_daerah"]
    assert head.intact and head.valid and head.trusted and head.bottom_line
    assert head.coverage.name in ("ENTIRE_FILE", "ENTIRE_REVISION")
    assert (head.timestamp_validity is not None) == (level != "B-B")
    if head.timestamp_validity is not None:
        assert head.timestamp_validity.trusted
    assert head.signing_cert.subject.native["common_name"] == "Hamka Hendra Noer"
    # B-LT and up: the CRLs and certificates to validate later are in the DSS
    store = dss(output)
    assert bool(store.get("/CRLs")) == (level in ("B-LT", "B-LTA")), store
    # B-LTA: a document timestamp over everything, valid too
    assert doc_timestamps(output) == (1 if level == "B-LTA" else 0)
    for name, s in status.items():
        assert s.bottom_line if name == "kepala_daerah" else (s.valid and s.trusted), name
    with output.open("rb") as f:
        from pyhanko.pdf_utils.reader import PdfFileReader

        sig = PdfFileReader(f).embedded_regular_signatures[0]
        assert sig.sig_field["/P"] == PdfFileReader(f).root["/Pages"]["/Kids"][0]
    report = pdfsig(output, signing_ws / "pki" / "root.pem", tmp_path)
    assert "Signature Field Name: kepala_daerah" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert "Signature Validation: Signature is Invalid" not in report
    # The ledger knows who signed which slot.
    from pakta.ledger import Ledger

    with Ledger(signing_ws / "pakta.db") as ledger:
        (record,) = ledger.signatures("75-gorontalo-pakta-integritas")
    assert record.slot == "kepala_daerah" and record.signer_name == "Hamka Hendra Noer"
    assert record.sha256_after == hashlib.sha256(output.read_bytes()).hexdigest()


def test_head_then_witness_both_stay_valid(signing_ws: Path, tsa_url: str,
                                           tmp_path: Path) -> None:
    assert sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--level", "B-T", "--tsa", tsa_url, "--out", "signed").returncode == 0
    result = sign(signing_ws, SIGNED, "--slot", "saksi", "--p12", "pki/witness.p12",
                  "--level", "B-T", "--tsa", tsa_url, "--in-place")
    assert result.returncode == 0, result.stderr
    status = validate(signing_ws / SIGNED, signing_ws / "pki" / "root.pem")
    assert set(status) == {"kepala_daerah", "saksi"}
    for s in status.values():
        assert s.bottom_line
        assert s.modification_level.name in ("NONE", "FORM_FILLING", "LTA_UPDATES")
    report = pdfsig(signing_ws / SIGNED, signing_ws / "pki" / "root.pem", tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 2


def test_stamp_is_drawn_in_the_slot(signing_ws: Path) -> None:
    from PIL import Image

    assert sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--out", "signed").returncode == 0
    from pyhanko.pdf_utils.reader import PdfFileReader

    with (signing_ws / SIGNED).open("rb") as f:
        sig = PdfFileReader(f).embedded_signatures[0]
        x1, y1, x2, y2 = (float(v) for v in sig.sig_field["/Rect"])
    png = signing_ws / "page"
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(signing_ws / SIGNED),
                    str(png)], check=True)
    image = Image.open(f"{png}.png").convert("L")
    box = image.crop((int(x1), int(image.height - y2), int(x2), int(image.height - y1)))
    dark = sum(box.histogram()[:128])
    assert dark > 200, "the stamp area is blank"
    text = subprocess.run(["pdftotext", str(signing_ws / SIGNED), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Ditandatangani secara elektronik oleh" in text
    assert "Pj. Gubernur Gorontalo" in text and "Menyetujui Pakta Integritas" in text
    fonts = subprocess.run(["pdffonts", str(signing_ws / SIGNED)], capture_output=True,
                           text=True, check=True).stdout.splitlines()[2:]
    assert all(line.split()[-5] == "yes" for line in fonts)  # every font embedded


@pytest.mark.parametrize(("args", "message"), [
    (["--slot", "kepala_daerah", "--p12", "pki/witness.p12", "--passphrase-file", "bad.txt"],
     "cannot open the PKCS#12 file: wrong passphrase, or not a PKCS#12 file"),
    (["--slot", "bupati", "--p12", "pki/signers/75.p12"],
     "no signature slot 'bupati' (slots: kepala_daerah, saksi)"),
    (["--slot", "saksi", "--p12", "pki/witness.p12"],
     "slot 'saksi' is signed after kepala_daerah, which is not signed yet"),
])
def test_refusals_write_nothing(signing_ws: Path, args: list[str], message: str) -> None:
    (signing_ws / "bad.txt").write_text("salah\n")
    result = sign(signing_ws, PACT, *args, "--out", "signed")
    assert result.returncode == 3, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (signing_ws / "signed").exists() or not list((signing_ws / "signed").iterdir())


def test_already_signed_not_a_pdf_and_foreign_pdf(signing_ws: Path, tmp_path: Path) -> None:
    assert sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--out", "signed").returncode == 0
    again = sign(signing_ws, SIGNED, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                 "--out", "again")
    assert again.returncode == 3 and "slot 'kepala_daerah' is already signed" in again.stderr
    (signing_ws / "notes.pdf").write_text("hello")
    bad = sign(signing_ws, "notes.pdf", "--slot", "kepala_daerah", "--p12",
               "pki/signers/75.p12")
    assert bad.returncode == 3 and "notes.pdf: not a PDF file" in bad.stderr
    foreign = tmp_path / "foreign.pdf"
    import io

    import weasyprint
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    data = weasyprint.HTML(string="<p>Surat lain</p>").write_pdf()
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    append_signature_field(writer, SigFieldSpec("lain", box=(10, 10, 100, 50)))
    writer.write(out)
    foreign.write_bytes(out.getvalue())
    refused = sign(signing_ws, str(foreign), "--slot", "lain", "--p12", "pki/signers/75.p12")
    assert refused.returncode == 3
    assert "not a document pakta rendered" in refused.stderr
    assert not (tmp_path / "foreign-signed.pdf").exists()
    allowed = sign(signing_ws, str(foreign), "--slot", "lain", "--p12", "pki/signers/75.p12",
                   "--any-pdf")
    assert allowed.returncode == 0, allowed.stderr


def test_expired_certificate_is_refused(signing_ws: Path) -> None:
    import datetime as dt

    from pakta.demo import DemoPki, issue_test_certificate

    issue_test_certificate(DemoPki(signing_ws / "pki"), signing_ws / "old.p12", "Lama",
                           PASSPHRASE.encode(),
                           not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
    result = sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "old.p12")
    assert result.returncode == 3
    assert "old.p12: the certificate expired on 2020-01-31" in result.stderr


def test_batch_reports_failures_at_the_end_and_passphrase_never_leaks(
        signing_ws: Path, tsa_url: str) -> None:
    files = sorted(str(p.relative_to(signing_ws))
                   for p in (signing_ws / "out").glob("*-pakta-integritas.pdf"))
    head = sign(signing_ws, *files, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--delegated-signer", "--out", "signed")
    # Only Gorontalo's own pact has no earlier slot problem: the others are signed too
    # (the roster check is the auditor's), so this batch fails nowhere.
    assert head.returncode == 0, head.stderr
    witness = sign(signing_ws, *sorted(str(p.relative_to(signing_ws)) for p in
                                       (signing_ws / "signed").glob("*.pdf")),
                   "out/33.76-tegal-deklarasi-netralitas.pdf", "--slot", "saksi",
                   "--p12", "pki/witness.p12", "--level", "B-T", "--tsa", tsa_url,
                   "--in-place")
    assert witness.returncode == 3  # the declaration has no witness slot
    assert "4 signed, 0 skipped, 1 failed" in witness.stderr
    assert "no signature slot 'saksi'" in witness.stderr
    everything = head.stdout + head.stderr + witness.stdout + witness.stderr
    for path in signing_ws.rglob("*"):
        if path.is_file() and path.suffix != ".p12":
            everything += path.read_bytes().decode("latin-1")
    assert PASSPHRASE not in everything


def test_keys_written_are_private(demo_pki_dir: Path) -> None:
    for p12 in demo_pki_dir.rglob("*.p12"):
        assert p12.stat().st_mode & 0o777 == 0o600
        assert b"PRIVATE KEY" not in p12.read_bytes()  # encrypted PKCS#12, not PEM


def test_certified_then_head_then_witness_respects_docmdp(signing_ws: Path, tsa_url: str,
                                                           tmp_path: Path) -> None:
    certified = sign_cmd(signing_ws, "certify", PACT, "--p12", "pki/secretariat.p12",
                         "--out", "certified")
    assert certified.returncode == 0, certified.stderr
    doc = "certified/75-gorontalo-pakta-integritas-certified.pdf"
    assert sign(signing_ws, doc, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--level", "B-T", "--tsa", tsa_url, "--in-place").returncode == 0
    witness = sign(signing_ws, doc, "--slot", "saksi", "--p12", "pki/witness.p12",
                   "--level", "B-T", "--tsa", tsa_url, "--in-place")
    assert witness.returncode == 0, witness.stderr
    status = validate(signing_ws / doc, signing_ws / "pki" / "root.pem")
    assert list(status) == ["sertifikasi", "kepala_daerah", "saksi"]
    assert status["sertifikasi"].bottom_line
    with (signing_ws / doc).open("rb") as f:
        from pyhanko.pdf_utils.reader import PdfFileReader

        certification = PdfFileReader(f).embedded_regular_signatures[0]
        assert certification.docmdp_level.name == "FILL_FORMS"
    for s in status.values():
        assert s.bottom_line and s.docmdp_ok is not False
        assert s.modification_level.name in ("NONE", "FORM_FILLING")
    report = pdfsig(signing_ws / doc, signing_ws / "pki" / "root.pem", tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 3
    # a second certification is refused: it must be the first signature
    again = sign_cmd(signing_ws, "certify", doc, "--p12", "pki/secretariat.p12",
                     "--out", "again")
    assert again.returncode == 3 and "certification signature must come before" in \
        again.stderr
    assert not (signing_ws / "again").exists()


def test_field_locks_leave_only_the_later_slots_open(signing_ws: Path) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    assert sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--out", "signed").returncode == 0
    with (signing_ws / SIGNED).open("rb") as f:
        reader = PdfFileReader(f)
        fields = {str(fld.get_object()["/T"]): fld.get_object()
                  for fld in reader.root["/AcroForm"]["/Fields"]}
        head_lock = fields["kepala_daerah"]["/Lock"]
        assert head_lock["/Action"] == "/Exclude" and list(head_lock["/Fields"]) == ["saksi"]
        assert fields["saksi"]["/Lock"]["/Action"] == "/All"
        # the head's signature carries the lock as a FieldMDP reference
        sig = reader.embedded_regular_signatures[0]
        refs = sig.sig_object["/Reference"]
        assert [r["/TransformMethod"] for r in refs] == ["/FieldMDP"]


def test_lta_renewal_keeps_earlier_signatures_valid(signing_ws: Path, tsa_url: str) -> None:
    assert sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
                "--level", "B-LTA", "--tsa", tsa_url, "--out", "signed").returncode == 0
    renewed = sign_cmd(signing_ws, "timestamp", "renew", SIGNED, "--tsa", tsa_url)
    assert renewed.returncode == 0, renewed.stderr
    output = signing_ws / "signed" / "75-gorontalo-pakta-integritas-signed-renewed.pdf"
    assert f"renewed {output.relative_to(signing_ws)}" in renewed.stdout
    assert doc_timestamps(output) == 2
    import pikepdf

    with pikepdf.open(output) as pdf:  # the timestamp widgets share an issued empty
        widgets = {str(a.T): a for a in pdf.pages[0].Annots}  # appearance: no new stream
        shared = {w.AP.N.objgen for name, w in widgets.items()
                  if name.startswith("stempel_waktu_")}
        assert shared == {widgets["saksi"].AP.N.objgen}  # the unsigned slot's
        assert widgets["saksi"].AP.N.read_bytes() == b""
    status = validate(output, signing_ws / "pki" / "root.pem")
    assert status["kepala_daerah"].bottom_line
    assert status["kepala_daerah"].modification_level.name == "LTA_UPDATES"
    timestamps = [s for name, s in status.items() if name != "kepala_daerah"]
    assert len(timestamps) == 2 and all(s.valid and s.trusted for s in timestamps)
    # a file without an archive timestamp is refused, nothing written
    plain = sign_cmd(signing_ws, "timestamp", "renew", PACT, "--tsa", tsa_url)
    assert plain.returncode == 3 and "no archive timestamp to renew" in plain.stderr
    assert not (signing_ws / "out" / "75-gorontalo-pakta-integritas-renewed.pdf").exists()


def test_b_lt_embeds_ocsp_responses_and_refuses_a_revoked_signer(
        signing_ws: Path, tsa_url: str) -> None:
    ocsp = sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "pki/test/ocsp.p12",
                "--level", "B-LT", "--tsa", tsa_url, "--any-pdf", "--delegated-signer",
                "--out", "signed")
    assert ocsp.returncode == 0, ocsp.stderr
    assert dss(signing_ws / SIGNED)["/OCSPs"] >= 1
    assert validate(signing_ws / SIGNED, signing_ws / "pki" / "root.pem")[
        "kepala_daerah"].bottom_line
    revoked = sign(signing_ws, DECL, "--slot", "kepala_daerah", "--p12",
                   "pki/test/revoked.p12", "--level", "B-LT", "--tsa", tsa_url,
                   "--delegated-signer", "--out", "signed")
    assert revoked.returncode == 3, revoked.stderr
    assert f"{DECL}: " in revoked.stderr and "revoked" in revoked.stderr.lower()
    assert not (signing_ws / "signed" / "75-gorontalo-deklarasi-netralitas-signed.pdf"
                ).exists()


@pytest.mark.parametrize("label", ["rsa", "ec"])
def test_softhsm_token_signs(signing_ws: Path, softhsm_token: dict[str, str],
                             tmp_path: Path, label: str) -> None:
    from tests.fixtures_pki import SOFTHSM_MODULE

    result = run_pakta("sign", PACT, "--slot", "kepala_daerah", "--pkcs11-module",
                       str(SOFTHSM_MODULE), "--token-label", "pakta-uji", "--key-label",
                       label, "--chain", "pki/intermediate.pem", "--any-pdf",
                       "--delegated-signer", "--out", "signed", cwd=signing_ws,
                       env=pakta_env(**softhsm_token))
    assert result.returncode == 0, result.stderr
    status = validate(signing_ws / SIGNED, signing_ws / "pki" / "root.pem")
    head = status["kepala_daerah"]
    assert head.bottom_line
    assert head.signing_cert.subject.native["common_name"] == f"Token {label}"
    assert head.pkcs7_signature_mechanism == ("sha256_rsa" if label == "rsa"
                                              else "sha256_ecdsa")
    report = pdfsig(signing_ws / SIGNED, signing_ws / "pki" / "root.pem", tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert softhsm_token["PAKTA_PIN"] not in result.stdout + result.stderr


def test_softhsm_wrong_pin_is_refused(signing_ws: Path, softhsm_token: dict[str, str]) -> None:
    from tests.fixtures_pki import SOFTHSM_MODULE

    env = pakta_env(**{**softhsm_token, "PAKTA_PIN": "0000"})
    result = run_pakta("sign", PACT, "--slot", "kepala_daerah", "--pkcs11-module",
                       str(SOFTHSM_MODULE), "--token-label", "pakta-uji", "--key-label",
                       "ec", "--out", "signed", cwd=signing_ws, env=env)
    assert result.returncode == 3
    assert f"{SOFTHSM_MODULE} token 'pakta-uji': wrong PIN" in result.stderr
    assert "0000" not in result.stderr
    assert not (signing_ws / "signed").exists()
    missing = run_pakta("sign", PACT, "--slot", "kepala_daerah", "--pkcs11-module",
                        str(SOFTHSM_MODULE), "--token-label", "pakta-uji", "--key-label",
                        "nope", "--out", "signed", cwd=signing_ws,
                        env=pakta_env(**softhsm_token))
    assert missing.returncode == 3 and "no single private key labelled 'nope'" in \
        missing.stderr


def _pdfa_problems(path: Path) -> list[str]:
    """What breaks PDF/A-3 in a signed file, read with pikepdf: a PDF 2.0 catalog or a
    PDF 2.0 extension, a widget without an appearance, Info and XMP that disagree."""
    import pikepdf

    problems = []
    with pikepdf.open(path) as pdf:
        if pdf.pdf_version > "1.7" or str(pdf.Root.get("/Version", "/1.7")) != "/1.7":
            problems.append(f"version {pdf.pdf_version} / {pdf.Root.get('/Version')}")
        extensions = set(pdf.Root.get("/Extensions", {}).keys())
        if extensions - {"/ESIC"}:
            problems.append(f"extensions {sorted(extensions)}")
        for number, page in enumerate(pdf.pages):
            for annot in page.get("/Annots", []):
                if annot.get("/Subtype") == "/Widget" and "/AP" not in annot:
                    problems.append(f"page {number + 1}: widget {annot.get('/T')} has no /AP")
        meta = pdf.open_metadata()
        if meta.pdfa_status != "3B":
            problems.append(f"XMP says PDF/A {meta.pdfa_status!r}")
        info = pdf.docinfo
        pairs = {"/Producer": "pdf:Producer", "/Title": "dc:title",
                 "/Creator": "xmp:CreatorTool", "/Keywords": "pdf:Keywords",
                 "/Subject": "dc:description", "/Author": "dc:creator"}
        for key, xmp in pairs.items():
            if key in info:
                value = meta.get(xmp)
                value = ", ".join(value) if isinstance(value, list) else value
                if str(info[key]) != str(value):
                    problems.append(f"Info {key} {str(info[key])!r} but XMP {value!r}")
        if "/ModDate" in info:
            from pikepdf.models.metadata import decode_pdf_date

            xmp_date = meta.get("xmp:ModifyDate")
            info_date = decode_pdf_date(str(info["/ModDate"]))
            if xmp_date is None or dt.datetime.fromisoformat(xmp_date) != info_date:
                problems.append(f"Info /ModDate {info_date} but XMP {xmp_date}")
    return problems


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA", "certify"])
def test_pdfa_holds_at_every_level(signing_ws: Path, tsa_url: str, tmp_path: Path,
                                   level: str) -> None:
    """PDF 1.7 with the ESIC extension only, an appearance on every widget (the
    invisible certification and document timestamp fields too), Info and XMP agreeing,
    after every signature; each output validates with pyHanko and pdfsig, and qpdf
    finds nothing wrong."""
    source, root = PACT, signing_ws / "pki" / "root.pem"
    if level == "certify":
        done = sign_cmd(signing_ws, "certify", PACT, "--p12", "pki/secretariat.p12",
                        "--out", "certified")
        assert done.returncode == 0, done.stderr
        source = "certified/75-gorontalo-pakta-integritas-certified.pdf"
        assert _pdfa_problems(signing_ws / source) == []
    args = ["--level", "B-T" if level == "certify" else level]
    if args[1] != "B-B":
        args += ["--tsa", tsa_url]
    result = sign(signing_ws, source, "--slot", "kepala_daerah", "--p12",
                  "pki/signers/75.p12", "--out", "signed", *args)
    assert result.returncode == 0, result.stderr
    output = next((signing_ws / "signed").glob("*.pdf"))
    assert _pdfa_problems(output) == []
    status = validate(output, root)
    assert all(s.bottom_line if hasattr(s, "bottom_line") else s.valid
               for s in status.values()), status
    report = pdfsig(output, root, tmp_path)
    signatures = [s for s in status.values() if hasattr(s, "bottom_line")]
    # poppler checks signatures, not document timestamps ("not yet verified")
    assert report.count("Signature Validation: Signature is Valid.") == len(signatures)
    assert "Signature is Invalid" not in report
    check = subprocess.run(["qpdf", "--check", str(output)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    if level == "B-LTA":
        renewed = sign_cmd(signing_ws, "timestamp", "renew", str(output.relative_to(
            signing_ws)), "--tsa", tsa_url)
        assert renewed.returncode == 0, renewed.stderr
        again = output.with_name(output.stem + "-renewed.pdf")
        assert _pdfa_problems(again) == []
        assert doc_timestamps(again) == 2


def test_worker_processes_sign_a_batch_and_record_every_row(signing_ws: Path) -> None:
    from pakta.ledger import Ledger, sha256_hex

    files = sorted(str(p.relative_to(signing_ws)) for p in (signing_ws / "out").glob("*.pdf"))
    result = sign(signing_ws, *files, "--slot", "kepala_daerah", "--p12",
                  "pki/witness.p12", "--jobs", "2", "--out", "signed", "--title", "Saksi",
                  "--delegated-signer")
    assert result.returncode == 0, result.stderr
    assert f"{len(files)} signed, 0 skipped, 0 failed" in result.stderr
    outputs = sorted((signing_ws / "signed").glob("*.pdf"))
    assert len(outputs) == len(files)
    assert not list((signing_ws / "signed").glob(".*.part"))
    with Ledger(signing_ws / "pakta.db") as ledger:
        rows = {r.sha256_after for r in ledger.signatures()}
    assert {sha256_hex(p.read_bytes()) for p in outputs} == rows
    root = signing_ws / "pki" / "root.pem"
    for path in outputs:
        assert validate(path, root)["kepala_daerah"].bottom_line, path


def test_classic_cross_reference_files_get_a_classic_section(signing_ws: Path,
                                                             tmp_path: Path) -> None:
    """A PDF with an xref table (here the pact rewritten by qpdf) gets a table too."""
    classic = signing_ws / "classic.pdf"
    subprocess.run(["qpdf", "--object-streams=disable", "--compress-streams=y",
                    str(signing_ws / PACT), str(classic)], check=True)
    assert b"/Type /XRef" not in classic.read_bytes()
    result = sign(signing_ws, "classic.pdf", "--slot", "kepala_daerah", "--p12",
                  "pki/signers/75.p12", "--any-pdf")
    assert result.returncode == 0, result.stderr
    output = signing_ws / "classic-signed.pdf"
    assert b"/Type /XRef" not in output.read_bytes()
    assert output.read_bytes().count(b"\nxref\n") == 2
    assert subprocess.run(["qpdf", "--check", str(output)]).returncode == 0
    assert validate(output, signing_ws / "pki" / "root.pem")["kepala_daerah"].bottom_line


def test_the_stamp_font_engine_shapes_by_glyph_and_measures_in_em() -> None:
    from pakta.sign.stamp import stamp_font
    from pakta.sign.stamp_font import StampFont

    font = StampFont.load(stamp_font())
    assert len(font.glyphs("Bupati")) == 6
    assert font.glyphs("\u4e2d") == font.glyphs("?")  # outside the Latin cut: a '?'
    widths = [font.advance[g] for g in font.glyphs("Wenda")]
    assert all(300 < w < 1000 for w in widths)  # 1000 units per em


def test_a_stamp_that_cannot_fit_its_box_is_refused_naming_the_file(signing_ws: Path) -> None:
    """A signature box too small for the stamp at 4 pt: the file fails with the reason,
    nothing is written."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    # the pact's page in a new file (not one pakta issued), with one small box
    subprocess.run(["qpdf", "--empty", "--pages", str(signing_ws / PACT), "--",
                    str(signing_ws / "page.pdf")], check=True)
    with (signing_ws / "page.pdf").open("rb") as f:
        writer = IncrementalPdfFileWriter(f)
        append_signature_field(writer, SigFieldSpec("kecil", box=(100, 100, 160, 112)))
        with (signing_ws / "tiny.pdf").open("wb") as out:
            writer.write(out)
    result = sign(signing_ws, "tiny.pdf", "--slot", "kecil", "--p12", "pki/signers/75.p12",
                  "--any-pdf", "--out", "signed")
    assert result.returncode == 4, result.stderr
    assert ("error: tiny.pdf: the signature stamp's text does not fit its box (60 x 12 pt) "
            "at 4 pt: ") in result.stderr
    assert "hint: give the signature slot a larger box in the template" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (signing_ws / "signed" / "tiny-signed.pdf").exists()


def test_a_certificate_for_authentication_only_is_refused(signing_ws: Path) -> None:
    """digitalSignature without nonRepudiation: verification would reject the
    signature (pakta.keyusage), so signing refuses it first."""
    from pakta.demo import DemoPki, issue_test_certificate

    issue_test_certificate(DemoPki(signing_ws / "pki"), signing_ws / "auth.p12", "Otentikasi",
                           PASSPHRASE.encode(), non_repudiation=False)
    result = sign(signing_ws, PACT, "--slot", "kepala_daerah", "--p12", "auth.p12",
                  "--any-pdf", "--out", "signed")
    assert result.returncode == 3, result.stderr
    assert ("auth.p12: the certificate may not sign documents (no nonRepudiation key "
            "usage)") in result.stderr
    assert not (signing_ws / "signed").exists()


def test_timestamp_service_down_is_found_before_the_batch(signing_ws: Path) -> None:
    from pakta.demo import free_port

    url = f"http://127.0.0.1:{free_port()}/tsa"
    # no passphrase anywhere: the service is checked before the key is loaded
    env = {k: v for k, v in pakta_env().items() if k != "PAKTA_PASSPHRASE"}
    result = run_pakta("sign", PACT, DECL, "--slot", "kepala_daerah", "--p12",
                       "pki/signers/75.p12", "--level", "B-T", "--tsa", url, "--out",
                       "signed", cwd=signing_ws, env=env)
    assert result.returncode == 5, result.stderr
    assert result.stderr == (f"error: {url}: cannot reach the timestamp service "
                             "(Connection refused)\n  hint: is `pakta pki serve` running?\n")
    assert not (signing_ws / "signed").exists() or not list((signing_ws / "signed").iterdir())
