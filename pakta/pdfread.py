"""Just enough of a PDF reader to sign pakta's own documents, without pyHanko's parser.

Signing needs little of a file: the trailer, the catalog and its form, the signature
fields and, for a later signature, the earlier stamp's font. pyHanko's reader parses the
cross-reference streams entry by entry and re-reads an object stream's header for every
object taken from it: about 3 ms of a 4 ms signature. This reader decodes each
cross-reference section and object stream once and parses only the objects asked for.

It reads the files pakta writes (cross-reference streams or tables, Flate-compressed
object streams, flat signature fields) and says `Unsupported` for anything else, so that
the caller hands the file to pyHanko's general reader and signer: it never decides that
a file is bad, only that it is not the plain kind.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """Not the plain kind of file this reader handles: use pyHanko's reader."""


# What reading a file of an unexpected shape raises: the caller hands the file to pyHanko.
NOT_READ = (Unsupported, ValueError, TypeError, KeyError, IndexError, RecursionError)


class Name(str):
    """A PDF name, with its slash: Name('/Type')."""


class PdfString(bytes):
    """A PDF string's bytes (literal or hexadecimal in the file)."""


class Real(str):
    """A real number, kept as written so that it is written back the same."""


@dataclass(frozen=True)
class Ref:
    num: int
    gen: int


@dataclass(frozen=True)
class Stream:
    """A stream object: its dictionary and where its data starts in the file."""

    dict: dict[str, Any]
    start: int


_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
_TOKEN = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
_INTEGER = re.compile(rb"[+-]?\d+")
_SPACE = re.compile(rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*)*")
_REF_TAIL = re.compile(rb"[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+R"
                       rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|$)")
_SUBSECTION = re.compile(rb"(\d+)[ \t]+(\d+)")  # a cross-reference table's "first count"
_OBJ_HEADER = re.compile(rb"(\d+)[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+obj")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
            ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}
_MAX_DEPTH = 32  # nesting of arrays and dictionaries; deeper is not pakta's


def _skip(data: bytes, pos: int) -> int:
    match = _SPACE.match(data, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def parse_value(data: bytes, pos: int, depth: int = 0) -> tuple[Any, int]:
    """The value at `pos` (after whitespace) and the position after it."""
    if depth > _MAX_DEPTH:
        raise Unsupported("nested too deep")
    pos = _skip(data, pos)
    if pos >= len(data):
        raise Unsupported("unexpected end of data")
    c = data[pos]
    if c == 0x3C:  # <
        if data.startswith(b"<<", pos):
            return _parse_dict(data, pos + 2, depth)
        end = data.find(b">", pos)
        if end < 0:
            raise Unsupported("unterminated hexadecimal string")
        digits = bytes(b for b in data[pos + 1:end] if b not in _WHITESPACE)
        if len(digits) % 2:
            digits += b"0"
        try:
            return PdfString(bytes.fromhex(digits.decode("ascii"))), end + 1
        except ValueError as exc:
            raise Unsupported("bad hexadecimal string") from exc
    if c == 0x5B:  # [
        items: list[Any] = []
        pos += 1
        while True:
            pos = _skip(data, pos)
            if data.startswith(b"]", pos):
                return items, pos + 1
            item, pos = parse_value(data, pos, depth + 1)
            items.append(item)
    if c == 0x28:  # (
        return _parse_literal(data, pos + 1)
    if c == 0x2F:  # /
        match = _TOKEN.match(data, pos + 1)
        raw = match.group() if match else b""
        end = pos + 1 + len(raw)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        return Name("/" + raw.decode("latin-1")), end
    match = _TOKEN.match(data, pos)
    if match is None:
        raise Unsupported(f"unexpected {chr(c)!r}")
    token = match.group()
    end = match.end()
    if _INTEGER.fullmatch(token):
        ref = _REF_TAIL.match(data, end)
        if ref is not None and not token.startswith((b"+", b"-")):
            return Ref(int(token), int(ref.group(1))), ref.end()
        return int(token), end
    if token == b"true":
        return True, end
    if token == b"false":
        return False, end
    if token == b"null":
        return None, end
    try:
        float(token)
    except ValueError as exc:
        raise Unsupported(f"unexpected token {token[:20]!r}") from exc
    return Real(token.decode("ascii")), end


def _parse_dict(data: bytes, pos: int, depth: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while True:
        pos = _skip(data, pos)
        if data.startswith(b">>", pos):
            return result, pos + 2
        key, pos = parse_value(data, pos, depth + 1)
        if not isinstance(key, Name):
            raise Unsupported("a dictionary key that is not a name")
        result[key], pos = parse_value(data, pos, depth + 1)


def _parse_literal(data: bytes, pos: int) -> tuple[PdfString, int]:
    out = bytearray()
    level = 1
    while pos < len(data):
        c = data[pos]
        pos += 1
        if c == 0x5C:  # backslash
            if pos >= len(data):
                break
            e = data[pos]
            pos += 1
            if e in _ESCAPES:
                out += _ESCAPES[e]
            elif 0x30 <= e <= 0x37:
                digits = bytes([e])
                while len(digits) < 3 and pos < len(data) and 0x30 <= data[pos] <= 0x37:
                    digits += data[pos:pos + 1]
                    pos += 1
                out.append(int(digits, 8) & 0xFF)
            elif e == 0x0D:  # a line continuation
                if data.startswith(b"\n", pos):
                    pos += 1
            elif e != 0x0A:
                out.append(e)
            continue
        if c == 0x28:
            level += 1
        elif c == 0x29:
            level -= 1
            if level == 0:
                return PdfString(out), pos
        out.append(c)
    raise Unsupported("unterminated string")


# ---------------------------------------------------------------------------------------
# Writing values back


_NAME_REGULAR = frozenset(range(0x21, 0x7F)) - frozenset(_DELIMITERS) - {0x23}


def _name(value: str) -> bytes:
    raw = value[1:].encode("latin-1")
    return b"/" + b"".join(bytes([b]) if b in _NAME_REGULAR else b"#%02X" % b for b in raw)


def serialize(value: Any) -> bytes:
    if isinstance(value, Name):
        return _name(value)
    if isinstance(value, PdfString):
        if all(0x20 <= b < 0x7F for b in value):
            return b"(" + re.sub(rb"([\\()])", rb"\\\1", value) + b")"
        return b"<" + value.hex().encode() + b">"
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if value is None:
        return b"null"
    if isinstance(value, int | Real):
        return str(value).encode()
    if isinstance(value, Ref):
        return b"%d %d R" % (value.num, value.gen)
    if isinstance(value, list):
        return b"[" + b" ".join(serialize(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"<<" + b"".join(_name(k) + b" " + serialize(v)
                                for k, v in value.items()) + b">>"
    raise TypeError(f"cannot write {type(value).__name__}")


def text(value: Any) -> str:
    """A PDF text string as str: UTF-16BE with its mark, or ASCII; anything else (the
    rest of PDFDocEncoding) is left to pyHanko."""
    if not isinstance(value, PdfString):
        raise Unsupported("not a string")
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be")
    if any(b >= 0x80 for b in value):
        raise Unsupported("a PDFDocEncoding string")
    return value.decode("ascii")


# ---------------------------------------------------------------------------------------
# The file


@dataclass(frozen=True)
class SignatureField:
    name: str
    ref: Ref
    field: dict[str, Any]
    signed: bool  # the field has a value


class LeanPdf:
    """A parsed file: its newest trailer and every object, read on demand."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._xref: dict[int, tuple[int, int, int]] = {}  # num -> (kind, a, b), newest
        self._objects: dict[int, Any] = {}
        self._object_streams: dict[int, tuple[bytes, dict[int, int]]] = {}
        self.trailer, self.has_xref_stream = self._read_xrefs(startxref(data))
        if "/XRefStm" in self.trailer:
            raise Unsupported("a hybrid cross-reference file")

    @property
    def encrypted(self) -> bool:
        return "/Encrypt" in self.trailer

    # -- cross-reference sections

    def _read_xrefs(self, offset: int) -> tuple[dict[str, Any], bool]:
        newest: dict[str, Any] | None = None
        is_stream = False
        seen: set[int] = set()
        next_offset: int | None = offset
        while next_offset is not None:
            if next_offset in seen or not 0 <= next_offset < len(self.data):
                raise Unsupported("a cross-reference chain that loops or points outside")
            seen.add(next_offset)
            if self.data.startswith(b"xref", next_offset):
                trailer = self._read_xref_table(next_offset + 4)
                stream = False
            else:
                trailer = self._read_xref_stream(next_offset)
                stream = True
            if newest is None:
                newest, is_stream = trailer, stream
            prev = trailer.get("/Prev")
            if prev is not None and not isinstance(prev, int):
                raise Unsupported("/Prev is not a number")
            next_offset = prev
        assert newest is not None
        return newest, is_stream

    def _add(self, num: int, entry: tuple[int, int, int]) -> None:
        self._xref.setdefault(num, entry)  # sections are read newest first

    def _read_xref_table(self, pos: int) -> dict[str, Any]:
        data = self.data
        while True:
            pos = _skip(data, pos)
            if data.startswith(b"trailer", pos):
                trailer, _ = parse_value(data, pos + 7)
                if not isinstance(trailer, dict):
                    raise Unsupported("a trailer that is not a dictionary")
                return trailer
            header = _SUBSECTION.match(data, pos)
            if header is None:
                raise Unsupported("a bad cross-reference table")
            first, count = int(header.group(1)), int(header.group(2))
            pos = header.end()
            for i in range(count):
                pos = _skip(data, pos)
                entry = data[pos:pos + 18].split()
                if len(entry) != 3 or entry[2] not in (b"n", b"f"):
                    raise Unsupported("a bad cross-reference entry")
                if entry[2] == b"n":
                    self._add(first + i, (1, int(entry[0]), int(entry[1])))
                else:
                    self._add(first + i, (0, 0, 0))
                pos += 18

    def _read_xref_stream(self, offset: int) -> dict[str, Any]:
        obj = self._parse_indirect(offset)
        if not isinstance(obj, Stream) or obj.dict.get("/Type") != "/XRef":
            raise Unsupported("startxref does not point at a cross-reference section")
        rows = self._stream_data(obj)
        widths = obj.dict.get("/W")
        if (not isinstance(widths, list) or len(widths) != 3
                or not all(isinstance(w, int) and 0 <= w <= 8 for w in widths)):
            raise Unsupported("bad /W")
        size = obj.dict.get("/Size")
        index = obj.dict.get("/Index", [0, size])
        if (not isinstance(index, list) or len(index) % 2
                or not all(isinstance(n, int) for n in index)):
            raise Unsupported("bad /Index")
        w0, w1, w2 = widths
        row = w0 + w1 + w2
        pos = 0
        for first, count in zip(index[::2], index[1::2], strict=True):
            for num in range(first, first + count):
                if pos + row > len(rows):
                    raise Unsupported("a cross-reference stream cut short")
                kind = int.from_bytes(rows[pos:pos + w0], "big") if w0 else 1
                a = int.from_bytes(rows[pos + w0:pos + w0 + w1], "big")
                b = int.from_bytes(rows[pos + w0 + w1:pos + row], "big")
                pos += row
                if kind in (0, 1, 2):
                    self._add(num, (kind, a, b))
        return obj.dict

    # -- objects

    def _parse_indirect(self, offset: int, expect: int | None = None) -> Any:
        data = self.data
        header = _OBJ_HEADER.match(data, offset)
        if header is None or (expect is not None and int(header.group(1)) != expect):
            raise Unsupported(f"no object {expect if expect is not None else ''} at "
                              f"offset {offset}")
        value, pos = parse_value(data, header.end())
        pos = _skip(data, pos)
        if isinstance(value, dict) and data.startswith(b"stream", pos):
            pos += 6
            if data.startswith(b"\r\n", pos):
                pos += 2
            elif data.startswith(b"\n", pos):
                pos += 1
            else:
                raise Unsupported("bad stream keyword")
            return Stream(value, pos)
        return value

    def _stream_data(self, stream: Stream) -> bytes:
        length = self.resolve(stream.dict.get("/Length"))
        if not isinstance(length, int) or not 0 <= length <= len(self.data) - stream.start:
            raise Unsupported("bad stream /Length")
        raw = self.data[stream.start:stream.start + length]
        if "/DecodeParms" in stream.dict:
            raise Unsupported("a stream with decode parameters")
        filters = stream.dict.get("/Filter")
        if filters is None:
            return raw
        if filters not in ("/FlateDecode", ["/FlateDecode"]):
            raise Unsupported("a stream filter other than Flate")
        try:
            return zlib.decompress(raw)
        except zlib.error as exc:
            raise Unsupported("a stream that does not inflate") from exc

    def get(self, num: int) -> Any:
        if num in self._objects:
            return self._objects[num]
        kind, a, b = self._xref.get(num, (0, 0, 0))
        if kind == 1:
            value = self._parse_indirect(a, num)
        elif kind == 2:
            value = self._from_object_stream(a, b, num)
        else:
            value = None  # a free or missing object is null
        self._objects[num] = value
        return value

    def _from_object_stream(self, stream_num: int, index: int, num: int) -> Any:
        if stream_num not in self._object_streams:
            stream = self.get(stream_num)
            if not isinstance(stream, Stream) or stream.dict.get("/Type") != "/ObjStm":
                raise Unsupported("not an object stream")
            data = self._stream_data(stream)
            n, first = stream.dict.get("/N"), stream.dict.get("/First")
            if not isinstance(n, int) or not isinstance(first, int):
                raise Unsupported("bad object stream")
            numbers = data[:first].split()
            if len(numbers) < 2 * n:
                raise Unsupported("bad object stream header")
            offsets = {int(numbers[2 * i]): first + int(numbers[2 * i + 1]) for i in range(n)}
            self._object_streams[stream_num] = (data, offsets)
        data, offsets = self._object_streams[stream_num]
        if num not in offsets:
            raise Unsupported(f"object {num} is not in its object stream")
        value, _ = parse_value(data, offsets[num])
        return value

    def resolve(self, value: Any) -> Any:
        for _ in range(_MAX_DEPTH):
            if not isinstance(value, Ref):
                return value
            value = self.get(value.num)
        raise Unsupported("a chain of references")

    def resolve_dict(self, value: Any) -> dict[str, Any]:
        value = self.resolve(value)
        if isinstance(value, Stream):
            return value.dict
        if not isinstance(value, dict):
            raise Unsupported("expected a dictionary")
        return value

    # -- the form

    @property
    def root_ref(self) -> Ref:
        root = self.trailer.get("/Root")
        if not isinstance(root, Ref):
            raise Unsupported("no /Root reference")
        return root

    def signature_fields(self) -> list[SignatureField]:
        """The form's signature fields, in order; flat fields only."""
        root = self.resolve_dict(self.root_ref)
        if "/AcroForm" not in root:
            return []
        form = self.resolve_dict(root["/AcroForm"])
        entries = self.resolve(form.get("/Fields", []))
        if not isinstance(entries, list):
            raise Unsupported("/Fields is not an array")
        fields = []
        for ref in entries:
            if not isinstance(ref, Ref):
                raise Unsupported("a field that is not an indirect object")
            field = self.resolve_dict(ref)
            if "/Kids" in field or "/Parent" in field:
                raise Unsupported("a field with kids")
            if field.get("/FT") != "/Sig":
                continue
            fields.append(SignatureField(text(field.get("/T")), ref, field,
                                         self.resolve(field.get("/V")) is not None))
        return fields


def startxref(data: bytes) -> int:
    tail = data[-1024:]
    at = tail.rfind(b"startxref")
    if at < 0:
        raise Unsupported("no startxref")
    try:
        return int(tail[at + 9:].split()[0])
    except (ValueError, IndexError) as exc:
        raise Unsupported("bad startxref") from exc


def open_pdf(data: bytes) -> LeanPdf | None:
    """The lean reader for `data`, or None when the file needs pyHanko's reader."""
    try:
        return LeanPdf(data)
    except NOT_READ:
        return None
