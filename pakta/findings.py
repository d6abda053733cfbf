"""What a verification found, as a stable code and a sentence for people.

A `Finding` is what reports, the web page and the ledger carry: its `code` (stable,
English, for JSON and scripts; listed in docs/report-schema.md) and its parameters. Its
sentence is looked up in `MESSAGES` and translated when it is shown, so one verdict reads
in Indonesian in an HTML page and in English on an English terminal: the same sentence in
the text, HTML, CSV and JSON reports and on `pakta serve`'s pages. No exception text or
library wording ever reaches a sentence: a parameter is a document's, a slot's or a
person's name, a time, a count. A slot's parameter keeps its name (`kepala_daerah`) in
JSON and is shown as the person who signs in it ("the regional head", "kepala daerah").
"""

from __future__ import annotations

from dataclasses import dataclass

from pakta.i18n import N_, in_language, language

# code -> the sentence, in English with {named} parameters; Indonesian in the catalogue.
# Full sentences for the people who read a report; a slot is named as the person who
# signs in it ("the regional head"): see PARAM_KINDS.
MESSAGES: dict[str, str] = {
    "NOT_ISSUED": N_("This file is not a document the secretariat issued."),
    "UNREADABLE": N_("The file cannot be read as a PDF."),
    # the file as a whole (ERROR rows)
    "NOT_PDF": N_("The file is not a PDF."),
    "CANNOT_READ_FILE": N_("The file cannot be read from the disk."),
    "TOO_LARGE": N_("The file is {size} bytes, larger than any pact, so it was not "
                    "checked."),
    "CUT_SHORT": N_("The file is cut short or damaged: its last {count} bytes are an "
                    "incomplete revision."),
    "ENCRYPTED": N_("The file is encrypted, so it cannot be checked."),
    "TIME_LIMIT": N_("The file could not be checked within {seconds} seconds: it may be "
                     "damaged or hostile."),
    "MEMORY_LIMIT": N_("Checking the file needs more memory than any pact would: it may "
                       "be damaged or hostile."),
    "NESTED_TOO_DEEPLY": N_("The file's objects are nested too deeply to be checked: it "
                            "may be damaged or hostile."),
    "PROCESS_DIED": N_("The check stopped on this file: it may be damaged or hostile."),
    # which document it is
    "NOT_IN_LEDGER": N_("This file matches no document the secretariat issued."),
    "NOT_THE_ISSUED_DOCUMENT": N_("This is not the document the secretariat issued: its "
                                  "content differs from the issued file."),
    "REGION_NOT_IN_ROSTER": N_("The region {region} is not in the roster of regional "
                               "heads."),
    "SLOTS_UNKNOWN": N_("The signature slots of the template {template} cannot be read, so "
                        "the document cannot be checked."),
    # one reading of the file (pakta/verify/structure.py, ambiguity.py)
    "AMBIGUOUS_TRAILER": N_("The file's structure is ambiguous: the cross-reference "
                            "section of revision {revision} cannot be read as written, so "
                            "PDF readers may show different documents."),
    "AMBIGUOUS_TRAILER_KEY": N_("The file's structure is ambiguous: the trailer of "
                                "revision {revision} has the key {key} twice, so PDF "
                                "readers disagree on which document to show."),
    "AMBIGUOUS_CATALOG_KEY": N_("The file's structure is ambiguous: the document catalog "
                                "in revision {revision} has the key {key} twice, so PDF "
                                "readers disagree on which pages to show."),
    "AMBIGUOUS_ROOT": N_("The file's structure is ambiguous: its revisions name different "
                         "document catalogs, so PDF readers disagree on which pages to "
                         "show."),
    "AMBIGUOUS_XREF_OFFSET": N_("The file's structure is ambiguous: the cross-reference "
                                "table of revision {revision} points object {object} at "
                                "something else, so PDF readers disagree on its content."),
    "AMBIGUOUS_OBJECT_TWICE": N_("The file's structure is ambiguous: object {object} is "
                                 "defined twice in revision {revision}, so PDF readers "
                                 "disagree on its content."),
    # what was signed and what changed
    "CHANGED_BEFORE_SIGNING": N_("The document was changed after it was issued and before "
                                 "{slot} signed it: the signed document is not the one "
                                 "the secretariat issued."),
    "CHANGED_SINCE_ISSUE": N_("The document was changed after the secretariat issued it, "
                              "by an update that is not a signature; pakta signs only the "
                              "issued document."),
    "AMBIGUOUS_STRUCTURE": N_("The file's structure is ambiguous: PDF readers would show "
                              "different documents; pakta signs only the issued "
                              "document."),
    "TITLE_CHANGED": N_("The document's title was changed after it was signed."),
    "AUTHOR_CHANGED": N_("The document's author was changed after it was signed."),
    "SUBJECT_CHANGED": N_("The document's subject was changed after it was signed."),
    "KEYWORDS_CHANGED": N_("The document's keywords were changed after it was signed."),
    "CREATOR_CHANGED": N_("The document's creator was changed after it was signed."),
    "METADATA_CHANGED": N_("The document's metadata was changed after it was signed."),
    "SIGNATURE_DESTROYED": N_("The signature of {slot} in {document} is destroyed or "
                              "forged: its signature data cannot be read."),
    # signatures and slots
    "SIGNATURE_NOT_PASSED": N_("Signature of {field}: {indication}"),
    "TIMESTAMP_NOT_PASSED": N_("Document timestamp '{field}': {indication}"),
    "FIELD_MISSING": N_("The document has no signature field for {slot}."),
    "WRONG_HEAD_SIGNER": N_("Signed by the wrong person: {signer} signed as {slot}, but "
                            "the roster names {expected}."),
    "WRONG_WITNESS_SIGNER": N_("Signed by the wrong person: {signer} signed as {slot}, but "
                               "the witness is {expected}."),
    "OUT_OF_ORDER": N_("Signed in the wrong order: {order}; the order must be "
                       "{expected}."),
    "CERTIFICATION_NOT_FIRST": N_("The certification signature of {field} is not the "
                                  "document's first signature."),
    "CERTIFICATION_WRONG_FIELD": N_("A certification signature was made as {field}, which "
                                    "is not the signing profile's certification field."),
    "OUTSIDE_SLOTS": N_("The file has signatures in fields the document does not provide "
                        "for: {fields}."),
    "UNSIGNED": N_("Not yet signed by {slots}."),
    "NO_SIGNATURE": N_("The file has no signature."),
}

# How a parameter is shown in a sentence (JSON keeps its raw value): "slot", a slot as
# the person who signs in it; "slots", several, joined by "and"; "sequence", several in
# order; "indication", a signature's ETSI indication as a plain sentence.
PARAM_KINDS: dict[str, dict[str, str]] = {
    "CHANGED_BEFORE_SIGNING": {"slot": "slot"},
    "SIGNATURE_DESTROYED": {"slot": "slot"},
    "SIGNATURE_NOT_PASSED": {"field": "slot", "indication": "indication"},
    "TIMESTAMP_NOT_PASSED": {"indication": "indication"},
    "FIELD_MISSING": {"slot": "slot"},
    "WRONG_HEAD_SIGNER": {"slot": "slot"},
    "WRONG_WITNESS_SIGNER": {"slot": "slot"},
    "OUT_OF_ORDER": {"order": "sequence", "expected": "sequence"},
    "CERTIFICATION_NOT_FIRST": {"field": "slot"},
    "CERTIFICATION_WRONG_FIELD": {"field": "slot"},
    "UNSIGNED": {"slots": "slots"},
}

# A slot named as the person who signs in it.
SLOT_PEOPLE = {"kepala_daerah": N_("the regional head"), "saksi": N_("the witness"),
               "sertifikasi": N_("the secretariat")}
OTHER_SLOT = N_("the signer of the field '{field}'")
AND = N_("{items} and {last}")
THEN = N_("{items}, then {last}")

# (indication, sub-indication) -> the sentence; (indication, None) is the fallback.
SIGNATURE_SENTENCES = {
    ("TOTAL-PASSED", None): N_("The signature is valid: the file is unchanged since it "
                               "was signed and the certificate leads to the trust root."),
    ("TOTAL-FAILED", "HASH_FAILURE"): N_("The file was changed after it was signed: the "
                                         "signature no longer matches its content."),
    ("TOTAL-FAILED", "SIG_CRYPTO_FAILURE"): N_("The signature is damaged or forged: it "
                                               "does not verify with the signer's "
                                               "certificate."),
    ("TOTAL-FAILED", "SUSPICIOUS_MODIFICATION"): N_(
        "The document was changed after this signature in a way a signature does not "
        "allow."),
    ("TOTAL-FAILED", "REVOKED"): N_("The signer's certificate had been revoked when the "
                                    "document was signed."),
    ("TOTAL-FAILED", "EXPIRED"): N_("The signer's certificate had expired when the "
                                    "document was signed."),
    ("TOTAL-FAILED", "NOT_YET_VALID"): N_("The signer's certificate was not yet valid when "
                                          "the document was signed."),
    ("TOTAL-FAILED", None): N_("The signature is not valid."),
    ("INDETERMINATE", "REVOKED_NO_POE"): N_(
        "The signer's certificate has been revoked and nothing proves the signature was "
        "made before that."),
    ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE"): N_(
        "The signer's certificate is outside its validity period and no trusted timestamp "
        "proves when the signature was made."),
    ("INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE"): N_(
        "The signer's certificate is not meant for signing documents."),
    ("INDETERMINATE", "TIMESTAMP_NOT_TRUSTED"): N_(
        "The signature's timestamp cannot be trusted."),
    ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"): N_(
        "The signer's certificate does not lead to the trust root given: the signer "
        "cannot be confirmed."),
    ("INDETERMINATE", None): N_("The signature could not be fully checked."),
}


def slot_person(slot: str, lang: str) -> str:
    """'the regional head' for `kepala_daerah`, in `lang`."""
    known = SLOT_PEOPLE.get(slot)
    if known:
        return in_language(lang, known)
    return in_language(lang, OTHER_SLOT).format(field=slot)


def joined(items: list[str], lang: str, joiner: str = AND) -> str:
    """'a', 'a and b', 'a, b and c' (or with `THEN`: 'a, b, then c')."""
    if len(items) < 2:
        return "".join(items)
    return in_language(lang, joiner).format(items=", ".join(items[:-1]), last=items[-1])


def indication_sentence(indication: str, sub: str | None, lang: str) -> str:
    """A signature's ETSI indication in one plain sentence."""
    message = SIGNATURE_SENTENCES.get((indication, sub)) or \
        SIGNATURE_SENTENCES.get((indication, None)) or \
        SIGNATURE_SENTENCES[("TOTAL-FAILED", None)]
    return in_language(lang, message)


def _shown(kind: str | None, value: str, lang: str) -> str:
    if kind == "slot":
        return slot_person(value, lang)
    if kind in ("slots", "sequence"):
        people = [slot_person(v.strip(), lang) for v in value.split(",") if v.strip()]
        return joined(people, lang, THEN if kind == "sequence" else AND)
    if kind == "indication":
        indication, _, sub = value.partition(" / ")
        return indication_sentence(indication, sub or None, lang)
    return value


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
        lang = lang or language()
        template = MESSAGES.get(self.code)
        if template is None:
            return self.code
        kinds = PARAM_KINDS.get(self.code, {})
        shown = {name: _shown(kinds.get(name), value, lang) for name, value in self.params}
        return in_language(lang, template).format(**shown)

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params), "message": self.message("en")}

    def __str__(self) -> str:
        return self.message()
