"""Signature fields and the PDF's file identifier, added as the PDF is written.

`slot_boxes` finds where each signature slot landed in the layout (the template's
`id="slot-<name>"` elements); `add_signature_fields` writes an empty /Sig field with a
widget over each, in the same single revision as the page content; `with_file_identifier`
puts the /ID that PDF/A requires into the trailer afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pakta.errors import TemplateError
from pakta.i18n import _

if TYPE_CHECKING:
    import pydyf
    import weasyprint

PX_TO_PT = 0.75  # CSS px are 1/96 in, PDF points 1/72 in


@dataclass(frozen=True)
class SlotBox:
    """Where a signature slot landed: page index and PDF rectangle in points."""

    name: str
    page: int
    rect: tuple[float, float, float, float]  # x1, y1, x2, y2; PDF y grows upward



def slot_boxes(
    document: weasyprint.Document, slots: Sequence[str], template: str,
    stencilled: Sequence[dict[str, Any]] = (),
) -> tuple[SlotBox, ...]:
    """The PDF rectangle of every declared slot, taken from the layout (or from the
    stencil it is drawn with)."""
    boxes = []
    for name in slots:
        for index, page in enumerate(document.pages):
            anchor = page.anchors.get(f"slot-{name}")
            if anchor is None and index < len(stencilled):
                anchor = stencilled[index].get(f"slot-{name}")
            if anchor is None:
                continue
            x1, y1, x2, y2 = anchor
            height = page.height * PX_TO_PT
            rect = (round(x1 * PX_TO_PT, 2), round(height - y2 * PX_TO_PT, 2),
                    round(x2 * PX_TO_PT, 2), round(height - y1 * PX_TO_PT, 2))
            if rect[2] - rect[0] < 1 or rect[3] - rect[1] < 1:
                raise TemplateError(_("template '{template}': slot '{name}' has an empty "
                                      "box").format(template=template, name=name),
                                    hint=_("give the slot element a width and a height"))
            boxes.append(SlotBox(name, index, rect))
            break
        else:
            raise TemplateError(_("template '{template}': slot '{name}' is not laid out").format(
                                    template=template, name=name),
                                hint=_("is the element hidden (display: none)?"))
    return tuple(boxes)


def add_signature_fields(pdf: pydyf.PDF, slots: Sequence[SlotBox]) -> None:
    """Empty /Sig fields with widgets over the slots, written in the same revision."""
    import pydyf

    if not slots:
        return
    page_numbers = pdf.pages["Kids"][::3]
    form = pdf.catalog.get("AcroForm")
    if form is None:
        form = pydyf.Dictionary({"Fields": pydyf.Array()})
        pdf.catalog["AcroForm"] = form
    # SignaturesExist | AppendOnly: the document has signature fields, and an editor must
    # save it incrementally. Set now, signing never has to rewrite the catalog.
    form["SigFlags"] = 3
    for slot in slots:
        page = pdf.objects[page_numbers[slot.page]]
        x1, y1, x2, y2 = slot.rect
        # PDF/A wants an appearance for every widget: an empty one until it is signed.
        appearance = pydyf.Stream([], {
            "Type": "/XObject", "Subtype": "/Form",
            "BBox": pydyf.Array([0, 0, round(x2 - x1, 2), round(y2 - y1, 2)]),
        })
        pdf.add_object(appearance)
        widget = pydyf.Dictionary({
            "Type": "/Annot", "Subtype": "/Widget", "FT": "/Sig",
            "T": pydyf.String(slot.name),
            "TU": pydyf.String(f"Tanda tangan: {slot.name}"),
            "Rect": pydyf.Array(slot.rect),
            "F": 4,  # print
            "P": page.reference,
            "AP": pydyf.Dictionary({"N": appearance.reference}),
        })
        pdf.add_object(widget)
        page.setdefault("Annots", pydyf.Array()).append(widget.reference)
        form["Fields"].append(widget.reference)


def with_file_identifier(pdf: bytes, identifier: str) -> bytes:
    """`pdf` with /ID in its trailer (PDF/A requires one), put first in the dictionary
    of the final cross-reference section: only bytes after its start move, and no
    offset points there."""
    start = int(pdf[pdf.rindex(b"startxref") + len(b"startxref"):].split()[0])
    head = pdf.index(b"<<", start) + 2
    if not re.fullmatch(r"[0-9a-f]{32}", identifier):
        raise ValueError("a file identifier is 32 hex digits")
    value = identifier.encode()
    return pdf[:head] + b"/ID [(%s) (%s)]" % (value, value) + pdf[head:]
