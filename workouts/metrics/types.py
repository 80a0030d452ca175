"""Input and output types of the metrics engine: plain frozen dataclasses and numpy columns, no Django."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

Timestamp = float | datetime


def to_epoch_s(value: Timestamp) -> float:
    """Epoch seconds from a float or an aware datetime (naive ones are refused: their zone is unknown)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError("naive datetime: recorded times must carry a time zone")
        return value.timestamp()
    return float(value)


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One GPS fix. `recorded_at`: epoch seconds or aware datetime; degrees; metres; m/s; bpm."""

    recorded_at: Timestamp
    latitude: float
    longitude: float
    altitude: float | None = None
    accuracy: float | None = None
    speed: float | None = None
    heart_rate: float | None = None
    seq: int = 0


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """A paused interval; `end=None` while the workout is still paused."""

    start: Timestamp
    end: Timestamp | None = None


def _float_column(values: Iterable[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class PointArrays:
    """Columnar points (all arrays of the same length n). Missing values are NaN.

    `t` epoch seconds, `lat`/`lon` degrees, `alt` m, `acc` m, `speed` m/s, `hr` bpm, `seq` int64.
    This is what the engine works on; build it with `from_points` or `from_columns` (the Django side can feed
    `values_list` columns straight in).
    """

    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    alt: np.ndarray
    acc: np.ndarray
    speed: np.ndarray
    hr: np.ndarray
    seq: np.ndarray

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def empty(cls) -> PointArrays:
        return cls.from_columns(recorded_at=[], latitude=[], longitude=[])

    @classmethod
    def from_columns(
        cls,
        *,
        recorded_at: Sequence[Timestamp] | np.ndarray,
        latitude: Sequence[float] | np.ndarray,
        longitude: Sequence[float] | np.ndarray,
        altitude: Sequence[float | None] | np.ndarray | None = None,
        accuracy: Sequence[float | None] | np.ndarray | None = None,
        speed: Sequence[float | None] | np.ndarray | None = None,
        heart_rate: Sequence[float | None] | np.ndarray | None = None,
        seq: Sequence[int] | np.ndarray | None = None,
    ) -> PointArrays:
        """Build from parallel columns; optional columns may be None (all missing) or contain None."""
        if isinstance(recorded_at, np.ndarray) and recorded_at.dtype.kind == "f":
            t = recorded_at.astype(np.float64, copy=True)
        else:
            t = np.array([to_epoch_s(v) for v in recorded_at], dtype=np.float64)
        n = t.shape[0]

        def column(values) -> np.ndarray:
            if values is None:
                return np.full(n, np.nan)
            if isinstance(values, np.ndarray) and values.dtype.kind == "f":
                return values.astype(np.float64, copy=True)
            return _float_column(values)

        lat = np.asarray(latitude, dtype=np.float64).copy()
        lon = np.asarray(longitude, dtype=np.float64).copy()
        seq_arr = np.arange(n, dtype=np.int64) if seq is None else np.asarray(seq, dtype=np.int64).copy()
        columns = [lat, lon, seq_arr]
        optional = [column(v) for v in (altitude, accuracy, speed, heart_rate)]
        if any(c.shape[0] != n for c in columns + optional):
            raise ValueError("all point columns must have the same length")
        return cls(t, lat, lon, *optional, seq_arr)

    @classmethod
    def from_points(cls, points: Iterable[TrackPoint]) -> PointArrays:
        """Build from `TrackPoint`s (any order)."""
        points = list(points)
        return cls.from_columns(
            recorded_at=[p.recorded_at for p in points],
            latitude=[p.latitude for p in points],
            longitude=[p.longitude for p in points],
            altitude=[p.altitude for p in points],
            accuracy=[p.accuracy for p in points],
            speed=[p.speed for p in points],
            heart_rate=[p.heart_rate for p in points],
            seq=[p.seq for p in points],
        )

    def take(self, index: np.ndarray) -> PointArrays:
        """The points at `index` (an integer or boolean array), in that order."""
        return PointArrays(*(getattr(self, name)[index] for name in _COLUMNS))


_COLUMNS = ("t", "lat", "lon", "alt", "acc", "speed", "hr", "seq")


def as_point_arrays(points: PointArrays | Iterable[TrackPoint]) -> PointArrays:
    return points if isinstance(points, PointArrays) else PointArrays.from_points(points)


def pause_bounds(pauses: Iterable[PauseSpan | tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Pause spans as sorted (starts, ends) epoch-second arrays; an open pause ends at +inf."""
    starts, ends = [], []
    for span in pauses:
        start, end = (span.start, span.end) if isinstance(span, PauseSpan) else span
        starts.append(to_epoch_s(start))
        ends.append(np.inf if end is None else to_epoch_s(end))
    order = np.argsort(np.asarray(starts, dtype=np.float64), kind="stable")
    return np.asarray(starts, dtype=np.float64)[order], np.asarray(ends, dtype=np.float64)[order]


# --- outputs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Split:
    """One kilometre (or the final partial one) on the moving timeline.

    `km`: 1-based index; `distance_m`: 1000 except for the last partial split; `duration_s`: moving time;
    `pace_s`: seconds per km (duration scaled to 1 km); `elevation_change_m`: smoothed altitude at the end
    minus at the start, None without altitude data.
    """

    km: int
    distance_m: float
    duration_s: float
    pace_s: float
    elevation_change_m: float | None
    is_partial: bool = False


@dataclass(frozen=True)
class FilterResult:
    """The filter's decisions: kept points ordered by (recorded_at, seq), and the seq of every fix left out,
    by reason. Callers store these decisions as they are (they need not derive them again).

    `rejected_seqs`: per reason (`low_accuracy`, `future`, `before_start`, `null_island`, `out_of_range`,
    `speed_spike`, `duplicate_time`), the seqs dropped for it (int64, each fix under one reason);
    `duplicates`: repeated `seq` values dropped (a retried batch: the seq itself is kept once);
    `paused_seqs`: fixes recorded inside a pause span (not errors, just not part of the run).
    `timed`: the points that passed the time checks (not future, not before start, not paused) whatever their
    GPS quality — heart rate is taken from these.
    """

    points: PointArrays
    rejected_seqs: Mapping[str, np.ndarray]
    duplicates: int
    paused_seqs: np.ndarray
    timed: PointArrays

    @property
    def rejected(self) -> dict[str, int]:
        """Counts per reason."""
        return {reason: int(seqs.size) for reason, seqs in self.rejected_seqs.items()}

    @property
    def rejected_total(self) -> int:
        return int(sum(seqs.size for seqs in self.rejected_seqs.values()))

    @property
    def paused(self) -> int:
        return int(self.paused_seqs.size)


@dataclass(frozen=True, slots=True)
class LiveTotals:
    """Running totals for the ingestion endpoint, with the filter's decisions they were computed from."""

    distance_m: float
    moving_duration_s: float
    elapsed_duration_s: float
    kept_points: int
    rejected_total: int
    last_latitude: float | None
    last_longitude: float | None
    off_route: bool | None
    filtered: FilterResult


@dataclass(frozen=True)
class WorkoutMetrics:
    """Everything computed for a finished (or in-progress) workout. Paces in seconds per km (None without
    distance); `max_pace_s` is the fastest, `min_pace_s` the slowest 200 m window."""

    distance_m: float
    moving_duration_s: float
    elapsed_duration_s: float
    avg_pace_s: float | None
    max_pace_s: float | None
    min_pace_s: float | None
    splits: tuple[Split, ...]
    calories_kcal: float | None
    calories_source: str | None  # 'device' | 'estimated'
    weight_assumed: bool
    heart_rate_avg: float | None
    heart_rate_max: float | None
    elevation_gain_m: float | None
    elevation_loss_m: float | None
    best_efforts: Mapping[int, float]
    longest_distance_m: float
    route_completion: float | None
    shape_accuracy: float | None
    rejected: Mapping[str, int]
    rejected_total: int
    duplicates: int
    paused_points: int
    kept_points: int
    segments: int
    filtered: FilterResult  # the filter's decisions (kept points, left-out seqs by reason)
    notes: tuple[str, ...] = field(default=())
