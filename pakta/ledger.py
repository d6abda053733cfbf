"""The generation ledger: a SQLite file recording every issued document, every signature
and every verification.

The ledger is the secretariat's memory: a signed file is the document it issued only if
its first revision (the first `size` bytes) hashes to the recorded SHA-256. Several pakta
processes may write at once, so the database runs in WAL mode with a busy timeout and
every write is one short transaction.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pakta.i18n import _

# Each entry migrates the schema from version (index) to version (index + 1).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE documents (
        doc_id TEXT PRIMARY KEY,
        template TEXT NOT NULL,
        region_code TEXT NOT NULL,
        province TEXT NOT NULL,
        head_name TEXT NOT NULL,
        head_title TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        input_sha256 TEXT NOT NULL,
        rendered_at TEXT NOT NULL
    );
    CREATE INDEX documents_sha256 ON documents (sha256);
    CREATE TABLE signatures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        slot TEXT NOT NULL,
        signer_name TEXT NOT NULL,
        cert_sha256 TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        sha256_after TEXT NOT NULL,
        path TEXT NOT NULL
    );
    CREATE INDEX signatures_doc ON signatures (doc_id);
    CREATE TABLE verifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL,
        verified_at TEXT NOT NULL
    );
    CREATE INDEX verifications_doc ON verifications (doc_id);
    """,
    # 2: every returned file `pakta collect` filed, so no version is ever lost.
    """
    CREATE TABLE collected (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        signatures INTEGER NOT NULL,
        source TEXT NOT NULL,
        collected_at TEXT NOT NULL
    );
    CREATE INDEX collected_doc ON collected (doc_id);
    CREATE UNIQUE INDEX collected_sha ON collected (sha256);
    """,
    # 3: a delegate's signature names the person it was made for (pakta sign
    # --delegated-signer).
    """
    ALTER TABLE signatures ADD COLUMN delegated_for TEXT;
    """,
]

# Scale (millions of civil servants' statements): a step of its own, appended after the
# others. The people behind documents rendered from a people roster (pakta.people), and
# the indexes that let status and verify sum up by instansi and region without reading
# every row: documents by template and region, signatures by document and slot, the
# newest verification of each document.
SCALE_MIGRATION = """
    CREATE TABLE people (
        doc_id TEXT PRIMARY KEY,
        nip TEXT NOT NULL,
        instansi TEXT NOT NULL,
        unit_kerja TEXT NOT NULL,
        region_code TEXT NOT NULL
    );
    CREATE INDEX people_instansi ON people (instansi, region_code);
    CREATE INDEX documents_template_region ON documents (template, region_code);
    CREATE INDEX signatures_doc_slot ON signatures (doc_id, slot);
    CREATE INDEX verifications_doc_id ON verifications (doc_id, id);
    """
MIGRATIONS.append(SCALE_MIGRATION)

SCHEMA_VERSION = len(MIGRATIONS)


def _migrate_serve(db: sqlite3.Connection) -> None:
    """The tables of the QR code and `pakta serve`, created when missing, apart from the
    numbered migrations: each document's public id (what its QR code opens), the heads'
    invitation links (only a hash of each token is kept) and the server's settings (the
    admin password's hash, the session key)."""
    for statement in (
        "CREATE TABLE IF NOT EXISTS public_ids (doc_id TEXT PRIMARY KEY,"
        " public_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS invites (token_sha256 TEXT PRIMARY KEY,"
        " region_code TEXT NOT NULL, created_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS serve_settings (key TEXT PRIMARY KEY,"
        " value TEXT NOT NULL)",
    ):
        db.execute(statement)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_EOF_MARKER = re.compile(rb"%%EOF[ \t]*(\r\n|\r|\n)?")


def first_revision_length(data: bytes) -> int:
    """Length of a PDF's first revision: up to and including its first %%EOF line.

    A file pakta rendered has exactly one revision; each signature appends one more.
    """
    match = _EOF_MARKER.search(data)
    return match.end() if match else len(data)


def first_revision_key(data: bytes) -> tuple[str, int]:
    """The SHA-256 (hex) and length of a PDF's first revision: how the ledger knows an
    issued document in a file that signatures have added to."""
    length = first_revision_length(data)
    return sha256_hex(data[:length]), length


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str  # "75-gorontalo-pakta-integritas": the canonical file stem
    template: str
    region_code: str
    province: str
    head_name: str  # full name as on the roster
    head_title: str  # "Pj. Gubernur Gorontalo"
    path: str
    size: int
    sha256: str
    input_sha256: str  # hash of what it was rendered from: a rerun with the same skips it
    rendered_at: str


@dataclass(frozen=True)
class SignatureRecord:
    doc_id: str
    slot: str
    signer_name: str
    cert_sha256: str
    signed_at: str
    sha256_after: str
    path: str
    delegated_for: str | None = None  # a delegate signed on behalf of this person


@dataclass(frozen=True)
class CollectedRecord:
    doc_id: str
    path: str  # where the version is filed in the workspace
    sha256: str
    signatures: int
    source: str  # where it came from (the returned file's path)
    collected_at: str


@dataclass(frozen=True)
class VerificationRecord:
    doc_id: str | None
    path: str
    sha256: str
    status: str
    detail: str
    verified_at: str


class Ledger:
    """A handle on the ledger file; create it on first use and migrate it forward."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._use_wal()
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def _use_wal(self) -> None:
        """Switch to WAL once per file. Two processes creating the ledger at once: the
        switch needs the file to itself, and SQLite answers "database is locked" at once
        instead of waiting on the busy timeout, so wait here."""
        deadline = time.monotonic() + 30.0
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or \
                        time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on
        # the busy timeout instead of failing with "database is locked" mid-transaction.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                from pakta.errors import InputError

                raise InputError(
                    _("{path}: ledger schema {version} is newer than this pakta understands "
                      "({known})").format(path=self.path, version=version,
                                          known=SCHEMA_VERSION),
                    hint=_("upgrade pakta"))
            for step in MIGRATIONS[version:]:
                for statement in step.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            _migrate_serve(db)

    # documents -------------------------------------------------------------------------

    def record_document(self, record: DocumentRecord) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (record.doc_id, record.template, record.region_code, record.province,
                 record.head_name, record.head_title, record.path, record.size,
                 record.sha256, record.input_sha256, record.rendered_at),
            )

    def record_documents(self, records: list[DocumentRecord]) -> None:
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(r.doc_id, r.template, r.region_code, r.province, r.head_name,
                  r.head_title, r.path, r.size, r.sha256, r.input_sha256, r.rendered_at)
                 for r in records],
            )

    def document(self, doc_id: str) -> DocumentRecord | None:
        row = self._db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return DocumentRecord(**dict(row)) if row else None

    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute("SELECT * FROM documents ORDER BY doc_id").fetchall()
        return [DocumentRecord(**dict(r)) for r in rows]

    def templates(self) -> list[str]:
        """The templates of the issued documents, each once."""
        return [str(row[0]) for row in
                self._db.execute("SELECT DISTINCT template FROM documents ORDER BY 1")]

    def issued_document_for(self, data: bytes) -> DocumentRecord | None:
        """The issued document whose bytes this file starts with (its first revision)."""
        row = self._db.execute("SELECT * FROM documents WHERE sha256 = ? AND size = ?",
                               first_revision_key(data)).fetchone()
        return DocumentRecord(**dict(row)) if row else None

    # signatures ------------------------------------------------------------------------

    def record_signature(self, record: SignatureRecord) -> None:
        self.record_signatures([record])

    def record_signatures(self, records: Sequence[SignatureRecord]) -> None:
        """Several rows in one transaction (a batch records them as they come in)."""
        with self._write() as db:
            db.executemany(
                "INSERT INTO signatures (doc_id, slot, signer_name, cert_sha256, signed_at,"
                " sha256_after, path, delegated_for) VALUES (?,?,?,?,?,?,?,?)",
                [(r.doc_id, r.slot, r.signer_name, r.cert_sha256, r.signed_at,
                  r.sha256_after, r.path, r.delegated_for) for r in records],
            )

    def signatures(self, doc_id: str | None = None) -> list[SignatureRecord]:
        sql = ("SELECT doc_id, slot, signer_name, cert_sha256, signed_at, sha256_after, path,"
               " delegated_for FROM signatures")
        args: tuple[str, ...] = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [SignatureRecord(**dict(r)) for r in rows]

    def has_signature(self, doc_id: str, slot: str, cert_sha256: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM signatures WHERE doc_id = ? AND slot = ? AND cert_sha256 = ?",
            (doc_id, slot, cert_sha256)).fetchone()
        return row is not None

    # collected versions ----------------------------------------------------------------

    def record_collected(self, record: CollectedRecord) -> bool:
        """Record a filed version; False if this exact file was filed before."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO collected (doc_id, path, sha256, signatures, source,"
                " collected_at) VALUES (?,?,?,?,?,?)",
                (record.doc_id, record.path, record.sha256, record.signatures, record.source,
                 record.collected_at))
            return cursor.rowcount == 1

    def collected(self, doc_id: str | None = None) -> list[CollectedRecord]:
        sql = "SELECT doc_id, path, sha256, signatures, source, collected_at FROM collected"
        args: tuple[str, ...] = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [CollectedRecord(**dict(r)) for r in rows]

    # export ------------------------------------------------------------------------------

    def dump(self) -> dict[str, list[dict[str, object]]]:
        """Every table as rows of plain values, for the evidence package."""
        tables = ("documents", "signatures", "collected", "verifications")
        return {t: [dict(r) for r in self._db.execute(f"SELECT * FROM {t} ORDER BY rowid")]
                for t in tables}

    # verifications ---------------------------------------------------------------------

    def record_verifications(self, records: list[VerificationRecord]) -> None:
        with self._write() as db:
            db.executemany(
                "INSERT INTO verifications (doc_id, path, sha256, status, detail, verified_at)"
                " VALUES (?,?,?,?,?,?)",
                [(r.doc_id, r.path, r.sha256, r.status, r.detail, r.verified_at)
                 for r in records],
            )

    def latest_verifications(self) -> dict[str, VerificationRecord]:
        """The newest verification of each document, by doc_id."""
        rows = self._db.execute(
            "SELECT doc_id, path, sha256, status, detail, verified_at FROM verifications"
            " WHERE id IN (SELECT MAX(id) FROM verifications WHERE doc_id IS NOT NULL"
            " GROUP BY doc_id)"
        ).fetchall()
        return {r["doc_id"]: VerificationRecord(**dict(r)) for r in rows}

    # public ids, invitations and the server's settings (pakta.render.qr, pakta.serve) --

    def public_ids(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Each document's public id, made (128 random bits) the first time it is asked."""
        from pakta.render.qr import new_public_id

        with self._write() as db:
            known = {r["doc_id"]: r["public_id"] for r in db.execute(
                "SELECT doc_id, public_id FROM public_ids")}
            new = {d: new_public_id() for d in doc_ids if d not in known}
            db.executemany("INSERT INTO public_ids VALUES (?,?,?)",
                           [(d, p, now_iso()) for d, p in new.items()])
        known.update(new)
        return {d: known[d] for d in doc_ids}

    def document_by_public_id(self, public_id: str) -> tuple[DocumentRecord, str] | None:
        """The document of a public id, or of its 12-character short code."""
        column = "public_id" if len(public_id) > 12 else "substr(public_id, 1, 12)"
        row = self._db.execute(
            f"SELECT d.*, p.public_id AS _public FROM documents d JOIN public_ids p"
            f" ON p.doc_id = d.doc_id WHERE {column} = ?", (public_id,)).fetchone()
        if row is None:
            return None
        values = dict(row)
        public = values.pop("_public")
        return DocumentRecord(**values), public

    def documents_key(self) -> tuple[int, str]:
        """Changes whenever a document is rendered (again): for caches of the issued set."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(MAX(rendered_at), '') FROM documents").fetchone()
        return int(row[0]), str(row[1])

    def add_invite(self, region_code: str, token_sha256: str) -> None:
        with self._write() as db:
            db.execute("INSERT INTO invites VALUES (?,?,?)",
                       (token_sha256, region_code, now_iso()))

    def invite_region(self, token_sha256: str) -> str | None:
        row = self._db.execute("SELECT region_code FROM invites WHERE token_sha256 = ?",
                               (token_sha256,)).fetchone()
        return str(row[0]) if row else None

    def revoke_invites(self, region_code: str) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM invites WHERE region_code = ?",
                              (region_code,)).rowcount

    def setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM serve_settings WHERE key = ?",
                               (key,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO serve_settings VALUES (?,?)", (key, value))

    # people (scale) ----------------------------------------------------------------------

    def record_people(self, rows: Sequence[tuple[str, str, str, str, str]]) -> None:
        """(doc_id, nip, instansi, unit_kerja, region_code) rows, in one transaction."""
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO people VALUES (?,?,?,?,?)", rows)

    def people_summary(self, template: str, slot: str) -> Iterator[sqlite3.Row]:
        """Per instansi and region: documents rendered, signed in `slot`, and whose
        newest verification is COMPLETE. One indexed pass; rows are streamed."""
        yield from self._db.execute(
            """
            SELECT p.instansi, d.region_code, d.province, COUNT(*) AS rendered,
                   SUM(EXISTS (SELECT 1 FROM signatures s
                               WHERE s.doc_id = d.doc_id AND s.slot = ?)) AS signed,
                   SUM((SELECT v.status FROM verifications v WHERE v.doc_id = d.doc_id
                        ORDER BY v.id DESC LIMIT 1) = 'COMPLETE') AS verified
            FROM documents d JOIN people p ON p.doc_id = d.doc_id
            WHERE d.template = ?
            GROUP BY p.instansi, d.region_code ORDER BY d.region_code, p.instansi
            """, (slot, template))

    def people_documents(self, template: str, slot: str) -> Iterator[sqlite3.Row]:
        """Every document of a people template with its signer and state, streamed (for
        CSV and JSON; never for text or HTML)."""
        yield from self._db.execute(
            """
            SELECT d.doc_id, p.nip, d.head_name AS name, d.head_title AS jabatan,
                   p.unit_kerja, p.instansi, d.region_code, d.province, d.path,
                   EXISTS (SELECT 1 FROM signatures s
                           WHERE s.doc_id = d.doc_id AND s.slot = ?) AS signed,
                   (SELECT v.status FROM verifications v WHERE v.doc_id = d.doc_id
                    ORDER BY v.id DESC LIMIT 1) AS verification
            FROM documents d JOIN people p ON p.doc_id = d.doc_id
            WHERE d.template = ? ORDER BY d.doc_id
            """, (slot, template))
