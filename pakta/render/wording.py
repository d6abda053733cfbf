"""How a document names the capacity a head signs in, by status.

A definitive head signs "sebagai Kepala Daerah"; an acting head holds no office of their
own and signs in the office they act in, spelled out: a Pj. is "Penjabat Bupati ...", a
Pjs. (while the definitive head is on campaign leave) "Penjabat Sementara ...", a Plt.
"Pelaksana Tugas ...", a Plh. "Pelaksana Harian ...". Keyed on the status's value, so a
status added to `HeadStatus` only needs its line in `ACTING`.

Acting heads are civil servants (the Sekda, an echelon I official): their NIP is printed
under their name, "NIP. 197105121990031008".

The functions are Jinja filters of the templates (`{{ head | kedudukan_deklarasi }}`).
"""

from __future__ import annotations

from typing import Any, Protocol

DEFINITIF = "definitif"
# The abbreviation in a title ("Pj. Bupati Sleman") -> the words in a sentence.
ACTING: dict[str, str] = {
    "Pj.": "Penjabat",
    "Pjs.": "Penjabat Sementara",
    "Plt.": "Pelaksana Tugas",
    "Plh.": "Pelaksana Harian",
}
PPK = "Pejabat Pembina Kepegawaian (PPK)"


class Head(Protocol):
    """What the wording needs of a roster entry (pakta.roster.RegionHead)."""

    @property
    def status(self) -> Any: ...  # a HeadStatus: its value is "definitif", "Pj.", ...
    @property
    def kind(self) -> Any: ...  # a RegionKind: its head_title is "Bupati", ...
    @property
    def region_name(self) -> str: ...
    @property
    def instansi(self) -> str: ...
    @property
    def nip(self) -> str | None: ...


def _status(value: Any) -> str:
    status = str(getattr(value, "value", value))
    if status != DEFINITIF and status not in ACTING:
        raise ValueError(f"no wording for the status '{status}'")
    return status


def office_in_full(status: str, office: str) -> str:
    """'Penjabat Sementara Bupati Sleman' for ('Pjs.', 'Bupati Sleman'); the office itself
    for a definitive head."""
    status = _status(status)
    return office if status == DEFINITIF else f"{ACTING[status]} {office}"


def declaration_capacity(status: str, office: str) -> str:
    """What follows "sebagai" in the declaration: 'Kepala Daerah' (the official text) for
    a definitive head, the office acted in for any other."""
    status = _status(status)
    return "Kepala Daerah" if status == DEFINITIF else office_in_full(status, office)


def pact_capacity(status: str, office: str, instansi: str) -> str:
    """What follows "selaku" in the pact. A Pj. or Pjs. holds the PPK's authority; a Plt.
    or Plh. carries out the head's duties, the PPK's among them."""
    status = _status(status)
    if status == DEFINITIF:
        return f"{PPK} di lingkungan {instansi}"
    if status in ("Pj.", "Pjs."):
        return f"{office_in_full(status, office)} dan {PPK} di lingkungan {instansi}"
    return (f"{office_in_full(status, office)} yang melaksanakan tugas {PPK} "
            f"di lingkungan {instansi}")


def nip_line(status: str, nip: str | None) -> str:
    """'NIP. 197105121990031008' under an acting head's name; '' for a definitive head
    (elected, not a civil servant) or when the roster has no NIP."""
    status = _status(status)
    if status == DEFINITIF or not nip or not nip.strip():
        return ""
    return f"NIP. {''.join(nip.split())}"


def _office(head: Head) -> str:
    return f"{head.kind.head_title} {head.region_name}"


def kedudukan_deklarasi(head: Head) -> str:
    return declaration_capacity(head.status, _office(head))


def kedudukan_pakta(head: Head) -> str:
    return pact_capacity(head.status, _office(head), head.instansi)


def nip(head: Head) -> str:
    return nip_line(head.status, head.nip)


FILTERS = {
    "kedudukan_deklarasi": kedudukan_deklarasi,
    "kedudukan_pakta": kedudukan_pakta,
    "nip": nip,
}
