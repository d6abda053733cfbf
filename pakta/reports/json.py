"""The JSON report of `pakta verify`: a stable, documented schema (docs/report-schema.md).

`schema_version` is 1. Within a version fields are only ever added, never renamed,
removed or given another meaning; a consumer must ignore fields it does not know.

`Writer` streams it: each document is encoded as soon as it is known and kept in a
temporary file until the summary, which comes first in the report, is known.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TextIO

from pakta.verify import STATUSES, BatchVerdict, DocumentVerdict

SCHEMA_VERSION = 1


def document_dict(d: DocumentVerdict) -> dict[str, Any]:
    data = asdict(d)
    data["ok"] = d.ok
    # each reason's sentence (English: scripts read it) and, since they were added, the
    # findings themselves: a stable code, its parameters and the sentence
    data["reasons"] = [r.message("en") for r in d.reasons]
    data["findings"] = [r.as_json() for r in d.reasons]
    return data


def report_dict(batch: BatchVerdict, generated_at: datetime | None = None) -> dict[str, Any]:
    from pakta import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pakta", "version": __version__},
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "ok": batch.ok,
        "summary": {
            "documents": batch.total,
            "by_status": {s: batch.by_status.get(s, 0) for s in STATUSES},
            "by_template": batch.by_template,
            "by_province": batch.by_province,
            "heads_without_document": list(batch.heads_without_document),
            "heads_missing": [{"code": c, "name": n, "province": p}
                              for c, n, p in batch.heads_missing],
            "incomplete": list(batch.incomplete),
            "duplicates": list(batch.duplicates),
            "unexpected": list(batch.unexpected),
            "errors": list(batch.errors),
        },
        "documents": [document_dict(d) for d in batch.documents],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class Writer:
    """The report to a text stream, byte for byte what `render` gives; the documents
    wait in a temporary file, not in memory."""

    def __init__(self, out: TextIO, generated_at: datetime | None = None) -> None:
        self.out = out
        self.generated_at = generated_at
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def document(self, d: DocumentVerdict) -> None:
        # each document at the depth of the "documents" list: two levels in
        text = "\n".join("    " + line for line in _dumps(document_dict(d)).split("\n"))
        self.spool.write(text if not self.count else ",\n" + text)
        self.count += 1

    def finish(self, batch: BatchVerdict) -> None:
        try:
            head = report_dict(batch, self.generated_at)
            head["documents"] = []
            text = _dumps(head)
            if not self.count:
                self.out.write(text + "\n")
                return
            empty = "[]\n}"
            if not text.endswith(empty):
                raise RuntimeError('"documents" must be the last key of the report')
            self.out.write(text[:-len(empty)] + "[\n")
            self.spool.seek(0)
            shutil.copyfileobj(self.spool, self.out)
            self.out.write("\n  ]\n}\n")
        finally:
            self.spool.close()


def render(batch: BatchVerdict, generated_at: datetime | None = None) -> str:
    return _dumps(report_dict(batch, generated_at)) + "\n"
