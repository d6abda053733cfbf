"""pakta against the naive loops, on the same machine in the same run.

    python benchmarks/run.py [--heads 552] [--repeat 3] [--memory] [--quick]

Makes a synthetic national roster and the demo PKI, then times each stage of pakta and
the matching naive baseline from ../shared/bench on the same number of documents,
repeats, and reports the pair (pakta and baseline run back to back) whose ratio is the
median: wall seconds, ms per document, peak memory (the whole
process tree), and the ratio pakta / naive. Writes benchmarks/results.json and
benchmarks/results.png. Every signed file pakta produced is verified before a figure
counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
NAIVE = Path(os.environ.get("PAKTA_NAIVE_BENCH", ROOT.parent / "shared" / "bench"))
PAKTA = [sys.executable, "-m", "pakta"]
sys.path.insert(0, str(ROOT))


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str


@dataclass
class Row:
    stage: str
    documents: int
    pakta_s: float
    naive_s: float | None
    pakta_peak_mb: float
    naive_peak_mb: float | None
    target: float | None  # the ratio pakta / baseline must stay at or below this
    baseline: str = "naive loop"

    @property
    def ratio(self) -> float | None:
        return self.pakta_s / self.naive_s if self.naive_s else None

    @property
    def met(self) -> bool | None:
        return None if self.target is None or self.ratio is None else self.ratio <= self.target


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children, from /proc."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{current}/task/{current}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 2**20


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak memory of the whole process tree (sampled every 20 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, **(env or {})})
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-3000:]}")
    return Run(seconds, peak, output)


def paired(repeat: int, first: Callable[[], Run], second: Callable[[], Run],
           alternate: bool = True) -> tuple[Run, Run]:
    """Run the two back to back `repeat` times (in turn first and second, so that a
    machine getting slower or faster weighs on both) and return the pair whose ratio is
    the median: on a shared machine, a pair run together is what can be compared."""
    pairs = []
    for i in range(repeat):
        if alternate and i % 2:
            b = second()
            a = first()
        else:
            a = first()
            b = second()
        pairs.append((a, b))
    pairs.sort(key=lambda pair: pair[0].seconds / pair[1].seconds)
    return pairs[len(pairs) // 2]


def make_workspace(folder: Path, heads: int) -> None:
    from benchmarks.synthetic import synthetic_roster

    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([*PAKTA, "init", str(folder)], check=True, capture_output=True)
    (folder / "roster.csv").write_text(synthetic_roster(heads), encoding="utf-8")


def reset_outputs(ws: Path) -> None:
    for name in ("out", "signed", "signed-witness", "reports"):
        shutil.rmtree(ws / name, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        (ws / f"pakta.db{suffix}").unlink(missing_ok=True)


def bench_render(ws: Path, docs: int, repeat: int) -> Row:
    def pakta() -> Run:
        reset_outputs(ws)
        return timed([*PAKTA, "render"], ws)

    def naive() -> Run:
        shutil.rmtree(WORK / "naive-render", ignore_errors=True)
        return timed([sys.executable, str(NAIVE / "naive_render.py"), str(docs),
                      str(WORK / "naive-render")], ws)

    p, n = paired(repeat, pakta, naive)
    return Row("render", docs, p.seconds, n.seconds, p.peak_mb, n.peak_mb, 0.5)


def print_table(rows: list[Row]) -> str:
    lines = [f"{'stage':<22} {'docs':>6} {'pakta s':>9} {'ms/doc':>8} {'peak MB':>8} "
             f"{'base s':>9} {'ms/doc':>8} {'peak MB':>8} {'ratio':>7} {'target':>7} met  "
             "baseline"]
    for r in rows:
        naive = (f"{r.naive_s:9.2f} {1000 * r.naive_s / r.documents:8.1f} "
                 f"{r.naive_peak_mb or 0:8.0f}") if r.naive_s else f"{'-':>9} {'-':>8} {'-':>8}"
        ratio = f"{r.ratio:7.2f}" if r.ratio is not None else f"{'-':>7}"
        target = f"{r.target:7.2f}" if r.target is not None else f"{'-':>7}"
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        lines.append(f"{r.stage:<22} {r.documents:>6} {r.pakta_s:9.2f} "
                     f"{1000 * r.pakta_s / r.documents:8.1f} {r.pakta_peak_mb:8.0f} "
                     f"{naive} {ratio} {target} {met:<4} {r.baseline}")
    return "\n".join(lines)


def memory_table(rows: list[Any]) -> str:
    lines = [f"{'peak memory':<22} {'docs':>6} {'MB':>8} {'docs':>6} {'MB':>8} {'growth':>7} "
             f"{'target':>15} met"]
    for m in rows:
        lines.append(f"{m.command:<22} {m.small_docs:>6} {m.small_mb:8.0f} {m.large_docs:>6} "
                     f"{m.large_mb:8.0f} {m.growth:7.2f} {'<=1.5, <400 MB':>15} "
                     f"{'yes' if m.met else 'NO'}")
    return "\n".join(lines)


def chart(rows: list[Row], path: Path) -> None:
    """A bar chart of ms per document, pakta beside the naive loop, drawn with Pillow."""
    from PIL import Image, ImageDraw

    compared = [r for r in rows if r.naive_s]
    width, row_h = 900, 70
    image = Image.new("RGB", (width, 60 + row_h * len(compared)), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 15), "ms per document (lower is better): pakta vs the naive loop",
              fill="black")
    most = max(max(r.pakta_s, r.naive_s or 0) / r.documents for r in compared) * 1000
    for i, r in enumerate(compared):
        y = 50 + i * row_h
        draw.text((20, y + 10), r.stage, fill="black")
        for j, (label, seconds, colour) in enumerate(
                (("pakta", r.pakta_s, "#2e9d5b"),
                 (r.baseline.removesuffix(" loop"), r.naive_s or 0, "#c9ced6"))):
            ms = 1000 * seconds / r.documents
            bar = int((width - 330) * ms / most)
            top = y + j * 24
            draw.rectangle([200, top, 200 + bar, top + 18], fill=colour)
            draw.text((206 + bar, top + 3), f"{label} {ms:.1f} ms", fill="black")
    image.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=int, default=552)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat, 100 heads")
    parser.add_argument("--stages", default="render,sign,sign-bt,verify,serve,memory")
    parser.add_argument("--memory-heads", default="250,2500",
                        help="heads of the small and large memory runs")
    args = parser.parse_args()
    if args.quick:
        args.heads, args.repeat = 100, 1
    stages = set(args.stages.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    ws = WORK / "ws"
    make_workspace(ws, args.heads)
    docs = 2 * args.heads
    rows: list[Row] = []
    if "render" in stages:
        rows.append(bench_render(ws, docs, args.repeat))
        print(print_table(rows[-1:]).splitlines()[-1], file=sys.stderr)
    extra = _extra_stages()
    for name, stage in extra.items():
        if name in stages:
            rows.extend(stage(ws, docs, args.repeat))
            print(print_table(rows[-1:]).splitlines()[-1], file=sys.stderr)
    memory = []
    if "memory" in stages:
        from benchmarks.stages import bench_memory

        small, large = (int(n) for n in args.memory_heads.split(","))
        memory = bench_memory(small, large)
    print(print_table(rows))
    if memory:
        print()
        print(memory_table(memory))
    results = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
               "heads": args.heads, "repeat": args.repeat,
               "rows": [{**asdict(r), "ratio": r.ratio, "met": r.met} for r in rows],
               "memory": [{**asdict(m), "growth": m.growth, "met": m.met} for m in memory]}
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    chart(rows, HERE / "results.png")
    print(f"\nwrote {HERE / 'results.json'} and {HERE / 'results.png'}", file=sys.stderr)


def _extra_stages() -> dict[str, Any]:
    """The signing and verification stages (benchmarks/stages.py) and pakta serve's
    (benchmarks/serve.py)."""
    from benchmarks import serve, stages

    return {**stages.STAGES, **serve.STAGES}


if __name__ == "__main__":
    main()
