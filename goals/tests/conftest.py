from community.tests.conftest import committed  # noqa: F401  (the same on-commit fixture)
