"""The ASGI app of `pakta serve` (FastAPI): one workspace's verification page, the QR
code's target, the JSON API, the secretariat's dashboard and the heads' return by link.

Pages are Indonesian first (`?lang=en` switches, remembered in a cookie). No page runs a
script: the CSP forbids every script, inline or not. Errors answer with a short page or
JSON of their own: never a traceback or a path of the server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from pakta import __version__
from pakta.config import Workspace
from pakta.files import atomic_write
from pakta.i18n import N_, in_language, normalise, translator
from pakta.ledger import DocumentRecord, Ledger, now_iso, sha256_hex
from pakta.render.qr import normalise_id
from pakta.serve import auth
from pakta.serve.present import SLOT_NAMES, record_view, template_title, verdict_view
from pakta.serve.uploads import UploadError, read_form
from pakta.serve.worker import Busy, Limits, Verifier
from pakta.status import build_status
from pakta.verify import COMPLETE, INCOMPLETE

HERE = Path(__file__).parent
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
UPLOAD_ERRORS = {
    "TOO_LARGE": N_("The file is larger than any pact: it was not checked."),
    "NO_FILE": N_("Choose a PDF file to upload."),
    "BAD_FORM": N_("The upload could not be read. Choose a PDF file and try again."),
    "BUSY": N_("The server is busy checking other files. Please try again in a minute."),
}
REFUSALS = {
    "NOT_YOURS": N_("This file is not one of the documents issued to you, so it was not "
                    "accepted."),
    "UNKNOWN": N_("This file is not a document the secretariat issued, so it was not "
                  "accepted. Sign the file downloaded from this page, not a copy."),
    "INVALID": N_("The signatures in this file are not valid, so it was not accepted. "
                  "Sign the original file from this page again."),
    "ERROR": N_("This file could not be read as a PDF, so it was not accepted."),
    "OTHER": N_("This file was not accepted."),
}
FILED = {
    "filed": N_("Received: the signed file is filed with the secretariat."),
    "kept": N_("Received, but the secretariat already has a copy with as many signatures "
               "or more; that copy is kept."),
    "already filed": N_("This file was already received earlier."),
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    return env


def create_app(ws: Workspace, limits: Limits | None = None) -> FastAPI:
    limits = limits or Limits()
    with Ledger(ws.ledger) as setup:  # creates the ledger and its tables if need be
        secret = auth.session_key(setup)
    # The server's own connection, opened on the event loop's thread, used only there.
    ledger: Ledger = None  # type: ignore[assignment]
    verifier = Verifier(ws, limits)
    env = _environment()
    https = ws.base_url.startswith("https://")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nonlocal ledger
        ledger = verifier.ledger = Ledger(ws.ledger)
        try:
            yield
        finally:
            verifier.close()
            ledger.close()

    app = FastAPI(title="pakta", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan,
                  description="Verification of Bawaslu's integrity pacts.")
    app.add_middleware(SessionMiddleware, secret_key=secret,
                       session_cookie="pakta_session", max_age=8 * 3600,
                       same_site="strict", https_only=https)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        try:
            response: Response = await call_next(request)
        except Exception:  # logged by the server; the client sees no detail
            response = _plain_error(request, 500)
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        # Invitation links carry their token in the path: never sent on as a referrer.
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if https:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.url.path.startswith(("/admin", "/i/")):
            headers["Cache-Control"] = "no-store"
        return response

    # -- helpers -------------------------------------------------------------------------

    def lang_of(request: Request) -> str:
        return (normalise(request.query_params.get("lang"))
                or normalise(request.cookies.get("lang")) or "id")

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        lang = lang_of(request)
        catalogue = translator(lang)
        other = "en" if lang == "id" else "id"
        html = env.get_template(name).render(
            gettext=catalogue.gettext, ngettext=catalogue.ngettext, _=catalogue.gettext,
            lang=lang, switch_url=f"{request.url.path}?lang={other}",
            switch_label="English" if lang == "id" else "Bahasa Indonesia",
            **values)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in ("id", "en"):
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax",
                                httponly=True, secure=https)
        return response

    def _plain_error(request: Request, status: int, code: str = "ERROR") -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": code}, status_code=status)
        lang = lang_of(request)
        messages = {404: N_("Not found."), 405: N_("Not allowed."),
                    500: N_("Something went wrong on the server. Please try again later.")}
        message = in_language(lang, messages.get(status, N_("The request is not valid.")))
        return page(request, "error.html", status=status, message=message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "ERROR")
        return _plain_error(request, exc.status_code, code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _plain_error(request, 422, "INVALID_REQUEST")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return _plain_error(request, 500)

    async def verify_upload(request: Request) -> tuple[dict[str, Any] | None, str | None,
                                                       int, Any]:
        """The upload's verdict view, or the code of why it was not checked."""
        try:
            form = await read_form(request, limits.max_bytes)
        except UploadError as exc:
            return None, exc.code, exc.status, None
        try:
            verdict = await verifier.verify(form.data or b"", form.name)
        except Busy:
            return None, "BUSY", 503, None
        record = ledger.document(verdict.doc_id) if verdict.doc_id else None
        public = ledger.public_ids([record.doc_id])[record.doc_id] if record else None
        return (verdict_view(verdict, record, public, ws, lang_of(request)), None, 200,
                verdict)

    def upload_error(request: Request, code: str, status: int, template: str,
                     **values: Any) -> Response:
        message = in_language(lang_of(request), UPLOAD_ERRORS[code])
        response = page(request, template, status=status, error=message, **values)
        if code == "BUSY":
            response.headers["Retry-After"] = "10"
        return response

    def lookup(public_id: str) -> tuple[DocumentRecord, str] | None:
        canonical = normalise_id(public_id)
        return ledger.document_by_public_id(canonical) if canonical else None

    def record_of(record: DocumentRecord, public_id: str, lang: str) -> dict[str, Any]:
        report = build_status(ledger, template_dir=ws.template_dir,
                              template=record.template, province=record.province)
        status = next((d for d in report.documents if d.doc_id == record.doc_id), None)
        latest = ledger.latest_verifications().get(record.doc_id)
        last = (latest.verified_at, latest.status) if latest else None
        return record_view(record, public_id, status, last, lang)

    # -- the public pages ----------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> Response:
        return page(request, "index.html", error=None)

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    async def index_upload(request: Request) -> Response:
        view, code, status, _ = await verify_upload(request)
        if view is None:
            return upload_error(request, code or "BAD_FORM", status, "index.html")
        return page(request, "verdict.html", verdict=view, expected=None)

    @app.get("/d/{public_id}", response_class=HTMLResponse, include_in_schema=False)
    async def document_page(request: Request, public_id: str) -> Response:
        found = lookup(public_id)
        if found is None:
            return _plain_error(request, 404)
        record, public = found
        return page(request, "document.html", record=record_of(record, public,
                                                                  lang_of(request)),
                    error=None)

    @app.post("/d/{public_id}", response_class=HTMLResponse, include_in_schema=False)
    async def document_upload(request: Request, public_id: str) -> Response:
        found = lookup(public_id)
        if found is None:
            return _plain_error(request, 404)
        record, public = found
        lang = lang_of(request)
        view, code, status, _ = await verify_upload(request)
        if view is None:
            return upload_error(request, code or "BAD_FORM", status, "document.html",
                                record=record_of(record, public, lang))
        same = view["document"] is not None and view["document"]["id"] == public
        return page(request, "verdict.html", verdict=view,
                    expected={"same": same, "record": record_of(record, public, lang)})

    # -- the JSON API --------------------------------------------------------------------

    pdf_body: dict[str, Any] = {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}

    @app.post("/api/verify", openapi_extra=pdf_body, summary="Verify a PDF",
              responses={413: {"description": "larger than the limit"},
                         503: {"description": "busy: try again"}})
    async def api_verify(request: Request) -> JSONResponse:
        """The verdict of an uploaded PDF: its document, each signature, whether it is
        the issued document and whether it changed after signing. Not kept."""
        view, code, status, _ = await verify_upload(request)
        if view is None:
            headers = {"Retry-After": "10"} if code == "BUSY" else None
            return JSONResponse({"error": code}, status_code=status, headers=headers)
        return JSONResponse(view)

    @app.get("/api/documents/{public_id}", summary="A document's record",
             responses={404: {"description": "no such document"}})
    async def api_document(request: Request, public_id: str) -> JSONResponse:
        """The ledger's record of one document, by the id in its QR code or its short
        code: to whom and when it was issued, its signing state, its last verification."""
        found = lookup(public_id)
        if found is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        record, public = found
        return JSONResponse(record_of(record, public, lang_of(request)))

    # -- the secretariat's dashboard -----------------------------------------------------

    @app.get("/admin/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_page(request: Request) -> Response:
        return page(request, "login.html", csrf=auth.csrf_token(request.session),
                    error=None)

    @app.post("/admin/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        lang = lang_of(request)
        if not auth.csrf_ok(request.session, form.get("csrf")):
            return page(request, "login.html", status=403,
                        csrf=auth.csrf_token(request.session),
                        error=in_language(lang, N_("The form expired. Please try again.")))
        password = form.get("password")
        stored = ledger.setting(auth.PASSWORD_KEY)
        ok = isinstance(password, str) and await asyncio.to_thread(
            auth.check_password, password, stored)
        if not ok:
            await asyncio.sleep(1)  # slows guessing down
            return page(request, "login.html", status=401,
                        csrf=auth.csrf_token(request.session),
                        error=in_language(lang, N_("Wrong password.")))
        request.session.clear()
        request.session["admin"] = True
        auth.csrf_token(request.session)
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        if auth.csrf_ok(request.session, form.get("csrf")):
            request.session.clear()
        return RedirectResponse("/admin/login", status_code=303)

    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    async def admin(request: Request) -> Response:
        if not request.session.get("admin"):
            return RedirectResponse("/admin/login", status_code=303)
        from pakta.roster import load_roster

        heads = load_roster(ws.roster) if ws.roster.exists() else []
        report = build_status(ledger, heads, template_dir=ws.template_dir)
        lang = lang_of(request)
        return page(request, "admin.html", report=report,
                    csrf=auth.csrf_token(request.session), title_of=template_title,
                    slot_of=lambda slot: in_language(lang, SLOT_NAMES.get(slot) or slot),
                    missing=[d for d in report.documents if d.missing_slots])

    # -- the heads' return by link -------------------------------------------------------

    def invited(token: str) -> tuple[str, list[DocumentRecord]] | None:
        region = ledger.invite_region(auth.token_hash(token))
        if region is None:
            return None
        return region, [r for r in ledger.documents() if r.region_code == region]

    def invite_values(token: str, documents: list[DocumentRecord]) -> dict[str, Any]:
        ids = ledger.public_ids([r.doc_id for r in documents])
        report = build_status(ledger, template_dir=ws.template_dir)
        states = {d.doc_id: d for d in report.documents}
        rows = []
        for record in documents:
            status = states.get(record.doc_id)
            rows.append({"record": record, "title": template_title(record.template),
                         "public_id": ids[record.doc_id],
                         "view": record_view(record, ids[record.doc_id], status, None,
                                             "id")})
        head = documents[0] if documents else None
        return {"token": token, "rows": rows, "head": head, "error": None, "result": None}

    @app.get("/i/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def invite_page(request: Request, token: str) -> Response:
        found = invited(token)
        if found is None:
            return _plain_error(request, 404)
        values = invite_values(token, found[1])
        lang = lang_of(request)
        for row in values["rows"]:
            row["view"] = record_of(row["record"], row["public_id"], lang)
        return page(request, "invite.html", **values)

    @app.get("/i/{token}/{public_id}.pdf", include_in_schema=False)
    async def invite_download(request: Request, token: str, public_id: str) -> Response:
        found = invited(token)
        target = lookup(public_id)
        if found is None or target is None or target[0].region_code != found[0]:
            return _plain_error(request, 404)
        record = target[0]
        canonical = ws.collected_dir / f"{record.doc_id}.pdf"
        path = canonical if canonical.exists() else Path(record.path)
        if not path.is_file():
            return _plain_error(request, 404)
        return FileResponse(path, media_type="application/pdf",
                            filename=f"{record.doc_id}.pdf")

    @app.post("/i/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def invite_upload(request: Request, token: str) -> Response:
        found = invited(token)
        if found is None:
            return _plain_error(request, 404)
        region, documents = found
        lang = lang_of(request)
        values = invite_values(token, documents)
        try:
            form = await read_form(request, limits.max_bytes)
        except UploadError as exc:
            return upload_error(request, exc.code, exc.status, "invite.html",
                                **{k: v for k, v in values.items() if k != "error"})
        data = form.data or b""
        try:
            verdict = await verifier.verify(data, form.name)
        except Busy:
            return upload_error(request, "BUSY", 503, "invite.html",
                                **{k: v for k, v in values.items() if k != "error"})
        if verdict.status not in (COMPLETE, INCOMPLETE):
            key = verdict.status if verdict.status in REFUSALS else "OTHER"
            values["error"] = in_language(lang, REFUSALS[key])
            return page(request, "invite.html", status=422, **values)
        if verdict.region_code != region:
            values["error"] = in_language(lang, REFUSALS["NOT_YOURS"])
            return page(request, "invite.html", status=422, **values)
        # Filed by pakta collect's own logic, from a copy kept as the returned file.
        returned = ws.root / "returned" / region / f"{now_iso()[:19].replace(':', '')}-" \
            f"{sha256_hex(data)[:12]}.pdf"
        returned.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(returned, data)
        try:
            outcome = await verifier.collect(returned)
        except Busy:
            os.unlink(returned)
            return upload_error(request, "BUSY", 503, "invite.html",
                                **{k: v for k, v in values.items() if k != "error"})
        if outcome.action == "refused":
            os.unlink(returned)
            values["error"] = in_language(lang, REFUSALS["OTHER"])
            return page(request, "invite.html", status=422, **values)
        values = invite_values(token, documents)
        for row in values["rows"]:
            row["view"] = record_of(row["record"], row["public_id"], lang)
        values["result"] = in_language(lang, FILED.get(outcome.action, FILED["filed"]))
        return page(request, "invite.html", **values)

    app.state.verifier = verifier
    return app


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/i/{quote(token)}"
