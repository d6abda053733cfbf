"""The auditor's command: pakta verify."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

import click

from pakta.cli import main, progress_bar
from pakta.cli.render import write_output

if TYPE_CHECKING:
    from pakta.ledger import Ledger
    from pakta.verify import VerifySettings


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
    from pakta.ledger import Ledger
    from pakta.roster import load_roster
    from pakta.verify import collect_pdfs, make_settings

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
                                 time_limit=time_limit, paths=paths)
        files = collect_pdfs(paths)
        if settings.signatures_only:  # an auditor with only the files and the trust root
            from pakta.i18n import _

            click.echo(_("no ledger or roster: checking the signatures only"), err=True)
        with _report_stream(output) as out:
            ok = _verify_streaming(files, settings, db, fmt, out,
                                   jobs or os.cpu_count() or 1)
    finally:
        if db is not None:
            db.close()
    if output is not None:
        click.echo(f"wrote {output}", err=True)
    if not ok:
        raise SystemExit(1)


LEDGER_ROWS_PER_WRITE = 256


def _verify_streaming(files: list[Path], settings: VerifySettings, db: Ledger | None,
                      fmt: str, out: TextIO, workers: int) -> bool:
    """Verify the files and pass each verdict on at once, to the report and (in chunks)
    to the ledger; only the batch's sums are kept. Whether the batch is OK."""
    from pakta.ledger import VerificationRecord, now_iso
    from pakta.reports.verification import WRITERS
    from pakta.verify import Tally, iter_verdicts

    writer = WRITERS[fmt](out)
    tally = Tally(settings)
    rows: list[VerificationRecord] = []
    with progress_bar(len(files), "verifying") as bar:
        for d in iter_verdicts(files, settings, workers=workers):
            bar.update(1)
            tally.add(d)
            writer.document(d)
            if db is not None:
                rows.append(VerificationRecord(d.doc_id, d.path, d.sha256, d.status,
                                               "; ".join(r.message("en") for r in d.reasons),
                                               now_iso()))
                if len(rows) >= LEDGER_ROWS_PER_WRITE:
                    db.record_verifications(rows)
                    rows.clear()
    if db is not None and rows:
        db.record_verifications(rows)
    batch = tally.result()
    writer.finish(batch)
    return batch.ok


class _Echo:
    """Standard output as a text stream for the report writers (through click.echo)."""

    def write(self, text: str) -> int:
        click.echo(text, nl=False)
        return len(text)


@contextmanager
def _report_stream(output: Path | None) -> Iterator[TextIO]:
    """Standard output, or a temporary file next to `output` that replaces it once the
    report is whole: never half a report."""
    if output is None:
        yield cast(TextIO, _Echo())
        return
    from pakta.errors import PaktaError
    from pakta.files import discard, temp_path_for

    temp = temp_path_for(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        stream = open(temp, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise PaktaError(f"{output}: cannot write the report ({exc.strerror})") from exc
    try:
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, output)
    except OSError as exc:
        discard(temp)
        raise PaktaError(f"{output}: cannot write the report ({exc.strerror})") from exc
    except BaseException:
        discard(temp)
        raise


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
