"""The publish job (issue #4) against SQLite, with in-memory fake channels and the real static website.

What matters for the agency: every due item goes out on each of its channels once and only once, a channel that
cannot be posted shows why on the item, one bad channel never holds back or repeats the others, and a dry run
sends nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from jobs import publish as cli
from sopkit import media, sop
from sopkit.channels.base import CannotSearch, CredentialStatus, OutcomeUnknown, PermanentError, Post, Result
from sopkit.config import Config
from sopkit.publishing import (
    CLAIMED,
    FAILED,
    MANUAL,
    PENDING,
    PUBLISHED,
    UNKNOWN,
    UNKNOWN_TEXT,
    MediaError,
    MediaFolder,
    PublishJob,
    build_channels,
    credential_warnings,
    next_action,
    post_key,
    renditions,
    requeue_channel,
    service_user,
)
from sopkit.retry import Backoff, TransientError
from sopkit.schema import Item, User
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ, to_iso
from sopkit.workflow import Desk, WorkflowError

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)
JOB_USER = service_user("test-host")
FAST = Backoff(tries=3, base=1.0, cap=4.0)


# -- test doubles ---------------------------------------------------------------------------------------------------


class Clock:
    """The server clock, moved by hand; shared by the desk, the job and the leases."""

    def __init__(self, start: dt.datetime = T0):
        self.t = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.t

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.t += dt.timedelta(**delta)


class Crash(BaseException):
    """A process dying at this point: nothing after it runs, nothing catches it (not an Exception)."""


#: What one ``publish`` call does: ok; transient / 429 (refused, nothing made); permanent (refused for good);
#: lost (no answer, nothing made); sent_lost (made, then no answer); 5xx_made / 5xx_not_made (a server error after
#: the request went out, as Graph's code 2: the channel cannot tell which, so both are unknown outcomes);
#: crash_before / crash_after (the job dies); late (no answer, and the platform makes the post later, when
#: :meth:`FakeChannel.land` is called); crash_inflight (the job dies with the request in flight, which the
#: platform applies later, the same way).
Outcome = str


@dataclass
class FakeChannel:
    """A platform in memory: ``posts`` counts what really went out per key, which is what duplicates are about."""

    name: str
    searchable: bool = True
    script: list[Outcome] = field(default_factory=list)  # outcomes of the next publish calls, then "ok"
    chooser: Callable[[], Outcome] | None = None  # or pick each outcome (fault injection)
    find_fails: Callable[[], bool] | None = None
    delay: float = 0.0  # real seconds spent "on the wire" (overlap tests)
    overwrites: bool = False  # a late request rewrites the same page (the website), it makes no second post
    posts: dict[str, int] = field(default_factory=dict)
    late: list[Post] = field(default_factory=list)  # requests given up on that the platform has not applied yet
    results: dict[str, Result] = field(default_factory=dict)
    received: list[Post] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    #: publish calls made while an earlier request of the same key was still on its way (``late``, not applied
    #: yet): a post sent blind, which only a channel that rewrites the same post or lists copies can survive
    blind: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def find(self, post: Post) -> Result | None:
        with self._lock:
            self.calls.append(f"find {post.key}")
        if not self.searchable:
            raise CannotSearch(f"{self.name} cannot be searched")
        if self.find_fails and self.find_fails():
            raise TransientError(f"{self.name} lookup: HTTP 503")
        with self._lock:
            return self.results.get(post.key)

    def publish(self, post: Post) -> Result:
        with self._lock:
            self.calls.append(f"publish {post.key}")
            if any(p.key == post.key for p in self.late):
                self.blind[post.key] = self.blind.get(post.key, 0) + 1
            outcome = self.script.pop(0) if self.script else (self.chooser() if self.chooser else "ok")
        if outcome in ("transient", "429"):
            raise TransientError(f"{self.name}: HTTP {503 if outcome == 'transient' else 429}",
                                 retry_after=2.0 if outcome == "429" else None)
        if outcome == "permanent":
            raise PermanentError(f"{self.name}: HTTP 400 the caption is refused")
        if outcome == "lost":
            raise OutcomeUnknown(f"{self.name}: no answer within 60 s")
        if outcome == "5xx_not_made":
            raise OutcomeUnknown(f"{self.name}: HTTP 500 An unexpected error has occurred")
        if outcome == "crash_before":
            raise Crash(f"{self.name}: died before sending")
        if outcome in ("late", "crash_inflight"):
            with self._lock:
                self.late.append(post)
            if outcome == "late":
                raise OutcomeUnknown(f"{self.name}: no answer within the request's deadline")
            raise Crash(f"{self.name}: died with the request in flight")
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            result = self._make(post)
        if outcome == "sent_lost":
            raise OutcomeUnknown(f"{self.name}: the request was sent but no answer came")
        if outcome == "5xx_made":
            raise OutcomeUnknown(f"{self.name}: HTTP 500 An unexpected error has occurred")
        if outcome == "crash_after":
            raise Crash(f"{self.name}: died after sending")
        return result

    def _make(self, post: Post) -> Result:
        """The post appears on the platform (called under the lock)."""
        self.posts[post.key] = self.posts.get(post.key, 0) + 1
        self.received.append(post)
        result = Result("published", url=f"https://{self.name}.example/{post.key}", post_id=f"{self.name}-{post.key}")
        self.results[post.key] = result
        return result

    def land(self) -> int:
        """The platform applies every request the job gave up on; returns how many it applied."""
        with self._lock:
            landing, self.late = self.late, []
            for post in landing:
                if self.overwrites and post.key in self.results:
                    continue  # the same page written again
                self._make(post)
        return len(landing)

    def check_credentials(self) -> CredentialStatus:
        return CredentialStatus(True, "fake")

    @property
    def duplicates(self) -> dict[str, int]:
        return {k: n for k, n in self.posts.items() if n > 1}


@dataclass
class CopyingChannel(FakeChannel):
    """A platform like WordPress: a second post under a taken key is renamed ``<key>-2`` instead of refused, and
    the copies of a post can be listed and moved to the trash (``duplicates`` counts what is live)."""

    live: dict[str, list[tuple[str, Result]]] = field(default_factory=dict)  # key -> (slug, post), oldest first
    trashed: list[Result] = field(default_factory=list)
    refuse_trash: bool = False
    _ids: list[int] = field(default_factory=lambda: [100])

    def _make(self, post: Post) -> Result:
        self.posts[post.key] = self.posts.get(post.key, 0) + 1
        self.received.append(post)
        taken = {slug for slug, _ in self.live.get(post.key, [])}
        slug = post.key if post.key not in taken else next(f"{post.key}-{n}" for n in range(2, 99)
                                                           if f"{post.key}-{n}" not in taken)
        self._ids[0] += 1
        result = Result("published", url=f"https://{self.name}.example/{slug}/", post_id=str(self._ids[0]))
        self.live.setdefault(post.key, []).append((slug, result))
        return result

    def find(self, post: Post) -> Result | None:
        super().find(post)  # records the call, fails when told to
        with self._lock:
            return next((r for slug, r in self.live.get(post.key, []) if slug == post.key), None)

    def find_copies(self, post: Post) -> tuple[Result, ...]:
        with self._lock:
            self.calls.append(f"copies {post.key}")
            if self.find_fails and self.find_fails():
                raise TransientError(f"{self.name} copy lookup: HTTP 503")
            posts = sorted(self.live.get(post.key, []), key=lambda sr: (sr[0] != post.key, int(sr[1].post_id)))
            return tuple(r for _, r in posts)

    def trash_copy(self, copy: Result) -> None:
        with self._lock:
            self.calls.append(f"trash {copy.post_id}")
            if self.refuse_trash:
                raise PermanentError(f"{self.name}: HTTP 403 you may not delete this post")
            for key, posts in self.live.items():
                self.live[key] = [(slug, r) for slug, r in posts if r.post_id != copy.post_id]
            self.trashed.append(copy)

    def manage_url(self, post: Post) -> str:
        return f"https://{self.name}.example/wp-admin/edit.php?s={post.key}"

    def live_posts(self, key: str) -> list[Result]:
        with self._lock:
            return [r for _, r in self.live.get(key, [])]

    @property
    def duplicates(self) -> dict[str, int]:
        with self._lock:
            return {k: len(v) for k, v in self.live.items() if len(v) > 1}


# -- helpers --------------------------------------------------------------------------------------------------------


def add_item(store: SQLiteStore, item_id: str, channels: tuple[str, ...] = ("site", "telegram"),
             publish_at: dt.datetime = T0, status: str = "scheduled", step: int = 6, **extra: Any) -> Item:
    item = Item(id=item_id, title=f"Judul {item_id}", summary="Ringkasan", category="Berita", channels=channels,
                status=status, step=step, publish_at=publish_at, body="Isi **berita**.",
                created_at=T0 - dt.timedelta(days=1), scheduler="sup@dishub.go.id", **extra)
    store.import_rows([item.to_row() | {"rev": "1"}], [])
    return store.get_item(item_id)


def make_job(store: SQLiteStore, clock: Clock, channels: dict[str, Any], unavailable: dict[str, str] | None = None,
             lines: list[str] | None = None, **kw: Any) -> PublishJob:
    sleeps: list[float] = kw.pop("sleeps", [])
    if "media_root" in kw:
        kw["images"] = MediaFolder(kw.pop("media_root"))
    return PublishJob(Desk(store, now=clock), channels, unavailable, user=JOB_USER,
                      sleep=sleeps.append, say=(lines if lines is not None else []).append,
                      backoff=kw.pop("backoff", FAST), **kw)


def state(store: SQLiteStore, item_id: str, channel: str) -> dict[str, Any]:
    return store.get_item(item_id).channel_results.get(channel, {})


def jpeg(width: int = 1600, height: int = 1000) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (width, height), (30, 90, 160)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "sop.db")
    s.init()
    return s


@pytest.fixture
def clock() -> Clock:
    return Clock()


# -- the decision table ---------------------------------------------------------------------------------------------

LIVE = to_iso(T0 + dt.timedelta(minutes=5))
EXPIRED = to_iso(T0 - dt.timedelta(minutes=1))


@pytest.mark.parametrize("state_,available,expected", [
    (None, None, "claim"),
    ({"status": PENDING, "attempts": 1}, None, "claim"),
    ({"status": MANUAL, "error": "no credentials"}, None, "claim"),  # configured since: the job takes it
    ({"status": PUBLISHED, "url": "u"}, None, "skip"),
    ({"status": FAILED, "error": "400"}, None, "skip"),
    ({"status": UNKNOWN, "error": "x"}, None, "skip"),
    ({"status": CLAIMED, "job": "other", "lease_until": LIVE}, None, "skip"),
    ({"status": CLAIMED, "job": "other", "lease_until": EXPIRED}, None, "claim"),
    ({"status": CLAIMED, "job": "other", "lease_until": EXPIRED}, "no credentials", "unknown"),
    ({"status": CLAIMED, "job": "other", "lease_until": "garbage"}, None, "claim"),
    (None, "no credentials", "manual"),
    ({"status": MANUAL, "error": "no credentials"}, "no credentials", "skip"),  # written once, not every run
    ({"status": MANUAL, "error": "old reason"}, "no credentials", "manual"),
    ({"status": PUBLISHED, "url": "u"}, "no credentials", "skip"),
])
def test_next_action(state_: dict[str, Any] | None, available: str | None, expected: str) -> None:
    action, reason = next_action(state_, available, T0)
    assert action == expected
    assert reason


@pytest.mark.parametrize("item_id,key", [
    ("20261126-ab12cd", "sop-20261126-ab12cd"),
    ("IMPORT 7/2026", "sop-import-7-2026"),
    ("___", "sop-item"),
])
def test_post_key(item_id: str, key: str) -> None:
    assert post_key(item_id) == key


@pytest.mark.parametrize("ref,problem", [
    ({"kind": "image", "path": "/etc/passwd", "name": "x.jpg"}, "Bad media path"),
    ({"kind": "image", "path": "../secrets.toml"}, "Bad media path"),
    ({"kind": "image", "path": "ab/../../x.jpg"}, "Bad media path"),
    ({"kind": "image", "alt": "no path"}, "tidak punya path"),
    ({"kind": "image", "path": "ab/missing.jpg", "name": "foto.jpg"}, "foto.jpg tidak ada di folder media"),
])
def test_bad_media_references_fail_with_the_file_named(tmp_path: Path, ref: dict[str, Any], problem: str) -> None:
    with pytest.raises(MediaError, match=problem):
        renditions(Item(id="x", media=[ref]), "site", tmp_path)


@pytest.mark.parametrize("ref,channel,count", [
    ({"kind": "image"}, "site", 1),
    ({"kind": "image", "use": False}, "site", 0),  # kept for staff, not for the post
    ({"kind": "document", "path": "ab/surat.pdf"}, "site", 0),
    ({"kind": "image", "channels": ["instagram"]}, "site", 0),
    ({"kind": "image", "channels": ["instagram"]}, "instagram", 1),
])
def test_which_media_go_into_a_post(tmp_path: Path, ref: dict[str, Any], channel: str, count: int) -> None:
    saved = media.save(tmp_path, jpeg(), "foto.jpg")
    assert len(renditions(Item(id="x", media=[saved | ref]), channel, tmp_path)) == count


# -- publishing -----------------------------------------------------------------------------------------------------


def test_due_item_goes_out_on_every_channel_and_is_closed_with_a_step6_log_row(store: SQLiteStore,
                                                                               clock: Clock) -> None:
    add_item(store, "a1", ("site", "telegram"))
    site, tg = FakeChannel("site"), FakeChannel("telegram")
    report = make_job(store, clock, {"site": site, "telegram": tg}).run()
    assert (report.published, report.ok) == (2, True)
    item = store.get_item("a1")
    assert item.status == sop.PUBLISHED and item.publisher == JOB_USER.email
    for name in ("site", "telegram"):
        s = item.channel_results[name]
        assert s["status"] == PUBLISHED and s["url"] == f"https://{name}.example/sop-a1" and s["post_id"]
        assert s["key"] == "sop-a1" and s["attempts"] == 1 and s["error"] == ""
    assert site.posts == {"sop-a1": 1} and tg.posts == {"sop-a1": 1}
    publish_rows = [r for r in store.read_log("a1") if r["action"] == "publish"]
    assert len(publish_rows) == 1
    assert (publish_rows[0]["actor"], publish_rows[0]["role"], publish_rows[0]["step"]) == \
        (JOB_USER.email, "publisher", "6")
    assert tg.received[0].link == "https://site.example/sop-a1"  # the website went first, the others link to it


@pytest.mark.parametrize("kwargs", [
    {"publish_at": T0 + dt.timedelta(minutes=1)},  # not yet due
    {"status": "cancelled"},
    {"status": "scheduling", "step": 5},
    {"status": "published"},
])
def test_items_not_due_are_left_alone(store: SQLiteStore, clock: Clock, kwargs: dict[str, Any]) -> None:
    add_item(store, "n1", ("site",), **kwargs)
    site = FakeChannel("site")
    report = make_job(store, clock, {"site": site}).run()
    assert report.published == 0 and site.calls == []
    assert store.get_item("n1").rev == 1


def test_missed_runs_are_caught_up_and_show_late(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "old", ("site",), publish_at=T0 - dt.timedelta(days=3, hours=2))
    add_item(store, "new", ("site",), publish_at=T0 - dt.timedelta(minutes=5))
    lines: list[str] = []
    site = FakeChannel("site")
    make_job(store, clock, {"site": site}, lines=lines).run()
    assert site.posts == {"sop-old": 1, "sop-new": 1}
    assert [p.key for p in site.received] == ["sop-old", "sop-new"]  # oldest first
    assert any("old site: published" in line and "late by 74 h 0 min" in line for line in lines)
    assert not any("new site" in line and "late" in line for line in lines)


def test_dry_run_sends_nothing_and_writes_nothing(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "d1", ("site", "facebook"))
    site = FakeChannel("site")
    log_before = store.read_log()
    job = make_job(store, clock, {"site": site}, {"facebook": "no credentials"})
    lines = job.plan()
    assert site.calls == []
    assert store.get_item("d1").rev == 1 and store.read_log() == log_before
    assert any(line.startswith("d1 site: would publish") and "sop-d1" in line for line in lines)
    assert any(line.startswith("d1 facebook: would leave for a person (no credentials") for line in lines)


def test_channel_without_credentials_waits_visibly_then_goes_out_once_configured(store: SQLiteStore,
                                                                                 clock: Clock) -> None:
    add_item(store, "m1", ("site", "facebook"))
    site, fb = FakeChannel("site"), FakeChannel("facebook")
    reason = "no credentials ([facebook] page_token not set): post by hand"
    report = make_job(store, clock, {"site": site}, {"facebook": reason}).run()
    assert report.manual == 1 and report.ok
    item = store.get_item("m1")
    assert item.status == "scheduled"  # still on the publisher's queue
    assert item.channel_results["facebook"] == item.channel_results["facebook"] | {"status": MANUAL, "error": reason}
    rev = item.rev
    make_job(store, clock, {"site": site}, {"facebook": reason}).run()
    assert store.get_item("m1").rev == rev  # the reason is written once, not on every run
    make_job(store, clock, {"site": site, "facebook": fb}).run()
    assert fb.posts == {"sop-m1": 1} and site.posts == {"sop-m1": 1}
    assert store.get_item("m1").status == sop.PUBLISHED


def test_one_failing_channel_neither_fails_nor_resends_the_others(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "f1", ("site", "wordpress", "telegram"))
    site, wp, tg = FakeChannel("site"), FakeChannel("wordpress", script=["permanent"]), FakeChannel("telegram")
    report = make_job(store, clock, {"site": site, "wordpress": wp, "telegram": tg}).run()
    assert (report.published, report.failed, report.ok) == (2, 1, False)
    assert state(store, "f1", "wordpress")["status"] == FAILED
    assert "caption is refused" in state(store, "f1", "wordpress")["error"]
    assert store.get_item("f1").status == "scheduled"
    make_job(store, clock, {"site": site, "wordpress": wp, "telegram": tg}).run()  # next run: nothing again
    assert site.posts == tg.posts == {"sop-f1": 1} and wp.posts == {}
    assert wp.calls == ["publish sop-f1"]


def test_transient_errors_are_retried_with_backoff_asking_the_channel_first(store: SQLiteStore,
                                                                            clock: Clock) -> None:
    add_item(store, "r1", ("wordpress",))
    wp = FakeChannel("wordpress", script=["transient", "429"])
    sleeps: list[float] = []
    report = make_job(store, clock, {"wordpress": wp}, sleeps=sleeps).run()
    assert report.published == 1 and report.retries == 2
    assert wp.calls == ["publish sop-r1", "find sop-r1", "publish sop-r1", "find sop-r1", "publish sop-r1"]
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1.0 and sleeps[1] == 2.0  # jitter, then Retry-After


def test_a_retry_finds_the_post_a_failed_try_made_after_all(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "r2", ("wordpress",))
    wp = FakeChannel("wordpress", script=["transient"])
    wp.results["sop-r2"] = Result("published", url="https://wordpress.example/earlier", post_id="7")
    make_job(store, clock, {"wordpress": wp}).run()
    assert wp.posts == {} and state(store, "r2", "wordpress")["url"] == "https://wordpress.example/earlier"


def test_exhausted_retries_try_again_next_run_then_fail_with_the_reason(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "r3", ("telegram",))
    tg = FakeChannel("telegram", searchable=False, script=["transient"] * 6)
    job = make_job(store, clock, {"telegram": tg}, max_attempts=2)
    assert job.run().pending == 1
    s = state(store, "r3", "telegram")
    assert s["status"] == PENDING and "dicoba lagi pada putaran proses otomatis berikutnya" in s["error"]
    assert "HTTP 503" in s["error"]
    assert make_job(store, clock, {"telegram": tg}, max_attempts=2).run().failed == 1
    s = state(store, "r3", "telegram")
    assert s["status"] == FAILED and s["error"].startswith("berhenti mencoba setelah 2 putaran proses otomatis")
    assert tg.posts == {}


def test_pending_goes_out_on_the_next_run(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "r4", ("wordpress",))
    wp = FakeChannel("wordpress", script=["transient"] * 3)
    make_job(store, clock, {"wordpress": wp}).run()
    assert state(store, "r4", "wordpress")["status"] == PENDING
    make_job(store, clock, {"wordpress": wp}).run()
    assert state(store, "r4", "wordpress")["status"] == PUBLISHED and wp.posts == {"sop-r4": 1}
    assert wp.calls[3] == "find sop-r4"  # a later run asks before it posts


@pytest.mark.parametrize("outcome,posted", [("sent_lost", 1), ("lost", 0)])
def test_outcome_unknown_is_left_for_a_person_and_never_sent_again(store: SQLiteStore, clock: Clock,
                                                                   outcome: str, posted: int) -> None:
    add_item(store, "u1", ("facebook",))
    fb = FakeChannel("facebook", searchable=False, script=[outcome])
    assert make_job(store, clock, {"facebook": fb}).run().unknown == 1
    s = state(store, "u1", "facebook")
    assert s["status"] == UNKNOWN and s["error"].startswith(UNKNOWN_TEXT)
    assert "Buka kanal facebook" in s["error"]  # and what to check, where
    clock.advance(hours=2)
    make_job(store, clock, {"facebook": fb}).run()
    assert fb.calls == ["publish sop-u1", "find sop-u1"] and sum(fb.posts.values()) == posted  # looked once


@pytest.mark.parametrize("outcome,posted", [("sent_lost", 1), ("lost", 0)])
def test_an_unknown_outcome_on_a_searchable_channel_is_resolved_by_looking(store: SQLiteStore, clock: Clock,
                                                                           outcome: str, posted: int) -> None:
    add_item(store, "u4", ("facebook",))
    fb = FakeChannel("facebook", searchable=True, script=[outcome])
    report = make_job(store, clock, {"facebook": fb}).run()
    s = state(store, "u4", "facebook")
    assert fb.calls == ["publish sop-u4", "find sop-u4"] and sum(fb.posts.values()) == posted
    if posted:  # it was made: found by looking, recorded, no person needed
        assert (report.resolved, report.unknown, s["status"]) == (1, 0, PUBLISHED)
        assert s["url"] == fb.results["sop-u4"].url
    else:  # not found right after: it may still appear, so it waits for a person and is never re-sent here
        assert (report.resolved, report.unknown, s["status"]) == (0, 1, UNKNOWN)
    make_job(store, clock, {"facebook": fb}).run()
    assert sum(fb.posts.values()) == posted


def test_a_person_hands_an_unknown_channel_back_and_the_job_asks_first(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "u2", ("wordpress",))
    fails = iter([True])  # the lookup right after the lost answer fails: a person must check
    wp = FakeChannel("wordpress", script=["sent_lost"], find_fails=lambda: next(fails, False))
    make_job(store, clock, {"wordpress": wp}).run()
    assert state(store, "u2", "wordpress")["status"] == UNKNOWN
    publisher = User("pub@dishub.go.id", name="Pengelola Medsos", roles=("publisher",))
    store.save_user(publisher)  # every actor is re-checked against the Users table in the commit
    requeue_channel(Desk(store, now=clock), publisher, store.get_item("u2"), "wordpress", "checked the site")
    assert state(store, "u2", "wordpress") | {"status": PENDING, "attempts": 0} == state(store, "u2", "wordpress")
    assert "diserahkan kembali oleh Pengelola Medsos" in state(store, "u2", "wordpress")["error"]
    make_job(store, clock, {"wordpress": wp}).run()
    assert wp.calls == ["publish sop-u2", "find sop-u2", "find sop-u2"]  # asked, found the lost post
    assert wp.posts == {"sop-u2": 1} and state(store, "u2", "wordpress")["status"] == PUBLISHED


@pytest.mark.parametrize("status", [PUBLISHED, CLAIMED, PENDING])
def test_only_failed_or_unknown_channels_can_be_handed_back(store: SQLiteStore, clock: Clock, status: str) -> None:
    item = add_item(store, "u3", ("wordpress",), channel_results={"wordpress": {"status": status, "url": "u"}})
    publisher = User("pub@dishub.go.id", roles=("publisher",))
    with pytest.raises(WorkflowError, match="hanya kanal yang gagal atau tidak pasti"):
        requeue_channel(Desk(store, now=clock), publisher, item, "wordpress", "checked")


# -- claims and leases ----------------------------------------------------------------------------------------------


def claim_by_other(store: SQLiteStore, clock: Clock, item_id: str, channel: str, lease_until: dt.datetime) -> None:
    item = store.get_item(item_id)
    Desk(store, now=clock).record_channel(JOB_USER, item, channel, {
        "status": CLAIMED, "job": "other-host:1:abc", "lease_until": to_iso(lease_until), "attempts": 1,
        "key": post_key(item_id)})


def test_a_live_claim_of_another_run_is_respected(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "c1", ("site",))
    claim_by_other(store, clock, "c1", "site", T0 + dt.timedelta(minutes=10))
    site = FakeChannel("site")
    report = make_job(store, clock, {"site": site}).run()
    assert report.held == 1 and site.calls == []


@pytest.mark.parametrize("name,searchable,already_there,expected,posts", [
    ("site", True, True, PUBLISHED, 0),  # the crashed run did post: recorded, not repeated
    ("facebook", True, True, PUBLISHED, 0),
    ("site", True, False, PUBLISHED, 1),  # not there: post now (a late request rewrites the same page)
    ("wordpress", True, False, PUBLISHED, 1),  # not there: post now (a late copy is found and trashed)
    ("facebook", True, False, UNKNOWN, 0),  # not there yet, maybe still on its way: never posted blind
    ("telegram", False, False, UNKNOWN, 0),  # cannot tell: a person checks
])
def test_an_expired_claim_is_taken_over_only_after_asking_the_channel(
        store: SQLiteStore, clock: Clock, name: str, searchable: bool, already_there: bool, expected: str,
        posts: int) -> None:
    add_item(store, "c2", (name,))
    claim_by_other(store, clock, "c2", name, T0 + dt.timedelta(minutes=10))
    clock.advance(minutes=11)
    chan = (CopyingChannel if name == "wordpress" else FakeChannel)(name, searchable=searchable)
    if already_there:
        chan.results["sop-c2"] = Result("published", url=f"https://{name}.example/earlier", post_id="1")
    make_job(store, clock, {name: chan}).run()
    s = state(store, "c2", name)
    assert s["status"] == expected and sum(chan.posts.values()) == posts
    assert chan.calls[0] == "find sop-c2"
    if expected == UNKNOWN:
        assert s["error"].startswith(UNKNOWN_TEXT) and "tidak selesai" in s["error"]


def test_a_failed_lookup_gives_the_claim_back_for_the_next_run(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "c3", ("wordpress",))
    claim_by_other(store, clock, "c3", "wordpress", T0)
    clock.advance(minutes=1)
    wp = CopyingChannel("wordpress", find_fails=lambda: True)  # WordPress: a late copy would be found
    report = make_job(store, clock, {"wordpress": wp}).run()
    assert report.errors and wp.posts == {}
    s = state(store, "c3", "wordpress")
    assert s["status"] == CLAIMED and "tidak bisa menanyakan" in s["error"] and s["lease_until"] == to_iso(clock())
    wp.find_fails = None
    make_job(store, clock, {"wordpress": wp}).run()
    assert wp.posts == {"sop-c3": 1}


def test_a_crash_after_posting_is_recovered_by_find_without_a_second_post(store: SQLiteStore, clock: Clock) -> None:
    add_item(store, "c4", ("site",))
    site = FakeChannel("site", script=["crash_after"])
    with pytest.raises(Crash):
        make_job(store, clock, {"site": site}).run()
    assert state(store, "c4", "site")["status"] == CLAIMED
    make_job(store, clock, {"site": site}).run()
    assert state(store, "c4", "site")["status"] == CLAIMED  # lease still live: hands off
    clock.advance(minutes=11)
    make_job(store, clock, {"site": site}).run()
    assert state(store, "c4", "site")["status"] == PUBLISHED and site.posts == {"sop-c4": 1}


def test_the_claim_is_rev_checked_so_a_stale_reader_cannot_claim_too(store: SQLiteStore, clock: Clock) -> None:
    stale = add_item(store, "c5", ("site",))
    desk = Desk(store, now=clock)
    desk.record_channel(JOB_USER, stale, "site", {"status": CLAIMED, "job": "a", "lease_until": to_iso(T0)})
    from sopkit.store.base import StaleWrite

    with pytest.raises(StaleWrite):
        desk.record_channel(JOB_USER, stale, "site", {"status": CLAIMED, "job": "b", "lease_until": to_iso(T0)})


@pytest.mark.parametrize("round_", range(5))
def test_overlapping_runs_in_threads_never_double_post(tmp_path: Path, clock: Clock, round_: int) -> None:
    path = tmp_path / "sop.db"
    SQLiteStore(path).init()
    for n in range(6):
        add_item(SQLiteStore(path), f"o{n}", ("site", "wordpress", "telegram"))
    chans = {n: FakeChannel(n, delay=0.002) for n in ("site", "wordpress", "telegram")}
    reports = []

    def run() -> None:
        reports.append(make_job(SQLiteStore(path), clock, chans).run())

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not c.duplicates for c in chans.values())
    assert all(c.posts == {f"sop-o{n}": 1 for n in range(6)} for c in chans.values())
    assert sum(r.published for r in reports) == 18
    final = SQLiteStore(path).read_register().items
    assert all(i.status == sop.PUBLISHED for i in final)


# -- images and the real website ------------------------------------------------------------------------------------


def test_real_site_channel_with_an_image_reference(store: SQLiteStore, clock: Clock, tmp_path: Path) -> None:
    from sopkit.channels.site import SiteChannel

    data = tmp_path / "data"
    ref = media.save(data / "media", jpeg(), "Foto Rapat.JPG") | {"alt": "Rapat koordinasi"}
    add_item(store, "s1", ("site", "instagram"), media=[ref], captions={"instagram": "Caption IG"})
    site = SiteChannel(data / "site", "http://127.0.0.1:8080/")
    ig = FakeChannel("instagram")
    make_job(store, clock, {"site": site, "instagram": ig}, media_root=data / "media").run()
    s = state(store, "s1", "site")
    assert s["status"] == PUBLISHED and s["url"] == "http://127.0.0.1:8080/berita/sop-s1/"
    page = (data / "site" / "berita" / "sop-s1" / "index.html").read_text()
    assert "Judul s1" in page and "Rapat koordinasi" in page
    assert site.find(Post("sop-s1", "s1", "", "", "")) is not None
    image = ig.received[0].images[0]  # Instagram's own rendition, hosted on the website for it to fetch
    assert image.mime == "image/jpeg" and image.alt == "Rapat koordinasi" and ig.received[0].caption == "Caption IG"
    width, height = PILImage.open(io.BytesIO(image.data)).size
    assert 0.8 <= width / height <= 1.91  # cropped into Instagram's aspect range (the source was 1.6:1)
    assert width / height < 1.6
    assert image.public_url and image.public_url.startswith("http://127.0.0.1:8080/berita/sop-s1/")
    assert (data / "site" / "berita" / "sop-s1" / image.public_url.rsplit("/", 1)[1]).is_file()
    assert store.get_item("s1").status == sop.PUBLISHED


def test_a_missing_image_fails_that_channel_with_its_name(store: SQLiteStore, clock: Clock, tmp_path: Path) -> None:
    add_item(store, "s2", ("site",), media=[{"kind": "image", "path": "ab/abcd.jpg", "name": "hilang.jpg"}])
    site = FakeChannel("site")
    make_job(store, clock, {"site": site}, media_root=tmp_path).run()
    s = state(store, "s2", "site")
    assert s["status"] == FAILED and "gambar hilang.jpg tidak ada di folder media" in s["error"] and site.calls == []


# -- configuration and warnings -------------------------------------------------------------------------------------


def test_build_channels_from_the_secrets_file(tmp_path: Path) -> None:
    config = Config(secrets={"site": {"root": str(tmp_path / "site"), "base_url": "https://dishub.kalbarprov.go.id/"},
                             "telegram": {"bot_token": "123:abc", "chat_id": "@dishub"},
                             "facebook": {"page_id": "42"}})
    setup = build_channels(config)
    assert sorted(setup.channels) == ["site", "telegram"]
    assert setup.channels["site"].base_url == "https://dishub.kalbarprov.go.id/"
    assert "page_token" in setup.unavailable["facebook"] and "wordpress" in setup.unavailable
    assert set(setup.unavailable) == {"wordpress", "facebook", "instagram", "x", "manual"}


def test_site_is_the_embedded_default() -> None:
    setup = build_channels(Config(secrets={}))
    site = setup.channels["site"]
    assert site.base_url == "http://127.0.0.1:8080/" and site.root == ROOT / "data" / "site"


NOW = T0


def register_with(*items: Item) -> Any:
    from sopkit.store.base import Register

    return Register(tuple(items))


def due(item_id: str, channels: tuple[str, ...], hours: float) -> Item:
    return Item(id=item_id, channels=channels, status="scheduled", step=6, publish_at=T0 + dt.timedelta(hours=hours))


SITE = {"site": {"base_url": "https://dishub.kalbarprov.go.id/"}}  # a public home page: nothing held back
TG = {"bot_token": "t", "chat_id": "c"}


@pytest.mark.parametrize("secrets,items,expected", [
    ({}, [due("a", ("facebook",), 2)], ["Facebook: no credentials ([facebook] page_id, page_token not set)"]),
    ({}, [], []),  # nothing targets it: no noise
    ({}, [due("a", ("manual", "site"), 2)], []),
    (SITE | {"telegram": TG | {"token_expires": "2026-11-20"}}, [],
     ["Telegram: the token expired on 20 Nov 2026 00:00 WIB"]),
    (SITE | {"telegram": TG | {"token_expires": "2026-12-20"}},
     [due("a", ("telegram",), 24 * 30)], ["Telegram: the token expires on 20 Dec 2026 00:00 WIB, before the next"]),
    (SITE | {"telegram": TG | {"token_expires": "2026-11-30"}}, [],
     ["Telegram: the token expires on 30 Nov 2026 00:00 WIB; renew it before then."]),
    (SITE | {"telegram": TG | {"token_expires": "2027-06-30"}}, [due("a", ("telegram",), 1)], []),
    (SITE | {"telegram": TG | {"token_expires": "soon"}}, [],
     ["Telegram: [telegram] token_expires = 'soon' is not a date"]),
    # a configured channel held back by a private website address is said at once, items or not
    ({"telegram": TG}, [], ["Telegram: held back: Telegram posts carry the website's link, but its address ([site] "
                            "base_url = http://127.0.0.1:8080/) points at this computer itself (loopback)"]),
    ({"instagram": {"ig_user_id": "1", "token": "t", "app_id": "1", "app_secret": "s"}},
     [due("a", ("instagram",), 2)], ["Instagram: held back: Meta fetches Instagram's pictures from the website"]),
    ({"site": {"enabled": False}, "instagram": {"ig_user_id": "1", "token": "t", "app_id": "1", "app_secret": "s"}},
     [due("a", ("instagram",), 2)], ["Instagram: Instagram fetches its pictures from the website, which is "
                                     "switched off"]),
    ({"site": {"base_url": "http://192.168.1.20/"}, "telegram": TG}, [], ["Telegram: held back", ]),
    (SITE | {"facebook": {"page_id": "1", "page_token": "t"}}, [],
     ["Facebook: the token's expiry cannot be checked: set [facebook] app_id and app_secret"]),
    (SITE | {"facebook": {"page_id": "1", "page_token": "t", "app_id": "1", "app_secret": "s",
                          "graph_version": "v21.0"}}, [],
     ["Facebook: Graph API v21.0 ends on 21 Jan 2027; set [facebook] graph_version to v25.0 before then"]),
])
def test_credential_warnings(secrets: dict[str, Any], items: list[Item], expected: list[str]) -> None:
    warnings = credential_warnings(Config(secrets=secrets), register_with(*items), NOW, lang="en")
    assert len(warnings) == len(expected), warnings
    for warning, start in zip(warnings, expected, strict=True):
        assert warning.startswith(start), warning


def test_credential_warnings_are_indonesian_by_default() -> None:
    warnings = credential_warnings(Config(secrets={"telegram": TG | {"token_expires": "2026-11-20"}}),
                                   register_with(due("a", ("telegram",), 2)), NOW)
    assert warnings[0].startswith("Telegram: ditahan: posting Telegram memuat tautan ke situs web")
    assert warnings[1] == ("Telegram: token kedaluwarsa pada 20 Nov 2026 00.00 WIB; perbarui di berkas rahasia "
                           "(1 konten terjadwal menuju kanal ini, yang pertama 26 Nov 2026 12.00 WIB).")


def test_credential_warnings_use_a_live_check_expiry() -> None:
    config = Config(secrets=SITE | {"facebook": {"page_id": "1", "page_token": "t", "app_id": "1", "app_secret": "s"}})
    status = CredentialStatus(True, "ok", expires_at=T0 + dt.timedelta(hours=3))
    warnings = credential_warnings(config, register_with(due("a", ("facebook",), 5)), NOW, {"facebook": status},
                                   lang="en")
    assert warnings == ["Facebook: the token expires on 26 Nov 2026 13:00 WIB, before the next item is due on it "
                        "(1 scheduled item(s) target it, the first due 26 Nov 2026 15:00 WIB); renew it now."]


def test_a_private_website_address_holds_link_and_picture_channels_back(tmp_path: Path) -> None:
    """The default address is right for ``make run`` and wrong for Meta: Instagram would fail with 9004 /
    2207052 and Facebook/Telegram posts would link to 127.0.0.1. The channel is not built; the item waits on the
    publisher's queue with the reason, and goes out once the address is public."""
    secrets = {"site": {"root": str(tmp_path / "site")}, "telegram": {"bot_token": "123:abc", "chat_id": "@x"},
               "instagram": {"ig_user_id": "1", "token": "t"}, "facebook": {"page_id": "1", "page_token": "t"}}
    setup = build_channels(Config(secrets=secrets))
    assert sorted(setup.channels) == ["site"]
    for name in ("telegram", "instagram", "facebook"):
        assert "http://127.0.0.1:8080/" in setup.unavailable[name] and "loopback" in setup.unavailable[name]
    public = build_channels(Config(secrets=secrets | {"site": secrets["site"] | {"base_url": "https://dishub.id/"}}))
    assert sorted(public.channels) == ["facebook", "instagram", "site", "telegram"]


# -- the command line -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("1m", 60), ("5m", 300), ("1h", 3600), ("90", 90)])
def test_parse_every(text: str, seconds: int) -> None:
    assert cli.parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "1d", "soon"])
def test_parse_every_refuses(text: str) -> None:
    with pytest.raises(Exception, match="not an interval"):
        cli.parse_every(text)


def test_loop_runs_now_and_on_schedule_and_survives_a_failing_tick() -> None:
    ticks: list[float] = []

    def tick() -> int:
        ticks.append(time.monotonic())
        return 1  # a failed run: the loop goes on

    assert cli.loop(1, tick, max_ticks=2) == 0
    assert len(ticks) == 2 and 0.9 <= ticks[1] - ticks[0] <= 2.5


PUBLIC_SITE = "https://dishub.kalbarprov.go.id/"


def write_secrets(tmp_path: Path, extra: str = "", site_url: str = "") -> Path:
    path = tmp_path / "secrets.toml"
    site = f'base_url = "{site_url}"\n' if site_url else ""
    path.write_text(f'[register]\npath = "{tmp_path / "sop.db"}"\n[site]\nroot = "{tmp_path / "site"}"\n{site}'
                    f'[publish]\nlock = "{tmp_path / "publish.lock"}"\n{extra}')
    return path


def test_run_once_says_the_lock_is_held_and_exits(tmp_path: Path, clock: Clock) -> None:
    config = Config(secrets={"publish": {"lock": str(tmp_path / "publish.lock")}})
    lines: list[str] = []
    with cli.host_lock(tmp_path / "publish.lock", clock):
        assert cli.run_once(config, say=lines.append, now=clock) == 0
        clock.advance(minutes=45)
        assert cli.run_once(config, say=lines.append, now=clock) == 1
    assert "another publish run holds the lock" in lines[0] and f"pid {os.getpid()}" in lines[0]
    assert "macet?" in lines[1]


def cli_run(secrets: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOPKIT_SECRETS": str(secrets)}
    return subprocess.run([sys.executable, "-m", "jobs.publish", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_cli_once_publishes_to_the_site_and_a_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    secrets = write_secrets(tmp_path)
    store = SQLiteStore(tmp_path / "sop.db")
    store.init()
    now = dt.datetime.now(AGENCY_TZ).replace(microsecond=0)
    add_item(store, "cli1", ("site", "facebook"), publish_at=now - dt.timedelta(minutes=1))
    dry = cli_run(secrets, "--once", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "cli1 site: would publish" in dry.stdout and store.get_item("cli1").rev == 1
    assert "peringatan: Facebook: kredensial belum ada" in dry.stdout
    with cli.host_lock(tmp_path / "publish.lock"):
        held = cli_run(secrets, "--once")
    assert held.returncode == 0 and "another publish run holds the lock" in held.stdout
    assert store.get_item("cli1").rev == 1
    done = cli_run(secrets, "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cli1 site: published http://127.0.0.1:8080/berita/sop-cli1/" in done.stdout
    assert "cli1 facebook: left for the publisher" in done.stdout
    assert (tmp_path / "site" / "berita" / "sop-cli1" / "index.html").is_file()
    assert state(store, "cli1", "site")["status"] == PUBLISHED


def test_cli_exit_code_is_2_when_the_store_is_not_initialised(tmp_path: Path) -> None:
    result = cli_run(write_secrets(tmp_path), "--once")
    assert result.returncode == 2 and "not initialised" in result.stdout


def test_cli_loop_runs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    secrets = write_secrets(tmp_path)
    SQLiteStore(tmp_path / "sop.db").init()
    env = {**os.environ, "SOPKIT_SECRETS": str(secrets)}
    proc = subprocess.Popen([sys.executable, "-m", "jobs.publish", "--loop", "--every", "1m"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        first = [proc.stdout.readline() for _ in range(2)]
        assert "putaran selesai: 0 tayang" in first[1], first
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=20)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "stopping after the current run" in rest



def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("args", [["--check-credentials"], ["--once", "--check-credentials"]])
def test_check_credentials_only_checks_and_never_shows_a_token(tmp_path: Path, args: list[str]) -> None:
    """Issue 11: ``--once --check-credentials`` published a due item. Issue 9: the Graph token came out
    URL-encoded (``input_token=EAA…%7Cx%2By``) in this output, which cron appends to data/publish.log."""
    from urllib.parse import quote, quote_plus

    token = "EAAGm0PX4ZCps|x+y/z="
    graph = f"http://127.0.0.1:{closed_port()}"  # Graph unreachable: the error names the request URL
    secrets = write_secrets(tmp_path, f'[facebook]\npage_id = "42"\npage_token = "{token}"\ngraph_url = "{graph}"\n'
                            'app_id = "42"\napp_secret = "app-s3cret"\n', site_url=PUBLIC_SITE)
    store = SQLiteStore(tmp_path / "sop.db")
    store.init()
    now = dt.datetime.now(AGENCY_TZ).replace(microsecond=0)
    add_item(store, "chk1", ("site", "facebook"), publish_at=now - dt.timedelta(minutes=1))
    result = cli_run(secrets, *args)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # facebook is configured and does not work
    assert "kredensial site: berfungsi" in out
    assert "kredensial facebook: TIDAK BERFUNGSI: Graph API tidak bisa dihubungi" in out
    assert "kredensial x: belum diatur" in out
    for form in (token, quote(token, safe=""), quote_plus(token), "input_token", "access_token", "app-s3cret"):
        assert form not in out, form
    assert store.get_item("chk1").rev == 1 and not (tmp_path / "site" / "berita").exists()  # nothing published
    assert "publish run" not in out and not (tmp_path / "publish.lock").exists()


def test_check_credentials_exit_0_when_every_configured_channel_works(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "sop.db").init()
    result = cli_run(write_secrets(tmp_path), "--check-credentials")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kredensial site: berfungsi" in result.stdout


def test_check_credentials_cannot_loop(tmp_path: Path) -> None:
    result = cli_run(write_secrets(tmp_path), "--loop", "--check-credentials")
    assert result.returncode == 2 and "cannot run with --loop" in result.stderr


def test_run_lines_are_redacted_whatever_produced_them(store: SQLiteStore, clock: Clock, tmp_path: Path) -> None:
    """A channel that puts its token in an error (a bug in a future channel, say) still cannot reach the log."""
    from sopkit.publishing.run import redacting

    lines: list[str] = []
    say = redacting(lines.append, ("s3cr|t+/=",))
    say("telegram: HTTP 500 at https://api.example/bots3cr%7Ct%2B%2F%3D/send?x=1 token s3cr|t+/=")
    assert lines == ["telegram: HTTP 500 at https://api.example/bot***/send?… token ***"]


def test_refs_a_channel_learnt_stay_through_later_claims(store: SQLiteStore, clock: Clock) -> None:
    """An Instagram container id written on a failed try must reach the next try's ``Post.refs`` (and find)."""
    add_item(store, "refs1", ("instagram",), channel_results={"instagram": {
        "status": PENDING, "attempts": 1, "refs": {"container_id": "c-9"}, "key": "sop-refs1"}})
    ig = FakeChannel("instagram")
    seen: list[Post] = []
    original = ig.find

    def find(post: Post) -> Result | None:
        seen.append(post)
        return original(post)

    ig.find = find  # type: ignore[method-assign]
    make_job(store, clock, {"instagram": ig}).run()
    assert seen and seen[0].refs == {"container_id": "c-9"} and ig.received[0].refs == {"container_id": "c-9"}
    assert state(store, "refs1", "instagram")["refs"] == {"container_id": "c-9"}
