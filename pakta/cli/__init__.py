"""The command line: the only package that imports click.

One module per command (init, roster, templates, render, status, doctor, pki, sign,
certify, timestamp, verify, collect, export); options shared by several commands are in
`options` and `keys`, and `runtime` is the one place an error becomes its exit code.
Results go to stdout; progress, logs and errors go to stderr. Heavy libraries
(WeasyPrint, pyHanko) are imported inside the commands that need them, so `pakta --help`
starts fast.
"""

from __future__ import annotations

import gettext
import logging
import os
import sys

import click

from pakta import __version__
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

from pakta.cli.runtime import PaktaGroup  # noqa: E402 (after the language is chosen)


@click.group(cls=PaktaGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help=_("Render, sign and verify integrity pacts (pakta integritas) and "
                    "declarations.\n\n"
                    "\b\n"
                    "Secretariat:  pakta init, roster check, render, collect, status, export\n"
                    "Signers:      pakta sign\n"
                    "Auditors:     pakta verify (a folder, files, or an evidence.zip)"))
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


def _register() -> None:
    # Each module adds its commands to `main`; they import heavy libraries lazily.
    from pakta.cli import (  # noqa: F401
        certify,
        click_words,
        collect,
        doctor,
        export,
        init,
        people,
        pki,
        render,
        roster,
        serve,
        sign,
        status,
        templates,
        timestamp,
        verify,
    )


_register()
