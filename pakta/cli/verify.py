"""The auditor's command: pakta verify."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pakta.cli import main, progress_bar
from pakta.cli.render import write_output


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust root(s), PEM or DER (default: the workspace's pki/root.pem).")
@click.option("--crl", "crls", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Certificate revocation list(s), DER (verification is offline).")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]),
              default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core).")
@click.option("--online", is_flag=True,
              help="Allow fetching CRLs and OCSP responses (default: offline).")
@click.option("--time-limit", type=click.FloatRange(min=1), default=30.0,
              show_default=True, help="Seconds per file before it becomes an error row.")
def verify(paths: tuple[Path, ...], trust: tuple[Path, ...], crls: tuple[Path, ...],
           roster: Path | None,
           ledger: Path | None, workspace: Path | None, fmt: str, output: Path | None,
           jobs: int | None, online: bool, time_limit: float) -> None:
    """Verify signed PDFs (files and folders) against the roster and the ledger.

    Per signature: an ETSI EN 319 102-1 indication and its facts. Per document:
    COMPLETE, INCOMPLETE, INVALID, UNKNOWN or ERROR. Offline by default: revocation data
    comes from the files (DSS) and --crl only. Results go into the ledger.

    Exit 0 when every expected document is COMPLETE and valid, 1 otherwise, 3 for bad
    input (trust root, CRL, roster, ledger).
    """
    from pakta.config import load_workspace
    from pakta.errors import ConfigError, UsageError
    from pakta.ledger import Ledger, VerificationRecord, now_iso
    from pakta.reports.verification import RENDERERS
    from pakta.roster import load_roster
    from pakta.verify import collect_pdfs, make_settings, verify_paths

    if len(paths) == 1 and paths[0].suffix.lower() == ".zip":
        _verify_package(paths[0], fmt, output)
        return
    try:
        ws = load_workspace(workspace)
    except ConfigError:
        ws = None
    trust_files = list(trust) or ([ws.pki_dir / "root.pem"] if ws else [])
    if not trust_files:
        raise UsageError("give the trust root with --trust ROOT.pem")
    roster_path = roster or (ws.roster if ws else None)
    heads = load_roster(roster_path) if roster_path else []
    ledger_path = ledger or (ws.ledger if ws else None)
    if ledger_path is not None and not ledger_path.exists():
        from pakta.errors import InputError

        raise InputError(f"{ledger_path}: ledger not found")
    if output is not None and output.is_dir():
        raise UsageError(f"{output} is a folder; --output takes a file name")
    db = Ledger(ledger_path) if ledger_path else None
    try:
        settings = make_settings(trust_files, db, heads, ws.witness.name if ws else None,
                                 ws.template_dir if ws else None, crls, online=online,
                                 time_limit=time_limit)
        files = collect_pdfs(paths)
        with progress_bar(len(files), "verifying") as bar:
            batch = verify_paths(files, settings, workers=jobs or os.cpu_count() or 1,
                                 progress=lambda verdict: bar.update(1))
        if db is not None:
            db.record_verifications([
                VerificationRecord(d.doc_id, d.path, d.sha256, d.status,
                                   "; ".join(d.reasons), now_iso()) for d in batch.documents])
    finally:
        if db is not None:
            db.close()
    write_output(RENDERERS[fmt](batch), output)
    if not batch.ok:
        raise SystemExit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust root(s) (default: the workspace's pki/root.pem).")
def collect(paths: tuple[Path, ...], workspace: Path | None, trust: tuple[Path, ...]) -> None:
    """File returned PDFs (any name) under the document they were issued as."""
    from pakta.collect import collect_files
    from pakta.config import load_workspace
    from pakta.ledger import Ledger
    from pakta.roster import load_roster
    from pakta.verify import collect_pdfs, make_settings

    ws = load_workspace(workspace)
    with Ledger(ws.ledger) as ledger:
        settings = make_settings(list(trust) or [ws.pki_dir / "root.pem"], ledger,
                                 load_roster(ws.roster), ws.witness.name, ws.template_dir)
        outcomes = collect_files(collect_pdfs(paths), ws.collected_dir, ledger, settings)
    for o in outcomes:
        if o.action == "refused":
            click.echo(f"refused {o.source}: {o.reason}", err=True)
        elif o.action == "filed":
            click.echo(f"filed {o.source} as {o.canonical} ({o.signatures} signature(s))")
        else:
            click.echo(f"{o.action} {o.source}: {o.reason}")
    refused = sum(o.action == "refused" for o in outcomes)
    click.echo(f"{len(outcomes) - refused} collected, {refused} refused", err=True)
    if refused:
        raise SystemExit(3)


@main.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("evidence.zip"), show_default=True)
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust root(s) (default: the workspace's pki/root.pem).")
@click.option("--overwrite", is_flag=True)
def export(out: Path, workspace: Path | None, trust: tuple[Path, ...],
           overwrite: bool) -> None:
    """One evidence package: signed PDFs, roster, ledger, trust roots, report, manifest."""
    from pakta.config import load_workspace
    from pakta.errors import OutputExistsError
    from pakta.evidence import build_package

    ws = load_workspace(workspace)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists", hint="pass --overwrite to replace it")
    count, batch = build_package(ws, out, list(trust) or [ws.pki_dir / "root.pem"])
    click.echo(f"wrote {out}: {count} signed PDFs, verification "
               f"{'OK' if batch.ok else 'found problems'}")


def _verify_package(path: Path, fmt: str, output: Path | None) -> None:
    from pakta.evidence import verify_package
    from pakta.reports.verification import RENDERERS

    verdict = verify_package(path)
    for problem in verdict.manifest_problems:
        click.echo(f"manifest: {problem}", err=True)
    if verdict.batch is not None:
        write_output(RENDERERS[fmt](verdict.batch), output)
    click.echo(f"package {path}: {'OK' if verdict.ok else 'PROBLEMS FOUND'}", err=True)
    if not verdict.ok:
        raise SystemExit(1)
