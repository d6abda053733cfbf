"""Where `pakta verify` spends its time, file by file, in one process (no pool).

    python benchmarks/profile_verify.py WORKSPACE [COUNT] [--profile]

Verifies COUNT signed files of WORKSPACE/signed (spread over the folder) as the CLI
does (workspace trust root, CRLs, ledger, roster) and prints the median of three runs
per file and per phase; `--profile` prints cProfile's top functions instead."""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

from pakta.config import load_workspace
from pakta.ledger import Ledger
from pakta.roster import load_roster
from pakta.signed_reader import open_reader
from pakta.verify import make_settings, workspace_crls
from pakta.verify.ambiguity import ambiguities
from pakta.verify.documents import _read_dss, verify_file
from pakta.verify.settings import VerifySettings, context_for
from pakta.verify.signatures import _validate
from pakta.verify.structure import (
    Signed,
    changed_before_signing,
    embedded_signatures,
    metadata_changes,
)


def _settings(root: Path) -> VerifySettings:
    ws = load_workspace(root)
    with Ledger(ws.ledger) as db:
        return make_settings([ws.pki_dir / "root.pem"], db, load_roster(ws.roster),
                             ws.witness.name, ws.template_dir, workspace_crls(ws.pki_dir),
                             paths=[root / "signed"])


def _phases(datas: list[bytes], settings: VerifySettings) -> dict[str, float]:
    """Seconds per phase of `_verify`, summed over the files."""
    ctx = context_for(settings)
    spent: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        spent[name] = spent.get(name, 0.0) + now - clock[0]
        clock[0] = now

    for data in datas:
        clock[0] = time.perf_counter()
        reader = open_reader(data)
        lap("read xrefs and signature dictionaries")
        ambiguities(data, reader)
        lap("ambiguities")
        dss = _read_dss(reader)
        lap("DSS")
        found, _ = embedded_signatures(reader)
        lap("read signatures")
        for emb in found:
            _validate(emb, ctx.validation_context(dss))
        lap("pyHanko validation")
        signed = [Signed(str(s.field_name), s.signed_revision) for s in found]
        changed_before_signing(reader, signed)
        lap("changed before signing")
        metadata_changes(reader, signed)
        lap("metadata")
    return spent


def main(argv: list[str]) -> None:
    root = Path(argv[0])
    count = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 50
    settings = _settings(root)
    everything = sorted((root / "signed").glob("*.pdf"))
    # both kinds of document (a pact has two signatures, a declaration one)
    files = sorted({everything[min(i * len(everything) // count + i % 2, len(everything) - 1)]
                    for i in range(count)})
    verify_file(files[0], settings, limited=False)  # imports and set-up
    if "--profile" in argv:
        profile = cProfile.Profile()
        profile.enable()
        for path in files:
            verify_file(path, settings, limited=False)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for path in files:
            verify_file(path, settings, limited=False)
        runs.append((time.perf_counter() - started) / len(files))
    print(f"{len(files)} files, per file: "
          + ", ".join(f"{r * 1000:.1f}" for r in runs)
          + f" ms; median {statistics.median(runs) * 1000:.1f} ms")
    datas = [path.read_bytes() for path in files]
    phases = [_phases(datas, settings) for _ in range(3)]
    for name in phases[0]:
        ms = statistics.median(p[name] for p in phases) * 1000 / len(files)
        print(f"  {name:24s} {ms:6.1f} ms/file")


if __name__ == "__main__":
    main(sys.argv[1:])
