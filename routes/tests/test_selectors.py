"""The outline a route was planned to draw, for measuring a run's shape accuracy against it."""

import pytest

from routes.planner import shapes as shapes_module
from routes.selectors import route_outline
from routes.tests.factories import RouteFactory

pytestmark = pytest.mark.django_db


def test_outline_is_read_as_stored_and_never_parsed(monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("route_outline must not parse a drawing")

    monkeypatch.setattr(shapes_module, "parse_path", no_parsing)
    route = RouteFactory(mode="custom", custom_svg_path="M 0 0 L 100 0 L 100 100 Z",
                         outline=[[0, 100], [100, 100], [100, 0], [0, 100]], outline_closed=True)
    outline, closed = route_outline(route)
    assert closed is True
    assert outline.shape == (4, 2) and outline[1].tolist() == [100.0, 100.0]


def test_open_outline_stays_open():
    route = RouteFactory(mode="custom", outline=[[0, 0], [5, 5], [10, 0]], outline_closed=False)
    outline, closed = route_outline(route)
    assert closed is False and len(outline) == 3


@pytest.mark.parametrize("stored", [None, [], [[1, 2]], [[1, 2, 3], [4, 5, 6]]])
def test_missing_or_malformed_outline_falls_back_to_none(stored):
    # a route whose drawing could not be read: completion measures against the planned path instead
    route = RouteFactory(mode="custom", custom_svg_path="M 0 0 L 100 0 L 100 100 Z", outline=stored)
    assert route_outline(route) == (None, True)
