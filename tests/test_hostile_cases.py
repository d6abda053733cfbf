"""Hostile and broken inputs: pakta never crashes, never hangs, never passes a changed file.

The cases and their outcomes here are the table in SECURITY.md: the last test fails when
the two disagree (run `python -m tests.test_hostile_cases` to print the table).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROSTER_HEADER, pdf_of

ROOT = Path(__file__).resolve().parent.parent

# (input, what pakta does) — each row is checked by a test in this suite.
CASES = [
    ("workspace template loading `/etc/passwd`, `file:///` or `../../etc/passwd`",
     "render refused, exit 3, nothing written (tests/test_sandbox.py)"),
    ("workspace template loading `http://127.0.0.1:...`",
     "render refused, exit 3; the server sees no request (tests/test_sandbox.py)"),
    ("roster value with HTML markup (`<img src=...>`, `<b>Budi</b> & Co`)",
     "rendered literally, escaped (tests/test_sandbox.py, tests/test_render.py)"),
    ("render killed with SIGKILL half-way",
     "every visible PDF whole and in the ledger; rerun renders only the rest "
     "(tests/test_resilience.py)"),
    ("Ctrl-C during a render", "stops, exit 130, summary; done files kept "
     "(tests/test_resilience.py)"),
    ("three processes writing one ledger", "every row kept, no 'database is locked' "
     "(tests/test_resilience.py)"),
    ("full disk (tmpfs) or read-only output folder",
     "clear error, exit 4, earlier outputs intact, no partial file (tests/test_resilience.py)"),
    ("signed PDF with random byte flips, truncations, inserted bytes or appended updates "
     "(hypothesis)", "verify never crashes and never reports TOTAL-PASSED for changed "
     "signed bytes (tests/test_hostile_cases.py)"),
    ("truncated, empty, random-bytes and encrypted files",
     "verify: an ERROR row each, the batch goes on, exit 1 (tests/test_verify.py)"),
    ("a signature whose certificate's revocation status cannot be established "
     "(offline, no CRL)",
     "INDETERMINATE / TRY_LATER, document INVALID, unless "
     "`--accept-unchecked-revocation`, which the report names (tests/test_verify.py, "
     "tests/test_cli_verify.py)"),
    ("incremental update that changes the page after signing",
     "TOTAL-FAILED / SUSPICIOUS_MODIFICATION, document INVALID (tests/test_verify.py)"),
    ("garbage or non-pakta PDF given to `pakta sign`",
     "refused with the reason, exit 3, nothing written (tests/test_signing.py)"),
    ("wrong passphrase, expired certificate, unknown or signed slot, witness first",
     "refused, exit 3, nothing written (tests/test_signing.py)"),
    ("passphrase in a whole signing batch",
     "absent from stdout, stderr, every file and the ledger (tests/test_signing.py)"),
    ("signer certificate revoked, signing at B-LT",
     "refused with the validator's reason, exit 3, nothing written (tests/test_signing.py)"),
    ("PEM key that does not match its certificate",
     "refused, exit 3, nothing written (tests/test_cli_sign.py)"),
    ("encrypted PDF given to `pakta sign`",
     "refused, exit 3, nothing written (tests/test_cli_sign.py)"),
    ("certification of a document that already has approval signatures",
     "refused: a certification signature comes first; exit 3, nothing written "
     "(tests/test_signing.py)"),
    ("random bytes, truncated rendered PDFs and PDFs with a mangled header given to "
     "`pakta sign` (hypothesis)",
     "refused with the reason per file, exit 3, no traceback, nothing written, no ledger "
     "row (tests/test_hostile_cases.py)"),
    ("signed PDF cut short within 1 KB after its first revision, given to `pakta sign`",
     "refused: 'cut short or damaged: N bytes after the last %%EOF', exit 3, nothing "
     "written, no ledger row (tests/test_hostile_cases.py)"),
    ("signed PDF cut short inside its signature revision, given to `pakta verify`",
     "an ERROR row CUT_SHORT 'The file is cut short or damaged: ...', never the "
     "earlier revision's verdict; the batch goes on (tests/test_verify.py)"),
    ("random bytes, truncated rendered or signed PDFs and PDFs with a mangled header "
     "given to `pakta collect` (hypothesis)",
     "refused with the reason per file (a file cut short inside a later revision: "
     "bytes after the last %%EOF), exit 3, no traceback; left in the inbox unchanged, "
     "nothing filed, no ledger row (tests/test_hostile_cases.py)"),
    ("file that takes longer than `pakta verify --time-limit` (150,000 form fields)",
     "an ERROR row TIME_LIMIT 'The file could not be checked within 3 seconds' after "
     "about the limit; the next file is "
     "verified in full (tests/test_hostile_cases.py)"),
    ("sign batch killed with SIGKILL half-way",
     "every visible PDF whole and verified, the ledger's rows match them; the same "
     "command again skips those outputs byte for byte and signs only the rest "
     "(tests/test_resilience.py)"),
    ("Ctrl-C during `pakta sign`",
     "stops, exit 130, 'run the same command again to finish', no partial file; the "
     "rerun finishes (tests/test_resilience.py)"),
    ("two `pakta sign` batches, or two `pakta collect` runs, on one workspace at once",
     "both finish, every signature and collected row kept, no 'database is locked' "
     "(tests/test_concurrency.py)"),
    ("two `pakta collect` runs at once on versions of the same documents",
     "each signature recorded once, the copy with the most signatures filed "
     "(tests/test_concurrency.py)"),
    ("pact changed after issue, then signed by the head and the witness: page text "
     "whited out, a hidden overlay annotation, an optional-content layer, a shadow "
     "catalog, a new title (incremental saving / shadow attacks)",
     "INVALID / CHANGED_BEFORE_SIGNING 'The document was changed after it was issued and "
     "before the regional head signed it' (tests/test_attacks.py)"),
    ("update after both signatures whose trailer holds two `/Root` keys (a shadow "
     "catalog with a forged page)",
     "INVALID / AMBIGUOUS_TRAILER_KEY 'The file's structure is ambiguous: ...' "
     "(tests/test_attacks.py)"),
    ("`/Info /Title` changed after both signatures",
     "INVALID / TITLE_CHANGED 'The document's title was changed after it was signed.' "
     "(tests/test_attacks.py)"),
    ("a new signature field added after both signatures with its own appearance: over "
     "the commitments, or on an invisible widget",
     "INVALID / SIGNATURE_NOT_PASSED: both signatures TOTAL-FAILED / "
     "SUSPICIOUS_MODIFICATION, the field locks written at the first signature lock new "
     "fields too (tests/test_attacks.py)"),
    ("the witness's signature dictionary replaced by bogus values; its `/Contents` or "
     "`/ByteRange` missing, empty, null or zeroed; the head's `/Contents` zeroed in place "
     "(universal signature forgery)",
     "INVALID / SIGNATURE_DESTROYED naming the slot and the document, never INCOMPLETE "
     "or an ERROR row with library text (tests/test_attacks.py)"),
    ("pact changed after issue given to `pakta sign` (before the head, or a new title "
     "before the witness)",
     "refused: 'changed since the secretariat issued it ...', exit 3, nothing written, "
     "no ledger row (tests/test_attacks.py)"),
    ("signature dictionary with a second `/Contents` hidden in a string, a comment or "
     "an escaped name, hex with whitespace, odd digits or stray characters, a stream "
     "(hypothesis)",
     "read exactly as pyHanko reads it: the one-pass /Contents reader is used only where "
     "it can prove the same result (tests/test_signed_reader.py)"),
]


def table() -> str:
    rows = ["| hostile input | outcome |", "|---|---|"]
    rows += [f"| {case} | {outcome} |" for case, outcome in CASES]
    return "\n".join(rows)


@pytest.fixture(scope="module")
def signed_pact(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, object]:
    """One pact signed by its head, and the verification settings that trust it."""
    import weasyprint  # noqa: F401  (warm import outside hypothesis' deadline)
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from pakta.config import init_workspace, load_workspace
    from pakta.demo import create_demo_pki
    from pakta.ledger import Ledger
    from pakta.render import plan_jobs, render_batch
    from pakta.roster import load_roster
    from pakta.verify import make_settings

    folder = tmp_path_factory.mktemp("hostile") / "ws"
    init_workspace(folder)
    (folder / "roster.csv").write_text(
        ROSTER_HEADER + "75,provinsi,Gorontalo,Gorontalo,Hamka Hendra Noer,Pj.,,\n")
    ws = load_workspace(folder)
    heads = load_roster(ws.roster)
    with Ledger(ws.ledger) as ledger:
        render_batch(plan_jobs(heads, ["deklarasi-netralitas"], ws.out),
                     template_dir=ws.template_dir, event=ws.event, witness=ws.witness,
                     ledger=ledger)
        verify_settings = make_settings([],
                                        ledger, heads, ws.witness.name)
    pki = create_demo_pki(ws.pki_dir, heads, ws.witness.name, b"x")
    signer = signers.SimpleSigner.load_pkcs12(str(pki.head_p12("75")), passphrase=b"x")
    writer = IncrementalPdfFileWriter(io.BytesIO(
        (ws.out / "75-gorontalo-deklarasi-netralitas.pdf").read_bytes()))
    out = io.BytesIO()
    signers.PdfSigner(signers.PdfSignatureMetadata(
        field_name="kepala_daerah", subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer).sign_pdf(writer, output=out)
    from dataclasses import replace

    from pakta.verify import load_trust_roots

    verify_settings = replace(verify_settings, trust_roots=load_trust_roots([pki.root_pem]))
    return out.getvalue(), verify_settings


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("append"), st.integers(0, 3), st.just(0)),
)
APPENDED = [b"1 0 obj\n<<>>\nendobj\n%%EOF\n",
            b"\n999 0 obj\n<</Length 5/Filter/FlateDecode>>stream\nxxxxx\nendstream\nendobj\n",
            b"trailer\n<</Root 1 0 R/Size 2>>\nstartxref\n0\n%%EOF\n",
            b"%PDF-1.7\n" * 50]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_pacts_never_crash_or_pass(signed_pact: tuple[bytes, object],
                                           changes: list[tuple[str, int, int]],
                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    from pakta.verify import PASSED, verify_file

    original, verify_settings = signed_pact
    data = bytearray(original)
    import re

    # The bytes the signature covers: its /ByteRange (everything but its own /Contents).
    a, b, c, d = (int(x) for x in re.search(
        rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", original).groups())  # type: ignore[union-attr]
    for kind, where, value in changes:
        position = where % max(len(data), 1)
        if kind == "flip":
            if not data:
                continue
            data[position] ^= value
        elif kind == "truncate":
            del data[position:]
        elif kind == "insert":
            data.insert(position, value)
        else:
            data += APPENDED[where]
    path = tmp_path_factory.mktemp("m") / "75-gorontalo-deklarasi-netralitas.pdf"
    path.write_bytes(bytes(data))
    verdict = verify_file(path, verify_settings)  # type: ignore[arg-type]
    changed_signed_bytes = (bytes(data[a:a + b]) != original[a:a + b]
                            or bytes(data[c:c + d]) != original[c:c + d])
    if changed_signed_bytes:
        assert not any(s.indication == PASSED for s in verdict.signatures), verdict
        assert verdict.status != "COMPLETE"


# ---------------------------------------------------------------------------------------
# Garbage handed to `pakta sign` and `pakta collect` (real processes, few examples: each
# is a whole command run)

PACT = "out/75-gorontalo-pakta-integritas.pdf"


def _pdf_end(data: bytes) -> int:
    """Cuts up to here break the file's last %%EOF marker: never a whole file."""
    return data.rindex(b"%%EOF") + len(b"%%EOF") - 1


# (kind, where, value): where and value are reduced modulo the sizes they apply to
garbage = st.one_of(
    st.tuples(st.just("random"), st.binary(max_size=4000), st.just(0)),
    st.tuples(st.just("cut-rendered"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("header"), st.integers(0, 7), st.integers(1, 255)),
)
cut_signed = st.tuples(st.just("cut-signed"), st.integers(0, 10**6), st.just(0))


def make_garbage(kind: str, where: object, value: int, rendered: bytes,
                 signed: bytes = b"") -> bytes:
    if kind == "random":
        assert isinstance(where, bytes)
        return where
    assert isinstance(where, int)
    if kind == "cut-rendered":
        return rendered[:where % _pdf_end(rendered)]
    if kind == "cut-signed":
        # anywhere but the exact end of the first revision (that is the issued file)
        cut = where % _pdf_end(signed)
        return signed[:cut if cut != len(rendered) else cut - 1]
    mangled = bytearray(rendered)  # "header": one byte of `%PDF-1.7` changed
    mangled[where] ^= value
    return bytes(mangled)


def write_garbage(folder: Path, inputs: list[bytes]) -> dict[str, bytes]:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    files = {f"{folder.name}/{n}.pdf": data for n, data in enumerate(inputs)}
    for name, data in files.items():
        (folder.parent / name).write_bytes(data)
    return files


def ledger_rows(ws: Path) -> tuple[int, int]:
    from pakta.ledger import Ledger

    with Ledger(ws / "pakta.db") as ledger:
        return len(ledger.signatures()), len(ledger.collected())


def refused_each(stderr: str, files: dict[str, bytes], prefix: str,
                 reasons: tuple[str, ...]) -> None:
    """Every file has its own refusal line: `<prefix><file>: <one of reasons>...`."""
    lines = stderr.splitlines()
    for name in files:
        line = next((x for x in lines if x.startswith(f"{prefix}{name}: ")), None)
        assert line is not None, (name, stderr)
        assert line[len(prefix) + len(name) + 2:].startswith(reasons), line


SIGN_REFUSALS = ("not a PDF file", "not a readable PDF (PdfReadError)",
                 "not a document pakta rendered (its first revision matches nothing in "
                 "the ledger)")


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inputs=st.lists(garbage, min_size=1, max_size=6))
@example(inputs=[("random", b"", 0), ("header", 0, 1), ("header", 5, 0x20),
                 ("cut-rendered", 3000, 0)])
def test_sign_refuses_garbage_and_writes_nothing(
        signing_ws: Path, inputs: list[tuple[str, object, int]]) -> None:
    from tests.conftest import run_pakta
    from tests.fixtures_pki import pakta_env

    rendered = (signing_ws / PACT).read_bytes()
    files = write_garbage(signing_ws / "garbage",
                          [make_garbage(*case, rendered) for case in inputs])
    before = ledger_rows(signing_ws)
    result = run_pakta("sign", *files, "--slot", "kepala_daerah", "--p12",
                       "pki/signers/75.p12", "--out", "signed", cwd=signing_ws,
                       env=pakta_env())
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    refused_each(result.stderr, files, "error: ", SIGN_REFUSALS)
    assert f"0 signed, 0 skipped, {len(files)} failed" in result.stderr
    assert result.stdout == ""
    assert not (signing_ws / "signed").exists()
    assert not list((signing_ws / "garbage").glob("*-signed.pdf"))
    assert ledger_rows(signing_ws) == before


def test_sign_refuses_a_signed_pdf_cut_short(signing_ws: Path) -> None:
    from tests.conftest import run_pakta
    from tests.fixtures_pki import pakta_env

    args = ("--slot", "kepala_daerah", "--p12", "pki/signers/75.p12")
    first = run_pakta("sign", PACT, *args, "--out", "signed", cwd=signing_ws,
                      env=pakta_env())
    assert first.returncode == 0, first.stderr
    rendered = (signing_ws / PACT).read_bytes()
    signed = (signing_ws / "signed" / "75-gorontalo-pakta-integritas-signed.pdf").read_bytes()
    cut = signing_ws / "cut.pdf"
    cut.write_bytes(signed[:len(rendered) + 500])  # inside the signature revision
    before = ledger_rows(signing_ws)
    result = run_pakta("sign", "cut.pdf", *args, "--out", "again", cwd=signing_ws,
                       env=pakta_env())
    assert "Traceback" not in result.stderr
    assert not (signing_ws / "again").exists()
    assert ledger_rows(signing_ws) == before
    assert result.returncode == 3 and "error: cut.pdf: cut short or damaged: " in result.stderr


COLLECT_REFUSALS = ("The file is not a PDF.", "The file cannot be read as a PDF.",
                    "This file matches no document the secretariat issued.",
                    "The file is cut short or damaged: ")


@pytest.fixture
def signed_copy(signing_ws: Path) -> bytes:
    """Gorontalo's pact signed by its head, kept outside the workspace's folders."""
    from tests.conftest import run_pakta
    from tests.fixtures_pki import pakta_env

    result = run_pakta("sign", PACT, "--slot", "kepala_daerah", "--p12",
                       "pki/signers/75.p12", "--out", "away", cwd=signing_ws,
                       env=pakta_env())
    assert result.returncode == 0, result.stderr
    return (signing_ws / "away" / "75-gorontalo-pakta-integritas-signed.pdf").read_bytes()


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inputs=st.lists(st.one_of(garbage, cut_signed), min_size=1, max_size=6))
@example(inputs=[("cut-signed", 16800, 0), ("cut-signed", 10**6 - 1, 0),
                 ("header", 6, 0x0F), ("random", b"%PDF-1.7\n%%EOF\n", 0)])
def test_collect_refuses_garbage_and_leaves_it_in_the_inbox(
        signing_ws: Path, signed_copy: bytes, inputs: list[tuple[str, object, int]]) -> None:
    from tests.conftest import run_pakta
    from tests.fixtures_pki import pakta_env

    rendered = (signing_ws / PACT).read_bytes()
    files = write_garbage(signing_ws / "inbox",
                          [make_garbage(*case, rendered, signed_copy) for case in inputs])
    before = ledger_rows(signing_ws)
    result = run_pakta("collect", "inbox", cwd=signing_ws, env=pakta_env())
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    refused_each(result.stderr, files, "refused ", COLLECT_REFUSALS)
    assert f"0 collected, {len(files)} refused" in result.stderr
    assert result.stdout == ""
    assert not (signing_ws / "collected").exists()
    assert {f"inbox/{p.name}": p.read_bytes() for p in (signing_ws / "inbox").iterdir()} \
        == files
    assert ledger_rows(signing_ws) == before


def many_fields(count: int) -> bytes:
    """A small, well-formed PDF whose form has `count` signature fields: each is cheap,
    but reading them all takes seconds."""
    objects = [b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields 4 0 R>>>>",
               b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
               b"[" + b" ".join(b"%d 0 R" % (5 + i) for i in range(count)) + b"]"]
    objects += [b"<</FT/Sig/T(f%d)>>" % i for i in range(count)]
    return pdf_of(objects)


def test_verify_time_limit_makes_a_slow_file_an_error_row(signing_ws: Path) -> None:
    import json
    import subprocess
    import sys
    import time

    from tests.conftest import run_pakta
    from tests.fixtures_pki import pakta_env

    declaration = "out/75-gorontalo-deklarasi-netralitas.pdf"  # one slot: the head's
    signed = run_pakta("sign", declaration, "--slot", "kepala_daerah", "--p12",
                       "pki/signers/75.p12", "--out", "signed", cwd=signing_ws,
                       env=pakta_env())
    assert signed.returncode == 0, signed.stderr
    # Read in full, this file takes 10 s of CPU and more (150,000 fields); a signed
    # declaration takes well under a second, even in a process that just started.
    (signing_ws / "slow.pdf").write_bytes(many_fields(150_000))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pakta", "verify", "slow.pdf", "signed", "--time-limit", "3",
         "--format", "json"], cwd=signing_ws, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    documents = {d["path"]: d for d in json.loads(result.stdout)["documents"]}
    slow = documents.pop("slow.pdf")
    assert slow["status"] == "ERROR"
    assert slow["reasons"] == ["The file could not be checked within 3 seconds: it may be "
                               "damaged or hostile."]
    assert 3 <= slow["seconds"] < 8
    # the batch goes on: the signed declaration after it is verified in full
    assert [(d["status"], d["reasons"]) for d in documents.values()] == [("COMPLETE", [])]
    assert elapsed < 60


def test_security_md_lists_every_case() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    start = text.index("<!-- hostile-cases:start -->") + len("<!-- hostile-cases:start -->")
    end = text.index("<!-- hostile-cases:end -->")
    assert text[start:end].strip() == table(), \
        "SECURITY.md's table is out of date: python -m tests.test_hostile_cases"


if __name__ == "__main__":
    print(table())
