"""The command line: the only package that imports click.

Each command parses its arguments, calls the library and prints. Results go to stdout;
progress, logs and errors go to stderr. Every PaktaError becomes its exit code; a
traceback is shown only with --verbose. Heavy libraries (WeasyPrint, pyHanko) are
imported inside the commands that need them, so `pakta --help` starts fast.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

from pakta import __version__
from pakta.errors import PaktaError


class PaktaGroup(click.Group):
    """Runs commands with pakta's error handling: message and exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaktaError as exc:
            if ctx.meta.get("pakta.verbose"):
                raise
            click.echo(f"error: {exc.diagnostics()}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=PaktaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pakta")
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and tracebacks.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Render, sign and verify integrity pacts (pakta integritas) and declarations.

    \b
    Secretariat:  pakta init, roster check, render, collect, status, export
    Signers:      pakta sign
    Auditors:     pakta verify (a folder, files, or an evidence.zip)
    """
    ctx.meta["pakta.verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        # pyHanko logs what it finds in hostile files with tracebacks; pakta's reports
        # carry the verdict, so its logs show only with --verbose.
        logging.getLogger("pyhanko").setLevel(logging.CRITICAL)


def progress_bar(total: int, label: str) -> ProgressBar[int]:
    """A progress bar on stderr; click hides it when stderr is not a terminal."""
    return click.progressbar(length=total, label=label, file=sys.stderr)


def _register() -> None:
    # Each module adds its commands to `main`; they import heavy libraries lazily.
    from pakta.cli import pki, render, sign, verify  # noqa: F401


_register()
