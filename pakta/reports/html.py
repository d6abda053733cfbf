"""The HTML report of `pakta verify`: one self-contained file that reads offline.

Inline CSS, no scripts, no external resources (fonts, images, links); every value from a
file, the roster or the ledger is escaped. Sections: the verdict, totals by status, the
per-province and per-template tables, what is missing or doubtful, then each document
with its signatures' facts.

`Writer` streams it: each document is rendered as soon as it is known and kept in a
temporary file until the summary, which comes first, is known.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from html import escape
from typing import TextIO

from pakta.verify import STATUSES, BatchVerdict, DocumentVerdict, SignatureVerdict

COLOURS = {"COMPLETE": "#2e9d5b", "INCOMPLETE": "#d99a1e", "INVALID": "#d64545",
           "UNKNOWN": "#8a63d2", "ERROR": "#6b7280"}
INDICATION_COLOURS = {"TOTAL-PASSED": "#2e9d5b", "INDETERMINATE": "#d99a1e",
                      "TOTAL-FAILED": "#d64545"}
LABELS = {"COMPLETE": "complete", "INCOMPLETE": "not fully signed", "INVALID": "invalid",
          "UNKNOWN": "not issued", "ERROR": "unreadable"}

CSS = """
* { box-sizing: border-box; }
body { font-family: "Liberation Sans", Arial, sans-serif; margin: 0; color: #1d232b;
       background: #f6f7f9; }
header { padding: 1.2em 2em; background: #1d2b3a; color: white; }
header h1 { margin: 0 0 .2em 0; font-size: 1.5em; }
header p { margin: 0; opacity: .8; }
main { padding: 1em 2em 3em 2em; }
.verdict { font-size: 1.35em; font-weight: bold; padding: .6em 1em; border-radius: 6px;
           color: white; margin: 1em 0; }
.verdict.ok { background: #2e9d5b; } .verdict.bad { background: #d64545; }
.tiles { display: flex; flex-wrap: wrap; gap: .8em; margin-bottom: 1em; }
.tile { border-left: 7px solid; padding: .5em 1em; background: white; min-width: 9em;
        box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.tile b { display: block; font-size: 1.7em; }
.tile span { color: #4b5563; font-size: .9em; }
section { background: white; padding: .8em 1.2em; margin: 1em 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 1.15em; margin: .3em 0 .6em 0; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
td, th { border-bottom: 1px solid #e3e6ea; padding: .3em .6em; text-align: left;
         vertical-align: top; }
th { background: #eef0f3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: #b8bec7; }
.badge { color: white; border-radius: 4px; padding: .05em .45em; font-size: .82em;
         font-weight: bold; white-space: nowrap; }
details { border-bottom: 1px solid #eceef1; padding: .35em 0; }
summary { cursor: pointer; }
.facts td:first-child { color: #4b5563; width: 14em; }
.reasons li, .why { color: #a12f2f; }
code { font-size: .85em; word-break: break-all; }
ul.plain { columns: 2; margin: .3em 0; }
"""


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge" style="background:{colour}">{escape(text)}</span>'


def _count_row(name: str, counts: dict[str, int]) -> str:
    cells = "".join(
        f'<td class="n{"" if counts.get(s) else " zero"}"'
        + (f' style="color:{COLOURS[s]};font-weight:bold"' if counts.get(s) and
           s != "COMPLETE" else "")
        + f">{counts.get(s, 0)}</td>" for s in STATUSES)
    return (f"<tr><td>{escape(name)}</td><td class=\"n\">{sum(counts.values())}</td>"
            f"{cells}</tr>")


def _count_table(table_id: str, title: str, rows: dict[str, dict[str, int]]) -> str:
    header = "".join(f'<th class="n">{escape(s)}</th>' for s in STATUSES)
    body = "".join(_count_row(name if name != "-" else "(none)", counts)
                   for name, counts in rows.items())
    totals: dict[str, int] = {}
    for counts in rows.values():
        for s, n in counts.items():
            totals[s] = totals.get(s, 0) + n
    return (f'<table id="{table_id}"><tr><th>{escape(title)}</th><th class="n">total</th>'
            f"{header}</tr>{body}{_count_row('Total', totals).replace('<td>', '<th>', 1)}"
            "</table>")


def _facts(s: SignatureVerdict) -> str:
    rows = [
        ("indication", _badge(s.indication, INDICATION_COLOURS.get(s.indication, "#999"))
         + (f" {escape(s.sub_indication)}" if s.sub_indication else "")),
        ("kind", escape(s.kind)),
        ("signer", escape(s.signer_name)
         + (f" &middot; NIK/NIP {escape(s.signer_serial)}" if s.signer_serial else "")),
        ("issuer", escape(s.issuer)),
        ("certificate SHA-256", f"<code>{escape(s.cert_sha256)}</code>"),
        ("integrity", "intact" if s.intact else "<b>changed</b>"),
        ("signature", "valid" if s.valid else "<b>invalid</b>"),
        ("chain to a trust root", "yes" if s.trusted else "<b>no</b>"),
        ("claimed signing time", escape(s.signing_time or "-")),
        ("timestamp", escape(s.timestamp or "none")
         + ("" if s.timestamp_trusted in (None, True) else " <b>(not trusted)</b>")),
        ("revocation", escape(s.revocation)
         + (f" on {escape(s.revocation_date)}" if s.revocation_date else "")),
        ("key usage", "signing" if s.key_usage_ok else "<b>not for signing</b>"),
        ("PAdES level", escape(s.level)),
        ("field, page", f"{escape(s.field)}, {s.page if s.page else '-'}"),
        ("coverage", f"{escape(s.coverage)} ({s.covered_bytes} bytes)"),
        ("changes after", escape(s.modification)),
        ("judged at", escape(s.validated_at or "-")),
    ]
    if s.certification:
        rows.insert(2, ("certification", f"allows {escape(s.certification)} afterwards"))
    rows += [("note", escape(d)) for d in s.details]
    return '<table class="facts">' + "".join(
        f"<tr><td>{name}</td><td>{value}</td></tr>" for name, value in rows) + "</table>"


def _document(d: DocumentVerdict) -> str:
    signed = ", ".join(
        f"{escape(s.field)} {_badge(s.indication, INDICATION_COLOURS.get(s.indication, '#999'))}"
        for s in d.signatures) or "no signature"
    reasons = "".join(f"<li>{escape(str(r))}</li>" for r in d.reasons)
    sigs = "".join(f"<h3>{escape(s.field)}</h3>{_facts(s)}"
                   for s in (*d.signatures, *d.document_timestamps))
    return (
        f'<details class="doc" data-status="{escape(d.status)}"><summary>'
        f"{_badge(d.status, COLOURS.get(d.status, '#999'))} "
        f"<b>{escape(d.doc_id or d.path)}</b> &middot; "
        + (f"{escape(d.head)} <small>{escape(d.province or '')}</small> &middot; "
           if d.head else "")
        + f"{signed}"
        + (f' <small class="why">{escape(str(d.reasons[0]))}</small>' if d.reasons else "")
        + "</summary>"
        f'<ul class="reasons">{reasons}</ul>'
        f"<p>file <code>{escape(d.path)}</code><br>SHA-256 <code>{escape(d.sha256)}</code>"
        f"<br>template {escape(d.template or '-')}, slots "
        f"{escape(', '.join(d.slots) or '-')}; first revision is the issued file: "
        f"{'yes' if d.issued else 'no'}</p>{sigs}</details>")


def _list_section(title: str, items: list[str], section_id: str) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{escape(i)}</li>" for i in items)
    return (f'<section id="{section_id}"><h2>{escape(title)} ({len(items)})</h2>'
            f'<ul class="plain">{lis}</ul></section>')


ORDER = {s: i for i, s in enumerate(STATUSES[::-1])}  # problems first
TAIL = """
</section>
</main></body></html>
"""


def _sort_key(d: DocumentVerdict) -> tuple[int, str]:
    return ORDER.get(d.status, 0), d.path


def _head(batch: BatchVerdict, generated_at: datetime | None) -> str:
    """Everything before the documents."""
    moment = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    tiles = "".join(
        f'<div class="tile" style="border-color:{COLOURS[s]}"><b>'
        f"{batch.by_status.get(s, 0)}</b>{escape(s)}<br><span>{escape(LABELS[s])}</span>"
        "</div>" for s in STATUSES)
    tiles += (f'<div class="tile" style="border-color:#1d2b3a"><b>'
              f"{len(batch.heads_without_document)}</b>MISSING<br><span>issued, no file"
              "</span></div>")
    verdict = "OK" if batch.ok else "PROBLEMS FOUND"
    kind = "ok" if batch.ok else "bad"
    total = batch.total
    problems = total - batch.by_status.get("COMPLETE", 0)
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pakta verification report</title>
<style>{CSS}</style></head><body>
<header><h1>Verification report &middot; Pakta Integritas</h1>
<p>{total} files checked at {escape(moment)}</p></header>
<main>
<div class="verdict {kind}" id="verdict">{verdict}: {total} files</div>
<div class="tiles" id="summary">{tiles}</div>
<section><h2>Per province</h2>{_count_table("provinces", "Province", batch.by_province)}
</section>
<section><h2>Per template</h2>{_count_table("templates", "Template", batch.by_template)}
</section>
{_list_section("Issued but not found", list(batch.heads_without_document), "missing")}
{_list_section("Not fully signed", list(batch.incomplete), "incomplete")}
{_list_section("Found more than once", list(batch.duplicates), "duplicates")}
{_list_section("Files that belong to no issued document", list(batch.unexpected),
               "unexpected")}
{_list_section("Unreadable files", list(batch.errors), "errors")}
<section id="documents"><h2>Documents ({total}; {problems} with problems
first)</h2>
"""


class Writer:
    """The report to a text stream, the same as `render` gives. Each document is
    rendered as soon as it is known and waits in a temporary file; only its place in
    the report's order (status, path) is kept in memory."""

    def __init__(self, out: TextIO, generated_at: datetime | None = None) -> None:
        self.out = out
        self.generated_at = generated_at
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by finish)
        self.index: list[tuple[int, str, int, int, int]] = []

    def document(self, d: DocumentVerdict) -> None:
        data = _document(d).encode("utf-8")
        offset = self.spool.tell()
        self.spool.write(data)
        self.index.append((*_sort_key(d), len(self.index), offset, len(data)))

    def finish(self, batch: BatchVerdict) -> None:
        try:
            self.out.write(_head(batch, self.generated_at))
            self.index.sort()
            for *_, offset, length in self.index:
                self.spool.seek(offset)
                self.out.write(self.spool.read(length).decode("utf-8"))
            self.out.write(TAIL)
        finally:
            self.spool.close()


def render(batch: BatchVerdict, generated_at: datetime | None = None) -> str:
    documents = sorted(batch.documents, key=_sort_key)
    return (_head(batch, generated_at) + "".join(_document(d) for d in documents)
            + TAIL)
