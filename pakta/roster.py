"""Load and validate rosters of regional heads (CSV, XLSX, YAML, JSON) into RegionHead.

Every problem is collected in one pass and reported with its file, row and column, so a
clerk can fix a whole roster at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pakta.errors import InputError, Problem, RosterError
from pakta.regions import (
    KIND_ALIASES,
    PROVINCE_CODE,
    REGENCY_CODE,
    STATUS_ALIASES,
    HeadStatus,
    RegionKind,
    name_key,
    office_title,
    plain_name,
    slugify,
)


@dataclass(frozen=True)
class RegionHead:
    """One regional head as the roster names them."""

    code: str  # Kemendagri code: "75" (province) or "71.11" (regency / city)
    kind: RegionKind
    region_name: str  # "Gorontalo", "Bolaang Mongondow Selatan", "Tegal"
    province: str  # the province's name; for a province, its own name
    full_name: str  # as written, titles included
    status: HeadStatus = HeadStatus.DEFINITIF
    nik: str | None = None
    nip: str | None = None
    email: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The office: 'Pj. Gubernur Gorontalo', 'Bupati Bolaang Mongondow Selatan'."""
        return office_title(self.kind, self.status, self.region_name)

    @property
    def region_label(self) -> str:
        """'Provinsi Gorontalo', 'Kabupaten Biak Numfor', 'Kota Tegal'."""
        return f"{self.kind.label} {self.region_name}"

    @property
    def instansi(self) -> str:
        """The government the head leads: 'Pemerintah Provinsi Gorontalo'."""
        return f"Pemerintah {self.region_label}"

    @property
    def plain_name(self) -> str:
        """The name without titles, as it stands in the signing certificate."""
        return plain_name(self.full_name)

    @property
    def name_key(self) -> str:
        return name_key(self.full_name)

    @property
    def identifier(self) -> str | None:
        """NIK or NIP, the explicit identifier a certificate may carry."""
        return self.nik or self.nip

    @property
    def slug(self) -> str:
        """File-name stem: '75-gorontalo', '71.11-bolaang-mongondow-selatan'."""
        return f"{self.code}-{slugify(self.region_name)}"

    @property
    def province_code(self) -> str:
        return self.code.split(".")[0]


# Column names, Indonesian first; English aliases accepted. Keys are lower-cased headers.
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("kode", "kode_wilayah", "kode wilayah", "region_code", "code"),
    "kind": ("jenis", "jenis_wilayah", "jenis wilayah", "region_kind", "kind"),
    "region_name": ("nama_wilayah", "nama wilayah", "wilayah", "daerah", "region_name",
                    "region"),
    "province": ("provinsi", "province"),
    "full_name": ("nama", "nama_lengkap", "nama lengkap", "full_name", "name"),
    "status": ("status", "status_jabatan"),
    "nik": ("nik",),
    "nip": ("nip",),
    "email": ("email", "surel", "e-mail"),
}
REQUIRED = ("code", "kind", "region_name", "full_name")
ALIAS_TO_FIELD = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}


def load_roster(path: Path) -> list[RegionHead]:
    """Read and validate a roster; raise RosterError listing every problem."""
    rows, problems = read_rows(path)
    heads = validate_rows(path.name, rows, problems)
    if problems:
        raise RosterError(sorted(problems, key=lambda p: (p.row or 0)))
    return heads


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """Rows as (row number as the user sees it, {header: value})."""
    if not path.is_file():
        raise InputError(f"{path}: roster file not found")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".yaml", ".yml", ".json"):
        return _read_structured(path)
    raise InputError(
        f"{path}: unknown roster format '{suffix}'", hint="use .csv, .xlsx, .yaml or .json"
    )


def _read_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = Problem(path.name, line, None,
                          f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); "
                          "save the file as 'CSV UTF-8'")
        return [], [problem]
    first_line = text.split("\n", 1)[0]
    # Indonesian Excel exports separate with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = list(reader)
    return _table_rows(path.name, table, first_row=1)


def _read_xlsx(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    import openpyxl  # only rosters in XLSX pay for this import

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise InputError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    sheet = book.worksheets[0]
    table = [["" if v is None else str(v) for v in row]
             for row in sheet.iter_rows(values_only=True)]
    book.close()
    return _table_rows(path.name, table, first_row=1)


def _table_rows(
    file: str, table: list[list[str]], first_row: int
) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    while table and not any(cell.strip() for cell in table[0]):
        table.pop(0)
        first_row += 1
    if not table:
        return [], [Problem(file, None, None, "the roster is empty")]
    header = [cell.strip() for cell in table[0]]
    rows = []
    for offset, cells in enumerate(table[1:], start=1):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((first_row + offset, dict(zip(header, cells, strict=False))))
    return rows, []


def _read_structured(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".json":
            data: Any = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (ValueError, Exception) as exc:  # yaml.YAMLError and json errors
        raise InputError(f"{path}: cannot parse ({exc})") from exc
    if isinstance(data, dict):
        data = data.get("kepala_daerah", data.get("heads", data.get("roster")))
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of heads (or a 'kepala_daerah' list)")
    rows = []
    problems = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(path.name, number, None, "entry is not a mapping"))
            continue
        rows.append((number, {str(k): "" if v is None else str(v) for k, v in item.items()}))
    return rows, problems


def validate_rows(
    file: str, rows: Iterable[tuple[int, dict[str, str]]], problems: list[Problem]
) -> list[RegionHead]:
    heads: list[RegionHead] = []
    seen_codes: dict[str, int] = {}
    provinces: dict[str, str] = {}  # code -> name, from province rows
    pending_regencies: list[tuple[int, str, str]] = []
    for row_number, row in rows:
        values: dict[str, str] = {}
        extra: dict[str, str] = {}
        for header, value in row.items():
            key = ALIAS_TO_FIELD.get(header.strip().lower())
            if key is None:
                if header.strip():
                    extra[slugify(header).replace("-", "_")] = value.strip()
            else:
                values[key] = value.strip()
        head = _validate_row(file, row_number, values, extra, problems)
        if head is None:
            continue
        if head.code in seen_codes:
            problems.append(Problem(file, row_number, "kode",
                                    f"duplicate region code '{head.code}' "
                                    f"(first on row {seen_codes[head.code]})"))
            continue
        seen_codes[head.code] = row_number
        if head.kind is RegionKind.PROVINSI:
            provinces[head.code] = head.region_name
        else:
            pending_regencies.append((row_number, head.code, head.province))
        heads.append(head)
    known_names = {name_key(n): code for code, n in provinces.items()}
    for row_number, code, province in pending_regencies:
        prefix = code.split(".")[0]
        expected = known_names.get(name_key(province)) if province else None
        if expected is not None and expected != prefix:
            problems.append(Problem(
                file, row_number, "kode",
                f"code '{code}' is outside province {province} (code {expected})"))
    return heads


def _validate_row(
    file: str, row: int, values: dict[str, str], extra: dict[str, str], problems: list[Problem]
) -> RegionHead | None:
    before = len(problems)
    for key in REQUIRED:
        if not values.get(key):
            problems.append(Problem(file, row, COLUMNS[key][0], f"missing {_label(key)}"))
    kind = KIND_ALIASES.get(values.get("kind", "").lower())
    if values.get("kind") and kind is None:
        problems.append(Problem(file, row, "jenis",
                                f"unknown region kind '{values['kind']}' "
                                "(expected provinsi, kabupaten or kota)"))
    status = STATUS_ALIASES.get(values.get("status", "").lower())
    if status is None:
        problems.append(Problem(file, row, "status",
                                f"unknown status '{values['status']}' "
                                "(expected definitif, Pj. or Plt.)"))
    code = values.get("code", "")
    if code and kind is not None:
        if kind is RegionKind.PROVINSI and not PROVINCE_CODE.match(code):
            problems.append(Problem(file, row, "kode",
                                    f"province code '{code}' must be two digits, e.g. '75'"))
        elif kind is not RegionKind.PROVINSI and not REGENCY_CODE.match(code):
            problems.append(Problem(file, row, "kode",
                                    f"{kind.value} code '{code}' must look like 'NN.NN', "
                                    "e.g. '71.11'"))
    for key in ("nik", "nip"):
        if values.get(key) and not values[key].isdigit():
            problems.append(Problem(file, row, key, f"{key.upper()} must be digits only"))
    if len(problems) > before or kind is None or status is None:
        return None
    province = values.get("province") or (
        values["region_name"] if kind is RegionKind.PROVINSI else "")
    return RegionHead(
        code=code,
        kind=kind,
        region_name=values["region_name"],
        province=province,
        full_name=" ".join(values["full_name"].split()),
        status=status,
        nik=values.get("nik") or None,
        nip=values.get("nip") or None,
        email=values.get("email") or None,
        extra=extra,
    )


def _label(key: str) -> str:
    return {"code": "region code", "kind": "region kind", "region_name": "region name",
            "full_name": "name"}.get(key, key)
