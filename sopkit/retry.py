"""Bounded retry with truncated exponential backoff, full jitter and ``Retry-After``.

Used by every outbound client (Google Sheets, WordPress, Graph API, Telegram) so they all honour the same rules:
retry only what is transient, never forever, and tell the caller what is happening.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class TransientError(Exception):
    """A failure worth retrying (429, 5xx, timeout before the request was sent).

    ``retry_after`` is the server's own wait in seconds (``Retry-After``), when it gave one.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(TransientError):
    """The service said how long to wait (a rate limit): nothing was done, and asking again sooner is pointless.

    A wait longer than the backoff's ``max_retry_after`` ends the retries at once (:class:`RetriesExhausted`), so
    a run does not sleep through an hour-long Graph back-off; the publish job then parks the channel until
    ``retry_after`` has passed (Mixpost's ``ManagesRateLimit`` does the same with Graph's usage headers).
    """


class RetriesExhausted(Exception):
    """The last try failed too; ``last`` is the final transient error, ``tries`` how many were made."""

    def __init__(self, message: str, last: TransientError, tries: int = 0):
        super().__init__(message)
        self.last = last
        self.tries = tries


@dataclass(frozen=True)
class Backoff:
    tries: int = 5
    base: float = 1.0
    cap: float = 32.0
    max_retry_after: float = 64.0

    def wait(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed try ``attempt`` (1-based): full jitter, or the server's own wait."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


def call_with_retry(
    fn: Callable[[], T],
    backoff: Backoff = Backoff(),
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, float, TransientError], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Call ``fn`` until it returns, raises a non-transient error, or ``backoff.tries`` are used up."""
    rng = rng or random.Random()
    for attempt in range(1, backoff.tries + 1):
        try:
            return fn()
        except TransientError as e:
            if isinstance(e, Throttled) and (e.retry_after or 0.0) > backoff.max_retry_after:
                raise RetriesExhausted(f"{e} (wait {e.retry_after:.0f} s)", e, attempt) from e
            if attempt == backoff.tries:
                raise RetriesExhausted(f"gave up after {attempt} tries: {e}", e, attempt) from e
            delay = backoff.wait(attempt, e.retry_after, rng)
            if on_retry:
                on_retry(attempt, delay, e)
            sleep(delay)
    raise AssertionError("unreachable")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
