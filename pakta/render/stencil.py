"""Invariant blocks laid out once per batch, then drawn into every document.

Most of a pact is the same for every head: the numbered points and the closing
sentence are the official text, word for word. WeasyPrint lays out every document from
scratch, and that text is most of its layout and drawing time. A template marks such a
block:

    {% call stencil() %}<ol>...</ol><p>...</p>{% endcall %}

The first time a block's content is seen, it is rendered alone, with the same
stylesheets on the same page width, and its drawing (a Form XObject with its own font
subsets) is kept. Every document then lays out an empty box of the block's height in
its place, and the kept drawing is painted into that box: the same glyphs at the same
positions, as real text (searchable, extractable), at a fraction of the cost.

A stencil is keyed by the template, the block's classes and its rendered HTML. A call
whose content varies per head gets a stencil for its first two contents and is then
laid out in place; a box that does not land as the block would (another width or
height: nested in a narrower box) makes that block fall back to the ordinary layout.
The block has a box of its own (`display: flow-root`, or the classes it is given, like
a floated column), so that the look does not depend on which path drew it; an element
with an id inside it (a signature slot) is placed from the stencil's layout.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

if TYPE_CHECKING:
    import pydyf
    import weasyprint

PX_TO_PT = 0.75
STENCIL_CLASS = "pakta-stencil"
# The block's own box: margins of its first and last children stay inside it, so the
# space around it is the neighbours' margins, whichever path draws it.
STENCIL_CSS = f"""
.{STENCIL_CLASS} {{ display: flow-root; break-inside: avoid; margin: 0; padding: 0;
                   border: 0; }}
.{STENCIL_CLASS} > :first-child {{ margin-top: 0; }}
.{STENCIL_CLASS} > :last-child {{ margin-bottom: 0; }}
"""
VARYING = 2  # distinct contents after which a stencil() call is laid out in place
REFERENCE = re.compile(rb"^(\d+) 0 R$")
SUBSET_TAG = re.compile(rb"^/([A-Z]{6})\+")
BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in CSS px, y downward


@dataclass(frozen=True)
class Block:
    """What a stencil() call wrapped: its content, and the classes of its own box (a
    block may be, say, a floated column: `stencil("ttd kiri")`)."""

    classes: str
    content: str

    def html(self, key: str | None = None, style: str = "", empty: bool = False) -> Markup:
        anchor = f' id="stencil-{key}"' if key else ""
        styled = f' style="{style}"' if style else ""
        classes = escape(f"{STENCIL_CLASS} {self.classes}".strip())
        inner = "" if empty else self.content
        return Markup(f'<div class="{classes}"{anchor}{styled}>{inner}</div>')


@jinja2.pass_context
def stencil_call(context: jinja2.runtime.Context, classes: str = "", *,
                 caller: Callable[[], str]) -> Markup:
    """The `stencil()` Jinja global. Without a renderer's book (a plain Jinja render,
    or a document that fell back) the block is written in place, in its own box."""
    block = Block(classes, str(caller()))
    book = context.get("_stencils")
    if isinstance(book, StencilBook):
        return book.placeholder(block)
    return block.html()


@dataclass(frozen=True)
class _Captured:
    """One PDF object of a stencil, serialised once: literal bytes, with the indexes of
    the other captured objects it refers to in between (renumbered per document)."""

    parts: tuple[bytes | int, ...]
    is_stream: bool


@dataclass(frozen=True, eq=False)
class Sheet:
    """The stencils of one document's blocks, painted together, one per page: a Form
    XObject per block, sharing one subset of each font."""

    objects: tuple[_Captured, ...]


@dataclass(frozen=True)
class Stencil:
    key: str
    block: Block
    box: Box  # on its own page
    page_height_pt: float
    sheet: Sheet
    form: int  # the index of its Form XObject in the sheet
    anchors: tuple[tuple[str, Box], ...] = ()  # elements with an id inside (slots)

    @property
    def height_px(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class Placement:
    stencil: Stencil
    page: int
    box: Box  # where its empty box landed

    def anchors(self) -> dict[str, Box]:
        """The stencil's inner anchors where they landed in this document."""
        dx = self.box[0] - self.stencil.box[0]
        dy = self.box[1] - self.stencil.box[1]
        return {name: (x1 + dx, y1 + dy, x2 + dx, y2 + dy)
                for name, (x1, y1, x2, y2) in self.stencil.anchors}


class StencilBook:
    """The stencils of one renderer, and the blocks the current document asks for."""

    def __init__(self, build: Callable[[dict[str, Block], str], dict[str, Stencil | None]]
                 ) -> None:
        # ({key: block}, the document's HTML) -> each block rendered alone, or None
        # for one that cannot be a stencil (longer than a page)
        self._build = build
        self._stencils: dict[str, Stencil | None] = {}
        self.template = ""
        self.missing: dict[str, Block] = {}  # seen but not built yet
        self.used: list[Stencil] = []
        # The contents built for each call of stencil() in a template: a call whose
        # content varies per head is not worth a stencil for every head.
        self._built_at: dict[tuple[str, int], set[str]] = {}
        self._call = 0

    def start(self, template: str) -> None:
        self.template = template
        self.missing = {}
        self.used = []
        self._call = 0

    def key_of(self, block: Block) -> str:
        digest = hashlib.sha256(f"{self.template}\0{block.classes}\0{block.content}".encode())
        return digest.hexdigest()[:16]

    def placeholder(self, block: Block) -> Markup:
        key = self.key_of(block)
        self._call += 1
        if key not in self._stencils:
            built = self._built_at.setdefault((self.template, self._call), set())
            if len(built) < VARYING:
                built.add(key)
                self.missing[key] = block
            return block.html()
        stencil = self._stencils[key]
        if stencil is None or stencil in self.used:  # twice in one document: in place
            return block.html()
        self.used.append(stencil)
        return block.html(key, f"height: {stencil.height_px!r}px", empty=True)

    def drop(self, stencils: list[Stencil]) -> None:
        """Blocks that cannot be stencils here: written in place from now on."""
        for stencil in stencils:
            self._stencils[stencil.key] = None

    def build_missing(self, html: str) -> bool:
        """Build what the last document asked for; True if there was anything."""
        if not self.missing:
            return False
        self._stencils.update(self._build(self.missing, html))
        self.missing = {}
        return True


def stencil_document(html: str, blocks: dict[str, Block]) -> str:
    """The blocks alone, one per page, under the document's own <head> and <body> tag,
    so that the same stylesheets, language and inherited styles apply."""
    body = BODY_TAG.search(html)
    if body is None:
        raise ValueError("a template using stencil() needs a <body> tag")
    # A page each, in a plain block: a floated block would not break a page itself.
    pages = "".join(f'<div style="break-before: page">{block.html(key)}</div>'
                    for key, block in blocks.items())
    return f"{html[:body.end()]}{pages}</body></html>"


def capture(pdf: pydyf.PDF) -> tuple[list[float], list[int], Sheet]:
    """Every page of a rendered stencil document as a Form XObject, with every object
    they need (fonts, graphics states), ready to be copied into other PDFs: the pages'
    heights in points, the index of each page's form, and the captured objects."""
    import pydyf

    objects = pdf.objects
    order: list[Any] = []
    index: dict[int, int] = {}  # object number in the stencil PDF -> capture index

    def mark(value: Any) -> Any:
        """A copy of `value` with every reference replaced by a \\0index\\0 marker."""
        if isinstance(value, bytes):
            match = REFERENCE.match(value)
            if match is None:
                return value
            number = int(match.group(1))
            if number not in index:
                index[number] = len(order)
                order.append(objects[number])
            return b"\0%d\0" % index[number]
        if isinstance(value, pydyf.Dictionary):
            return pydyf.Dictionary({
                k: _retagged(v) if k in ("BaseFont", "FontName") else mark(v)
                for k, v in value.items()})
        if isinstance(value, pydyf.Array):
            return pydyf.Array([mark(v) for v in value])
        return value

    heights, forms = [], []
    for number in pdf.pages["Kids"][::3]:
        page = objects[number]
        contents = objects[_number(page["Contents"])]
        resources = _resolve(objects, page["Resources"])
        left, top, right, bottom = page["MediaBox"]
        heights.append(float(bottom) - float(top))
        forms.append(len(order))
        order.append(pydyf.Stream(list(contents.stream), pydyf.Dictionary({
            "Type": "/XObject", "Subtype": "/Form",
            "BBox": pydyf.Array([left, top, right, bottom]),
            "Resources": pydyf.Dictionary({
                name: value for name, value in resources.items()
                if name in ("Font", "ExtGState", "ColorSpace", "Pattern", "Shading",
                            "XObject")
            }),
        }), compress=True))

    captured = []
    position = 0
    while position < len(order):  # `order` grows as references are found
        obj = order[position]
        position += 1
        if isinstance(obj, pydyf.Stream):
            data = pydyf.Stream(obj.stream, mark(pydyf.Dictionary(obj.extra)),
                                obj.compress).data
            head, separator, body = data.partition(b"\nstream\n")
            captured.append(_Captured(_split(head) + (separator + body,), True))
        else:
            captured.append(_Captured(_split(mark(obj).data), False))
    return heights, forms, Sheet(tuple(captured))


def _retagged(name: Any) -> Any:
    """A subset font's name with another tag: WeasyPrint tags a font's subsets by the
    font alone, and two different subsets in one file must not share a name (a viewer
    may take one for the other)."""
    if isinstance(name, str):
        name = name.encode()
    match = SUBSET_TAG.match(name)
    if match is None:
        return name
    tag = bytes((letter - 65 + 13) % 26 + 65 for letter in match.group(1))
    return b"/" + tag + name[match.end(1):]


def _split(data: bytes) -> tuple[bytes | int, ...]:
    pieces = data.split(b"\0")
    return tuple(int(p) if i % 2 else p for i, p in enumerate(pieces))


def _number(reference: Any) -> int:
    match = REFERENCE.match(reference)
    if match is None:
        raise ValueError(f"not a reference: {reference!r}")
    return int(match.group(1))


def _resolve(objects: list[Any], value: Any) -> Any:
    return objects[_number(value)] if isinstance(value, bytes) else value


class _Raw:
    """A serialised object, written by pydyf as it is."""

    def __init__(self, stream: bool) -> None:
        self.number = 0  # set by pydyf's add_object
        self.offset = 0
        self.generation = 0
        self.free = "n"
        self.data = b""
        self.compressible = not stream

    @property
    def indirect(self) -> bytes:
        return b"%d 0 obj\n%s\nendobj" % (self.number, self.data)

    @property
    def reference(self) -> bytes:
        return b"%d 0 R" % self.number


def paint(pdf: pydyf.PDF, placements: list[Placement]) -> None:
    """Copy the sheets of the placed stencils into `pdf` (once each) and draw every
    stencil in its box."""
    import pydyf

    objects = pdf.objects
    pages = pdf.pages["Kids"][::3]
    copied: dict[Sheet, list[_Raw]] = {}
    draws: dict[int, list[bytes]] = {}  # page index -> its stencils' drawing operators
    for n, placement in enumerate(placements):
        stencil = placement.stencil
        copies = copied.get(stencil.sheet)
        if copies is None:
            copies = copied[stencil.sheet] = _copy(pdf, stencil.sheet)
        page = objects[pages[placement.page]]
        page_height = float(page["MediaBox"][3]) - float(page["MediaBox"][1])
        dx = (placement.box[0] - stencil.box[0]) * PX_TO_PT
        dy = (page_height - stencil.page_height_pt
              - (placement.box[1] - stencil.box[1]) * PX_TO_PT)
        name = f"PaktaStencil{n}"
        resources = _resolve(objects, page["Resources"])
        xobjects = resources.setdefault("XObject", pydyf.Dictionary())
        _resolve(objects, xobjects)[name] = copies[stencil.form].reference
        draws.setdefault(placement.page, []).append(
            f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm /{name} Do Q".encode())
    for number, operators in draws.items():
        contents = objects[_number(objects[pages[number]]["Contents"])]
        # The page's own drawing leaves its transformation in place: wrap it, then draw
        # the stencils from the page's untransformed space.
        contents.stream.insert(0, b"q")
        contents.stream.extend([b"Q", *operators])


def _copy(pdf: pydyf.PDF, sheet: Sheet) -> list[_Raw]:
    copies = [_Raw(c.is_stream) for c in sheet.objects]
    for copy in copies:
        pdf.add_object(copy)
    for copy, captured in zip(copies, sheet.objects, strict=True):
        copy.data = b"".join(copies[p].reference if isinstance(p, int) else p
                             for p in captured.parts)
    return copies


def placements(document: weasyprint.Document, used: list[Stencil]
               ) -> tuple[list[Placement], list[Stencil]]:
    """Where each used stencil's empty box landed, and the stencils whose box did not
    land as their block would (another width or height: the block is nested in a box
    of another width, or its own box has vertical padding)."""
    found, misfits = [], []
    for stencil in used:
        anchor = f"stencil-{stencil.key}"
        located = next(((number, page.anchors[anchor])
                        for number, page in enumerate(document.pages)
                        if anchor in page.anchors), None)
        if located is None:
            misfits.append(stencil)
            continue
        number, box = located
        if any(abs((box[i] - box[i - 2]) - (stencil.box[i] - stencil.box[i - 2])) > 0.01
               for i in (2, 3)) or abs(box[0] - stencil.box[0]) > 0.01:
            misfits.append(stencil)
            continue
        found.append(Placement(stencil, number, tuple(box)))
    return found, misfits
