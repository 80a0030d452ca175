"""Drawings as SVG path data are bounded whatever their coordinates (issue 12.2)."""

import time
import tracemalloc

import numpy as np
import pytest

from routes.models import Route
from routes.planner.shapes import (
    MAX_OUTLINE_POINTS,
    MAX_SVG_SEGMENTS,
    DrawingTooComplex,
    get_template,
    outline_from_svg_path,
)
from routes.tests.conftest import grid_centre

# The issue's reproduction: 34 characters that cost 17 s and +470 MB when sampled every 0.25 units.
HUGE_TRIANGLE = "M 0 0 L 1000000 0 L 1000000 1000 Z"


def _cost(svg_path: str):
    """(outline, CPU seconds, peak traced bytes); timed without tracemalloc, which slows Python code ~10x."""
    started = time.process_time()
    outline = outline_from_svg_path(svg_path)
    cpu_s = time.process_time() - started
    tracemalloc.start()
    try:
        outline_from_svg_path(svg_path)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outline, cpu_s, peak_bytes


def test_a_huge_drawing_is_normalised_into_the_box_cheaply():
    outline, cpu_s, peak_bytes = _cost(HUGE_TRIANGLE)
    assert cpu_s < 0.5
    assert peak_bytes < 20 * 1024 * 1024
    assert len(outline) <= MAX_OUTLINE_POINTS
    assert outline.min() >= -1e-9 and outline.max() <= 100 + 1e-9
    width, height = np.ptp(outline, axis=0)
    assert width == pytest.approx(100.0, abs=1.0) and height == pytest.approx(0.1, rel=0.01)  # its form survives
    assert np.allclose(outline[0], outline[-1])  # still a closed ring


def test_a_tiny_drawing_is_scaled_up_to_the_box():
    outline = outline_from_svg_path("M 0 0 L 0.001 0 L 0.001 0.001 L 0 0.001 Z")
    width, height = np.ptp(outline, axis=0)
    assert width == pytest.approx(100.0) and height == pytest.approx(100.0)
    steps = np.hypot(*np.diff(outline, axis=0).T)
    assert steps.max() <= 1.0 + 1e-6  # sampled at the box's spacing, not at 4 points
    assert len(outline) > 350


def test_a_drawing_already_in_the_box_keeps_its_coordinates():
    heart = outline_from_svg_path(get_template("heart").svg_path)
    assert heart[0] == pytest.approx([50, 12], abs=1e-6)  # the heart's point at SVG y=88, y up
    assert heart[:, 1].max() == pytest.approx(95, abs=0.5)
    # the same heart drawn 1000x larger and shifted is the same form, fitted into the box
    big = " ".join(str(float(t) * 1000 + 5000) if t.replace(".", "").isdigit() else t
                   for t in get_template("heart").svg_path.split())
    big_heart = outline_from_svg_path(big)
    assert np.ptp(big_heart, axis=0).max() == pytest.approx(100.0, abs=0.5)
    assert np.ptp(big_heart, axis=0)[1] / np.ptp(big_heart, axis=0)[0] == pytest.approx(
        np.ptp(heart, axis=0)[1] / np.ptp(heart, axis=0)[0], rel=0.02)


def test_samples_stay_bounded_for_the_largest_accepted_path():
    # every segment a huge arc, as many as allowed: the cost depends on neither size nor kind
    rng = np.random.default_rng(1)
    ends = rng.integers(0, 10**6, size=(MAX_SVG_SEGMENTS, 2))
    path = "M 0 0 " + " ".join(f"A 500000 300000 {i % 90} 1 {i % 2} {x} {y}" for i, (x, y) in enumerate(ends))
    outline, cpu_s, peak_bytes = _cost(path)
    assert len(outline) <= MAX_OUTLINE_POINTS
    assert cpu_s < 1.0
    assert peak_bytes < 30 * 1024 * 1024


def test_too_many_segments_is_refused_before_sampling():
    path = "M 0 0 " + " ".join(f"L {i % 2 * 100} {i}" for i in range(MAX_SVG_SEGMENTS + 1))
    with pytest.raises(DrawingTooComplex, match=f"at most {MAX_SVG_SEGMENTS}"):
        outline_from_svg_path(path)
    assert len(outline_from_svg_path("M 0 0 " + " ".join(
        f"L {i % 2 * 100} {i}" for i in range(MAX_SVG_SEGMENTS)))) <= MAX_OUTLINE_POINTS


@pytest.mark.parametrize("path", ["M 0 0 L 1e308 0 L -1e308 5 Z", "M 0 0 L 0 0 Z", "M 5 5", "M 1 1 Q"])
def test_non_finite_degenerate_or_broken_paths_are_value_errors(path):
    with pytest.raises(ValueError):
        outline_from_svg_path(path)


# --- through the API ----------------------------------------------------------------------------------------

def _svg_route_request(svg_path: str) -> dict:
    lat, lon = grid_centre()
    return {"mode": "custom", "svg_path": svg_path, "start_latitude": lat, "start_longitude": lon,
            "condition": "distance", "target_distance": 1.6}


@pytest.mark.django_db
def test_the_issue_path_plans_quickly_and_stores_the_normalised_outline(auth_client, grid_network):
    started = time.perf_counter()
    response = auth_client.post("/api/v1/routes", _svg_route_request(HUGE_TRIANGLE), format="json")
    elapsed_s = time.perf_counter() - started
    # a sliver 1000:1 may or may not be drawable on a grid; either answer is quick and in the envelope
    assert response.status_code in (201, 422), response.json()
    assert elapsed_s < 6.0  # the planner's own budget bounds it; the drawing costs ~1 ms
    if response.status_code == 201:
        route = Route.objects.get(pk=response.json()["data"]["id"])
        stored = np.asarray(route.outline)
        assert len(stored) <= MAX_OUTLINE_POINTS and stored.max() <= 100.0


@pytest.mark.django_db
def test_a_drawing_route_stores_its_outline(auth_client, grid_network):
    response = auth_client.post("/api/v1/routes", _svg_route_request("M 10 10 L 90 10 L 90 90 L 10 90 Z"),
                                format="json")
    assert response.status_code == 201, response.json()
    route = Route.objects.get(pk=response.json()["data"]["id"])
    stored = np.asarray(route.outline)
    assert route.outline_closed is True
    assert np.allclose(stored[0], stored[-1])
    assert stored.min() == pytest.approx(10.0) and stored.max() == pytest.approx(90.0)


@pytest.mark.django_db
def test_too_many_segments_is_a_400_in_the_envelope_and_stores_nothing(auth_client, grid_network):
    path = "M 0 0 " + " ".join(f"L {i % 2 * 9} {i % 97}" for i in range(MAX_SVG_SEGMENTS + 1))
    assert len(path) < 20_000  # within the request's character cap: the segment cap is what refuses it
    response = auth_client.post("/api/v1/routes", _svg_route_request(path), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert f"at most {MAX_SVG_SEGMENTS}" in error["fields"]["svg_path"][0]
    assert Route.objects.count() == 0


@pytest.mark.django_db
def test_a_shape_route_stores_the_template_outline(auth_client, grid_network, shapes):
    lat, lon = grid_centre()
    response = auth_client.post("/api/v1/routes", {
        "mode": "shape", "shape_id": "square", "start_latitude": lat, "start_longitude": lon,
        "condition": "distance", "target_distance": 1.6}, format="json")
    assert response.status_code == 201, response.json()
    route = Route.objects.get(pk=response.json()["data"]["id"])
    expected = outline_from_svg_path(get_template("square").svg_path)
    assert np.allclose(np.asarray(route.outline), expected, atol=1e-3)
