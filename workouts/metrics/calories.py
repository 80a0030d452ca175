"""Energy estimate with the ACSM metabolic equations."""

from __future__ import annotations

from .constants import (
    ACSM_RESTING_VO2,
    ACSM_RUNNING_HORIZONTAL,
    ACSM_RUNNING_VERTICAL,
    ACSM_WALKING_HORIZONTAL,
    ACSM_WALKING_VERTICAL,
    ACTIVITY_WALKING,
    DEFAULT_WEIGHT_KG,
    KCAL_PER_LITRE_O2,
)


def acsm_calories_kcal(
    *,
    distance_m: float,
    climb_m: float,
    moving_duration_s: float,
    weight_kg: float | None,
    activity_type: str = "running",
) -> tuple[float, bool]:
    """Gross energy (kcal) of the moving part of a run or walk, and whether the weight was assumed.

    The ACSM equations (see constants) integrated over moving time: horizontal cost x distance, vertical cost
    x climb (uphill metres only: the equations do not hold downhill), resting 3.5 ml/kg/min x moving minutes;
    then x weight and 5 kcal per litre of O2. `weight_kg` None or ≤ 0 → DEFAULT_WEIGHT_KG, flagged True.
    """
    weight_assumed = weight_kg is None or weight_kg <= 0
    weight = DEFAULT_WEIGHT_KG if weight_assumed else float(weight_kg)
    if activity_type == ACTIVITY_WALKING:
        horizontal, vertical = ACSM_WALKING_HORIZONTAL, ACSM_WALKING_VERTICAL
    else:
        horizontal, vertical = ACSM_RUNNING_HORIZONTAL, ACSM_RUNNING_VERTICAL
    oxygen_ml_per_kg = (
        horizontal * distance_m + vertical * max(climb_m, 0.0) + ACSM_RESTING_VO2 * moving_duration_s / 60.0
    )
    return oxygen_ml_per_kg * weight / 1000.0 * KCAL_PER_LITRE_O2, weight_assumed
