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


def gain_and_loss(
    smoothed_m: np.ndarray, hysteresis_m: float = ELEVATION_HYSTERESIS_M
) -> tuple[float, float] | None:
    """(gain, loss) in metres with a hysteresis band; None without at least two known altitudes.

    A climb (or descent) is recognised once the altitude has moved `hysteresis_m` from the last turning point,
    and is then counted in full, from that turning point to the highest (lowest) level reached before the
    altitude turns back by `hysteresis_m`. Noise smaller than the band never counts; a real climb counts to
    its top (a plain "step when 3 m away" counter loses up to 3 m at every summit).
    Sequential by nature: O(n) over a Python list (~2 ms for 10 000 fixes).
    """
    values = smoothed_m[np.isfinite(smoothed_m)].tolist()
    if len(values) < 2:
        return None
    gain = loss = 0.0
    low = high = values[0]
    direction = 0  # +1 climbing, -1 descending, 0 not yet known
    turning = extreme = values[0]
    for value in values[1:]:
        if direction == 0:
            low, high = min(low, value), max(high, value)
            if value - low >= hysteresis_m:
                direction, turning, extreme = 1, low, value
            elif high - value >= hysteresis_m:
                direction, turning, extreme = -1, high, value
        elif direction == 1:
            if value > extreme:
                extreme = value
            elif extreme - value >= hysteresis_m:
                gain += extreme - turning
                direction, turning, extreme = -1, extreme, value
        else:
            if value < extreme:
                extreme = value
            elif value - extreme >= hysteresis_m:
                loss += turning - extreme
                direction, turning, extreme = 1, extreme, value
    if direction == 1:
        gain += extreme - turning
    elif direction == -1:
        loss += turning - extreme
    return gain, loss
