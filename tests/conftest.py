"""Shared fixtures: small workspaces rendered with the real WeasyPrint.

Fixture modules of other parts of the suite (PKI, signing) are pytest plugins listed
in `pytest_plugins`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures_pki"]

ROSTER_HEADER = "kode,jenis,nama_wilayah,provinsi,nama,status,nik,email\n"
SMALL_ROSTER = ROSTER_HEADER + (
    "75,provinsi,Gorontalo,Gorontalo,\"Dr. Ir. Hamka Hendra Noer, M.Si\",Pj.,,\n"
    "71,provinsi,Sulawesi Utara,Sulawesi Utara,Drs. Yohanes Lamba,definitif,,\n"
    "71.11,kabupaten,Bolaang Mongondow Selatan,Sulawesi Utara,"
    "\"Hi. Iskandar Kamaru, S.Pt, M.Si\",definitif,7111000000000001,bupati@bolsel.go.id\n"
    "33.76,kota,Tegal,Jawa Tengah,Dadang Somantri,Pj.,,\n"
)


def run_pakta(*args: str, cwd: Path | None = None, input: str | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `pakta` command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "pakta", *args], cwd=cwd, input=input,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """A fresh workspace (pakta init) with the given roster text."""

    def make(roster: str = SMALL_ROSTER, name: str = "ws") -> Path:
        from pakta.config import init_workspace

        folder = tmp_path / name
        init_workspace(folder)
        (folder / "roster.csv").write_text(roster, encoding="utf-8")
        return folder

    return make


@pytest.fixture(scope="session")
def rendered_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the small roster rendered (both templates). Read-only: copy it
    (see `fresh_rendered`) before changing anything."""
    from pakta.config import init_workspace, load_workspace
    from pakta.ledger import Ledger
    from pakta.render import plan_jobs, render_batch
    from pakta.roster import load_roster

    folder = tmp_path_factory.mktemp("rendered") / "ws"
    init_workspace(folder)
    (folder / "roster.csv").write_text(SMALL_ROSTER, encoding="utf-8")
    ws = load_workspace(folder)
    jobs = plan_jobs(load_roster(ws.roster), ws.templates, ws.out)
    with Ledger(ws.ledger) as ledger:
        summary = render_batch(jobs, template_dir=ws.template_dir, event=ws.event,
                               witness=ws.witness, ledger=ledger)
    assert not summary.failed
    return folder


@pytest.fixture
def fresh_rendered(rendered_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the rendered workspace (ledger paths still point at the copy's
    own out/ folder by name)."""
    import shutil
    import sqlite3

    copy = tmp_path / "ws"
    shutil.copytree(rendered_workspace, copy)
    db = sqlite3.connect(copy / "pakta.db")
    db.execute("UPDATE documents SET path = replace(path, ?, ?)",
               (str(rendered_workspace), str(copy)))
    db.commit()
    db.close()
    return copy


def chromium_dom(page: Path, profile: Path) -> str:
    """The DOM of a local page after headless Chromium has loaded it."""
    return subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout


def pdf_of(objects: list[bytes]) -> bytes:
    """A PDF written by hand: `objects` as objects 1, 2, ... (1 is the catalog), one
    cross-reference table, nothing else."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
