"""The rate limiter's memory is bounded: buckets that have refilled are dropped, and no more than `max_keys`
buckets are kept (the least recently used goes first), however many distinct keys (login names, hosts) come;
and the limit itself still holds. Time is a clock the test advances, so a minute passes instantly."""

from __future__ import annotations

import tracemalloc

from service.ratelimit import RateLimiter


class Clock:
    """A monotonic clock the test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_many_distinct_keys_never_exceed_the_cap() -> None:
    """100,000 made-up keys within one second leave at most `max_keys` buckets, and memory stays small."""
    clock = Clock()
    limiter = RateLimiter(60, max_keys=1000, clock=clock)
    tracemalloc.start()
    try:
        for i in range(100_000):
            assert limiter.allow(f"login:guess{i}") is None
            clock.now += 0.000_005
            assert len(limiter) <= 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(limiter) == 1000
    assert peak < 2_000_000, peak  # unbounded, 100,000 buckets would take far more than 2 MB


def test_refilled_buckets_are_pruned() -> None:
    """A bucket is dropped once it has refilled to the full allowance (at the latest a minute after its last
    use); a drained one is kept until then, since it still enforces the limit."""
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    for i in range(5000):
        host = f"login-from:10.0.{i // 250}.{i % 250}"
        limiter.allow(host)
        limiter.allow(host)  # drained
    assert len(limiter) == 5000
    clock.now += 30
    limiter.allow("recent")  # used once: one of its two requests left
    assert len(limiter) == 5001  # the drained buckets are half refilled: still needed
    clock.now += 31  # the 5000 are a minute old, full again; "recent" refilled after 30 s
    limiter.allow("another")
    assert len(limiter) == 1, "only the bucket used just now remains"


def test_the_limit_still_holds_and_refills() -> None:
    """60 requests a minute pass, the 61st waits about a second; a drained bucket is kept until refilled."""
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    assert all(limiter.allow("soumu") is None for _ in range(60))
    wait = limiter.allow("soumu")
    assert wait is not None and 0.9 < wait <= 1.0
    clock.now += 30
    for i in range(100):
        limiter.allow(f"other{i}")  # pruning must not drop soumu's half-refilled bucket
    assert sum(limiter.allow("soumu") is None for _ in range(40)) == 30
    clock.now += 60
    assert limiter.allow("soumu") is None


def test_eviction_drops_the_least_recently_used_key() -> None:
    """At the cap, the key used longest ago starts afresh; a key used since keeps its drained bucket."""
    clock = Clock()
    limiter = RateLimiter(1, max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        assert limiter.allow(key) is None  # each bucket now empty
        clock.now += 0.1
    assert limiter.allow("a") is not None  # refused, and now the most recently used
    assert limiter.allow("d") is None  # a fourth key: "b", used longest ago, is evicted
    assert limiter.allow("b") is None  # so "b" comes back with a full bucket (evicting "c")
    assert limiter.allow("a") is not None  # "a" was kept: still limited
    assert len(limiter) == 3


def test_no_limit_keeps_no_state() -> None:
    """KOTAE_RATE_LIMIT_PER_MINUTE=0 lets everything through and holds nothing."""
    limiter = RateLimiter(0)
    assert all(limiter.allow(f"k{i}") is None for i in range(1000))
    assert len(limiter) == 0
