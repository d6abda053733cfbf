"""What a signing batch is asked to do and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pakta.identity import IdentityCheck


@dataclass(frozen=True)
class SignSettings:
    slot: str
    level: str | None = None  # None: the profile's level with a TSA, B-B without one
    tsa_url: str | None = None
    place: str = "Jakarta"
    signer_title: str | None = None  # for the stamp when the ledger does not know it
    any_pdf: bool = False
    overwrite: bool = False
    trust: tuple[Path, ...] = ()  # roots to validate against for B-LT / B-LTA
    certify: bool = False  # the secretariat's certification signature (slot: profile's)
    identity: IdentityCheck | None = None  # who may sign each slot (pakta.identity)


@dataclass(frozen=True)
class SignOutcome:
    source: Path
    output: Path | None
    error: str | None = None
    exit_code: int = 0
    skipped: bool = False  # the output was already this input signed: left as it was

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class SignSummary:
    outcomes: list[SignOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[SignOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def skipped(self) -> list[SignOutcome]:
        return [o for o in self.outcomes if o.skipped]


class AlreadySigned(Exception):
    """The output exists and is this very input signed in the slot with this key."""

    def __init__(self, output: Path, signed: bytes) -> None:
        super().__init__(f"{output}: already signed")
        self.output = output
        self.signed = signed
