"""Signing and verification stages of the benchmark (see run.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.run import NAIVE, PAKTA, WORK, Row, median_run, timed

PASSPHRASE = "bench-only-passphrase"


def _ensure_pki(ws: Path) -> None:
    if not (ws / "pki" / "witness.p12").exists():
        subprocess.run([*PAKTA, "pki", "demo"], cwd=ws, check=True, capture_output=True,
                       env={"PAKTA_PASSPHRASE": PASSPHRASE, "PATH": "/usr/bin:/bin"})


def _rendered(ws: Path) -> None:
    if not (ws / "out").exists():
        subprocess.run([*PAKTA, "render"], cwd=ws, check=True, capture_output=True)


ENV = {"PAKTA_PASSPHRASE": PASSPHRASE}


def _check_all_signed(ws: Path, folder: Path, docs: int) -> None:
    """Every file the timed run produced verifies (TOTAL-PASSED), or no figure counts."""
    result = subprocess.run([*PAKTA, "verify", str(folder), "--trust", "pki/root.pem",
                             "--format", "csv"], cwd=ws, capture_output=True, text=True)
    passed = result.stdout.count("kepala_daerah=TOTAL-PASSED")
    if passed != docs:
        raise SystemExit(f"only {passed} of {docs} signed files verify")


def bench_sign(ws: Path, docs: int, repeat: int) -> list[Row]:
    _rendered(ws)
    _ensure_pki(ws)
    p12 = str(ws / "pki" / "witness.p12")
    pakta_runs, naive_runs = [], []
    for _ in range(repeat):
        shutil.rmtree(ws / "signed", ignore_errors=True)
        files = [str(p) for p in sorted((ws / "out").glob("*.pdf"))]
        pakta_runs.append(timed([*PAKTA, "sign", *files, "--slot", "kepala_daerah",
                                 "--p12", p12, "--any-pdf", "--out", "signed"], ws, ENV))
        shutil.rmtree(WORK / "naive-signed", ignore_errors=True)
        naive_runs.append(timed([sys.executable, str(NAIVE / "naive_sign.py"), "out",
                                 str(WORK / "naive-signed"), p12, PASSPHRASE], ws))
    _check_all_signed(ws, ws / "signed", docs)
    p, n = median_run(pakta_runs), median_run(naive_runs)
    rows = [Row("sign B-B", docs, p.seconds, n.seconds, p.peak_mb, n.peak_mb, 0.1)]
    # B-T against a TSA that answers after 100 ms, compared with pakta's own B-B time.
    server = subprocess.Popen([*PAKTA, "pki", "serve", "--port", "8787", "--delay-ms", "100"],
                              cwd=ws, env={**_env(), **ENV}, stderr=subprocess.PIPE)
    time.sleep(2)
    try:
        bt = []
        for _ in range(repeat):
            shutil.rmtree(ws / "signed", ignore_errors=True)
            files = [str(p) for p in sorted((ws / "out").glob("*.pdf"))]
            bt.append(timed([*PAKTA, "sign", *files, "--slot", "kepala_daerah", "--p12", p12,
                             "--any-pdf", "--out", "signed", "--level", "B-T", "--tsa",
                             "http://127.0.0.1:8787/tsa"], ws, ENV))
    finally:
        server.terminate()
    _check_all_signed(ws, ws / "signed", docs)
    b = median_run(bt)
    rows.append(Row("sign B-T (TSA +100 ms)", docs, b.seconds, p.seconds, b.peak_mb,
                    p.peak_mb, 1.3))
    return rows


def bench_verify(ws: Path, docs: int, repeat: int) -> list[Row]:
    pakta_runs, naive_runs = [], []
    for _ in range(repeat):
        pakta_runs.append(timed([*PAKTA, "verify", "signed", "--format", "csv"], ws))
        naive_runs.append(timed([sys.executable, str(NAIVE / "naive_verify.py"), "signed",
                                 "pki/root.pem"], ws))
    p, n = median_run(pakta_runs), median_run(naive_runs)
    return [Row("verify (roster+ledger)", docs, p.seconds, n.seconds, p.peak_mb, n.peak_mb,
                0.5)]


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


STAGES = {"sign": bench_sign, "verify": bench_verify}
