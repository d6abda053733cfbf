"""Words for people in the verification reports, in either language.

Verdict labels (the JSON keeps the codes: COMPLETE, INVALID, ...), one plain sentence
for a signature's ETSI indication and for each reason a document got, the revocation
status said honestly, and times in the region's own zone (WIB, WITA, WIT) or in UTC,
labelled, to the minute.

A reason is a `pakta.findings.Finding`: its sentence (`finding.message(lang)`) is the
one every report and `pakta serve` show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pakta.dates import BULAN
from pakta.i18n import N_, Np_, in_language, translator

if TYPE_CHECKING:
    from pakta.verify import BatchVerdict, SignatureVerdict

STATUS_LABELS = {
    "COMPLETE": N_("COMPLETE"), "INCOMPLETE": N_("NOT FULLY SIGNED"),
    "INVALID": N_("INVALID"), "UNKNOWN": N_("NOT ISSUED"), "ERROR": N_("UNREADABLE"),
    "MISSING": N_("NOT FOUND"), "DUPLICATE": N_("DUPLICATE")}

CHANGES_WORDS = {"none": N_("none"),
                 "signatures-and-validation-data": N_("later signatures only"),
                 "form-filling": N_("form filling"), "other": N_("other changes")}

SLOT_SIGNATURES = {"kepala_daerah": N_("Signature of the regional head"),
                   "saksi": N_("Signature of the witness")}


def t(lang: str, message: str) -> str:
    """`message` (an English msgid) in `lang`."""
    return in_language(lang, message)


def status_label(status: str, lang: str) -> str:
    return t(lang, STATUS_LABELS.get(status, status))


def slot_signature(field: str, lang: str) -> str:
    known = SLOT_SIGNATURES.get(field)
    return t(lang, known) if known else t(lang, N_("Signature '{field}'")).format(field=field)


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
