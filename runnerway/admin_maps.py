"""The admin's map widget: lines on a Leaflet map (vendored, runnerway/static/vendor/leaflet/).

The lines travel as JSON in the page (`json_script`), drawn by runnerway/static/runnerway/admin/map.js; the
only outside request is for tiles, from ADMIN_MAP_TILE_URL. Styles are named here and drawn in map.js.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

# A page of 7 200 fixes draws the same line with fewer vertices; tests and staff see the whole extent.
MAP_MAX_VERTICES = 2000

LEAFLET_MEDIA = forms.Media(
    css={"all": ["vendor/leaflet/leaflet.css", "runnerway/admin/map.css"]},
    js=["vendor/leaflet/leaflet.js", "runnerway/admin/map.js"],
)


@dataclass(frozen=True)
class MapLine:
    """One line on the map. style: figure | approach | outline | track | planned (colours in map.js);
    shown: drawn when the page opens (the others are ticked on in the layer control)."""

    label: str
    coordinates: Sequence[Sequence[float]]  # [[lat, lng], ...]
    style: str
    shown: bool = True


def thinned(coordinates: Sequence[Sequence[float]], max_vertices: int = MAP_MAX_VERTICES) -> list[list[float]]:
    """Every k-th vertex so at most `max_vertices` remain, the last one always kept; 6 decimals (~0.1 m)."""
    step = max(1, -(-len(coordinates) // max_vertices))
    kept = list(coordinates[::step])
    if (len(coordinates) - 1) % step:
        kept.append(coordinates[-1])
    return [[round(float(lat), 6), round(float(lng), 6)] for lat, lng in kept]


def map_widget(lines: Sequence[MapLine], *, element_id: str, start: Sequence[float] | None = None,
               height_px: int = 420) -> SafeString:
    """The map's HTML: a container and its lines as JSON; empty lines are left out. `start` [lat, lng] is
    marked with a dot (default: the first shown line's first point)."""
    drawn = [line for line in lines if len(line.coordinates) >= 2]
    if start is None and drawn:
        start = next((line for line in drawn if line.shown), drawn[0]).coordinates[0]
    data = {
        "start_label": str(_("start")),
        "start": None if start is None else [round(float(start[0]), 6), round(float(start[1]), 6)],
        "tile_url": settings.ADMIN_MAP_TILE_URL,
        "attribution": settings.ADMIN_MAP_TILE_ATTRIBUTION,
        "lines": [{"label": str(line.label), "style": line.style, "shown": line.shown,
                   "coordinates": thinned(line.coordinates)} for line in drawn],
    }
    return render_to_string("admin/runnerway/map_widget.html",
                            {"element_id": element_id, "data": data, "height_px": height_px})
