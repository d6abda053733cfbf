"""Write Indonesian translations into pakta's catalogue from a JSON object {msgid: msgstr}.

    .venv/bin/python scripts/translate.py new-strings.json

For a message with a plural form, the key is its singular msgid. Prints the msgids still
untranslated. Run `bash scripts/catalogues.sh` first so that new strings are in the .po.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "pakta/locale/id/LC_MESSAGES/pakta.po"


def main(source: str) -> None:
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f, locale="id")
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in translations:
            value = translations[key]
            message.string = (value,) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
    with PO.open("wb") as f:
        write_po(f, catalog, no_location=True, sort_output=True, width=100)
    for message in catalog:
        value = message.string if isinstance(message.string, str) else message.string[0]
        if message.id and not value:
            print("untranslated:", message.id)


if __name__ == "__main__":
    main(sys.argv[1])
