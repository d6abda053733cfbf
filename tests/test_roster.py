from __future__ import annotations

from pathlib import Path

import pytest

from pakta.errors import InputError, RosterError
from pakta.regions import HeadStatus, RegionKind, name_key, plain_name
from pakta.roster import load_roster
from tests.conftest import ROSTER_HEADER, SMALL_ROSTER, run_pakta


def write(tmp_path: Path, text: str | bytes, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_loads_titles_and_acting_heads(tmp_path: Path) -> None:
    heads = {h.code: h for h in load_roster(write(tmp_path, SMALL_ROSTER))}
    assert heads["75"].title == "Pj. Gubernur Gorontalo"
    assert heads["71.11"].title == "Bupati Bolaang Mongondow Selatan"
    assert heads["33.76"].title == "Pj. Wali Kota Tegal"
    assert heads["71.11"].plain_name == "Iskandar Kamaru"
    assert heads["71.11"].nik == "7111000000000001"
    assert heads["75"].slug == "75-gorontalo"
    assert heads["33.76"].kind is RegionKind.KOTA
    assert heads["75"].status is HeadStatus.PENJABAT


@pytest.mark.parametrize(("code", "kind", "region", "province", "status", "title"), [
    ("32", "provinsi", "Jawa Barat", "Jawa Barat", "definitif", "Gubernur Jawa Barat"),
    ("91.06", "kabupaten", "Biak Numfor", "Papua", "Pj.", "Pj. Bupati Biak Numfor"),
    ("16.71", "kota", "Palembang", "Sumatera Selatan", "", "Wali Kota Palembang"),
    ("16.71", "kota", "Palembang", "Sumatera Selatan", "Plt.", "Plt. Wali Kota Palembang"),
    ("91.06", "kabupaten", "Biak Numfor", "Papua", "Pjs.", "Pjs. Bupati Biak Numfor"),
    ("33.76", "kota", "Tegal", "Jawa Tengah", "Plh.", "Plh. Wali Kota Tegal"),
    ("33.76", "kota", "Tegal", "Jawa Tengah", "penjabat sementara", "Pjs. Wali Kota Tegal"),
])
def test_titles_for_every_case(tmp_path: Path, code: str, kind: str, region: str,
                               province: str, status: str, title: str) -> None:
    roster = ROSTER_HEADER + f"{code},{kind},{region},{province},Budi,{status},,\n"
    (head,) = load_roster(write(tmp_path, roster))
    assert head.title == title


def test_semicolons_bom_and_english_headers(tmp_path: Path) -> None:
    text = "\ufeffregion_code;region_kind;region_name;province;full_name;status;unit\n" \
           "75;provinsi;Gorontalo;Gorontalo;Hamka Hendra Noer;Pj.;Biro Pemerintahan\n"
    (head,) = load_roster(write(tmp_path, text))
    assert head.code == "75"
    assert head.extra == {"unit": "Biro Pemerintahan"}  # extra columns reach templates


def test_yaml_json_and_xlsx(tmp_path: Path) -> None:
    import json

    import openpyxl

    entry = {"kode": "75", "jenis": "provinsi", "nama_wilayah": "Gorontalo",
             "provinsi": "Gorontalo", "nama": "Hamka Hendra Noer", "status": "Pj."}
    yaml_path = write(tmp_path, "kepala_daerah:\n" + "".join(
        f"  {'-' if i == 0 else ' '} {k}: \"{v}\"\n" for i, (k, v) in enumerate(entry.items())),
        "r.yaml")
    json_path = write(tmp_path, json.dumps([entry]), "r.json")
    book = openpyxl.Workbook()
    book.active.append(list(entry))
    book.active.append(list(entry.values()))
    book.save(tmp_path / "r.xlsx")
    for path in (yaml_path, json_path, tmp_path / "r.xlsx"):
        (head,) = load_roster(path)
        assert head.title == "Pj. Gubernur Gorontalo", path


def test_every_problem_in_one_pass(tmp_path: Path) -> None:
    roster = ROSTER_HEADER + (
        "75,provinsi,Gorontalo,Gorontalo,,Pj.,,\n"              # row 2: missing name
        "76,negara,Sulawesi Barat,Sulawesi Barat,Ali,,,\n"      # row 3: unknown kind
        "7,provinsi,Aceh,Aceh,Budi,,,\n"                         # row 4: bad province code
        "71.1,kota,Manado,Sulawesi Utara,Citra,,,\n"            # row 5: bad regency code
        "33,provinsi,Jawa Tengah,Jawa Tengah,Dedi,,,\n"          # row 6
        "33,provinsi,Jawa Tengah,Jawa Tengah,Eka,,,\n"           # row 7: duplicate code
        "34.76,kota,Tegal,Jawa Tengah,Fajar,,,\n"                # row 8: not in the register
        "35.78,kota,Surabaya,Jawa Timur,Gita,acting mayor,,\n"   # row 9: unknown status
    )
    with pytest.raises(RosterError) as caught:
        load_roster(write(tmp_path, roster))
    messages = [str(p) for p in caught.value.problems]
    assert messages == [
        "roster.csv, row 2, column 'nama': missing name",
        "roster.csv, row 3, column 'jenis': unknown region kind 'negara' "
        "(expected provinsi, kabupaten or kota)",
        "roster.csv, row 4, column 'kode': province code '7' must be two digits, e.g. '75'",
        "roster.csv, row 5, column 'kode': kota code '71.1' must look like 'NN.NN', "
        "e.g. '71.11'; Excel stored it as a number and dropped the last zero: is it "
        "'71.10'? Format the column as Text",
        "roster.csv, row 7, column 'kode': duplicate region code '33' (first on row 6)",
        "roster.csv, row 8, column 'kode': code '34.76' is not in the register of regions; "
        "Kota Tegal has code 33.76",
        "roster.csv, row 9, column 'status': unknown status 'acting mayor' "
        "(expected definitif, Pj., Pjs., Plt. or Plh.)",
    ]
    assert caught.value.exit_code == 3


def test_bad_encoding_names_the_row(tmp_path: Path) -> None:
    data = (ROSTER_HEADER + "75,provinsi,Gorontalo,Gorontalo,Hamka,Pj.,,\n").encode() \
        + "33,provinsi,Jawa Tengah,Jawa Tengah,Dédi,,,\n".encode("latin-1")
    with pytest.raises(RosterError) as caught:
        load_roster(write(tmp_path, data))
    assert str(caught.value.problems[0]).startswith(
        "roster.csv, row 3: not valid UTF-8 (byte 0xe9)")


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="roster file not found"):
        load_roster(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unknown roster format '.pdf'"):
        load_roster(write(tmp_path, "x", "r.pdf"))


def test_cli_roster_check_exit_codes(tmp_path: Path) -> None:
    good = run_pakta("roster", "check", str(write(tmp_path, SMALL_ROSTER)))
    assert good.returncode == 0, good.stderr
    assert "4 heads OK (2 provinsi, 1 kabupaten, 1 kota; 2 acting)" in good.stdout
    bad = run_pakta("roster", "check",
                    str(write(tmp_path, ROSTER_HEADER + "75,provinsi,Gorontalo,,,,,\n", "b.csv")))
    assert bad.returncode == 3
    assert bad.stdout == ""
    assert "b.csv, row 2, column 'nama': missing name" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_name_matching_ignores_titles_case_and_punctuation() -> None:
    assert plain_name("Hi. Iskandar Kamaru, S.Pt, M.Si") == "Iskandar Kamaru"
    assert plain_name("Drs. Samsuddin A Kadir") == "Samsuddin A Kadir"
    assert plain_name("KH. Abdul Gani Kasuba") == "Abdul Gani Kasuba"
    assert name_key("ISKANDAR  KAMARU") == name_key("Hi. Iskandar Kamaru, S.Pt, M.Si")
    assert name_key("Dadang Somantri") != name_key("Dadang Sumantri")
