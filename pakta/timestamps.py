"""The demo PKI's RFC 3161 timestamp answers, with the parts that never change encoded once.

certomancer's own responder rebuilds and re-encodes its certificates for every answer
(about 37 ms each here), so a batch signing at B-T waited on it, not on the network. This
responder uses certomancer's key, certificate, policy and signing backend, and builds per
request only the TSTInfo, the signed attributes and the signature (about 1 ms).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from typing import Any

from pakta.i18n import _
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
    and this nonce (the signature over it is checked when the signature is verified).

    Only the status and the TSTInfo are decoded: walking down to the TSTInfo through
    asn1crypto's object model decoded the token's SignedData and certificates too, which
    was most of a B-T signature's extra CPU."""
    from asn1crypto import tsp

    try:
        # the status first: asn1crypto's TimeStampResp insists on a token, which a
        # refusal does not carry
        status_der, token = _split(_contents(reply))
        status_info = tsp.PKIStatusInfo.load(status_der)
        status = status_info["status"].native
        if status not in ("granted", "granted_with_mods"):
            text = status_info["status_string"].native
            raise TimestampError(_("the timestamp service refused: {status} {text}").format(
                status=status, text=" ".join(text or ())).rstrip())
        token, _tail = _split(token)
        # ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
        # encapContentInfo { id-ct-TSTInfo, [0] OCTET STRING (the TSTInfo) } } }
        content_type, signed_data = _split(_contents(token))
        if content_type != _SIGNED_DATA_OID:
            raise ValueError("not SignedData")
        _version, rest = _split(_contents(_contents(signed_data)))
        _algorithms, rest = _split(rest)
        encap, _tail = _split(rest)
        content_type, tst_info = _split(_contents(encap))
        if content_type != _TST_INFO_OID:
            raise ValueError("not a TSTInfo")
        info = tsp.TSTInfo.load(_contents(_contents(tst_info)))
        imprint = info["message_imprint"]
        if (imprint["hash_algorithm"]["algorithm"].native != "sha256"
                or imprint["hashed_message"].native != digest):
            raise TimestampError(_("the timestamp service stamped another digest"))
        if info["nonce"].native != nonce:
            raise TimestampError(_("the timestamp service answered another request (nonce)"))
        return token
    except TimestampError:
        raise
    except Exception as exc:  # not DER, not a TimeStampResp
        raise TimestampError(_("the timestamp service's answer is not a timestamp "
                               "({kind})").format(kind=type(exc).__name__)) from exc


def _contents(encoded: bytes) -> bytes:
    """The contents octets of the one DER value `encoded` starts with."""
    from asn1crypto import parser

    return bytes(parser.parse(encoded, strict=False)[4])


def _split(encoded: bytes) -> tuple[bytes, bytes]:
    """The first DER value of `encoded`, and what follows it."""
    from asn1crypto import parser

    n = parser.peek(encoded)
    return encoded[:n], encoded[n:]


class TimestampClient:
    """RFC 3161 requests over HTTP/1.1 on asyncio streams, with keep-alive connections
    shared by a batch's requests.

    Signing spends more CPU on a request than on its signature when the request goes
    through a general HTTP client (aiohttp: about 1 ms each, and a quarter of a second to
    import); a timestamp request is one small POST, so this client writes it and reads the
    answer (Content-Length or chunked) itself. http and https URLs; no proxies or
    redirects, as with aiohttp's defaults for a POST.
    """

    def __init__(self, url: str, connections: int = 128, timeout: float = 30) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TimestampError(_("the timestamp service {url} is not an http(s) URL").format(
                                     url=url))
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        netloc = parts.netloc.rpartition("@")[2]  # no credentials in the Host header
        self._head = (f"POST {path} HTTP/1.1\r\nHost: {netloc}\r\n"
                      "Content-Type: application/timestamp-query\r\n"
                      "Accept: application/timestamp-reply\r\n").encode()
        self._timeout = timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(connections)
        self._ssl: Any = None  # made for the first https connection

    async def token(self, digest: bytes) -> bytes:
        """A checked timestamp token for a SHA-256 digest."""
        nonce = secrets.randbits(63) | 1
        body = timestamp_request(digest, nonce)
        request = self._head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        async with self._slots:
            try:
                async with asyncio.timeout(self._timeout):
                    status, reply = await self._exchange(request)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                raise TimestampError(_("cannot reach the timestamp service {url} ({kind})")
                                     .format(url=self.url, kind=type(exc).__name__)) from exc
        if status != 200:
            raise TimestampError(_("the timestamp service {url} answered HTTP {status}").format(
                                     url=self.url, status=status))
        return token_from_reply(reply, digest, nonce)

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        # A kept connection the service has closed meanwhile fails at once: one more
        # try, on a new connection.
        while self._idle:
            reader, writer = self._idle.pop()
            try:
                return await self._send(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError):
                writer.close()
        reader, writer = await asyncio.open_connection(
            self._host, self._port, ssl=self._ssl_context() if self._https else None)
        return await self._send(reader, writer, request)

    def _ssl_context(self) -> Any:
        import ssl

        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _send(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes]:
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            version, status = lines[0].split(" ", 2)[:2]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            if "chunked" in headers.get("transfer-encoding", ""):
                body = await _read_chunked(reader)
            elif "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            else:
                body = await reader.read()  # the answer ends with the connection
                headers["connection"] = "close"
        except BaseException:
            writer.close()
            raise
        if headers.get("connection") == "close" or version == "HTTP/1.0":
            writer.close()
        else:
            self._idle.append((reader, writer))
        return int(status), body

    async def close(self) -> None:
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailer fields
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
