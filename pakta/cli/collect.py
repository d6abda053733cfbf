"""pakta collect: file returned PDFs under the documents they were issued as."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.options import trust_option, workspace_at, workspace_option
from pakta.i18n import _, ngettext


@main.command(help=_("File returned PDFs (any name) under the document they were issued "
                     "as."))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@workspace_option
@trust_option
def collect(paths: tuple[Path, ...], workspace: Path | None, trust: tuple[Path, ...]) -> None:
    from pakta.collect import collect_files
    from pakta.errors import InputError
    from pakta.ledger import Ledger
    from pakta.roster import load_roster
    from pakta.verify import collect_pdfs, make_settings, workspace_crls

    ws = workspace_at(workspace)
    with Ledger(ws.ledger) as ledger:
        settings = make_settings(list(trust) or [ws.pki_dir / "root.pem"], ledger,
                                 load_roster(ws.roster), ws.witness.name, ws.template_dir,
                                 workspace_crls(ws.pki_dir))
        outcomes = collect_files(collect_pdfs(paths), ws.collected_dir, ledger, settings)
    actions = {"kept": _("kept"), "already filed": _("already filed")}
    for o in outcomes:
        if o.action == "refused":
            click.echo(_("refused {file}: {reason}").format(file=o.source, reason=o.reason),
                       err=True)
        elif o.action == "filed":
            click.echo(ngettext("filed {file} as {name} ({count} signature)",
                                "filed {file} as {name} ({count} signatures)",
                                o.signatures).format(file=o.source, name=o.canonical,
                                                     count=o.signatures))
        else:
            click.echo(f"{actions.get(o.action, o.action)} {o.source}: {o.reason}")
    refused = sum(o.action == "refused" for o in outcomes)
    click.echo(_("{collected} collected, {refused} refused").format(
        collected=len(outcomes) - refused, refused=refused), err=True)
    if refused:
        raise InputError(ngettext("{count} of {total} file refused",
                                  "{count} of {total} files refused", len(outcomes)).format(
                                      count=refused, total=len(outcomes)))
