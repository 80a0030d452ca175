"""Locust scenario of `make loadtest` (started by bench/load/run.py, which provides the users and the server).

`Runner` is the mixed load: runners recording workouts (start, batches of GPS points, complete), browsing
the feed, their routes and workouts, and planning heart/circle routes of 2-3 km in central Helsinki.
`Saturate` (tags `bare` / `detail`) hits one endpoint with no think time, to compare the throughput of an
authenticated detail GET with the bare JsonResponse baseline on the same server.
"""

import itertools
import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from locust import FastHttpUser, between, constant, tag, task

USERS = json.loads(Path(os.environ["LOADTEST_USERS_FILE"]).read_text())  # [{id, access}], minted by run.py
_next_user = itertools.count()
HELSINKI_START = (60.1716, 24.9443)  # Esplanadi, central Helsinki
POINTS_PER_BATCH = 30
BATCHES_PER_WORKOUT = 3


class _ApiUser(FastHttpUser):
    abstract = True

    def on_start(self):
        account = USERS[next(_next_user) % len(USERS)]
        self.auth = {"Authorization": f"Bearer {account['access']}"}
        self.workout_id = self.record_workout()  # one of their own for the detail GETs

    def record_workout(self) -> str | None:
        started = datetime.now(UTC) - timedelta(minutes=30)
        lat0, lng0 = HELSINKI_START[0] + random.uniform(-0.005, 0.005), HELSINKI_START[1] + random.uniform(-0.01, 0.01)
        with self.client.post("/api/v1/workouts", json={"type": "running", "start_latitude": lat0,
                                                         "start_longitude": lng0, "started_at": started.isoformat()},
                              headers=self.auth, name="POST /workouts", catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}")
                return None
            workout_id = response.json()["data"]["id"]
        seq = 0
        for _ in range(BATCHES_PER_WORKOUT):
            points = []
            for _ in range(POINTS_PER_BATCH):
                seq += 1  # ~2.8 m/s (6:00 /km) to the north-east, one fix a second
                points.append({"seq": seq, "recorded_at": (started + timedelta(seconds=seq)).isoformat(),
                               "latitude": lat0 + seq * 0.000018, "longitude": lng0 + seq * 0.000025,
                               "accuracy": 5.0})
            self.client.post(f"/api/v1/workouts/{workout_id}/points", json={"points": points}, headers=self.auth,
                             name="POST /workouts/{id}/points")
        self.client.post(f"/api/v1/workouts/{workout_id}/complete", json={}, headers=self.auth,
                         name="POST /workouts/{id}/complete")
        return workout_id


class Runner(_ApiUser):
    wait_time = between(0.5, 1.5)

    @task(2)
    def record(self):
        self.record_workout()

    @task(4)
    def feed(self):
        self.client.get("/api/v1/community/posts", headers=self.auth, name="GET /community/posts")

    @task(3)
    def my_workouts(self):
        self.client.get("/api/v1/workouts", headers=self.auth, name="GET /workouts")

    @task(4)
    def workout_detail(self):
        if self.workout_id:
            self.client.get(f"/api/v1/workouts/{self.workout_id}", headers=self.auth, name="GET /workouts/{id}")

    @task(2)
    def my_routes(self):
        self.client.get("/api/v1/routes", headers=self.auth, name="GET /routes")

    @task(1)
    def plan_route(self):
        body = {"name": "load test", "type": "running", "mode": "shape", "shape_id": random.choice(["heart", "circle"]),
                "start_latitude": HELSINKI_START[0] + random.uniform(-0.002, 0.002),
                "start_longitude": HELSINKI_START[1] + random.uniform(-0.004, 0.004),
                "condition": "distance", "target_distance": random.choice([2, 2.5, 3]), "intensity": "normal",
                "safety_mode": False}
        with self.client.post("/api/v1/routes", json=body, headers=self.auth, name="POST /routes (plan)",
                              catch_response=True) as response:
            if response.status_code == 422:  # no route within the tolerances: a valid answer, not an error
                response.success()


class Saturate(_ApiUser):
    wait_time = constant(0)

    def on_start(self):
        account = USERS[next(_next_user) % len(USERS)]
        self.auth = {"Authorization": f"Bearer {account['access']}"}
        self.workout_id = account["workout_id"]

    @tag("bare")
    @task
    def bare(self):
        self.client.get("/api/v1/_loadtest/bare", name="GET /_loadtest/bare (JsonResponse)")

    @tag("detail")
    @task
    def detail(self):
        self.client.get(f"/api/v1/workouts/{self.workout_id}", headers=self.auth, name="GET /workouts/{id} (saturate)")
