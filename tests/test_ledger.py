"""The ledger migrates forward: a ledger written by an older pakta opens without loss."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pakta.errors import InputError
from pakta.ledger import (
    MIGRATIONS,
    SCHEMA_VERSION,
    CollectedRecord,
    Ledger,
    first_revision_length,
    now_iso,
)


def old_ledger(path: Path, version: int) -> None:
    """A ledger as pakta with schema `version` wrote it, with one row per table."""
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:version]:
        db.executescript(step)
    db.execute("INSERT INTO documents VALUES ('75-gorontalo-pakta-integritas',"
               " 'pakta-integritas', '75', 'Gorontalo', 'Hamka Hendra Noer',"
               " 'Pj. Gubernur Gorontalo', 'out/x.pdf', 100, 'abc', 'def', '2024-09-17')")
    db.execute("INSERT INTO signatures (doc_id, slot, signer_name, cert_sha256, signed_at,"
               " sha256_after, path) VALUES ('75-gorontalo-pakta-integritas', 'kepala_daerah',"
               " 'Hamka Hendra Noer', 'f1', '2024-09-17', 's1', 'signed/x.pdf')")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


def test_version_1_ledger_migrates_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "pakta.db"
    old_ledger(path, 1)
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        (doc,) = ledger.documents()
        assert doc.head_title == "Pj. Gubernur Gorontalo" and doc.sha256 == "abc"
        (sig,) = ledger.signatures()
        assert sig.slot == "kepala_daerah" and sig.cert_sha256 == "f1"
        # The new table works on the migrated file.
        record = CollectedRecord(doc.doc_id, "collected/x.pdf", "s1", 1, "inbox/x.pdf",
                                 now_iso())
        assert ledger.record_collected(record) is True
        assert ledger.record_collected(record) is False  # the same file, filed once
        assert ledger.collected(doc.doc_id) == [record]


def test_newer_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pakta.db"
    old_ledger(path, 2)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="ledger schema 99 is newer than this pakta"):
        Ledger(path)


def test_first_revision_length() -> None:
    first = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nstartxref\n9\n%%EOF\n"
    assert first_revision_length(first) == len(first)
    assert first_revision_length(first + b"2 0 obj\n<<>>\nendobj\n%%EOF\n") == len(first)
    assert first_revision_length(b"garbage") == len(b"garbage")
