"""Rate limits per client: a read budget and a write budget per fixed window.

The client is its API key (by prefix) when it sends one, else its IP address. Counters
live in Redis when REDIS_URL is set, so every worker shares one budget (SharedRateLimiter);
otherwise in this process's memory, which is right for a single worker only (RateLimiter).
"""

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis


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
    """Counts in this process's memory, each key (a client's window) dropped once its
    window has ended and `size` keys are held: clearing them all instead would give every
    client a fresh budget mid-window, some 50 minutes into 2,000 clients a minute."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._counts: dict[str, int] = {}
        self._ends: dict[str, float] = {}  # when each key's window ends (time.monotonic())
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            count = self._counts.get(key, 0) + 1
            if count == 1:  # a key's first hit: note when it may go
                if len(self._counts) >= self.size:
                    self._drop_ended()
                self._ends[key] = time.monotonic() + window + 1
            self._counts[key] = count
            return count

    def _drop_ended(self) -> None:
        now = time.monotonic()
        for key in [k for k, end in self._ends.items() if end <= now]:
            del self._counts[key], self._ends[key]
        if len(self._counts) >= self.size:  # as many clients in one window: memory wins
            self._counts.clear()
            self._ends.clear()


# One command, one round trip: count, and give a window's first count its expiry.
COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisCounter:
    """Counts in Redis through redis.asyncio: a request that waits for Redis holds only
    itself, not the event loop and every other request with it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: Redis | None = None
        self._count: Any = None  # COUNT, registered with _redis
        self._loop: asyncio.AbstractEventLoop | None = None

    async def hit(self, key: str, window: int) -> int:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a client's connections serve the loop that made them
            self._connect(loop)
        return int(await self._count(keys=[key], args=[window + 1]))

    def _connect(self, loop: asyncio.AbstractEventLoop) -> None:
        from redis.asyncio import Redis  # here: a worker without Redis never imports it

        self._redis = Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        self._count = self._redis.register_script(COUNT)
        self._loop = loop

    async def close(self) -> None:
        if self._redis is not None and self._loop is asyncio.get_running_loop():
            await self._redis.aclose()
        self._redis = self._count = self._loop = None


class _Budgets:
    def __init__(self, reads: int, writes: int, window: int) -> None:
        self.window = window
        self.limits = {"read": reads, "write": writes}

    def _key(self, kind: str, client: str, now: float) -> tuple[str, int]:
        """The counter's key for the client's budget of `kind` in the window `now` is in,
        and when that window began."""
        window_start = int(now // self.window) * self.window
        return f"tradestats:rl:{kind}:{client}:{window_start}", window_start

    def _verdict(self, kind: str, count: int, window_start: int, now: float) -> Verdict:
        limit = self.limits[kind]
        reset = max(1, int(window_start + self.window - now))
        return Verdict(count <= limit, limit, max(0, limit - count), reset)


class RateLimiter(_Budgets):
    """Budgets counted in this process: nothing to wait for, so nothing awaited."""

    def __init__(self, counter: Counter, reads: int, writes: int, window: int = 60) -> None:
        super().__init__(reads, writes, window)
        self.counter = counter

    def check(self, client: str, kind: str, now: float | None = None) -> Verdict:
        now = time.time() if now is None else now
        key, window_start = self._key(kind, client, now)
        return self._verdict(kind, self.counter.hit(key, self.window), window_start, now)


class SharedRateLimiter(_Budgets):
    """Budgets counted in Redis. A Redis that fails (down, or no answer within its 1 s
    timeout) is left alone for `retry` seconds, requests going unlimited meanwhile, rather
    than have every request wait for the timeout."""

    def __init__(
        self, counter: RedisCounter, reads: int, writes: int, window: int = 60, retry: float = 30
    ) -> None:
        super().__init__(reads, writes, window)
        self.counter, self.retry = counter, retry
        self.retry_at = 0.0  # time.monotonic() when a failed counter is tried again

    async def check(self, client: str, kind: str, now: float | None = None) -> Verdict | None:
        """The request's verdict; None, no limit, while the counter is down. Its error is
        raised once, by the request that found it down: not by those that waited with it."""
        if time.monotonic() < self.retry_at:
            return None
        now = time.time() if now is None else now
        key, window_start = self._key(kind, client, now)
        try:
            count = await self.counter.hit(key, self.window)
        except Exception:
            if time.monotonic() < self.retry_at:  # another request's failure, reported
                return None
            self.retry_at = time.monotonic() + self.retry
            raise
        return self._verdict(kind, count, window_start, now)

    async def close(self) -> None:
        await self.counter.close()
