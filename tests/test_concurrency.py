"""Two pakta processes at once on one workspace: every row kept, nothing locked out.

Real processes (`python -m pakta`), real keys from the demo PKI, one SQLite ledger.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.synthetic import synthetic_roster
from pakta.ledger import Ledger, sha256_hex
from tests.fixtures_pki import pakta_env

BATCH_HEADS = 40  # 80 documents: a batch long enough to stop half-way, or to interleave two
_rendered: dict[int, Path] = {}


def rendered_batch(heads: int, factory: pytest.TempPathFactory) -> Path:
    """A workspace with a synthetic roster of `heads` heads rendered (both templates),
    made once per test process. Read-only: `workspace_copy` it."""
    if heads not in _rendered:
        from pakta.config import init_workspace, load_workspace
        from pakta.render import plan_jobs, render_batch
        from pakta.roster import load_roster

        folder = factory.mktemp(f"batch{heads}") / "ws"
        init_workspace(folder)
        (folder / "roster.csv").write_text(synthetic_roster(heads), encoding="utf-8")
        ws = load_workspace(folder)
        with Ledger(ws.ledger) as ledger:
            summary = render_batch(plan_jobs(load_roster(ws.roster), ws.templates, ws.out),
                                   template_dir=ws.template_dir, event=ws.event,
                                   witness=ws.witness, ledger=ledger)
        assert not summary.failed
        _rendered[heads] = folder
    return _rendered[heads]


def workspace_copy(source: Path, target: Path, pki: Path | None = None) -> Path:
    """A private copy of a workspace (the ledger's paths pointing at the copy), with the
    demo PKI in pki/ when given."""
    shutil.copytree(source, target)
    db = sqlite3.connect(target / "pakta.db")
    db.execute("UPDATE documents SET path = replace(path, ?, ?)", (str(source), str(target)))
    db.commit()
    db.close()
    if pki is not None:
        shutil.copytree(pki, target / "pki")
    return target


def start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pakta", *args], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=pakta_env())


def hold(path: Path) -> bytes:
    """Put a named pipe where an input file was: a pakta process that reaches this input
    waits there, everything before it done, until `feed` gives it the file's bytes (as a
    file on a slow disk would). Returns the bytes."""
    data = path.read_bytes()
    path.unlink()
    os.mkfifo(path)
    return data


def reader_waiting(fifo: Path) -> int | None:
    """The pipe's write end if a process is reading it, else None (no reader yet)."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno != errno.ENXIO:
            raise
        return None


def give(end: int, data: bytes) -> None:
    os.set_blocking(end, True)
    view = memoryview(data)
    while view:
        view = view[os.write(end, view):]


def feed(held: dict[Path, bytes], procs: list[subprocess.Popen[str]]) -> None:
    """Wait until a process is reading every held input, then give each its bytes at
    the same moment: the processes go on together."""
    ends: dict[Path, int] = {}
    deadline = time.monotonic() + 120
    while len(ends) < len(held):
        for fifo in held.keys() - ends.keys():
            end = reader_waiting(fifo)
            if end is not None:
                ends[fifo] = end
        assert time.monotonic() < deadline, "no process reached its held input"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    for fifo, end in ends.items():
        give(end, held[fifo])
    for end in ends.values():
        os.close(end)


def restore(held: dict[Path, bytes]) -> None:
    for path, data in held.items():
        path.unlink()
        path.write_bytes(data)


def finish_all(procs: list[subprocess.Popen[str]]) -> list[tuple[str, str]]:
    """Wait for every process; each must exit 0 without a locked ledger or a traceback."""
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert "database is locked" not in err and "Traceback" not in err, err
        assert proc.returncode == 0, err
    return outputs


def test_two_sign_batches_write_one_ledger_at_once(demo_pki_dir: Path,
                                                   tmp_path_factory: pytest.TempPathFactory,
                                                   tmp_path: Path) -> None:
    folder = workspace_copy(rendered_batch(BATCH_HEADS, tmp_path_factory), tmp_path / "ws",
                            demo_pki_dir)
    groups = {template: sorted(str(p.relative_to(folder))
                               for p in (folder / "out").glob(f"*-{template}.pdf"))
              for template in ("pakta-integritas", "deklarasi-netralitas")}
    assert [len(files) for files in groups.values()] == [BATCH_HEADS, BATCH_HEADS]
    # Both batches wait at their first document, every set-up done, then go on together.
    # (Their writes overlap when the machine gives them a core each; a batch's writes
    # take a fraction of a second, so the order of the rows is not asserted.)
    held = {folder / files[0]: hold(folder / files[0]) for files in groups.values()}
    procs = [start(folder, "sign", *files, "--slot", "kepala_daerah", "--p12",
                   f"pki/signers/{code}.p12", "--delegated-signer", "--out", "signed",
                   "--jobs", "1")
             for files, code in zip(groups.values(), ("75", "71"), strict=True)]
    feed(held, procs)
    for _, err in finish_all(procs):
        assert f"{BATCH_HEADS} signed, 0 skipped, 0 failed" in err
    outputs = sorted((folder / "signed").glob("*.pdf"))
    assert len(outputs) == 2 * BATCH_HEADS
    with Ledger(folder / "pakta.db") as ledger:
        rows = ledger.signatures()
        issued = {d.doc_id for d in ledger.documents()}
    # one row per signed file, each naming the file and its exact bytes
    assert len(rows) == 2 * BATCH_HEADS
    assert {r.doc_id for r in rows} == issued
    assert {r.slot for r in rows} == {"kepala_daerah"}
    assert {Path(r.path).name for r in rows} == {p.name for p in outputs}
    for row in rows:
        assert sha256_hex((folder / "signed" / Path(row.path).name).read_bytes()) \
            == row.sha256_after
    assert not list((folder / "signed").glob(".*.part"))


def test_two_collects_of_one_workspace_at_once(signing_ws: Path, tmp_path: Path) -> None:
    # The heads sign on their own machines (a copy of the workspace: the secretariat's
    # ledger learns of the signatures only from the returned files).
    away = workspace_copy(signing_ws, tmp_path / "away")
    from pakta.roster import load_roster

    heads = load_roster(signing_ws / "roster.csv")
    signers = [start(away, "sign", *sorted(str(p.relative_to(away)) for p in
                                           (away / "out").glob(f"{head.slug}-*.pdf")),
                     "--slot", "kepala_daerah", "--p12", f"pki/signers/{head.code}.p12",
                     "--out", f"returned/{index % 2}")
               for index, head in enumerate(heads)]
    finish_all(signers)
    inboxes = []
    for index in range(2):
        inbox = signing_ws / f"inbox-{index}"
        shutil.copytree(away / "returned" / str(index), inbox)
        inboxes.append(inbox)
    returned = {p.name: p.read_bytes() for inbox in inboxes for p in inbox.glob("*.pdf")}
    assert len(returned) == 2 * len(heads) == 8
    with Ledger(signing_ws / "pakta.db") as ledger:
        assert ledger.signatures() == [] and ledger.collected() == []
    collectors = [start(signing_ws, "collect", inbox.name) for inbox in inboxes]
    for out, err in finish_all(collectors):
        assert "4 collected, 0 refused" in err
        assert out.count("(1 signature)") == 4
    with Ledger(signing_ws / "pakta.db") as ledger:
        collected = ledger.collected()
        signatures = ledger.signatures()
        issued = {d.doc_id for d in ledger.documents()}
    assert len(collected) == 8 and {c.doc_id for c in collected} == issued
    assert sorted((s.doc_id, s.slot) for s in signatures) == \
        sorted((doc_id, "kepala_daerah") for doc_id in issued)
    filed = {p.stem: p.read_bytes() for p in (signing_ws / "collected").glob("*.pdf")}
    assert set(filed) == issued
    # every returned file is filed byte for byte under its document, and left in place
    assert sorted(filed.values()) == sorted(returned.values())
    assert {p.name for inbox in inboxes for p in inbox.glob("*.pdf")} == set(returned)


def test_two_collects_of_the_same_documents_keep_the_most_signed_copy(
        signing_ws: Path, tmp_path: Path) -> None:
    # Returned twice: signed by the head, and again co-signed by the witness.
    away = workspace_copy(signing_ws, tmp_path / "away")
    from pakta.roster import load_roster

    pacts = {head.code: f"out/{head.slug}-pakta-integritas.pdf"
             for head in load_roster(signing_ws / "roster.csv")}
    finish_all([start(away, "sign", pact, "--slot", "kepala_daerah", "--p12",
                      f"pki/signers/{code}.p12", "--out", "head")
                for code, pact in pacts.items()])
    head = sorted((away / "head").glob("*.pdf"))
    finish_all([start(away, "sign", *(str(p.relative_to(away)) for p in head), "--slot",
                      "saksi", "--p12", "pki/witness.p12", "--out", "witness")])
    both = sorted((away / "witness").glob("*.pdf"))
    assert len(head) == len(both) == 4
    inboxes = {"head": head, "witness": both}
    for name, files in inboxes.items():
        (signing_ws / name).mkdir()
        for file in files:
            shutil.copy(file, signing_ws / name / file.name.replace("-signed", ""))
    # both runs go through the same documents in the same order at once
    for _, err in finish_all([start(signing_ws, "collect", name) for name in inboxes]):
        assert "4 collected, 0 refused" in err
    with Ledger(signing_ws / "pakta.db") as ledger:
        collected = ledger.collected()
        signatures = ledger.signatures()
    assert len(collected) == 8
    # each signature recorded once, though both runs saw the head's
    assert sorted((s.doc_id, s.slot) for s in signatures) == sorted(
        (Path(p).stem, slot) for p in pacts.values() for slot in ("kepala_daerah", "saksi"))
    # the filed copy is the one with both signatures, whichever run came last
    for file in both:
        doc_id = file.name.replace("-signed", "").removesuffix(".pdf")
        assert (signing_ws / "collected" / f"{doc_id}.pdf").read_bytes() == file.read_bytes()
