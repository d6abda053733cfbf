"""Signing, verification and memory stages of the benchmark (see run.py)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.run import NAIVE, PAKTA, WORK, Row, Run, make_workspace, paired, timed

PASSPHRASE = "bench-only-passphrase"  # the benchmark's throwaway demo PKI
ENV = {"PAKTA_PASSPHRASE": PASSPHRASE}
TSA_PORT = int(os.environ.get("PAKTA_BENCH_TSA_PORT", "8787"))  # another port on a shared machine


def _pakta(ws: Path, *args: str) -> Run:
    return timed([*PAKTA, *args], ws, ENV)


def _ensure_pki(ws: Path) -> None:
    if not (ws / "pki" / "witness.p12").exists():
        subprocess.run([*PAKTA, "pki", "demo"], cwd=ws, check=True, capture_output=True,
                       env={**os.environ, **ENV})


def _rendered(ws: Path) -> None:
    if not (ws / "out").exists():
        subprocess.run([*PAKTA, "render"], cwd=ws, check=True, capture_output=True)


def _inputs(ws: Path) -> list[str]:
    return [str(p.relative_to(ws)) for p in sorted((ws / "out").glob("*.pdf"))]


def _sign_heads(ws: Path, *extra: str) -> Run:
    """Every document signed in the head's slot, into signed/ (the witness key stands in
    for the heads: the synthetic roster has no keys of its own)."""
    shutil.rmtree(ws / "signed", ignore_errors=True)
    return _pakta(ws, "sign", *_inputs(ws), "--slot", "kepala_daerah", "--p12",
                  "pki/witness.p12", "--any-pdf", "--delegated-signer", "--out", "signed", *extra)


def _sign_witness(ws: Path) -> Run:
    pacts = [str(p.relative_to(ws)) for p in
             sorted((ws / "signed").glob("*pakta-integritas-signed.pdf"))]
    return _pakta(ws, "sign", *pacts, "--slot", "saksi", "--p12", "pki/witness.p12",
                  "--any-pdf", "--in-place")


def _download_crls(ws: Path) -> None:
    """The demo CAs' CRLs into pki/crls/, as an auditor downloads them before an offline
    audit (verify takes them from there by default): a signature whose revocation
    status is unknown is not TOTAL-PASSED."""
    import urllib.request

    from pakta.demo import DemoPki

    folder = ws / "pki" / "crls"
    if (folder / "root.crl").exists():
        return
    urls = DemoPki(ws / "pki").urls()
    server = subprocess.Popen([*PAKTA, "pki", "serve"], cwd=ws, env={**os.environ, **ENV},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        folder.mkdir(exist_ok=True)
        for name, url in (("interm.crl", urls.crl), ("root.crl", urls.root_crl)):
            for _ in range(100):
                try:
                    with urllib.request.urlopen(url, timeout=5) as answer:
                        (folder / name).write_bytes(answer.read())
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"cannot download {url}")
    finally:
        server.terminate()
        server.wait()


def _check_all_signed(ws: Path, docs: int, signatures: int) -> None:
    """Every file the timed runs produced verifies, every signature TOTAL-PASSED, or no
    figure counts."""
    _download_crls(ws)
    result = subprocess.run([*PAKTA, "verify", "signed", "--trust", "pki/root.pem",
                             "--format", "csv"], cwd=ws, capture_output=True, text=True)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    files = len(rows)
    passed = sum(row["indications"].count("=TOTAL-PASSED") for row in rows)
    if files != docs or passed != signatures:
        raise SystemExit(f"{files} files, {passed} signatures TOTAL-PASSED; expected {docs} "
                         f"and {signatures}:\n{result.stderr[-2000:]}")


def _naive_sign(ws: Path) -> Run:
    shutil.rmtree(WORK / "naive-signed", ignore_errors=True)
    return timed([sys.executable, str(NAIVE / "naive_sign.py"), "out",
                  str(WORK / "naive-signed"), "pki/witness.p12", PASSPHRASE], ws)


def bench_sign(ws: Path, docs: int, repeat: int) -> list[Row]:
    _rendered(ws)
    _ensure_pki(ws)
    p, n = paired(repeat, lambda: _sign_heads(ws), lambda: _naive_sign(ws))
    _check_all_signed(ws, docs, docs)
    return [Row("sign B-B", docs, p.seconds, n.seconds, p.peak_mb, n.peak_mb, 0.1)]


def _wait_for_port(port: int, seconds: float = 120) -> None:
    """Until the demo services accept connections: loading the PKI takes longer than a
    fixed pause on a loaded machine, and early requests were refused."""
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"the demo services did not start on port {port}")


def bench_sign_bt(ws: Path, docs: int, repeat: int) -> list[Row]:
    """B-T against the demo TSA answering after 100 ms, against pakta's own B-B time on
    the same files, alternating so that both see the same machine."""
    _rendered(ws)
    _ensure_pki(ws)
    server = subprocess.Popen([*PAKTA, "pki", "serve", "--port", str(TSA_PORT), "--delay-ms",
                               "100"], cwd=ws, env={**os.environ, **ENV},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for_port(TSA_PORT)
    try:
        # B-T second in every pair: the files checked below are B-T's
        t, b = paired(repeat, lambda: _sign_heads(ws, "--level", "B-T", "--tsa",
                                                  f"http://127.0.0.1:{TSA_PORT}/tsa"),
                      lambda: _sign_heads(ws), alternate=False)
        _check_all_signed(ws, docs, docs)
    finally:
        server.terminate()
        server.wait()
    return [Row("sign B-T (TSA +100 ms)", docs, t.seconds, b.seconds, t.peak_mb, b.peak_mb,
                1.3, baseline="pakta B-B")]


def bench_verify(ws: Path, docs: int, repeat: int) -> list[Row]:
    """Head and witness signatures (pacts have two, declarations one), then pakta verify
    (roster and ledger checks included) against the naive loop on the same folder."""
    _rendered(ws)
    _ensure_pki(ws)
    _sign_heads(ws)
    _sign_witness(ws)
    _check_all_signed(ws, docs, docs + docs // 2)
    p, n = paired(repeat, lambda: _pakta(ws, "verify", "signed", "--format", "csv"),
                  lambda: timed([sys.executable, str(NAIVE / "naive_verify.py"), "signed",
                                 "pki/root.pem"], ws))
    valid = f"{docs} docs, {docs} valid"
    if valid not in n.output:
        raise SystemExit(f"the naive verify disagrees: {n.output[-500:]}")
    return [Row("verify (roster+ledger)", docs, p.seconds, n.seconds, p.peak_mb, n.peak_mb,
                0.5)]


@dataclass
class MemoryRow:
    command: str
    small_docs: int
    small_mb: float
    large_docs: int
    large_mb: float

    @property
    def growth(self) -> float:
        return self.large_mb / self.small_mb

    @property
    def met(self) -> bool:
        return self.growth <= 1.5 and self.large_mb < 400


def bench_memory(small_heads: int = 250, large_heads: int = 2500) -> list[MemoryRow]:
    """Peak memory (whole process tree) of render, sign and verify at 500 and 5,000
    documents: flat, not growing with the batch."""
    peaks: dict[str, list[tuple[int, float]]] = {"render": [], "sign": [], "verify": []}
    for heads in (small_heads, large_heads):
        ws = WORK / f"memory-{heads}"
        make_workspace(ws, heads)
        peaks["render"].append((2 * heads, _pakta(ws, "render").peak_mb))
        _ensure_pki(ws)
        peaks["sign"].append((2 * heads, _sign_heads(ws).peak_mb))
        _sign_witness(ws)
        peaks["verify"].append((2 * heads,
                                _pakta(ws, "verify", "signed", "--format", "csv").peak_mb))
        shutil.rmtree(ws, ignore_errors=True)
    return [MemoryRow(command, small[0], small[1], large[0], large[1])
            for command, (small, large) in peaks.items()]


STAGES = {"sign": bench_sign, "sign-bt": bench_sign_bt, "verify": bench_verify}
