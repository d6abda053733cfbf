"""Signature profiles (signatures/*.toml): slot order, reason per slot, default level."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from pakta.errors import ConfigError

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


@dataclass(frozen=True)
class SlotProfile:
    name: str
    reason: str
    role: str


@dataclass(frozen=True)
class Profile:
    template: str
    level: str
    slot_order: tuple[str, ...]
    slots: dict[str, SlotProfile]

    def earlier_slots(self, slot: str) -> tuple[str, ...]:
        """The slots that must be signed before `slot`."""
        return self.slot_order[: self.slot_order.index(slot)] if slot in self.slot_order else ()

    def reason(self, slot: str) -> str:
        return self.slots[slot].reason if slot in self.slots else "Menyetujui dokumen ini"


DEFAULT = Profile("*", "B-T", ("kepala_daerah",), {})


def load_profile(template: str) -> Profile:
    """The profile of a template; templates without one get a single-slot default."""
    resource = resources.files("pakta._signatures") / f"{template}.toml"
    if not resource.is_file():
        return DEFAULT
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    unknown = set(data) - {"template", "level", "slot_order", "slots"}
    if unknown or data.get("level", "B-T") not in LEVELS:
        raise ConfigError(f"signature profile {template}.toml: unknown key or level")
    slots = {name: SlotProfile(name, str(v.get("reason", "")), str(v.get("role", "")))
             for name, v in data.get("slots", {}).items()}
    return Profile(template, data.get("level", "B-T"), tuple(data["slot_order"]), slots)
