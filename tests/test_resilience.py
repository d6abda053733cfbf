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

from benchmarks.synthetic import synthetic_roster
from pakta.ledger import Ledger, sha256_hex
from tests.conftest import run_pakta


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
    assert "interrupted:" in err and "run the same command again to finish" in err
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
