"""`pakta sign` / `certify` / `pki` on the command line: refusals (message, exit code,
nothing written), outputs, secrets, batches."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_pakta
from tests.fixtures_pki import PASSPHRASE, pakta_env

PACT = "out/75-gorontalo-pakta-integritas.pdf"
SIGNED = Path("signed/75-gorontalo-pakta-integritas-signed.pdf")


def pakta(ws: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_pakta(*args, cwd=ws, env=pakta_env(**env))


def nothing_written(ws: Path) -> bool:
    signed = ws / "signed"
    parts = list(ws.rglob("*.part"))
    return not parts and (not signed.exists() or not any(signed.iterdir()))


@pytest.mark.parametrize(("p12", "message"), [
    ("expired", "the certificate expired on"),
    ("not-yet-valid", "the certificate is not valid before"),
    ("no-signing-usage", "the certificate may not sign documents (no nonRepudiation key "
                         "usage)"),
])
def test_unusable_certificates_are_refused(signing_ws: Path, p12: str, message: str) -> None:
    result = pakta(signing_ws, "sign", PACT, "--slot", "kepala_daerah", "--p12",
                   f"pki/test/{p12}.p12", "--out", "signed")
    assert result.returncode == 3, result.stderr
    assert f"error: pki/test/{p12}.p12: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert nothing_written(signing_ws)


def _pem_of(p12: Path, key_out: Path, cert_out: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), PASSPHRASE.encode())
    assert key is not None and cert is not None
    key_out.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    cert_out.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_pem_key_signs_and_a_mismatched_key_is_refused(signing_ws: Path) -> None:
    pki = signing_ws / "pki"
    _pem_of(pki / "signers" / "75.p12", signing_ws / "75.key", signing_ws / "75.crt")
    _pem_of(pki / "signers" / "71.p12", signing_ws / "71.key", signing_ws / "71.crt")
    wrong = pakta(signing_ws, "sign", PACT, "--slot", "kepala_daerah", "--key", "75.key",
                  "--cert", "71.crt", "--chain", "pki/intermediate.pem", "--out", "signed")
    assert wrong.returncode == 3
    assert "error: 75.key: the key does not match the certificate 71.crt" in wrong.stderr
    assert nothing_written(signing_ws)
    right = pakta(signing_ws, "sign", PACT, "--slot", "kepala_daerah", "--key", "75.key",
                  "--cert", "75.crt", "--chain", "pki/intermediate.pem", "--out", "signed")
    assert right.returncode == 0, right.stderr
    assert f"signed {SIGNED}" in right.stdout


def test_encrypted_pdf_is_refused(signing_ws: Path) -> None:
    subprocess.run(["qpdf", "--encrypt", "u", "o", "256", "--", PACT, "locked.pdf"],
                   cwd=signing_ws, check=True)
    result = pakta(signing_ws, "sign", "locked.pdf", "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--any-pdf")
    assert result.returncode == 3
    assert "error: locked.pdf: the PDF is encrypted" in result.stderr
    assert not (signing_ws / "locked-signed.pdf").exists()


def test_outside_a_workspace_needs_any_pdf(signing_ws: Path, tmp_path: Path) -> None:
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "pact.pdf").write_bytes((signing_ws / PACT).read_bytes())
    p12 = str(signing_ws / "pki" / "signers" / "75.p12")
    refused = pakta(lone, "sign", "pact.pdf", "--slot", "kepala_daerah", "--p12", p12)
    assert refused.returncode == 3
    assert "pact.pdf: no ledger to tell whether pakta rendered this document" in \
        refused.stderr
    assert not (lone / "pact-signed.pdf").exists()
    allowed = pakta(lone, "sign", "pact.pdf", "--slot", "kepala_daerah", "--p12", p12,
                    "--any-pdf")
    assert allowed.returncode == 0, allowed.stderr
    assert (lone / "pact-signed.pdf").is_file()


def test_existing_output_needs_overwrite_and_in_place_is_atomic(signing_ws: Path) -> None:
    args = ("sign", PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
            "--out", "signed")
    assert pakta(signing_ws, *args).returncode == 0
    first = (signing_ws / SIGNED).read_bytes()
    # the same command again: the output is this input signed with this key, so kept
    again = pakta(signing_ws, *args)
    assert again.returncode == 0, again.stderr
    assert f"skipped {SIGNED} (already signed)" in again.stdout
    assert "0 signed, 1 skipped, 0 failed" in again.stderr
    assert (signing_ws / SIGNED).read_bytes() == first
    # another key's command, or an output that is some other file: never overwritten
    other = pakta(signing_ws, *args[:4], "--p12", "pki/witness.p12", "--out", "signed")
    assert other.returncode == 3
    assert f"error: {SIGNED}: exists; pass --overwrite to replace it" in other.stderr
    assert (signing_ws / SIGNED).read_bytes() == first
    assert pakta(signing_ws, *args, "--overwrite").returncode == 0
    assert (signing_ws / SIGNED).read_bytes() != first
    # in place: the witness signs the signed file itself; no temporary file stays
    before = (signing_ws / SIGNED).read_bytes()
    witness = pakta(signing_ws, "sign", str(SIGNED), "--slot", "saksi", "--p12",
                    "pki/witness.p12", "--in-place")
    assert witness.returncode == 0, witness.stderr
    after = (signing_ws / SIGNED).read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert not list((signing_ws / "signed").glob(".*.part"))
    both = pakta(signing_ws, "sign", PACT, "--slot", "saksi", "--p12", "pki/witness.p12",
                 "--in-place", "--out", "x")
    assert both.returncode == 2 and "--in-place and --out exclude each other" in both.stderr


def test_passphrase_sources(signing_ws: Path) -> None:
    (signing_ws / "secret.txt").write_text(PASSPHRASE + "\n")
    env = {k: v for k, v in pakta_env().items() if k != "PAKTA_PASSPHRASE"}
    args = ("sign", PACT, "--slot", "kepala_daerah", "--p12", "pki/signers/75.p12",
            "--out", "signed")
    none = run_pakta(*args, cwd=signing_ws, env=env, input="")
    assert none.returncode == 2 and (
        "error: no passphrase for pki/signers/75.p12: set PAKTA_PASSPHRASE") in none.stderr
    from_file = run_pakta(*args, "--passphrase-file", "secret.txt", cwd=signing_ws, env=env)
    assert from_file.returncode == 0, from_file.stderr
    # there is no way to give it as an argument
    argv = run_pakta(*args, "--passphrase", PASSPHRASE, cwd=signing_ws, env=env)
    assert argv.returncode == 2 and "No such option '--passphrase'" in argv.stderr


def test_levels_above_b_b_need_a_timestamp_service(signing_ws: Path) -> None:
    result = pakta(signing_ws, "sign", PACT, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--level", "B-T", "--out", "signed")
    assert result.returncode == 3
    assert "level B-T needs a timestamp service: --tsa URL" in result.stderr
    assert nothing_written(signing_ws)


def test_profile_level_applies_when_a_tsa_is_given(signing_ws: Path, tsa_url: str) -> None:
    from tests.fixtures_pki import validate

    result = pakta(signing_ws, "sign", PACT, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--tsa", tsa_url, "--out", "signed")
    assert result.returncode == 0, result.stderr
    status = validate(signing_ws / SIGNED, signing_ws / "pki" / "root.pem")
    assert status["kepala_daerah"].timestamp_validity is not None  # the profile's B-T


def test_pki_demo_writes_a_private_passphrase(make_workspace: object) -> None:
    ws = make_workspace()  # type: ignore[operator]
    env = {k: v for k, v in pakta_env().items() if k != "PAKTA_PASSPHRASE"}
    result = run_pakta("pki", "demo", cwd=ws, env=env)
    assert result.returncode == 0, result.stderr
    secret = ws / "pki" / "passphrase.txt"
    assert f"the passphrase is in {secret} (mode 0600)" in result.stderr
    assert secret.stat().st_mode & 0o777 == 0o600
    passphrase = secret.read_text().strip()
    assert passphrase not in result.stdout + result.stderr
    assert "heads, witness, secretariat, TSA, OCSP responder" in result.stdout
    for p12 in (ws / "pki").rglob("*.p12"):
        assert p12.stat().st_mode & 0o777 == 0o600
    for key in (ws / "pki" / "keys").glob("*.key.pem"):
        assert key.stat().st_mode & 0o777 == 0o600
        assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED " + b"PRIVATE KEY")
    assert passphrase not in (ws / "pki" / "certomancer.yml").read_text()


def test_pki_serve_runs_until_stopped(signing_ws: Path) -> None:
    import sys
    import time
    import urllib.request

    from pakta.demo import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "pakta", "pki", "serve", "--port",
                               str(port)], cwd=signing_ws, env=pakta_env(),
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        assert line.startswith(f"tsa:  http://127.0.0.1:{port}/pakta/tsa/tsa"), line
        for _ in range(50):
            try:
                index = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read()
                break
            except OSError:
                time.sleep(0.1)
        assert b"pakta demo PKI services" in index
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_b_b_batch_in_worker_processes(signing_ws: Path) -> None:
    from pakta.ledger import Ledger
    from tests.fixtures_pki import validate

    pacts = sorted(str(p.relative_to(signing_ws))
                   for p in (signing_ws / "out").glob("*-pakta-integritas.pdf"))
    (signing_ws / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really")
    result = pakta(signing_ws, "sign", *pacts, "broken.pdf", "--slot", "kepala_daerah",
                   "--p12", "pki/signers/75.p12", "--level", "B-B", "--jobs", "2",
                   "--delegated-signer", "--out", "signed")
    assert result.returncode == 3
    assert f"{len(pacts)} signed, 0 skipped, 1 failed" in result.stderr
    assert "error: broken.pdf: not a readable PDF" in result.stderr
    signed = sorted((signing_ws / "signed").glob("*.pdf"))
    assert len(signed) == len(pacts)
    for path in signed:
        assert validate(path, signing_ws / "pki" / "root.pem")["kepala_daerah"].bottom_line
    with Ledger(signing_ws / "pakta.db") as ledger:
        assert len(ledger.signatures()) == len(pacts)
