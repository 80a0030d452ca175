"""A task whose every run is counted in Redis (bench/faults/two_workers.py): the side effect the check counts."""

import os

import redis


def record_run(redis_url: str, run_key: str, task_no: int) -> None:
    client = redis.Redis.from_url(redis_url)
    client.hincrby(f"{run_key}:runs", str(task_no), 1)
    client.hincrby(f"{run_key}:by_process", str(os.getpid()), 1)
