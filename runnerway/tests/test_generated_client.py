"""A Python client generated from the live schema imports and runs a runner's journey against a live server.

openapi-python-client (pinned in requirements/clients.txt) generates the package from `/api/schema` as README
"Generate a client" says, with clients/openapi-python-client.yaml; every endpoint module must import, and the
journey — sign up, plan the schema's own example route (heart, 3 km, central Helsinki), download its GPX,
start a workout on it, send a points batch, complete it — goes through the generated functions and models
only. A schema change that breaks generated clients fails here.
"""

import importlib
import os
import pkgutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "clients" / "openapi-python-client.yaml"
PACKAGE = "runnerway_client_under_test"


def _generate(schema_url: str, output: Path) -> float:
    """Generate the client package into `output` (its parent goes on sys.path); returns the wall seconds."""
    bin_dir = Path(sys.executable).parent
    started = time.perf_counter()
    # the generator's post-hooks run ruff, which lives beside this interpreter
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--url", schema_url, "--meta", "none",
         "--output-path", str(output), "--config", str(CONFIG)],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The generator warns about what it could not turn into code (an endpoint or response left out).
    assert "WARNING" not in result.stdout + result.stderr, result.stdout[-3000:]
    return time.perf_counter() - started


@pytest.fixture
def generated_client(live_server, tmp_path):
    seconds = _generate(f"{live_server.url}/api/schema", tmp_path / PACKAGE)
    assert seconds < 60, f"generating the client took {seconds:.1f} s"
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _route_example(live_server) -> dict:
    """POST /routes's request example exactly as the live schema documents it (what Swagger's Try it out sends)."""
    schema = requests.get(f"{live_server.url}/api/schema", headers={"Accept": "application/vnd.oai.openapi+json"},
                          timeout=30).json()
    media = schema["paths"]["/api/v1/routes"]["post"]["requestBody"]["content"]
    assert list(media) == ["application/json"]
    (example,) = media["application/json"]["examples"].values()
    return example["value"]


def test_generated_client_imports_and_runs_the_journey(generated_client, live_server, helsinki_network, shapes,
                                                        settings):
    # A generous planning budget: this checks the client, not the planner's speed. The budget is wall time (on a
    # loaded machine the 3 s default answered route_not_found); the planner stops early when it is done. The
    # live server runs in this process, so it sees the setting.
    settings.ROUTE_PLAN_TIME_BUDGET_S = 20.0
    api = importlib.import_module(f"{generated_client.__name__}.api")
    modules = [info.name for info in pkgutil.walk_packages(api.__path__, f"{PACKAGE}.api.")]
    for name in modules:
        importlib.import_module(name)  # every endpoint module, not only the journey's
    assert len(modules) > 60

    from runnerway_client_under_test import AuthenticatedClient, Client
    from runnerway_client_under_test.api.auth import auth_signup_create
    from runnerway_client_under_test.api.routes import routes_create, routes_options_gpx_retrieve
    from runnerway_client_under_test.api.workouts import (
        workouts_complete_create,
        workouts_create,
        workouts_points_create,
    )
    from runnerway_client_under_test.models import (
        RouteCreateRequest,
        SignupRequest,
        WorkoutCompleteRequest,
        WorkoutPointInputRequest,
        WorkoutPointsBatchRequest,
        WorkoutStartRequest,
    )

    anonymous = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    signup = auth_signup_create.sync_detailed(client=anonymous, body=SignupRequest(
        email="journey@example.com", password="a-Good-pass-123", name="Journey Runner"))
    assert signup.status_code == 201, signup.content
    assert signup.parsed.data.user.email == "journey@example.com"
    runner = AuthenticatedClient(base_url=live_server.url, token=signup.parsed.data.access,
                                 raise_on_unexpected_status=True, timeout=60)

    example = _route_example(live_server)
    assert example["shape_id"] in shapes and example["target_distance"] == 3.0
    planned = routes_create.sync_detailed(client=runner, body=RouteCreateRequest.from_dict(example))
    assert planned.status_code == 201, planned.content
    route = planned.parsed.data
    assert route.shape_id == "heart" and route.options
    option = route.options[0]
    assert 2.7 <= option.distance <= 3.3  # ±10 % of the target
    assert all(len(point) == 2 for point in option.path.coordinates) and len(option.path.bbox) == 4

    gpx = routes_options_gpx_retrieve.sync_detailed(route_id=route.id, option_id=option.id, client=runner)
    assert gpx.status_code == 200
    assert gpx.headers["content-type"].startswith("application/gpx+xml")
    assert gpx.content.startswith(b"<?xml") and b"<trkpt" in gpx.content

    started_at = timezone.now() - timedelta(minutes=20)
    started = workouts_create.sync_detailed(client=runner, body=WorkoutStartRequest(
        route_id=route.id, route_option_id=option.id, start_latitude=option.start[0],
        start_longitude=option.start[1], started_at=started_at))
    assert started.status_code == 201, started.content
    workout = started.parsed.data
    assert workout.status.value == "active"

    # 60 fixes along the option's path, 4 s apart: a jog along its first part
    coordinates = option.path.coordinates[:60]
    batch = WorkoutPointsBatchRequest(points=[
        WorkoutPointInputRequest(seq=index, recorded_at=started_at + timedelta(seconds=4 * index),
                                 latitude=lat, longitude=lng, accuracy=5.0)
        for index, (lat, lng) in enumerate(coordinates)])
    sent = workouts_points_create.sync_detailed(workout_id=workout.id, client=runner, body=batch)
    assert sent.status_code == 200, sent.content
    result = sent.parsed.data
    assert result.accepted + result.duplicates + result.rejected == len(coordinates)
    assert result.accepted > 0 and result.distance > 0

    completed = workouts_complete_create.sync_detailed(workout_id=workout.id, client=runner,
                                                       body=WorkoutCompleteRequest())
    assert completed.status_code == 200, completed.content
    finished = completed.parsed.data
    assert finished.status.value == "completed"
    assert finished.distance == pytest.approx(result.distance, abs=0.05)
    assert finished.route_option_id == option.id
