"""Input and output shapes of the shapes and routes API (API.md "Shapes and routes")."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from routes.cues import cue_language, cues_render
from routes.models import (
    DEFAULT_OPTIONS,
    MAX_CUSTOM_POINTS,
    MAX_OPTIONS,
    MAX_PLACEMENT_PERIMETER_KM,
    MAX_PLACEMENT_SCALE,
    MAX_SVG_PATH_CHARS,
    MAX_TARGET_DISTANCE_KM,
    MAX_TARGET_DURATION_S,
    MIN_PLACEMENT_PERIMETER_KM,
    MIN_PLACEMENT_SCALE,
    MIN_TARGET_DISTANCE_KM,
    MIN_TARGET_DURATION_S,
    SHAPE_NAME_HELP,
    Route,
    RouteOption,
    RouteShape,
)
from runnerway.api.fields import UserTextField
from runnerway.api.units import PathSerializer

# --- Shapes ---------------------------------------------------------------------------------------------


# How every `shape_name` of the API (routes, workouts, posts) reads.


class ShapeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", help_text=(
        "The name in the client's language (`Accept-Language`: `ko`, the default, or `en`); in Korean it is "
        "`name_ko`, or `name_en` where the catalog has no Korean name."))
    name_en = serializers.CharField(source="name", help_text="The English name, whatever the language asked.")
    name_ko = serializers.CharField(help_text="The Korean name, whatever the language asked (empty if none).")
    estimated_distance = serializers.FloatField(help_text="Suggested target distance in km.")
    preview_svg_url = serializers.SerializerMethodField()

    class Meta:
        model = RouteShape
        fields = [
            "id",
            "shape_id",
            "name",
            "name_en",
            "name_ko",
            "icon_name",
            "category",
            "estimated_distance",
            "svg_template",
            "closed",
            "preview_svg_url",
        ]
        read_only_fields = fields

    def get_preview_svg_url(self, shape: RouteShape) -> str:
        url = reverse("routes:shape-preview", kwargs={"shape_id": shape.shape_id})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ShapeListQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=RouteShape.Category.choices, required=False)


# --- Paths and options ----------------------------------------------------------------------------------

# For a method field's schema (drf-spectacular drops the validators' minItems/maxItems of a field instance there).
LATLNG_SCHEMA = {"type": "array", "items": {"type": "number", "format": "double"}, "minItems": 2, "maxItems": 2,
                 "description": "[lat, lng]"}
# What safety mode used: lit tags, or main streets and park paths where the data has no lighting tags.
SAFETY_SIGNALS = ["lit", "road_class"]


class FidelityPartsSerializer(serializers.Serializer):
    buffer_f1 = serializers.FloatField()
    frechet_norm = serializers.FloatField()
    length_error = serializers.FloatField()
    retrace_share = serializers.FloatField()
    trace_score = serializers.FloatField(
        allow_null=True, help_text="0-100, the line-following part alone (F1, Fréchet, length, retrace)")
    recognisability = serializers.FloatField(allow_null=True, help_text="0-100, as the option's `recognisability`")
    iou = serializers.FloatField(
        allow_null=True, help_text="0..1, filled route vs the filled fitted outline (area intersection over union)")
    rival_iou = serializers.FloatField(
        allow_null=True, help_text="0..1, the best such overlap with any other catalogue figure")
    rival_shape_id = serializers.CharField(
        allow_null=True, help_text="the catalogue figure the route looks most like after its own (null: none)")


class FigurePlacementSerializer(serializers.Serializer):
    """Where the option's figure sits; send it back (moved, turned, resized) to `POST .../options`."""

    center_latitude = serializers.FloatField(allow_null=True, help_text="the figure's centre, degrees")
    center_longitude = serializers.FloatField(allow_null=True, help_text="the figure's centre, degrees")
    rotation_deg = serializers.FloatField(help_text="counter-clockwise turn from upright, 0..360")
    perimeter = serializers.FloatField(allow_null=True, help_text="km, the figure's outline perimeter")
    figure_range = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2,
        help_text="[i, j]: path.coordinates[i..j] (inclusive) is the figure; before i the approach from the "
        "start, after j the way back. [0, last] when the figure passes through the start.")


# --- Turn cues (routes/cues.py) --------------------------------------------------------------------------
CUE_EXAMPLE = [
    {"turn": "depart", "distance_m": 0, "distance_from_start_m": 0, "street": "월드컵로", "latitude": 37.5663,
     "longitude": 126.8972, "bearing_deg": 90, "instruction": "동쪽으로 출발, 월드컵로",
     "text": "동쪽으로 출발, 월드컵로"},
    {"turn": "right", "distance_m": 120, "distance_from_start_m": 120, "street": "성산로", "latitude": 37.5663,
     "longitude": 126.8986, "bearing_deg": 180, "instruction": "우회전, 성산로", "text": "120 m 후 우회전, 성산로"},
    {"turn": "arrive", "distance_m": 340, "distance_from_start_m": 460, "street": None, "latitude": 37.5633,
     "longitude": 126.8986, "bearing_deg": 180, "instruction": "도착", "text": "340 m 후 도착"},
]
CUE_LIST_SCHEMA = {
    "type": "array",
    "description": "Turn-by-turn cues in the client's language (`Accept-Language`: `ko`, the default, or `en`): "
    "`depart`, then only real decisions (a bend along one street and a crossing straight on are not announced), "
    "then `arrive`. Empty for options planned before cues existed. With `Accept-Language: en` the second cue "
    "reads \"In 120 m turn right onto Seongsan-ro\".",
    "items": {
        "type": "object",
        "required": ["turn", "distance_m", "distance_from_start_m", "street", "latitude", "longitude",
                     "bearing_deg", "instruction", "text"],
        "properties": {
            "turn": {"type": "string", "enum": ["depart", "left", "right", "slight_left", "slight_right",
                                                "sharp_left", "sharp_right", "u_turn", "continue", "arrive"]},
            "distance_m": {"type": "integer", "description": "m from the previous cue (0 for depart)"},
            "distance_from_start_m": {"type": "integer", "description": "m along the path from its start"},
            "street": {"type": "string", "nullable": True,
                       "description": "The way taken after the cue, in the client's language where OSM has it "
                       "(name:ko / name:en), else its local name; null where unnamed and for arrive"},
            "latitude": {"type": "number", "format": "double"},
            "longitude": {"type": "number", "format": "double"},
            "bearing_deg": {"type": "integer", "minimum": 0, "maximum": 359,
                            "description": "Direction of travel after the cue (arrive: of arrival), clockwise "
                            "from north"},
            "instruction": {"type": "string", "description": "What to do there: \"우회전, 성산로\" / "
                            "\"Turn right onto Seongsan-ro\""},
            "text": {"type": "string", "description": "The announcement from the previous cue: \"120 m 후 "
                     "우회전, 성산로\" / \"In 120 m turn right onto Seongsan-ro\""},
        },
    },
    "example": CUE_EXAMPLE,
}


class RouteOptionSerializer(serializers.ModelSerializer):
    distance = serializers.SerializerMethodField(help_text="km, 2 decimals")
    estimated_duration = serializers.IntegerField(source="estimated_duration_s", help_text="seconds")
    shape_fidelity = serializers.SerializerMethodField(help_text="0-100, see the formula in the description")
    fidelity = serializers.SerializerMethodField()
    elevation_gain = serializers.FloatField(
        allow_null=True, help_text="m; null: the OSM road network carries no elevation"
    )
    lit_ratio = serializers.FloatField(
        allow_null=True,
        help_text="0..1 of the length on lit ways; null when the area's data has no lighting tags",
    )
    start = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField()
    cues = serializers.SerializerMethodField()
    recognisability = serializers.SerializerMethodField(
        help_text="0-100 (null for options planned before it existed): how clearly the route shows its own "
        "figure rather than another catalogue figure; see the formula in the description")
    recognisable = serializers.BooleanField(
        help_text="false when the target distance is below the smallest one at which this figure can be "
        "drawn recognisably near the start (the route's `suggested_distance`)")
    approach_distance = serializers.SerializerMethodField(
        help_text="km, 2 decimals: the approach from the start to the figure plus the way back (0 when the "
        "figure passes through the start); included in `distance`")
    placement = serializers.SerializerMethodField()
    source = serializers.ChoiceField(
        choices=RouteOption.Source.choices,
        help_text="`planned` with the route, or `placed` by `POST /routes/{id}/options`")

    class Meta:
        model = RouteOption
        fields = [
            "id",
            "rank",
            "source",
            "distance",
            "estimated_duration",
            "shape_fidelity",
            "recognisability",
            "recognisable",
            "approach_distance",
            "placement",
            "fidelity",
            "elevation_gain",
            "lit_ratio",
            "start",
            "path",
            "cues",
        ]
        read_only_fields = fields

    def get_distance(self, option: RouteOption) -> float:
        return round(option.distance_km, 2)

    def get_shape_fidelity(self, option: RouteOption) -> float:
        return round(option.shape_fidelity, 1)

    def get_recognisability(self, option: RouteOption) -> float | None:
        return None if option.recognisability is None else round(option.recognisability, 1)

    def get_approach_distance(self, option: RouteOption) -> float:
        return round(option.approach_length_m / 1000.0, 2)

    @extend_schema_field(FigurePlacementSerializer)
    def get_placement(self, option: RouteOption) -> dict:
        def degrees(value):
            return None if value is None else round(float(value), 7)

        return {
            "center_latitude": degrees(option.figure_center_latitude),
            "center_longitude": degrees(option.figure_center_longitude),
            "rotation_deg": round(option.rotation_deg, 1),
            "perimeter": None if option.figure_perimeter_m is None else round(option.figure_perimeter_m / 1000, 2),
            "figure_range": list(option.figure_range),
        }

    @extend_schema_field(FidelityPartsSerializer)
    def get_fidelity(self, option: RouteOption) -> dict:
        def maybe(value, digits):
            return None if value is None else round(value, digits)

        return {
            "buffer_f1": round(option.buffer_f1, 3),
            "frechet_norm": round(option.frechet_norm, 3),
            "length_error": round(option.length_error, 3),
            "retrace_share": round(option.retrace_share, 3),
            "trace_score": maybe(option.trace_score, 1),
            "recognisability": maybe(option.recognisability, 1),
            "iou": maybe(option.iou, 3),
            "rival_iou": maybe(option.rival_iou, 3),
            "rival_shape_id": option.rival_shape_id or None,
        }

    @extend_schema_field(LATLNG_SCHEMA)
    def get_start(self, option: RouteOption) -> list[float]:
        return [float(option.start_latitude), float(option.start_longitude)]

    @extend_schema_field(PathSerializer)
    def get_path(self, option: RouteOption) -> dict:
        return {"polyline": option.polyline, "coordinates": option.coordinates(),
                "bbox": [round(value, 7) for value in option.bbox]}

    @extend_schema_field(CUE_LIST_SCHEMA)
    def get_cues(self, option: RouteOption) -> list[dict]:
        return cues_render(option.cues, language=cue_language(self.context.get("request")))


class RouteSerializer(serializers.ModelSerializer):
    shape_id = serializers.SerializerMethodField()
    shape_name = serializers.SerializerMethodField(help_text=SHAPE_NAME_HELP)
    shape_icon = serializers.SerializerMethodField()
    start_latitude = serializers.FloatField()
    start_longitude = serializers.FloatField()
    target_distance = serializers.SerializerMethodField(
        help_text="km the planner aimed at (from the duration "
        "at the intensity's pace when condition is duration)"
    )
    target_duration = serializers.IntegerField(source="target_duration_s", allow_null=True)
    safety_signal = serializers.SerializerMethodField(
        help_text="What safety mode used: `lit` (lit tags), `road_class` (main streets and park paths where "
        "the data has no lighting tags), or null when safety mode was off"
    )
    options = RouteOptionSerializer(many=True, read_only=True)
    suggested_distance = serializers.SerializerMethodField(
        help_text="km, 2 decimals: when the best option is not `recognisable`, a distance at which this figure "
        "reads as itself near the start: the smallest the planner estimates (after a failed try at that length, "
        "1.5x the distance), rounded up; given only when the figure fits in the road network at that length "
        "and a quick plan there drew it recognisably; null otherwise")

    class Meta:
        model = Route
        fields = [
            "id",
            "name",
            "type",
            "mode",
            "shape_id",
            "shape_name",
            "shape_icon",
            "custom_points",
            "svg_path",
            "start_latitude",
            "start_longitude",
            "condition",
            "target_distance",
            "target_duration",
            "intensity",
            "safety_mode",
            "safety_signal",
            "status",
            "location_address",
            "location_district",
            "suggested_distance",
            "options",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    svg_path = serializers.CharField(source="custom_svg_path")
    custom_points = serializers.SerializerMethodField(help_text="Custom mode: the drawing as [[lat, lng], ...].")

    @extend_schema_field(serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2), allow_null=True))
    def get_custom_points(self, route: Route) -> list[list[float]] | None:
        # Stored as the client drew them; answered like every latitude/longitude, with at most 7 decimals.
        if route.custom_points is None:
            return None
        return [[round(float(lat), 7), round(float(lng), 7)] for lat, lng in route.custom_points]

    def get_shape_id(self, route: Route) -> str | None:
        return route.shape.shape_id if route.shape else None

    def get_shape_name(self, route: Route) -> str | None:
        return route.shape.display_name if route.shape else None

    def get_shape_icon(self, route: Route) -> str | None:
        return route.shape.icon_name if route.shape else None

    def get_target_distance(self, route: Route) -> float:
        return round(float(route.target_distance_km), 2)

    @extend_schema_field(serializers.ChoiceField(choices=SAFETY_SIGNALS, allow_null=True))
    def get_safety_signal(self, route: Route) -> str | None:
        return route.safety_signal or None

    def get_suggested_distance(self, route: Route) -> float | None:
        return None if route.suggested_distance_km is None else round(route.suggested_distance_km, 2)


# --- Input ----------------------------------------------------------------------------------------------


class RouteCreateSerializer(serializers.Serializer):
    """POST /routes. Field-level checks here; `services.route_create` checks what needs the database or the
    planner (the shape exists and is active, the drawing parses, the duration's distance is in range)."""

    name = UserTextField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Default: the shape's name and the distance, e.g. 'Heart 3 km'.",
    )
    type = serializers.ChoiceField(choices=Route.ActivityType.choices, default=Route.ActivityType.RUNNING)
    mode = serializers.ChoiceField(choices=Route.Mode.choices, default=Route.Mode.SHAPE)
    shape_id = serializers.SlugField(
        max_length=50, required=False, allow_null=True, help_text="Required when mode is shape."
    )
    custom_points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        min_length=2,
        max_length=MAX_CUSTOM_POINTS,
        required=False,
        allow_null=True,
        help_text="Custom mode: the drawing as [[lat, lng], ...] (2-500 points within 20 km of the start). "
        "Only its form counts: it is scaled to the target distance.",
    )
    svg_path = UserTextField(
        max_length=MAX_SVG_PATH_CHARS,
        required=False,
        allow_null=True,
        help_text="Custom mode: the drawing as SVG path data (instead of points).",
    )
    start_latitude = serializers.FloatField(min_value=-90, max_value=90)
    start_longitude = serializers.FloatField(min_value=-180, max_value=180)
    condition = serializers.ChoiceField(choices=Route.Condition.choices, default=Route.Condition.DISTANCE)
    target_distance = serializers.FloatField(
        min_value=MIN_TARGET_DISTANCE_KM,
        max_value=MAX_TARGET_DISTANCE_KM,
        required=False,
        allow_null=True,
        help_text="km; required when condition is distance",
    )
    target_duration = serializers.IntegerField(
        min_value=MIN_TARGET_DURATION_S,
        max_value=MAX_TARGET_DURATION_S,
        required=False,
        allow_null=True,
        help_text="s; required when condition is duration",
    )
    intensity = serializers.ChoiceField(choices=Route.Intensity.choices, default=Route.Intensity.NORMAL)
    safety_mode = serializers.BooleanField(default=False)
    options_count = serializers.IntegerField(min_value=1, max_value=MAX_OPTIONS, default=DEFAULT_OPTIONS)

    def validate_custom_points(self, points):
        for index, (lat, lng) in enumerate(points or []):
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise serializers.ValidationError(_("Point %(index)s is not a valid [lat, lng].") % {"index": index})
        return points

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        if attrs["mode"] == Route.Mode.SHAPE:
            if not attrs.get("shape_id"):
                errors["shape_id"] = [_("Required when mode is shape.")]
        else:
            has_points, has_svg = bool(attrs.get("custom_points")), bool(attrs.get("svg_path"))
            if has_points == has_svg:
                errors["custom_points"] = [_("Custom mode needs either custom_points or svg_path (not both).")]
        if attrs["condition"] == Route.Condition.DISTANCE and attrs.get("target_distance") is None:
            errors["target_distance"] = [_("Required when condition is distance.")]
        if attrs["condition"] == Route.Condition.DURATION and attrs.get("target_duration") is None:
            errors["target_duration"] = [_("Required when condition is duration.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RouteOptionPlaceSerializer(serializers.Serializer):
    """POST /routes/{id}/options: the figure at an explicit placement. Exactly one of scale, perimeter and
    target_distance: `services.route_option_place` checks that, and what needs the network (the centre
    lies on it, near enough to the start)."""

    center_latitude = serializers.FloatField(min_value=-90, max_value=90, help_text="the figure's centre, degrees")
    center_longitude = serializers.FloatField(min_value=-180, max_value=180, help_text="the figure's centre, degrees")
    rotation_deg = serializers.FloatField(
        min_value=-360, max_value=360, default=0.0, help_text="counter-clockwise turn from upright, degrees")
    scale = serializers.FloatField(
        min_value=MIN_PLACEMENT_SCALE, max_value=MAX_PLACEMENT_SCALE, required=False, allow_null=True,
        help_text="the figure's size as a multiple of the route's best planned option's figure (1 = same size); "
        "the run's distance follows from it and is not held to the route's target")
    perimeter = serializers.FloatField(
        min_value=MIN_PLACEMENT_PERIMETER_KM, max_value=MAX_PLACEMENT_PERIMETER_KM, required=False,
        allow_null=True, help_text="km, the figure's outline perimeter, as an option's `placement.perimeter` "
        "gives it: send a placement back with only its centre or turn changed to keep the figure's size; the "
        "run's distance follows, as with `scale`")
    target_distance = serializers.FloatField(
        min_value=MIN_TARGET_DISTANCE_KM, max_value=MAX_TARGET_DISTANCE_KM, required=False, allow_null=True,
        help_text="km for the whole run (approach included): the figure is sized to match and the run is held "
        "to ±10 % of it (else 422 `route_not_found`)")


class RouteUpdateSerializer(serializers.Serializer):
    """PATCH /routes/{id}: only `name` and `status`; any other field is refused with 400."""

    name = UserTextField(max_length=100, required=False)
    status = serializers.ChoiceField(choices=Route.Status.choices, required=False)

    def validate(self, attrs):
        unknown = (
            sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        )
        if unknown:
            raise serializers.ValidationError({field: [_("This field cannot be changed.")] for field in unknown})
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": [_("Send name and/or status.")]})
        return attrs


class RouteListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Route.Status.choices, required=False)
