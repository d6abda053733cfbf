"""The QR code on every printout: the document's public id, its URL and its short code.

A document's public id is 128 random bits in base32 (26 letters and digits), kept in the
ledger beside the document: the QR code opens `{base_url}/d/{public id}` on `pakta
serve`, and ids cannot be enumerated. The short verification code printed beside the QR
code is the id's first 12 characters (60 bits, grouped by four) for typing by hand; the
page accepts either. The QR code is painted straight into the page as filled rectangles
when the PDF is written (WeasyPrint lays out only its empty box): vector, no raster
image, the page stays PDF/A, and it costs a fraction of a millisecond where an inline SVG
cost WeasyPrint 9 ms a document.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pydyf
    import weasyprint

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
ID_LENGTH = 26  # 128 bits in base32, without padding
CODE_LENGTH = 12  # the printed short code
_ALPHABET = re.compile(r"[a-z2-7]+")
PX_TO_PT = 0.75


def new_public_id() -> str:
    """128 random bits, lower-case base32 without padding."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def short_code(public_id: str) -> str:
    """'ABCD-EFGH-IJKL': the first 12 characters of the id, upper case, in groups of 4."""
    head = public_id[:CODE_LENGTH].upper()
    return "-".join(head[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_id(text: str) -> str | None:
    """A public id or a short code as typed ('abcd-efgh-ijkl', spaces, upper case) in
    its canonical form, or None when it cannot be one."""
    cleaned = re.sub(r"[\s-]", "", text).lower()
    if len(cleaned) in (ID_LENGTH, CODE_LENGTH) and _ALPHABET.fullmatch(cleaned):
        return cleaned
    return None


def document_url(base_url: str, public_id: str) -> str:
    return f"{base_url.rstrip('/')}/d/{public_id}"


ANCHOR = "qr-kode"  # the id of the QR code's empty box in the template


def matrix(data: str) -> list[bytes]:
    """The QR code's modules, a row of 0/1 bytes each (medium error correction)."""
    import segno

    # A fixed mask: choosing the best of eight costs 3 ms a document; any mask decodes.
    code = segno.make_qr(data, error="m", mask=0)
    return [bytes(row) for row in code.matrix]


def pdf_operators(data: str, rect: tuple[float, float, float, float]) -> bytes:
    """PDF drawing operators painting the QR code of `data` as black squares into `rect`
    (x1, y1, x2, y2 in points, y upward): one filled path of a rectangle per run of
    dark modules. Vector, in DeviceRGB like the page's text (PDF/A's sRGB intent)."""
    rows = matrix(data)
    x1, y1, x2, y2 = rect
    size = min(x2 - x1, y2 - y1)
    unit = size / len(rows)
    top = y2
    parts = [b"q 0 0 0 rg"]
    for i, row in enumerate(rows):
        y = top - (i + 1) * unit
        j = 0
        while j < len(row):
            if not row[j]:
                j += 1
                continue
            start = j
            while j < len(row) and row[j]:
                j += 1
            parts.append(b"%.3f %.3f %.3f %.3f re" % (
                x1 + start * unit, y, (j - start) * unit, unit))
    parts.append(b"f Q")
    return b"\n".join(parts)


@dataclass(frozen=True)
class Verification:
    """What the document's footer prints: the URL and the short code (the QR code itself
    is painted into the box `#qr-kode` when the PDF is written: `paint`)."""

    public_id: str
    url: str
    code: str

    @classmethod
    def of(cls, base_url: str, public_id: str) -> Verification:
        return cls(public_id, document_url(base_url, public_id), short_code(public_id))


def qr_box(document: weasyprint.Document) -> tuple[int, tuple[float, float, float, float]] | None:
    """The page and PDF rectangle (points, y upward) of the QR code's box, if laid out."""
    for index, page in enumerate(document.pages):
        anchor = page.anchors.get(ANCHOR)
        if anchor is not None:
            x1, y1, x2, y2 = anchor
            height = page.height * PX_TO_PT
            return index, (x1 * PX_TO_PT, height - y2 * PX_TO_PT,
                           x2 * PX_TO_PT, height - y1 * PX_TO_PT)
    return None


def paint(pdf: pydyf.PDF, page: int, rect: tuple[float, float, float, float],
          url: str) -> None:
    """Draw the QR code of `url` into `rect` on `page`, after the page's own drawing."""
    objects = pdf.objects
    page_object = objects[pdf.pages["Kids"][::3][page]]
    reference = page_object["Contents"]  # b"12 0 R"
    stream = objects[int(bytes(reference).split()[0])].stream
    # The page's drawing leaves its transformation in place: wrap it first.
    stream.insert(0, b"q")
    stream.extend([b"Q", pdf_operators(url, rect)])
