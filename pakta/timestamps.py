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

from pakta.pades import der

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


# ---------------------------------------------------------------------------------------
# Asking a timestamp service (RFC 3161 over HTTP)

_SHA256 = bytes.fromhex("300d06096086480165030402010500")  # AlgorithmIdentifier sha256


class TimestampError(Exception):
    """The service could not be reached, refused, or answered something else."""


def timestamp_request(digest: bytes, nonce: int) -> bytes:
    """A TimeStampReq for a SHA-256 digest, asking for the TSA's certificate."""
    return der(0x30, der(0x02, b"\x01"), der(0x30, _SHA256, der(0x04, digest)),
               der(0x02, nonce.to_bytes((nonce.bit_length() + 8) // 8, "big")),
               b"\x01\x01\xff")


def token_from_reply(reply: bytes, digest: bytes, nonce: int) -> bytes:
    """The TimeStampToken's DER from a TimeStampResp, checked: granted, for this digest
    and this nonce (the signature over it is checked when the signature is verified)."""
    from asn1crypto import parser, tsp

    try:
        # the status first: asn1crypto's TimeStampResp insists on a token, which a
        # refusal does not carry
        contents = parser.parse(reply)[4]
        _, _, _, status_header, status_contents, _ = parser.parse(contents, strict=False)
        status_info = tsp.PKIStatusInfo.load(status_header + status_contents)
        status = status_info["status"].native
        if status not in ("granted", "granted_with_mods"):
            text = status_info["status_string"].native
            raise TimestampError(f"the timestamp service refused: {status} "
                                 f"{' '.join(text or ())}".rstrip())
        token = tsp.TimeStampResp.load(reply)["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]
        if (imprint["hash_algorithm"]["algorithm"].native != "sha256"
                or imprint["hashed_message"].native != digest):
            raise TimestampError("the timestamp service stamped another digest")
        if info["nonce"].native != nonce:
            raise TimestampError("the timestamp service answered another request (nonce)")
        return bytes(token.dump())
    except TimestampError:
        raise
    except Exception as exc:  # not DER, not a TimeStampResp
        raise TimestampError("the timestamp service's answer is not a timestamp "
                             f"({type(exc).__name__})") from exc


async def fetch_token(session: Any, url: str, digest: bytes, timeout: float = 30) -> bytes:
    """One timestamp over the batch's aiohttp session."""
    import aiohttp

    nonce = secrets.randbits(63) | 1
    try:
        async with session.post(url, data=timestamp_request(digest, nonce),
                                headers={"Content-Type": "application/timestamp-query"},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            if response.status != 200:
                raise TimestampError(f"the timestamp service {url} answered HTTP "
                                     f"{response.status}")
            reply = await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TimestampError(f"cannot reach the timestamp service {url} "
                             f"({type(exc).__name__})") from exc
    return token_from_reply(reply, digest, nonce)
