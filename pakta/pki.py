"""A demo PKI for the demo and the tests, and a local RFC 3161 timestamp service.

`create_demo_pki` issues, from a fresh root and intermediate CA, one signing certificate
per head of the roster (subject: the name without titles, NIK or NIP as serialNumber),
one for the witness, one for the secretariat and one for the timestamp authority, and
writes them as passphrase-protected PKCS#12 files (mode 0600) with the root as PEM to
trust. Keys are generated here, every time, and never committed. ECDSA P-256 keys keep
a 552-head PKI to a few seconds.

`TimestampServer` answers RFC 3161 requests over HTTP on 127.0.0.1, signed with the
demo TSA's certificate (optionally after a delay, to measure latency hiding).
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pakta.roster import RegionHead

SIGNERS = "signers"
CRL_URL = "http://127.0.0.1:8765/crl/signing-ca.crl"


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
    def tsa_p12(self) -> Path:
        return self.folder / "tsa.p12"

    def head_p12(self, code: str) -> Path:
        return self.folder / SIGNERS / f"{code}.p12"


def _name(common_name: str, organisation: str | None = None,
          serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.insert(1, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


class _Issuer:
    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.cert = cert
        self.key = key


def _issue(subject: x509.Name, key: Any, issuer: _Issuer | None, *,
           ca: bool = False, tsa: bool = False, not_before: dt.datetime | None = None,
           days: int = 3650) -> x509.Certificate:
    start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    signer_key = issuer.key if issuer else key
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(start + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False)
    usage = dict(digital_signature=not ca, content_commitment=not ca and not tsa,
                 key_encipherment=False, data_encipherment=False, key_agreement=False,
                 key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)
    builder = builder.add_extension(x509.KeyUsage(**usage), critical=True)
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if issuer and not ca:
        # Where the CA publishes its CRL. Verification is offline: the auditor passes the
        # CRL with --crl; the pointer tells the validator the certificate is revocable.
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(CRL_URL)], relative_name=None,
            reasons=None, crl_issuer=None)]), critical=False)
    return builder.sign(signer_key, hashes.SHA256())


def write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only (0600) before any byte is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _p12(path: Path, name: str, key: Any, cert: x509.Certificate,
         chain: Sequence[x509.Certificate], passphrase: bytes) -> None:
    data = pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, list(chain),
        serialization.BestAvailableEncryption(passphrase))
    write_private(path, data)


def create_demo_pki(folder: Path, heads: Sequence[RegionHead], witness_name: str,
                    passphrase: bytes, secretariat_name: str = "Sekretariat Bawaslu RI",
                    ) -> DemoPki:
    """Issue the demo PKI under `folder`; returns where everything is."""
    pki = DemoPki(folder)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _Issuer(_issue(_name("pakta Demo Root CA", "pakta demo"), root_key, None,
                          ca=True), root_key)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = _Issuer(_issue(_name("pakta Demo Signing CA", "pakta demo"), inter_key, root,
                           ca=True), inter_key)
    folder.mkdir(parents=True, exist_ok=True)
    pki.root_pem.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    pki.chain_pem.write_bytes(inter.cert.public_bytes(serialization.Encoding.PEM))
    chain = [inter.cert, root.cert]
    # The intermediate's key stays with the demo PKI, so tests can issue odd certificates.
    _p12(folder / "ca.p12", "ca", inter.key, inter.cert, [root.cert], passphrase)

    def leaf(path: Path, subject: x509.Name, tsa: bool = False) -> None:
        # pyHanko's RFC 3161 responder signs with RSA only; everyone else uses P-256.
        key: Any = (rsa.generate_private_key(65537, 2048) if tsa
                    else ec.generate_private_key(ec.SECP256R1()))
        cert = _issue(subject, key, inter, tsa=tsa, days=1825)
        _p12(path, subject.rfc4514_string(), key, cert, chain, passphrase)

    for head in heads:
        leaf(pki.head_p12(head.code),
             _name(head.plain_name, head.instansi, head.identifier))
    leaf(pki.witness_p12, _name(witness_name, "Badan Pengawas Pemilihan Umum"))
    leaf(pki.secretariat_p12, _name(secretariat_name, "Badan Pengawas Pemilihan Umum"))
    leaf(pki.tsa_p12, _name("pakta Demo Timestamp Authority", "pakta demo"), tsa=True)
    return pki


def issue_test_certificate(pki: DemoPki, path: Path, common_name: str, passphrase: bytes, *,
                           not_before: dt.datetime | None = None, days: int = 365,
                           signing_usage: bool = True, self_signed: bool = False) -> None:
    """A certificate for refusal and verdict tests: expired, without signing usage, or
    from an untrusted CA. Needs the intermediate's key, so it re-reads the TSA-free
    issuer from a fresh self-signed CA when `self_signed`."""
    key = ec.generate_private_key(ec.SECP256R1())
    if self_signed:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        issuer = _Issuer(_issue(_name("Untrusted CA"), ca_key, None, ca=True), ca_key)
    else:
        issuer = _load_issuer(pki, passphrase)
    cert = _issue(_name(common_name), key, issuer, not_before=not_before, days=days,
                  tsa=not signing_usage)
    _p12(path, common_name, key, cert, [issuer.cert], passphrase)


def _load_issuer(pki: DemoPki, passphrase: bytes) -> _Issuer:
    """The intermediate CA, kept for tests in `ca.p12` (see `keep_ca`)."""
    key, cert, _ = pkcs12.load_key_and_certificates(
        (pki.folder / "ca.p12").read_bytes(), passphrase)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and cert is not None
    return _Issuer(cert, key)


# ---------------------------------------------------------------------------------------
# Timestamp service


class TimestampServer:
    """RFC 3161 over HTTP on 127.0.0.1, signed by the demo TSA certificate."""

    def __init__(self, pki: DemoPki, passphrase: bytes, port: int = 0,
                 delay_ms: int = 0) -> None:
        from asn1crypto import keys as asn1_keys
        from asn1crypto import tsp
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        key, cert, extra = pkcs12.load_key_and_certificates(
            pki.tsa_p12.read_bytes(), passphrase)
        assert key is not None and cert is not None
        der_key = key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
            certs_to_embed=[asn1_x509.Certificate.load(  # type: ignore[arg-type]
                c.public_bytes(serialization.Encoding.DER)) for c in extra or []])
        lock = threading.Lock()
        delay = delay_ms / 1000

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    request = tsp.TimeStampReq.load(body)
                    with lock:
                        reply = stamper.request_tsa_response(request).dump()
                except Exception:
                    self.send_error(400, "not a timestamp request")
                    return
                if delay:
                    time.sleep(delay)  # a slow TSA, for the latency benchmark
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsa"

    def serve_forever(self) -> None:
        self.server.serve_forever()

    @contextmanager
    def running(self) -> Iterator[str]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            self.server.shutdown()
            self.server.server_close()


def revoke(pki: DemoPki, p12: Path, passphrase: bytes, out: Path,
           when: dt.datetime | None = None) -> Path:
    """A CRL from the demo signing CA listing the certificate in `p12` as revoked."""
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
