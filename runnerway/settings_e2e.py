"""Settings of a real `qcluster` process started by an end-to-end test (e.g. accounts/tests/test_otp_e2e.py).

The test settings with the queue for real (not run in-process): the test passes DATABASE_URL (its test
database), EMAIL_URL (its SMTP server) and SECRET_KEY (so signed task packages and encrypted codes match).
"""

from runnerway.settings_test import *  # noqa: F403
from runnerway.settings_test import Q_CLUSTER

# One worker, fast polling: the test waits on it.
Q_CLUSTER = {**Q_CLUSTER, "sync": False, "workers": 1, "poll": 0.2}
