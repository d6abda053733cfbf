"""pakta export: one evidence package for an auditor."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.options import trust_option, workspace_at, workspace_option
from pakta.i18n import _


@main.command(help=_("One evidence package: signed PDFs, roster, ledger, trust roots, "
                     "report, manifest."))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("evidence.zip"), show_default=True,
              help=_("The package to write."))
@workspace_option
@trust_option
@click.option("--overwrite", is_flag=True, help=_("Replace an existing package."))
def export(out: Path, workspace: Path | None, trust: tuple[Path, ...],
           overwrite: bool) -> None:
    from pakta.errors import OutputExistsError
    from pakta.evidence import build_package

    ws = workspace_at(workspace)
    if out.exists() and not overwrite:
        raise OutputExistsError(_("{file} exists").format(file=out),
                                hint=_("pass --overwrite to replace it"))
    count, batch = build_package(ws, out, list(trust) or [ws.pki_dir / "root.pem"])
    if batch.ok:
        click.echo(_("wrote {file}: {count} signed PDFs, verification OK").format(
            file=out, count=count))
    else:
        click.echo(_("wrote {file}: {count} signed PDFs, verification found problems")
                   .format(file=out, count=count))
