"""pyHanko's PDF reader, with each signature's /Contents decoded in one pass.

pyHanko 0.38 reads a hex string one byte at a time. A signature's /Contents is the
largest hex string of a signed pact (8,192 digits at B-B, 32,768 with a timestamp), so
reading it is about a fifth of verifying a file. `open_reader` returns pyHanko's own
`PdfFileReader`, and puts into its object cache (`cache_indirect_object`, public API)
each signature dictionary, read as follows:

- the dictionary's bytes are found through the reader's cross-reference table;
- its one `/Contents <...>` hex string (digits and PDF whitespace only) is replaced by
  a random 16-byte marker, and pyHanko's own `generic.read_object` parses the result;
- the object is kept only if it is a plain dictionary whose `/Contents` is that marker
  (so the span was that key's value, not text inside a string or a comment) and
  nothing but whitespace follows it; `/Contents` then gets the digits decoded with
  `binascii.unhexlify`, which is what pyHanko's reader makes of them.

Anything else (an object stream, encryption, two `/Contents`, a comment in the hex, a
parse that differs) is left to pyHanko, which reads it as it always does: the result is
the same object either way (tests/test_signed_reader.py compares them, with
hypothesis-generated dictionaries). The upstream fix is
docs/upstream/pyhanko-hex-string-reader.patch; with it, this module can go.
"""

from __future__ import annotations

import binascii
import io
import os
import re
from typing import Any

# PDF whitespace, as pyHanko's reader skips it (pyhanko.pdf_utils.misc.PDF_WHITESPACE)
_WS = b" \n\r\t\f\x00"
_S = rb"[ \n\r\t\f\x00]"
_HEADER = re.compile(_S + rb"*(\d+)" + _S + rb"+(\d+)" + _S + rb"+obj" + _S + rb"*")
_CONTENTS = re.compile(rb"/Contents" + _S + rb"*<([0-9A-Fa-f \n\r\t\f\x00]*)>")
_NOT_DIGITS = re.compile(_S + rb"+")
MAX_OBJECT_BYTES = 1 << 20  # a signature dictionary with 512 KB of signature is enough


def open_reader(data: bytes, *, strict: bool = False) -> Any:
    """A `PdfFileReader` over `data` whose signature dictionaries are already read."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=strict)
    if not reader.encrypted:
        for ref in _signature_refs(reader):
            _preload(reader, data, ref)
    return reader


def _signature_refs(reader: Any) -> list[Any]:
    """The references held by the /V of the form's signature fields, read without
    resolving them (resolving is what reads the hex string)."""
    from pyhanko.pdf_utils import generic

    refs: list[Any] = []
    try:
        form = reader.root.get("/AcroForm")
        pending = list(form.get("/Fields", ())) if form is not None else []
        seen: set[int] = set()
        while pending and len(seen) < 10_000:
            field = pending.pop()
            if isinstance(field, generic.IndirectObject):
                field = field.get_object()
            if not isinstance(field, generic.DictionaryObject) or id(field) in seen:
                continue
            seen.add(id(field))
            value = field.raw_get("/V") if "/V" in field else None
            if isinstance(value, generic.IndirectObject):
                refs.append(value.reference)
            kids = field.get("/Kids")
            if isinstance(kids, generic.ArrayObject):
                pending.extend(kids)
    except Exception:  # noqa: BLE001 (a broken form: pyHanko reads and judges it)
        return []
    return refs


def _preload(reader: Any, data: bytes, ref: Any) -> None:
    from pyhanko.pdf_utils import generic

    if reader.cache_get_indirect_object(ref.generation, ref.idnum) is not None:
        return
    try:
        offset = reader.xrefs[ref]
    except Exception:  # noqa: BLE001 (not in the table: pyHanko says so when asked)
        return
    if not isinstance(offset, int) or not 0 <= offset < len(data):
        return  # in an object stream, or nowhere
    header = _HEADER.match(data, offset)
    if header is None or (int(header[1]), int(header[2])) != (ref.idnum, ref.generation):
        return
    end = data.find(b"endobj", header.end(), header.end() + MAX_OBJECT_BYTES)
    if end < 0:
        return
    body = data[header.end():end]
    found = list(_CONTENTS.finditer(body))
    if len(found) != 1:
        return
    digits = found[0]
    marker = os.urandom(16)
    patched = body[:digits.start(1)] + marker.hex().encode() + body[digits.end(1):]
    stream = io.BytesIO(patched)
    try:
        obj = generic.read_object(stream, generic.Reference(ref.idnum, ref.generation,
                                                            reader))
    except Exception:  # noqa: BLE001 (pyHanko's own reading will report it)
        return
    if type(obj) is not generic.DictionaryObject or "/Contents" not in obj or \
            _string_bytes(obj.raw_get("/Contents")) != marker or \
            patched[stream.tell():].strip(_WS):
        return
    hex_digits = _NOT_DIGITS.sub(b"", digits[1])
    if len(hex_digits) % 2:
        hex_digits += b"0"  # as pyHanko pads an odd hex string
    obj[generic.NameObject("/Contents")] = generic.pdf_string(
        binascii.unhexlify(hex_digits))
    reader.cache_indirect_object(ref.generation, ref.idnum, obj)


def _string_bytes(value: Any) -> bytes | None:
    from pyhanko.pdf_utils import generic

    if isinstance(value, generic.TextStringObject):
        return bytes(value.original_bytes)
    if isinstance(value, generic.ByteStringObject):
        return bytes(value)
    return None
