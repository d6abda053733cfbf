"""The region register, rosters checked against it, coverage and the national sample."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pakta.errors import RosterError
from pakta.regions import RegionKind, title_case
from pakta.register import load_register, name_key
from pakta.roster import load_roster
from pakta.samples import (
    FEMALE_ONLY_TITLES,
    GIVEN_NAMES,
    MALE_ONLY_TITLES,
    MUSLIM_ONLY_TITLES,
    national_csv,
)
from tests.conftest import ROSTER_HEADER, run_pakta

DATA = Path(__file__).resolve().parent.parent / "pakta" / "data"


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    return [str(p) for p in caught.value.problems]


def test_register_has_every_region_with_its_source_and_licence() -> None:
    register = load_register()
    kinds = Counter(r.kind for r in register.regions.values())
    assert kinds == {RegionKind.PROVINSI: 38, RegionKind.KABUPATEN: 416, RegionKind.KOTA: 98}
    assert len(register.regions) == 552
    assert register.source["source"] == "npm package idn-area-data"
    assert register.source["licence"] == "ODbL-1.0"
    assert register.source["counts"] == {"provinsi": 38, "kabupaten": 416, "kota": 98}
    assert "Open Database License" in (DATA / "register-LICENSE-ODbL.md").read_text()
    notice = (DATA / "register-NOTICE.txt").read_text()
    assert "idn-area-data" in notice and str(register.source["version"]) in notice
    # Kemendagri's scheme: 71-99 after the dot are cities; the register agrees.
    for region in register.regions.values():
        if region.kind is not RegionKind.PROVINSI:
            assert (int(region.code[3:]) >= 71) == (region.kind is RegionKind.KOTA), region
            assert region.code.startswith(region.province_code + ".")


@pytest.mark.parametrize(("code", "label"), [
    ("71.11", "Kabupaten Bolaang Mongondow Selatan"),
    ("33.76", "Kota Tegal"),
    ("31", "Provinsi Daerah Khusus Ibukota Jakarta"),
    ("19", "Provinsi Kepulauan Bangka Belitung"),
    ("34", "Provinsi Daerah Istimewa Yogyakarta"),
    ("12.12", "Kabupaten Toba"),
    ("19.71", "Kota Pangkal Pinang"),
    ("72.04", "Kabupaten Toli-Toli"),
    ("73.10", "Kabupaten Pangkajene dan Kepulauan"),
    ("31.71", "Kota Administrasi Jakarta Pusat"),
])
def test_names_in_indonesian_title_case(code: str, label: str) -> None:
    assert load_register().regions[code].label == label


def test_title_case_of_the_upper_case_source() -> None:
    assert title_case("KABUPATEN PANGKAJENE DAN KEPULAUAN") == \
        "Kabupaten Pangkajene dan Kepulauan"
    assert title_case("KABUPATEN TOLI-TOLI") == "Kabupaten Toli-Toli"
    assert title_case("DKI JAKARTA") == "DKI Jakarta"
    assert title_case("KOTA PANGKALPINANG") == "Kota Pangkalpinang"
    # Every name of the register comes back unchanged from its upper-case form.
    for region in load_register().regions.values():
        assert title_case(region.label.upper()) == region.label


def test_names_compare_without_case_prefix_and_spacing() -> None:
    assert name_key("Kota Pangkalpinang") == name_key("Pangkal Pinang")
    assert name_key("TOLI TOLI") == name_key("Toli-Toli")
    assert name_key("DKI Jakarta") == name_key("Daerah Khusus Ibukota Jakarta")
    assert name_key("DI Yogyakarta") == name_key("Daerah Istimewa Yogyakarta")
    assert name_key("Jakarta Pusat") == name_key("Kota Administrasi Jakarta Pusat")
    assert name_key("Kab. Biak  Numfor") == name_key("Biak Numfor")
    assert name_key("Tapanuli Tengah") != name_key("Tapanuli Utara")


BAD_ROSTER = ROSTER_HEADER + (
    "12,provinsi,Sumatera Utara,Sumatera Utara,Budi Santoso,definitif,,\n"     # row 2
    "12.04,kabupaten,Nias,Gorontalo,Ahmad Lubis,definitif,,\n"                 # row 3
    "12.01,kabupaten,Nias,Sumatera Utara,Ahmad Lubis,definitif,,\n"            # row 4
    "12.02,kabupaten,Tapanuli Utaraa,Sumatera Utara,Arif Siregar,Pj.,,\n"     # row 5
    "33.76,kabupaten,Tegal,Jawa Tengah,Dadang Somantri,Pj.,,\n"               # row 6
    "71.99,kota,Kotamobagu,Sulawesi Utara,Yusuf Mokodompit,definitif,,\n"    # row 7
    "71.74,kota,Kotamobagu,Sulawesi Utara,Yusuf Mokodompit,definitif,,\n"    # row 8
    "71.74,kota,Kotamobagu,Sulawesi Utara,Yusuf Mokodompit,definitif,,\n"    # row 9
)


def test_each_problem_named_with_file_row_and_column_exit_3(tmp_path: Path) -> None:
    (tmp_path / "pakta.toml").write_text('[roster]\nprovinces = ["12", "Sulawesi Utara"]\n')
    path = write(tmp_path, BAD_ROSTER)
    result = run_pakta("roster", "check", str(path), "--complete")
    assert result.returncode == 3 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "error: roster has 54 problems:"  # 6 rows and 48 regions
    assert lines[1:8] == [
        "  roster.csv, row 3, column 'provinsi': code '12.04' (Kabupaten Nias) is in "
        "province Sumatera Utara (code 12), not 'Gorontalo'",
        "  roster.csv, row 4, column 'nama_wilayah': code '12.01' is Kabupaten Tapanuli "
        "Tengah in the register, not 'Nias'; Kabupaten Nias has code 12.04 (Sumatera Utara)",
        "  roster.csv, row 5, column 'nama_wilayah': code '12.02' is Kabupaten Tapanuli "
        "Utara in the register, not 'Tapanuli Utaraa'; did you mean 'Tapanuli Utara'?",
        "  roster.csv, row 6, column 'jenis': code '33.76' is Kota Tegal in the register, "
        "a kota, not a kabupaten",
        "  roster.csv, row 7, column 'kode': code '71.99' is not in the register of "
        "regions; Kota Kotamobagu has code 71.74",
        "  roster.csv, row 9, column 'kode': duplicate region code '71.74' (first on row 8)",
        "  roster.csv, column 'kode': no head in the roster for Kabupaten Tapanuli Tengah "
        "(12.01, province Sumatera Utara)",
    ]
    assert "  roster.csv, column 'kode': no head in the roster for Provinsi Sulawesi Utara " \
        "(71)" in lines
    # Rows 3-6 have problems, so 12.01-12.04 count as missing with every other region
    # of the two provinces (50 with the provinces themselves), less the 2 good rows.
    missing = [line for line in lines if "no head in the roster" in line]
    assert len(missing) == 50 - 2 and "71.74" not in "".join(missing)
    # Without --complete the same rows fail, and missing regions are not problems.
    plain = run_pakta("roster", "check", str(path))
    assert plain.returncode == 3 and "error: roster has 6 problems:" in plain.stderr


def test_status_column_missing_is_one_header_error(tmp_path: Path) -> None:
    text = "kode,jenis,nama_wilayah,provinsi,nama\n" + "".join(
        f"{c},provinsi,{n},{n},Budi,\n" for c, n in (("75", "Gorontalo"), ("76", "Sulawesi Barat")))
    assert problems_of(write(tmp_path, text)) == [
        "roster.csv, row 1: the header lacks the required columns status (it has: kode, "
        "jenis, nama_wilayah, provinsi, nama); required: kode, jenis, nama_wilayah, "
        "provinsi, nama, status"]
    no_name = "kode;jenis;nama_wilayah;provinsi;status\n75;provinsi;Gorontalo;Gorontalo;Pj.\n"
    assert problems_of(write(tmp_path, no_name)) == [
        "roster.csv, row 1: the header lacks the required columns nama (it has: kode, "
        "jenis, nama_wilayah, provinsi, status); required: kode, jenis, nama_wilayah, "
        "provinsi, nama, status"]


def test_title_row_above_the_header(tmp_path: Path) -> None:
    text = ("DAFTAR KEPALA DAERAH 2024;;;;;\n;;;;;\n" + ROSTER_HEADER.replace(",", ";")
            + "75;provinsi;Gorontalo;Gorontalo;Hamka Hendra Noer;Pj.;;\n")
    assert problems_of(write(tmp_path, text)) == [
        "roster.csv, row 1: row 1 is not the header: the column names are on row 3; "
        "delete the title rows above them"]


def test_xlsx_with_every_column_packed_into_column_a(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for line in (ROSTER_HEADER + "75;provinsi;Gorontalo;Gorontalo;Hamka;Pj.;;\n").replace(
            ",", ";").splitlines():
        book.active.append([line])
    book.save(tmp_path / "r.xlsx")
    assert problems_of(tmp_path / "r.xlsx") == [
        "r.xlsx, row 1: every column is packed into column A, separated by semicolons (a "
        "CSV opened in Excel without splitting it): give pakta the CSV file itself, or "
        "split column A with Data > Text to Columns, delimiter semicolon"]


def test_english_headers_and_excel_numeric_codes(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Code", "Type", "Region Name", "Province", "Name", "Status"])
    book.active.append([71.1, "regency", "Bolaang Mongondow Timur", "Sulawesi Utara",
                        "Budi", "definitive"])
    book.active.append([75, "province", "Gorontalo", "Gorontalo", "Hamka", "acting"])
    book.save(tmp_path / "r.xlsx")
    assert problems_of(tmp_path / "r.xlsx") == [
        "r.xlsx, row 2, column 'kode': kabupaten code '71.1' must look like 'NN.NN', "
        "e.g. '71.11'; Excel stored it as a number and dropped the last zero: is it "
        "'71.10'? Format the column as Text"]


def test_nik_nip_and_email_checked(tmp_path: Path) -> None:
    text = ("kode,jenis,nama_wilayah,provinsi,nama,status,nik,nip,email\n"
            "75,provinsi,Gorontalo,Gorontalo,Hamka,Pj.,123,19650424198912177,not-an-email\n"
            "76,provinsi,Sulawesi Barat,Sulawesi Barat,Ali,,7600012510756028,"
            "196504241989121778,ppk.76@contoh.go.id\n")
    assert problems_of(write(tmp_path, text)) == [
        "roster.csv, row 2, column 'nik': NIK must be 16 digits, not '123'",
        "roster.csv, row 2, column 'nip': NIP must be 18 digits, not '19650424198912177'",
        "roster.csv, row 2, column 'email': 'not-an-email' is not an e-mail address"]


def test_a_newer_region_is_accepted_only_explicitly(tmp_path: Path) -> None:
    header = ROSTER_HEADER.rstrip("\n") + ",wilayah_baru\n"
    row = "94.09,kabupaten,Pegunungan Baru,Papua Tengah,Yakob Wenda,Pj.,,,{flag}\n"
    assert problems_of(write(tmp_path, header + row.format(flag=""))) == [
        "roster.csv, row 2, column 'kode': code '94.09' is not in the register of regions"]
    (head,) = load_roster(write(tmp_path, header + row.format(flag="ya")))
    assert head.title == "Pj. Bupati Pegunungan Baru"
    known = "94.01,kabupaten,Nabire,Papua Tengah,Yakob Wenda,Pj.,,,ya\n"
    assert problems_of(write(tmp_path, header + known)) == [
        "roster.csv, row 2, column 'wilayah_baru': code '94.01' is marked as a new region "
        "but the register has it: Kabupaten Nabire"]


def test_titles_come_from_the_register(tmp_path: Path) -> None:
    text = ROSTER_HEADER + (
        "31,provinsi,dki jakarta,DKI Jakarta,Budi Santoso,Pj.,,\n"
        "19.71,kota,KOTA PANGKALPINANG,Kep. Bangka Belitung,Rudi Rahman,Plh.,,\n")
    heads = {h.code: h for h in load_roster(write(tmp_path, text))}
    assert heads["31"].title == "Pj. Gubernur Daerah Khusus Ibukota Jakarta"
    assert heads["31"].instansi == "Pemerintah Provinsi Daerah Khusus Ibukota Jakarta"
    assert heads["19.71"].title == "Plh. Wali Kota Pangkal Pinang"
    assert heads["19.71"].province == "Kepulauan Bangka Belitung"


def test_a_document_prints_the_register_name(make_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = make_workspace(ROSTER_HEADER + "33.76,kota,kota  TEGAL,jawa tengah,"
                        "Dadang Somantri,Pj.,,\n")
    result = run_pakta("render", "-t", "pakta-integritas", cwd=ws)
    assert result.returncode == 0, result.stderr
    (pdf,) = (ws / "out").glob("*.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Pj. Wali Kota Tegal" in text and "Pemerintah Kota Tegal" in text
    assert "kota  TEGAL" not in text and "jawa tengah" not in text


def _given_and_titles(full_name: str) -> tuple[str, list[str]]:
    words = full_name.split(",")[0].split()
    titles = []
    while words[0] in MALE_ONLY_TITLES | FEMALE_ONLY_TITLES | MUSLIM_ONLY_TITLES | {
            "Dr.", "Ir."}:
        titles.append(words.pop(0))
    return words[0], titles


def _check_titles_fit(rows: list[dict[str, str]]) -> None:
    for row in rows:
        given, titles = _given_and_titles(row["nama"])
        assert given in GIVEN_NAMES, row["nama"]  # every given name is known
        gender, faith = GIVEN_NAMES[given]
        wrong = set(titles) & (FEMALE_ONLY_TITLES if gender == "m" else MALE_ONLY_TITLES)
        assert not wrong, row["nama"]
        if faith != "muslim":
            assert not set(titles) & MUSLIM_ONLY_TITLES, row["nama"]


def test_shipped_sample_passes_and_its_titles_fit() -> None:
    path = DATA / "sample-roster.csv"
    result = run_pakta("roster", "check", str(path))
    assert result.returncode == 0, result.stderr
    assert "72 heads OK" in result.stdout
    assert ("coverage: 72 of 552 regions of the register (the whole country) have a head "
            "in the roster; 480 have none") in result.stdout
    _check_titles_fit(list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))))


def test_national_sample(tmp_path: Path) -> None:
    result = run_pakta("init", str(tmp_path / "ws"), "--sample", "national")
    assert result.returncode == 0, result.stderr
    roster = tmp_path / "ws" / "roster.csv"
    assert roster.read_text(encoding="utf-8") == national_csv()
    check = run_pakta("roster", "check", str(roster), "--complete")
    assert check.returncode == 0, check.stderr
    assert "552 heads OK (38 provinsi, 416 kabupaten, 98 kota;" in check.stdout
    rows = list(csv.DictReader(io.StringIO(roster.read_text(encoding="utf-8"))))
    assert [r["kode"] for r in rows] == list(load_register().regions)
    by_code = {r["kode"]: r for r in rows}
    assert by_code["75"]["nama"] == "Dr. Ir. Hamka Hendra Noer, M.Si"
    assert by_code["71.11"]["nama"] == "Hi. Iskandar Kamaru, S.Pt, M.Si"
    assert (by_code["33.76"]["nama"], by_code["33.76"]["status"]) == ("Dadang Somantri", "Pj.")
    assert all(by_code[c]["status"] == "Pj." for c in ("53", "91.06", "16.71"))
    notes = Counter(r["keterangan"] for r in rows)
    assert notes == {"fiktif": 548, "nama dari artikel rujukan": 4}
    statuses = Counter(r["status"] for r in rows)
    assert 0.35 < statuses["Pj."] / 552 < 0.55  # September 2024: about half were Pj.
    assert statuses["Plt."] and statuses["definitif"] > 200
    for r in rows:
        if r["status"] in ("Pj.", "Pjs.", "Plh.") and r["keterangan"] == "fiktif":
            assert len(r["nip"]) == 18  # an acting head is a civil servant
    _check_titles_fit(rows)


def _status_json(ws: Path) -> dict:  # type: ignore[type-arg]
    result = run_pakta("status", "--format", "json", cwd=ws)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_status_lists_exactly_the_regions_with_no_head(tmp_path: Path) -> None:
    assert run_pakta("init", str(tmp_path / "ws"), "--sample", "national").returncode == 0
    ws = tmp_path / "ws"
    roster = ws / "roster.csv"
    removed = ("12.04", "33.76", "96.71")
    lines = roster.read_text(encoding="utf-8").splitlines(keepends=True)
    roster.write_text("".join(line for line in lines if line.split(",")[0] not in removed),
                      encoding="utf-8")
    text = run_pakta("status", cwd=ws).stdout
    assert ("coverage: 549 of 552 regions of the register (the whole country) have a head "
            "in the roster; 3 have none") in text
    assert "  Sumatera Utara:\n    12.04  Kabupaten Nias\n" in text
    assert "  Jawa Tengah:\n    33.76  Kota Tegal\n" in text
    assert "  Papua Barat Daya:\n    96.71  Kota Sorong\n" in text
    assert "No head in the roster: 3\n" in text
    coverage = _status_json(ws)["coverage"]
    assert [m["code"] for m in coverage["missing"]] == list(removed)
    assert coverage["expected"] == 552 and coverage["covered"] == 549
    csv_rows = list(csv.DictReader(io.StringIO(run_pakta("status", "--format", "csv",
                                                         cwd=ws).stdout)))
    assert [(r["region_code"], r["head_title"]) for r in csv_rows if r["roster"] == "missing"
            ] == [("12.04", "Kabupaten Nias"), ("33.76", "Kota Tegal"),
                  ("96.71", "Kota Sorong")]
    html = run_pakta("status", "--format", "html", cwd=ws).stdout
    section = html.split('<section id="coverage">')[1].split("</section>")[0]
    assert section.count('class="region"') == 3 and "33.76 Kota Tegal" in section
    # A batch for two provinces: coverage against those only.
    config = ws / "pakta.toml"
    config.write_text(config.read_text().replace(
        '[roster]\n', '[roster]\nprovinces = ["Jawa Tengah", "96"]\n'))
    coverage = _status_json(ws)["coverage"]
    assert coverage["scope"] == ["33", "96"]
    assert [m["code"] for m in coverage["missing"]] == ["33.76", "96.71"]
    assert coverage["expected"] == 2 + 41  # the two provinces and their regions


def test_unknown_province_in_config_is_refused(tmp_path: Path) -> None:
    assert run_pakta("init", str(tmp_path / "ws")).returncode == 0
    config = tmp_path / "ws" / "pakta.toml"
    config.write_text(config.read_text().replace(
        '[roster]\n', '[roster]\nprovinces = ["Gorontalo", "Atlantis"]\n'))
    result = run_pakta("status", cwd=tmp_path / "ws")
    assert result.returncode == 3
    assert "pakta.toml: [roster] provinces: 'Atlantis' is not a province of the register" \
        in result.stderr


def test_register_problems_in_indonesian(tmp_path: Path) -> None:
    path = write(tmp_path, BAD_ROSTER)
    result = run_pakta("--lang", "id", "roster", "check", str(path))
    assert result.returncode == 3
    assert ("kode '12.01' adalah Kabupaten Tapanuli Tengah menurut register, bukan 'Nias'; "
            "Kabupaten Nias berkode 12.04 (Sumatera Utara)") in result.stderr
    assert "apakah maksudnya 'Tapanuli Utara'?" in result.stderr
    good = run_pakta("--lang", "id", "roster", "check", str(DATA / "sample-roster.csv"))
    assert ("cakupan: 72 dari 552 wilayah dalam register (seluruh Indonesia) memiliki "
            "kepala daerah dalam daftar; 480 belum ada") in good.stdout
