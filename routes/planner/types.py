"""Plain data types of the planner's interface (no Django, numpy arrays inside)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .fidelity import Fidelity

SAFETY_SIGNAL_LIT = "lit"
SAFETY_SIGNAL_ROAD_CLASS = "road_class"


class PlannerError(Exception):
    """Base class of the planner's errors."""


class RouteNotFound(PlannerError):
    """No option within ±10 % of the target length (and under 25 % retraced) could be drawn near the start.

    API: 422 route_not_found, or route_planning_timeout when `out_of_time` (the CPU budget ended the search
    before any placement came out within the tolerance).
    """

    def __init__(self, message: str = "", *, out_of_time: bool = False):
        super().__init__(message)
        self.out_of_time = out_of_time


class StartOutsideNetwork(PlannerError):
    """The start point is not covered by the road network given. API: 422 no_road_network."""


@dataclass(frozen=True)
class PlanRequest:
    """What to draw, where, and how long.

    outline_xy: (N, 2) planar outline, any unit, y up (e.g. `shapes.template_outline(...)` or
        `outline_from_latlng(...)`); its absolute size and position are ignored, only its form counts.
    closed: the outline is a closed figure → each option is a loop from and back to the start. Open figures
        start at the start point and end where the figure ends.
    start_lat, start_lon: degrees (WGS84).
    target_length_m: wanted route length in metres (see `target_length_from_duration` for durations).
    options_count: 1..5 options wanted (fewer may come back if fewer distinct good ones exist).
    safety_mode: prefer lit ways (where `lit` is mapped) or main streets and park paths (where it is not).
    time_budget_s: CPU seconds of the planning thread (`time.thread_time()`) the search may use; it then
        returns the best found so far. CPU, not wall time: on a busy machine the answer comes later but is
        the same search.
    wall_limit_s: a wall-clock cap on top (None = none), so a starved process still answers.
    verify_suggestion: when the best option is not recognisable, check the length to suggest by planning it
        (a probe with part of the budget, on top of it) and suggest it only if it draws the figure
        recognisably; False: the unchecked estimate (the probe itself plans with False).
    max_rotation_deg: how far the figure may be turned from upright to fit the streets (a heart at 90° is
        no longer read as a heart; 180 allows any turn).
    """

    outline_xy: np.ndarray
    start_lat: float
    start_lon: float
    target_length_m: float
    closed: bool = True
    options_count: int = 3
    safety_mode: bool = False
    time_budget_s: float = 1.0
    max_rotation_deg: float = 45.0
    wall_limit_s: float | None = None
    verify_suggestion: bool = True


@dataclass(frozen=True)
class Placement:
    """Where the figure sits on the map, for `planner.plan_at_placement` (live drag / turn / resize).

    center_lat, center_lon: the figure's centre (the centroid of its outline), degrees WGS84.
    rotation_deg: counter-clockwise turn from upright, degrees.
    perimeter_m: the outline's perimeter in metres (its size); None = sized so that the whole run (figure plus
        approach from and back to the start) matches the request's `target_length_m`.
    """

    center_lat: float
    center_lon: float
    rotation_deg: float = 0.0
    perimeter_m: float | None = None


@dataclass(frozen=True)
class PlannedRoute:
    """One ranked option.

    coordinates: (M, 2) [lat, lng] float64 along graph nodes; a closed option ends at its first point.
    node_ids: (M,) graph node indices; every consecutive pair is an edge of the graph.
    distance_m: route length in metres (sum of its edges).
    fidelity: `shape_fidelity` of the route against the outline.
    length_error: |distance_m - target| / target.
    lit_ratio: share of the length on ways tagged lit=yes, or None where the area has (almost) no lit tags.
    safety_signal: "lit" or "road_class" when safety mode shaped the route (which signal), else None.
    rank: 1 = best.
    outline_latlng: (K, 2) the intended figure as placed on the map (for previews/debugging).
    retrace_share: share of the FIGURE's length on edges it already used earlier (the approach and its way
        back are reported apart, in approach_length_m).
    rotation_deg: the figure's turn from upright (counter-clockwise degrees).
    recognisability: 0..100, how clearly the figure shows its shape rather than another catalogue figure
        (`recognisability` module); also in fidelity.recognisability. Options are ranked by it.
    recognisable: False when the request is shorter than the smallest length at which this figure can be
        drawn recognisably near this start (see min_recognisable_length_m); the option is still returned.
    approach_length_m: metres of the approach from the start to the figure plus the way back (0 when the
        figure passes through the start).
    figure_range: (i, j) indices into `coordinates`: coordinates[i:j + 1] is the figure itself; before i the
        approach, after j the way back. (0, M - 1) when there is no approach.
    figure_center_latlng: the placed figure's centre [lat, lng] (feed it back as a `Placement`).
    figure_perimeter_m: the placed outline's perimeter in metres (feed it back as `Placement.perimeter_m`).
    min_recognisable_length_m: the length to suggest when the option is not recognisable: the engine's
        estimate of the smallest route length at which this figure is recognisable near this start, or a
        larger one after a failed try, at most the longest whose figure fits in the network (None when not
        estimated, or when nothing clearly longer than the request fits).
    """

    coordinates: np.ndarray
    node_ids: np.ndarray
    distance_m: float
    fidelity: Fidelity
    length_error: float
    lit_ratio: float | None
    safety_signal: str | None
    rank: int
    outline_latlng: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 2)))
    retrace_share: float = 0.0
    rotation_deg: float = 0.0
    recognisability: float = 0.0
    recognisable: bool = True
    approach_length_m: float = 0.0
    figure_range: tuple[int, int] = (0, -1)
    figure_center_latlng: tuple[float, float] | None = None
    figure_perimeter_m: float = 0.0
    min_recognisable_length_m: float | None = None
