"""Does one process grow as it renders? N statements with one renderer, in one process.

    python benchmarks/render_memory.py [--documents 4000] [--step 500]

After every `step` documents (and a collection), prints the process's resident memory,
the bytes the C heap has in use (glibc's `mallinfo2`: what native libraries such as
Pango, HarfBuzz and fontconfig hold), and Python's own count of allocated blocks. A
Python-level leak shows in the blocks; a native one in the heap's bytes in use. This is
how the leak in docs/upstream/weasyprint-font-description-string.patch was found: the
heap grew by 256 bytes a document, the blocks did not.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_in_use_kb() -> int:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) // 1024  # small blocks in use, and mmapped ones


def resident_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--step", type=int, default=500)
    args = parser.parse_args()

    from pakta.config import Event, Witness
    from pakta.people import ASN_TEMPLATE, iter_people, write_sample_csv
    from pakta.people.batches import doc_id_for, out_path_for
    from pakta.render import RenderJob
    from pakta.render.layout import Renderer

    event = Event("Apel Siaga Netralitas ASN", "Jakarta", date(2024, 9, 17))
    witness = Witness("Rahmat Bagja", "Ketua Badan Pengawas Pemilihan Umum")
    with tempfile.TemporaryDirectory() as folder:
        roster = Path(folder) / "asn.csv"
        write_sample_csv(roster, args.documents)
        renderer = Renderer([], event, witness)
        people = iter_people(roster, default_place=event.place, default_date=event.date)
        print(f"{'documents':>9} {'resident KB':>12} {'C heap in use KB':>17} "
              f"{'Python blocks':>14}")
        for step in range(args.documents // args.step):
            for person in (next(people) for _ in range(args.step)):
                renderer.render(RenderJob(person, ASN_TEMPLATE, doc_id_for(person),
                                          out_path_for(Path(folder), person)))
            gc.collect()
            print(f"{(step + 1) * args.step:>9} {resident_kb():>12} {heap_in_use_kb():>17} "
                  f"{sys.getallocatedblocks():>14}", flush=True)
        renderer.close()


if __name__ == "__main__":
    main()
