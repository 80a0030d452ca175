"""The API's units (API.md): distances in km with 2 decimals, whole seconds, paces as "m:ss" per km beside their
seconds, coordinates with 7 decimals, and the path object `{polyline, coordinates, bbox}` wherever a path appears.

Models store SI units (metres, seconds, seconds per km); these functions format them on output, and the
serializers below document the same shapes in the OpenAPI schema.
"""

from __future__ import annotations

import math

import polyline as polyline_codec
from rest_framework import serializers

POLYLINE_PRECISION = 5  # Google encoded polyline, precision 5 (~1 m)
COORDINATE_DECIMALS = 7  # ~1 cm: finer than any phone's fix


def km(distance_m: float | None) -> float | None:
    """Metres as km with 2 decimals."""
    return None if distance_m is None else round(distance_m / 1000.0, 2)


def whole(value: float | None) -> int | None:
    """Seconds (or kcal, bpm) rounded to the nearest whole number."""
    return None if value is None else round(value)


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def coordinate(degrees: float | None) -> float | None:
    return None if degrees is None else round(degrees, COORDINATE_DECIMALS)


def format_pace(seconds_per_km: float | None) -> str | None:
    """'m:ss' per km, rounded to the nearest second ("5:00" for 300.4 s); None stays None."""
    if seconds_per_km is None or not math.isfinite(seconds_per_km):
        return None
    total = round(seconds_per_km)
    return f"{total // 60}:{total % 60:02d}"


def path_object(coordinates: list[list[float]]) -> dict | None:
    """The path object of [[lat, lng], ...]; None for a path without points.

    One shape everywhere: "no path" is always null (a route without options, a track with no kept points,
    everything inside a privacy zone), so a path object's bbox is always four numbers."""
    if not coordinates:
        return None
    lats = [point[0] for point in coordinates]
    lngs = [point[1] for point in coordinates]
    return {
        "polyline": polyline_codec.encode([(lat, lng) for lat, lng in coordinates], POLYLINE_PRECISION),
        "coordinates": coordinates,
        "bbox": [coordinate(min(lats)), coordinate(min(lngs)), coordinate(max(lats)), coordinate(max(lngs))],
    }


def latlng_field(**kwargs) -> serializers.ListField:
    """[lat, lng]: exactly two numbers (the schema says so with minItems/maxItems)."""
    return serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, **kwargs)


def bbox_field(**kwargs) -> serializers.ListField:
    """[min_lat, min_lng, max_lat, max_lng]: exactly four numbers."""
    kwargs.setdefault("help_text", "[min_lat, min_lng, max_lat, max_lng]")
    return serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4, **kwargs)


class PathSerializer(serializers.Serializer):
    """API.md path object, the same wherever a path appears. A path without points is null: `bbox` has 4 numbers."""

    polyline = serializers.CharField(help_text="Google encoded polyline, precision 5.")
    coordinates = serializers.ListField(child=latlng_field(), help_text="[[lat, lng], ...]")
    bbox = bbox_field()
