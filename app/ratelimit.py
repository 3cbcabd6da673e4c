"""Rate limits per client: a read budget and a write budget per fixed window.

The client is its API key (by prefix) when it sends one, else its IP address. Counters
live in Redis when REDIS_URL is set, so every worker shares one budget; otherwise in
this process's memory, which is right for a single worker only.
"""

import threading
import time
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends


class Counter(Protocol):
    def hit(self, key: str, window: int) -> int:
        """Count one request under `key` in the current window; return the count so far."""
        ...


class MemoryCounter:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            if len(self._counts) > 100_000:  # old windows' keys; never let them pile up
                self._counts.clear()
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis  # here, not at start: its import costs 40 ms of every worker's start

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def hit(self, key: str, window: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, window + 1)
        count, _ = pipe.execute()
        return int(count)


class RateLimiter:
    """A counter that fails (Redis down) is left alone for `retry` seconds, requests going
    unlimited meanwhile: each try of a Redis that does not answer holds the event loop, and
    so every request, for its timeout."""

    def __init__(
        self, counter: Counter, reads: int, writes: int, window: int = 60, retry: float = 30
    ) -> None:
        self.counter, self.window, self.retry = counter, window, retry
        self.limits = {"read": reads, "write": writes}
        self.retry_at = 0.0  # time.monotonic() when a failed counter is tried again

    def check(self, client: str, kind: str, now: float | None = None) -> Verdict | None:
        """The request's verdict; None, no limit, while the counter is down (its error is
        raised once, when it fails)."""
        if time.monotonic() < self.retry_at:
            return None
        now = time.time() if now is None else now
        window_start = int(now // self.window) * self.window
        limit = self.limits[kind]
        try:
            count = self.counter.hit(f"tradestats:rl:{kind}:{client}:{window_start}", self.window)
        except Exception:
            self.retry_at = time.monotonic() + self.retry
            raise
        reset = max(1, int(window_start + self.window - now))
        return Verdict(count <= limit, limit, max(0, limit - count), reset)
