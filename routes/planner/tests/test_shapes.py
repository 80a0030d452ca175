"""The shape catalog and outline extraction."""

import numpy as np
import pytest

from routes.planner.geometry import LocalProjection, polyline_length
from routes.planner.shapes import (
    CATEGORIES,
    SHAPE_TEMPLATES,
    is_closed,
    outline_from_latlng,
    outline_from_svg_path,
)


def test_catalog_has_unique_slugs_and_all_categories():
    ids = [t.shape_id for t in SHAPE_TEMPLATES]
    assert len(ids) >= 12
    assert len(set(ids)) == len(ids)
    assert {t.category for t in SHAPE_TEMPLATES} == set(CATEGORIES)
    for template in SHAPE_TEMPLATES:
        assert template.shape_id == template.shape_id.lower().replace(" ", "-")
        assert template.name and template.name_ko and template.icon_name
        assert template.estimated_distance_km > 0


@pytest.mark.parametrize("template", SHAPE_TEMPLATES, ids=lambda t: t.shape_id)
def test_every_template_parses_to_a_sane_outline(template):
    outline = outline_from_svg_path(template.svg_path, spacing=1.0)
    assert outline.ndim == 2 and outline.shape[1] == 2 and len(outline) > 50
    assert outline.min() >= -1 and outline.max() <= 101  # stays in the viewBox
    span = outline.max(axis=0) - outline.min(axis=0)
    assert span.min() > 20  # not degenerate in either direction
    steps = np.hypot(*np.diff(outline, axis=0).T)
    assert steps.max() <= 1.0 + 1e-6
    assert np.median(steps) == pytest.approx(1.0, rel=0.05)
    if template.closed:
        assert np.allclose(outline[0], outline[-1])
        assert polyline_length(outline) > 150
    else:
        assert not np.allclose(outline[0], outline[-1])


def test_y_axis_is_flipped_to_point_up():
    # The heart's point is at the SVG bottom (y=88, y down) → low y in the y-up outline.
    heart = outline_from_svg_path(next(t.svg_path for t in SHAPE_TEMPLATES if t.shape_id == "heart"))
    assert heart[0] == pytest.approx([50, 12], abs=1e-6)
    assert heart[:, 1].max() == pytest.approx(95, abs=0.5)


def test_invalid_svg_path_raises_value_error():
    with pytest.raises(ValueError):
        outline_from_svg_path("M 10 10 Q")
    with pytest.raises(ValueError):
        outline_from_svg_path("M 10 10")


def test_custom_latlng_outline_in_metres_and_closure_detected():
    projection = LocalProjection(37.28, 127.045)
    square_m = np.array([[0, 0], [400, 0], [400, 400], [0, 400], [10, 15]], dtype=float)
    latlng = projection.to_latlng(square_m)
    outline = outline_from_latlng(latlng.tolist())
    assert np.allclose(outline[0], outline[-1])  # closed → ring
    span = outline.max(axis=0) - outline.min(axis=0)
    assert span == pytest.approx([400, 400], rel=0.01)

    open_stroke = projection.to_latlng(np.array([[0, 0], [300, 0], [300, 300]], dtype=float))
    assert not np.allclose(outline_from_latlng(open_stroke)[0], outline_from_latlng(open_stroke)[-1])


def test_is_closed_heuristic():
    assert is_closed(np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0.5, 0.8]]))
    assert not is_closed(np.array([[0, 0], [10, 0], [10, 10], [0, 10]]))
    assert not is_closed(np.array([[0, 0], [1, 1]]))


def test_custom_points_need_two_distinct_points():
    with pytest.raises(ValueError):
        outline_from_latlng([[37.0, 127.0]])
    with pytest.raises(ValueError):
        outline_from_latlng([[37.0, 127.0], [37.0, 127.0]])
