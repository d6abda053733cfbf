"""Render batches: the ledger check that makes a rerun skip what is rendered, the
work spread over `pakta.batch`'s executor (each worker keeps one `Renderer`), and each
document recorded in the ledger before it is renamed into place."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pakta.batch import Executor, LocalExecutor, WorkerState
from pakta.config import Event, Witness
from pakta.errors import OutputExistsError, RenderError, TemplateError
from pakta.files import discard, remove_left_behind, temp_path_for
from pakta.i18n import _
from pakta.ledger import DocumentRecord, Ledger, now_iso, sha256_hex
from pakta.render.jobs import RenderJob, with_public_ids
from pakta.render.layout import Renderer
from pakta.render.qr import DEFAULT_BASE_URL


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


def _render_item(renderer: Renderer, job: RenderJob, *,
                 client: int) -> RenderedFile | RenderOutcome:
    try:
        result = renderer.render(job)
    except (TemplateError, RenderError) as exc:
        return RenderOutcome(job.doc_id, job.out_path, "failed", exc.message, exc.exit_code)
    except Exception as exc:  # WeasyPrint can fail in many ways; report, don't stop
        return RenderOutcome(job.doc_id, job.out_path, "failed",
                             f"{type(exc).__name__}: {exc}", RenderError.exit_code)
    # The client's PID, not this worker's: the client renames or removes the file, and a
    # cluster's worker outlives a client that was killed (its temporary files are stale).
    temp = temp_path_for(job.out_path, owner=client)
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
    remove_left_behind(job.out_path for job in jobs)
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
            remove_left_behind(job.out_path for job in todo)
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
            functools.partial(_render_item, client=os.getpid()), jobs, setup,
            size=len(jobs),
            chunk=executor.chunk_size(len(jobs), most=4), local=local,
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
