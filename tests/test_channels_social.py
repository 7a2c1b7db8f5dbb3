"""Facebook, Instagram and Telegram channels against loopback fakes of their APIs.

The properties that matter for a government desk: what reaches the platform is exactly what was prepared, an
expired token says so plainly, rate limits are waited out a bounded number of times, and a post whose answer was
lost is reported as unknown -- never sent twice.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from fakes import Fault
from fakes import graph_api as g
from fakes import telegram_api as t
from fakes.graph_api import FakeGraph
from fakes.telegram_api import FakeTelegram
from sopkit.channels.base import CannotSearch, Image, OutcomeUnknown, PermanentError, Post
from sopkit.channels.facebook import FacebookChannel
from sopkit.channels.http import graph_error, telegram_error
from sopkit.channels.instagram import InstagramChannel, caption_problems
from sopkit.channels.telegram import TelegramChannel, message_url
from sopkit.retry import Backoff, RetriesExhausted, TransientError

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\r\n--not-a-boundary\r\n\x00\xff\xd9"  # binary-hostile
TIMEOUT = (2.0, 0.3)  # read timeout well under the slow fault's delay
SLOW = 1.0


@dataclass
class Clock:
    """Stands in for time.sleep and on_retry: records every wait and every retry instead of sleeping."""

    sleeps: list[float] = field(default_factory=list)
    retries: list[tuple[int, float, str]] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_retry(self, attempt: int, delay: float, error: TransientError) -> None:
        self.retries.append((attempt, delay, str(error)))


def make_post(*, image: bool = True, caption: str = "SOP Uji KIR terbaru #dishub", public: bool = True) -> Post:
    images = ()
    if image:
        url = "http://127.0.0.1:9/media/sop-kir.jpg" if public else None
        images = (Image(JPEG, "image/jpeg", "sop-kir.jpg", alt="Bagan alur uji KIR", public_url=url),)
    return Post(
        key="sop-20261126-ab12cd34",
        item_id="ab12cd34",
        title="SOP Uji KIR",
        body_markdown="...",
        caption=caption,
        images=images,
        link="https://dishub.kalbarprov.go.id/sop/uji-kir",
    )


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    return Clock()


BACKOFF = Backoff(tries=3, base=0.01, cap=0.05)


def facebook(graph: FakeGraph, clock: Clock, token: str | None = None) -> FacebookChannel:
    return FacebookChannel(
        graph.page_id,
        token or graph.token,
        graph_url=graph.graph_url,
        backoff=BACKOFF,
        timeout=TIMEOUT,
        sleep=clock.sleep,
        on_retry=clock.on_retry,
    )


def instagram(graph: FakeGraph, clock: Clock, token: str | None = None) -> InstagramChannel:
    return InstagramChannel(
        graph.ig_user_id,
        token or graph.token,
        graph_url=graph.graph_url,
        backoff=BACKOFF,
        timeout=TIMEOUT,
        sleep=clock.sleep,
        on_retry=clock.on_retry,
        poll_interval=2.0,
        max_polls=4,
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
    assert req.files["source"].data == JPEG
    assert req.files["source"].content_type == "image/jpeg"
    assert req.form["message"] == "SOP Uji KIR terbaru #dishub\n\nhttps://dishub.kalbarprov.go.id/sop/uji-kir"
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
    assert req.form["link"] == "https://dishub.kalbarprov.go.id/sop/uji-kir"
    assert graph.requests_to("/photos") == []
    assert result.status == "published" and result.post_id in graph.posts


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
        ("POST", "media_publish"),
        ("GET", media_id),
    ]
    create = graph.requests[0]
    assert create.form["image_url"] == "http://127.0.0.1:9/media/sop-kir.jpg"
    assert create.form["caption"] == "SOP Uji KIR terbaru #dishub"
    assert create.form["alt_text"] == "Bagan alur uji KIR"
    assert graph.requests[4].form["creation_id"] == container_id
    assert clock.sleeps == [2.0, 2.0]  # two IN_PROGRESS answers, bounded polling at poll_interval
    assert result.status == "published"
    assert result.post_id == media_id
    assert result.url == f"https://www.instagram.com/p/FAKE{media_id}/"


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
    expected_text = "SOP Uji KIR terbaru #dishub\n\nhttps://dishub.kalbarprov.go.id/sop/uji-kir"
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
        (make_post(caption="a" * 2201), "2201 characters, Instagram allows 2200"),
        (make_post(caption="😀" * 1101), "2202 characters"),  # emoji count as two UTF-16 units
        (make_post(caption=" ".join(f"#tag{i}" for i in range(31))), "31 hashtags, Instagram allows 30"),
        (make_post(caption=" ".join(f"@user{i}" for i in range(21))), "21 @mentions"),
        (make_post(public=False), "no public URL"),
        (make_post(image=False), "needs an image"),
    ],
)
def test_instagram_refuses_before_any_request(graph: FakeGraph, clock: Clock, post: Post, reason: str) -> None:
    with pytest.raises(PermanentError, match=reason):
        instagram(graph, clock).publish(post)
    assert graph.requests == []


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
        (True, "a" * 1000, "photo caption allows 1024 characters, this one has 1045"),  # link appended
        (False, "a" * 4090, "a message allows 4096 characters"),
        (False, "   ", "nothing to post"),
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


# ---------------------------------------------------------------- expired token


@pytest.mark.parametrize(
    ("channel", "inject", "expected"),
    [
        ("facebook", g.expired_token("/photos"), "token expired, renew it in Settings"),
        ("instagram", g.expired_token("/media"), "token expired, renew it in Settings"),
        ("telegram", t.unauthorized("/sendPhoto"), "bot token rejected .*renew it in Settings"),
    ],
)
def test_expired_token_is_permanent_with_clear_message(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str, inject: Fault, expected: str
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    fake.inject(inject)
    with pytest.raises(PermanentError, match=expected):
        ch.publish(make_post())
    assert len(fake.requests) == 1  # not retried
    assert clock.retries == []
    assert created(graph, telegram) == 0


def test_wrong_graph_token_reads_as_token_problem(graph: FakeGraph, clock: Clock) -> None:
    with pytest.raises(PermanentError, match="renew it in Settings"):
        facebook(graph, clock, token="EAAG-revoked").publish(make_post())


def channel_under_test(
    name: str, graph: FakeGraph, telegram: FakeTelegram, clock: Clock
) -> tuple[FakeGraph | FakeTelegram, Any]:
    if name == "facebook":
        return graph, facebook(graph, clock)
    if name == "instagram":
        return graph, instagram(graph, clock)
    return telegram, telegram_channel(telegram, clock)


# ---------------------------------------------------------------- rate limits and 5xx


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
    assert "rate limited" in message or "Too Many Requests" in message
    if waited is not None:
        assert delay == waited  # Telegram's parameters.retry_after is obeyed
    else:
        assert 0 <= delay <= BACKOFF.cap
    assert len(fake.requests_to(inject.path_suffix)) == 2
    assert created(graph, telegram) == 1


@pytest.mark.parametrize(
    ("channel", "inject"),
    [
        ("facebook", g.server_error("/photos")),
        ("instagram", g.server_error("/media_publish")),
        ("telegram", t.server_error("/sendPhoto")),
    ],
)
def test_server_error_storm_gives_up_after_max_tries(
    graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str, inject: Fault
) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    fake.inject(inject, times=BACKOFF.tries + 2)
    with pytest.raises(RetriesExhausted) as info:
        ch.publish(make_post())
    assert isinstance(info.value.last, TransientError)
    assert len(fake.requests_to(inject.path_suffix)) == BACKOFF.tries
    assert len(clock.retries) == BACKOFF.tries - 1
    assert created(graph, telegram) == 0


# ---------------------------------------------------------------- lost answers: outcome unknown, never retried


@pytest.mark.parametrize(
    ("channel", "image", "suffix"),
    [
        ("facebook", True, "/photos"),
        ("facebook", False, "/feed"),
        ("instagram", True, "/media_publish"),
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
    with pytest.raises(OutcomeUnknown, match="check the channel"):
        ch.publish(make_post(image=image))
    assert len(fake.requests_to(suffix)) == 1  # never retried
    assert clock.retries == []
    assert created(graph, telegram) == 1  # the fake applied it: exactly one post exists


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
    with pytest.raises(RetriesExhausted, match="could not connect") as info:
        ch.publish(make_post(image=False))
    assert len(clock.sleeps) == BACKOFF.tries - 1
    assert "secret-token" not in str(info.value)


# ---------------------------------------------------------------- Instagram container outcomes


@pytest.mark.parametrize("outcome", ["ERROR", "EXPIRED"])
def test_instagram_container_error_is_permanent_and_nothing_published(
    graph: FakeGraph, clock: Clock, outcome: str
) -> None:
    graph.ig_container_outcome = outcome
    with pytest.raises(PermanentError, match=f"could not process the image \\({outcome}"):
        instagram(graph, clock).publish(make_post())
    assert graph.requests_to("/media_publish") == []
    assert graph.media == {}


def test_instagram_gives_up_polling_a_container_that_never_finishes(graph: FakeGraph, clock: Clock) -> None:
    graph.ig_polls_in_progress = 99
    with pytest.raises(RetriesExhausted, match="after 4 checks"):
        instagram(graph, clock).publish(make_post())
    assert len(graph.requests) == 1 + 4
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert graph.requests_to("/media_publish") == []


# ---------------------------------------------------------------- find and credentials


@pytest.mark.parametrize("channel", ["facebook", "instagram", "telegram"])
def test_find_cannot_search(graph: FakeGraph, telegram: FakeTelegram, clock: Clock, channel: str) -> None:
    fake, ch = channel_under_test(channel, graph, telegram, clock)
    with pytest.raises(CannotSearch):
        ch.find(make_post())
    assert fake.requests == []


@pytest.mark.parametrize(
    ("channel", "expires_at", "scopes", "ok", "message"),
    [
        ("facebook", 0, None, True, "token valid for Dinas Perhubungan Kalbar, does not expire"),
        ("facebook", 4102444800, None, True, "expires 2100-01-01 00:00 UTC"),
        ("facebook", 1000, None, False, "token expired, renew it in Settings"),
        ("instagram", 0, None, True, "token valid for dishubkalbar"),
        ("instagram", 0, ("instagram_basic",), False, "lacks permission: instagram_content_publish"),
    ],
)
def test_graph_check_credentials(
    graph: FakeGraph,
    clock: Clock,
    channel: str,
    expires_at: int,
    scopes: tuple[str, ...] | None,
    ok: bool,
    message: str,
) -> None:
    graph.token_expires_at = expires_at
    if scopes is not None:
        graph.scopes = scopes
    ch = facebook(graph, clock) if channel == "facebook" else instagram(graph, clock)
    status = ch.check_credentials()
    assert status.ok is ok
    assert message in status.message
    assert (status.expires_at is None) is (expires_at == 0)
    assert all(r.method == "GET" for r in graph.requests)


def test_graph_check_credentials_with_expired_token(graph: FakeGraph, clock: Clock) -> None:
    graph.inject(g.expired_token())
    status = facebook(graph, clock).check_credentials()
    assert not status.ok and "token expired, renew it in Settings" in status.message


@pytest.mark.parametrize(
    ("inject", "ok", "message"),
    [(None, True, "bot @sop_desk_bot can reach Dishub Kalbar"), (t.unauthorized(), False, "bot token rejected")],
)
def test_telegram_check_credentials(
    telegram: FakeTelegram, clock: Clock, inject: Fault | None, ok: bool, message: str
) -> None:
    if inject:
        telegram.inject(inject)
    status = telegram_channel(telegram, clock).check_credentials()
    assert status.ok is ok
    assert message in status.message


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
    ("status", "body", "headers", "kind", "retry_after"),
    [
        (400, graph_body(190, error_subcode=463), {}, PermanentError, None),
        (400, graph_body(4), {}, TransientError, None),
        (403, graph_body(17), {}, TransientError, None),
        (400, graph_body(32), {"Retry-After": "12"}, TransientError, 12.0),
        (400, graph_body(613), {}, TransientError, None),
        (400, graph_body(80001), {}, TransientError, None),
        (400, graph_body(9999, is_transient=True), {}, TransientError, None),
        (500, graph_body(2), {}, TransientError, None),
        (400, graph_body(100), {}, PermanentError, None),
        (403, graph_body(200), {}, PermanentError, None),
        (502, b"<html>Bad gateway</html>", {}, TransientError, None),
        (429, b"", {"Retry-After": "5"}, TransientError, 5.0),
        (404, b"", {}, PermanentError, None),
    ],
)
def test_graph_error_mapping(
    status: int, body: Any, headers: dict[str, str], kind: type[Exception], retry_after: float | None
) -> None:
    error = graph_error(response(status, body, headers), "x")
    assert isinstance(error, kind)
    if isinstance(error, TransientError):
        assert error.retry_after == retry_after
    else:
        assert not isinstance(error, TransientError)


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (429, t.tg_error(429, "Too Many Requests: retry after 9", retry_after=9), TransientError, "retry after 9"),
        (401, t.tg_error(401, "Unauthorized"), PermanentError, "renew it in Settings"),
        (403, t.tg_error(403, "Forbidden: bot is not a member"), PermanentError, "administrator"),
        (400, t.tg_error(400, "Bad Request: chat not found"), PermanentError, "chat not found"),
        (400, t.tg_error(400, "Bad Request: group upgraded", migrate_to_chat_id=-100777), PermanentError, "-100777"),
        (500, t.tg_error(500, "Internal Server Error"), TransientError, "Internal"),
        (502, b"<html/>", TransientError, "HTTP 502"),
    ],
)
def test_telegram_error_mapping(status: int, body: Any, kind: type[Exception], text: str) -> None:
    error = telegram_error(response(status, body), "x")
    assert isinstance(error, kind)
    assert text in str(error)
    if status == 429:
        assert isinstance(error, TransientError) and error.retry_after == 9
