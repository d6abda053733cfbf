"""pakta serve, pakta admin-password, pakta invite."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.options import workspace_option
from pakta.errors import UsageError
from pakta.i18n import _


@main.command(help=_("Serve the verification page, the QR codes' target, the dashboard and "
                     "the heads' links."))
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help=_("Address to listen on (keep 127.0.0.1 behind a reverse proxy)."))
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help=_("Port to listen on."))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help=_("Verifying processes (default: the cores)."))
@click.option("--queue", type=click.IntRange(min=0), default=32, show_default=True,
              help=_("Uploads that may wait for a verifying process; more are told to "
                     "come back."))
@click.option("--max-upload-mb", type=click.IntRange(1, 50), default=10, show_default=True,
              help=_("Largest upload accepted, in MB."))
@click.option("--time-limit", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help=_("Seconds one file may take to verify."))
def serve(workspace: Path | None, host: str, port: int, workers: int | None, queue: int,
          max_upload_mb: int, time_limit: float) -> None:
    import os

    import uvicorn

    from pakta.config import load_workspace
    from pakta.serve.app import create_app
    from pakta.serve.worker import Limits

    ws = load_workspace(workspace)
    limits = Limits(workers=workers or os.cpu_count() or 1, queue=queue,
                    max_bytes=max_upload_mb * 2**20, time_limit=time_limit)
    app = create_app(ws, limits)
    click.echo(_("serving {root} on http://{host}:{port} (public address: {base})").format(
        root=ws.root, host=host, port=port, base=ws.base_url), err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1")


@main.command("admin-password", help=_(
    "Set the password of the secretariat's dashboard (read from a hidden prompt, or from "
    "the first line of standard input; never from an argument)."))
@workspace_option
def admin_password(workspace: Path | None) -> None:
    from pakta.config import load_workspace
    from pakta.ledger import Ledger
    from pakta.serve.auth import MIN_PASSWORD, PASSWORD_KEY, hash_password

    ws = load_workspace(workspace)
    if sys.stdin.isatty():
        password = click.prompt(_("New password"), hide_input=True,
                                confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise UsageError(_("the password must have at least {count} characters").format(
            count=MIN_PASSWORD))
    with Ledger(ws.ledger) as ledger:
        ledger.set_setting(PASSWORD_KEY, hash_password(password))
    click.echo(_("password set for {root}").format(root=ws.root), err=True)


@main.command(help=_(
    "A personal link for each head with documents: their documents to download, and the "
    "signed files taken back. A new link replaces the head's earlier one."))
@workspace_option
@click.option("--only", multiple=True, metavar="CODE", help=_("Only these region codes."))
def invite(workspace: Path | None, only: tuple[str, ...]) -> None:
    from pakta.config import load_workspace
    from pakta.ledger import Ledger
    from pakta.roster import load_roster
    from pakta.serve.app import invite_url
    from pakta.serve.auth import new_invite

    ws = load_workspace(workspace)
    emails = {h.code: h.email for h in load_roster(ws.roster)} if ws.roster.exists() else {}
    with Ledger(ws.ledger) as ledger:
        heads: dict[str, str] = {}
        for record in ledger.documents():
            heads.setdefault(record.region_code, record.head_title)
        wanted = [code for code in heads if not only or code in only]
        unknown = set(only) - set(heads)
        if unknown:
            raise UsageError(_("--only: no documents for region code {codes}").format(
                codes=", ".join(sorted(unknown))))
        for code in wanted:
            token = new_invite(ledger, code)
            click.echo("\t".join([code, heads[code], emails.get(code) or "",
                                  invite_url(ws.base_url, token)]))
    click.echo(_("{count} links; each replaces the head's earlier one").format(
        count=len(wanted)), err=True)
