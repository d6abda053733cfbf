"""Rosters of people: every civil servant (ASN) who signs a personal statement.

A people roster can hold millions of rows (Indonesia has about 4.3 million ASN), so it is
read and validated as a stream, one row at a time, never whole in memory: CSV of any
length, XLSX up to Excel's own limit of 1,048,576 rows. Problems are reported with their
file, row and column, the first `PROBLEMS_SHOWN` in full and then a count.

Columns (Indonesian first, English aliases accepted): `nip` (18 digits, checked: birth
date yyyymmdd, TMT yyyymm, sex 1/2, sequence), `nama` (titles included), `jabatan`,
`unit_kerja`, `instansi`, `kode_wilayah` (the instansi's Kemendagri region code: `32` or
`32.73`), optional `provinsi`, `tempat` and `tanggal` (where and when the statement is
signed; the workspace's event by default).
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pakta.errors import InputError, Problem
from pakta.i18n import _
from pakta.regions import PROVINCE_CODE, REGENCY_CODE, name_key, plain_name

ASN_TEMPLATE = "pernyataan-netralitas-asn"
ASN_SLOT = "asn"
EXCEL_ROWS = 1_048_576  # the most rows a worksheet holds, the header included
PROBLEMS_SHOWN = 20

COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("nip",),
    "full_name": ("nama", "nama_lengkap", "nama lengkap", "full_name", "name"),
    "jabatan": ("jabatan", "position"),
    "unit_kerja": ("unit_kerja", "unit kerja", "unit"),
    "instansi": ("instansi", "agency"),
    "region_code": ("kode_wilayah", "kode wilayah", "kode", "region_code"),
    "province": ("provinsi", "province"),
    "place": ("tempat", "tempat_penandatanganan", "place"),
    "signed_on": ("tanggal", "tanggal_penandatanganan", "date"),
}
REQUIRED = ("nip", "full_name", "jabatan", "unit_kerja", "instansi", "region_code")
ALIAS_TO_FIELD = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}


@dataclass(frozen=True)
class Person:
    """One ASN as the roster names them; read by the template as `head` (the signer)."""

    nip: str
    full_name: str  # as written, titles included
    jabatan: str
    unit_kerja: str
    instansi: str  # "Pemerintah Kota Bandung"
    region_code: str  # the instansi's Kemendagri code
    province: str  # the province's name, or its code when the roster gives no name
    place: str | None = None
    signed_on: date | None = None

    @property
    def code(self) -> str:
        """The instansi's region code (what the ledger groups documents by)."""
        return self.region_code

    @property
    def title(self) -> str:
        return self.jabatan

    @property
    def plain_name(self) -> str:
        return plain_name(self.full_name)

    @property
    def name_key(self) -> str:
        return name_key(self.full_name)

    @property
    def identifier(self) -> str:
        return self.nip

    @property
    def slug(self) -> str:
        return self.nip

    @property
    def nip_spaced(self) -> str:
        """As printed on Indonesian documents: '19850317 201001 1 002'."""
        n = self.nip
        return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}"


def nip_problem(nip: str) -> str | None:
    """What is wrong with a NIP, or None: 18 digits, a birth date (yyyymmdd), the month
    of appointment (TMT, yyyymm) after the 18th birthday, sex 1 or 2, a sequence."""
    if len(nip) != 18 or not nip.isascii() or not nip.isdigit():
        return _("NIP '{nip}' must be 18 digits").format(nip=nip)
    try:
        born = date(int(nip[:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return _("NIP '{nip}': digits 1-8 are not a birth date (yyyymmdd)").format(nip=nip)
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12 or year < 1900:
        return _("NIP '{nip}': digits 9-14 are not a month of appointment (yyyymm)").format(
            nip=nip)
    if (year, month) < (born.year + 18, born.month):
        return _("NIP '{nip}': appointed (TMT {tmt}) before the age of 18").format(
            nip=nip, tmt=f"{year}-{month:02d}")
    if nip[14] not in "12":
        return _("NIP '{nip}': digit 15 (sex) must be 1 or 2").format(nip=nip)
    if nip[15:] == "000":
        return _("NIP '{nip}': the sequence (digits 16-18) cannot be 000").format(nip=nip)
    return None


def parse_date(text: str) -> date | None:
    """YYYY-MM-DD, or DD-MM-YYYY / DD/MM/YYYY as Indonesian spreadsheets write it."""
    text = text.strip().split(" ")[0]  # XLSX dates arrive as "2024-09-17 00:00:00"
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for separator in "-/.":
        parts = text.split(separator)
        if len(parts) == 3 and len(parts[2]) == 4:
            try:
                return date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------------------------------
# Reading as a stream


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number as the user sees it, cells), the header first, one row at a time."""
    if not path.is_file():
        raise InputError(_("{path}: roster file not found").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        yield from _csv_rows(path)
    elif suffix == ".xlsx":
        yield from _xlsx_rows(path)
    else:
        raise InputError(_("{path}: unknown people roster format '{suffix}'").format(
            path=path, suffix=suffix), hint=_("use .csv or .xlsx"))


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with open(path, "rb") as raw:
        first = raw.readline()
    delimiter = ";" if first.count(b";") > first.count(b",") else ","
    with open(path, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for cells in reader:
                yield reader.line_num, cells
        except UnicodeDecodeError as exc:
            raise InputError(_("{path}, row {row}: not valid UTF-8; save the file as "
                               "'CSV UTF-8'").format(path=path.name, row=reader.line_num + 1)
                             ) from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    try:  # read-only: rows are parsed as they are read, not loaded all at once
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise InputError(_("{path}: not a readable XLSX workbook ({error})").format(
            path=path, error=exc)) from exc
    try:
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            if number > EXCEL_ROWS:
                raise InputError(_("{path}: more than {limit} rows, more than Excel "
                                   "holds").format(path=path.name, limit=EXCEL_ROWS),
                                 hint=_("split it, or give it as CSV"))
            yield number, ["" if v is None else str(v) for v in row]
    finally:
        book.close()


class PeopleRosterError(InputError):
    """The first problems of a people roster in full, then how many more."""

    def __init__(self, file: str, shown: list[Problem], total: int) -> None:
        self.problems, self.total = shown, total
        lines = [_("{file}: {count} problem(s):").format(file=file, count=total)]
        lines += [f"  {p}" for p in shown]
        if total > len(shown):
            lines.append(_("  ... and {count} more").format(count=total - len(shown)))
        super().__init__("\n".join(lines))


@dataclass
class PeopleCheck:
    """What a pass over a roster found: rows read, people valid, the first problems."""

    file: str
    rows: int = 0
    people: int = 0
    problem_count: int = 0
    by_region: dict[str, int] | None = None

    def __post_init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(problem)

    def raise_if_problems(self) -> None:
        if self.problem_count:
            raise PeopleRosterError(self.file, self.problems, self.problem_count)


def iter_people(path: Path, check: PeopleCheck | None = None, *,
                default_place: str | None = None, default_date: date | None = None
                ) -> Iterator[Person]:
    """The valid people of a roster, one at a time; the problems go to `check`."""
    for _row, person in numbered_people(path, check, default_place=default_place,
                                        default_date=default_date):
        yield person


def numbered_people(path: Path, check: PeopleCheck | None = None, *,
                    default_place: str | None = None, default_date: date | None = None
                    ) -> Iterator[tuple[int, Person]]:
    """(row number, person) for every valid row, one at a time."""
    check = check if check is not None else PeopleCheck(path.name)
    rows = _rows(path)
    header: list[str | None] = []
    header_row = 0
    for number, cells in rows:
        if any(c.strip() for c in cells):
            header = [ALIAS_TO_FIELD.get(c.strip().lower()) for c in cells]
            header_row = number
            break
    else:
        check.add(Problem(path.name, None, None, _("the roster is empty")))
        return
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in header]
    if missing:
        check.add(Problem(path.name, header_row, None, _("missing column(s): {columns}").format(
            columns=", ".join(missing))))
        return
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        check.rows += 1
        values = {key: cell.strip() for key, cell in zip(header, cells, strict=False)
                  if key is not None}
        person = _person(path.name, number, values, check, default_place, default_date)
        if person is not None:
            check.people += 1
            yield number, person


def _person(file: str, row: int, values: dict[str, str], check: PeopleCheck,
            default_place: str | None, default_date: date | None) -> Person | None:
    before = check.problem_count
    for key in REQUIRED:
        if not values.get(key):
            check.add(Problem(file, row, COLUMNS[key][0],
                              _("missing {column}").format(column=COLUMNS[key][0])))
    nip = values.get("nip", "")
    if nip and (problem := nip_problem(nip)):
        check.add(Problem(file, row, "nip", problem))
    code = values.get("region_code", "")
    if code and not (PROVINCE_CODE.match(code) or REGENCY_CODE.match(code)):
        check.add(Problem(file, row, "kode_wilayah", _(
            "region code '{code}' must look like '32' or '32.73'").format(code=code)))
    signed_on = default_date
    if values.get("signed_on"):
        signed_on = parse_date(values["signed_on"])
        if signed_on is None:
            check.add(Problem(file, row, "tanggal", _(
                "'{value}' is not a date (YYYY-MM-DD or DD-MM-YYYY)").format(
                    value=values["signed_on"])))
    if check.problem_count > before:
        return None
    return Person(
        nip=nip, full_name=" ".join(values["full_name"].split()),
        jabatan=values["jabatan"], unit_kerja=values["unit_kerja"],
        instansi=values["instansi"], region_code=code,
        province=values.get("province") or code.split(".")[0],
        place=values.get("place") or default_place, signed_on=signed_on)


def check_people(path: Path) -> PeopleCheck:
    """Read and validate a whole roster as a stream; duplicate NIPs are found from
    sorted arrays of 8 bytes per row (a second pass names their rows)."""
    check = PeopleCheck(path.name, by_region={})
    # 8 bytes per row, in 256 buckets sorted one at a time: never a list of every NIP.
    buckets = [array("q") for _ in range(256)]
    assert check.by_region is not None
    for person in iter_people(path, check):
        value = int(person.nip)
        buckets[value & 255].append(value)
        check.by_region[person.region_code] = check.by_region.get(person.region_code, 0) + 1
    twice: set[int] = set()
    for bucket in buckets:
        ordered = sorted(bucket)
        twice.update(ordered[i] for i in range(1, len(ordered)) if ordered[i] == ordered[i - 1])
    del buckets
    if twice:
        first: dict[int, int] = {}
        for number, person in numbered_people(path):
            value = int(person.nip)
            if value not in twice:
                continue
            if value in first:
                check.add(Problem(path.name, number, "nip", _(
                    "duplicate NIP {nip} (first on row {row})").format(
                        nip=person.nip, row=first[value])))
            else:
                first[value] = number
    return check
