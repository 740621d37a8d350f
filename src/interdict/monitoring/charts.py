"""Charts and choropleth maps for reports and the dashboard, drawn with matplotlib (Agg) from the
Natural Earth countries shipped in the package. Each function returns PNG bytes."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a9333a", "#5f6b6d", "#00807f", "#8c564b"]


@lru_cache(maxsize=1)
def _pyplot() -> Any:
    """matplotlib, loaded on the first chart: it costs ~40 MB and 0.3 s, which every CLI command
    (an AIS ingest among them) would otherwise pay."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "axes.spines.top": False,
                         "axes.spines.right": False, "axes.titleweight": "bold", "axes.titlesize": 9})
    return plt


_RENDERED: OrderedDict[str, bytes] = OrderedDict()
_RENDERED_LOCK = threading.Lock()


def content_cached(render: Callable[..., bytes]) -> Callable[..., bytes]:
    """Render a chart once per distinct input: the key is a hash of the chart's name and its
    arguments (the data it draws), so the same numbers give the same picture whoever asks -- no
    access question arises. Rendering costs 0.2-0.8 s a chart; a dashboard has four. Bounded: the
    last 256 charts."""

    @functools.wraps(render)
    def cached(*args: Any, **kwargs: Any) -> bytes:
        try:
            key = hashlib.sha256(pickle.dumps((render.__name__, args, sorted(kwargs.items())), protocol=5)).hexdigest()
        except (pickle.PicklingError, TypeError, AttributeError):
            return render(*args, **kwargs)
        with _RENDERED_LOCK:
            if key in _RENDERED:
                _RENDERED.move_to_end(key)
                return _RENDERED[key]
        png = render(*args, **kwargs)
        with _RENDERED_LOCK:
            _RENDERED[key] = png
            while len(_RENDERED) > 256:
                _RENDERED.popitem(last=False)
        return png
    return cached


def _png(fig: Any) -> bytes:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def compact(value: float) -> str:
    """A tick label short enough not to run into its neighbours: 30, 2.5k, 200k, 1.5M, 3B."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def log_axis(axis: Any, low: float, high: float) -> None:
    """Ticks for a log-scale axis labelled with `compact` numbers, as many as fit: every
    integer multiple inside half a decade, 1-2-5 inside two decades, powers of ten beyond.
    (matplotlib's own labels for a narrow log range are 3x10^1-style strings that overlap.)"""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    decades = math.log10(high / low) if low > 0 and high > low else 0.0
    subs = tuple(range(1, 10)) if decades < 0.5 else (1.0, 2.0, 5.0) if decades <= 2 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=12))
    axis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
    axis.set_minor_formatter(NullFormatter())


@content_cached
def trend_chart(series: dict[str, list[tuple[int, float]]], *, title: str, ylabel: str = "kg (log scale)") -> bytes:
    """Lines per label over years, log scale (quantities span orders of magnitude)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    drawn = False
    for i, (label, points) in enumerate(sorted(series.items(), key=lambda kv: -max((v for _, v in kv[1]), default=0))):
        points = [(y, v) for y, v in points if v and v > 0]
        if not points:
            continue
        xs, ys = zip(*sorted(points))
        ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.3, color=PALETTE[i % len(PALETTE)], label=label)
        drawn = True
    if drawn:
        ax.set_yscale("log")
        low, high = ax.get_ylim()
        log_axis(ax.yaxis, low, high)
        ax.legend(fontsize=6.5, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    else:
        ax.text(0.5, 0.5, "no quantities reported", ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)  # MaxNLocator
    ax.grid(axis="y", color="#ddd", linewidth=0.5)
    return _png(fig)


@content_cached
def interval_chart(rows: list[dict[str, Any]], *, title: str, unit: str) -> bytes:
    """Estimates side by side: the 5th-95th percentile bar, the median and the best value."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max(len(rows), 2) + 0.9))
    for i, row in enumerate(reversed(rows)):
        if row.get("p5") is not None and row.get("p95") is not None:
            ax.plot([row["p5"], row["p95"]], [i, i], color=PALETTE[0], linewidth=5, alpha=0.35, solid_capstyle="butt")
        if row.get("p50") is not None:
            ax.plot([row["p50"]], [i], marker="|", color=PALETTE[0], markersize=14)
        if row.get("best") is not None:
            ax.plot([row["best"]], [i], marker="D", color=PALETTE[1], markersize=5)
        if row.get("lower_bound") is not None:
            ax.annotate("", xy=(row["lower_bound"] * 3, i), xytext=(row["lower_bound"], i),
                        arrowprops={"arrowstyle": "->", "color": PALETTE[2]})
            ax.plot([row["lower_bound"]], [i], marker="|", color=PALETTE[2], markersize=12)
    ax.set_yticks(range(len(rows)), [r["label"] for r in reversed(rows)], fontsize=7)
    ax.set_xscale("log")
    log_axis(ax.xaxis, *ax.get_xlim())
    ax.set_xlabel(f"{unit} (log scale); bar = 5th-95th percentile, | = median, diamond = best, arrow = at least")
    ax.set_title(title, loc="left")
    ax.grid(axis="x", color="#ddd", linewidth=0.5)
    return _png(fig)


@content_cached
def histogram(draws: Any, *, title: str, unit: str, best: float | None = None) -> bytes:
    plt = _pyplot()
    import numpy as np

    fig, ax = plt.subplots(figsize=(3.1, 1.9))
    values = np.asarray(draws)
    values = values[values > 0]
    bins: Any = np.logspace(math.log10(values.min()), math.log10(values.max()), 50) if values.max() > values.min() * 5 else 50
    ax.hist(values, bins=bins, color=PALETTE[0], alpha=0.8)
    if isinstance(bins, np.ndarray):
        ax.set_xscale("log")
        log_axis(ax.xaxis, *ax.get_xlim())
    for q, style in ((5, ":"), (50, "-"), (95, ":")):
        ax.axvline(np.percentile(values, q), color="#333", linestyle=style, linewidth=0.8)
    if best is not None:
        ax.axvline(best, color=PALETTE[1], linewidth=1.2)
    ax.set_title(title, loc="left", fontsize=7.5)
    ax.set_xlabel(unit, fontsize=7)
    ax.set_yticks([])
    return _png(fig)


@lru_cache(maxsize=1)
def _country_shapes() -> dict[str, list[list[tuple[float, float]]]]:
    from interdict.util import data_path

    data = json.loads(data_path("reference/ne_110m_admin_0_countries.json").read_text())
    shapes: dict[str, list[list[tuple[float, float]]]] = {}
    for feature in data["features"]:
        p = feature["properties"]
        code = p.get("ISO_A3") if p.get("ISO_A3") not in (None, "-99") else p.get("ADM0_A3")
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        shapes.setdefault(code, []).extend([[tuple(pt) for pt in poly[0]] for poly in polygons])
    return shapes


def _country_layer(ax: Any, values: dict[str, float | None], absent: set[str], highlight: str | None = None) -> tuple[Any, Any]:
    """Countries shaded by value on a log colour scale, hatched where absent, light grey outside
    `values`, `highlight` outlined in red; returns the (norm, colour map) for a colour bar."""
    plt = _pyplot()
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Polygon as PolygonPatch

    positive = [v for v in values.values() if v and v > 0]
    norm = LogNorm(vmin=min(positive), vmax=max(positive)) if len(positive) >= 2 and min(positive) < max(positive) else None
    cmap = plt.get_cmap("YlOrRd")
    background, shaded, hatched, outlined = [], [], [], []
    colours: list[Any] = []
    for code, polygons in _country_shapes().items():
        for ring in polygons:
            patch = PolygonPatch(ring, closed=True)
            value = values.get(code)
            if code == highlight:
                outlined.append(PolygonPatch(ring, closed=True))
            if code in absent:
                hatched.append(patch)
            elif value and value > 0 and norm is not None:
                shaded.append(patch)
                colours.append(cmap(norm(value)))
            elif code in values:
                shaded.append(patch)
                colours.append("#fff7d6")
            else:
                background.append(patch)
    ax.add_collection(PatchCollection(background, facecolor="#eeeeee", edgecolor="#bbbbbb", linewidth=0.3))
    ax.add_collection(PatchCollection(shaded, facecolor=colours, edgecolor="#555555", linewidth=0.4))
    ax.add_collection(PatchCollection(hatched, facecolor="white", edgecolor="#777777", hatch="////", linewidth=0.4))
    if outlined:
        ax.add_collection(PatchCollection(outlined, facecolor="none", edgecolor="#c00000", linewidth=1.4))
    return norm, cmap


def _map_frame(fig: Any, ax: Any, bbox: tuple[float, float, float, float], norm: Any, cmap: Any, *, title: str,
               label: str, note: str) -> None:
    plt = _pyplot()
    ax.set_xlim(bbox[0], bbox[1])
    ax.set_ylim(bbox[2], bbox[3])
    ax.set_aspect(1 / math.cos(math.radians((bbox[2] + bbox[3]) / 2)))
    ax.set_facecolor("#dbe9f6")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(True)
        ax.spines[side].set_color("#999")
    if norm is not None:
        fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.03, pad=0.02, label=label)
    ax.set_title(title, loc="left")
    ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=6, color="#333", backgroundcolor="#ffffffcc")


@content_cached
def choropleth(values: dict[str, float | None], *, title: str, bbox: tuple[float, float, float, float],
               label: str = "kg", not_reported: Iterable[str] = ()) -> bytes:
    """Countries shaded by value (log colour scale); hatched where the country did not report;
    countries outside `values` drawn light grey. bbox = (lon_min, lon_max, lat_min, lat_max)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    norm, cmap = _country_layer(ax, values, set(not_reported))
    _map_frame(fig, ax, bbox, norm, cmap, title=title, label=label,
               note="Hatched: did not report. Grey: outside the report. Base map: Natural Earth 1:110m.")
    return _png(fig)


@lru_cache(maxsize=1)
def _centres() -> dict[str, tuple[float, float]]:
    """A point inside each country's largest polygon (for arrows and labels)."""
    from shapely.geometry import Polygon

    centres = {}
    for code, rings in _country_shapes().items():
        polygons = [Polygon(r) for r in rings if len(r) >= 4]
        if polygons:
            point = max(polygons, key=lambda p: p.area).representative_point()
            centres[code] = (point.x, point.y)
    return centres


def links_inside(links: list[tuple[str, str, int]], bbox: tuple[float, float, float, float]) -> list[tuple[str, str, int]]:
    """The links whose two countries both lie inside the frame (those a map draws)."""
    centres = _centres()

    def inside(code: str) -> bool:
        x, y = centres.get(code, (math.inf, math.inf))
        return bbox[0] <= x <= bbox[1] and bbox[2] <= y <= bbox[3]

    return [link for link in links if inside(link[0]) and inside(link[1])]


@content_cached
def route_map(values: dict[str, float | None], links: list[tuple[str, str, int]], *, title: str,
              bbox: tuple[float, float, float, float], highlight: str | None = None, label: str = "kg",
              not_reported: Iterable[str] = ()) -> bytes:
    """Countries shaded by value (as `choropleth`), trafficking links between countries inside the
    frame drawn as curved arrows (wider for links reported in more years), `highlight` outlined
    in red. Only shaded and highlighted countries are labelled (by ISO code), so labels do not crowd."""
    plt = _pyplot()
    centres = _centres()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    norm, cmap = _country_layer(ax, values, set(not_reported), highlight)
    x0, x1, y0, y1 = bbox

    def inside(code: str) -> bool:
        x, y = centres.get(code, (math.inf, math.inf))
        return x0 <= x <= x1 and y0 <= y <= y1

    shown = links_inside(links, bbox)
    heaviest = max((w for _, _, w in shown), default=1)
    for a, b, weight in sorted(shown, key=lambda link: link[2]):
            ax.annotate("", xy=centres[b], xytext=centres[a], annotation_clip=False,
                        arrowprops={"arrowstyle": "-|>", "color": "#1f4e79", "alpha": 0.8, "shrinkA": 4, "shrinkB": 4,
                                    "linewidth": 0.6 + 2.4 * weight / heaviest, "connectionstyle": "arc3,rad=0.18"})
    for code in sorted((set(values) | ({highlight} if highlight else set())) & set(centres)):
        if inside(code):
            ax.text(*centres[code], code, fontsize=6, ha="center", va="center", color="#111",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "#ffffffcc", "edgecolor": "none"})
    _map_frame(fig, ax, bbox, norm, cmap, title=title, label=label,
               note="Arrows: trafficking links reported (wider: more years). Hatched: no report. "
                    "Base map: Natural Earth 1:110m.")
    return _png(fig)
