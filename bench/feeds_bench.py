"""Feeds benchmark: the community feeds and the per-user reads as the tables grow, on MariaDB.

Bulk-inserts 1x, 10x and 100x of one unit (1 k users, 10 k posts, 50 k likes, 20 k comments, 5 k follows,
20 k completed workouts, plus the routes the posts share and 10 k notifications) into a database of its own,
each scale adding to the previous one, and at each scale measures the p50 of every read through the full HTTP
stack (Django test client, a real JWT, production settings, Redis on) and prints the EXPLAIN plan of each
feed's page query. Target (issue 16): each read's p50 at 100x within 2x of its p50 at 1x.

    .venv/bin/python bench/feeds_bench.py                    # 1x, 10x, 100x
    FEEDS_BENCH_SCALES=1,10 .venv/bin/python bench/feeds_bench.py

Without a reachable MariaDB it prints a note and exits 0 (so `make bench` runs everywhere).
Environment: FEEDS_BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306/rw_feeds_bench; the database is
dropped and re-created), FEEDS_BENCH_REDIS_URL (default redis://127.0.0.1:6379/7; flushed), FEEDS_BENCH_SCALES,
FEEDS_BENCH_REPEATS (timed runs per read, default 7), FEEDS_BENCH_TIMEOUT_S (a statement running longer is
stopped by MariaDB and the read reported as "> N s"; default 60).
At 100x the tables hold ~12 M rows: give MariaDB a production-like buffer pool first (it prints its size), e.g.
`SET GLOBAL innodb_buffer_pool_size = 6 * 1024 * 1024 * 1024` (dynamic in MariaDB 10.11); 6 GB loaded 100x
in 6 minutes here.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("FEEDS_BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/rw_feeds_bench")
REDIS_URL = os.environ.get("FEEDS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
SCALES = [int(s) for s in os.environ.get("FEEDS_BENCH_SCALES", "1,10,100").split(",") if s.strip()]
REPEATS = int(os.environ.get("FEEDS_BENCH_REPEATS", "7"))
TIMEOUT_S = float(os.environ.get("FEEDS_BENCH_TIMEOUT_S", "60"))

UNIT = {"users": 1_000, "posts": 10_000, "likes": 50_000, "comments": 20_000, "follows": 5_000,
        "workouts": 20_000, "routes": 5_000, "notifications": 10_000}
SPAN_DAYS = 365  # posts, workouts and routes are spread over the last year
VIEWER_FOLLOWS = 5


def mariadb_reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        import MySQLdb
    except ImportError:
        return "mysqlclient is not installed (pip install -r requirements/production.txt)"
    url = urlparse(DATABASE_URL)
    try:
        MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                        password=url.password or "", connect_timeout=2).close()
    except MySQLdb.Error as error:
        return f"MariaDB at {url.hostname}:{url.port or 3306} is not reachable ({error})"
    return None


def configure_django() -> None:
    # Production settings (DEBUG off, Redis cache and row caches on), pointed at the bench's own database.
    os.environ.update({"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "DEBUG": "false",
                       "SECRET_KEY": os.environ.get("SECRET_KEY", "feeds-bench-only-" + "x" * 40),
                       "ALLOWED_HOSTS": "testserver,localhost", "THROTTLE_USER": "100000/min",
                       "DJANGO_SETTINGS_MODULE": "runnerway.settings"})
    import django

    django.setup()


def recreate_database() -> None:
    import MySQLdb

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    server = MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                             password=url.password or "")
    with server.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()


# --- bulk insertion -----------------------------------------------------------------------------------------


class BulkWriter:
    """LOAD DATA LOCAL INFILE of one model from a tab-separated file: the columns given per row, every other
    concrete column set to its field default by the statement itself (so the file holds only what varies).
    Python-side escaping of multi-row INSERTs costs ~10 us a value; this is ~1 us."""

    CHUNK = 200_000  # rows per LOAD DATA (one transaction each)

    def __init__(self, model, columns: list[str]):
        from django.db import connection
        from django.db.models import AutoField, BigAutoField

        self.model, self.columns = model, columns
        now = datetime.now(UTC)
        assignments = []
        for field in model._meta.concrete_fields:
            if field.column in columns or isinstance(field, AutoField | BigAutoField):
                continue
            value = now if getattr(field, "auto_now", False) else field.get_default()
            prepared = field.get_db_prep_save(value, connection)
            assignments.append(f"`{field.column}` = {_sql_literal(prepared)}")
        names = ", ".join(f"`{c}`" for c in columns)
        self.sql = (f"LOAD DATA LOCAL INFILE %s INTO TABLE `{model._meta.db_table}` CHARACTER SET utf8mb4 "
                    f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({names})"
                    + (" SET " + ", ".join(assignments) if assignments else ""))

    seconds_by_table: dict[str, float] = {}

    def write(self, rows) -> int:
        started = time.perf_counter()
        try:
            return self._write(rows)
        finally:
            table = self.model._meta.db_table
            BulkWriter.seconds_by_table[table] = BulkWriter.seconds_by_table.get(table, 0.0) + (
                time.perf_counter() - started)

    def _write(self, rows) -> int:
        import tempfile

        written, lines = 0, []
        with tempfile.TemporaryDirectory(prefix="feeds-bench-") as folder:
            path = os.path.join(folder, "rows.tsv")
            for row in rows:
                lines.append("\t".join(map(_tsv, row)))
                if len(lines) >= self.CHUNK:
                    written += self._load(path, lines)
                    lines = []
            if lines:
                written += self._load(path, lines)
        return written

    def _load(self, path: str, lines: list[str]) -> int:
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        with loader().cursor() as cursor:
            cursor.execute(self.sql, [path])
        loader().commit()
        return len(lines)


_LOADER = []


def loader():
    """A connection of its own with LOCAL INFILE allowed (Django's connection does not ask for it)."""
    import MySQLdb

    if not _LOADER:
        url = urlparse(DATABASE_URL)
        _LOADER.append(MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306,
                                       user=url.username or "root", password=url.password or "",
                                       database=url.path.lstrip("/"), charset="utf8mb4", local_infile=1))
        with _LOADER[0].cursor() as cursor:
            cursor.execute("SET SESSION unique_checks=0, foreign_key_checks=0")
    return _LOADER[0]


def _sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


def _uuids(rng, count: int) -> list[str]:
    # Sorted: InnoDB appends to the clustered index instead of splitting random pages.
    return sorted(uuid.UUID(bytes=bytes(row), version=4).hex for row in rng.integers(0, 256, (count, 16),
                                                                                       dtype="uint8"))


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class Dataset:
    """What has been inserted so far, grown one scale step at a time (numpy draws, no per-row Python loops
    except the formatting of the rows)."""

    def __init__(self, seed: int = 16):
        import numpy as np

        self.np = np
        self.rng = np.random.default_rng(seed)
        self.now = datetime.now(UTC)
        self.user_ids = np.empty(0, dtype=object)
        self.route_ids = np.empty(0, dtype=object)
        self.route_user = np.empty(0, dtype=np.int64)
        self.route_shape = np.empty(0, dtype=np.int64)
        self.workout_ids = np.empty(0, dtype=object)
        self.follow_keys = np.empty(0, dtype=np.int64)
        self.units = 0
        self.shape_pks: list[str] = []

    def _moments(self, count: int) -> list[datetime]:
        seconds = self.rng.integers(60, SPAN_DAYS * 86_400, count)
        base = _naive(self.now)
        return [base - timedelta(seconds=int(s)) for s in seconds]

    def _pick_own(self, owners_sorted, owner_start, owner_count, who):
        """For each user in `who`, the index of a random row they own (-1 when they own none)."""
        np = self.np
        count = owner_count[who]
        offset = (self.rng.random(len(who)) * np.maximum(count, 1)).astype(np.int64)
        picked = owners_sorted[np.minimum(owner_start[who] + offset, len(owners_sorted) - 1)]
        return np.where(count > 0, picked, -1)

    def grow_to(self, units: int) -> dict[str, int]:
        from accounts.models import User
        from community.models import Comment, Follow, Like, Notification, Post
        from routes.models import Route, RouteShape
        from workouts.models import Workout

        np, rng = self.np, self.rng
        add = units - self.units
        counts: dict[str, int] = {}
        if not self.shape_pks:
            self.shape_pks = [pk.hex for pk in RouteShape.objects.order_by("sort_order").values_list("pk", flat=True)]

        # users: 1 % deleted, 1 % disabled (their posts must vanish from every feed)
        first_user = len(self.user_ids)
        new_users = _uuids(rng, add * UNIT["users"])
        status = rng.random(len(new_users))
        created = self._moments(len(new_users))
        counts["users"] = BulkWriter(User, ["id", "email", "name", "password", "is_active", "deleted_at",
                                            "created_at"]).write(
            (pk, None if status[i] < 0.01 else f"bench-{first_user + i}@example.com", f"Runner {first_user + i}",
             "!", bool(status[i] >= 0.02 or status[i] < 0.01), created[i] if status[i] < 0.01 else None,
             created[i]) for i, pk in enumerate(new_users))
        self.user_ids = np.concatenate([self.user_ids, np.array(new_users, dtype=object)])
        n_users = len(self.user_ids)

        # routes of a shape each, owned by random users
        first_route = len(self.route_ids)
        new_routes = _uuids(rng, add * UNIT["routes"])
        owners = rng.integers(0, n_users, len(new_routes))
        shapes = rng.integers(0, len(self.shape_pks), len(new_routes))
        created = self._moments(len(new_routes))
        user_ids, shape_pks = self.user_ids, self.shape_pks
        counts["routes"] = BulkWriter(Route, ["id", "user_id", "name", "shape_id", "start_latitude",
                                              "start_longitude", "target_distance_km", "created_at"]).write(
            (pk, user_ids[owners[i]], f"Route {first_route + i}", shape_pks[shapes[i]], "37.5665000",
             "126.9780000", "3.000", created[i]) for i, pk in enumerate(new_routes))
        self.route_ids = np.concatenate([self.route_ids, np.array(new_routes, dtype=object)])
        self.route_user = np.concatenate([self.route_user, owners])
        route_order = np.argsort(self.route_user, kind="stable")
        route_owner_count = np.bincount(self.route_user, minlength=n_users)
        route_owner_start = np.concatenate([[0], np.cumsum(route_owner_count)[:-1]])

        # completed workouts (this step's), 60 % on one of the runner's routes
        new_workouts = _uuids(rng, add * UNIT["workouts"])
        runners = rng.integers(0, n_users, len(new_workouts))
        started = self._moments(len(new_workouts))
        distance = rng.uniform(2_000, 15_000, len(new_workouts)).round(1)
        workout_route = self._pick_own(route_order, route_owner_start, route_owner_count, runners)
        workout_route[rng.random(len(new_workouts)) >= 0.6] = -1
        route_ids = self.route_ids
        counts["workouts"] = BulkWriter(Workout, [
            "id", "user_id", "status", "route_id", "started_at", "completed_at", "distance_m", "duration_s",
            "elapsed_duration_s", "avg_pace_s", "calories_kcal", "created_at"]).write(
            (pk, user_ids[runners[i]], "completed", route_ids[workout_route[i]] if workout_route[i] >= 0 else None,
             started[i], started[i] + timedelta(seconds=int(distance[i] * 0.36)), distance[i],
             int(distance[i] * 0.36), int(distance[i] * 0.38), 360.0, round(distance[i] * 0.07, 1), started[i])
            for i, pk in enumerate(new_workouts))
        workout_order = np.argsort(runners, kind="stable")
        workout_owner_count = np.bincount(runners, minlength=n_users)
        workout_owner_start = np.concatenate([[0], np.cumsum(workout_owner_count)[:-1]])

        # follows: the viewer (user 0) follows VIEWER_FOLLOWS runners; the rest at random, no pair twice
        wanted = add * UNIT["follows"]
        pairs = rng.integers(0, n_users, (wanted * 2, 2))
        if self.units == 0:
            pairs[:VIEWER_FOLLOWS] = np.column_stack([np.zeros(VIEWER_FOLLOWS, dtype=np.int64),
                                                      np.arange(1, VIEWER_FOLLOWS + 1)])
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        keys = pairs[:, 0] * 10_000_000 + pairs[:, 1]
        _, first_seen = np.unique(keys, return_index=True)
        first_seen.sort()
        pairs, keys = pairs[first_seen], keys[first_seen]
        fresh = ~np.isin(keys, self.follow_keys)
        pairs, keys = pairs[fresh][:wanted], keys[fresh][:wanted]
        self.follow_keys = np.concatenate([self.follow_keys, keys])
        created = self._moments(len(pairs))
        counts["follows"] = BulkWriter(Follow, ["follower_id", "followee_id", "created_at"]).write(
            (user_ids[a], user_ids[b], created[i]) for i, (a, b) in enumerate(pairs.tolist()))

        # posts: 70 % public, 20 % followers-only, 10 % private, 1 % hidden; 40 % share a workout (half of
        # those also its route), 40 % a route
        n_posts = add * UNIT["posts"]
        new_posts = _uuids(rng, n_posts)
        authors = rng.integers(0, n_users, n_posts)
        circle = min(n_posts, 60)
        authors[:circle] = np.arange(circle) % (VIEWER_FOLLOWS + 1)  # the viewer and the people they follow
        kind, visibility_draw = rng.random(n_posts), rng.random(n_posts)
        hidden = rng.random(n_posts) < 0.01
        created = self._moments(n_posts)
        post_workout = self._pick_own(workout_order, workout_owner_start, workout_owner_count, authors)
        post_workout[kind >= 0.4] = -1
        post_route = np.where(post_workout >= 0, workout_route[np.maximum(post_workout, 0)], -1)
        post_route[(kind >= 0.2) & (kind < 0.4)] = -1
        own_route = self._pick_own(route_order, route_owner_start, route_owner_count, authors)
        sharing_route = (kind >= 0.4) & (kind < 0.8)
        post_route[sharing_route] = own_route[sharing_route]

        # likes and comments of this step's posts, created within 3 days of their post
        likers = rng.integers(0, n_users, add * UNIT["likes"] * 2)
        liked = rng.integers(0, n_posts, len(likers))
        _, first_seen = np.unique(likers * 100_000_000 + liked, return_index=True)
        first_seen = np.sort(first_seen)[: add * UNIT["likes"]]
        likers, liked = likers[first_seen], liked[first_seen]
        comment_posts = rng.integers(0, n_posts, add * UNIT["comments"])
        comment_authors = rng.integers(0, n_users, len(comment_posts))
        like_count = np.bincount(liked, minlength=n_posts)
        comment_count = np.bincount(comment_posts, minlength=n_posts)
        visibility = np.where(visibility_draw < 0.7, "public", np.where(visibility_draw < 0.9, "followers",
                                                                         "private"))
        workout_ids = np.concatenate([self.workout_ids, np.array(new_workouts, dtype=object)])
        first_workout = len(self.workout_ids)
        counts["posts"] = BulkWriter(Post, ["id", "author_id", "content", "visibility", "workout_id", "route_id",
                                            "like_count", "comment_count", "is_hidden", "created_at"]).write(
            (pk, user_ids[authors[i]], f"Run #{i}", visibility[i],
             workout_ids[first_workout + post_workout[i]] if post_workout[i] >= 0 else None,
             route_ids[post_route[i]] if post_route[i] >= 0 else None,
             like_count[i], comment_count[i], bool(hidden[i]), created[i]) for i, pk in enumerate(new_posts))
        self.workout_ids = workout_ids
        now = _naive(self.now)
        after = rng.integers(1, 3 * 86_400, len(liked) + len(comment_posts))

        def soon_after(post_index: int, draw: int) -> datetime:
            return min(created[post_index] + timedelta(seconds=int(after[draw])), now)

        counts["likes"] = BulkWriter(Like, ["user_id", "post_id", "created_at"]).write(
            (user_ids[u], new_posts[p], soon_after(p, i))
            for i, (u, p) in enumerate(zip(likers.tolist(), liked.tolist(), strict=True)))
        comment_ids = _uuids(rng, len(comment_posts))
        offset = len(liked)
        counts["comments"] = BulkWriter(Comment, ["id", "post_id", "author_id", "content", "created_at"]).write(
            (pk, new_posts[comment_posts[i]], user_ids[comment_authors[i]], "Nice shape!",
             soon_after(comment_posts[i], offset + i)) for i, pk in enumerate(comment_ids))
        notification_ids = _uuids(rng, add * UNIT["notifications"])
        recipients = rng.integers(0, n_users, len(notification_ids))
        recipients[:20] = 0
        created_n = self._moments(len(notification_ids))
        counts["notifications"] = BulkWriter(Notification, ["id", "user_id", "type", "target_type", "target_id",
                                                            "created_at"]).write(
            (pk, user_ids[recipients[i]], "like", "post", new_posts[i % n_posts], created_n[i])
            for i, pk in enumerate(notification_ids))
        self.units = units
        return counts


def after_bulk_load() -> str:
    """What the application derives from the rows (stored shapes, popularity), as an operator's backfill."""
    from community import services

    backfill = getattr(services, "posts_backfill_derived", None)
    if backfill is None:
        return "no derived columns to backfill"
    started = time.perf_counter()
    changed = backfill()
    return f"backfill of derived post columns: {changed} rows in {time.perf_counter() - started:.1f} s"


# --- reads --------------------------------------------------------------------------------------------------


def feed_reads(viewer) -> dict[str, str]:
    from goals import services as goals
    from goals.models import Goal

    today = datetime.now(UTC).date()
    goal = Goal.objects.filter(user=viewer).first() or goals.goal_create(
        user=viewer, goal_type="monthly", target_type="distance", target_value=100,
        start_date=today.replace(day=1), end_date=today.replace(day=28))
    return {
        "feed latest": "/api/v1/community/posts",
        "feed latest page 2": "NEXT:/api/v1/community/posts",
        "feed popular": "/api/v1/community/posts?ordering=popular",
        "feed popular page 2": "NEXT:/api/v1/community/posts?ordering=popular",
        "feed shape_id=heart": "/api/v1/community/posts?shape_id=heart",
        "workouts": "/api/v1/workouts",
        "month stats": "/api/v1/users/me/stats?period=month",
        "goal progress": f"/api/v1/goals/{goal.pk}/progress",
        "notifications": "/api/v1/notifications",
    }


REFERENCE_TIMEOUT_S = float(os.environ.get("FEEDS_BENCH_REFERENCE_TIMEOUT_S", "30"))


def measure_reference(viewer, ordering: str, shape_id: str | None) -> tuple[float | None, tuple]:
    """The feed's first page by the straightforward query (community/tests/reference.py: the visibility OR,
    the shape joins, scores counted per request; what the feeds ran before), SQL only, stopped after
    REFERENCE_TIMEOUT_S. (p50 seconds or None, its SQL)."""
    from django.db import OperationalError, connection

    from community.selectors import _with_display_data
    from community.tests.reference import reference_feed

    page = _with_display_data(reference_feed(viewer=viewer, ordering=ordering, shape_id=shape_id),
                              viewer=viewer)[:21]
    sql = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SET SESSION max_statement_time={REFERENCE_TIMEOUT_S}")
    timings = []
    try:
        before_reads = handler_reads()
        for _ in range(3):
            started = time.perf_counter()
            list(page.all())
            timings.append(time.perf_counter() - started)
            if len(timings) == 1:
                measure_reference.rows_read = handler_reads() - before_reads
            if timings[-1] > 2:
                break  # slow enough: one run shows it
    except OperationalError as error:
        if "max_statement_time" not in str(error) and "1969" not in str(error):
            raise
        return None, sql
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION max_statement_time={TIMEOUT_S}")
    return statistics.median(timings), sql


def _page_query(captured) -> str | None:
    """The feed's page query: the longest statement on the posts table."""
    statements = [q["sql"] for q in captured if "community_post" in q["sql"] and q["sql"].lstrip().upper()
                  .startswith("SELECT")]
    return max(statements, key=len) if statements else None


def explain(sql: str | tuple) -> list[str]:
    """EXPLAIN of a captured statement (SQL text) or of a query's (SQL, params)."""
    from django.db import connection

    sql, params = (sql, None) if isinstance(sql, str) else sql
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        names = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    wanted = ["id", "select_type", "table", "type", "key", "rows", "Extra"]
    out = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        out.append("  ".join(f"{name}={record.get(name)}" for name in wanted))
    return out


HANDLER_READS = ("Handler_read_first", "Handler_read_key", "Handler_read_last", "Handler_read_next",
                 "Handler_read_prev", "Handler_read_rnd", "Handler_read_rnd_next")


def handler_reads() -> int:
    """Rows this session's statements have read from the storage engine so far (index and table reads): what a
    read costs the database, whatever else the shared machine is doing."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Handler_read%%'")
        return sum(int(value) for name, value in cursor.fetchall() if name in HANDLER_READS)


ROWS_READ: dict[str, dict[int, int]] = {}


def measure(client, url: str) -> tuple[float | None, str | None, object]:
    """(p50 seconds or None when it timed out, the page query's SQL, the response)."""
    from django.db import OperationalError, connection
    from django.test.utils import CaptureQueriesContext

    def once():
        started = time.perf_counter()
        response = client.get(url, secure=True)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
        return elapsed, response

    try:
        with CaptureQueriesContext(connection) as captured:
            first, response = once()  # warm-up, and the statements for EXPLAIN
        before_reads = handler_reads()
        once()
        measure.rows_read = handler_reads() - before_reads
    except OperationalError as error:  # max_statement_time
        if "max_statement_time" not in str(error) and "1969" not in str(error):
            raise
        return None, None, None
    page_sql = _page_query(captured.captured_queries)
    if first > TIMEOUT_S / 4:
        return first, page_sql, response  # one run is enough to show it does not answer
    timings = [once()[0] for _ in range(REPEATS)]
    return statistics.median(timings), page_sql, response


def main() -> int:
    reason = mariadb_reachable()
    if reason:
        print(f"feeds bench skipped: {reason}. It needs MariaDB (FEEDS_BENCH_DATABASE_URL).")
        return 0
    started_all = time.perf_counter()
    recreate_database()
    configure_django()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from routes.services import shapes_seed

    cache.clear()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    shapes_seed()
    print(f"migrated {connection.settings_dict['NAME']} in {time.perf_counter() - started:.1f} s "
          f"(MariaDB {connection.mysql_version}); cache {REDIS_URL}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@innodb_buffer_pool_size")
        pool_mb = cursor.fetchone()[0] / 2**20
    print(f"InnoDB buffer pool {pool_mb:,.0f} MB", flush=True)
    if max(SCALES) >= 100 and pool_mb < 2048:
        # 100x is ~3 GB of tables and indexes: in 128 MB (MariaDB's default) every index insert of the bulk
        # load reads the disk, and the load takes an hour instead of minutes. Production sizes the pool to RAM.
        print("  note: a 100x run wants a pool of a few GB (SET GLOBAL innodb_buffer_pool_size = 6 * 2^30)",
              flush=True)

    dataset = Dataset()
    results: dict[str, dict[int, float | None]] = {}
    plans: dict[str, dict[int, list[str]]] = {}
    for scale in SCALES:
        started = time.perf_counter()
        counts = dataset.grow_to(scale)
        inserted = time.perf_counter() - started
        note = after_bulk_load()
        with connection.cursor() as cursor:
            for table in ("community_post", "community_like", "community_comment", "community_follow",
                          "accounts_user", "workouts_workout", "routes_route"):
                cursor.execute(f"ANALYZE TABLE `{table}`")
                cursor.fetchall()
        total = sum(counts.values())
        print(f"\n## {scale}x: +{total:,} rows in {inserted:.1f} s ({total / inserted:,.0f} rows/s): "
              + ", ".join(f"{name} +{n:,}" for name, n in counts.items()), flush=True)
        print("   load seconds: " + ", ".join(f"{table.split('_', 1)[1]} {seconds:.1f}" for table, seconds
                                              in BulkWriter.seconds_by_table.items()), flush=True)
        BulkWriter.seconds_by_table.clear()
        print(f"   {note}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine)",
              flush=True)
        viewer = User.objects.get(pk=dataset.user_ids[0])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(viewer).access_token}")
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION max_statement_time={TIMEOUT_S}")
        next_links: dict[str, str] = {}
        for name, url in feed_reads(viewer).items():
            if url.startswith("NEXT:"):
                url = next_links.get(url.removeprefix("NEXT:"))
                if url is None:
                    results.setdefault(name, {})[scale] = None
                    continue
            measure.rows_read = None
            p50, page_sql, response = measure(client, url)
            results.setdefault(name, {})[scale] = p50
            ROWS_READ.setdefault(name, {})[scale] = measure.rows_read
            if response is not None and name.startswith("feed"):
                next_links[url] = response.json()["data"].get("next")
            shown = f"> {TIMEOUT_S:.0f} s (stopped)" if p50 is None else f"{p50 * 1000:,.1f} ms"
            print(f"   {name:<22} p50 {shown}, rows read {measure.rows_read}", flush=True)
            if name.startswith("feed") and page_sql:
                plans.setdefault(name, {})[scale] = explain(page_sql)
        for name, ordering, shape_id in (("before: latest (SQL)", "latest", None),
                                         ("before: popular (SQL)", "popular", None),
                                         ("before: shape (SQL)", "latest", "heart")):
            measure_reference.rows_read = None
            seconds, sql = measure_reference(viewer, ordering, shape_id)
            results.setdefault(name, {})[scale] = seconds
            ROWS_READ.setdefault(name, {})[scale] = measure_reference.rows_read
            shown = f"> {REFERENCE_TIMEOUT_S:.0f} s (stopped)" if seconds is None else f"{seconds * 1000:,.1f} ms"
            print(f"   {name:<22} {shown}", flush=True)
            if scale == SCALES[-1]:
                plans.setdefault(name, {})[scale] = explain(sql)
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION max_statement_time=0")

    print("\n## p50 per read (ms) and the ratio to 1x")
    header = "read".ljust(22) + "".join(f"{f'{s}x':>12}" for s in SCALES) + f"{'ratio':>10}"
    print(header)
    worst = 0.0
    for name, by_scale in results.items():
        cap = REFERENCE_TIMEOUT_S if name.startswith("before") else TIMEOUT_S
        cells = "".join(f"{f'> {cap:.0f} s' if v is None else f'{v * 1000:,.1f}':>12}"
                        for v in (by_scale.get(s) for s in SCALES))
        base, top = by_scale.get(SCALES[0]), by_scale.get(SCALES[-1])
        ratio = (top / base) if base and top else float("inf")
        if not name.startswith("before"):
            worst = max(worst, ratio)
        print(name.ljust(22) + cells + f"{ratio:>9.2f}x")
    print(f"worst ratio {SCALES[-1]}x/{SCALES[0]}x: {worst:.2f}x (target <= 2x)")
    print("\n## rows read by the storage engine per request (Handler_read_*; independent of the machine's load)")
    print("read".ljust(22) + "".join(f"{f'{s}x':>12}" for s in SCALES))
    for name, by_scale in ROWS_READ.items():
        print(name.ljust(22) + "".join(f"{'-' if by_scale.get(s) is None else f'{by_scale[s]:,}':>12}"
                                       for s in SCALES))
    print("\n## EXPLAIN of each feed's page query")
    for name, by_scale in plans.items():
        for scale, lines in by_scale.items():
            print(f"-- {name} at {scale}x")
            for line in lines:
                print("   " + line)
    print(f"\nfeeds bench done in {time.perf_counter() - started_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
