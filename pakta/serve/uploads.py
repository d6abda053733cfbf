"""Reading an uploaded PDF into memory, with a size limit, never onto disk.

Starlette's form parser spools files over 1 MB to a temporary file; an upload here is
read from the request stream into memory, stopping as soon as it passes the limit, and
its multipart body is parsed with python-multipart (the parser Starlette itself uses).
A body may also be the PDF itself (Content-Type: application/pdf).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

FORM_OVERHEAD = 64 * 1024  # the multipart framing and the other fields


class UploadError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code  # TOO_LARGE, NO_FILE, BAD_FORM


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    name: str = "upload.pdf"
    data: bytes | None = None


async def read_form(request: Request, limit: int) -> Form:
    cap = limit + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise UploadError(413, "TOO_LARGE")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise UploadError(413, "TOO_LARGE")
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"application/pdf":
        form = Form(data=bytes(body))
    elif content_type == b"multipart/form-data" and options.get(b"boundary"):
        form = _parse_multipart(bytes(body), options[b"boundary"])
    else:
        raise UploadError(415, "BAD_FORM")
    if form.data is None or not form.data:
        raise UploadError(400, "NO_FILE")
    if len(form.data) > limit:
        raise UploadError(413, "TOO_LARGE")
    return form


def _parse_multipart(body: bytes, boundary: bytes) -> Form:
    form = Form()
    state: dict[str, object] = {}
    header_field = bytearray()
    header_value = bytearray()
    part = bytearray()
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()
        part.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part.extend(data[start:end])

    def on_part_end() -> None:
        _, params = parse_options_header(headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in params:
            if name == "file" and form.data is None:
                # Only the name's last component: never a path from the client's machine.
                raw = params[b"filename"].decode("utf-8", "replace")
                form.name = raw.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload.pdf"
                form.data = bytes(part)
        elif len(form.fields) < 8:
            form.fields[name] = bytes(part[:4096]).decode("utf-8", "replace")
        state["parts"] = int(state.get("parts", 0)) + 1  # type: ignore[call-overload]

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_part_data": on_part_data, "on_part_end": on_part_end})
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # python-multipart's errors for a malformed body
        raise UploadError(400, "BAD_FORM") from exc
    return form
