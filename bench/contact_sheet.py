"""PNG contact sheets of planned options (a bench/dev tool; needs matplotlib from requirements/local.txt).

Each panel: the street network around the option in light grey, the figure part of the route in blue, the
approach from the start and back in orange (dashed), the outline as similarity-fitted to the route dashed in
black, the start as a dot, and in the title the shape, distance, recognisability, fidelity and approach share.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from routes.planner.fidelity import simplify_track
from routes.planner.geometry import LocalProjection
from routes.planner.outline_fit import fit_outline_to_route


def _street_segments(graph, projection: LocalProjection, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    xy = projection.to_xy(np.asarray(graph.node_lat), np.asarray(graph.node_lon))
    u, v = np.asarray(graph.edge_u), np.asarray(graph.edge_v)
    mid = (xy[u] + xy[v]) / 2
    keep = ((mid >= lo) & (mid <= hi)).all(axis=1)
    return np.stack([xy[u[keep]], xy[v[keep]]], axis=1)


def draw_panel(ax, graph, option, outline_xy, closed: bool, title: str) -> None:
    coords = np.asarray(option.coordinates)
    projection = LocalProjection(float(coords[0, 0]), float(coords[0, 1]))
    xy = projection.to_xy(coords[:, 0], coords[:, 1])
    first, last = option.figure_range
    last = len(xy) - 1 if last < 0 else last
    figure = xy[first:last + 1]
    span = max(float(np.ptp(xy, axis=0).max()), 200.0)
    centre = (xy.min(axis=0) + xy.max(axis=0)) / 2
    lo, hi = centre - 0.6 * span, centre + 0.6 * span
    ax.add_collection(LineCollection(_street_segments(graph, projection, lo, hi), colors="#d0d0d0",
                                     linewidths=0.5, zorder=1))
    if first > 0:
        ax.plot(xy[: first + 1, 0], xy[: first + 1, 1], color="#ff8800", lw=2.2, ls=(0, (3, 1.5)), zorder=3)
    if last < len(xy) - 1:
        ax.plot(xy[last:, 0], xy[last:, 1], color="#ff8800", lw=2.2, ls=(0, (3, 1.5)), zorder=3)
    ax.plot(figure[:, 0], figure[:, 1], color="#1f5fd0", lw=1.8, zorder=2)
    try:
        fitted = fit_outline_to_route(outline_xy, simplify_track(figure), closed=closed).outline_xy
        if closed:
            fitted = np.vstack([fitted, fitted[:1]])
        ax.plot(fitted[:, 0], fitted[:, 1], color="black", lw=1.0, ls="--", zorder=4)
    except ValueError:
        pass
    ax.plot([0], [0], "o", color="#d02020", ms=5, zorder=5)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7)


def option_title(shape: str, option) -> str:
    approach = option.approach_length_m / max(option.distance_m, 1.0)
    flag = "" if option.recognisable else " NOT recog."
    return (f"{shape} {option.distance_m / 1000:.2f} km  R {option.recognisability:.0f}  F "
            f"{option.fidelity.score:.0f}\napproach {approach:.0%}  IoU {option.fidelity.iou:.2f}  "
            f"{option.fidelity.rival_shape_id} {option.fidelity.rival_iou:.2f}{flag}")


def write_sheet(path: Path, graph, entries: list[tuple[str, object, np.ndarray, bool]], *, columns: int = 6,
                heading: str = "") -> None:
    """entries: (shape, option, outline_xy, closed), drawn in the given order."""
    if not entries:
        return
    rows = math.ceil(len(entries) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 2.6, rows * 2.8), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (shape, option, outline_xy, closed) in zip(axes.ravel(), entries, strict=False):
        ax.axis("on")
        draw_panel(ax, graph, option, outline_xy, closed, option_title(shape, option))
    if heading:
        fig.suptitle(heading, fontsize=10)
    # Room at the top for the heading, which tight_layout alone lets overlap the first row's titles.
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / max(rows, 1)) if heading else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
