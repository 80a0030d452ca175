"""Turn-by-turn cues of a planned path: where the runner must decide, which way, onto which street.

Pure Python/numpy (no Django). `cues_for_path(graph, node_ids)` reads the junctions and way names of a
`RoadGraph`; `compute_cues(...)` does the work on plain coordinates, so tests can feed it any geometry.

A cue is announced only where the runner has a real decision:

* at a vertex with no other way out (the path's street just bends, or two ways meet end to end) nothing is
  said, whatever the angle: there is no wrong way to take. The exception is a turn-around (the path goes back
  along the edge it came by: a dead end, a star tip's out-and-back), which is always announced;
* at a junction the exit taken is compared with the other exits, all as angles relative to the direction the
  runner arrives from. The exit is *the obvious way on* when every other exit bends at least
  `OBVIOUS_MARGIN_DEG` more than it does. Straight on along the obvious way (a crossing) is not announced, and
  neither is a bend of the same street, or a gentle bend onto another way, when it is the obvious way;
* leaving one's street where another exit carries it on is announced even straight on ("continue onto ..."),
  because a runner following the street would go the other way;
* cues closer than `MERGE_DISTANCE_M` along the path are one decision (a dual carriageway, a crossing offset
  from the corner, a junction drawn as two nodes): they merge into one cue with the turn measured from the
  heading before the first to the heading after the last, placed at the vertex where the path bends most (the
  corner, not the crossing before it), and a jog that comes out straight says nothing;
* a decision within `MERGE_DISTANCE_M` of the start is how the runner sets off (the depart cue takes its
  direction and street), and one that close to the finish is not announced: the finish is in sight.

Headings are measured over `HEADING_WINDOW_M` of path on each side of a vertex, not over its two segments:
OSM draws corners with several vertices a few metres apart and a single segment's direction is noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .geometry import LocalProjection

DEPART, ARRIVE = "depart", "arrive"
CONTINUE = "continue"
SLIGHT_LEFT, SLIGHT_RIGHT = "slight_left", "slight_right"
LEFT, RIGHT = "left", "right"
SHARP_LEFT, SHARP_RIGHT = "sharp_left", "sharp_right"
U_TURN = "u_turn"
TURNS = (DEPART, LEFT, RIGHT, SLIGHT_LEFT, SLIGHT_RIGHT, SHARP_LEFT, SHARP_RIGHT, U_TURN, CONTINUE, ARRIVE)

# 15 m: past the few vertices OSM rounds a corner with and a junction node set off the street's line, yet
# short of the next junction (city blocks are 40 m and more).
HEADING_WINDOW_M = 15.0
# ≤ 25°: straight on. Streets wobble 10-20° through a junction as drawn in OSM, and a runner calls that straight.
STRAIGHT_MAX_DEG = 25.0
# ≤ 50°: a slight turn ("keep left"); beyond, a turn proper. Halfway between straight on and a square corner.
SLIGHT_MAX_DEG = 50.0
# > 130°: a sharp turn, the runner doubles back at an acute corner.
TURN_MAX_DEG = 130.0
# > 160°: a U-turn (measured over the window, a true reversal reads 170-180°).
SHARP_MAX_DEG = 160.0
# The exit taken is the obvious way on when every other exit bends 20° more: a runner keeps to the straightest
# way without being told, and below that margin the choice looks like a fork.
OBVIOUS_MARGIN_DEG = 20.0
# Decisions within 20 m are one: a dual carriageway's two halves, a pedestrian crossing set back from the corner.
MERGE_DISTANCE_M = 20.0

NO_STREET = ("", "", "")


@dataclass(frozen=True)
class Cue:
    """One announcement along a path.

    turn: one of TURNS. distance_m: metres from the previous cue (0 for depart). distance_from_start_m: metres
    along the path. latitude, longitude: the vertex where it happens (degrees). bearing_deg: direction of travel
    after it (0 north, clockwise; for arrive, the direction of arrival). street / street_ko / street_en: the way
    taken after it (its `name`, `name:ko`, `name:en` tags; "" where untagged or unnamed, and for arrive).
    """

    turn: str
    distance_m: float
    distance_from_start_m: float
    latitude: float
    longitude: float
    bearing_deg: float
    street: str = ""
    street_ko: str = ""
    street_en: str = ""

    def to_json(self) -> dict:
        """Plain JSON types, distances to 0.1 m, positions to 7 decimals, the bearing to a whole degree."""
        data = asdict(self)
        data["distance_m"] = round(self.distance_m, 1)
        data["distance_from_start_m"] = round(self.distance_from_start_m, 1)
        data["latitude"] = round(self.latitude, 7)
        data["longitude"] = round(self.longitude, 7)
        data["bearing_deg"] = round(self.bearing_deg) % 360
        return data


@dataclass(frozen=True)
class Exit:
    """A way out of a path vertex that the path does not take: the neighbouring node's position and the way's
    name (the `name` tag, "" unnamed)."""

    latitude: float
    longitude: float
    street: str = ""


def classify_turn(angle_deg: float) -> str:
    """The turn for a signed heading change (degrees, positive = to the right, -180..180)."""
    size = abs(angle_deg)
    if size <= STRAIGHT_MAX_DEG:
        return CONTINUE
    if size > SHARP_MAX_DEG:
        return U_TURN
    if size <= SLIGHT_MAX_DEG:
        return SLIGHT_RIGHT if angle_deg > 0 else SLIGHT_LEFT
    if size <= TURN_MAX_DEG:
        return RIGHT if angle_deg > 0 else LEFT
    return SHARP_RIGHT if angle_deg > 0 else SHARP_LEFT


def compute_cues(
    coordinates: np.ndarray,
    *,
    segment_streets: Sequence[tuple[str, str, str]],
    exits: Sequence[Sequence[Exit]],
) -> list[Cue]:
    """The cues of a path: depart, the decisions (see the module docstring), arrive.

    coordinates: (M, 2) [lat, lng] degrees. segment_streets: M-1 (name, name:ko, name:en) of the way each segment
    runs on (NO_STREET where unnamed); streets are told apart by `name`. exits: M sequences, the ways out of each
    vertex other than the path's own two segments (empty: nothing to choose, no cue unless the path turns back).
    Returns [] for a path of fewer than 2 distinct points. O(M) numpy plus O(junctions x exits) Python.
    """
    points = np.asarray(coordinates, dtype=np.float64).reshape(-1, 2)
    if len(segment_streets) != max(len(points) - 1, 0) or len(exits) != len(points):
        raise ValueError("segment_streets needs one entry per segment and exits one per vertex")
    # Repeated points carry no direction: keep the first of each run (and the street of the segment leaving it).
    keep = np.ones(len(points), dtype=bool)
    if len(points) > 1:
        keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    kept = np.flatnonzero(keep)
    if len(kept) < 2:
        return []
    points = points[kept]
    streets = [segment_streets[k] for k in kept[:-1]]  # segment k leaves vertex k
    vertex_exits = [exits[k] for k in kept]

    projection = LocalProjection(float(points[:, 0].mean()), float(points[:, 1].mean()))
    xy = projection.to_xy(points[:, 0], points[:, 1])
    along_m = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    total_m = float(along_m[-1])

    def position_at(distance_m: np.ndarray) -> np.ndarray:
        clipped = np.clip(distance_m, 0.0, total_m)
        return np.stack([np.interp(clipped, along_m, xy[:, 0]), np.interp(clipped, along_m, xy[:, 1])], axis=1)

    behind = position_at(along_m - HEADING_WINDOW_M)
    ahead = position_at(along_m + HEADING_WINDOW_M)
    bearing_in = _bearing_deg(behind, xy)  # arriving at each vertex (undefined at 0)
    bearing_out = _bearing_deg(xy, ahead)  # leaving each vertex (undefined at the end)

    reversal = np.zeros(len(points), dtype=bool)
    reversal[1:-1] = np.all(points[:-2] == points[2:], axis=1)
    context = _PathContext(points, xy, along_m, streets, vertex_exits, bearing_in, bearing_out, projection,
                           reversal)
    depart_vertex = 0
    decisions = []
    for first, last in _junction_clusters(context):
        turn = _decision(context, first, last)
        if turn is None or total_m - along_m[first] < MERGE_DISTANCE_M:
            continue  # nothing to decide, or the finish is already in sight
        if along_m[first] < MERGE_DISTANCE_M:
            depart_vertex = last  # a turn within a few metres of the start is the way one sets off
            continue
        decisions.append((first, last, turn))
    cues = [Cue(DEPART, 0.0, 0.0, float(points[0, 0]), float(points[0, 1]), float(bearing_out[depart_vertex]),
                *context.street_after(depart_vertex))]
    # Within a cluster the cue sits where the path bends most (the corner itself, not the crossing before it).
    segment_bearing = _bearing_deg(xy[:-1], xy[1:])
    vertex_turn = np.zeros(len(points))
    vertex_turn[1:-1] = np.abs((segment_bearing[1:] - segment_bearing[:-1] + 180.0) % 360.0 - 180.0)
    for first, last, turn in decisions:
        at = first + int(np.argmax(vertex_turn[first:last + 1]))
        previous = cues[-1].distance_from_start_m
        cues.append(Cue(turn, float(along_m[at]) - previous, float(along_m[at]), float(points[at, 0]),
                        float(points[at, 1]), float(bearing_out[last]), *context.street_after(last)))
    cues.append(Cue(ARRIVE, total_m - cues[-1].distance_from_start_m, total_m, float(points[-1, 0]),
                    float(points[-1, 1]), float(bearing_in[-1])))
    return cues


def cues_for_path(graph, node_ids: np.ndarray) -> list[Cue]:
    """The cues of a path through `graph` (a `RoadGraph`) given as its node indices (consecutive ones joined
    by edges, as `plan_routes` returns them): way names from the graph's name table, exits from its adjacency."""
    node_ids = np.asarray(node_ids, dtype=np.int64)
    if len(node_ids) < 2:
        return []
    node_lat, node_lon = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    coordinates = np.stack([node_lat[node_ids], node_lon[node_ids]], axis=1)
    edge_ids = graph.edge_ids_along(node_ids)
    name_idx = np.where(edge_ids >= 0, np.asarray(graph.edge_name_idx)[np.maximum(edge_ids, 0)], -1)
    streets = [_street_names(graph, int(index)) for index in name_idx]
    indptr, adj_node, adj_edge = graph.indptr, graph.adj_node, graph.adj_edge
    exits: list[list[Exit]] = []
    for position, node in enumerate(node_ids.tolist()):
        start, end = int(indptr[node]), int(indptr[node + 1])
        on_path = {int(node_ids[position - 1])} if position > 0 else set()
        if position + 1 < len(node_ids):
            on_path.add(int(node_ids[position + 1]))
        vertex_exits = []
        for neighbour, edge in zip(adj_node[start:end].tolist(), adj_edge[start:end].tolist(), strict=True):
            if neighbour not in on_path:
                vertex_exits.append(Exit(float(node_lat[neighbour]), float(node_lon[neighbour]),
                                         _street_names(graph, int(graph.edge_name_idx[edge]))[0]))
        exits.append(vertex_exits)
    return compute_cues(coordinates, segment_streets=streets, exits=exits)


# --- internals ---------------------------------------------------------------------------------------------

def _street_names(graph, name_idx: int) -> tuple[str, str, str]:
    if not 0 <= name_idx < len(graph.names):
        return NO_STREET
    return graph.names[name_idx], graph.names_ko[name_idx], graph.names_en[name_idx]


def _bearing_deg(origin_xy: np.ndarray, target_xy: np.ndarray) -> np.ndarray:
    delta = np.asarray(target_xy) - np.asarray(origin_xy)
    return np.degrees(np.arctan2(delta[..., 0], delta[..., 1])) % 360.0


def _signed_change(from_deg: float, to_deg: float) -> float:
    """Heading change from one bearing to another, -180..180, positive clockwise (to the right)."""
    return float((to_deg - from_deg + 180.0) % 360.0 - 180.0)


@dataclass
class _PathContext:
    points: np.ndarray
    xy: np.ndarray
    along_m: np.ndarray
    streets: list[tuple[str, str, str]]
    exits: list[Sequence[Exit]]
    bearing_in: np.ndarray
    bearing_out: np.ndarray
    projection: LocalProjection
    reversal: np.ndarray  # bool per vertex: the path goes back to the vertex it came from

    def __post_init__(self):
        east, north = self.projection.to_xy(1.0, 1.0) - self.projection.to_xy(0.0, 0.0)
        self.metres_per_degree = (float(east), float(north))

    def is_reversal(self, i: int) -> bool:
        return bool(self.reversal[i])

    def street_after(self, i: int) -> tuple[str, str, str]:
        """The way taken after vertex i: its segment's, or where that is an unnamed link (a crossing, a
        connector) the first named way that starts within MERGE_DISTANCE_M: that is where the runner heads."""
        for k in range(i, len(self.streets)):
            if self.streets[k][0] or self.along_m[k] - self.along_m[i] >= MERGE_DISTANCE_M:
                return self.streets[k] if self.streets[k][0] else self.streets[i]
        return self.streets[i]

    def street_before(self, i: int) -> str:
        for k in range(i - 1, -1, -1):
            if self.streets[k][0] or self.along_m[i] - self.along_m[k + 1] >= MERGE_DISTANCE_M:
                return self.streets[k][0]
        return ""

    def exit_angles(self, first: int, last: int) -> list[tuple[float, str]]:
        """(angle relative to the heading arriving at `first`, way name) of every exit of vertices first..last."""
        found = []
        east_m_per_deg, north_m_per_deg = self.metres_per_degree
        heading_in = float(self.bearing_in[first])
        for i in range(first, last + 1):
            lat, lon = self.points[i]
            for exit_ in self.exits[i]:
                # plain floats: a handful of exits per junction, numpy's per-call overhead would dominate
                bearing = math.degrees(math.atan2((exit_.longitude - lon) * east_m_per_deg,
                                                  (exit_.latitude - lat) * north_m_per_deg)) % 360.0
                found.append((_signed_change(heading_in, bearing), exit_.street))
        return found


def _junction_clusters(context: _PathContext) -> list[tuple[int, int]]:
    """(first, last) vertex of each place the runner may have to decide: junction vertices (with exits) within
    MERGE_DISTANCE_M of the cluster's first vertex are one place; a turn-around is a place of its own."""
    clusters: list[tuple[int, int]] = []
    open_cluster = False
    for i in range(1, len(context.points) - 1):
        if context.is_reversal(i):
            clusters.append((i, i))
            open_cluster = False
        elif context.exits[i]:
            if open_cluster and context.along_m[i] - context.along_m[clusters[-1][0]] < MERGE_DISTANCE_M:
                clusters[-1] = (clusters[-1][0], i)
            else:
                clusters.append((i, i))
                open_cluster = True
    return clusters


def _decision(context: _PathContext, first: int, last: int) -> str | None:
    """The turn to announce at the junction cluster first..last, or None when there is nothing to decide."""
    if first == last and context.is_reversal(first):
        return U_TURN  # turning back along the way it came: always said, even at a dead end
    angle = _signed_change(context.bearing_in[first], context.bearing_out[last])
    street_in, street_out = context.street_before(first), context.street_after(last)[0]
    others = context.exit_angles(first, last)
    obvious = all(abs(other) >= abs(angle) + OBVIOUS_MARGIN_DEG for other, _ in others)
    # Leaving one's street where another exit carries it on: a runner following the street would go wrong.
    leaves_street = bool(street_in) and street_out != street_in and any(name == street_in for _, name in others)
    same_street = bool(street_in) and street_in == street_out
    if not leaves_street:
        if obvious:
            if abs(angle) <= STRAIGHT_MAX_DEG:
                return None  # straight over a crossing
            if same_street and abs(angle) <= SHARP_MAX_DEG:
                return None  # the street itself bends and no other way bends less
            if abs(angle) <= SLIGHT_MAX_DEG:
                return None  # a gentle bend onto the only natural way on
        elif same_street and abs(angle) <= SLIGHT_MAX_DEG:
            return None  # one's own street bending gently is the natural way on, even past a straighter lane
    turn = classify_turn(angle)
    if turn != CONTINUE:
        return turn
    # Straight on, announced: at a fork, keep left or right of the branch that is about as straight.
    close = [other for other, _ in others if abs(other) < abs(angle) + OBVIOUS_MARGIN_DEG]
    if not close:
        return CONTINUE
    rival = min(close, key=abs)
    return SLIGHT_RIGHT if angle > rival else SLIGHT_LEFT
