"""Limits for one file, set only inside a worker process that pakta started.

A hostile file may make a parser loop or inflate without end. In a worker process (a
local pool worker, a `pakta serve` worker, the watchdog child that verifies files for a
thread: pakta.verify.watchdog) the main thread gets a time limit (SIGALRM) and an
address-space limit (RLIMIT_AS) around each file, once the process called `enable()`.
Nothing is set on a library caller's process unless it asks: signals work only in a main
thread and a limit on the address space is the whole process's.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MEMORY_BUDGET = 1 << 30  # per file, above what the process already uses


_enabled = False


def enable() -> None:
    """Limit every file this process verifies from now on (the initializer of a worker
    process calls it; `verify_file(..., limited=...)` overrides it per call)."""
    global _enabled
    if not in_main_thread():
        raise RuntimeError("per-file limits need the main thread (signals)")
    _enabled = True


def enabled() -> bool:
    return _enabled


@contextmanager
def on() -> Iterator[None]:
    """Limits on for what runs inside (the `pakta` command: its own process and the
    workers it forks meanwhile), off again after."""
    global _enabled
    previous = _enabled
    enable()
    try:
        yield
    finally:
        _enabled = previous


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class TimeUp(BaseException):
    """Raised by the per-file alarm; a BaseException so that no `except Exception` in
    the PDF or ASN.1 parsers turns it into a parse error."""


ALARM_REPEAT_S = 0.05  # the time-up alarm again, should one be lost


@contextmanager
def bounded(seconds: float, memory: int) -> Iterator[None]:
    """A time limit (SIGALRM) and an address-space limit for one file, in the main
    thread of a worker process (anywhere else it is a programming error).

    A time-up raised while a finaliser (`__del__`) or a garbage-collector callback runs
    is only reported, not raised. So the alarm repeats until one reaches the caller, and
    a body that finishes after the alarm went off is over its limit all the same: the
    outcome does not depend on where the signal happened to land."""
    if not in_main_thread():
        raise RuntimeError("per-file limits need the main thread (signals)")
    limits = None
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = used + memory
        if soft == resource.RLIM_INFINITY or soft > cap:
            resource.setrlimit(resource.RLIMIT_AS,
                               (cap if hard == resource.RLIM_INFINITY else min(cap, hard),
                                hard))
            limits = (soft, hard)
    except (ImportError, OSError, ValueError):
        limits = None
    timed = seconds > 0
    armed = [timed]
    went_off = [False]
    previous = None
    if timed:
        def alarm(signum: int, frame: Any) -> None:
            if armed[0]:
                went_off[0] = True
                raise TimeUp()

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds, ALARM_REPEAT_S)  # armed last
    try:
        yield
    finally:
        armed[0] = False  # first: from here on an alarm raises nothing
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous or signal.SIG_DFL)
        if limits is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, limits)
    if went_off[0]:  # reached only when the body returned: its time-up was swallowed
        raise TimeUp()

