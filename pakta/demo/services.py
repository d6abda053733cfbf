"""The demo PKI's services, on 127.0.0.1 only: timestamps (pakta.demo.tsa), and
certomancer's Animator (WSGI) for OCSP and CRLs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cryptography import x509

from pakta.demo.pki import ARCH, DemoPki, ServiceUrls, _load_arch, _to_crypto
from pakta.demo.tsa import QuickTimestamper
from pakta.errors import EnvironmentProblem
from pakta.i18n import _

# OCSP and CRLs


def service_app(pki: DemoPki, passphrase: bytes,
                delay_ms: int = 0) -> tuple[Callable[..., Any], QuickTimestamper]:
    """A WSGI app answering OCSP and CRL requests (no web UI, no key download), and the
    timestamp responder with the demo TSA's key."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore

    arch = _load_arch(pki, passphrase)
    served_root = _to_crypto(arch.get_cert("root"))
    if served_root != x509.load_pem_x509_certificate(pki.root_pem.read_bytes()):
        raise EnvironmentProblem(_("{config_path}: the configuration does not rebuild the root "
                                   "in {root_pem}; run `pakta pki demo` again").format(
                                     config_path=pki.config_path, root_pem=pki.root_pem))
    animator = Animator(AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False,
                        allow_time_override=False)
    base = pki.urls()
    index = (f"pakta demo PKI services\ntsa {base.tsa}\nocsp {base.ocsp}\n"
             f"crl {base.crl}\n").encode()
    lock = threading.Lock()  # certomancer caches lazily; one request builds at a time
    timestamps = QuickTimestamper(arch.service_registry.summon_timestamper("tsa"))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path in ("", "/"):
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(index)))])
            return [index]
        if delay_ms and environ.get("REQUEST_METHOD") == "POST":
            time.sleep(delay_ms / 1000)  # a slow OCSP responder, for the latency benchmark
        with lock:
            return animator(environ, start_response)

    return app, timestamps


_MAX_BODY = 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 413: "Payload Too Large"}


def _handler(pki: DemoPki, passphrase: bytes, delay_ms: int) -> Any:
    """A keep-alive HTTP/1.1 connection handler: timestamps answered in the event loop
    (a batch sends hundreds at once, and on a machine that also signs, every
    millisecond the service spends is one the signer does not get: a general web
    framework spent more on a request than the answer itself), OCSP and CRL requests
    handed to certomancer's WSGI app in a thread."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    wsgi, quick = service_app(pki, passphrase, delay_ms)
    tsa_paths = ("/tsa", f"/{ARCH}/tsa/tsa")

    def call_wsgi(method: str, path: str, query: str, headers: list[tuple[str, str]],
                  body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        host = dict((k.lower(), v) for k, v in headers).get("host", "127.0.0.1")
        environ = EnvironBuilder(path=path, method=method, data=body, query_string=query,
                                 headers=headers, base_url=f"http://{host}").get_environ()
        chunks, status, answer_headers = run_wsgi_app(wsgi, environ, buffered=True)
        kept = [(k, v) for k, v in answer_headers.items()
                if k.lower() not in ("content-length", "connection")]
        return int(status.split()[0]), kept, b"".join(chunks)

    async def answer(method: str, target: str, headers: list[tuple[str, str]],
                     body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        path, _, query = target.partition("?")
        if method == "POST" and path in tsa_paths:
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)  # a slow TSA, for the latency benchmark
            try:
                reply = quick.respond(body)
            except Exception:  # asn1crypto parses lazily: any malformed request
                return 400, [("Content-Type", "text/plain")], b"not a timestamp request\n"
            return 200, [("Content-Type", "application/timestamp-reply")], reply
        return await asyncio.get_running_loop().run_in_executor(
            None, call_wsgi, method, path, query, headers, body)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return  # the client is done, or sent a head too long to be ours
                lines = head.decode("latin-1").split("\r\n")
                request = lines[0].split(" ")
                headers = [(k.strip(), v.strip()) for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)]
                fields = {k.lower(): v for k, v in headers}
                try:
                    length = int(fields.get("content-length", "0"))
                except ValueError:
                    length = -1
                keep_alive = (len(request) == 3 and request[2] == "HTTP/1.1"
                              and fields.get("connection", "").lower() != "close")
                if len(request) != 3 or not 0 <= length <= _MAX_BODY \
                        or "transfer-encoding" in fields:
                    extra: list[tuple[str, str]] = []
                    status, data = (413 if length > _MAX_BODY else 400), b""
                    keep_alive = False
                else:
                    body = await reader.readexactly(length)
                    status, extra, data = await answer(request[0], request[1], headers, body)
                lines_out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
                             *(f"{k}: {v}" for k, v in extra),
                             f"Content-Length: {len(data)}",
                             f"Connection: {'keep-alive' if keep_alive else 'close'}"]
                writer.write(("\r\n".join(lines_out) + "\r\n\r\n").encode("latin-1") + data)
                await writer.drain()
                if not keep_alive:
                    return
        except (asyncio.IncompleteReadError, OSError):
            return
        finally:
            writer.close()

    return handle


async def _start(pki: DemoPki, passphrase: bytes, port: int | None,
                 delay_ms: int) -> tuple[Any, int]:
    if port is None:
        port = int(pki.urls().base.rsplit(":", 1)[1])
    elif port == 0:
        port = free_port()
    handle = _handler(pki, passphrase, delay_ms)
    try:
        _check_port(port)
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024,
                                            reuse_address=True)
    except OSError as exc:
        raise EnvironmentProblem(_("127.0.0.1:{port}: cannot serve the demo PKI (the port is in "
                                   "use, or not allowed)").format(port=port)) from exc
    return server, port


@contextmanager
def serve(pki: DemoPki, passphrase: bytes, *, port: int | None = None,
          delay_ms: int = 0) -> Iterator[ServiceUrls]:
    """Run the services in a thread of this process; yields their URLs.

    `port` defaults to the one the certificates name (so OCSP and CRL lookups reach it);
    port 0 picks a free one (fine for timestamps alone).
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def in_loop(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    try:
        server, bound = in_loop(_start(pki, passphrase, port, delay_ms))
        try:
            yield ServiceUrls(f"http://127.0.0.1:{bound}")
        finally:
            server.close()
            in_loop(server.wait_closed())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def serve_forever(pki: DemoPki, passphrase: bytes, *, port: int | None = None,
                  delay_ms: int = 0, ready: Callable[[ServiceUrls], None] | None = None,
                  ) -> None:
    """Serve until interrupted (`pakta pki serve`)."""

    async def main() -> None:
        server, bound = await _start(pki, passphrase, port, delay_ms)
        if ready:
            ready(ServiceUrls(f"http://127.0.0.1:{bound}"))
        try:
            await asyncio.Event().wait()
        finally:
            server.close()

    asyncio.run(main())


def _check_port(port: int) -> None:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def free_port() -> int:
    """A loopback port free right now (to build a PKI whose URLs a test then serves)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
