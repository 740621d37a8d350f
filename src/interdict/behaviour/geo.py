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
        """(on land, more than `inside_km` inland) for every point. Points are first sorted by
        0.1-degree cell: a cell clear of land is sea, a cell lying (with the margin) inside one land
        tile is inland; only points in the remaining coastal cells get exact tests."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        on_land = np.zeros(len(lon), dtype=bool)
        inland = np.zeros(len(lon), dtype=bool)
        if len(lon) == 0:
            return on_land, inland
        boxes, inverse = grid_cells(lon, lat)
        touching = np.zeros(len(boxes), dtype=bool)
        touching[np.unique(self.tiles.query(boxes, predicate="intersects")[0])] = True
        margin = inside_km / 111.32 / 0.2 if inside_km > 0 else 0.0  # degrees, generous in longitude
        deep = np.zeros(len(boxes), dtype=bool)
        candidates = np.flatnonzero(touching)
        if len(candidates):
            grown = shapely.buffer(boxes[candidates], margin) if margin else boxes[candidates]
            deep[candidates[np.unique(self.tiles.query(grown, predicate="within")[0])]] = True
        state = np.where(deep, 1, np.where(touching, 2, 0))[inverse]
        on_land[state == 1] = True
        inland[state == 1] = True
        coastal = np.flatnonzero(state == 2)
        if len(coastal):
            points = shapely.points(lon[coastal], lat[coastal])
            hits = np.unique(self.tiles.query(points, predicate="intersects")[0])
            on_land[coastal[hits]] = True
            if inside_km > 0 and len(hits):
                km = self.distance_to_coast_km(lon[coastal[hits]], lat[coastal[hits]])
                inland[coastal[hits[km > inside_km]]] = True
            else:
                inland[coastal[hits]] = True
        return on_land, inland

    def distance_to_shore_km(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Distance to the nearest coastline in km, 0 on land."""
        km = self.distance_to_coast_km(lon, lat)
        km[self.on_land(lon, lat)] = 0.0
        return km


GRID = 0.1  # degrees


def grid_cells(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct 0.1-degree cells the points fall in (as boxes) and each point's cell index."""
    rows, cols = round(180 / GRID) + 1, round(360 / GRID) + 1
    cy = np.clip(np.floor(lat / GRID).astype(np.int64) + rows // 2, 0, rows - 1)
    cx = np.clip(np.floor(lon / GRID).astype(np.int64) + cols // 2, 0, cols - 1)
    keys = cy * cols + cx
    # the cells are few and their numbers bounded: mark and number them directly (linear time,
    # where np.unique would sort every point), in the same ascending order
    present = np.zeros(rows * cols, dtype=bool)
    present[keys] = True
    unique = np.flatnonzero(present)
    number = np.zeros(rows * cols, dtype=np.int64)
    number[unique] = np.arange(len(unique))
    inverse = number[keys]
    uy = unique // cols - rows // 2
    ux = unique % cols - cols // 2
    return shapely.box(ux * GRID, uy * GRID, (ux + 1) * GRID, (uy + 1) * GRID), inverse


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
        """Index into `ids` of each point's zone, -1 on the high seas. Cells of 0.1 degree lying
        inside one zone, or touching none, are decided at once; only points in border cells are
        tested one by one. Where claims overlap, the first zone listed wins."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = np.full(len(lon), -1, dtype=np.int64)
        if len(lon) == 0:
            return out
        boxes, inverse = grid_cells(lon, lat)
        cell_zone = np.full(len(boxes), -1, dtype=np.int64)
        touching = np.zeros(len(boxes), dtype=bool)
        hit_cells, _hit_zones = self.tree.query(boxes, predicate="intersects")
        touching[hit_cells] = True
        touch_count = np.bincount(hit_cells, minlength=len(boxes))
        within_cells, within_zones = self.tree.query(boxes[touch_count == 1], predicate="within")
        within_cells = np.flatnonzero(touch_count == 1)[within_cells]
        for cell, zone in sorted(zip(within_cells, within_zones)):
            if cell_zone[cell] == -1 and touch_count[cell] == 1:
                cell_zone[cell] = zone
        decided = (cell_zone >= 0) | ~touching
        out = cell_zone[inverse]
        border = np.flatnonzero(~decided[inverse])
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
