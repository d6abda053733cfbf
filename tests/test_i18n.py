"""Every user-facing string has its Indonesian, and the language is chosen as documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from pakta.i18n import LOCALE_DIR, compile_catalogue, language_from, normalise
from tests.conftest import run_pakta

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "in_language": (2,), "Np_": (1, 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]*[^}]*\}|%\([a-z_]+\)s")


def source_messages() -> set[str]:
    """Every msgid marked in pakta's code and web templates, extracted as Babel does."""
    method_map = [("pakta/**.py", "python"), ("pakta/**/templates/**.html", "jinja2")]
    options = {"pakta/**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(lang: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "pakta.po").open("rb") as f:
        po = read_po(f, locale=lang)
    return {(m.id if isinstance(m.id, str) else m.id[0]):
            ("" if "fuzzy" in m.flags else
             m.string if isinstance(m.string, str) else m.string[0])
            for m in po if m.id}


def test_every_user_facing_string_has_its_indonesian() -> None:
    messages = source_messages()
    assert "error: {message}" in messages  # the extraction sees the code
    indonesian = catalogue("id")
    untranslated = sorted(m for m in messages if not indonesian.get(m))
    assert untranslated == [], "run `make catalogues` and translate these in id/pakta.po"


def test_translations_use_only_the_source_placeholders() -> None:
    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "pakta.po").open("rb") as f:
        po = read_po(f, locale="id")
    for m in po:
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        allowed = {p for i in ids for p in PLACEHOLDER.findall(i)}
        used = {p for s in strings for p in PLACEHOLDER.findall(s or "")}
        assert used <= allowed, m.id


def test_catalogues_compile() -> None:
    for lang in ("id", "en"):
        assert compile_catalogue(LOCALE_DIR / lang / "LC_MESSAGES" / "pakta.po")[:4] in (
            b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--lang", "id", "status"], {"LANG": "en_US.UTF-8"}, "id"),
    (["--lang=en"], {"PAKTA_LANG": "id"}, "en"),
    ([], {"PAKTA_LANG": "id", "LANG": "en_US.UTF-8"}, "id"),
    ([], {"LANG": "id_ID.UTF-8"}, "id"),
    ([], {"LC_ALL": "en_GB.UTF-8", "LANG": "id_ID.UTF-8"}, "en"),
    ([], {"LANG": "C.UTF-8"}, "en"),
    ([], {}, "en"),
    (["sign", "--", "--lang", "id"], {}, "en"),
])
def test_language_is_chosen_by_option_then_variable_then_locale(
        args: list[str], env: dict[str, str], expected: str) -> None:
    assert language_from(args, env) == expected


def test_language_names() -> None:
    assert normalise("id_ID.UTF-8") == "id"
    assert normalise("in") == "id"
    assert normalise("en-GB") == "en"
    assert normalise("fr_FR") is None


def test_help_in_indonesian_and_english() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    indonesian = run_pakta("--help", env={**env, "LANG": "id_ID.UTF-8"})
    assert indonesian.returncode == 0
    assert "Penggunaan:" in indonesian.stdout
    assert "Membuat, menandatangani, dan memverifikasi" in indonesian.stdout
    english = run_pakta("--lang", "en", "--help", env={**env, "LANG": "id_ID.UTF-8"})
    assert "Usage:" in english.stdout and "Render, sign and verify" in english.stdout
