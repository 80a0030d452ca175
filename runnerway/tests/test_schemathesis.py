"""Schemathesis over the whole OpenAPI document, against the WSGI app, as a real user with data of their own.

Every operation gets a few generated requests (valid ones, then invalid ones) with path ids pointing at the
user's real objects; each response must not be a server error and must match the schema: a documented status
code, the documented content type, a body that validates against the documented schema. The operations random
data cannot succeed on (login, token refresh/logout, OTP verify, Kakao, sharing a post, planning a route) are
also sent once with a known-good body, so their success responses are checked too.

Bounded for CI: a handful of examples per operation, derandomized (the same requests every run), no shrinking.
"""

import time

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.conftest import KAKAO_APP_ID
from runnerway.tests.api_data import account_with_data
from runnerway.wsgi import application

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_MODE = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}

# Operations not fuzzed, each with the reason. Everything else in the schema is.
EXCLUDED = {
    # Deleting the account revokes the token every later request uses; its own tests cover it
    # (accounts/tests). It runs once, at the very end, below.
    ("DELETE", "/api/v1/users/me"): "ends the session; called once after fuzzing",
}

# The recording workout goes through its life in order; deletions come last, deepest paths first (a like
# or comment before its post), so every operation meets the objects it acts on.
WORKOUT_LIFE = ["points", "pause", "resume", "complete"]


def _run_order(operation) -> tuple:
    last_segment = operation.path.rsplit("/", 1)[-1]
    if operation.method.upper() == "DELETE":
        return (2, -operation.path.count("/"), operation.path)
    if operation.path.startswith("/api/v1/workouts/{workout_id}/") and last_segment in WORKOUT_LIFE:
        return (1, WORKOUT_LIFE.index(last_segment), operation.path)
    return (0, 0, operation.path, operation.method)


def _known_good_bodies(user, data, fake_kakao) -> dict[tuple[str, str], dict]:
    """Valid bodies for the operations random data cannot succeed on (credentials, codes, ids of one's own,
    plannable requests): each is sent once more with this body, so their success responses are checked too."""
    from django.core import mail
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.tests.conftest import KakaoAccount, code_from_mail_text
    from accounts.tests.factories import DEFAULT_PASSWORD
    from conftest import client_for
    from routes.tests.conftest import grid_centre

    assert client_for(user).post("/api/v1/auth/otp/request", {"email": "fuzz-otp@example.com"}).status_code == 202
    fake_kakao.tokens["fuzz-kakao-token"] = KakaoAccount(user_id=4242, email="fuzz-kakao@example.com")
    lat, lon = grid_centre()
    return {
        ("POST", "/api/v1/auth/login"): {"email": user.email, "password": DEFAULT_PASSWORD},
        ("POST", "/api/v1/auth/refresh"): {"refresh": str(RefreshToken.for_user(user))},
        ("POST", "/api/v1/auth/logout"): {"refresh": str(RefreshToken.for_user(user))},
        ("POST", "/api/v1/auth/otp/verify"): {"email": "fuzz-otp@example.com",
                                              "code": code_from_mail_text(mail.outbox[-1].body)},
        ("POST", "/api/v1/auth/kakao"): {"access_token": "fuzz-kakao-token"},
        ("POST", "/api/v1/community/posts"): {"content": "shared", "visibility": "public",
                                              "workout_id": data.workout_id, "route_id": data.route_id},
        ("POST", "/api/v1/routes"): {"name": "Fuzz heart", "type": "running", "mode": "shape", "shape_id": "heart",
                                     "start_latitude": lat, "start_longitude": lon, "condition": "distance",
                                     "target_distance": 2.0, "intensity": "normal", "safety_mode": False,
                                     "options_count": 2},
    }


def _path_ids(data, other_user_id: str) -> dict[str, str]:
    """Path parameter values by name: the fuzzed user's real objects (a random UUID would only ever meet 404;
    the authorization matrix covers other users' ids)."""
    return {
        "route_id": data.route_id, "option_id": data.option_id, "goal_id": data.goal_id,
        "post_id": data.post_id, "comment_id": data.comment_id, "notification_id": data.notification_id,
        "user_id": other_user_id, "shape_id": "heart",
        "workout_id": data.workout_id, "_active_workout_id": data.active_workout_id,
    }


def _parameters_for(operation, ids: dict[str, str]) -> dict[str, str]:
    names = [parameter.name for parameter in operation.path_parameters]
    values = {name: ids[name] for name in names if name in ids}
    # Points, pause, resume and complete act on the workout still recording; the rest on the completed one.
    if "workout_id" in values and operation.path.rsplit("/", 1)[-1] in WORKOUT_LIFE:
        values["workout_id"] = ids["_active_workout_id"]
    return values


def _app_in_test_transaction(environ, start_response):
    """The real WSGI app, served inside the test's transaction: like Django's test client, keep the request
    signals from closing the connection (that would roll the test data back mid-run). The body is read and
    the response closed here, while the signal is still disconnected."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _has_free_inputs(operation) -> bool:
    # (the only header, Authorization, is fixed: the real token)
    return len(operation.query) > 0 or len(operation.body) > 0


def _fuzz(strategy, *, examples: int, statuses: set[int]):
    """A Hypothesis test sending `examples` cases of `strategy` and checking each response; `statuses` collects
    the status codes seen."""

    @hypothesis.given(case=strategy)
    @hypothesis.settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call()
        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    return run


@pytest.fixture
def generous_throttles(monkeypatch):
    """Throttles would turn most of the fuzzing into 429s (documented, but nothing else gets exercised)."""
    rates = {scope: "100000/min" for scope in SimpleRateThrottle.THROTTLE_RATES}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_every_operation_conforms_to_the_schema(user, other_user, grid_network, shapes, generous_throttles,
                                                fake_kakao, settings, capsys):
    from rest_framework_simplejwt.tokens import RefreshToken

    settings.KAKAO_APP_ID = KAKAO_APP_ID
    data = account_with_data(user, actor=other_user)
    auth = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}  # the token a phone holds
    schema = schemathesis.openapi.from_wsgi("/api/schema", _app_in_test_transaction,
                                            headers={"Accept": "application/vnd.oai.openapi+json"})
    ids = _path_ids(data, str(other_user.pk))
    known_good = _known_good_bodies(user, data, fake_kakao)

    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=_run_order)
    failures: dict[str, str] = {}
    exercised: list[str] = []
    statuses: dict[str, set[int]] = {}
    started = time.perf_counter()
    # First the known-good requests (before the fuzzing can burn the code: Hypothesis also draws string
    # constants from the test's own source, such as that email).
    for (method, path), body in known_good.items():
        operation = schema[path][method]
        case = operation.Case(body=body, headers=auth, media_type="application/json")
        response = case.call()
        statuses.setdefault(f"{method} {path}", set()).add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:
            failures.setdefault(f"{method} {path} [known good]", str(exc)[:3000])
        assert 200 <= response.status_code < 300, (method, path, response.status_code, response.text[:300])

    for operation in operations:
        key = (operation.method.upper(), operation.path)
        if key in EXCLUDED:
            continue
        label = f"{key[0]} {key[1]}"
        exercised.append(label)
        for mode, examples in EXAMPLES_PER_MODE.items():
            strategy = operation.as_strategy(generation_mode=mode, headers=auth,
                                             path_parameters=_parameters_for(operation, ids) or None)

            run = _fuzz(strategy, examples=examples, statuses=statuses.setdefault(label, set()))
            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # Negative mode with every input fixed (an id-only operation): nothing left to make invalid.
                assert mode is GenerationMode.NEGATIVE and not _has_free_inputs(operation), label
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, reported together
                failures.setdefault(f"{label} [{mode.value}]", str(exc)[:3000])

    # The excluded account deletion, once: it must answer as documented too.
    delete_me = schema["/api/v1/users/me"]["DELETE"]
    case = delete_me.Case(headers=auth)
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == 204

    elapsed_s = time.perf_counter() - started
    succeeded = [label for label in exercised if any(200 <= code < 300 for code in statuses.get(label, ()))]
    with capsys.disabled():
        print(f"\nschemathesis: {len(exercised)} operations, {sum(EXAMPLES_PER_MODE.values())} cases each at most, "
              f"in {elapsed_s:.1f} s; never a 2xx: {sorted(set(exercised) - set(succeeded))}")
    assert len(exercised) >= 40, exercised
    # The fuzzing reaches the success paths, not only the validation errors (the rest: random credentials,
    # files and planning requests that cannot succeed).
    assert len(succeeded) >= 0.8 * len(exercised), sorted(set(exercised) - set(succeeded))
    assert not failures, "\n\n".join(f"== {name}\n{message}" for name, message in failures.items())
