"""Which issued document a file is: asked of the ledger by the batch's client, never
shipped whole to the workers.

At 4.3 million statements the ledger's records would be gigabytes in every worker. So the
client asks the ledger, for each file, for the documents its name claims (a file is named
after its document: "<doc_id>.pdf", "<doc_id>-<anything>.pdf") and sends them with the
path: a `Claim`. The worker hashes the file's first revision. When it is none of those,
the worker answers `Unresolved` with that hash; the client asks the ledger for the
document with those bytes, if any, and the file is verified again with the answer (a
renamed document, or a file the ledger does not know: the rare case).

A call in one process (a single file, an upload to `pakta serve`) asks the ledger
itself, through the same `LedgerIndex`, read-only.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pakta.ledger import DocumentRecord

Key = tuple[str, int]  # a first revision's SHA-256 (hex) and length (ledger.first_revision_key)

def record_key(record: DocumentRecord) -> Key:
    return record.sha256, record.size


@dataclass(frozen=True)
class Claim:
    """What the ledger says about one file before it is read."""

    named: tuple[DocumentRecord, ...] = ()  # the documents its name claims, longest id first
    by_bytes: DocumentRecord | None = None  # the document with the first revision's bytes
    answered: bool = False  # `by_bytes` is the ledger's answer for this file's bytes


NO_LEDGER = Claim(answered=True)  # nothing is issued: every file is judged on its own


@dataclass(frozen=True)
class Identity:
    issued: DocumentRecord | None  # the document whose bytes the first revision is
    named: DocumentRecord | None  # the document the file's name claims


@dataclass(frozen=True)
class Unresolved:
    """A worker's answer for a file whose first revision is none of the documents its
    name claims: the client asks the ledger for `key` and sends the file again."""

    path: Path
    key: Key


def identify(key: Key, claim: Claim) -> Identity | None:
    """The file's identity from its claim, or None when the ledger must be asked."""
    named = claim.named[0] if claim.named else None
    for record in claim.named:
        if record_key(record) == key:
            return Identity(record, record)
    if claim.by_bytes is not None and record_key(claim.by_bytes) == key:
        return Identity(claim.by_bytes, named)
    return Identity(None, named) if claim.answered else None


def name_prefixes(stem: str) -> list[str]:
    """The document ids a file called `stem` may claim: itself, and each part before a
    "-" ("75-gorontalo-pakta-signed" -> "75-gorontalo-pakta", "75-gorontalo", "75"),
    longest first."""
    cuts = [i for i, char in enumerate(stem) if char == "-"]
    return [stem] + [stem[:i] for i in reversed(cuts) if i > 0]


class LedgerIndex:
    """The ledger's issued documents, looked up one file at a time on a read-only
    connection of this index's own (the caller may be writing the ledger meanwhile)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                   timeout=30.0, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()  # `pakta serve` asks from several threads

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LedgerIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _records(self, sql: str, args: tuple[object, ...]) -> list[DocumentRecord]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [DocumentRecord(**dict(row)) for row in rows]

    def claim(self, path: Path) -> Claim:
        prefixes = name_prefixes(path.stem)
        found = self._records("SELECT * FROM documents WHERE doc_id IN "
                              f"({','.join('?' * len(prefixes))})", tuple(prefixes))
        return Claim(tuple(sorted(found, key=lambda r: -len(r.doc_id))))

    def answer(self, claim: Claim, key: Key) -> Claim:
        found = self._records("SELECT * FROM documents WHERE sha256 = ? AND size = ?"
                              " ORDER BY doc_id LIMIT 1", key)
        return Claim(claim.named, found[0] if found else None, answered=True)

    def identity(self, path: Path, key: Key) -> Identity:
        """In one process: the claim and, if need be, the ledger's answer."""
        claim = self.claim(path)
        return identify(key, claim) or identify(key, self.answer(claim, key)) \
            or Identity(None, None)  # (an answered claim always identifies)

    def doc_ids(self) -> Iterator[str]:
        """Every issued document's id, in order, a page at a time."""
        last = ""
        while True:
            with self._lock:
                page = [str(row[0]) for row in self._db.execute(
                    "SELECT doc_id FROM documents WHERE doc_id > ? ORDER BY doc_id"
                    " LIMIT 10000", (last,))]
            if not page:
                return
            yield from page
            last = page[-1]
