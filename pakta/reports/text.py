"""The terminal report of `pakta verify`: a block per document, then the summary, in
the language chosen (`--lang`, `PAKTA_LANG`, the locale).

`Writer` streams it: each document's block is written as soon as it is known.
"""

from __future__ import annotations

from typing import TextIO

from pakta.i18n import N_, language
from pakta.reports import render_with
from pakta.reports.words import CHANGES_WORDS, local_time, status_label, t
from pakta.reports.words import headline as _headline
from pakta.verify import STATUSES, BatchVerdict, DocumentVerdict, SignatureVerdict

# Words shown inside f-strings (where extraction cannot see them).
W_DOCUMENT_TIMESTAMP = N_("document timestamp")
REVOCATION = {"good": N_("not revoked"), "revoked": N_("revoked"),
              "unknown": N_("not checked")}


def _signature_line(s: SignatureVerdict, region: str | None, lang: str) -> str:
    sub = f" / {s.sub_indication}" if s.sub_indication else ""
    who = s.signer_name + (f" ({s.signer_serial})" if s.signer_serial else "")
    if s.timestamp:
        when = t(lang, N_("timestamp {time}")).format(
            time=local_time(s.timestamp, region, lang))
        if not s.timestamp_trusted:
            when += " " + t(lang, N_("(untrusted)"))
    else:
        when = t(lang, N_("claimed {time}")).format(
            time=local_time(s.signing_time, region, lang) if s.signing_time else "?")
    page = f" p.{s.page}" if s.page else ""
    if s.kind != "signature":
        return f"    {s.field} ({t(lang, W_DOCUMENT_TIMESTAMP)}): {s.indication}{sub}, " \
               f"{when}"
    certified = (", " + t(lang, N_("certification ({permission})")).format(
        permission=s.certification)) if s.certification else ""
    revocation = t(lang, N_("revocation {state}")).format(
        state=t(lang, REVOCATION.get(s.revocation, s.revocation)))
    changes = t(lang, N_("changes after: {what}")).format(
        what=t(lang, CHANGES_WORDS.get(s.modification, s.modification)))
    return (f"    {s.field}{page}: {s.indication}{sub}, {who}{certified}, {s.level}, {when}, "
            f"{revocation}, {changes}")


def _document(d: DocumentVerdict, lang: str) -> list[str]:
    lines = [f"{status_label(d.status, lang):<16} {d.path}"
             + (f"  [{d.doc_id}]" if d.doc_id else "")]
    lines.extend(_signature_line(s, d.region_code, lang)
                 for s in (*d.signatures, *d.document_timestamps))
    lines.extend(f"    - {r.message(lang)}" for r in d.reasons)
    return lines


def _list(title: str, items: list[str], lang: str, limit: int = 20) -> list[str]:
    if not items:
        return []
    lines = [f"{title}: {len(items)}"]
    lines.extend(f"    {item}" for item in items[:limit])
    if len(items) > limit:
        lines.append("    " + t(lang, N_("... and {count} more")).format(
            count=len(items) - limit))
    return lines


class Writer:
    """The report to a text stream, one document at a time, the summary at the end."""

    def __init__(self, out: TextIO, lang: str | None = None) -> None:
        self.out = out
        self.lang = lang or language()

    def document(self, d: DocumentVerdict) -> None:
        self.out.write("\n".join(_document(d, self.lang)) + "\n")

    def finish(self, batch: BatchVerdict) -> None:
        self.out.write("\n".join(_summary(batch, self.lang)) + "\n")


def mode_line(batch: BatchVerdict, lang: str) -> str | None:
    """The line(s) that say what was checked, when it was not everything."""
    lines = []
    if batch.signatures_only:
        lines.append(t(lang, N_("no ledger or roster: checking the signatures only")))
    if batch.unchecked_revocation_accepted:
        lines.append(t(lang, N_("revocation not checked where no data was found: accepted "
                                "with --accept-unchecked-revocation")))
    return "\n  ".join(lines) or None


def _summary(batch: BatchVerdict, lang: str) -> list[str]:
    title = t(lang, N_("Summary"))
    lines = ["", title, "-" * len(title)]
    mode = mode_line(batch, lang)
    if mode:
        lines.append(f"  {mode}")
    lines += [f"  {status_label(status, lang):<16} {batch.by_status.get(status, 0)}"
              for status in STATUSES if batch.by_status.get(status, 0)]
    lines += _list(t(lang, N_("issued but not found")), list(batch.heads_without_document),
                   lang)
    lines += _list(t(lang, N_("heads with no document at all")),
                   [f"{c} {n} ({p})" for c, n, p in batch.heads_missing], lang)
    lines += _list(t(lang, N_("not fully signed")), list(batch.incomplete), lang)
    lines += _list(t(lang, N_("found more than once")), list(batch.duplicates), lang)
    lines += _list(t(lang, N_("files that belong to no issued document")),
                   list(batch.unexpected), lang)
    lines += _list(t(lang, N_("unreadable files")), list(batch.errors), lang)
    if batch.by_template:
        lines.append(t(lang, N_("by template:")))
        lines += [f"    {tp:<28} " + ", ".join(f"{status_label(s, lang)} {n}"
                                               for s, n in sorted(c.items()))
                  for tp, c in batch.by_template.items()]
    if len(batch.by_province) > 1:
        lines.append(t(lang, N_("by province:")))
        lines += [f"    {p:<28} " + ", ".join(f"{status_label(s, lang)} {n}"
                                              for s, n in sorted(c.items()))
                  for p, c in batch.by_province.items()]
    lines.append(t(lang, N_("Result: {headline}")).format(headline=_headline(batch, lang)))
    return lines


def render(batch: BatchVerdict, lang: str | None = None) -> str:
    return render_with(lambda out: Writer(out, lang), batch)
