"""pakta init: a new workspace."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.i18n import _


@main.command(help=_("Create a workspace in FOLDER: pakta.toml, a sample roster, "
                     "templates/."))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help=_("Replace an existing pakta.toml."))
def init(folder: Path, overwrite: bool) -> None:
    from pakta.config import init_workspace

    for path in init_workspace(folder, overwrite=overwrite):
        click.echo(_("wrote {file}").format(file=path))
    click.echo("\n" + _("next: cd {folder} && pakta roster check roster.csv && pakta render")
               .format(folder=folder), err=True)
