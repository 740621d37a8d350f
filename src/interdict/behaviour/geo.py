"""Geography for the detectors: great-circle distances (as Polars expressions and numpy), the
land mask and distance to shore (Natural Earth 1:50m), ports (World Port Index) and EEZs, all
shipped in the package so nothing is fetched at run time."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
import shapely
from shapely import STRtree

EARTH_KM = 6371.0088
NM_KM = 1.852


def haversine_expr(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    """Great-circle distance in km between two points (a Polars expression)."""
    rad = math.pi / 180
    dlat = (lat2 - lat1) * rad
    dlon = (lon2 - lon1) * rad
    a = (dlat / 2).sin() ** 2 + (lat1 * rad).cos() * (lat2 * rad).cos() * (dlon / 2).sin() ** 2
    return 2 * EARTH_KM * a.sqrt().arcsin()


def haversine_np(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def _data(name: str):
    from interdict.util import data_path

    return data_path(f"behaviour/{name}")


@dataclass(frozen=True)
class Land:
    """Land tiles (point in land) and coastline pieces (distance to the coast), each cut into
    2-degree tiles so that no test walks a whole continent's outline."""

    tiles: STRtree
    coast: STRtree

    def distance_to_coast_km(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        index, degrees = self.coast.query_nearest(points, return_distance=True, all_matches=False)
        out = np.full(len(points), np.inf)
        out[index[0]] = degrees
        # degrees -> km with cos(latitude) (clipped): errs short by up to ~30 % east-west at high
        # latitude, which only makes "far from shore" and "well inland" checks stricter.
        return out * 111.32 * np.clip(np.cos(np.radians(np.asarray(lat, dtype=float))), 0.5, 1.0)

    def on_land(self, lon: np.ndarray, lat: np.ndarray, *, inside_km: float = 0.0) -> np.ndarray:
        """True where a point is on land and more than `inside_km` from the coastline: the 1:50m
        coastline is coarse, so a ship moored close inshore can fall just inside it."""
        return self.classify(lon, lat, inside_km=inside_km)[1 if inside_km > 0 else 0]

    def classify(self, lon: np.ndarray, lat: np.ndarray, *, inside_km: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(on land, more than `inside_km` inland) for every point. Points are sorted into cells of
        0.1 degree, those in cells the coastline crosses into cells of 0.01 and then 0.001 degree: a
        cell clear of land is sea, a cell lying (with the margin) inside one land tile is inland, a
        cell inside one without the margin is land; only points in the finest cells the coastline
        crosses get exact tests. Coastal traffic (ports, estuaries, the coarse 1:50m coast) puts
        most fixes in coastal cells of the coarser grids."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        on_land = np.zeros(len(lon), dtype=bool)
        inland = np.zeros(len(lon), dtype=bool)
        if len(lon) == 0:
            return on_land, inland
        todo = np.arange(len(lon))  # points not yet decided
        landed = []  # on land for sure, but maybe within the margin
        for level, grid in enumerate(GRIDS):
            # the margin is tried on the two coarser grids; below that the per-cell distance test does better
            margin = inside_km if level < 2 else 0.0
            boxes, inverse, top = grid_cells(lon[todo], lat[todo], grid)
            state = self._cell_state(boxes, top, margin)[inverse]  # 0 sea, 1 inland, 2 land, 3 coastal
            deep = todo[(state == 1) | ((state == 2) & (inside_km <= 0))]
            on_land[deep] = inland[deep] = True
            land = todo[(state == 2) & (inside_km > 0)]
            on_land[land] = True
            if level == 0:  # land cells of the coarse grid may hold finer cells deep enough inland
                todo = todo[(state == 3) | ((state == 2) & (inside_km > 0))]
            else:
                landed.append(land)
                todo = todo[state == 3]
            if not len(todo):
                break
        if len(todo):  # exact tests in the finest cells the coastline crosses
            hits = todo[np.unique(self.tiles.query(shapely.points(lon[todo], lat[todo]), predicate="intersects")[0])]
            on_land[hits] = True
            landed.append(hits)
            if inside_km <= 0:
                inland[hits] = True
        near = np.concatenate(landed) if landed else np.zeros(0, dtype=np.int64)
        if inside_km > 0 and len(near):
            inland[near[self._farther_from_coast(lon[near], lat[near], inside_km)]] = True
        return on_land, inland

    def _farther_from_coast(self, lon: np.ndarray, lat: np.ndarray, km: float) -> np.ndarray:
        """`distance_to_coast_km(lon, lat) > km`, measured once per cell (0.01, then 0.001 degree)
        where that settles every point of the cell (the cell's centre distance, give or take its
        half diagonal), and point by point only for points the threshold passes closer than that."""
        out = np.zeros(len(lon), dtype=bool)
        todo = np.arange(len(lon))
        for grid in GRIDS[1:]:
            boxes, inverse, _ = grid_cells(lon[todo], lat[todo], grid)
            if len(boxes) * 3 > len(todo):  # scattered points: cells save nothing
                break
            centres = shapely.centroid(boxes)
            cy = shapely.get_y(centres)
            index, degrees = self.coast.query_nearest(centres, return_distance=True, all_matches=False)
            centre_deg = np.full(len(boxes), np.inf)
            centre_deg[index[0]] = degrees
            half = grid * math.sqrt(2) / 2
            k_min = 111.32 * np.clip(np.cos(np.radians(np.abs(cy) + grid / 2)), 0.5, 1.0)
            k_max = 111.32 * np.clip(np.cos(np.radians(np.maximum(np.abs(cy) - grid / 2, 0))), 0.5, 1.0)
            surely = ((centre_deg - half) * k_min > km)[inverse]
            never = ((centre_deg + half) * k_max <= km)[inverse]
            out[todo[surely]] = True
            todo = todo[~surely & ~never]
            if not len(todo):
                return out
        out[todo] = self.distance_to_coast_km(lon[todo], lat[todo]) > km
        return out

    def _cell_state(self, boxes: np.ndarray, top_lat: np.ndarray, inside_km: float) -> np.ndarray:
        """Per cell: 0 clear of land, 1 inside one land tile by more than `inside_km` (in the
        metric of `distance_to_coast_km`), 2 inside one land tile, 3 crossed by the coast."""
        state = np.zeros(len(boxes), dtype=np.int8)
        touching = np.unique(self.tiles.query(boxes, predicate="intersects")[0])
        state[touching] = 3
        if not len(touching):
            return state
        inside = touching[np.unique(self.tiles.query(boxes[touching], predicate="within")[0])]
        state[inside] = 2
        if inside_km > 0 and len(inside):
            # every point of the box is more than `margin` degrees from the coast, and the km metric
            # counts a degree as at least 111.32 * clip(cos(latitude), 0.5, 1)
            scale = np.clip(np.cos(np.radians(np.abs(top_lat[inside]))), 0.5, 1.0)
            grown = shapely.buffer(boxes[inside], inside_km / 111.32 / scale)
            deep = inside[np.unique(self.tiles.query(grown, predicate="within")[0])]
            state[deep] = 1
        return state

    def distance_to_shore_km(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Distance to the nearest coastline in km, 0 on land."""
        km = self.distance_to_coast_km(lon, lat)
        km[self.on_land(lon, lat)] = 0.0
        return km


GRID = 0.1  # degrees
GRIDS = (GRID, 0.01, 0.001)  # cells that settle many points at once, coarse to fine


def grid_cells(lon: np.ndarray, lat: np.ndarray, grid: float = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct `grid`-degree cells the points fall in (as boxes), each point's cell index, and
    each cell's latitude furthest from the equator."""
    rows, cols = round(180 / grid) + 1, round(360 / grid) + 1
    cy = np.clip(np.floor(lat / grid).astype(np.int64) + rows // 2, 0, rows - 1)
    cx = np.clip(np.floor(lon / grid).astype(np.int64) + cols // 2, 0, cols - 1)
    keys = cy * cols + cx
    if rows * cols <= 8_000_000:
        # few cells: mark and number them directly (linear time, where np.unique would sort every
        # point), in the same ascending order
        present = np.zeros(rows * cols, dtype=bool)
        present[keys] = True
        unique = np.flatnonzero(present)
        number = np.zeros(rows * cols, dtype=np.int64)
        number[unique] = np.arange(len(unique))
        inverse = number[keys]
    else:  # Polars' parallel radix sort: about twice numpy's unique on millions of keys
        series = pl.Series(keys)
        inverse = (series.rank("dense") - 1).cast(pl.Int64).to_numpy()
        unique = series.unique().sort().to_numpy()
    uy = unique // cols - rows // 2
    ux = unique % cols - cols // 2
    top = np.maximum(np.abs(uy * grid), np.abs((uy + 1) * grid))
    return shapely.box(ux * grid, uy * grid, (ux + 1) * grid, (uy + 1) * grid), inverse, top


def _read_tiles(path) -> dict[str, list]:
    import gzip
    import struct

    groups: dict[str, list] = {}
    with gzip.open(path, "rb") as fh:
        while header := fh.read(12):
            name, count = struct.unpack("<8sI", header)
            blobs = []
            for _ in range(count):
                (size,) = struct.unpack("<I", fh.read(4))
                blobs.append(fh.read(size))
            groups[name.decode().strip()] = list(shapely.from_wkb(blobs))
    return groups


def _valid(geometry):
    try:
        return shapely.make_valid(geometry)
    except shapely.errors.GEOSException:
        return geometry.buffer(0)


@lru_cache(maxsize=1)
def land() -> Land:
    groups = _read_tiles(_data("land_tiles_2deg.bin.gz"))
    shapely.prepare(groups["land"])
    return Land(STRtree(groups["land"]), STRtree(groups["coast"]))


@lru_cache(maxsize=1)
def ports() -> pl.DataFrame:
    with _data("wpi_ports.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["lat"] and r["lon"]]
    return pl.DataFrame({
        "port_id": [f"wpi:{r['wpi']}" for r in rows],
        "port": [r["name"] for r in rows],
        "port_country": [r["country"] for r in rows],
        "port_lat": [float(r["lat"]) for r in rows],
        "port_lon": [float(r["lon"]) for r in rows],
    })


CELL = 0.1  # degrees: the grid that ports and positions are binned into for the nearest-port join


def nearest_port(points: pl.DataFrame, *, within_km: float) -> pl.DataFrame:
    """For each row of `points` (columns `pid`, `lat`, `lon`), the nearest port within `within_km`
    (`port_id`, `port`, `port_country`, `port_km`), found through a 0.1-degree grid join rather than
    against every port. Rows with no port in range get nulls."""
    span = math.ceil(within_km / (CELL * 111.32 * 0.2)) if within_km > 0 else 1  # cells to search (lon cells shrink to 0.2 at 78 deg)
    span = max(1, min(span, 3))
    p = ports().with_columns((pl.col("port_lat") / CELL).floor().cast(pl.Int32).alias("cy"),
                             (pl.col("port_lon") / CELL).floor().cast(pl.Int32).alias("cx"))
    offsets = pl.DataFrame({"dy": [dy for dy in range(-span, span + 1) for _ in range(-span, span + 1)],
                            "dx": [dx for _ in range(-span, span + 1) for dx in range(-span, span + 1)]},
                           schema={"dy": pl.Int32, "dx": pl.Int32})
    key = pl.col("cy").cast(pl.Int64) * 100_000 + pl.col("cx")  # one integer key: a faster join than two columns
    expanded = (p.join(offsets, how="cross").with_columns((pl.col("cy") + pl.col("dy")).alias("cy"),
                                                          (pl.col("cx") + pl.col("dx")).alias("cx"))
                .with_columns(key.alias("key")).drop("dy", "dx", "cy", "cx"))
    keyed = points.select("pid", "lat", "lon").with_columns(
        (pl.col("lat") / CELL).floor().cast(pl.Int32).alias("cy"), (pl.col("lon") / CELL).floor().cast(pl.Int32).alias("cx")
    ).with_columns(key.alias("key")).drop("cy", "cx")
    joined = (keyed.join(expanded, on="key", how="inner")
              .with_columns(haversine_expr(pl.col("lat"), pl.col("lon"), pl.col("port_lat"), pl.col("port_lon")).alias("port_km"))
              .filter(pl.col("port_km") <= within_km)
              .sort("port_km").group_by("pid").first()
              .select("pid", "port_id", "port", "port_country", "port_km"))
    # spread the few matches back over all rows (pid numbers the rows of `points`)
    pid = points["pid"]
    if points.height and pid[0] == 0 and bool((pid.diff().fill_null(1) == 1).all()):
        rows = joined["pid"].cast(pl.Int64)
        out = {"pid": points["pid"]}
        for name in ("port_id", "port", "port_country", "port_km"):
            column = pl.Series(name, [None] * 0, dtype=joined[name].dtype).extend_constant(None, points.height)
            out[name] = column.scatter(rows, joined[name]) if len(rows) else column
        return pl.DataFrame(out)
    return points.select("pid").join(joined, on="pid", how="left")


@dataclass(frozen=True)
class Zones:
    ids: list[str]
    names: list[str]
    tree: STRtree

    def zone_of(self, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
        """The zone id of each point (None on the high seas)."""
        return [self.ids[z] if z >= 0 else None for z in self.zone_index(lon, lat)]

    def zone_index(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index into `ids` of each point's zone, -1 on the high seas. Cells of 0.1 degree (then, for
        points in border cells, 0.01 and 0.001 degree) lying inside one zone, or touching none, are
        decided at once; only points in the finest border cells are tested one by one. Where claims
        overlap, the first zone listed wins."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = np.full(len(lon), -1, dtype=np.int64)
        if len(lon) == 0:
            return out
        border = np.arange(len(lon))  # points not yet decided
        for grid in GRIDS:
            boxes, inverse, _ = grid_cells(lon[border], lat[border], grid)
            cell_zone = np.full(len(boxes), -1, dtype=np.int64)
            touching = np.zeros(len(boxes), dtype=bool)
            hit_cells, _hit_zones = self.tree.query(boxes, predicate="intersects")
            touching[hit_cells] = True
            touch_count = np.bincount(hit_cells, minlength=len(boxes))
            within_cells, within_zones = self.tree.query(boxes[touch_count == 1], predicate="within")
            within_cells = np.flatnonzero(touch_count == 1)[within_cells]
            cell_zone[within_cells] = within_zones  # one zone touches each of these cells
            decided = ((cell_zone >= 0) | ~touching)[inverse]
            out[border[decided]] = cell_zone[inverse][decided]
            scattered = len(boxes) * 3 > len(border)  # about a cell per point: finer cells save nothing
            border = border[~decided]
            if not len(border) or scattered:
                break
        if len(border):
            points = shapely.points(lon[border], lat[border])
            point_index, zone_index = self.tree.query(points, predicate="intersects")
            order = np.lexsort((zone_index, point_index))
            first = np.unique(point_index[order], return_index=True)[1]
            out[border[point_index[order][first]]] = zone_index[order][first]
        return out


@lru_cache(maxsize=1)
def eezs() -> Zones:
    features = json.loads(_data("eezs.json").read_text())
    geoms = [_valid(shapely.geometry.shape(f["geometry"])) for f in features]
    shapely.prepare(geoms)
    return Zones([str(f["properties"]["area"]) for f in features], [f["properties"]["name"] for f in features], STRtree(geoms))
