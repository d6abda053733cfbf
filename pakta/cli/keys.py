"""Where a signing key comes from: a PKCS#12 file, PEM files or a PKCS#11 token.

Secrets (passphrases, PINs) come from a file, the environment or a hidden prompt, never
from an argument, and are never printed or logged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from pakta.errors import UsageError
from pakta.i18n import _

passphrase_file_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
    envvar="PAKTA_PASSPHRASE_FILE",
    help=_("Read the passphrase from this file (or env PAKTA_PASSPHRASE_FILE). Otherwise "
           "env PAKTA_PASSPHRASE, otherwise a hidden prompt. Never an argument."))


def read_secret(secret_file: Path | None, env: str, prompt: str, missing: str) -> bytes:
    """From a file, the environment, or a hidden prompt (`prompt` names what it unlocks;
    `missing` says what to do without a terminal); never from argv."""
    if secret_file is not None:
        try:
            return secret_file.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise UsageError(_("{file}: cannot read the secret from this file ({reason})")
                             .format(file=secret_file, reason=exc.strerror)) from exc
    if env in os.environ:
        return os.environ[env].encode()
    if not sys.stdin.isatty():
        raise UsageError(missing)
    return click.prompt(prompt, hide_input=True, err=True).encode()


def read_passphrase(passphrase_file: Path | None, key_file: Path | None = None) -> bytes:
    """The passphrase of `key_file` (named in the prompt), or of the demo PKI's keys."""
    if key_file is None:
        return read_secret(passphrase_file, "PAKTA_PASSPHRASE", _("Passphrase"), _(
            "no passphrase: set PAKTA_PASSPHRASE or PAKTA_PASSPHRASE_FILE, or run in a "
            "terminal to be asked"))
    return read_secret(
        passphrase_file, "PAKTA_PASSPHRASE",
        _("Passphrase for {file}").format(file=key_file),
        _("no passphrase for {file}: set PAKTA_PASSPHRASE or PAKTA_PASSPHRASE_FILE, or "
          "run in a terminal to be asked").format(file=key_file))


def key_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--p12 | --key/--cert/--chain | --pkcs11-module/--token-label/--key-label."""
    options = [
        click.option("--p12", type=click.Path(dir_okay=False, path_type=Path),
                     help=_("PKCS#12 file with the key and certificate.")),
        click.option("--key", type=click.Path(dir_okay=False, path_type=Path),
                     help=_("PEM private key (with --cert).")),
        click.option("--cert", type=click.Path(dir_okay=False, path_type=Path),
                     help=_("PEM certificate (with --key).")),
        click.option("--chain", multiple=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help=_("PEM CA certificates (with --key or a token), repeatable.")),
        click.option("--pkcs11-module", type=click.Path(dir_okay=False, path_type=Path),
                     help=_("PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.")),
        click.option("--token-label", help=_("PKCS#11 token label.")),
        click.option("--key-label",
                     help=_("Label of the key (and certificate) on the token.")),
        click.option("--cert-label", help=_("Label of the certificate if not the key's.")),
        click.option("--pin-file", type=click.Path(dir_okay=False, path_type=Path),
                     envvar="PAKTA_PIN_FILE",
                     help=_("Token PIN from this file (or env PAKTA_PIN_FILE); otherwise "
                            "env PAKTA_PIN, otherwise a hidden prompt.")),
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
        raise UsageError(_("give exactly one key: --p12 FILE, --key KEY --cert CERT, or "
                           "--pkcs11-module LIB --token-label L --key-label K"))
    if key is not None and cert is None:
        raise UsageError(_("--key needs --cert"))
    if pkcs11_module is not None:
        if not token_label or not key_label:
            raise UsageError(_("--pkcs11-module needs --token-label and --key-label"))
        pin = read_secret(
            pin_file, "PAKTA_PIN", _("PIN of token {token}").format(token=token_label),
            _("no PIN for token {token}: set PAKTA_PIN or PAKTA_PIN_FILE, or run in a "
              "terminal to be asked").format(token=token_label))
        with pkcs11_signer(pkcs11_module, token_label, key_label, pin, cert_label,
                           chain) as s:
            yield s, None
        return
    passphrase = read_passphrase(passphrase_file, p12 or key)
    if p12 is not None:
        yield load_pkcs12_signer(p12, passphrase), KeySource(p12=p12, passphrase=passphrase)
    else:
        assert key is not None and cert is not None
        yield (load_pem_signer(key, cert, list(chain), passphrase),
               KeySource(key=key, cert=cert, chain=chain, passphrase=passphrase))
