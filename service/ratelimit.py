"""Requests per user and minute: a token bucket per user name (refilled continuously), so one user or script
cannot take the machine's two cores from everyone else."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """`allow(key)` returns None when the request may go ahead, else the seconds to wait."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """Take one request from `key`'s bucket."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            return None
