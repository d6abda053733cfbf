"""The evidence package for auditors and the archive, and its verification.

`evidence.zip` holds every collected signed PDF, the roster, the ledger (CSV and JSON),
the trust roots, a fresh verification report (JSON and HTML) and `manifest.json` with
the SHA-256 of every other file in it. Verifying the package checks the manifest first
(nothing missing, nothing added, nothing changed), then verifies the PDFs against the
roster, ledger and trust roots inside it.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pakta import __version__
from pakta.config import Workspace
from pakta.errors import InputError
from pakta.files import atomic_write
from pakta.i18n import _
from pakta.ledger import DocumentRecord, Ledger, now_iso, sha256_hex
from pakta.roster import load_roster
from pakta.verify import BatchVerdict, make_settings, verify_paths, workspace_crls

MANIFEST = "manifest.json"
MAX_MEMBER_BYTES = 100 * 2**20
MAX_TOTAL_BYTES = 4 * 2**30


def build_package(ws: Workspace, out: Path, trust: list[Path]) -> tuple[int, BatchVerdict]:
    """Write the package atomically; returns the number of PDFs and their verdict."""
    from pakta.reports.verification import to_html, to_json

    pdfs = sorted(ws.collected_dir.glob("*.pdf"))
    if not pdfs:
        raise InputError(_("nothing collected in {collected_dir}").format(
                             collected_dir=ws.collected_dir),
                         hint=_("run 'pakta collect' on the returned files first"))
    files: dict[str, bytes] = {f"pdf/{p.name}": p.read_bytes() for p in pdfs}
    files[f"roster{ws.roster.suffix}"] = ws.roster.read_bytes()
    for i, path in enumerate(trust):
        files[f"trust/root-{i + 1}{path.suffix or '.pem'}"] = path.read_bytes()
    crls = workspace_crls(ws.pki_dir)  # the revocation data the verdicts rest on
    for path in crls:
        files[f"crls/{path.name}"] = path.read_bytes()
    with Ledger(ws.ledger) as ledger:
        tables = ledger.dump()
        settings = make_settings(trust, ledger, load_roster(ws.roster), ws.witness.name,
                                 ws.template_dir, crls)
    batch = verify_paths(pdfs, settings)
    files["ledger/ledger.json"] = json.dumps(tables, indent=2, ensure_ascii=False).encode()
    for table, rows in tables.items():
        text = io.StringIO()
        if rows:
            writer = csv.DictWriter(text, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        files[f"ledger/{table}.csv"] = text.getvalue().encode()
    files["reports/verify.json"] = to_json(batch).encode()
    files["reports/verify.html"] = to_html(batch).encode()
    manifest = {"pakta": __version__, "created_at": now_iso(),
                "witness": ws.witness.name,
                "files": {name: sha256_hex(data) for name, data in sorted(files.items())}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    atomic_write(out, buffer.getvalue())
    return len(pdfs), batch


@dataclass(frozen=True)
class PackageVerdict:
    manifest_problems: tuple[str, ...]
    batch: BatchVerdict | None

    @property
    def ok(self) -> bool:
        return not self.manifest_problems and self.batch is not None and self.batch.ok


def verify_package(path: Path) -> PackageVerdict:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(_("{path}: not a readable zip file ({exc})").format(
            path=path, exc=exc)) from exc
    with archive:
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES or any(
                i.file_size > MAX_MEMBER_BYTES for i in infos):
            return PackageVerdict(("the package unpacks to absurd sizes: not checked",), None)
        names = {i.filename for i in infos}
        if MANIFEST not in names:
            return PackageVerdict(("no manifest.json",), None)
        manifest = json.loads(archive.read(MANIFEST))
        listed: dict[str, str] = manifest.get("files", {})
        problems = [f"missing from the package: {n}" for n in sorted(set(listed) - names)]
        problems += [f"not in the manifest: {n}" for n in sorted(names - set(listed) - {MANIFEST})]
        with tempfile.TemporaryDirectory(prefix="pakta-evidence-") as tmp:
            root = Path(tmp)
            for name in sorted(set(listed) & names):
                data = archive.read(name)
                if sha256_hex(data) != listed[name]:
                    problems.append(f"changed since export: {name}")
                target = (root / name).resolve()
                if not target.is_relative_to(root.resolve()):
                    problems.append(f"unsafe path in the package: {name}")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            batch = _verify_contents(root, manifest.get("witness"))
    return PackageVerdict(tuple(problems), batch)


def _verify_contents(root: Path, witness: str | None) -> BatchVerdict:
    tables = json.loads((root / "ledger" / "ledger.json").read_text(encoding="utf-8"))
    roster = next(root.glob("roster.*"))
    with Ledger(root / "ledger.db") as ledger:
        ledger.record_documents([DocumentRecord(**row) for row in tables["documents"]])
        settings = make_settings(sorted((root / "trust").glob("*")), ledger,
                                 load_roster(roster), witness,
                                 crls=sorted((root / "crls").glob("*.crl")))
    return verify_paths(sorted((root / "pdf").glob("*.pdf")), settings)
