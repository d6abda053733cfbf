"""Load and validate rosters of regional heads (CSV, XLSX, YAML, JSON) into RegionHead.

Every problem is collected in one pass and reported with its file, row and column, so a
clerk can fix a whole roster at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pakta.errors import InputError, Problem, RosterError
from pakta.i18n import _
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
from pakta.register import (
    Coverage,
    Region,
    Register,
    check_head,
    coverage,
    load_register,
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


def column_key(header: str) -> str:
    """'Nama_Wilayah', 'nama-wilayah', ' NAMA WILAYAH ' -> 'nama wilayah'."""
    return " ".join(header.replace("_", " ").replace("-", " ").lower().split())


# Column names, Indonesian first; English aliases accepted. Headers are compared in lower
# case with '_' and '-' read as spaces ("Nama Wilayah" = "nama_wilayah").
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("kode", "kode wilayah", "kode kemendagri", "region code", "code"),
    "kind": ("jenis", "jenis wilayah", "region kind", "kind", "type", "region type"),
    "region_name": ("nama_wilayah", "wilayah", "daerah", "region name", "region"),
    "province": ("provinsi", "province"),
    "full_name": ("nama", "nama lengkap", "nama kepala daerah", "full name", "name",
                  "head", "head name"),
    "status": ("status", "status jabatan", "position status"),
    "nik": ("nik",),
    "nip": ("nip",),
    "email": ("email", "surel", "e mail", "alamat email", "email address"),
    # A region newer than pakta's register, accepted only when this column says so.
    "new_region": ("wilayah_baru", "new region"),
}
REQUIRED = ("code", "kind", "region_name", "province", "full_name", "status")
# An empty provinsi cell is filled from the register; a filled one is checked.
REQUIRED_VALUES = ("code", "kind", "region_name", "full_name")
ALIAS_TO_FIELD = {column_key(alias): name for name, aliases in COLUMNS.items()
                  for alias in aliases}
YES = {"ya", "y", "yes", "true", "1", "x"}
NIK_LENGTH, NIP_LENGTH = 16, 18
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
EXCEL_CODE = re.compile(r"^(\d{2})\.(\d)$")  # 71.10 stored as the number 71.1


def field_of(header: str) -> str | None:
    return ALIAS_TO_FIELD.get(column_key(header))


def load_roster(path: Path) -> list[RegionHead]:
    """Read and validate a roster against the register; raise RosterError listing every
    problem. Each head carries the register's name for its region and province."""
    rows, problems = read_rows(path)
    heads = validate_rows(path.name, rows, problems)
    if problems:
        raise RosterError(sorted(problems, key=lambda p: (p.row or 0)))
    return heads


def check_roster(path: Path, complete: bool = False) -> tuple[list[RegionHead], Coverage]:
    """`pakta roster check`: the heads and the register's coverage, measured against the
    provinces of the workspace the file is in (its pakta.toml), or the whole country.
    With `complete`, every region in scope without a head is a problem too."""
    rows, problems = read_rows(path)
    heads = validate_rows(path.name, rows, problems)
    found = coverage((h.code for h in heads), roster_scope(path))
    missing = [Problem(path.name, None, "kode", _missing_message(r))
               for r in found.missing] if complete else []
    if problems or missing:
        raise RosterError(sorted(problems, key=lambda p: (p.row or 0)) + missing)
    return heads, found


def _missing_message(region: Region) -> str:
    if region.kind is RegionKind.PROVINSI:
        return _("no head in the roster for {label} ({code})").format(
            label=region.label, code=region.code)
    return _("no head in the roster for {label} ({code}, province {province})").format(
        label=region.label, code=region.code,
        province=load_register().province(region.code).name)


def roster_scope(path: Path) -> tuple[str, ...]:
    """The provinces of the workspace the roster is in; none outside a workspace."""
    from pakta.config import load_workspace
    from pakta.errors import ConfigError

    try:
        return load_workspace(path.resolve().parent).provinces
    except ConfigError:
        return ()


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """Rows as (row number as the user sees it, {header: value})."""
    if not path.is_file():
        raise InputError(_("{path}: roster file not found").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".yaml", ".yml", ".json"):
        return _read_structured(path)
    raise InputError(
        _("{path}: unknown roster format '{suffix}'").format(path=path, suffix=suffix),
        hint=_("use .csv, .xlsx, .yaml or .json"))


def _read_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = Problem(path.name, line, None,
                          _("not valid UTF-8 (byte 0x{byte:02x}); save the file as "
                            "'CSV UTF-8'").format(byte=raw[exc.start]))
        return [], [problem]
    first_lines = "\n".join(text.split("\n", 10)[:10])
    # Indonesian Excel exports separate with semicolons (a title row may come first).
    delimiter = ";" if first_lines.count(";") > first_lines.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = list(reader)
    return _table_rows(path.name, table, first_row=1)


def _read_xlsx(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    import openpyxl  # only rosters in XLSX pay for this import

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise InputError(_("{path}: not a readable XLSX workbook ({error})").format(
            path=path, error=exc)) from exc
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
        return [], [Problem(file, None, None, _("the roster is empty"))]
    header = [cell.strip() for cell in table[0]]
    problem = _header_problem(file, first_row, table)
    if problem is not None:
        return [], [problem]
    rows = []
    for offset, cells in enumerate(table[1:], start=1):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((first_row + offset, dict(zip(header, cells, strict=False))))
    return rows, []


def _fields(cells: Iterable[str]) -> set[str]:
    return {f for f in map(field_of, cells) if f is not None}


def _header_problem(file: str, row: int, table: list[list[str]]) -> Problem | None:
    """One problem for a header that is not one: a title row above it, every column
    packed into column A, or required columns missing. None when the header is fine."""
    header = [cell.strip() for cell in table[0]]
    found = _fields(header)
    if len(found) < 2:
        for offset, cells in enumerate(table[1:11], start=1):
            if len(_fields(cells)) >= 3:
                return Problem(file, row, None, _(
                    "row {row} is not the header: the column names are on row {header_row}; "
                    "delete the title rows above them").format(row=row,
                                                                header_row=row + offset))
        filled = [cell for cell in header if cell]
        if len(filled) == 1 and ";" in filled[0] and len(_fields(filled[0].split(";"))) >= 2:
            return Problem(file, row, None, _(
                "every column is packed into column A, separated by semicolons (a CSV opened "
                "in Excel without splitting it): give pakta the CSV file itself, or split "
                "column A with Data > Text to Columns, delimiter semicolon"))
    return missing_columns_problem(file, row, header)


def missing_columns_problem(file: str, row: int | None, header: list[str]) -> Problem | None:
    found = _fields(header)
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in found]
    if not missing:
        return None
    return Problem(file, row, None, _(
        "the header lacks the required columns {missing} (it has: {found}); required: "
        "{required}").format(
            missing=", ".join(missing),
            found=", ".join(h for h in header if h) or _("nothing"),
            required=", ".join(COLUMNS[key][0] for key in REQUIRED)))


def _read_structured(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".json":
            data: Any = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (ValueError, Exception) as exc:  # yaml.YAMLError and json errors
        raise InputError(_("{path}: cannot parse ({error})").format(path=path, error=exc)) \
            from exc
    if isinstance(data, dict):
        data = data.get("kepala_daerah", data.get("heads", data.get("roster")))
    if not isinstance(data, list):
        raise InputError(_("{path}: expected a list of heads (or a 'kepala_daerah' list)")
                         .format(path=path))
    rows = []
    problems = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(path.name, number, None, _("entry is not a mapping")))
            continue
        rows.append((number, {str(k): "" if v is None else str(v) for k, v in item.items()}))
    keys = list(dict.fromkeys(k for _number, row in rows for k in row))
    header = missing_columns_problem(path.name, None, keys) if rows else None
    if header is not None:
        return [], [header]
    return rows, problems


def validate_rows(
    file: str, rows: Iterable[tuple[int, dict[str, str]]], problems: list[Problem],
    register: Register | None = None,
) -> list[RegionHead]:
    register = register or load_register()
    heads: list[RegionHead] = []
    seen_codes: dict[str, int] = {}
    for row_number, row in rows:
        values: dict[str, str] = {}
        extra: dict[str, str] = {}
        for header, value in row.items():
            key = field_of(header)
            if key is None:
                if header.strip():
                    extra[slugify(header).replace("-", "_")] = value.strip()
            else:
                values[key] = value.strip()
        head = _validate_row(file, row_number, values, extra, problems, register)
        if head is None:
            continue
        if head.code in seen_codes:
            problems.append(Problem(file, row_number, "kode", _(
                "duplicate region code '{code}' (first on row {row})").format(
                    code=head.code, row=seen_codes[head.code])))
            continue
        seen_codes[head.code] = row_number
        heads.append(head)
    return heads


def _validate_row(
    file: str, row: int, values: dict[str, str], extra: dict[str, str],
    problems: list[Problem], register: Register,
) -> RegionHead | None:
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(Problem(file, row, column, message))

    for key in REQUIRED_VALUES:
        if not values.get(key):
            problem(COLUMNS[key][0], _("missing {what}").format(what=_label(key)))
    kind = KIND_ALIASES.get(values.get("kind", "").lower())
    if values.get("kind") and kind is None:
        problem("jenis", _("unknown region kind '{kind}' (expected provinsi, kabupaten or "
                           "kota)").format(kind=values["kind"]))
    status = STATUS_ALIASES.get(values.get("status", "").lower())
    if status is None:
        problem("status", _("unknown status '{status}' (expected definitif, Pj., Pjs., Plt. "
                            "or Plh.)").format(status=values["status"]))
    code = values.get("code", "")
    shaped = bool(code) and kind is not None and _check_code_shape(code, kind, problem)
    _check_identifiers(values, problem)
    region_name, province = values.get("region_name", ""), values.get("province", "")
    if shaped and kind is not None:
        if values.get("new_region", "").lower() in YES:
            _check_new_region(register, code, province, problem)
            if not province and code.split(".")[0] in register.regions:
                province = register.province(code).name
        else:
            for item in check_head(register, code, kind, region_name, province):
                problem(item.column, item.message)
            if code in register.regions:
                # The register's names are the ones printed: a roster's typo stops here.
                region_name = register.regions[code].name
                province = register.province(code).name
    if len(problems) > before or kind is None or status is None:
        return None
    return RegionHead(
        code=code,
        kind=kind,
        region_name=region_name,
        province=province,
        full_name=" ".join(values["full_name"].split()),
        status=status,
        nik=values.get("nik") or None,
        nip=values.get("nip") or None,
        email=values.get("email") or None,
        extra=extra,
    )


def _check_new_region(register: Register, code: str, province: str,
                      problem: Callable[[str, str], None]) -> None:
    """A region newer than the register: accepted when its code is not in the register
    and begins with its province's code."""
    if code in register.regions:
        problem("wilayah_baru", _(
            "code '{code}' is marked as a new region but the register has it: "
            "{label}").format(code=code, label=register.regions[code].label))
    elif code.split(".")[0] != register.province_code_of(
            province or code.split(".")[0]):
        problem("kode", _("new region '{code}': its code does not begin with the code of "
                          "province '{province}'").format(code=code, province=province))


def _check_code_shape(code: str, kind: RegionKind, problem: Callable[[str, str], None]) -> bool:
    """True when the code has its kind's shape; otherwise the problem, with a hint."""
    if kind is RegionKind.PROVINSI:
        if PROVINCE_CODE.match(code):
            return True
        message = _("province code '{code}' must be two digits, e.g. '75'").format(code=code)
        if code.endswith(".0") and PROVINCE_CODE.match(code[:-2]):
            message += "; " + _("Excel stored it as a number: is it '{fixed}'? Format the "
                                "column as Text").format(fixed=code[:-2])
        problem("kode", message)
        return False
    if REGENCY_CODE.match(code):
        return True
    message = _("{kind} code '{code}' must look like 'NN.NN', e.g. '71.11'").format(
        kind=kind.value, code=code)
    excel = EXCEL_CODE.match(code)
    if excel:
        message += "; " + _("Excel stored it as a number and dropped the last zero: is it "
                            "'{fixed}'? Format the column as Text").format(
                                fixed=f"{excel[1]}.{excel[2]}0")
    problem("kode", message)
    return False


def _check_identifiers(values: dict[str, str], problem: Callable[[str, str], None]) -> None:
    for key, length in (("nik", NIK_LENGTH), ("nip", NIP_LENGTH)):
        value = values.get(key, "")
        if value and not (value.isdigit() and len(value) == length):
            problem(key, _("{name} must be {length} digits, not '{value}'").format(
                name=key.upper(), length=length, value=value))
    email = values.get("email", "")
    if email and not EMAIL.match(email):
        problem("email", _("'{value}' is not an e-mail address").format(value=email))


def _label(key: str) -> str:
    return {"code": _("region code"), "kind": _("region kind"),
            "region_name": _("region name"), "province": _("province"),
            "full_name": _("name")}.get(key, key)
