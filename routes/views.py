"""Shapes and routes API (API.md "Shapes and routes").

Thin views: serializers validate, services and selectors do the work."""

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from routes import exports, selectors, services
from routes.cues import cue_language, cues_render
from routes.models import (
    MAX_OPTIONS_PER_ROUTE,
    MAX_PLACEMENT_PERIMETER_KM,
    MAX_PLACEMENT_SCALE,
    MIN_PLACEMENT_PERIMETER_KM,
    MIN_PLACEMENT_SCALE,
)
from routes.planner import fidelity as fidelity_module
from routes.planner import recognisability as recognisability_module
from routes.serializers import (
    RouteCreateSerializer,
    RouteListQuerySerializer,
    RouteOptionPlaceSerializer,
    RouteOptionSerializer,
    RouteSerializer,
    RouteUpdateSerializer,
    ShapeListQuerySerializer,
    ShapeSerializer,
)
from routes.throttles import RoutePlanAddressThrottle, RoutePlanThrottle
from runnerway.api.renderers import (
    EnvelopeJSONRenderer,
    FileResponseMixin,
    FitRenderer,
    GpxRenderer,
    SvgRenderer,
    file_attachment,
)
from runnerway.api.schema import error_response


def _module_doc(module) -> str:
    """A module's docstring as Markdown: its indented formula lines in a code block, where `*` stays a product
    (as prose Markdown it would turn text into italics)."""
    lines, in_formula = [], False
    for line in (module.__doc__ or "").strip().splitlines():
        formula = line.startswith("    ")
        if formula != in_formula:
            lines.append("```text" if formula else "```")
            in_formula = formula
        lines.append(line[4:] if formula else line)
    return "\n".join(lines + (["```"] if in_formula else []))


FIDELITY_DESCRIPTION = (
    "**Shape fidelity** (`shape_fidelity`, 0-100, parts under `fidelity`):\n\n"
    + _module_doc(fidelity_module)
    + "\n\n**Recognisability** (`recognisability`, 0-100; `fidelity.iou`, `fidelity.rival_iou`, "
    "`fidelity.rival_shape_id`):\n\n"
    + _module_doc(recognisability_module)
)
OPTION_FIELDS_DESCRIPTION = (
    "Each option: `distance` (km), `estimated_duration` (s, at the intensity's pace: running easy 7:00, "
    "normal 6:00, hard 5:00 per km; walking 12:00, 10:30, 9:00), `shape_fidelity`, `recognisability` and "
    "`recognisable`, `approach_distance` (km of the approach from the start to the figure and back, part of "
    "`distance`), `placement` (the figure's centre, turn, perimeter and `figure_range`, the indices of "
    "`path.coordinates` that draw the figure itself), `source` (`planned` or `placed`), `elevation_gain` "
    "(always null: the OSM road network has no elevation), `lit_ratio` (null where the area's data has no "
    "lighting tags), `start`, `path` {polyline, coordinates, bbox}, and `cues` (turn-by-turn, in the language "
    "of `Accept-Language`: `ko` by default, or `en`). Planned options come first in the planner's rank (by "
    "recognisability); placed options follow in the order they were placed.\n\n"
    "The route's `suggested_distance` (km) is set when its best option is not `recognisable`: the target was "
    "below the smallest distance at which this figure reads as itself on the streets near the start, and a "
    "quick plan at the suggested distance drew it recognisably (null when no such distance fits the network)."
)


class CuesVaryByLanguage:
    """Views whose answer holds cue text: it depends on Accept-Language, so caches must key on it."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept-Language"])
        return response


# --- Shapes -----------------------------------------------------------------------------------------------


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class ShapeListView(PublicView):
    @extend_schema(
        summary="Shape catalog",
        description="Active shape templates in catalog order, optionally of one category. A short fixed "
        "catalog, so the list is not paginated. `svg_template` is SVG path data in a 0..100 viewBox; "
        "`preview_svg_url` renders it. Served from the cache.",
        parameters=[ShapeListQuerySerializer],
        responses={200: ShapeSerializer(many=True)},
        auth=[],
        tags=["shapes"],
    )
    def get(self, request):
        query = ShapeListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shapes = selectors.shape_list(category=query.validated_data.get("category"))
        return Response(ShapeSerializer(shapes, many=True, context={"request": request}).data)


class ShapeDetailView(PublicView):
    @extend_schema(summary="One shape template", responses={200: ShapeSerializer}, auth=[], tags=["shapes"])
    def get(self, request, shape_id: str):
        shape = selectors.shape_get_active(shape_id=shape_id)
        if shape is None:
            raise NotFound(_("No such shape."))
        return Response(ShapeSerializer(shape, context={"request": request}).data)


class ShapePreviewView(FileResponseMixin, PublicView):
    renderer_classes = [EnvelopeJSONRenderer, SvgRenderer]

    @extend_schema(
        summary="A shape template drawn as SVG",
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="SVG image")},
        auth=[],
        tags=["shapes"],
    )
    def get(self, request, shape_id: str):
        shape = selectors.shape_get_active(shape_id=shape_id)
        if shape is None:
            raise NotFound(_("No such shape."))
        svg = exports.svg_for_template(shape.svg_template, title=shape.display_name)
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = "public, max-age=3600"
        return response


# --- Routes -----------------------------------------------------------------------------------------------


class RouteListCreateView(CuesVaryByLanguage, GenericAPIView):
    serializer_class = RouteSerializer
    throttle_scope = "route_plan"  # per user
    throttle_scope_address = "route_plan_address"

    def get_throttles(self):
        return [*super().get_throttles(), RoutePlanThrottle(), RoutePlanAddressThrottle()]

    @extend_schema(
        summary="My routes",
        description="Newest first, cursor-paginated, `?status=active|archived`, each route with its options "
        "(every `path` the full path object of API.md).\n\n" + OPTION_FIELDS_DESCRIPTION,
        parameters=[RouteListQuerySerializer],
        responses={200: RouteSerializer(many=True)},
        tags=["routes"],
    )
    def get(self, request):
        query = RouteListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        routes = selectors.route_list(user=request.user, status=query.validated_data.get("status"))
        page = self.paginate_queryset(routes)
        data = RouteSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Plan and save a route",
        description="Draws the shape (or the custom drawing, scaled to the target) with walkable streets "
        "of the road network covering the start, and saves the route with up to `options_count` ranked "
        "options, each a loop from and back to the start (open shapes end where the figure ends) within "
        "±10 % of the target distance. A duration target becomes a distance at the intensity's pace. "
        "Planning is bounded by a CPU budget (`ROUTE_PLAN_TIME_BUDGET_S`, 1 s of CPU by default; on a busy server "
        "the answer takes longer, from the same search). Throttled per user (`route_plan`) and per client "
        "address (`route_plan_address`).\n\n"
        "`location_address`/`location_district` name the start (Kakao Local where configured, else the "
        "network's OSM place and street names); empty when neither can.\n\n"
        + OPTION_FIELDS_DESCRIPTION
        + "\n\n"
        + FIDELITY_DESCRIPTION,
        request=RouteCreateSerializer,
        responses={
            201: RouteSerializer,
            422: error_response(
                "`no_road_network`: no imported road network covers the start; "
                "`route_not_found`: no option within ±10 % of the target could be drawn; "
                "`route_planning_timeout`: the CPU budget ran out before any option was found."
            ),
        },
        tags=["routes"],
    )
    def post(self, request):
        data = RouteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        route = services.route_create(user=request.user, activity_type=fields.pop("type"), **fields)
        route = selectors.route_get(user=request.user, route_id=route.pk)
        return Response(
            RouteSerializer(route, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class RouteOptionPlaceView(CuesVaryByLanguage, APIView):
    throttle_scope = "route_plan"  # per user, shared with planning
    throttle_scope_address = "route_plan_address"

    def get_throttles(self):
        return [*super().get_throttles(), RoutePlanThrottle(), RoutePlanAddressThrottle()]

    @extend_schema(
        summary="Place the figure by hand: one more option",
        description="Snaps the route's figure to the streets at an explicit placement — the app's drag, turn "
        "and resize with the route following live — and saves it as one more option of the route (`source: "
        "placed`, the next rank), returned with its score. The figure sits at `center_latitude`/"
        "`center_longitude` turned by `rotation_deg` (counter-clockwise from upright), sized by exactly one "
        "of `scale` (a multiple of the route's best planned option's figure), `perimeter` (km, the figure's "
        "outline, as each option's `placement` gives it) or `target_distance` (km for the whole run, approach "
        "included; the figure is sized around the given centre so the whole run is within ±10 % of it, or the "
        "answer is 422). With `scale` or `perimeter` the distance is whatever that size gives and is not held "
        "to the route's target: read it in the option's `distance`. An approach runs from the route's start "
        "to the figure and back the same way (`approach_distance`). To drag or turn a figure, send an "
        "option's `placement` back with the new centre or turn: it keeps its size (a drag sized by "
        "`target_distance` shrinks the figure as the approach grows). The figure snaps to the streets "
        "nearby: it may move up to ~100 m from the centre sent and turn up to 8°, and with `scale` or "
        "`perimeter` change size by up to 15 %, when that draws it more clearly; the returned `placement` "
        "says where it went. `recognisable` is false when the placed figure scores under 60 or is smaller "
        "than the streets there can draw.\n\n"
        f"A route keeps at most {MAX_OPTIONS_PER_ROUTE} options: when full, the oldest placed option that no "
        "workout or post uses is dropped to make room (409 `conflict` when every one is in use). Answers in "
        "a fraction of a second (the planner's CPU budget is `ROUTE_PLACE_TIME_BUDGET_S`). Throttled with route "
        "planning, per user (`route_plan`) and per client address (`route_plan_address`). Another user's "
        "route answers 404.\n\n"
        "400 `validation_error` with `fields` for: a latitude/longitude/rotation out of range, a `scale` "
        f"outside {MIN_PLACEMENT_SCALE}-{MAX_PLACEMENT_SCALE}, a `perimeter` outside "
        f"{MIN_PLACEMENT_PERIMETER_KM}-{MAX_PLACEMENT_PERIMETER_KM:g} km, a `target_distance` out of range, "
        "not exactly one of `scale`, `perimeter` and `target_distance`, a centre outside the route's road "
        "network or further from the start than max(3 km, half the distance).\n\n" + FIDELITY_DESCRIPTION,
        request=RouteOptionPlaceSerializer,
        responses={
            201: RouteOptionSerializer,
            409: error_response(
                f"`conflict`: the route already has {MAX_OPTIONS_PER_ROUTE} options and every placed one is "
                "followed by a workout or shared in a post."
            ),
            422: error_response(
                "`route_not_found`: the streets at this placement cannot draw the figure (move, turn or resize "
                "it), or, sized by `target_distance`, no size at this centre keeps the run within ±10 % of it; "
                "`no_road_network`: no imported road network covers the route's start any more."
            ),
        },
        examples=[
            OpenApiExample("Drag 300 m east, same size", request_only=True, value={
                "center_latitude": 60.1699, "center_longitude": 24.9438, "rotation_deg": 0, "perimeter": 2.21}),
            OpenApiExample("Half the size of the best planned figure", request_only=True, value={
                "center_latitude": 60.1699, "center_longitude": 24.9438, "rotation_deg": 0, "scale": 0.5}),
            OpenApiExample("Turn and resize to a 4 km run", request_only=True, value={
                "center_latitude": 60.1699, "center_longitude": 24.9438, "rotation_deg": 30,
                "target_distance": 4.0}),
        ],
        tags=["routes"],
    )
    def post(self, request, route_id):
        route = selectors.route_get(user=request.user, route_id=route_id)
        if route is None:
            raise NotFound(_("No such route."))
        data = RouteOptionPlaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        option = services.route_option_place(route=route, **data.validated_data)
        return Response(RouteOptionSerializer(option, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class RouteDetailView(CuesVaryByLanguage, APIView):
    def get_route(self, request, route_id):
        route = selectors.route_get(user=request.user, route_id=route_id)
        if route is None:
            raise NotFound(_("No such route."))
        return route

    @extend_schema(
        summary="One of my routes",
        description=OPTION_FIELDS_DESCRIPTION + "\n\n" + FIDELITY_DESCRIPTION,
        responses={200: RouteSerializer},
        tags=["routes"],
    )
    def get(self, request, route_id):
        return Response(RouteSerializer(self.get_route(request, route_id), context={"request": request}).data)

    @extend_schema(
        summary="Rename or archive a route",
        description="Only `name` and `status` can change; any other field is refused (400).",
        request=RouteUpdateSerializer,
        responses={200: RouteSerializer},
        tags=["routes"],
    )
    def patch(self, request, route_id):
        route = self.get_route(request, route_id)
        data = RouteUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.route_update(route=route, **data.validated_data)
        return Response(RouteSerializer(self.get_route(request, route_id), context={"request": request}).data)

    @extend_schema(
        summary="Delete a route",
        description="Soft delete: gone from my routes; workouts that followed it keep their link.",
        responses={204: None},
        tags=["routes"],
    )
    def delete(self, request, route_id):
        services.route_soft_delete(route=self.get_route(request, route_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _get_option(request, route_id, option_id):
    option = selectors.route_option_get(user=request.user, route_id=route_id, option_id=option_id)
    if option is None:
        raise NotFound(_("No such route option."))
    return option


class RouteOptionDetailView(CuesVaryByLanguage, APIView):
    @extend_schema(
        summary="One option of my route, with its full path",
        description=OPTION_FIELDS_DESCRIPTION + "\n\n" + FIDELITY_DESCRIPTION,
        responses={200: RouteOptionSerializer},
        tags=["routes"],
    )
    def get(self, request, route_id, option_id):
        option = _get_option(request, route_id, option_id)
        return Response(RouteOptionSerializer(option, context={"request": request}).data)


def _file_name(option, extension: str) -> str:
    return f"runnerway-{slugify(option.route.name)[:50] or 'route'}-{option.rank}.{extension}"


class RouteOptionGpxView(CuesVaryByLanguage, FileResponseMixin, APIView):
    renderer_classes = [EnvelopeJSONRenderer, GpxRenderer]

    @extend_schema(
        summary="An option as a GPX 1.1 file",
        description="One track named after the route, one segment through the path's points, and a route "
        "(`<rte>`) whose points are the turn cues: each named with its instruction (`<name>`), described with "
        "its announcement (`<desc>`) and typed with its turn (`<type>`), in the language of `Accept-Language` "
        "(`ko` by default, or `en`).",
        responses={
            (200, "application/gpx+xml"): OpenApiResponse(OpenApiTypes.STR, description="GPX 1.1 document")
        },
        tags=["routes"],
    )
    def get(self, request, route_id, option_id):
        option = _get_option(request, route_id, option_id)
        gpx = exports.gpx_for_path(
            name=option.route.name,
            coordinates=option.coordinates(),
            description=f"RunnerWay option {option.rank}: {option.distance_km:.2f} km",
            cues=cues_render(option.cues, language=cue_language(request)),
        )
        return file_attachment(gpx, renderer=GpxRenderer, file_name=_file_name(option, "gpx"))


class RouteOptionFitView(CuesVaryByLanguage, FileResponseMixin, APIView):
    renderer_classes = [EnvelopeJSONRenderer, FitRenderer]

    @extend_schema(
        summary="An option as a FIT course (Garmin)",
        description="A FIT course file for Garmin Connect and Garmin watches: the path as records (with the "
        "distance along it and timestamps at the option's estimated pace) and the turn cues as course points "
        "(type `segment_start`/`left`/`right`/`slight_left`/`slight_right`/`sharp_left`/`sharp_right`/"
        "`u_turn`/`straight`/`segment_end`, named with the street, else the instruction, cut to the 15 bytes a "
        "watch shows), in the language of `Accept-Language` (`ko` by default, or `en`).",
        responses={
            (200, "application/vnd.ant.fit"): OpenApiResponse(OpenApiTypes.BINARY, description="FIT course file")
        },
        tags=["routes"],
    )
    def get(self, request, route_id, option_id):
        option = _get_option(request, route_id, option_id)
        speed_mps = option.distance_km * 1000 / max(option.estimated_duration_s, 1)
        fit = exports.fit_course_for_path(
            name=option.route.name, coordinates=option.coordinates(),
            cues=cues_render(option.cues, language=cue_language(request)),
            speed_mps=speed_mps, start_time=option.created_at,
        )
        return file_attachment(fit, renderer=FitRenderer, file_name=_file_name(option, "fit"))


class RouteOptionPreviewView(FileResponseMixin, APIView):
    renderer_classes = [EnvelopeJSONRenderer, SvgRenderer]

    @extend_schema(
        summary="An option drawn as an SVG image",
        description="The figure in the app's accent colour; an approach from the start to a figure placed "
        "away from it (and the way back) thinner, dashed and grey; the start as a green dot.",
        parameters=[OpenApiParameter("size", int, description="Width and height in px (64-1024).")],
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="SVG image")},
        tags=["routes"],
    )
    def get(self, request, route_id, option_id):
        option = _get_option(request, route_id, option_id)
        try:
            size_px = min(max(int(request.query_params.get("size", 256)), 64), 1024)
        except ValueError:
            size_px = 256
        svg = exports.svg_for_path(option.coordinates(), width_px=size_px, title=option.route.name,
                                   figure_range=option.figure_range)
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = "private, max-age=3600"
        return response
