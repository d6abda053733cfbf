"""The CSV report of `pakta verify`: one row per document, a header row, UTF-8.

Columns (stable; new ones are only added at the end): path, status, doc_id, template,
region_code, province, head, signatures (count), signers ("; "), indications
("slot=INDICATION[/SUB]; ..."), missing_slots (space separated), reasons (the findings'
codes, space separated: docs/report-schema.md), sha256,
issued (first revision is the ledger's rendered file: yes/no), levels ("slot=B-T; ..."),
timestamps ("slot=ISO time; ..."), seconds, verdict (the status in words), problems
(each finding's sentence, "; ", as in the other reports).

`status` keeps the machine code (COMPLETE, INVALID, ...). After the documents come a row
per issued document that was not found (status MISSING), per head with no document at
all (MISSING, with region and head) and per document found in more than one file
(DUPLICATE, its files in `path`). The header's names, `verdict`, `problems` and
yes/no follow the language chosen (`--lang`); English names are the stable ones.

A cell that a spreadsheet would read as a formula (starting with = + - @ or a tab) is
prefixed with an apostrophe.

`Writer` streams it: the header at once, then a row per document as soon as it is known.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from typing import TextIO

from pakta.i18n import N_, language
from pakta.reports import render_with
from pakta.reports.words import status_label, t
from pakta.verify import BatchVerdict, DocumentVerdict

COLUMNS = ["path", "status", "doc_id", "template", "region_code", "province", "head",
           "signatures", "signers", "indications", "missing_slots", "reasons", "sha256",
           "issued", "levels", "timestamps", "seconds", "verdict", "problems"]
# The header in the chosen language ("csv column: x" untranslated is just "x").
HEADER = {
    "path": N_("csv column: path"), "status": N_("csv column: status"),
    "doc_id": N_("csv column: doc_id"), "template": N_("csv column: template"),
    "region_code": N_("csv column: region_code"), "province": N_("csv column: province"),
    "head": N_("csv column: head"), "signatures": N_("csv column: signatures"),
    "signers": N_("csv column: signers"), "indications": N_("csv column: indications"),
    "missing_slots": N_("csv column: missing_slots"), "reasons": N_("csv column: reasons"),
    "sha256": N_("csv column: sha256"), "issued": N_("csv column: issued"),
    "levels": N_("csv column: levels"), "timestamps": N_("csv column: timestamps"),
    "seconds": N_("csv column: seconds"), "verdict": N_("csv column: verdict"),
    "problems": N_("csv column: problems")}
PREFIX = "csv column: "


def header(lang: str) -> list[str]:
    names = []
    for name in COLUMNS:
        word = t(lang, HEADER[name])
        names.append(word[len(PREFIX):] if word.startswith(PREFIX) else word)
    return names


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(d: DocumentVerdict, lang: str) -> list[str]:
    indications = "; ".join(
        f"{s.field}={s.indication}" + (f"/{s.sub_indication}" if s.sub_indication else "")
        for s in d.signatures)
    row = [d.path, d.status, d.doc_id, d.template, d.region_code, d.province, d.head,
           len(d.signatures), "; ".join(s.signer_name for s in d.signatures),
           indications, " ".join(d.missing_slots), " ".join(r.code for r in d.reasons),
           d.sha256, t(lang, N_("yes")) if d.issued else t(lang, N_("no")),
           "; ".join(f"{s.field}={s.level}" for s in d.signatures),
           "; ".join(f"{s.field}={s.timestamp}" for s in d.signatures if s.timestamp),
           f"{d.seconds:.3f}", status_label(d.status, lang),
           "; ".join(r.message(lang) for r in d.reasons)]
    return [_cell(v) for v in row]


def _extra_row(status: str, lang: str, problem: str, *, path: str = "",
               doc_id: str = "", region: str = "", province: str = "",
               head: str = "") -> list[str]:
    values: dict[str, object] = {
        "path": path, "status": status, "doc_id": doc_id, "region_code": region,
        "province": province, "head": head, "verdict": status_label(status, lang),
        "problems": problem}
    return [_cell(values.get(name, "")) for name in COLUMNS]


class Writer:
    """The report to a text stream: the header row now, then one row per document."""

    def __init__(self, out: TextIO, lang: str | None = None) -> None:
        self.lang = lang or language()
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow(header(self.lang))
        self.files: dict[str, list[str]] = defaultdict(list)  # doc_id -> paths

    def document(self, d: DocumentVerdict) -> None:
        self.writer.writerow(_row(d, self.lang))
        if d.doc_id:
            self.files[d.doc_id].append(d.path)

    def finish(self, batch: BatchVerdict) -> None:
        lang = self.lang
        for doc_id in batch.heads_without_document:
            self.writer.writerow(_extra_row(
                "MISSING", lang, t(lang, N_("Issued but not found among the files.")),
                doc_id=doc_id))
        for code, name, province in batch.heads_missing:
            self.writer.writerow(_extra_row(
                "MISSING", lang, t(lang, N_("No document of this head among the files.")),
                region=code, province=province, head=name))
        for doc_id in batch.duplicates:
            paths = self.files.get(doc_id, [])
            self.writer.writerow(_extra_row(
                "DUPLICATE", lang,
                t(lang, N_("Found in more than one file.")), path="; ".join(paths),
                doc_id=doc_id))


def render(batch: BatchVerdict, lang: str | None = None) -> str:
    return render_with(lambda out: Writer(out, lang), batch)
