"""Leases no request outlives, unknowns resolved by looking, copies of a post, and the host lock's holder (issue 17).

Fakes in memory (``test_publish_job``) for the decisions, a real loopback socket for the requests the heartbeat
must cut, the real clock where renewals are the point, and real processes for the lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from test_publish_faults import CrashingStore
from test_publish_job import (
    JOB_USER,
    T0,
    Clock,
    CopyingChannel,
    Crash,
    FakeChannel,
    add_item,
    claim_by_other,
    make_job,
    state,
)

from fakes import Fault
from fakes.telegram_api import FakeTelegram
from jobs import publish as cli
from sopkit import sop
from sopkit.channels.base import PermanentError, Post, Result
from sopkit.channels.http import send
from sopkit.channels.telegram import TelegramChannel
from sopkit.config import Config
from sopkit.publishing import (
    CHECKING,
    CLAIMED,
    PUBLISHED,
    UNKNOWN,
    LeaseTooShort,
    check_lease,
    post_key,
    requeue_channel,
)
from sopkit.publishing.run import Holder, holder_path, read_holder, write_holder
from sopkit.retry import Backoff
from sopkit.schema import User
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import server_now, to_iso
from sopkit.workflow import Desk

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "sop.db")
    s.init()
    return s


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Networked(FakeChannel):
    """A fake that retries like the HTTP channels do (it has their ``backoff``)."""

    backoff = Backoff()  # 5 tries, waits up to 64 s (Retry-After)


# -- the lease is long enough ---------------------------------------------------------------------------------------


def test_a_lease_shorter_than_the_longest_attempt_is_refused_with_the_minimum(store: SQLiteStore,
                                                                              clock: Clock) -> None:
    channels = {"wordpress": Networked("wordpress")}
    with pytest.raises(LeaseTooShort, match=r"lease_minutes = 5 is shorter than the longest attempt on wordpress "
                                            r"\(5 tries of up to 60 s and their waits: 556 s\).*at least 10"):
        make_job(store, clock, channels, lease=dt.timedelta(minutes=5))
    make_job(store, clock, channels, lease=dt.timedelta(minutes=10))  # the default fits: 556 s < 600 s
    check_lease(dt.timedelta(minutes=6), channels, request_seconds=10)  # 5 × 10 s + 4 × 64 s = 306 s
    with pytest.raises(LeaseTooShort, match="lower request_seconds"):
        check_lease(dt.timedelta(minutes=5), channels, request_seconds=10)
    check_lease(dt.timedelta(seconds=2), {"site": FakeChannel("site")}, request_seconds=1)  # one local write


def test_run_once_refuses_a_lease_too_short_for_the_configured_channels(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "sop.db").init()
    secrets = {"site": {"root": str(tmp_path / "site"), "base_url": "https://dishub.kalbarprov.go.id/"},
               "telegram": {"bot_token": "1:x", "chat_id": "@c"},
               "publish": {"lock": str(tmp_path / "publish.lock"), "lease_minutes": 3}}
    config = Config(store=f"sqlite:///{tmp_path / 'sop.db'}", secrets=secrets)
    lines: list[str] = []
    assert cli.run_once(config, say=lines.append) == cli.EXIT_CONFIG
    assert any("lease_minutes = 3 is shorter than the longest attempt on telegram" in line for line in lines), lines
    config.secrets["publish"] |= {"lease_minutes": 10, "copies": "burn"}
    assert cli.run_once(config, say=lines.append) == cli.EXIT_CONFIG
    assert "copies must be one of trash, show" in lines[-1]


# -- the heartbeat --------------------------------------------------------------------------------------------------


def test_the_claim_is_renewed_while_a_slow_post_is_in_flight_so_no_other_run_takes_over(tmp_path: Path) -> None:
    path = tmp_path / "sop.db"
    SQLiteStore(path).init()
    now = server_now()
    add_item(SQLiteStore(path), "h1", ("site",), publish_at=now - dt.timedelta(minutes=1))
    site = FakeChannel("site", delay=4.5)  # the post takes longer than the whole lease
    lease = dt.timedelta(seconds=3)
    reports: list[Any] = []

    def slow_run() -> None:
        reports.append(make_job(SQLiteStore(path), server_now, {"site": site}, lease=lease, request_seconds=1).run())

    first = threading.Thread(target=slow_run)
    first.start()
    others = []
    for _ in range(3):  # well past the first lease: without renewals each of these would take over and post
        time.sleep(1.4)
        others.append(make_job(SQLiteStore(path), server_now, {"site": site}, lease=lease, request_seconds=1).run())
    first.join()

    assert site.posts == {"sop-h1": 1}
    assert all(r.held == 1 and r.published == 0 for r in others), others
    assert reports[0].published == 1 and reports[0].renewals >= 3
    rows = SQLiteStore(path).read_log("h1")
    assert sum(r["action"] == "channel" and "claimed" in r["note"] for r in rows) >= 4  # the claim + renewals


class Silent:
    """A loopback server that reads a request and never answers (a POST held forever)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.got = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.got.set()
            threading.Thread(target=lambda c=conn: c.recv(1 << 16) and c.recv(1), daemon=True).start()


class HttpChannel(FakeChannel):
    """Posts through ``http.send`` to a server that never answers, like a real channel stuck on its POST."""

    url = ""

    def publish(self, post: Post) -> Result:
        self.calls.append(f"publish {post.key}")
        send(requests.Session(), "POST", self.url, what="post", timeout=(5.0, 60.0), idempotent=False, json={})
        raise AssertionError("the server never answers")


def test_losing_the_claim_cuts_the_request_in_flight_and_writes_nothing(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "h2", ("site",))
    server = Silent()
    chan = HttpChannel("site")
    chan.url = f"http://127.0.0.1:{server.sock.getsockname()[1]}/post"
    lines: list[str] = []
    job = make_job(store, clock, {"site": chan}, lines=lines, heartbeat=0.3)

    def takeover() -> None:  # a person records the channel by hand while the job's POST hangs
        server.got.wait(5)
        Desk(store, now=clock).record_channel(JOB_USER, store.get_item("h2"), "site",
                                              {"status": PUBLISHED, "url": "https://example.org/by-hand"})

    threading.Thread(target=takeover).start()
    started = time.monotonic()
    report = job.run()

    assert time.monotonic() - started < 10  # cut by the lost claim, not by the 60 s request deadline
    assert any("the claim is no longer this run's" in line for line in lines), lines
    assert state(store, "h2", "site")["url"] == "https://example.org/by-hand"  # the job wrote nothing over it
    assert report.published == 0


# -- unknowns resolved by looking ------------------------------------------------------------------------------------


def test_a_lost_answer_is_looked_up_at_once_and_recorded(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "k1", ("wordpress",))
    wp = CopyingChannel("wordpress", script=["sent_lost"])
    report = make_job(store, clock, {"wordpress": wp}).run()
    s = state(store, "k1", "wordpress")
    assert report.published == 1 and report.unknown == 0 and s["status"] == PUBLISHED
    assert wp.calls == ["publish sop-k1", "find sop-k1", "copies sop-k1"] and s["watch_until"]


def test_a_post_applied_late_is_recorded_by_a_later_run_without_a_person(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "k2", ("wordpress",))
    wp = CopyingChannel("wordpress", script=["late"])
    assert make_job(store, clock, {"wordpress": wp}).run().checking == 1
    s = state(store, "k2", "wordpress")
    assert s["status"] == CHECKING and s["settle_at"] == to_iso(T0 + dt.timedelta(minutes=10))
    assert s["where"] == "https://wordpress.example/wp-admin/edit.php?s=sop-k2"
    rev = store.get_item("k2").rev

    clock.advance(minutes=3)
    lines: list[str] = []
    assert make_job(store, clock, {"wordpress": wp}, lines=lines).run().checking == 1  # looked, nothing yet
    assert store.get_item("k2").rev == rev and wp.posts == {}  # no write, no post
    assert "not found yet" in lines[0]

    wp.land()  # the server applies the request the job gave up on
    clock.advance(minutes=3)
    make_job(store, clock, {"wordpress": wp}).run()
    s = state(store, "k2", "wordpress")
    assert s["status"] == PUBLISHED and s["url"] == "https://wordpress.example/sop-k2/"
    assert "settle_at" not in s and "where" not in s
    assert wp.posts == {"sop-k2": 1} and store.get_item("k2").status == sop.PUBLISHED


def test_a_lost_post_still_missing_at_the_settle_time_is_posted_once(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "k3", ("wordpress",))
    wp = CopyingChannel("wordpress", script=["lost"])  # nothing was made
    make_job(store, clock, {"wordpress": wp}).run()
    assert state(store, "k3", "wordpress")["status"] == CHECKING
    clock.advance(minutes=11)
    make_job(store, clock, {"wordpress": wp}).run()
    assert state(store, "k3", "wordpress")["status"] == PUBLISHED and wp.posts == {"sop-k3": 1}
    assert wp.calls[:4] == ["publish sop-k3", "find sop-k3", "find sop-k3", "publish sop-k3"]


def test_a_channel_that_cannot_be_searched_leaves_the_unknown_to_a_person_with_where(store: SQLiteStore,
                                                                                    clock: Clock) -> None:
    add_item(store, "k4", ("telegram",))
    tg = FakeChannel("telegram", searchable=False, script=["late"])
    make_job(store, clock, {"telegram": tg}).run()
    tg.land()
    clock.advance(hours=1)
    make_job(store, clock, {"telegram": tg}).run()
    assert state(store, "k4", "telegram")["status"] == UNKNOWN and tg.posts == {"sop-k4": 1}


def test_a_telegram_message_applied_long_after_the_job_gave_up_is_sent_once_and_left_to_a_person(
        store: SQLiteStore, clock: Clock) -> None:
    """The loopback Bot API holds sendMessage past the request's deadline, then applies it (the ``late`` fault)."""
    add_item(store, "k6", ("telegram",))
    with FakeTelegram() as fake:
        fake.inject(Fault("late", "/sendMessage", delay=3.0))
        tg = TelegramChannel(fake.token, "@dishubkalbar", api_url=fake.base_url, backoff=Backoff(tries=2, base=0),
                             timeout=(1.0, 5.0))  # the 1.5 s deadline of the job's requests comes first
        started = time.monotonic()
        report = make_job(store, clock, {"telegram": tg}, request_seconds=1.5).run()
        assert time.monotonic() - started < 2.5 and report.unknown == 1  # cut at the deadline, not at 3 s
        s = state(store, "k6", "telegram")
        assert s["status"] == UNKNOWN and "tidak ada jawaban dalam 1.5 detik" in s["error"]
        time.sleep(2.5)
        clock.advance(hours=1)
        make_job(store, clock, {"telegram": tg}).run()
        assert len(fake.messages) == 1 and len(fake.requests_to("/sendMessage")) == 1  # applied once, never resent


# -- copies from an abandoned request -------------------------------------------------------------------------------


def abandoned(store: SQLiteStore, clock: Clock, item_id: str, wp: CopyingChannel) -> None:
    """Run A posts, WordPress holds the request, A is killed; A's lease runs out."""
    wp.script.append("crash_inflight")
    with pytest.raises(Crash):
        make_job(store, clock, {"wordpress": wp}).run()
    assert state(store, item_id, "wordpress")["status"] == CLAIMED
    clock.advance(minutes=11)


@pytest.mark.parametrize("mode,action,live", [("trash", "trashed", 1), ("show", "left", 2)])
def test_a_copy_landing_after_the_takeover_is_found_by_a_later_run(store: SQLiteStore, clock: Clock, mode: str,
                                                                   action: str, live: int) -> None:
    add_item(store, "p1", ("wordpress",))
    wp = CopyingChannel("wordpress")
    abandoned(store, clock, "p1", wp)
    make_job(store, clock, {"wordpress": wp}, copies=mode).run()  # B: asks first (nothing), posts
    kept = state(store, "p1", "wordpress")
    assert kept["status"] == PUBLISHED and kept["watch_until"] == to_iso(clock() + dt.timedelta(hours=24))
    wp.land()  # A's request lands: <key>-2
    clock.advance(minutes=5)

    report = make_job(store, clock, {"wordpress": wp}, copies=mode).run()  # C: watch

    s = state(store, "p1", "wordpress")
    [copy] = s["copies"]
    assert report.copies == 1 and s["post_id"] == kept["post_id"]
    assert copy["action"] == action and copy["url"] == "https://wordpress.example/sop-p1-2/"
    assert len(wp.live_posts("sop-p1")) == live
    rev = store.get_item("p1").rev
    make_job(store, clock, {"wordpress": wp}, copies=mode).run()
    assert store.get_item("p1").rev == rev  # nothing new: no write
    if mode == "show":
        wp.trash_copy(Result("published", post_id=copy["post_id"]))  # the publisher takes it down
        clock.advance(days=3)  # long after the watch: a copy left live keeps the post watched
        make_job(store, clock, {"wordpress": wp}, copies=mode).run()
        assert [c["action"] for c in state(store, "p1", "wordpress")["copies"]] == ["removed"]


def test_when_the_abandoned_request_lands_first_the_post_under_the_key_is_kept(store: SQLiteStore,
                                                                               clock: Clock) -> None:
    add_item(store, "p2", ("wordpress",))
    wp = CopyingChannel("wordpress")
    abandoned(store, clock, "p2", wp)

    class LandsFirst(CopyingChannel):
        def publish(self, post: Post) -> Result:
            wp.land()  # between B's lookup and B's post
            return wp.publish(post)

        def find(self, post: Post) -> Result | None:
            return wp.find(post)

        def find_copies(self, post: Post) -> tuple[Result, ...]:
            return wp.find_copies(post)

        def trash_copy(self, copy: Result) -> None:
            wp.trash_copy(copy)

    make_job(store, clock, {"wordpress": LandsFirst("wordpress")}).run()
    s = state(store, "p2", "wordpress")
    [kept] = wp.live_posts("sop-p2")
    assert s["url"] == kept.url == "https://wordpress.example/sop-p2/"  # A's, under the key; ours was the -2
    assert s["copies"][0]["url"] == "https://wordpress.example/sop-p2-2/" and s["copies"][0]["action"] == "trashed"


def test_a_copy_the_channel_refuses_to_trash_is_shown_to_the_publisher(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "p3", ("wordpress",))
    wp = CopyingChannel("wordpress", refuse_trash=True)
    abandoned(store, clock, "p3", wp)
    make_job(store, clock, {"wordpress": wp}).run()
    wp.land()
    make_job(store, clock, {"wordpress": wp}).run()
    [copy] = state(store, "p3", "wordpress")["copies"]
    assert copy["action"] == "left" and "may not delete" in copy["error"]


def test_a_first_post_without_history_is_not_watched(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "p4", ("wordpress",))
    wp = CopyingChannel("wordpress")
    make_job(store, clock, {"wordpress": wp}).run()
    assert "watch_until" not in state(store, "p4", "wordpress") and wp.calls == ["publish sop-p4"]


def test_a_takeover_always_asks_first(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "p5", ("wordpress",))
    claim_by_other(store, clock, "p5", "wordpress", T0 + dt.timedelta(minutes=10))
    clock.advance(minutes=11)
    wp = CopyingChannel("wordpress")
    make_job(store, clock, {"wordpress": wp}).run()
    assert wp.calls == ["find sop-p5", "publish sop-p5", "copies sop-p5"]


# -- a takeover where a late request could not be found afterwards (Facebook) -----------------------------------------


def late_then_dies(store: SQLiteStore, clock: Clock, item_id: str, fb: FakeChannel) -> None:
    """Run A's Facebook request gets no answer in time and the platform holds it (``late``: it is applied later,
    A still alive); A looks, finds nothing, and dies in the store before its ``unknown`` is written (fault
    injection, seed 151). A's claim is left; its lease runs out."""
    fb.script.append("late")
    plan = iter([False, False, True])  # the claim's batch is stored; the process dies before writing the unknown
    with pytest.raises(Crash):
        make_job(CrashingStore(store, lambda: next(plan, False)), clock, {"facebook": fb}).run()  # type: ignore[arg-type]
    assert state(store, item_id, "facebook")["status"] == CLAIMED and len(fb.late) == 1 and fb.posts == {}
    clock.advance(minutes=11)


def test_a_takeover_never_posts_blind_where_a_late_request_could_not_be_found_afterwards(store: SQLiteStore,
                                                                                         clock: Clock) -> None:
    add_item(store, "f1", ("facebook",))
    fb = FakeChannel("facebook")
    late_then_dies(store, clock, "f1", fb)

    [plan] = make_job(store, clock, {"facebook": fb}).plan()
    assert plan.startswith("f1 facebook: would look for it, and mark it unknown if it is not there")
    lines: list[str] = []
    report = make_job(store, clock, {"facebook": fb}, lines=lines).run()  # B takes the claim over
    s = state(store, "f1", "facebook")
    assert report.unknown == 1 and fb.calls == ["publish sop-f1", "find sop-f1", "find sop-f1"]  # B only looked
    assert s["status"] == UNKNOWN and s["error"].startswith("tidak pasti — periksa kanal: proses otomatis sebelumnya")
    assert "mungkin masih diproses" in s["error"] and "Buka kanal facebook" in s["error"]  # why, and what to check
    assert s["watch_until"] == to_iso(clock() + dt.timedelta(hours=24))
    assert any("not posting blind" in line for line in lines)

    fb.land()  # A's request is applied at last
    clock.advance(minutes=5)
    report = make_job(store, clock, {"facebook": fb}).run()  # C: the watch finds it and records it
    s = state(store, "f1", "facebook")
    assert report.resolved == 1 and s["status"] == PUBLISHED and s["post_id"] == "facebook-sop-f1"
    assert fb.posts == {"sop-f1": 1} and store.get_item("f1").status == sop.PUBLISHED


def test_a_facebook_takeover_whose_post_never_appears_is_posted_once_after_a_person_hands_it_back(
        store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "f2", ("facebook",))
    fb = FakeChannel("facebook", script=["crash_before"])  # A dies before sending: B cannot know that
    with pytest.raises(Crash):
        make_job(store, clock, {"facebook": fb}).run()
    clock.advance(minutes=11)
    make_job(store, clock, {"facebook": fb}).run()
    assert state(store, "f2", "facebook")["status"] == UNKNOWN
    clock.advance(hours=1)
    rev = store.get_item("f2").rev
    make_job(store, clock, {"facebook": fb}).run()  # looks again: nothing, no write, no post
    assert store.get_item("f2").rev == rev and fb.calls.count("publish sop-f2") == 1

    person = User("medsos@dishub.go.id", name="Pengelola Medsos", roles=("publisher",))
    store.save_user(person)
    requeue_channel(Desk(store, now=clock), person, store.get_item("f2"), "facebook", "dicek di Page: belum ada")
    make_job(store, clock, {"facebook": fb}).run()
    assert state(store, "f2", "facebook")["status"] == PUBLISHED and fb.posts == {"sop-f2": 1}
    assert store.get_item("f2").status == sop.PUBLISHED


# -- the host lock's holder -----------------------------------------------------------------------------------------


def test_the_holder_is_written_beside_the_lock_and_removed_on_release(tmp_path: Path, clock: Clock) -> None:
    lock = tmp_path / "publish.lock"
    with cli.host_lock(lock, clock, holder="host-a:42:abc"):
        data = json.loads(holder_path(lock).read_text())
        assert data == {"holder": "host-a:42:abc", "host": data["host"], "pid": os.getpid(), "since": to_iso(T0)}
        lines: list[str] = []
        cli.run_once(Config(secrets={"publish": {"lock": str(lock)}}), say=lines.append, now=clock)
        assert f"(run host-a:42:abc on {data['host']}, pid {os.getpid()}, since {to_iso(T0)})" in lines[0]
    assert not holder_path(lock).exists() and lock.exists()


def test_a_stale_holder_of_a_dead_run_is_replaced(tmp_path: Path, clock: Clock) -> None:
    lock = tmp_path / "publish.lock"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_holder(lock, Holder("gone:1:x", "elsewhere", int(dead.stdout), T0))  # left by a run killed with -9
    with cli.host_lock(lock, clock, holder="new:2:y"):
        assert read_holder(lock).holder == "new:2:y"  # type: ignore[union-attr]


CHURN = """
import sys, time
from pathlib import Path
from sopkit.publishing.run import LockHeld, host_lock
lock, done = Path(sys.argv[1]), 0
print("started", flush=True)
while done < int(sys.argv[2]):
    try:
        with host_lock(lock, holder=f"churn:{done}"):
            time.sleep(0.001)
        done += 1
    except LockHeld:  # the reader got it this time
        time.sleep(0.001)
"""


def test_a_reader_never_sees_an_empty_holder_while_another_process_takes_and_releases_the_lock(
        tmp_path: Path) -> None:
    """Issue 17: one "lock held" message of 63 said "holder unknown" (the file was emptied before it was
    written). Another process takes and releases the lock in a tight loop; every refusal here names a holder."""
    lock = tmp_path / "publish.lock"
    proc = subprocess.Popen([sys.executable, "-c", CHURN, str(lock), "400"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    refusals, named = 0, 0
    while proc.poll() is None:
        try:
            with cli.host_lock(lock, holder="reader"):
                pass
        except cli.LockHeld as e:
            refusals += 1
            named += "holder wrote nothing" not in str(e) and "run churn:" in str(e)
        try:
            assert json.loads(holder_path(lock).read_text())["holder"]  # whole, never empty or half-written
        except FileNotFoundError:
            pass  # or absent: between two holders
    assert proc.returncode == 0
    assert refusals > 20 and named == refusals, (refusals, named)


def test_plan_and_report_speak_of_checking(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "k5", ("wordpress",))
    wp = CopyingChannel("wordpress", script=["late"])
    report = make_job(store, clock, {"wordpress": wp}).run()
    assert "1 sedang dicari" in report.summary() and "1 being looked for" in report.summary("en") and not report.ok
    lines = make_job(store, clock, {"wordpress": wp}).plan()
    assert lines[0].startswith("k5 wordpress: would look for it (an answer was lost")
    assert post_key("k5") in lines[0]



def test_a_channels_other_capabilities_are_redacted_too_and_missing_ones_stay_missing() -> None:
    from sopkit.publishing import Redacted

    class Leaky(CopyingChannel):
        def find_copies(self, post: Post) -> tuple[Result, ...]:
            return (Result("published", url="https://wp.example/?token=s3cr3t", post_id="1"),)

        def trash_copy(self, copy: Result) -> None:
            raise PermanentError("HTTP 403 for token s3cr3t")

    wrapped = Redacted(Leaky("wordpress"), ("s3cr3t",))
    assert "s3cr3t" not in wrapped.find_copies(Post("k", "k", "", "", ""))[0].url
    with pytest.raises(PermanentError) as refused:
        wrapped.trash_copy(Result("published", post_id="1"))
    assert "s3cr3t" not in str(refused.value)
    assert "s3cr3t" not in wrapped.manage_url(Post("s3cr3t", "k", "", "", ""))
    assert getattr(Redacted(FakeChannel("telegram"), ()), "find_copies", None) is None
