"""How every command runs: the one place a PaktaError becomes its exit code (as
pyhanko-cli's runtime does), progress on stderr, and reports written whole.

Exit codes (pakta.errors): 0 ok, 1 verification problems, 2 usage, 3 bad input,
4 render or signing failure, 5 environment, 130 interrupted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from pakta.errors import Interrupted, PaktaError
from pakta.i18n import _

INTERRUPTED = 130


def report_error(exc: PaktaError) -> None:
    """A PaktaError for a person: `error: ...` and its hint; an interruption or a
    verification verdict says what it has to say without the prefix."""
    if isinstance(exc, Interrupted) or exc.exit_code == 1:
        if exc.message:
            click.echo(exc.diagnostics(), err=True)
        return
    click.echo(_("error: {message}").format(message=exc.diagnostics()), err=True)


class PaktaGroup(click.Group):
    """Runs commands with pakta's error handling: message and exit code, no traceback
    unless --verbose."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaktaError as exc:
            if ctx.meta.get("pakta.verbose"):
                raise
            report_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            ctx.exit(INTERRUPTED)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr: "n/N", the time elapsed and click's estimate of the time
    left. Nothing at all when stderr is not a terminal (a log file gets no bar, not even
    its label). Yields the function to call once per finished item."""
    if total <= 0 or not sys.stderr.isatty():
        yield lambda: None
        return
    start = time.monotonic()
    bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True,
                            show_percent=False, show_eta=False)

    def times(_item: object) -> str:
        elapsed = _clock(time.monotonic() - start)
        if bar.eta_known and not bar.finished:
            return _("{elapsed} elapsed, about {left} left").format(
                elapsed=elapsed, left=_clock(bar.eta))
        return _("{elapsed} elapsed").format(elapsed=elapsed)

    bar.item_show_func = times
    with bar:
        yield lambda: bar.update(1)


def write_output(text: str, output: Path | None) -> None:
    """Print to stdout, or write the file atomically."""
    if output is None:
        click.echo(text, nl=False)
        return
    from pakta.files import atomic_write

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise PaktaError(_("{file}: cannot write the report ({reason})").format(
            file=output, reason=exc.strerror)) from exc
    click.echo(_("wrote {file}").format(file=output), err=True)
