"""Who may sign a slot: the certificate's subject must be the slot's person.

A regional head's slot belongs to the head the document was issued to (the ledger's
name, with the roster's NIK / NIP when it has them); the witness's slot to the witness
configured in pakta.toml. Names are compared without titles, case, punctuation or extra
spaces (`regions.name_key`); an identifier (NIK, 16 digits; NIP, 18 digits) is compared
when both the roster and the certificate's serialNumber carry one of the same kind. A
delegate may sign for the person only when the signer says so (`--delegated-signer`);
the ledger then records for whom.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pakta.errors import IdentityMismatch
from pakta.i18n import _
from pakta.regions import name_key, plain_name

HEAD_SLOT = "kepala_daerah"
WITNESS_SLOT = "saksi"


@dataclass(frozen=True)
class Person:
    name: str
    identifiers: tuple[str, ...] = ()  # NIK and / or NIP, digits only

    @property
    def shown(self) -> str:
        """The name as a person reads it: without titles, with the identifier if any."""
        name = plain_name(self.name)
        return f"{name} ({', '.join(self.identifiers)})" if self.identifiers else name


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def person(name: str, *identifiers: str | None) -> Person:
    return Person(name, tuple(d for d in (digits(i) for i in identifiers) if d))


def certificate_subject(cert: Any) -> Person:
    """The subject of an asn1crypto certificate: its common name and serialNumber."""
    subject = cert.subject.native
    return person(str(subject.get("common_name", "")), subject.get("serial_number"))


def same_person(expected: Person, subject: Person) -> bool:
    """Same name without titles; same NIK / NIP when both carry one of a kind."""
    if name_key(expected.name) != name_key(subject.name):
        return False
    for mine in expected.identifiers:
        for theirs in subject.identifiers:
            if len(mine) == len(theirs) and mine != theirs:
                return False
    return True


@dataclass(frozen=True)
class IdentityCheck:
    """What a batch knows of the people: the signer, each head by region code (from the
    roster), the witness. `delegated`: the signer signs on the person's behalf."""

    signer: Person
    heads: Mapping[str, Person] = field(default_factory=dict)
    witness: Person | None = None
    delegated: bool = False

    def expected(self, slot: str, region_code: str | None, head_name: str | None
                 ) -> Person | None:
        if slot == WITNESS_SLOT:
            return self.witness
        if slot == HEAD_SLOT and head_name is not None:
            roster = self.heads.get(region_code or "")
            if roster is not None and name_key(roster.name) == name_key(head_name):
                return roster
            return Person(head_name)
        return None  # another slot (a certification): no person to match

    def check(self, source: Path, slot: str, region_code: str | None,
              head_name: str | None) -> str | None:
        """None when the signer is the slot's person (or nobody is known); the person's
        name when a delegate signs for them. Raises IdentityMismatch otherwise."""
        expected = self.expected(slot, region_code, head_name)
        if expected is None or same_person(expected, self.signer):
            return None
        if self.delegated:
            return plain_name(expected.name)
        raise IdentityMismatch(
            _("{file}: slot '{slot}' is for {expected}, but the certificate is "
              "{subject}'s").format(file=source, slot=slot, expected=expected.shown,
                                    subject=self.signer.shown),
            hint=_("use the key of {expected}; if {subject} signs on their behalf, pass "
                   "--delegated-signer (the ledger records it)").format(
                       expected=plain_name(expected.name),
                       subject=plain_name(self.signer.name)))
