"""A new user's session, through the real command line, in Indonesian and in English:
init, roster check, render, the demo PKI, sign, verify, status. In Indonesian, none of
the command line's English sentences shows; its Indonesian ones do."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import run_pakta
from tests.fixtures_pki import PASSPHRASE

# What the English session says and the Indonesian one says instead.
SENTENCES = {
    "en": ["wrote ", "next: cd ", "heads OK (", " rendered, 0 overwritten, 0 unchanged, "
           "0 failed -> ", "demo PKI in ", "trust root: ", "the passphrase is the one in",
           "signed signed/75-gorontalo-pakta-integritas-signed.pdf",
           "1 signed, 0 skipped, 0 failed", "note: no --tsa",
           "error: out/71-sulawesi-utara-pakta-integritas.pdf: slot 'kepala_daerah' is for ",
           "  hint: use the key of ", "error: 1 of 1 file failed"],
    "id": ["ditulis: ", "selanjutnya: cd ", "kepala daerah BAIK (", " dibuat, 0 ditimpa, "
           "0 tidak berubah, 0 gagal -> ", "PKI demo di ", "akar kepercayaan: ",
           "frasa sandinya adalah isi", "ditandatangani: signed/75-gorontalo-pakta-"
           "integritas-signed.pdf", "1 ditandatangani, 0 dilewati, 0 gagal",
           "catatan: tanpa --tsa",
           "galat: out/71-sulawesi-utara-pakta-integritas.pdf: slot 'kepala_daerah' untuk ",
           "  saran: gunakan kunci milik ", "galat: 1 dari 1 berkas gagal"],
}


def session(folder: Path, lang: str) -> str:
    """Every line the session printed, stdout and stderr, in order of the commands."""
    env = {**{k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LANG")},
           "PAKTA_PASSPHRASE": PASSPHRASE}
    said: list[str] = []

    def pakta(*args: str, code: int = 0, cwd: Path | None = None) -> str:
        result = run_pakta("--lang", lang, *args, cwd=cwd or folder / "ws", env=env)
        assert result.returncode == code, (args, result.stderr)
        assert "Traceback" not in result.stderr
        said.append(result.stdout + result.stderr)
        return result.stdout + result.stderr

    pakta("init", "ws", cwd=folder)
    pakta("roster", "check", "roster.csv")
    pakta("render", "--only", "75", "--only", "71", "--template", "pakta-integritas")
    pakta("pki", "demo")
    pakta("sign", "out/75-gorontalo-pakta-integritas.pdf", "--slot", "kepala_daerah",
          "--p12", "pki/signers/75.p12", "--out", "signed")
    # a slip: Gorontalo's key on North Sulawesi's pact
    pakta("sign", "out/71-sulawesi-utara-pakta-integritas.pdf", "--slot", "kepala_daerah",
          "--p12", "pki/signers/75.p12", "--out", "signed", code=3)
    pakta("verify", "signed", "--output", "report.json", "--format", "json", code=1)
    pakta("status", "--output", "status.json", "--format", "json")
    return "\n".join(said)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {lang: session(tmp_path_factory.mktemp(f"session-{lang}"), lang)
            for lang in ("en", "id")}


def test_a_new_users_session_in_english(sessions: dict[str, str]) -> None:
    for sentence in SENTENCES["en"]:
        assert sentence in sessions["en"]


def test_a_new_users_session_in_indonesian_has_no_english(sessions: dict[str, str]) -> None:
    for sentence in SENTENCES["id"]:
        assert sentence in sessions["id"]
    for sentence in SENTENCES["en"]:
        assert sentence not in sessions["id"], sentence


ENGLISH_WORDS = {"the", "of", "is", "for", "wrote", "next", "failed",
                 "skipped", "error", "hint", "note", "signed", "rendered",
                 "heads", "certificate", "passphrase", "key", "use", "if", "pass",
                 "records", "behalf", "unchanged", "overwritten", "trust", "root"}


def test_no_english_word_in_the_indonesian_session(sessions: dict[str, str]) -> None:
    """Words outside paths and options: none of the English of pakta's messages."""
    words = {w.lower() for line in sessions["id"].splitlines() for w in
             re.findall(r"(?<![\w/.\-`'])[A-Za-z]+(?![\w/.\-`'])", line)}
    english = {w.lower() for line in sessions["en"].splitlines() for w in
               re.findall(r"(?<![\w/.\-`'])[A-Za-z]+(?![\w/.\-`'])", line)}
    assert english >= ENGLISH_WORDS  # the check sees what the English session says
    assert words & ENGLISH_WORDS == set()
