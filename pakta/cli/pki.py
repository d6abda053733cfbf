"""pakta pki demo, pakta pki serve: the demo PKI and its TSA / OCSP / CRL services."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from pakta.cli import main
from pakta.cli.sign import passphrase_file_option, read_passphrase


@main.group()
def pki() -> None:
    """The demo PKI and its local timestamp, OCSP and CRL services."""
    import importlib.util

    from pakta.errors import EnvironmentProblem

    if importlib.util.find_spec("certomancer") is None:
        raise EnvironmentProblem("the demo PKI needs certomancer, which comes with the "
                                 "demo extra: pip install 'pakta[demo]'")


@pki.command("demo")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=int, default=8765, show_default=True,
              help="Port `pakta pki serve` will use: the certificates point OCSP and CRL "
              "lookups there.")
def pki_demo(workspace: Path | None, port: int) -> None:
    """Issue demo certificates for every head, the witness and the secretariat."""
    import secrets

    from pakta.config import load_workspace
    from pakta.demo import create_demo_pki, write_private
    from pakta.roster import load_roster

    ws = load_workspace(workspace)
    heads = load_roster(ws.roster)
    if "PAKTA_PASSPHRASE" in os.environ:
        passphrase = os.environ["PAKTA_PASSPHRASE"].encode()
        said = "the passphrase is the one in PAKTA_PASSPHRASE"
    else:
        passphrase = secrets.token_urlsafe(18).encode()
        write_private(ws.pki_dir / "passphrase.txt", passphrase + b"\n")
        said = f"the passphrase is in {ws.pki_dir / 'passphrase.txt'} (mode 0600)"
    demo = create_demo_pki(ws.pki_dir, heads, ws.witness.name, passphrase,
                           base_url=f"http://127.0.0.1:{port}")
    click.echo(f"demo PKI in {demo.folder}: {len(heads)} heads, witness, secretariat, "
               "TSA, OCSP responder")
    click.echo(f"trust root: {demo.root_pem}")
    click.echo(said, err=True)


@pki.command("serve")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=int, default=None,
              help="Port on 127.0.0.1 (default: the one the certificates name, 8765).")
@click.option("--delay-ms", type=int, default=0, help="Answer late (latency benchmarks).")
@passphrase_file_option
def pki_serve(workspace: Path | None, port: int | None, delay_ms: int,
              passphrase_file: Path | None) -> None:
    """Serve the demo TSA, OCSP responder and CRLs on 127.0.0.1 until interrupted."""
    from pakta.config import load_workspace
    from pakta.demo import DemoPki, ServiceUrls, serve_forever

    ws = load_workspace(workspace)
    if passphrase_file is None and "PAKTA_PASSPHRASE" not in os.environ:
        default = ws.pki_dir / "passphrase.txt"
        passphrase_file = default if default.is_file() else None

    def ready(urls: ServiceUrls) -> None:
        click.echo(f"tsa:  {urls.tsa} (also {urls.base}/tsa)\nocsp: {urls.ocsp}\n"
                   f"crl:  {urls.crl}", err=True)
        sys.stderr.flush()

    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(DemoPki(ws.pki_dir), read_passphrase(passphrase_file), port=port,
                      delay_ms=delay_ms, ready=ready)
