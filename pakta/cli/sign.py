"""Signer commands: pakta sign, pakta certify, pakta timestamp renew.

Secrets (passphrases, PINs) come from a file, the environment or a hidden prompt, never
from an argument, and are never printed or logged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pakta.cli import main, progress_bar
from pakta.errors import UsageError

if TYPE_CHECKING:
    from pakta.config import Workspace
    from pakta.signing import SignSummary

passphrase_file_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
    envvar="PAKTA_PASSPHRASE_FILE",
    help="Read the passphrase from this file (or env PAKTA_PASSPHRASE_FILE). Otherwise "
    "env PAKTA_PASSPHRASE, otherwise a hidden prompt. Never an argument.")


def read_secret(secret_file: Path | None, env: str, prompt: str) -> bytes:
    """From a file, the environment, or a hidden prompt; never from argv."""
    if secret_file is not None:
        try:
            return secret_file.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise UsageError(f"{secret_file}: cannot read the {prompt.lower()} file "
                             f"({exc.strerror})") from exc
    if env in os.environ:
        return os.environ[env].encode()
    if not sys.stdin.isatty():
        raise UsageError(f"no {prompt.lower()}: set {env} or {env}_FILE, or run in a "
                         "terminal to be asked")
    return click.prompt(prompt, hide_input=True, err=True).encode()


def read_passphrase(passphrase_file: Path | None, prompt: str = "Passphrase") -> bytes:
    return read_secret(passphrase_file, "PAKTA_PASSPHRASE", prompt)


def key_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--p12 | --key/--cert/--chain | --pkcs11-module/--token-label/--key-label."""
    options = [
        click.option("--p12", type=click.Path(dir_okay=False, path_type=Path),
                     help="PKCS#12 file with the key and certificate."),
        click.option("--key", type=click.Path(dir_okay=False, path_type=Path),
                     help="PEM private key (with --cert)."),
        click.option("--cert", type=click.Path(dir_okay=False, path_type=Path),
                     help="PEM certificate (with --key)."),
        click.option("--chain", multiple=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="PEM CA certificates (with --key or a token), repeatable."),
        click.option("--pkcs11-module", type=click.Path(dir_okay=False, path_type=Path),
                     help="PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so."),
        click.option("--token-label", help="PKCS#11 token label."),
        click.option("--key-label", help="Label of the key (and certificate) on the token."),
        click.option("--cert-label", help="Label of the certificate if not the key's."),
        click.option("--pin-file", type=click.Path(dir_okay=False, path_type=Path),
                     envvar="PAKTA_PIN_FILE",
                     help="Token PIN from this file (or env PAKTA_PIN_FILE); otherwise env "
                     "PAKTA_PIN, otherwise a hidden prompt."),
        passphrase_file_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


@contextmanager
def open_signer(p12: Path | None, key: Path | None, cert: Path | None,
                chain: tuple[Path, ...], pkcs11_module: Path | None,
                token_label: str | None, key_label: str | None, cert_label: str | None,
                pin_file: Path | None, passphrase_file: Path | None) -> Iterator[Any]:
    """Load the one key the options name, once for the whole batch; yields the signer
    and how worker processes load it again (None for a token)."""
    from pakta.signing import KeySource, load_pem_signer, load_pkcs12_signer, pkcs11_signer

    given = [p12 is not None, key is not None, pkcs11_module is not None]
    if sum(given) != 1:
        raise UsageError("give exactly one key: --p12 FILE, --key KEY --cert CERT, or "
                         "--pkcs11-module LIB --token-label L --key-label K")
    if key is not None and cert is None:
        raise UsageError("--key needs --cert")
    if pkcs11_module is not None:
        if not token_label or not key_label:
            raise UsageError("--pkcs11-module needs --token-label and --key-label")
        pin = read_secret(pin_file, "PAKTA_PIN", "PIN")
        with pkcs11_signer(pkcs11_module, token_label, key_label, pin, cert_label,
                           chain) as s:
            yield s, None
        return
    passphrase = read_passphrase(passphrase_file)
    if p12 is not None:
        yield load_pkcs12_signer(p12, passphrase), KeySource(p12=p12, passphrase=passphrase)
    else:
        assert key is not None and cert is not None
        yield (load_pem_signer(key, cert, list(chain), passphrase),
               KeySource(key=key, cert=cert, chain=chain, passphrase=passphrase))


def _workspace(workspace: Path | None) -> Workspace | None:
    from pakta.config import load_workspace
    from pakta.errors import ConfigError

    try:
        return load_workspace(workspace)
    except ConfigError:
        if workspace is not None:
            raise
        return None  # outside a workspace: no ledger, so --any-pdf is needed


def _default_trust(ws: Workspace | None, trust: tuple[Path, ...]) -> tuple[Path, ...]:
    if trust or ws is None:
        return trust
    root = ws.pki_dir / "root.pem"
    return (root,) if root.is_file() else ()


def report(summary: SignSummary, verb: str) -> None:
    """Outputs on stdout; failures and the totals on stderr; exit code if any failed."""
    for outcome in summary.outcomes:
        if outcome.skipped:
            click.echo(f"skipped {outcome.output} (already {verb})")
        elif outcome.ok:
            click.echo(f"{verb} {outcome.output}")
    for outcome in summary.failed:
        click.echo(f"error: {outcome.error}", err=True)
    done = len(summary.outcomes) - len(summary.failed) - len(summary.skipped)
    click.echo(f"{done} {verb}, {len(summary.skipped)} skipped, {len(summary.failed)} "
               "failed", err=True)
    if summary.failed:
        raise SystemExit(max(o.exit_code for o in summary.failed))


def _check_outputs(out_dir: Path | None, in_place: bool) -> None:
    if in_place and out_dir:
        raise UsageError("--in-place and --out exclude each other")


files_argument = click.argument("files", nargs=-1, required=True,
                                type=click.Path(dir_okay=False, path_type=Path))
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          help="Write the outputs here (default: beside each input).")
in_place_option = click.option("--in-place", is_flag=True,
                               help="Replace each input (atomically).")
overwrite_option = click.option("--overwrite", is_flag=True,
                                help="Replace an existing output.")
tsa_option = click.option("--tsa", "tsa_url",
                          help="RFC 3161 timestamp service URL (B-T and up).")
trust_option = click.option(
    "--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Trust root(s) for B-LT / B-LTA validation data (default: the workspace's "
    "pki/root.pem, and the root in the signer's chain).")
workspace_option = click.option("--workspace", "-w",
                                type=click.Path(file_okay=False, path_type=Path))


def _run(files: tuple[Path, ...], settings: Any, signer: Any, ws: Workspace | None,
         out_dir: Path | None, in_place: bool, verb: str, jobs: int = 1,
         key_source: Any = None) -> None:
    from pakta.ledger import Ledger
    from pakta.signing import SignOutcome, SignSummary, sign_files

    if ws is None and not settings.any_pdf:
        click.echo("warning: no workspace, so no ledger to check the documents against",
                   err=True)
    ledger = Ledger(ws.ledger) if ws else None
    so_far = SignSummary()

    def progress(outcome: SignOutcome) -> None:
        so_far.outcomes.append(outcome)
        bar.update(1)

    try:
        with progress_bar(len(files), verb) as bar:
            summary = sign_files(list(files), signer, settings, ledger=ledger,
                                 out_dir=out_dir, in_place=in_place,
                                 witness_title=ws.witness.title if ws else None,
                                 progress=progress, jobs=jobs, key_source=key_source)
    except KeyboardInterrupt:
        # Every output written so far is whole and recorded; the rerun skips them.
        left = len(files) - len(so_far.outcomes)
        click.echo(f"interrupted: {len(so_far.outcomes) - len(so_far.failed)} done, "
                   f"{len(so_far.failed)} failed, {left} not yet; run the same command "
                   "again to finish", err=True)
        raise SystemExit(130) from None
    finally:
        if ledger:
            ledger.close()
    report(summary, verb)


@main.command()
@files_argument
@click.option("--slot", required=True, help="Signature slot, e.g. kepala_daerah or saksi.")
@key_options
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]),
              help="PAdES baseline level (default: the profile's level when --tsa is "
              "given, else B-B).")
@tsa_option
@trust_option
@out_option
@in_place_option
@overwrite_option
@click.option("--any-pdf", is_flag=True, help="Sign PDFs that pakta did not render.")
@click.option("--title", help="Signer's title for the stamp (default: from the ledger).")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Worker processes for a key file [default: one per core]. A token "
              "signs in one process; timestamp requests overlap either way.")
@workspace_option
def sign(files: tuple[Path, ...], slot: str, level: str | None, tsa_url: str | None,
         trust: tuple[Path, ...], out_dir: Path | None, in_place: bool, overwrite: bool,
         any_pdf: bool, title: str | None, jobs: int | None, workspace: Path | None,
         **key: Any) -> None:
    """Sign FILES in SLOT with one key: PAdES, visible stamp, optional timestamp.

    Outputs are NAME-signed.pdf beside each input, or in --out DIR, or the input itself
    with --in-place; always written atomically, never over an existing file unless
    --overwrite. A file that fails is reported at the end; the others are signed.
    """
    from pakta.signing import SignSettings

    _check_outputs(out_dir, in_place)
    ws = _workspace(workspace)
    settings = SignSettings(slot=slot, level=level, tsa_url=tsa_url,
                            place=ws.event.place if ws else "Jakarta", signer_title=title,
                            any_pdf=any_pdf, overwrite=overwrite,
                            trust=_default_trust(ws, trust))
    if level is None and tsa_url is None:
        click.echo("note: no --tsa, signing at PAdES B-B (no trusted time)", err=True)
    with open_signer(**key) as (signer, key_source):
        _run(files, settings, signer, ws, out_dir, in_place, "signed",
             jobs or os.cpu_count() or 1, key_source)


@main.command()
@files_argument
@key_options
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), default=None,
              help="PAdES level (default: B-T with --tsa, else B-B).")
@tsa_option
@trust_option
@out_option
@in_place_option
@overwrite_option
@click.option("--any-pdf", is_flag=True, help="Certify PDFs that pakta did not render.")
@workspace_option
def certify(files: tuple[Path, ...], level: str | None, tsa_url: str | None,
            trust: tuple[Path, ...], out_dir: Path | None, in_place: bool, overwrite: bool,
            any_pdf: bool, workspace: Path | None, **key: Any) -> None:
    """The secretariat's certification signature on FILES (before anyone signs).

    Afterwards only form filling and signing are allowed (DocMDP level 2). Outputs are
    NAME-certified.pdf unless --out or --in-place.
    """
    from pakta.signing import SignSettings

    _check_outputs(out_dir, in_place)
    ws = _workspace(workspace)
    settings = SignSettings(slot="", level=level or ("B-T" if tsa_url else "B-B"),
                            tsa_url=tsa_url, place=ws.event.place if ws else "Jakarta",
                            any_pdf=any_pdf, overwrite=overwrite,
                            trust=_default_trust(ws, trust), certify=True)
    with open_signer(**key) as (signer, _):
        _run(files, settings, signer, ws, out_dir, in_place, "certified")


@main.group()
def timestamp() -> None:
    """Archive timestamps of B-LTA documents."""


@timestamp.command("renew")
@files_argument
@click.option("--tsa", "tsa_url", required=True, help="RFC 3161 timestamp service URL.")
@trust_option
@out_option
@in_place_option
@overwrite_option
@workspace_option
def timestamp_renew(files: tuple[Path, ...], tsa_url: str, trust: tuple[Path, ...],
                    out_dir: Path | None, in_place: bool, overwrite: bool,
                    workspace: Path | None) -> None:
    """Extend the archive timestamp chain of B-LTA FILES (NAME-renewed.pdf by default).

    The validation data of the last document timestamp is added, then a new document
    timestamp covers everything: the earlier signatures stay valid.
    """
    from pakta.signing import renew_timestamps

    _check_outputs(out_dir, in_place)
    roots = _default_trust(_workspace(workspace), trust)
    with progress_bar(len(files), "renewing") as bar:
        summary = renew_timestamps(list(files), tsa_url, roots, out_dir=out_dir,
                                   in_place=in_place, overwrite=overwrite,
                                   progress=lambda outcome: bar.update(1))
    report(summary, "renewed")
