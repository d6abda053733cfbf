"""A synthetic national roster: the register's 38 provinces, then its regencies and
cities; beyond 552 heads, made-up regions marked as newer than the register."""

from __future__ import annotations

import csv
import io

from pakta.regions import RegionKind
from pakta.register import load_register

FIRST = ["Ahmad", "Budi", "Siti", "Agus", "Dewi", "Rahmat", "Yusuf", "Rina", "Hendra",
         "Wahyu", "Sri", "Bambang", "Nur", "Eko", "Fitri", "Joko", "Made", "Ketut"]
LAST = ["Santoso", "Wibowo", "Harahap", "Lubis", "Siregar", "Pratama", "Saputra", "Hidayat",
        "Nasution", "Kurniawan", "Sembiring", "Rahman", "Setiawan", "Mahendra", "Wijaya"]
STATUSES = ["definitif", "definitif", "definitif", "Pj.", "Plt."]


def synthetic_roster(count: int = 552) -> str:
    """CSV text of `count` valid heads (at least the 38 provinces)."""
    register = load_register()
    regions = register.in_provinces(None)
    provinces = [r for r in regions if r.kind is RegionKind.PROVINSI]
    ordered = provinces + [r for r in regions if r.kind is not RegionKind.PROVINSI]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kode", "jenis", "nama_wilayah", "provinsi", "nama", "status", "nik",
                     "wilayah_baru"])

    def name(i: int) -> str:
        return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"

    for rows, region in enumerate(ordered[:count]):
        province = register.province(region.code).name
        if region.kind is RegionKind.PROVINSI:
            writer.writerow([region.code, "provinsi", region.name, province,
                             f"Dr. {name(rows)}, M.Si", "Pj.", "", ""])
        else:
            writer.writerow([region.code, region.kind.value, region.name, province,
                             name(rows), STATUSES[rows % 5], f"{rows:016d}", ""])
    # Beyond the register (memory benchmarks): codes it does not use, explicitly new.
    free = ((p, f"{p.code}.{seq:02d}") for seq in range(1, 100) for p in provinces)
    rows = len(ordered)
    for province, code in free:
        if rows >= count:
            break
        if code in register.regions:
            continue
        kind = "kota" if int(code[3:]) >= 71 else "kabupaten"
        writer.writerow([code, kind, f"Contoh {code}", province.name, name(rows),
                         STATUSES[rows % 5], f"{rows:016d}", "ya"])
        rows += 1
    return out.getvalue()
