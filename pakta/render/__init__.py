"""The render stage: roster and templates in, one PDF/A per document out.

- `templating`: the Jinja environment, the template catalogue and its filters
  (`wording`: how a head's capacity is worded);
- `layout`: the `Renderer`, which lays a document out with WeasyPrint and writes it;
- `stencil`: invariant blocks laid out once per batch and painted into every document;
- `pagefit`: whether a document fits its pages;
- `qr`: the document's public id and the QR code painted in its footer;
- `fields`: the empty signature fields and the PDF's file identifier;
- `jobs`: what a batch renders (`plan_jobs`);
- `batches`: the batch driver over `pakta.batch`, with the ledger check that makes a
  rerun skip what is rendered.
"""

from pakta.render.batches import RenderOutcome, RenderSummary, render_batch
from pakta.render.fields import SlotBox, add_signature_fields
from pakta.render.jobs import RenderJob, doc_id_for, plan_jobs, with_public_ids
from pakta.render.layout import PDF_VARIANT, RenderedDocument, Renderer

__all__ = [
    "PDF_VARIANT",
    "RenderJob",
    "RenderOutcome",
    "RenderSummary",
    "RenderedDocument",
    "Renderer",
    "SlotBox",
    "add_signature_fields",
    "doc_id_for",
    "plan_jobs",
    "render_batch",
    "with_public_ids",
]
