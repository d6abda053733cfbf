"""The national sample roster: every region of the register with a head (`pakta init
--sample national`).

The heads named in the reference articles keep their names and offices; every other
name is made up here from common Indonesian names, is marked "fiktif" in the
`keterangan` column and has an e-mail at contoh.go.id ("contoh": example). Titles fit
the name: "H."/"Hj." only before Muslim names, "Hj." and "Dra." only before women's,
"H." and "Drs." only before men's. About 45% of the heads are acting (Pj.), as in
September 2024, with a few Plt., Pjs. and Plh.
"""

from __future__ import annotations

import csv
import io
import random

from pakta.register import Region, load_register

# Heads named in the reference articles (../shared/seeds): code -> name, status.
KNOWN_HEADS = {
    "75": ("Dr. Ir. Hamka Hendra Noer, M.Si", "Pj."),  # Penjabat Gubernur Gorontalo
    "71.11": ("Hi. Iskandar Kamaru, S.Pt, M.Si", "definitif"),  # Bupati Bolsel
    "33.76": ("Dadang Somantri", "Pj."),  # Pj. Wali Kota Tegal
    "82": ("KH. Abdul Gani Kasuba", "definitif"),  # Gubernur Maluku Utara (2022)
}
# Offices named in the articles whose holder is not: their status is kept.
KNOWN_STATUS = {"53": "Pj.", "91.06": "Pj.", "16.71": "Pj."}

# Given names: (gender, faith) so titles can fit them. "m"/"f"; "muslim", "christian",
# "hindu". A Balinese name is written with its birth-order name ("I Made", "Ni Luh").
GIVEN_NAMES: dict[str, tuple[str, str]] = {
    **{n: ("m", "muslim") for n in (
        "Ahmad", "Muhammad", "Rahmat", "Hasan", "Yusuf", "Bambang", "Agus", "Eko", "Budi",
        "Wahyu", "Teguh", "Joko", "Andi", "Hendra", "Rudi", "Fajar", "Arif", "Irwan",
        "Syamsul", "Zulkifli", "Firdaus", "Ridwan", "Dedi", "Asep", "Abdul", "Iskandar",
        "Hamka", "Dadang", "Nur", "Samsuddin")},
    **{n: ("f", "muslim") for n in (
        "Siti", "Nurul", "Ratna", "Indah", "Rina", "Fitri", "Dewi", "Sri", "Wulan",
        "Aisyah", "Kartika", "Ani")},
    **{n: ("m", "christian") for n in (
        "Yohanes", "Lukas", "Markus", "Petrus", "Yakob", "Stefanus", "Frans", "Agustinus",
        "Paulus", "Daniel")},
    **{n: ("f", "christian") for n in (
        "Maria", "Yosefina", "Martha", "Ester", "Elisabeth", "Theresia", "Agustina")},
    **{n: ("m", "hindu") for n in ("I", "Ketut", "Made", "Putu")},
    **{n: ("f", "hindu") for n in ("Ni",)},
}
MALE_ONLY_TITLES = {"H.", "Drs.", "KH."}
FEMALE_ONLY_TITLES = {"Hj.", "Dra."}
MUSLIM_ONLY_TITLES = {"H.", "Hj.", "Hi.", "KH."}

_FAMILY = {
    "sumatera": ["Nasution", "Lubis", "Harahap", "Siregar", "Daulay", "Tanjung", "Hasibuan",
                 "Syahputra", "Chaniago", "Piliang", "Rangkuti", "Saragih"],
    "jawa": ["Santoso", "Wibowo", "Prasetyo", "Susanto", "Hartono", "Kusuma", "Permana",
             "Hidayat", "Suryana", "Nugroho", "Setiawan", "Gunawan", "Mahendra"],
    "kalimantan": ["Rahman", "Noor", "Syahrani", "Anwar", "Ismail", "Effendi", "Rusdi"],
    "sulawesi": ["Mokodompit", "Lamba", "Pakaya", "Latif", "Lasut", "Runtuwene", "Mamonto",
                 "Baso", "Ruslan", "Paputungan"],
    "maluku": ["Latuconsina", "Tuasikal", "Ohorella", "Wattimena", "Sahetapy", "Kasuba"],
    "papua": ["Wenda", "Kogoya", "Yoman", "Mandacan", "Rumbiak", "Wanimbo", "Tabuni", "Mayor"],
    "nusa": ["Fernandez", "Bria", "Lado", "Manafe", "Tefa", "Ndun"],
    "bali": ["Suardana", "Wirawan", "Sudarsana", "Artha", "Mahardika", "Astawa"],
}
_ISLAND = {"1": "sumatera", "2": "sumatera", "3": "jawa", "6": "kalimantan", "7": "sulawesi",
           "8": "maluku", "9": "papua"}


def _faith_and_family(province: str) -> tuple[str, list[str]]:
    if province == "51":
        return "hindu", _FAMILY["bali"]
    if province == "52":
        return "muslim", _FAMILY["sumatera"][:4] + _FAMILY["jawa"][:4]
    if province == "53":
        return "christian", _FAMILY["nusa"]
    group = _ISLAND[province[0]]
    faith = "christian" if group == "papua" else "muslim"
    return faith, _FAMILY[group]


def _given(rng: random.Random, gender: str, faith: str) -> str:
    if faith == "hindu":
        order = rng.choice(["Putu", "Made", "Ketut", "Nyoman", "Wayan", "Gede"])
        return f"{'I' if gender == 'm' else 'Ni'} {order}"
    names = [n for n, (g, f) in GIVEN_NAMES.items() if g == gender and f == faith]
    return rng.choice(names)


def _titled(rng: random.Random, name: str, gender: str, faith: str) -> str:
    roll = rng.random()
    if roll < 0.25 and faith == "muslim":
        prefix = "H." if gender == "m" else "Hj."
    elif roll < 0.42:
        prefix = "Drs." if gender == "m" else "Dra."
    elif roll < 0.57:
        prefix = "Dr."
    elif roll < 0.65:
        prefix = "Ir."
    else:
        prefix = ""
    if prefix in ("Drs.", "Dra."):
        degree = rng.choice(["", "M.Si", "M.M."])
    else:
        degree = rng.choice(["", "S.H.", "S.E., M.M.", "M.Si", "S.Sos., M.AP", "S.T., M.T.",
                             "S.Pd., M.Pd.", "S.IP., M.Si", "S.STP., M.Si"])
    text = f"{prefix} {name}".strip()
    return f"{text}, {degree}" if degree else text


def _status(rng: random.Random) -> str:
    roll = rng.random()
    for status, share in (("Pj.", 0.45), ("Plt.", 0.02), ("Pjs.", 0.01), ("Plh.", 0.005)):
        if roll < share:
            return status
        roll -= share
    return "definitif"


def _code_digits(region: Region) -> str:
    return region.code.replace(".", "").ljust(4, "0")


def national_rows(seed: int = 552) -> list[dict[str, str]]:
    """A head for every region of the register; the same rows for the same seed."""
    register = load_register()
    rng = random.Random(seed)
    rows = []
    for region in register.regions.values():
        province = register.province(region.code)
        faith, families = _faith_and_family(province.code)
        gender = "f" if rng.random() < 0.08 else "m"
        status = KNOWN_STATUS.get(region.code) or _status(rng)
        if region.code in KNOWN_HEADS:
            name, status = KNOWN_HEADS[region.code]
            note = "nama dari artikel rujukan"
        else:
            name = _titled(rng, f"{_given(rng, gender, faith)} {rng.choice(families)}",
                           gender, faith)
            note = "fiktif"
        birth = f"{rng.randint(1965, 1980)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        nik = nip = ""
        if status != "definitif" and region.code not in KNOWN_HEADS:
            # An acting head is a civil servant: NIP = birth date, start, gender, number.
            start = f"{int(birth[:4]) + 24}{rng.randint(1, 12):02d}"
            nip = f"{birth}{start}{1 if gender == 'm' else 2}{rng.randint(1, 999):03d}"
        elif region.code not in KNOWN_HEADS and rng.random() < 0.4:
            day = int(birth[6:]) + (40 if gender == "f" else 0)
            nik = (f"{_code_digits(region)}{rng.randint(1, 30):02d}{day:02d}{birth[4:6]}"
                   f"{birth[2:4]}{rng.randint(1, 9999):04d}")
        rows.append({
            "kode": region.code, "jenis": region.kind.value,
            "nama_wilayah": region.name, "provinsi": province.name,
            "nama": name, "status": status, "nik": nik, "nip": nip,
            "email": f"ppk.{region.code.replace('.', '-')}@contoh.go.id",
            "keterangan": note,
        })
    return rows


def national_csv(seed: int = 552) -> str:
    rows = national_rows(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
