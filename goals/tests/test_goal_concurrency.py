"""Two overlapping goals created at the same moment: exactly one passes (the overlap check runs under a lock
on the user's row). Threads have their own connections; on MariaDB they really race."""

import threading

import pytest
from django.db import connections

from accounts.tests.factories import UserFactory
from conftest import client_for
from goals.models import Goal

ATTEMPTS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_creates_let_exactly_one_through():
    user = UserFactory()
    statuses: list[int] = []
    barrier = threading.Barrier(ATTEMPTS)

    def create(offset: int):
        try:
            barrier.wait(timeout=10)
            response = client_for(user).post("/api/v1/goals", {
                "goal_type": "weekly", "target_type": "distance", "target_value": 10 + offset,
                "start_date": f"2026-05-{4 + offset:02d}", "end_date": f"2026-05-{10 + offset:02d}"})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(offset,)) for offset in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [409] * (ATTEMPTS - 1)
    assert Goal.objects.filter(user=user).count() == 1
