"""pakta people: every civil servant's statement, at the scale of millions.

Text and HTML show sums by instansi and region (hundreds of rows); CSV and JSON carry the
full list, streamed as it is read.
"""

from __future__ import annotations

import csv
import html
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from pakta.cli import main
from pakta.cli.options import executor_option, open_batch_executor, workspace_option
from pakta.errors import BatchFailed, Interrupted, VerificationFailed
from pakta.i18n import _

if TYPE_CHECKING:
    from pakta.batch import Executor
    from pakta.config import Workspace


@main.group(help=_("Rosters of civil servants (ASN): check, render, verify, status."))
def people() -> None:
    pass


def _workspace(workspace: Path | None) -> Workspace:
    from pakta.config import load_workspace

    return load_workspace(workspace)


def _executor(ws: Workspace, spec: str | None, jobs: int | None) -> Executor:
    return open_batch_executor(ws, spec, jobs)


jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                           help=_("Local worker processes (default: one per core)."))


@people.command("check", help=_("Validate a people roster as a stream: every row, NIP "
                                 "checked."))
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
def check(roster: Path) -> None:
    from pakta.people import check_people

    result = check_people(roster)
    result.raise_if_problems()
    click.echo(_("{file}: {count} people, {regions} region(s), no problems").format(
        file=roster.name, count=result.people, regions=len(result.by_region or {})))


@people.command("render", help=_("Render every ASN's statement of neutrality (one slot, "
                                  "their own)."))
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_("Output folder, reachable by every worker (default: the workspace's)."))
@click.option("--overwrite", is_flag=True,
              help=_("Replace output files that differ from what would be rendered."))
@executor_option
@jobs_option
@workspace_option
def render(roster: Path, out_dir: Path | None, overwrite: bool, executor: str | None,
           jobs: int | None, workspace: Path | None) -> None:
    from pakta.ledger import Ledger
    from pakta.people import render_people

    ws = _workspace(workspace)
    out = (out_dir or ws.out).resolve()
    with Ledger(ws.ledger) as ledger, _executor(ws, executor, jobs) as pool:
        counts = render_people(roster, out_dir=out, template_dir=ws.template_dir,
                               event=ws.event, witness=ws.witness, ledger=ledger,
                               executor=pool, overwrite=overwrite)
    for name, reason in counts.failures:
        click.echo(_("failed: {name}: {reason}").format(name=name, reason=reason), err=True)
    failed = counts.counts.get("failed", 0)
    if failed > len(counts.failures):
        click.echo(_("... and {count} more failed").format(
            count=failed - len(counts.failures)), err=True)
    click.echo(_("{rendered} rendered, {unchanged} unchanged, {failed} failed -> {out}").format(
        rendered=counts.counts.get("rendered", 0) + counts.counts.get("overwritten", 0),
        unchanged=counts.counts.get("unchanged", 0), failed=failed, out=out))
    if counts.interrupted:
        raise Interrupted(_("interrupted: run the same command again to finish"))
    if failed:
        raise BatchFailed(_("{count} statements failed").format(count=failed), 4)


@people.command("verify", help=_("Verify every statement under FOLDER (default: the "
                                  "output folder)."))
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help=_("Trust root(s) (default: the workspace's pki/root.pem)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]),
              default="text", show_default=True,
              help=_("text: sums by instansi and region; json, csv: every document."))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Write the report to this file instead of stdout."))
@executor_option
@jobs_option
@workspace_option
def verify(folder: Path | None, trust: tuple[Path, ...], fmt: str, output: Path | None,
           executor: str | None, jobs: int | None, workspace: Path | None) -> None:
    from pakta.ledger import Ledger
    from pakta.people import people_summary, verify_people
    from pakta.verify import make_settings, workspace_crls

    ws = _workspace(workspace)
    trust_files = list(trust) or [ws.pki_dir / "root.pem"]
    with Ledger(ws.ledger) as ledger, _executor(ws, executor, jobs) as pool, \
            _stream(output) as out:
        settings = make_settings(trust_files, ledger, [], None, ws.template_dir,
                                 workspace_crls(ws.pki_dir))
        writer = _verdict_writer(fmt, out)
        counts = verify_people((folder or ws.out).resolve(), settings, ledger=ledger,
                               executor=pool, on_verdict=writer)
        if fmt == "json":
            out.write("\n]\n")
        if fmt == "text":
            _summary_text(people_summary(ledger), counts.counts, out)
    if counts.interrupted:
        raise Interrupted(_("interrupted: run the same command again to finish"))
    if set(counts.counts) - {"COMPLETE"} or not counts.total:
        raise VerificationFailed("")


@people.command("status", help=_("Who has signed: sums by instansi and region, or every "
                                  "document (CSV, JSON)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]),
              default="text", show_default=True,
              help=_("text, html: sums by instansi and region; json, csv: every document."))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help=_("Write the report to this file instead of stdout."))
@workspace_option
def status(fmt: str, output: Path | None, workspace: Path | None) -> None:
    from pakta.ledger import Ledger
    from pakta.people import ASN_SLOT, ASN_TEMPLATE, people_summary

    ws = _workspace(workspace)
    with Ledger(ws.ledger) as ledger, _stream(output) as out:
        if fmt in ("csv", "json"):
            rows = (dict(r) for r in ledger.people_documents(ASN_TEMPLATE, ASN_SLOT))
            _write_rows(fmt, rows, out)
        elif fmt == "html":
            _summary_html(people_summary(ledger), out)
        else:
            _summary_text(people_summary(ledger), None, out)


# ---------------------------------------------------------------------------------------


@contextmanager
def _stream(output: Path | None) -> Iterator[TextIO]:
    """stdout, or a file written beside its name and renamed when complete."""
    if output is None:
        yield sys.stdout
        return
    from pakta.files import discard, temp_path_for

    temp = temp_path_for(output)
    try:
        with open(temp, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temp, output)
    except BaseException:
        discard(temp)
        raise
    click.echo(_("wrote {path}").format(path=output), err=True)


def _write_rows(fmt: str, rows: Iterator[dict[str, Any]], out: TextIO) -> None:
    if fmt == "json":
        out.write("[")
        for index, row in enumerate(rows):
            out.write(("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n")
        return
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)


def _verdict_writer(fmt: str, out: TextIO) -> Any:
    if fmt == "text":
        return None
    fields = ("path", "doc_id", "status", "region_code", "province", "reasons")
    if fmt == "json":
        out.write("[")
        first = [True]

        def json_row(v: Any) -> None:
            row = {f: getattr(v, f) for f in fields}
            row["reasons"] = [r.message("en") for r in v.reasons]  # as verify's JSON
            out.write(("\n  " if first[0] else ",\n  ")
                      + json.dumps(row, ensure_ascii=False))
            first[0] = False
        return json_row
    writer = csv.writer(out)
    writer.writerow(fields)

    def csv_row(v: Any) -> None:
        writer.writerow([v.path, v.doc_id, v.status, v.region_code, v.province,
                         "; ".join(r.message() for r in v.reasons)])
    return csv_row


def _summary_text(groups: list[Any], statuses: dict[str, int] | None, out: TextIO) -> None:
    if statuses is not None:
        click.echo(_("verified: {counts}").format(counts=", ".join(
            f"{k} {v}" for k, v in sorted(statuses.items())) or "0"), file=out)
    header = (_("region"), _("instansi"), _("rendered"), _("signed"), _("verified"))
    click.echo(f"{header[0]:<8} {header[1]:<48} {header[2]:>14} {header[3]:>14} "
               f"{header[4]:>14}", file=out)
    totals = [0, 0, 0]
    for g in groups:
        click.echo(f"{g.region_code:<8} {g.instansi[:48]:<48} {g.rendered:>14} "
                   f"{g.signed:>14} {g.verified:>14}", file=out)
        totals = [totals[0] + g.rendered, totals[1] + g.signed, totals[2] + g.verified]
    click.echo(f"{'':<8} {_('total'):<48} {totals[0]:>14} {totals[1]:>14} "
               f"{totals[2]:>14}", file=out)


def _summary_html(groups: list[Any], out: TextIO) -> None:
    rows = "\n".join(
        f"<tr><td>{html.escape(g.region_code)}</td><td>{html.escape(g.instansi)}</td>"
        f"<td>{html.escape(g.province)}</td><td>{g.rendered}</td><td>{g.signed}</td>"
        f"<td>{g.verified}</td></tr>" for g in groups)
    title = html.escape(_("Statements of neutrality by instansi and region"))
    out.write(
        f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}"
        "td:nth-child(2),td:nth-child(3){text-align:left}</style></head><body>"
        f"<h1>{title}</h1><table><tr><th>{html.escape(_('region'))}</th>"
        f"<th>{html.escape(_('instansi'))}</th><th>{html.escape(_('province'))}</th>"
        f"<th>{html.escape(_('rendered'))}</th><th>{html.escape(_('signed'))}</th>"
        f"<th>{html.escape(_('verified'))}</th></tr>\n{rows}\n</table></body></html>\n")
