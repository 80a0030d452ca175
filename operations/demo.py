"""`manage.py seed_demo`: a living app for a new user — demo runners with routes planned on the installed
road network, completed workouts with realistic GPS tracks along those routes, posts, likes, comments,
follows and goals. Everything goes through the same services the API uses, so the demo data obeys the
same rules (and exercises them).

Idempotent: demo users are found by their email; a user who already has demo content is left as is, so
running it twice adds nothing, and `--users N` with a larger N only adds the missing users.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import polyline as polyline_codec
from django.utils import timezone

from accounts.models import User
from community import services as community
from community.models import Comment, Post
from goals import services as goals
from routes.models import RoadNetwork, RouteShape
from routes.services import route_create
from runnerway.api.exceptions import Unprocessable
from workouts import services as workouts

DEMO_EMAIL_DOMAIN = "demo.runnerway.app"
DEMO_SHAPES = ["heart", "circle", "star", "square", "triangle", "diamond"]
DEMO_NAMES = ["Minji Kim", "Jisoo Park", "Aino Virtanen", "Seojun Lee", "Mikko Laine", "Hana Choi",
              "Eero Nieminen", "Yuna Jung", "Doyun Kang", "Sofia Korhonen"]
DEMO_DISTANCES_KM = [2.0, 2.5, 3.0, 1.5]
DEMO_PACES_S_PER_KM = [300, 330, 360, 390, 420]  # 5:00-7:00 /km: recreational runners
DEMO_POINT_INTERVAL_S = 2  # one fix every 2 s, as a phone on battery saving records
GPS_NOISE_M = 2.5
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class DemoReport:
    users_created: int
    routes: int
    workouts: int
    posts: int

    def line(self) -> str:
        return (f"demo users created: {self.users_created}, routes: {self.routes}, workouts: {self.workouts}, "
                f"posts: {self.posts}")


class DemoSetupError(Exception):
    """The demo cannot be seeded (no road network to plan routes on)."""


def synthetic_track(path_latlng: np.ndarray, *, pace_s_per_km: float, started_at: datetime,
                    rng: random.Random) -> list[dict]:
    """GPS fixes every DEMO_POINT_INTERVAL_S along `path_latlng` at a steady pace with a few metres of noise."""
    lat0 = float(np.mean(path_latlng[:, 0]))
    xy = np.column_stack([np.radians(path_latlng[:, 1]) * EARTH_RADIUS_M * np.cos(np.radians(lat0)),
                          np.radians(path_latlng[:, 0]) * EARTH_RADIUS_M])
    along_m = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    speed_m_s = 1000.0 / pace_s_per_km
    samples_m = np.arange(0.0, along_m[-1], speed_m_s * DEMO_POINT_INTERVAL_S)
    x = np.interp(samples_m, along_m, xy[:, 0]) + [rng.gauss(0, GPS_NOISE_M) for _ in samples_m]
    y = np.interp(samples_m, along_m, xy[:, 1]) + [rng.gauss(0, GPS_NOISE_M) for _ in samples_m]
    lats = np.degrees(y / EARTH_RADIUS_M)
    lons = np.degrees(x / (EARTH_RADIUS_M * np.cos(np.radians(lat0))))
    return [{"seq": i, "recorded_at": started_at + timedelta(seconds=i * DEMO_POINT_INTERVAL_S),
             "latitude": round(float(lat), 7), "longitude": round(float(lon), 7), "accuracy": 5.0,
             "altitude": 20.0 + 3 * np.sin(i / 60), "heart_rate": 140 + rng.randint(0, 25)}
            for i, (lat, lon) in enumerate(zip(lats, lons, strict=True))]


def seed_demo(*, users: int = 5, seed: int = 7, now: datetime | None = None) -> DemoReport:
    now = now or timezone.now()
    rng = random.Random(seed)
    network = RoadNetwork.objects.filter(is_active=True).order_by("id").first()
    if network is None:
        raise DemoSetupError("No road network installed: run `manage.py import_osm <extract>` (or `make run`) first.")
    shapes = [s for s in DEMO_SHAPES if RouteShape.objects.filter(shape_id=s, is_active=True).exists()]
    if not shapes:
        raise DemoSetupError("No shape templates: run `manage.py seed_shapes` first.")
    centre_lat = (network.min_lat + network.max_lat) / 2
    centre_lon = (network.min_lon + network.max_lon) / 2

    demo_users, created = [], 0
    for index in range(users):
        email = f"runner{index + 1}@{DEMO_EMAIL_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, name=DEMO_NAMES[index % len(DEMO_NAMES)],
                                            email_verified=True, weight_kg=Decimal(rng.randint(50, 85)))
            created += 1
        demo_users.append(user)

    routes = workouts_made = posts = 0
    for index, user in enumerate(demo_users):
        if user.routes.exists():
            continue  # already seeded: idempotent
        route = _plan_demo_route(user, shapes=shapes, first_shape=index, centre=(centre_lat, centre_lon), rng=rng,
                                 route_create=route_create)
        if route is None:
            continue  # nothing drawable near the centre of this (small) network: leave this runner routeless
        routes += 1
        option = route.options.order_by("rank").first()
        path = np.array(polyline_codec.decode(option.polyline))
        started_at = now - timedelta(days=1 + index % 10, hours=rng.randint(0, 10))
        workout = workouts.workout_start(user=user, route_id=route.pk, route_option_id=option.pk,
                                         start_latitude=float(path[0, 0]), start_longitude=float(path[0, 1]),
                                         started_at=started_at, now=started_at)
        track = synthetic_track(path, pace_s_per_km=rng.choice(DEMO_PACES_S_PER_KM), started_at=started_at, rng=rng)
        for batch_start in range(0, len(track), 500):
            workouts.workout_add_points(workout=workout, points=track[batch_start:batch_start + 500], now=now)
        workout = workouts.workout_complete(workout=workout, completed_at=track[-1]["recorded_at"], now=now)
        workouts_made += 1
        community.post_create(author=user, content=f"{route.name} — drawn on the streets!", workout_id=workout.pk,
                              route_id=route.pk)
        posts += 1
        today = timezone.localdate()
        goals.goal_create(user=user, goal_type="weekly", target_type="distance", target_value=Decimal("15"),
                          start_date=today - timedelta(days=today.weekday()),
                          end_date=today - timedelta(days=today.weekday()) + timedelta(days=6))

    _seed_social(demo_users, rng)
    return DemoReport(users_created=created, routes=routes, workouts=workouts_made, posts=posts)


def _plan_demo_route(user, *, shapes, first_shape: int, centre, rng: random.Random, route_create):
    """The first (shape, distance) that plans near the network's centre; None when none does."""
    for attempt in range(len(shapes) * len(DEMO_DISTANCES_KM)):
        shape_id = shapes[(first_shape + attempt) % len(shapes)]
        distance_km = DEMO_DISTANCES_KM[(first_shape + attempt // len(shapes)) % len(DEMO_DISTANCES_KM)]
        try:
            return route_create(user=user, shape_id=shape_id, target_distance=distance_km,
                                start_latitude=centre[0] + rng.uniform(-0.002, 0.002),
                                start_longitude=centre[1] + rng.uniform(-0.003, 0.003), options_count=1)
        except Unprocessable:
            continue
    return None


def _seed_social(demo_users, rng: random.Random) -> None:
    """Each runner follows the next two and likes their posts; one comment per post (a fixed pattern, so a
    second run finds everything already there: likes and follows are idempotent, comments are checked)."""
    comments = ["멋진 하트네요!", "Nice shape!", "같이 달려요 🏃", "Great pace!"]
    count = len(demo_users)
    for index, user in enumerate(demo_users):
        for step in (1, 2):
            other = demo_users[(index + step) % count]
            if other.pk == user.pk:
                continue
            community.follow_create(follower=user, followee=other)
            for post in Post.objects.filter(author=other):
                community.post_like(post=post, user=user)
                if step == 1 and not Comment.objects.filter(post=post, author=user).exists():
                    community.comment_create(post=post, author=user, content=comments[index % len(comments)])
