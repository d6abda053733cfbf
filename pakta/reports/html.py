"""The HTML report of `pakta verify`: one self-contained file that reads offline.

Indonesian first, English a click away: both languages are in the page and a CSS-only
switch (two radio inputs) shows one. Inline CSS, no scripts, no external resources
(fonts, images, links); every value from a file, the roster or the ledger is escaped.

Per language: the headline (how many documents need attention), the problem list, each
problem in one plain sentence, then the per-province and per-template tables, then each
document with its signatures. A signature's own validity is shown apart from the
document's verdict (a valid signature by the wrong person is a valid signature on an
INVALID document); the ETSI indication is in small print beneath its sentence. Times
are in the region's zone (WIB, WITA, WIT) or in UTC, labelled.

`Writer` streams it: each document is rendered as soon as it is known and kept in a
temporary file until the summary, which comes first, is known.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from html import escape
from typing import TextIO

from pakta.findings import indication_sentence
from pakta.i18n import N_, Np_
from pakta.reports import render_with
from pakta.reports.words import ALL_GOOD as ALL_GOOD_FORMS
from pakta.reports.words import ATTENTION as ATTENTION_FORMS
from pakta.reports.words import (
    CHANGES_WORDS,
    local_time,
    more_problems,
    needing_attention,
    nt,
    revocation_sentence,
    slot_signature,
    status_label,
    t,
)
from pakta.verify import STATUSES, BatchVerdict, DocumentVerdict, SignatureVerdict

# Words shown inside f-strings (where extraction cannot see them).
W_TOTAL_COLUMN = N_("total")
W_TOTAL = N_("Total")
W_NO = N_("no")
W_NOT_TRUSTED = N_("not trusted")
W_NOTE = N_("note")
W_SIGNATURES_ONLY = N_("no ledger or roster: checking the signatures only")
W_VERIFICATION_REPORT = N_("Verification report")
W_NOT_FOUND_SENTENCE = N_("Issued but not found among the files.")
W_TWICE_SENTENCE = N_("Found in more than one file.")
W_PER_PROVINCE = N_("Per province")
W_PER_TEMPLATE = N_("Per template")
LANGS = ("id", "en")  # Indonesian first
COLOURS = {"COMPLETE": "#2e7d4f", "INCOMPLETE": "#b7791f", "INVALID": "#c53030",
           "UNKNOWN": "#6b46c1", "ERROR": "#4a5568", "MISSING": "#1d2b3a",
           "DUPLICATE": "#b7791f"}
OWN = {"TOTAL-PASSED": "pass", "INDETERMINATE": "indet", "TOTAL-FAILED": "fail"}

CSS = """
* { box-sizing: border-box; }
body { font-family: "Liberation Sans", Arial, sans-serif; margin: 0; color: #1d232b;
       background: #f6f7f9; font-size: 15px; line-height: 1.4; }
input.lang { position: absolute; opacity: 0; pointer-events: none; }
#lang-id:checked ~ .l-en, #lang-en:checked ~ .l-id { display: none; }
nav.switch { position: absolute; top: 1.1em; right: 2em; }
nav.switch label { color: #cbd5e0; border: 1px solid #4a5a6a; padding: .25em .7em;
                   cursor: pointer; font-size: .9em; }
#lang-id:checked ~ nav label[for=lang-id], #lang-en:checked ~ nav label[for=lang-en] {
  background: white; color: #1d2b3a; }
header { padding: 1.2em 2em; background: #1d2b3a; color: white; }
header h1 { margin: 0 0 .2em 0; font-size: 1.45em; }
header p { margin: 0; opacity: .85; }
main { padding: .5em 2em 3em 2em; max-width: 1200px; }
.mode { background: #fff8e1; border-left: 6px solid #b7791f; padding: .5em 1em;
        margin: 1em 0 0 0; }
.verdict { font-size: 1.4em; font-weight: bold; padding: .6em 1em; border-radius: 6px;
           color: white; margin: 1em 0 .3em 0; }
.verdict.ok { background: #2e7d4f; } .verdict.bad { background: #c53030; }
.more { margin: .2em 0 .8em 0; font-weight: bold; color: #9b2c2c; }
.tiles { display: flex; flex-wrap: wrap; gap: .6em; margin: .8em 0; }
.tile { border-left: 6px solid; padding: .4em .9em; background: white; min-width: 9em;
        box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.tile b { display: block; font-size: 1.5em; }
.tile span { color: #4b5563; font-size: .85em; }
section { background: white; padding: .8em 1.2em; margin: 1em 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 1.15em; margin: .3em 0 .6em 0; }
h3 { font-size: 1em; margin: .8em 0 .2em 0; }
ol.problems { margin: 0; padding-left: 1.6em; }
ol.problems li { padding: .45em 0; border-bottom: 1px solid #eceef1; }
ol.problems .sentence { margin-top: .15em; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
td, th { border-bottom: 1px solid #e3e6ea; padding: .3em .6em; text-align: left;
         vertical-align: top; }
th { background: #eef0f3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: #b8bec7; }
.badge { color: white; border-radius: 4px; padding: .05em .45em; font-size: .8em;
         font-weight: bold; white-space: nowrap; }
details { border-bottom: 1px solid #eceef1; padding: .35em 0; }
summary { cursor: pointer; }
small, .etsi { color: #6b7280; font-size: .8em; }
.sig { border-left: 3px solid #d1d5db; padding: 0 0 0 .8em; margin: .6em 0; }
.own { margin: .2em 0 0 0; font-weight: bold; }
.own.pass { color: #2e7d4f; } .own.indet { color: #975a16; } .own.fail { color: #c53030; }
.note { margin: .1em 0; color: #4b5563; font-style: italic; }
.etsi { margin: 0 0 .3em 0; }
.facts td:first-child { color: #4b5563; width: 16em; }
.reasons li, .why { color: #9b2c2c; }
code { font-size: .85em; word-break: break-all; }
"""


def _badge(status: str, lang: str) -> str:
    return (f'<span class="badge" style="background:{COLOURS.get(status, "#4a5568")}">'
            f"{escape(status_label(status, lang))}</span>")


def _count_row(name: str, counts: dict[str, int], header: bool = False) -> str:
    cell = "th" if header else "td"
    cells = "".join(
        f'<td class="n{"" if counts.get(s) else " zero"}"'
        + (f' style="color:{COLOURS[s]};font-weight:bold"' if counts.get(s) and
           s != "COMPLETE" else "")
        + f">{counts.get(s, 0)}</td>" for s in STATUSES)
    return (f"<tr><{cell}>{escape(name)}</{cell}><td class=\"n\">{sum(counts.values())}"
            f"</td>{cells}</tr>")


def _count_table(table_id: str, title: str, rows: dict[str, dict[str, int]],
                 lang: str) -> str:
    header = "".join(f'<th class="n">{escape(status_label(s, lang))}</th>' for s in STATUSES)
    none = t(lang, N_("(none)"))
    body = "".join(_count_row(name if name != "-" else none, counts)
                   for name, counts in rows.items())
    totals: dict[str, int] = {}
    for counts in rows.values():
        for s, n in counts.items():
            totals[s] = totals.get(s, 0) + n
    return (f'<table id="{table_id}"><tr><th>{escape(title)}</th><th class="n">'
            f"{escape(t(lang, W_TOTAL_COLUMN))}</th>{header}</tr>{body}"
            f"{_count_row(t(lang, W_TOTAL), totals, header=True)}</table>")


def _yes(value: bool, lang: str) -> str:
    return escape(t(lang, N_("yes"))) if value else f"<b>{escape(t(lang, W_NO))}</b>"


def _facts(s: SignatureVerdict, region: str | None, lang: str) -> str:
    def when(iso: str | None) -> str:
        return escape(local_time(iso, region, lang))

    timestamp = when(s.timestamp) if s.timestamp else escape(t(lang, N_("none")))
    if s.timestamp and s.timestamp_trusted is False:
        timestamp += f" <b>({escape(t(lang, W_NOT_TRUSTED))})</b>"
    assessed = s.intact and s.valid
    unassessed = escape(t(lang, N_("not checked: the signature does not match the file")))
    rows = [
        (N_("signer"), escape(s.signer_name)
         + (f" &middot; NIK/NIP {escape(s.signer_serial)}" if s.signer_serial else "")),
        (N_("certificate issuer"), escape(s.issuer or "-")),
        (N_("certificate SHA-256"), f"<code>{escape(s.cert_sha256 or '-')}</code>"),
        (N_("file unchanged since this signature"), _yes(s.intact, lang)),
        (N_("signature mathematically correct"), _yes(s.valid, lang)),
        # pyHanko judges the chain only for a signature that matches its file
        (N_("certificate chain to the trust root"),
         _yes(s.trusted, lang) if assessed else unassessed),
        (N_("signing time claimed by the signer"), when(s.signing_time)),
        (N_("timestamp"), timestamp),
        (N_("revocation"),
         escape(revocation_sentence(s, lang, region)) if assessed else unassessed),
        (N_("certificate meant for signing"), _yes(s.key_usage_ok, lang)),
        (N_("PAdES level"), escape(s.level)),
        (N_("field, page"), f"{escape(s.field)}, {s.page if s.page else '-'}"),
        (N_("changes after this signature"),
         escape(t(lang, CHANGES_WORDS.get(s.modification, s.modification)))),
        (N_("judged at"), when(s.validated_at)),
    ]
    if s.kind != "signature":
        rows = [r for r in rows if r[0] in (N_("signer"), N_("certificate issuer"),
                                            N_("file unchanged since this signature"),
                                            N_("certificate chain to the trust root"),
                                            N_("timestamp"))]
    if s.certification:
        rows.insert(1, (N_("certification"), escape(t(lang, N_(
            "the document was certified; later changes allowed: {permission}")).format(
            permission=s.certification))))
    cells = "".join(f"<tr><td>{escape(t(lang, name))}</td><td>{value}</td></tr>"
                    for name, value in rows)
    cells += "".join(f"<tr><td>{escape(t(lang, W_NOTE))}</td><td>{escape(d)}</td></tr>"
                     for d in s.details)
    return f'<table class="facts">{cells}</table>'


def _signature(s: SignatureVerdict, d: DocumentVerdict, lang: str) -> str:
    title = slot_signature(s.field, lang) if s.kind == "signature" else \
        t(lang, N_("Document timestamp '{field}'")).format(field=s.field)
    note = ""
    if s.passed and d.status != "COMPLETE":
        note = escape(t(lang, N_("This signature on its own is valid; the verdict on the "
                                 "document comes from the checks above.")))
        note = f'<p class="note">{note}</p>'
    etsi = "ETSI EN 319 102-1: " + s.indication + (
        f" / {s.sub_indication}" if s.sub_indication else "")
    return (f'<div class="sig"><h3>{escape(title)}</h3>'
            f'<p class="own {OWN.get(s.indication, "indet")}">'
            f"{escape(indication_sentence(s.indication, s.sub_indication, lang))}</p>"
            f'{note}<p class="etsi">{escape(etsi)}</p>{_facts(s, d.region_code, lang)}</div>')


def _who(d: DocumentVerdict) -> str:
    if not d.head:
        return ""
    return f" &middot; {escape(d.head)} <small>{escape(d.province or '')}</small>"


def _problem(d: DocumentVerdict, lang: str) -> str:
    """The document's entry in the problem list: what it is, what is wrong."""
    sentences = "".join(f'<div class="sentence">{escape(r.message(lang))}</div>'
                        for r in d.reasons)
    return (f"<li>{_badge(d.status, lang)} <b>{escape(d.doc_id or d.path)}</b>{_who(d)}"
            f"{sentences}</li>")


def _document(d: DocumentVerdict, lang: str) -> str:
    count = nt(lang, SIGNATURES, len(d.signatures)).format(count=len(d.signatures))
    first = d.reasons[0].message(lang) if d.reasons else ""
    reasons = "".join(f"<li>{escape(r.message(lang))}</li>" for r in d.reasons)
    sigs = "".join(_signature(s, d, lang) for s in (*d.signatures, *d.document_timestamps))
    facts = t(lang, N_("file {path}")).format(path="\0path\0")
    facts = escape(facts).replace("\0path\0", f"<code>{escape(d.path)}</code>")
    issued = t(lang, N_("first revision is the issued file: {answer}")).format(
        answer=t(lang, N_("yes")) if d.issued else t(lang, N_("no")))
    template = t(lang, N_("template {template}, slots {slots}")).format(
        template=d.template or "-", slots=", ".join(d.slots) or "-")
    return (
        f'<details class="doc" data-status="{escape(d.status)}"><summary>'
        f"{_badge(d.status, lang)} <b>{escape(d.doc_id or d.path)}</b>{_who(d)}"
        f" &middot; {escape(count)}"
        + (f' <small class="why">{escape(first)}</small>' if first else "")
        + "</summary>"
        f'<ul class="reasons">{reasons}</ul>'
        f"<p>{facts}<br>SHA-256 <code>{escape(d.sha256 or '-')}</code><br>"
        f"{escape(template)}; {escape(issued)}</p>{sigs}</details>")


SIGNATURES = Np_("{count} signature", "{count} signatures")
ORDER = {s: i for i, s in enumerate(STATUSES[::-1])}  # problems first


def _sort_key(d: DocumentVerdict) -> tuple[int, str]:
    return ORDER.get(d.status, 0), d.path


def _top(batch: BatchVerdict, generated_at: datetime | None, lang: str) -> str:
    """The language's page up to its problem list's documents."""
    moment = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    suffix = "" if lang == LANGS[0] else f"-{lang}"
    checked = nt(lang, CHECKED, batch.total).format(
        count=batch.total, time=local_time(moment, "31", lang))
    mode = (f'<p class="mode" id="mode{suffix}">'
            f"{escape(t(lang, W_SIGNATURES_ONLY))}"
            "</p>") if batch.signatures_only else ""
    if batch.ok:
        headline = nt(lang, ALL_GOOD_FORMS, batch.total).format(total=batch.total)
    else:
        problems = needing_attention(batch)
        headline = nt(lang, ATTENTION_FORMS, problems).format(problems=problems,
                                                              total=batch.total)
    more = "".join(f'<p class="more">{escape(m)}</p>' for m in more_problems(batch, lang))
    tiles = "".join(
        f'<div class="tile" style="border-color:{COLOURS[s]}"><b>'
        f"{batch.by_status.get(s, 0)}</b><span>{escape(status_label(s, lang))}</span>"
        "</div>" for s in STATUSES)
    tiles += (f'<div class="tile" style="border-color:{COLOURS["MISSING"]}"><b>'
              f"{len(batch.heads_without_document)}</b>"
              f"<span>{escape(status_label('MISSING', lang))}</span></div>")
    count = needing_attention(batch) + len(batch.heads_without_document) + \
        len(batch.duplicates) + len(batch.heads_missing)
    problems_title = t(lang, N_("Needs attention ({count})")).format(count=count)
    return (
        f'<div class="l-{lang}" lang="{lang}">'
        f"<header><h1>{escape(t(lang, W_VERIFICATION_REPORT))} &middot; Pakta "
        f"Integritas</h1><p>{escape(checked)}</p></header><main>{mode}"
        f'<div class="verdict {"ok" if batch.ok else "bad"}" id="verdict{suffix}">'
        f"{escape(headline)}</div>{more}"
        f'<div class="tiles" id="summary{suffix}">{tiles}</div>'
        + (f'<section id="problems{suffix}"><h2>{escape(problems_title)}</h2>'
           '<ol class="problems">' if count else ""))


def _middle(batch: BatchVerdict, lang: str) -> str:
    """After the problem list's documents: the batch's own problems, the tables, the
    documents' heading."""
    suffix = "" if lang == LANGS[0] else f"-{lang}"
    items = []
    for doc_id in batch.heads_without_document:
        items.append(f"<li>{_badge('MISSING', lang)} <b>{escape(doc_id)}</b>"
                     f'<div class="sentence">'
                     f"{escape(t(lang, W_NOT_FOUND_SENTENCE))}"
                     "</div></li>")
    no_document = escape(t(lang, N_("No document of this head among the files.")))
    for code, name, province in batch.heads_missing:
        items.append(f"<li>{_badge('MISSING', lang)} <b>{escape(code)}</b> &middot; "
                     f"{escape(name)} <small>{escape(province)}</small>"
                     f'<div class="sentence">{no_document}</div></li>')
    for doc_id in batch.duplicates:
        items.append(f"<li>{_badge('DUPLICATE', lang)} <b>{escape(doc_id)}</b>"
                     f'<div class="sentence">'
                     f"{escape(t(lang, W_TWICE_SENTENCE))}</div></li>")
    count = needing_attention(batch) + len(items)
    close = "</ol></section>" if count else ""
    return (
        "".join(items) + close
        + f"<section><h2>{escape(t(lang, W_PER_PROVINCE))}</h2>"
        + _count_table(f"provinces{suffix}", t(lang, N_("Province")), batch.by_province,
                       lang)
        + f"</section><section><h2>{escape(t(lang, W_PER_TEMPLATE))}</h2>"
        + _count_table(f"templates{suffix}", t(lang, N_("Template")), batch.by_template,
                       lang)
        + f'</section><section id="documents{suffix}"><h2>'
        + escape(t(lang, N_("All documents ({count}), problems first")).format(
            count=batch.total))
        + "</h2>")


BOTTOM = "</section></main></div>"
CHECKED = Np_("{count} file checked, report made {time}",
              "{count} files checked, report made {time}")


def _page_head() -> str:
    switch = "".join(f'<label for="lang-{lang}">{name}</label>'
                     for lang, name in (("id", "Bahasa Indonesia"), ("en", "English")))
    return ('<!doctype html>\n<html lang="id"><head><meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>Laporan verifikasi / Verification report &middot; pakta</title>\n"
            f"<style>{CSS}</style></head><body>\n"
            '<input class="lang" type="radio" name="lang" id="lang-id" checked>'
            '<input class="lang" type="radio" name="lang" id="lang-en">'
            f'<nav class="switch">{switch}</nav>\n')


class Writer:
    """The report to a text stream. Each document is rendered (problem entry and
    details, in each language) as soon as it is known and waits in a temporary file;
    only its place in the report's order is kept in memory."""

    def __init__(self, out: TextIO, generated_at: datetime | None = None) -> None:
        self.out = out
        self.generated_at = generated_at
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by finish)
        # (language, part, status rank, path, arrival, offset, length)
        self.index: list[tuple[int, int, int, str, int, int, int]] = []

    def _keep(self, lang: int, part: int, d: DocumentVerdict, text: str) -> None:
        data = text.encode("utf-8")
        offset = self.spool.tell()
        self.spool.write(data)
        self.index.append((lang, part, *_sort_key(d), len(self.index), offset, len(data)))

    def document(self, d: DocumentVerdict) -> None:
        for number, lang in enumerate(LANGS):
            if d.status != "COMPLETE":
                self._keep(number, 0, d, _problem(d, lang))
            self._keep(number, 1, d, _document(d, lang))

    def _parts(self, lang: int, part: int) -> None:
        for entry in self.index:
            if entry[0] == lang and entry[1] == part:
                offset, length = entry[-2:]
                self.spool.seek(offset)
                self.out.write(self.spool.read(length).decode("utf-8"))

    def finish(self, batch: BatchVerdict) -> None:
        try:
            self.index.sort()
            self.out.write(_page_head())
            for number, lang in enumerate(LANGS):
                self.out.write(_top(batch, self.generated_at, lang))
                self._parts(number, 0)
                self.out.write(_middle(batch, lang))
                self._parts(number, 1)
                self.out.write(BOTTOM + "\n")
            self.out.write("</body></html>\n")
        finally:
            self.spool.close()


def render(batch: BatchVerdict, generated_at: datetime | None = None) -> str:
    return render_with(lambda out: Writer(out, generated_at), batch)
