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
    # the file as a whole (ERROR rows)
    "NOT_PDF": N_("not a PDF file"),
    "CANNOT_READ_FILE": N_("the file cannot be read from disk"),
    "TOO_LARGE": N_("{size} bytes: larger than any pact, not checked"),
    "CUT_SHORT": N_("cut short or damaged: {count} bytes after the last %%EOF (an "
                    "incomplete revision)"),
    "ENCRYPTED": N_("encrypted PDF"),
    "TIME_LIMIT": N_("not verified within {seconds} s (hostile or broken file)"),
    "MEMORY_LIMIT": N_("needs more memory than any pact (absurd compressed data?)"),
    "NESTED_TOO_DEEPLY": N_("objects nested too deeply"),
    "PROCESS_DIED": N_("the verifying process died on this file (hostile or broken "
                       "file)"),
    # which document it is
    "NOT_IN_LEDGER": N_("matches no issued document in the ledger"),
    "NOT_THE_ISSUED_DOCUMENT": N_("not the issued document: its first revision differs "
                                  "from the rendered file in the ledger"),
    "REGION_NOT_IN_ROSTER": N_("region {region} is not in the roster"),
    "SLOTS_UNKNOWN": N_("the signature slots of template '{template}' cannot be read, so "
                        "the document cannot be checked"),
    # one reading of the file (pakta/structure.py)
    "AMBIGUOUS_TRAILER": N_("ambiguous structure: the cross-reference section of revision "
                            "{revision} cannot be read as written, so PDF readers may "
                            "show different documents"),
    "AMBIGUOUS_TRAILER_KEY": N_("ambiguous structure: the trailer of revision {revision} "
                                "has the key {key} twice, so PDF readers disagree on "
                                "which document to show"),
    "AMBIGUOUS_CATALOG_KEY": N_("ambiguous structure: the document catalog in revision "
                                "{revision} has the key {key} twice, so PDF readers "
                                "disagree on which pages to show"),
    "AMBIGUOUS_ROOT": N_("ambiguous structure: the revisions of the file name different "
                         "document catalogs, so PDF readers disagree on which pages to "
                         "show"),
    "AMBIGUOUS_XREF_OFFSET": N_("ambiguous structure: the cross-reference table of "
                                "revision {revision} points object {object} at something "
                                "else, so PDF readers disagree on its content"),
    "AMBIGUOUS_OBJECT_TWICE": N_("ambiguous structure: object {object} is defined twice "
                                 "in revision {revision}, so PDF readers disagree on its "
                                 "content"),
    # what was signed and what changed
    "CHANGED_BEFORE_SIGNING": N_("changed after issue, before signing by {slot}: the "
                                 "signed document is not the one the secretariat issued"),
    "CHANGED_SINCE_ISSUE": N_("changed since the secretariat issued it (an update that "
                              "is not a signature); pakta signs only the issued document"),
    "AMBIGUOUS_STRUCTURE": N_("ambiguous structure: PDF readers would show different "
                              "documents; pakta signs only the issued document"),
    "TITLE_CHANGED": N_("the document's title changed after signing"),
    "AUTHOR_CHANGED": N_("the document's author changed after signing"),
    "SUBJECT_CHANGED": N_("the document's subject changed after signing"),
    "KEYWORDS_CHANGED": N_("the document's keywords changed after signing"),
    "CREATOR_CHANGED": N_("the document's creator changed after signing"),
    "METADATA_CHANGED": N_("the document's metadata changed after signing"),
    "SIGNATURE_DESTROYED": N_("the signature in '{slot}' of {document} is destroyed or "
                              "forged: its signature data cannot be read"),
    # signatures and slots
    "SIGNATURE_NOT_PASSED": N_("signature '{field}': {indication}"),
    "TIMESTAMP_NOT_PASSED": N_("document timestamp '{field}': {indication}"),
    "FIELD_MISSING": N_("the signature field '{slot}' is missing"),
    "WRONG_HEAD_SIGNER": N_("wrong signer in '{slot}': {signer}, the roster names "
                            "{expected}"),
    "WRONG_WITNESS_SIGNER": N_("wrong signer in '{slot}': {signer}, the witness is "
                               "{expected}"),
    "OUT_OF_ORDER": N_("signed out of order: {order} (expected {expected})"),
    "CERTIFICATION_NOT_FIRST": N_("certification signature '{field}' is not the first "
                                  "signature"),
    "CERTIFICATION_WRONG_FIELD": N_("certification signature in '{field}', not in the "
                                    "profile's certification field '{expected}'"),
    "OUTSIDE_SLOTS": N_("signature(s) outside the template's slots: {fields}"),
    "UNSIGNED": N_("unsigned: {slots}"),
    "NO_SIGNATURE": N_("no signature"),
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
