"""Key files: a PKCS#12 file, or a PEM key with its certificate and chain. The key is
parsed once into a `KeptKeySigner`; worker processes load it again from a `KeySource`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.sign.attributes import SignedAttributeProviderSpec, SigningCertificateV2Provider
from pyhanko.sign.signers import SimpleSigner

from pakta.errors import SigningRefused
from pakta.i18n import _
from pakta.sign.backends import check_certificate


class KeptSigningCertificate(SigningCertificateV2Provider):
    """The ESS signing-certificate-v2 attribute, encoded once per signer: pyHanko builds
    it from the certificate for every signature, and asn1crypto's encoding of it was
    13 of a signature's 15 ms of CPU (docs/upstream/)."""

    def __init__(self, signing_cert: Any) -> None:
        from pyhanko.sign.general import as_signing_certificate_v2

        super().__init__(signing_cert)
        self._der = as_signing_certificate_v2(signing_cert).dump()

    async def build_attr_value(self, dry_run: bool = False) -> Any:
        from asn1crypto import tsp

        return tsp.SigningCertificateV2.load(self._der)


class PadesSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes pyHanko's PAdES spec gives pakta's signatures (no CAdES
    extras: the signing certificate only; content type, digest and algorithm protection
    pyHanko adds itself), with the signing certificate's attribute kept."""

    def __init__(self, signing_cert: Any) -> None:
        self.signing_certificate = KeptSigningCertificate(signing_cert)

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Any:
        yield self.signing_certificate


class KeptKeySigner(SimpleSigner):
    """pyHanko's SimpleSigner with its private key parsed once (SimpleSigner parses the
    key's DER for every signature) and its signing-certificate attribute encoded once.
    Algorithms other than ECDSA and RSA PKCS#1 v1.5 go to SimpleSigner as they are."""

    def __init__(self, signer: SimpleSigner) -> None:
        from cryptography.hazmat.primitives import serialization

        super().__init__(signing_cert=signer.signing_cert, signing_key=signer.signing_key,
                         cert_registry=signer.cert_registry,
                         signature_mechanism=signer.signature_mechanism,
                         prefer_pss=signer.prefer_pss, embed_roots=signer.embed_roots)
        self._key = serialization.load_der_private_key(signer.signing_key.dump(),
                                                       password=None)
        # pyHanko's own hook (Signer.signed_attr_prov_spec) for the signed attributes
        self.signed_attr_prov_spec = PadesSignedAttributes(signer.signing_cert)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
        from pyhanko.sign.general import get_pyca_cryptography_hash

        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if algo == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algo))
        if algo == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hash_algo)
        return super().sign_raw(data, digest_algorithm)


def load_pkcs12_signer(path: Path, passphrase: bytes) -> KeptKeySigner:
    if not path.is_file():
        raise SigningRefused(_("{path}: key file not found").format(path=path))
    # pyHanko logs a failed load with a traceback; the refusal below says it plainly.
    quiet = logging.getLogger("pyhanko.sign.signers.pdf_cms")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        signer = SimpleSigner.load_pkcs12(str(path), passphrase=passphrase)
    finally:
        quiet.setLevel(level)
    if signer is None or signer.signing_cert is None:  # pyHanko returns None on failure
        raise SigningRefused(_("{path}: cannot open the PKCS#12 file: wrong passphrase, or not "
                               "a PKCS#12 file").format(path=path))
    check_certificate(signer.signing_cert, str(path))
    return KeptKeySigner(signer)


def load_pem_signer(key: Path, cert: Path, chain: Sequence[Path],
                    passphrase: bytes | None) -> KeptKeySigner:
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_certificate

    for path in (key, cert, *chain):
        if not path.is_file():
            raise SigningRefused(_("{path}: file not found").format(path=path))
    try:
        private = serialization.load_pem_private_key(key.read_bytes(), passphrase or None)
    except (ValueError, TypeError) as exc:
        raise SigningRefused(_("{key}: cannot read the private key: wrong passphrase, or not a "
                               "PEM key").format(key=key)) from exc
    public = load_pem_x509_certificate(cert.read_bytes()).public_key()
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if private.public_key().public_bytes(*spki) != public.public_bytes(*spki):
        raise SigningRefused(_("{key}: the key does not match the certificate {cert}").format(
                                 key=key, cert=cert))
    signer = SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(c) for c in chain],
                               key_passphrase=passphrase or None)
    if signer is None or signer.signing_cert is None:
        raise SigningRefused(_("{key}: cannot load the key and certificate").format(key=key))
    check_certificate(signer.signing_cert, str(cert))
    return KeptKeySigner(signer)


@dataclass(frozen=True)
class KeySource:
    """How a worker process loads the batch's key again (PKCS#12 or PEM files; a token's
    session cannot cross a process, so tokens sign in one process)."""

    p12: Path | None = None
    key: Path | None = None
    cert: Path | None = None
    chain: tuple[Path, ...] = ()
    passphrase: bytes = field(default=b"", repr=False)

    def load(self) -> Any:
        if self.p12 is not None:
            return load_pkcs12_signer(self.p12, self.passphrase)
        assert self.key is not None and self.cert is not None
        return load_pem_signer(self.key, self.cert, self.chain, self.passphrase)
