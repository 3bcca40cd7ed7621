"""Positions without a map service (government intranets are offline).

An exact home position is personal data (DESIGN §5): it is stored encrypted, and what is
kept in plain for matching, the nearest-first lists and statistics is the *cell* — a grid
square of 1/500 degree (≈ 222 m north–south, ≈ 205 m east–west in 深圳), written
``"<row>:<col>"`` with ``row = floor(lat × 500)`` and ``col = floor(lon × 500)``. A cell says
which block an elder lives in, not which door."""

from __future__ import annotations

import math

CELLS_PER_DEGREE = 500
EARTH_RADIUS_M = 6_371_000

# A position outside China's bounding box is almost always swapped or mistyped coordinates.
CHINA_LAT = (3.8, 53.6)
CHINA_LON = (73.5, 135.1)


class PositionError(ValueError):
    """A position that cannot be right, with a Chinese message."""


def position_check(latitude: float, longitude: float) -> tuple[float, float]:
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError) as exc:
        raise PositionError("经纬度应为数字") from exc
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise PositionError("经纬度应为数字")
    if CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]:
        raise PositionError("纬度和经度似乎填反了：纬度在前（如 22.54），经度在后（如 114.05）")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PositionError("经纬度超出范围：纬度应在 -90～90，经度应在 -180～180 之间")
    if not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]):
        raise PositionError("该位置不在中国境内，请检查经纬度")
    return lat, lon


def cell_of(latitude: float, longitude: float) -> str:
    return f"{math.floor(latitude * CELLS_PER_DEGREE)}:{math.floor(longitude * CELLS_PER_DEGREE)}"


def cell_centre(cell: str) -> tuple[float, float] | None:
    """The centre of a cell, or None for an empty or malformed one."""
    try:
        row, col = (int(p) for p in cell.split(":"))
    except (ValueError, AttributeError):
        return None
    return (row + 0.5) / CELLS_PER_DEGREE, (col + 0.5) / CELLS_PER_DEGREE


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def distance_to_cell_m(position: tuple[float, float], cell: str) -> float | None:
    centre = cell_centre(cell)
    return None if centre is None else distance_m(position, centre)
