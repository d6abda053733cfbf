"""pakta status: who has signed what, who is still missing."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.options import workspace_at, workspace_option
from pakta.cli.runtime import write_output
from pakta.i18n import _


@main.command(help=_("Per template and province: rendered, signed by head and witness, "
                     "verified."))
@workspace_option
@click.option("--template", "-t", help=_("Only this template."))
@click.option("--province", "-p", help=_("Only this province (by name)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]),
              default="text", show_default=True, help=_("Report format."))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Write the report to this file instead of stdout."))
def status(workspace: Path | None, template: str | None, province: str | None, fmt: str,
           output: Path | None) -> None:
    from pakta.errors import InputError
    from pakta.ledger import Ledger
    from pakta.reports.status import RENDERERS
    from pakta.roster import load_roster
    from pakta.status import build_status

    ws = workspace_at(workspace)
    heads = load_roster(ws.roster) if ws.roster.exists() else []
    with Ledger(ws.ledger) as ledger:
        report = build_status(ledger, heads, template_dir=ws.template_dir, template=template,
                              province=province, provinces=ws.provinces)
    if (template or province) and not report.documents:
        raise InputError(_("no documents for {selection}").format(
            selection=" ".join(x for x in (template, province) if x)),
            hint=_("check the template and province names"))
    write_output(RENDERERS[fmt](report), output)

