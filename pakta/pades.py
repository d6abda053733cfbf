"""PAdES approval signatures written straight into pakta's documents.

pyHanko's general signer re-reads the whole document into its object writer, lays out the
stamp text with a font subset made for that one file, and builds the CMS from scratch,
for every file: tens of milliseconds a document. A batch signs hundreds of documents of
the same shape with one key, so everything that does not depend on the document is built
once (`SignatureParts`):

- the stamp font: pakta's Latin subset of Liberation Sans, compressed once, with its
  widths and ToUnicode map (the same bytes in every file, so the text extracts);
- the CMS: certificates, signer identifier and the PAdES signed attributes come from
  pyHanko once; per document only the message digest, the signature value and, at B-T,
  the timestamp token change.

Per document (`sign_document`) pakta then writes one incremental update: the signature
dictionary, the field's /V and appearance, the field locks of the first signature, the
stamp font, and a cross-reference section of the same kind as the file's own (a stream
for pakta's documents). The result is what pyHanko would write, and pyHanko, pdfsig and
qpdf check it the same way (tests/test_signing.py).

Anything unusual (a field with separate widgets, a certified document, a hybrid
cross-reference file) raises `NotFastPath` and the caller uses pyHanko's general signer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pakta.pdfread import (
    LeanPdf,
    Ref,
    SignatureField,
    Unsupported,
    serialize,
    startxref,
    text,
)
from pakta.stampfit import fit_stamp

STAMP_HEADING = "Ditandatangani secara elektronik oleh"
# A byte string the digest placeholder is found by in the signed attributes' DER.
_DUMMY_DIGEST = hashlib.sha256(b"pakta: the message digest goes here").digest()
_TIMESTAMP_TOKEN_OID = bytes.fromhex("060b2a864886f70d010910020e")  # 1.2.840.113549.1.9.16.2.14


def cut_short(data: bytes) -> str | None:
    """Why a file that parses is still not whole: bytes after its last %%EOF marker.

    A PDF reader finds the last complete revision and ignores what follows, so a signed
    file cut inside its signature revision reads as the earlier, unsigned document."""
    end = data.rfind(b"%%EOF")
    if end < 0:
        return None  # not a PDF at all: verification says so
    tail = data[end + len(b"%%EOF"):]
    if tail.strip(b"\x00\t\n\x0c\r "):
        return (f"cut short or damaged: {len(tail)} bytes after the last %%EOF "
                "(an incomplete revision)")
    return None


class NotFastPath(Exception):
    """The document needs pyHanko's general signer."""


# ---------------------------------------------------------------------------------------
# DER, just enough to assemble a SignedData from ready-made parts


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag: int, *parts: bytes) -> bytes:
    content = b"".join(parts)
    return bytes([tag]) + _der_length(len(content)) + content


# ---------------------------------------------------------------------------------------
# The stamp font


@dataclass(frozen=True)
class StampFont:
    """An embedded TrueType font as a CIDFontType2 with Identity-H encoding."""

    name: str
    glyph_of: dict[int, int]  # code point -> glyph id
    advance: list[int]  # glyph id -> advance width (1000 units per em)
    ascent: int
    descent: int
    bbox: tuple[int, int, int, int]
    cap_height: int
    file_stream: bytes  # the compressed font program
    file_length: int
    to_unicode: bytes  # the compressed CMap
    widths: str  # the /W array's contents, every glyph from 0

    @classmethod
    def load(cls, path: Path) -> StampFont:
        from fontTools.ttLib import TTFont

        font = TTFont(path)
        if font["head"].unitsPerEm != 1000:
            raise ValueError(f"{path}: the stamp font must have 1000 units per em")
        order = font.getGlyphOrder()
        index = {name: i for i, name in enumerate(order)}
        glyph_of = {cp: index[name] for cp, name in font.getBestCmap().items()}
        hmtx = font["hmtx"]
        head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
        data = path.read_bytes()
        # The subset tag comes from the font's bytes: a later signature reuses a font
        # already in the file only when it is this very font (same glyph ids).
        digest = hashlib.sha256(data).digest()
        tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
        return cls(
            name=f"{tag}+LiberationSans", glyph_of=glyph_of,
            advance=[hmtx[name][0] for name in order],
            ascent=hhea.ascent, descent=hhea.descent,
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
            cap_height=getattr(os2, "sCapHeight", hhea.ascent),
            file_stream=zlib.compress(data, 9), file_length=len(data),
            to_unicode=zlib.compress(_to_unicode_cmap(glyph_of), 9),
            widths=" ".join(str(hmtx[name][0]) for name in order))

    def glyphs(self, text: str) -> list[int]:
        fallback = self.glyph_of.get(ord("?"), 0)
        return [self.glyph_of.get(ord(c), fallback) for c in text]

    def width(self, text: str, size: float) -> float:
        return sum(self.advance[g] for g in self.glyphs(text)) * size / 1000

    def hex(self, text: str) -> str:
        return "".join(f"{g:04x}" for g in self.glyphs(text))

    def objects(self, first: int) -> list[bytes]:
        """Type0 font, CIDFont, descriptor, font file, ToUnicode: objects first..first+4."""
        x0, y0, x1, y1 = self.bbox
        return [
            (f"<</Type /Font /Subtype /Type0 /BaseFont /{self.name} /Encoding /Identity-H "
             f"/DescendantFonts [{first + 1} 0 R] /ToUnicode {first + 4} 0 R>>").encode(),
            (f"<</Type /Font /Subtype /CIDFontType2 /BaseFont /{self.name} "
             "/CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>> "
             f"/FontDescriptor {first + 2} 0 R /CIDToGIDMap /Identity /DW 1000 "
             f"/W [0 [{self.widths}]]>>").encode(),
            (f"<</Type /FontDescriptor /FontName /{self.name} /Flags 32 "
             f"/FontBBox [{x0} {y0} {x1} {y1}] /ItalicAngle 0 /Ascent {self.ascent} "
             f"/Descent {self.descent} /CapHeight {self.cap_height} /StemV 80 "
             f"/FontFile2 {first + 3} 0 R>>").encode(),
            _stream(f"/Length1 {self.file_length} /Filter /FlateDecode", self.file_stream),
            _stream("/Filter /FlateDecode", self.to_unicode),
        ]


def _to_unicode_cmap(glyph_of: dict[int, int]) -> bytes:
    pairs = sorted((g, cp) for cp, g in glyph_of.items() if cp <= 0xFFFF)
    seen: dict[int, int] = {}
    for g, cp in pairs:
        seen.setdefault(g, cp)
    lines = [f"<{g:04x}> <{cp:04x}>" for g, cp in sorted(seen.items())]
    chunks = [lines[i:i + 100] for i in range(0, len(lines), 100)]
    body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + body +
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode()


def _stream(extra: str, data: bytes) -> bytes:
    return f"<<{extra} /Length {len(data)}>>\nstream\n".encode() + data + b"\nendstream"


def stamp_appearance(font: StampFont, lines: Sequence[str], width: float,
                     height: float) -> bytes:
    """The stamp's content stream: a thin frame and the lines, as large as fits (at most
    7.5 pt, wrapped before shrunk: pakta.stampfit), centred vertically."""
    fit = fit_stamp(lines, width, height, font.width, font.ascent / 1000,
                    font.descent / 1000)
    ops = ["q 0.75 w 0.1 0.2 0.45 RG",
           f"0.375 0.375 {width - 0.75:.2f} {height - 0.75:.2f} re S Q",
           "q BT 0 g", f"/F1 {fit.size:.2f} Tf {fit.leading:.2f} TL {fit.x:.2f} {fit.top:.2f} Td"]
    for i, line in enumerate(fit.lines):
        ops.append(f"{'T* ' if i else ''}<{font.hex(line)}> Tj")
    ops.append("ET Q")
    return "\n".join(ops).encode()


# ---------------------------------------------------------------------------------------
# The CMS


@dataclass(frozen=True)
class CmsParts:
    """A PAdES SignedData split where the per-document values go."""

    signed_data_head: bytes  # version, digest algorithms, content info, certificates
    signer_head: bytes  # version, signer identifier, digest algorithm
    signed_attrs: bytes  # [0] IMPLICIT, with _DUMMY_DIGEST where the digest goes
    signature_algorithm: bytes
    # A key file's key, loaded once (pyHanko loads it again for every signature); None
    # for a token, which signs through pyHanko.
    sign_raw: Callable[[bytes], bytes] | None = None

    @classmethod
    async def build(cls, signer: Any) -> CmsParts:
        template = await signer.async_sign(_DUMMY_DIGEST, "sha256", use_pades=True)
        signed_data = template["content"]
        info = signed_data["signer_infos"][0]
        head = b"".join(signed_data[k].dump() for k in
                        ("version", "digest_algorithms", "encap_content_info",
                         "certificates"))
        attrs = info["signed_attrs"].dump()
        if attrs.count(_DUMMY_DIGEST) != 1:
            raise NotFastPath("the signed attributes do not carry the digest once")
        return cls(head, b"".join(info[k].dump() for k in ("version", "sid",
                                                           "digest_algorithm")),
                   attrs, info["signature_algorithm"].dump(),
                   _key_file_signer(signer, info["signature_algorithm"]["algorithm"].native))

    async def sign(self, signer: Any, digest: bytes,
                   timestamp: Callable[[bytes], Awaitable[bytes]] | None) -> bytes:
        """The CMS for one document digest; `timestamp` turns the hash of the signature
        value into a DER timestamp token (B-T)."""
        attrs = self.signed_attrs.replace(_DUMMY_DIGEST, digest)
        # The signature covers the attributes as a SET (tag 0x31), not as [0].
        to_sign = b"\x31" + attrs[1:]
        if self.sign_raw is not None:
            value = self.sign_raw(to_sign)
        else:
            value = await signer.async_sign_raw(to_sign, "sha256")
        unsigned = b""
        if timestamp is not None:
            token = await timestamp(hashlib.sha256(value).digest())
            unsigned = der(0xA1, der(0x30, _TIMESTAMP_TOKEN_OID, der(0x31, token)))
        signer_info = der(0x30, self.signer_head, attrs, self.signature_algorithm,
                          der(0x04, value), unsigned)
        signed_data = der(0x30, self.signed_data_head, der(0x31, signer_info))
        return der(0x30, bytes.fromhex("06092a864886f70d010702"), der(0xA0, signed_data))


def _key_file_signer(signer: Any, algorithm: str) -> Callable[[bytes], bytes] | None:
    """Sign with the key of a key-file signer directly, for the algorithms pakta's
    certificates use (the template CMS says which); None otherwise."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.sign.signers import SimpleSigner

    if not isinstance(signer, SimpleSigner) or signer.signing_key is None:
        return None
    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    if algorithm == "sha256_ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
        return lambda data: key.sign(data, ec.ECDSA(hashes.SHA256()))
    if algorithm in ("sha256_rsa", "rsassa_pkcs1v15") and isinstance(key,
                                                                    rsa.RSAPrivateKey):
        return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return None


# ---------------------------------------------------------------------------------------
# The incremental update


@dataclass(frozen=True)
class SignatureRequest:
    """What one approval signature puts in one document."""

    slot: str
    reason: str
    location: str
    stamp_lines: tuple[str, ...]
    locks: dict[str, tuple[str, ...] | None]  # slot -> slots left open (None: lock all),
    # for every slot field that has no /Lock yet; only in the first signed revision
    bytes_reserved: int
    signing_time: dt.datetime


def _pdf_string(text: str) -> str:
    """A PDF text string: PDFDocEncoding's ASCII part as is, anything else UTF-16BE."""
    if all(32 <= ord(c) < 127 for c in text):
        return "(" + re.sub(r"([\\()])", r"\\\1", text) + ")"
    return "<feff" + text.encode("utf-16-be").hex() + ">"


def _lock_params(open_slots: tuple[str, ...] | None) -> str:
    """A field lock's action: every field (None), or all but the slots left open."""
    if open_slots is None:
        return "/Action /All"
    return "/Action /Exclude /Fields [" + " ".join(_pdf_string(s) for s in open_slots) + "]"


def _existing_lock_params(lock: dict[str, Any]) -> str:
    """The action of a /Lock already in the file, written as `_lock_params` writes it."""
    fields = ""
    if "/Fields" in lock:
        names = lock["/Fields"]
        fields = " /Fields [" + " ".join(_pdf_string(text(f)) for f in names) + "]"
    return f"/Action {lock['/Action']}{fields}"


def _field_mdp_reference(params: str, catalog: str) -> str:
    """The /Reference entry that binds a signature to its field's /Lock (FieldMDP)."""
    return (f"/Reference [<</Type /SigRef /TransformMethod /FieldMDP /Data {catalog} "
            f"/TransformParams <</Type /TransformParams {params} /V /1.2>>>>]")


@dataclass(frozen=True)
class PreparedDocument:
    """The document with its update appended and room for the CMS in /Contents."""

    data: bytes
    contents_start: int  # the '<' of /Contents
    contents_end: int  # just after its '>'

    @property
    def digest(self) -> bytes:
        """SHA-256 of everything but the /Contents room: what /ByteRange covers."""
        digest = hashlib.sha256(self.data[:self.contents_start])
        digest.update(self.data[self.contents_end:])
        return digest.digest()

    def fill(self, cms: bytes) -> bytes:
        room = self.contents_end - self.contents_start - 2
        hexed = cms.hex().encode()
        if len(hexed) > room:
            raise ValueError(f"the signature needs {len(cms)} bytes, only {room // 2} "
                             "were reserved")
        return (self.data[:self.contents_start + 1] + hexed.ljust(room, b"0") +
                self.data[self.contents_end - 1:])


def prepare_document(data: bytes, pdf: LeanPdf, request: SignatureRequest,
                     font: StampFont) -> PreparedDocument:
    """Append the signature's update to `data` (read by `pdf`), with room for the CMS."""
    trailer = pdf.trailer
    if pdf.encrypted:
        raise NotFastPath("an encrypted file")
    root_ref = pdf.root_ref
    root = pdf.resolve_dict(root_ref)
    if "/Perms" in root:
        raise NotFastPath("a certified document: pyHanko checks its permissions")
    fields = {f.name: f for f in pdf.signature_fields()}  # signed or not
    if request.slot not in fields:
        raise NotFastPath(f"no field {request.slot}")
    slot = fields[request.slot]
    field = slot.field
    if "/Rect" not in field or slot.signed or "/V" in field:
        raise NotFastPath("a field without a widget, or already signed")

    catalog = f"{root_ref.num} {root_ref.gen} R"
    objects: dict[int, bytes] = {}  # object number -> its body, new or changed
    size = trailer.get("/Size")
    if not isinstance(size, int):
        raise NotFastPath("no /Size")
    next_number = size

    def add(body: bytes) -> int:
        nonlocal next_number
        objects[next_number] = body
        next_number += 1
        return next_number - 1

    # field locks, in the first signed revision only; the signature's FieldMDP
    # reference repeats its own field's lock
    locks: dict[str, int] = {}
    for name, open_slots in request.locks.items():
        if name in fields and "/Lock" not in fields[name].field:
            locks[name] = add(f"<</Type /SigFieldLock {_lock_params(open_slots)}>>".encode())
    lock = None
    if request.slot in locks:
        lock = _lock_params(request.locks[request.slot])
    elif "/Lock" in field:
        lock = _existing_lock_params(pdf.resolve_dict(field["/Lock"]))

    # the stamp: its font (an earlier stamp's if it is the same font), then its
    # appearance stream
    font_ref = _font_in_file(pdf, fields.values(), font.name)
    if font_ref is None:
        font_num = next_number
        for body in font.objects(font_num):
            add(body)
        font_ref = f"{font_num} 0 R"
    rect = pdf.resolve(field["/Rect"])
    if not isinstance(rect, list) or len(rect) != 4:
        raise NotFastPath("a bad /Rect")
    x0, y0, x1, y1 = (float(pdf.resolve(v)) for v in rect)
    width, height = abs(x1 - x0), abs(y1 - y0)
    content = zlib.compress(stamp_appearance(font, request.stamp_lines, width, height))
    ap_num = add(_stream(
        f"/Type /XObject /Subtype /Form /BBox [0 0 {width:.2f} {height:.2f}] "
        f"/Resources <</Font <</F1 {font_ref}>>>> /Filter /FlateDecode", content))

    # the signature dictionary, with room for the CMS
    when = request.signing_time.astimezone(dt.UTC)
    reference = f" {_field_mdp_reference(lock, catalog)}" if lock is not None else ""
    placeholder = "0" * (2 * request.bytes_reserved)
    sig_num = add((
        "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        f"/ByteRange [0 {'0' * 10} {'0' * 10} {'0' * 10}] /Contents <{placeholder}> "
        f"/M (D:{when:%Y%m%d%H%M%S}Z) /Reason {_pdf_string(request.reason)} "
        f"/Location {_pdf_string(request.location)}{reference}>>").encode())

    # the fields that change
    for name, sig_field in fields.items():
        if name != request.slot and name not in locks:
            continue
        changed = dict(sig_field.field)
        if name in locks:
            changed["/Lock"] = Ref(locks[name], 0)
        if name == request.slot:
            changed["/V"] = Ref(sig_num, 0)
            changed["/AP"] = {"/N": Ref(ap_num, 0)}
        if sig_field.ref.gen != 0:
            raise NotFastPath("a field object of a later generation")
        objects[sig_field.ref.num] = serialize(changed)

    # /SigFlags 3 on the form: signatures exist, append only
    acroform_raw = root.get("/AcroForm")
    acroform = pdf.resolve_dict(acroform_raw)
    if pdf.resolve(acroform.get("/SigFlags", 0)) != 3:
        flagged = {**acroform, "/SigFlags": 3}
        if isinstance(acroform_raw, Ref):
            if acroform_raw.gen != 0:
                raise NotFastPath("a form of a later generation")
            objects[acroform_raw.num] = serialize(flagged)
        else:
            if root_ref.gen != 0:
                raise NotFastPath("a catalog of a later generation")
            objects[root_ref.num] = serialize({**root, "/AcroForm": flagged})

    signed = data + _update_section(data, pdf, objects, next_number)
    start = signed.rindex(b"/Contents <" + placeholder[:64].encode()) + len(b"/Contents ")
    end = start + len(placeholder) + 2
    # /ByteRange's placeholder has the width of the numbers that replace it
    empty = f"/ByteRange [0 {'0' * 10} {'0' * 10} {'0' * 10}]".encode()
    byte_range = f"/ByteRange [0 {start:<10} {end:<10} {len(signed) - end:<10}]".encode()
    at = signed.rindex(empty, 0, start)
    return PreparedDocument(signed[:at] + byte_range + signed[at + len(empty):], start, end)


def _font_in_file(pdf: LeanPdf, fields: Iterable[SignatureField], name: str) -> str | None:
    """A reference to the font `name` in the appearance of a field signed already."""
    for sig_field in fields:
        if not sig_field.signed:
            continue
        try:
            appearance = pdf.resolve_dict(pdf.resolve_dict(sig_field.field["/AP"])["/N"])
            fonts = pdf.resolve_dict(pdf.resolve_dict(appearance["/Resources"])["/Font"])
            font = fonts.get("/F1")
            if (isinstance(font, Ref)
                    and pdf.resolve_dict(font).get("/BaseFont") == f"/{name}"):
                return f"{font.num} {font.gen} R"
        except (KeyError, Unsupported):
            continue  # another signer's appearance: not ours to reuse
    return None


def _update_section(data: bytes, pdf: LeanPdf, objects: dict[int, bytes],
                    size: int) -> bytes:
    """The objects, then a cross-reference section of the file's own kind."""
    prev = startxref(data)
    out = bytearray(b"" if data.endswith(b"\n") else b"\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(data) + len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    keep = "".join(f" {k} {serialize(pdf.trailer[k]).decode('latin-1')}"
                   for k in ("/Root", "/Info", "/ID") if k in pdf.trailer)
    if pdf.has_xref_stream:
        xref_num = size
        size += 1
        offsets[xref_num] = len(data) + len(out)
        nums = sorted(offsets)
        rows = b"".join(b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in nums)
        index = " ".join(f"{n} 1" for n in nums)
        body = zlib.compress(rows)
        out += (f"{xref_num} 0 obj\n<</Type /XRef /Size {size} /Index [{index}] /W [1 4 2] "
                f"/Prev {prev}{keep} /Filter /FlateDecode /Length {len(body)}>>\nstream\n"
                ).encode() + body + b"\nendstream\nendobj\n"
        out += f"startxref\n{offsets[xref_num]}\n%%EOF\n".encode()
    else:
        xref_at = len(data) + len(out)
        out += b"xref\n"
        for n in sorted(offsets):
            out += f"{n} 1\n{offsets[n]:010} 00000 n\r\n".encode()
        out += (f"trailer\n<</Size {size} /Prev {prev}{keep}>>\nstartxref\n{xref_at}\n"
                "%%EOF\n").encode()
    return bytes(out)


# ---------------------------------------------------------------------------------------
# The same stamp for pyHanko's signer (B-LT, B-LTA and unusual files)


def stamp_lines(name: str, title: str, reason: str, place: str, when: str) -> tuple[str, ...]:
    lines = (STAMP_HEADING, name, title, reason, f"{place}, {when}")
    return tuple(line for line in lines if line)


def pyhanko_stamp_style(font: StampFont) -> Any:
    """A pyHanko stamp style drawing pakta's stamp: the same look at every level. Its
    text parameters are nama, jabatan, alasan, tempat and waktu."""
    from pyhanko.pdf_utils import content, generic
    from pyhanko.stamp.base import BaseStamp, BaseStampStyle

    def add_font(writer: Any) -> Any:
        def name(value: str) -> Any:
            return generic.NameObject(value)

        def number(value: int) -> Any:
            return generic.NumberObject(value)

        def stream(data: bytes, **entries: Any) -> Any:
            return writer.add_object(generic.StreamObject(
                {name("/Filter"): name("/FlateDecode"),
                 **{name(f"/{k}"): v for k, v in entries.items()}}, encoded_data=data))

        font_file = stream(font.file_stream, Length1=number(font.file_length))
        descriptor = writer.add_object(generic.DictionaryObject({
            name("/Type"): name("/FontDescriptor"), name("/FontName"): name(f"/{font.name}"),
            name("/Flags"): number(32),
            name("/FontBBox"): generic.ArrayObject(number(v) for v in font.bbox),
            name("/ItalicAngle"): number(0), name("/Ascent"): number(font.ascent),
            name("/Descent"): number(font.descent), name("/CapHeight"): number(font.cap_height),
            name("/StemV"): number(80), name("/FontFile2"): font_file}))
        cid_font = writer.add_object(generic.DictionaryObject({
            name("/Type"): name("/Font"), name("/Subtype"): name("/CIDFontType2"),
            name("/BaseFont"): name(f"/{font.name}"),
            name("/CIDSystemInfo"): generic.DictionaryObject({
                name("/Registry"): generic.TextStringObject("Adobe"),
                name("/Ordering"): generic.TextStringObject("Identity"),
                name("/Supplement"): number(0)}),
            name("/FontDescriptor"): descriptor, name("/CIDToGIDMap"): name("/Identity"),
            name("/DW"): number(1000),
            name("/W"): generic.ArrayObject([number(0), generic.ArrayObject(
                number(w) for w in font.advance)])}))
        return writer.add_object(generic.DictionaryObject({
            name("/Type"): name("/Font"), name("/Subtype"): name("/Type0"),
            name("/BaseFont"): name(f"/{font.name}"), name("/Encoding"): name("/Identity-H"),
            name("/DescendantFonts"): generic.ArrayObject([cid_font]),
            name("/ToUnicode"): stream(font.to_unicode)}))

    class PaktaStamp(BaseStamp):
        def __init__(self, writer: Any, style: Any, box: Any, lines: tuple[str, ...]) -> None:
            super().__init__(writer, style, box)
            self.lines = lines

        def _render_inner_content(self) -> list[bytes]:
            self.set_resource(content.ResourceType.FONT, generic.NameObject("/F1"),
                              add_font(self.writer))
            return [stamp_appearance(font, self.lines, self.box.width, self.box.height)]

    class PaktaStampStyle(BaseStampStyle):
        def create_stamp(self, writer: Any, box: Any, text_params: dict[str, str]) -> Any:
            return PaktaStamp(writer, self, box, stamp_lines(
                text_params["nama"], text_params["jabatan"], text_params["alasan"],
                text_params["tempat"], text_params["waktu"]))

    return PaktaStampStyle(border_width=0)
