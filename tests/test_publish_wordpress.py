"""The publish job against a real WordPress on 127.0.0.1 when a request outlives the client (issue 17).

WordPress is made to hold a post's insert (``services/wordpress/hold-posts.php``: it sleeps, then inserts, however
long the client has been gone), which is what the outside chaos run found: a POST applied after its run had
given up or been killed, and a second post ``<key>-2`` live and unknown to the desk. Checked here: the copy
lookup and trash of the channel; a lost answer resolved by looking on a later run; a takeover whose abandoned
request lands later, its copy moved to the trash (the default) or shown to the publisher; and the real command
line killed with SIGKILL while its POST is held.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_channel_wordpress import FAST, Admin, make_post
from test_publish_job import T0, Clock, add_item, claim_by_other, make_job, state

from services.wordpress import WordPressServer
from sopkit import sop
from sopkit.channels.base import OutcomeUnknown, Post, Result
from sopkit.channels.wordpress import WordPressChannel
from sopkit.publishing import CHECKING, CLAIMED, PUBLISHED, post_key
from sopkit.store.base import Change
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ, to_iso

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def admin(wordpress: WordPressServer) -> Admin:  # noqa: F811
    return Admin(wordpress)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "sop.db")
    s.init()
    return s


def channel_for(wp: WordPressServer, **kw: Any) -> WordPressChannel:
    return WordPressChannel(wp.base_url, wp.username, wp.app_password, backoff=kw.pop("backoff", FAST), **kw)


def live(admin: Admin, key: str) -> list[dict[str, Any]]:
    return [p for p in admin.posts_for(key) if p["status"] != "trash"]


def wait_for(what: Callable[[], Any], seconds: float, why: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := what():
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {why}")


def is_held(wp: WordPressServer, key: str, state: str = "held") -> bool:
    """WordPress is holding (``holding``) or has held and applied (``held``) a POST of ``key``."""
    return any(slug == key for slug, _ in wp.holds(state))


def item_for(store: SQLiteStore, publish_at: dt.datetime = T0) -> tuple[str, str]:
    """A due WordPress-only item with a fresh id (the session's WordPress is shared); returns (id, key)."""
    item_id = f"wp-{os.urandom(4).hex()}"
    add_item(store, item_id, ("wordpress",), publish_at=publish_at)
    return item_id, post_key(item_id)


# -- the channel: copies --------------------------------------------------------------------------------------


def test_find_copies_lists_the_post_under_its_key_first_then_its_renamed_copies(
        wordpress: WordPressServer, admin: Admin) -> None:  # noqa: F811
    channel = channel_for(wordpress)
    post = make_post()
    first, second, third = (channel.publish(post) for _ in range(3))  # WordPress renames: <key>-2, <key>-3
    other = admin.post("wp/v2/posts", {"slug": f"{post.key}-9", "title": "Another item", "status": "publish"})
    assert {p["slug"] for p in live(admin, post.key)} >= {post.key, f"{post.key}-2", f"{post.key}-3"}

    found = channel.find_copies(post)

    assert [r.post_id for r in found] == [first.post_id, second.post_id, third.post_id]
    assert str(other["id"]) not in {r.post_id for r in found}  # same slug pattern, another title: not a copy
    assert found[1].url.endswith(f"/{post.key}-2/")


def test_trash_copy_moves_it_to_the_trash_once_and_find_keeps_the_post(
        wordpress: WordPressServer, admin: Admin) -> None:  # noqa: F811
    channel = channel_for(wordpress)
    # a title no other test's post shares: the WordPress is shared by the session, and its search matches words
    post = make_post(title=f"Uji coba {uuid.uuid4().hex[:10]}")
    kept, copy = channel.publish(post), channel.publish(post)

    channel.trash_copy(copy)
    channel.trash_copy(copy)  # already in the trash: done, not an error

    trashed = admin.get(f"wp/v2/posts/{copy.post_id}", context="edit")
    assert trashed["status"] == "trash"
    assert [r.post_id for r in channel.find_copies(post)] == [kept.post_id]
    assert channel.find(post).post_id == kept.post_id  # type: ignore[union-attr]
    assert channel.manage_url(post).startswith(f"{wordpress.base_url}/wp-admin/edit.php?")
    # the link a person is given searches the title: WordPress's search (the admin list's and the REST API's one
    # WP_Query) reads title, excerpt and content, never the slug
    assert [p["id"] for p in admin.get("wp/v2/posts", search=post.title)] == [int(kept.post_id)]
    assert admin.get("wp/v2/posts", search=post.key) == []


# -- the job: a lost answer, found by looking ---------------------------------------------------------------------


def test_a_post_held_past_the_deadline_is_checking_then_found_by_the_next_run(
        wordpress: WordPressServer, admin: Admin, store: SQLiteStore) -> None:  # noqa: F811
    clock = Clock()
    item_id, key = item_for(store)
    wordpress.hold_post(key, 5)
    lines: list[str] = []
    job = make_job(store, clock, {"wordpress": channel_for(wordpress)}, lines=lines, request_seconds=2)

    started = time.monotonic()
    report = job.run()

    assert time.monotonic() - started < 8, lines  # the held POST was cut at its 2 s deadline, not left hanging
    s = state(store, item_id, "wordpress")
    assert s["status"] == CHECKING and report.checking == 1, s
    assert "tidak ada jawaban dalam 2 detik" in s["error"] and s["settle_at"] == to_iso(T0 + dt.timedelta(minutes=10))
    assert s["where"].startswith(f"{wordpress.base_url}/wp-admin/edit.php?")
    assert live(admin, key) == []  # still held inside WordPress

    wait_for(lambda: is_held(wordpress, key), 15, "the held POST to be applied")
    [landed] = live(admin, key)
    clock.advance(minutes=1)  # before the settle time: only looking, never posting
    make_job(store, clock, {"wordpress": channel_for(wordpress)}, request_seconds=2).run()

    s = state(store, item_id, "wordpress")
    assert s["status"] == PUBLISHED and s["post_id"] == str(landed["id"]), s
    assert [p["id"] for p in live(admin, key)] == [landed["id"]]
    assert store.get_item(item_id).status == sop.PUBLISHED


# -- the job: a takeover, and the copy an abandoned request makes --------------------------------------------------


def abandoned_request(wp: WordPressServer, post: Post, hold: float) -> threading.Thread:
    """A run's POST that WordPress holds for ``hold`` s while the run gives up on it after 1 s."""
    wp.hold_post(post.key, hold)
    gives_up = channel_for(wp, timeout=(1.0, 1.0))

    def send() -> None:
        with pytest.raises(OutcomeUnknown):
            gives_up.publish(post)

    thread = threading.Thread(target=send)
    thread.start()
    wait_for(lambda: is_held(wp, post.key, "holding"), 5, "WordPress to hold the POST")
    return thread


@pytest.mark.parametrize("mode", ["trash", "show"])
def test_the_copy_an_abandoned_request_makes_after_a_takeover_is_trashed_or_shown(
        wordpress: WordPressServer, admin: Admin, store: SQLiteStore, mode: str) -> None:  # noqa: F811
    clock = Clock()
    item_id, key = item_for(store)
    claim_by_other(store, clock, item_id, "wordpress", T0 + dt.timedelta(minutes=10))  # run A, then killed
    item = store.get_item(item_id)
    sent = abandoned_request(wordpress, Post(key, item_id, item.title, item.body, item.summary), hold=4)
    clock.advance(minutes=11)  # A's lease ran out; its request is still inside WordPress
    lines: list[str] = []

    make_job(store, clock, {"wordpress": channel_for(wordpress)}, lines=lines, copies=mode).run()  # run B

    s = state(store, item_id, "wordpress")
    assert s["status"] == PUBLISHED and s["watch_until"], (s, lines)
    ours = s["post_id"]
    sent.join(timeout=10)
    wait_for(lambda: is_held(wordpress, key), 10, "the abandoned POST to be applied")
    assert {p["slug"] for p in live(admin, key)} == {key, f"{key}-2"}  # the duplicate the chaos run found

    clock.advance(minutes=5)
    report = make_job(store, clock, {"wordpress": channel_for(wordpress)}, lines=lines, copies=mode).run()  # C

    assert report.copies == 1
    item = store.get_item(item_id)
    s = item.channel_results["wordpress"]
    [copy] = s["copies"]
    assert s["post_id"] == ours and copy["post_id"] != ours and copy["url"].endswith(f"/{key}-2/")
    assert item.status == sop.PUBLISHED  # recorded on the closed item, where the publisher sees it
    assert any(r["action"] == "channel" and "copies" in r["note"] for r in store.read_log(item_id))
    if mode == "trash":
        assert copy["action"] == "trashed"
        assert [p["id"] for p in live(admin, key)] == [int(ours)]
        assert admin.get(f"wp/v2/posts/{copy['post_id']}", context="edit")["status"] == "trash"
    else:
        assert copy["action"] == "left"
        assert len(live(admin, key)) == 2  # the publisher decides
        channel_for(wordpress).trash_copy(Result("published", post_id=copy["post_id"]))  # the publisher, by hand
        clock.advance(minutes=5)
        make_job(store, clock, {"wordpress": channel_for(wordpress)}, copies=mode).run()
        [copy] = state(store, item_id, "wordpress")["copies"]
        assert copy["action"] == "removed"


# -- the real command line, killed while WordPress holds its POST --------------------------------------------------


def test_the_cli_killed_mid_request_leaves_no_duplicate_live(
        wordpress: WordPressServer, admin: Admin, tmp_path: Path) -> None:  # noqa: F811
    secrets = tmp_path / "secrets.toml"
    lock = tmp_path / "publish.lock"
    secrets.write_text(
        f'[register]\npath = "{tmp_path / "sop.db"}"\n[site]\nroot = "{tmp_path / "site"}"\n'
        f'[wordpress]\nbase_url = "{wordpress.base_url}"\nusername = "{wordpress.username}"\n'
        f'app_password = "{wordpress.app_password}"\n[publish]\nlock = "{lock}"\nrequest_seconds = 5\n')
    store = SQLiteStore(tmp_path / "sop.db")
    store.init()
    item_id, key = item_for(store, dt.datetime.now(AGENCY_TZ).replace(microsecond=0) - dt.timedelta(minutes=1))
    env = {**os.environ, "SOPKIT_SECRETS": str(secrets)}

    def cli(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "jobs.publish", "--once", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    wordpress.hold_post(key, 20)
    run_a = cli()
    wait_for(lambda: is_held(wordpress, key, "holding"), 60, "run A's POST to be held")
    holder = json.loads(lock.with_name("publish.lock.holder").read_text())
    assert holder["pid"] == run_a.pid and holder["holder"].startswith(f"{holder['host']}:{run_a.pid}:")
    run_a.send_signal(signal.SIGKILL)  # mid-request: its POST is inside WordPress
    run_a.wait(10)
    s = state(store, item_id, "wordpress")
    assert s["status"] == CLAIMED
    item = store.get_item(item_id)  # ten minutes pass: A's lease runs out
    expired = {**item.channel_results, "wordpress": {**s, "lease_until": to_iso(dt.datetime.now(AGENCY_TZ)
                                                                                 - dt.timedelta(seconds=1))}}
    store.commit(Change(item_id, item.rev, {"channel_results": json.dumps(expired)}))

    out_b = cli().communicate(timeout=120)[0]  # run B takes over: asks first (nothing yet), posts

    assert "published" in out_b, out_b
    assert [p["slug"] for p in live(admin, key)] == [key], out_b
    wait_for(lambda: is_held(wordpress, key), 40, "A's abandoned POST to be applied")
    assert {p["slug"] for p in live(admin, key)} == {key, f"{key}-2"}

    out_c = cli().communicate(timeout=120)[0]  # run C: the copy A's request made goes to the trash

    assert "moved a copy" in out_c, out_c
    [kept] = live(admin, key)
    s = state(store, item_id, "wordpress")
    assert s["post_id"] == str(kept["id"]) and [c["action"] for c in s["copies"]] == ["trashed"]
    assert store.get_item(item_id).status == sop.PUBLISHED and not lock.with_name("publish.lock.holder").exists()
