"""Estimates with honest uncertainty: Monte Carlo propagation of stated input distributions
through a formula (`data/monitoring/estimates.yaml`), reproducible with a seed.

Inputs that come from case-file claims carry the claim's text, source, grade and marking, and
are read only from the claims the user may see (the caller passes them in, already filtered).
"""

from __future__ import annotations

import ast
import csv
import gzip
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import yaml

from interdict.errors import NotFound, ValidationError
from interdict.intel.entities import ClaimView
from interdict.markings import Banner, Marking, highest
from interdict.monitoring.codes import countries
from interdict.monitoring.units import default_units

Z95 = 1.6448536269514722  # standard normal 95th percentile
PRICES_FILE = "monitoring/unodc_drug_prices_2018_2022.csv.gz"


@dataclass(frozen=True)
class Input:
    name: str
    distribution: str  # constant | point | triangular | lognormal | uniform
    params: dict[str, float]
    best: float
    basis: str = ""
    claim: ClaimView | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        p = self.params
        if self.distribution in ("constant", "point"):
            return np.full(n, p["value"])
        if self.distribution == "triangular":
            if p["min"] == p["max"]:
                return np.full(n, p["mode"])
            return rng.triangular(p["min"], p["mode"], p["max"], n)
        if self.distribution == "lognormal":
            mu, sigma = _lognormal_params(p["p5"], p["p95"])
            return rng.lognormal(mu, sigma, n)
        if self.distribution == "uniform":
            return rng.uniform(p["min"], p["max"], n)
        raise ValidationError(f"unknown distribution {self.distribution!r}", where=f"input {self.name}")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "distribution": self.distribution, "params": self.params,
                                "best": self.best, "basis": self.basis}
        if self.claim is not None:
            c = self.claim
            data["claim"] = {"key": c.key, "text": c.text, "low": c.low, "best": c.best, "high": c.high, "unit": c.unit,
                             "grade": c.grade.code, "source": c.source.to_dict() if c.source else None,
                             "marking": c.marking.to_dict()}
        if self.evidence:
            data["evidence"] = self.evidence
        return data


def _lognormal_params(p5: float, p95: float) -> tuple[float, float]:
    if not 0 < p5 <= p95:
        raise ValidationError(f"a lognormal needs 0 < p5 <= p95, got {p5}, {p95}", where="lognormal")
    return (math.log(p5) + math.log(p95)) / 2, (math.log(p95) - math.log(p5)) / (2 * Z95)


@dataclass(frozen=True)
class Estimate:
    name: str
    title: str
    unit: str
    formula: str
    best: float
    p5: float
    p50: float
    p95: float
    mean: float
    samples: int
    seed: int
    inputs: list[Input]
    caveats: str
    draws: np.ndarray = field(repr=False, compare=False)

    @property
    def banner(self) -> Banner:
        return highest(i.claim.marking for i in self.inputs if i.claim is not None)

    def markings(self) -> list[Marking]:
        return [i.claim.marking for i in self.inputs if i.claim is not None]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "unit": self.unit, "formula": self.formula,
                "best": self.best, "p5": self.p5, "p50": self.p50, "p95": self.p95, "mean": self.mean,
                "samples": self.samples, "seed": self.seed, "caveats": self.caveats,
                "marking": self.banner.to_dict(), "inputs": [i.to_dict() for i in self.inputs]}


# -- a small, safe formula language: numbers, input names, + - * / ** and parentheses ----------
_BINARY: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                                                  ast.Div: operator.truediv, ast.Pow: operator.pow}


def evaluate(formula: str, values: dict[str, Any]) -> Any:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise ValidationError(f"formula {formula!r} is not valid: {exc.msg}", where="formula") from None

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise ValidationError(f"formula uses {node.id!r}, which is not an input", where="formula")
            return values[node.id]
        raise ValidationError(f"formula {formula!r} may only use numbers, inputs, + - * / ** and parentheses", where="formula")

    return walk(tree)


@lru_cache(maxsize=1)
def models() -> dict[str, Any]:
    from interdict.util import data_path

    return yaml.safe_load(data_path("monitoring/estimates.yaml").read_text())


@lru_cache(maxsize=1)
def price_rows() -> list[dict[str, str]]:
    from interdict.util import data_path

    with gzip.open(data_path(PRICES_FILE), "rt", newline="") as fh:
        return list(csv.DictReader(fh))


def price_input(name: str, spec: dict[str, Any], basis: str) -> Input:
    """Lognormal over the USD/kg prices UNODC reports for a drug, level, countries and years."""
    wanted = {countries().resolve(c, where=f"input {name}") for c in spec["countries"]}
    first, last = spec.get("years", [0, 9999])
    units = default_units()
    values: list[float] = []
    evidence = []
    for row in price_rows():
        code = countries().find(row["Country/Territory"])
        if (code not in wanted or row["Drug"] != spec["drug"] or row["LevelOfSale"] != spec["level"]
                or not first <= int(row["Year"]) <= last or not row["Unit"].strip()):
            continue
        try:
            kg_per_unit = units.to_kg(1.0, row["Unit"]).kg
        except ValidationError:
            continue
        if not kg_per_unit:
            continue
        found = {k: float(row[f"{k}_USD"]) / kg_per_unit for k in ("Typical", "Minimum", "Maximum") if row[f"{k}_USD"]}
        values.extend(found.values())
        evidence.append({"country": code, "year": int(row["Year"]), "unit": row["Unit"],
                         **{k.lower() + "_usd_per_kg": round(v, 2) for k, v in found.items()}})
    if not values:
        raise ValidationError(f"no {spec['level']} {spec['drug']} prices for {sorted(wanted)} in {first}-{last}", where=f"input {name}")
    low, high = min(values), max(values)
    return Input(name, "lognormal", {"p5": low, "p95": high}, best=float(np.median(values)),
                 basis=basis + f" ({len(evidence)} UNODC price rows; lowest and highest read as 5th and 95th percentiles)",
                 evidence=sorted(evidence, key=lambda e: (e["country"], e["year"])))


def claim_input(name: str, spec: dict[str, Any], claims: dict[str, ClaimView], estimate: str) -> Input:
    key = spec["claim"]
    claim = claims.get(key)
    if claim is None:
        raise NotFound(f"estimate {estimate!r} needs claim {key!r}, which does not exist or which you may not see")
    read_as = spec.get("read_as", "triangular")
    basis = f"claim {key}: {claim.text}"
    if read_as == "lognormal":
        if claim.low is None or claim.high is None:
            raise ValidationError(f"claim {key} has no low/high range to read as a lognormal", where=f"input {name}")
        best = claim.best if claim.best is not None else math.sqrt(claim.low * claim.high)
        return Input(name, "lognormal", {"p5": claim.low, "p95": claim.high}, best, basis + " (range read as 5th-95th percentiles)", claim)
    centre = claim.best if claim.best is not None else claim.low if claim.low is not None else claim.high
    if centre is None:
        raise ValidationError(f"claim {key} has no value", where=f"input {name}")
    if read_as == "point":
        return Input(name, "point", {"value": centre}, centre, basis + " (single figure; no uncertainty stated)", claim)
    if read_as == "triangular":
        if claim.low is not None and claim.high is not None:
            return Input(name, "triangular", {"min": claim.low, "mode": centre, "max": claim.high}, centre, basis, claim)
        spread = float(spec.get("spread", 0))
        return Input(name, "triangular", {"min": centre * (1 - spread), "mode": centre, "max": centre * (1 + spread)}, centre,
                     basis + f" (assumed +-{spread:.0%} around the stated figure)", claim)
    raise ValidationError(f"read_as must be lognormal, triangular or point, got {read_as!r}", where=f"input {name}")


def build_input(name: str, spec: dict[str, Any], claims: dict[str, ClaimView], estimate: str) -> Input:
    basis = str(spec.get("basis", "")).strip()
    if "claim" in spec:
        return claim_input(name, spec, claims, estimate)
    if "constant" in spec:
        value = float(spec["constant"])
        return Input(name, "constant", {"value": value}, value, basis or "definition")
    if "prices" in spec:
        return price_input(name, spec["prices"], basis)
    for kind in ("triangular", "lognormal", "uniform"):
        if kind in spec:
            params = {k: float(v) for k, v in spec[kind].items()}
            best = params.get("mode") if kind == "triangular" else (
                math.sqrt(params["p5"] * params["p95"]) if kind == "lognormal" else (params["min"] + params["max"]) / 2)
            return Input(name, kind, params, float(best), basis)  # type: ignore[arg-type]
    raise ValidationError("an input needs claim, constant, prices, triangular, lognormal or uniform", where=f"input {name}")


def names() -> list[str]:
    return list(models()["estimates"])


def describe() -> list[dict[str, Any]]:
    return [{"name": n, "title": m["title"], "unit": m["unit"], "formula": m["formula"],
             "inputs": sorted(m["inputs"]), "claims": sorted(i["claim"] for i in m["inputs"].values() if "claim" in i)}
            for n, m in models()["estimates"].items()]


def run(name: str, claims: dict[str, ClaimView], *, seed: int = 0, samples: int | None = None) -> Estimate:
    spec = models()["estimates"].get(name)
    if spec is None:
        raise NotFound(f"no estimate named {name!r} (interdict estimate --list)")
    n = int(samples or models().get("samples", 100_000))
    if n < 100:
        raise ValidationError("at least 100 samples", where="--samples")
    inputs = [build_input(k, v, claims, name) for k, v in sorted(spec["inputs"].items())]
    # One independent stream per input, in name order, so adding an input never shifts the others.
    streams = np.random.SeedSequence(seed).spawn(len(inputs))
    draws = {i.name: i.draw(np.random.default_rng(s), n) for i, s in zip(inputs, streams)}
    result = np.asarray(evaluate(spec["formula"], draws), dtype=float) * np.ones(n)
    best = float(evaluate(spec["formula"], {i.name: i.best for i in inputs}))
    p5, p50, p95 = (float(v) for v in np.percentile(result, [5, 50, 95]))
    return Estimate(name=name, title=spec["title"], unit=spec["unit"], formula=spec["formula"], best=best, p5=p5, p50=p50,
                    p95=p95, mean=float(result.mean()), samples=n, seed=seed, inputs=inputs,
                    caveats=" ".join(str(spec.get("caveats", "")).split()), draws=result)


def compare(name: str, claims: dict[str, ClaimView], *, seed: int = 0, samples: int | None = None) -> dict[str, Any]:
    """Figures for one quantity side by side (never pooled: they share sources and assumptions).
    Items the user may not run (a hidden claim) are listed as unavailable, not silently dropped."""
    spec = models()["comparisons"].get(name)
    if spec is None:
        raise NotFound(f"no comparison named {name!r}")
    items = []
    for item in spec["items"]:
        if "estimate" in item:
            try:
                items.append({"kind": "estimate", "estimate": run(item["estimate"], claims, seed=seed, samples=samples)})
            except NotFound as exc:
                items.append({"kind": "unavailable", "name": item["estimate"], "reason": str(exc)})
        else:
            claim = claims.get(item["claim"])
            items.append({"kind": "claim", "claim": claim} if claim else
                         {"kind": "unavailable", "name": item["claim"], "reason": "claim does not exist or you may not see it"})
    return {"name": name, "title": spec["title"], "unit": spec["unit"], "items": items}


def comparisons() -> list[str]:
    return list(models().get("comparisons", {}))
