"""pakta doctor: the system libraries and tools pakta relies on."""

from __future__ import annotations

from pathlib import Path

import click

from pakta.cli import main
from pakta.i18n import _


@main.command(help=_("Check the system libraries and tools pakta relies on."))
def doctor() -> None:
    import ctypes.util
    import shutil

    from pakta.errors import EnvironmentProblem

    checks = [
        (_("libharfbuzz-subset0 (fast font subsetting)"),
         ctypes.util.find_library("harfbuzz-subset") is not None),
        (_("pango (WeasyPrint)"), ctypes.util.find_library("pango-1.0") is not None),
        (_("softhsm2 (PKCS#11 token for tests)"),
         Path("/usr/lib/softhsm/libsofthsm2.so").exists()),
    ] + [(_("{tool} (independent checks)").format(tool=tool), shutil.which(tool) is not None)
         for tool in ("pdfsig", "pdftotext", "pdffonts", "qpdf")]
    missing = [label for label, ok in checks if not ok]
    for label, ok in checks:
        click.echo(f"{_('ok') if ok else _('MISSING'):8} {label}")
    if missing:
        raise EnvironmentProblem(
            _("{count} of {total} missing").format(count=len(missing), total=len(checks)),
            hint=_("install them with: make system-deps (as root) or apt-get install "
                   "libharfbuzz-subset0 libpango-1.0-0 poppler-utils qpdf softhsm2"))
