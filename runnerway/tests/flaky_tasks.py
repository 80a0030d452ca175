"""A task that fails on its first two runs and succeeds on the third (for the retry test)."""

from pathlib import Path


def fail_twice_then_succeed(counter_path: str) -> int:
    counter = Path(counter_path)
    attempt = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempt))
    if attempt < 3:
        raise RuntimeError(f"attempt {attempt} fails on purpose")
    return attempt
