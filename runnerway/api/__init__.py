"""Shared API plumbing every app uses: the response envelope, errors, pagination, throttles, schema helpers."""
