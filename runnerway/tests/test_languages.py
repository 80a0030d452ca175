"""Korean first: the API, the mails and the admin speak Korean unless the client asks for English, and the error
codes are the same in both. Requests here set their own Accept-Language or, marked `no_accept_language`, none."""

import re
import uuid
from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.conftest import code_from_mail_text
from accounts.tests.factories import UserFactory
from conftest import client_for
from routes.tests.factories import RouteFactory

pytestmark = pytest.mark.django_db
HANGUL = re.compile(r"[\uac00-\ud7a3]")
KO, EN = {"HTTP_ACCEPT_LANGUAGE": "ko-KR,ko;q=0.9,en;q=0.8"}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def error_of(response) -> dict:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def in_both_languages(send) -> tuple[dict, dict]:
    """The error envelope of one request sent once in Korean and once in English."""
    korean, english = error_of(send(KO)), error_of(send(EN))
    assert korean["code"] == english["code"]  # the code never changes with the language
    return korean, english


# --- API messages --------------------------------------------------------------------------------------------


def test_a_validation_error_speaks_the_client_language_and_keeps_its_code():
    client = APIClient()
    korean, english = in_both_languages(lambda lang: client.post("/api/v1/auth/signup", {}, format="json", **lang))
    assert korean["code"] == "validation_error"
    # DRF's own message, from its Korean catalogue.
    assert english["fields"]["email"] == ["This field is required."]
    assert korean["fields"]["email"] == ["이 필드는 필수 항목입니다."]
    assert korean["fields"].keys() == english["fields"].keys()
    assert korean["message"] == "email: 이 필드는 필수 항목입니다."


def test_a_404_of_ours_in_korean_and_english(user):
    client = client_for(user)
    korean, english = in_both_languages(lambda lang: client.get(f"/api/v1/routes/{uuid.uuid4()}", **lang))
    assert korean == {"code": "not_found", "message": "해당 경로가 없습니다."}
    assert english == {"code": "not_found", "message": "No such route."}


def test_an_unknown_api_address_answers_404_in_korean():
    response = APIClient().get("/api/v1/no-such-thing", **KO)
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "이 주소에는 API 엔드포인트가 없습니다."}


def test_a_401_in_korean_and_english():
    client = APIClient()
    korean, english = in_both_languages(lambda lang: client.get("/api/v1/users/me", **lang))
    assert korean["code"] == "not_authenticated"
    assert english["message"] == "Authentication credentials were not provided."
    assert HANGUL.search(korean["message"]) and korean["message"] != english["message"]


def test_a_bad_token_is_refused_in_korean():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    korean, english = in_both_languages(lambda lang: client.get("/api/v1/users/me", **lang))
    assert korean == {"code": "token_invalid", "message": "토큰이 유효하지 않거나 만료되었습니다."}
    assert english == {"code": "token_invalid", "message": "The token is invalid or expired."}


def test_a_throttled_429_says_when_to_retry_in_the_client_language():
    client = APIClient()
    assert client.post("/api/v1/auth/otp/request", {"email": "kim@example.com"}, **KO).status_code == 202
    korean = client.post("/api/v1/auth/otp/request", {"email": "kim@example.com"}, **KO)
    english = client.post("/api/v1/auth/otp/request", {"email": "kim@example.com"}, **EN)
    assert korean.status_code == english.status_code == 429  # one code a minute per email
    seconds = korean["Retry-After"]
    assert error_of(korean) == {"code": "throttled",
                                "message": f"요청이 너무 많습니다. {seconds}초 후에 다시 시도하세요."}
    assert error_of(english)["code"] == "throttled"
    assert error_of(english)["message"].startswith("Too many requests. Try again in ")


def test_an_unknown_language_gets_korean(user):
    response = client_for(user).get(f"/api/v1/routes/{uuid.uuid4()}", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert error_of(response)["message"] == "해당 경로가 없습니다."
    assert "Accept-Language" in response["Vary"]  # caches keep the languages apart


@pytest.mark.no_accept_language
def test_no_accept_language_gets_korean(user):
    response = client_for(user).get(f"/api/v1/routes/{uuid.uuid4()}")
    assert error_of(response) == {"code": "not_found", "message": "해당 경로가 없습니다."}
    signup = APIClient().post("/api/v1/auth/signup", {"email": "kim@example.com"}, format="json")
    assert error_of(signup)["fields"]["password"] == ["이 필드는 필수 항목입니다."]


@pytest.mark.no_accept_language
def test_the_success_envelope_message_is_korean_by_default():
    response = APIClient().post("/api/v1/auth/otp/request", {"email": "kim@example.com"})
    assert response.status_code == 202
    assert response.json()["message"] == "메일을 받을 수 있는 주소라면 코드가 곧 도착합니다."


# --- mails ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "subject", "line"), [
    ({}, "[RunnerWay] 로그인 코드", "코드: "),
    (KO, "[RunnerWay] 로그인 코드", "코드: "),
    (EN, "[RunnerWay] Your login code", "Code: "),
])
@pytest.mark.no_accept_language
def test_the_login_code_mail_speaks_the_language_of_the_request(headers, subject, line):
    response = APIClient().post("/api/v1/auth/otp/request", {"email": "kim@example.com"}, **headers)
    assert response.status_code == 202
    message = mail.outbox[-1]
    code = code_from_mail_text(message.body)
    assert message.subject == subject
    assert f"{line}{code}" in message.body
    html, _ = message.alternatives[0]
    assert code in html and ('lang="en"' in html) == (headers is EN)
    # One language per mail: the other language's words are absent.
    assert bool(HANGUL.search(message.body)) == (headers is not EN)


def test_signup_keeps_the_language_for_later_mails_and_the_profile_changes_it():
    client = APIClient()
    created = client.post("/api/v1/auth/signup", {"email": "lee@example.com", "password": "a long secret 42",
                                                  "name": "Lee"}, format="json", **EN)
    assert created.status_code == 201, created.content
    assert created.json()["data"]["user"]["language"] == "en"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.json()['data']['access']}")
    changed = client.patch("/api/v1/users/me", {"language": "ko"}, format="json", **EN)
    assert changed.status_code == 200 and changed.json()["data"]["language"] == "ko"
    refused = client.patch("/api/v1/users/me", {"language": "fr"}, format="json", **KO)
    assert refused.status_code == 400 and error_of(refused)["fields"].keys() == {"language"}
    assert client.get("/api/v1/users/me", **EN).json()["data"]["language"] == "ko"


@pytest.mark.parametrize(("language", "subject"), [("ko", "[RunnerWay] 계정을 보호했습니다"),
                                                   ("en", "[RunnerWay] We secured your account")])
def test_a_mail_sent_outside_a_request_speaks_the_user_language(language, subject):
    from accounts.services import user_send_secured_email

    owner = UserFactory(language=language)
    assert user_send_secured_email(user_id=str(owner.pk), token_version=1)
    message = mail.outbox[-1]
    assert message.subject == subject and owner.email in message.body
    assert bool(HANGUL.search(message.body)) == (language == "ko")


# --- shape names ---------------------------------------------------------------------------------------------


def test_shape_names_follow_the_client_language_and_both_stay_available(user):
    call_command("seed_shapes")
    client = APIClient()
    korean = {s["shape_id"]: s for s in client.get("/api/v1/shapes", **KO).json()["data"]}
    english = {s["shape_id"]: s for s in client.get("/api/v1/shapes", **EN).json()["data"]}
    assert korean["heart"]["name"] == "하트" and english["heart"]["name"] == "Heart"
    for shape in (korean["heart"], english["heart"]):
        assert (shape["name_ko"], shape["name_en"]) == ("하트", "Heart")
    assert client.get("/api/v1/shapes/star", **KO).json()["data"]["name"] == "별"

    from routes.models import RouteShape

    route = RouteFactory(user=user, shape=RouteShape.objects.get(shape_id="heart"))
    owner = client_for(user)
    assert owner.get(f"/api/v1/routes/{route.pk}", **KO).json()["data"]["shape_name"] == "하트"
    assert owner.get(f"/api/v1/routes/{route.pk}", **EN).json()["data"]["shape_name"] == "Heart"


def test_a_shape_without_a_korean_name_is_named_in_english():
    from routes.models import RouteShape

    call_command("seed_shapes")
    RouteShape.objects.filter(shape_id="heart").update(name_ko="")
    from django.core.cache import cache

    cache.clear()  # the catalog is cached
    heart = next(s for s in APIClient().get("/api/v1/shapes", **KO).json()["data"] if s["shape_id"] == "heart")
    assert heart["name"] == "Heart" and heart["name_ko"] == ""


# --- the admin -----------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_login_page_is_korean_for_a_korean_browser(client):
    korean = client.get(reverse("admin:login"), **KO).content.decode()
    english = client.get(reverse("admin:login"), **EN).content.decode()
    assert 'lang="ko"' in korean and "로그인" in korean and "비밀번호" in korean
    assert 'lang="en"' in english and "Password" in english and not HANGUL.search(english)


def test_the_route_changelist_is_korean_and_shows_seoul_time(staff_client, user):
    RouteFactory(user=user, name="한강 하트", created_at=datetime(2026, 5, 1, 15, 30, tzinfo=UTC))
    page = staff_client.get(reverse("admin:routes_route_changelist"), **KO).content.decode()
    assert "변경할 경로 선택" in page  # Django's "Select route to change" around our model's Korean name
    assert "러너웨이 관리" in page  # the site's title
    headers = dict(re.findall(r'class="sortable column-(\w+)[^"]*">.*?<a href="\?o=[^"]*">([^<]+)</a>', page, re.S))
    assert headers == {"name": "이름", "runner": "러너", "shape": "도형", "target_km": "목표 km", "status": "상태",
                       "location_district": "지역", "planning_ms": "계획 시간(ms)", "created": headers["created"],
                       "deleted": "삭제됨"}
    assert HANGUL.search(headers["created"])  # allauth's Korean "created" (생성됨) comes first among the catalogues
    for list_filter in ("방식", "안전 모드", "도형 템플릿", "직접 그린 그림"):
        assert list_filter in page, list_filter
    assert "경로와 도로망" in page  # the app's section
    english = staff_client.get(reverse("admin:routes_route_changelist"), **EN).content.decode()
    assert "Select route to change" in english and ">Target km</a>" in english and ">Runner</a>" in english
    assert "러너" not in english
    # Stored at 15:30 UTC, shown in Seoul: 00:30 on the next day, in the list's short form.
    assert "2026-05-02 00:30" in page and "2026-05-02 00:30" in english
    assert "2026-05-01 15:30" not in page


def test_the_api_answers_in_utc_while_the_admin_shows_seoul(user):
    assert settings.TIME_ZONE == "Asia/Seoul" and settings.USE_TZ
    route = RouteFactory(user=user, created_at=datetime(2026, 5, 1, 15, 30, tzinfo=UTC))
    body = client_for(user).get(f"/api/v1/routes/{route.pk}", **KO).json()["data"]
    assert body["created_at"] == "2026-05-01T15:30:00Z"  # API.md: ISO 8601, UTC


def test_analytics_days_are_the_days_the_admin_shows(user):
    from operations.analytics import compute_daily_analytics
    from workouts.tests.factories import WorkoutFactory

    assert settings.ANALYTICS_TIME_ZONE == settings.TIME_ZONE
    started = datetime(2026, 5, 1, 15, 30, tzinfo=UTC)  # 00:30 on 2 May in Seoul
    WorkoutFactory(user=user, status="completed", started_at=started, completed_at=started, distance_m=5000)
    assert timezone.localtime(started).date() == date(2026, 5, 2)
    assert compute_daily_analytics(day=date(2026, 5, 2)).global_stats.workouts == 1
    assert compute_daily_analytics(day=date(2026, 5, 1)).global_stats.workouts == 0


def test_a_mariadb_without_the_zone_tables_is_reported(settings):
    """runnerway.W002: on MariaDB a zone it cannot convert to (here one that exists nowhere) is reported; SQLite
    converts in Python and has nothing to report."""
    from django.db import connection

    from runnerway.checks import mariadb_knows_the_time_zone

    assert mariadb_knows_the_time_zone(None, databases=["default"]) == []  # Asia/Seoul converts (CI loads the tables)
    settings.TIME_ZONE = "Mars/Olympus_Mons"
    warnings = mariadb_knows_the_time_zone(None, databases=["default"])
    assert [warning.id for warning in warnings] == (["runnerway.W002"] if connection.vendor == "mysql" else [])
