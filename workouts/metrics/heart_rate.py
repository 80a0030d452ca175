"""Average and maximum heart rate."""

from __future__ import annotations

import numpy as np

from .constants import HEART_RATE_MAX_BPM, HEART_RATE_MIN_BPM, SEGMENT_MAX_GAP_S


def heart_rate_summary(t: np.ndarray, heart_rate: np.ndarray) -> tuple[float | None, float | None]:
    """(time-weighted average, maximum) bpm over valid readings (0, None and > 250 bpm ignored).

    Time-weighted: each reading stands for half the interval to each neighbour, capped at SEGMENT_MAX_GAP_S so
    a reading before a signal loss does not stand for minutes. Sensors sample unevenly (some only on change),
    so a plain mean would over-weight bursts of readings.
    """
    valid = np.isfinite(heart_rate) & (heart_rate >= HEART_RATE_MIN_BPM) & (heart_rate <= HEART_RATE_MAX_BPM)
    if not valid.any():
        return None, None
    times, values = t[valid], heart_rate[valid]
    maximum = float(values.max())
    if values.size == 1:
        return float(values[0]), maximum
    gaps = np.minimum(np.diff(times), SEGMENT_MAX_GAP_S)
    weights = np.concatenate(([0.0], gaps / 2)) + np.concatenate((gaps / 2, [0.0]))
    if weights.sum() <= 0:
        return float(values.mean()), maximum
    return float(np.average(values, weights=weights)), maximum
