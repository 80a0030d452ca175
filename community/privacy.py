"""The privacy zone of a shared workout track (pure numpy: no Django).

Other people never see where a run started or ended (often the runner's home). A track shown to anyone but
its owner loses:
  1. its first and last `zone_m` metres along the track, and
  2. any remaining point closer than `zone_m` in a straight line to the real start or end (a loop that
     passes the front door again mid-run).
What is left is the only part of the track that leaves the server for others.
"""

from __future__ import annotations

import numpy as np

from workouts.metrics import haversine_m

PRIVACY_ZONE_M = 200.0  # Strava's smallest privacy zone; covers a block in Korean apartment districts
# Coordinates leave the server rounded to 7 decimals (≤ 1.1 cm per axis): a point kept at exactly the zone's
# edge must not end up a centimetre inside it.
ROUNDING_MARGIN_M = 0.05


def trim_privacy_zone(lat: np.ndarray, lon: np.ndarray, *, zone_m: float = PRIVACY_ZONE_M) -> np.ndarray:
    """Indices of the points of a track (lat/lon in degrees, in time order) that may be shown to others.

    Returns an increasing integer index array; empty when the track is shorter than 2·zone_m or every point
    is within zone_m of its ends. O(n).
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat.size < 2:
        return np.empty(0, dtype=int)
    steps_m = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    along_m = np.concatenate(([0.0], np.cumsum(steps_m)))
    total_m = along_m[-1]
    edge_m = zone_m + ROUNDING_MARGIN_M
    keep = (along_m >= edge_m) & (along_m <= total_m - edge_m)
    keep &= haversine_m(lat, lon, lat[0], lon[0]) >= edge_m
    keep &= haversine_m(lat, lon, lat[-1], lon[-1]) >= edge_m
    return np.flatnonzero(keep)
