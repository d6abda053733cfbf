"""The stamp font as a pyHanko FontEngine, prepared once per process.

pyHanko's GlyphAccumulator shapes every stamp with HarfBuzz and subsets the font with
fontTools for every file (16 ms of a 33 ms signature here). The stamp font is already a
small Latin subset with 1000 units per em and no layout tables, so shaping is a glyph
lookup and the font program can be embedded whole: its compressed bytes, widths and
ToUnicode map are made once (`StampFont.load`), and each file gets the same objects.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult


@dataclass(frozen=True)
class StampFont:
    """A TrueType font's parts for a CIDFontType2 with Identity-H encoding."""

    postscript_name: str
    glyph_of: dict[int, int]  # code point -> glyph id
    advance: tuple[int, ...]  # glyph id -> advance width (1000 units per em)
    ascent: int
    descent: int
    bbox: tuple[int, int, int, int]
    cap_height: int
    font_file: bytes  # compressed
    file_length: int
    to_unicode: bytes  # compressed

    @classmethod
    def load(cls, path: Path) -> StampFont:
        from fontTools.ttLib import TTFont

        font = TTFont(path)
        if font["head"].unitsPerEm != 1000:
            raise ValueError(f"{path}: the stamp font must have 1000 units per em")
        order = font.getGlyphOrder()
        index = {name: i for i, name in enumerate(order)}
        glyph_of = {cp: index[name] for cp, name in font.getBestCmap().items()}
        hmtx, head, hhea, os2 = font["hmtx"], font["head"], font["hhea"], font["OS/2"]
        data = path.read_bytes()
        return cls(
            postscript_name=str(font["name"].getDebugName(6) or "LiberationSans"),
            glyph_of=glyph_of, advance=tuple(hmtx[name][0] for name in order),
            ascent=hhea.ascent, descent=hhea.descent,
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
            cap_height=getattr(os2, "sCapHeight", hhea.ascent),
            font_file=zlib.compress(data, 9), file_length=len(data),
            to_unicode=zlib.compress(_to_unicode_cmap(glyph_of), 9))

    def width(self, text: str, size: float) -> float:
        """The advance of `text` at `size` points, as pyHanko's text box measures it."""
        return sum(self.advance[g] for g in self.glyphs(text)) * size / 1000

    def glyphs(self, text: str) -> list[int]:
        fallback = self.glyph_of.get(ord("?"), 0)
        return [self.glyph_of.get(ord(c), fallback) for c in text]


def _to_unicode_cmap(glyph_of: dict[int, int]) -> bytes:
    seen: dict[int, int] = {}
    for g, cp in sorted((g, cp) for cp, g in glyph_of.items() if cp <= 0xFFFF):
        seen.setdefault(g, cp)
    lines = [f"<{g:04x}> <{cp:04x}>" for g, cp in sorted(seen.items())]
    chunks = [lines[i:i + 100] for i in range(0, len(lines), 100)]
    body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + body +
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode()


def _name(value: str) -> generic.NameObject:
    return generic.NameObject(value)


def _num(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)


class WholeFontEngine(FontEngine):
    """Shapes by glyph lookup and embeds the stamp font whole, once per file."""

    def __init__(self, writer: Any, font: StampFont, obj_stream: Any = None) -> None:
        super().__init__(writer, font.postscript_name, embedded_subset=True,
                         obj_stream=obj_stream, font_size=7)
        self.font = font
        self._ref = writer.allocate_placeholder()
        self._written = False

    @property
    def uses_complex_positioning(self) -> bool:
        return False

    def shape(self, txt: str) -> ShapeResult:
        glyphs = self.font.glyphs(txt)
        ops = ("<" + "".join(f"{g:04x}" for g in glyphs) + "> Tj").encode()
        return ShapeResult(graphics_ops=ops, y_advance=0,
                           x_advance=sum(self.font.advance[g] for g in glyphs) / 1000)

    def as_resource(self) -> Any:
        return self._ref

    def prepare_write(self) -> None:
        if self._written:
            return
        font, writer = self.font, self.writer
        name = _name(f"/{self.subset_prefix}+{font.postscript_name}")
        font_file = writer.add_object(generic.StreamObject(
            {_name("/Filter"): _name("/FlateDecode"), _name("/Length1"): _num(font.file_length)},
            encoded_data=font.font_file))
        descriptor = writer.add_object(generic.DictionaryObject({
            _name("/Type"): _name("/FontDescriptor"), _name("/FontName"): name,
            _name("/Flags"): _num(32),
            _name("/FontBBox"): generic.ArrayObject(_num(v) for v in font.bbox),
            _name("/ItalicAngle"): _num(0), _name("/Ascent"): _num(font.ascent),
            _name("/Descent"): _num(font.descent), _name("/CapHeight"): _num(font.cap_height),
            _name("/StemV"): _num(80), _name("/FontFile2"): font_file}))
        cid_font = writer.add_object(generic.DictionaryObject({
            _name("/Type"): _name("/Font"), _name("/Subtype"): _name("/CIDFontType2"),
            _name("/BaseFont"): name,
            _name("/CIDSystemInfo"): generic.DictionaryObject({
                _name("/Registry"): generic.TextStringObject("Adobe"),
                _name("/Ordering"): generic.TextStringObject("Identity"),
                _name("/Supplement"): _num(0)}),
            _name("/FontDescriptor"): descriptor, _name("/CIDToGIDMap"): _name("/Identity"),
            _name("/DW"): _num(1000),
            _name("/W"): generic.ArrayObject([_num(0), generic.ArrayObject(
                _num(w) for w in font.advance)])}))
        to_unicode = writer.add_object(generic.StreamObject(
            {_name("/Filter"): _name("/FlateDecode")}, encoded_data=font.to_unicode))
        writer.add_object(generic.DictionaryObject({
            _name("/Type"): _name("/Font"), _name("/Subtype"): _name("/Type0"),
            _name("/BaseFont"): name, _name("/Encoding"): _name("/Identity-H"),
            _name("/DescendantFonts"): generic.ArrayObject([cid_font]),
            _name("/ToUnicode"): to_unicode}), self.obj_stream, idnum=self._ref.idnum)
        self._written = True


class WholeFontFactory(FontEngineFactory):
    def __init__(self, font: StampFont) -> None:
        self.font = font

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> FontEngine:
        return WholeFontEngine(writer, self.font, obj_stream)


@lru_cache(maxsize=2)
def stamp_font_factory(path: Path) -> WholeFontFactory:
    return WholeFontFactory(StampFont.load(path))
