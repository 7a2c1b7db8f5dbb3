"""Facebook, Instagram and Telegram channels against loopback fakes of their APIs.

The properties that matter for a government desk: what reaches the platform is exactly what was prepared, an
expired token says so plainly (and says what fixes it), rate limits are waited out as the platform asks, a post
whose answer was lost or that Graph answered with "an unexpected error" is never sent twice — it is looked up
(Facebook's published posts, Instagram's container) or reported as unknown — and nothing goes out that Meta could
not fetch or a reader could not open.

The fakes stand in for Meta and Telegram: they make the post *and then* answer 5xx (as Graph does), refuse
non-public image URLs, refuse ``/debug_token`` without an app token. ``PUBLIC`` is the test's explicit allow-list of
what the fake Meta counts as public, and the channels get the fake's predicate (``is_public=``); production code
has no such switch.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import requests

from fakes import Fault
from fakes import graph_api as g
from fakes import telegram_api as t
from fakes.graph_api import VERSION, FakeGraph
from fakes.telegram_api import FakeTelegram
from sopkit.channels import graph as graph_module
from sopkit.channels.base import CannotSearch, Image, OutcomeUnknown, PermanentError, Post, refs_of
from sopkit.channels.facebook import FacebookChannel
from sopkit.channels.http import TokenRejected, graph_error, telegram_error
from sopkit.channels.instagram import InstagramChannel, caption_problems
from sopkit.channels.telegram import TelegramChannel, message_url
from sopkit.retry import Backoff, RetriesExhausted, Throttled, TransientError

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\r\n--not-a-boundary\r\n\x00\xff\xd9"  # binary-hostile
TIMEOUT = (2.0, 0.3)  # read timeout well under the slow fault's delay
SLOW = 1.0
PUBLIC = {"127.0.0.1:9"}  # where the tests' pictures "are": public for the fake Meta, by the test's own say-so


@dataclass
class Clock:
    """Stands in for time.sleep and on_retry: records every wait and every retry instead of sleeping."""

    sleeps: list[float] = field(default_factory=list)
    retries: list[tuple[int, float, str]] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_retry(self, attempt: int, delay: float, error: TransientError) -> None:
        self.retries.append((attempt, delay, str(error)))


def make_post(*, image: bool = True, caption: str = "SOP Uji KIR terbaru #dishub", public: bool = True,
              url: str = "http://127.0.0.1:9/media/sop-kir.jpg", link: str | None = None) -> Post:
    images = ()
    if image:
        images = (Image(JPEG, "image/jpeg", "sop-kir.jpg", alt="Bagan alur uji KIR",
                        public_url=url if public else None),)
    return Post(
        key="sop-20261126-ab12cd34",
        item_id="ab12cd34",
        title="SOP Uji KIR",
        body_markdown="...",
        caption=caption,
        images=images,
        link=link or "https://dishub.kalbarprov.go.id/berita/sop-20261126-ab12cd34/",
    )


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(public_hosts=set(PUBLIC)) as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    return Clock()


BACKOFF = Backoff(tries=3, base=0.01, cap=0.05)


def facebook(graph: FakeGraph, clock: Clock, token: str | None = None, *, app: bool = True,
             version: str = VERSION) -> FacebookChannel:
    return FacebookChannel(
        graph.page_id,
        token or graph.token,
        graph_url=graph.graph_url,
        backoff=BACKOFF,
        version=version,
        app_id=graph.app_id if app else "",
        app_secret=graph.app_secret if app else "",
        timeout=TIMEOUT,
        sleep=clock.sleep,
        on_retry=clock.on_retry,
        is_public=graph.counts_as_public,
    )


def instagram(graph: FakeGraph, clock: Clock, token: str | None = None, *, app: bool = True) -> InstagramChannel:
    return InstagramChannel(
        graph.ig_user_id,
        token or graph.token,
        graph_url=graph.graph_url,
        backoff=BACKOFF,
        version=VERSION,
        app_id=graph.app_id if app else "",
        app_secret=graph.app_secret if app else "",
        timeout=TIMEOUT,
        sleep=clock.sleep,
        on_retry=clock.on_retry,
        poll_interval=2.0,
        max_polls=4,
        is_public=graph.counts_as_public,
    )


def telegram_channel(fake: FakeTelegram, clock: Clock, chat_id: str = "@dishubkalbar") -> TelegramChannel:
    return TelegramChannel(
        fake.token,
        chat_id,
        api_url=fake.base_url,
        backoff=BACKOFF,
        timeout=TIMEOUT,
        sleep=clock.sleep,
        on_retry=clock.on_retry,
    )


def created(graph: FakeGraph | None = None, tg: FakeTelegram | None = None) -> int:
    """Everything publicly visible on the fakes: Page posts, published IG media, Telegram messages."""
    n = 0
    if graph is not None:
        n += len(graph.posts) + len(graph.media)
    if tg is not None:
        n += len(tg.messages)
    return n


# ---------------------------------------------------------------- happy paths


def test_facebook_photo_post_sends_bytes_message_and_link(graph: FakeGraph, clock: Clock) -> None:
    result = facebook(graph, clock).publish(make_post())

    (req,) = graph.requests_to("/photos")
    assert req.method == "POST"
    assert req.path == f"/{VERSION}/{graph.page_id}/photos"
    assert req.files["source"].data == JPEG
    assert req.files["source"].content_type == "image/jpeg"
    assert req.form["message"] == ("SOP Uji KIR terbaru #dishub\n\n"
                                   "https://dishub.kalbarprov.go.id/berita/sop-20261126-ab12cd34/")
    assert req.form["alt_text_custom"] == "Bagan alur uji KIR"
    assert "access_token" not in req.query  # token in the body, not in URLs that end up in logs
    (post_id,) = graph.posts
    assert graph.posts[post_id]["image"] == JPEG
    assert result.status == "published"
    assert result.post_id == post_id
    assert result.url == f"https://www.facebook.com/{graph.page_id}/posts/{post_id.split('_')[1]}"


def test_facebook_without_image_posts_message_and_link_to_feed(graph: FakeGraph, clock: Clock) -> None:
    result = facebook(graph, clock).publish(make_post(image=False))

    (req,) = graph.requests_to("/feed")
    assert req.form["message"] == "SOP Uji KIR terbaru #dishub"
    assert req.form["link"] == "https://dishub.kalbarprov.go.id/berita/sop-20261126-ab12cd34/"
    assert graph.requests_to("/photos") == []
    assert result.status == "published" and result.post_id in graph.posts


def test_the_graph_version_is_a_setting(graph: FakeGraph, clock: Clock) -> None:
    facebook(graph, clock, version="v26.0").publish(make_post(image=False))
    assert graph.requests_to("/feed")[0].path == f"/v26.0/{graph.page_id}/feed"
    with pytest.raises(PermanentError, match="Unknown path components"):
        facebook(graph, clock, version="v99.0").publish(make_post(image=False))


def test_instagram_publishes_in_two_steps_after_container_is_finished(graph: FakeGraph, clock: Clock) -> None:
    graph.ig_polls_in_progress = 2
    result = instagram(graph, clock).publish(make_post())

    steps = [(r.method, r.path.rsplit("/", 1)[-1]) for r in graph.requests]
    container_id = next(iter(graph.containers))
    media_id = next(iter(graph.media))
    assert steps == [
        ("POST", "media"),
        ("GET", container_id),
        ("GET", container_id),
        ("GET", container_id),
        ("GET", "content_publishing_limit"),  # the quota is read before anything goes out
        ("POST", "media_publish"),
        ("GET", media_id),
    ]
    create = graph.requests[0]
    assert create.form["image_url"] == "http://127.0.0.1:9/media/sop-kir.jpg"
    assert create.form["caption"] == "SOP Uji KIR terbaru #dishub"
    assert create.form["alt_text"] == "Bagan alur uji KIR"
    assert graph.requests[5].form["creation_id"] == container_id
    assert clock.sleeps == [2.0, 2.0]  # two IN_PROGRESS answers, bounded polling at poll_interval
    assert result.status == "published"
    assert result.post_id == media_id
    assert result.url == f"https://www.instagram.com/p/FAKE{media_id}/"
    assert result.refs == {"container_id": container_id, "media_id": media_id}  # kept in the channel result


@pytest.mark.parametrize(
    ("chat_id", "image", "method", "url"),
    [
        ("@dishubkalbar", True, "sendPhoto", "https://t.me/dishubkalbar/101"),
        ("@dishubkalbar", False, "sendMessage", "https://t.me/dishubkalbar/101"),
        ("-1001234567890", False, "sendMessage", "https://t.me/dishubkalbar/101"),  # username from the reply
    ],
)
def test_telegram_happy_paths(
    telegram: FakeTelegram, clock: Clock, chat_id: str, image: bool, method: str, url: str
) -> None:
    result = telegram_channel(telegram, clock, chat_id).publish(make_post(image=image))

    (req,) = telegram.requests
    assert req.path == f"/bot{telegram.token}/{method}"
    assert req.param("chat_id") == chat_id
    expected_text = "SOP Uji KIR terbaru #dishub\n\nhttps://dishub.kalbarprov.go.id/berita/sop-20261126-ab12cd34/"
    if image:
        assert req.files["photo"].data == JPEG
        assert req.files["photo"].filename == "sop-kir.jpg"
        assert req.form["caption"] == expected_text
    else:
        assert req.json == {"chat_id": chat_id, "text": expected_text}
    assert (result.status, result.post_id, result.url) == ("published", "101", url)


@pytest.mark.parametrize(
    ("chat_id", "chat", "url"),
    [
        ("@dishub", {"id": -1001, "type": "channel"}, "https://t.me/dishub/7"),
        ("-1009876", {"id": -1009876, "type": "channel"}, "https://t.me/c/9876/7"),
        ("12345", {"id": 12345, "type": "private"}, ""),
    ],
)
def test_telegram_message_url(chat_id: str, chat: dict[str, Any], url: str) -> None:
    assert message_url(chat_id, {"message_id": 7, "chat": chat}) == url


# ---------------------------------------------------------------- refusals before any request


@pytest.mark.parametrize(
    ("post", "reason"),
    [
        (make_post(caption="a" * 2201), "keterangan 2201 karakter, Instagram membolehkan 2200"),
        (make_post(caption="😀" * 1101), "2202 karakter"),  # emoji count as two UTF-16 units
        (make_post(caption=" ".join(f"#tag{i}" for i in range(31))), "31 tagar, Instagram membolehkan 30"),
        (make_post(caption=" ".join(f"@user{i}" for i in range(21))), "21 sebutan @akun"),
        (make_post(public=False), "belum punya alamat publik"),
        (make_post(image=False), "membutuhkan gambar"),
        (make_post(url="http://127.0.0.1:8080/berita/x/a.jpg"), "loopback.*Meta mengunduh gambar sendiri"),
        (make_post(url="http://10.1.2.3/berita/x/a.jpg"), "jaringan privat"),
    ],
)
def test_instagram_refuses_before_any_request(graph: FakeGraph, clock: Clock, post: Post, reason: str) -> None:
    with pytest.raises(PermanentError, match=reason):
        instagram(graph, clock).publish(post)
    assert graph.requests == []


def test_the_fake_meta_refuses_a_picture_it_cannot_fetch_like_meta(graph: FakeGraph) -> None:
    """Without the desk's early check, Meta itself answers 9004 / 2207052: the fake must too."""
    resp = requests.post(f"{graph.graph_url}/{VERSION}/{graph.ig_user_id}/media", timeout=5, data={
        "image_url": "http://127.0.0.1:8080/berita/x/a.jpg", "caption": "x", "access_token": graph.token})
    error = resp.json()["error"]
    assert (resp.status_code, error["code"], error["error_subcode"]) == (400, 9004, 2207052)
    assert graph.containers == {}


@pytest.mark.parametrize("channel", ["facebook", "telegram"])
def test_a_post_linking_to_a_private_address_is_refused_before_any_request(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    if channel == "telegram":
        ch = TelegramChannel(telegram.token, "@dishubkalbar", api_url=telegram.base_url, backoff=BACKOFF)
    with pytest.raises(PermanentError, match=r"tautan posting http://127.0.0.1:8080/berita/.*\(loopback\)"):
        ch.publish(make_post(link="http://127.0.0.1:8080/berita/sop-1/"))
    assert fake.requests == []


def test_instagram_refuses_png(graph: FakeGraph, clock: Clock) -> None:
    post = make_post()
    png = Image(b"\x89PNG", "image/png", "a.png", public_url="https://example.org/a.png")
    post = Post(post.key, post.item_id, post.title, post.body_markdown, post.caption, images=(png,))
    with pytest.raises(PermanentError, match="JPEG"):
        instagram(graph, clock).publish(post)
    assert graph.requests == []


@pytest.mark.parametrize(
    ("caption", "ok"),
    [("a" * 2200, True), ("#a " * 30, True), ("#a " * 31, False), ("a#b c#d", True), ("x" * 2201, False)],
)
def test_caption_problems_limits(caption: str, ok: bool) -> None:
    assert (caption_problems(caption) == []) is ok


@pytest.mark.parametrize(
    ("image", "caption", "reason"),
    [
        (True, "a" * 1000, "keterangan foto paling banyak 1024 karakter, yang ini 1063"),  # link appended
        (False, "a" * 4090, "pesan paling banyak 4096 karakter"),
        (False, "   ", "tidak ada yang bisa diposting"),
    ],
)
def test_telegram_refuses_oversize_text_before_any_request(
    telegram: FakeTelegram, clock: Clock, image: bool, caption: str, reason: str
) -> None:
    post = make_post(image=image, caption=caption)
    if caption.isspace():
        post = Post(post.key, post.item_id, post.title, post.body_markdown, caption)  # no link either
    with pytest.raises(PermanentError, match=reason):
        telegram_channel(telegram, clock).publish(post)
    assert telegram.requests == []


# ---------------------------------------------------------------- expired token, and what fixes it


@pytest.mark.parametrize(
    ("channel", "inject", "expected"),
    [
        ("facebook", g.expired_token("/photos"), "token kedaluwarsa atau dicabut: buat token baru"),
        ("instagram", g.expired_token("/media"), "token kedaluwarsa atau dicabut: buat token baru"),
        ("facebook", g.expired_token("/photos", subcode=459), "checkpoint.*www.facebook.com.*tidak perlu diganti"),
        ("facebook", g.expired_token("/photos", subcode=492), "peran.*Halaman.*tidak membantu"),
        ("facebook", g.expired_token("/photos", subcode=460), "kata sandi .* diganti"),
        ("telegram", t.unauthorized("/sendPhoto"), "token bot ditolak .*@BotFather"),
    ],
)
def test_expired_token_is_permanent_with_clear_message(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str, inject: Fault, expected: str
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    fake.inject(inject)
    with pytest.raises(TokenRejected, match=expected):
        ch.publish(make_post())
    assert len(fake.requests) == 1  # not retried
    assert clock.retries == []
    assert created(graph, telegram) == 0


def test_wrong_graph_token_reads_as_token_problem(graph: FakeGraph, clock: Clock) -> None:
    with pytest.raises(PermanentError, match="token kedaluwarsa atau dicabut"):
        facebook(graph, clock, token="EAAG-revoked").publish(make_post())


def channel_under_test(
    name: str, graph: FakeGraph, telegram: FakeTelegram, clock: Clock
) -> tuple[FakeGraph | FakeTelegram, Any]:
    if name == "facebook":
        return graph, facebook(graph, clock)
    if name == "instagram":
        return graph, instagram(graph, clock)
    return telegram, telegram_channel(telegram, clock)


# ---------------------------------------------------------------- rate limits


@pytest.mark.parametrize(
    ("channel", "inject", "waited"),
    [
        ("facebook", g.rate_limit(code=4, status=403, path_suffix="/photos"), None),
        ("facebook", g.rate_limit(code=32, status=400, path_suffix="/photos"), None),
        ("instagram", g.rate_limit(code=17, status=400, path_suffix="/media_publish"), None),
        ("instagram", g.rate_limit(code=613, status=400, path_suffix="/media"), None),
        ("telegram", t.flood(retry_after=7, path_suffix="/sendPhoto"), 7.0),
    ],
)
def test_rate_limit_then_success_posts_once(
    graph: FakeGraph,
    telegram: FakeTelegram,
    clock: Clock,
    channel: str,
    inject: Fault,
    waited: float | None,
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    fake.inject(inject)
    result = ch.publish(make_post())

    assert result.status == "published"
    assert len(clock.retries) == 1
    attempt, delay, message = clock.retries[0]
    assert attempt == 1
    assert "dibatasi layanan" in message
    if waited is not None:
        assert delay == waited  # Telegram's parameters.retry_after is obeyed
    else:
        assert 0 <= delay <= BACKOFF.cap
    assert len(fake.requests_to(inject.path_suffix)) == 2
    assert created(graph, telegram) == 1


class Now:
    """A wall clock for the usage pause, moved by hand."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(("usage", "header", "wait"), [
    ({"app_usage": {"call_count": 95, "total_cputime": 10, "total_time": 12}}, "X-App-Usage", 3600.0),
    ({"buc_usage": {"1111": [{"type": "pages", "call_count": 91, "total_cputime": 5, "total_time": 5,
                              "estimated_time_to_regain_access": 0}]}}, "X-Business-Use-Case-Usage", 3600.0),
    ({"buc_usage": {"1111": [{"type": "pages", "call_count": 100, "total_cputime": 5, "total_time": 5,
                              "estimated_time_to_regain_access": 7}]}}, "X-Business-Use-Case-Usage", 420.0),
])
def test_usage_headers_pause_graph_calls_for_the_time_meta_gives(
    graph: FakeGraph, clock: Clock, usage: dict[str, Any], header: str, wait: float
) -> None:
    """Mixpost's ManagesRateLimit: above 90 % stop calling; wait estimated_time_to_regain_access, else an hour."""
    ch = facebook(graph, clock)
    now = Now()
    ch.api.clock = now
    for key, value in usage.items():
        setattr(graph, key, value)
    ch.publish(make_post(image=False))  # the answer carries the header: this post still went out
    sent = len(graph.requests)
    with pytest.raises(RetriesExhausted) as info:
        ch.publish(make_post(image=False, caption="Kedua"))
    assert isinstance(info.value.last, Throttled) and info.value.last.retry_after == pytest.approx(wait)
    assert header in str(info.value.last)
    assert len(graph.requests) == sent and clock.sleeps == []  # refused here, nothing sent, no sleeping
    now.t += wait + 1
    setattr(graph, next(iter(usage)), None)
    assert ch.publish(make_post(image=False, caption="Ketiga")).status == "published"


def test_usage_below_the_limit_changes_nothing(graph: FakeGraph, clock: Clock) -> None:
    graph.app_usage = {"call_count": 90, "total_cputime": 40, "total_time": 60}
    ch = facebook(graph, clock)
    ch.publish(make_post(image=False))
    assert ch.publish(make_post(image=False, caption="Kedua")).status == "published"


def test_a_rate_limit_error_with_regain_time_stops_at_once(graph: FakeGraph, clock: Clock) -> None:
    graph.inject(g.rate_limit(code=80001, status=400, path_suffix="/photos", regain_minutes=30))
    with pytest.raises(RetriesExhausted) as info:
        facebook(graph, clock).publish(make_post())
    assert isinstance(info.value.last, Throttled) and info.value.last.retry_after == 1800
    assert len(graph.requests_to("/photos")) == 1 and created(graph) == 0


def test_instagram_waits_when_the_publishing_quota_is_used_up(graph: FakeGraph, clock: Clock) -> None:
    graph.quota_total = 1
    instagram(graph, clock).publish(make_post())
    with pytest.raises(Throttled, match="1 dari 1") as info:  # the job parks the channel for retry_after
        instagram(graph, clock).publish(make_post(caption="Kedua"))
    assert info.value.retry_after == 3600
    assert len(graph.requests_to("/media_publish")) == 1 and len(graph.media) == 1
    assert refs_of(info.value)["container_id"] in graph.containers  # the next run resumes this container


# ---------------------------------------------------------------- 5xx: Graph and Telegram often made the post


@pytest.mark.parametrize(
    ("channel", "image", "suffix"),
    [("facebook", True, "/photos"), ("facebook", False, "/feed"), ("telegram", True, "/sendPhoto"),
     ("telegram", False, "/sendMessage")],
)
@pytest.mark.parametrize("applied", [True, False])
def test_a_5xx_after_a_create_is_unknown_and_never_retried(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str, image: bool, suffix: str, applied: bool
) -> None:
    """Graph's "An unexpected error has occurred" (code 2, HTTP 500) after it made the photo (koala #699: seven
    copies from a retrying client); the client cannot tell whether it did, so it never sends again."""
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    fake.inject((g.server_error if channel == "facebook" else t.server_error)(suffix, applied=applied), times=5)
    with pytest.raises(OutcomeUnknown, match="galat server"):
        ch.publish(make_post(image=image))
    assert len(fake.requests_to(suffix)) == 1
    assert clock.retries == []
    assert created(graph, telegram) == (1 if applied else 0)


@pytest.mark.parametrize("applied", [True, False])
def test_facebook_finds_what_a_5xx_made_and_nothing_else(graph: FakeGraph, clock: Clock, applied: bool) -> None:
    ch = facebook(graph, clock)
    graph.inject(g.server_error("/photos", applied=applied))
    with pytest.raises(OutcomeUnknown):
        ch.publish(make_post())
    found = ch.find(make_post())
    if applied:
        (post_id,) = graph.posts
        assert found is not None and found.post_id == post_id and "/posts/" in found.url
    else:
        assert found is None


def test_instagram_asks_the_container_after_a_5xx_on_media_publish(graph: FakeGraph, clock: Clock) -> None:
    graph.inject(g.server_error("/media_publish", applied=True))
    result = instagram(graph, clock).publish(make_post())
    (container_id,) = graph.containers
    assert result.status == "published" and result.post_id == f"container:{container_id}"
    assert result.url == "https://www.instagram.com/dishubkalbar/"  # the container does not name its media
    assert len(graph.requests_to("/media_publish")) == 1 and len(graph.media) == 1


def test_instagram_publishes_the_same_container_again_when_it_is_still_finished(
    graph: FakeGraph, clock: Clock
) -> None:
    graph.inject(g.server_error("/media_publish", applied=False))
    result = instagram(graph, clock).publish(make_post())
    assert result.status == "published" and len(graph.containers) == 1 and len(graph.media) == 1
    assert len(graph.requests_to("/media_publish")) == 2 and "FINISHED" in clock.retries[0][2]


def test_instagram_5xx_storm_keeps_the_container_for_the_next_run(graph: FakeGraph, clock: Clock) -> None:
    graph.inject(g.server_error("/media_publish", applied=False), times=BACKOFF.tries + 2)
    with pytest.raises(RetriesExhausted) as info:
        instagram(graph, clock).publish(make_post())
    (container_id,) = graph.containers
    assert refs_of(info.value) == {"container_id": container_id}
    assert len(graph.requests_to("/media_publish")) == BACKOFF.tries and graph.media == {}
    again = instagram(graph, clock).publish(replace(make_post(), refs=refs_of(info.value)))
    assert again.status == "published" and len(graph.containers) == 1  # resumed, no second container


def test_container_creation_5xx_is_retried_because_nothing_is_public(graph: FakeGraph, clock: Clock) -> None:
    graph.inject(g.server_error("/media", applied=False), times=BACKOFF.tries + 2)
    with pytest.raises(RetriesExhausted) as info:
        instagram(graph, clock).publish(make_post())
    assert isinstance(info.value.last, TransientError)
    assert len(graph.requests_to("/media")) == BACKOFF.tries
    assert created(graph) == 0


# ---------------------------------------------------------------- lost answers: outcome unknown, never retried


@pytest.mark.parametrize(
    ("channel", "image", "suffix"),
    [
        ("facebook", True, "/photos"),
        ("facebook", False, "/feed"),
        ("telegram", True, "/sendPhoto"),
        ("telegram", False, "/sendMessage"),
    ],
)
@pytest.mark.parametrize("kind", ["slow", "drop_after"])
def test_lost_answer_after_send_is_unknown_and_posted_exactly_once(
    graph: FakeGraph,
    telegram: FakeTelegram,
    clock: Clock,
    channel: str,
    image: bool,
    suffix: str,
    kind: str,
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    fake.inject(Fault(kind, suffix, delay=SLOW))
    with pytest.raises(OutcomeUnknown, match="posting mungkin sudah dibuat"):
        ch.publish(make_post(image=image))
    assert len(fake.requests_to(suffix)) == 1  # never retried
    assert clock.retries == []
    assert created(graph, telegram) == 1  # the fake applied it: exactly one post exists


@pytest.mark.parametrize("kind", ["slow", "drop_after"])
def test_a_lost_media_publish_answer_is_settled_by_the_container(graph: FakeGraph, clock: Clock, kind: str) -> None:
    graph.inject(Fault(kind, "/media_publish", delay=SLOW))
    result = instagram(graph, clock).publish(make_post())
    assert result.status == "published" and len(graph.media) == 1
    assert len(graph.requests_to("/media_publish")) == 1


def test_a_lost_media_publish_answer_with_an_unreadable_container_is_unknown_with_its_id(
    graph: FakeGraph, clock: Clock
) -> None:
    graph.inject(Fault("drop_after", "/media_publish"))
    ch = instagram(graph, clock)
    original = ch.wait_until_finished

    def then_unreadable(cid: str) -> str:  # once FINISHED, every read of the container fails
        status = original(cid)
        graph.inject(Fault("respond", f"/{cid}", status=500, body=g.graph_error(2, "x")), times=99)
        return status

    ch.wait_until_finished = then_unreadable  # type: ignore[method-assign]
    with pytest.raises(OutcomeUnknown) as info:
        ch.publish(make_post())
    (container_id,) = graph.containers
    assert refs_of(info.value) == {"container_id": container_id}
    assert len(graph.media) == 1  # it did go out; the job looks again with the container id
    graph.faults.clear()
    found = instagram(graph, clock).find(replace(make_post(), refs=refs_of(info.value)))
    assert found is not None and found.refs["container_id"] == container_id


def test_lost_answer_on_instagram_container_is_retried_because_nothing_is_public(
    graph: FakeGraph, clock: Clock
) -> None:
    graph.inject(Fault("slow", "/media", delay=SLOW))
    result = instagram(graph, clock).publish(make_post())
    assert result.status == "published"
    assert len(graph.requests_to("/media")) == 2
    assert len(graph.containers) == 2  # the orphan container expires unpublished on Instagram's side
    assert len(graph.media) == 1


def test_telegram_error_messages_never_show_the_bot_token(telegram: FakeTelegram, clock: Clock) -> None:
    telegram.inject(Fault("drop_after", "/sendPhoto"))
    with pytest.raises(OutcomeUnknown) as info:
        telegram_channel(telegram, clock).publish(make_post())
    assert telegram.token not in str(info.value)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("channel", ["facebook", "telegram"])
def test_connection_refused_is_transient_because_nothing_was_sent(clock: Clock, channel: str) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    ch: Any
    if channel == "facebook":
        ch = FacebookChannel("1", "tok", graph_url=base, backoff=BACKOFF, timeout=TIMEOUT, sleep=clock.sleep)
    else:
        ch = TelegramChannel("9:secret-token", "@x", api_url=base, backoff=BACKOFF, timeout=TIMEOUT, sleep=clock.sleep)
    with pytest.raises(RetriesExhausted, match="tidak bisa tersambung") as info:
        ch.publish(make_post(image=False))
    assert len(clock.sleeps) == BACKOFF.tries - 1
    assert "secret-token" not in str(info.value)


# ---------------------------------------------------------------- Instagram container states


@pytest.mark.parametrize("outcome", ["ERROR", "EXPIRED"])
def test_instagram_container_error_is_permanent_and_nothing_published(
    graph: FakeGraph, clock: Clock, outcome: str
) -> None:
    graph.ig_container_outcome = outcome
    with pytest.raises(PermanentError, match=f"tidak bisa memproses gambar \\({outcome}"):
        instagram(graph, clock).publish(make_post())
    assert graph.requests_to("/media_publish") == []
    assert graph.media == {}


def test_instagram_gives_up_polling_a_container_that_never_finishes(graph: FakeGraph, clock: Clock) -> None:
    graph.ig_polls_in_progress = 99
    with pytest.raises(RetriesExhausted, match="setelah 4 pemeriksaan") as info:
        instagram(graph, clock).publish(make_post())
    assert len(graph.requests) == 1 + 4
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert graph.requests_to("/media_publish") == []
    assert refs_of(info.value)["container_id"] in graph.containers


def test_not_ready_right_after_finished_is_waited_out(graph: FakeGraph, clock: Clock) -> None:
    graph.not_ready_publishes = 2  # 9007 / 2207027 "the media is not ready for publishing, please wait"
    result = instagram(graph, clock).publish(make_post())
    assert result.status == "published" and len(graph.media) == 1
    assert len(graph.requests_to("/media_publish")) == 3 and len(clock.retries) == 2
    assert all("9007/2207027" in r[2] for r in clock.retries)


def test_a_container_not_visible_yet_is_read_again(graph: FakeGraph, clock: Clock) -> None:
    graph.invisible_reads = 2  # 100 / 33 on the first reads of a fresh container
    result = instagram(graph, clock).publish(make_post())
    assert result.status == "published" and len(graph.media) == 1 and len(clock.retries) == 2


def test_media_download_failure_at_creation_is_retried(graph: FakeGraph, clock: Clock) -> None:
    """9004 / 2207052 at container creation: nothing is public, Meta may just not have reached the site."""
    graph.inject(Fault("respond", "/media", status=400,
                       body=g.graph_error(9004, "Only photo or video can be accepted as media type.",
                                          subcode=2207052)))
    result = instagram(graph, clock).publish(make_post())
    assert result.status == "published" and len(graph.requests_to("/media")) == 2
    assert "tidak bisa mengunduh" in clock.retries[0][2] or "belum bisa mengunduh" in clock.retries[0][2]


def test_a_stored_finished_container_is_resumed_not_duplicated(graph: FakeGraph, clock: Clock) -> None:
    ch = instagram(graph, clock)
    graph.inject(Fault("respond", "/media_publish", status=400,
                       body=g.graph_error(100, "(#100) The parameter creation_id is required")))
    with pytest.raises(PermanentError) as info:
        ch.publish(make_post())
    refs = refs_of(info.value)
    result = ch.publish(replace(make_post(), refs=refs))
    assert result.status == "published" and len(graph.containers) == 1 and len(graph.media) == 1


# ---------------------------------------------------------------- find


def test_facebook_find_matches_our_post_by_its_link(graph: FakeGraph, clock: Clock) -> None:
    ch = facebook(graph, clock)
    assert ch.find(make_post()) is None
    other = ch.publish(make_post(image=False, link="https://dishub.kalbarprov.go.id/berita/sop-lain/"))
    mine = ch.publish(make_post())
    found = ch.find(make_post())
    assert found is not None and (found.post_id, found.url) == (mine.post_id, mine.url) != (other.post_id, "")
    req = graph.requests_to("/published_posts")[-1]
    assert "pages_read_engagement" not in req.query and "message" in req.query["fields"]


def test_facebook_find_matches_a_feed_post_by_its_unshimmed_link(graph: FakeGraph, clock: Clock) -> None:
    ch = facebook(graph, clock)
    mine = ch.publish(make_post(image=False))
    found = ch.find(make_post(image=False))
    assert found is not None and found.post_id == mine.post_id


def test_facebook_find_without_a_link_matches_the_exact_message(graph: FakeGraph, clock: Clock) -> None:
    ch = facebook(graph, clock)
    bare = replace(make_post(image=False), link=None, caption="Pengumuman jadwal uji KIR")
    ch.publish(replace(bare, caption="Pengumuman jadwal uji KIR (revisi)"))
    assert ch.find(bare) is None
    mine = ch.publish(bare)
    assert (found := ch.find(bare)) is not None and found.post_id == mine.post_id


def test_facebook_find_pages_through_the_published_posts(graph: FakeGraph, clock: Clock) -> None:
    ch = facebook(graph, clock)
    mine = ch.publish(make_post(image=False))
    for n in range(130):  # later posts push ours onto the second page of 100
        graph.posts[f"{graph.page_id}_9{n:04d}"] = {"kind": "feed", "message": f"lain {n}", "link": None,
                                                    "created": graph.clock()}
    found = ch.find(make_post(image=False))
    assert found is not None and found.post_id == mine.post_id
    assert [r.query.get("after") for r in graph.requests_to("/published_posts")] == [None, "100"]


def test_facebook_without_pages_read_engagement_cannot_search(graph: FakeGraph, clock: Clock) -> None:
    graph.scopes = ("pages_manage_posts",)
    with pytest.raises(CannotSearch, match="pages_read_engagement"):
        facebook(graph, clock).find(make_post())


@pytest.mark.parametrize("channel", ["instagram", "telegram"])
def test_find_cannot_search_without_anything_to_ask(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    with pytest.raises(CannotSearch):
        ch.find(make_post())
    assert fake.requests == []


def test_instagram_find_asks_the_stored_container(graph: FakeGraph, clock: Clock) -> None:
    ch = instagram(graph, clock)
    result = ch.publish(make_post())
    found = ch.find(replace(make_post(), refs=result.refs))
    assert found is not None and found.post_id == result.post_id and found.url == result.url
    graph.containers["77"] = g.Container(graph.ig_user_id, "u", "c", 0, "FINISHED", status_code="FINISHED")
    assert ch.find(replace(make_post(), refs={"container_id": "77"})) is None  # made, never published


# ---------------------------------------------------------------- credentials


def test_debug_token_answers_only_an_app_token(graph: FakeGraph) -> None:
    """What Graph does, and why the old check (the Page token asking about itself) learnt nothing."""
    url = f"{graph.graph_url}/{VERSION}/debug_token"
    mine = requests.get(url, params={"input_token": graph.token, "access_token": graph.token}, timeout=5)
    assert mine.status_code == 400 and "app access token" in mine.json()["error"]["message"]
    app = requests.get(url, params={"input_token": graph.token, "access_token": graph.app_token}, timeout=5)
    assert app.status_code == 200 and app.json()["data"]["is_valid"] is True


@pytest.mark.parametrize(
    ("channel", "changes", "ok", "message"),
    [
        ("facebook", {}, True, "token PAGE berlaku untuk Dinas Perhubungan Kalbar, tidak kedaluwarsa"),
        ("facebook", {"token_expires_at": 4102444800}, True, "kedaluwarsa 1 Jan 2100 07.00 WIB"),
        ("facebook", {"data_access_expires_at": 4102444800}, True, "kedaluwarsa 1 Jan 2100"),
        ("facebook", {"token_expires_at": 1000}, False, "token kedaluwarsa atau dicabut"),
        ("facebook", {"token_type": "USER"}, False, "berjenis USER, padahal yang dibutuhkan PAGE"),
        ("facebook", {"scopes": ("pages_manage_posts",)}, False, "izin token kurang: pages_read_engagement"),
        ("facebook", {"token_valid": False, "token_error_subcode": 459}, False, "checkpoint"),
        ("instagram", {"token_type": "USER"}, True, "berlaku untuk dishubkalbar"),
        ("instagram", {"token_type": "USER", "scopes": ("instagram_basic", "pages_read_engagement")}, False,
         "izin token kurang: instagram_content_publish"),
        ("instagram", {"token_type": "USER", "scopes": ("instagram_basic", "instagram_content_publish")}, False,
         "izin token kurang: pages_read_engagement"),
    ],
)
def test_graph_check_credentials(
    graph: FakeGraph, clock: Clock, channel: str, changes: dict[str, Any], ok: bool, message: str
) -> None:
    for key, value in changes.items():
        setattr(graph, key, value)
    ch = facebook(graph, clock) if channel == "facebook" else instagram(graph, clock)
    status = ch.check_credentials()
    assert status.ok is ok, status.message
    assert message in status.message
    if ok:
        expiring = changes.get("token_expires_at") or changes.get("data_access_expires_at")
        assert (status.expires_at is None) is (not expiring)
    assert all(r.method == "GET" for r in graph.requests)
    if changes.get("token_valid") is not False:  # an invalid token already fails the probe of the Page
        (debug,) = graph.requests_to("/debug_token")
        assert debug.query["access_token"] == graph.app_token


def test_a_page_token_of_another_page_is_refused(graph: FakeGraph, clock: Clock) -> None:
    ch = FacebookChannel("2222", graph.token, graph_url=graph.graph_url, version=VERSION, app_id=graph.app_id,
                         app_secret=graph.app_secret, backoff=BACKOFF)
    graph.page_id, page = "2222", graph.page_id
    graph.token_type = "PAGE"
    original = graph._debug_token

    def other_page(request: Any, token: str) -> Any:
        reply = original(request, token)
        reply.body["data"]["profile_id"] = page
        return reply

    graph._debug_token = other_page  # type: ignore[method-assign]
    status = ch.check_credentials()
    assert not status.ok and f"Halaman lain ({page})" in status.message


def test_without_an_app_token_the_check_says_what_it_could_not_check(graph: FakeGraph, clock: Clock) -> None:
    graph.token_expires_at = 1000  # expired, but only /debug_token could tell
    status = facebook(graph, clock, app=False).check_credentials()
    assert status.ok and "TIDAK bisa diperiksa" in status.message and "app_id" in status.message
    assert "tidak kedaluwarsa" not in status.message and status.expires_at is None
    assert graph.requests_to("/debug_token") == []  # it would only answer #100


def test_graph_check_credentials_with_expired_token(graph: FakeGraph, clock: Clock) -> None:
    graph.inject(g.expired_token())
    status = facebook(graph, clock).check_credentials()
    assert not status.ok and "token kedaluwarsa atau dicabut" in status.message


def test_the_app_secret_never_shows_in_a_credential_message(clock: Clock) -> None:
    ch = FacebookChannel("1", "EAAtok", graph_url=f"http://127.0.0.1:{closed_port()}", app_id="42",
                         app_secret="s3cr+t/app|x", backoff=Backoff(tries=1), sleep=clock.sleep)
    status = ch.check_credentials()
    assert not status.ok and "s3cr" not in status.message and "EAAtok" not in status.message


@pytest.mark.parametrize(
    ("inject", "ok", "message"),
    [(None, True, "bot @sop_desk_bot bisa menjangkau Dishub Kalbar"), (t.unauthorized(), False, "token bot ditolak")],
)
def test_telegram_check_credentials(
    telegram: FakeTelegram, clock: Clock, inject: Fault | None, ok: bool, message: str
) -> None:
    if inject:
        telegram.inject(inject)
    status = telegram_channel(telegram, clock).check_credentials()
    assert status.ok is ok
    assert message in status.message


NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("section", "expected"), [
    ({"app_id": "1", "app_secret": "s"}, []),  # the default version, app token set: nothing to say
    ({"graph_version": "v21.0", "app_id": "1", "app_secret": "s"}, ["Graph API v21.0 berakhir pada 21 Jan 2027"]),
    ({"graph_version": "v20.0", "app_id": "1", "app_secret": "s"}, ["v20.0 sudah berakhir pada 24 Sep 2026"]),
    ({"graph_version": "v23.0", "app_id": "1", "app_secret": "s"}, []),  # ends Oct 2027: more than 90 days
    ({"graph_version": "21", "app_id": "1", "app_secret": "s"}, ["graph_version = 21 bukan versi seperti v25.0"]),
    ({}, ["masa berlaku token tidak bisa diperiksa: isi [facebook] app_id dan app_secret"]),
])
def test_graph_config_warnings(section: dict[str, str], expected: list[str]) -> None:
    warnings = graph_module.config_warnings("facebook", section, NOW, "id")
    assert len(warnings) == len(expected), warnings
    for warning, part in zip(warnings, expected, strict=True):
        assert part in warning


def test_the_default_version_is_one_meta_still_serves() -> None:
    end = graph_module.version_end(graph_module.DEFAULT_VERSION)
    assert end is not None and end - NOW.date() > dt.timedelta(days=365)


# ---------------------------------------------------------------- error mapping, one payload at a time


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    resp.headers.update(headers or {})
    return resp


def graph_body(code: int, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": "m", "type": "OAuthException", "code": code, **extra}}


@pytest.mark.parametrize(
    ("status", "body", "headers", "idempotent", "kind", "retry_after"),
    [
        (400, graph_body(190, error_subcode=463), {}, True, TokenRejected, None),
        (400, graph_body(190, error_subcode=492), {}, False, TokenRejected, None),
        (400, graph_body(4), {}, True, TransientError, None),
        (403, graph_body(17), {}, True, TransientError, None),
        (400, graph_body(32), {"Retry-After": "12"}, True, TransientError, 12.0),
        (400, graph_body(613), {}, True, TransientError, None),
        (400, graph_body(80001), {}, True, TransientError, None),
        (400, graph_body(4), {}, False, TransientError, None),  # a throttled create was refused: safe
        (400, graph_body(9999, is_transient=True), {}, True, TransientError, None),
        (400, graph_body(9999, is_transient=True), {}, False, OutcomeUnknown, None),
        (500, graph_body(2), {}, True, TransientError, None),
        (500, graph_body(2), {}, False, OutcomeUnknown, None),  # koala #699
        (400, graph_body(1), {}, False, OutcomeUnknown, None),
        (400, graph_body(100), {}, True, PermanentError, None),
        (403, graph_body(200), {}, True, PermanentError, None),
        (502, b"<html>Bad gateway</html>", {}, True, TransientError, None),
        (502, b"<html>Bad gateway</html>", {}, False, OutcomeUnknown, None),
        (429, b"", {"Retry-After": "5"}, False, TransientError, 5.0),
        (404, b"", {}, True, PermanentError, None),
    ],
)
def test_graph_error_mapping(
    status: int, body: Any, headers: dict[str, str], idempotent: bool, kind: type[Exception],
    retry_after: float | None
) -> None:
    error = graph_error(response(status, body, headers), "x", idempotent=idempotent)
    assert type(error) is kind
    if isinstance(error, TransientError):
        assert error.retry_after == retry_after


@pytest.mark.parametrize(
    ("status", "body", "idempotent", "kind", "text"),
    [
        (429, t.tg_error(429, "Too Many Requests: retry after 9", retry_after=9), False, TransientError,
         "retry after 9"),
        (401, t.tg_error(401, "Unauthorized"), True, PermanentError, "@BotFather"),
        (403, t.tg_error(403, "Forbidden: bot is not a member"), True, PermanentError, "admin kanal"),
        (400, t.tg_error(400, "Bad Request: chat not found"), True, PermanentError, "chat not found"),
        (400, t.tg_error(400, "Bad Request: group upgraded", migrate_to_chat_id=-100777), True, PermanentError,
         "-100777"),
        (500, t.tg_error(500, "Internal Server Error"), True, TransientError, "Internal"),
        (500, t.tg_error(500, "Internal Server Error"), False, OutcomeUnknown, "Internal"),
        (502, b"<html/>", True, TransientError, "HTTP 502"),
        (502, b"<html/>", False, OutcomeUnknown, "HTTP 502"),
    ],
)
def test_telegram_error_mapping(status: int, body: Any, idempotent: bool, kind: type[Exception], text: str) -> None:
    error = telegram_error(response(status, body), "x", idempotent=idempotent)
    assert isinstance(error, kind)
    assert text in str(error)
    if status == 429:
        assert isinstance(error, TransientError) and error.retry_after == 9


def test_every_channel_says_where_to_look_when_an_outcome_stays_unknown(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock
) -> None:
    from sopkit.channels.wordpress import WordPressChannel

    post = replace(make_post(), refs={"container_id": "77"})
    hints = {name: channel_under_test(name, graph, telegram, clock)[1].where_to_look(post)
             for name in ("facebook", "instagram", "telegram")}
    hints["wordpress"] = WordPressChannel("https://wp.dishub.id", "admin", "x").where_to_look(post)
    assert "https://www.facebook.com/1111" in hints["facebook"] and post.link in hints["facebook"]
    assert "77" in hints["instagram"] and "SOP Uji KIR" in hints["instagram"]
    assert "https://t.me/dishubkalbar" in hints["telegram"]
    wordpress = WordPressChannel("https://wp.dishub.id", "admin", "x")
    # WordPress's admin search reads titles, not slugs: the link searches the title, the text names the slug
    assert wordpress.manage_url(post) in hints["wordpress"] and "s=SOP+Uji+KIR" in hints["wordpress"]
    assert "sop-20261126-ab12cd34" in hints["wordpress"]
    assert all(h.startswith("Buka ") and "serahkan kembali ke proses otomatis" in h for h in hints.values())


def test_a_stored_container_that_cannot_be_read_any_more_is_replaced(graph: FakeGraph, clock: Clock) -> None:
    gone = replace(make_post(), refs={"container_id": "4242"})  # the fake has no such container: 100/33 for ever
    with pytest.raises(CannotSearch, match="4242"):
        instagram(graph, clock).find(gone)
    result = instagram(graph, clock).publish(gone)
    assert result.status == "published" and len(graph.containers) == 1 and "4242" not in graph.containers
