"""Signed files for the verification tests, made once per session from the shared demo PKI.

`signed_batch` is a rendered workspace whose documents are all signed by their heads
(B-T, the local timestamp service) with the pacts co-signed by the witness: every
document COMPLETE. Tests copy the files they change into their own folder. The odd
files (a chosen timestamp time, DSS, document timestamps, the witness first) are made
with pyHanko directly on top of it, with the demo PKI's keys.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_pki import PASSPHRASE, sign

PACT = "75-gorontalo-pakta-integritas"
DECL = "75-gorontalo-deklarasi-netralitas"
TEGAL_PACT = "33.76-tegal-pakta-integritas"


@pytest.fixture(scope="session")
def signed_batch(rendered_workspace: Path, demo_pki_dir: Path, tsa_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only: a workspace with signed/ holding the whole batch, COMPLETE."""
    from pakta.roster import load_roster

    ws = tmp_path_factory.mktemp("signed-batch") / "ws"
    shutil.copytree(rendered_workspace, ws)
    db = sqlite3.connect(ws / "pakta.db")
    db.execute("UPDATE documents SET path = replace(path, ?, ?)",
               (str(rendered_workspace), str(ws)))
    db.commit()
    db.close()
    shutil.copytree(demo_pki_dir, ws / "pki")
    for head in load_roster(ws / "roster.csv"):
        files = [str(p.relative_to(ws)) for p in sorted((ws / "out").glob(f"{head.slug}-*.pdf"))]
        sign(ws, files, "kepala_daerah", f"pki/signers/{head.code}.p12", "--level", "B-T",
             "--tsa", tsa_url, "--out", "signed")
    pacts = [str(p.relative_to(ws))
             for p in sorted((ws / "signed").glob("*pakta-integritas-signed.pdf"))]
    sign(ws, pacts, "saksi", "pki/witness.p12", "--in-place")
    return ws


def demo_crls(pki_dir: Path) -> list[Path]:
    """The demo CAs' current CRLs (the signing CA's and the root's), as an auditor
    downloads them from the CA before an offline audit: pki/crls/*.crl, made once."""
    from pakta.demo.pki import DemoPki, _load_arch

    folder = pki_dir / "crls"
    paths = [folder / "interm.crl", folder / "root.crl"]
    if not all(p.exists() for p in paths):
        arch = _load_arch(DemoPki(pki_dir), PASSPHRASE.encode())
        folder.mkdir(exist_ok=True)
        for path in paths:
            path.write_bytes(arch.service_registry.get_crl(path.stem).dump())
    return paths


def settings_for(ws: Path, crls: Sequence[Path] | None = None, **kwargs: Any) -> Any:
    """The workspace's verification settings, with the demo CAs' CRLs unless `crls`
    says otherwise (`()`: no revocation data at all)."""
    from pakta.config import load_workspace
    from pakta.ledger import Ledger
    from pakta.roster import load_roster
    from pakta.verify import make_settings

    if crls is None:
        crls = demo_crls(ws / "pki")
    config = load_workspace(ws)
    with Ledger(config.ledger) as ledger:
        return make_settings([ws / "pki" / "root.pem"], ledger, load_roster(config.roster),
                             config.witness.name, config.template_dir, crls, **kwargs)


def signed(ws: Path, doc_id: str) -> Path:
    return ws / "signed" / f"{doc_id}-signed.pdf"


def rendered(ws: Path, doc_id: str) -> bytes:
    return (ws / "out" / f"{doc_id}.pdf").read_bytes()


def signer(p12: Path) -> Any:
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSPHRASE.encode())
    assert loaded is not None, p12
    return loaded


_TSA: dict[Path, tuple[Any, Any, Any]] = {}


def timestamper(ws: Path, at: dt.datetime | None = None) -> Any:
    """An in-process RFC 3161 authority certified by the demo signing CA (`ca.p12`),
    stamping the time given (or now). RSA: pyHanko's in-process stamper signs with RSA."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    pki = ws / "pki"
    if pki not in _TSA:
        ca_key, ca_cert, _ = pkcs12.load_key_and_certificates(
            (pki / "ca.p12").read_bytes(), PASSPHRASE.encode())
        assert ca_key is not None and ca_cert is not None
        key = rsa.generate_private_key(65537, 2048)
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(
                    NameOID.COMMON_NAME, "pakta Test Timestamp Authority")]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=2))
                .not_valid_after(now + dt.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False,
                                             False, False), True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                               True)
                .sign(ca_key, hashes.SHA256()))
        tsa_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        tsa_key = keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        chain = SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(
            ca_cert.public_bytes(serialization.Encoding.DER))])
        _TSA[pki] = (tsa_cert, tsa_key, chain)
    tsa_cert, tsa_key, chain = _TSA[pki]
    return DummyTimeStamper(tsa_cert, tsa_key, chain, fixed_dt=at)


def sign_bytes(data: bytes, field: str, p12: Path, *, stamper: Any = None,
               certify: Any = None) -> bytes:
    """One PAdES signature in `field`, as an incremental update; a certification
    signature with the DocMDP permission `certify` (an MDPPerm) if given."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = io.BytesIO()
    extra: dict[str, Any] = {}
    if certify is not None:
        extra = {"certify": True, "docmdp_permissions": certify}
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name=field,
                                     subfilter=fields.SigSeedSubFilter.PADES, **extra),
        signer=signer(p12), timestamper=stamper).sign_pdf(writer, output=out)
    return out.getvalue()


def add_dss(data: bytes, crls: Sequence[bytes] = (), certs: Sequence[Path] = ()) -> bytes:
    """A DSS update carrying CRLs (and certificates): the validation data of B-LT."""
    from asn1crypto import crl
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    buffer = io.BytesIO(data)
    DocumentSecurityStore.add_dss(
        buffer, None, crls=[crl.CertificateList.load(c) for c in crls],
        certs=[load_cert_from_pemder(str(c)) for c in certs], force_write=True)
    return buffer.getvalue()


def add_document_timestamp(data: bytes, stamper: Any) -> bytes:
    """A document timestamp over everything so far: what makes B-LTA."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    out = io.BytesIO()
    signers.PdfTimeStamper(stamper).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)), "sha256", output=out)
    return out.getvalue()


def change_page(data: bytes) -> bytes:
    """An incremental update replacing the page's content stream."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (BATAL) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_annotation(data: bytes) -> bytes:
    """An incremental update putting a text annotation over the page."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    annot_ref = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): generic.ArrayObject(
            [generic.FloatObject(v) for v in (80, 600, 500, 700)]),
        generic.NameObject("/Contents"): generic.TextStringObject("DIBATALKAN"),
        generic.NameObject("/DA"): generic.TextStringObject("/Helv 24 Tf 1 0 0 rg"),
        generic.NameObject("/P"): page_ref,
    }))
    raw = page.raw_get("/Annots") if "/Annots" in page else None
    if isinstance(raw, generic.IndirectObject):
        array = raw.get_object()
        array.append(annot_ref)
        writer.update_container(array)
    else:
        page["/Annots"] = generic.ArrayObject([*(raw or []), annot_ref])
        writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def deflate_bomb(data: bytes, expanded: int = 256 << 20) -> bytes:
    """An incremental update whose DSS holds a CRL stream of `expanded` zero bytes
    (a few MB on disk): verification reads the DSS, so it meets the bomb."""
    import zlib

    compressor = zlib.compressobj(9)
    block = bytes(1 << 24)
    parts = [compressor.compress(block) for _ in range(expanded >> 24)]
    parts.append(compressor.flush())
    payload = b"".join(parts)
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    root_ref = reader.trailer.raw_get("/Root")
    size = int(reader.trailer["/Size"])
    prev = reader.last_startxref
    root = reader.root
    crl_num, dss_num, root_num = size, size + 1, root_ref.idnum
    body = bytearray(data)
    if not body.endswith(b"\n"):
        body += b"\n"
    offsets = {}
    offsets[crl_num] = len(body)
    body += (f"{crl_num} 0 obj\n<</Length {len(payload)}/Filter/FlateDecode>>\nstream\n"
             .encode() + payload + b"\nendstream\nendobj\n")
    offsets[dss_num] = len(body)
    body += f"{dss_num} 0 obj\n<</CRLs [{crl_num} 0 R]>>\nendobj\n".encode()
    # the catalog again, with /DSS
    entries = b"".join(
        b"/" + key[1:].encode() + b" " + _raw(root.raw_get(key)) for key in root
        if key != "/DSS")
    offsets[root_num] = len(body)
    body += (f"{root_num} 0 obj\n<<".encode() + entries
             + f"/DSS {dss_num} 0 R>>\nendobj\n".encode())
    xref_at = len(body)
    body += b"xref\n"
    for num in sorted(offsets):
        body += f"{num} 1\n{offsets[num]:010d} 00000 n \n".encode()
    body += (f"trailer\n<</Size {size + 2}/Root {root_num} 0 R/Prev {prev}>>\n"
             f"startxref\n{xref_at}\n%%EOF\n").encode()
    return bytes(body)


def _raw(value: Any) -> bytes:
    out = io.BytesIO()
    value.write_to_stream(out)
    return out.getvalue()


def revoke(ws: Path, p12: Path, out: Path, when: dt.datetime) -> Path:
    from pakta.demo import DemoPki
    from pakta.demo import revoke as demo_revoke

    return demo_revoke(DemoPki(ws / "pki"), p12, PASSPHRASE.encode(), out, when=when)
