"""Rosters of people (every ASN who signs a personal statement) and their batches.

- `roster`: reading and validating a people roster as a stream (CSV or XLSX);
- `samples`: synthetic rosters for tests and benchmarks;
- `batches`: rendering and verifying their statements window by window, and the
  ledger's sums per instansi.
"""

from pakta.people.batches import (
    BatchCounts,
    GroupRow,
    people_summary,
    render_people,
    verify_people,
)
from pakta.people.roster import (
    ASN_SLOT,
    ASN_TEMPLATE,
    PROBLEMS_SHOWN,
    PeopleCheck,
    PeopleRosterError,
    Person,
    check_people,
    iter_people,
    nip_problem,
    numbered_people,
)
from pakta.people.samples import sample_people, write_sample_csv

__all__ = [
    "ASN_SLOT",
    "ASN_TEMPLATE",
    "PROBLEMS_SHOWN",
    "BatchCounts",
    "GroupRow",
    "PeopleCheck",
    "PeopleRosterError",
    "Person",
    "check_people",
    "iter_people",
    "nip_problem",
    "numbered_people",
    "people_summary",
    "render_people",
    "sample_people",
    "verify_people",
    "write_sample_csv",
]
