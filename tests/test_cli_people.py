"""The command line for the people who use it (issue 14): the signer checked against the
slot's person, services checked before the batch, prompts and progress that tell the
truth, in Indonesian and English."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_pakta
from tests.fixtures_pki import PASSPHRASE, pakta_env

PACT = "out/75-gorontalo-pakta-integritas.pdf"
TEGAL = "out/33.76-tegal-pakta-integritas.pdf"


def pakta(ws: Path, lang: str, *args: str, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    return run_pakta("--lang", lang, *args, cwd=ws, env=env or pakta_env())


MISMATCH = {
    "en": (f"error: {TEGAL}: slot 'kepala_daerah' is for Dadang Somantri, but the "
           "certificate is Hamka Hendra Noer's\n"
           "  hint: use the key of Dadang Somantri; if Hamka Hendra Noer signs on their "
           "behalf, pass --delegated-signer (the ledger records it)\n"),
    "id": (f"galat: {TEGAL}: slot 'kepala_daerah' untuk Dadang Somantri, tetapi "
           "sertifikatnya milik Hamka Hendra Noer\n"
           "  saran: gunakan kunci milik Dadang Somantri; jika Hamka Hendra Noer "
           "menandatangani atas namanya, gunakan --delegated-signer (buku besar "
           "mencatatnya)\n"),
}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_head_cannot_sign_another_heads_document(signing_ws: Path, lang: str) -> None:
    result = pakta(signing_ws, lang, "sign", TEGAL, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--out", "signed")
    assert result.returncode == 3, result.stderr
    assert MISMATCH[lang] in result.stderr
    assert result.stdout == ""
    assert not (signing_ws / "signed").exists()


def test_a_delegate_signs_when_told_and_the_ledger_says_for_whom(signing_ws: Path) -> None:
    result = pakta(signing_ws, "en", "sign", TEGAL, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--out", "signed", "--delegated-signer")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(signing_ws / "pakta.db")
    rows = db.execute("SELECT doc_id, signer_name, delegated_for FROM signatures").fetchall()
    assert rows == [("33.76-tegal-pakta-integritas", "Hamka Hendra Noer", "Dadang Somantri")]
    text = subprocess.run(["pdftotext", "-layout",
                           str(signing_ws / "signed" / "33.76-tegal-pakta-integritas-signed.pdf"),
                           "-"], capture_output=True, text=True, check=True).stdout
    assert "a.n. Pj. Wali Kota Tegal" in text  # "atas nama": signed for the head


def test_the_own_head_signs_and_titles_do_not_matter(signing_ws: Path) -> None:
    # the roster's "Dr. Ir. Hamka Hendra Noer, M.Si" is the certificate's "Hamka Hendra Noer"
    result = pakta(signing_ws, "en", "sign", PACT, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--out", "signed")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(signing_ws / "pakta.db")
    assert db.execute("SELECT delegated_for FROM signatures").fetchall() == [(None,)]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_witness_slot_is_the_configured_witness(signing_ws: Path, lang: str) -> None:
    head = pakta(signing_ws, lang, "sign", PACT, "--slot", "kepala_daerah", "--p12",
                 "pki/signers/75.p12", "--out", "signed")
    assert head.returncode == 0, head.stderr
    signed = "signed/75-gorontalo-pakta-integritas-signed.pdf"
    wrong = pakta(signing_ws, lang, "sign", signed, "--slot", "saksi", "--p12",
                  "pki/signers/71.p12", "--in-place")
    assert wrong.returncode == 3
    expected = {"en": f"error: {signed}: slot 'saksi' is for Rahmat Bagja, but the "
                      "certificate is Yohanes Lamba's\n",
                "id": f"galat: {signed}: slot 'saksi' untuk Rahmat Bagja, tetapi "
                      "sertifikatnya milik Yohanes Lamba\n"}[lang]
    assert expected in wrong.stderr


def test_names_and_identifiers_are_matched_without_titles() -> None:
    from pakta.identity import Person, person, same_person

    roster = person("Hi. Iskandar Kamaru, S.Pt, M.Si", "7111000000000001", None)
    assert same_person(roster, person("ISKANDAR  KAMARU", "7111000000000001"))
    assert same_person(roster, Person("iskandar kamaru"))  # no NIK in the certificate
    assert not same_person(roster, person("Iskandar Kamaru", "7111000000000002"))
    # a NIP (18 digits) is not compared with a NIK (16 digits)
    assert same_person(roster, person("Iskandar Kamaru", "197001012000031001"))
    assert not same_person(roster, Person("Iskandar Kamarudin"))


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Invalid value for '--tsa': 'notaurl' is not an http:// or https:// URL, "
           "e.g. http://127.0.0.1:8765/tsa"),
    ("id", "Nilai tidak sah untuk '--tsa': 'notaurl' bukan URL http:// atau https://, "
           "misalnya http://127.0.0.1:8765/tsa"),
])
def test_a_tsa_that_is_not_a_url_is_refused_before_the_key_is_loaded(
        signing_ws: Path, lang: str, expected: str) -> None:
    env = {k: v for k, v in pakta_env().items() if k != "PAKTA_PASSPHRASE"}
    result = pakta(signing_ws, lang, "sign", PACT, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--tsa", "notaurl", env=env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "PAKTA_PASSPHRASE" not in result.stderr  # the key was never asked for


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "error: {url}: cannot reach the timestamp service (Connection refused)\n"
           "  hint: is `pakta pki serve` running?\n"),
    ("id", "galat: {url}: layanan cap waktu tidak dapat dihubungi (Connection refused)\n"
           "  saran: apakah `pakta pki serve` sedang berjalan?\n"),
])
def test_a_refused_tsa_is_found_before_the_batch(signing_ws: Path, lang: str,
                                                 expected: str) -> None:
    from pakta.demo import free_port

    url = f"http://127.0.0.1:{free_port()}/tsa"
    result = pakta(signing_ws, lang, "sign", PACT, "--slot", "kepala_daerah", "--p12",
                   "pki/signers/75.p12", "--tsa", url, "--out", "signed")
    assert result.returncode == 5
    assert result.stderr == expected.format(url=url)
    assert not (signing_ws / "signed").exists()


@pytest.mark.parametrize("lang", ["en", "id"])
def test_output_to_files_has_no_bare_progress_line(signing_ws: Path, lang: str) -> None:
    (signing_ws / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really")
    result = pakta(signing_ws, lang, "sign", "broken.pdf", "--slot", "kepala_daerah",
                   "--p12", "pki/signers/75.p12", "--out", "signed")
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert lines[1:] == {
        "en": ["error: broken.pdf: not a readable PDF (PdfReadError)",
               "0 signed, 0 skipped, 1 failed", "error: 1 of 1 file failed"],
        "id": ["galat: broken.pdf: bukan PDF yang dapat dibaca (PdfReadError)",
               "0 ditandatangani, 0 dilewati, 1 gagal", "galat: 1 dari 1 berkas gagal"],
    }[lang]
    assert lines[0].startswith(("note:", "catatan:"))


def test_the_passphrase_prompt_names_the_key_file(signing_ws: Path) -> None:
    """In a terminal, the hidden prompt says which key it unlocks."""
    import os
    import pty
    import sys

    env = {k: v for k, v in pakta_env().items() if k != "PAKTA_PASSPHRASE"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: pakta on a real terminal
        os.chdir(signing_ws)
        os.execve(sys.executable, [sys.executable, "-m", "pakta", "--lang", "id", "sign",
                                   PACT, "--slot", "kepala_daerah", "--p12",
                                   "pki/signers/75.p12", "--out", "signed"], env)
    seen = b""
    while b"Frasa sandi untuk pki/signers/75.p12: " not in seen:
        chunk = os.read(fd, 1024)
        assert chunk, seen
        seen += chunk
    os.write(fd, PASSPHRASE.encode() + b"\r")
    rest = b""
    try:
        while chunk := os.read(fd, 4096):
            rest += chunk
    except OSError:
        pass  # the terminal closes when pakta exits
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    assert PASSPHRASE.encode() not in seen + rest
    assert b"ditandatangani: signed/75-gorontalo-pakta-integritas-signed.pdf" in rest


def _outcomes(tmp_path: Path, failed: int, ok: int) -> list[object]:
    from pakta.signing import SignOutcome

    return ([SignOutcome(tmp_path / f"bad{i}.pdf", None, f"bad{i}.pdf: not a PDF file", 3)
             for i in range(failed)] +
            [SignOutcome(tmp_path / f"ok{i}.pdf", tmp_path / f"ok{i}-signed.pdf")
             for i in range(ok)])


@pytest.mark.parametrize(("lang", "left", "expected"), [
    ("en", 0, "interrupted after the last file: 2 signed, 1 failed; no file is left to "
              "sign"),
    ("id", 0, "dihentikan setelah berkas terakhir: 2 ditandatangani, 1 gagal; tidak ada "
              "lagi berkas yang perlu ditandatangani"),
    ("en", 2, "interrupted: 2 signed, 1 failed, 2 files not signed yet; run the same "
              "command again to sign them"),
    ("id", 2, "dihentikan: 2 ditandatangani, 1 gagal, 2 berkas belum ditandatangani; "
              "jalankan perintah yang sama sekali lagi untuk menandatanganinya"),
])
def test_ctrl_c_says_what_is_left_and_names_the_failed_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, left: int,
        expected: str) -> None:
    from pakta.cli import batch, sign
    from pakta.errors import Interrupted
    from pakta.i18n import language, set_language

    outcomes = _outcomes(tmp_path, failed=1, ok=2)
    files = tuple(tmp_path / f"f{i}.pdf" for i in range(len(outcomes) + left))

    def interrupted_batch(step):  # type: ignore[no-untyped-def]
        for outcome in outcomes:
            step(outcome)
        raise KeyboardInterrupt

    before = language()
    set_language(lang)
    try:
        with pytest.raises(Interrupted) as stopped:
            batch.run(files, sign.words(), interrupted_batch)
    finally:
        set_language(before)
    assert stopped.value.message == expected and stopped.value.exit_code == 130
    prefix = {"en": "error", "id": "galat"}[lang]
    assert capsys.readouterr().err == f"{prefix}: bad0.pdf: not a PDF file\n"


def test_every_option_has_help() -> None:
    import click

    from pakta.cli import main

    def walk(command: click.Command, path: str) -> list[str]:
        missing = [f"{path} {p.name}" for p in command.params
                   if isinstance(p, click.Option) and not p.help]
        if not command.help:
            missing.append(path)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(main, "pakta") == []


def test_no_exit_bypasses_the_error_tree() -> None:
    cli = Path(__file__).resolve().parent.parent / "pakta" / "cli"
    found = [f"{p.name}: {line.strip()}" for p in cli.glob("*.py")
             for line in p.read_text().splitlines() if re.search(r"SystemExit|sys\.exit", line)]
    assert found == []
    declared = [p.name for p in cli.glob("*.py") if '"--workspace"' in p.read_text()]
    assert declared == ["options.py"]
