"""Every channel request has a wall-clock deadline, and the publish job's claim bounds it (issue 17).

Against real sockets on 127.0.0.1: a server that trickles its answer one byte at a time (each read well inside
the read timeout, the whole far beyond it), one that says nothing, and one that answers at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from sopkit.channels import deadline
from sopkit.channels.base import OutcomeUnknown
from sopkit.channels.deadline import Budget, ClaimLost, DeadlineExceeded, longest_attempt
from sopkit.channels.http import send
from sopkit.retry import Backoff, TransientError

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"ok\": true}"


class Server:
    """One listening socket; each connection is read up to the end of the headers (and its body), then answered
    ``how``: "now", "trickle" (one byte every ``gap`` s) or "silent" (never)."""

    def __init__(self, how: str, gap: float = 0.3):
        self.how, self.gap = how, gap
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.requests = 0
        self.closed_by_client = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/x"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while self._read_request(conn):
                self.requests += 1
                try:
                    if self.how == "now":
                        conn.sendall(ANSWER)  # and keep the connection for the next request
                        continue
                    if self.how == "trickle":
                        for byte in ANSWER[:-1]:
                            conn.sendall(bytes([byte]))
                            time.sleep(self.gap)
                    else:
                        while conn.recv(1):
                            pass
                except OSError:
                    pass
                self.closed_by_client.set()
                return

    @staticmethod
    def _read_request(conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return False
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    s = Server(request.param)
    yield s
    s.close()


@pytest.mark.parametrize("server", ["trickle"], indirect=True)
def test_a_trickling_answer_is_cut_at_the_deadline_although_no_read_times_out(server: Server) -> None:
    session = requests.Session()
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown, match=r"tidak ada jawaban dalam 2 detik"):
        send(session, "POST", server.url, what="test post", timeout=(1.0, 1.0), idempotent=False, json={})
    took = time.monotonic() - started
    assert 1.8 <= took < 3.5, took  # each byte came within 0.3 s, so only the deadline (1 + 1 s) could stop it
    assert server.closed_by_client.wait(5)  # the socket really was shut, not left to linger in a thread


@pytest.mark.parametrize("server", ["trickle"], indirect=True)
def test_an_idempotent_request_cut_by_its_deadline_is_transient(server: Server) -> None:
    with pytest.raises(TransientError, match="tidak ada jawaban dalam batas waktu"):
        send(requests.Session(), "GET", server.url, what="lookup", timeout=(0.5, 0.5), idempotent=True)


@pytest.mark.parametrize("server", ["now"], indirect=True)
def test_a_prompt_answer_is_untouched_and_the_connection_reused(server: Server) -> None:
    session = requests.Session()
    for _ in range(3):
        resp = send(session, "GET", server.url, what="lookup", timeout=(1.0, 0.4), idempotent=True)
        assert resp.json() == {"ok": True}
    time.sleep(1.2)  # past every deadline: a watch that outlived its request would break the next one
    assert send(session, "GET", server.url, what="lookup", timeout=(1.0, 0.4), idempotent=True).ok


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_the_budget_cuts_the_deadline_to_the_lease(server: Server) -> None:
    b = Budget(request_seconds=30, until=time.monotonic() + 2.5, margin=1.0)
    started = time.monotonic()
    with deadline.budget(b), pytest.raises(OutcomeUnknown):
        send(requests.Session(), "POST", server.url, what="post", timeout=(5.0, 60.0), idempotent=False)
    assert time.monotonic() - started < 2.5  # 1.5 s of lease left after the margin, not the 65 s of timeouts
    assert b.sent_unsafe


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_losing_the_claim_cuts_the_request_in_flight_and_refuses_the_next(server: Server) -> None:
    b = Budget(request_seconds=30, until=time.monotonic() + 60)
    threading.Timer(0.5, b.lose, args=("another run took it over",)).start()
    started = time.monotonic()
    with deadline.budget(b), pytest.raises(OutcomeUnknown):
        send(requests.Session(), "POST", server.url, what="post", timeout=(5.0, 60.0), idempotent=False)
    assert time.monotonic() - started < 2
    requests_before = server.requests
    with deadline.budget(b), pytest.raises(ClaimLost, match="another run took it over"):
        send(requests.Session(), "POST", server.url, what="post", timeout=(5.0, 60.0), idempotent=False)
    assert server.requests == requests_before  # not sent


def test_no_request_starts_when_the_lease_is_nearly_out() -> None:
    b = Budget(request_seconds=30, until=time.monotonic() + 3, margin=5.0)
    with deadline.budget(b), pytest.raises(ClaimLost, match="runs out in 3 s"):
        deadline.request(requests.Session(), "GET", "http://127.0.0.1:9/", timeout=(1, 1), idempotent=True)
    assert not b.sent_unsafe


def test_deadline_exceeded_is_a_read_timeout() -> None:
    assert issubclass(DeadlineExceeded, requests.exceptions.ReadTimeout)


def test_longest_attempt_counts_every_try_and_the_longest_waits() -> None:
    # 5 tries of 60 s, and 4 waits of up to 64 s each (a Retry-After may ask that long)
    assert longest_attempt(Backoff(), 60) == 5 * 60 + 4 * 64
    assert longest_attempt(Backoff(tries=3, base=1, cap=100, max_retry_after=0), 10) == 30 + 1 + 2
    assert longest_attempt(Backoff(tries=1), 7) == 7


@pytest.mark.parametrize("server", ["trickle"], indirect=True)
def test_the_deadline_holds_through_an_http_proxy(server: Server) -> None:
    """The agency's host may send everything through a proxy (``HTTP(S)_PROXY``): here one that trickles."""
    session = requests.Session()
    session.proxies = {"http": f"http://127.0.0.1:{server.sock.getsockname()[1]}"}
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown, match="tidak ada jawaban dalam 2 detik"):
        send(session, "POST", "http://wordpress.invalid/wp-json/wp/v2/posts", what="post", timeout=(1.0, 1.0),
             idempotent=False, json={})
    assert server.requests == 1 and time.monotonic() - started < 3.5
