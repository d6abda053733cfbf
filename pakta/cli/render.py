"""Secretariat commands: init, roster check, templates list, render, doctor."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pakta.cli import main, progress_bar
from pakta.config import Workspace, init_workspace, load_workspace

workspace_option = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Workspace folder (default: the nearest folder with pakta.toml).")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing pakta.toml.")
def init(folder: Path, overwrite: bool) -> None:
    """Create a workspace in FOLDER: pakta.toml, a sample roster, templates/."""
    written = init_workspace(folder, overwrite=overwrite)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"\nnext: cd {folder} && pakta roster check roster.csv && pakta render",
               err=True)


@main.group()
def roster() -> None:
    """Check rosters of regional heads."""


@roster.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def roster_check(file: Path) -> None:
    """Validate FILE (CSV, XLSX, YAML or JSON); list every problem, exit 3 if any."""
    from collections import Counter

    from pakta.roster import load_roster

    heads = load_roster(file)
    kinds = Counter(h.kind.value for h in heads)
    acting = sum(1 for h in heads if h.status.value != "definitif")
    click.echo(f"{file}: {len(heads)} heads OK ({kinds['provinsi']} provinsi, "
               f"{kinds['kabupaten']} kabupaten, {kinds['kota']} kota; {acting} acting)")


@main.group()
def templates() -> None:
    """Document templates."""


@templates.command("list")
@workspace_option
def templates_list(workspace: Path | None) -> None:
    """Show every template, its signature slots and the fields it needs."""
    from pakta.errors import ConfigError
    from pakta.templating import Catalogue

    try:
        folder: Path | None = load_workspace(workspace).template_dir
    except ConfigError:
        folder = None  # outside a workspace: the built-in templates only
    catalogue = Catalogue(folder)
    for name in catalogue.names():
        info = catalogue.info(name)
        origin = "built-in" if info.builtin else f"workspace ({info.path})"
        click.echo(f"{name}  [{origin}]")
        click.echo(f"  slots:  {', '.join(info.slots) or '(none)'}")
        click.echo(f"  fields: {', '.join(info.variables)}")


@main.command()
@workspace_option
@click.option("--template", "-t", "template_names", multiple=True,
              help="Template to render; repeat it, or 'all'. Default: from pakta.toml.")
@click.option("--roster", "roster_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Roster file (default: from pakta.toml).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: from pakta.toml).")
@click.option("--only", multiple=True, metavar="CODE", help="Only these region codes.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True,
              help="Replace output files that differ from what would be rendered.")
def render(workspace: Path | None, template_names: tuple[str, ...], roster_path: Path | None,
           out_dir: Path | None, only: tuple[str, ...], jobs: int | None,
           overwrite: bool) -> None:
    """Render one PDF/A per head and template, with empty signature fields."""
    from pakta.ledger import Ledger
    from pakta.render import plan_jobs, render_batch
    from pakta.roster import load_roster
    from pakta.templating import Catalogue

    ws = load_workspace(workspace)
    heads = load_roster(roster_path or ws.roster)  # a bad roster stops everything here
    catalogue = Catalogue(ws.template_dir)
    names = list(template_names) or list(ws.templates)
    if "all" in names:
        names = catalogue.names()
    for name in names:
        catalogue.info(name)  # unknown or broken templates fail before any work
    planned = plan_jobs(heads, names, out_dir or ws.out, only)
    workers = jobs or os.cpu_count() or 1
    with Ledger(ws.ledger) as ledger, progress_bar(len(planned), "rendering") as bar:
        summary = render_batch(
            planned, template_dir=ws.template_dir, event=ws.event, witness=ws.witness,
            ledger=ledger, overwrite=overwrite, workers=workers,
            progress=lambda outcome: bar.update(1), base_url=ws.base_url,
        )
    for failure in summary.failed:
        click.echo(f"failed: {failure.path}: {failure.error}", err=True)
    if summary.interrupted:
        click.echo(f"interrupted: {len(planned) - len(summary.outcomes)} document(s) not "
                   "rendered; run the same command again to finish", err=True)
    click.echo(f"{summary.count('rendered')} rendered, {summary.count('overwritten')} "
               f"overwritten, {summary.count('unchanged')} unchanged, "
               f"{len(summary.failed)} failed -> {out_dir or ws.out}")
    if summary.interrupted:
        raise SystemExit(130)
    if summary.failed:
        raise SystemExit(max(f.exit_code for f in summary.failed))


@main.command()
def doctor() -> None:
    """Check the system libraries and tools pakta relies on."""
    import ctypes.util
    import shutil

    checks = [
        ("libharfbuzz-subset0 (fast font subsetting)",
         ctypes.util.find_library("harfbuzz-subset") is not None),
        ("pango (WeasyPrint)", ctypes.util.find_library("pango-1.0") is not None),
        ("softhsm2 (PKCS#11 token for tests)", Path("/usr/lib/softhsm/libsofthsm2.so").exists()),
    ] + [(f"{tool} (independent checks)", shutil.which(tool) is not None)
         for tool in ("pdfsig", "pdftotext", "pdffonts", "qpdf")]
    missing = 0
    for label, ok in checks:
        click.echo(f"{'ok     ' if ok else 'MISSING'}  {label}")
        missing += not ok
    if missing:
        click.echo("install them with: make system-deps (as root) or apt-get install "
                   "libharfbuzz-subset0 libpango-1.0-0 poppler-utils qpdf softhsm2", err=True)
        raise SystemExit(5)


def workspace_of(path: Path | None) -> Workspace:
    return load_workspace(path)


@main.command()
@workspace_option
@click.option("--template", "-t", help="Only this template.")
@click.option("--province", "-p", help="Only this province (by name).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]),
              default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
def status(workspace: Path | None, template: str | None, province: str | None, fmt: str,
           output: Path | None) -> None:
    """Per template and province: rendered, signed by head and witness, verified."""
    from pakta.errors import InputError
    from pakta.ledger import Ledger
    from pakta.reports.status import RENDERERS
    from pakta.roster import load_roster
    from pakta.status import build_status

    ws = load_workspace(workspace)
    heads = load_roster(ws.roster) if ws.roster.exists() else []
    with Ledger(ws.ledger) as ledger:
        report = build_status(ledger, heads, template_dir=ws.template_dir, template=template,
                              province=province)
    if (template or province) and not report.documents:
        raise InputError(f"no documents for {template or ''} {province or ''}".strip(),
                         hint="check the template and province names")
    write_output(RENDERERS[fmt](report), output)


def write_output(text: str, output: Path | None) -> None:
    """Print to stdout, or write the file atomically."""
    if output is None:
        click.echo(text, nl=False)
        return
    from pakta.errors import PaktaError
    from pakta.files import atomic_write

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise PaktaError(f"{output}: cannot write the report ({exc.strerror})") from exc
    click.echo(f"wrote {output}", err=True)
