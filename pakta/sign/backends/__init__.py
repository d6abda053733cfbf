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
from pakta.i18n import _
from pakta.keyusage import key_usage_ok
from pakta.ledger import sha256_hex


def check_certificate(cert: Any, source: str) -> None:
    """Refuse certificates that cannot make a valid signature now."""
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_before > now:
        raise SigningRefused(_("{source}: the certificate is not valid before "
                               "{not_valid_before:%Y-%m-%d}").format(
                                 source=source, not_valid_before=cert.not_valid_before))
    if cert.not_valid_after < now:
        raise SigningRefused(_("{source}: the certificate expired on {date:%Y-%m-%d}")
                             .format(source=source, date=cert.not_valid_after))
    if not key_usage_ok(cert):
        raise SigningRefused(_("{source}: the certificate may not sign documents (no "
                               "nonRepudiation key usage)").format(source=source))


def load_certificates(paths: Sequence[Path]) -> list[Any]:
    """PEM or DER certificate files; a file that is none says which."""
    from pyhanko.keys import load_cert_from_pemder

    certificates = []
    for path in paths:
        try:
            certificates.append(load_cert_from_pemder(str(path)))
        except (OSError, ValueError) as exc:
            raise SigningRefused(_("{path}: not a certificate file").format(path=path)) from exc
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
