"""Shapes, road networks, routes and their planned options.

Coordinates the client sent or will see again (start points) are DecimalField(10, 7): WGS84 degrees with
7 decimals (~1 cm), stored exactly as given. Bounding boxes are floats: they only ever prefilter.
"""

import uuid
from pathlib import Path

import polyline as polyline_codec
from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from runnerway.i18n import active_language

# Limits of a route request (the serializer checks them, `services.route_create` re-checks them).
MIN_TARGET_DISTANCE_KM = 0.5
MAX_TARGET_DISTANCE_KM = 42.195  # a marathon
MIN_TARGET_DURATION_S = 5 * 60
MAX_TARGET_DURATION_S = 6 * 60 * 60
MAX_CUSTOM_POINTS = 500
MAX_SVG_PATH_CHARS = 20_000
MAX_OPTIONS = 5
# Options a route keeps: the planned ones plus figures the runner placed by hand (`POST .../options`). At the
# cap the oldest placed option nobody follows or shared makes room, so live dragging never hits a wall.
MAX_OPTIONS_PER_ROUTE = 20
# A hand-placed figure's size is a multiple of the route's best option's figure (the app's pinch-to-resize).
MIN_PLACEMENT_SCALE = 0.2
MAX_PLACEMENT_SCALE = 5.0
# Or its outline perimeter in km, as each option's `placement.perimeter` reports it (the engine's 100 m..100 km).
MIN_PLACEMENT_PERIMETER_KM = 0.1
MAX_PLACEMENT_PERIMETER_KM = 100.0
DEFAULT_OPTIONS = 3
POLYLINE_PRECISION = 5  # API.md: Google encoded polyline, precision 5 (~1 m)


# The help text of every `shape_name` in the API (routes, posts, workouts).
SHAPE_NAME_HELP = "The shape's name in the client's language (`Accept-Language`: `ko`, the default, or `en`)."

class RouteShape(models.Model):
    """A shape template of the catalog. `svg_template` is SVG path data in a 0..100 viewBox (y down)."""

    class Category(models.TextChoices):
        BASIC = "basic", _("Basic")
        SPECIAL = "special", _("Special")
        FUN = "fun", _("Fun")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # API.md: IDs are UUIDs
    shape_id = models.SlugField(_("shape ID"), max_length=50, unique=True, help_text="Stable slug the apps store.")
    name = models.CharField(_("name"), max_length=100)
    name_ko = models.CharField(_("Korean name"), max_length=100, blank=True, default="")
    icon_name = models.CharField(max_length=50, blank=True, default="", help_text="Material icon name.")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.BASIC)
    svg_template = models.TextField(help_text="SVG path data in a 0..100 viewBox.")
    closed = models.BooleanField(_("closed"), default=True, help_text="Closed outlines are planned as loops.")
    estimated_distance = models.DecimalField(_("estimated distance (km)"), max_digits=5, decimal_places=2,
                                             help_text="Suggested target distance in km.")
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shape")
        verbose_name_plural = _("shapes")
        ordering = ["sort_order", "shape_id"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.shape_id})"

    @property
    def display_name(self) -> str:
        """The name in the active language (the request's Accept-Language): `name_ko` in Korean where the catalog
        has one, else `name` (English)."""
        return shape_display_name(name=self.name, name_ko=self.name_ko)


def shape_display_name(*, name: str, name_ko: str) -> str:
    """A shape's name in the active language, from its two stored names (for rows read as values)."""
    return name_ko if name_ko and active_language() == "ko" else name


class RoadNetwork(models.Model):
    """A routable road network built from an OSM extract by `import_osm`, stored as a file.

    `file_name` is relative to settings.ROAD_NETWORK_DIR (an absolute path is honoured as is), so the
    directory can move between machines. A re-import writes a new file and swaps this row to it.
    """

    name = models.CharField(max_length=100, unique=True)
    file_name = models.CharField(max_length=500)
    source = models.CharField(max_length=1000, blank=True, default="", help_text="Path of the OSM extract.")
    min_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lat = models.FloatField()
    max_lon = models.FloatField()
    # The area a regional network serves (`import_osm --regions`); its file holds the streets a margin beyond
    # it, so a route from anywhere inside stays on it. Null for a network imported whole.
    region_min_lat = models.FloatField(null=True, blank=True)
    region_min_lon = models.FloatField(null=True, blank=True)
    region_max_lat = models.FloatField(null=True, blank=True)
    region_max_lon = models.FloatField(null=True, blank=True)
    node_count = models.PositiveIntegerField(default=0)
    edge_count = models.PositiveIntegerField(default=0)
    # Share of the network's length whose ways carry a `lit` tag; Korean OSM rarely tags it, and safety
    # mode then falls back to street class (see the planner).
    lit_tagged_share = models.FloatField(default=0.0)
    built_at = models.DateTimeField(default=dj_timezone.now)
    import_seconds = models.FloatField(null=True, blank=True)
    last_import_error = models.TextField(blank=True, default="",
                                         help_text="Why the last background re-import failed, if it did.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("road network")
        verbose_name_plural = _("road networks")
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "min_lat", "max_lat"], name="roadnet_bbox_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def region_bbox(self) -> tuple[float, float, float, float] | None:
        """(min_lat, min_lon, max_lat, max_lon) of the area a regional network serves; None if imported whole."""
        bbox = (self.region_min_lat, self.region_min_lon, self.region_max_lat, self.region_max_lon)
        return None if None in bbox else bbox  # type: ignore[return-value]

    @property
    def path(self) -> Path:
        path = Path(self.file_name)
        return path if path.is_absolute() else Path(settings.ROAD_NETWORK_DIR) / path

    @property
    def has_lit_tags(self) -> bool:
        # 1 %: below that the few tagged ways say nothing about the rest of the network.
        return self.lit_tagged_share >= 0.01


class RouteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def owned_by(self, user):
        return self.alive().filter(user=user)


class Route(models.Model):
    """A saved route request and its planned options (soft-deleted with `deleted_at`)."""

    class ActivityType(models.TextChoices):
        RUNNING = "running", _("Running")
        WALKING = "walking", _("Walking")

    class Mode(models.TextChoices):
        SHAPE = "shape", _("Shape template")
        CUSTOM = "custom", _("Custom drawing")

    class Condition(models.TextChoices):
        DISTANCE = "distance", _("Distance")
        DURATION = "duration", _("Duration")

    class Intensity(models.TextChoices):
        EASY = "easy", _("Easy")
        NORMAL = "normal", _("Normal")
        HARD = "hard", _("Hard")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="routes")
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=ActivityType.choices, default=ActivityType.RUNNING)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.SHAPE)
    # PROTECT: shapes are deactivated, never deleted, while routes use them.
    shape = models.ForeignKey(RouteShape, verbose_name=_("shape"), on_delete=models.PROTECT, null=True, blank=True,
                              related_name="routes")
    custom_points = models.JSONField(null=True, blank=True,
                                     help_text="[[lat, lng], ...] of a custom drawing.")
    custom_svg_path = models.TextField(blank=True, default="")
    # The figure as planned, so that nothing after planning (workout completion, live placement) parses a
    # drawing again: (N, 2) planar points, y up, in the 0..100 box for templates and SVG drawings, in metres
    # for custom points. Null only for a route whose drawing could not be read.
    outline = models.JSONField(null=True, blank=True, help_text="[[x, y], ...] planar outline the planner drew.")
    outline_closed = models.BooleanField(default=True, help_text="Whether the outline is a closed ring.")
    start_latitude = models.DecimalField(_("start latitude"), max_digits=10, decimal_places=7)
    start_longitude = models.DecimalField(_("start longitude"), max_digits=10, decimal_places=7)
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices,
                                 default=Condition.DISTANCE)
    target_distance_km = models.DecimalField(_("target distance (km)"), max_digits=6, decimal_places=3,
                                             help_text=_("Length the planner aimed at (from the duration "
                                                         "when the condition is duration)."))
    target_duration_s = models.PositiveIntegerField(_("target duration (s)"), null=True, blank=True)
    intensity = models.CharField(_("intensity"), max_length=16, choices=Intensity.choices, default=Intensity.NORMAL)
    safety_mode = models.BooleanField(_("safety mode"), default=False)
    safety_signal = models.CharField(_("safety signal"), max_length=32, blank=True, default="",
                                     help_text=_("Which signal safety mode used (lit tags, street class...)."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    location_address = models.CharField(_("address"), max_length=255, blank=True, default="")
    location_district = models.CharField(_("district"), max_length=100, blank=True, default="")
    network = models.ForeignKey(RoadNetwork, verbose_name=_("road network"), on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="routes")
    planning_ms = models.PositiveIntegerField(_("planning time (ms)"), null=True, blank=True)
    suggested_distance_km = models.FloatField(
        _("suggested distance (km)"), null=True, blank=True,
        help_text=_("When the best option is not recognisable: the planner's smallest recognisable length here."))
    # Save-route (community.services.route_copy_from_post): the shared route a copy was made from. SET_NULL: a
    # copy is its owner's own route, it stays when the original or its author goes.
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies")
    # Routes near me (community.discover.discover_page) reads these on every candidate: recounted from indexed
    # counts under this row's lock whenever a copy is made or deleted or a workout on the route (or a copy)
    # is completed, deleted or erased (routes.services.route_refresh_discover_counters).
    saved_count = models.PositiveIntegerField(default=0, help_text="Runners with a live copy saved from it.")
    run_count = models.PositiveIntegerField(
        default=0, help_text="Runners with a completed workout on it or on a copy saved from it.")
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = RouteQuerySet.as_manager()

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="route_user_created_idx"),
            models.Index(fields=["user", "status", "-created_at"], name="route_user_status_idx"),
            # Routes near me looks each candidate's route up by id for these columns only: in one index they
            # are read without the row (SQLite's primary key is an index beside the table: halves the step).
            models.Index(fields=["id", "deleted_at", "saved_count", "run_count"], name="route_discover_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class RouteOption(models.Model):
    """One planned loop of a route. The path is stored as a Google encoded polyline (precision 5).

    `elevation_gain` stays null: OSM carries no elevation, and the network files have none.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="options")
    rank = models.PositiveSmallIntegerField(_("rank"))
    polyline = models.TextField()
    point_count = models.PositiveIntegerField(default=0)
    distance_km = models.FloatField()
    estimated_duration_s = models.PositiveIntegerField()
    shape_fidelity = models.FloatField(help_text="0..100, see the fidelity formula.")
    buffer_f1 = models.FloatField(default=0.0)
    frechet_norm = models.FloatField(default=0.0)
    length_error = models.FloatField(default=0.0, help_text="Route vs fitted outline length (fidelity term).")
    retrace_share = models.FloatField(default=0.0)
    target_error = models.FloatField(default=0.0, help_text="|distance - target| / target.")
    elevation_gain = models.FloatField(null=True, blank=True)
    lit_ratio = models.FloatField(null=True, blank=True, help_text="Null when the data has no lit tags.")
    start_latitude = models.DecimalField(max_digits=10, decimal_places=7)
    start_longitude = models.DecimalField(max_digits=10, decimal_places=7)
    min_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lat = models.FloatField()
    max_lon = models.FloatField()
    # Turn-by-turn cues, language-neutral (`routes.planner.cues.Cue.to_json()`); rendered per request by
    # `routes.cues.cues_render`. Empty for options planned before cues existed.
    cues = models.JSONField(default=list, blank=True, help_text="Turn cues: depart, the decisions, arrive.")
    created_at = models.DateTimeField(default=dj_timezone.now)

    # Recognisability: 0..100 how clearly the route shows its figure rather than another catalogue
    # figure; `shape_fidelity` includes it. The parts: filled-area IoU against the fitted outline and the
    # best IoU of another figure (which one), and the line-following score alone. Null on options planned
    # before the score existed (never measured, not zero).
    recognisability = models.FloatField(null=True, blank=True)
    recognisable = models.BooleanField(
        _("recognisable"), default=True,
        help_text=_("False when the target is below the smallest length that draws this figure here."))
    iou = models.FloatField(null=True, blank=True)
    rival_iou = models.FloatField(null=True, blank=True)
    rival_shape_id = models.CharField(_("nearest other figure"), max_length=50, blank=True, default="")
    trace_score = models.FloatField(null=True, blank=True)
    # Where the figure sits: an approach may run from the start to the figure and back (reported apart), and
    # the figure is path[figure_start_index:figure_end_index + 1].
    approach_length_m = models.FloatField(default=0.0)
    figure_start_index = models.PositiveIntegerField(null=True, blank=True)
    figure_end_index = models.PositiveIntegerField(null=True, blank=True)
    figure_center_latitude = models.DecimalField(max_digits=10, decimal_places=7, null=True, blank=True)
    figure_center_longitude = models.DecimalField(max_digits=10, decimal_places=7, null=True, blank=True)
    rotation_deg = models.FloatField(default=0.0)
    figure_perimeter_m = models.FloatField(null=True, blank=True)

    class Source(models.TextChoices):
        PLANNED = "planned", _("Planned with the route")
        PLACED = "placed", _("Placed by the runner")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.PLANNED)

    class Meta:
        verbose_name = _("route option")
        verbose_name_plural = _("route options")
        ordering = ["route", "rank"]
        constraints = [models.UniqueConstraint(fields=["route", "rank"], name="routeoption_route_rank_uniq")]

    def __str__(self) -> str:
        return f"{self.route_id} #{self.rank}"

    @property
    def bbox(self) -> list[float]:
        return [self.min_lat, self.min_lon, self.max_lat, self.max_lon]

    @property
    def figure_range(self) -> tuple[int, int]:
        """(i, j): path[i:j + 1] is the figure, before i the approach, after j the way back."""
        last = max(self.point_count - 1, 0)
        if self.figure_start_index is None or self.figure_end_index is None:
            return 0, last
        return min(self.figure_start_index, last), min(self.figure_end_index, last)

    def coordinates(self) -> list[list[float]]:
        """The path as [[lat, lng], ...], decoded from the stored polyline (5 decimals)."""
        return [list(point) for point in polyline_codec.decode(self.polyline, POLYLINE_PRECISION)]
