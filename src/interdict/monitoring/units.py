"""Kilogram equivalents of seized quantities. The table is data (`data/monitoring/units.yaml`);
every conversion says what it used, and a quantity that cannot be converted honestly keeps its
unit and gets no kg equivalent rather than a guess."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from interdict.errors import ValidationError

UNITS_FILE = "monitoring/units.yaml"
_MULTIPLIED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+(.+?)\s*$")  # "10 g", "1000 tablet"


@dataclass(frozen=True)
class Conversion:
    kg: float | None
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {"kg": self.kg, "basis": self.basis}


@dataclass(frozen=True)
class ItemWeight:
    drug: str
    unit: str
    region: str
    kg: float
    basis: str


@dataclass(frozen=True)
class UnitTable:
    mass: dict[str, float]
    volume: dict[str, float]
    count: frozenset[str]
    not_a_quantity: frozenset[str]
    item_weights: tuple[ItemWeight, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> UnitTable:
        if path is None:
            from interdict.util import data_path

            path = data_path(UNITS_FILE)
        spec = yaml.safe_load(Path(path).read_text())
        return cls(
            mass={k.lower(): float(v) for k, v in spec["mass"].items()},
            volume={k.lower(): float(v) for k, v in spec["volume"].items()},
            count=frozenset(u.lower() for u in spec["count"]),
            not_a_quantity=frozenset(u.lower() for u in spec["not_a_quantity"]),
            item_weights=tuple(ItemWeight(w["drug"].lower(), w["unit"].lower(), w["region"], float(w["kg"]), w["basis"])
                               for w in spec.get("item_weights", [])),
        )

    def known(self, unit: str) -> bool:
        name = _split(unit)[1]
        return name in self.mass or name in self.volume or name in self.count or name in self.not_a_quantity

    def to_kg(self, quantity: float, unit: str, *, drug: str = "", region: str = "") -> Conversion:
        """Kilograms for `quantity` `unit` of `drug` seized in `region`; raises on an unknown unit."""
        factor, name = _split(unit)
        amount = quantity * factor
        if name in self.mass:
            per = self.mass[name]
            return Conversion(amount * per, "mass" if per == 1 else f"{name} = {per:g} kg")
        if name in self.volume:
            litres = self.volume[name]
            return Conversion(amount * litres, f"{name} = {litres:g} L at 1 kg/L (UNODC)")
        if name in self.count:
            singular = name[:-1] if name.endswith("s") and name[:-1] in self.count else name
            drug_l = drug.lower()
            for weight in self.item_weights:
                if weight.unit == singular and weight.drug in drug_l and weight.region in ("*", region):
                    return Conversion(amount * weight.kg, f"{weight.kg * 1000:g} g per {singular}: {weight.basis}")
            return Conversion(None, f"no weight configured for a {singular} of {drug or 'this drug'}; quantity kept, no kg equivalent")
        if name in self.not_a_quantity:
            return Conversion(None, f"{name} is not a weight of drug; no kg equivalent")
        raise ValidationError(f"unknown unit {unit!r}", where="unit")


def _split(unit: str) -> tuple[float, str]:
    text = (unit or "").strip().lower()
    match = _MULTIPLIED.match(text)
    if match:
        return float(match.group(1)), match.group(2)
    return 1.0, text


@lru_cache(maxsize=1)
def default_units() -> UnitTable:
    return UnitTable.load()


PYUNG_M2 = 3.3058  # 1 pyung (pyeong) = 3.3058 m2 (DOMAIN.md §1)


def area_to_hectares(value: float, unit: str) -> float:
    name = unit.strip().lower()
    factors = {"ha": 1.0, "hectare": 1.0, "hectares": 1.0, "pyung": PYUNG_M2 / 10_000, "pyeong": PYUNG_M2 / 10_000,
               "m2": 1 / 10_000, "km2": 100.0, "chongbo": 0.99174}
    if name not in factors:
        raise ValidationError(f"unknown area unit {unit!r} (ha, pyung, m2, km2, chongbo)", where="unit")
    return value * factors[name]
