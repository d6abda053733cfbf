"""Per-file limits where no signal can be used: a child process verifies the files for
a thread, and the thread kills it when a file takes too long.

Dask runs tasks in worker threads (SIGALRM reaches only a main thread), a batch may run
in the caller's own process (a library call, `--jobs 1`), and a worker's address-space
limit would be the whole worker's. So there each file goes to a child process (a plain
`python -c` calling `main()`: a Dask worker is a daemonic process, which
multiprocessing forbids to have children), which sets the limits on itself
(pakta.verify.limits) and answers one verdict per file. The thread waits for the time
limit plus a grace; a child that does not answer by then is killed and the file is an
ERROR row, as is one whose child died. The next file starts a new child.

The protocol is pickles on the child's stdin and stdout: the settings once, then a path
and its claim, a verdict (or `Unresolved`), and so on.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from pakta.findings import Finding
from pakta.verify.issued import Claim, Unresolved
from pakta.verify.settings import VerifySettings, context_for
from pakta.verify.verdicts import DocumentVerdict

GRACE_S = 5.0  # beyond the time limit, for the child's own alarm to answer first


class Watchdog:
    """One child at a time for one thread; `verify(path)` never raises for a file."""

    def __init__(self, settings: VerifySettings) -> None:
        self.settings = settings
        self._child: subprocess.Popen[bytes] | None = None
        self._owner = threading.get_ident()

    def _start(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, "-c", "from pakta.verify.watchdog import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, start_new_session=True)  # Ctrl-C is the parent's
        assert child.stdin is not None
        pickle.dump(self.settings, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        child.stdin.flush()
        return child

    def verify(self, path: Path, claim: Claim) -> DocumentVerdict | Unresolved:
        from pakta.verify.documents import error_row, time_limit_finding

        child = self._child
        if child is None or child.poll() is not None:
            child = self._child = self._start()
        assert child.stdin is not None and child.stdout is not None
        try:
            pickle.dump((path, claim), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            child.stdin.flush()
            wait = self.settings.time_limit + GRACE_S
            if _readable(child.stdout, wait):
                verdict = pickle.load(child.stdout)
                if isinstance(verdict, (DocumentVerdict, Unresolved)):
                    return verdict
            finding = time_limit_finding(self.settings) \
                if child.poll() is None else Finding.of("PROCESS_DIED")
        except (OSError, EOFError, pickle.UnpicklingError):
            finding = Finding.of("PROCESS_DIED")
        self.close()
        return error_row(path, finding, context_for(self.settings), claim)

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()


def _readable(stream: IO[bytes], seconds: float) -> bool:
    ready, _, _ = select.select([stream], [], [], seconds)
    return bool(ready)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """In the child: limits on, then a verdict for every path until stdin closes."""
    from pakta.verify import limits
    from pakta.verify.documents import verify_claimed

    settings: Any = pickle.load(stdin)
    limits.enable()
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # the verdict says it
    context_for(settings)
    while True:
        try:
            path, claim = pickle.load(stdin)
        except EOFError:
            return
        pickle.dump(verify_claimed(path, claim), stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


def main() -> None:
    """The child's entry point."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing printed by a library may corrupt the protocol
    _serve(sys.stdin.buffer, out)
