"""The SVG preview draws a placed figure's approach apart from the figure (issue 11)."""

import xml.etree.ElementTree as ET

from routes.exports import SVG_APPROACH_COLOR, SVG_STROKE_COLOR, svg_for_path

SVG = "{http://www.w3.org/2000/svg}"
# start, 3 points out to the figure, a square figure, the same 3 points back
APPROACH = [[60.0000, 24.0000], [60.0010, 24.0000], [60.0020, 24.0000], [60.0030, 24.0000]]
FIGURE = [[60.0030, 24.0000], [60.0030, 24.0040], [60.0050, 24.0040], [60.0050, 24.0000], [60.0030, 24.0000]]
PATH = APPROACH + FIGURE[1:] + APPROACH[::-1][1:]


def _polylines(svg: str):
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return root.findall(f"{SVG}polyline")


def test_approach_is_thinner_dashed_grey_and_the_figure_is_drawn_alone():
    figure_range = (len(APPROACH) - 1, len(APPROACH) - 1 + len(FIGURE) - 1)
    lines = _polylines(svg_for_path(PATH, figure_range=figure_range))
    approach = [line for line in lines if line.get("class") == "approach"]
    figure = [line for line in lines if line.get("class") == "figure"]
    assert len(approach) == 2 and len(figure) == 1
    assert len(figure[0].get("points").split()) == len(FIGURE)
    assert figure[0].get("stroke") == SVG_STROKE_COLOR and figure[0].get("stroke-dasharray") is None
    for leg in approach:
        assert leg.get("stroke") == SVG_APPROACH_COLOR and leg.get("stroke-dasharray")
        assert float(leg.get("stroke-width")) < float(figure[0].get("stroke-width"))
    # both legs start at the start point, so a way back along the approach shows the same dashes
    assert approach[0].get("points").split() == approach[1].get("points").split()
    assert lines.index(figure[0]) > lines.index(approach[-1])  # the figure on top


def test_without_an_approach_the_whole_path_is_the_figure():
    for figure_range in (None, (0, len(FIGURE) - 1)):
        lines = _polylines(svg_for_path(FIGURE, figure_range=figure_range))
        assert [line.get("class") for line in lines] == ["figure"]
        assert len(lines[0].get("points").split()) == len(FIGURE)


def test_a_stale_or_inverted_range_falls_back_to_the_whole_path():
    lines = _polylines(svg_for_path(FIGURE, figure_range=(3, 1)))
    assert [line.get("class") for line in lines] == ["figure"]
    assert len(lines[0].get("points").split()) == len(FIGURE)
