"""The demo PKI (certomancer) and its TSA / OCSP / CRL services on loopback."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from tests.fixtures_pki import PASSPHRASE


def load(p12: Path) -> tuple[Any, x509.Certificate, list[x509.Certificate]]:
    key, cert, chain = pkcs12.load_key_and_certificates(p12.read_bytes(),
                                                        PASSPHRASE.encode())
    assert key is not None and cert is not None
    return key, cert, chain


def attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def test_head_certificates_carry_the_roster_identity(demo_pki_dir: Path) -> None:
    _, cert, chain = load(demo_pki_dir / "signers" / "71.11.p12")
    assert attr(cert, NameOID.COMMON_NAME) == "Iskandar Kamaru"  # no titles
    assert attr(cert, NameOID.SERIAL_NUMBER) == "7111000000000001"  # the roster's NIK
    assert attr(cert, NameOID.ORGANIZATION_NAME) == \
        "Pemerintah Kabupaten Bolaang Mongondow Selatan"
    assert attr(cert, NameOID.LOCALITY_NAME) == "Kabupaten Bolaang Mongondow Selatan"
    assert attr(cert, NameOID.STATE_OR_PROVINCE_NAME) == "Sulawesi Utara"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    _, other, _ = load(demo_pki_dir / "signers" / "75.p12")
    assert attr(other, NameOID.SERIAL_NUMBER) is None  # no NIK/NIP on the roster
    root = x509.load_pem_x509_certificate((demo_pki_dir / "root.pem").read_bytes())
    interm = x509.load_pem_x509_certificate((demo_pki_dir / "intermediate.pem").read_bytes())
    assert [c.subject for c in chain] == [interm.subject, root.subject]
    cert.verify_directly_issued_by(interm)
    interm.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    _, witness, _ = load(demo_pki_dir / "witness.p12")
    assert attr(witness, NameOID.COMMON_NAME) == "Rahmat Bagja"
    _, secretariat, _ = load(demo_pki_dir / "secretariat.p12")
    assert attr(secretariat, NameOID.ORGANIZATION_NAME) == "Badan Pengawas Pemilihan Umum"


def test_every_certificate_has_its_own_serial(demo_pki_dir: Path) -> None:
    """Not only per issuer: the TSA and the Signing CA once shared one, and validators
    that find certificates by serial (endesive) then refused every timestamp."""
    from pakta.demo import DemoPki, service_app

    _, quick = service_app(DemoPki(demo_pki_dir), PASSPHRASE.encode())
    tsa = x509.load_der_x509_certificate(quick.tsa_cert.dump())
    certificates = [tsa, *(load(p12)[1] for p12 in sorted(demo_pki_dir.rglob("*.p12")))]
    certificates += [x509.load_pem_x509_certificate((demo_pki_dir / name).read_bytes())
                     for name in ("root.pem", "intermediate.pem")]
    unique = {c.fingerprint(hashes.SHA256()): c.serial_number for c in certificates}
    assert len(unique) > 10
    assert len(set(unique.values())) == len(unique)


def test_keys_and_config_hold_no_plain_secret(demo_pki_dir: Path) -> None:
    for path in demo_pki_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PASSPHRASE.encode() not in data, path
            plain = (b"BEGIN " + b"PRIVATE KEY", b"BEGIN EC " + b"PRIVATE")
            assert not any(marker in data for marker in plain), path
    for private in [*demo_pki_dir.rglob("*.p12"), *demo_pki_dir.glob("keys/*.key.pem")]:
        assert private.stat().st_mode & 0o777 == 0o600, private


def _ocsp_status(url: str, cert: x509.Certificate, issuer: x509.Certificate) -> Any:
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    http = urllib.request.Request(url, data=request.public_bytes(serialization.Encoding.DER),
                                  headers={"Content-Type": "application/ocsp-request"})
    # asn1crypto: certomancer's producedAt has fractions of a second, which
    # cryptography's strict DER parser refuses (pyHanko reads it fine)
    from asn1crypto import ocsp as asn1_ocsp

    response = asn1_ocsp.OCSPResponse.load(urllib.request.urlopen(http).read())
    assert response["response_status"].native == "successful"
    (single,) = response.basic_ocsp_response["tbs_response_data"]["responses"]
    return single["cert_status"].name


def test_services_answer_on_loopback(demo_pki_dir: Path, pki_services: Any) -> None:
    import asyncio

    from pyhanko.sign.timestamps import HTTPTimeStamper

    assert pki_services.base.startswith("http://127.0.0.1:")
    interm = x509.load_pem_x509_certificate((demo_pki_dir / "intermediate.pem").read_bytes())
    _, head, _ = load(demo_pki_dir / "signers" / "75.p12")
    _, revoked, _ = load(demo_pki_dir / "test" / "revoked.p12")
    # OCSP: the head is good, the revoked test signer is revoked
    assert _ocsp_status(pki_services.ocsp, head, interm) == "good"
    assert _ocsp_status(pki_services.ocsp, revoked, interm) == "revoked"
    # CRL: signed by the signing CA, lists the revoked signer only
    crl = x509.load_der_x509_crl(urllib.request.urlopen(pki_services.crl).read())
    assert crl.is_signature_valid(interm.public_key())
    assert crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(head.serial_number) is None
    # the certificates point at the CRL served here
    points = head.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == pki_services.crl
    # RFC 3161: a token from the demo TSA, also under the short /tsa alias
    for url in (pki_services.tsa, f"{pki_services.base}/tsa"):
        token = asyncio.run(HTTPTimeStamper(url).async_timestamp(b"\x00" * 32, "sha256"))
        names = {c.chosen.subject.native["common_name"]
                 for c in token["content"]["certificates"]}
        assert names == {"pakta Demo Timestamp Authority", "pakta Demo Signing CA",
                         "pakta Demo Root CA"}


def test_no_web_ui_and_no_key_download(pki_services: Any) -> None:
    for path in ("/_certomancer/cert-bundle/pakta", "/_certomancer/any-cert/pakta/root.crt"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(pki_services.base + path)
        assert err.value.code == 404
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(
            pki_services.base + "/_certomancer/pfx-download/pakta",
            data=b"cert=head-75&passphrase="))


def test_serve_refuses_a_wrong_passphrase_or_another_root(demo_pki_dir: Path,
                                                          tmp_path: Path) -> None:
    from pakta.demo import DemoPki, service_app
    from pakta.errors import EnvironmentProblem, SigningRefused

    with pytest.raises(SigningRefused, match="cannot open the demo PKI's keys"):
        service_app(DemoPki(demo_pki_dir), b"salah")
    copy = tmp_path / "pki"
    shutil.copytree(demo_pki_dir, copy)
    (copy / "root.pem").write_bytes((copy / "intermediate.pem").read_bytes())
    with pytest.raises(EnvironmentProblem, match="does not rebuild the root"):
        service_app(DemoPki(copy), PASSPHRASE.encode())


def test_serve_on_a_busy_port_says_so(demo_pki_dir: Path) -> None:
    import socket

    from pakta.demo import DemoPki, serve
    from pakta.errors import EnvironmentProblem

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(EnvironmentProblem, match=f"127.0.0.1:{port}: cannot serve"), \
                serve(DemoPki(demo_pki_dir), PASSPHRASE.encode(), port=port):
            pass
