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
@click.option("--complete", is_flag=True,
              help=_("A region of the register (or of pakta.toml's provinces) without a head "
                     "is a problem too."))
def roster_check(file: Path, complete: bool) -> None:
    from collections import Counter

    from pakta.roster import check_roster

    heads, coverage = check_roster(file, complete)
    kinds = Counter(h.kind.value for h in heads)
    acting = sum(1 for h in heads if h.status.value != "definitif")
    click.echo(_("{file}: {count} heads OK ({provinces} provinsi, {regencies} kabupaten, "
                 "{cities} kota; {acting} acting)").format(
                     file=file, count=len(heads), provinces=kinds["provinsi"],
                     regencies=kinds["kabupaten"], cities=kinds["kota"], acting=acting))
    click.echo("\n".join(coverage.lines(limit=40)))
