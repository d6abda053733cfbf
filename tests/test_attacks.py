"""The published PDF-signature attacks against a signed pact (tests/attack_corpus.py):
each gets its verdict and finding code, in one `pakta verify` run and file by file, and
`pakta sign` refuses a pact changed before signing."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.attack_corpus import EXPECTED, corpus, whiteout
from tests.conftest import run_pakta
from tests.fixtures_pki import PASSPHRASE, pakta_env, sign

PACT = "75-gorontalo-pakta-integritas"


@pytest.fixture(scope="module")
def attack_ws(rendered_workspace: Path, demo_pki_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the pact signed by its head and the witness (`pakta sign`) and
    the attack corpus in attacks/."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    ws = tmp_path_factory.mktemp("attacks") / "ws"
    shutil.copytree(rendered_workspace, ws)
    db = sqlite3.connect(ws / "pakta.db")
    db.execute("UPDATE documents SET path = replace(path, ?, ?)",
               (str(rendered_workspace), str(ws)))
    db.commit()
    db.close()
    shutil.copytree(demo_pki_dir, ws / "pki")
    sign(ws, [f"out/{PACT}.pdf"], "kepala_daerah", "pki/signers/75.p12", "--out", "signed")
    sign(ws, [f"signed/{PACT}-signed.pdf"], "saksi", "pki/witness.p12", "--in-place")
    keys = {slot: signers.SimpleSigner.load_pkcs12(str(ws / "pki" / p12),
                                                   passphrase=PASSPHRASE.encode())
            for slot, p12 in (("kepala_daerah", "signers/75.p12"),
                              ("saksi", "witness.p12"))}

    def pyhanko_sign(data: bytes, slot: str) -> bytes:
        out = io.BytesIO()
        signers.PdfSigner(signers.PdfSignatureMetadata(
            field_name=slot, subfilter=fields.SigSeedSubFilter.PADES),
            signer=keys[slot]).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)),
                                        output=out)
        return out.getvalue()

    cases = corpus((ws / "out" / f"{PACT}.pdf").read_bytes(),
                   (ws / "signed" / f"{PACT}-signed.pdf").read_bytes(), pyhanko_sign)
    (ws / "attacks").mkdir()
    for name, data in cases.items():
        (ws / "attacks" / f"{name}.pdf").write_bytes(data)
    return ws


@pytest.fixture(scope="module")
def settings(attack_ws: Path) -> object:
    from tests.verify_cases import settings_for

    return settings_for(attack_ws)


LIBRARY_WORDS = ("Error", "asn1crypto", "pyhanko", "Traceback", "ContentInfo",
                 "Insufficient data", "must be string-like")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_attack_gets_its_verdict_and_code(attack_ws: Path, settings: object,
                                               case: str) -> None:
    from pakta.verify import verify_file

    status, code = EXPECTED[case]
    verdict = verify_file(attack_ws / "attacks" / f"{case}.pdf", settings)  # type: ignore[arg-type]
    codes = [r.code for r in verdict.reasons]
    assert verdict.status == status, (case, codes)
    assert (code in codes) if code else codes == [], (case, codes)
    assert verdict.doc_id == PACT  # the document is named, never lost to an ERROR row
    for reason in verdict.reasons:
        assert not any(word in reason.message("en") for word in LIBRARY_WORDS), reason


@pytest.mark.parametrize("case", ["field-added-over-page", "field-added-invisible"])
def test_a_field_added_after_signing_fails_both_signatures(attack_ws: Path, settings: object,
                                                           case: str) -> None:
    """The field locks lock fields that do not exist yet: a new field with a new
    appearance stream is a change neither signature allows."""
    from pakta.verify import verify_file

    verdict = verify_file(attack_ws / "attacks" / f"{case}.pdf", settings)  # type: ignore[arg-type]
    assert [(s.field, s.indication, s.sub_indication) for s in verdict.signatures] == [
        (slot, "TOTAL-FAILED", "SUSPICIOUS_MODIFICATION") for slot in ("kepala_daerah",
                                                                       "saksi")]


def test_corpus_in_one_verify_run(attack_ws: Path) -> None:
    result = run_pakta("verify", "attacks", "--trust", "pki/root.pem", "--format", "json",
                       cwd=attack_ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    documents = {Path(d["path"]).stem: d for d in json.loads(result.stdout)["documents"]}
    assert set(documents) == set(EXPECTED)
    for case, (status, code) in EXPECTED.items():
        d = documents[case]
        codes = [f["code"] for f in d["findings"]]
        assert (d["status"], code in codes or not code) == (status, True), (case, codes)
        assert d["doc_id"] == PACT
        assert d["reasons"] == [f["message"] for f in d["findings"]]
        assert d["seconds"] < 30
    destroyed = documents["witness-contents-missing"]["findings"][0]
    assert destroyed == {"code": "SIGNATURE_DESTROYED",
                         "params": {"slot": "saksi", "document": PACT},
                         "message": f"The signature of the witness in {PACT} is destroyed "
                                    "or forged: its signature data cannot be read."}
    title = documents["title-after-signing"]
    assert title["reasons"] == ["The document's title was changed after it was signed."]
    presign = documents["presign-whiteout"]
    assert presign["reasons"] == [
        "The document was changed after it was issued and before the regional head signed "
        "it: the signed document is not the one the secretariat issued."]


def test_verdicts_read_in_indonesian(attack_ws: Path) -> None:
    result = run_pakta("--lang", "id", "verify", "attacks/title-after-signing.pdf",
                       "attacks/two-roots.pdf", "--trust", "pki/root.pem", cwd=attack_ws)
    assert result.returncode == 1, result.stderr
    assert "Judul dokumen diubah setelah ditandatangani." in result.stdout
    assert "Struktur berkas ambigu" in result.stdout


def test_an_error_row_keeps_the_document(attack_ws: Path, settings: object,
                                         tmp_path: Path) -> None:
    from pakta.verify import ERROR, verify_file

    signed = (attack_ws / "signed" / f"{PACT}-signed.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(signed[:-200])  # inside the witness's revision
    verdict = verify_file(cut, settings)  # type: ignore[arg-type]
    assert verdict.status == ERROR
    assert verdict.doc_id == PACT and verdict.head == "Dr. Ir. Hamka Hendra Noer, M.Si"
    assert [r.code for r in verdict.reasons] == ["CUT_SHORT"]


@pytest.mark.parametrize("attack", [whiteout])
def test_sign_refuses_a_pact_changed_before_signing(
        signing_ws: Path, attack: Callable[[bytes], bytes]) -> None:
    from pakta.ledger import Ledger

    source = signing_ws / "changed.pdf"
    source.write_bytes(attack((signing_ws / "out" / f"{PACT}.pdf").read_bytes()))
    with Ledger(signing_ws / "pakta.db") as ledger:
        before = len(ledger.signatures())
    result = run_pakta("sign", "changed.pdf", "--slot", "kepala_daerah", "--p12",
                       "pki/signers/75.p12", "--out", "signed", cwd=signing_ws,
                       env=pakta_env())
    assert result.returncode == 3, result.stderr
    assert "error: changed.pdf: The document was changed after the secretariat issued it, " \
        "by an update that is not a signature; pakta signs only the issued document." \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert not (signing_ws / "signed").exists()
    with Ledger(signing_ws / "pakta.db") as ledger:
        assert len(ledger.signatures()) == before


def test_sign_refuses_the_witness_after_a_change_between_signatures(
        signing_ws: Path) -> None:
    from tests.attack_corpus import info_title

    sign(signing_ws, [f"out/{PACT}.pdf"], "kepala_daerah", "pki/signers/75.p12",
         "--out", "signed")
    head_signed = (signing_ws / "signed" / f"{PACT}-signed.pdf").read_bytes()
    (signing_ws / "retitled.pdf").write_bytes(info_title(head_signed))
    result = run_pakta("sign", "retitled.pdf", "--slot", "saksi", "--p12",
                       "pki/witness.p12", "--out", "witness", cwd=signing_ws,
                       env=pakta_env())
    assert result.returncode == 3, result.stderr
    assert "error: retitled.pdf: The document was changed after the secretariat issued " \
        "it" in result.stderr
    assert not (signing_ws / "witness").exists()
