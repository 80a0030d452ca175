"""A real MariaDB replica behind the API: heavy reads go there, a runner sees their own writes, and the API keeps
answering when the replica stops.

Starts two private MariaDB servers (own data folders and ports): a primary with a binary log and a replica fed by
MariaDB's own replication (GTID, `MASTER_DELAY` so the lag is real and visible). The API connects to the replica as
a user with SELECT only, so any write sent there would fail. It migrates the primary, starts gunicorn (2 workers,
Redis for the read-your-writes pins) and checks:

1. replica reads happen: the feed read by a runner who did not write raises the replica's `Com_select`;
2. the lag is real: that runner does not see another runner's new post at once (it is read from the replica);
3. read-your-writes: the author sees their own new post in their next feed read, every time;
4. a short mixed load (posts, likes, feed and stats reads from 4 threads) answers only 2xx;
5. the replica stopped: every feed read still answers 200 (from the primary) and shows the newest posts.

Exit 1 on any failure. Run: `.venv/bin/python bench/faults/replica.py` (CI: `.ci/run`, after the test suites).
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.stack import PrivateMariaDB, create_database, gunicorn, manage, mint_users, server_env, wait_until

DATABASE = "runnerway_replica"
LAG_S = 2  # MASTER_DELAY: each change reaches the replica this many seconds after the primary committed it
ROUNDS = 5


def replica_status(replica: PrivateMariaDB) -> dict:
    import MySQLdb
    import MySQLdb.cursors

    connection = MySQLdb.connect(host="127.0.0.1", port=replica.port, user="root", passwd="",
                                 cursorclass=MySQLdb.cursors.DictCursor)
    try:
        cursor = connection.cursor()
        cursor.execute("SHOW SLAVE STATUS")
        return cursor.fetchone() or {}
    finally:
        connection.close()


def com_select(server: PrivateMariaDB) -> int:
    return int(server.sql("SHOW GLOBAL STATUS LIKE 'Com_select'")[0][1])


def wait_caught_up(primary: PrivateMariaDB, replica: PrivateMariaDB, timeout_s: float = 60) -> None:
    """Until the replica has applied everything the primary has written so far."""
    target = primary.sql("SELECT @@gtid_binlog_pos")[0][0]

    def caught_up() -> bool:
        status = replica_status(replica)
        if status.get("Slave_SQL_Running") != "Yes" or status.get("Slave_IO_Running") != "Yes":
            raise RuntimeError(f"replication stopped: {status.get('Last_Error') or status.get('Last_IO_Error')}")
        return replica.sql(f"SELECT MASTER_GTID_WAIT('{target}', 0)")[0][0] == 0

    wait_until(caught_up, timeout_s, "the replica catching up")


def feed_contents(session: requests.Session, base_url: str) -> list[str]:
    response = session.get(f"{base_url}/api/v1/community/posts", params={"ordering": "latest"}, timeout=15)
    response.raise_for_status()
    body = response.json()["data"]
    return [post["content"] for post in body["results"]]


def authed(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    work = Path(tempfile.mkdtemp(prefix="runnerway-replica-"))
    primary = PrivateMariaDB("--server-id=1", "--log-bin=primary-bin", "--binlog-format=ROW")
    replica = PrivateMariaDB("--server-id=2", "--log-bin=replica-bin", "--binlog-format=ROW")
    failures: list[str] = []
    try:
        for server in (primary, replica):
            server.install()
            server.start()
        primary.sql("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pass'",
                    "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'",
                    "CREATE USER 'reader'@'%' IDENTIFIED BY 'reader-pass'",
                    f"GRANT SELECT ON `{DATABASE}`.* TO 'reader'@'%'")
        replica.sql(f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, MASTER_USER='repl', "
                    f"MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos, MASTER_DELAY={LAG_S}",
                    "START SLAVE")
        create_database(primary.url(DATABASE))
        base_env = server_env(primary.url(DATABASE), REDIS_URL="redis://127.0.0.1:6379/9",
                              THROTTLE_USER="100000/min", THROTTLE_ANON="100000/min")
        manage(base_env, "migrate", "--noinput")
        author_token, reader_token = (u["access"] for u in mint_users(base_env, 2, "replica.runner"))
        wait_caught_up(primary, replica)
        print(f"replication: primary :{primary.port} -> replica :{replica.port} (GTID, MASTER_DELAY={LAG_S} s), "
              f"API reads the replica as a SELECT-only user")

        env = {**base_env,
               "DATABASE_REPLICA_URL": f"mysql://reader:reader-pass@127.0.0.1:{replica.port}/{DATABASE}"}
        with gunicorn(env, workers=2, log_path=work / "gunicorn.log") as (base_url, _process):
            author, reader = authed(author_token), authed(reader_token)

            before = com_select(replica)
            for _ in range(10):
                feed_contents(reader, base_url)
            replica_selects = com_select(replica) - before
            print(f"1. 10 feed reads by a runner who did not write: +{replica_selects} SELECTs on the replica")
            if replica_selects < 10:
                failures.append(f"feed reads did not reach the replica (+{replica_selects} SELECTs)")

            own_seen = stale_for_others = 0
            for round_no in range(ROUNDS):
                content = f"replica round {round_no} {time.time_ns()}"
                created = author.post(f"{base_url}/api/v1/community/posts",
                                      json={"content": content, "visibility": "public"}, timeout=15)
                created.raise_for_status()
                own_seen += content in feed_contents(author, base_url)
                stale_for_others += content not in feed_contents(reader, base_url)
            print(f"2. another runner's new post missing from a replica read at once: {stale_for_others}/{ROUNDS}")
            print(f"3. the author's next feed read shows their new post: {own_seen}/{ROUNDS}")
            if own_seen != ROUNDS:
                failures.append(f"read-your-writes broken in {ROUNDS - own_seen}/{ROUNDS} rounds")
            if stale_for_others == 0:
                failures.append("the replica showed no lag at all (were reads really on the replica?)")
            time.sleep(LAG_S + 1)
            if content not in feed_contents(reader, base_url):
                failures.append("the post never reached the replica")

            statuses = mixed_load(base_url, author_token, reader_token, seconds=8)
            bad = {s: n for s, n in statuses.items() if not 200 <= s < 300}
            print(f"4. mixed load (4 threads, 8 s): {dict(sorted(statuses.items()))}")
            if bad:
                failures.append(f"mixed load answered {bad}")

            replica.stop()
            outage_statuses: dict[int, int] = {}
            fresh_seen = 0
            for round_no in range(6):
                content = f"replica down {round_no} {time.time_ns()}"
                author.post(f"{base_url}/api/v1/community/posts", json={"content": content},
                            timeout=15).raise_for_status()
                response = reader.get(f"{base_url}/api/v1/community/posts", params={"ordering": "latest"},
                                      timeout=15)
                outage_statuses[response.status_code] = outage_statuses.get(response.status_code, 0) + 1
                if response.ok:
                    fresh_seen += content in [p["content"] for p in response.json()["data"]["results"]]
            print(f"5. replica stopped: feed reads {outage_statuses}, newest post seen at once {fresh_seen}/6")
            if outage_statuses != {200: 6} or fresh_seen != 6:
                failures.append("reads did not fall back to the primary while the replica was down")
    finally:
        for server in (primary, replica):
            server.destroy()
    print("RESULT:", "PASS" if not failures else "FAIL — " + "; ".join(failures))
    return 0 if not failures else 1


def mixed_load(base_url: str, author_token: str, reader_token: str, *, seconds: float) -> dict[int, int]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def count(status: int) -> None:
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    def writer() -> None:
        session = authed(author_token)
        while time.monotonic() < stop_at:
            response = session.post(f"{base_url}/api/v1/community/posts", json={"content": "load"}, timeout=15)
            count(response.status_code)
            if response.ok:
                post_id = response.json()["data"]["id"]
                count(authed(reader_token).post(f"{base_url}/api/v1/community/posts/{post_id}/like",
                                                timeout=15).status_code)

    def reader(token: str, path: str) -> None:
        session = authed(token)
        while time.monotonic() < stop_at:
            count(session.get(f"{base_url}{path}", timeout=15).status_code)

    threads = [threading.Thread(target=writer),
               threading.Thread(target=reader, args=(reader_token, "/api/v1/community/posts")),
               threading.Thread(target=reader, args=(reader_token, "/api/v1/users/me/stats")),
               threading.Thread(target=reader, args=(author_token, "/api/v1/community/posts?ordering=popular"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


if __name__ == "__main__":
    sys.exit(main())
