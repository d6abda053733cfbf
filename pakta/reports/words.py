"""Words for people in the verification reports, in either language.

Verdict labels (the JSON keeps the codes: COMPLETE, INVALID, ...), one plain sentence
for a signature's ETSI indication and for each reason a document got, the revocation
status said honestly, and times in the region's own zone (WIB, WITA, WIT) or in UTC,
labelled, to the minute.

A reason is a `pakta.findings.Finding` (its sentence in the language asked for) or, from
older code, an English string: the common ones are turned into the same sentences here,
any other is shown as it is (`str(reason)`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pakta.dates import BULAN
from pakta.findings import Finding
from pakta.i18n import N_, Np_, in_language, translator

if TYPE_CHECKING:
    from pakta.verify import BatchVerdict, DocumentVerdict, SignatureVerdict

STATUS_LABELS = {
    "COMPLETE": N_("COMPLETE"), "INCOMPLETE": N_("NOT FULLY SIGNED"),
    "INVALID": N_("INVALID"), "UNKNOWN": N_("NOT ISSUED"), "ERROR": N_("UNREADABLE"),
    "MISSING": N_("NOT FOUND"), "DUPLICATE": N_("DUPLICATE")}

CHANGES_WORDS = {"none": N_("none"),
                 "signatures-and-validation-data": N_("later signatures only"),
                 "form-filling": N_("form filling"), "other": N_("other changes")}

SLOT_SIGNATURES = {"kepala_daerah": N_("Signature of the regional head"),
                   "saksi": N_("Signature of the witness")}
SLOT_PEOPLE = {"kepala_daerah": N_("the regional head"), "saksi": N_("the witness")}

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


def t(lang: str, message: str) -> str:
    """`message` (an English msgid) in `lang`."""
    return in_language(lang, message)


def status_label(status: str, lang: str) -> str:
    return t(lang, STATUS_LABELS.get(status, status))


def slot_signature(field: str, lang: str) -> str:
    known = SLOT_SIGNATURES.get(field)
    return t(lang, known) if known else t(lang, N_("Signature '{field}'")).format(field=field)


def slot_person(field: str, lang: str) -> str:
    known = SLOT_PEOPLE.get(field)
    return t(lang, known) if known else field


def indication_sentence(indication: str, sub: str | None, lang: str) -> str:
    """The signature's own verdict in one plain sentence."""
    message = SIGNATURE_SENTENCES.get((indication, sub)) or \
        SIGNATURE_SENTENCES.get((indication, None)) or SIGNATURE_SENTENCES[("TOTAL-FAILED",
                                                                             None)]
    return t(lang, message)


def signature_sentence(s: SignatureVerdict, lang: str) -> str:
    return t(lang, N_("{what}: {sentence}")).format(
        what=slot_signature(s.field, lang),
        sentence=indication_sentence(s.indication, s.sub_indication, lang))


_SIGNATURE_REASON = re.compile(r"^(?:signature|document timestamp) '(.+)': (\S+)(?: / (\S+))?$")
_WRONG_HEAD = re.compile(r"^wrong signer in '(.+)': (.+), the roster names (.+)$")
_WRONG_WITNESS = re.compile(r"^wrong signer in '(.+)': (.+), the witness is (.+)$")


def reason_sentence(reason: object, lang: str) -> str:
    """A document's reason as one plain sentence in `lang`."""
    if isinstance(reason, Finding):
        return reason.message(lang)
    text = str(reason)
    if m := _SIGNATURE_REASON.match(text):
        return t(lang, N_("{what}: {sentence}")).format(
            what=slot_signature(m[1], lang), sentence=indication_sentence(m[2], m[3], lang))
    if m := _WRONG_HEAD.match(text):
        return t(lang, N_("Signed by the wrong person: {signer} signed as {slot}, but the "
                          "roster names {name}.")).format(
            signer=m[2], slot=slot_person(m[1], lang), name=m[3])
    if m := _WRONG_WITNESS.match(text):
        return t(lang, N_("Signed by the wrong person: {signer} signed as {slot}, but the "
                          "witness is {name}.")).format(
            signer=m[2], slot=slot_person(m[1], lang), name=m[3])
    if text.startswith("unsigned: "):
        people = [slot_person(s.strip(), lang) for s in text[len("unsigned: "):].split(",")]
        return t(lang, N_("Not yet signed by {people}.")).format(people=", ".join(people))
    if text.startswith("not the issued document"):
        return t(lang, N_("This is not the document the secretariat issued: its content "
                          "differs from the issued file."))
    if text == "no signature":
        return t(lang, N_("The file has no signature."))
    if text == "matches no issued document in the ledger":
        return Finding.of("NOT_ISSUED").message(lang)
    if text == "not a PDF file" or text.startswith("unreadable PDF ("):
        return Finding.of("UNREADABLE").message(lang)
    return text


def problem_sentences(d: DocumentVerdict, lang: str) -> list[str]:
    """What is wrong with a document, a plain sentence each (none for a COMPLETE one)."""
    return [reason_sentence(r, lang) for r in d.reasons]


def revocation_sentence(s: SignatureVerdict, lang: str, region: str | None) -> str:
    if s.revocation == "revoked":
        when = local_time(s.revocation_date, region, lang) if s.revocation_date else "?"
        return t(lang, N_("revoked on {time}")).format(time=when)
    if s.revocation == "good":
        return t(lang, N_("checked: not revoked"))
    return t(lang, N_("not checked: there was no revocation data (verification is offline "
                      "and the file carries none), so a revoked certificate would not be "
                      "noticed"))


# Province codes (Kemendagri) by time zone; every other province is on WIB (UTC+7).
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65",
                            "71", "72", "73", "74", "75", "76"})
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
ZONES = {"WIB": timezone(timedelta(hours=7), "WIB"),
         "WITA": timezone(timedelta(hours=8), "WITA"),
         "WIT": timezone(timedelta(hours=9), "WIT")}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def zone_of(region_code: str | None) -> str:
    """'WIB', 'WITA' or 'WIT' for a region code ('33.76', '75'); 'UTC' without one."""
    if not region_code:
        return "UTC"
    province = region_code.split(".")[0]
    if province in WITA_PROVINCES:
        return "WITA"
    if province in WIT_PROVINCES:
        return "WIT"
    return "WIB"


def local_time(iso: str | None, region_code: str | None, lang: str) -> str:
    """'17 September 2024 09.00 WIB' (Indonesian) or '17 September 2024, 09:00 WIB'
    (English) in the region's zone; UTC, labelled, without a region. Never seconds'
    fractions."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = zone_of(region_code)
    local = moment.astimezone(ZONES.get(zone, UTC))
    if lang == "id":
        return f"{local.day} {BULAN[local.month - 1]} {local.year} {local:%H.%M} {zone}"
    return f"{local.day} {MONTHS_EN[local.month - 1]} {local.year}, {local:%H:%M} {zone}"


ATTENTION = Np_("{problems} of {total} documents needs attention",
                "{problems} of {total} documents need attention")
ALL_GOOD = Np_("OK: the {total} document is complete and valid",
               "OK: all {total} documents are complete and valid")
NOT_FOUND = Np_("{count} issued document was not found",
                "{count} issued documents were not found")
TWICE = Np_("{count} document was found more than once",
            "{count} documents were found more than once")


def nt(lang: str, forms: tuple[str, str], n: int) -> str:
    return translator(lang).ngettext(forms[0], forms[1], n)


def needing_attention(batch: BatchVerdict) -> int:
    """Files that are not COMPLETE."""
    return batch.total - batch.by_status.get("COMPLETE", 0)


def headline(batch: BatchVerdict, lang: str) -> str:
    """'4 of 140 documents need attention; 2 issued documents were not found'."""
    if batch.ok:
        return nt(lang, ALL_GOOD, batch.total).format(total=batch.total)
    problems = needing_attention(batch)
    parts = [nt(lang, ATTENTION, problems).format(problems=problems, total=batch.total)]
    parts += more_problems(batch, lang)
    return "; ".join(parts)


def more_problems(batch: BatchVerdict, lang: str) -> list[str]:
    """The batch's problems besides its files': documents not found, found twice."""
    parts = []
    if batch.heads_without_document:
        n = len(batch.heads_without_document)
        parts.append(nt(lang, NOT_FOUND, n).format(count=n))
    if batch.duplicates:
        n = len(batch.duplicates)
        parts.append(nt(lang, TWICE, n).format(count=n))
    return parts
