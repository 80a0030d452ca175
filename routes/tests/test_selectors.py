"""The outline a route was planned to draw, for measuring a run's shape accuracy against it."""

import numpy as np
import pytest

from routes.selectors import route_outline
from routes.tests.factories import RouteFactory

pytestmark = pytest.mark.django_db


def test_outline_of_a_shape_route_is_the_template(shapes):
    from routes.models import RouteShape

    heart = RouteShape.objects.get(shape_id="heart")
    outline, closed = route_outline(RouteFactory(mode="shape", shape=heart))
    assert closed is True and outline.shape[1] == 2 and len(outline) > 20


def test_outline_of_a_custom_svg_route_is_the_drawing():
    outline, closed = route_outline(RouteFactory(mode="custom", custom_svg_path="M 0 0 L 100 0 L 100 100 L 0 100 Z"))
    assert closed is True
    width, height = np.ptp(outline, axis=0)
    assert width == pytest.approx(height, rel=0.05)  # the square's proportions survive


def test_outline_of_an_open_custom_drawing_is_open():
    points = [[37.2800, 127.0400], [37.2810, 127.0410], [37.2800, 127.0420], [37.2810, 127.0430]]
    outline, closed = route_outline(RouteFactory(mode="custom", custom_points=points))
    assert closed is False and len(outline) >= 4


def test_unreadable_outline_falls_back_to_none():
    assert route_outline(RouteFactory(mode="custom", custom_svg_path="not a path")) == (None, True)
