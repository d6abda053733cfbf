"""Indonesian region kinds, official titles, acting heads and name normalisation."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class RegionKind(StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"

    @property
    def head_title(self) -> str:
        """The office of a definitive head of this kind of region."""
        return {"provinsi": "Gubernur", "kabupaten": "Bupati", "kota": "Wali Kota"}[self.value]

    @property
    def label(self) -> str:
        return {"provinsi": "Provinsi", "kabupaten": "Kabupaten", "kota": "Kota"}[self.value]


KIND_ALIASES: dict[str, RegionKind] = {
    "provinsi": RegionKind.PROVINSI,
    "province": RegionKind.PROVINSI,
    "prov": RegionKind.PROVINSI,
    "prov.": RegionKind.PROVINSI,
    "kabupaten": RegionKind.KABUPATEN,
    "kab": RegionKind.KABUPATEN,
    "kab.": RegionKind.KABUPATEN,
    "regency": RegionKind.KABUPATEN,
    "kota": RegionKind.KOTA,
    "city": RegionKind.KOTA,
}


class HeadStatus(StrEnum):
    """Whether the head holds the office or acts in it."""

    DEFINITIF = "definitif"
    PENJABAT = "Pj."  # penjabat: appointed while the office is vacant
    PENJABAT_SEMENTARA = "Pjs."  # penjabat sementara: while the head is on campaign leave
    PELAKSANA_TUGAS = "Plt."  # pelaksana tugas: the deputy standing in
    PELAKSANA_HARIAN = "Plh."  # pelaksana harian: for a few days' absence

    @property
    def prefix(self) -> str:
        return "" if self is HeadStatus.DEFINITIF else f"{self.value} "


STATUS_ALIASES: dict[str, HeadStatus] = {
    "": HeadStatus.DEFINITIF,
    "definitif": HeadStatus.DEFINITIF,
    "definitive": HeadStatus.DEFINITIF,
    "pj": HeadStatus.PENJABAT,
    "pj.": HeadStatus.PENJABAT,
    "penjabat": HeadStatus.PENJABAT,
    "acting": HeadStatus.PENJABAT,
    "plt": HeadStatus.PELAKSANA_TUGAS,
    "plt.": HeadStatus.PELAKSANA_TUGAS,
    "pelaksana tugas": HeadStatus.PELAKSANA_TUGAS,
    "pjs": HeadStatus.PENJABAT_SEMENTARA,
    "pjs.": HeadStatus.PENJABAT_SEMENTARA,
    "penjabat sementara": HeadStatus.PENJABAT_SEMENTARA,
    "plh": HeadStatus.PELAKSANA_HARIAN,
    "plh.": HeadStatus.PELAKSANA_HARIAN,
    "pelaksana harian": HeadStatus.PELAKSANA_HARIAN,
}

PROVINCE_CODE = re.compile(r"^\d{2}$")
REGENCY_CODE = re.compile(r"^\d{2}\.\d{2}$")


def office_title(kind: RegionKind, status: HeadStatus, region_name: str) -> str:
    """'Gubernur Jawa Barat', 'Pj. Bupati Biak Numfor', 'Wali Kota Palembang'."""
    return f"{status.prefix}{kind.head_title} {region_name}"


# Academic, religious and honorific titles written before or after a name. Matching a
# certificate to a roster entry must ignore them ("Hi. Iskandar Kamaru, S.Pt, M.Si").
_PREFIX_TITLES = {
    "dr", "drs", "dra", "ir", "prof", "h", "hj", "hi", "kh", "k.h", "hm", "rd", "raden",
    "ust", "tgh", "drg", "apt", "ns", "letjen", "mayjen", "brigjen", "kol", "kombes",
    "kombespol", "irjen", "komjen", "jenderal", "laksda", "marsda", "brigjend", "dr(c)", "(c)",
}
_SUFFIX_TITLE = re.compile(
    r"^(s|m|d|dr|drs|ph\.?d|mba|mpa|mm|msi|mt|mh|mhum|map|mkes|mpd|spd|sh|se|st|ssos|sip|"
    r"sag|spt|sk|sked|skm|ssi|ikom|sik|psi|lc|ma|ba|bsc|msc|llm|cpa|ak|sstp|mp|mm|mec\.?dev)$"
)


def fold(text: str) -> str:
    """Lower case without accents, for comparisons."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


_fold = fold


def plain_name(full_name: str) -> str:
    """The name without titles, e.g. 'Hi. Iskandar Kamaru, S.Pt, M.Si' -> 'Iskandar Kamaru'.

    Keeps the original capitalisation; used for certificate subjects and stamps.
    """
    # Everything after the first comma is a degree list ("..., S.Pt, M.Si").
    core = full_name.split(",", 1)[0]
    words = core.split()
    while len(words) > 1 and _fold(words[0]).rstrip(".") in _PREFIX_TITLES:
        words.pop(0)
    while (
        len(words) > 1
        and "." in words[-1]
        and _SUFFIX_TITLE.match(re.sub(r"[.\s]", "", _fold(words[-1])))
    ):
        words.pop()
    return " ".join(words)


def name_key(name: str) -> str:
    """Comparison key: no titles, case, punctuation or extra spaces."""
    folded = _fold(plain_name(name))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def slugify(text: str) -> str:
    return "-".join(re.sub(r"[^\w\s-]", " ", _fold(text)).replace("_", " ").split())


# Words the register writes in lower case inside a name ("Pangkajene dan Kepulauan"),
# and abbreviations that stay upper case when a source writes them so ("DKI Jakarta").
_LOWER_WORDS = {"dan"}
_UPPER_WORDS = {"DKI", "DI"}


def title_case(name: str) -> str:
    """An upper-case register name in Indonesian title case.

    'KABUPATEN BOLAANG MONGONDOW SELATAN' -> 'Kabupaten Bolaang Mongondow Selatan',
    'KABUPATEN TOLI-TOLI' -> 'Kabupaten Toli-Toli', 'KABUPATEN PANGKAJENE DAN KEPULAUAN'
    -> 'Kabupaten Pangkajene dan Kepulauan'.
    """
    words = []
    for index, word in enumerate(name.split()):
        if word.upper() in _UPPER_WORDS:
            words.append(word.upper())
        elif index > 0 and word.lower() in _LOWER_WORDS:
            words.append(word.lower())
        else:
            words.append("-".join(part[:1].upper() + part[1:].lower()
                                  for part in word.split("-")))
    return " ".join(words)
