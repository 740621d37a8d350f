"""Cut the Natural Earth 1:50m land polygons and their coastlines into 2-degree tiles, so that
point-in-land and distance-to-coast tests touch a few hundred vertices instead of a continent's
ten thousand. Input: Natural Earth `ne_50m_land.json` (public domain; ../shared/data/reference/
natural_earth/ or any copy); output: src/interdict/data/behaviour/land_tiles_2deg.bin.gz.

    .venv/bin/python scripts/build_land_tiles.py [path/to/ne_50m_land.json]
"""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import shapely

STEP = 2.0
HERE = Path(__file__).resolve().parents[1] / "src" / "interdict" / "data" / "behaviour"


def tiles(geometries: list, step: float = STEP) -> list:
    out = []
    for geometry, (x0, y0, x1, y1) in zip(geometries, shapely.bounds(np.asarray(geometries, dtype=object))):
        if x1 - x0 <= step and y1 - y0 <= step:
            out.append(geometry)
            continue
        xs = np.arange(np.floor(x0 / step) * step, x1, step)
        ys = np.arange(np.floor(y0 / step) * step, y1, step)
        gx, gy = np.meshgrid(xs, ys)
        boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + step, gy.ravel() + step)
        out.extend(part for part in shapely.intersection(geometry, boxes) if not part.is_empty)
    return out


def write(path: Path, groups: dict[str, list]) -> None:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for name, geometries in groups.items():
            encoded = [shapely.to_wkb(g) for g in geometries]
            fh.write(struct.pack("<8sI", name.encode().ljust(8), len(encoded)))
            for blob in encoded:
                fh.write(struct.pack("<I", len(blob)))
                fh.write(blob)


def main() -> None:
    import sys

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[4] / "shared/data/reference/natural_earth/ne_50m_land.json"
    data = json.loads(source.read_text())
    polygons = []
    for feature in data["features"]:
        geometry = shapely.geometry.shape(feature["geometry"])
        polygons.append(shapely.make_valid(geometry) if not geometry.is_valid else geometry)
    land = tiles(polygons)
    coast = tiles([shapely.boundary(p) for p in polygons])
    write(HERE / "land_tiles_2deg.bin.gz", {"land": land, "coast": coast})
    print(f"{len(land):,} land tiles, {len(coast):,} coastline pieces")


if __name__ == "__main__":
    main()
