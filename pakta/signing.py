"""The signing API as it was before `pakta.sign` (kept for callers importing it)."""

from pakta.sign.backends import (
    cert_fingerprint,
    check_certificate,
    load_certificates,
    signer_name,
    trust_roots,
)
from pakta.sign.backends.keyfile import KeySource, load_pem_signer, load_pkcs12_signer
from pakta.sign.backends.pkcs11 import pkcs11_signer
from pakta.sign.batch import sign_files
from pakta.sign.engine import BYTES_RESERVED, BatchSigner
from pakta.sign.model import AlreadySigned, SignOutcome, SignSettings, SignSummary
from pakta.sign.prepare import Prepared, output_path, prepare, read_bytes, read_pdf
from pakta.sign.renew import renew_timestamps
from pakta.sign.stamp import stamp_font, waktu

__all__ = [
    "BYTES_RESERVED", "AlreadySigned", "BatchSigner", "KeySource", "Prepared",
    "SignOutcome", "SignSettings", "SignSummary", "cert_fingerprint", "check_certificate",
    "load_certificates", "load_pem_signer", "load_pkcs12_signer", "output_path",
    "pkcs11_signer", "prepare", "read_bytes", "read_pdf", "renew_timestamps",
    "sign_files", "signer_name", "stamp_font", "trust_roots", "waktu",
]
