"""Returned files, under any name, filed under the document they were issued as.

A file is matched by its first revision (the ledger's SHA-256 and length), never by its
name; it is verified, every version is kept, and the canonical copy is the one with the
most signatures. A file that matches no issued document, whose signatures fail, or that
was cut short (bytes after its last %%EOF: a signature revision lost half-way) is refused
with the reason and left where it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pakta.files import atomic_write, cut_short
from pakta.findings import Finding
from pakta.i18n import _, ngettext
from pakta.ledger import CollectedRecord, Ledger, SignatureRecord, now_iso, sha256_hex
from pakta.verify import COMPLETE, INCOMPLETE, DocumentVerdict, VerifySettings, verify_file


@dataclass(frozen=True)
class CollectOutcome:
    source: Path
    action: str  # "filed", "kept" (the filed copy has as many signatures or more),
    # "already filed" or "refused"
    doc_id: str | None = None
    canonical: Path | None = None
    signatures: int = 0
    reason: str | None = None


def collect_files(files: Sequence[Path], folder: Path, ledger: Ledger,
                  settings: VerifySettings) -> list[CollectOutcome]:
    return [collect_file(path, folder, ledger, settings) for path in files]


def collect_file(path: Path, folder: Path, ledger: Ledger,
                 settings: VerifySettings) -> CollectOutcome:
    verdict = verify_file(path, settings)
    if verdict.status not in (COMPLETE, INCOMPLETE) or verdict.doc_id is None:
        findings = verdict.reasons or (Finding.of("NOT_ISSUED"),)
        return CollectOutcome(path, "refused", verdict.doc_id,
                              reason=" ".join(f.message() for f in findings))
    data = path.read_bytes()
    if sha256_hex(data) != verdict.sha256:  # replaced between checking and filing
        return CollectOutcome(path, "refused", verdict.doc_id,
                              reason=_("The file changed while it was being collected."))
    if cut_short(data) is not None:
        tail = len(data) - data.rfind(b"%%EOF") - len(b"%%EOF")
        return CollectOutcome(path, "refused", verdict.doc_id,
                              reason=Finding.of("CUT_SHORT", count=tail).message())
    with _filing_lock(folder):
        return _file(path, data, verdict.doc_id, verdict, folder, ledger)


@contextmanager
def _filing_lock(folder: Path) -> Iterator[None]:
    """One filing at a time in `folder`, across processes: recording the signatures and
    choosing the canonical copy read the ledger and the folder, then write them, so two
    collects of the same document at once could otherwise record a signature twice or
    file the copy with fewer signatures last."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".filing.lock", "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _file(path: Path, data: bytes, doc_id: str, verdict: DocumentVerdict, folder: Path,
          ledger: Ledger) -> CollectOutcome:
    digest = sha256_hex(data)
    count = len(verdict.signatures)
    version = folder / "versions" / doc_id / f"{count}sig-{digest[:12]}.pdf"
    if not version.exists():
        _write(version, data)
    new = ledger.record_collected(CollectedRecord(doc_id, str(version), digest, count,
                                                  str(path), now_iso()))
    for sig in verdict.signatures:
        if not ledger.has_signature(doc_id, sig.field, sig.cert_sha256):
            ledger.record_signature(SignatureRecord(
                doc_id, sig.field, sig.signer_name, sig.cert_sha256,
                sig.signing_time or now_iso(), digest, str(version)))
    canonical = folder / f"{doc_id}.pdf"
    filed = {r.sha256: r.signatures for r in ledger.collected(doc_id)}
    current = sha256_hex(canonical.read_bytes()) if canonical.exists() else None
    if current is not None and filed.get(current, 0) >= count:
        action = "kept" if new else "already filed"
        kept = filed.get(current, 0)
        return CollectOutcome(path, action, doc_id, canonical, count, reason=ngettext(
            "the filed copy has {kept} signature; this file has {count}",
            "the filed copy has {kept} signatures; this file has {count}", kept).format(
                kept=kept, count=count))
    _write(canonical, data)
    return CollectOutcome(path, "filed", doc_id, canonical, count)


def _write(path: Path, data: bytes) -> None:
    """Flushed to disk before the ledger says it is filed (a collect is one file at a
    time, not a batch that flushes once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
