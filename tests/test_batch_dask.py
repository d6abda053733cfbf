"""The executor on a real Dask LocalCluster (2 worker processes, started here): the same
bytes and verdicts as the local pool, a worker killed mid-batch loses nothing, and a
client killed mid-batch leaves a batch that a rerun finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pakta.batch import DaskExecutor, LocalExecutor
from pakta.config import Event, Witness
from pakta.ledger import Ledger, sha256_hex
from pakta.people import render_people, verify_people, write_sample_csv
from pakta.verify import make_settings

pytestmark = pytest.mark.xdist_group("dask")

EVENT = Event("Apel Siaga Netralitas ASN", "Jakarta", date(2024, 9, 17))
WITNESS = Witness("Rahmat Bagja", "Ketua Badan Pengawas Pemilihan Umum Republik Indonesia")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as local:
        yield local


@pytest.fixture()
def dask(cluster: Any) -> Iterator[DaskExecutor]:
    with DaskExecutor(cluster.scheduler_address) as executor:
        yield executor  # type: ignore[misc]


def render(folder: Path, roster: Path, executor: Any, **kwargs: Any) -> dict[str, int]:
    with Ledger(folder / "pakta.db") as ledger:
        counts = render_people(roster, out_dir=folder / "out", template_dir=None,
                               event=EVENT, witness=WITNESS, ledger=ledger,
                               executor=executor, **kwargs)
    assert not counts.failures, counts.failures
    return counts.counts


def pdfs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted((folder / "out").rglob("*.pdf"))}


def verdicts(folder: Path, executor: Any) -> list[Any]:
    found: list[Any] = []
    with Ledger(folder / "pakta.db") as ledger:
        settings = make_settings([], ledger, [], None)
        verify_people(folder / "out", settings, ledger=None, executor=executor,
                      on_verdict=found.append)
    # Where the file is and how long it took differ; everything else must not.
    return [replace(v, path=Path(v.path).relative_to(folder).as_posix(), seconds=0.0)
            for v in found]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A roster and its statements rendered by the local pool."""
    folder = tmp_path_factory.mktemp("local")
    roster = folder / "asn.csv"
    write_sample_csv(roster, 16)
    assert render(folder, roster, LocalExecutor(2)) == {"rendered": 16}
    return folder, roster


def test_dask_renders_the_same_bytes_and_verdicts_as_the_local_pool(
        reference: tuple[Path, Path], dask: DaskExecutor, tmp_path: Path) -> None:
    local, roster = reference
    assert render(tmp_path, roster, dask, window=6) == {"rendered": 16}
    assert pdfs(tmp_path) == pdfs(local)
    with Ledger(tmp_path / "pakta.db") as ledger:  # the client wrote every row
        assert {d.sha256 for d in ledger.documents()} == {
            sha256_hex(b) for b in pdfs(local).values()}
    on_dask = verdicts(tmp_path, dask)
    assert on_dask == verdicts(local, LocalExecutor(2))
    assert len(on_dask) == 16 and {v.status for v in on_dask} == {"INCOMPLETE"}
    assert {v.missing_slots for v in on_dask} == {("asn",)}


def test_the_time_limit_holds_on_dask_worker_threads(
        reference: tuple[Path, Path], dask: DaskExecutor) -> None:
    """Dask runs tasks in threads, where SIGALRM cannot reach: each file runs in a
    watchdog child with its limits, and a file over the time limit is an ERROR row
    naming the document."""
    from pakta.verify import iter_verdicts

    local, _ = reference
    files = sorted((local / "out").rglob("*.pdf"))[:4]
    with Ledger(local / "pakta.db") as ledger:
        settings = make_settings([], ledger, [], None)
    hasty = replace(settings, time_limit=0.001)
    rows = list(iter_verdicts(files, hasty, executor=dask))
    assert [r.status for r in rows] == ["ERROR"] * 4, rows
    assert {f.code for r in rows for f in r.reasons} == {"TIME_LIMIT"}
    assert all(r.doc_id for r in rows)  # the row keeps the document
    in_time = list(iter_verdicts(files, settings, executor=dask))
    assert {r.status for r in in_time} == {"INCOMPLETE"}


def test_a_worker_killed_mid_batch_loses_nothing(
        reference: tuple[Path, Path], cluster: Any, dask: DaskExecutor,
        tmp_path: Path) -> None:
    local, _ = reference
    roster = tmp_path / "asn.csv"
    write_sample_csv(roster, 40)
    pids = dask.client.run(os.getpid)
    seen: list[str] = []

    def kill_one(outcome: Any) -> None:
        seen.append(outcome.doc_id)
        if len(seen) == 4:  # the batch is under way on both workers
            os.kill(next(iter(pids.values())), signal.SIGKILL)

    assert render(tmp_path, roster, dask, progress=kill_one) == {"rendered": 40}
    assert set(dask.client.run(os.getpid).values()) != set(pids.values())  # replaced
    files = pdfs(tmp_path)
    assert len(files) == 40
    assert not list((tmp_path / "out").rglob(".*.part"))
    with Ledger(tmp_path / "pakta.db") as ledger:
        recorded = {Path(d.path).name: d.sha256 for d in ledger.documents()}
    assert recorded == {Path(k).name: sha256_hex(v) for k, v in files.items()}
    # the first 16 rows are the reference roster's: the same bytes as the local pool
    for name, data in pdfs(local).items():
        assert files[name] == data


CLIENT = textwrap.dedent("""
    import sys
    from datetime import date
    from pathlib import Path
    from pakta.batch import DaskExecutor
    from pakta.config import Event, Witness
    from pakta.ledger import Ledger
    from pakta.people import render_people

    folder = Path(sys.argv[2])
    with Ledger(folder / "pakta.db") as ledger, DaskExecutor(sys.argv[1]) as executor:
        render_people(folder / "asn.csv", out_dir=folder / "out", template_dir=None,
                      event=Event({event!r}, {place!r}, date(2024, 9, 17)),
                      witness=Witness({witness!r}, {title!r}), ledger=ledger,
                      executor=executor, window=4)
""").format(event=EVENT.name, place=EVENT.place, witness=WITNESS.name, title=WITNESS.title)


def test_a_rerun_after_the_client_is_killed_resumes(
        reference: tuple[Path, Path], cluster: Any, dask: DaskExecutor,
        tmp_path: Path) -> None:
    local, roster = reference
    (tmp_path / "asn.csv").write_bytes(roster.read_bytes())
    client = subprocess.Popen([sys.executable, "-c", CLIENT, cluster.scheduler_address,
                               str(tmp_path)])
    deadline = time.monotonic() + 120
    while len(list((tmp_path / "out").rglob("*.pdf"))) < 5:
        assert client.poll() is None, "the client ended before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(client.pid, signal.SIGKILL)
    client.wait()
    done = len(list((tmp_path / "out").rglob("*.pdf")))
    assert 5 <= done < 16
    counts = render(tmp_path, tmp_path / "asn.csv", dask)
    assert counts["unchanged"] >= done and counts["unchanged"] + counts["rendered"] == 16
    assert pdfs(tmp_path) == pdfs(local)
    assert not list((tmp_path / "out").rglob(".*.part"))
