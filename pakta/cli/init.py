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
@click.option("--sample", type=click.Choice(["quick", "national"]), default="quick",
              show_default=True,
              help=_("Sample roster: 72 heads, or a head for each of the 552 regions."))
def init(folder: Path, overwrite: bool, sample: str) -> None:
    from pakta.config import init_workspace

    for path in init_workspace(folder, overwrite=overwrite, sample=sample):
        click.echo(_("wrote {file}").format(file=path))
    click.echo("\n" + _("next: cd {folder} && pakta roster check roster.csv && pakta render")
               .format(folder=folder), err=True)
