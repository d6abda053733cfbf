"""The command line: the only package that imports click.

Each command parses its arguments, calls the library and prints. Results go to stdout;
progress, logs and errors go to stderr. Every PaktaError becomes its exit code; a
traceback is shown only with --verbose. Heavy libraries (WeasyPrint, pyHanko) are
imported inside the commands that need them, so `pakta --help` starts fast.
"""

from __future__ import annotations

import gettext
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

from pakta import __version__
from pakta.errors import PaktaError
from pakta.i18n import DOMAIN, LOCALE_DIR, _, language_from, set_language


def _choose_language() -> None:
    """Help texts are translated when the commands are defined, so the language is read
    from the command line and the environment before Click parses anything. Click's own
    words ("Usage:", "Options:") come from the process's gettext domain: pakta's."""
    lang = language_from(sys.argv[1:], os.environ)
    set_language(lang)
    os.environ["LANGUAGE"] = lang
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)


_choose_language()


class PaktaGroup(click.Group):
    """Runs commands with pakta's error handling: message and exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaktaError as exc:
            if ctx.meta.get("pakta.verbose"):
                raise
            click.echo(_("error: {message}").format(message=exc.diagnostics()), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            ctx.exit(130)


@click.group(cls=PaktaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pakta")
@click.option("-v", "--verbose", is_flag=True, help=_("Show debug logs and tracebacks."))
@click.option("--lang", type=click.Choice(["id", "en"]), default=None,
              help=_("Language of messages: id (Indonesian) or en (English). Default: "
                     "PAKTA_LANG, then the locale."))
@click.pass_context
def main(ctx: click.Context, verbose: bool, lang: str | None) -> None:
    ctx.meta["pakta.verbose"] = verbose
    if lang:
        set_language(lang)
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


main.help = _(
    "Render, sign and verify integrity pacts (pakta integritas) and declarations.\n\n"
    "\b\n"
    "Secretariat:  pakta init, roster check, render, collect, status, export\n"
    "Signers:      pakta sign\n"
    "Auditors:     pakta verify (a folder, files, or an evidence.zip)")


def _register() -> None:
    # Each module adds its commands to `main`; they import heavy libraries lazily.
    from pakta.cli import click_words, people, pki, render, sign, verify  # noqa: F401


_register()
