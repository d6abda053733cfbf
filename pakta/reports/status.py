"""`pakta status` as text, JSON, CSV or one self-contained HTML page."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from html import escape

from pakta.i18n import N_, _, language
from pakta.register import load_register
from pakta.status import STAGES, WITNESS_SLOT, Counts, DocumentStatus, StatusReport

STAGE_LABELS = {"rendered": N_("rendered only"), "head_signed": N_("signed by head"),
                "witness_signed": N_("signed by head and witness"),
                "verified": N_("verified")}
STAGE_COLOURS = {"rendered": "#c9ced6", "head_signed": "#f2b134",
                 "witness_signed": "#4a90d9", "verified": "#2e9d5b"}
JSON_SCHEMA_VERSION = 1
# The HTML page's words, in the process's language (`--lang`).
HTML_WORDS = {
    "rendered": N_("rendered"), "head_signed": N_("signed by head"),
    "witness_signed": N_("signed by witness"), "verified": N_("verified"),
    "per_province": N_("Per province"), "documents": N_("Documents"),
    "document": N_("Document"), "province": N_("Province"), "office": N_("Office"),
    "name": N_("Name"), "head": N_("Head"), "witness": N_("Witness"),
    "verification": N_("Verification"), "email": N_("E-mail")}


W_RENDERED, W_HEAD, W_WITNESS, W_VERIFIED = (N_("rendered"), N_("head"), N_("witness"),
                                              N_("verified"))


def _row(label: str, c: Counts, width: int) -> str:
    # columns as wide as their heading in the chosen language (at least 8)
    widths = [max(8, len(_(w))) for w in (W_RENDERED, W_HEAD, W_WITNESS, W_VERIFIED)]
    return f"{label:<{width}} " + " ".join(
        f"{n:>{w}}" for n, w in zip((c.rendered, c.head_signed, c.witness_signed,
                                     c.verified), widths, strict=True))


def to_text(report: StatusReport) -> str:
    width = max([len(p) for p in report.by_province] + [24])
    columns = [_(w) for w in (W_RENDERED, W_HEAD, W_WITNESS, W_VERIFIED)]
    header = f"{'':<{width}} " + " ".join(f"{c:>8}" for c in columns)
    lines = [_("By template"), header]
    lines += [_row(t, c, width) for t, c in report.by_template.items()]
    lines += ["", _("By province"), header]
    lines += [_row(p, c, width) for p, c in report.by_province.items()]
    lines += [_row(_("TOTAL"), report.total, width), ""]
    missing = report.missing_head
    if report.coverage is not None:
        lines += report.coverage.lines()
        lines.append(_("No head in the roster: {count}").format(
            count=len(report.coverage.missing)))
    lines.append(_("Waiting for the head's signature: {count}").format(count=len(missing)))
    lines += [f"  {d.doc_id}  {d.head_title}: {d.head_name}"
              + (f" <{d.email}>" if d.email else "") for d in missing]
    waiting = report.missing_witness
    lines.append(_("Waiting for the witness: {count}").format(count=len(waiting)))
    lines += [f"  {d.doc_id}" for d in waiting]
    lines.append(_("Last change: {time}").format(time=report.last_change or _("never")))
    return "\n".join(lines) + "\n"


def _doc_dict(d: DocumentStatus) -> dict[str, object]:
    data = asdict(d)
    data.update(head_signed=d.head_signed, witness_signed=d.witness_signed,
                verified=d.verified, missing_slots=list(d.missing_slots), stage=d.stage)
    return data


def to_json(report: StatusReport) -> str:
    return json.dumps({
        "schema_version": JSON_SCHEMA_VERSION,
        "total": asdict(report.total),
        "by_template": {k: asdict(v) for k, v in report.by_template.items()},
        "by_province": {k: asdict(v) for k, v in report.by_province.items()},
        "last_change": report.last_change,
        "coverage": report.coverage.as_json() if report.coverage else None,
        "documents": [_doc_dict(d) for d in report.documents],
    }, indent=2, ensure_ascii=False) + "\n"


def to_csv(report: StatusReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["doc_id", "template", "region_code", "province", "head_title",
                     "head_name", "email", "head_signed", "witness_signed", "verification",
                     "missing_slots", "last_change", "roster"])
    for d in report.documents:
        writer.writerow([d.doc_id, d.template, d.region_code, d.province, d.head_title,
                         d.head_name, d.email or "", d.head_signed,
                         d.witness_signed if WITNESS_SLOT in d.slots else "n/a",
                         d.verification or "", " ".join(d.missing_slots), d.last_change,
                         "listed"])
    # A row per region of the register with no head in the roster: nothing to sign yet.
    register = load_register()
    for region in report.coverage.missing if report.coverage else ():
        writer.writerow(["", "", region.code, register.province(region.code).name,
                         region.label, "", "", "", "", "", "", "", "missing"])
    return out.getvalue()


def _witness_cell(d: DocumentStatus) -> str:
    if WITNESS_SLOT not in d.slots:
        return "n/a"
    return "✔" if d.witness_signed else "—"


def _stage_counts(docs: list[DocumentStatus]) -> dict[str, int]:
    counts = dict.fromkeys(STAGES, 0)
    for d in docs:
        counts[d.stage] += 1
    return counts


def _chart(report: StatusReport) -> str:
    """One horizontal bar per province, split by the furthest stage each document reached."""
    provinces = list(report.by_province)
    bar_h, gap, label_w, bar_w = 16, 6, 210, 520
    height = len(provinces) * (bar_h + gap) + 10
    most = max((c.rendered for c in report.by_province.values()), default=1) or 1
    label = escape(_("Progress per province"))
    parts = [f'<svg role="img" aria-label="{label}" width="{label_w + bar_w + 60}"'
             f' height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, province in enumerate(provinces):
        y = i * (bar_h + gap) + 5
        parts.append(f'<text x="{label_w - 8}" y="{y + 12}" text-anchor="end" '
                     f'class="lbl">{escape(province)}</text>')
        x = float(label_w)
        docs = [d for d in report.documents if d.province == province]
        for stage, n in reversed(list(_stage_counts(docs).items())):
            if not n:
                continue
            w = bar_w * n / most
            parts.append(f'<rect class="bar {stage}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                         f'height="{bar_h}" fill="{STAGE_COLOURS[stage]}">'
                         f"<title>{escape(province)}: {n} {escape(_(STAGE_LABELS[stage]))}"
                         "</title></rect>")
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 12}" class="lbl">{len(docs)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: StatusReport, title: str | None = None) -> str:
    t = report.total
    title = title or _("Signing status")
    w = {key: escape(_(message)) for key, message in HTML_WORDS.items()}
    legend = "".join(f'<span class="key"><i style="background:{STAGE_COLOURS[s]}"></i>'
                     f"{escape(_(STAGE_LABELS[s]))}</span>" for s in reversed(STAGES))
    rows = "".join(
        f'<tr class="{d.stage}"><td>{escape(d.doc_id)}</td><td>{escape(d.province)}</td>'
        f"<td>{escape(d.head_title)}</td><td>{escape(d.head_name)}</td>"
        f"<td>{'✔' if d.head_signed else '—'}</td>"
        f"<td>{_witness_cell(d)}</td>"
        f"<td>{escape(d.verification or '')}</td>"
        f"<td>{escape(d.email or '')}</td></tr>" for d in report.documents)
    return f"""<!doctype html>
<html lang="{language()}"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #1d232b; }}
h1 {{ font-size: 1.4em; }} .lbl {{ font: 12px system-ui, sans-serif; fill: #1d232b; }}
.tiles {{ display: flex; gap: 1em; margin: 1em 0; }}
.tile {{ border-radius: 6px; padding: .6em 1em; background: #f2f4f7; min-width: 9em; }}
.tile b {{ display: block; font-size: 1.6em; }}
.key {{ margin-right: 1.2em; font-size: .9em; }}
.key i {{ display: inline-block; width: .9em; height: .9em; margin-right: .3em; }}
table {{ border-collapse: collapse; width: 100%; font-size: .85em; margin-top: 1em; }}
th, td {{ border-bottom: 1px solid #dde1e6; padding: .3em .5em; text-align: left; }}
tr.verified td:first-child {{ border-left: 4px solid {STAGE_COLOURS['verified']}; }}
tr.witness_signed td:first-child {{ border-left: 4px solid {STAGE_COLOURS['witness_signed']}; }}
tr.head_signed td:first-child {{ border-left: 4px solid {STAGE_COLOURS['head_signed']}; }}
tr.rendered td:first-child {{ border-left: 4px solid {STAGE_COLOURS['rendered']}; }}
</style></head><body>
<h1>{escape(title)}</h1>
<div class="tiles" id="summary">
<div class="tile"><b>{t.rendered}</b>{w["rendered"]}</div>
<div class="tile"><b>{t.head_signed}</b>{w["head_signed"]}</div>
<div class="tile"><b>{t.witness_signed}</b>{w["witness_signed"]}</div>
<div class="tile"><b>{t.verified}</b>{w["verified"]}</div>
</div>
<p>{escape(_("Last change: {time}").format(time=report.last_change or _("never")))}</p>
{_coverage_html(report)}
<h2>{w["per_province"]}</h2><p>{legend}</p>
{_chart(report)}
<h2>{w["documents"]}</h2>
<table id="documents"><thead><tr><th>{w["document"]}</th><th>{w["province"]}</th>
<th>{w["office"]}</th><th>{w["name"]}</th><th>{w["head"]}</th><th>{w["witness"]}</th>
<th>{w["verification"]}</th><th>{w["email"]}</th></tr></thead>
<tbody>{rows}</tbody></table>
</body></html>
"""


def _coverage_html(report: StatusReport) -> str:
    """How many regions of the register have a head in the roster; the others by province."""
    if report.coverage is None:
        return ""
    groups = "".join(
        f"<li><b>{escape(province)}</b> ({len(regions)}): "
        + ", ".join(f'<span class="region">{escape(r.code)} {escape(r.label)}</span>'
                    for r in regions) + "</li>"
        for province, regions in report.coverage.missing_by_province().items())
    heading = escape(_("Regions of the register"))
    missing = escape(_("No head in the roster"))
    return (f'<section id="coverage"><h2>{heading}</h2>'
            f"<p>{escape(report.coverage.summary())}</p>"
            + (f"<h3>{missing}</h3><ul>{groups}</ul>" if groups else "") + "</section>")


RENDERERS = {"text": to_text, "json": to_json, "csv": to_csv, "html": to_html}
