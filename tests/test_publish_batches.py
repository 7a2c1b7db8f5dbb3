"""A busy publish run writes the store twice (every claim in one batch, every result in one), and is still exactly
once: no post before its claim is stored, a run that dies between a post and its record is taken over by the next
run, an item someone changes meanwhile is decided or written again on what it is now.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from test_publish_job import JOB_USER, Clock, Crash, FakeChannel, add_item, make_job, state

from sopkit import sop
from sopkit.publishing import CLAIMED, PUBLISHED
from sopkit.schema import Item
from sopkit.store.base import Change, StoreError
from sopkit.store.sqlite import SQLiteStore


class CountingStore:
    """The store, counting its commits; ``before_batch`` runs before the n-th ``commit_many`` (another host)."""

    def __init__(self, inner: SQLiteStore):
        self.inner = inner
        self.commits = 0
        self.batches: list[list[str]] = []
        self.before_batch: dict[int, Callable[[], object]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self, change: Change) -> Item:
        self.commits += 1
        return self.inner.commit(change)

    def commit_many(self, changes: Sequence[Change]) -> list[Item | StoreError]:
        self.batches.append([c.item_id for c in changes])
        hook = self.before_batch.pop(len(self.batches), None)
        if hook is not None:
            hook()
        return self.inner.commit_many(changes)


@pytest.fixture
def store(tmp_path) -> SQLiteStore:  # type: ignore[no-untyped-def]
    s = SQLiteStore(tmp_path / "sop.db")
    s.init()
    return s


def due(store: SQLiteStore, n: int, channels: tuple[str, ...] = ("site", "facebook")) -> list[str]:
    return [add_item(store, f"B-{k}", channels).id for k in range(n)]


class Watching(FakeChannel):
    """A channel that runs ``on_publish`` (with the post) before each post goes out."""

    on_publish: Callable[[Any], None] | None = None

    def publish(self, post):  # type: ignore[no-untyped-def]
        if self.on_publish is not None:
            self.on_publish(post)
        return super().publish(post)


def test_every_claim_is_stored_before_any_post_and_a_busy_run_is_two_batches(store: SQLiteStore) -> None:
    ids = due(store, 3)
    counting = CountingStore(store)
    seen: list[dict[str, tuple[str, str]]] = []
    site, facebook = Watching("site"), Watching("facebook")

    def check(post: Any) -> None:  # at every post: every due channel of the run is claimed, in the store
        seen.append({f"{i} {ch}": (state(store, i, ch).get("status"), state(store, i, ch).get("job"))
                     for i in ids for ch in ("site", "facebook")})

    site.on_publish = facebook.on_publish = check
    job = make_job(counting, Clock(), {"site": site, "facebook": facebook})  # type: ignore[arg-type]
    report = job.run()
    assert report.published == 6 and report.ok, report
    assert seen and all(v == (CLAIMED, job.job_id) for snapshot in seen for v in snapshot.values())
    assert len(seen[0]) == 6  # the first post went out with all six claims stored
    assert counting.batches == [ids, ids] and counting.commits == 0  # claims in one batch, results in one
    for i in ids:
        item = store.get_item(i)
        assert item.status == sop.PUBLISHED and item.rev == 3
        assert [r["action"] for r in store.read_log(i)] == ["channel", "channel", "channel", "channel", "publish"]
    assert site.posts == {f"sop-{i.lower()}": 1 for i in ids} == facebook.posts
    assert all(p.link == f"https://site.example/sop-{p.item_id.lower()}" for p in facebook.received)  # held back,
    # the website's result is still what the item's other posts link to


def test_a_post_on_a_channel_that_cannot_be_searched_is_recorded_right_after_it(store: SQLiteStore) -> None:
    """Telegram's posts cannot be looked up, so a claim a dead run left, or a post it did not record, goes to a
    person: such a channel is claimed only when its turn comes, and the item's results are written as soon as its
    Telegram post is out, not with the run's last batch."""
    ids = due(store, 2, ("site", "telegram"))
    counting = CountingStore(store)
    telegram = Watching("telegram", searchable=False)
    recorded: list[str] = []
    telegram.on_publish = lambda post: recorded.extend(
        i for i in ids if i != post.item_id and store.get_item(i).status == sop.PUBLISHED)
    report = make_job(counting, Clock(), {"site": FakeChannel("site"), "telegram": telegram}).run()  # type: ignore
    assert report.published == 4 and report.ok, report
    # the website's claims in one batch; each Telegram channel claimed at its turn (a run dying on another channel
    # leaves it no claim the next run could only hand to a person) and recorded with the item's other results
    assert counting.batches == [ids, [ids[0]], [ids[1]]] and counting.commits == 2
    assert recorded == [ids[0]]  # item 0 was recorded before item 1's Telegram post went out


def test_a_run_that_dies_after_posting_leaves_claims_the_next_run_takes_over(store: SQLiteStore) -> None:
    """Item 0 is out, item 1 is out and the run dies before the results batch: both claims stay, and the next run
    (a lease later) asks the channel first, finds both posts and records them; nothing goes out twice."""
    ids = due(store, 3, ("site",))
    clock = Clock()
    site = FakeChannel("site", script=["ok", "crash_after"])
    with pytest.raises(Crash):
        make_job(store, clock, {"site": site}).run()
    assert [state(store, i, "site").get("status") for i in ids] == [CLAIMED] * 3  # nothing recorded yet
    clock.advance(minutes=11)
    report = make_job(store, clock, {"site": site}).run()
    assert report.published == 3 and report.ok, report
    assert [store.get_item(i).status for i in ids] == [sop.PUBLISHED] * 3
    assert site.posts == {f"sop-{i.lower()}": 1 for i in ids}
    assert site.calls.count("find sop-b-0") == 1 and site.calls.count("find sop-b-1") == 1


def test_an_item_changed_between_claims_and_results_gets_its_results_written_alone(store: SQLiteStore) -> None:
    """A person changes item 1 while the job posts: the results batch is refused for item 1 alone (stale), the
    others land in it, and item 1's result is written again on what it is now; each post went out once."""
    ids = due(store, 3, ("site",))
    counting = CountingStore(store)
    site = Watching("site")

    def person(post: Any) -> None:
        if post.item_id == "B-2":  # during the last post: another writer changes item 1
            item = store.get_item("B-1")
            store.commit(Change("B-1", item.rev, {"last_note": "dicek petugas"}, seen=item))

    site.on_publish = person
    report = make_job(counting, Clock(), {"site": site}).run()  # type: ignore[arg-type]
    assert report.published == 3 and report.ok, report
    assert counting.batches == [ids, ids] and counting.commits == 1  # item 1's result, alone, on the fresh read
    assert [store.get_item(i).status for i in ids] == [sop.PUBLISHED] * 3
    assert store.get_item("B-1").last_note == "dicek petugas"  # the person's change stands
    assert site.posts == {f"sop-{i.lower()}": 1 for i in ids}


def test_an_item_changed_before_the_claims_batch_is_decided_again_and_the_others_claimed(store: SQLiteStore) -> None:
    """Another host claims item 1 between this run's read and its claims batch: the batch claims items 0 and 2,
    item 1 is decided again on what it is now (held by the other run) and never posted by this one."""
    ids = due(store, 3, ("site",))
    counting = CountingStore(store)

    def other_host() -> None:
        item = store.get_item("B-1")
        results = {"site": {"status": CLAIMED, "job": "other:1:x", "at": "2026-11-26T10:00:00+07:00",
                            "lease_until": "2026-11-26T10:10:00+07:00", "attempts": 1, "key": "sop-b-1"}}
        store.commit(Change("B-1", item.rev, {"channel_results": json.dumps(results)}, seen=item))

    counting.before_batch[1] = other_host
    site = FakeChannel("site")
    report = make_job(counting, Clock(), {"site": site}).run(store.read_register())  # type: ignore[arg-type]
    assert counting.batches == [ids, ["B-0", "B-2"]]  # claims, then the results of the two it holds
    assert report.published == 2 and report.held == 1, report
    assert "sop-b-1" not in site.posts and state(store, "B-1", "site")["job"] == "other:1:x"


def test_results_are_written_before_a_held_back_claim_would_need_renewing(store: SQLiteStore) -> None:
    """Posts that take a while (four minutes each on the server clock, a ten-minute lease): before the second
    post, the first result is written (its claim is down to what a heartbeat renews at) and the second claim is
    renewed to a whole lease before its first request."""
    ids = due(store, 2, ("site",))
    clock = Clock()
    counting = CountingStore(store)
    site = Watching("site")
    at_post: dict[str, tuple[str, dt.datetime]] = {}

    def slow(post: Any) -> None:
        other = ids[1] if post.item_id == ids[0] else ids[0]
        at_post[post.item_id] = (state(store, other, "site").get("status", ""),
                                 dt.datetime.fromisoformat(state(store, post.item_id, "site")["lease_until"]))
        clock.advance(minutes=4)

    site.on_publish = slow
    start = clock()
    report = make_job(counting, clock, {"site": site}, lease=dt.timedelta(minutes=10)).run()  # type: ignore[arg-type]
    assert report.published == 2 and report.ok, report
    assert at_post[ids[1]][0] == PUBLISHED  # the first result was stored before the second post
    assert at_post[ids[1]][1] == start + dt.timedelta(minutes=14)  # renewed at +4 min: a whole lease ahead
    assert counting.batches == [ids, [ids[0]], [ids[1]]] and counting.commits == 1  # the renewal
    assert site.posts == {f"sop-{i.lower()}": 1 for i in ids}
    assert JOB_USER.email in {r["actor"] for r in store.read_log(ids[0])}
