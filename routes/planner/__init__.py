"""RunnerWay route-planning engine: pure Python (numpy/scipy/osmium), no Django imports.

Public interface (details in each module's docstrings):

* `graph.RoadGraph` — the walkable network as arrays; `.save(path)` / `RoadGraph.load(path)` (one
  memory-mapped file), `.covers(lat, lon)`, `.nearest_node(lat, lon)`, `.bbox`, `.meta`, `.places`
* `osm_import.build_graph_from_osm(path, progress=None)` — .osm / .osm.bz2 / .osm.pbf → RoadGraph
* `shapes.SHAPE_TEMPLATES`, `outline_from_svg_path`, `outline_from_latlng`, `is_closed`
* `fidelity.shape_fidelity(outline_xy, route_latlng, *, closed=True) -> Fidelity`
* `planner.plan_routes(graph, PlanRequest) -> list[PlannedRoute]`, raising `RouteNotFound` /
  `StartOutsideNetwork`; `estimate_duration_s`, `target_length_from_duration`
* `planner.plan_at_placement(graph, PlanRequest, Placement) -> PlannedRoute`: the figure snapped at an
  explicit centre / rotation / size (live drag), with its approach from the start
* `recognisability.recognisability(outline_xy, route_xy, *, closed)`: the score options are ranked by
"""

from .fidelity import Fidelity, shape_fidelity
from .geometry import LocalProjection, latlng_to_local_xy
from .graph import HighwayClass, RoadGraph
from .osm_import import build_graph_from_osm
from .planner import estimate_duration_s, plan_at_placement, plan_routes, target_length_from_duration
from .shapes import (
    SHAPE_TEMPLATES,
    ShapeTemplate,
    get_template,
    is_closed,
    outline_from_latlng,
    outline_from_svg_path,
    template_outline,
)
from .types import Placement, PlannedRoute, PlannerError, PlanRequest, RouteNotFound, StartOutsideNetwork

__all__ = [
    "SHAPE_TEMPLATES",
    "Fidelity",
    "HighwayClass",
    "LocalProjection",
    "Placement",
    "PlanRequest",
    "PlannedRoute",
    "PlannerError",
    "RoadGraph",
    "RouteNotFound",
    "ShapeTemplate",
    "StartOutsideNetwork",
    "build_graph_from_osm",
    "estimate_duration_s",
    "get_template",
    "is_closed",
    "latlng_to_local_xy",
    "outline_from_latlng",
    "outline_from_svg_path",
    "plan_at_placement",
    "plan_routes",
    "shape_fidelity",
    "target_length_from_duration",
    "template_outline",
]
