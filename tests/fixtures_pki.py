"""Shared fixtures (a pytest plugin listed in conftest's `pytest_plugins`): the demo PKI
over the small roster, its TSA / OCSP / CRL services on loopback, and signed workspaces.

- `demo_pki_dir` (session): a demo PKI folder built once per test process, with the
  test certificates (`DemoPki.test_p12("revoked" | "expired" | "not-yet-valid" |
  "no-signing-usage")`). Its certificates point OCSP / CRL lookups at a free loopback
  port that `pki_services` serves. Read-only: copy it (`signing_ws` does).
- `pki_services` (session): `pakta.demo.ServiceUrls` (.tsa, .ocsp, .crl, .base) of the
  services running in a thread of the test process.
- `tsa_url` (session): the timestamp service's URL.
- `signing_ws`: a private rendered workspace with the PKI in pki/ and PAKTA_PASSPHRASE set.
- `signed_ws`: `signing_ws` with every document signed by its head (B-T) into signed/
  and every pact co-signed by the witness.
- helpers: `PASSPHRASE`, `pakta_env()`, `sign(ws, files, slot, p12, *extra)`,
  `validate(path, root)` (pyHanko's status per field) and `pdfsig(path, root, tmp)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PASSPHRASE = "uji-rahasia-7f3a9c"  # generated keys only; tests grep outputs for it


@pytest.fixture(scope="session")
def demo_pki_dir(rendered_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pakta.config import load_workspace
    from pakta.demo import create_demo_pki, free_port
    from pakta.roster import load_roster

    ws = load_workspace(rendered_workspace)
    folder = tmp_path_factory.mktemp("pki") / "pki"
    create_demo_pki(folder, load_roster(ws.roster), ws.witness.name, PASSPHRASE.encode(),
                    base_url=f"http://127.0.0.1:{free_port()}", test_certificates=True)
    from tests.verify_cases import demo_crls

    demo_crls(folder)  # pki/crls/: the CAs' CRLs, as an auditor downloads them
    return folder


@pytest.fixture(scope="session")
def pki_services(demo_pki_dir: Path) -> Iterator[Any]:
    from pakta.demo import DemoPki, serve

    with serve(DemoPki(demo_pki_dir), PASSPHRASE.encode()) as urls:
        yield urls


@pytest.fixture(scope="session")
def tsa_url(pki_services: Any) -> str:
    return str(pki_services.tsa)


@pytest.fixture
def signing_ws(fresh_rendered: Path, demo_pki_dir: Path,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private rendered workspace with the demo PKI in pki/ and the passphrase in the
    environment (as a user would export it)."""
    shutil.copytree(demo_pki_dir, fresh_rendered / "pki")
    monkeypatch.setenv("PAKTA_PASSPHRASE", PASSPHRASE)
    return fresh_rendered


def pakta_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PAKTA_PASSPHRASE": PASSPHRASE, **extra}


def sign(ws: Path, files: list[str], slot: str, p12: str, *extra: str) -> None:
    from tests.conftest import run_pakta

    result = run_pakta("sign", *files, "--slot", slot, "--p12", p12, *extra, cwd=ws,
                       env=pakta_env())
    assert result.returncode == 0, result.stderr


@pytest.fixture
def signed_ws(signing_ws: Path, tsa_url: str) -> Path:
    """Every document signed by its head (B-T) into signed/, pacts co-signed by the
    witness: the whole batch COMPLETE."""
    from pakta.roster import load_roster

    for head in load_roster(signing_ws / "roster.csv"):
        files = [str(p.relative_to(signing_ws)) for p in
                 sorted((signing_ws / "out").glob(f"{head.slug}-*.pdf"))]
        sign(signing_ws, files, "kepala_daerah", f"pki/signers/{head.code}.p12",
             "--level", "B-T", "--tsa", tsa_url, "--out", "signed")
    pacts = [str(p.relative_to(signing_ws))
             for p in sorted((signing_ws / "signed").glob("*pakta-integritas-signed.pdf"))]
    sign(signing_ws, pacts, "saksi", "pki/witness.p12", "--in-place")
    return signing_ws


def validate(path: Path, root: Path) -> dict[str, Any]:
    """pyHanko's own validation of every signature, field name -> status (document
    timestamps under their field names too), trusting only `root`, offline."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    trust = load_cert_from_pemder(str(root))
    with path.open("rb") as f:
        reader = PdfFileReader(f)
        status: dict[str, Any] = {}
        for sig in reader.embedded_signatures:
            context = ValidationContext(trust_roots=[trust], allow_fetching=False)
            if sig.sig_object.get("/Type") == "/DocTimeStamp":
                status[sig.field_name] = validate_pdf_timestamp(sig, context)
            else:
                status[sig.field_name] = validate_pdf_signature(sig, context)
        return status


def pdfsig(path: Path, root: Path, tmp: Path) -> str:
    """poppler's report on `path`, with `root` as the only trusted CA (an NSS db)."""
    nss = tmp / "nss"
    if not nss.exists():
        nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"],
                       check=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "CT,C,C",
                        "-i", str(root)], check=True)
    return subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)],
                          capture_output=True, text=True).stdout


SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN_PIN = "2468"


@pytest.fixture(scope="session")
def softhsm_token(demo_pki_dir: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[dict[str, str]]:
    """A SoftHSM 2 token labelled "pakta-uji" (PIN `TOKEN_PIN`) holding two keys generated
    on the token, "rsa" (RSA 2048) and "ec" (P-256), each with a certificate from the
    demo signing CA stored under the same label. Yields the environment a `pakta sign`
    subprocess needs (SOFTHSM2_CONF, PAKTA_PIN)."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    from pakta.demo import DemoPki, issue_certificate

    if not SOFTHSM_MODULE.is_file():
        pytest.fail("SoftHSM 2 is not installed (Debian package softhsm2): run make test, "
                    "which installs it")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\n"
                    "objectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the module first loads
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "pakta-uji",
                    "--pin", TOKEN_PIN, "--so-pin", "13579"], check=True,
                   capture_output=True)
    token = pkcs11.lib(str(SOFTHSM_MODULE)).get_token(token_label="pakta-uji")
    pki = DemoPki(demo_pki_dir)
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        rsa_pub, _ = session.generate_keypair(KeyType.RSA, 2048, label="rsa", store=True)
        params = session.create_domain_parameters(KeyType.EC, {
            Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        ec_pub, _ = params.generate_keypair(label="ec", store=True)
        keys = {
            "rsa": rsa.RSAPublicNumbers(
                int.from_bytes(rsa_pub[Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(rsa_pub[Attribute.MODULUS], "big")).public_key(),
            "ec": serialization.load_der_public_key(encode_ec_public_key(ec_pub)),
        }
        for label, public in keys.items():
            cert = issue_certificate(pki, PASSPHRASE.encode(), public, f"Token {label}")
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER)})
    yield {"SOFTHSM2_CONF": str(conf), "PAKTA_PIN": TOKEN_PIN}
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous
