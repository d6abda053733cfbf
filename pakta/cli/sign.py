"""Signer and PKI commands: pakta sign, pakta pki demo, pakta pki serve."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from pakta.cli import main, progress_bar
from pakta.errors import UsageError

passphrase_file_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
    envvar="PAKTA_PASSPHRASE_FILE",
    help="Read the passphrase from this file (or env PAKTA_PASSPHRASE_FILE). Otherwise "
    "env PAKTA_PASSPHRASE, otherwise a hidden prompt. Never an argument.")


def read_passphrase(passphrase_file: Path | None, prompt: str = "Passphrase") -> bytes:
    """From a file, the environment, or a hidden prompt; never from argv."""
    if passphrase_file is not None:
        try:
            return passphrase_file.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise UsageError(f"{passphrase_file}: cannot read the passphrase file "
                             f"({exc.strerror})") from exc
    if "PAKTA_PASSPHRASE" in os.environ:
        return os.environ["PAKTA_PASSPHRASE"].encode()
    if not sys.stdin.isatty():
        raise UsageError("no passphrase: set PAKTA_PASSPHRASE or PAKTA_PASSPHRASE_FILE, "
                         "pass --passphrase-file, or run in a terminal to be asked")
    return click.prompt(prompt, hide_input=True, err=True).encode()


@main.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slot", required=True, help="Signature slot, e.g. kepala_daerah or saksi.")
@click.option("--p12", type=click.Path(dir_okay=False, path_type=Path),
              help="PKCS#12 file with the key and certificate.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="PEM key.")
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM certificate (with --key).")
@click.option("--chain", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="PEM CA certificates (with --key).")
@passphrase_file_option
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), default="B-B",
              show_default=True, help="PAdES baseline level.")
@click.option("--tsa", "tsa_url", help="RFC 3161 timestamp service URL (B-T and up).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write NAME-signed.pdf here (default: beside the input).")
@click.option("--in-place", is_flag=True, help="Replace each input (atomically).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--any-pdf", is_flag=True, help="Sign PDFs that pakta did not render.")
@click.option("--title", help="Signer's title for the stamp (default: from the ledger).")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
def sign(files: tuple[Path, ...], slot: str, p12: Path | None, key: Path | None,
         cert: Path | None, chain: tuple[Path, ...], passphrase_file: Path | None,
         level: str, tsa_url: str | None, out_dir: Path | None, in_place: bool,
         overwrite: bool, any_pdf: bool, title: str | None, workspace: Path | None) -> None:
    """Sign FILES in SLOT with one key: PAdES, visible stamp, optional timestamp."""
    from pakta.config import load_workspace
    from pakta.errors import ConfigError
    from pakta.ledger import Ledger
    from pakta.signing import SignSettings, load_pem_signer, load_pkcs12_signer, sign_files

    if (p12 is None) == (key is None):
        raise UsageError("give exactly one key: --p12 FILE, or --key KEY --cert CERT")
    if key is not None and cert is None:
        raise UsageError("--key needs --cert")
    if in_place and out_dir:
        raise UsageError("--in-place and --out exclude each other")
    try:
        ws = load_workspace(workspace)
    except ConfigError:
        ws = None  # outside a workspace: no ledger, so --any-pdf is needed
    passphrase = read_passphrase(passphrase_file)
    signer = (load_pkcs12_signer(p12, passphrase) if p12 is not None
              else load_pem_signer(key, cert, chain, passphrase))  # type: ignore[arg-type]
    settings = SignSettings(slot=slot, level=level, tsa_url=tsa_url,
                            place=ws.event.place if ws else "Jakarta", signer_title=title,
                            any_pdf=any_pdf, overwrite=overwrite)
    ledger = Ledger(ws.ledger) if ws else None
    try:
        with progress_bar(len(files), "signing") as bar:
            summary = sign_files(list(files), signer, settings, ledger=ledger,
                                 out_dir=out_dir, in_place=in_place,
                                 witness_title=ws.witness.title if ws else None,
                                 progress=lambda outcome: bar.update(1))
    finally:
        if ledger:
            ledger.close()
    for outcome in summary.outcomes:
        if outcome.ok:
            click.echo(f"signed {outcome.output}")
    for outcome in summary.failed:
        click.echo(f"error: {outcome.error}", err=True)
    click.echo(f"{len(summary.outcomes) - len(summary.failed)} signed, "
               f"{len(summary.failed)} failed", err=True)
    if summary.failed:
        raise SystemExit(max(o.exit_code for o in summary.failed))


@main.group()
def pki() -> None:
    """The demo PKI and its local timestamp service."""


@pki.command("demo")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
def pki_demo(workspace: Path | None) -> None:
    """Issue demo certificates for every head, the witness and the secretariat."""
    import secrets

    from pakta.config import load_workspace
    from pakta.pki import create_demo_pki, write_private
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
    pki_ = create_demo_pki(ws.pki_dir, heads, ws.witness.name, passphrase)
    click.echo(f"demo PKI in {pki_.folder}: {len(heads)} heads, witness, secretariat, TSA")
    click.echo(f"trust root: {pki_.root_pem}")
    click.echo(said, err=True)


@pki.command("serve")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--delay-ms", type=int, default=0, help="Answer late (latency benchmarks).")
@passphrase_file_option
def pki_serve(workspace: Path | None, port: int, delay_ms: int,
              passphrase_file: Path | None) -> None:
    """Serve the demo TSA on 127.0.0.1 until interrupted."""
    from pakta.config import load_workspace
    from pakta.pki import DemoPki, TimestampServer

    ws = load_workspace(workspace)
    if passphrase_file is None and "PAKTA_PASSPHRASE" not in os.environ:
        default = ws.pki_dir / "passphrase.txt"
        passphrase_file = default if default.is_file() else None
    server = TimestampServer(DemoPki(ws.pki_dir), read_passphrase(passphrase_file),
                             port=port, delay_ms=delay_ms)
    click.echo(f"tsa: {server.url}", err=True)
    sys.stderr.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
