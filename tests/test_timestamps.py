"""pakta's RFC 3161 client (pyHanko's HTTPTimeStamper on aiohttp, its reply size capped)
against real answers of the demo TSA, framed by a loopback HTTP server that behaves the
ways services do: keep-alive, chunked answers, closing after each answer, errors, too
much, not a timestamp."""

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
    from pakta.demo import DemoPki, service_app

    _, quick = service_app(DemoPki(demo_pki_dir), PASSPHRASE.encode())
    return quick.respond  # type: ignore[no-any-return]


async def _serve(respond: Responder, style: str,
                 use: Callable[[str, list[int]], Awaitable[Any]]) -> Any:
    """Serve timestamps on a free loopback port; `use(url, connections)` runs against it
    (`connections` counts the connections the server accepted)."""
    connections: list[int] = []
    seen_headers: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                seen_headers.append(head)
                reply = respond(await reader.readexactly(length))
                if style == "huge":
                    reply += b"\0" * 300_000
                elif style == "garbage":
                    reply = b"<html>busy</html>"
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
        connections.extend([])
        use.headers = seen_headers  # type: ignore[attr-defined]
        return await use(f"http://127.0.0.1:{port}/tsa", connections)
    finally:
        server.close()


def _stamp(respond: Responder, style: str, count: int = 1, **options: Any
           ) -> tuple[list[Any], int, list[bytes]]:
    """`count` timestamps over one aiohttp session; the tokens, the connections the
    server accepted and the request heads it saw."""
    import aiohttp

    from pakta.sign.timestamper import CappedTimeStamper

    async def use(url: str, connections: list[int]) -> tuple[list[Any], int]:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4)) as session:
            stamper = CappedTimeStamper(url, session, timeout=10, **options)
            digests = [hashlib.sha256(str(i).encode()).digest() for i in range(count)]
            tokens = await asyncio.gather(*(stamper.async_timestamp(d, "sha256")
                                            for d in digests))
            for digest, token in zip(digests, tokens, strict=True):
                info = token["content"]["encap_content_info"]["content"].parsed
                assert info["message_imprint"]["hashed_message"].native == digest
            return list(tokens), len(connections)

    tokens, connections = asyncio.run(_serve(respond, style, use))
    return tokens, connections, use.headers  # type: ignore[attr-defined]


def test_requests_share_a_few_kept_connections(respond: Responder) -> None:
    tokens, connections, _ = _stamp(respond, "keep", count=40)
    assert len(tokens) == 40 and connections <= 4


def test_chunked_answers_and_closed_connections(respond: Responder) -> None:
    tokens, connections, _ = _stamp(respond, "chunked-close", count=6)
    assert len(tokens) == 6 and connections == 6


def test_headers_for_authentication_are_sent(respond: Responder) -> None:
    _, _, heads = _stamp(respond, "keep", headers={"Authorization": "Bearer uji"})
    assert b"authorization: bearer uji" in heads[0].lower()
    assert b"application/timestamp-query" in heads[0].lower()


@pytest.mark.parametrize(("style", "message"), [
    ("error", "answered HTTP 503"),
    ("huge", "answered more than 262144 bytes"),
    ("garbage", "answer is not a timestamp"),
])
def test_bad_answers_are_refused_with_the_reason(respond: Responder, style: str,
                                                 message: str) -> None:
    from pakta.sign.timestamper import TimestampError

    with pytest.raises(TimestampError, match=message):
        _stamp(respond, style)


def test_a_service_that_is_not_there() -> None:
    import aiohttp

    from pakta.demo import free_port
    from pakta.sign.timestamper import CappedTimeStamper, TimestampError

    url = f"http://127.0.0.1:{free_port()}/tsa"

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            await CappedTimeStamper(url, session).async_timestamp(b"\0" * 32, "sha256")

    with pytest.raises(TimestampError, match=f"cannot reach the timestamp service {url}"):
        asyncio.run(run())
