"""pakta verify: the auditor's command."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

import click

from pakta.cli import main
from pakta.cli.options import (
    executor_address,
    executor_option,
    open_batch_executor,
    optional_workspace,
    workspace_option,
)
from pakta.cli.runtime import progress, write_output
from pakta.i18n import _

if TYPE_CHECKING:
    from pakta.batch import Executor
    from pakta.config import Workspace
    from pakta.ledger import Ledger
    from pakta.verify import VerifySettings


@main.command(help=_(
    "Verify signed PDFs (files and folders) against the roster and the ledger.\n\n"
    "Per signature: an ETSI EN 319 102-1 indication and its facts. Per document: "
    "COMPLETE, INCOMPLETE, INVALID, UNKNOWN or ERROR. Offline by default: revocation data "
    "comes from the files (DSS) and --crl only. Results go into the ledger.\n\n"
    "Exit 0 when every expected document is COMPLETE and valid, 1 otherwise, 3 for bad "
    "input (trust root, CRL, roster, ledger)."))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help=_("Trust root(s), PEM or DER (default: the workspace's pki/root.pem)."))
@click.option("--crl", "crls", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help=_("Certificate revocation list(s), DER or PEM (default: the workspace's "
                     "pki/crls/*.crl)."))
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Roster file (default: the workspace's)."))
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Ledger file, pakta.db (default: the workspace's)."))
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]),
              default="text", show_default=True, help=_("Report format."))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Write the report to this file instead of stdout."))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help=_("Worker processes (default: one per core)."))
@executor_option
@click.option("--online", is_flag=True,
              help=_("Allow fetching CRLs and OCSP responses (default: offline)."))
@click.option("--accept-unchecked-revocation", is_flag=True,
              help=_("Offline audit: a signature whose certificate's revocation status "
                     "cannot be established passes (default: INDETERMINATE)."))
@click.option("--time-limit", type=click.FloatRange(min=1), default=30.0,
              show_default=True, help=_("Seconds per file before it becomes an error row."))
def verify(paths: tuple[Path, ...], trust: tuple[Path, ...], crls: tuple[Path, ...],
           roster: Path | None,
           ledger: Path | None, workspace: Path | None, fmt: str, output: Path | None,
           jobs: int | None, executor: str | None, online: bool,
           accept_unchecked_revocation: bool, time_limit: float) -> None:
    from pakta.errors import InputError, UsageError, VerificationFailed
    from pakta.ledger import Ledger
    from pakta.roster import load_roster
    from pakta.verify import collect_pdfs, limits, make_settings, workspace_crls

    if len(paths) == 1 and paths[0].suffix.lower() == ".zip":
        _verify_package(paths[0], fmt, output)
        return
    ws = optional_workspace(workspace)
    trust_files = list(trust) or ([ws.pki_dir / "root.pem"] if ws else [])
    if not trust_files:
        raise UsageError(_("give the trust root with --trust ROOT.pem"))
    crls = crls or tuple(workspace_crls(ws.pki_dir) if ws else ())
    roster_path = roster or (ws.roster if ws else None)
    heads = load_roster(roster_path) if roster_path else []
    ledger_path = ledger or (ws.ledger if ws else None)
    if ledger_path is not None and not ledger_path.exists():
        raise InputError(_("{file}: ledger not found").format(file=ledger_path))
    if output is not None and output.is_dir():
        raise UsageError(_("{file} is a folder; --output takes a file name").format(
            file=output))
    db = Ledger(ledger_path) if ledger_path else None
    try:
        settings = make_settings(trust_files, db, heads, ws.witness.name if ws else None,
                                 ws.template_dir if ws else None, crls, online=online,
                                 time_limit=time_limit, paths=paths,
                                 accept_unchecked_revocation=accept_unchecked_revocation)
        files = collect_pdfs(paths)
        if accept_unchecked_revocation:
            click.echo(_("revocation not checked where no data was found: accepted with "
                         "--accept-unchecked-revocation"), err=True)
        if settings.signatures_only:  # an auditor with only the files and the trust root
            click.echo(_("no ledger or roster: checking the signatures only"), err=True)
        # per-file limits in this process and the workers it forks (Dask workers run
        # each file in a watchdog child with the same limits)
        with limits.on(), _batch_executor(ws, executor, jobs) as pool, \
                _report_stream(output) as out:
            ok = _verify_streaming(files, settings, db, fmt, out,
                                   jobs or os.cpu_count() or 1, pool)
    finally:
        if db is not None:
            db.close()
    if output is not None:
        click.echo(_("wrote {file}").format(file=output), err=True)
    if not ok:
        raise VerificationFailed("")


LEDGER_ROWS_PER_WRITE = 256


@contextmanager
def _batch_executor(ws: Workspace | None, address: str | None, jobs: int | None
                    ) -> Iterator[Executor | None]:
    """A Dask executor when --executor or pakta.toml names one; else None (the local
    pool, sized to the batch, is iter_verdicts' own)."""
    if executor_address(ws, address) in (None, "local"):
        yield None
        return
    with open_batch_executor(ws, address, jobs) as pool:
        yield pool


def _verify_streaming(files: list[Path], settings: VerifySettings, db: Ledger | None,
                      fmt: str, out: TextIO, workers: int, executor: Executor | None
                      ) -> bool:
    """Verify the files and pass each verdict on at once, to the report and (in chunks)
    to the ledger; only the batch's sums are kept. Whether the batch is OK."""
    from pakta.ledger import VerificationRecord, now_iso
    from pakta.reports.verification import WRITERS
    from pakta.verify import Tally, iter_verdicts

    writer = WRITERS[fmt](out)
    tally = Tally(settings)
    rows: list[VerificationRecord] = []
    with progress(len(files), _("verifying")) as step:
        sent = files
        if executor is not None and executor.remote:
            sent = [f.resolve() for f in files]  # the workers' working folders differ
        for given, d in zip(files, iter_verdicts(sent, settings, workers=workers,
                                                 executor=executor), strict=True):
            if sent is not files:  # the report names the files as they were given
                d = dataclasses.replace(d, path=str(given))
            step()
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

    def cannot(exc: OSError) -> PaktaError:
        return PaktaError(_("{file}: cannot write the report ({reason})").format(
            file=output, reason=exc.strerror))

    temp = temp_path_for(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        stream = open(temp, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise cannot(exc) from exc
    try:
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, output)
    except OSError as exc:
        discard(temp)
        raise cannot(exc) from exc
    except BaseException:
        discard(temp)
        raise


def _verify_package(path: Path, fmt: str, output: Path | None) -> None:
    from pakta.errors import VerificationFailed
    from pakta.evidence import verify_package
    from pakta.reports.verification import RENDERERS

    verdict = verify_package(path)
    for problem in verdict.manifest_problems:
        click.echo(_("manifest: {problem}").format(problem=problem), err=True)
    if verdict.batch is not None:
        write_output(RENDERERS[fmt](verdict.batch), output)
    if not verdict.ok:
        raise VerificationFailed(_("package {file}: PROBLEMS FOUND").format(file=path))
    click.echo(_("package {file}: OK").format(file=path), err=True)
