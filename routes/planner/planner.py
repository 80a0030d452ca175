"""Shape-route planner: draw an outline with walkable streets around a start point.

Algorithm (DESIGN.md "The route planner"):

1. Crop the network to a disc around the start that any placement of the figure fits in (a loop of length L
   never goes further than L/2 from its start).
2. Normalise the outline to unit perimeter. Placements come in two kinds: through the start (rotation within
   +-`max_rotation_deg` x anchor, the outline point on the start: corners and evenly spaced points) and away
   from it (rotation x centre on a lattice around the start, the figure's nearest point within
   `approach_reach_m` = min(15 % of the target, 600 m) of the start, sized so approach there and back plus the
   figure make the target). All are pre-scored by how well streets running in the same direction lie along
   the figure's edges; the best, mutually different ones are routed, two through the start for one away.
3. Routing one placement at scale s (metres of outline perimeter): edges in a corridor around the placed
   outline get cost = length x (1 + ALPHA * min((d / TAU)^2, CAP)) x safety/class factor, d = distance of the
   edge midpoint to the outline. Waypoints (corners + every ~1/20 of the perimeter) snap to nearby junctions
   and scipy's C Dijkstra (one call, all waypoints as sources, with a cost limit) joins them leg by leg; a
   waypoint whose leg would be a long detour is skipped. A closed figure returns to the start node.
4. Clean-up: legs that run over streets another leg already uses are routed again with those edges made
   dearer; out-and-back spurs (a -> b -> a) and short cycles ("teeth") are cut, except where they draw a
   feature corner of the figure (a star's tip) and that version scores better. An off-start figure gets the
   shortest street path from the start to its entry junction, run there and back (`figure_range`).
5. The scale is calibrated with secant steps until the length is within 6 % of the target (3 % for an explicit
   placement): routings saved there go to more placements.
6. Candidates are ranked by a quick score (sqrt(trace score x coarse recognisability)). The best distinct
   ones are re-routed once towards the outline as similarity-fitted to their own route (an EM-style step),
   scored with `shape_fidelity` on the figure part (recognisability-led), kept if within +-10 % of the target
   (approach included) and under 25 % retraced, and ranked by fidelity minus penalties for length error,
   approach share (through-start figures win at equal score) and unsafe ways in safety mode. Each option is
   marked `recognisable` against `min_recognisable_length_m` (junction spacing near the start).
7. `plan_at_placement` routes one explicit placement (live drag): steps 3-4 at that centre/rotation/size.

Cost: a routed placement is a few Dijkstra runs on the corridor subgraph, ~10-40 ms; a request routes about
ten placements, so 0.3-1.5 s on 2 cores for 3-5 km figures on a district graph.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from .fidelity import fidelity_of_placed, shape_fidelity
from .geometry import LocalProjection, polyline_length, resample_by_count, resample_by_spacing
from .graph import FLAG_PARK, LIT_NO, LIT_UNKNOWN, LIT_YES, HighwayClass, RoadGraph
from .outline_fit import fit_outline_to_route
from .recognisability import recognisability
from .types import (
    SAFETY_SIGNAL_LIT,
    SAFETY_SIGNAL_ROAD_CLASS,
    Placement,
    PlannedRoute,
    PlannerError,
    PlanRequest,
    RouteNotFound,
    StartOutsideNetwork,
)

__all__ = [
    "Placement",
    "PlanRequest",
    "PlannedRoute",
    "PlannerError",
    "RouteNotFound",
    "StartOutsideNetwork",
    "estimate_duration_s",
    "plan_at_placement",
    "plan_routes",
    "target_length_from_duration",
]

# --- paces ----------------------------------------------------------------------------------------
# Seconds per km. Running: 7:00 is a conversational recreational pace, 6:00 the typical amateur 10 km pace,
# 5:00 a tempo effort (the median recreational runner logs ~6:00-6:30/km). Walking: 12:00/km = 5 km/h, the
# usual comfortable walking speed; 10:30 ≈ 5.7 km/h purposeful; 9:00 ≈ 6.7 km/h brisk/power walking.
RUNNING_PACE_S_PER_KM = {"easy": 420.0, "normal": 360.0, "hard": 300.0}
WALKING_PACE_S_PER_KM = {"easy": 720.0, "normal": 630.0, "hard": 540.0}
PACES_S_PER_KM = {"running": RUNNING_PACE_S_PER_KM, "walking": WALKING_PACE_S_PER_KM}

# --- length tolerances ----------------------------------------------------------------------------
LENGTH_TOLERANCE = 0.10  # options outside ±10 % of the target are never returned
CALIBRATION_TOLERANCE = 0.03  # stop calibrating the scale once within ±3 %
# The search stops calibrating a placement sooner, once within ±6 % (ranking costs 50 points per unit of length
# error, so 3 points at most): on irregular streets the length jumps with the size, and the routings saved go
# to more placements, where the figures that read are found (more placements raised the best on Suwon).
SEARCH_CALIBRATION_TOLERANCE = 0.06
MAX_CALIBRATION_STEPS = 4
# Live placement sized to a distance routes the figure at most 6 times (the first guess already subtracts the
# approach; the approach itself changes with the size, and street blocks make the length jump): ~30 ms a
# routing on a 50k-node district, so even 6 stay well inside ROUTE_PLACE_TIME_BUDGET_S; it stops at ±3 %.
PLACEMENT_CALIBRATION_STEPS = 6

# --- routing cost ---------------------------------------------------------------------------------
TAU_M = 30.0  # distance from the outline at which an edge costs (1 + ALPHA) times its length
ALPHA = 1.5
CAP = 30.0  # (d/TAU)^2 capped: far edges cost at most ~46x, so a gap in the network can still be bridged
STEPS_FACTOR = 1.3  # stairs are slower and break a running rhythm
WAYPOINTS_PER_FIGURE = 20
LEG_LIMIT_FACTOR = 6.0  # Dijkstra cost limit per leg, in multiples of the longest leg's straight length
CORRIDOR_MIN_M = 500.0  # only edges this close to the outline (or CORRIDOR_SHARE of its perimeter) are used
CORRIDOR_SHARE = 0.2
DETOUR_MAX_RATIO = 2.5  # a leg longer than 2.5 x its straight line + 150 m drops its waypoint
DETOUR_SLACK_M = 150.0
REUSE_PENALTY = 4.0  # cost multiplier on edges another leg already uses, when a leg is routed again
SHORT_LOOP_MAX_M = 300.0  # small cycles shorter than this (and than 8 % of the figure) are cut
SHORT_LOOP_SHARE = 0.08
RETRACE_REROUTE_SHARE = 0.02  # re-route legs when more than 2 % of the length runs over streets twice
MIN_WAYPOINT_SPACING_M = 80.0
SNAP_CANDIDATES = 32  # nearest nodes examined per waypoint
SNAP_MAX_M = 60.0  # a waypoint with no node this close is skipped: the corridor cost still pulls the path
CORNER_TURN_DEG = 30.0
FEATURE_TURN_DEG = 60.0  # corners turning this much are the figure's features (kept by spur/teeth removal)

# --- safety ---------------------------------------------------------------------------------------
# Use `lit` as the safety signal where at least 25 % of the nearby network length has a lit tag.
LIT_SIGNAL_MIN_SHARE = 0.25
# Below 5 % tagged, a lit ratio would be noise: report None.
LIT_RATIO_MIN_SHARE = 0.05
LIT_FACTORS = {LIT_YES: 1.0, LIT_UNKNOWN: 1.4, LIT_NO: 2.0}
# Where lit is unmapped (Korea): main streets (lit, busy, with shops) and park paths are preferred; service
# alleys and tracks (dark, no passers-by) avoided.
ROAD_CLASS_FACTORS = {
    HighwayClass.PRIMARY: 1.0, HighwayClass.PRIMARY_LINK: 1.0, HighwayClass.SECONDARY: 1.0,
    HighwayClass.SECONDARY_LINK: 1.0, HighwayClass.TERTIARY: 1.0, HighwayClass.TERTIARY_LINK: 1.0,
    HighwayClass.PEDESTRIAN: 1.0, HighwayClass.CONNECTOR: 1.0, HighwayClass.LIVING_STREET: 1.15,
    HighwayClass.RESIDENTIAL: 1.15, HighwayClass.UNCLASSIFIED: 1.2, HighwayClass.FOOTWAY: 1.15,
    HighwayClass.PATH: 1.3, HighwayClass.CYCLEWAY: 1.15, HighwayClass.SERVICE: 1.8, HighwayClass.TRACK: 1.6,
    HighwayClass.STEPS: 1.5, HighwayClass.OTHER: 1.3,
}
PARK_PATH_FACTOR = 1.0
# Ranking in safety mode: fidelity points lost per unit of mean extra safety cost (an all-unlit route, factor
# 2, loses 30 points; an all-service-alley one 24).
SAFETY_RANK_WEIGHT = 30.0

# --- search ---------------------------------------------------------------------------------------
MIN_BUDGET_S = 0.2  # CPU seconds: below this not even one placement can be routed on a district graph
# Shares of the request's CPU budget: routing placements, then re-routing the chosen towards their fitted
# outlines; the exact scoring of the chosen few (~30-60 ms each) takes the rest.
SEARCH_SHARE = 0.6
REFINE_SHARE = 0.75
# Quick score (sqrt(trace x recognisability) + 0.2 x trace) of a candidate that reads clearly: recognisability
# ~80 with a trace score ~80. The search stops once options_count + 1 candidates reach it.
GOOD_ENOUGH_QUICK_SCORE = 95.0
ROTATION_STEP_DEG = 15.0
REFINE_ROUNDS = 1  # EM-style re-routing rounds towards the fitted outline for the chosen candidates
# Placements routed per request at most (plus options_count). On a district graph the CPU budget or the early
# stop ends the search first; on a small irregular network (Suwon: ~20 ms a placement) a low cap did, with
# most of the budget unused. There the alignment pre-score hardly predicts which placement draws the figure
# (rank correlation with the exact recognisability -0.1..+0.05 over 600 routed placements) and the few that
# read sit deep in the list (a 2 km star at 92 was the 47th-52nd routed), so more placements find more: 16 -> 48
# raised the mean best of 48 Suwon plans from 41 to 45 at CPU p50 0.39 -> 0.79 s, inside the 1 s budget.
MAX_ROUTED_PLACEMENTS = 48
EVEN_ANCHORS = 12
PRESCORE_CAP_M = 80.0
SPREAD_HEAD = 80
QUICK_TRACE_WEIGHT = 0.2
PRESCORE_SAMPLES = 100  # outline samples per pre-scored placement (hundreds of placements per request)
DETOUR_GUESS = 1.2  # streets add ~20 % to a figure's perimeter (first guess; learned per request)
DUPLICATE_OVERLAP = 0.5  # options sharing over half their length are near-copies
RANK_LENGTH_PENALTY = 50.0  # fidelity points per unit of length error when ranking
MAX_SCORE_GAP_TO_BEST = 25.0  # options ranking this many points below the best are dropped
# Ranking: fidelity points lost per unit of approach share, so a figure through the start wins at equal
# score (an approach of 20 % of the run costs 2 points).
RANK_APPROACH_PENALTY = 10.0
# An option running a quarter of its length over streets it already ran is an out-and-back, not a drawing.
MAX_RETRACE_SHARE = 0.25

# --- placement away from the start ----------------------------------------------------------------
# A figure may sit with its nearest point up to 15 % of the target length (at most 600 m) from the start: the
# approach there and back then takes at most ~30 % of the run, and the figure keeps most of the length.
APPROACH_REACH_SHARE = 0.15
APPROACH_REACH_MAX_M = 600.0
# Along streets the approach is longer than the straight gap: options spending over 35 % of the run on it
# are dropped from the search (an explicit placement reports it instead).
MAX_APPROACH_SHARE = 0.35
OFFSTART_LATTICE_PER_PERIMETER = 12.0  # centre lattice spacing = perimeter / 12 (a 3 km figure: ~210 m)
OFFSTART_MIN_SPACING_M = 60.0
# Pre-score handicap (metres of alignment cost) of an off-start placement: through the start wins at equal fit.
OFFSTART_PRESCORE_PENALTY_M = 2.0
# recognisable = recognisability >= 60 (on the contact sheets, where options start to read as their figure
# without being told which it is) and the target is at least the estimated minimum length.
RECOGNISABLE_MIN_SCORE = 60.0
# When a request at or above the estimate still comes out unrecognisable, suggest 1.5x the target (at most
# the longest run whose figure fits in the network, `longest_fitting_length_m`).
UNRECOGNISABLE_GROWTH = 1.5
# The suggestion is checked by planning it with 30 % of the request's budget, on top of it: an unrecognisable
# answer costs up to 1.3x the budget, which keeps a request near the second of CPU it may take. A suggestion
# that still does not read is dropped.
SUGGESTION_PROBE_SHARE = 0.3
# Resolution estimate (`min_recognisable_length_m`): junction spacing within 400 m of the start; the finest
# feature must span 3 spacings; smooth figures (no corners) count as an octagon.
RESOLUTION_RADIUS_M = 400.0
FEATURE_JUNCTIONS = 3.0
SMOOTH_FEATURE_SHARE = 0.125
# An explicit placement's centre may be up to this far from the start (or half the target length, if more).
MAX_PLACEMENT_DISTANCE_M = 3000.0
# A live placement also routes the figure shifted by half a block each way and turned a little, and keeps the
# one that reads best (`_snapped_nearby`), within a fifth of ROUTE_PLACE_TIME_BUDGET_S (100 ms): ~13 ms a routing.
SNAP_SHIFT_M = 50.0
SNAP_TURN_DEG = 8.0
SNAP_TRIALS = ((1, 0, 0.0), (-1, 0, 0.0), (0, 1, 0.0), (0, -1, 0.0), (0, 0, SNAP_TURN_DEG), (0, 0, -SNAP_TURN_DEG))
PLACEMENT_SNAP_SHARE = 0.2
SNAP_MIN_GAIN = 2.0  # quick-score points a shifted or turned figure must gain over the one where it was dropped
SNAP_MAX_MOVE_M = 2 * SNAP_SHIFT_M  # the refit of a snapped figure moves its centre at most this far
SNAP_MAX_RESIZE = 0.15  # and, with the size chosen by the runner, changes it by at most ±15 %
# A figure passing within 60 m (the snapping radius) of the start is entered there: no approach.
ON_FIGURE_M = SNAP_MAX_M


@dataclass(frozen=True)
class _Deadline:
    """When a stage of the search must stop: at `cpu` seconds of the planning thread's CPU time
    (`time.thread_time()`: the request's own CPU, which is `time.process_time()` in a single-threaded process;
    the process clock would also count the threads beside it, e.g. the start's geocoding or another request
    in a threaded worker) or at `wall` on the wall clock (a cap for a starved process), whichever first. The
    budget is CPU, so a busy machine slows the answer but does not shorten the search."""

    cpu: float
    wall: float = math.inf

    def passed(self) -> bool:
        return time.thread_time() > self.cpu or time.perf_counter() > self.wall

    @staticmethod
    def for_request(request: PlanRequest) -> tuple[_Deadline, float, float]:
        """The request's whole deadline, and the CPU / wall instants it started at."""
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        budget = max(MIN_BUDGET_S, float(request.time_budget_s))
        wall = math.inf if request.wall_limit_s is None else wall0 + max(budget, float(request.wall_limit_s))
        return _Deadline(cpu0 + budget, wall), cpu0, wall0

    def share(self, cpu0: float, wall0: float, fraction: float) -> _Deadline:
        """The deadline at `fraction` of the way from (cpu0, wall0) to this one."""
        return _Deadline(cpu0 + (self.cpu - cpu0) * fraction,
                         wall0 + (self.wall - wall0) * fraction if math.isfinite(self.wall) else math.inf)


def estimate_duration_s(distance_m: float, activity: str = "running", intensity: str = "normal") -> int:
    """Expected duration in whole seconds of `distance_m` at the pace of activity ('running'|'walking') and
    intensity ('easy'|'normal'|'hard'). Raises ValueError for unknown activity/intensity."""
    return round(distance_m / 1000.0 * _pace(activity, intensity))


def target_length_from_duration(duration_s: float, activity: str = "running",
                                intensity: str = "normal") -> float:
    """Inverse of `estimate_duration_s`: metres covered in `duration_s` seconds at that pace."""
    return float(duration_s) / _pace(activity, intensity) * 1000.0


def _pace(activity: str, intensity: str) -> float:
    try:
        return PACES_S_PER_KM[activity][intensity]
    except KeyError:
        raise ValueError(f"unknown activity/intensity {activity!r}/{intensity!r}") from None


# ==================================================================================================
@dataclass
class _Area:
    """The cropped network around the start, in metres relative to the start node."""

    nodes: np.ndarray  # global node ids of the crop
    node_xy: np.ndarray  # (n, 2) metres, start node at the origin
    start: int  # local index of the start node
    edge_ids: np.ndarray  # global edge ids
    edge_u: np.ndarray  # local node indices
    edge_v: np.ndarray
    length_m: np.ndarray
    mid_xy: np.ndarray
    factor: np.ndarray  # safety / class multiplier
    lit: np.ndarray
    lit_tagged_share: float
    safety_signal: str | None
    node_tree: cKDTree = None  # type: ignore[assignment]
    projection: LocalProjection | None = None  # centred on the start node: node_xy = projection.to_xy(lat, lon)
    # The request's outline (normalised, upright): what recognisability compares routes with. Passing the
    # placed outline instead would miss the per-outline cache at every new rotation.
    figure_outline: np.ndarray | None = None
    _matrix: csr_matrix | None = None
    predecessors_from: dict = dataclasses.field(default_factory=dict)
    _degree: np.ndarray | None = None
    edge_key_sorted: np.ndarray = None  # type: ignore[assignment]
    edge_key_order: np.ndarray = None  # type: ignore[assignment]

    @property
    def matrix(self) -> csr_matrix:
        """The crop as a symmetric sparse matrix of length x safety factor (built on first use)."""
        if self._matrix is None:
            weight = np.maximum(self.length_m * self.factor, 1e-3)
            self._matrix = _symmetric_matrix(self.edge_u, self.edge_v, weight, len(self.node_xy))
        return self._matrix

    @property
    def degree(self) -> np.ndarray:
        if self._degree is None:
            self._degree = np.bincount(np.concatenate([self.edge_u, self.edge_v]), minlength=len(self.node_xy))
        return self._degree

    def local_edges_along(self, local_nodes: np.ndarray) -> np.ndarray:
        """Indices into the crop's edge arrays for consecutive node pairs (they are always edges)."""
        if self.edge_key_sorted is None:
            n_nodes = len(self.node_xy)
            keys = np.minimum(self.edge_u, self.edge_v) * n_nodes + np.maximum(self.edge_u, self.edge_v)
            self.edge_key_order = np.argsort(keys)
            self.edge_key_sorted = keys[self.edge_key_order]
        u, v = local_nodes[:-1], local_nodes[1:]
        query = np.minimum(u, v) * len(self.node_xy) + np.maximum(u, v)
        pos = np.minimum(np.searchsorted(self.edge_key_sorted, query), len(self.edge_key_sorted) - 1)
        return self.edge_key_order[pos]


@dataclass
class _Candidate:
    """A routed placement. Its figure may come in variants (spurs at the figure's features cut, or kept as
    out-and-back tips); `_scored` picks the one with the better quick score. Until then cheap_score is NaN
    and the nodes are those of the first variant: calibration steps only need the length."""

    local_nodes: np.ndarray
    length_m: float
    outline_m: np.ndarray  # placed outline (metres, start at origin), ring closed if closed
    rotation_deg: float
    cheap_score: float = math.nan  # quick score minus the safety penalty in safety mode
    safety_cost: float = 0.0  # length-weighted mean of (safety factor - 1) along the route
    # The figure is local_nodes[figure_range[0]:figure_range[1] + 1]; before it the approach from the start,
    # after it the way back. (0, len - 1) when the figure passes through the start.
    figure_range: tuple[int, int] | None = None
    approach_m: float = 0.0
    centre_xy: np.ndarray | None = None  # placed figure's centre, metres from the start node
    perimeter_m: float = 0.0  # placed outline's perimeter
    approach_nodes: np.ndarray | None = None  # start .. figure entry (one node when on the figure)
    figure_variants: tuple[np.ndarray, ...] = ()
    figure_m: float = 0.0


@dataclass
class _Detour:
    """Route length per metre of outline perimeter on this network, learned from the request's routings (the
    first guess is DETOUR_GUESS): the next placement starts at a scale close to its target, so it needs
    fewer calibration steps."""

    ratios: list[float] = dataclasses.field(default_factory=list)

    @property
    def ratio(self) -> float:
        return float(np.median(self.ratios)) if self.ratios else DETOUR_GUESS

    def learn(self, cand: _Candidate) -> None:
        if cand.perimeter_m > 0 and cand.figure_m > 0:
            self.ratios.append(cand.figure_m / cand.perimeter_m)


def plan_routes(graph: RoadGraph, request: PlanRequest) -> list[PlannedRoute]:
    """Plan up to `request.options_count` ranked options drawing the outline near the start.

    Placements are searched both through the start and away from it (the figure's nearest point within
    `approach_reach_m(target)` of the start, reached by an approach run there and back). They are pre-scored
    by street alignment and routed best first until the CPU budget's search share is used, MAX_ROUTED_PLACEMENTS
    are routed, or enough distinct candidates already read clearly (GOOD_ENOUGH_QUICK_SCORE). Options are
    ranked by `shape_fidelity` (recognisability-led) minus length, approach and safety penalties; each is
    within ±10 % of the target length (approach included). Each option carries `recognisable` and the
    engine's `min_recognisable_length_m` for this figure near this start; when the best is not recognisable,
    that length is the one to suggest, checked by planning it (`_verified_suggestion`), or None.
    `request.time_budget_s` is the planning thread's CPU time (`_Deadline`); `request.wall_limit_s` caps the
    wall clock.
    Raises StartOutsideNetwork when the graph does not cover the start, RouteNotFound when no option within
    the tolerance was found in the time budget, ValueError for an invalid request.
    """
    deadline, cpu0, wall0 = _Deadline.for_request(request)
    outline, target_m = _validated(graph, request)
    options_count = int(request.options_count)

    unit_outline, corner_idx = _normalised_outline(outline, request.closed)
    start_node, _ = graph.nearest_node(request.start_lat, request.start_lon)
    reach_m = target_m * (0.5 if request.closed else 1.0) * 1.15 + approach_reach_m(target_m) + 300.0
    area = _crop(graph, start_node, reach_m, request.safety_mode)
    area.figure_outline = outline

    # Search gets 60 % of the budget, refinement up to 75 %; scoring the chosen few takes the rest.
    search_deadline = deadline.share(cpu0, wall0, SEARCH_SHARE)
    placements = _all_placements(area, unit_outline, corner_idx, request, target_m)
    candidates: list[_Candidate] = []
    detour = _Detour()
    max_routed = MAX_ROUTED_PLACEMENTS + options_count
    for routed, placement in enumerate(placements):
        if (routed >= max_routed or search_deadline.passed()
                or _enough_clear(candidates, options_count, target_m)):
            break
        if placement.anchor is not None:
            cand = _route_with_calibration(area, unit_outline, corner_idx, placement.rotation_deg,
                                           placement.anchor, request.closed, target_m, detour=detour,
                                           deadline=search_deadline)
        else:
            # The pre-score sized the figure with DETOUR_GUESS; the network's own detour is known by now.
            perimeter = placement.perimeter_m * DETOUR_GUESS / detour.ratio
            cand = _route_at_centre(area, unit_outline, corner_idx, placement.centre_xy, placement.rotation_deg,
                                    perimeter, request.closed, target_m, deadline=search_deadline,
                                    detour=detour, tolerance=SEARCH_CALIBRATION_TOLERANCE)
        if cand is not None:
            candidates.append(_scored(area, cand, request.closed, target_m))

    within = [c for c in candidates if _within_tolerance(c, target_m)]
    if not within:
        raise RouteNotFound("no route within ±10 % of the target length could be drawn here",
                            out_of_time=search_deadline.passed())
    within.sort(key=lambda c: _candidate_key(c, target_m), reverse=True)
    chosen = _pick_diverse(graph, area, within, options_count)
    refine_deadline = deadline.share(cpu0, wall0, REFINE_SHARE)
    for _ in range(REFINE_ROUNDS):
        chosen = [_refine(area, cand, request.closed, target_m, deadline=refine_deadline) for cand in chosen]
    chosen.sort(key=lambda c: _candidate_key(c, target_m), reverse=True)
    options = _finalise(graph, area, chosen, outline, request, target_m, deadline=deadline)
    min_length_m = min_recognisable_length_m(area, unit_outline, corner_idx, request.closed)
    longest_m = longest_fitting_length_m(graph, unit_outline, detour.ratio)
    options = [_with_recognisable(option, target_m, min_length_m, longest_m) for option in options]
    if request.verify_suggestion and not options[0].recognisable:
        suggested = _verified_suggestion(graph, request, options[0].min_recognisable_length_m)
        options = [option if option.recognisable else dataclasses.replace(option, min_recognisable_length_m=suggested)
                   for option in options]
    return options


def _verified_suggestion(graph: RoadGraph, request: PlanRequest, suggested_m: float | None) -> float | None:
    """The length to suggest, checked: planned once (one option, SUGGESTION_PROBE_SHARE of the request's
    budget, on top of it) it must come out recognisable (score and estimate), else None. The unchecked
    estimate is a guess from the junction spacing (and 1.5x the target when the streets drew the figure less
    clearly than it promised); a suggestion the runner follows must not fail again."""
    if suggested_m is None:
        return None
    wall = None if request.wall_limit_s is None else SUGGESTION_PROBE_SHARE * float(request.wall_limit_s)
    probe = dataclasses.replace(request, target_length_m=float(suggested_m), options_count=1,
                                time_budget_s=SUGGESTION_PROBE_SHARE * float(request.time_budget_s),
                                wall_limit_s=wall, verify_suggestion=False)
    try:
        best = plan_routes(graph, probe)[0]
    except (RouteNotFound, ValueError):
        return None
    return suggested_m if best.recognisable else None


def _within_tolerance(cand: _Candidate, target_m: float) -> bool:
    return _length_within(cand, target_m) and not _approach_too_long(cand)


def _enough_clear(candidates: list[_Candidate], options_count: int, target_m: float) -> bool:
    """Early stop: options_count + 1 candidates (each from its own placement) within the length tolerance
    already read clearly as the figure; routing more placements would rarely change the options."""
    clear = [c for c in candidates if c.cheap_score >= GOOD_ENOUGH_QUICK_SCORE and _within_tolerance(c, target_m)]
    return len(clear) > options_count


def _approach_too_long(cand: _Candidate) -> bool:
    """More than MAX_APPROACH_SHARE of the run spent getting to the figure and back: a small figure at the end
    of a long out-and-back, not a drawing of the requested size."""
    return cand.approach_m > MAX_APPROACH_SHARE * cand.length_m


def _candidate_key(cand: _Candidate, target_m: float | None) -> float:
    """How the search ranks routed candidates: the quick score less the length and approach penalties. With no
    target (a live placement the runner sized) the quick score alone: the size and the place are the
    runner's, the length and the approach follow from them."""
    if target_m is None:
        return cand.cheap_score
    return (cand.cheap_score - RANK_LENGTH_PENALTY * abs(cand.length_m / target_m - 1)
            - RANK_APPROACH_PENALTY * cand.approach_m / max(cand.length_m, 1.0))


def _with_recognisable(option: PlannedRoute, target_m: float, min_length_m: float,
                       longest_fitting_m: float = math.inf) -> PlannedRoute:
    """Mark the option recognisable or not (`RECOGNISABLE_MIN_SCORE`, `min_recognisable_length_m`) and set
    the length to suggest, one at which the estimate says the figure reads and which fits the network
    (`longest_fitting_length_m`), rounded up to 10 m: the estimate when the request is below it, else (the
    streets drew it less clearly than the estimate promised) UNRECOGNISABLE_GROWTH x the target, or the
    longest that fits when that is shorter but still clearly longer than the target. None when no such
    length exists (the estimate itself does not fit: a shorter run would be marked unrecognisable again).
    `plan_routes` then checks the suggestion by planning it (`_verified_suggestion`)."""
    recognisable = target_m >= min_length_m and option.recognisability >= RECOGNISABLE_MIN_SCORE
    suggested: float | None = min_length_m
    if not recognisable and target_m >= min_length_m:
        suggested = target_m * UNRECOGNISABLE_GROWTH
    suggested = math.ceil(suggested / 10.0) * 10.0
    if suggested > longest_fitting_m:
        fitting = math.floor(longest_fitting_m / 10.0) * 10.0
        suggested = (fitting if fitting >= min_length_m and fitting > target_m * (1 + LENGTH_TOLERANCE)
                     else None)
    return dataclasses.replace(option, recognisable=recognisable,
                               min_recognisable_length_m=None if suggested is None else float(suggested))


def longest_fitting_length_m(graph: RoadGraph, unit_outline: np.ndarray, detour_ratio: float) -> float:
    """The longest run whose figure fits in the network at all: the figure's widest extent (twice its
    furthest point from its centre; `unit_outline` has unit perimeter) no wider than the network's narrower
    side, times the route length per metre of outline (`_Detour`). An upper bound (the network may not fill
    its box), cheap: the network's bbox."""
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    height_m = (max_lat - min_lat) * 111_195.0
    width_m = (max_lon - min_lon) * 111_195.0 * math.cos(math.radians((min_lat + max_lat) / 2))
    extent_per_m = 2.0 * float(np.hypot(*unit_outline.T).max())
    return min(height_m, width_m) / max(extent_per_m, 1e-9) * detour_ratio


def _validated(graph: RoadGraph, request: PlanRequest) -> tuple[np.ndarray, float]:
    """The request's outline as an array and its target length; raises ValueError / StartOutsideNetwork."""
    outline = np.asarray(request.outline_xy, dtype=np.float64)
    target_m = float(request.target_length_m)
    if outline.ndim != 2 or outline.shape[1] != 2 or len(outline) < 2 or not np.isfinite(outline).all():
        raise ValueError("outline_xy must be an (N, 2) array of finite numbers with N >= 2")
    if not (100.0 <= target_m <= 100_000.0):
        raise ValueError("target_length_m must be between 100 m and 100 km")
    if not 1 <= int(request.options_count) <= 5:
        raise ValueError("options_count must be 1..5")
    if not graph.covers(request.start_lat, request.start_lon):
        raise StartOutsideNetwork("no road network covers the start point")
    return outline, target_m


def plan_at_placement(graph: RoadGraph, request: PlanRequest, placement: Placement) -> PlannedRoute:
    """Snap the figure at exactly `placement` (centre, rotation, size) to the streets: the live drag / turn /
    resize of the app. The option runs from the start to the figure (approach), around it, and back the same
    way; rank 1. With `placement.perimeter_m` None the figure is sized so the whole run matches
    `request.target_length_m` and is held to ±LENGTH_TOLERANCE of it (RouteNotFound when no size at this
    centre gets there); with a perimeter the length is whatever that size gives (its length_error against the
    target is reported, not enforced). `request.time_budget_s` is CPU time, as for `plan_routes`.

    Raises ValueError for an invalid request or placement (centre further than MAX_PLACEMENT_DISTANCE_M or
    half the target from the start, perimeter outside 100 m..100 km, non-finite numbers),
    StartOutsideNetwork, RouteNotFound when the streets there cannot draw it (or, sized to a distance, not
    within ±10 % of it; `out_of_time` when the budget ended the sizing first).
    The figure is then snapped to the streets nearby (`_snapped_nearby`) when that scores higher.
    Cost: 1-6 routings of the figure's corridor to size it, up to 7 more to snap it (within
    PLACEMENT_SNAP_SHARE of the budget) and two full scorings; ~170 ms CPU on a 50k-node district.
    """
    deadline, cpu0, wall0 = _Deadline.for_request(request)
    outline, target_m = _validated(graph, request)
    numbers = (placement.center_lat, placement.center_lon, placement.rotation_deg)
    if not all(math.isfinite(float(x)) for x in numbers):
        raise ValueError("placement centre and rotation must be finite numbers")
    if placement.perimeter_m is not None and not (100.0 <= float(placement.perimeter_m) <= 100_000.0):
        raise ValueError("placement perimeter_m must be between 100 m and 100 km")
    unit_outline, corner_idx = _normalised_outline(outline, request.closed)
    start_node, _ = graph.nearest_node(request.start_lat, request.start_lon)
    centre_xy = LocalProjection(float(graph.node_lat[start_node]), float(graph.node_lon[start_node])).to_xy(
        float(placement.center_lat), float(placement.center_lon))
    centre_m = float(np.hypot(*centre_xy))
    if centre_m > max(MAX_PLACEMENT_DISTANCE_M, 0.5 * target_m):
        raise ValueError("the figure's centre is too far from the start")
    perimeter = (float(placement.perimeter_m) if placement.perimeter_m is not None
                 else max(target_m - 2 * max(centre_m - target_m / 8, 0.0), 0.3 * target_m) / DETOUR_GUESS)
    # The outline never reaches further than half its perimeter from its centroid.
    reach_m = centre_m + 0.6 * max(perimeter, target_m / DETOUR_GUESS) + 300.0
    area = _crop(graph, start_node, reach_m, request.safety_mode)
    area.figure_outline = outline
    cand = _route_at_centre(area, unit_outline, corner_idx, centre_xy, float(placement.rotation_deg),
                            perimeter, request.closed, None if placement.perimeter_m is not None else target_m,
                            deadline=deadline, max_steps=PLACEMENT_CALIBRATION_STEPS, bracketed=True)
    if cand is None:
        raise RouteNotFound("the streets at this placement cannot draw the figure")
    held_to_m = None if placement.perimeter_m is not None else target_m
    cand = _scored(area, cand, request.closed, held_to_m)
    if held_to_m is not None and not _length_within(cand, held_to_m):
        raise RouteNotFound(
            f"at this placement the run comes out {cand.length_m / 1000:.2f} km at best, not within "
            f"±{LENGTH_TOLERANCE:.0%} of {target_m / 1000:.2f} km", out_of_time=deadline.passed())
    snapped = _snapped_nearby(area, cand, unit_outline, corner_idx, centre_xy, request.closed, held_to_m,
                              deadline=deadline.share(cpu0, wall0, PLACEMENT_SNAP_SHARE))
    # The quick score chose the snapped figure; the full score decides whether it beats the dropped one.
    both = [cand] if snapped is cand else [cand, snapped]
    scored = _finalise(graph, area, both, outline, dataclasses.replace(request, options_count=len(both)),
                       target_m, deadline=deadline, enforce_tolerance=False)
    option = max(scored, key=lambda planned: planned.fidelity.score)
    option = dataclasses.replace(option, rank=1)
    min_length_m = min_recognisable_length_m(area, unit_outline, corner_idx, request.closed)
    return _with_recognisable(option, option.distance_m, min_length_m)


def _snapped_nearby(area: _Area, cand: _Candidate, unit_outline: np.ndarray, corner_idx: np.ndarray,
                    centre_xy: np.ndarray, closed: bool, held_to_m: float | None, *,
                    deadline: _Deadline) -> _Candidate:
    """The dropped figure snapped to the streets around where it was dropped: the same size shifted by up to
    SNAP_SHIFT_M or turned by SNAP_TURN_DEG (one routing each, until `deadline`), then the best of those
    refitted to its own route (`_refine`). Whichever ranks best wins (`_candidate_key`); with `held_to_m`
    only runs within the length tolerance of it count. One exact placement is at the mercy of the streets
    under it, and half a block decides whether a heart's notch falls on a junction."""
    best = cand
    for dx, dy, turn in SNAP_TRIALS:
        if deadline.passed():
            break
        shifted = centre_xy + np.array([dx, dy]) * SNAP_SHIFT_M
        trial = _route_centred_once(area, unit_outline, corner_idx, shifted, cand.rotation_deg + turn,
                                    cand.perimeter_m, closed)
        if trial is None:
            continue
        trial = _scored(area, trial, closed, held_to_m)
        if held_to_m is not None and not _length_within(trial, held_to_m):
            continue
        if _candidate_key(trial, held_to_m) > _candidate_key(best, held_to_m) + SNAP_MIN_GAIN:
            best = trial
    refined = _refine(area, best, closed, held_to_m, deadline=deadline)
    # The refit may slide or resize the figure towards where its route ran; the runner's choice bounds it.
    moved_m = float(np.hypot(*(refined.centre_xy - cand.centre_xy)))
    resized = refined.perimeter_m / max(cand.perimeter_m, 1.0) - 1
    if moved_m > SNAP_MAX_MOVE_M or (held_to_m is None and abs(resized) > SNAP_MAX_RESIZE):
        return best
    return refined


def _length_within(cand: _Candidate, target_m: float) -> bool:
    return abs(cand.length_m / target_m - 1) <= LENGTH_TOLERANCE


def _route_at_centre(area: _Area, unit_outline: np.ndarray, corner_idx: np.ndarray, centre_xy: np.ndarray,
                     rotation_deg: float, perimeter_m: float, closed: bool, calibrate_to_m: float | None, *,
                     deadline: _Deadline, max_steps: int = MAX_CALIBRATION_STEPS,
                     detour: _Detour | None = None, bracketed: bool = False,
                     tolerance: float = CALIBRATION_TOLERANCE) -> _Candidate | None:
    """Route the figure centred at `centre_xy` (metres from the start), with the approach from the start.

    With `calibrate_to_m`, the perimeter is adjusted until approach + figure is within CALIBRATION_TOLERANCE
    of it: by `_next_scale` (bracketing; a live placement has only this one centre) when `bracketed`, else by
    `_secant_scale`. Returns the best attempt (closest to the length, not yet scored) or None.
    """
    history: list[tuple[float, float]] = []
    best: _Candidate | None = None
    scale = perimeter_m
    steps = max_steps if calibrate_to_m is not None else 1
    for _ in range(steps):
        cand = _route_centred_once(area, unit_outline, corner_idx, centre_xy, rotation_deg, scale, closed)
        if cand is None:
            if history or calibrate_to_m is None:
                break
            scale *= 0.7
            continue
        if detour is not None:
            detour.learn(cand)
        if calibrate_to_m is None:
            return cand
        if best is None or abs(cand.length_m - calibrate_to_m) < abs(best.length_m - calibrate_to_m):
            best = cand
        history.append((scale, cand.length_m))
        if abs(cand.length_m / calibrate_to_m - 1) <= tolerance or deadline.passed():
            break
        scale = _next_scale(history, calibrate_to_m, cand) if bracketed else _secant_scale(history, calibrate_to_m,
                                                                                            cand)
    return best


def _secant_scale(history: list[tuple[float, float]], target_m: float, last: _Candidate) -> float:
    """The planner's search step: a secant through the last two attempts (the figure part alone scaled after
    the first). Cheap, and the search tries many placements, so one that stalls is simply not chosen."""
    scale = history[-1][0]
    if len(history) >= 2 and abs(history[-1][1] - history[-2][1]) > 1.0:
        (s0, l0), (s1, l1) = history[-2], history[-1]
        new_scale = s1 + (target_m - l1) * (s1 - s0) / (l1 - l0)
    else:
        # Only the figure grows with the scale, not the approach.
        figure_m = max(last.length_m - last.approach_m, 1.0)
        new_scale = scale * max(target_m - last.approach_m, 0.3 * target_m) / figure_m
    return float(np.clip(new_scale, scale * 0.6, scale * 1.6))


def _next_scale(history: list[tuple[float, float]], target_m: float, last: _Candidate) -> float:
    """The next perimeter to try when calibrating the run's length to `target_m`.

    The routed length is a step function of the perimeter (streets come in blocks, and the approach jumps when
    the entry junction changes), so a secant through two attempts can stall or overshoot. Once two attempts
    straddle the target, interpolate inside the tightest bracket and keep to its middle 60 % (each step shrinks
    it; a jump across the whole tolerance at one size is found, not skipped); before that, scale the figure
    part alone (the approach does not grow with it).
    """
    scale = history[-1][0]
    shorter = [(s, m) for s, m in history if m < target_m]
    longer = [(s, m) for s, m in history if m > target_m]
    if shorter and longer:
        # The tightest bracket in size: the largest size that came out short, the smallest that came out long.
        s0, m0 = max(shorter)
        s1, m1 = min(longer)
        if s0 < s1:
            guess = s0 + (target_m - m0) * (s1 - s0) / (m1 - m0)
            return float(np.clip(guess, s0 + 0.2 * (s1 - s0), s1 - 0.2 * (s1 - s0)))
    figure_m = max(last.length_m - last.approach_m, 1.0)
    guess = scale * max(target_m - last.approach_m, 0.3 * target_m) / figure_m
    guess = float(np.clip(guess, scale * 0.6, scale * 1.6))
    # A size already tried gives the same streets again: step past it.
    if any(abs(guess / s - 1) < 0.03 for s, _ in history):
        guess = scale * (1.1 if last.length_m < target_m else 0.9)
    return guess


def _route_centred_once(area: _Area, unit_outline: np.ndarray, corner_idx: np.ndarray, centre_xy: np.ndarray,
                        rotation_deg: float, perimeter_m: float, closed: bool) -> _Candidate | None:
    """One routing of the figure at a fixed centre / rotation / perimeter (see `_route_placed`)."""
    theta = math.radians(rotation_deg)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    placed = unit_outline @ rot.T * perimeter_m + centre_xy
    return _route_placed(area, placed, corner_idx, closed, rotation_deg, perimeter_m)


def _route_placed(area: _Area, placed: np.ndarray, corner_idx: np.ndarray, closed: bool, rotation_deg: float,
                  perimeter_m: float) -> _Candidate | None:
    """Route an outline placed anywhere (metres from the start, ring without the repeated point), entered at
    its point nearest the start. Within ON_FIGURE_M of the start there is no approach; otherwise the shortest
    street path from the start to the entry junction is run there and back (an open figure: there only).
    The candidate is not scored yet (`_scored`)."""
    n = len(placed)
    if closed:
        entry = int(np.argmin(np.hypot(*placed.T)))
    else:
        # An open figure starts at whichever end is nearer the start.
        if np.hypot(*placed[-1]) < np.hypot(*placed[0]):
            placed = placed[::-1].copy()
            corner_idx = np.sort((n - 1 - corner_idx) % n) if len(corner_idx) else corner_idx
        entry = 0
    entry_gap_m = float(np.hypot(*placed[entry]))
    rolled = np.roll(placed, -entry, axis=0)
    corners = np.sort((corner_idx - entry) % n) if len(corner_idx) else corner_idx
    approach = np.array([area.start], dtype=np.int64)
    if entry_gap_m > ON_FIGURE_M:
        entry_node = _entry_node(area, placed[entry])
        if entry_node is None:
            return None
        approach = _shortest_path(area, area.start, entry_node)
        if approach is None:
            return None
    variants = _route_once(area, rolled, corners, closed, origin=int(approach[-1]))
    if variants is None:
        return None
    outline_m = np.vstack([rolled, rolled[:1]]) if closed else rolled
    return _assembled(area, approach, variants, 0, outline_m, rotation_deg, perimeter_m, closed,
                      rolled.mean(axis=0))


def _assembled(area: _Area, approach: np.ndarray, variants: tuple[np.ndarray, ...], pick: int,
               outline_m: np.ndarray, rotation_deg: float, perimeter_m: float, closed: bool,
               centre_xy: np.ndarray, cheap_score: float = math.nan) -> _Candidate:
    """The candidate running approach + figure variant `pick` + the approach back (closed figures)."""
    figure_nodes = variants[pick]
    figure_m = float(np.hypot(*np.diff(area.node_xy[figure_nodes], axis=0).T).sum())
    if len(approach) > 1:
        approach_m = float(np.hypot(*np.diff(area.node_xy[approach], axis=0).T).sum())
        way_back = approach[::-1][1:] if closed else np.zeros(0, dtype=np.int64)
        local_nodes = np.concatenate([approach, figure_nodes[1:], way_back])
        first = len(approach) - 1
        figure_range = (first, first + len(figure_nodes) - 1)
        total_approach = approach_m * (2 if closed else 1)
    else:
        local_nodes = figure_nodes
        figure_range = (0, len(figure_nodes) - 1)
        total_approach = 0.0
    safety_cost = _safety_cost(area, local_nodes)
    return _Candidate(local_nodes, figure_m + total_approach, outline_m, rotation_deg,
                      cheap_score - SAFETY_RANK_WEIGHT * safety_cost, safety_cost, figure_range=figure_range,
                      approach_m=total_approach, centre_xy=centre_xy, perimeter_m=perimeter_m,
                      approach_nodes=approach, figure_variants=variants, figure_m=figure_m)


def _scored(area: _Area, cand: _Candidate, closed: bool, target_m: float | None = None) -> _Candidate:
    """The candidate with its quick score, in its best-scoring figure variant (a spur kept at a feature stays
    only when it raises the score). With `target_m`, a variant within LENGTH_TOLERANCE of it wins over a
    better-scoring one outside (a star's kept tips can add enough to leave the tolerance)."""
    if not math.isnan(cand.cheap_score):
        return cand
    scores = [_quick_score(area, cand.outline_m, nodes, closed) for nodes in cand.figure_variants]
    best = None
    for pick in np.argsort(scores)[::-1]:
        variant = _assembled(area, cand.approach_nodes, cand.figure_variants, int(pick), cand.outline_m,
                             cand.rotation_deg, cand.perimeter_m, closed, cand.centre_xy, scores[pick])
        best = best or variant
        if target_m is None or _length_within(variant, target_m):
            return variant
    return best


def _quick_score(area: _Area, outline_m: np.ndarray, figure_nodes: np.ndarray, closed: bool) -> float:
    """Cheap ranking score of a routed figure: sqrt(trace score without Fréchet x coarse recognisability),
    the same form as `shape_fidelity`'s score, plus QUICK_TRACE_WEIGHT x trace score (a few ms)."""
    fig_xy = area.node_xy[figure_nodes]
    trace = fidelity_of_placed(outline_m, fig_xy, closed=closed, with_frechet=False)
    figure = area.figure_outline
    if figure is None:
        figure = outline_m[:-1] if closed else outline_m
    recog = recognisability(figure, fig_xy, closed=closed, exact=False)
    # + a fifth of the trace score: among candidates that do not read as the figure yet (recognisability
    # 0), the one following the outline best is the one the refinement step can still turn into it.
    return (math.sqrt(max(trace.score, 0.0) * max(recog.recognisability, 0.0))
            + QUICK_TRACE_WEIGHT * trace.score)


def _entry_node(area: _Area, point_xy: np.ndarray) -> int | None:
    """The junction (degree >= 3, else any node) nearest `point_xy` within SNAP_MAX_M of it."""
    dist, idx = area.node_tree.query(point_xy, k=SNAP_CANDIDATES, distance_upper_bound=SNAP_MAX_M)
    found = np.isfinite(dist)
    if not found.any():
        return None
    idx = idx[found]
    degree = area.degree[idx]
    junction = idx[degree >= 3]
    return int(junction[0] if len(junction) else idx[0])


def _shortest_path(area: _Area, a: int, b: int) -> np.ndarray | None:
    """Shortest walkable path a..b in the crop (length x safety factor), as local node indices. One Dijkstra
    per source and request (every approach leaves from the start)."""
    if a == b:
        return np.array([a], dtype=np.int64)
    pred = area.predecessors_from.get(a)
    if pred is None:
        _, pred = dijkstra(area.matrix, directed=True, indices=a, return_predecessors=True)
        area.predecessors_from[a] = pred
    return _walk_back(pred, a, b)


def _refine(area: _Area, cand: _Candidate, closed: bool, target_m: float | None, *,
            deadline: _Deadline) -> _Candidate:
    """Route once more towards the outline as best fitted to the route itself (an EM-style step: the fit
    moves the figure to where the streets can draw it). A figure through the start is re-anchored on it; an
    off-start figure keeps its fitted place and gets a new approach. Kept if it ranks better
    (`_candidate_key`) and, with `target_m`, stays within the length tolerance of it."""
    if deadline.passed():
        return cand
    first, last = cand.figure_range if cand.figure_range is not None else (0, len(cand.local_nodes) - 1)
    route_xy = area.node_xy[cand.local_nodes[first:last + 1]]
    ring = cand.outline_m[:-1] if closed else cand.outline_m
    fitted = fit_outline_to_route(ring, route_xy, closed=closed).outline_xy
    corners = _corner_indices(fitted, closed)
    perimeter = polyline_length(fitted, closed=closed)
    if cand.approach_m > 0:
        refined = _route_placed(area, fitted, corners, closed, cand.rotation_deg, perimeter)
    else:
        if closed:
            anchor = int(np.argmin(np.hypot(*fitted.T)))
            fitted = np.roll(fitted, -anchor, axis=0)
            corners = _corner_indices(fitted, closed)
        fitted = fitted - fitted[0]  # the start stays on the figure
        variants = _route_once(area, fitted, corners, closed)
        refined = None
        if variants is not None:
            outline_m = np.vstack([fitted, fitted[:1]]) if closed else fitted
            refined = _assembled(area, np.array([area.start], dtype=np.int64), variants, 0, outline_m,
                                 cand.rotation_deg, perimeter, closed, fitted.mean(axis=0))
    if refined is None:
        return cand
    refined = _scored(area, refined, closed, target_m)
    if target_m is not None and not _within_tolerance(refined, target_m):
        return cand
    return refined if _candidate_key(refined, target_m) > _candidate_key(cand, target_m) else cand


def min_recognisable_length_m(area: _Area, unit_outline: np.ndarray, corner_idx: np.ndarray,
                              closed: bool) -> float:
    """Estimate of the smallest route length at which this figure reads as itself near this start.

    The network's resolution is the spacing of its junctions within RESOLUTION_RADIUS_M of the start
    (sqrt(area / junction count)): a street can only turn at a junction. The figure's finest feature is its
    shortest stretch between two corners (a star's arm edge: 1/10 of its perimeter; a square's side: 1/4;
    smooth figures count as an octagon, 1/8). That stretch must span FEATURE_JUNCTIONS junction spacings,
    so min length = DETOUR_GUESS x FEATURE_JUNCTIONS x spacing / feature share (the approach comes on top).
    """
    near = np.hypot(*area.node_xy.T) <= RESOLUTION_RADIUS_M
    junctions = int(np.count_nonzero(near & (area.degree >= 3)))
    covered_m2 = math.pi * RESOLUTION_RADIUS_M ** 2
    spacing = math.sqrt(covered_m2 / junctions) if junctions >= 4 else RESOLUTION_RADIUS_M / 2
    n = len(unit_outline)
    if len(corner_idx) >= 2:
        gaps = np.diff(np.concatenate([corner_idx, [corner_idx[0] + n]])) if closed else np.diff(corner_idx)
        feature_share = float(gaps.min()) / n
    else:
        feature_share = SMOOTH_FEATURE_SHARE
    feature_share = max(feature_share, 0.02)
    return DETOUR_GUESS * FEATURE_JUNCTIONS * spacing / feature_share


# ==================================================================================================
def _normalised_outline(outline: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Outline resampled to 400 points, centred, scaled to unit perimeter; and its corner indices."""
    if closed and np.allclose(outline[0], outline[-1]):
        outline = outline[:-1]
    if polyline_length(outline, closed=closed) <= 0:
        raise ValueError("outline is degenerate")
    ring = resample_by_count(outline, 400, closed=closed)
    ring = ring - ring.mean(axis=0)
    ring = ring / polyline_length(ring, closed=closed)
    return ring, _corner_indices(ring, closed)


def _corner_indices(ring: np.ndarray, closed: bool) -> np.ndarray:
    """Indices where the outline turns by more than CORNER_TURN_DEG over ±3 samples (~1 % of its length)."""
    ahead = np.roll(ring, -3, axis=0) - ring
    behind = ring - np.roll(ring, 3, axis=0)
    angle = np.degrees(np.abs(np.arctan2(ahead[:, 0] * behind[:, 1] - ahead[:, 1] * behind[:, 0],
                                         (ahead * behind).sum(axis=1))))
    if not closed:
        angle[:3] = angle[-3:] = 0
    corners: list[int] = []
    for i in np.argsort(-angle):
        if angle[i] < CORNER_TURN_DEG:
            break
        if all(min(abs(i - c), len(ring) - abs(i - c)) > 8 for c in corners):
            corners.append(int(i))
    return np.array(sorted(corners), dtype=np.int64)


def _crop(graph: RoadGraph, start_node: int, reach_m: float, safety_mode: bool) -> _Area:
    """The network within `reach_m` of the start node, projected around the start (so distances hold anywhere
    in a large network). Reads only the grid rows of the disc and the CSR rows of its nodes."""
    projection = LocalProjection(float(graph.node_lat[start_node]), float(graph.node_lon[start_node]))
    nodes, node_xy = graph.nodes_within(projection.origin_lat, projection.origin_lon, reach_m)
    # Edges with both ends in the crop, from the CSR rows of the crop's nodes (`nodes` is sorted).
    rows, neighbours, eids = graph.adjacency_of(nodes)
    nbr_local = np.minimum(np.searchsorted(nodes, neighbours), len(nodes) - 1)
    keep = (nodes[nbr_local] == neighbours) & (rows < nbr_local)  # each undirected edge once
    edge_ids = eids[keep]
    edge_u, edge_v = rows[keep], nbr_local[keep]
    length_m = graph.edge_length_m[edge_ids].astype(np.float64)
    highway = graph.edge_highway[edge_ids]
    lit = graph.edge_lit[edge_ids]
    flags = graph.edge_flags[edge_ids]
    total = float(length_m.sum())
    lit_tagged_share = float(length_m[lit != LIT_UNKNOWN].sum() / total) if total > 0 else 0.0

    factor = np.where(highway == HighwayClass.STEPS, STEPS_FACTOR, 1.0)
    safety_signal = None
    if safety_mode:
        if lit_tagged_share >= LIT_SIGNAL_MIN_SHARE:
            safety_signal = SAFETY_SIGNAL_LIT
            factor = factor * np.vectorize(LIT_FACTORS.get, otypes=[float])(lit)
        else:
            safety_signal = SAFETY_SIGNAL_ROAD_CLASS
            class_factor = np.array([ROAD_CLASS_FACTORS.get(HighwayClass(c), 1.3) if c < len(HighwayClass)
                                     else 1.3 for c in range(256)])[highway]
            park = (flags & FLAG_PARK) > 0
            factor = np.where(park, PARK_PATH_FACTOR, class_factor)
            factor = factor * np.where(lit == LIT_NO, LIT_FACTORS[LIT_NO], 1.0)
    # The crop's KD-tree is built per request: unbalanced (sliding midpoint), its build takes 14 ms instead of
    # 24 ms on a full 2.5 km disc (64 k nodes) and its queries are no slower.
    return _Area(nodes=nodes, node_xy=node_xy, start=int(np.searchsorted(nodes, start_node)), edge_ids=edge_ids,
                 edge_u=edge_u, edge_v=edge_v, length_m=length_m,
                 mid_xy=(node_xy[edge_u] + node_xy[edge_v]) / 2, factor=factor, lit=lit,
                 lit_tagged_share=lit_tagged_share, safety_signal=safety_signal,
                 node_tree=cKDTree(node_xy, balanced_tree=False),
                 projection=projection)


def _place(unit_outline: np.ndarray, scale_m: float, rotation_deg: float, anchor: int) -> np.ndarray:
    """Outline scaled to `scale_m` perimeter, rotated, shifted so point `anchor` is at the origin (start),
    and re-indexed to begin at the anchor."""
    theta = math.radians(rotation_deg)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    placed = unit_outline @ rot.T * scale_m
    placed = placed - placed[anchor]
    return np.roll(placed, -anchor, axis=0)


@dataclass
class _PlacementSpec:
    """A placement to route: through the start (anchor = the outline index on the start) or centred at
    centre_xy (metres from the start) with an approach. cost: the street-alignment pre-score (lower is
    better)."""

    cost: float
    rotation_deg: float
    anchor: int | None = None
    centre_xy: np.ndarray | None = None
    perimeter_m: float = 0.0


def approach_reach_m(target_m: float) -> float:
    """How far from the start a figure may sit (its nearest point): APPROACH_REACH_SHARE of the target
    length, at most APPROACH_REACH_MAX_M. The approach is run there and back, so it takes at most ~2x this."""
    return min(APPROACH_REACH_SHARE * target_m, APPROACH_REACH_MAX_M)


def _rotations(request: PlanRequest) -> list[float]:
    max_rot = max(0.0, min(180.0, float(request.max_rotation_deg)))
    steps = int(max_rot // ROTATION_STEP_DEG)
    rotations = sorted({ROTATION_STEP_DEG * k for k in range(-steps, steps + 1)}, key=abs)
    if max_rot >= 180:
        rotations = [ROTATION_STEP_DEG * k for k in range(int(360 / ROTATION_STEP_DEG))]
    return rotations


def _unit_tangents(unit_outline: np.ndarray, closed: bool, sample_idx: np.ndarray) -> np.ndarray:
    tangent_unit = np.roll(unit_outline, -2, axis=0) - np.roll(unit_outline, 2, axis=0)
    if not closed:
        tangent_unit[:2] = unit_outline[4:6] - unit_outline[0:2]
        tangent_unit[-2:] = unit_outline[-2:] - unit_outline[-6:-4]
    tangent_unit = tangent_unit[sample_idx]
    return tangent_unit / np.maximum(np.hypot(*tangent_unit.T), 1e-12)[:, None]


def _alignment_cost(street_tree: cKDTree, street_dir: np.ndarray, pts: np.ndarray,
                    tangent: np.ndarray) -> np.ndarray:
    """Mean street-alignment cost of placed outlines: pts (P, S, 2) samples with tangents (S, 2) or
    (P, S, 2). A sample costs the distance to the nearest of 6 street pieces plus a penalty for running
    across it, capped at PRESCORE_CAP_M. Returns (P,)."""
    flat = pts.reshape(-1, 2)
    dist, idx = street_tree.query(flat, k=6, distance_upper_bound=PRESCORE_CAP_M)
    found = np.isfinite(dist)
    idx = np.where(found, idx, 0)
    tangent_flat = np.broadcast_to(tangent, pts.shape).reshape(-1, 2)
    cos = np.abs((street_dir[idx] * tangent_flat[:, None, :]).sum(axis=2))
    cost = np.where(found, dist + PRESCORE_CAP_M * 0.5 * (1 - cos), PRESCORE_CAP_M)
    sample_cost = np.minimum(cost.min(axis=1), PRESCORE_CAP_M)
    return sample_cost.reshape(pts.shape[0], pts.shape[1]).mean(axis=1)


def _placements(area: _Area, unit_outline: np.ndarray, corner_idx: np.ndarray, request: PlanRequest,
                target_m: float, street: tuple[cKDTree, np.ndarray]) -> list[_PlacementSpec]:
    """Placements through the start: (rotation, anchor) pairs, pre-scored by street alignment.

    Drawability: the outline (at the expected scale) sampled every ~1/100 of its perimeter; each sample's
    cost is the distance to the nearest piece of street running in the same direction, plus a penalty for
    direction mismatch, capped at 80 m. Streets are sampled every 15 m so sparse nodes do not matter.
    """
    n = len(unit_outline)
    if request.closed:
        anchors = set(corner_idx.tolist()) | set(np.linspace(0, n, EVEN_ANCHORS, endpoint=False).astype(int))
    else:
        anchors = {0}
    street_tree, street_dir = street
    scale_m = target_m / DETOUR_GUESS
    sample_idx = np.linspace(0, n, PRESCORE_SAMPLES, endpoint=False).astype(int)
    tangent_unit = _unit_tangents(unit_outline, request.closed, sample_idx)
    scored = []
    anchor_list = sorted(anchors)
    for rotation in _rotations(request):
        theta = math.radians(rotation)
        rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        tangent = tangent_unit @ rot.T
        rotated = unit_outline @ rot.T * scale_m
        pts = np.stack([(rotated - rotated[anchor])[sample_idx] for anchor in anchor_list])
        costs = _alignment_cost(street_tree, street_dir, pts, tangent)
        for anchor, cost in zip(anchor_list, costs.tolist(), strict=True):
            # Slight preference for upright figures: they read best.
            scored.append(_PlacementSpec(cost + 0.1 * abs(rotation), rotation, anchor=anchor))
    scored.sort(key=lambda p: p.cost)
    return scored


def _offstart_placements(area: _Area, unit_outline: np.ndarray, request: PlanRequest, target_m: float,
                         street: tuple[cKDTree, np.ndarray]) -> list[_PlacementSpec]:
    """Placements away from the start: centres on a lattice (spacing ~1/15 of the figure's perimeter) around
    the start where the figure's nearest point is within `approach_reach_m` of it, at every allowed
    rotation, sized so approach there and back plus figure makes the target; pre-scored like `_placements`
    (street alignment), so the search goes where the streets already run like the figure's edges."""
    if not request.closed:
        return []
    reach = approach_reach_m(target_m)
    n = len(unit_outline)
    sample_idx = np.linspace(0, n, PRESCORE_SAMPLES, endpoint=False).astype(int)
    tangent_unit = _unit_tangents(unit_outline, True, sample_idx)
    street_tree, street_dir = street
    base_perimeter = target_m / DETOUR_GUESS
    radius = float(np.hypot(*unit_outline.T).max()) * base_perimeter
    spacing = max(OFFSTART_MIN_SPACING_M, base_perimeter / OFFSTART_LATTICE_PER_PERIMETER)
    axis = np.arange(-(radius + reach), radius + reach + spacing, spacing)
    centres = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    scored = []
    for rotation in _rotations(request):
        theta = math.radians(rotation)
        rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        rotated = unit_outline @ rot.T
        tangent = tangent_unit @ rot.T
        # Gap from the start to the figure at the base size, then the size that leaves room for the approach.
        gaps = np.hypot(*(rotated[None, :, :] * base_perimeter + centres[:, None, :]).transpose(2, 0, 1)).min(axis=1)
        keep = (gaps > ON_FIGURE_M) & (gaps <= reach)
        if not keep.any():
            continue
        kept_centres = centres[keep]
        perimeters = np.maximum(target_m - 2 * DETOUR_GUESS * gaps[keep], 0.5 * target_m) / DETOUR_GUESS
        pts = rotated[sample_idx][None, :, :] * perimeters[:, None, None] + kept_centres[:, None, :]
        costs = _alignment_cost(street_tree, street_dir, pts, tangent)
        for centre, perimeter, cost in zip(kept_centres, perimeters.tolist(), costs.tolist(), strict=True):
            scored.append(_PlacementSpec(cost + 0.1 * abs(rotation) + OFFSTART_PRESCORE_PENALTY_M, rotation,
                                         centre_xy=centre, perimeter_m=perimeter))
    scored.sort(key=lambda p: p.cost)
    return scored


def _all_placements(area: _Area, unit_outline: np.ndarray, corner_idx: np.ndarray, request: PlanRequest,
                    target_m: float) -> list[_PlacementSpec]:
    """Through-start and off-start placements merged by pre-score, near-copies moved after distinct ones."""
    street = _street_samples(area)
    through = _placements(area, unit_outline, corner_idx, request, target_m, street)
    away = _offstart_placements(area, unit_outline, request, target_m, street)
    through = _spread(through, unit_outline, target_m)
    away = _spread(away, unit_outline, target_m)
    # Interleaved, two through the start for one away from it: the through-start search is the one that
    # finds figures needing no approach (they win at equal score), and an off-start placement beating the
    # best through-start pre-score jumps the queue.
    merged: list[_PlacementSpec] = []
    while through or away:
        if away and (not through or away[0].cost < through[0].cost - OFFSTART_PRESCORE_PENALTY_M):
            merged.append(away.pop(0))
            continue
        merged.extend(through[:2])
        del through[:2]
        if away:
            merged.append(away.pop(0))
    return merged


def _spread(placements: list[_PlacementSpec], unit_outline: np.ndarray, target_m: float) -> list[_PlacementSpec]:
    """Reorder placements so near-copies (centres within 8 % of the perimeter and rotation within 30°) come
    after the distinct ones: routing them first would mostly yield duplicate options."""
    scale_m = target_m / DETOUR_GUESS

    def centre_of(p: _PlacementSpec) -> np.ndarray:
        if p.centre_xy is not None:
            return p.centre_xy
        theta = math.radians(p.rotation_deg)
        rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        return -(unit_outline[p.anchor] @ rot.T) * scale_m

    first: list[tuple[_PlacementSpec, np.ndarray]] = []
    later: list[_PlacementSpec] = []
    # Only the head of the list can be routed within a request's budget: spreading it is enough.
    placements, tail = placements[:SPREAD_HEAD], placements[SPREAD_HEAD:]
    for placement in placements:
        centre = centre_of(placement)
        near_copy = any(abs(placement.rotation_deg - q.rotation_deg) < 30.0
                        and float(np.hypot(*(centre - c))) < 0.08 * scale_m for q, c in first)
        if near_copy:
            later.append(placement)
        else:
            first.append((placement, centre))
    return [p for p, _ in first] + later + tail


def _street_samples(area: _Area) -> tuple[cKDTree, np.ndarray]:
    """Points every 15 m along the crop's edges with the edge's unit direction."""
    a, b = area.node_xy[area.edge_u], area.node_xy[area.edge_v]
    pieces = np.maximum(1, np.ceil(area.length_m / 15.0).astype(np.int64))
    owner = np.repeat(np.arange(len(a)), pieces)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    frac = ((step + 0.5) / pieces[owner])[:, None]
    points = a[owner] + (b[owner] - a[owner]) * frac
    direction = b - a
    direction /= np.maximum(np.hypot(*direction.T), 1e-9)[:, None]
    return cKDTree(points), direction[owner]


def _route_with_calibration(area: _Area, unit_outline: np.ndarray, corner_idx: np.ndarray, rotation: float,
                            anchor: int, closed: bool, target_m: float, *, deadline: _Deadline,
                            detour: _Detour | None = None) -> _Candidate | None:
    """Route one placement through the start, adjusting the scale until the length is on target (starting
    from the request's learned detour ratio). Returns the attempt closest to the target, not yet scored."""
    n = len(unit_outline)
    corners_from_anchor = np.sort((corner_idx - anchor) % n) if len(corner_idx) else corner_idx
    history: list[tuple[float, float]] = []
    best: _Candidate | None = None
    first_scale = target_m / (detour.ratio if detour is not None else DETOUR_GUESS)
    scale = first_scale
    start = np.array([area.start], dtype=np.int64)
    for _ in range(MAX_CALIBRATION_STEPS):
        if deadline.passed() and best is not None:
            break
        placed = _place(unit_outline, scale, rotation, anchor)
        variants = _route_once(area, placed, corners_from_anchor, closed)
        if variants is None:
            # Often the figure does not fit the mapped streets at this size: try it smaller once.
            if history or scale < first_scale:
                break
            scale *= 0.7
            continue
        outline_m = np.vstack([placed, placed[:1]]) if closed else placed
        cand = _assembled(area, start, variants, 0, outline_m, rotation, scale, closed, placed.mean(axis=0))
        if detour is not None:
            detour.learn(cand)
        if best is None or abs(cand.length_m - target_m) < abs(best.length_m - target_m):
            best = cand
        history.append((scale, cand.length_m))
        ratio = cand.length_m / target_m
        if abs(ratio - 1) <= SEARCH_CALIBRATION_TOLERANCE:
            break
        if len(history) >= 2 and abs(history[-1][1] - history[-2][1]) > 1.0:
            (s0, l0), (s1, l1) = history[-2], history[-1]
            new_scale = s1 + (target_m - l1) * (s1 - s0) / (l1 - l0)
        else:
            new_scale = scale / ratio
        scale = float(np.clip(new_scale, scale * 0.6, scale * 1.6))
    return best


def _route_once(area: _Area, placed: np.ndarray, corners: np.ndarray, closed: bool, origin: int | None = None):
    """Route the placed outline (metres, starting at node `origin`, default the start). Returns the figure's
    variants (local node paths from origin: spurs cut; and, when it differs, spurs kept at the figure's
    features) or None. `_scored` picks the variant."""
    origin = area.start if origin is None else origin
    perimeter = polyline_length(placed, closed=closed)
    dense = resample_by_spacing(placed, 10.0, closed=closed)
    corridor_m = max(CORRIDOR_MIN_M, CORRIDOR_SHARE * perimeter)
    # Bounding-box prefilter first: on a district graph most of the crop is far from the figure.
    lo, hi = dense.min(axis=0) - corridor_m, dense.max(axis=0) + corridor_m
    near_box = np.flatnonzero(((area.mid_xy >= lo) & (area.mid_xy <= hi)).all(axis=1))
    dist, _ = cKDTree(dense).query(area.mid_xy[near_box], distance_upper_bound=corridor_m)
    inside = np.isfinite(dist)
    corridor_edges = near_box[inside]
    if len(corridor_edges) == 0:
        return None
    d = dist[inside]
    weight = (area.length_m[corridor_edges] * (1.0 + ALPHA * np.minimum((d / TAU_M) ** 2, CAP))
              * area.factor[corridor_edges])
    weight = np.maximum(weight, 1e-3)  # zero would read as "no edge" in a sparse matrix
    u, v = area.edge_u[corridor_edges], area.edge_v[corridor_edges]
    n_nodes = len(area.node_xy)
    matrix = _symmetric_matrix(u, v, weight, n_nodes)

    features: set[int] = set()
    waypoints = _waypoints(area, matrix, u, v, placed, corners, closed, perimeter, origin, features)
    if waypoints is None:
        return None
    # Legs are short: stop each search at a cost no sensible leg needs (a leg that is not reached within it
    # is searched again without the limit).
    leg_m = np.hypot(*np.diff(area.node_xy[waypoints], axis=0).T)
    limit = float(LEG_LIMIT_FACTOR * (leg_m.max() + 2 * TAU_M) * area.factor.max())
    sources = np.unique(waypoints[:-1])
    _, predecessors = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True, limit=limit)
    row_of = {int(s): i for i, s in enumerate(sources)}
    # Greedy pass along the waypoints: a leg that detours far beyond its straight line (the streets between
    # the two waypoints do not connect inside the corridor) skips its waypoint instead.
    # A waypoint from which the next two cannot be reached sensibly sits in a pocket: it is dropped too.
    unlimited: dict[int, np.ndarray] = {}

    def predecessors_of(node: int, target: int) -> np.ndarray:
        row = predecessors[row_of[node]]
        if row[target] >= 0 or node == target:
            return row
        if node not in unlimited:  # beyond the cost limit: search again without it
            _, unlimited[node] = dijkstra(matrix, directed=True, indices=node, return_predecessors=True)
        return unlimited[node]

    legs: list[np.ndarray] = []
    kept = [waypoints[0]]
    failures = 0
    for k, b in enumerate(waypoints[1:], start=1):
        a = kept[-1]
        if a == b:
            continue
        is_last = k == len(waypoints) - 1
        leg = _sensible_leg(area, predecessors_of(a, b), a, b, check=not is_last)
        if leg is None and failures >= 2 and len(kept) > 1:
            retry = _sensible_leg(area, predecessors_of(kept[-2], b), kept[-2], b, check=not is_last)
            if retry is not None:
                legs.pop()
                kept.pop()
                leg = retry
        if leg is None:
            if is_last:
                return None  # not connected inside the corridor
            failures += 1
            continue
        failures = 0
        legs.append(leg)
        kept.append(b)
    if not legs:
        return None
    waypoints = kept

    legs = _reroute_retraced_legs(area, legs, waypoints, corridor_edges, u, v, weight, n_nodes, limit, closed)
    path = np.concatenate([legs[0]] + [leg[1:] for leg in legs[1:]])
    max_loop_m = min(SHORT_LOOP_MAX_M, SHORT_LOOP_SHARE * perimeter)
    variants = [_cleaned(area, path, closed, max_loop_m, frozenset())]
    if features:
        # Spurs and teeth are cut except where they draw a feature of the figure (a star's tip, the heart's
        # point or notch, a corner): both versions are scored (`_scored`) and the better kept, so an out-and-back tip
        # stays only when it raises the score (it counts in the retrace share).
        kept = _cleaned(area, path, closed, max_loop_m, frozenset(features))
        if len(kept) != len(variants[0]) or not np.array_equal(kept, variants[0]):
            variants.append(kept)
    variants = [nodes for nodes in variants if len(nodes) >= 3]
    return tuple(variants) if variants else None


def _cleaned(area: _Area, path: np.ndarray, closed: bool, max_loop_m: float,
             protected: frozenset[int]) -> np.ndarray:
    nodes = _remove_spurs(path, closed, protected)
    nodes = _remove_short_loops(area, nodes, max_loop_m=max_loop_m, protected=protected)
    return _remove_spurs(nodes, closed, protected)


def _feature_corners(placed: np.ndarray, corners: np.ndarray, closed: bool) -> np.ndarray:
    """The corners that make the figure: turning by FEATURE_TURN_DEG or more (a star's tips and inner
    corners, the heart's point and notch, a square's corners), measured over ±2 % of the outline."""
    if len(corners) == 0:
        return corners
    n = len(placed)
    k = max(2, n // 50)
    ahead = placed[(corners + k) % n] - placed[corners]
    behind = placed[corners] - placed[(corners - k) % n]
    cross = ahead[:, 0] * behind[:, 1] - ahead[:, 1] * behind[:, 0]
    angle = np.degrees(np.abs(np.arctan2(cross, (ahead * behind).sum(axis=1))))
    if not closed:
        angle[(corners < k) | (corners >= n - k)] = 0.0
    return corners[angle >= FEATURE_TURN_DEG]


def _symmetric_matrix(u: np.ndarray, v: np.ndarray, weight: np.ndarray, n_nodes: int) -> csr_matrix:
    return csr_matrix((np.concatenate([weight, weight]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                      shape=(n_nodes, n_nodes))


def _sensible_leg(area: _Area, pred: np.ndarray | None, a: int, b: int, *, check: bool) -> np.ndarray | None:
    """The leg a..b from a predecessor row, or None if unreached or (with `check`) a long detour."""
    if pred is None:
        return None
    leg = _walk_back(pred, a, b)
    if leg is None or not check:
        return leg
    straight_m = float(np.hypot(*(area.node_xy[a] - area.node_xy[b])))
    leg_m = float(np.hypot(*np.diff(area.node_xy[leg], axis=0).T).sum())
    return None if leg_m > DETOUR_MAX_RATIO * straight_m + DETOUR_SLACK_M else leg


def _walk_back(pred: np.ndarray, a: int, b: int) -> np.ndarray | None:
    """Node path a..b from a Dijkstra predecessor row, or None if b was not reached."""
    leg = [b]
    node = b
    while node != a:
        node = int(pred[node])
        if node < 0:
            return None
        leg.append(node)
    return np.asarray(leg[::-1], dtype=np.int64)


def _waypoints(area: _Area, matrix: csr_matrix, u: np.ndarray, v: np.ndarray, placed: np.ndarray,
               corners: np.ndarray, closed: bool, perimeter: float, origin: int,
               features: set[int] | None = None) -> list[int] | None:
    """Waypoint nodes in order along the outline: corners plus regular spacing, snapped preferably to
    junctions (a node on a dead end or a side path would make the route poke out and back)."""
    n = len(placed)
    spacing_idx = max(1, round(n * max(MIN_WAYPOINT_SPACING_M / perimeter, 1 / WAYPOINTS_PER_FIGURE)))
    wp_idx = np.union1d(np.arange(0, n, spacing_idx), corners)
    wp_idx = wp_idx[wp_idx > 0]
    if not closed:
        wp_idx = np.union1d(wp_idx, [n - 1])
    # Snap only to nodes the start can reach inside the corridor, so every leg exists.
    _, component = connected_components(matrix, directed=False)
    in_corridor = np.zeros(len(component), dtype=bool)
    in_corridor[u] = True
    in_corridor[v] = True
    usable = in_corridor & (component == component[origin])
    junction = usable & (np.diff(matrix.indptr) >= 3)
    targets = placed[wp_idx]
    # The crop's node KD-tree is built once; the nearest few candidates are filtered by the masks.
    dist, idx = area.node_tree.query(targets, k=SNAP_CANDIDATES, distance_upper_bound=SNAP_MAX_M)
    found = np.isfinite(dist)
    idx = np.where(found, idx, 0)
    snapped = np.full(len(targets), -1, dtype=np.int64)
    for mask, radius in ((junction, SNAP_MAX_M), (usable, SNAP_MAX_M / 2)):
        good = found & mask[idx] & (dist <= radius)
        first = np.argmax(good, axis=1)  # candidates are sorted by distance
        has = good.any(axis=1) & (snapped < 0)
        snapped[has] = idx[np.flatnonzero(has), first[has]]
    waypoints = [origin]
    feature_idx = set(_feature_corners(placed, corners, closed).tolist())
    for i, node in zip(wp_idx.tolist(), snapped.tolist(), strict=True):
        if node >= 0 and node != waypoints[-1]:
            waypoints.append(node)
            if features is not None and i in feature_idx:
                features.add(node)
    if closed and waypoints[-1] != origin:
        waypoints.append(origin)
    return waypoints if len(waypoints) >= 2 else None


def _reroute_retraced_legs(area: _Area, legs: list[np.ndarray], waypoints: list[int], corridor_edges: np.ndarray,
                           u: np.ndarray, v: np.ndarray, weight: np.ndarray, n_nodes: int, limit: float,
                           closed: bool) -> list[np.ndarray]:
    """Route again, once, the legs that run over edges the route uses twice (after spurs are cut), with
    those edges REUSE_PENALTY times dearer: retraced streets draw nothing new. Kept only if it helps."""
    repeated, share = _repeated_edges(area, legs, closed)
    if share <= RETRACE_REROUTE_SHARE:
        return legs
    position = np.full(len(area.edge_u), -1, dtype=np.int64)
    position[corridor_edges] = np.arange(len(corridor_edges))
    penalised = weight.copy()
    hit = position[repeated]
    penalised[hit[hit >= 0]] *= REUSE_PENALTY
    matrix = _symmetric_matrix(u, v, penalised, n_nodes)
    repeated_set = np.zeros(len(area.edge_u), dtype=bool)
    repeated_set[repeated] = True
    to_fix = [k for k, leg in enumerate(legs) if repeated_set[area.local_edges_along(leg)].any()]
    sources = np.unique([waypoints[k] for k in to_fix])
    _, predecessors = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True,
                               limit=limit * REUSE_PENALTY)
    row_of = {int(src): i for i, src in enumerate(sources)}
    new_legs = list(legs)
    for k in to_fix:
        leg = _walk_back(predecessors[row_of[waypoints[k]]], waypoints[k], waypoints[k + 1])
        if leg is not None:
            new_legs[k] = leg
    _, new_share = _repeated_edges(area, new_legs, closed)
    return new_legs if new_share < share else legs


def _repeated_edges(area: _Area, legs: list[np.ndarray], closed: bool) -> tuple[np.ndarray, float]:
    """Crop edges used more than once by the joined, spur-free path, and the share of length they repeat."""
    path = _remove_spurs(np.concatenate([legs[0]] + [leg[1:] for leg in legs[1:]]), closed)
    if len(path) < 2:
        return np.zeros(0, dtype=np.int64), 0.0
    edges = area.local_edges_along(path)
    counts = np.bincount(edges, minlength=len(area.edge_u))
    repeated = np.flatnonzero(counts > 1)
    extra_m = float(((counts[repeated] - 1) * area.length_m[repeated]).sum())
    return repeated, extra_m / max(float(area.length_m[edges].sum()), 1e-9)


def _remove_short_loops(area: _Area, path: np.ndarray, *, max_loop_m: float,
                        protected: frozenset[int] = frozenset()) -> np.ndarray:
    """Cut small cycles: the route comes back to a node it passed less than `max_loop_m` ago (a "tooth" up
    one street and back down a parallel path). The closing of the whole figure is far longer and stays; a
    cycle through a `protected` node (a feature of the figure) stays too."""
    seg = np.hypot(*np.diff(area.node_xy[path], axis=0).T)
    out: list[int] = [int(path[0])]
    out_len: list[float] = [0.0]
    seen: dict[int, int] = {int(path[0]): 0}
    for node, step in zip(path[1:].tolist(), seg.tolist(), strict=True):
        travelled = out_len[-1] + step
        i = seen.get(node)
        if (i is not None and travelled - out_len[i] < max_loop_m
                and not (protected and any(n in protected for n in out[i + 1:]))):
            for dropped in out[i + 1:]:
                if seen.get(dropped, -1) > i:
                    del seen[dropped]
            del out[i + 1:]
            del out_len[i + 1:]
            continue
        seen[node] = len(out)
        out.append(node)
        out_len.append(travelled)
    return np.asarray(out, dtype=np.int64)


def _safety_cost(area: _Area, local_nodes: np.ndarray) -> float:
    """Length-weighted mean of (safety factor - 1) along the route; 0 outside safety mode."""
    if area.safety_signal is None or len(local_nodes) < 2:
        return 0.0
    edges = area.local_edges_along(local_nodes)
    length = area.length_m[edges]
    return float(((area.factor[edges] - 1.0) * length).sum() / max(length.sum(), 1e-9))


def _remove_spurs(path: np.ndarray, closed: bool, protected: frozenset[int] = frozenset()) -> np.ndarray:
    """Cut out-and-back spurs: any a -> ... -> a detour that returns along itself (a, b, a → a), unless its
    tip is a `protected` node (it draws a feature of the figure, e.g. a star's tip)."""
    stack: list[int] = []
    for node in path.tolist():
        if len(stack) >= 2 and stack[-2] == node and stack[-1] not in protected:
            stack.pop()
            continue
        if stack and stack[-1] == node:
            continue
        stack.append(node)
    # A spur at the start of a loop (start, x, ..., x, start) is the lead-in from the start: it stays.
    return np.asarray(stack, dtype=np.int64)


def _pick_diverse(graph: RoadGraph, area: _Area, ordered: list[_Candidate], count: int) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    chosen_edges: list[tuple[set[int], float]] = []
    for cand in ordered:
        edge_set = set(area.local_edges_along(cand.local_nodes).tolist())
        duplicate = False
        for other_set, other_len in chosen_edges:
            shared = float(area.length_m[list(edge_set & other_set)].sum())
            if shared > DUPLICATE_OVERLAP * min(cand.length_m, other_len):
                duplicate = True
                break
        if duplicate:
            continue
        chosen.append(cand)
        chosen_edges.append((edge_set, cand.length_m))
        if len(chosen) >= count + 2:
            break
    return chosen


def _finalise(graph: RoadGraph, area: _Area, chosen: list[_Candidate], outline: np.ndarray,
              request: PlanRequest, target_m: float, *, deadline: _Deadline,
              enforce_tolerance: bool = True) -> list[PlannedRoute]:
    """Score the chosen candidates (`shape_fidelity` of the figure part, which includes recognisability),
    drop those outside the length tolerance or mostly retraced (unless `enforce_tolerance` is False) and
    rank: recognisability-led fidelity minus length, approach and safety penalties."""
    report_lit = area.lit_tagged_share >= LIT_RATIO_MIN_SHARE
    projection = area.projection
    scored = []
    for cand in chosen:
        if len(scored) >= request.options_count and deadline.passed():
            break  # out of time: the spare candidates (best first already) are not scored
        node_ids = area.nodes[cand.local_nodes]
        local_edges = area.local_edges_along(cand.local_nodes)
        edges = area.edge_ids[local_edges]
        edge_len = area.length_m[local_edges]
        distance_m = float(edge_len.sum())
        coords = np.stack([graph.node_lat[node_ids], graph.node_lon[node_ids]], axis=1)
        first, last = cand.figure_range if cand.figure_range is not None else (0, len(node_ids) - 1)
        figure_coords = coords[first:last + 1]
        fid = shape_fidelity(outline, figure_coords, closed=request.closed)
        figure_edges = edges[first:last]
        figure_len = edge_len[first:last]
        _, first_use = np.unique(figure_edges, return_index=True)
        repeated = np.ones(len(figure_edges), dtype=bool)
        repeated[first_use] = False
        figure_m = float(figure_len.sum())
        retrace = float(figure_len[repeated].sum() / figure_m) if figure_m > 0 else 0.0
        lit_ratio = float(edge_len[area.lit[local_edges] == LIT_YES].sum() / distance_m) if report_lit else None
        length_error = abs(distance_m - target_m) / target_m
        if enforce_tolerance and (length_error > LENGTH_TOLERANCE or retrace > MAX_RETRACE_SHARE):
            continue
        outline_latlng = projection.to_latlng(cand.outline_m)
        approach_m = max(distance_m - figure_m, 0.0)
        centre = cand.centre_xy if cand.centre_xy is not None else cand.outline_m.mean(axis=0)
        centre_latlng = projection.to_latlng(np.asarray(centre))
        rank_key = (fid.score - RANK_LENGTH_PENALTY * length_error - SAFETY_RANK_WEIGHT * cand.safety_cost
                    - RANK_APPROACH_PENALTY * approach_m / max(distance_m, 1.0))
        scored.append((rank_key, PlannedRoute(
            coordinates=coords, node_ids=node_ids, distance_m=distance_m, fidelity=fid,
            length_error=length_error, lit_ratio=lit_ratio, safety_signal=area.safety_signal, rank=0,
            outline_latlng=outline_latlng, retrace_share=retrace, rotation_deg=cand.rotation_deg,
            recognisability=fid.recognisability, approach_length_m=approach_m,
            figure_range=(int(first), int(last)),
            figure_center_latlng=(float(centre_latlng[0]), float(centre_latlng[1])),
            figure_perimeter_m=float(polyline_length(cand.outline_m)))))
    if not scored:
        raise RouteNotFound("no route within ±10 % of the target length (and mostly without retracing) could be "
                            "drawn here")
    scored.sort(key=lambda item: item[0], reverse=True)
    # Alternatives far worse than a best that reads as its figure are not worth showing (a scribble is not an
    # option); when even the best does not read well, the alternatives are shown so the runner can choose.
    if scored[0][1].recognisability >= RECOGNISABLE_MIN_SCORE:
        floor = scored[0][0] - MAX_SCORE_GAP_TO_BEST
        scored = [item for item in scored if item[0] >= floor]
    options = []
    for rank, (_, route) in enumerate(scored[: request.options_count], start=1):
        options.append(dataclasses.replace(route, rank=rank))
    return options
