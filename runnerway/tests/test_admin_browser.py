"""The staff admin in a real browser: headless Chromium (Debian's package) driven by Playwright.

Logs in through the admin's form, then opens a route, a workout, the analytics page and the comment list at
1440 x 900. It checks what the scripts drew (the Leaflet polylines' coordinates, the Chart.js charts' data),
that the comment text is on screen within 1440 px, that no list page scrolls sideways, and that the only
requests to another host are map tiles (answered here with a blank tile: tests never use the network).
Screenshots go to var/screenshots/.
"""

import os
import shutil
import struct
import warnings
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import polyline
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from community import services as community
from community.tests.factories import PostFactory
from goals.models import Goal
from routes.models import Route
from routes.tests.factories import RouteOptionFactory
from runnerway.models import DailyGlobalStats
from workouts import services as workouts
from workouts.tests.factories import WorkoutFactory, loop_points

VIEWPORT = {"width": 1440, "height": 900}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
STAFF_EMAIL, STAFF_PASSWORD = "staff@runnerway.example", "staff-browser-pass-1"
# Out 2 points to a square figure and back the same way (a placed option's approach), near Seoul Forest.
ROUTE_PATH = [(37.5440, 127.0370), (37.5445, 127.0370), (37.5450, 127.0380), (37.5450, 127.0390),
              (37.5458, 127.0390), (37.5458, 127.0380), (37.5450, 127.0380), (37.5445, 127.0370),
              (37.5440, 127.0370)]
COMMENT_TEXT = ("이 하트 모양 정말 멋지네요! 다음 주말에 같이 달려요. A long comment a moderator must read whole, "
                "without scrolling sideways.")


def one_pixel_png(rgb: tuple[int, int, int]) -> bytes:
    """A 1 x 1 PNG of one colour (Leaflet stretches it over the 256 px tile)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1 x 1, 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" + bytes(rgb)))
            + chunk(b"IEND", b""))


# What every tile request gets: a light grey tile, so the lines read in the screenshots.
BLANK_TILE = one_pixel_png((233, 236, 239))


def chromium_path() -> str | None:
    return shutil.which("chromium") or next(
        (path for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(path).exists()), None)


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        missing = ("Chromium (apt-get install chromium)" if executable is None
                   else "playwright (requirements/browser.txt)")
        message = f"THE ADMIN BROWSER TESTS DID NOT RUN: {missing} is not installed"
        print(f"\n{'!' * 20} {message} {'!' * 20}\n")
        warnings.warn(pytest.PytestWarning(message), stacklevel=1)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop running in this thread, which Django's ORM takes for async
    # code; the test's own queries are plain synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def admin_data(transactional_db):
    """A staff user, a route with a placed option and a fitted outline, a workout run on it, a post with
    comments and likes, and two weeks of analytics."""
    User.objects.create_superuser(email=STAFF_EMAIL, password=STAFF_PASSWORD, name="Staff")
    option = RouteOptionFactory(polyline=polyline.encode(ROUTE_PATH, 5), point_count=len(ROUTE_PATH), rank=1,
                                figure_start_index=2, figure_end_index=6, approach_length_m=240.0,
                                source="placed", route__name="Heart near Seoul Forest",
                                route__user__name="Minji Kim",
                                route__user__email="minji.kim.runner1@demo.runnerway.app")
    Route.objects.filter(pk=option.route_id).update(outline=[[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]])
    runner = option.route.user
    workout = WorkoutFactory(user=runner, route=option.route, route_option=option)
    points = [{**point, "recorded_at": datetime.fromisoformat(point["recorded_at"])}
              for point in loop_points(count=600, radius_m=60)]
    workouts.workout_add_points(workout=workout, points=points)
    workout = workouts.workout_complete(workout=workout, completed_at=points[-1]["recorded_at"])
    Goal.objects.create(user=runner, goal_type="weekly", target_type="distance", target_value=15,
                        start_date=timezone.localdate(), end_date=timezone.localdate() + timedelta(days=6))
    post = PostFactory(author=runner, content="Heart drawn on the streets of Seongsu!", route=option.route)
    commenters = [User.objects.create_user(email=f"fan{index}.long.address@demo.runnerway.app", password=None,
                                           name=name) for index, name in enumerate(["Jisoo Park", "Aino Virtanen"])]
    for commenter in commenters:
        community.comment_create(post=post, author=commenter, content=COMMENT_TEXT)
        community.post_like(post=post, user=commenter)
        community.follow_create(follower=commenter, followee=runner)
    today = timezone.localdate()
    for days_ago in range(14, 0, -1):
        DailyGlobalStats.objects.create(
            day=today - timedelta(days=days_ago), active_users=3 + days_ago % 4,
            weekly_active_users=10 + days_ago % 3, workouts=4 + days_ago % 5, distance_m=12_345.0 + 800 * days_ago,
            routes_planned=6 + days_ago % 2, avg_shape_accuracy=70 + days_ago,
            popular_shapes=[{"shape_id": "heart", "name": "Heart", "routes": 3}])
    return {"option": option, "workout": workout, "post": post, "points": points}


@pytest.fixture
def staff_page(browser, live_server, admin_data):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    own_host = urlsplit(live_server.url).netloc
    tile_host = urlsplit(settings.ADMIN_MAP_TILE_URL).netloc
    outside: list[str] = []

    def answer(route):
        url = route.request.url
        if urlsplit(url).netloc == own_host:
            route.continue_()
            return
        outside.append(url)
        if urlsplit(url).netloc == tile_host:
            route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
        else:
            route.abort()

    page.route("**/*", answer)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", STAFF_EMAIL)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.outside_requests = outside
    yield page
    context.close()


def shot(page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def scroll_width(page) -> int:
    """How wide the page's content is: the document's width, or the widest table in its scrolling box
    (the admin's change lists and inlines scroll sideways inside the page rather than widen it)."""
    return page.evaluate("""() => Math.max(document.documentElement.scrollWidth,
        ...[...document.querySelectorAll('#changelist .results, .inline-group .tabular, fieldset.module')]
            .map(box => box.getBoundingClientRect().left + box.scrollWidth))""")


def test_admin_in_a_browser(staff_page, live_server, admin_data):
    page = staff_page
    option, workout = admin_data["option"], admin_data["workout"]
    assert page.locator('a[href="/admin/analytics/"]').first.is_visible()  # the analytics page, from the index
    accounts = page.locator("#content-main .app-accounts")
    assert accounts.get_by_text("Email addresses").is_visible() and accounts.get_by_text("Groups").is_visible()
    assert page.locator(".app-sites, .app-socialaccount, .app-token_blacklist, .app-account").count() == 0
    shot(page, "admin-index", full_page=True)

    # The route: its option on the map, the figure, the approach and the fitted outline as polylines.
    page.goto(live_server.url + reverse("admin:routes_route_change", args=[option.route_id]))
    page.wait_for_function("document.getElementById('route-map').rwMap !== undefined")
    drawn = page.evaluate("""() => document.getElementById('route-map').rwMap.polylines.map(line => ({
        label: line.rwLabel, onMap: line._map !== null && line._map !== undefined,
        latlngs: line.getLatLngs().map(point => [point.lat, point.lng])}))""")
    by_label = {line["label"]: line for line in drawn}
    assert by_label["option #1: figure"]["latlngs"] == [list(point) for point in ROUTE_PATH[2:7]]
    assert by_label["option #1: approach"]["latlngs"] == [list(point) for point in ROUTE_PATH[:3]]
    outline = by_label["option #1: fitted outline"]
    assert outline["onMap"] and len(outline["latlngs"]) == 5
    dash = page.evaluate("""() => document.getElementById('route-map').rwMap.polylines
        .find(line => line.rwStyle === 'outline').options.dashArray""")
    assert dash  # the outline is dashed
    assert page.locator("#route-map .leaflet-tile-loaded").count() > 0  # tiles drawn (here: the blank tile)
    assert scroll_width(page) <= VIEWPORT["width"]
    shot(page, "admin-route", full_page=True)

    # The workout: the recorded track, the planned option and the figure fitted to the track.
    page.goto(live_server.url + reverse("admin:workouts_workout_change", args=[workout.pk]))
    page.wait_for_function("document.getElementById('workout-map').rwMap !== undefined")
    lines = page.evaluate("""() => document.getElementById('workout-map').rwMap.polylines.map(line => ({
        style: line.rwStyle, count: line.getLatLngs().length, first: line.getLatLngs()[0]}))""")
    styles = {line["style"]: line for line in lines}
    assert set(styles) == {"planned", "track", "outline"}
    assert styles["track"]["count"] == len(admin_data["points"])
    first = admin_data["points"][0]
    assert styles["track"]["first"] == {"lat": round(first["latitude"], 6), "lng": round(first["longitude"], 6)}
    assert page.locator(".field-splits_table table.rw-table tbody tr").count() >= 1
    assert not page.locator("#points-group details").get_attribute("open")  # the points start folded
    assert scroll_width(page) <= VIEWPORT["width"]
    shot(page, "admin-workout", full_page=True)

    # Analytics: six Chart.js charts, each with the days' data on a time axis.
    page.goto(f"{live_server.url}/admin/analytics/")
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 6 && "
                           "[...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))")
    charts = page.evaluate("""() => [...document.querySelectorAll('canvas[data-chart]')].map(canvas => {
        const chart = Chart.getChart(canvas);
        return {id: canvas.dataset.chart, points: chart.data.datasets[0].data.length,
                xType: chart.scales.x.type, width: canvas.width,
                labels: chart.options.plugins.datalabels !== undefined};
    })""")
    assert len(charts) == 6
    for chart in charts:
        assert chart["points"] == 14 and chart["xType"] == "time" and chart["width"] > 0 and chart["labels"]
    shot(page, "admin-analytics", full_page=True)

    # The comment list: the whole comment on screen, inside 1440 px, by the commenter's name.
    page.goto(live_server.url + reverse("admin:community_comment_changelist"))
    comment = page.get_by_text(COMMENT_TEXT).first
    assert comment.is_visible()
    box = comment.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"]
    assert page.get_by_text("Jisoo Park").first.is_visible()
    assert scroll_width(page) <= VIEWPORT["width"]
    shot(page, "admin-comments")

    # The only requests to another host were map tiles.
    tile_host = urlsplit(settings.ADMIN_MAP_TILE_URL).netloc
    assert page.outside_requests and {urlsplit(url).netloc for url in page.outside_requests} == {tile_host}


def test_every_list_page_fits_1440_px(staff_page, live_server):
    page = staff_page
    links = page.evaluate("""() => [...new Set([...document.querySelectorAll('#content-main table a')]
        .map(a => a.getAttribute('href')).filter(href => href && !href.endsWith('/add/')))]""")
    assert len(links) >= 25
    too_wide = {}
    for href in links:
        response = page.goto(live_server.url + href)
        assert response.status == 200, href
        if scroll_width(page) > VIEWPORT["width"]:
            too_wide[href] = scroll_width(page)
            shot(page, "too-wide-" + href.strip("/").replace("/", "-"))
    assert too_wide == {}


@pytest.mark.no_accept_language
def test_a_korean_browser_sees_the_route_on_its_map_in_korean(browser, live_server, admin_data):
    """What a Korean staff member gets: the admin in Korean (from the browser's language) and the route's option
    on its map."""
    context = browser.new_context(viewport=VIEWPORT, locale="ko-KR")
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).netloc
               == urlsplit(live_server.url).netloc else route.fulfill(status=200, content_type="image/png",
                                                                     body=BLANK_TILE))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", STAFF_EMAIL)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    option = admin_data["option"]
    page.goto(live_server.url + reverse("admin:routes_route_change", args=[option.route_id]))
    page.wait_for_function("document.getElementById('route-map').rwMap !== undefined")
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert "경로와 도로망" in page.locator(".breadcrumbs").inner_text()
    figure = page.evaluate("""() => document.getElementById('route-map').rwMap.polylines
        .filter(line => line.rwStyle === 'figure').map(line => line.getLatLngs().map(p => [p.lat, p.lng]))""")
    assert figure == [[list(point) for point in ROUTE_PATH[2:7]]]
    shot(page, "admin-route-ko", full_page=True)
    context.close()
