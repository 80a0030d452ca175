"""CPU of the hot read's Redis round trip (MGET of two keys, INCR, EXPIRE in one write: runnerway.cache's own
`_send_and_read`) on a connection checked out of redis-py's pool for each call, against the one `_HeldConnection`
keeps checked out.

    .venv/bin/python bench/redis_round_trip.py [--calls 2000] [--rounds 15]

Needs a Redis server (REDIS_URL, default redis://127.0.0.1:6379/14). Prints µs of CPU per round trip (this
process only: Redis's own CPU is not in it), the median of alternating blocks.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from runnerway.cache import _HeldConnection, _send_and_read

COMMANDS = [("MGET", "bench:a", "bench:b"), ("INCR", "bench:hits"), ("EXPIRE", "bench:hits", 60)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000, help="per block")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    pool = redis.ConnectionPool.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))
    held = _HeldConnection(pool)

    def checked_out_per_call():
        connection = pool.get_connection()
        try:
            return _send_and_read(connection, COMMANDS)
        finally:
            pool.release(connection)

    ways = {"checked out per call": checked_out_per_call, "kept checked out": lambda: held.send_and_read(COMMANDS)}
    for way in ways.values():
        for _ in range(200):
            way()
    spent = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            started = time.process_time()
            for _ in range(args.calls):
                way()
            spent[name].append((time.process_time() - started) / args.calls * 1e6)
    for name, values in spent.items():
        print(f"{name:>22}: {statistics.median(values):5.1f} µs CPU per round trip (min {min(values):.1f}, "
              f"max {max(values):.1f}; {args.rounds} blocks of {args.calls})")
    pool.disconnect()


if __name__ == "__main__":
    main()
