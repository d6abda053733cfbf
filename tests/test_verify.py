"""Verdicts on real signed files made with the demo PKI, checked in-process.

Each case of the issue: untouched, a flipped byte, a changed page, an added annotation,
an untrusted certificate, the wrong head, an empty witness slot, the witness first, not
the issued document, a file nobody expects, an expired and a revoked certificate,
B-LT/B-LTA validation data, and malformed files. The command line is tested in
test_cli_verify.py, the report formats in test_reports.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pakta.verify import (
    COMPLETE,
    ERROR,
    FAILED,
    INCOMPLETE,
    INDETERMINATE,
    INVALID,
    PASSED,
    UNKNOWN,
    DocumentVerdict,
    VerifySettings,
    collect_pdfs,
    verify_file,
    verify_paths,
)
from tests.conftest import run_pakta
from tests.fixtures_pki import PASSPHRASE
from tests.verify_cases import (
    DECL,
    PACT,
    TEGAL_PACT,
    add_annotation,
    add_document_timestamp,
    add_dss,
    change_page,
    deflate_bomb,
    demo_crls,
    rendered,
    revoke,
    settings_for,
    sign_bytes,
    signed,
    signed_batch,  # noqa: F401  (fixture)
    timestamper,
)

NOW = dt.datetime.now(dt.UTC)


def texts(verdict: DocumentVerdict) -> tuple[str, ...]:
    """A verdict's reasons as their English sentences."""
    return tuple(r.message("en") for r in verdict.reasons)


@pytest.fixture(scope="module")
def ws(signed_batch: Path) -> Path:  # noqa: F811
    return signed_batch


@pytest.fixture(scope="module")
def batch_settings(ws: Path) -> VerifySettings:
    return settings_for(ws)


def check(tmp_path: Path, name: str, data: bytes, verify_settings: VerifySettings
          ) -> DocumentVerdict:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return verify_file(path, verify_settings)


def head_sig(verdict: DocumentVerdict):  # type: ignore[no-untyped-def]
    return next(s for s in verdict.signatures if s.field == "kepala_daerah")


def test_untouched_batch_is_complete(ws: Path, batch_settings: VerifySettings) -> None:
    batch = verify_paths(collect_pdfs([ws / "signed"]), batch_settings, workers=2)
    assert batch.ok, [d.reasons for d in batch.documents]
    assert batch.by_status == {COMPLETE: 8}
    assert not batch.heads_without_document and not batch.duplicates
    assert batch.by_province["Gorontalo"] == {COMPLETE: 2}
    assert batch.by_template == {"deklarasi-netralitas": {COMPLETE: 4},
                                 "pakta-integritas": {COMPLETE: 4}}
    pact = next(d for d in batch.documents if d.doc_id == PACT)
    assert pact.issued and pact.slots == ("kepala_daerah", "saksi")
    assert [s.indication for s in pact.signatures] == [PASSED, PASSED]
    head = head_sig(pact)
    assert head.signer_name == "Hamka Hendra Noer" and head.level == "B-T"
    assert head.timestamp_trusted is True and head.page == 1 and head.key_usage_ok
    assert head.trusted and head.intact and head.valid and len(head.cert_sha256) == 64
    assert head.issuer == "pakta Demo Signing CA" and head.revocation == "good"
    # after the head: only the witness's signature
    assert head.modification == "signatures-and-validation-data"
    witness = next(s for s in pact.signatures if s.field == "saksi")
    assert witness.signer_name == "Rahmat Bagja" and witness.modification == "none"
    assert witness.coverage == "ENTIRE_FILE" and head.coverage == "ENTIRE_REVISION"
    # NIK in the certificate's serialNumber is what matched the roster's Bupati
    bolsel = next(d for d in batch.documents if d.region_code == "71.11")
    assert head_sig(bolsel).signer_serial == "7111000000000001"
    # one process gives the same verdicts
    alone = verify_paths(collect_pdfs([ws / "signed"]), batch_settings, workers=1)
    assert [(d.path, d.status) for d in alone.documents] == \
        [(d.path, d.status) for d in batch.documents]
    for document in (*batch.documents, *alone.documents):
        assert_plain(document)


def assert_plain(value: object) -> None:
    """A verdict holds plain values only: nothing that keeps a PDF reader alive (a
    field name read from the file carries a reference to its whole document)."""
    import dataclasses
    import pickle

    if dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            assert_plain(getattr(value, item.name))
        assert len(pickle.dumps(value)) < 20_000
    elif isinstance(value, tuple):
        for item in value:
            assert_plain(item)
    else:
        assert type(value) in (str, int, float, bool, type(None)), (value, type(value))


def test_flipped_byte_is_total_failed(ws: Path, batch_settings: VerifySettings,
                                      tmp_path: Path) -> None:
    data = bytearray(signed(ws, PACT).read_bytes())
    data[2000] ^= 0x01  # inside the first revision: covered by both signatures
    verdict = check(tmp_path, PACT, bytes(data), batch_settings)
    assert verdict.status == INVALID
    assert {(s.indication, s.sub_indication) for s in verdict.signatures} == \
        {(FAILED, "HASH_FAILURE")}
    assert not verdict.issued


def test_changed_page_after_signing_is_suspicious(ws: Path, batch_settings: VerifySettings,
                                                  tmp_path: Path) -> None:
    verdict = check(tmp_path, PACT, change_page(signed(ws, PACT).read_bytes()),
                    batch_settings)
    assert verdict.status == INVALID
    assert all(s.sub_indication == "SUSPICIOUS_MODIFICATION" and s.modification == "other"
               for s in verdict.signatures)
    assert all(s.intact and s.valid for s in verdict.signatures)  # the bytes they cover


def test_annotation_over_the_page_is_suspicious(ws: Path, batch_settings: VerifySettings,
                                                tmp_path: Path) -> None:
    verdict = check(tmp_path, PACT, add_annotation(signed(ws, PACT).read_bytes()),
                    batch_settings)
    assert verdict.status == INVALID
    assert {(s.indication, s.sub_indication, s.modification) for s in verdict.signatures} \
        == {(FAILED, "SUSPICIOUS_MODIFICATION", "other")}


def test_untrusted_certificate_is_indeterminate(ws: Path, batch_settings: VerifySettings,
                                                tmp_path: Path) -> None:
    from pakta.demo import DemoPki, issue_test_certificate

    issue_test_certificate(DemoPki(ws / "pki"), tmp_path / "x.p12", "Hamka Hendra Noer",
                           PASSPHRASE.encode(), self_signed=True)
    verdict = check(tmp_path, PACT, sign_bytes(rendered(ws, PACT), "kepala_daerah",
                                               tmp_path / "x.p12"), batch_settings)
    (sig,) = verdict.signatures
    assert (sig.indication, sig.sub_indication) == (INDETERMINATE,
                                                    "NO_CERTIFICATE_CHAIN_FOUND")
    assert sig.intact and sig.valid and not sig.trusted
    assert verdict.status == INVALID and verdict.issued


def test_wrong_head_is_invalid(ws: Path, batch_settings: VerifySettings,
                               tmp_path: Path) -> None:
    data = sign_bytes(rendered(ws, PACT), "kepala_daerah",
                      ws / "pki" / "signers" / "33.76.p12")
    verdict = check(tmp_path, PACT, data, batch_settings)
    assert verdict.status == INVALID
    assert head_sig(verdict).indication == PASSED  # a good signature, by the wrong person
    assert "Signed by the wrong person: Dadang Somantri signed as the regional head, but " \
        "the roster names Hamka Hendra Noer." in texts(verdict)
    assert [r.code for r in verdict.reasons] == ["WRONG_HEAD_SIGNER"]


def test_empty_witness_slot_is_incomplete(ws: Path, batch_settings: VerifySettings,
                                          tmp_path: Path) -> None:
    data = sign_bytes(rendered(ws, TEGAL_PACT), "kepala_daerah",
                      ws / "pki" / "signers" / "33.76.p12")
    verdict = check(tmp_path, TEGAL_PACT, data, batch_settings)
    assert verdict.status == INCOMPLETE and verdict.missing_slots == ("saksi",)
    assert head_sig(verdict).indication == PASSED and head_sig(verdict).level == "B-B"
    assert head_sig(verdict).modification == "none"


def test_witness_before_head_is_out_of_order(ws: Path, batch_settings: VerifySettings,
                                             tmp_path: Path) -> None:
    data = sign_bytes(rendered(ws, PACT), "saksi", ws / "pki" / "witness.p12")
    data = sign_bytes(data, "kepala_daerah", ws / "pki" / "signers" / "75.p12")
    verdict = check(tmp_path, PACT, data, batch_settings)
    assert verdict.status == INVALID
    assert "Signed in the wrong order: the witness, then the regional head; the order " \
        "must be the regional head, then the witness." in texts(verdict)
    assert all(s.indication == PASSED for s in verdict.signatures)


def test_certification_signature_first_is_respected(ws: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from pyhanko.sign.fields import MDPPerm

    certifying = replace(settings_for(ws),
                         certification_slots={"pakta-integritas": "sertifikasi"})
    secretariat = ws / "pki" / "secretariat.p12"
    certified = sign_bytes(rendered(ws, PACT), "sertifikasi", secretariat,
                           certify=MDPPerm.FILL_FORMS)
    data = sign_bytes(certified, "kepala_daerah", ws / "pki" / "signers" / "75.p12")
    data = sign_bytes(data, "saksi", ws / "pki" / "witness.p12")
    verdict = check(tmp_path, PACT, data, certifying)
    assert verdict.status == COMPLETE, verdict.reasons
    first = verdict.signatures[0]
    assert first.field == "sertifikasi" and first.certification == "FILL_FORMS"
    assert first.indication == PASSED
    assert head_sig(verdict).certification is None
    # without the profile's certification field, the extra signature is a finding
    other = check(tmp_path, PACT, data, replace(certifying, certification_slots={}))
    assert other.status == INVALID and "A certification signature was made as the " \
        "secretariat, which is not the signing profile's certification field." in texts(other)
    # an annotation after a "form filling only" certification breaks it
    broken = check(tmp_path, PACT, add_annotation(data), certifying)
    assert broken.status == INVALID
    assert (broken.signatures[0].indication, broken.signatures[0].sub_indication) == \
        (FAILED, "SUSPICIOUS_MODIFICATION")
    assert any("certification" in d for d in broken.signatures[0].details)


def test_not_the_issued_document_and_unknown_file(ws: Path, batch_settings: VerifySettings,
                                                  tmp_path: Path) -> None:
    # The same head's pact re-rendered from a changed template, signed validly.
    other = tmp_path / "other"
    shutil.copytree(ws, other, ignore=shutil.ignore_patterns("signed", "out", "pakta.db"))
    template = Path(__file__).parent.parent / "templates" / "pakta-integritas.html.j2"
    (other / "templates").mkdir(exist_ok=True)
    (other / "templates" / "pakta-integritas.html.j2").write_text(
        template.read_text().replace("Menolak politik uang", "Menerima politik uang"))
    result = run_pakta("render", "--only", "75", "-t", "pakta-integritas", cwd=other)
    assert result.returncode == 0, result.stderr
    data = sign_bytes((other / "out" / f"{PACT}.pdf").read_bytes(), "kepala_daerah",
                      ws / "pki" / "signers" / "75.p12")
    data = sign_bytes(data, "saksi", ws / "pki" / "witness.p12")
    changed = check(tmp_path, f"{PACT}-signed", data, batch_settings)
    assert changed.status == INVALID and not changed.issued
    assert texts(changed)[0].startswith("This is not the document the secretariat issued")
    assert [s.indication for s in changed.signatures] == [PASSED, PASSED]
    unknown = check(tmp_path, "surat-lain", data, batch_settings)
    assert unknown.status == UNKNOWN and unknown.doc_id is None
    batch = verify_paths([tmp_path / "surat-lain.pdf"], batch_settings)
    assert batch.unexpected == (str(tmp_path / "surat-lain.pdf"),) and not batch.ok


def test_expired_before_signing(ws: Path, batch_settings: VerifySettings,
                                tmp_path: Path) -> None:
    """A certificate already expired when the signature was made: without a timestamp
    there is no proof of when (INDETERMINATE); a trusted timestamp after the expiry
    proves it was too late (TOTAL-FAILED / EXPIRED)."""
    from pakta.demo import DemoPki, issue_test_certificate

    issue_test_certificate(DemoPki(ws / "pki"), tmp_path / "old.p12", "Hamka Hendra Noer",
                           PASSPHRASE.encode(),
                           not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
    plain = check(tmp_path, f"{DECL}-a", sign_bytes(rendered(ws, DECL), "kepala_daerah",
                                                    tmp_path / "old.p12"), batch_settings)
    (sig,) = plain.signatures
    assert (sig.indication, sig.sub_indication) == (INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")
    stamped = sign_bytes(rendered(ws, DECL), "kepala_daerah", tmp_path / "old.p12",
                         stamper=timestamper(ws))
    (sig,) = check(tmp_path, f"{DECL}-b", stamped, batch_settings).signatures
    assert (sig.indication, sig.sub_indication) == (FAILED, "EXPIRED")
    assert sig.timestamp_trusted and sig.level == "B-T"


def test_revoked_certificate_from_a_crl(ws: Path, tmp_path: Path) -> None:
    head_p12 = ws / "pki" / "signers" / "75.p12"
    crl = revoke(ws, head_p12, tmp_path / "ca.crl", NOW - dt.timedelta(hours=1))
    data = sign_bytes(rendered(ws, DECL), "kepala_daerah", head_p12)
    # fail closed: no revocation data at all is not a pass
    without = check(tmp_path, DECL, data, settings_for(ws, ()))
    unchecked = head_sig(without)
    assert unchecked.revocation == "unknown"
    assert (unchecked.indication, unchecked.sub_indication) == (INDETERMINATE, "TRY_LATER")
    assert without.status == INVALID
    assert [r.code for r in without.reasons] == ["SIGNATURE_NOT_PASSED"]
    # ... unless the auditor accepts it for an offline audit, by name
    accepted = check(tmp_path, DECL, data, settings_for(ws, (),
                                                         accept_unchecked_revocation=True))
    assert accepted.status == COMPLETE and head_sig(accepted).revocation == "unknown"
    root_crl = demo_crls(ws / "pki")[1]  # the intermediate's status: the root's CRL
    verdict = check(tmp_path, DECL, data, settings_for(ws, [crl, root_crl]))
    sig = head_sig(verdict)
    assert sig.revoked and sig.revocation == "revoked" and sig.revocation_date
    assert (sig.indication, sig.sub_indication) == (FAILED, "REVOKED")
    assert verdict.status == INVALID
    # the same CRL, but for another certificate: this one is good
    other = revoke(ws, ws / "pki" / "signers" / "71.p12", tmp_path / "other.crl", NOW)
    good = head_sig(check(tmp_path, DECL, data, settings_for(ws, [other, root_crl])))
    assert good.indication == PASSED and good.revocation == "good"


def test_revoked_after_a_trusted_timestamp_still_passes(ws: Path, tmp_path: Path) -> None:
    """Past signature validation: the timestamp proves the signature existed before the
    revocation."""
    head_p12 = ws / "pki" / "signers" / "75.p12"
    crl = revoke(ws, head_p12, tmp_path / "ca.crl", NOW - dt.timedelta(hours=1))
    data = sign_bytes(rendered(ws, DECL), "kepala_daerah", head_p12,
                      stamper=timestamper(ws, NOW - dt.timedelta(hours=2)))
    verdict = check(tmp_path, DECL, data, settings_for(ws, [crl, demo_crls(ws / "pki")[1]]))
    sig = head_sig(verdict)
    assert sig.revoked and sig.indication == PASSED, sig
    assert any("valid at the timestamp" in d for d in sig.details)


def test_revocation_data_in_the_file_and_b_lta(ws: Path, batch_settings: VerifySettings,
                                               tmp_path: Path) -> None:
    head_p12 = ws / "pki" / "signers" / "75.p12"
    # B-LT: the signing CA's CRL in the DSS, listing this head: revoked, offline
    crl = revoke(ws, head_p12, tmp_path / "ca.crl", NOW - dt.timedelta(hours=1))
    data = sign_bytes(rendered(ws, DECL), "kepala_daerah", head_p12,
                      stamper=timestamper(ws))
    lt = check(tmp_path, f"{DECL}-lt", add_dss(data, [crl.read_bytes()]), batch_settings)
    sig = head_sig(lt)
    assert sig.level == "B-LT" and sig.revocation == "revoked"
    assert (sig.indication, sig.sub_indication) == (FAILED, "REVOKED")
    # B-LTA: a CRL listing someone else, then a document timestamp over everything
    other = revoke(ws, ws / "pki" / "signers" / "71.p12", tmp_path / "o.crl", NOW)
    lta = add_document_timestamp(add_dss(signed(ws, DECL).read_bytes(),
                                         [other.read_bytes()]), timestamper(ws))
    verdict = check(tmp_path, f"{DECL}-lta", lta, batch_settings)
    assert verdict.status == COMPLETE, verdict.reasons
    sig = head_sig(verdict)
    assert sig.level == "B-LTA" and sig.revocation == "good" and sig.indication == PASSED
    assert sig.modification == "signatures-and-validation-data"
    (stamp,) = verdict.document_timestamps
    assert stamp.kind == "document-timestamp" and stamp.indication == PASSED
    assert stamp.signer_name == "pakta Test Timestamp Authority"
    assert len(verdict.signatures) == 1  # a document timestamp fills no slot


def test_malformed_files_become_error_rows(ws: Path, batch_settings: VerifySettings,
                                          tmp_path: Path) -> None:
    good = signed(ws, PACT).read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "truncated.pdf").write_bytes(good[: len(good) // 2])
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "random.pdf").write_bytes(os.urandom(40_000))
    (bad / "pdf-header-then-noise.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(5000))
    subprocess.run(["qpdf", "--encrypt", "u", "o", "256", "--", str(signed(ws, PACT)),
                    str(bad / "encrypted.pdf")], check=True)
    (bad / "bomb.pdf").write_bytes(deflate_bomb(good))
    # the signed file cut inside its signature revision
    (bad / "cut-short.pdf").write_bytes(good[: len(rendered(ws, PACT)) + 700])
    shutil.copy(signed(ws, DECL), bad / "good.pdf")
    batch = verify_paths(collect_pdfs([bad]), batch_settings, workers=2)
    rows = {Path(d.path).name: d for d in batch.documents}
    assert rows["good.pdf"].status == COMPLETE  # the batch goes on
    for name in ("truncated.pdf", "empty.pdf", "random.pdf", "encrypted.pdf", "bomb.pdf",
                 "pdf-header-then-noise.pdf"):
        assert rows[name].status in (ERROR, INVALID), (name, rows[name])
        assert not any(s.passed for s in rows[name].signatures), name
    assert texts(rows["empty.pdf"]) == ("The file is not a PDF.",)
    assert texts(rows["random.pdf"]) == ("The file is not a PDF.",)
    assert texts(rows["encrypted.pdf"]) == ("The file is encrypted, so it cannot be checked.",)
    assert rows["bomb.pdf"].status == ERROR
    cut = rows["cut-short.pdf"]  # not the unsigned first revision, INCOMPLETE
    assert cut.status == ERROR and texts(cut)[0].startswith("The file is cut short or damaged: ")
    assert set(batch.errors) >= {str(bad / "empty.pdf"), str(bad / "bomb.pdf")}
    assert not batch.ok


def test_time_limit_turns_a_slow_file_into_an_error_row(ws: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    hasty = replace(settings_for(ws), time_limit=0.001)
    verdict = verify_file(signed(ws, PACT), hasty, limited=True)
    assert verdict.status == ERROR and "could not be checked within" in texts(verdict)[0]
    assert verify_file(signed(ws, PACT), settings_for(ws)).status == COMPLETE


def test_a_plain_library_call_sets_no_limit_and_no_signal_handler(ws: Path) -> None:
    """Limits are a worker's: a library call leaves the caller's process as it was."""
    import resource
    import signal
    from dataclasses import replace

    before = (signal.getsignal(signal.SIGALRM), resource.getrlimit(resource.RLIMIT_AS))
    hasty = replace(settings_for(ws), time_limit=0.001)
    assert verify_file(signed(ws, PACT), hasty).status == COMPLETE  # no time limit
    assert (signal.getsignal(signal.SIGALRM), resource.getrlimit(resource.RLIMIT_AS)) \
        == before


def test_a_batch_run_in_the_callers_thread_is_limited_by_a_watchdog_child(
        ws: Path, tmp_path: Path) -> None:
    """A batch in the caller's process (or a Dask worker's thread, where signals do not
    work) runs each file in a watchdog child: the time limit holds there too."""
    import threading
    from dataclasses import replace

    hasty = replace(settings_for(ws), time_limit=0.001)
    files = [signed(ws, PACT), signed(ws, DECL)]
    results: list[DocumentVerdict] = []
    worker = threading.Thread(target=lambda: results.extend(
        verify_paths(files, hasty).documents))
    worker.start()
    worker.join(60)
    assert [d.status for d in results] == [ERROR, ERROR], results
    assert all("could not be checked within 0.001 seconds" in texts(d)[0] for d in results)
    assert results[0].doc_id == PACT  # the row keeps the document
    batch = verify_paths(files, settings_for(ws))  # the same files, in time: complete
    assert [d.status for d in batch.documents] == [COMPLETE, COMPLETE]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_time_up_lost_in_a_garbage_collector_callback_still_ends_the_file(
        ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception raised inside a gc callback or a finaliser is only reported: the
    alarm repeats until the time-up reaches `verify_file`."""
    import gc
    import time
    from dataclasses import replace

    from pakta.verify import documents

    original = documents._verify
    lost = []

    def busy(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass

    def callback(phase: str, info: object) -> None:
        if phase == "start" and not lost:
            lost.append(phase)
            busy(0.3)  # the first alarm goes off in here and is swallowed

    def slow(*args):  # type: ignore[no-untyped-def]
        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(callback)
        busy(2.0)
        return original(*args)

    monkeypatch.setattr(documents, "_verify", slow)
    hasty = replace(settings_for(ws), time_limit=0.1)
    started = time.monotonic()
    verdict = verify_file(signed(ws, PACT), hasty, limited=True)
    assert lost and verdict.status == ERROR, verdict
    assert "could not be checked within" in texts(verdict)[0]
    assert time.monotonic() - started < 1.5


def test_duplicates_and_missing_documents(ws: Path, batch_settings: VerifySettings,
                                          tmp_path: Path) -> None:
    shutil.copy(signed(ws, PACT), tmp_path / "a.pdf")
    shutil.copy(signed(ws, PACT), tmp_path / "b.pdf")
    batch = verify_paths(collect_pdfs([tmp_path, tmp_path / "a.pdf"]), batch_settings)
    assert len(batch.documents) == 2  # a file named twice is checked once
    assert batch.duplicates == (PACT,)
    assert DECL in batch.heads_without_document and len(batch.heads_without_document) == 7
    assert {code for code, _, _ in batch.heads_missing} == {"71", "71.11", "33.76"}
    assert not batch.ok


def test_missing_trust_root_is_bad_input(tmp_path: Path) -> None:
    from pakta.errors import InputError
    from pakta.verify import load_crls, load_trust_roots

    with pytest.raises(InputError, match="cannot read the trust root"):
        load_trust_roots([tmp_path / "nope.pem"])
    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    with pytest.raises(InputError, match="not an X.509 certificate"):
        load_trust_roots([tmp_path / "junk.pem"])
    with pytest.raises(InputError, match="not a certificate revocation list"):
        load_crls([tmp_path / "junk.pem"])


def test_revoked_by_ocsp_online(ws: Path, pki_services: object, tmp_path: Path) -> None:
    """The demo services answer OCSP for the `revoked` test certificate: offline there is
    no revocation data; `online` fetches it."""
    from dataclasses import replace

    from pakta.demo import DemoPki

    revoked_p12 = DemoPki(ws / "pki").test_p12("revoked")
    data = sign_bytes(rendered(ws, DECL), "kepala_daerah", revoked_p12)
    offline = head_sig(check(tmp_path, f"{DECL}-off", data, settings_for(ws, ())))
    assert offline.revocation == "unknown" and not offline.revoked
    assert (offline.indication, offline.sub_indication) == (INDETERMINATE, "TRY_LATER")
    online = head_sig(check(tmp_path, f"{DECL}-on", data,
                            replace(settings_for(ws, ()), online=True)))
    assert online.revoked and online.revocation == "revoked", online
    assert (online.indication, online.sub_indication) in (
        (FAILED, "REVOKED"), (INDETERMINATE, "REVOKED_NO_POE"))
    good = sign_bytes(rendered(ws, DECL), "kepala_daerah", ws / "pki" / "signers" / "75.p12")
    fetched = head_sig(check(tmp_path, f"{DECL}-good", good,
                             replace(settings_for(ws, ()), online=True)))
    assert fetched.revocation == "good" and fetched.indication == PASSED, fetched


def test_a_worker_killed_by_a_file_does_not_stop_the_batch(
        ws: Path, batch_settings: VerifySettings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from pakta.verify import batch as verify_batch
    from pakta.verify import documents, limits

    original = documents._verify
    monkeypatch.setattr(limits, "_enabled", True)  # as the pakta command: forked workers

    def deadly(path, *args):  # type: ignore[no-untyped-def]
        if path.name == "0-killer.pdf":
            os.kill(os.getpid(), signal.SIGKILL)  # like a crash in a native library
        return original(path, *args)

    monkeypatch.setattr(documents, "_verify", deadly)
    isolated = []
    alone = verify_batch._verify_isolated

    def counted(path, settings):  # type: ignore[no-untyped-def]
        isolated.append(path)
        return alone(path, settings)

    monkeypatch.setattr(verify_batch, "_verify_isolated", counted)
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(signed(ws, PACT), folder / "0-killer.pdf")
    for copy in range(3):  # enough files for more chunks than are ever in flight
        for p in sorted((ws / "signed").glob("*.pdf")):
            shutil.copy(p, folder / f"{copy}-{p.name}")
    files = collect_pdfs([folder])
    batch = verify_paths(files, batch_settings, workers=2)
    rows = {Path(d.path).name: d for d in batch.documents}
    assert [d.path for d in batch.documents] == [str(p) for p in files]
    assert len(rows) == 25
    assert rows["0-killer.pdf"].status == ERROR
    assert [r.code for r in rows["0-killer.pdf"].reasons] == ["PROCESS_DIED"]
    assert sum(d.status == COMPLETE for d in batch.documents) == 24
    # only the files in flight when the worker died were checked one by one
    assert len(isolated) <= 2 * (verify_batch.IN_FLIGHT_PER_WORKER + 1) < 25


def test_b_lt_and_b_lta_from_pakta_sign_verify_offline(ws: Path, pki_services: object,
                                                       tmp_path: Path) -> None:
    """`pakta sign` at B-LT / B-LTA puts the revocation data in the DSS: offline
    verification finds the level, uses that data, and checks the document timestamp."""
    from tests.fixtures_pki import sign

    work = tmp_path / "lt"
    shutil.copytree(ws, work, ignore=shutil.ignore_patterns("signed"))
    for level in ("B-LT", "B-LTA"):
        sign(work, [f"out/{DECL}.pdf"], "kepala_daerah", "pki/signers/75.p12", "--level",
             level, "--tsa", str(pki_services.tsa), "--out", level)  # type: ignore[attr-defined]
        verdict = verify_file(work / level / f"{DECL}-signed.pdf", settings_for(ws))
        assert verdict.status == COMPLETE, (level, verdict.reasons)
        sig = head_sig(verdict)
        assert sig.level == level and sig.revocation == "good", sig
        assert sig.modification in ("none", "signatures-and-validation-data")
        stamps = verdict.document_timestamps
        assert len(stamps) == (1 if level == "B-LTA" else 0)
        assert all(t.indication == PASSED for t in stamps)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_file_that_finishes_after_its_only_alarm_was_swallowed_is_still_over_time(
        ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether the time-up reached the verifier must not decide the verdict: every
    alarm lands in a gc callback here, and the file then verifies quickly."""
    import gc
    import time
    from dataclasses import replace

    from pakta.verify import documents, limits

    original = documents._verify
    monkeypatch.setattr(limits, "ALARM_REPEAT_S", 30.0)  # no second chance

    def callback(phase: str, info: object) -> None:
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            pass

    def swallowing(*args):  # type: ignore[no-untyped-def]
        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(callback)
        return original(*args)

    monkeypatch.setattr(documents, "_verify", swallowing)
    verdict = verify_file(signed(ws, PACT), replace(settings_for(ws), time_limit=0.05),
                          limited=True)
    assert verdict.status == ERROR and "could not be checked within" in texts(verdict)[0], verdict


LIBRARIES = ("pyhanko", "pyhanko_certvalidator", "asn1crypto", "pydyf")


def _library_attribute_assignments(source: str) -> list[str]:
    """`x.attr = ...` (or `setattr(x, ...)`) where `x` is a name imported from pyHanko,
    asn1crypto or pydyf, or an attribute of one."""
    import ast

    tree = ast.parse(source)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names
                         if a.name.split(".")[0] in LIBRARIES}
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] in LIBRARIES:
            imported |= {a.asname or a.name for a in node.names}

    def rooted(expr: ast.expr) -> bool:
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        return isinstance(expr, ast.Name) and expr.id in imported

    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "setattr" and node.args and rooted(node.args[0]):
            found.append(f"line {node.lineno}: setattr")
        found += [f"line {node.lineno}: {ast.unparse(t)}" for t in targets
                  if isinstance(t, ast.Attribute) and rooted(t.value)]
    return found


def test_no_assignment_to_a_library_attribute_in_pakta() -> None:
    """pakta uses pyHanko, asn1crypto and pydyf through their APIs, never by patching
    them (the check itself is tested on a patch like the ones that were removed)."""
    import pakta

    assert _library_attribute_assignments(
        "from asn1crypto import x509\nx509.Name.__eq__ = lambda a, b: True\n"
        "from pyhanko.pdf_utils import generic as g\ng.read_hex_string_from_stream = 1\n"
        "import pydyf\nsetattr(pydyf, 'x', 1)\n") == [
        "line 2: x509.Name.__eq__", "line 4: g.read_hex_string_from_stream",
        "line 6: setattr"]
    root = Path(pakta.__file__).parent
    offenders = {str(p.relative_to(root)): found for p in sorted(root.rglob("*.py"))
                 if (found := _library_attribute_assignments(p.read_text("utf-8")))}
    assert offenders == {}


def test_slots_that_cannot_be_read_are_an_error_not_a_default(ws: Path) -> None:
    """No silent fallback: a template whose slots are unknown is not checked against a
    default set of slots."""
    from dataclasses import replace

    from pakta.errors import PaktaError
    from pakta.verify import template_slots

    verdict = verify_file(signed(ws, PACT), replace(settings_for(ws), slots={}))
    assert verdict.status == ERROR and verdict.doc_id == PACT
    assert [(r.code, dict(r.params)) for r in verdict.reasons] == [
        ("SLOTS_UNKNOWN", {"template": "pakta-integritas"})]
    with pytest.raises(PaktaError):
        template_slots("no-such-template")
