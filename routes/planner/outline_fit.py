"""The similarity fit of an outline onto a route: where a figure lies on the streets it was drawn on.

Shared by `fidelity` (trace score) and `recognisability` (open figures' strips); a module of its own so that
neither imports the other for it. Both curves planar; the fit is a closed-form least-squares similarity at
the best cyclic shift of resampled points, refined by a trimmed symmetric ICP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .geometry import LocalProjection, polyline_length, resample_by_count, resample_by_spacing

# 5 m: fine enough that point-to-point distances approximate point-to-curve distances within 2.5 m.
RESAMPLE_SPACING_M = 5.0
# 30 m: typical urban smartphone error plus a sidewalk's offset from the street centre line; ICP pairs
# further than 2 buffers apart are trimmed so a detour does not dominate the fit.
BUFFER_M = 30.0
_FIT_SAMPLES = 128
_ICP_ITERATIONS = 6


@dataclass(frozen=True)
class FittedOutline:
    """The outline placed onto the route by the similarity fit.

    `outline_xy` is in the route's local projection (metres); `outline_latlng` the same in degrees.
    `scale` is metres per outline unit, `rotation_rad` counter-clockwise.
    """

    outline_xy: np.ndarray
    outline_latlng: np.ndarray
    scale: float
    rotation_rad: float
    reversed: bool
    projection: LocalProjection


def fit_outline_to_route(outline_xy: np.ndarray, route_xy: np.ndarray, *, closed: bool,
                         projection: LocalProjection | None = None) -> FittedOutline:
    """Best similarity transform (no reflection) of the outline onto the route, both planar.

    The returned outline is walked in the route's direction (reversed if that fits better).
    """
    outline_xy = np.asarray(outline_xy, dtype=np.float64)
    route_xy = np.asarray(route_xy, dtype=np.float64)
    if len(outline_xy) < 2 or polyline_length(outline_xy, closed=closed) <= 0:
        raise ValueError("outline must have at least two distinct points")
    outline_ring = outline_xy[:-1] if closed and np.allclose(outline_xy[0], outline_xy[-1]) else outline_xy
    src = _as_complex(resample_by_count(outline_ring, _FIT_SAMPLES, closed=closed))
    dst = _as_complex(resample_by_count(route_xy, _FIT_SAMPLES, closed=closed))

    candidates = []  # (residual, reversed, shift, coef, translation)
    for is_reversed in (False, True):
        base = src[::-1] if is_reversed else src
        shifts = np.arange(_FIT_SAMPLES) if closed else np.array([0])
        idx = (np.arange(_FIT_SAMPLES)[None, :] + shifts[:, None]) % _FIT_SAMPLES
        a = base[idx]  # (shifts, K)
        a_c = a - a.mean(axis=1, keepdims=True)
        b_c = dst - dst.mean()
        cross = (np.conj(a_c) * b_c).sum(axis=1)
        norm_a = (np.abs(a_c) ** 2).sum(axis=1)
        residual = (np.abs(b_c) ** 2).sum() - np.abs(cross) ** 2 / np.maximum(norm_a, 1e-300)
        coef = cross / np.maximum(norm_a, 1e-300)
        trans = dst.mean() - coef * a.mean(axis=1)
        for k in np.argsort(residual)[:2]:
            candidates.append((float(residual[k]), is_reversed, int(shifts[k]), coef[k], trans[k]))
    candidates.sort(key=lambda c: c[0])

    # Dense curves for ICP refinement (outline in its own units, route in metres).
    ring_dense = resample_by_count(outline_ring, 400, closed=closed)
    src_dense_fwd = _as_complex(ring_dense)
    route_dense = resample_by_spacing(route_xy, RESAMPLE_SPACING_M, max_points=1500)
    route_c = _as_complex(route_dense)
    route_tree = cKDTree(route_dense)

    best = None  # (objective, reversed, coef, trans)
    for _, is_reversed, _shift, coef, trans in candidates[:2]:
        src_dense = src_dense_fwd[::-1] if is_reversed else src_dense_fwd
        coef, trans, objective = _icp_refine(src_dense, route_c, route_tree, coef, trans)
        if best is None or objective < best[0]:
            best = (objective, is_reversed, coef, trans)
    assert best is not None
    _, is_reversed, coef, trans = best
    base = outline_ring[::-1] if is_reversed else outline_ring
    placed = coef * _as_complex(base) + trans
    placed_xy = np.stack([placed.real, placed.imag], axis=1)
    # ICP matches point sets, so for a symmetric shape both directions fit equally well: walk the outline
    # the way the route walks it (outline indices of the route's nearest points mostly increase).
    _, nearest_idx = cKDTree(placed_xy).query(route_dense)
    steps = np.diff(nearest_idx)
    if closed:
        n_placed = len(placed_xy)
        steps = (steps + n_placed // 2) % n_placed - n_placed // 2
    if steps.sum() < 0:
        placed_xy = placed_xy[::-1].copy()
        is_reversed = not is_reversed
    if projection is None:
        projection = LocalProjection(0.0, 0.0)
    return FittedOutline(outline_xy=placed_xy, outline_latlng=projection.to_latlng(placed_xy),
                         scale=float(abs(coef)), rotation_rad=float(np.angle(coef)),
                         reversed=is_reversed, projection=projection)


def _icp_refine(src: np.ndarray, route_c: np.ndarray, route_tree: cKDTree, coef: complex, trans: complex):
    """Symmetric, trimmed point-to-point ICP for a similarity transform (complex form)."""
    route_xy = np.stack([route_c.real, route_c.imag], axis=1)

    def objective_and_pairs(c, t):
        placed = c * src + t
        placed_xy = np.stack([placed.real, placed.imag], axis=1)
        d_out, i_route = route_tree.query(placed_xy)
        d_route, i_out = cKDTree(placed_xy).query(route_xy)
        # Truncated at 2 buffers so a detour does not dominate the fit.
        objective = (np.minimum(d_out, 2 * BUFFER_M).mean() + np.minimum(d_route, 2 * BUFFER_M).mean()) / 2
        return objective, d_out, i_route, d_route, i_out

    objective, d_out, i_route, d_route, i_out = objective_and_pairs(coef, trans)
    for _ in range(_ICP_ITERATIONS):
        p = np.concatenate([src, src[i_out]])
        q = np.concatenate([route_c[i_route], route_c])
        d = np.concatenate([d_out, d_route])
        w = (d <= max(2 * BUFFER_M, 2 * float(np.median(d)))).astype(np.float64)
        if w.sum() < 3:
            break
        new_coef, new_trans = _weighted_similarity(p, q, w)
        new_obj, *rest = objective_and_pairs(new_coef, new_trans)
        if new_obj >= objective * 0.999:
            if new_obj < objective:
                coef, trans, objective = new_coef, new_trans, new_obj
            break
        coef, trans, objective = new_coef, new_trans, new_obj
        d_out, i_route, d_route, i_out = rest
    return coef, trans, float(objective)


def _weighted_similarity(p: np.ndarray, q: np.ndarray, w: np.ndarray) -> tuple[complex, complex]:
    """Closed-form weighted least squares q ≈ c·p + t over complex numbers (Umeyama in 2-D)."""
    w_sum = w.sum()
    mp = (w * p).sum() / w_sum
    mq = (w * q).sum() / w_sum
    pc, qc = p - mp, q - mq
    coef = (w * np.conj(pc) * qc).sum() / max((w * np.abs(pc) ** 2).sum(), 1e-300)
    return complex(coef), complex(mq - coef * mp)


def _as_complex(xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    return xy[:, 0] + 1j * xy[:, 1]
