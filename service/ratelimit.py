"""Requests per user and minute: a token bucket per user name (refilled continuously), so one user or script
cannot take the machine's two cores from everyone else. The same limiter slows password guessing, per login
name and per client host.

Its memory is bounded: a bucket left alone long enough to refill is the same as no bucket, so such buckets are
dropped; and at most `max_keys` buckets are kept (the least recently used goes first), so a flood of made-up
login names or hosts cannot grow the process without limit."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_MAX_KEYS = 50_000  # ~10 MB at most; only a flood of distinct keys within one minute reaches it


class RateLimiter:
    """`allow(key)` returns None when the request may go ahead, else the seconds to wait."""

    def __init__(self, per_minute: int, max_keys: int = DEFAULT_MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._clock = clock
        # key -> (tokens, last refill), least recently used first: the order pruning and eviction rely on.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """The number of buckets held."""
        return len(self._buckets)

    def allow(self, key: str) -> float | None:
        """Take one request from `key`'s bucket."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            self._prune(now, rate)
            tokens, last = self._buckets.pop(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            while len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)  # the least recently used key starts afresh if it comes back
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            return None

    def _prune(self, now: float, rate: float) -> None:
        """Drop refilled buckets from the least recently used end, stopping at the first that is not: each
        bucket is looked at about once, and every bucket unused for a minute (a full refill) is gone."""
        while self._buckets:
            key, (tokens, last) = next(iter(self._buckets.items()))
            if tokens + (now - last) * rate < self.per_minute:
                return
            del self._buckets[key]
