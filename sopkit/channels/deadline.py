"""How long one channel request may live: a wall-clock deadline for each, and the publish job's say over them.

Why: ``requests``' read timeout bounds each read from the socket, not the request. A server or proxy that
trickles a byte every few seconds keeps a 60 s read timeout satisfied for ever, while the publish job's claim on
the item-channel runs out: another run takes over and posts, and then the first request completes too (issue 17).
So every request sent through :func:`sopkit.channels.http.send` (every HTTP channel) is bounded:

* a watchdog shuts the request's socket down when its deadline passes, which ends a blocked read at once in the
  thread that made the request; the caller gets :class:`DeadlineExceeded`, a ``ReadTimeout``, so ``http.send``
  maps it like one (unknown for a POST, retryable for a GET). Without a budget the deadline is connect + read
  timeout;
* while the job holds a claim it sets a :class:`Budget` for the thread that talks to the channel: a request's
  deadline is cut to what is left of the lease (less a margin), no request starts once too little is left or the
  claim is lost (:class:`ClaimLost`, raised before anything is sent), and losing the claim ends the requests in
  flight. The budget also remembers whether a request that may have changed something went out, which is what
  separates "nothing was posted" from "ask the channel" when a claim is lost.

The budget travels in a ContextVar, not an argument, so that no channel's ``publish`` signature changes: a new
channel that sends through ``http.send`` is bounded without knowing about leases.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

from sopkit.retry import Backoff

Clock = Callable[[], float]

#: The shortest deadline worth sending a request with; below it the job's claim is as good as gone.
MIN_REQUEST_SECONDS = 1.0


class ClaimLost(Exception):
    """The job's claim on the item-channel is gone or about to run out: the request was not sent."""


class DeadlineExceeded(requests.exceptions.ReadTimeout):
    """The whole request (connect, send, every read) took longer than its deadline and was cut off."""

    def __init__(self, seconds: float, *args: Any, **kwargs: Any):
        super().__init__(f"no complete answer within the request's deadline of {seconds:g} s", *args, **kwargs)
        self.seconds = seconds


def longest_attempt(backoff: Backoff, request_seconds: float) -> float:
    """The longest one request can take with its retries: every try runs to its deadline and every wait is the
    longest the backoff allows (a server's ``Retry-After`` up to ``max_retry_after``, else the jitter's cap)."""
    waits = sum(max(min(backoff.cap, backoff.base * 2 ** (n - 1)), backoff.max_retry_after)
                for n in range(1, backoff.tries))
    return backoff.tries * request_seconds + waits


class Watch:
    """The deadline of one request: at ``seconds`` it shuts down whatever socket the request is using."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._done = False
        self._conns: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def attach(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conns.append(conn)
            if self.fired and not self._done:
                _shut(conn)

    def fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for conn in self._conns:
                _shut(conn)

    def finish(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


def _shut(conn: HTTPConnection) -> None:
    """End the socket for both directions: a read blocked in another thread returns at once."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under an SSLSocket


_WATCH: contextvars.ContextVar[Watch | None] = contextvars.ContextVar("sopkit_request_watch", default=None)


class _Watched(HTTPConnection):
    """urllib3's connection that hands the socket of each request to that request's :class:`Watch` (placed before
    ``HTTPSConnection`` in the TLS class's bases, so ``super()`` there is the TLS connection's)."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self.sock = sock  # what urllib3 does with it next; set now so a watch firing during TLS can reach it
        if (watch := _WATCH.get()) is not None:
            watch.attach(self)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.sock is not None and (watch := _WATCH.get()) is not None:
            watch.attach(self)  # a kept-alive connection: no new socket
        return super().request(*args, **kwargs)


class _Connection(_Watched):
    pass


class _TLSConnection(_Watched, HTTPSConnection):
    pass


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def _watched(manager: Any) -> Any:
    if manager is not None and manager.pool_classes_by_scheme.get("http") is not _Pool:
        manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        manager.clear()  # pools made before hold the plain connection class
    return manager


def install(session: requests.Session) -> None:
    """Make every HTTP adapter of ``session`` use connections a :class:`Watch` can cut, through an HTTP proxy
    too (``HTTPS_PROXY`` in the environment); idempotent and cheap, so it runs before every request."""
    for adapter in session.adapters.values():
        if not isinstance(adapter, HTTPAdapter):
            continue
        _watched(adapter.poolmanager)
        if not getattr(adapter, "_sopkit_watched", False):
            made_by = adapter.proxy_manager_for

            def proxy_manager_for(*args: Any, _made_by: Any = made_by, **kwargs: Any) -> Any:
                return _watched(_made_by(*args, **kwargs))

            # patched on this adapter instance only (requests makes the proxy managers lazily, per proxy URL)
            setattr(adapter, "proxy_manager_for", proxy_manager_for)
            setattr(adapter, "_sopkit_watched", True)


class Budget:
    """What the job's claim allows the requests of one thread: until when, how long each, and whether at all."""

    def __init__(self, request_seconds: float, until: float, *, margin: float = 5.0, clock: Clock = time.monotonic):
        self.request_seconds = request_seconds
        self.margin = margin
        self.clock = clock
        self.lost: str | None = None
        self.sent_unsafe = False  # a request that may have changed something on the channel went out
        self._until = until
        self._watches: set[Watch] = set()
        self._lock = threading.Lock()

    def extend(self, until: float) -> None:
        """The claim was renewed: requests may run until ``until`` (this budget's clock) less the margin."""
        with self._lock:
            self._until = until

    def lose(self, reason: str) -> None:
        """The claim is gone: refuse every further request and cut the ones in flight."""
        with self._lock:
            self.lost = reason
            watches = list(self._watches)
        for watch in watches:
            watch.fire()

    def left(self) -> float:
        with self._lock:
            return self._until - self.clock() - self.margin

    def admit(self, seconds: float, idempotent: bool) -> Watch:
        """The watch for a request that may start now, with its deadline cut to the lease; ClaimLost if none may."""
        with self._lock:
            if self.lost:
                raise ClaimLost(f"not sent: {self.lost}")
            left = self._until - self.clock() - self.margin
            if left < MIN_REQUEST_SECONDS:
                raise ClaimLost(f"not sent: the claim's lease runs out in {max(left + self.margin, 0):.0f} s and "
                                "could not be renewed")
            watch = Watch(min(seconds, self.request_seconds, left))
            self._watches.add(watch)
            if not idempotent:
                self.sent_unsafe = True
            return watch

    def release(self, watch: Watch) -> None:
        with self._lock:
            self._watches.discard(watch)


BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("sopkit_request_budget", default=None)


@contextlib.contextmanager
def budget(b: Budget) -> Iterator[Budget]:
    """Requests made in this context (this thread) live inside ``b``."""
    token = BUDGET.set(b)
    try:
        yield b
    finally:
        BUDGET.reset(token)


def request(session: requests.Session, method: str, url: str, *, timeout: tuple[float, float], idempotent: bool,
            **kwargs: Any) -> requests.Response:
    """``session.request`` with a wall-clock deadline (connect + read timeout, cut by the job's budget).

    Raises :class:`ClaimLost` before sending when the budget forbids it, :class:`DeadlineExceeded` when the
    deadline cut the request off, and whatever ``requests`` raises otherwise.
    """
    seconds = timeout[0] + timeout[1]
    current = BUDGET.get()
    watch = current.admit(seconds, idempotent) if current is not None else Watch(seconds)
    install(session)
    token = _WATCH.set(watch)
    watch.start()
    bounded = (min(timeout[0], watch.seconds), min(timeout[1], watch.seconds))
    try:
        return session.request(method, url, timeout=bounded, **kwargs)
    except requests.exceptions.RequestException as e:
        cut = isinstance(e, requests.exceptions.ReadTimeout) and bounded[1] < timeout[1]  # the read timeout, cut
        if watch.fired or cut:  # to the deadline, can come first when the watchdog's thread is slow to run
            raise DeadlineExceeded(watch.seconds, request=e.request) from e
        raise
    finally:
        watch.finish()
        _WATCH.reset(token)
        if current is not None:
            current.release(watch)
