"""Resource limits and throttles (OWASP API4), and secrets kept out of the logs.

Page sizes, GPS batches, request bodies and uploads are capped; route planning is bounded by its time budget;
login, OTP and route planning are throttled per user (or target email) AND per client address, answering 429
`throttled` in the error envelope with `Retry-After`.
"""

import io
import logging
import time
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.tests.conftest import KAKAO_APP_ID, KakaoAccount, code_from_mail_text
from accounts.tests.factories import UserFactory
from conftest import client_for
from routes.tests.conftest import grid_centre

PAGE_MAX = 100
pytestmark = pytest.mark.django_db


# --- page sizes -----------------------------------------------------------------------------------------------

def _many_routes(user, count):
    from routes.tests.factories import RouteFactory

    for _ in range(count):
        RouteFactory(user=user)


def _many_workouts(user, count):
    from workouts.models import Workout

    start = timezone.now() - timedelta(days=1)
    Workout.objects.bulk_create([Workout(user=user, status="completed", started_at=start - timedelta(minutes=i))
                                 for i in range(count)])


def _many_goals(user, count):
    from goals.models import Goal

    first = date(2026, 1, 1)
    Goal.objects.bulk_create([Goal(user=user, goal_type="weekly", target_type="distance", target_value=10,
                                   start_date=first + timedelta(days=i), end_date=first + timedelta(days=i),
                                   is_active=True) for i in range(count)])


def _many_posts(user, count):
    from community.models import Post

    now = timezone.now()
    Post.objects.bulk_create([Post(author=user, content=f"run {i}", visibility="public",
                                   created_at=now - timedelta(seconds=i)) for i in range(count)])


def _many_comments(user, count):
    from community.models import Comment, Post

    post = Post.objects.create(author=user, content="popular", visibility="public")
    now = timezone.now()
    Comment.objects.bulk_create([Comment(post=post, author=user, content=f"c{i}",
                                         created_at=now - timedelta(seconds=i)) for i in range(count)])
    return f"/api/v1/community/posts/{post.pk}/comments"


def _many_notifications(user, count):
    from community.models import Notification

    Notification.objects.bulk_create([Notification(user=user, type="follow", target_type="user",
                                                   target_id=str(user.pk)) for _ in range(count)])


LISTS = [
    ("/api/v1/routes", _many_routes),
    ("/api/v1/workouts", _many_workouts),
    ("/api/v1/goals?active_only=false", _many_goals),
    ("/api/v1/community/posts", _many_posts),
    ("/api/v1/community/posts?ordering=popular", _many_posts),
    (None, _many_comments),
    ("/api/v1/notifications", _many_notifications),
]


@pytest.mark.parametrize(("url", "make"), LISTS, ids=[make.__name__.removeprefix("_many_") + (f" {url}" if url
                                                                                               else "")
                                                      for url, make in LISTS])
def test_page_size_is_capped_at_100(user, auth_client, url, make):
    url = make(user, PAGE_MAX + 5) or url
    joiner = "&" if "?" in url else "?"
    response = auth_client.get(f"{url}{joiner}page_size=1000")
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data["results"]) == PAGE_MAX
    assert data["next"] is not None  # the rest is one page further, not lost
    assert len(auth_client.get(data["next"]).json()["data"]["results"]) == 5


# --- GPS batches, request bodies, uploads --------------------------------------------------------------------

def test_gps_batch_of_1001_points_is_400_and_stores_nothing(user, auth_client):
    from workouts.models import WorkoutPoint
    from workouts.tests.factories import loop_points

    workout = auth_client.post("/api/v1/workouts", {"type": "running", "start_latitude": 37.5444,
                                                    "start_longitude": 127.0374}, format="json").json()["data"]
    start = timezone.now() - timedelta(minutes=30)
    url = f"/api/v1/workouts/{workout['id']}/points"
    response = auth_client.post(url, {"points": loop_points(count=1001, start=start)}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert any(name.startswith("points") for name in response.json()["error"]["fields"])
    assert not WorkoutPoint.objects.exists()
    # 1000 is the cap, not a limit below it
    assert auth_client.post(url, {"points": loop_points(count=1000, start=start)},
                            format="json").status_code == 200


def test_request_body_over_the_cap_is_413_request_too_large(auth_client):
    from goals.models import Goal

    cap = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'{"goal_type": "weekly", "padding": "' + b"x" * cap + b'"}'
    response = auth_client.generic("POST", "/api/v1/goals", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"success": False, "error": {"code": "request_too_large",
                                                           "message": "The request body is too large."}}
    assert not Goal.objects.exists()


def _png_bytes(size: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    data = buffer.getvalue()
    return data + b"\0" * max(0, size - len(data))  # trailing bytes after IEND: still a valid PNG to decoders


def test_avatar_over_5_mb_is_400_and_not_stored(user, auth_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.avatars import MAX_AVATAR_BYTES

    big = SimpleUploadedFile("me.png", _png_bytes(MAX_AVATAR_BYTES + 1), content_type="image/png")
    response = auth_client.put("/api/v1/users/me/avatar", {"avatar": big}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    user.refresh_from_db()
    assert not user.avatar
    small = SimpleUploadedFile("me.png", _png_bytes(1000), content_type="image/png")
    assert auth_client.put("/api/v1/users/me/avatar", {"avatar": small}, format="multipart").status_code == 200


def test_avatar_far_over_the_cap_is_refused_before_it_is_read(user, auth_client, monkeypatch):
    """Multipart files do not count against DATA_UPLOAD_MAX_MEMORY_SIZE: without a check on the declared length
    Django would spool any size to disk before the view looked at it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.parsers import MultiPartParser

    from accounts.avatars import MAX_AVATAR_BYTES

    def must_not_parse(*args, **kwargs):
        raise AssertionError("an oversized upload must be refused before it is parsed")

    monkeypatch.setattr(MultiPartParser, "parse", must_not_parse)
    big = SimpleUploadedFile("me.png", _png_bytes(MAX_AVATAR_BYTES + 100 * 1024), content_type="image/png")
    response = auth_client.put("/api/v1/users/me/avatar", {"avatar": big}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"


def test_workout_import_over_its_cap_is_400_and_not_read(user, auth_client, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workouts import services as workout_services
    from workouts.imports import MAX_IMPORT_BYTES
    from workouts.models import Workout

    def must_not_parse(**kwargs):
        raise AssertionError("an oversized upload must be refused before it is parsed")

    monkeypatch.setattr(workout_services, "workout_import_create", must_not_parse)
    big = SimpleUploadedFile("run.gpx", b"<gpx>" + b" " * MAX_IMPORT_BYTES + b"</gpx>",
                             content_type="application/gpx+xml")
    response = auth_client.post("/api/v1/workouts/import", {"file": big}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "file" in response.json()["error"]["fields"]
    assert not Workout.objects.exists()


# --- route planning is bounded in time --------------------------------------------------------------------------

def test_route_planning_stops_at_its_budget_and_answers_422(auth_client, grid_network, shapes, settings,
                                                          monkeypatch):
    """Every street routing of the planner is made slow (it burns more CPU than the whole budget): the planner
    must stop after the first one and the request answer 422 `route_planning_timeout`, not grind through its
    search. The budget is CPU time, so a loaded machine (slower wall clock) changes nothing here."""
    from routes.models import Route
    from routes.planner import planner as planner_module

    budget_s = 0.3
    settings.ROUTE_PLAN_TIME_BUDGET_S = budget_s
    real_route_once = planner_module._route_once
    routings = []

    def slow_route_once(*args, **kwargs):
        routings.append(1)
        until = time.process_time() + budget_s + 0.05
        while time.process_time() < until:
            pass
        real_route_once(*args, **kwargs)
        return None  # and no luck: nothing within the tolerance

    monkeypatch.setattr(planner_module, "_route_once", slow_route_once)
    lat, lon = grid_centre()
    started = time.perf_counter()
    response = auth_client.post("/api/v1/routes", {
        "type": "running", "mode": "shape", "shape_id": "heart", "start_latitude": lat, "start_longitude": lon,
        "condition": "distance", "target_distance": 2.0, "intensity": "normal", "safety_mode": False},
        format="json")
    elapsed_s = time.perf_counter() - started
    print(f"\nplanning with slow routing answered {response.status_code} in {elapsed_s:.2f} s (budget {budget_s} s)")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "route_planning_timeout"
    # Without the budget the search would route dozens of placements (each more than the whole budget).
    assert len(routings) <= 2
    assert not Route.objects.exists()


# --- throttles --------------------------------------------------------------------------------------------------

def _assert_throttled(response):
    assert response.status_code == 429, (response.status_code, response.content[:200])
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1
    assert response["Retry-After"] in body["error"]["message"]


def _rates(monkeypatch, **rates):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **rates})


def _from(address: str) -> dict:
    return {"REMOTE_ADDR": address}


def test_login_is_throttled_per_address(api_client, monkeypatch):
    _rates(monkeypatch, login="3/min", login_email="100/min")
    for i in range(3):
        response = api_client.post("/api/v1/auth/login", {"email": f"u{i}@example.com", "password": "wrong-pass"},
                                   **_from("203.0.113.7"))
        assert response.status_code == 401
    _assert_throttled(api_client.post("/api/v1/auth/login", {"email": "u9@example.com", "password": "x"},
                                      **_from("203.0.113.7")))
    # another address is not affected
    assert api_client.post("/api/v1/auth/login", {"email": "u9@example.com", "password": "x"},
                           **_from("198.51.100.2")).status_code == 401


def test_login_is_throttled_per_target_email_across_addresses(api_client, monkeypatch):
    victim = UserFactory(email="victim@example.com")
    victim.set_password("the-right-password-1")
    victim.save()
    _rates(monkeypatch, login="100/min", login_email="3/min")
    for i in range(3):
        response = api_client.post("/api/v1/auth/login", {"email": "Victim@Example.com", "password": f"guess-{i}"},
                                   **_from(f"203.0.113.{i + 1}"))
        assert response.status_code == 401
    # a fourth address guessing the same account is throttled, even with the right password
    _assert_throttled(api_client.post("/api/v1/auth/login", {"email": "victim@example.com",
                                                             "password": "the-right-password-1"},
                                      **_from("203.0.113.99")))
    # other accounts from the same addresses are not affected
    assert api_client.post("/api/v1/auth/login", {"email": "someone@example.com", "password": "x"},
                           **_from("203.0.113.1")).status_code == 401


def test_otp_request_is_throttled_per_email_and_per_address(api_client, monkeypatch):
    _rates(monkeypatch, otp_request_email="1/min", otp_request_address="3/hour")
    assert api_client.post("/api/v1/auth/otp/request", {"email": "a@example.com"},
                           **_from("203.0.113.7")).status_code == 202
    # the same email again, from anywhere
    _assert_throttled(api_client.post("/api/v1/auth/otp/request", {"email": "A@example.com"},
                                      **_from("198.51.100.2")))
    # one address asking for many inboxes
    for email in ("b@example.com", "c@example.com"):
        assert api_client.post("/api/v1/auth/otp/request", {"email": email},
                               **_from("203.0.113.7")).status_code == 202
    _assert_throttled(api_client.post("/api/v1/auth/otp/request", {"email": "d@example.com"},
                                      **_from("203.0.113.7")))


def test_otp_verify_is_throttled_per_address_and_per_email(api_client, monkeypatch):
    _rates(monkeypatch, otp_verify="3/min", otp_verify_email_address="100/min")
    for i in range(3):
        response = api_client.post("/api/v1/auth/otp/verify", {"email": f"v{i}@example.com", "code": "000000"},
                                   **_from("203.0.113.7"))
        assert response.status_code == 400
    _assert_throttled(api_client.post("/api/v1/auth/otp/verify", {"email": "v9@example.com", "code": "000000"},
                                      **_from("203.0.113.7")))

    # Per email from one address: checks flooded for someone's email throttle only the address sending them.
    _rates(monkeypatch, otp_verify="100/min", otp_verify_email_address="2/min")
    for _ in range(2):
        assert api_client.post("/api/v1/auth/otp/verify", {"email": "target@example.com", "code": "000000"},
                               **_from("198.51.100.1")).status_code == 400
    _assert_throttled(api_client.post("/api/v1/auth/otp/verify", {"email": "target@example.com", "code": "000000"},
                                      **_from("198.51.100.1")))
    assert api_client.post("/api/v1/auth/otp/verify", {"email": "target@example.com", "code": "000000"},
                           **_from("198.51.100.50")).status_code == 400


def _plan_body() -> dict:
    # an invalid target: refused fast by validation, and still counted (the throttle runs first)
    lat, lon = grid_centre()
    return {"type": "running", "mode": "shape", "shape_id": "heart", "start_latitude": lat,
            "start_longitude": lon, "condition": "distance", "target_distance": 0.01}


def test_route_planning_is_throttled_per_user_across_addresses(user, monkeypatch):
    _rates(monkeypatch, route_plan="2/min", route_plan_address="100/min")
    client = client_for(user)
    for i in range(2):
        assert client.post("/api/v1/routes", _plan_body(), format="json",
                           **_from(f"203.0.113.{i + 1}")).status_code == 400
    _assert_throttled(client.post("/api/v1/routes", _plan_body(), format="json", **_from("203.0.113.50")))
    assert client.get("/api/v1/routes").status_code == 200  # reading is not planning
    assert client_for(UserFactory()).post("/api/v1/routes", _plan_body(), format="json",
                                          **_from("203.0.113.50")).status_code == 400


def test_route_planning_is_throttled_per_address_across_users(db, monkeypatch):
    _rates(monkeypatch, route_plan="100/min", route_plan_address="2/min")
    for _ in range(2):
        assert client_for(UserFactory()).post("/api/v1/routes", _plan_body(), format="json",
                                              **_from("203.0.113.7")).status_code == 400
    _assert_throttled(client_for(UserFactory()).post("/api/v1/routes", _plan_body(), format="json",
                                                     **_from("203.0.113.7")))
    assert client_for(UserFactory()).post("/api/v1/routes", _plan_body(), format="json",
                                          **_from("198.51.100.2")).status_code == 400


def test_every_throttle_scope_in_use_has_a_rate():
    """A scope without a rate raises ImproperlyConfigured at request time (500): catch it here."""
    from accounts import views as account_views
    from routes import views as route_views

    scopes = set()
    for module in (account_views, route_views):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, APIView):
                for attr in ("throttle_scope", "throttle_scope_address"):
                    if getattr(value, attr, None):
                        scopes.add(getattr(value, attr))
                for throttle in value.throttle_classes:
                    if getattr(throttle, "scope", None):
                        scopes.add(throttle.scope)
    assert {"login", "login_email", "login_device", "signup_address", "signup_device", "otp_verify",
            "otp_verify_email_address", "otp_request_email", "otp_request_device", "otp_request_address",
            "route_plan", "route_plan_address"} <= scopes
    assert scopes <= set(django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])


# --- secrets and OTP codes never logged ------------------------------------------------------------------------

def test_no_secret_reaches_the_logs(api_client, fake_kakao, caplog, settings):
    settings.KAKAO_APP_ID = KAKAO_APP_ID
    caplog.set_level(logging.DEBUG)
    secrets = {"SECRET_KEY": django_settings.SECRET_KEY}

    password = "Correct-Horse-Battery-9"
    signup = api_client.post("/api/v1/auth/signup", {"email": "runner@example.com", "password": password,
                                                      "name": "Runner"})
    assert signup.status_code == 201
    secrets.update(password=password, signup_access=signup.json()["data"]["access"],
                   signup_refresh=signup.json()["data"]["refresh"])
    wrong = "Wrong-Password-123"
    assert api_client.post("/api/v1/auth/login", {"email": "runner@example.com", "password": wrong}).status_code == 401
    secrets["wrong_password"] = wrong
    login = api_client.post("/api/v1/auth/login", {"email": "runner@example.com", "password": password})
    assert login.status_code == 200
    secrets.update(login_access=login.json()["data"]["access"], login_refresh=login.json()["data"]["refresh"])
    refreshed = api_client.post("/api/v1/auth/refresh", {"refresh": secrets["login_refresh"]})
    assert refreshed.status_code == 200
    secrets["rotated_refresh"] = refreshed.json()["data"]["refresh"]

    assert api_client.post("/api/v1/auth/otp/request", {"email": "otp@example.com"}).status_code == 202
    code = code_from_mail_text(mail.outbox[-1].body)
    secrets["otp_code"] = code
    wrong_code = "000000" if code != "000000" else "111111"
    assert api_client.post("/api/v1/auth/otp/verify", {"email": "otp@example.com", "code": wrong_code}
                           ).status_code == 400
    verified = api_client.post("/api/v1/auth/otp/verify", {"email": "otp@example.com", "code": code})
    assert verified.status_code == 200
    secrets["otp_access"] = verified.json()["data"]["access"]

    kakao_token = "kakao-sdk-token-0123456789abcdef"
    fake_kakao.tokens[kakao_token] = KakaoAccount(user_id=777, email="k@example.com")
    kakao = api_client.post("/api/v1/auth/kakao", {"access_token": kakao_token})
    assert kakao.status_code == 200
    secrets.update(kakao_token=kakao_token, kakao_access=kakao.json()["data"]["access"])
    assert api_client.post("/api/v1/auth/kakao", {"access_token": "unknown-token-42"}).status_code == 401
    secrets["unknown_kakao_token"] = "unknown-token-42"

    assert caplog.records, "the flows above log (activity, mail, warnings): the capture must see them"
    for record in caplog.records:
        text = " ".join([record.getMessage(), record.exc_text or "", repr(getattr(record, "request", ""))])
        leaked = [name for name, secret in secrets.items() if secret and secret in text]
        assert leaked == [], f"{record.name}: {record.getMessage()[:200]}"
