"""People rosters read as a stream, NIP checks, the ledger's scale step, the executor's
own behaviour on this machine, and the `pakta people` commands."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from pakta.batch import LocalExecutor, WorkerState, open_executor
from pakta.errors import ConfigError
from pakta.ledger import MIGRATIONS, SCHEMA_VERSION, Ledger
from pakta.people import (
    PROBLEMS_SHOWN,
    PeopleRosterError,
    check_people,
    nip_problem,
    write_sample_csv,
)
from tests.conftest import run_pakta


@pytest.mark.parametrize(("nip", "problem"), [
    ("198503172010011002", None),
    ("19850317201001100", "NIP '19850317201001100' must be 18 digits"),
    ("1985031720100110a2", "NIP '1985031720100110a2' must be 18 digits"),
    ("198502302010011002",
     "NIP '198502302010011002': digits 1-8 are not a birth date (yyyymmdd)"),
    ("198503172010131002",
     "NIP '198503172010131002': digits 9-14 are not a month of appointment (yyyymm)"),
    ("198503172000011002",
     "NIP '198503172000011002': appointed (TMT 2000-01) before the age of 18"),
    ("198503172010013002", "NIP '198503172010013002': digit 15 (sex) must be 1 or 2"),
    ("198503172010011000",
     "NIP '198503172010011000': the sequence (digits 16-18) cannot be 000"),
])
def test_nip_is_checked_digit_by_digit(nip: str, problem: str | None) -> None:
    assert nip_problem(nip) == problem


def test_a_roster_is_checked_as_a_stream_and_problems_are_counted(tmp_path: Path) -> None:
    roster = tmp_path / "asn.csv"
    write_sample_csv(roster, 300)
    rows = list(csv.reader(roster.open(encoding="utf-8")))
    for row in rows[1:41]:
        row[0] = row[0][:-1]  # 40 NIPs one digit short
    rows[60][5] = "32-73"
    rows.append(rows[100])  # a duplicate, on the last row
    with roster.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    check = check_people(roster)
    assert (check.rows, check.problem_count) == (301, 42)
    with pytest.raises(PeopleRosterError) as raised:
        check.raise_if_problems()
    message = raised.value.message
    assert message.startswith("asn.csv: 42 problem(s):")
    assert f"asn.csv, row 2, column 'nip': NIP '{rows[1][0]}' must be 18 digits" in message
    assert message.count("\n  asn.csv, row ") == PROBLEMS_SHOWN
    assert message.endswith(f"  ... and {42 - PROBLEMS_SHOWN} more")
    assert raised.value.exit_code == 3
    assert check.problems[-1].row == 21  # the first N in full; the rest are counted


def test_a_duplicate_nip_names_its_first_row(tmp_path: Path) -> None:
    roster = tmp_path / "asn.csv"
    write_sample_csv(roster, 10)
    lines = roster.read_text(encoding="utf-8").splitlines()
    roster.write_text("\n".join([*lines, lines[3]]) + "\n", encoding="utf-8")
    (problem,) = check_people(roster).problems
    nip = lines[3].split(",")[0]
    assert str(problem) == (f"asn.csv, row 12, column 'nip': duplicate NIP {nip} "
                            "(first on row 4)")


def test_check_reads_a_large_roster_in_little_memory(tmp_path: Path) -> None:
    """50,000 rows (8 MB): what the check keeps is 8 bytes per row and the counts, not
    the rows (a list of people would take some 1,000 bytes per row)."""
    import tracemalloc

    roster = tmp_path / "asn.csv"
    write_sample_csv(roster, 50_000)
    tracemalloc.start()
    check = check_people(roster)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (check.people, check.problem_count) == (50_000, 0)
    assert peak < 20 * 50_000, peak


def test_the_scale_step_migrates_a_version_2_ledger(tmp_path: Path) -> None:
    path = tmp_path / "pakta.db"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        db.executescript(step)
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION >= 3
        indexes = {r[0] for r in ledger._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"people_instansi", "documents_template_region", "signatures_doc_slot",
                "verifications_doc_id"} <= indexes
        plan = " ".join(r[3] for r in ledger._db.execute(
            "EXPLAIN QUERY PLAN SELECT doc_id FROM documents WHERE template = ? "
            "AND region_code = ?", ("x", "32.73")))
        assert "documents_template_region" in plan


def _square(state: int, item: int) -> int:
    return state * item


def _build(factor: int) -> int:
    return factor


def test_the_local_pool_keeps_order_and_builds_state_once_per_worker() -> None:
    setup = WorkerState(_build, (3,))
    with LocalExecutor(2) as executor:
        assert list(executor.map(_square, range(100), setup, size=100, chunk=3)) == [
            3 * i for i in range(100)]
        assert list(executor.map(_square, range(3), setup, size=3)) == [0, 3, 6]


def test_tasks_and_windows_are_sized_for_the_executor() -> None:
    from pakta.people.batches import WINDOW, window_for

    local = LocalExecutor(2)
    assert local.chunk_size(5000, most=4) == 4
    assert local.chunk_size(40, most=4) == 1  # each worker still gets its 16 tasks
    assert local.chunk_size(None, most=16) == 16
    # A window holds 16 full tasks for every worker: many workers get a larger window.
    assert window_for(local, None) == WINDOW
    assert window_for(local, 7) == 7
    assert window_for(LocalExecutor(200), None) == 200 * 4 * 16


def test_an_unknown_executor_is_refused() -> None:
    with pytest.raises(ConfigError, match="executor 'spark://x': expected 'local' or "
                                          "'dask://host:port'"):
        open_executor("spark://x")
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        open_executor("dask://127.0.0.1:9")


def test_people_commands(tmp_path: Path) -> None:
    assert run_pakta("init", "ws", cwd=tmp_path).returncode == 0
    ws = tmp_path / "ws"
    write_sample_csv(ws / "asn.csv", 6)
    (ws / "bad.csv").write_text("nip,nama,jabatan,unit_kerja,instansi,kode_wilayah\n"
                                "123,A,B,C,D,32.73\n", encoding="utf-8")
    bad = run_pakta("people", "check", "bad.csv", cwd=ws)
    assert bad.returncode == 3
    assert "bad.csv, row 2, column 'nip': NIP '123' must be 18 digits" in bad.stderr
    assert "Traceback" not in bad.stderr
    rendered = run_pakta("people", "render", "asn.csv", "-j", "1", cwd=ws)
    assert rendered.returncode == 0, rendered.stderr
    assert "6 rendered, 0 unchanged, 0 failed" in rendered.stdout
    status = run_pakta("people", "status", cwd=ws)
    assert "Pemerintah Kota Bandung" in status.stdout
    assert status.stdout.splitlines()[-1].split() == ["total", "6", "0", "0"]
    listed = run_pakta("people", "status", "--format", "csv", cwd=ws)
    assert len(listed.stdout.splitlines()) == 7
    config = (ws / "pakta.toml").read_text(encoding="utf-8")
    (ws / "pakta.toml").write_text(config + '\n[executor]\naddress = "spark://x"\n',
                                   encoding="utf-8")
    refused = run_pakta("people", "render", "asn.csv", cwd=ws)
    assert refused.returncode == 3
    assert '[executor] address must be "local" or "dask://host:port"' in refused.stderr
