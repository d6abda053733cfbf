"""The `pakta serve` stage of the benchmark (see run.py): concurrent clients on loopback
upload every signed pact and declaration to /api/verify, against `pakta verify` of the
same files from the command line, in the same run.

    python benchmarks/run.py --stages serve [--heads 100] [--repeat 1]

Reported: the server's wall time for the whole set (throughput), its p95 latency per
upload, and the ratio of the server's time to the CLI's. Every signature in every
answer must be TOTAL-PASSED before a figure counts. The server is started before timing
(it is a long-running service); the CLI's figure includes its start, as a user running
it would see.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.run import PAKTA, Row, Run, paired, timed
from benchmarks.stages import ENV, _ensure_pki, _rendered, _sign_heads, _sign_witness

CLIENTS = 8
PORT = 8797


def _upload(url: str, data: bytes, name: str) -> tuple[float, int, bytes]:
    boundary = "pakta-bench-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        payload, status = exc.read(), exc.code
    return time.perf_counter() - started, status, payload


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("pakta serve stopped before answering")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit("pakta serve did not answer within 60 s")


def bench_serve(ws: Path, docs: int, repeat: int) -> list[Row]:
    import json

    _rendered(ws)
    _ensure_pki(ws)
    if not (ws / "signed").exists():
        _sign_heads(ws)
        _sign_witness(ws)
    files = sorted((ws / "signed").glob("*.pdf"))
    uploads = [(p.name, p.read_bytes()) for p in files]
    process = subprocess.Popen(
        [*PAKTA, "serve", "--port", str(PORT), "--queue", str(4 * CLIENTS)], cwd=ws,
        env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{PORT}"
    try:
        _wait(base + "/", process)
        # The workers' first verification builds their set-up: once, before timing.
        _upload(base + "/api/verify", uploads[0][1], uploads[0][0])

        def serve_run() -> Run:
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                results = list(pool.map(lambda u: _upload(base + "/api/verify", u[1], u[0]),
                                        uploads))
            seconds = time.perf_counter() - started
            # As the other stages check: every signature TOTAL-PASSED (the synthetic
            # roster's heads sign with the witness's key, so the documents themselves
            # are INVALID: wrong signer for the slot).
            bad = [(s, p[:200]) for _, s, p in results if s != 200 or not (
                json.loads(p)["signatures"]
                and all(sig["indication"] == "TOTAL-PASSED"
                        for sig in json.loads(p)["signatures"]))]
            if bad:
                raise SystemExit(f"the server's verdicts are not all valid: {bad[:3]}")
            p95 = statistics.quantiles([t for t, _, _ in results], n=20)[18]
            return Run(seconds, 0.0, f"{p95 * 1000:.0f}")

        s, c = paired(repeat, serve_run,
                      lambda: timed([*PAKTA, "verify", "signed", "--format", "csv"], ws,
                                    ENV))
    finally:
        process.terminate()
        process.wait(timeout=30)
    p95 = int(s.output)
    print(f"serve: {len(files)} uploads by {CLIENTS} clients in {s.seconds:.2f} s "
          f"({len(files) / s.seconds:.1f}/s, p95 {p95:.0f} ms); pakta verify "
          f"{c.seconds:.2f} s ({len(files) / c.seconds:.1f}/s)", file=sys.stderr)
    return [Row(f"serve /api/verify, {CLIENTS} clients (p95 {p95:.0f} ms)", len(files),
                s.seconds, c.seconds, s.peak_mb, c.peak_mb, 1.5,
                baseline="pakta verify (CLI)")]


STAGES = {"serve": bench_serve}
