"""Benchmark of the GPS metrics engine (pure Python, no database): prints p50/p95 in milliseconds of CPU time
(time.process_time: the machine is shared, and a request's budget is CPU).

Run: `.venv/bin/python -m bench.metrics_bench`. Targets (DESIGN.md): a 500-point batch stored AND live totals
updated in <= 150 ms p50 (this measures the engine's share: live totals over a 10k-point workout after the
batch); completion of a 10 000-point workout (all metrics, splits, best efforts, completion, shape accuracy)
in <= 300 ms. The route + shape accuracy workout laps a 400 m track 80 times (its filled area is the raster
fill's case); the one-pass row runs a 33 km heart once (the exact filled area's).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

# run as a script (`python bench/metrics_bench.py`, as bench/run_all.py does): make the project importable
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routes.planner.geometry import resample_by_spacing
from routes.planner.shapes import template_outline
from workouts.metrics import PauseSpan, PointArrays, TrackPoint, compute_workout_metrics, live_totals
from workouts.metrics.tests.synthetic import START_EPOCH_S, TRACK_ORIGIN, oval_run, oval_xy

POINTS = 10_000
BATCH = 500
REPEATS = 25


def _workout(points: int) -> tuple[PointArrays, list[PauseSpan], np.ndarray]:
    """A 10k-fix run at 5:00/km with 3 m noise, heart rate, altitude, one pause and a few spikes."""
    distance_m = points * 1000 / 300
    t, xy = oval_run(distance_m, 300, noise_m=3.0, seed=11)
    t, xy = t[:points], xy[:points].copy()
    xy[::997] += 400.0  # spikes
    rng = np.random.default_rng(3)
    lat, lon = TRACK_ORIGIN.to_latlng(xy).T
    columns = PointArrays.from_columns(
        recorded_at=t,
        latitude=lat,
        longitude=lon,
        altitude=30 + 5 * np.sin(np.arange(points) / 200) + rng.normal(0, 1, points),
        accuracy=rng.uniform(3, 12, points),
        heart_rate=150 + rng.normal(0, 5, points),
        seq=np.arange(points),
    )
    pauses = [PauseSpan(start=t[4000] + 0.5, end=t[4060] + 0.5)]
    planned_lat, planned_lon = TRACK_ORIGIN.to_latlng(oval_xy(np.arange(0.0, 400.0, 10.0))).T
    return columns, pauses, np.column_stack((planned_lat, planned_lon))


def _one_pass_workout(points: int) -> tuple[PointArrays, np.ndarray]:
    """A 10k-fix run at 5:00/km drawing a heart once (a 33 km outline), with 3 m of GPS error correlated over
    10 s, as phones err; the heart's outline in metres is the shape."""
    outline = np.asarray(template_outline("heart"), dtype=np.float64)
    step_m = 1000 / 300
    closed = np.vstack((outline, outline[:1]))
    perimeter = float(np.hypot(*np.diff(closed, axis=0).T).sum())
    outline_m = outline * (points * step_m / perimeter)
    xy = resample_by_spacing(outline_m, step_m, closed=True)[:points]
    rng = np.random.default_rng(5)
    a = np.exp(-1.0 / 10.0)
    noise = np.zeros_like(xy)
    shocks = rng.normal(0.0, 3.0 * np.sqrt(1 - a * a), xy.shape)
    for i in range(1, len(xy)):
        noise[i] = a * noise[i - 1] + shocks[i]
    t = START_EPOCH_S + np.arange(len(xy), dtype=np.float64)
    lat, lon = TRACK_ORIGIN.to_latlng(xy + noise).T
    return PointArrays.from_columns(recorded_at=t, latitude=lat, longitude=lon, seq=np.arange(len(xy))), outline_m


def _timed(function, repeats: int = REPEATS) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        samples.append((time.process_time() - start) * 1000)
    return samples


def _row(name: str, samples: list[float], target_ms: float | None) -> str:
    p50 = statistics.median(samples)
    p95 = sorted(samples)[int(0.95 * (len(samples) - 1))]
    verdict = "" if target_ms is None else ("ok" if p50 <= target_ms else "OVER")
    target = "" if target_ms is None else f"{target_ms:.0f}"
    return f"{name:<62} {p50:>8.1f} {p95:>8.1f} {target:>8} {verdict:>5}"


def main() -> None:
    points, pauses, planned = _workout(POINTS)
    outline = oval_xy(np.arange(0.0, 400.0, 5.0))
    rows = [f"{'metrics engine (ms)':<62} {'p50':>8} {'p95':>8} {'target':>8}"]

    # live totals as the ingestion endpoint calls them: the workout's 9 500 stored fixes + a new 500-fix batch
    rows.append(
        _row(
            f"live_totals after a {BATCH}-point batch, {POINTS} points (arrays)",
            _timed(
                lambda: live_totals(
                    points, pauses=pauses, now=START_EPOCH_S + 86_400, planned_path_latlng=planned
                )
            ),
            150,
        )
    )
    track_points = [
        TrackPoint(float(t), float(la), float(lo), seq=int(s))
        for t, la, lo, s in zip(points.t, points.lat, points.lon, points.seq, strict=True)
    ]
    rows.append(
        _row(
            f"live_totals, {POINTS} TrackPoint objects (incl. conversion)",
            _timed(lambda: live_totals(track_points, pauses=pauses)),
            150,
        )
    )
    rows.append(
        _row(
            f"compute_workout_metrics, {POINTS} points, route + shape accuracy",
            _timed(
                lambda: compute_workout_metrics(
                    points,
                    pauses=pauses,
                    started_at=points.t[0],
                    completed_at=points.t[-1],
                    now=points.t[-1],
                    weight_kg=None,
                    planned_path_latlng=planned,
                    shape_outline_xy=outline,
                )
            ),
            300,
        )
    )
    one_pass, heart_m = _one_pass_workout(POINTS)
    rows.append(
        _row(
            f"compute_workout_metrics, {POINTS} points, one pass, shape accuracy",
            _timed(
                lambda: compute_workout_metrics(
                    one_pass, started_at=one_pass.t[0], completed_at=one_pass.t[-1], now=one_pass.t[-1],
                    shape_outline_xy=heart_m,
                )
            ),
            300,
        )
    )
    rows.append(
        _row(
            f"compute_workout_metrics, {POINTS} points, no route",
            _timed(lambda: compute_workout_metrics(points, pauses=pauses)),
            None,
        )
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
