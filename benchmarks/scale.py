"""The scale stage: N civil servants' statements rendered and verified, on the local
executor and on a Dask LocalCluster of 2 worker processes, at two sizes.

    python benchmarks/scale.py [--sizes 10000,100000] [--workers 2] [--skip local:100000]

For each size and executor, a client process (`--client`) renders the roster and
verifies the output folder; the seconds are the client's, and the peak memory of the
client, of each worker process and of the children a Dask worker starts (the watchdog
that verifies its files) is sampled from /proc while it runs. Targets: the
peak at the larger size within 1.3x of the smaller (memory flat in N), and Dask within
1.15x of the local executor's seconds at the same size. Writes
benchmarks/scale-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "scale"
# The README's cluster (`dask worker --lifetime 20m --lifetime-stagger 2m
# --lifetime-restart`): each worker is replaced in turn, which bounds WeasyPrint's
# per-document leak (docs/upstream/) the way the local pool's fresh windows do.
WORKER_LIFETIME = {"lifetime": "20 minutes", "lifetime_stagger": "2 minutes",
                   "lifetime_restart": True}
sys.path.insert(0, str(ROOT))


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """VmHWM: the process's peak resident memory so far, as the kernel keeps it (exact
    however short the peak, and cheap to read). VmRSS: its resident memory now."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int, deep: bool = True) -> list[int]:
    """Every descendant (or, not `deep`, the children), started from any thread (a Dask
    worker starts its watchdog children from the threads that run its tasks)."""
    kids: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children") as listing:
                kids.extend(int(p) for p in listing.read().split())
        except OSError:
            pass
    return kids + [g for k in kids for g in children(k)] if deep else kids


def dask_workers() -> list[int]:
    """The LocalCluster's worker processes: this process's children that multiprocessing
    spawned (not the client, nor multiprocessing's resource tracker)."""
    found = []
    for kid in children(os.getpid(), deep=False):
        try:
            with open(f"/proc/{kid}/cmdline", "rb") as cmdline:
                if b"spawn_main" in cmdline.read():
                    found.append(kid)
        except OSError:
            pass
    return found


class Sampler:
    """Peak RSS per process, read every half second (the kernel keeps the peak between
    readings): the client, its workers (the local pool), the Dask workers, and the
    children the Dask workers start (each worker thread's watchdog child, which verifies
    the files: pakta.verify.watchdog). A Dask worker outlives the run and has a peak of
    its own from before it: the cluster is a fresh one for each run. The Dask workers
    are found afresh at each reading (this process's spawned children, started by the
    LocalCluster's nannies): a worker whose lifetime is up is replaced by a new one."""

    def __init__(self, client: int, dask: bool) -> None:
        self.client, self.dask = client, dask
        self.workers: list[int] = []
        self.restarts = 0
        self.peaks: dict[int, float] = {}
        self.helpers: set[int] = set()
        # Each minute, the resident memory of the client and the (Dask) workers: whether
        # it grows through the run, or settles.
        self.every_minute: list[list[float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        while True:
            workers = dask_workers() if self.dask else []
            self.restarts += len(set(workers) - set(self.workers)) if self.workers else 0
            self.workers = workers or self.workers
            helpers = [kid for pid in self.workers for kid in children(pid)]
            self.helpers.update(helpers)
            for pid in [self.client, *children(self.client), *self.workers, *helpers]:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), memory_mb(pid))
            if self._stop.is_set():
                return
            if time.monotonic() - started >= 60 * len(self.every_minute):
                self.every_minute.append([round(memory_mb(pid, "VmRSS"), 1)
                                          for pid in [self.client, *self.workers]])
            self._stop.wait(0.5)  # and once more after the run: the workers' last peaks

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()

        def top(pids: list[int]) -> list[float]:
            # (helpers such as multiprocessing's resource tracker are a few MB: left out)
            return sorted((round(self.peaks[pid], 1) for pid in pids
                           if self.peaks[pid] > 20), reverse=True)[:8]

        return {"client_peak_mb": round(self.peaks.get(self.client, 0.0), 1),
                "worker_peaks_mb": top([pid for pid in self.peaks if pid != self.client
                                        and pid not in self.helpers]),
                "worker_children_peaks_mb": top([pid for pid in self.peaks
                                                 if pid in self.helpers]),
                "worker_restarts": self.restarts,
                "rss_mb_each_minute": self.every_minute}


def client(args: argparse.Namespace) -> None:
    """One measured run, in its own process: render, then verify; seconds as JSON."""
    from datetime import date

    from pakta.batch import open_executor
    from pakta.config import Event, Witness
    from pakta.ledger import Ledger
    from pakta.people import render_people, verify_people
    from pakta.verify import make_settings

    folder = Path(args.folder)
    event = Event("Apel Siaga Netralitas ASN", "Jakarta", date(2024, 9, 17))
    witness = Witness("Rahmat Bagja", "Ketua Badan Pengawas Pemilihan Umum")
    result: dict[str, Any] = {}
    tenth = max(1, args.size // 10)
    marks: list[float] = []  # the time at each tenth of the render
    count = 0

    def rendered(_outcome: Any) -> None:
        nonlocal count
        count += 1
        if count % tenth == 0:
            marks.append(time.perf_counter())

    with Ledger(folder / "pakta.db") as ledger, \
            open_executor(args.executor, args.workers) as executor:
        started = time.perf_counter()
        counts = render_people(folder / "asn.csv", out_dir=folder / "out", template_dir=None,
                               event=event, witness=witness, ledger=ledger,
                               executor=executor, progress=rendered)
        result["render_s"] = round(time.perf_counter() - started, 2)
        # Does a document cost more late in the batch than early? ms per document in
        # each tenth of the render.
        result["render_ms_per_doc_by_tenth"] = [
            round(1000 * (end - start) / tenth, 1)
            for start, end in zip([started, *marks], marks, strict=False)]
        assert counts.counts == {"rendered": args.size}, counts
        started = time.perf_counter()
        settings = make_settings([], ledger, [], None)
        checked = verify_people(folder / "out", settings, ledger=ledger, executor=executor)
        result["verify_s"] = round(time.perf_counter() - started, 2)
        assert checked.counts == {"INCOMPLETE": args.size}, checked  # unsigned: one slot
    # The client's own peak, exact (the sampler may read it up to half a second early).
    result["client_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                      / 1024, 1)
    print(json.dumps(result))


def measure(size: int, executor: str, workers: int) -> dict[str, Any]:
    from pakta.people import write_sample_csv

    folder = WORK / f"{executor.split(':')[0]}-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    write_sample_csv(folder / "asn.csv", size)
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__)), "--client", "--folder", str(folder),
         "--executor", executor, "--size", str(size), "--workers", str(workers)],
        stdout=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid, dask=executor != "local")
    out, _ = process.communicate()
    peaks = sampler.stop()
    if process.returncode != 0:
        raise SystemExit(f"the {executor} run of {size} failed")
    timing = json.loads(out.strip().splitlines()[-1])
    peaks["client_peak_mb"] = max(peaks["client_peak_mb"], timing.pop("client_peak_mb"))
    seconds = timing["render_s"] + timing["verify_s"]
    shutil.rmtree(folder, ignore_errors=True)
    return {"size": size, "executor": executor.split(":")[0], **timing,
            "seconds": round(seconds, 2), "ms_per_doc": round(1000 * seconds / size, 2),
            **peaks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="two sizes, the second ten times the first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip", default="",
                        help="runs left out, as executor:size (e.g. local:100000); a "
                        "ratio needs both of its runs")
    parser.add_argument("--append", action="store_true",
                        help="add these runs to those in benchmarks/scale-results.json "
                        "(a run left out with --skip, measured later on this machine)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--executor", default="local", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args)
        return
    from distributed import LocalCluster

    sizes = [int(s) for s in args.sizes.split(",")]
    results = HERE / "scale-results.json"
    rows: list[dict[str, Any]] = json.loads(results.read_text())["rows"] if args.append else []
    skip = set(filter(None, args.skip.split(",")))
    for size in sizes:
        if f"local:{size}" not in skip:
            rows = [r for r in rows if (r["executor"], r["size"]) != ("local", size)]
            rows.append(measure(size, "local", args.workers))
            print(json.dumps(rows[-1]), flush=True)
        if f"dask:{size}" in skip:
            continue
        rows = [r for r in rows if (r["executor"], r["size"]) != ("dask", size)]
        # A fresh cluster per run: each worker's peak is this run's. The dashboard on any
        # free port (None still serves it on 8787, which another cluster may hold).
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=40,
                          **WORKER_LIFETIME) as cluster:
            assert len(dask_workers()) == args.workers
            rows.append(measure(size, f"dask://{cluster.scheduler_address.split('://')[1]}",
                                args.workers))
        print(json.dumps(rows[-1]), flush=True)
    by = {(r["executor"], r["size"]): r for r in rows}
    small, large = sizes[0], sizes[-1]

    def peak(row: dict[str, Any]) -> float:
        return max([row["client_peak_mb"], *row["worker_peaks_mb"],
                    *row["worker_children_peaks_mb"]])

    checks = {
        f"dask/local seconds at {size}": round(
            by[("dask", size)]["seconds"] / by[("local", size)]["seconds"], 3)
        for size in sizes if ("dask", size) in by and ("local", size) in by}
    checks.update({
        f"{kind} peak {large}/{small}": round(peak(by[(kind, large)]) / peak(by[(kind, small)]),
                                              3)
        for kind in ("local", "dask") if (kind, small) in by and (kind, large) in by})
    targets = {k: (1.15 if k.startswith("dask/local") else 1.3) for k in checks}
    report = {"rows": rows, "ratios": checks,
              "met": {k: v <= targets[k] for k, v in checks.items()},
              "cpus": os.cpu_count()}
    results.write_text(json.dumps(report, indent=2) + "\n")
    for key, value in checks.items():
        print(f"{key:<34} {value:6.3f}  (target <= {targets[key]})"
              f"{'' if value <= targets[key] else '  NOT MET'}")


if __name__ == "__main__":
    main()
