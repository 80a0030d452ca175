"""The privacy zone engine (community.privacy): the per-runner draws and what they guarantee."""

import math

import numpy as np
import pytest

from accounts.models import ZONE_SIZES_M
from community.privacy import (
    OFFSET_SHARE_MIN,
    RADIUS_FACTOR_MAX,
    RADIUS_FACTOR_MIN,
    drawing_as_svg_path,
    hidden_centres,
    privacy_zone_for,
    visible_indices,
    visible_path,
)
from routes.planner.geometry import haversine_m
from routes.tests.factories import START_LAT, START_LON

SECRETS = [f"{i:032x}" for i in range(0, 4000, 7)]


def _distance_m(a, b) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1]))


@pytest.mark.parametrize("size_m", [size for size in ZONE_SIZES_M if size])
def test_radius_and_offset_stay_in_the_documented_ranges(size_m):
    zones = [privacy_zone_for(size_m=size_m, secret=secret) for secret in SECRETS]
    radii = np.array([zone.radius_m for zone in zones])
    offsets = np.array([zone.offset_m for zone in zones])
    assert radii.min() >= RADIUS_FACTOR_MIN * size_m and radii.max() <= RADIUS_FACTOR_MAX * size_m
    slack = radii - size_m
    assert np.all(offsets >= OFFSET_SHARE_MIN * slack - 1e-9) and np.all(offsets <= slack + 1e-9)
    # What the zone promises: every shown point is at least the chosen size from the real point.
    assert np.all(radii - offsets >= size_m - 1e-9)
    # Drawn, not fixed: radii spread over the range and bearings all around the compass.
    assert np.ptp(radii) > 0.9 * (RADIUS_FACTOR_MAX - RADIUS_FACTOR_MIN) * size_m
    bearings = np.degrees(np.arctan2([z.offset_east_m for z in zones], [z.offset_north_m for z in zones])) % 360
    assert np.histogram(bearings, bins=8, range=(0, 360))[0].min() > len(zones) / 8 * 0.6


def test_draws_are_stable_per_runner_and_independent_between_sizes():
    assert privacy_zone_for(size_m=200, secret="a" * 32) == privacy_zone_for(size_m=200, secret="a" * 32)
    assert privacy_zone_for(size_m=200, secret="a" * 32) != privacy_zone_for(size_m=200, secret="b" * 32)
    # Scaled draws would put the 200 m and 400 m centres on one line through the start (and reveal it as the
    # point they move away from): the bearings of one runner's sizes differ.
    same_direction = 0
    for secret in SECRETS[:200]:
        a, b = privacy_zone_for(size_m=200, secret=secret), privacy_zone_for(size_m=400, secret=secret)
        cos = (a.offset_north_m * b.offset_north_m + a.offset_east_m * b.offset_east_m) / (a.offset_m * b.offset_m)
        same_direction += cos > math.cos(math.radians(5))
    assert same_direction < 200 * 0.1  # ~2.8 % expected by chance


def test_zone_off_shows_everything():
    lat = START_LAT + np.arange(50) * 1e-4
    lon = np.full(50, START_LON)
    zone = privacy_zone_for(size_m=0, secret="x" * 32)
    assert zone.is_off
    assert visible_indices(lat, lon, zone=zone, anchors=[(START_LAT, START_LON)]).tolist() == list(range(50))


def test_points_near_any_anchor_are_hidden_even_mid_path():
    """An out-and-back run passes its start again in the middle: those points go too."""
    step_deg = 10 / 111_195.0
    out = [START_LAT + i * step_deg for i in range(201)]  # 2 km north
    lat = np.array(out + out[-2::-1] + out[1:])  # back to the start, then north again
    lon = np.full(lat.size, START_LON)
    zone = privacy_zone_for(size_m=200, secret="c" * 32)
    shown = visible_path(np.column_stack((lat, lon)).tolist(), zone=zone)
    assert shown
    start, end = (lat[0], lon[0]), (lat[-1], lon[-1])
    centres = hidden_centres(zone, [start, end])
    for point in shown:
        assert _distance_m(point, start) >= zone.size_m and _distance_m(point, end) >= zone.size_m
        assert all(_distance_m(point, centre) >= zone.radius_m for centre in centres)
    # The middle pass by the start (index 400) is gone, points on either side of it remain.
    assert all(_distance_m(point, start) > zone.size_m for point in shown)
    assert len(shown) < lat.size - 2 * int(zone.size_m / 10)


def test_a_drawing_keeps_its_form_and_loses_its_place():
    from routes.planner import outline_from_latlng, outline_from_svg_path, shape_fidelity

    d = 0.004
    drawing = [[START_LAT, START_LON], [START_LAT + d, START_LON + d], [START_LAT, START_LON + 2 * d],
               [START_LAT - d, START_LON + d], [START_LAT, START_LON]]
    svg = drawing_as_svg_path(drawing)
    assert "37." not in svg and "126." not in svg
    numbers = [float(token) for token in svg.replace("M", " ").replace("L", " ").split()]
    assert min(numbers) >= 0 and max(numbers) <= 100
    # The same figure: the outline of the SVG form scores as the outline of the drawing on the map.
    from_map = outline_from_latlng(drawing)
    from_svg = outline_from_svg_path(svg)
    assert shape_fidelity(from_svg, drawing, closed=True).score == pytest.approx(
        shape_fidelity(from_map, drawing, closed=True).score, abs=3)
