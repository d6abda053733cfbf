"""pakta roster check: a roster's every problem at once."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.i18n import _


@main.group(help=_("Check rosters of regional heads."))
def roster() -> None:
    pass


@roster.command("check", help=_("Validate FILE (CSV, XLSX, YAML or JSON); list every "
                                "problem, exit 3 if any."))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def roster_check(file: Path) -> None:
    from collections import Counter

    from pakta.roster import load_roster

    heads = load_roster(file)
    kinds = Counter(h.kind.value for h in heads)
    acting = sum(1 for h in heads if h.status.value != "definitif")
    click.echo(_("{file}: {count} heads OK ({provinces} provinsi, {regencies} kabupaten, "
                 "{cities} kota; {acting} acting)").format(
                     file=file, count=len(heads), provinces=kinds["provinsi"],
                     regencies=kinds["kabupaten"], cities=kinds["kota"], acting=acting))
