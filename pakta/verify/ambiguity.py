"""One reading of a returned PDF, before pyHanko's view of it is trusted.

The published attacks on PDF signatures (Mladenov et al. 2019, Mainka et al. 2021) work
because the signed file reads one way to the validator and another way to a viewer, or
because what a signer signed was already changed. Three checks close them:

- `ambiguities`: one reading of the file. No duplicate key in any trailer or in the
  catalog, every trailer names the same catalog, no object defined twice in one revision,
  every cross-reference offset points at the object it names. pyHanko reads the first of
  two /Root entries, poppler and qpdf the last: anything a reader could resolve in two
  ways is refused.

Everything here reads raw bytes with bounded effort (a token budget, a nesting limit,
limited inflation) and answers with `Finding`s, never with an exception's text.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pakta.findings import Finding

MAX_DEPTH = 64
MAX_TOKENS = 200_000
MAX_INFLATE = 8 << 20  # an object stream of a pact is a few KB

_WS = b"\x00\t\n\x0c\r "
_DELIM = b"()<>[]{}/%"
_SKIP = re.compile(rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*")
_REGULAR = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
_INT = re.compile(rb"[+-]?\d+\Z")
_OBJ_HEAD = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_OBJ_AT_LINE = re.compile(rb"[\r\n][\t ]*(\d{1,10})[\t ]+(\d{1,5})[\t ]+obj\b")


class RawSyntaxError(Exception):
    """The bytes are not a PDF object where one was expected (internal only)."""


@dataclass(frozen=True)
class RawRef:
    number: int
    generation: int


@dataclass(frozen=True)
class RawDict:
    """A dictionary as written: every key in order, duplicates kept."""

    pairs: tuple[tuple[bytes, Any], ...]

    def keys(self) -> list[bytes]:
        return [k for k, _ in self.pairs]

    def values(self, key: bytes) -> list[Any]:
        return [v for k, v in self.pairs if k == key]

    def duplicates(self) -> list[bytes]:
        return sorted(k for k, n in Counter(self.keys()).items() if n > 1)


class _Parser:
    """Just enough of PDF's object syntax to see a dictionary's keys as written."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.tokens = 0

    def skip(self, pos: int) -> int:
        return _SKIP.match(self.data, pos).end()  # type: ignore[union-attr]

    def token(self, pos: int) -> tuple[bytes, int]:
        self.tokens += 1
        if self.tokens > MAX_TOKENS:
            raise RawSyntaxError("too many tokens")
        pos = self.skip(pos)
        data = self.data
        if pos >= len(data):
            raise RawSyntaxError("end of data")
        two = data[pos:pos + 2]
        if two in (b"<<", b">>"):
            return two, pos + 2
        char = data[pos:pos + 1]
        if char in b"[]{}":
            return char, pos + 1
        if char == b"/":
            match = _REGULAR.match(data, pos + 1)
            end = match.end() if match else pos + 1
            return data[pos:end], end
        if char == b"(":
            return b"(", self._string_end(pos)
        if char == b"<":
            end = data.find(b">", pos)
            if end < 0:
                raise RawSyntaxError("unterminated hex string")
            return b"<", end + 1
        match = _REGULAR.match(data, pos)
        if not match:
            raise RawSyntaxError("unexpected delimiter")
        return match.group(), match.end()

    def _string_end(self, pos: int) -> int:
        depth, i, data = 0, pos, self.data
        while i < len(data):
            c = data[i]
            if c == 0x5C:  # backslash: the next byte is escaped
                i += 2
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise RawSyntaxError("unterminated string")

    def value(self, pos: int, depth: int = 0) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise RawSyntaxError("nested too deeply")
        tok, pos = self.token(pos)
        if tok == b"<<":
            pairs: list[tuple[bytes, Any]] = []
            while True:
                key, after = self.token(pos)
                if key == b">>":
                    return RawDict(tuple(pairs)), after
                if not key.startswith(b"/"):
                    raise RawSyntaxError("a dictionary key that is not a name")
                val, pos = self.value(after, depth + 1)
                pairs.append((key, val))
        if tok == b"[":
            items: list[Any] = []
            while True:
                probe, after = self.token(pos)
                if probe == b"]":
                    return items, after
                item, pos = self.value(pos, depth + 1)
                items.append(item)
        if _INT.match(tok):  # maybe `n g R`
            try:
                gen, after_gen = self.token(pos)
                r, after_r = self.token(after_gen)
            except RawSyntaxError:
                return tok, pos
            if _INT.match(gen) and r == b"R":
                return RawRef(int(tok), int(gen)), after_r
            self.tokens -= 2
        return tok, pos


def parse_dict_at(data: bytes, pos: int) -> RawDict:
    """The dictionary starting at `pos` (after optional `n g obj`)."""
    head = _OBJ_HEAD.match(data, pos)
    if head:
        pos = head.end()
    value, _ = _Parser(data).value(pos)
    if not isinstance(value, RawDict):
        raise RawSyntaxError("not a dictionary")
    return value


# ---------------------------------------------------------------------------------------
# One reading of the file


def ambiguities(data: bytes, reader: Any) -> list[Finding]:
    """Everything that lets two PDF readers see two different documents in `data`."""
    from pyhanko.pdf_utils.generic import Reference

    found: list[Finding] = []
    xrefs = reader.xrefs
    total = xrefs.total_revisions
    roots: set[tuple[int, int]] = set()
    starts = [xrefs.get_startxref_for_revision(rev) for rev in range(total)]
    for rev, start in enumerate(starts):
        trailer = _trailer_at(data, start)
        if trailer is None:
            found.append(Finding.of("AMBIGUOUS_TRAILER", revision=rev + 1))
            continue
        for key in trailer.duplicates():
            found.append(Finding.of("AMBIGUOUS_TRAILER_KEY", key=key.decode("latin-1"),
                                    revision=rev + 1))
        roots |= {(v.number, v.generation) for v in trailer.values(b"/Root")
                  if isinstance(v, RawRef)}
    if len(roots) > 1:
        found.append(Finding.of("AMBIGUOUS_ROOT"))
    for rev in range(total):
        explicit = xrefs.explicit_refs_in_revision(rev)
        for ref in sorted(explicit, key=lambda r: (r.idnum, r.generation)):
            where = xrefs.get_historical_ref(ref, rev)
            if isinstance(where, int) and not _object_at(data, where, ref.idnum,
                                                         ref.generation):
                found.append(Finding.of("AMBIGUOUS_XREF_OFFSET", object=ref.idnum,
                                        revision=rev + 1))
        for number, root_gen in roots:
            ref = Reference(number, root_gen)
            if ref in explicit:
                catalog = _catalog_dict(data, reader, ref, rev)
                for key in catalog.duplicates() if catalog is not None else ():
                    found.append(Finding.of("AMBIGUOUS_CATALOG_KEY",
                                            key=key.decode("latin-1"), revision=rev + 1))
    low = 0
    for rev, start in enumerate(starts):
        if start <= low:
            continue
        counts = Counter((int(m.group(1)), int(m.group(2)))
                         for m in _OBJ_AT_LINE.finditer(data, max(low - 1, 0), start))
        for (number, _), n in sorted(counts.items()):
            if n > 1:
                found.append(Finding.of("AMBIGUOUS_OBJECT_TWICE", object=number,
                                        revision=rev + 1))
        low = start + 1
    return _unique(found)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _trailer_at(data: bytes, start: int) -> RawDict | None:
    """The trailer of the cross-reference section at `start`: the dictionary after
    `trailer` for a table, the stream's dictionary for a cross-reference stream."""
    try:
        pos = _SKIP.match(data, start).end()  # type: ignore[union-attr]
        if data.startswith(b"xref", pos):
            at = data.find(b"trailer", pos)
            if at < 0:
                return None
            return parse_dict_at(data, at + len(b"trailer"))
        return parse_dict_at(data, pos)
    except RawSyntaxError:
        return None


def _object_at(data: bytes, offset: int, number: int, generation: int) -> bool:
    match = _OBJ_HEAD.match(data, offset)
    return match is not None and int(match.group(1)) == number and \
        int(match.group(2)) == generation


def _catalog_dict(data: bytes, reader: Any, ref: Any, rev: int) -> RawDict | None:
    """The catalog object as written in revision `rev`, directly or in an object stream."""
    from pyhanko.pdf_utils.generic import Reference

    where = reader.xrefs.get_historical_ref(ref, rev)
    try:
        if isinstance(where, int):
            return parse_dict_at(data, where)
        if where is None:
            return None
        stream_at = reader.xrefs.get_historical_ref(Reference(where.obj_stream_id, 0), rev)
        if not isinstance(stream_at, int):
            return None
        body = _object_stream(data, stream_at)
        return _in_object_stream(body, ref.idnum) if body is not None else None
    except RawSyntaxError:
        return None


def _object_stream(data: bytes, offset: int) -> bytes | None:
    head = parse_dict_at(data, offset)
    length = next(iter(head.values(b"/Length")), None)
    filters = head.values(b"/Filter")
    if not isinstance(length, bytes) or not _INT.match(length):
        return None
    start = data.find(b"stream", offset)
    if start < 0:
        return None
    start += len(b"stream")
    start += 2 if data.startswith(b"\r\n", start) else 1
    raw = data[start:start + int(length)]
    if not filters:
        return raw
    if filters != [b"/FlateDecode"]:
        return None
    try:
        inflater = zlib.decompressobj()
        return inflater.decompress(raw, MAX_INFLATE)
    except zlib.error:
        return None


def _in_object_stream(body: bytes, number: int) -> RawDict | None:
    """Object `number` in an object stream's decoded body (header: pairs of number and
    offset, then the objects from /First; /First is found as the header's end)."""
    parser = _Parser(body)
    pos, pairs = 0, []
    while True:
        pos = parser.skip(pos)
        match = re.compile(rb"(\d+)\s+(\d+)").match(body, pos)
        if not match or body[pos:pos + 2] == b"<<":
            break
        pairs.append((int(match.group(1)), int(match.group(2))))
        pos = match.end()
    first = pos
    for found, offset in pairs:
        if found == number:
            value, _ = parser.value(first + offset)
            return value if isinstance(value, RawDict) else None
    return None


