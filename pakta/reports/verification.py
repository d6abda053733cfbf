"""`pakta verify` reports: text, JSON (schema below), CSV (a row per document), HTML.

JSON schema, version 1 (stable; fields are only ever added):

    {"schema_version": 1, "ok": bool,
     "summary": {"documents": int, "by_status": {STATUS: int},
                 "by_template": {TEMPLATE: {STATUS: int}},
                 "by_province": {PROVINCE: {STATUS: int}},
                 "heads_without_document": [DOC_ID], "duplicates": [DOC_ID]},
     "documents": [{"path", "sha256", "status", "reasons": [str], "doc_id", "template",
                    "region_code", "province", "head", "missing_slots": [str],
                    "signatures": [{"field", "page", "indication", "sub_indication",
                                    "intact", "valid", "trusted", "signer_name",
                                    "signer_serial", "cert_sha256", "signing_time",
                                    "timestamp", "timestamp_trusted", "revoked",
                                    "key_usage_ok", "level", "coverage", "modification",
                                    "covered_bytes"}]}]}

STATUS is COMPLETE, INCOMPLETE, INVALID, UNKNOWN or ERROR; an indication is
TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from html import escape

from pakta.verify import BatchVerdict

SCHEMA_VERSION = 1
COLOURS = {"COMPLETE": "#2e9d5b", "INCOMPLETE": "#f2b134", "INVALID": "#d64545",
           "UNKNOWN": "#8a63d2", "ERROR": "#6b7280"}


def to_json(batch: BatchVerdict) -> str:
    return json.dumps({
        "schema_version": SCHEMA_VERSION, "ok": batch.ok,
        "summary": {"documents": len(batch.documents), "by_status": batch.by_status,
                    "by_template": batch.by_template, "by_province": batch.by_province,
                    "heads_without_document": list(batch.heads_without_document),
                    "duplicates": list(batch.duplicates)},
        "documents": [asdict(d) for d in batch.documents],
    }, indent=2, ensure_ascii=False) + "\n"


def to_csv(batch: BatchVerdict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["path", "status", "doc_id", "template", "region_code", "province",
                     "head", "signatures", "signers", "indications", "missing_slots",
                     "reasons", "sha256"])
    for d in batch.documents:
        writer.writerow([d.path, d.status, d.doc_id or "", d.template or "",
                         d.region_code or "", d.province or "", d.head or "",
                         len(d.signatures), "; ".join(s.signer_name for s in d.signatures),
                         "; ".join(f"{s.field}={s.indication}" for s in d.signatures),
                         " ".join(d.missing_slots), "; ".join(d.reasons), d.sha256])
    return out.getvalue()


def to_text(batch: BatchVerdict) -> str:
    lines = []
    for d in batch.documents:
        lines.append(f"{d.status:<10} {d.path}")
        for s in d.signatures:
            sub = f" / {s.sub_indication}" if s.sub_indication else ""
            lines.append(f"           {s.field}: {s.indication}{sub}, {s.signer_name}, "
                         f"{s.level}, changes after: {s.modification}")
        lines.extend(f"           - {r}" for r in d.reasons)
    lines.append("")
    lines.append("Summary")
    for status, n in sorted(batch.by_status.items()):
        lines.append(f"  {status:<12} {n}")
    if batch.heads_without_document:
        lines.append(f"  issued but not found: {len(batch.heads_without_document)}")
        lines.extend(f"    {d}" for d in batch.heads_without_document[:20])
    if batch.duplicates:
        lines.append(f"  found more than once: {', '.join(batch.duplicates)}")
    lines.append(f"Result: {'OK' if batch.ok else 'PROBLEMS FOUND'} "
                 f"({len(batch.documents)} files)")
    return "\n".join(lines) + "\n"


def to_html(batch: BatchVerdict) -> str:
    tiles = "".join(
        f'<div class="tile" style="border-color:{COLOURS.get(s, "#999")}"><b>{n}</b>'
        f"{escape(s)}</div>" for s, n in sorted(batch.by_status.items()))
    statuses = sorted(COLOURS)
    head = "".join(f"<th>{s}</th>" for s in statuses)
    provinces = "".join(
        f"<tr><td>{escape(p)}</td>" + "".join(f"<td>{c.get(s, 0)}</td>" for s in statuses)
        + "</tr>" for p, c in batch.by_province.items())
    docs = []
    for d in batch.documents:
        sigs = "".join(
            f"<li>{escape(s.field)}: <b>{escape(s.indication)}</b>"
            f"{' / ' + escape(s.sub_indication) if s.sub_indication else ''} — "
            f"{escape(s.signer_name)}, {escape(s.level)}, changes after: "
            f"{escape(s.modification)}</li>" for s in d.signatures)
        reasons = "".join(f"<li>{escape(r)}</li>" for r in d.reasons)
        docs.append(
            f'<details class="doc"><summary><span class="badge" style="background:'
            f'{COLOURS.get(d.status, "#999")}">{escape(d.status)}</span> '
            f"{escape(d.doc_id or d.path)} <small>{escape(d.head or '')}</small></summary>"
            f"<p>{escape(d.path)}<br><code>{escape(d.sha256)}</code></p>"
            f"<ul>{sigs}{reasons}</ul></details>")
    missing = "".join(f"<li>{escape(m)}</li>" for m in batch.heads_without_document)
    verdict = "OK" if batch.ok else "PROBLEMS FOUND"
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>pakta verification report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #1d232b; }}
.tiles {{ display: flex; gap: 1em; }} .tile {{ border-left: 6px solid; padding: .5em 1em;
 background: #f2f4f7; min-width: 8em; }} .tile b {{ display: block; font-size: 1.6em; }}
.verdict {{ font-size: 1.3em; font-weight: bold; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border-bottom: 1px solid #dde1e6; padding: .25em .7em; text-align: right; }}
td:first-child {{ text-align: left; }}
.badge {{ color: white; border-radius: 4px; padding: 0 .4em; font-size: .85em; }}
details.doc {{ border-bottom: 1px solid #eee; padding: .3em 0; }}
</style></head><body>
<h1>Verification report</h1>
<p class="verdict" id="verdict">{verdict}: {len(batch.documents)} files</p>
<div class="tiles" id="summary">{tiles}</div>
<h2>Per province</h2>
<table id="provinces"><tr><th>Province</th>{head}</tr>{provinces}</table>
<h2>Issued but not found ({len(batch.heads_without_document)})</h2><ul>{missing}</ul>
<h2>Documents</h2>
{''.join(docs)}
</body></html>
"""


RENDERERS = {"text": to_text, "json": to_json, "csv": to_csv, "html": to_html}
