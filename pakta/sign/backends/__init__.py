"""Signer backends: each loads one key for a whole batch and refuses a certificate that
cannot make a valid signature now (`check_certificate`, the same key usage rule as
verification). A PKCS#12 file, a PEM key with its certificate and chain, a PKCS#11 token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pakta.errors import SigningRefused
from pakta.keyusage import key_usage_ok
from pakta.ledger import sha256_hex


def check_certificate(cert: Any, source: str) -> None:
    """Refuse certificates that cannot make a valid signature now."""
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_before > now:
        raise SigningRefused(f"{source}: the certificate is not valid before "
                             f"{cert.not_valid_before:%Y-%m-%d}")
    if cert.not_valid_after < now:
        raise SigningRefused(f"{source}: the certificate expired on "
                             f"{cert.not_valid_after:%Y-%m-%d}")
    if not key_usage_ok(cert):
        raise SigningRefused(f"{source}: the certificate may not sign documents "
                             "(no nonRepudiation key usage)")


def load_certificates(paths: Sequence[Path]) -> list[Any]:
    """PEM or DER certificate files; a file that is none says which."""
    from pyhanko.keys import load_cert_from_pemder

    certificates = []
    for path in paths:
        try:
            certificates.append(load_cert_from_pemder(str(path)))
        except (OSError, ValueError) as exc:
            raise SigningRefused(f"{path}: not a certificate file") from exc
    return certificates


def signer_name(signer: Any) -> str:
    assert signer.signing_cert is not None
    return str(signer.signing_cert.subject.native.get("common_name", "?"))


def cert_fingerprint(signer: Any) -> str:
    assert signer.signing_cert is not None
    return sha256_hex(signer.signing_cert.dump())


def trust_roots(signer: Any, extra: Sequence[Path]) -> list[Any]:
    """Self-signed certificates of the signer's chain plus the roots given."""
    # asn1crypto answers "no", "maybe" or "yes" (a non-empty string either way)
    return [c for c in signer.cert_registry if c.self_signed != "no"] + \
        load_certificates(extra)
