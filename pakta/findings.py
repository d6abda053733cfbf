"""What a verification found, as a stable code and a sentence for people.

A `Finding` is what reports, the web page and the ledger carry: its `code` (stable,
English, for JSON and scripts; listed in docs/report-schema.md) and its parameters. Its
sentence is looked up in `MESSAGES` and translated when it is shown, so one verdict reads
in Indonesian in an HTML page and in English on an English terminal. No exception text or
library wording ever reaches a sentence: a parameter is a document's, a slot's or a
person's name, a time, a count.
"""

from __future__ import annotations

from dataclasses import dataclass

from pakta.i18n import N_, in_language, language

# code -> the sentence, in English with {named} parameters; Indonesian in the catalogue.
MESSAGES: dict[str, str] = {
    "NOT_ISSUED": N_("This file is not a document the secretariat issued."),
    "UNREADABLE": N_("The file cannot be read as a PDF."),
}


@dataclass(frozen=True)
class Finding:
    """One problem (or fact) a verification found: a code and its parameters."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **params: object) -> Finding:
        return cls(code, tuple(sorted((k, str(v)) for k, v in params.items())))

    def message(self, lang: str | None = None) -> str:
        """The sentence in `lang` (default: the process's language)."""
        template = MESSAGES.get(self.code)
        if template is None:
            return self.code
        return in_language(lang or language(), template).format(**dict(self.params))

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params), "message": self.message("en")}

    def __str__(self) -> str:
        return self.message()
