"""The JSON report of `pakta verify`: a stable, documented schema (docs/report-schema.md).

`schema_version` is 1. Within a version fields are only ever added, never renamed,
removed or given another meaning; a consumer must ignore fields it does not know.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pakta.verify import STATUSES, BatchVerdict, DocumentVerdict

SCHEMA_VERSION = 1


def document_dict(d: DocumentVerdict) -> dict[str, Any]:
    data = asdict(d)
    data["ok"] = d.ok
    return data


def report_dict(batch: BatchVerdict, generated_at: datetime | None = None) -> dict[str, Any]:
    from pakta import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pakta", "version": __version__},
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "ok": batch.ok,
        "summary": {
            "documents": len(batch.documents),
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


def render(batch: BatchVerdict) -> str:
    return json.dumps(report_dict(batch), indent=2, ensure_ascii=False) + "\n"
