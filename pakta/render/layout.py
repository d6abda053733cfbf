"""HTML -> PDF/A-3b with an empty signature field over every signature slot.

Rendering is split as WeasyPrint splits it: `layout()` lays a document out (and gives
the box of every slot, from the template's `id="slot-<name>"` elements), `write()` paints
it to PDF/A and adds the signature fields (pakta.render.fields) in the same single
revision, so the file the secretariat issues is exactly the first revision of every
signed copy.

Everything that can be set up once (Jinja environment, fonts, stylesheets, the locked
URL fetcher) lives in a `Renderer`; a batch keeps one per worker process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pakta import __version__
from pakta.config import Event, Witness
from pakta.errors import RenderError, TemplateError
from pakta.i18n import _
from pakta.render.fields import SlotBox, add_signature_fields, slot_boxes, with_file_identifier
from pakta.render.jobs import RenderJob
from pakta.render.pagefit import overflow, page_limit
from pakta.render.qr import Verification, document_url, qr_box
from pakta.render.qr import paint as paint_qr
from pakta.render.stencil import (
    STENCIL_CSS,
    Block,
    Placement,
    Sheet,
    Stencil,
    StencilBook,
    capture,
    stencil_document,
)
from pakta.render.stencil import paint as paint_stencils
from pakta.render.stencil import placements as stencil_placements
from pakta.render.templating import Catalogue, assets_dir

if TYPE_CHECKING:
    import pydyf
    import weasyprint

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class RenderedDocument:
    job: RenderJob
    pdf: bytes
    slots: tuple[SlotBox, ...]
    input_sha256: str


class BlockedResource(Exception):
    """A template or roster value tried to load something outside the sandbox."""


class Renderer:
    """Renders documents; build once per process and reuse."""

    def __init__(self, template_dirs: Sequence[Path], event: Event, witness: Witness) -> None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        self.catalogue = Catalogue(template_dirs[0] if template_dirs else None)
        self.event = event
        self.witness = witness
        self.fonts = FontConfiguration()
        self.fetcher = sandboxed_fetcher([*self.catalogue.folders, assets_dir()])
        self._stylesheets: dict[str, list[weasyprint.CSS]] = {}
        self._font_css = weasyprint.CSS(
            string=font_face_css() + STENCIL_CSS, font_config=self.fonts,
            url_fetcher=self.fetcher,
        )
        self.stencils = StencilBook(self._build_stencils)

    def close(self) -> None:
        """Remove the font copies WeasyPrint keeps in a temporary folder.

        WeasyPrint removes it only when its FontConfiguration is garbage-collected, which
        never happens in a worker process that exits with os._exit.
        """
        import shutil

        folder = getattr(self.fonts, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            # Removed: nothing left for FontConfiguration.__del__, which may run as late
            # as interpreter shutdown, when the modules it needs are already gone.
            self.fonts._folder = None

    @cached_property
    def _sources_digest(self) -> Any:
        digest = hashlib.sha256(__version__.encode())
        for folder in self.catalogue.folders:
            for path in sorted(folder.glob("*")):
                if path.suffix in (".j2", ".css"):
                    digest.update(path.name.encode() + path.read_bytes())
        return digest

    def stylesheets(self, template: str) -> list[weasyprint.CSS]:
        import weasyprint

        if template not in self._stylesheets:
            sheets = [self._font_css]
            css_path = self.catalogue.stylesheet_of(template)
            if css_path is not None:
                sheets.append(weasyprint.CSS(
                    string=css_path.read_text(encoding="utf-8"),
                    base_url=css_path.parent.as_uri() + "/",
                    font_config=self.fonts, url_fetcher=self.fetcher))
            self._stylesheets[template] = sheets
        return self._stylesheets[template]

    def context(self, job: RenderJob) -> dict[str, Any]:
        # The QR code varies per document: it is drawn in the footer, never in a stencil.
        verification = Verification.of(job.base_url, job.public_id) if job.public_id \
            else None
        return {"head": job.head, "event": self.event, "witness": self.witness,
                "document_id": job.doc_id, "rapat": False, "verification": verification}

    def input_fingerprint(self, job: RenderJob) -> str:
        """Hash of everything the output depends on: pakta, template sources, values."""
        info = self.catalogue.info(job.template)
        digest = self._sources_digest.copy()
        values = {"head": asdict(job.head), "event": asdict(self.event),
                  "witness": asdict(self.witness), "doc_id": job.doc_id,
                  "slots": info.slots, "public_id": job.public_id, "base_url": job.base_url}
        digest.update(json.dumps(values, sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def layout(self, job: RenderJob, stencils: bool = True) -> LaidOut:
        """Lay a document out; its invariant blocks (see pakta.render.stencil) as empty boxes
        to paint the kept drawings into, unless `stencils` is off.

        A document that does not fit its pages (pakta.render.pagefit) is laid out again with
        the lines that vary per head set tighter (`rapat`); if it still does not fit,
        that is a RenderError naming the head and what overflowed."""
        laid_out = self._layout(job, stencils, rapat=False)
        if laid_out.overflow is not None:
            laid_out = self._layout(job, stencils, rapat=True)
        if laid_out.overflow is not None:
            raise RenderError(
                _("{title}, {name}: {problem} (even with the name and region set "
                  "tighter)").format(title=job.head.title, name=job.head.full_name,
                                     problem=laid_out.overflow),
                hint=_("shorten the name or the region as the roster writes them, or "
                       "give the template more room"))
        return laid_out

    def _layout(self, job: RenderJob, stencils: bool, rapat: bool) -> LaidOut:
        info = self.catalogue.info(job.template)
        context = {**self.context(job), "rapat": rapat}
        if stencils:
            context["_stencils"] = self.stencils
            self.stencils.start(job.template)
        html = self.catalogue.render(job.template, context)
        if stencils and self.stencils.build_missing(html):
            self.stencils.start(job.template)
            html = self.catalogue.render(job.template, context)  # now with empty boxes
        document = self._weasyprint_render(job.template, html, info.path.parent)
        placed, misfits = (stencil_placements(document, self.stencils.used) if stencils
                           else ([], []))
        if misfits:  # a box did not land as its block would: those blocks in place
            self.stencils.drop(misfits)
            return self._layout(job, stencils, rapat)
        inner: list[dict[str, Any]] = [{} for _page in document.pages]  # stencils' anchors
        for placement in placed:
            inner[placement.page].update(placement.anchors())
        return LaidOut(document, slot_boxes(document, info.slots, job.template, inner),
                       placed, overflow(document, info.slots, page_limit(html), inner))

    def _weasyprint_render(self, template: str, html: str, folder: Path
                           ) -> weasyprint.Document:
        import weasyprint
        from weasyprint.urls import FatalURLFetchingError

        try:
            return weasyprint.HTML(
                string=html, base_url=folder.as_uri() + "/", url_fetcher=self.fetcher,
            ).render(stylesheets=self.stylesheets(template), font_config=self.fonts)
        except FatalURLFetchingError as exc:
            # The sandbox's refusal arrives wrapped by WeasyPrint; report the refusal.
            cause = exc.__cause__ if isinstance(exc.__cause__, BlockedResource) else exc
            raise TemplateError(_("template '{template}': {cause}").format(
                                    template=template, cause=cause)) from exc

    def _build_stencils(self, blocks: dict[str, Block], html: str
                        ) -> dict[str, Stencil | None]:
        """The blocks painted once, one per page, with one subset of each font; a
        block that does not fit on one page is not a stencil (None)."""
        template = self.stencils.template
        folder = self.catalogue.info(template).path.parent
        document = self._weasyprint_render(
            template, stencil_document(html, blocks), folder)
        boxes = [page.anchors.get(f"stencil-{key}")
                 for key, page in zip(blocks, document.pages, strict=False)]
        if len(document.pages) != len(blocks) or None in boxes:
            return dict.fromkeys(blocks)
        captured: list[tuple[list[float], list[int], Sheet]] = []
        document.write_pdf(pdf_variant=PDF_VARIANT,
                           finisher=lambda _doc, pdf: captured.append(capture(pdf)))
        heights, forms, sheet = captured[0]
        return {
            key: Stencil(key, block, tuple(box), height, sheet, form,  # type: ignore[arg-type]
                         tuple((name, tuple(inner)) for name, inner in page.anchors.items()
                               if name != f"stencil-{key}"))
            for (key, block), box, height, form, page in zip(
                blocks.items(), boxes, heights, forms, document.pages, strict=True)}

    def render(self, job: RenderJob) -> RenderedDocument:
        laid_out = self.layout(job)
        qr = qr_box(laid_out.document) if job.public_id else None

        def finish(_doc: weasyprint.Document, pdf: pydyf.PDF) -> None:
            paint_stencils(pdf, laid_out.stencils)
            if qr is not None:
                paint_qr(pdf, *qr, document_url(job.base_url, job.public_id))
            add_signature_fields(pdf, laid_out.slots)

        # pydyf's automatic file identifier serialises and compresses the whole file a
        # second time to hash it (3 ms of a 23 ms document); the input's fingerprint
        # identifies the document as well.
        pdf = laid_out.document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=False,
                                          finisher=finish)
        fingerprint = self.input_fingerprint(job)
        return RenderedDocument(job, with_file_identifier(pdf, fingerprint[:32]),
                                laid_out.slots, fingerprint)


@dataclass(frozen=True)
class LaidOut:
    document: weasyprint.Document
    slots: tuple[SlotBox, ...]
    stencils: list[Placement]
    overflow: str | None = None  # what does not fit its pages (pakta.render.pagefit)


def font_face_css() -> str:
    """@font-face rules for the fonts shipped with pakta: output never depends on the
    machine's fonts."""
    fonts = assets_dir() / "fonts"
    faces = [("Pakta Serif", "LiberationSerif-Regular.ttf", "normal", "normal"),
             ("Pakta Serif", "LiberationSerif-Bold.ttf", "bold", "normal"),
             ("Pakta Serif", "LiberationSerif-Italic.ttf", "normal", "italic"),
             ("Pakta Sans", "LiberationSans-Regular.ttf", "normal", "normal"),
             ("Pakta Sans", "LiberationSans-Bold.ttf", "bold", "normal")]
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{(fonts / file).as_uri()}");'
        f" font-weight: {weight}; font-style: {style}; }}"
        for family, file, weight, style in faces
    )


def sandboxed_fetcher(allowed: Iterable[Path]) -> Any:
    """A URL fetcher that serves only files under `allowed` folders and data: URIs.

    This is the security boundary for HTML: no network, no file outside the template
    folders and pakta's own assets, whatever a template or a roster value says.
    """
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    roots = [p.resolve() for p in allowed]

    class SandboxedFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if any(path.is_relative_to(root) for root in roots) and path.is_file():
                    return super().fetch(url, headers)
                raise BlockedResource(_("blocked '{url}': only files in the template folders "
                                        "and pakta's assets may be loaded").format(url=url))
            raise BlockedResource(
                _("blocked '{url}': templates may not load anything from the network").format(
                    url=url))

    return SandboxedFetcher(fail_on_errors=True, allowed_protocols=["file", "data"])
