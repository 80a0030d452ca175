"""Staff admin: shape previews and toggles, network re-import as a job, routes with option previews."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from routes.models import RoadNetwork, Route, RouteShape
from routes.services import RoadNetworkImportError
from routes.tests.conftest import GRID_NAME
from routes.tests.factories import RouteOptionFactory


@pytest.fixture
def staff_client(client, db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_shape_changelist_shows_svg_previews_and_toggles(staff_client, shapes):
    response = staff_client.get(reverse("admin:routes_routeshape_changelist"))
    assert response.status_code == 200
    assert response.content.count(b"<svg") >= len(shapes)
    heart = shapes["heart"]
    response = staff_client.post(reverse("admin:routes_routeshape_changelist"),
                                 {"action": "deactivate", "_selected_action": [str(heart.pk)]})
    assert response.status_code == 302
    heart.refresh_from_db()
    assert heart.is_active is False
    staff_client.post(reverse("admin:routes_routeshape_changelist"),
                      {"action": "activate", "_selected_action": [str(heart.pk)]})
    heart.refresh_from_db()
    assert heart.is_active is True
    change = staff_client.get(reverse("admin:routes_routeshape_change", args=[heart.pk]))
    assert change.status_code == 200 and b"<svg" in change.content


def test_shape_preview_escapes_markup_in_the_template(staff_client, shapes):
    RouteShape.objects.filter(shape_id="heart").update(svg_template='M 0 0 L 1 1"/><script>alert(1)</script>')
    response = staff_client.get(reverse("admin:routes_routeshape_changelist"))
    assert b"<script>alert(1)</script>" not in response.content


def test_network_reimport_action_runs_as_a_job(staff_client, grid_network):
    old_file = grid_network.file_name
    response = staff_client.post(reverse("admin:routes_roadnetwork_changelist"),
                                 {"action": "reimport", "_selected_action": [str(grid_network.pk)]})
    assert response.status_code == 302
    network = RoadNetwork.objects.get(pk=grid_network.pk)  # the test settings run jobs synchronously
    assert network.file_name != old_file
    assert network.last_import_error == ""
    assert network.path.exists()


def test_failed_reimport_is_recorded_on_the_row(staff_client, grid_network):
    RoadNetwork.objects.filter(pk=grid_network.pk).update(source="/nonexistent/extract.osm.pbf")
    # Synchronous jobs (test settings) re-raise into the request; a real worker records the failed task.
    with pytest.raises(RoadNetworkImportError):
        staff_client.post(reverse("admin:routes_roadnetwork_changelist"),
                          {"action": "reimport", "_selected_action": [str(grid_network.pk)]})
    network = RoadNetwork.objects.get(pk=grid_network.pk)
    assert "not found" in network.last_import_error
    assert network.file_name == grid_network.file_name  # the old network stays in service
    listing = staff_client.get(reverse("admin:routes_roadnetwork_changelist"))
    assert b"not found" in listing.content


def test_import_from_server_path_form(staff_client, network_dir, grid_osm_file):
    url = reverse("admin:routes_roadnetwork_import")
    assert staff_client.get(url).status_code == 200
    assert b"Import from a server path" in staff_client.get(
        reverse("admin:routes_roadnetwork_changelist")).content
    response = staff_client.post(url, {"source_path": str(grid_osm_file), "name": GRID_NAME})
    assert response.status_code == 302
    assert RoadNetwork.objects.get(name=GRID_NAME).node_count == 144


def test_route_change_page_shows_option_previews(staff_client):
    option = RouteOptionFactory()
    RouteOptionFactory(route=option.route, rank=2)
    response = staff_client.get(reverse("admin:routes_route_change", args=[option.route.pk]))
    assert response.status_code == 200
    assert response.content.count(b"<polyline") == 2
    assert staff_client.get(reverse("admin:routes_route_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:routes_roadnetwork_changelist")).status_code == 200


def test_route_change_page_draws_a_placed_options_approach_apart(staff_client):
    import polyline

    # out 2 points to a square figure and back the same way
    path = [(37.2800, 127.0400), (37.2805, 127.0400), (37.2810, 127.0410), (37.2810, 127.0420),
            (37.2818, 127.0420), (37.2818, 127.0410), (37.2810, 127.0410), (37.2805, 127.0400),
            (37.2800, 127.0400)]
    option = RouteOptionFactory(polyline=polyline.encode(path, 5), point_count=len(path), source="placed",
                                figure_start_index=2, figure_end_index=6, approach_length_m=240.0)
    response = staff_client.get(reverse("admin:routes_route_change", args=[option.route.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('class="approach"') == 2 and content.count('class="figure"') == 1
    assert "stroke-dasharray" in content
    assert "placed" in content.lower()  # the option's source
    assert re.search(r'field-approach">\s*<p>0.24</p>', content)  # its approach, in km


def test_deleting_a_network_in_the_admin_removes_its_file(staff_client, grid_network,
                                                          django_capture_on_commit_callbacks):
    path = grid_network.path
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:routes_roadnetwork_changelist"),
                                     {"action": "delete_selected", "_selected_action": [str(grid_network.pk)],
                                      "post": "yes"})
    assert response.status_code == 302
    assert not RoadNetwork.objects.exists()
    assert not path.exists()


def test_route_change_page_puts_the_options_on_a_leaflet_map(staff_client):
    import json

    import polyline

    path = [(37.2800, 127.0400), (37.2805, 127.0400), (37.2810, 127.0410), (37.2810, 127.0420),
            (37.2818, 127.0420), (37.2818, 127.0410), (37.2810, 127.0410), (37.2805, 127.0400),
            (37.2800, 127.0400)]
    option = RouteOptionFactory(polyline=polyline.encode(path, 5), point_count=len(path), figure_start_index=2,
                                figure_end_index=6, approach_length_m=240.0, rank=1)
    # the outline the planner drew: a square in template units (y up)
    Route.objects.filter(pk=option.route_id).update(outline=[[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]])
    other_route_option = RouteOptionFactory(rank=1)
    RouteOptionFactory(route=option.route, rank=2)
    content = staff_client.get(reverse("admin:routes_route_change", args=[option.route.pk])).content.decode()
    assert "vendor/leaflet/leaflet.js" in content and "vendor/leaflet/leaflet.css" in content
    assert "runnerway/admin/map.js" in content and 'class="rw-map"' in content
    data = json.loads(re.search(r'<script id="route-map-data" type="application/json">(.*?)</script>', content,
                                re.S).group(1))
    assert data["tile_url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    lines = {line["label"]: line for line in data["lines"]}
    assert lines["option #1: figure"]["coordinates"] == [list(point) for point in path[2:7]]
    assert lines["option #1: approach"]["coordinates"] == [list(point) for point in path[:3]]
    assert "option #1: way back" not in lines  # it retraces the approach
    outline = lines["option #1: fitted outline"]
    assert outline["style"] == "outline" and outline["coordinates"][0] == outline["coordinates"][-1]
    # the square fitted onto the square figure lies on its corners (within ~5 m: 0.00005 degrees)
    assert len(outline["coordinates"]) == 5
    for lat, lng in outline["coordinates"]:
        assert min(abs(lat - corner[0]) + abs(lng - corner[1]) for corner in path[2:7]) < 0.00005
    assert lines["option #1: figure"]["shown"] and not lines["option #2: figure"]["shown"]
    # a route with no stored outline still shows its path, without a fitted outline
    other = staff_client.get(reverse("admin:routes_route_change", args=[other_route_option.route_id]))
    assert "fitted outline" not in other.content.decode() and "option #1: figure" in other.content.decode()


def test_route_changelist_filters_deleted_routes(staff_client):
    from django.utils import timezone

    live, gone = RouteOptionFactory().route, RouteOptionFactory().route
    Route.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    deleted = staff_client.get(reverse("admin:routes_route_changelist"), {"deleted": "yes"}).content.decode()
    assert gone.name in deleted and live.name not in deleted
    alive = staff_client.get(reverse("admin:routes_route_changelist"), {"deleted": "no"}).content.decode()
    assert live.name in alive and gone.name not in alive
