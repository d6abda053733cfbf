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
import os
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pakta.batch import Executor, chunks_of
from pakta.errors import InputError, Problem
from pakta.i18n import _
from pakta.regions import PROVINCE_CODE, REGENCY_CODE, name_key, plain_name

if TYPE_CHECKING:
    from pakta.config import Event, Witness
    from pakta.ledger import Ledger
    from pakta.render.layout import RenderOutcome
    from pakta.verify import DocumentVerdict, Tally, VerifySettings

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


def sample_people(count: int, *, seed: int = 7) -> Iterator[dict[str, str]]:
    """Rows of a synthetic roster (tests and benchmarks): valid NIPs, real-looking names
    with titles, regions under real Kemendagri codes."""
    import random

    rng = random.Random(seed)
    given = ("Siti", "Ahmad", "Dewi", "Budi", "Rina", "Agus", "Nur", "Hendra", "Wahyuni",
             "Yusuf", "Ratna", "Made", "Ketut", "Fransiska", "Marthen", "Intan")
    family = ("Rahmawati", "Saputra", "Lestari", "Hidayat", "Siregar", "Nasution",
              "Wibowo", "Pratama", "Kurniawan", "Lubis", "Manurung", "Wenda", "Putri")
    before = ("", "", "Drs. ", "Dr. ", "Hj. ", "H. ", "Ir. ")
    after = ("", ", S.Pd.", ", S.E.", ", S.H., M.H.", ", S.Kom.", ", M.Si.", ", S.Sos.")
    jabatan = ("Analis Kebijakan Ahli Muda", "Guru Ahli Pertama", "Perawat Terampil",
               "Pranata Komputer Ahli Pertama", "Kepala Seksi Pelayanan",
               "Penata Kelola Pemilu", "Camat", "Lurah", "Sekretaris Dinas")
    units = ("Dinas Pendidikan", "Dinas Kesehatan", "Badan Kepegawaian dan Pengembangan "
             "Sumber Daya Manusia", "Sekretariat Daerah", "Dinas Komunikasi dan Informatika",
             "Kecamatan Coblong")
    regions = (("32.73", "Kota Bandung", "Jawa Barat"),
               ("71.11", "Kabupaten Bolaang Mongondow Selatan", "Sulawesi Utara"),
               ("75", "Provinsi Gorontalo", "Gorontalo"),
               ("33.76", "Kota Tegal", "Jawa Tengah"),
               ("91.06", "Kabupaten Biak Numfor", "Papua"),
               ("16.71", "Kota Palembang", "Sumatera Selatan"))
    for index in range(count):
        # Unique by construction: (birth date, sequence) differs for 12 million rows.
        group, sequence = divmod(index, 999)
        born = date(1965, 1, 1) + timedelta(days=group % 12000)
        tmt = (born.year + 20 + rng.randrange(15), 1 + rng.randrange(12))
        nip = f"{born:%Y%m%d}{tmt[0]}{tmt[1]:02d}{1 + rng.randrange(2)}{1 + sequence:03d}"
        code, instansi, province = regions[index % len(regions)]
        yield {"nip": nip,
               "nama": f"{rng.choice(before)}{rng.choice(given)} {rng.choice(family)}"
                       f"{rng.choice(after)}",
               "jabatan": rng.choice(jabatan), "unit_kerja": rng.choice(units),
               "instansi": f"Pemerintah {instansi}", "kode_wilayah": code,
               "provinsi": province, "tempat": instansi.split(" ", 1)[1],
               "tanggal": "2024-09-17"}


def write_sample_csv(path: Path, count: int, *, seed: int = 7) -> None:
    """A synthetic people roster of `count` rows, written as it is made."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer: csv.DictWriter[str] | None = None
        for row in sample_people(count, seed=seed):
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)


# ---------------------------------------------------------------------------------------
# Batches at scale: rendered and verified in windows, so memory stays flat in N

WINDOW = 5_000  # documents planned, checked and recorded at a time


def doc_id_for(person: Person, template: str = ASN_TEMPLATE) -> str:
    return f"{person.nip}-{template}"


def out_path_for(out_dir: Path, person: Person, template: str = ASN_TEMPLATE) -> Path:
    """One folder per instansi region: no folder of millions of files."""
    return out_dir / person.region_code / f"{doc_id_for(person, template)}.pdf"


@dataclass
class BatchCounts:
    """A batch summed up without keeping its items: counts, and the first failures."""

    counts: dict[str, int]
    failures: list[tuple[str, str]]  # (doc_id or path, reason), the first PROBLEMS_SHOWN
    interrupted: bool = False

    def add(self, action: str, name: str, reason: str | None = None) -> None:
        self.counts[action] = self.counts.get(action, 0) + 1
        if reason is not None and len(self.failures) < PROBLEMS_SHOWN:
            self.failures.append((name, reason))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def render_people(roster: Path, *, out_dir: Path, template_dir: Path | None,
                  event: Event, witness: Witness, ledger: Ledger, executor: Executor,
                  template: str = ASN_TEMPLATE, overwrite: bool = False,
                  window: int = WINDOW,
                  progress: Callable[[RenderOutcome], None] | None = None) -> BatchCounts:
    """Every person's statement: the roster checked as a stream first (nothing rendered
    if it has problems), then rendered window by window through `executor`; each
    window's people go into the ledger with their documents. A rerun skips what is
    rendered (pakta.render's ledger check), so a batch killed half-way resumes."""
    from pakta.render.layout import Renderer, RenderJob, _render_batch

    check_people(roster).raise_if_problems()
    checker = Renderer([template_dir] if template_dir else [], event, witness)
    counts = BatchCounts({}, [])
    try:
        people = iter_people(roster, default_place=event.place, default_date=event.date)
        for part in chunks_of(people, window):
            jobs = [RenderJob(p, template, doc_id_for(p, template),
                              out_path_for(out_dir, p, template)) for p in part]
            ledger.record_people([(doc_id_for(p, template), p.nip, p.instansi,
                                   p.unit_kerja, p.region_code) for p in part])
            summary = _render_batch(jobs, checker, template_dir=template_dir, event=event,
                                    witness=witness, ledger=ledger, overwrite=overwrite,
                                    executor=executor, progress=progress)
            for outcome in summary.outcomes:
                counts.add(outcome.action, outcome.doc_id, outcome.error)
            if summary.interrupted:
                counts.interrupted = True
                break
    finally:
        checker.close()
    return counts


def iter_pdfs(folder: Path) -> Iterator[Path]:
    """Every *.pdf under `folder`, sorted per folder, found as the walk goes (no list of
    millions of paths)."""
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            yield from iter_pdfs(Path(entry.path))
        elif entry.name.lower().endswith(".pdf") and not entry.name.startswith("."):
            yield Path(entry.path)


LEDGER_ROWS_PER_WRITE = 1024


def verify_people(folder: Path, settings: VerifySettings, *, ledger: Ledger | None,
                  executor: Executor, window: int = WINDOW,
                  on_verdict: Callable[[DocumentVerdict], None] | None = None
                  ) -> tuple[Tally, BatchCounts]:
    """Verify every PDF under `folder` window by window through `executor`; each
    verdict goes to `on_verdict` (a CSV or JSON writer) and the ledger as it comes.
    Only the sums are kept."""
    from pakta.ledger import VerificationRecord, now_iso
    from pakta.verify import Tally, iter_verdicts

    tally = Tally(settings)
    counts = BatchCounts({}, [])
    rows: list[VerificationRecord] = []
    try:
        for part in chunks_of(iter_pdfs(folder), window):
            for verdict in iter_verdicts(part, settings, executor=executor):
                tally.add(verdict)
                counts.add(verdict.status, verdict.doc_id or verdict.path,
                           "; ".join(map(str, verdict.reasons))
                           if verdict.status == "ERROR" else None)
                if on_verdict is not None:
                    on_verdict(verdict)
                if ledger is not None:
                    rows.append(VerificationRecord(
                        verdict.doc_id, verdict.path, verdict.sha256, verdict.status,
                        "; ".join(r.message("en") for r in verdict.reasons), now_iso()))
                    if len(rows) >= LEDGER_ROWS_PER_WRITE:
                        ledger.record_verifications(rows)
                        rows.clear()
    except KeyboardInterrupt:
        counts.interrupted = True
    finally:
        if ledger is not None and rows:
            ledger.record_verifications(rows)
    return tally, counts


@dataclass(frozen=True)
class GroupRow:
    instansi: str
    region_code: str
    province: str
    rendered: int
    signed: int
    verified: int


def people_summary(ledger: Ledger, template: str = ASN_TEMPLATE) -> list[GroupRow]:
    """Per instansi and region (hundreds of rows, never millions): rendered, signed and
    verified, from the ledger's indexes."""
    return [GroupRow(r["instansi"], r["region_code"], r["province"], r["rendered"],
                     r["signed"] or 0, r["verified"] or 0)
            for r in ledger.people_summary(template, ASN_SLOT)]
