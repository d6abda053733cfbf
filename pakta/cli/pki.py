"""pakta pki demo, pakta pki serve: the demo PKI and its TSA / OCSP / CRL services."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.keys import passphrase_file_option, read_passphrase
from pakta.cli.options import workspace_at, workspace_option
from pakta.i18n import _


@main.group(help=_("The demo PKI and its local timestamp, OCSP and CRL services."))
def pki() -> None:
    pass


def _needs_demo_extra() -> None:
    import importlib.util

    from pakta.errors import EnvironmentProblem

    if importlib.util.find_spec("certomancer") is None:
        raise EnvironmentProblem(_("the demo PKI needs certomancer, which comes with the "
                                   "demo extra: pip install 'pakta[demo]'"))


@pki.command("demo", help=_("Issue demo certificates for every head, the witness and the "
                            "secretariat."))
@workspace_option
@click.option("--port", type=int, default=8765, show_default=True,
              help=_("Port `pakta pki serve` will use: the certificates point OCSP and CRL "
                     "lookups there."))
def pki_demo(workspace: Path | None, port: int) -> None:
    import secrets

    _needs_demo_extra()
    from pakta.demo import create_demo_pki, write_private
    from pakta.roster import load_roster

    ws = workspace_at(workspace)
    heads = load_roster(ws.roster)
    if "PAKTA_PASSPHRASE" in os.environ:
        passphrase = os.environ["PAKTA_PASSPHRASE"].encode()
        said = _("the passphrase is the one in PAKTA_PASSPHRASE")
    else:
        passphrase = secrets.token_urlsafe(18).encode()
        write_private(ws.pki_dir / "passphrase.txt", passphrase + b"\n")
        said = _("the passphrase is in {file} (mode 0600)").format(
            file=ws.pki_dir / "passphrase.txt")
    demo = create_demo_pki(ws.pki_dir, heads, ws.witness.name, passphrase,
                           base_url=f"http://127.0.0.1:{port}")
    click.echo(_("demo PKI in {folder}: {count} heads, witness, secretariat, TSA, OCSP "
                 "responder").format(folder=demo.folder, count=len(heads)))
    click.echo(_("trust root: {file}").format(file=demo.root_pem))
    click.echo(said, err=True)


@pki.command("serve", help=_("Serve the demo TSA, OCSP responder and CRLs on 127.0.0.1 "
                             "until interrupted."))
@workspace_option
@click.option("--port", type=int, default=None,
              help=_("Port on 127.0.0.1 (default: the one the certificates name, 8765)."))
@click.option("--delay-ms", type=int, default=0,
              help=_("Answer late (latency benchmarks)."))
@passphrase_file_option
def pki_serve(workspace: Path | None, port: int | None, delay_ms: int,
              passphrase_file: Path | None) -> None:
    _needs_demo_extra()
    from pakta.demo import DemoPki, ServiceUrls, serve_forever

    ws = workspace_at(workspace)
    if passphrase_file is None and "PAKTA_PASSPHRASE" not in os.environ:
        default = ws.pki_dir / "passphrase.txt"
        passphrase_file = default if default.is_file() else None

    def ready(urls: ServiceUrls) -> None:
        click.echo(_("tsa:  {tsa} (also {base}/tsa)\nocsp: {ocsp}\ncrl:  {crl}").format(
            tsa=urls.tsa, base=urls.base, ocsp=urls.ocsp, crl=urls.crl), err=True)
        sys.stderr.flush()

    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(DemoPki(ws.pki_dir), read_passphrase(passphrase_file), port=port,
                      delay_ms=delay_ms, ready=ready)
