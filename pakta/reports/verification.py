"""`pakta verify` reports by format: text, JSON (docs/report-schema.md), CSV, HTML."""

from __future__ import annotations

from collections.abc import Callable

from pakta.reports import csv, html, json, text
from pakta.reports.json import SCHEMA_VERSION
from pakta.verify import BatchVerdict

to_text = text.render
to_json = json.render
to_csv = csv.render
to_html = html.render

RENDERERS: dict[str, Callable[[BatchVerdict], str]] = {
    "text": to_text, "json": to_json, "csv": to_csv, "html": to_html}

__all__ = ["RENDERERS", "SCHEMA_VERSION", "to_csv", "to_html", "to_json", "to_text"]
