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
from tests.conftest import run_pakta

pytestmark = pytest.mark.xdist_group("dask")

EVENT = Event("Apel Siaga Netralitas ASN", "Jakarta", date(2024, 9, 17))
WITNESS = Witness("Rahmat Bagja", "Ketua Badan Pengawas Pemilihan Umum Republik Indonesia")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    # Any free port for the dashboard: None still serves it on 8787, which another
    # cluster on this machine may hold.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=40) as local:
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


def test_a_cluster_task_carries_four_times_the_local_chunk(dask: DaskExecutor) -> None:
    """A task on a cluster costs milliseconds of the client, the scheduler and the
    worker: four times the local chunk, down to the same share of tasks per worker."""
    from pakta.people.batches import WINDOW, window_for

    assert dask.workers == 2
    assert dask.chunk_size(5000, most=4) == 4 * LocalExecutor(2).chunk_size(5000, most=4)
    assert dask.chunk_size(5000, most=16, spread=8) == 64
    assert dask.chunk_size(320, most=4) == 10  # 16 tasks for each worker
    assert window_for(dask, None) == WINDOW


def renamed_copies(local: Path, folder: Path) -> tuple[list[Path], dict[str, str]]:
    """Two statements under their own names, two renamed (their names claim nothing),
    and one renamed after another document (its name claims the wrong one)."""
    files = sorted((local / "out").rglob("*.pdf"))
    folder.mkdir()
    named = [folder / f.name for f in files[:2]]
    renamed = [folder / "arsip-1.pdf", folder / "arsip-2.pdf", folder / files[5].name]
    for target, source in zip(named + renamed, files[:2] + files[2:5], strict=True):
        target.write_bytes(source.read_bytes())
    expected = {str(t): s.stem for t, s in zip(named + renamed, files[:5], strict=True)}
    return named + renamed, expected


def test_a_renamed_document_is_found_by_its_bytes_and_workers_get_no_ledger(
        reference: tuple[Path, Path], dask: DaskExecutor, tmp_path: Path) -> None:
    """The workers are sent each file's claim, not the ledger: a file that is not the
    document its name claims comes back unresolved and is sent again with the ledger's
    answer for its bytes, on both executors."""
    import pickle

    from pakta.verify import iter_verdicts

    local, _ = reference
    files, expected = renamed_copies(local, tmp_path / "renamed")
    with Ledger(local / "pakta.db") as ledger:
        settings = make_settings([], ledger, [], None)
    travels = pickle.dumps(settings)  # what each worker is sent once
    assert not [f for f in files if Path(expected[str(f)]).name.encode() in travels]
    for executor in (dask, LocalExecutor(2)):
        rows = list(iter_verdicts(files, settings, executor=executor))
        assert {r.path: r.doc_id for r in rows} == expected
        assert {r.status for r in rows} == {"INCOMPLETE"}, rows
        # the named files first, the ones sent again last
        assert [r.path for r in rows[:2]] == [str(f) for f in files[:2]]


def test_the_time_limit_holds_on_dask_worker_threads(
        reference: tuple[Path, Path], dask: DaskExecutor, tmp_path: Path) -> None:
    """Dask runs tasks in threads, where SIGALRM cannot reach: each file runs in a
    watchdog child with its limits, and a file over the time limit is an ERROR row
    naming the document, even one renamed."""
    from pakta.verify import iter_verdicts

    local, _ = reference
    files = sorted((local / "out").rglob("*.pdf"))[:4]
    renamed = tmp_path / "arsip.pdf"
    renamed.write_bytes(files[3].read_bytes())
    files[3] = renamed
    with Ledger(local / "pakta.db") as ledger:
        settings = make_settings([], ledger, [], None)
    hasty = replace(settings, time_limit=0.001)
    rows = list(iter_verdicts(files, hasty, executor=dask))
    assert [r.status for r in rows] == ["ERROR"] * 4, rows
    assert {f.code for r in rows for f in r.reasons} == {"TIME_LIMIT"}
    assert all(r.doc_id for r in rows)  # the row keeps the document
    in_time = list(iter_verdicts(files, settings, executor=dask))
    assert {r.status for r in in_time} == {"INCOMPLETE"}


def _profiler_running(dask_worker: Any) -> list[bool]:
    from pakta.batch import PROFILER_CALLBACKS

    return [name in dask_worker.periodic_callbacks
            and dask_worker.periodic_callbacks[name].is_running()
            for name in PROFILER_CALLBACKS]


def test_dask_profiler_is_paused_while_a_batch_state_is_on_the_workers(
        reference: tuple[Path, Path], cluster: Any) -> None:
    """Dask's statistical profiler keeps a profile a second, 1,000 of them: a worker grew
    with the time a batch ran (pakta.batch). It is paused while a state is on the
    worker, and runs again once the executor is closed."""
    from pakta.verify import iter_verdicts

    local, _ = reference
    files = sorted((local / "out").rglob("*.pdf"))[:4]
    with Ledger(local / "pakta.db") as ledger:
        settings = make_settings([], ledger, [], None)
    with DaskExecutor(cluster.scheduler_address) as executor:
        client = executor.client
        assert set(map(tuple, client.run(_profiler_running).values())) == {(True, True)}
        assert {r.status for r in iter_verdicts(files, settings, executor=executor)} == {
            "INCOMPLETE"}
        assert set(map(tuple, client.run(_profiler_running).values())) == {(False, False)}
    with DaskExecutor(cluster.scheduler_address) as executor:
        assert set(map(tuple, executor.client.run(_profiler_running).values())) == {
            (True, True)}


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
    assert len(complete_and_recorded(tmp_path, local)) == 40


def complete_and_recorded(folder: Path, local: Path) -> dict[str, bytes]:
    """The batch's PDFs, each recorded in the ledger with its hash and none left as a
    temporary file; the reference roster's rows are the local pool's bytes."""
    files = pdfs(folder)
    assert not list((folder / "out").rglob(".*.part"))
    with Ledger(folder / "pakta.db") as ledger:
        recorded = {Path(d.path).name: d.sha256 for d in ledger.documents()}
    assert recorded == {Path(k).name: sha256_hex(v) for k, v in files.items()}
    for name, data in pdfs(local).items():
        assert files[name] == data
    return files


async def _retire(dask_worker: Any) -> None:
    """What `dask worker --lifetime ... --lifetime-restart` does when the time is up."""
    await dask_worker.close_gracefully(restart=True, reason="worker-lifetime-reached")


def test_a_worker_restarted_for_its_lifetime_mid_batch_loses_nothing(
        reference: tuple[Path, Path], dask: DaskExecutor, tmp_path: Path) -> None:
    """The README's cluster restarts each worker when its lifetime is up (a library's
    per-document leak stays bounded): the worker leaves gracefully mid-batch, its
    replacement gets the batch's state, and nothing is lost or rendered twice."""
    local, _ = reference
    roster = tmp_path / "asn.csv"
    write_sample_csv(roster, 40)
    before = dask.client.run(os.getpid)
    leaving = next(iter(before))
    seen: list[str] = []

    def retire_one(outcome: Any) -> None:
        seen.append(outcome.doc_id)
        if len(seen) == 4:  # the batch is under way on both workers
            dask.client.run(_retire, workers=[leaving], wait=False)

    assert render(tmp_path, roster, dask, progress=retire_one) == {"rendered": 40}
    assert len(seen) == len(set(seen)) == 40
    deadline = time.monotonic() + 60
    while before[leaving] in dask.client.run(os.getpid).values() \
            or len(dask.client.run(os.getpid)) < 2:
        assert time.monotonic() < deadline, "the worker was not restarted"
        time.sleep(0.2)
    files = complete_and_recorded(tmp_path, local)
    assert len(files) == 40
    # The replacement joined with the batch's state on it: its profiler is paused too
    # (it starts its periodic callbacks after its plugins).
    assert set(map(tuple, dask.client.run(_profiler_running).values())) == {(False, False)}
    # the replacement has the batch's state: a second batch runs on both workers
    again = tmp_path / "again"
    again.mkdir()
    assert render(again, roster, dask) == {"rendered": 40}
    assert pdfs(again) == files


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


# ---------------------------------------------------------------------------------------
# The command line: --executor dask://... on render, verify and sign


def _cli(ws: Path, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    from tests.fixtures_pki import pakta_env

    return run_pakta(*args, cwd=ws, env=pakta_env(PAKTA_LANG=lang))


def _report(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The JSON report's documents without what differs from run to run."""
    import json

    docs = json.loads(result.stdout)["documents"]
    for doc in docs:
        doc.pop("seconds", None)
    return docs


def test_render_and_verify_on_dask_from_the_command_line(
        rendered_workspace: Path, demo_pki_dir: Path, cluster: Any, tmp_path: Path) -> None:
    import shutil

    address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
    copies = {}
    for name in ("local", "dask"):
        copies[name] = tmp_path / name
        shutil.copytree(rendered_workspace, copies[name])  # the ledger's public ids too
        shutil.rmtree(copies[name] / "out")
    local = _cli(copies["local"], "render", "--jobs", "2")
    assert local.returncode == 0, local.stderr
    on_dask = _cli(copies["dask"], "render", "--executor", address)
    assert on_dask.returncode == 0, on_dask.stderr
    assert "8 rendered, 0 overwritten, 0 unchanged, 0 failed" in on_dask.stdout
    made = {name: {p.name: p.read_bytes() for p in (ws / "out").glob("*.pdf")}
            for name, ws in copies.items()}
    assert len(made["dask"]) == 8
    assert made["dask"] == made["local"]
    assert made["dask"] == {p.name: p.read_bytes()
                            for p in (rendered_workspace / "out").glob("*.pdf")}

    reports = {}
    for name, ws in copies.items():
        extra = ("--executor", address) if name == "dask" else ("--jobs", "2")
        result = _cli(ws, "verify", "out", "--format", "json", "--trust",
                      str(demo_pki_dir / "root.pem"), *extra)
        assert result.returncode == 1, result.stderr  # unsigned: INCOMPLETE
        reports[name] = _report(result)
    assert reports["dask"] == reports["local"]
    assert {d["status"] for d in reports["dask"]} == {"INCOMPLETE"}
    assert sorted(d["path"] for d in reports["dask"]) == sorted(
        f"out/{name}" for name in made["dask"])  # named as given, not as the workers saw


def test_the_executor_comes_from_pakta_toml(rendered_workspace: Path, cluster: Any,
                                            tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(rendered_workspace, ws)
    shutil.rmtree(ws / "out")
    address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
    with (ws / "pakta.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[executor]\naddress = "{address}"\n')
    before = _computed(cluster)
    result = _cli(ws, "render", "--only", "75")
    assert result.returncode == 0, result.stderr
    assert len(list((ws / "out").glob("75-*.pdf"))) == 2
    assert _computed(cluster) > before  # the workers rendered them


def _computed(cluster: Any) -> float:
    """Seconds the cluster's workers spent on pakta's tasks so far."""
    prefix = cluster.scheduler.task_prefixes.get("pakta")
    return 0.0 if prefix is None else float(prefix.all_durations.get("compute", 0.0))


SIGN_75 = ("out/75-gorontalo-pakta-integritas.pdf", "out/75-gorontalo-deklarasi-netralitas.pdf")


@pytest.mark.parametrize(("lang", "message"), [
    ("en", "refusing to sign on Dask workers with a key file: the key and its "
           "passphrase would be sent to every worker"),
    ("id", "menolak menandatangani di worker Dask dengan berkas kunci: kunci beserta "
           "frasa sandinya akan dikirim ke setiap worker"),
])
def test_signing_on_dask_with_a_key_file_is_refused(
        signing_ws: Path, cluster: Any, lang: str, message: str) -> None:
    address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
    result = _cli(signing_ws, "sign", *SIGN_75, "--slot", "kepala_daerah", "--p12",
                  "pki/signers/75.p12", "--out", "signed", "--executor", address,
                  lang=lang)
    assert result.returncode == 2, result.stderr
    assert f"{address}: {message}" in result.stderr
    assert "--ship-key-to-workers" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (signing_ws / "signed").exists()


def test_signing_on_dask_with_a_token_is_refused(signing_ws: Path, cluster: Any) -> None:
    address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
    result = _cli(signing_ws, "sign", *SIGN_75, "--slot", "kepala_daerah",
                  "--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label",
                  "x", "--key-label", "y", "--out", "signed", "--executor", address,
                  "--ship-key-to-workers")
    assert result.returncode == 2, result.stderr
    assert (f"{address}: signing with a PKCS#11 token runs on this machine only"
            in result.stderr)
    assert not (signing_ws / "signed").exists()


def test_signing_on_dask_with_the_key_shipped(signing_ws: Path, cluster: Any,
                                              tmp_path: Path) -> None:
    from tests.fixtures_pki import PASSPHRASE, pdfsig

    address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
    result = _cli(signing_ws, "sign", *SIGN_75, "--slot", "kepala_daerah", "--p12",
                  "pki/signers/75.p12", "--out", "signed", "--executor", address,
                  "--ship-key-to-workers")
    assert result.returncode == 0, result.stderr
    assert "2 signed, 0 skipped, 0 failed" in result.stderr
    assert PASSPHRASE not in result.stdout + result.stderr
    for name in SIGN_75:
        output = signing_ws / "signed" / Path(name).name.replace(".pdf", "-signed.pdf")
        report = pdfsig(output, signing_ws / "pki" / "root.pem", tmp_path)
        assert "Signature Validation: Signature is Valid." in report
        assert "Certificate Validation: Certificate is Trusted." in report
    with Ledger(signing_ws / "pakta.db") as ledger:  # the client recorded the rows
        rows = [s for d in ledger.documents() if d.doc_id.startswith("75")
                for s in ledger.signatures(d.doc_id)]
    assert len(rows) == 2 and {r.slot for r in rows} == {"kepala_daerah"}
    # a rerun skips what is signed
    again = _cli(signing_ws, "sign", *SIGN_75, "--slot", "kepala_daerah", "--p12",
                 "pki/signers/75.p12", "--out", "signed", "--executor", address,
                 "--ship-key-to-workers")
    assert again.returncode == 0, again.stderr
    assert "0 signed, 2 skipped, 0 failed" in again.stderr
