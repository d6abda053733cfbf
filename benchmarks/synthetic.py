"""A synthetic national roster: 38 provinces, then regencies and cities under them."""

from __future__ import annotations

import csv
import io
from importlib import resources

FIRST = ["Ahmad", "Budi", "Siti", "Agus", "Dewi", "Rahmat", "Yusuf", "Rina", "Hendra",
         "Wahyu", "Sri", "Bambang", "Nur", "Eko", "Fitri", "Joko", "Made", "Ketut"]
LAST = ["Santoso", "Wibowo", "Harahap", "Lubis", "Siregar", "Pratama", "Saputra", "Hidayat",
        "Nasution", "Kurniawan", "Sembiring", "Rahman", "Setiawan", "Mahendra", "Wijaya"]
STATUSES = ["definitif", "definitif", "definitif", "Pj.", "Plt."]


def synthetic_roster(count: int = 552) -> str:
    """CSV text of `count` valid heads (at least the 38 provinces)."""
    sample = (resources.files("pakta") / "data" / "sample-roster.csv").read_text("utf-8")
    provinces = [row for row in csv.DictReader(io.StringIO(sample))
                 if row["jenis"] == "provinsi"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kode", "jenis", "nama_wilayah", "provinsi", "nama", "status", "nik"])
    rows = 0

    def name(i: int) -> str:
        return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"

    for i, province in enumerate(provinces):
        if rows == count:
            break
        writer.writerow([province["kode"], "provinsi", province["nama_wilayah"],
                         province["nama_wilayah"], f"Dr. {name(i)}, M.Si", "Pj.", ""])
        rows += 1
    number = 0
    while rows < count:
        province = provinces[number % len(provinces)]
        seq = number // len(provinces) + 1
        kind = "kota" if seq > 70 else "kabupaten"
        code = f"{province['kode']}.{seq + (0 if kind == 'kabupaten' else 0):02d}"
        label = f"Contoh {seq}"
        writer.writerow([code, kind, f"{label} {province['nama_wilayah']}",
                         province["nama_wilayah"], name(rows), STATUSES[rows % 5],
                         f"{rows:016d}"])
        rows += 1
        number += 1
    return out.getvalue()
