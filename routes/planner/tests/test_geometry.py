"""The geometry both engines share: projection, great-circle distance, resampling, distances to polylines."""

import numpy as np
import pytest

from routes.planner.geometry import (
    LocalProjection,
    densify_steps,
    haversine_m,
    latlng_to_local_xy,
    point_to_polyline_m,
    projection_for,
    resample_by_spacing,
)


def test_to_latlng_is_the_exact_inverse_of_to_xy():
    projection = LocalProjection(37.28, 127.04)
    lat = np.array([37.27, 37.28, 37.295])
    lon = np.array([127.03, 127.04, 127.06])
    back = projection.to_latlng(projection.to_xy(lat, lon))
    np.testing.assert_allclose(back, np.column_stack((lat, lon)), rtol=0, atol=1e-12)


def test_around_is_centred_on_the_mean_and_projection_for_on_the_bounding_box():
    lat = np.array([60.0, 60.0, 60.3])
    lon = np.array([24.0, 24.9, 24.9])
    around = LocalProjection.around(lat, lon)
    assert (around.origin_lat, around.origin_lon) == pytest.approx((60.1, 24.6), abs=1e-12)
    boxed = projection_for(np.column_stack((lat, lon)))
    assert (boxed.origin_lat, boxed.origin_lon) == pytest.approx((60.15, 24.45), abs=1e-12)
    xy = latlng_to_local_xy(np.column_stack((lat, lon)))
    np.testing.assert_allclose(xy.min(axis=0), -xy.max(axis=0))  # the bounding box centre is the origin


def test_projected_distances_agree_with_haversine_at_route_scale():
    projection = LocalProjection(37.28, 127.04)
    lat2, lon2 = 37.28 + 0.009, 127.04 + 0.011  # ~1 km north, ~1 km east
    planar = float(np.hypot(*projection.to_xy(lat2, lon2)))
    assert planar == pytest.approx(float(haversine_m(37.28, 127.04, lat2, lon2)), rel=1e-3)
    assert float(haversine_m(0.0, 0.0, 0.0, 1.0)) == pytest.approx(111_195.0, rel=1e-4)  # a degree of equator


def test_resample_by_spacing_keeps_both_ends_and_an_even_spacing():
    line = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [10.0, 10.0]])  # with a zero-length step
    samples = resample_by_spacing(line, 5.0)
    np.testing.assert_allclose(samples[[0, -1]], [[0.0, 0.0], [10.0, 10.0]])
    np.testing.assert_allclose(np.hypot(*np.diff(samples, axis=0).T), 5.0)


def test_distance_to_a_polyline_is_to_its_segments():
    path = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]])
    assert point_to_polyline_m(np.array([50.0, 20.0]), path) == pytest.approx(20.0)  # beside a segment
    assert point_to_polyline_m(np.array([-30.0, -40.0]), path) == pytest.approx(50.0)  # past an end
    assert point_to_polyline_m(np.array([3.0, 4.0]), path[:1]) == pytest.approx(5.0)  # a single point


def test_densify_steps_fills_connected_steps_only():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 0.0]])
    dense = densify_steps(xy, np.array([True, False]), 2.5)
    assert len(dense) == 3 + 3  # 2.5, 5 and 7.5 m inside the first step; nothing across the gap
    assert sorted(dense[3:, 0].tolist()) == [2.5, 5.0, 7.5]
