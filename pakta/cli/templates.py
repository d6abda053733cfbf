"""pakta templates list: the document templates, their slots and fields."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.options import optional_workspace, workspace_option
from pakta.i18n import _


@main.group(help=_("Document templates."))
def templates() -> None:
    pass


@templates.command("list", help=_("Show every template, its signature slots and the "
                                  "fields it needs."))
@workspace_option
def templates_list(workspace: Path | None) -> None:
    from pakta.render.templating import Catalogue

    ws = optional_workspace(workspace)  # outside a workspace: the built-in templates only
    catalogue = Catalogue(ws.template_dir if ws else None)
    for name in catalogue.names():
        info = catalogue.info(name)
        origin = (_("built-in") if info.builtin
                  else _("workspace ({path})").format(path=info.path))
        click.echo(f"{name}  [{origin}]")
        click.echo(_("  slots:  {slots}").format(slots=", ".join(info.slots) or _("(none)")))
        click.echo(_("  fields: {fields}").format(fields=", ".join(info.variables)))
