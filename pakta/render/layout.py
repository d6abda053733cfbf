"""HTML -> PDF/A-3b with an empty signature field over every signature slot.

Rendering is split as WeasyPrint splits it: `layout()` lays a document out (and gives
the box of every slot, from the template's `id="slot-<name>"` elements), `write()` paints
it to PDF/A and adds the signature fields in the same single revision, so the file the
secretariat issues is exactly the first revision of every signed copy.

Everything that can be set up once (Jinja environment, fonts, stylesheets, the locked
URL fetcher) lives in a `Renderer`; a batch keeps one per worker process.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pakta import __version__
from pakta.batch import Executor, LocalExecutor, WorkerState, chunk_size
from pakta.config import Event, Witness
from pakta.errors import OutputExistsError, RenderError, TemplateError
from pakta.files import discard, temp_path_for
from pakta.i18n import _
from pakta.ledger import DocumentRecord, Ledger, now_iso, sha256_hex
from pakta.render.pagefit import overflow, page_limit
from pakta.render.qr import DEFAULT_BASE_URL, Verification, document_url, qr_box
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
from pakta.roster import RegionHead

if TYPE_CHECKING:
    import pydyf
    import weasyprint

    from pakta.people import Person

PX_TO_PT = 0.75  # CSS px are 1/96 in, PDF points 1/72 in
PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class SlotBox:
    """Where a signature slot landed: page index and PDF rectangle in points."""

    name: str
    page: int
    rect: tuple[float, float, float, float]  # x1, y1, x2, y2; PDF y grows upward


@dataclass(frozen=True)
class RenderJob:
    head: RegionHead | Person  # a regional head, or an ASN from a people roster
    template: str
    doc_id: str  # "75-gorontalo-pakta-integritas", also the file stem
    out_path: Path
    # The QR code's target (pakta.render.qr): set by render_batch from the ledger; a job
    # without one is rendered without the QR code.
    public_id: str = ""
    base_url: str = DEFAULT_BASE_URL


@dataclass(frozen=True)
class RenderedDocument:
    job: RenderJob
    pdf: bytes
    slots: tuple[SlotBox, ...]
    input_sha256: str


@dataclass(frozen=True)
class RenderOutcome:
    doc_id: str
    path: Path
    action: str  # "rendered", "unchanged", "overwritten" or "failed"
    error: str | None = None
    exit_code: int = 0  # of the error, for the command's own exit code


@dataclass
class RenderSummary:
    outcomes: list[RenderOutcome] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C: what is done is done, the rest is left for a rerun

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def failed(self) -> list[RenderOutcome]:
        return [o for o in self.outcomes if o.action == "failed"]


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


def with_file_identifier(pdf: bytes, identifier: str) -> bytes:
    """`pdf` with /ID in its trailer (PDF/A requires one), put first in the dictionary
    of the final cross-reference section: only bytes after its start move, and no
    offset points there."""
    start = int(pdf[pdf.rindex(b"startxref") + len(b"startxref"):].split()[0])
    head = pdf.index(b"<<", start) + 2
    if not re.fullmatch(r"[0-9a-f]{32}", identifier):
        raise ValueError("a file identifier is 32 hex digits")
    value = identifier.encode()
    return pdf[:head] + b"/ID [(%s) (%s)]" % (value, value) + pdf[head:]


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


def slot_boxes(
    document: weasyprint.Document, slots: Sequence[str], template: str,
    stencilled: Sequence[dict[str, Any]] = (),
) -> tuple[SlotBox, ...]:
    """The PDF rectangle of every declared slot, taken from the layout (or from the
    stencil it is drawn with)."""
    boxes = []
    for name in slots:
        for index, page in enumerate(document.pages):
            anchor = page.anchors.get(f"slot-{name}")
            if anchor is None and index < len(stencilled):
                anchor = stencilled[index].get(f"slot-{name}")
            if anchor is None:
                continue
            x1, y1, x2, y2 = anchor
            height = page.height * PX_TO_PT
            rect = (round(x1 * PX_TO_PT, 2), round(height - y2 * PX_TO_PT, 2),
                    round(x2 * PX_TO_PT, 2), round(height - y1 * PX_TO_PT, 2))
            if rect[2] - rect[0] < 1 or rect[3] - rect[1] < 1:
                raise TemplateError(_("template '{template}': slot '{name}' has an empty "
                                      "box").format(template=template, name=name),
                                    hint=_("give the slot element a width and a height"))
            boxes.append(SlotBox(name, index, rect))
            break
        else:
            raise TemplateError(_("template '{template}': slot '{name}' is not laid out").format(
                                    template=template, name=name),
                                hint=_("is the element hidden (display: none)?"))
    return tuple(boxes)


def add_signature_fields(pdf: pydyf.PDF, slots: Sequence[SlotBox]) -> None:
    """Empty /Sig fields with widgets over the slots, written in the same revision."""
    import pydyf

    if not slots:
        return
    page_numbers = pdf.pages["Kids"][::3]
    form = pdf.catalog.get("AcroForm")
    if form is None:
        form = pydyf.Dictionary({"Fields": pydyf.Array()})
        pdf.catalog["AcroForm"] = form
    # SignaturesExist | AppendOnly: the document has signature fields, and an editor must
    # save it incrementally. Set now, signing never has to rewrite the catalog.
    form["SigFlags"] = 3
    for slot in slots:
        page = pdf.objects[page_numbers[slot.page]]
        x1, y1, x2, y2 = slot.rect
        # PDF/A wants an appearance for every widget: an empty one until it is signed.
        appearance = pydyf.Stream([], {
            "Type": "/XObject", "Subtype": "/Form",
            "BBox": pydyf.Array([0, 0, round(x2 - x1, 2), round(y2 - y1, 2)]),
        })
        pdf.add_object(appearance)
        widget = pydyf.Dictionary({
            "Type": "/Annot", "Subtype": "/Widget", "FT": "/Sig",
            "T": pydyf.String(slot.name),
            "TU": pydyf.String(f"Tanda tangan: {slot.name}"),
            "Rect": pydyf.Array(slot.rect),
            "F": 4,  # print
            "P": page.reference,
            "AP": pydyf.Dictionary({"N": appearance.reference}),
        })
        pdf.add_object(widget)
        page.setdefault("Annots", pydyf.Array()).append(widget.reference)
        form["Fields"].append(widget.reference)


# ---------------------------------------------------------------------------------------
# Batches


def doc_id_for(head: RegionHead, template: str) -> str:
    return f"{head.slug}-{template}"


def plan_jobs(
    heads: Sequence[RegionHead], templates: Sequence[str], out_dir: Path,
    only: Sequence[str] = (),
) -> list[RenderJob]:
    wanted = set(only)
    unknown = wanted - {h.code for h in heads}
    if unknown:
        raise TemplateError(_("--only: no head with region code {items}").format(
                                items=', '.join(sorted(unknown))))
    jobs = []
    for head in heads:
        if wanted and head.code not in wanted:
            continue
        for template in templates:
            doc_id = doc_id_for(head, template)
            jobs.append(RenderJob(head, template, doc_id, out_dir / f"{doc_id}.pdf"))
    return jobs


def with_public_ids(jobs: Sequence[RenderJob], ledger: Ledger, base_url: str
                    ) -> list[RenderJob]:
    """The jobs with their documents' public ids (made and kept in the ledger the first
    time), so that the QR code of a document never changes between renderings."""
    from dataclasses import replace

    ids = ledger.public_ids([job.doc_id for job in jobs])
    return [replace(job, public_id=ids[job.doc_id], base_url=base_url) for job in jobs]


def file_sha256(path: Path) -> str | None:
    try:
        return sha256_hex(path.read_bytes())
    except FileNotFoundError:
        return None


# The parent's renderer, which forked workers inherit instead of building their own.
_inherited: Renderer | None = None

# A layout allocates tens of thousands of short-lived objects; the default thresholds
# run a collection every 700 allocations, mostly over objects that live for the whole
# batch. Collections are rarer while a batch renders (a few MB more memory per worker).
BATCH_GC_THRESHOLD = (20000, 50, 1000)


@contextlib.contextmanager
def _batch_collector() -> Iterator[None]:
    """Collect garbage less often, and never scan what exists before the batch: the
    imported modules, the roster, the fonts (and, in forked workers, no copy-on-write
    copies of the parent's memory just for the collector's bookkeeping)."""
    import gc

    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def _worker_renderer(template_dir: Path | None, event: Event, witness: Witness) -> Renderer:
    """A worker's renderer, built once (pakta.batch keeps it for the batch)."""
    import gc
    import multiprocessing.util

    gc.set_threshold(*BATCH_GC_THRESHOLD)
    if _inherited is not None:
        # Forked: the parent's fonts, stylesheets and Jinja environment are already here.
        # The parent owns (and removes) the font folder.
        return _inherited
    renderer = Renderer([template_dir] if template_dir else [], event, witness)
    multiprocessing.util.Finalize(renderer, renderer.close, exitpriority=10)
    return renderer


def _close_renderer(renderer: Renderer) -> None:
    if renderer is not _inherited:
        renderer.close()


@dataclass(frozen=True)
class RenderedFile:
    """A document a worker rendered into a temporary file beside its output (a folder
    the client reaches too); the client records it in the ledger, then renames it."""

    job: RenderJob
    temp: Path
    size: int
    sha256: str
    input_sha256: str
    write_error: str | None = None  # the temporary file could not be written


def _render_item(renderer: Renderer, job: RenderJob) -> RenderedFile | RenderOutcome:
    try:
        result = renderer.render(job)
    except (TemplateError, RenderError) as exc:
        return RenderOutcome(job.doc_id, job.out_path, "failed", exc.message, exc.exit_code)
    except Exception as exc:  # WeasyPrint can fail in many ways; report, don't stop
        return RenderOutcome(job.doc_id, job.out_path, "failed",
                             f"{type(exc).__name__}: {exc}", RenderError.exit_code)
    temp = temp_path_for(job.out_path)
    try:
        with open(temp, "wb") as out:
            out.write(result.pdf)  # flushed to disk once for the batch (os.sync)
    except OSError as exc:
        discard(temp)
        return RenderedFile(job, temp, 0, "", "", write_error=str(exc.strerror or exc))
    return RenderedFile(job, temp, len(result.pdf), sha256_hex(result.pdf),
                        result.input_sha256)


def _died(job: RenderJob) -> RenderOutcome:
    return RenderOutcome(job.doc_id, job.out_path, "failed",
                         "the rendering process died while this document was in flight; "
                         "run the batch again", RenderError.exit_code)


def render_batch(
    jobs: Sequence[RenderJob],
    *,
    template_dir: Path | None,
    event: Event,
    witness: Witness,
    ledger: Ledger,
    overwrite: bool = False,
    workers: int = 1,
    progress: Callable[[RenderOutcome], None] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    executor: Executor | None = None,
) -> RenderSummary:
    """Render `jobs`, skipping what is already rendered from the same input.

    Plans every output first: a file that exists and is not the ledger's rendering of
    the same input (hand-edited, signed in place, or rendered from other data) stops
    the batch before any work, unless `overwrite`. The work goes to `executor` (a
    local process pool of `workers` by default; see pakta.batch).
    """
    checker = Renderer([template_dir] if template_dir else [], event, witness)
    jobs = with_public_ids(jobs, ledger, base_url)
    try:
        with contextlib.ExitStack() as stack:
            if executor is None:
                executor = stack.enter_context(LocalExecutor(workers))
            return _render_batch(jobs, checker, template_dir=template_dir, event=event,
                                 witness=witness, ledger=ledger, overwrite=overwrite,
                                 executor=executor, progress=progress)
    finally:
        checker.close()


def _render_batch(
    jobs: Sequence[RenderJob],
    checker: Renderer,
    *,
    template_dir: Path | None,
    event: Event,
    witness: Witness,
    ledger: Ledger,
    overwrite: bool,
    executor: Executor,
    progress: Callable[[RenderOutcome], None] | None,
) -> RenderSummary:
    summary = RenderSummary()
    todo: list[RenderJob] = []
    conflicts: list[RenderJob] = []
    _remove_stale_temps([job.out_path for job in jobs])
    for job in jobs:
        current = file_sha256(job.out_path)
        if current is None:
            todo.append(job)
            continue
        record = ledger.document(job.doc_id)
        if (record is not None and record.sha256 == current
                and record.input_sha256 == checker.input_fingerprint(job)):
            outcome = RenderOutcome(job.doc_id, job.out_path, "unchanged")
            summary.outcomes.append(outcome)
            if progress:
                progress(outcome)
        elif overwrite:
            todo.append(job)
        else:
            conflicts.append(job)
    if conflicts:
        names = "\n".join(f"  {j.out_path}" for j in conflicts[:10])
        more = f"\n  ... and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
        raise OutputExistsError(
            _("{count} output file(s) exist and differ from what this roster and these "
              "templates render (edited, signed, or rendered from other data):\n"
              "{names}{more}").format(count=len(conflicts), names=names, more=more),
            hint=_("nothing was rendered; move them away or pass --overwrite"),
        )
    for job in todo:
        # Jinja is cheap next to layout: a template that cannot be filled for some head
        # stops the batch here, before any PDF is written.
        checker.catalogue.render(job.template, checker.context(job))
        try:
            job.out_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RenderError(_("{parent}: cannot create the output folder ({value})").format(
                                  parent=job.out_path.parent, value=exc.strerror or exc)) from exc
    try:
        with _batch_collector():
            for result in _run(todo, template_dir, event, witness, executor, checker):
                outcome = (result if isinstance(result, RenderOutcome)
                           else _store(result, ledger))
                summary.outcomes.append(outcome)
                if progress:
                    progress(outcome)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if todo:
            # Rendered but never recorded (the batch stopped): not left lying about.
            _remove_stale_temps([job.out_path for job in todo])
            # The files are renamed into place without a flush each; one flush for the
            # batch makes them durable (a flush per file costs a commit of the file
            # system's journal for every document).
            os.sync()
    return summary


def _run(
    jobs: Sequence[RenderJob], template_dir: Path | None, event: Event, witness: Witness,
    executor: Executor, local: Renderer,
) -> Iterator[RenderedFile | RenderOutcome]:
    global _inherited
    # Forked local workers share the parent's imported WeasyPrint and its renderer (fonts
    # registered, stylesheets parsed) instead of building their own.
    _inherited = None if executor.remote else local
    setup = _worker_state(template_dir, event, witness)
    try:
        yield from executor.map(
            _render_item, jobs, setup, size=len(jobs),
            chunk=chunk_size(len(jobs), executor.workers, most=4), local=local,
            on_crash=_died)
    finally:
        _inherited = None


@functools.lru_cache(maxsize=4)
def _worker_state(template_dir: Path | None, event: Event, witness: Witness) -> WorkerState:
    """One worker state per set-up: a batch rendered in windows builds its renderer once
    per worker."""
    return WorkerState(_worker_renderer, (template_dir, event, witness), _close_renderer)


def _store(result: RenderedFile, ledger: Ledger) -> RenderOutcome:
    """Ledger row first, then the rename: a crash between the two leaves a ledger row
    with no file (re-rendered next time), never a file the ledger does not know."""
    job = result.job
    if result.write_error is not None:
        raise RenderError(f"{job.out_path}: cannot write ({result.write_error})",
                          hint="the batch stopped; files written before are complete "
                          "and a rerun finishes the rest")
    existed = job.out_path.exists()
    try:
        ledger.record_document(DocumentRecord(
            doc_id=job.doc_id, template=job.template, region_code=job.head.code,
            province=job.head.province, head_name=job.head.full_name,
            head_title=job.head.title, path=str(job.out_path), size=result.size,
            sha256=result.sha256, input_sha256=result.input_sha256,
            rendered_at=now_iso()))
        os.replace(result.temp, job.out_path)
    except OSError as exc:
        discard(result.temp)
        raise RenderError(_("{out_path}: cannot write ({value})").format(
                              out_path=job.out_path, value=exc.strerror or exc),
                          hint=_("the batch stopped; files written before are complete and a "
                                 "rerun finishes the rest")) from exc
    except BaseException:
        discard(result.temp)
        raise
    return RenderOutcome(job.doc_id, job.out_path, "overwritten" if existed else "rendered")


def _remove_stale_temps(paths: Sequence[Path]) -> None:
    """Temporary files a killed run left beside these outputs. One listing per folder:
    a glob per output would read the whole folder once for every document."""
    names: dict[Path, set[str]] = {}
    for path in paths:
        names.setdefault(path.parent, set()).add(path.name)
    for folder, wanted in names.items():
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            # ".NAME.PID.part" (pakta.files.temp_path_for)
            stem = entry.name.removesuffix(".part").rpartition(".")[0]
            if entry.name.startswith(".") and entry.name.endswith(".part") and stem[1:] in wanted:
                discard(Path(entry.path))
