"""Turn cues on synthetic street layouts with exact expected announcements (routes/planner/cues.py)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routes.planner.cues import (
    ARRIVE,
    CONTINUE,
    DEPART,
    LEFT,
    NO_STREET,
    RIGHT,
    SHARP_LEFT,
    SHARP_RIGHT,
    SLIGHT_LEFT,
    SLIGHT_RIGHT,
    U_TURN,
    Cue,
    Exit,
    classify_turn,
    compute_cues,
    cues_for_path,
)
from routes.planner.graph import HighwayClass, RoadGraph

from .synthetic import ORIGIN


class Streets:
    """A small network drawn in metres around ORIGIN: named nodes, ways as node chains with names."""

    def __init__(self):
        self.nodes: dict[str, tuple[float, float]] = {}
        self.ways: list[tuple[list[str], tuple[str, str, str]]] = []

    def node(self, key: str, x_m: float, y_m: float) -> Streets:
        self.nodes[key] = (x_m, y_m)
        return self

    def way(self, keys: list[str], name: str = "", name_ko: str = "", name_en: str = "") -> Streets:
        self.ways.append((keys, (name, name_ko, name_en)))
        return self

    def graph(self) -> RoadGraph:
        keys = list(self.nodes)
        index = {key: i for i, key in enumerate(keys)}
        latlng = ORIGIN.to_latlng(np.array([self.nodes[key] for key in keys]))
        names: list[tuple[str, str, str]] = []
        edge_u, edge_v, edge_name = [], [], []
        for chain, street in self.ways:
            name_idx = -1
            if street[0]:
                if street not in names:
                    names.append(street)
                name_idx = names.index(street)
            for a, b in pairwise(chain):
                edge_u.append(index[a])
                edge_v.append(index[b])
                edge_name.append(name_idx)
        graph = RoadGraph.from_edges(
            node_lat=latlng[:, 0], node_lon=latlng[:, 1], edge_u=edge_u, edge_v=edge_v,
            edge_highway=np.full(len(edge_u), HighwayClass.RESIDENTIAL), edge_name_idx=edge_name,
            names=[n[0] for n in names], names_ko=[n[1] for n in names], names_en=[n[2] for n in names])
        graph.node_key_index = index
        return graph

    def path(self, graph: RoadGraph, keys: list[str]) -> np.ndarray:
        return np.array([graph.node_key_index[key] for key in keys])


def turns(cues: list[Cue]) -> list[tuple[str, str]]:
    return [(cue.turn, cue.street) for cue in cues]


def grid(size: int = 5, spacing_m: float = 100.0) -> Streets:
    """A size x size street grid: node "c{col}r{row}"; row streets "Row {row}" run east, columns "Col {col}"
    north; the Korean and English names of the row streets are given too."""
    streets = Streets()
    for row in range(size):
        for col in range(size):
            streets.node(f"c{col}r{row}", col * spacing_m, row * spacing_m)
    for row in range(size):
        streets.way([f"c{col}r{row}" for col in range(size)], f"Row {row}", f"{row}번길", f"Row {row}-gil")
    for col in range(size):
        streets.way([f"c{col}r{row}" for row in range(size)], f"Col {col}")
    return streets


def test_a_square_from_its_corner_is_depart_three_turns_arrive():
    streets = grid()
    graph = streets.graph()
    # East along Row 1 over the Col 2 crossing, north on Col 3, west on Row 3, south on Col 1, back to the corner.
    keys = ["c1r1", "c2r1", "c3r1", "c3r2", "c3r3", "c2r3", "c1r3", "c1r2", "c1r1"]
    cues = cues_for_path(graph, streets.path(graph, keys))

    assert turns(cues) == [(DEPART, "Row 1"), (LEFT, "Col 3"), (LEFT, "Row 3"), (LEFT, "Col 1"), (ARRIVE, "")]
    assert [cue.distance_m for cue in cues] == pytest.approx([0, 200, 200, 200, 200], abs=0.5)
    assert [cue.distance_from_start_m for cue in cues] == pytest.approx([0, 200, 400, 600, 800], abs=0.5)
    assert [round(cue.bearing_deg) % 360 for cue in cues] == [90, 0, 270, 180, 180]
    corners = ORIGIN.to_latlng(np.array([[100, 100], [300, 100], [300, 300], [100, 300], [100, 100]]))
    np.testing.assert_allclose([[cue.latitude, cue.longitude] for cue in cues], corners, atol=1e-9)
    # The row streets' Korean and English names travel with the cue; the column streets have none.
    assert (cues[0].street_ko, cues[0].street_en) == ("1번길", "Row 1-gil")
    assert (cues[1].street_ko, cues[1].street_en) == ("", "")


def test_the_same_square_clockwise_turns_right():
    streets = grid()
    graph = streets.graph()
    keys = ["c1r1", "c1r2", "c1r3", "c2r3", "c3r3", "c3r2", "c3r1", "c2r1", "c1r1"]
    assert [cue.turn for cue in cues_for_path(graph, streets.path(graph, keys))] == [
        DEPART, RIGHT, RIGHT, RIGHT, ARRIVE]


def test_a_bend_along_one_street_with_no_other_way_is_not_a_turn():
    streets = (Streets().node("a", 0, 0).node("b", 100, 0).node("c", 100, 100).node("d", 170, 170)
               .way(["a", "b", "c", "d"], "Elbow street"))
    graph = streets.graph()
    cues = cues_for_path(graph, streets.path(graph, ["a", "b", "c", "d"]))
    assert turns(cues) == [(DEPART, "Elbow street"), (ARRIVE, "")]


def test_two_ways_meeting_end_to_end_at_a_corner_need_no_cue():
    # No other way to take at the corner: the name changes but there is nothing to decide.
    streets = (Streets().node("a", 0, 0).node("b", 100, 0).node("c", 100, 100)
               .way(["a", "b"], "First street").way(["b", "c"], "Second street"))
    graph = streets.graph()
    assert [cue.turn for cue in cues_for_path(graph, streets.path(graph, ["a", "b", "c"]))] == [DEPART, ARRIVE]


def test_a_street_bending_at_a_junction_with_a_straighter_side_street_is_not_announced():
    # Main street bends 40° left where a lane goes straight on: the runner follows the street they are on.
    streets = (Streets().node("a", 0, 0).node("j", 100, 0).node("b", 100 + 100 * np.cos(np.radians(40)),
                                                                     100 * np.sin(np.radians(40)))
               .node("lane", 200, 0).way(["a", "j", "b"], "Main street").way(["j", "lane"], "Lane"))
    graph = streets.graph()
    assert [cue.turn for cue in cues_for_path(graph, streets.path(graph, ["a", "j", "b"]))] == [DEPART, ARRIVE]


def test_a_crossing_straight_on_is_not_announced_but_turning_there_is():
    streets = grid()
    graph = streets.graph()
    straight = cues_for_path(graph, streets.path(graph, ["c0r2", "c1r2", "c2r2", "c3r2", "c4r2"]))
    assert turns(straight) == [(DEPART, "Row 2"), (ARRIVE, "")]
    assert straight[-1].distance_m == pytest.approx(400, abs=0.5)
    right = cues_for_path(graph, streets.path(graph, ["c0r2", "c1r2", "c2r2", "c2r1", "c2r0"]))
    assert turns(right) == [(DEPART, "Row 2"), (RIGHT, "Col 2"), (ARRIVE, "")]


def test_leaving_ones_street_straight_on_where_it_turns_away_is_continue():
    # The avenue turns 70° right at the junction; the path keeps straight onto a lane.
    streets = (Streets().node("a", 0, 0).node("j", 100, 0)
               .node("b", 100 + 100 * np.cos(np.radians(70)), -100 * np.sin(np.radians(70))).node("lane", 200, 0)
               .way(["a", "j", "b"], "Avenue").way(["j", "lane"], "Lane"))
    graph = streets.graph()
    cues = cues_for_path(graph, streets.path(graph, ["a", "j", "lane"]))
    assert turns(cues) == [(DEPART, "Avenue"), (CONTINUE, "Lane"), (ARRIVE, "")]


def test_a_fork_says_which_branch_to_keep_to():
    branch = [(100 + 100 * np.cos(np.radians(a)), 100 * np.sin(np.radians(a))) for a in (15, -15)]
    streets = (Streets().node("a", 0, 0).node("j", 100, 0).node("left", *branch[0]).node("right", *branch[1])
               .way(["a", "j"], "Stem").way(["j", "left"], "North fork").way(["j", "right"], "South fork"))
    graph = streets.graph()
    assert turns(cues_for_path(graph, streets.path(graph, ["a", "j", "left"])))[1] == (SLIGHT_LEFT, "North fork")
    assert turns(cues_for_path(graph, streets.path(graph, ["a", "j", "right"])))[1] == (SLIGHT_RIGHT,
                                                                                         "South fork")


def test_a_turn_around_at_a_dead_end_is_a_u_turn():
    streets = Streets().node("a", 0, 0).node("b", 150, 0).node("end", 250, 0).way(["a", "b", "end"], "Cul-de-sac")
    graph = streets.graph()
    cues = cues_for_path(graph, streets.path(graph, ["a", "b", "end", "b", "a"]))
    assert turns(cues) == [(DEPART, "Cul-de-sac"), (U_TURN, "Cul-de-sac"), (ARRIVE, "")]
    assert [cue.distance_m for cue in cues] == pytest.approx([0, 250, 250], abs=0.5)


def test_a_dual_carriageway_crossed_in_two_steps_is_one_turn():
    # Turning right off a street whose far side is 12 m away: two junction nodes, one decision.
    streets = (Streets().node("w", -100, 0).node("j1", 0, 0).node("e", 100, 0)
               .node("j2", 0, -12).node("w2", -100, -12).node("e2", 100, -12).node("s", 0, -120)
               .way(["w", "j1", "e"], "Boulevard").way(["w2", "j2", "e2"], "Boulevard")
               .way(["j1", "j2"], "").way(["j2", "s"], "Side road"))
    graph = streets.graph()
    cues = cues_for_path(graph, streets.path(graph, ["w", "j1", "j2", "s"]))
    assert turns(cues) == [(DEPART, "Boulevard"), (RIGHT, "Side road"), (ARRIVE, "")]


def test_a_jog_across_an_offset_crossing_says_nothing():
    # A crossing set 8 m sideways: right then left within a few metres comes out straight on the same street.
    streets = (Streets().node("a", 0, 0).node("j1", 100, 0).node("j2", 100, -8).node("b", 200, -8)
               .node("n", 100, 100).node("s", 100, -100)
               .way(["a", "j1"], "High street").way(["j2", "b"], "High street").way(["n", "j1", "j2", "s"], "Cross"))
    graph = streets.graph()
    assert [cue.turn for cue in cues_for_path(graph, streets.path(graph, ["a", "j1", "j2", "b"]))] == [
        DEPART, ARRIVE]


def test_a_turn_a_few_metres_from_the_start_is_how_the_runner_sets_off():
    # Starting 10 m west of the corner of Row 2 and Col 2, heading east, then north up Col 2.
    streets = grid()
    streets.node("start", 190, 200).way(["c1r2", "start", "c2r2"], "Row 2")
    graph = streets.graph()
    cues = cues_for_path(graph, streets.path(graph, ["start", "c2r2", "c2r3", "c2r4"]))
    assert turns(cues) == [(DEPART, "Col 2"), (ARRIVE, "")]
    assert round(cues[0].bearing_deg) % 360 == 0
    # ... and the same near the finish: the runner already sees it.
    cues = cues_for_path(graph, streets.path(graph, ["c2r4", "c2r3", "c2r2", "start"]))
    assert turns(cues) == [(DEPART, "Col 2"), (ARRIVE, "")]


@pytest.mark.parametrize(("angle", "turn"), [
    (0, CONTINUE), (-25, CONTINUE), (30, SLIGHT_RIGHT), (-50, SLIGHT_LEFT), (90, RIGHT), (-91, LEFT),
    (140, SHARP_RIGHT), (-160, SHARP_LEFT), (170, U_TURN), (-180, U_TURN),
])
def test_angle_classes(angle, turn):
    assert classify_turn(angle) == turn


def test_short_and_degenerate_paths():
    assert compute_cues(np.zeros((0, 2)), segment_streets=[], exits=[]) == []
    assert compute_cues(np.array([[60.17, 24.94], [60.17, 24.94]]), segment_streets=[NO_STREET],
                        exits=[[], []]) == []
    with pytest.raises(ValueError):
        compute_cues(np.array([[60.17, 24.94], [60.18, 24.94]]), segment_streets=[], exits=[[], []])


def test_to_json_is_plain_and_rounded():
    cue = Cue(RIGHT, 120.04, 300.06, 37.123456789, 127.1, 359.7, "월드컵로", "월드컵로", "World Cup-ro")
    assert cue.to_json() == {"turn": "right", "distance_m": 120.0, "distance_from_start_m": 300.1,
                             "latitude": 37.1234568, "longitude": 127.1, "bearing_deg": 0, "street": "월드컵로",
                             "street_ko": "월드컵로", "street_en": "World Cup-ro"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([(1, 0), (-1, 0), (0, 1), (0, -1)]), min_size=1, max_size=30))
def test_cues_on_any_walk_of_the_grid_are_exactly_its_turns(moves):
    """A random walk of a 9 x 9 grid: depart first, arrive last, the legs add up to the path, and the turns are
    exactly the vertices where the walk changes direction (left/right, u_turn where it goes back), except at
    the grid's four corners, where there is no other way to go."""
    size = 9
    streets = grid(size=size, spacing_m=60.0)
    graph = streets.graph()
    col = row = 4
    cells, taken = [(col, row)], []
    for dc, dr in moves:
        if 0 <= col + dc < size and 0 <= row + dr < size:
            col, row = col + dc, row + dr
            cells.append((col, row))
            taken.append((dc, dr))
    cues = cues_for_path(graph, streets.path(graph, [f"c{c}r{r}" for c, r in cells]))
    if len(cells) < 2:
        assert cues == []
        return
    assert cues[0].turn == DEPART and cues[-1].turn == ARRIVE
    assert sum(cue.distance_m for cue in cues) == pytest.approx(cues[-1].distance_from_start_m)
    assert cues[-1].distance_from_start_m == pytest.approx(60.0 * (len(cells) - 1), rel=1e-3)
    along = [cue.distance_from_start_m for cue in cues]
    assert along == sorted(along)
    expected = []
    for i in range(1, len(cells) - 1):
        before, after = taken[i - 1], taken[i]
        corner = cells[i][0] in (0, size - 1) and cells[i][1] in (0, size - 1)
        if after == (-before[0], -before[1]):
            expected.append((i * 60.0, U_TURN))
        elif after != before and not corner:
            # bearings: east (1, 0) → north (0, 1) is a left turn
            cross = before[0] * after[1] - before[1] * after[0]
            expected.append((i * 60.0, LEFT if cross > 0 else RIGHT))
    assert [(round(cue.distance_from_start_m / 60.0) * 60.0, cue.turn) for cue in cues[1:-1]] == expected


def test_compute_cues_on_plain_coordinates():
    # Street A goes on east where the path turns north onto B: a turn, told from the exit left behind.
    cues = compute_cues(
        ORIGIN.to_latlng(np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]])),
        segment_streets=[("A", "", ""), ("B", "", "")],
        exits=[[], [Exit(*ORIGIN.to_latlng(np.array([[200.0, 0.0]]))[0], street="A")], []])
    assert turns(cues) == [(DEPART, "A"), (LEFT, "B"), (ARRIVE, "")]
