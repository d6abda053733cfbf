"""The demo PKI's RFC 3161 timestamp answers, with the parts that never change encoded once.

certomancer's own responder rebuilds and re-encodes its certificates for every answer
(about 37 ms each here), so a batch signing at B-T waited on it, not on the network. This
responder uses certomancer's key, certificate, policy and signing backend, and builds per
request only the TSTInfo, the signed attributes and the signature (about 1 ms).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

_TST_INFO_OID = bytes.fromhex("060b2a864886f70d0109100104")  # id-ct-TSTInfo
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
_CONTENT_TYPE_OID = bytes.fromhex("06092a864886f70d010903")
_MESSAGE_DIGEST_OID = bytes.fromhex("06092a864886f70d010904")
_SIGNING_TIME_OID = bytes.fromhex("06092a864886f70d010905")
_SIGNING_CERT_OID = bytes.fromhex("060b2a864886f70d010910020c")  # ESS signingCertificate


class QuickTimestamper:
    """Answers TimeStampReq DER with TimeStampResp DER for one certomancer TSA."""

    def __init__(self, stamper: Any) -> None:
        from asn1crypto import algos, cms, x509

        cert = stamper.tsa_cert
        self._stamper = stamper
        self.tsa_cert = cert  # asn1crypto, as certomancer gives it
        self._digest = algos.DigestAlgorithm({"algorithm": stamper.md_algorithm}).dump()
        certs = {c.dump() for c in [*stamper.certs_to_embed, cert]}
        self._certificates = der(0xA0, *sorted(certs))  # [0] IMPLICIT SET OF, DER order
        self._sid = cms.IssuerAndSerialNumber({
            "issuer": cert.issuer, "serial_number": cert.serial_number}).dump()
        self._signature_algorithm = stamper.signature_algo.dump()
        self._policy = stamper.policy
        self._tsa_name = der(0xA0, x509.GeneralName(name="directory_name",
                                                    value=cert.subject).dump())
        ess_cert_id = der(0x30, der(0x04, hashlib.sha1(cert.dump()).digest()))
        self._signing_cert_attr = der(0x30, _SIGNING_CERT_OID,
                                      der(0x31, der(0x30, der(0x30, ess_cert_id))))

    def respond(self, request: bytes) -> bytes:
        from asn1crypto import core, tsp
        from certomancer import crypto_utils

        req = tsp.TimeStampReq.load(request)
        now = dt.datetime.now(dt.UTC)
        info = {"version": "v1", "policy": self._policy,
                "message_imprint": req["message_imprint"],
                "serial_number": secrets.randbits(63), "gen_time": now}
        if isinstance(req["nonce"], core.Integer):
            info["nonce"] = req["nonce"]
        tst_info = tsp.TSTInfo(info).dump()
        # the TSA's name goes last in TSTInfo ([0] EXPLICIT GeneralName)
        tst_info = der(0x30, tst_info[len(_header(tst_info)):], self._tsa_name)
        digest = hashlib.new(self._stamper.md_algorithm, tst_info).digest()
        attributes = sorted([
            der(0x30, _CONTENT_TYPE_OID, der(0x31, _TST_INFO_OID)),
            der(0x30, _SIGNING_TIME_OID, der(0x31, core.UTCTime(now).dump())),
            self._signing_cert_attr,
            der(0x30, _MESSAGE_DIGEST_OID, der(0x31, der(0x04, digest))),
        ])  # a SET OF is in DER order
        signature = crypto_utils.generic_sign(self._stamper.tsa_key,
                                              der(0x31, *attributes),
                                              self._stamper.signature_algo)
        signer_info = der(0x30, der(0x02, b"\x01"), self._sid, self._digest,
                          der(0xA0, *attributes), self._signature_algorithm,
                          der(0x04, signature))
        signed_data = der(0x30, der(0x02, b"\x03"), der(0x31, self._digest),
                          der(0x30, _TST_INFO_OID, der(0xA0, der(0x04, tst_info))),
                          self._certificates, der(0x31, signer_info))
        token = der(0x30, _SIGNED_DATA_OID, der(0xA0, signed_data))
        granted = der(0x30, der(0x02, b"\x00"))
        return der(0x30, granted, token)


def _header(encoded: bytes) -> bytes:
    """The tag and length octets of a DER value."""
    if encoded[1] < 0x80:
        return encoded[:2]
    return encoded[:2 + (encoded[1] & 0x7F)]




def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag: int, *parts: bytes) -> bytes:
    """One DER value from its tag and the encodings of its parts."""
    content = b"".join(parts)
    return bytes([tag]) + _der_length(len(content)) + content
