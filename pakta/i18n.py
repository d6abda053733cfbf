"""Messages in Indonesian and English, through gettext catalogues managed with Babel.

Source strings are English; `pakta/locale/<lang>/LC_MESSAGES/pakta.po` holds each
language's translations (`id` is complete, `en` is the identity). Mark a string with
`_()` where it is shown, or with `N_()` where it is defined before the language is known
(a table of verdict messages) and translate it with `_()` when shown. `make` compiles the
catalogues to `.mo`; a missing or stale `.mo` is compiled from its `.po` in memory, so a
source checkout always shows the current translations.

The language: `--lang`, then `PAKTA_LANG`, then the locale (`LC_ALL`, `LC_MESSAGES`,
`LANG`); Indonesian when the locale is Indonesian, English otherwise. Documents and HTML
pages are always Indonesian first, with English beside them (`translator("en")`).
Machine fields (JSON keys, exit codes, verdict codes) are never translated.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path

DOMAIN = "pakta"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "en"

_language = DEFAULT_LANGUAGE


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark a message for extraction without translating it yet."""
    return message


def Np_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Mark a message with a plural form for extraction without translating it yet."""
    return singular, plural


def normalise(lang: str | None) -> str | None:
    """'id', 'id_ID.UTF-8', 'in', 'Indonesian' -> 'id'; 'en_GB' -> 'en'; else None."""
    if not lang:
        return None
    code = lang.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    if code in ("id", "in", "ind", "indonesian", "indonesia", "bahasa"):
        return "id"
    if code in ("en", "eng", "english"):
        return "en"
    return None


def language_from(args: list[str], environ: Mapping[str, str]) -> str:
    """The language a command line asks for: `--lang` in its arguments, then `PAKTA_LANG`,
    then the locale. Read before Click parses, because help texts are translated when the
    commands are defined."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return normalise(args[i + 1]) or DEFAULT_LANGUAGE
        if arg.startswith("--lang="):
            return normalise(arg.partition("=")[2]) or DEFAULT_LANGUAGE
    chosen = normalise(environ.get("PAKTA_LANG"))
    if chosen:
        return chosen
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            return normalise(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@cache
def translator(lang: str) -> gettext.NullTranslations:
    """The catalogue of one language (English falls back to the source strings)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not po.exists():
        return gettext.NullTranslations()
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    return gettext.GNUTranslations(io.BytesIO(compile_catalogue(po)))


def compile_catalogue(po: Path) -> bytes:
    """A `.po` file compiled to `.mo` bytes (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def set_language(lang: str) -> None:
    """Choose the language of `_()` for this process."""
    global _language
    _language = normalise(lang) or DEFAULT_LANGUAGE


def language() -> str:
    return _language


def _(message: str) -> str:
    """`message` in the chosen language."""
    return translator(_language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for `n`, in the chosen language."""
    return translator(_language).ngettext(singular, plural, n)


def in_language(lang: str, message: str) -> str:
    """`message` in the given language, whatever the process's language is."""
    return translator(lang).gettext(message)
