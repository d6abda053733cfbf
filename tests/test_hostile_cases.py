"""Hostile and broken inputs: pakta never crashes, never hangs, never passes a changed file.

The cases and their outcomes here are the table in SECURITY.md: the last test fails when
the two disagree (run `python -m tests.test_hostile_cases` to print the table).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROSTER_HEADER

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
    ("incremental update that changes the page after signing",
     "TOTAL-FAILED / SUSPICIOUS_MODIFICATION, document INVALID (tests/test_verify.py)"),
    ("garbage or non-pakta PDF given to `pakta sign`",
     "refused with the reason, exit 3, nothing written (tests/test_signing.py)"),
    ("wrong passphrase, expired certificate, unknown or signed slot, witness first",
     "refused, exit 3, nothing written (tests/test_signing.py)"),
    ("passphrase in a whole signing batch",
     "absent from stdout, stderr, every file and the ledger (tests/test_signing.py)"),
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
    from pakta.ledger import Ledger
    from pakta.pki import create_demo_pki
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


def test_security_md_lists_every_case() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    start = text.index("<!-- hostile-cases:start -->") + len("<!-- hostile-cases:start -->")
    end = text.index("<!-- hostile-cases:end -->")
    assert text[start:end].strip() == table(), \
        "SECURITY.md's table is out of date: python -m tests.test_hostile_cases"


if __name__ == "__main__":
    print(table())
