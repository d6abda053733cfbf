"""The CSV report of `pakta verify`: one row per document, a header row, UTF-8.

Columns (stable; new ones are only added at the end): path, status, doc_id, template,
region_code, province, head, signatures (count), signers ("; "), indications
("slot=INDICATION[/SUB]; ..."), missing_slots (space separated), reasons ("; "), sha256,
issued (first revision is the ledger's rendered file: yes/no), levels ("slot=B-T; ..."),
timestamps ("slot=ISO time; ..."), seconds.

A cell that a spreadsheet would read as a formula (starting with = + - @ or a tab) is
prefixed with an apostrophe.

`Writer` streams it: the header at once, then a row per document as soon as it is known.
"""

from __future__ import annotations

import csv
from typing import TextIO

from pakta.reports import render_with
from pakta.verify import BatchVerdict, DocumentVerdict

COLUMNS = ["path", "status", "doc_id", "template", "region_code", "province", "head",
           "signatures", "signers", "indications", "missing_slots", "reasons", "sha256",
           "issued", "levels", "timestamps", "seconds"]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(d: DocumentVerdict) -> list[str]:
    indications = "; ".join(
        f"{s.field}={s.indication}" + (f"/{s.sub_indication}" if s.sub_indication else "")
        for s in d.signatures)
    row = [d.path, d.status, d.doc_id, d.template, d.region_code, d.province, d.head,
           len(d.signatures), "; ".join(s.signer_name for s in d.signatures),
           indications, " ".join(d.missing_slots), "; ".join(map(str, d.reasons)), d.sha256,
           "yes" if d.issued else "no",
           "; ".join(f"{s.field}={s.level}" for s in d.signatures),
           "; ".join(f"{s.field}={s.timestamp}" for s in d.signatures if s.timestamp),
           f"{d.seconds:.3f}"]
    return [_cell(v) for v in row]


class Writer:
    """The report to a text stream: the header row now, then one row per document."""

    def __init__(self, out: TextIO) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow(COLUMNS)

    def document(self, d: DocumentVerdict) -> None:
        self.writer.writerow(_row(d))

    def finish(self, batch: BatchVerdict) -> None:
        pass


def render(batch: BatchVerdict) -> str:
    return render_with(Writer, batch)
