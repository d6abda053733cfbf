"""Options shared by several commands, each defined once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from pakta.i18n import _

if TYPE_CHECKING:
    from pakta.batch import Executor
    from pakta.config import Workspace

workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
    help=_("Workspace folder (default: the nearest folder with pakta.toml)."))

trust_option = click.option(
    "--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help=_("Trust root certificate(s), PEM or DER, repeatable (default: the workspace's "
           "pki/root.pem)."))

executor_option = click.option(
    "--executor", default=None, metavar="ADDRESS",
    help=_("Where the batch runs: 'local' (default) or dask://host:8786 (default: "
           "[executor] in pakta.toml)."))


def executor_address(ws: Workspace | None, address: str | None) -> str | None:
    """--executor, else the workspace's [executor] address, else None (this machine)."""
    return address or (ws.executor if ws is not None else None)


def open_batch_executor(ws: Workspace | None, address: str | None, jobs: int | None
                        ) -> Executor:
    """The executor a batch command runs on: local with `jobs` processes (default: one
    per core), or the Dask scheduler that --executor or pakta.toml names."""
    import os

    from pakta.batch import open_executor

    return open_executor(executor_address(ws, address), jobs or os.cpu_count() or 1)


def workspace_at(path: Path | None) -> Workspace:
    """The workspace at `path`, or the nearest one; an error outside any."""
    from pakta.config import load_workspace

    return load_workspace(path)


def optional_workspace(path: Path | None) -> Workspace | None:
    """The workspace, or None outside any (an error only when one was named)."""
    from pakta.config import load_workspace
    from pakta.errors import ConfigError

    try:
        return load_workspace(path)
    except ConfigError:
        if path is not None:
            raise
        return None


def default_trust(ws: Workspace | None, trust: tuple[Path, ...]) -> tuple[Path, ...]:
    """--trust, else the workspace's pki/root.pem when it exists."""
    if trust or ws is None:
        return trust
    root = ws.pki_dir / "root.pem"
    return (root,) if root.is_file() else ()
