"""Signature profiles (signatures/*.toml): slot order, reason per slot, default level,
field locks and the certification signature.

The profiles live in the repository's `signatures/` folder, which the wheel installs as
the package `pakta._signatures` (see pyproject.toml), so one copy serves a source
checkout (editable install) and an installed wheel alike.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pakta.errors import ConfigError
from pakta.i18n import _

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
KEYS = {"template", "level", "slot_order", "slots", "lock_fields", "certification"}


@dataclass(frozen=True)
class SlotProfile:
    name: str
    reason: str
    role: str


@dataclass(frozen=True)
class Certification:
    """The secretariat's certification signature: an invisible field, signed first."""

    slot: str = "sertifikasi"
    reason: str = "Dokumen resmi Sekretariat Bawaslu"


@dataclass(frozen=True)
class Profile:
    template: str
    level: str
    slot_order: tuple[str, ...]
    slots: dict[str, SlotProfile] = field(default_factory=dict)
    # Each signature locks every field but the slots still to sign after it.
    lock_fields: bool = True
    certification: Certification = Certification()

    def earlier_slots(self, slot: str) -> tuple[str, ...]:
        """The slots that must be signed before `slot`."""
        return self.slot_order[: self.slot_order.index(slot)] if slot in self.slot_order else ()

    def later_slots(self, slot: str) -> tuple[str, ...]:
        """The slots still open for signing after `slot` (what its lock leaves free)."""
        if slot not in self.slot_order:
            return ()
        return self.slot_order[self.slot_order.index(slot) + 1:]

    def reason(self, slot: str) -> str:
        if slot == self.certification.slot:
            return self.certification.reason
        return self.slots[slot].reason if slot in self.slots else "Menyetujui dokumen ini"


DEFAULT = Profile("*", "B-T", ("kepala_daerah",))


def _problem(template: str, what: str) -> ConfigError:
    return ConfigError(_("signature profile {template}.toml: {what}").format(
        template=template, what=what))


def parse_profile(template: str, data: dict[str, Any]) -> Profile:
    unknown = set(data) - KEYS
    if unknown:
        raise _problem(template, _("unknown keys {keys}").format(
            keys=", ".join(sorted(unknown))))
    level = data.get("level", "B-T")
    if level not in LEVELS:
        raise _problem(template, _("level '{level}' is not one of {levels}").format(
            level=level, levels=", ".join(LEVELS)))
    slots = {name: SlotProfile(name, str(v.get("reason", "")), str(v.get("role", "")))
             for name, v in data.get("slots", {}).items()}
    order = tuple(data.get("slot_order", ()))
    if not order or set(order) - set(slots):
        raise _problem(template, _("slot_order must list the slots defined under [slots]"))
    cert = data.get("certification", {})
    if set(cert) - {"slot", "reason"}:
        raise _problem(template, _("[certification] takes only slot and reason"))
    return Profile(template, level, order, slots, bool(data.get("lock_fields", True)),
                   Certification(**{k: str(v) for k, v in cert.items()}))


@functools.cache  # a batch asks for the same few profiles once per document
def load_profile(template: str) -> Profile:
    """The profile of a template; templates without one get a single-slot default."""
    resource = resources.files("pakta._signatures") / f"{template}.toml"
    if not template or not resource.is_file():
        return DEFAULT
    return parse_profile(template, tomllib.loads(resource.read_text(encoding="utf-8")))
