"""Verification reports: text, JSON, CSV and HTML."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pakta.verify import BatchVerdict


def render_with(writer: Any, batch: BatchVerdict) -> str:
    """A whole report as one string, through the format's streaming writer."""
    out = io.StringIO()
    stream = writer(out)
    for document in batch.documents:
        stream.document(document)
    stream.finish(batch)
    return out.getvalue()
