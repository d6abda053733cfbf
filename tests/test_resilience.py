"""Interruptions, concurrent writers and disk faults lose nothing (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.synthetic import synthetic_roster
from pakta.ledger import Ledger, sha256_hex
from tests.conftest import run_pakta
from tests.fixtures_pki import pakta_env
from tests.test_concurrency import (
    BATCH_HEADS,
    give,
    hold,
    reader_waiting,
    rendered_batch,
    restore,
    workspace_copy,
)


def complete_and_known(folder: Path) -> int:
    """Every visible PDF is whole (qpdf) and is the ledger's document; returns the count."""
    with Ledger(folder / "pakta.db") as ledger:
        records = {Path(r.path).name: r for r in ledger.documents()}
    pdfs = sorted((folder / "out").glob("*.pdf"))
    for pdf in pdfs:
        assert pdf.name in records, f"{pdf.name} is not in the ledger"
        assert sha256_hex(pdf.read_bytes()) == records[pdf.name].sha256
        check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True)
        assert check.returncode == 0, pdf
    return len(pdfs)


def test_render_killed_half_way_resumes_without_redoing(
        make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace(synthetic_roster(40))
    proc = subprocess.Popen([sys.executable, "-m", "pakta", "render", "--jobs", "1"],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((folder / "out").glob("*.pdf"))) < 10:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = complete_and_known(folder)
    assert 10 <= done < 80
    rerun = run_pakta("render", cwd=folder)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{80 - done} rendered, 0 overwritten, {done} unchanged, 0 failed" in rerun.stdout
    assert complete_and_known(folder) == 80
    assert not list((folder / "out").glob(".*.part"))


def test_ctrl_c_stops_cleanly_with_a_summary(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace(synthetic_roster(40))
    proc = subprocess.Popen([sys.executable, "-m", "pakta", "render", "--jobs", "2"],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while len(list((folder / "out").glob("*.pdf"))) < 6:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted: " in err and "run the same command again to render them" in err
    assert "Traceback" not in err
    done = complete_and_known(folder)
    assert f"{done} rendered" in out


def test_two_processes_write_one_ledger(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from pakta.ledger import *\n"
        "ledger = Ledger(Path(sys.argv[1]))\n"
        "for i in range(300):\n"
        "    ledger.record_signature(SignatureRecord(f'doc{sys.argv[2]}-{i}', 'saksi', 'x',"
        " 'f', now_iso(), 's', 'p'))\n")
    db = tmp_path / "pakta.db"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), str(n)],
                              stderr=subprocess.PIPE, text=True) for n in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "locked" not in err
    with Ledger(db) as ledger:
        assert len(ledger.signatures()) == 900


def test_two_renders_of_one_workspace_at_once(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace(synthetic_roster(20))
    procs = [subprocess.Popen([sys.executable, "-m", "pakta", "render", "--jobs", "1"],
                              cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 2), err  # 2: the other run got there first
        assert "locked" not in err and "Traceback" not in err
    assert complete_and_known(folder) == 40


def test_a_render_sweeps_a_dead_runs_temporary_files_and_not_a_live_ones(
        make_workspace: Callable[..., Path]) -> None:
    """The temporary file of another render still going on (its client alive) is its
    own to rename; that of a killed one (its client gone) is swept, by the next run."""
    folder = make_workspace()
    live = subprocess.Popen(["sleep", "300"])
    try:
        (folder / "out").mkdir(exist_ok=True)
        name = "75-gorontalo-pakta-integritas.pdf"
        gone = folder / "out" / f".{name}.{_a_dead_pid()}.0a1b2c3d.part"
        running = folder / "out" / f".{name}.{live.pid}.0a1b2c3d.part"
        unrelated = folder / "out" / f".{name}.notes.part"
        for temp in (gone, running, unrelated):
            temp.write_bytes(b"%PDF-1.7 half")
        result = run_pakta("render", cwd=folder)
        assert result.returncode == 0, result.stderr
        assert (folder / "out" / name).is_file()
        assert not gone.exists()
        assert running.read_bytes() == b"%PDF-1.7 half"
        assert unrelated.exists()
    finally:
        live.kill()
        live.wait()


def _a_dead_pid() -> int:
    """The PID of a process that has ended (reaped), so no process has it for now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def batch_ws(demo_pki_dir: Path, tmp_path_factory: pytest.TempPathFactory,
             tmp_path: Path) -> Path:
    """A private workspace of 80 rendered documents with the demo PKI in pki/."""
    return workspace_copy(rendered_batch(BATCH_HEADS, tmp_path_factory), tmp_path / "ws",
                          demo_pki_dir)


def sign_batch(folder: Path) -> list[str]:
    """`pakta sign out/*.pdf --slot kepala_daerah --p12 ... --out signed --jobs 1`: one
    key for the whole batch, as a secretariat signing on a head's behalf would."""
    files = sorted(str(p.relative_to(folder)) for p in (folder / "out").glob("*.pdf"))
    assert len(files) == 2 * BATCH_HEADS
    return [sys.executable, "-m", "pakta", "sign", *files, "--slot", "kepala_daerah",
            "--p12", "pki/signers/75.p12", "--delegated-signer", "--out", "signed",
            "--jobs", "1"]


def stop_signing_half_way(folder: Path, sig: signal.Signals) -> tuple[int, str, str]:
    """Start the batch and send `sig` once a few outputs are written. The last input
    is held (a pipe that gives its bytes only after the signal), so the batch cannot be
    over before the signal lands. Exit code and output; the input is restored."""
    command = sign_batch(folder)
    last = folder / command[command.index("--slot") - 1]
    held = {last: hold(last)}
    proc = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=pakta_env())
    deadline = time.monotonic() + 120
    while len(list((folder / "signed").glob("*.pdf"))) < 5:
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr
        time.sleep(0.01)
    proc.send_signal(sig)
    while proc.poll() is None:  # stopping while it reads the held input: let it read
        end = reader_waiting(last)
        if end is not None:
            give(end, held[last])
            os.close(end)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    out, err = proc.communicate(timeout=120)
    restore(held)
    return proc.returncode, out, err


def signed_and_verified(folder: Path) -> dict[str, str]:
    """Every visible PDF in signed/ is whole (qpdf) and its head signature verifies
    (pakta verify: TOTAL-PASSED on the issued document); name -> SHA-256."""
    import json

    pdfs = sorted((folder / "signed").glob("*.pdf"))
    for pdf in pdfs:
        check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True)
        assert check.returncode == 0, pdf
    report = json.loads(run_pakta("verify", "signed", "--format", "json", cwd=folder).stdout)
    assert len(report["documents"]) == len(pdfs)
    for doc in report["documents"]:
        assert doc["issued"], doc["path"]
        assert [(s["field"], s["indication"], s["intact"]) for s in doc["signatures"]] \
            == [("kepala_daerah", "TOTAL-PASSED", True)], doc
        # one key signed every head's document: the roster check is the only finding
        assert {f["code"] for f in doc["findings"]} == {"WRONG_HEAD_SIGNER"}
    return {pdf.name: sha256_hex(pdf.read_bytes()) for pdf in pdfs}


def signature_rows(folder: Path) -> dict[str, str]:
    """The ledger's signature rows: output name -> SHA-256 after signing (one row each)."""
    with Ledger(folder / "pakta.db") as ledger:
        rows = ledger.signatures()
    assert {r.slot for r in rows} <= {"kepala_daerah"}
    named = {Path(r.path).name: r.sha256_after for r in rows}
    assert len(named) == len(rows), "a document signed twice"
    return named


def test_sign_killed_half_way_resumes_and_skips_what_is_signed(batch_ws: Path) -> None:
    code, _, _ = stop_signing_half_way(batch_ws, signal.SIGKILL)
    assert code == -signal.SIGKILL
    present = signed_and_verified(batch_ws)
    assert 5 <= len(present) < 2 * BATCH_HEADS
    rows = signature_rows(batch_ws)
    # every row is a file present with those bytes; at most the one file written when
    # the kill came has no row yet (the rerun records it)
    assert all(present.get(name) == digest for name, digest in rows.items())
    assert len(set(present) - set(rows)) <= 1
    rerun = subprocess.run(sign_batch(batch_ws), cwd=batch_ws, capture_output=True,
                           text=True, env=pakta_env(), timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    done = len(present)
    assert f"{2 * BATCH_HEADS - done} signed, {done} skipped, 0 failed" in rerun.stderr
    for name in present:
        assert f"skipped signed/{name} (already signed)" in rerun.stdout
    assert rerun.stdout.count("signed signed/") == 2 * BATCH_HEADS - done
    after = signed_and_verified(batch_ws)
    assert len(after) == 2 * BATCH_HEADS
    assert {name: after[name] for name in present} == present  # byte for byte untouched
    assert signature_rows(batch_ws) == after


def test_ctrl_c_during_sign_stops_cleanly_and_a_rerun_finishes(batch_ws: Path) -> None:
    code, out, err = stop_signing_half_way(batch_ws, signal.SIGINT)
    assert code == 130, err
    assert "interrupted: " in err and "run the same command again to sign them" in err
    assert "Traceback" not in err
    assert not list((batch_ws / "signed").glob(".*.part"))
    present = signed_and_verified(batch_ws)
    assert 5 <= len(present) < 2 * BATCH_HEADS
    assert signature_rows(batch_ws) == present
    rerun = subprocess.run(sign_batch(batch_ws), cwd=batch_ws, capture_output=True,
                           text=True, env=pakta_env(), timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{2 * BATCH_HEADS - len(present)} signed, {len(present)} skipped, 0 failed" \
        in rerun.stderr
    after = signed_and_verified(batch_ws)
    assert {name: after[name] for name in present} == present
    assert signature_rows(batch_ws) == after


@contextmanager
def small_mount(path: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A real tmpfs (full disk) or read-only folder; chmod where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]).returncode == 0
    if read_only:
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        else:
            path.chmod(0o555)
    try:
        yield path
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=True)
        path.chmod(0o755)


def test_full_disk_stops_with_a_clear_error_and_keeps_earlier_files(
        make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace(synthetic_roster(30))
    with small_mount(folder / "out", "200k"):
        result = run_pakta("render", "--jobs", "1", cwd=folder)
        assert result.returncode == 4
        assert "cannot write (No space left on device)" in result.stderr
        assert "files written before are complete" in result.stderr
        assert "Traceback" not in result.stderr
        kept = complete_and_known(folder)
        assert kept > 0
        assert not list((folder / "out").glob(".*.part"))


def test_read_only_output_folder(make_workspace: Callable[..., Path]) -> None:
    folder = make_workspace()
    with small_mount(folder / "out", "1m", read_only=True):
        result = run_pakta("render", cwd=folder)
        assert result.returncode == 4
        assert "cannot write (Read-only file system)" in result.stderr \
            or "cannot write (Permission denied)" in result.stderr
        assert "Traceback" not in result.stderr
