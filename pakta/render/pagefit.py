"""Does a laid-out document fit its pages? An official signs a one-page pact whose
signature block sits under its text, never a page 2 holding only the signature, nor a
signature box cut in two by a page break.

A template says how many pages it may take with `data-pakta-pages` on its <html> tag
(the built-in base layout: 1). Without it, only split slots are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pakta.i18n import _

if TYPE_CHECKING:
    import weasyprint

PAGES_ATTRIBUTE = re.compile(
    r"""<html\b[^>]*\bdata-pakta-pages\s*=\s*["']?(\d+)""", re.IGNORECASE)


def page_limit(html: str) -> int | None:
    """The pages a document may take, as its <html> tag says; None: no limit."""
    match = PAGES_ATTRIBUTE.search(html)
    return int(match.group(1)) if match else None


def overflow(document: weasyprint.Document, slots: Sequence[str], limit: int | None,
             stencilled: Sequence[Mapping[str, Any]] = ()) -> str | None:
    """What does not fit, in a sentence for the person who renders; None if it fits.

    `stencilled` holds, per page, the anchors of the blocks painted from stencils (a
    slot drawn with its stencil is not among the page's own anchors)."""
    pages_of: dict[str, list[int]] = {name: [] for name in slots}
    for index, page in enumerate(document.pages):
        inner = stencilled[index] if index < len(stencilled) else {}
        for name in slots:
            if f"slot-{name}" in page.anchors or f"slot-{name}" in inner:
                pages_of[name].append(index + 1)
    for name, pages in pages_of.items():
        if len(pages) > 1:
            return _("the signature box '{slot}' is split across pages {first} and "
                     "{second}").format(slot=name, first=pages[0], second=pages[1])
    if limit is None or len(document.pages) <= limit:
        return None
    for name, pages in pages_of.items():
        if pages and pages[0] > limit:
            return _("the signature block '{slot}' is pushed to page {page}; the document "
                     "must fit on {limit} page(s)").format(slot=name, page=pages[0],
                                                            limit=limit)
    return _("the text runs on to page {page} from \"{start}\"; the document must fit "
             "on {limit} page(s)").format(page=limit + 1, limit=limit,
                                          start=first_text(document.pages[limit]))


def first_text(page: Any, length: int = 60) -> str:
    """The first words laid out on a page, to say what overflowed. WeasyPrint has no
    public walk of a page's boxes: its page box, read only, and nothing if it is gone."""
    root = getattr(page, "_page_box", None)
    words = " ".join(box.text for box in (root.descendants() if root else ())
                     if isinstance(getattr(box, "text", None), str)).split()
    text = " ".join(words)
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"
