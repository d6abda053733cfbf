"""The terminal report of `pakta verify`: a block per document, then the summary.

`Writer` streams it: each document's block is written as soon as it is known.
"""

from __future__ import annotations

from typing import TextIO

from pakta.reports import render_with
from pakta.verify import STATUSES, BatchVerdict, DocumentVerdict, SignatureVerdict


def _signature_line(s: SignatureVerdict) -> str:
    sub = f" / {s.sub_indication}" if s.sub_indication else ""
    who = s.signer_name + (f" ({s.signer_serial})" if s.signer_serial else "")
    when = f"timestamp {s.timestamp}" + ("" if s.timestamp_trusted else " (untrusted)") \
        if s.timestamp else f"claimed {s.signing_time or '?'}"
    page = f" p.{s.page}" if s.page else ""
    if s.kind != "signature":
        return f"    {s.field} (document timestamp): {s.indication}{sub}, {when}"
    certified = f", certification ({s.certification})" if s.certification else ""
    return (f"    {s.field}{page}: {s.indication}{sub}, {who}{certified}, {s.level}, {when}, "
            f"revocation {s.revocation}, changes after: {s.modification}")


def _document(d: DocumentVerdict) -> list[str]:
    title = d.doc_id or "-"
    lines = [f"{d.status:<10} {d.path}" + (f"  [{title}]" if d.doc_id else "")]
    lines.extend(_signature_line(s) for s in (*d.signatures, *d.document_timestamps))
    lines.extend(f"    - {r}" for r in d.reasons)
    return lines


def _list(title: str, items: list[str], limit: int = 20) -> list[str]:
    if not items:
        return []
    lines = [f"{title}: {len(items)}"]
    lines.extend(f"    {item}" for item in items[:limit])
    if len(items) > limit:
        lines.append(f"    ... and {len(items) - limit} more")
    return lines


class Writer:
    """The report to a text stream, one document at a time, the summary at the end."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def document(self, d: DocumentVerdict) -> None:
        self.out.write("\n".join(_document(d)) + "\n")

    def finish(self, batch: BatchVerdict) -> None:
        self.out.write("\n".join(_summary(batch)) + "\n")


def _summary(batch: BatchVerdict) -> list[str]:
    lines = ["", "Summary", "-------"]
    lines += [f"  {status:<12} {batch.by_status.get(status, 0)}" for status in STATUSES
              if batch.by_status.get(status, 0)]
    lines += _list("issued but not found", list(batch.heads_without_document))
    lines += _list("heads with no document at all",
                   [f"{c} {n} ({p})" for c, n, p in batch.heads_missing])
    lines += _list("not fully signed", list(batch.incomplete))
    lines += _list("found more than once", list(batch.duplicates))
    lines += _list("files that belong to no issued document", list(batch.unexpected))
    lines += _list("unreadable files", list(batch.errors))
    if batch.by_template:
        lines.append("by template:")
        lines += [f"    {t:<28} " + ", ".join(f"{s} {n}" for s, n in sorted(c.items()))
                  for t, c in batch.by_template.items()]
    if len(batch.by_province) > 1:
        lines.append("by province:")
        lines += [f"    {p:<28} " + ", ".join(f"{s} {n}" for s, n in sorted(c.items()))
                  for p, c in batch.by_province.items()]
    lines.append(f"Result: {'OK' if batch.ok else 'PROBLEMS FOUND'} "
                 f"({batch.total} files)")
    return lines


def render(batch: BatchVerdict) -> str:
    return render_with(Writer, batch)
