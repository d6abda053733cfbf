"""A demo PKI for the demo and the tests (its services: pakta.demo.services).

`create_demo_pki` generates every key first (with `cryptography`), then lets certomancer
issue the certificates from a configuration built here: a root CA, an intermediate
(signing) CA, one certificate per head of the roster (subject: the name without titles,
NIK or NIP as serialNumber, the region as O / L / ST), one for the witness, one for the
secretariat, a timestamp authority and an OCSP responder. Signers get passphrase-protected
PKCS#12 files (mode 0600); the root is written as PEM to trust.

The certomancer configuration (`certomancer.yml`) stays in the folder so that `serve`
(`pakta pki serve`) can answer RFC 3161, OCSP and CRL requests later, from another
process. It holds no secret: the service keys it names are encrypted with the same
passphrase, which `serve` is given again. Every key is ECDSA P-256 (a 552-head PKI in a
few seconds), and certificates are signed with deterministic ECDSA: certomancer re-issues
byte-identical certificates when it reloads the configuration, so the chain it serves is
the one in the PKCS#12 files.

With `test_certificates=True` the PKI also holds odd signers for tests (`test_p12`):
`revoked` (revoked in the CRL and by OCSP), `expired`, `not-yet-valid`, `no-signing-usage`,
and `ocsp` (a valid signer whose certificate names the OCSP responder).

Signers' certificates name the CRL (distribution point) but not the OCSP responder unless
`ocsp_pointers=True`: poppler 22's `pdfsig` (NSS) reports "Unknown issue with
Certificate" for any certificate with an OCSP pointer, even with -no-ocsp, and pdfsig is
the independent witness the tests use. B-LT embeds CRLs then; the `ocsp` test signer
shows B-LT with OCSP responses.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pakta.errors import SigningRefused
from pakta.i18n import _
from pakta.roster import RegionHead

SIGNERS = "signers"
ARCH = "pakta"
DEFAULT_PORT = 8765
CONFIG_NAME = "certomancer.yml"
TEST_CERTIFICATES = ("revoked", "expired", "not-yet-valid", "no-signing-usage", "ocsp")
BAWASLU = "Badan Pengawas Pemilihan Umum"
# Kept for callers that build a CRL pointer themselves; the demo CA's own CRL is served
# at DemoPki.urls().crl.
CRL_URL = f"http://127.0.0.1:{DEFAULT_PORT}/{ARCH}/crls/interm/latest.crl"


@dataclass(frozen=True)
class ServiceUrls:
    """Where `serve` answers: timestamps, OCSP and the CAs' CRLs."""

    base: str

    @property
    def tsa(self) -> str:
        return f"{self.base}/{ARCH}/tsa/tsa"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/{ARCH}/ocsp/interm"

    @property
    def crl(self) -> str:
        return f"{self.base}/{ARCH}/crls/interm/latest.crl"

    @property
    def root_crl(self) -> str:
        return f"{self.base}/{ARCH}/crls/root/latest.crl"


@dataclass(frozen=True)
class DemoPki:
    folder: Path

    @property
    def root_pem(self) -> Path:
        return self.folder / "root.pem"

    @property
    def chain_pem(self) -> Path:
        return self.folder / "intermediate.pem"

    @property
    def witness_p12(self) -> Path:
        return self.folder / "witness.p12"

    @property
    def secretariat_p12(self) -> Path:
        return self.folder / "secretariat.p12"

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG_NAME

    def head_p12(self, code: str) -> Path:
        return self.folder / SIGNERS / f"{code}.p12"

    def test_p12(self, name: str) -> Path:
        """One of TEST_CERTIFICATES (only with create_demo_pki(test_certificates=True))."""
        return self.folder / "test" / f"{name}.p12"

    def urls(self) -> ServiceUrls:
        """The service URLs the certificates point at (AIA / CRL distribution points)."""
        config = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        return ServiceUrls(str(config["external-url-prefix"]))


def write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only (0600) before any byte is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


# ---------------------------------------------------------------------------------------
# The certomancer configuration


@dataclass(frozen=True)
class _Signer:
    label: str
    entity: dict[str, str]
    p12: Path
    template: str = "signer"


def _validity(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%S+0000"
    return {"valid-from": start.strftime(fmt), "valid-to": end.strftime(fmt)}


def _head_entity(head: RegionHead) -> dict[str, str]:
    entity = {"common-name": head.plain_name, "organization-name": head.instansi,
              "locality-name": head.region_label, "state-or-province-name": head.province}
    if head.identifier:
        entity["serial-number"] = head.identifier
    return entity


def _signers(pki: DemoPki, heads: Sequence[RegionHead], witness_name: str,
             secretariat_name: str, test_certificates: bool) -> list[_Signer]:
    signers = [_Signer(f"head-{h.code}", _head_entity(h), pki.head_p12(h.code)) for h in heads]
    signers.append(_Signer("witness", {"common-name": witness_name,
                                       "organization-name": BAWASLU}, pki.witness_p12))
    signers.append(_Signer("secretariat", {"common-name": secretariat_name,
                                           "organization-name": BAWASLU},
                           pki.secretariat_p12))
    if test_certificates:
        signers += [_Signer(f"test-{name}", {"common-name": f"Penguji {name}",
                                             "organization-name": "pakta demo"},
                            pki.test_p12(name), template=f"test-{name}")
                    for name in TEST_CERTIFICATES]
    return signers


_OCSP_POINTER = {"id": "authority_information_access", "smart-value": {
    "schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}}}


def _cert_specs(signers: Sequence[_Signer], now: dt.datetime,
                ocsp_pointers: bool) -> dict[str, Any]:
    years = dt.timedelta(days=365)
    ca = {"subject": "root", "issuer": "root", "validity": _validity(now, now + 20 * years),
          "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}]}
    signer: dict[str, Any] = {"issuer": "interm", "validity": _validity(now, now + 5 * years),
                              "profiles": ["digsig-commitment"]}
    if ocsp_pointers:
        signer["extensions"] = [_OCSP_POINTER]
    specs: dict[str, Any] = {
        "root": ca,
        "interm": {"issuer": "root", "validity": _validity(now, now + 10 * years),
                   "profiles": [{"id": "simple-ca", "params": {
                       "max-path-len": 0, "crl-repo": "interm"}}]},
        "ocsp": {"issuer": "interm", "validity": _validity(now, now + 10 * years),
                 "profiles": ["ocsp-responder"]},
        "tsa": {"issuer": "interm", "validity": _validity(now, now + 10 * years),
                "extensions": [
                    {"id": "key_usage", "critical": True,
                     "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}]},
        "signer": {**signer, "subject": "witness", "subject-key": "witness"},
    }
    tests: dict[str, dict[str, Any]] = {
        "test-revoked": {"revocation": {"revoked-since": _validity(now, now)["valid-from"],
                                        "reason": "key_compromise"},
                         "extensions": [_OCSP_POINTER]},
        "test-ocsp": {"extensions": [_OCSP_POINTER]},
        "test-expired": {"validity": _validity(now - 3 * years, now - 2 * years)},
        "test-not-yet-valid": {"validity": _validity(now + years, now + 2 * years)},
        "test-no-signing-usage": {"profiles": [], "extensions": [
            {"id": "key_usage", "critical": True,
             "smart-value": {"schema": "key-usage", "params": ["key_encipherment"]}},
            *signer.get("extensions", [])]},
    }
    for s in signers:
        specs[s.label] = {**signer, "subject": s.label, "subject-key": s.label,
                          **tests.get(s.template, {})}
    # "signer" only served as a template above; it is not a certificate of its own.
    del specs["signer"]
    # Serials unique across the whole PKI, not only per issuer (certomancer's default
    # numbers each issuer's certificates from the same start, so the TSA and the
    # Signing CA shared one, and validators that look certificates up by serial, such
    # as endesive, then refused every timestamp).
    for number, spec in enumerate(specs.values()):
        spec["serial"] = 0x1000 + number
    return specs


def _config(signers: Sequence[_Signer], base_url: str, now: dt.datetime,
            ocsp_pointers: bool) -> dict[str, Any]:
    service_keys = {name: {"path": f"keys/{name}.key.pem"}
                    for name in ("root", "interm", "ocsp", "tsa")}
    public_keys = {s.label: {"path": f"keys/public/{s.label}.pem", "public-only": True}
                   for s in signers}
    entities: dict[str, Any] = {
        "root": {"common-name": "pakta Demo Root CA", "organization-name": "pakta demo"},
        "interm": {"common-name": "pakta Demo Signing CA", "organization-name": "pakta demo"},
        "ocsp": {"common-name": "pakta Demo OCSP Responder", "organization-name": "pakta demo"},
        "tsa": {"common-name": "pakta Demo Timestamp Authority",
                "organization-name": "pakta demo"},
    }
    entities.update({s.label: s.entity for s in signers})
    return {
        "external-url-prefix": base_url,
        "keysets": {"pakta": {"keys": {**service_keys, **public_keys}}},
        "pki-architectures": {ARCH: {
            "keyset": "pakta",
            "entity-defaults": {"country-name": "ID"},
            "entities": entities,
            "certs": _cert_specs(signers, now, ocsp_pointers),
            "services": {
                "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp",
                                    "signing-key": "ocsp"}},
                "crl-repo": {
                    "root": {"for-issuer": "root", "signing-key": "root",
                             "simulated-update-schedule": "P30D"},
                    "interm": {"for-issuer": "interm", "signing-key": "interm",
                               "simulated-update-schedule": "P1D"}},
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa",
                                          "certs-to-embed": ["interm", "root"]}},
            },
        }},
    }


def _use_fast_backend() -> None:
    """certomancer re-parses the issuer's key for every certificate it signs. This
    backend (certomancer's own extension point, `crypto_utils.CRYPTO_BACKEND`) parses
    each key once, and signs with deterministic ECDSA (RFC 6979) so that reloading the
    configuration rebuilds the very same certificates."""
    from certomancer import crypto_utils

    if getattr(crypto_utils.CRYPTO_BACKEND, "pakta_fast", False):
        return

    class FastBackend(crypto_utils.PycaCryptographyBackend):
        pakta_fast = True

        def __init__(self) -> None:
            self._keys: dict[bytes, ec.EllipticCurvePrivateKey] = {}

        def generic_sign(self, private_key: Any, tbs_bytes: bytes, sd_algo: Any) -> bytes:
            if sd_algo.signature_algo != "ecdsa":
                return bytes(super().generic_sign(private_key, tbs_bytes, sd_algo))
            der = private_key.dump()
            key = self._keys.get(der)
            if key is None:
                loaded = serialization.load_der_private_key(der, None)
                assert isinstance(loaded, ec.EllipticCurvePrivateKey)
                key = self._keys[der] = loaded
            digest = getattr(hashes, sd_algo.hash_algo.upper())()
            return bytes(key.sign(tbs_bytes, ec.ECDSA(digest, deterministic_signing=True)))

    crypto_utils.CRYPTO_BACKEND = FastBackend()


def _load_arch(pki: DemoPki, passphrase: bytes) -> Any:
    """certomancer's view of the PKI; the service keys are decrypted with `passphrase`."""
    from certomancer.registry import ArchLabel, CertomancerConfig

    _use_fast_backend()

    config = yaml.safe_load(pki.config_path.read_text(encoding="utf-8"))
    for key in config["keysets"]["pakta"]["keys"].values():
        if not key.get("public-only"):
            key["password"] = passphrase.decode()  # in memory only, never written back
    try:
        loaded = CertomancerConfig(config, key_search_dir=str(pki.folder))
    except OSError as exc:
        raise SigningRefused(_("{value}: cannot open the demo PKI's keys: wrong passphrase, or "
                               "keys missing").format(value=pki.folder / "keys")) from exc
    return loaded.get_pki_arch(ArchLabel(ARCH))


# ---------------------------------------------------------------------------------------
# Keys and files


def _pem_private(key: Any, passphrase: bytes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase))


def _pem_public(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _to_crypto(cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _p12(path: Path, name: str, key: Any, cert: x509.Certificate,
         chain: Sequence[x509.Certificate], passphrase: bytes) -> None:
    data = pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, list(chain),
        serialization.BestAvailableEncryption(passphrase))
    write_private(path, data)


def create_demo_pki(folder: Path, heads: Sequence[RegionHead], witness_name: str,
                    passphrase: bytes, secretariat_name: str = "Sekretariat Bawaslu RI", *,
                    base_url: str = f"http://127.0.0.1:{DEFAULT_PORT}",
                    test_certificates: bool = False, ocsp_pointers: bool = False) -> DemoPki:
    """Issue the demo PKI under `folder`; returns where everything is.

    `base_url` is where `serve` will answer: the certificates point their CRL (and with
    `ocsp_pointers`, OCSP) URLs there (tests pass a free loopback port).
    """
    pki = DemoPki(folder)
    signers = _signers(pki, heads, witness_name, secretariat_name, test_certificates)
    # Valid since yesterday: tests stamp times a few hours back.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    keys_dir = folder / "keys"
    (keys_dir / "public").mkdir(parents=True, exist_ok=True)
    for name in ("root", "interm", "ocsp", "tsa"):
        write_private(keys_dir / f"{name}.key.pem",
                      _pem_private(ec.generate_private_key(ec.SECP256R1()), passphrase))
    private = {s.label: ec.generate_private_key(ec.SECP256R1()) for s in signers}
    for label, key in private.items():
        (keys_dir / "public" / f"{label}.pem").write_bytes(_pem_public(key))
    pki.config_path.write_text(
        "# The demo PKI for certomancer (pakta pki demo). No secrets: the service keys are\n"
        "# encrypted with the demo passphrase; signers' keys are only in the .p12 files.\n"
        + yaml.safe_dump(_config(signers, base_url.rstrip("/"), now, ocsp_pointers),
                         sort_keys=False),
        encoding="utf-8")
    arch = _load_arch(pki, passphrase)
    root, interm = _to_crypto(arch.get_cert("root")), _to_crypto(arch.get_cert("interm"))
    pki.root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    pki.chain_pem.write_bytes(interm.public_bytes(serialization.Encoding.PEM))
    for s in signers:
        _p12(s.p12, s.entity["common-name"], private[s.label],
             _to_crypto(arch.get_cert(s.label)), [interm, root], passphrase)
    # The intermediate's key with its certificate, so tests can issue odd certificates.
    ca_key = serialization.load_pem_private_key(
        (keys_dir / "interm.key.pem").read_bytes(), passphrase)
    _p12(folder / "ca.p12", "ca", ca_key, interm, [root], passphrase)
    return pki


# ---------------------------------------------------------------------------------------
# Extra certificates for tests (issued outside certomancer, by the intermediate's key)


class _Issuer:
    def __init__(self, cert: x509.Certificate, key: Any) -> None:
        self.cert = cert
        self.key = key


def _load_issuer(pki: DemoPki, passphrase: bytes) -> _Issuer:
    """The intermediate CA, kept for tests in `ca.p12`."""
    key, cert, _ = pkcs12.load_key_and_certificates(
        (pki.folder / "ca.p12").read_bytes(), passphrase)
    assert key is not None and cert is not None
    return _Issuer(cert, key)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue_certificate(pki: DemoPki, passphrase: bytes, public_key: Any, common_name: str, *,
                      not_before: dt.datetime | None = None, days: int = 365,
                      signing_usage: bool = True, non_repudiation: bool = True,
                      issuer: _Issuer | None = None) -> x509.Certificate:
    """A certificate from the demo signing CA for any public key (e.g. one generated on a
    PKCS#11 token), or from `issuer`."""
    issuer = issuer or _load_issuer(pki, passphrase)
    start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name)).issuer_name(issuer.cert.subject)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer.key.public_key()), critical=False)
               .add_extension(x509.KeyUsage(
                   digital_signature=signing_usage,
                   content_commitment=signing_usage and non_repudiation,
                   key_encipherment=not signing_usage, data_encipherment=False,
                   key_agreement=False, key_cert_sign=False, crl_sign=False,
                   encipher_only=False, decipher_only=False), critical=True))
    if not signing_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer.key, hashes.SHA256())


def issue_test_certificate(pki: DemoPki, path: Path, common_name: str, passphrase: bytes, *,
                           not_before: dt.datetime | None = None, days: int = 365,
                           signing_usage: bool = True, non_repudiation: bool = True,
                           self_signed: bool = False) -> None:
    """A PKCS#12 signer for refusal and verdict tests: expired, without signing usage, or
    from an untrusted CA (`self_signed`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = None
    if self_signed:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("Untrusted CA")
        ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
                   .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                  critical=True)
                   .sign(ca_key, hashes.SHA256()))
        issuer = _Issuer(ca_cert, ca_key)
    cert = issue_certificate(pki, passphrase, key.public_key(), common_name,
                             not_before=not_before, days=days, signing_usage=signing_usage,
                             non_repudiation=non_repudiation, issuer=issuer)
    chain = [issuer.cert] if issuer else [_load_issuer(pki, passphrase).cert]
    _p12(path, common_name, key, cert, chain, passphrase)


def revoke(pki: DemoPki, p12: Path, passphrase: bytes, out: Path,
           when: dt.datetime | None = None) -> Path:
    """A CRL from the demo signing CA listing the certificate in `p12` as revoked (for
    offline checks; the served CRL and OCSP know the `revoked` test certificate)."""
    from cryptography.x509 import CertificateRevocationListBuilder, RevokedCertificateBuilder

    issuer = _load_issuer(pki, passphrase)
    _, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase)
    assert cert is not None
    now = dt.datetime.now(dt.UTC)
    revoked = (RevokedCertificateBuilder().serial_number(cert.serial_number)
               .revocation_date(when or now - dt.timedelta(hours=1)).build())
    crl = (CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
           .last_update(now - dt.timedelta(minutes=5))
           .next_update(now + dt.timedelta(days=7))
           .add_revoked_certificate(revoked)
           .sign(issuer.key, hashes.SHA256()))
    out.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return out
