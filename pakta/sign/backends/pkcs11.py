"""A key on a PKCS#11 token (the key never leaves it), through pyHanko's PKCS11Signer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pakta.errors import SigningRefused
from pakta.i18n import _
from pakta.sign.backends import check_certificate, load_certificates


@contextmanager
def pkcs11_signer(module: Path, token_label: str, key_label: str, pin: bytes,
                  cert_label: str | None = None,
                  chain: Sequence[Path] = ()) -> Iterator[Any]:
    """A signer on a PKCS#11 token; the session stays open for the whole batch and is
    closed after. The CA chain comes from the token's other certificates and the PEM
    files in `chain`. ECDSA keys sign with the raw mechanism (the token gets the digest),
    which SoftHSM and most tokens need."""
    from pkcs11 import KeyType, ObjectClass
    from pkcs11 import exceptions as p11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not module.is_file():
        raise SigningRefused(_("{module}: PKCS#11 module not found").format(module=module))
    ca_chain = load_certificates(chain)
    where = f"{module} token '{token_label}'"
    try:
        session = open_pkcs11_session(str(module), token_criteria=TokenCriteria(
            label=token_label), user_pin=pin.decode())
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
        raise SigningRefused(_("{where}: wrong PIN").format(where=where)) from exc
    except p11.PinLocked as exc:
        raise SigningRefused(_("{where}: the PIN is locked").format(where=where)) from exc
    except Exception as exc:  # no such token, a module that does not load
        raise SigningRefused(_("{where}: cannot open the token ({kind})").format(
                                 where=where, kind=type(exc).__name__)) from exc
    try:
        try:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
        except (p11.NoSuchKey, p11.MultipleObjectsReturned) as exc:
            raise SigningRefused(_("{where}: no single private key labelled '{key_label}'").format(
                                     where=where, key_label=key_label)) from exc
        signer = PKCS11Signer(session, key_label=key_label,
                              cert_label=cert_label or key_label, ca_chain=ca_chain,
                              other_certs_to_pull=None,  # every certificate on the token
                              use_raw_mechanism=key.key_type == KeyType.EC)
        try:
            cert = signer.signing_cert
        except Exception as exc:
            raise SigningRefused(_("{where}: no certificate labelled '{value}'").format(
                                     where=where, value=cert_label or key_label)) from exc
        check_certificate(cert, where)
        _check_token_key_matches(session, key, cert, where)
        yield signer
    finally:
        session.close()


def _check_token_key_matches(session: Any, key: Any, cert: Any, where: str) -> None:
    """The token's public key under the key's label must be the certificate's key."""
    from asn1crypto.core import OctetString
    from pkcs11 import Attribute, KeyType, ObjectClass

    try:
        public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key.label)
    except Exception:
        return  # tokens need not keep the public key; the signature check will tell
    if key.key_type == KeyType.RSA:
        ours = int.from_bytes(public[Attribute.MODULUS], "big")
        theirs = cert.public_key["public_key"].parsed["modulus"].native
    else:
        ours = OctetString.load(public[Attribute.EC_POINT]).native
        theirs = cert.public_key["public_key"].native
    if ours != theirs:
        raise SigningRefused(_("{where}: the key '{label}' does not match its certificate").format(
                                 where=where, label=key.label))
