"""Routes near me benchmark: GET /api/v1/routes/discover with 1 k and 100 k shared routes.

Bulk-inserts shared routes (a route, its option with a real path, and the public/followers/private post sharing
it, with its stored figure box), first 1 k then up to 100 k, into a database of its own — SQLite (a temporary
file) and, when it answers, MariaDB (`rw_discover_bench`, dropped and re-created) — and at each size times the
endpoint through the full HTTP stack (Django test client, a real JWT, production settings) from Hongdae, Mapo-gu
(37.5563, 126.9236), printing p50/p95 wall and CPU time, the candidates the box held, and the EXPLAIN of the
candidate query. Target (issue 14): p50 <= 50 ms at 100 k.

Where the routes lie: half of them in the Seoul metropolitan area (37.40-37.70 N, 126.80-127.20 E, ~1,200 km²:
~40 shared routes per km² at 100 k, the dense case), the other half over South Korea's mainland box
(34.5-38.0 N, 126.5-129.4 E).

    .venv/bin/python bench/discover_bench.py                      # both backends, 1 k and 100 k
    DISCOVER_BENCH_SIZES=1000 DISCOVER_BENCH_BACKENDS=sqlite .venv/bin/python bench/discover_bench.py

Environment: DISCOVER_BENCH_SIZES (default 1000,100000), DISCOVER_BENCH_BACKENDS (sqlite,mariadb),
DISCOVER_BENCH_DATABASE_URL (MariaDB; default mysql://root@127.0.0.1:3306/rw_discover_bench),
DISCOVER_BENCH_REPEATS (timed runs per read, default 25).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARIADB_URL = os.environ.get("DISCOVER_BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/rw_discover_bench")
SIZES = [int(s) for s in os.environ.get("DISCOVER_BENCH_SIZES", "1000,100000").split(",") if s.strip()]
BACKENDS = [s.strip() for s in os.environ.get("DISCOVER_BENCH_BACKENDS", "sqlite,mariadb").split(",") if s.strip()]
REPEATS = int(os.environ.get("DISCOVER_BENCH_REPEATS", "25"))
MAPO = (37.5563, 126.9236)
DAEJEON = (36.3504, 127.3845)  # outside the dense area: the country-wide half only (~0.5 shared routes per km²)
USERS = 2_000
SEOUL_BOX = (37.40, 126.80, 37.70, 127.20)
KOREA_BOX = (34.5, 126.5, 38.0, 129.4)
TARGET_P50_MS = 50.0


def mariadb_reachable() -> str | None:
    try:
        import MySQLdb
    except ImportError:
        return "mysqlclient is not installed"
    url = urlparse(MARIADB_URL)
    try:
        MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                        password=url.password or "", connect_timeout=2).close()
    except MySQLdb.Error as error:
        return f"MariaDB at {url.hostname}:{url.port or 3306} is not reachable ({error})"
    return None


def recreate_mariadb() -> None:
    import MySQLdb

    url = urlparse(MARIADB_URL)
    server = MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                             password=url.password or "")
    with server.cursor() as cursor:
        name = url.path.lstrip("/")
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()


def configure_django(database_url: str) -> None:
    os.environ.update({"DATABASE_URL": database_url, "REDIS_URL": "", "DEBUG": "false",
                       "SECRET_KEY": os.environ.get("SECRET_KEY", "discover-bench-only-" + "x" * 40),
                       "ALLOWED_HOSTS": "testserver,localhost", "THROTTLE_USER": "1000000/min",
                       "DJANGO_SETTINGS_MODULE": "runnerway.settings"})
    import django

    django.setup()


# --- data ---------------------------------------------------------------------------------------------------


class Loader:
    """Shared routes added in bulk (bulk_create in batches: portable, ~10 µs a row), grown size by size."""

    BATCH = 2_000

    def __init__(self, seed: int = 14):
        import numpy as np

        self.np, self.rng = np, np.random.default_rng(seed)
        self.count = 0
        self.users: list = []
        self.shapes: list = []

    def setup(self) -> None:
        from django.contrib.auth.hashers import make_password
        from django.core.management import call_command

        from accounts.models import User
        from community.models import Follow
        from routes.models import RouteShape

        call_command("seed_shapes", verbosity=0)
        self.shapes = list(RouteShape.objects.filter(is_active=True))
        draws = self.rng.random(USERS)
        unusable = make_password(None)
        users = [User(email=f"discover-{i}@example.com", name=f"Runner {i}", password=unusable,
                      is_active=not (0.01 <= draws[i] < 0.02), deleted_at=None)
                 for i in range(USERS)]
        User.objects.bulk_create(users, batch_size=self.BATCH)
        self.users = list(User.objects.order_by("email"))
        self.viewer = self.users[0]
        Follow.objects.bulk_create([Follow(follower=self.viewer, followee=followee) for followee in self.users[1:51]])

    def grow_to(self, size: int) -> float:
        import polyline as polyline_codec

        from community.models import Post, figure_cell_of
        from community.services import post_discover_flags_refresh
        from routes.models import Route, RouteOption

        np, rng = self.np, self.rng
        add = size - self.count
        if add <= 0:
            return 0.0
        started = time.perf_counter()
        in_seoul = rng.random(add) < 0.5
        lat = np.where(in_seoul, rng.uniform(SEOUL_BOX[0], SEOUL_BOX[2], add),
                       rng.uniform(KOREA_BOX[0], KOREA_BOX[2], add))
        lon = np.where(in_seoul, rng.uniform(SEOUL_BOX[1], SEOUL_BOX[3], add),
                       rng.uniform(KOREA_BOX[1], KOREA_BOX[3], add))
        half_lat = 0.0036  # an 800 m square figure
        half_lon = half_lat / np.cos(np.radians(lat))
        authors = rng.integers(1, len(self.users), add)
        shapes = rng.integers(0, len(self.shapes), add)
        visibility = rng.random(add)
        hidden = rng.random(add) < 0.01
        saved = rng.poisson(2.0, add)
        ran = rng.poisson(1.0, add)
        for start in range(0, add, self.BATCH):
            stop = min(start + self.BATCH, add)
            routes, options, posts = [], [], []
            for i in range(start, stop):
                la, lo, hl, ho = float(lat[i]), float(lon[i]), float(half_lat), float(half_lon[i])
                square = [(la - hl, lo - ho), (la - hl, lo), (la - hl, lo + ho), (la, lo + ho), (la + hl, lo + ho),
                          (la + hl, lo), (la + hl, lo - ho), (la, lo - ho), (la - hl, lo - ho)]
                route = Route(user=self.users[authors[i]], name=f"Near {self.count + i}",
                              shape=self.shapes[shapes[i]], start_latitude=f"{la - hl:.7f}",
                              start_longitude=f"{lo - ho:.7f}", target_distance_km="3.200",
                              saved_count=int(saved[i]), run_count=int(ran[i]))
                option = RouteOption(route=route, rank=1, polyline=polyline_codec.encode(square, 5),
                                     point_count=len(square), distance_km=3.2, estimated_duration_s=1150,
                                     shape_fidelity=80.0, recognisability=70.0, start_latitude=route.start_latitude,
                                     start_longitude=route.start_longitude, min_lat=la - hl, min_lon=lo - ho,
                                     max_lat=la + hl, max_lon=lo + ho)
                draw = visibility[i]
                posts.append(Post(author=route.user, content="a figure", route=route, route_option=option,
                                  visibility="public" if draw < 0.8 else "followers" if draw < 0.95 else "private",
                                  is_hidden=bool(hidden[i]), shape_slug=self.shapes[shapes[i]].shape_id,
                                  figure_min_lat=la - hl, figure_min_lon=lo - ho, figure_max_lat=la + hl,
                                  figure_max_lon=lo + ho, figure_center_lat=la, figure_center_lon=lo,
                                  figure_cell=figure_cell_of(la, lo)))
                routes.append(route)
                options.append(option)
            Route.objects.bulk_create(routes)
            RouteOption.objects.bulk_create(options)
            Post.objects.bulk_create(posts)
            # What the services keep on every post for the candidate scan (route and author state, counters).
            post_discover_flags_refresh(post_ids=[post.pk for post in posts])
        self.count = size
        return time.perf_counter() - started


# --- reads --------------------------------------------------------------------------------------------------


def timed(client, url: str) -> tuple[list[float], list[float], dict]:
    client.get(url, secure=True)  # warm: the first request of a path imports and compiles what it needs
    walls, cpus = [], []
    body = {}
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, secure=True)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body = response.json()["data"]
    return walls, cpus, body


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def candidate_sql(viewer, radius_km: float):
    from community import discover

    return discover.discover_candidate_rows(viewer=viewer, latitude=MAPO[0], longitude=MAPO[1],
                                             radius_km=radius_km).query.sql_with_params()


def explain(viewer, radius_km: float) -> list[str]:
    from django.db import connection

    sql, params = candidate_sql(viewer, radius_km)
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        names = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [f"  {row[-1]}" for row in rows]
    wanted = ["table", "type", "key", "rows", "Extra"]
    return ["  " + "  ".join(f"{name}={dict(zip(names, row, strict=True)).get(name)}" for name in wanted)
            for row in rows]


def box_scan_sql(viewer, radius_km: float):
    """The candidate query without its per-row lookups (the route's live flag and counts, the author's state):
    the box read from `post_figure_cell_idx` alone, what a post carrying those flags and counts itself would
    cost. Not a result (it lists deleted routes and hidden authors): the lower bound of that lever."""
    from django.db.models import Q, Subquery

    from community import discover
    from community.models import Follow, Post

    box, _ = discover._bounding_box(MAPO[0], MAPO[1], radius_km)
    followed = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    posts = Post.objects.filter(box, is_hidden=False, route_option__isnull=False, figure_center_lat__isnull=False)
    posts = posts.filter(Q(visibility=Post.Visibility.PUBLIC) | Q(author_id=viewer.pk)
                         | Q(visibility=Post.Visibility.FOLLOWERS, author_id__in=Subquery(followed)))
    return posts.order_by().values_list("pk", "route_id", "figure_center_lat", "figure_center_lon",
                                        "created_at").query.sql_with_params()


def timed_sql(sql: str, params) -> tuple[float, int]:
    """Median wall time of running `sql` and fetching its rows through the cursor, and how many rows."""
    from django.db import connection

    walls, count = [], 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
        for _ in range(REPEATS):
            started = time.perf_counter()
            cursor.execute(sql, params)
            count = len(cursor.fetchall())
            walls.append(time.perf_counter() - started)
    return statistics.median(walls) * 1000, count


def run_backend(backend: str) -> int:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"[{backend}] migrated in {time.perf_counter() - started:.1f} s", flush=True)
    from conftest import client_for

    loader = Loader()
    loader.setup()
    client = client_for(loader.viewer)
    base = f"/api/v1/routes/discover?latitude={MAPO[0]}&longitude={MAPO[1]}"
    elsewhere = f"/api/v1/routes/discover?latitude={DAEJEON[0]}&longitude={DAEJEON[1]}"
    reads = {"5 km nearest": base, "5 km popular": base + "&ordering=popular",
             "20 km nearest": base + "&radius_km=20", "20 km popular": base + "&radius_km=20&ordering=popular",
             "5 km page 2": "NEXT:" + base, "Daejeon 5 km": elsewhere, "Daejeon 20 km": elsewhere + "&radius_km=20"}
    worst_p50 = 0.0
    for size in SIZES:
        seconds = loader.grow_to(size)
        print(f"\n[{backend}] {size:,} shared routes (inserted in {seconds:.1f} s; load average "
              f"{os.getloadavg()[0]:.2f})", flush=True)
        print(f"  {'read':<16} {'in circle':>9} {'listed':>7} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50 ms':>11}")
        for name, url in reads.items():
            if url.startswith("NEXT:"):
                first = client.get(url[5:], secure=True).json()["data"]
                url = first["next"]
            walls, cpus, body = timed(client, url)
            from community import discover

            radius = 20 if "20 km" in name else 5
            point = DAEJEON if name.startswith("Daejeon") else MAPO
            in_box = len(discover.discover_candidates(viewer=loader.viewer, latitude=point[0], longitude=point[1],
                                                       radius_km=radius))
            p50 = statistics.median(walls) * 1000
            worst_p50 = max(worst_p50, p50) if name.startswith("5 km") else worst_p50
            print(f"  {name:<16} {in_box:>9} {len(body['results']):>7} {p50:>8.1f} "
                  f"{percentile(walls, 0.95) * 1000:>8.1f} {statistics.median(cpus) * 1000:>11.1f}", flush=True)
        print("  candidate query alone (Mapo), p50 ms: full | box scan without the route/author lookups")
        for radius in (5, 20):
            full_ms, full_rows = timed_sql(*candidate_sql(loader.viewer, radius))
            scan_ms, scan_rows = timed_sql(*box_scan_sql(loader.viewer, radius))
            print(f"  {radius:>2} km  {full_ms:>7.1f} ({full_rows} rows) | {scan_ms:>7.1f} ({scan_rows} rows)",
                  flush=True)
        print("  EXPLAIN of the candidate query (5 km):")
        for line in explain(loader.viewer, 5):
            print(line)
    verdict = "within" if worst_p50 <= TARGET_P50_MS else "OVER"
    print(f"\n[{backend}] worst Mapo 5 km p50 at {SIZES[-1]:,}: {worst_p50:.1f} ms wall ({verdict} the "
          f"{TARGET_P50_MS:.0f} ms target; load average {os.getloadavg()[0]:.2f})")
    return 0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--backend":
        backend = sys.argv[2]
        if backend == "sqlite":
            configure_django(f"sqlite:///{sys.argv[3]}")
        else:
            configure_django(MARIADB_URL)
        return run_backend(backend)
    failures = 0
    for backend in BACKENDS:
        if backend == "mariadb":
            why = mariadb_reachable()
            if why:
                print(f"[mariadb] skipped: {why}")
                continue
            recreate_mariadb()
            args = []
        else:
            folder = tempfile.mkdtemp(prefix="discover-bench-")
            args = [str(Path(folder) / "bench.sqlite3")]
        result = subprocess.run([sys.executable, __file__, "--backend", backend, *args], cwd=ROOT, check=False)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
