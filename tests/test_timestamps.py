"""pakta's RFC 3161 client against real answers of the demo TSA, framed by a loopback
HTTP server that behaves the ways services do: keep-alive, chunked answers, closing
after each answer with or without saying so, errors."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_pki import PASSPHRASE

Responder = Callable[[bytes], bytes]


@pytest.fixture(scope="module")
def respond(demo_pki_dir: Path) -> Responder:
    from pakta.pki import DemoPki, service_app

    _, quick = service_app(DemoPki(demo_pki_dir), PASSPHRASE.encode())
    return quick.respond  # type: ignore[no-any-return]


async def _serve(respond: Responder, style: str,
                 use: Callable[[str, list[int]], Awaitable[Any]]) -> Any:
    """Serve timestamps on a free loopback port; `use(url, connections)` runs against it
    (`connections` counts the connections the server accepted)."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                reply = respond(await reader.readexactly(length))
                if style == "error":
                    writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                elif style == "chunked-close":
                    half = len(reply) // 2
                    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                 b"Connection: close\r\n\r\n" +
                                 b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
                                     half, reply[:half], len(reply) - half, reply[half:]))
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(reply), reply))
                await writer.drain()
                if style in ("chunked-close", "silent-close"):
                    break  # silent-close: keep-alive promised, connection closed anyway
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await use(f"http://127.0.0.1:{port}/tsa", connections)
    finally:
        server.close()


def _tokens(respond: Responder, style: str, count: int, connections: int) -> tuple[list[
        bytes], int]:
    from pakta.timestamps import TimestampClient

    digests = [hashlib.sha256(b"%d" % i).digest() for i in range(count)]

    async def use(url: str, accepted: list[int]) -> tuple[list[bytes], int]:
        client = TimestampClient(url, connections=connections, timeout=10)
        try:
            tokens = await asyncio.gather(*(client.token(d) for d in digests))
        finally:
            await client.close()
        return list(tokens), len(accepted)

    result: tuple[list[bytes], int] = asyncio.run(_serve(respond, style, use))
    return result


def _stamped_digest(token: bytes) -> bytes:
    from asn1crypto import cms

    info = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    return bytes(info["message_imprint"]["hashed_message"].native)


def test_requests_share_a_few_kept_connections(respond: Responder) -> None:
    tokens, accepted = _tokens(respond, "keep-alive", 40, connections=3)
    assert [_stamped_digest(t) for t in tokens] == [
        hashlib.sha256(b"%d" % i).digest() for i in range(40)]
    assert accepted <= 3


def test_chunked_answers_and_closed_connections(respond: Responder) -> None:
    tokens, accepted = _tokens(respond, "chunked-close", 12, connections=4)
    assert [_stamped_digest(t) for t in tokens] == [
        hashlib.sha256(b"%d" % i).digest() for i in range(12)]
    assert accepted == 12  # the service said close: a new connection for each


def test_a_connection_closed_without_notice_is_retried(respond: Responder) -> None:
    tokens, accepted = _tokens(respond, "silent-close", 10, connections=2)
    assert len(tokens) == 10 and accepted >= 10


def test_an_http_error_is_reported_with_its_status(respond: Responder) -> None:
    from pakta.timestamps import TimestampError

    with pytest.raises(TimestampError, match=r"answered HTTP 503$"):
        _tokens(respond, "error", 1, connections=1)


def test_only_http_urls() -> None:
    from pakta.timestamps import TimestampClient, TimestampError

    with pytest.raises(TimestampError, match="ftp://tsa.example/ is not an http"):
        TimestampClient("ftp://tsa.example/")
