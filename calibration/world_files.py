"""What the world builders (``make_mexico_world.py``, ``make_central_america_world.py``) share:
great-circle distances between coordinates and writing a world file under its header."""

from __future__ import annotations

import math
from pathlib import Path

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance along the earth's surface (spherical law of cosines, radius 6,371 km)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.acos(min(1.0, max(-1.0, c)))


def write_world(path: Path, header: str, world: dict) -> None:
    """Write ``world`` as YAML under ``header`` (comment lines naming sources and
    assumptions) to ``path``."""
    import yaml

    path.write_text(header + yaml.safe_dump(world, sort_keys=False, allow_unicode=True,
                                            width=100))
    print(f"wrote {path}")
