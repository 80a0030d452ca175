"""RunnerWay route-planning engine: pure Python (numpy/scipy/osmium), no Django imports.

Public interface (see each module's docstrings):

* `shapes` — `SHAPE_TEMPLATES`, `outline_from_svg_path`, `outline_from_latlng`
* `fidelity` — `shape_fidelity(outline_xy, route_latlng, *, closed=True) -> Fidelity`
"""

from .fidelity import Fidelity, shape_fidelity
from .geometry import LocalProjection, latlng_to_local_xy
from .shapes import SHAPE_TEMPLATES, ShapeTemplate, is_closed, outline_from_latlng, outline_from_svg_path

__all__ = [
    "SHAPE_TEMPLATES",
    "Fidelity",
    "LocalProjection",
    "ShapeTemplate",
    "is_closed",
    "latlng_to_local_xy",
    "outline_from_latlng",
    "outline_from_svg_path",
    "shape_fidelity",
]
