"""Staff views of shapes, road networks and routes: SVG previews inline, a route's options on a map."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from routes import exports
from routes.models import RoadNetwork, Route, RouteOption, RouteShape
from routes.selectors import route_outline_fitted_to
from routes.services import road_network_delete, shapes_set_active
from routes.tasks import enqueue_road_network_import_path, enqueue_road_network_reimport
from runnerway.admin_display import DeletedFilter, duration, km, person, short_datetime
from runnerway.admin_maps import LEAFLET_MEDIA, MapLine, map_widget


def _inline_svg(svg: str, size_px: int) -> str:
    # Our own SVG (exports escapes every attribute it writes); wrapped so the admin table keeps its row height.
    return format_html('<div style="width:{0}px;height:{0}px">{1}</div>', size_px, mark_safe(svg))  # noqa: S308


@admin.register(RouteShape)
class RouteShapeAdmin(admin.ModelAdmin):
    list_display = ["preview", "shape_id", "name", "name_ko", "category", "estimated_distance", "closed",
                    "is_active", "sort_order"]
    list_display_links = ["preview", "shape_id"]
    list_filter = ["category", "is_active", "closed"]
    search_fields = ["shape_id", "name", "name_ko"]
    ordering = ["sort_order", "shape_id"]
    readonly_fields = ["id", "large_preview", "created_at", "updated_at"]
    actions = ["activate", "deactivate"]

    @admin.display(description=_("Shape"))
    def preview(self, shape: RouteShape) -> str:
        return _inline_svg(exports.svg_for_template(shape.svg_template, width_px=48), 48)

    @admin.display(description=_("Preview"))
    def large_preview(self, shape: RouteShape) -> str:
        return _inline_svg(exports.svg_for_template(shape.svg_template, width_px=200), 200) if shape.pk else "-"

    @admin.action(description=_("Activate selected shapes (show them in the app)"))
    def activate(self, request, queryset):
        changed = shapes_set_active(shape_ids=list(queryset.values_list("pk", flat=True)), is_active=True)
        self.message_user(request, ngettext("%(count)d shape activated.", "%(count)d shapes activated.", changed)
                          % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Deactivate selected shapes (hide them; existing routes keep them)"))
    def deactivate(self, request, queryset):
        changed = shapes_set_active(shape_ids=list(queryset.values_list("pk", flat=True)), is_active=False)
        self.message_user(request, ngettext("%(count)d shape deactivated.", "%(count)d shapes deactivated.", changed)
                          % {"count": changed}, messages.SUCCESS)


class ImportFromPathForm(forms.Form):
    source_path = forms.CharField(max_length=1000, label=_("OSM extract on the server"),
                                  help_text=_("Absolute path of a .osm.pbf, .osm or .osm.bz2 file on the "
                                              "worker hosts."))
    name = forms.CharField(max_length=100, required=False,
                           help_text=_("Network name; an existing network of that name is replaced. "
                                       "Default: the file name."))


@admin.register(RoadNetwork)
class RoadNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "node_count", "edge_count", "bbox_display", "lit_share", "built_at",
                    "import_seconds", "import_problem"]
    list_filter = ["is_active"]
    search_fields = ["name", "source"]
    readonly_fields = ["file_name", "source", "min_lat", "min_lon", "max_lat", "max_lon", "node_count",
                       "edge_count", "lit_tagged_share", "built_at", "import_seconds", "last_import_error",
                       "created_at", "updated_at"]
    fields = ["name", "is_active", *readonly_fields]
    actions = ["reimport"]

    def has_add_permission(self, request):
        return False  # networks come from `import_osm` (or the import form), never typed in

    def delete_model(self, request, obj):
        road_network_delete(network=obj)

    def delete_queryset(self, request, queryset):
        for network in queryset:
            road_network_delete(network=network)

    @admin.display(description=_("bbox (lat/lon)"))
    def bbox_display(self, network: RoadNetwork) -> str:
        return f"{network.min_lat:.4f},{network.min_lon:.4f} – {network.max_lat:.4f},{network.max_lon:.4f}"  # noqa: RUF001

    @admin.display(description=_("lit tagged"), ordering="lit_tagged_share")
    def lit_share(self, network: RoadNetwork) -> str:
        return f"{network.lit_tagged_share:.0%}"

    @admin.display(description=_("last import error"))
    def import_problem(self, network: RoadNetwork) -> str:
        return network.last_import_error[:80]

    @admin.action(description=_("Re-import selected networks from their source files (background job)"))
    def reimport(self, request, queryset):
        for network in queryset:
            enqueue_road_network_reimport(network=network)
        count = queryset.count()
        self.message_user(request, ngettext(
            "Re-import queued for %(count)d network; the rows update when the job finishes (failures show in "
            "'last import error').",
            "Re-import queued for %(count)d networks; the rows update when the job finishes (failures show in "
            "'last import error').", count) % {"count": count}, messages.SUCCESS)

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="routes_roadnetwork_import"),
                *super().get_urls()]

    def import_view(self, request):
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = ImportFromPathForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            enqueue_road_network_import_path(source_path=form.cleaned_data["source_path"],
                                             name=form.cleaned_data["name"] or None)
            self.message_user(request, _("Import queued; the network appears when the job finishes."),
                              messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:routes_roadnetwork_changelist"))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Import a road network from a server path")}
        return TemplateResponse(request, "admin/routes/roadnetwork/import.html", context)


class RouteOptionInline(admin.TabularInline):
    model = RouteOption
    extra = 0
    can_delete = False
    # One row must fit a 1440 px screen: rounded figures, the fidelity's parts in one cell.
    fields = ["preview", "rank", "source", "distance", "approach", "duration_shown", "shape_fidelity_shown",
              "recognisability_shown", "recognisable", "rival_shape_id", "fidelity_parts"]
    readonly_fields = fields
    ordering = ["rank"]

    @admin.display(description=_("km"))
    def distance(self, option: RouteOption) -> str:
        return f"{option.distance_km:.2f}"

    @admin.display(description=_("approach km"))
    def approach(self, option: RouteOption) -> str:
        return km(option.approach_length_m)

    @admin.display(description=_("duration"))
    def duration_shown(self, option: RouteOption) -> str:
        return duration(option.estimated_duration_s)

    @admin.display(description=_("fidelity"))
    def shape_fidelity_shown(self, option: RouteOption) -> str:
        return f"{option.shape_fidelity:.1f}"

    @admin.display(description=_("recognisability"))
    def recognisability_shown(self, option: RouteOption) -> str:
        return "-" if option.recognisability is None else f"{option.recognisability:.1f}"

    @admin.display(description=_("F1 / Fréchet / retrace / target error"))
    def fidelity_parts(self, option: RouteOption) -> str:
        return (f"{option.buffer_f1:.2f} / {option.frechet_norm:.2f} / {option.retrace_share:.0%} / "
                f"{option.target_error:.1%}")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Path"))
    def preview(self, option: RouteOption) -> str:
        return _inline_svg(exports.svg_for_path(option.coordinates(), width_px=120,
                                                figure_range=option.figure_range), 120)


def route_option_map_lines(option: RouteOption, *, shown: bool) -> list[MapLine]:
    """The option's figure, its approach from the start (and the way back, when it does not retrace the
    approach), and the route's outline fitted onto the figure (dashed), as drawn by the SVG preview."""
    coordinates = option.coordinates()
    first, last = option.figure_range
    figure = coordinates[first:last + 1]
    approach, way_back = coordinates[:first + 1], coordinates[last:]
    label = _("option #%(rank)s") % {"rank": option.rank}

    def titled(part) -> str:  # `_()` outside the f-string, so makemessages finds the literal
        return f"{label}: {part}"

    lines = [MapLine(titled(_("figure")), figure, "figure", shown)]
    if len(approach) >= 2:
        lines.append(MapLine(titled(_("approach")), approach, "approach", shown))
    if len(way_back) >= 2 and way_back[::-1] != approach:
        lines.append(MapLine(titled(_("way back")), way_back, "approach", shown))
    lines.append(MapLine(titled(_("fitted outline")), route_outline_fitted_to(option.route, figure),
                         "outline", shown))
    return lines


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    # One line a row beside the sidebar and the filters at 1440 px: the runner by name, short dates.
    list_display = ["name", "runner", "shape", "target_km", "status", "location_district", "planning_ms",
                    "created", "deleted"]
    list_filter = [DeletedFilter, "status", "mode", "type", "shape", "safety_mode"]
    list_select_related = ["user", "shape"]
    search_fields = ["name", "user__email", "location_address", "location_district"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = ["map", "id", "user", "type", "mode", "shape", "custom_points", "custom_svg_path",
                       "start_latitude", "start_longitude", "condition", "target_km", "target_duration_s",
                       "intensity", "safety_mode", "safety_signal", "location_address", "location_district",
                       "network", "planning_ms", "suggested_distance_km", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "status", "deleted_at", "map"]}),
        (_("Request"), {"fields": ["id", "user", "type", "mode", "shape", "condition", "target_km",
                                   "target_duration_s", "intensity", "safety_mode", "safety_signal",
                                   "start_latitude", "start_longitude", "location_address", "location_district",
                                   "network", "planning_ms", "suggested_distance_km", "created_at",
                                   "updated_at"]}),
        (_("Drawing"), {"classes": ["collapse"], "fields": ["custom_points", "custom_svg_path"]}),
    ]
    inlines = [RouteOptionInline]

    @property
    def media(self):
        return super().media + LEAFLET_MEDIA

    def has_add_permission(self, request):
        return False  # routes are planned through the API

    @admin.display(description=_("runner"), ordering="user__name")
    def runner(self, route: Route) -> str:
        return person(route.user)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, route: Route) -> str:
        return short_datetime(route.created_at)

    @admin.display(description=_("deleted"), boolean=True, ordering="deleted_at")
    def deleted(self, route: Route) -> bool:
        return route.deleted_at is not None

    @admin.display(description=_("target km"), ordering="target_distance_km")
    def target_km(self, route: Route) -> str:
        return f"{route.target_distance_km:.2f}"

    @admin.display(description=_("map"))
    def map(self, route: Route) -> str:
        options = list(route.options.select_related("route").order_by("rank"))
        lines = [line for index, option in enumerate(options)
                 for line in route_option_map_lines(option, shown=index == 0)]
        start = options[0].coordinates()[0] if options and options[0].point_count else None
        return map_widget(lines, element_id="route-map", start=start)
