"""Synthetic people rosters for tests and benchmarks: valid NIPs, real-looking names
with titles, regions under real Kemendagri codes, any number of rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path


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
