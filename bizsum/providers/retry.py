"""Retries with back-off for model requests, and an adaptive concurrency limit per model.

Providers raise :class:`TransientError` for failures worth another attempt (HTTP 429, 408, 409,
5xx, timeouts, dropped connections) and :class:`bizsum.errors.ProviderError` for the rest.
:func:`call_with_retries` runs one request under a :class:`RetryPolicy` and a model's
:class:`AdaptiveLimiter`:

* exponential back-off with jitter: attempt *n* waits a random time in
  ``[d/2, d]`` with ``d = min(max_delay, initial_delay * 2**(n-1))``, so many workers that failed
  together do not come back together;
* a ``Retry-After`` (or ``retry-after-ms``) from the server is respected: the wait is at least that
  long (plus up to 10 % jitter), even above ``max_delay``;
* on 429 the limiter *adapts*: every request of that model waits until the Retry-After moment
  (not only the one that was refused), and the number of requests in flight is halved (once per
  round: refusals of requests sent before the last cut do not cut again); each run of successes
  as long as the current limit raises it by one again, up to the configured concurrency
  (additive increase, multiplicative decrease);
* after ``max_attempts`` the last error is raised as a :class:`ProviderError` whose message says
  how many attempts were made and what the last failure was.

Everything is synchronous and thread-safe: requests run in worker threads (see
:mod:`bizsum.generation.runner`). The clock, sleep and random source are injectable for tests.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bizsum.errors import ProviderError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 522, 524, 529})
MAX_RETRY_AFTER = 600.0  # a server asking for longer than this is treated as a final refusal


class TransientError(ProviderError):
    """A failure another attempt may fix. ``kind``: rate_limit, server, timeout or connection."""

    def __init__(self, message: str, kind: str = "server", retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.status = status


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    getter = headers.get
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = getter(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except (TypeError, ValueError):
            continue
        return seconds if not math.isnan(seconds) and seconds >= 0 else None  # NaN / negative → ignore
    value = getter("retry-after")
    if value:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, parsed.timestamp() - (time.time() if now is None else now))
    return None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_delay: float = 1.0
    max_delay: float = 60.0

    @classmethod
    def from_settings(cls, settings: Any, max_attempts: int | None = None) -> RetryPolicy:
        return cls(
            max_attempts=max_attempts if max_attempts is not None else settings.max_attempts,
            initial_delay=settings.initial_delay,
            max_delay=settings.max_delay,
        )

    def delay(self, attempt: int, retry_after: float | None = None, rng: Callable[[], float] = random.random) -> float:
        """Wait before attempt ``attempt + 1`` after attempt ``attempt`` (1-based) failed."""
        if retry_after is not None:
            return retry_after + rng() * min(1.0, 0.1 * retry_after)
        ceiling = min(self.max_delay, self.initial_delay * (2 ** (attempt - 1)))
        return ceiling * (0.5 + 0.5 * rng())


class AdaptiveLimiter:
    """Bounds one model's requests in flight; shrinks on 429 and pauses everyone for Retry-After."""

    def __init__(self, max_concurrency: int, clock: Callable[[], float] = time.monotonic):
        self.max_concurrency = max(1, int(max_concurrency))
        self.limit = self.max_concurrency
        self.in_flight = 0
        self.paused_until = 0.0
        self.rate_limited = 0
        self.epoch = 0
        self._successes = 0
        self._clock = clock
        self._cond = threading.Condition()

    def acquire(self) -> int:
        """Wait for a slot; returns the current epoch (how many times the limit was cut so far)."""
        with self._cond:
            while True:
                wait = self.paused_until - self._clock()
                if wait <= 0 and self.in_flight < self.limit:
                    self.in_flight += 1
                    return self.epoch
                self._cond.wait(timeout=wait if wait > 0 else None)

    def release(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def success(self) -> None:
        with self._cond:
            if self.limit < self.max_concurrency:
                self._successes += 1
                if self._successes >= self.limit:
                    self.limit += 1
                    self._successes = 0
                    self._cond.notify_all()

    def throttle(self, retry_after: float | None, epoch: int | None = None) -> None:
        """A 429: halve the limit and hold every request until ``retry_after`` has passed.

        The limit is cut once per round: a 429 for a request sent before the last cut (``epoch``
        older than the current one) only extends the pause, so a burst of 16 refusals halves the
        limit once, not four times.
        """
        with self._cond:
            self.rate_limited += 1
            if epoch is None or epoch == self.epoch:
                self.limit = max(1, self.limit // 2)
                self.epoch += 1
                self._successes = 0
            if retry_after:
                self.paused_until = max(self.paused_until, self._clock() + retry_after)
            log.info("rate limited: %d request(s) in flight at most, paused %.2fs", self.limit, retry_after or 0.0)


@dataclass
class RetryCounters:
    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0

    def add(self, other: RetryCounters) -> None:
        self.attempts += other.attempts
        self.retries += other.retries
        self.rate_limited += other.rate_limited


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    limiter: AdaptiveLimiter | None = None,
    *,
    describe: str = "request",
    counters: RetryCounters | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> T:
    """Call ``fn`` until it succeeds, a non-transient error occurs, or attempts run out."""
    counters = counters if counters is not None else RetryCounters()
    attempt = 0
    while True:
        attempt += 1
        counters.attempts += 1
        epoch = limiter.acquire() if limiter is not None else 0
        try:
            result = fn()
        except TransientError as error:
            if limiter is not None:
                limiter.release()
                if error.kind == "rate_limit":
                    limiter.throttle(error.retry_after, epoch)
            if error.kind == "rate_limit":
                counters.rate_limited += 1
            if error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER:
                raise ProviderError(
                    f"{describe}: the server asks to wait {error.retry_after:.0f}s (> {MAX_RETRY_AFTER:.0f}s) "
                    f"before retrying; giving up: {error}"
                ) from None
            if attempt >= policy.max_attempts:
                raise ProviderError(f"{describe}: gave up after {attempt} attempt(s); last error: {error}") from None
            wait = policy.delay(attempt, error.retry_after, rng)
            counters.retries += 1
            log.warning(
                "%s: attempt %d/%d failed (%s); retrying in %.2fs", describe, attempt, policy.max_attempts, error, wait
            )
            # On 429 the limiter's pause already holds every worker; sleeping here as well keeps
            # this request's own back-off when no Retry-After was given.
            sleep(wait)
            continue
        except BaseException:
            if limiter is not None:
                limiter.release()
            raise
        if limiter is not None:
            limiter.release()
            limiter.success()
        return result
