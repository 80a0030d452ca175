"""The outline fit is its own module: fidelity and recognisability both use it, neither imports the other
for it (an import circle between the two made either one's import order matter)."""

import ast
from pathlib import Path

import numpy as np

from routes.planner import outline_fit
from routes.planner.shapes import template_outline

PLANNER = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):  # function-level imports too
        if isinstance(node, ast.ImportFrom):
            found.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_recognisability_does_not_import_fidelity():
    imported = _imported_modules(PLANNER / "recognisability.py")
    assert ".fidelity" not in imported and "routes.planner.fidelity" not in imported
    assert ".outline_fit" in imported


def test_outline_fit_imports_neither_score():
    imported = _imported_modules(PLANNER / "outline_fit.py")
    assert not imported & {".fidelity", ".recognisability", "routes.planner.fidelity",
                           "routes.planner.recognisability"}


def test_the_fit_recovers_a_similarity_transform():
    outline = np.asarray(template_outline("heart"), dtype=np.float64)
    theta = np.radians(25.0)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    route = outline @ rot.T * 400.0 + np.array([120.0, -60.0])
    fitted = outline_fit.fit_outline_to_route(outline, route, closed=True)
    assert abs(fitted.scale - 400.0) / 400.0 < 0.02
    assert abs(np.degrees(fitted.rotation_rad) - 25.0) < 2.0
    nearest = np.min(np.hypot(*(fitted.outline_xy[:, None, :] - route[None, :, :]).transpose(2, 0, 1)), axis=1)
    assert nearest.max() < 10.0
