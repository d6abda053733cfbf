"""Shared fixtures: the demo PKI over the small roster, and the local timestamp service."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

PASSPHRASE = "uji-rahasia-7f3a9c"  # generated keys only; tests grep outputs for it


@pytest.fixture(scope="session")
def demo_pki_dir(rendered_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pakta.config import load_workspace
    from pakta.pki import create_demo_pki
    from pakta.roster import load_roster

    ws = load_workspace(rendered_workspace)
    folder = tmp_path_factory.mktemp("pki") / "pki"
    create_demo_pki(folder, load_roster(ws.roster), ws.witness.name, PASSPHRASE.encode())
    return folder


@pytest.fixture
def signing_ws(fresh_rendered: Path, demo_pki_dir: Path,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private rendered workspace with the demo PKI in pki/ and the passphrase in the
    environment (as a user would export it)."""
    shutil.copytree(demo_pki_dir, fresh_rendered / "pki")
    monkeypatch.setenv("PAKTA_PASSPHRASE", PASSPHRASE)
    return fresh_rendered


@pytest.fixture(scope="session")
def tsa_url(demo_pki_dir: Path) -> Iterator[str]:
    from pakta.pki import DemoPki, TimestampServer

    server = TimestampServer(DemoPki(demo_pki_dir), PASSPHRASE.encode())
    with server.running() as url:
        yield url


def pakta_env() -> dict[str, str]:
    return {**os.environ, "PAKTA_PASSPHRASE": PASSPHRASE}


def sign(ws: Path, files: list[str], slot: str, p12: str, *extra: str) -> None:
    from tests.conftest import run_pakta

    result = run_pakta("sign", *files, "--slot", slot, "--p12", p12, *extra, cwd=ws,
                       env=pakta_env())
    assert result.returncode == 0, result.stderr


@pytest.fixture
def signed_ws(signing_ws: Path, tsa_url: str) -> Path:
    """Every document signed by its head (B-T) into signed/, pacts co-signed by the
    witness: the whole batch COMPLETE."""
    from pakta.roster import load_roster

    for head in load_roster(signing_ws / "roster.csv"):
        files = [str(p.relative_to(signing_ws)) for p in
                 sorted((signing_ws / "out").glob(f"{head.slug}-*.pdf"))]
        sign(signing_ws, files, "kepala_daerah", f"pki/signers/{head.code}.p12",
             "--level", "B-T", "--tsa", tsa_url, "--out", "signed")
    pacts = [str(p.relative_to(signing_ws))
             for p in sorted((signing_ws / "signed").glob("*pakta-integritas-signed.pdf"))]
    sign(signing_ws, pacts, "saksi", "pki/witness.p12", "--in-place")
    return signing_ws


