"""Code lists (drug groups, conveyance, concealment) and countries, loaded from the package's data."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from interdict.errors import ValidationError

_NOISE = re.compile(r"[“”\"'’*]+|\s+")


def _fold(text: str) -> str:
    return _NOISE.sub(" ", text).strip().lower()


@dataclass(frozen=True)
class CodeList:
    name: str
    labels: dict[str, str]
    aliases: dict[str, str]  # folded alias -> code

    def code(self, value: str, *, where: str) -> str:
        folded = _fold(value)
        if folded in self.labels:
            return folded
        if folded in self.aliases:
            return self.aliases[folded]
        raise ValidationError(f"unknown {self.name.replace('_', ' ')} {value!r} (codes: {', '.join(self.labels)})", where=where)

    def find(self, value: str) -> str | None:
        folded = _fold(value)
        return folded if folded in self.labels else self.aliases.get(folded)


@lru_cache(maxsize=1)
def code_lists() -> dict[str, CodeList]:
    from interdict.util import data_path

    spec = yaml.safe_load(data_path("monitoring/codelists.yaml").read_text())
    lists = {}
    for name, codes in spec.items():
        aliases = {_fold(a): code for code, entry in codes.items() for a in entry.get("aliases", [])}
        lists[name] = CodeList(name, {code: entry["label"] for code, entry in codes.items()}, aliases)
    return lists


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    region: str
    subregion: str


@dataclass(frozen=True)
class Countries:
    by_code: dict[str, Country]
    by_name: dict[str, str]

    def get(self, code: str) -> Country | None:
        return self.by_code.get(code)

    def name(self, code: str) -> str:
        country = self.by_code.get(code)
        return country.name if country else code

    def find(self, value: str) -> str | None:
        """ISO3 for a code or known name, or None."""
        try:
            return self.resolve(value, where="country")
        except ValidationError:
            return None

    def resolve(self, value: str, *, where: str) -> str:
        """ISO3 for a code or a name the UNODC tables or Natural Earth use."""
        text = (value or "").strip()
        if re.fullmatch(r"[A-Za-z]{3}", text) and text.upper() in self.by_code:
            return text.upper()
        code = self.by_name.get(_fold(text))
        if code:
            return code
        raise ValidationError(f"unknown country {value!r} (give an ISO 3166-1 alpha-3 code)", where=where)


@lru_cache(maxsize=1)
def countries() -> Countries:
    from interdict.util import data_path

    by_code: dict[str, Country] = {}
    by_name: dict[str, str] = {}
    with data_path("monitoring/countries.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            by_code[row["iso3"]] = Country(row["iso3"], row["name"], row["region"], row["subregion"])
            for name in [row["name"], *filter(None, row["aliases"].split("|"))]:
                by_name.setdefault(_fold(name), row["iso3"])
    return Countries(by_code, by_name)


@lru_cache(maxsize=1)
def regions() -> dict[str, dict]:
    from interdict.util import data_path

    return yaml.safe_load(data_path("monitoring/regions.yaml").read_text())
