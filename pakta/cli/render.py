"""pakta render: one PDF/A per head and template, with empty signature fields."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.options import (
    executor_option,
    open_batch_executor,
    workspace_at,
    workspace_option,
)
from pakta.cli.runtime import progress
from pakta.i18n import _, ngettext


@main.command(help=_("Render one PDF/A per head and template, with empty signature "
                     "fields."))
@workspace_option
@click.option("--template", "-t", "template_names", multiple=True,
              help=_("Template to render; repeat it, or 'all'. Default: from pakta.toml."))
@click.option("--roster", "roster_path", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Roster file (default: from pakta.toml)."))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_("Output folder (default: from pakta.toml)."))
@click.option("--only", multiple=True, metavar="CODE", help=_("Only these region codes."))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help=_("Worker processes (default: all cores)."))
@click.option("--overwrite", is_flag=True,
              help=_("Replace output files that differ from what would be rendered."))
@executor_option
def render(workspace: Path | None, template_names: tuple[str, ...], roster_path: Path | None,
           out_dir: Path | None, only: tuple[str, ...], jobs: int | None,
           overwrite: bool, executor: str | None) -> None:
    from pakta.errors import BatchFailed, Interrupted
    from pakta.ledger import Ledger
    from pakta.render import plan_jobs, render_batch
    from pakta.render.templating import Catalogue
    from pakta.roster import load_roster

    ws = workspace_at(workspace)
    heads = load_roster(roster_path or ws.roster)  # a bad roster stops everything here
    catalogue = Catalogue(ws.template_dir)
    names = list(template_names) or list(ws.templates)
    if "all" in names:
        names = catalogue.names()
    for name in names:
        catalogue.info(name)  # unknown or broken templates fail before any work
    with open_batch_executor(ws, executor, jobs) as pool:
        planned = plan_jobs(heads, names, _folder(out_dir or ws.out, pool.remote), only)
        with Ledger(ws.ledger) as ledger, progress(len(planned), _("rendering")) as step:
            summary = render_batch(
                planned, template_dir=ws.template_dir, event=ws.event,
                witness=ws.witness, ledger=ledger, overwrite=overwrite, executor=pool,
                progress=lambda outcome: step(), base_url=ws.base_url,
            )
    for failure in summary.failed:
        click.echo(_("failed: {file}: {error}").format(file=failure.path,
                                                       error=failure.error), err=True)
    click.echo(_("{rendered} rendered, {overwritten} overwritten, {unchanged} unchanged, "
                 "{failed} failed -> {folder}").format(
                     rendered=summary.count("rendered"),
                     overwritten=summary.count("overwritten"),
                     unchanged=summary.count("unchanged"), failed=len(summary.failed),
                     folder=out_dir or ws.out))
    if summary.interrupted:
        left = len(planned) - len(summary.outcomes)
        if left:
            message = ngettext(
                "interrupted: {count} document not rendered yet; run the same command "
                "again to render it",
                "interrupted: {count} documents not rendered yet; run the same command "
                "again to render them", left).format(count=left)
        else:
            message = _("interrupted after the last document: every document is done")
        raise Interrupted(message)
    if summary.failed:
        raise BatchFailed(
            ngettext("{count} of {total} document failed", "{count} of {total} documents "
                     "failed", len(planned)).format(count=len(summary.failed),
                                                    total=len(planned)),
            max(f.exit_code for f in summary.failed))


def _folder(out: Path, remote: bool) -> Path:
    """On Dask the workers write the files, each in a working folder of its own: they
    get the absolute path (of a folder they all reach)."""
    return out.resolve() if remote else out
