"""Verification for the server, in worker processes.

Every upload is verified by `pakta.verify.verify_data` (the library's own verification,
with per-file time and memory limits, which the pool's workers turn on for themselves)
in a process pool, so a hostile file can only
stall or kill a worker, never the server. At most `workers + queue` verifications are
accepted at once; the rest are told to come back (`Busy`), which the pages show as
"busy, try again" with HTTP 503. A worker that dies is replaced, and the upload that
killed it gets an ERROR verdict.

The settings (trust roots, the ledger's issued documents, the roster) are loaded once
and loaded again when the ledger's documents change.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from pakta.collect import CollectOutcome, collect_file
from pakta.config import Workspace
from pakta.findings import Finding
from pakta.ledger import Ledger
from pakta.verify import (
    ERROR,
    DocumentVerdict,
    VerifySettings,
    limits,
    make_settings,
    verify_data,
    workspace_crls,
)


class Busy(Exception):
    """More uploads are being verified or waiting than the server accepts."""


@dataclass(frozen=True)
class Limits:
    workers: int = 2
    queue: int = 32  # waiting beyond the running ones
    max_bytes: int = 10 * 2**20  # a pact is ~100 KB
    time_limit: float = 30.0  # per file, as `pakta verify`


_settings: VerifySettings | None = None


def _init(settings: VerifySettings) -> None:
    global _settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server handles Ctrl-C
    threading.Thread(target=_leave_with, args=(os.getppid(),), daemon=True,
                     name="pakta-leave-with-server").start()
    limits.enable()  # per-file time and memory limits, in this worker process only
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # the verdict says it
    _settings = settings


def _leave_with(server: int) -> None:
    """A pool worker holds both ends of its own task queue's pipe, so it never reads the
    end of it when the server is killed or exits without shutting the pool down: it
    leaves when the server does, instead of waiting for ever."""
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _verify(data: bytes, name: str) -> DocumentVerdict:
    assert _settings is not None
    return verify_data(data, name, _settings)


def _collect(path: str, folder: str, ledger_path: str) -> CollectOutcome:
    assert _settings is not None
    with Ledger(Path(ledger_path)) as ledger:
        return collect_file(Path(path), Path(folder), ledger, _settings)


def load_settings(ws: Workspace, time_limit: float, max_bytes: int) -> VerifySettings:
    from dataclasses import replace

    from pakta.roster import load_roster

    heads = load_roster(ws.roster) if ws.roster.exists() else []
    with Ledger(ws.ledger) as ledger:
        settings = make_settings([ws.pki_dir / "root.pem"], ledger, heads, ws.witness.name,
                                 ws.template_dir, workspace_crls(ws.pki_dir),
                                 time_limit=time_limit)
    return replace(settings, max_bytes=max_bytes)


class Verifier:
    def __init__(self, ws: Workspace, limits: Limits) -> None:
        self.ws = ws
        self.ledger: Ledger | None = None  # the server's, read on the event loop's thread
        self.limits = limits
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._key: tuple[int, str] | None = None
        self._pending = 0

    def _current_pool(self, key: tuple[int, str]) -> ProcessPoolExecutor:
        """The pool for the ledger's current documents (`key`), made again when they
        changed since the last one was made."""
        with self._lock:
            if self._pool is None or key != self._key:
                if self._pool is not None:
                    self._pool.shutdown(wait=False)
                settings = load_settings(self.ws, self.limits.time_limit,
                                         self.limits.max_bytes)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.limits.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init, initargs=(settings,))
                self._key = key
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=False)

    async def _run(self, fn: object, *args: object) -> object:
        if self._pending >= self.limits.workers + self.limits.queue:
            raise Busy()
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            assert self.ledger is not None
            key = self.ledger.documents_key()
            pool = await loop.run_in_executor(None, self._current_pool, key)
            try:
                return await asyncio.wrap_future(pool.submit(fn, *args))  # type: ignore[arg-type]
            except BrokenProcessPool:
                self._discard(pool)
                raise
        finally:
            self._pending -= 1

    async def verify(self, data: bytes, name: str) -> DocumentVerdict:
        try:
            try:
                result = await self._run(_verify, data, name)
            except BrokenProcessPool:
                # Perhaps another upload killed the pool this one was in: once more, in
                # a new pool; a second death is this file's.
                result = await self._run(_verify, data, name)
        except BrokenProcessPool:
            return DocumentVerdict(name, "", ERROR, (Finding.of("PROCESS_DIED"),))
        assert isinstance(result, DocumentVerdict)
        return result

    async def collect(self, path: Path) -> CollectOutcome:
        try:
            result = await self._run(_collect, str(path), str(self.ws.collected_dir),
                                     str(self.ws.ledger))
        except BrokenProcessPool:
            return CollectOutcome(path, "refused", reason="the file could not be checked")
        assert isinstance(result, CollectOutcome)
        return result

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
