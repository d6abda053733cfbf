"""`pakta verify` reports by format: text, JSON (docs/report-schema.md), CSV, HTML.

`RENDERERS` turn a batch with its documents into one string; `WRITERS` stream a report
to a text stream, one document at a time (`document`), then the summary (`finish`, with
a batch whose documents need not be kept). Both give the same report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TextIO

from pakta.reports import csv, html, json, text
from pakta.reports.json import SCHEMA_VERSION
from pakta.verify import BatchVerdict, DocumentVerdict

to_text = text.render
to_json = json.render
to_csv = csv.render
to_html = html.render

RENDERERS: dict[str, Callable[[BatchVerdict], str]] = {
    "text": to_text, "json": to_json, "csv": to_csv, "html": to_html}


class ReportWriter(Protocol):
    def document(self, d: DocumentVerdict) -> None: ...

    def finish(self, batch: BatchVerdict) -> None: ...


WRITERS: dict[str, Callable[[TextIO], ReportWriter]] = {
    "text": text.Writer, "json": json.Writer, "csv": csv.Writer, "html": html.Writer}

__all__ = ["RENDERERS", "SCHEMA_VERSION", "WRITERS", "ReportWriter", "to_csv", "to_html",
           "to_json", "to_text"]
