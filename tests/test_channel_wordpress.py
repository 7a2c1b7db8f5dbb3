"""WordPressChannel against a real WordPress on 127.0.0.1 (tests/services/wordpress.py).

Failures the real server will not produce on demand (503, 429, a reply lost after the post was made) are injected
by a requests adapter in front of it, so every retry path still ends on the real site and the tests can count
what really got created there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import requests
import urllib3
from PIL import Image as PILImage
from requests.adapters import HTTPAdapter

from services.wordpress import WordPressServer
from sopkit.channels.base import Image, OutcomeUnknown, PermanentError, Post
from sopkit.channels.wordpress import WordPressChannel
from sopkit.retry import Backoff, RetriesExhausted, TransientError

FAST = Backoff(tries=3, base=0.0, cap=0.0, max_retry_after=60.0)
ALL_STATUSES = "publish,future,draft,pending,private"


# -- helpers ---------------------------------------------------------------------------------------------------


def picture(fmt: str, color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (64, 48), color).save(out, format=fmt)
    return out.getvalue()


def make_post(**changes: Any) -> Post:
    key = f"sop-20261126-{uuid.uuid4().hex[:8]}"
    post = Post(key=key, item_id=key, title="Uji coba", body_markdown="Isi **tebal**.", caption="Ringkas")
    return dataclasses.replace(post, **changes)


class Admin:
    """Direct REST access as the admin, to check what the channel did without trusting the channel."""

    def __init__(self, wp: WordPressServer):
        self.wp = wp
        self.session = requests.Session()
        self.session.auth = (wp.username, wp.app_password)

    def get(self, route: str, **params: str) -> Any:
        resp = self.session.get(f"{self.wp.base_url}/wp-json/{route}", params=params, timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def post(self, route: str, body: Mapping[str, Any]) -> Any:
        resp = self.session.post(f"{self.wp.base_url}/wp-json/{route}", json=body, timeout=30)
        assert resp.status_code in (200, 201), resp.text
        return resp.json()

    def posts_for(self, key: str) -> list[dict[str, Any]]:
        """Every post whose slug is the key or a WordPress-renamed duplicate of it."""
        slugs = ",".join([key] + [f"{key}-{n}" for n in range(2, 6)])
        return list(self.get("wp/v2/posts", slug=slugs, status=ALL_STATUSES, context="edit"))


@pytest.fixture
def admin(wordpress: WordPressServer) -> Admin:  # noqa: F811
    return Admin(wordpress)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def channel(wordpress: WordPressServer, sleeps: list[float]) -> WordPressChannel:  # noqa: F811
    return WordPressChannel(
        wordpress.base_url, wordpress.username, wordpress.app_password, backoff=FAST, sleep=sleeps.append
    )


@dataclasses.dataclass
class Fault:
    """Hit the next ``times`` requests matching method + route end.

    ``kind``: "respond" answers with ``status`` and never reaches WordPress; "after" lets WordPress apply the
    request, then replaces its answer with ``status``; "timeout_after" applies it, then loses the answer;
    "strip" passes the real answer without the headers named in ``strip`` (a cache that drops ``Link``);
    "no_auth" sends the request without its ``Authorization`` header (a CGI/FastCGI host that drops it).
    """

    method: str
    route: str
    kind: str
    status: int = 503
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b'{"code":"injected","message":"injected fault"}'
    times: int = 1
    exact: bool = False  # match the whole path, not its end
    strip: tuple[str, ...] = ()
    hits: int = 0

    def matches(self, request: requests.PreparedRequest) -> bool:
        path = urllib3.util.parse_url(request.url).path or "/"
        route_ok = path == self.route if self.exact else path.endswith(self.route)
        return self.method == request.method and route_ok and self.hits < self.times


class FaultyAdapter(HTTPAdapter):
    def __init__(self, faults: list[Fault]):
        super().__init__()
        self.faults = faults

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for fault in self.faults:
            if fault.matches(request):
                fault.hits += 1
                if fault.kind == "respond":
                    return self._canned(request, fault)
                if fault.kind == "no_auth":
                    request.headers.pop("Authorization", None)
                    return super().send(request, **kwargs)
                real = super().send(request, **kwargs)
                if fault.kind == "strip":
                    for name in fault.strip:
                        real.headers.pop(name, None)
                    return real
                assert real.status_code < 300, real.text
                if fault.kind == "timeout_after":
                    raise requests.exceptions.ReadTimeout("injected: answer lost", request=request)
                return self._canned(request, fault)
        return super().send(request, **kwargs)

    def _canned(self, request: requests.PreparedRequest, fault: Fault) -> requests.Response:
        headers = {"Content-Type": "application/json", **fault.headers}
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(fault.body), headers=headers, status=fault.status, preload_content=False
        )
        return self.build_response(request, raw)


@pytest.fixture
def faulty(wordpress: WordPressServer, sleeps: list[float]) -> Iterator[Callable[..., WordPressChannel]]:  # noqa: F811
    def build(*faults: Fault) -> WordPressChannel:
        session = requests.Session()
        session.mount("http://", FaultyAdapter(list(faults)))
        return WordPressChannel(
            wordpress.base_url,
            wordpress.username,
            wordpress.app_password,
            session=session,
            backoff=FAST,
            sleep=sleeps.append,
        )

    yield build


# -- publishing ------------------------------------------------------------------------------------------------


def test_publish_uploads_images_and_sets_featured_image_category_and_tags(
    wordpress: WordPressServer,  # noqa: F811
    channel: WordPressChannel,
    admin: Admin,
) -> None:
    first = Image(picture("PNG", (200, 30, 30)), "image/png", "Rambu Lalu Lintas.png", alt="Rambu baru di Jl. A")
    second = Image(picture("JPEG", (30, 30, 200)), "image/jpeg", "foto-2.jpeg", alt="Petugas di lokasi")
    post = make_post(images=(first, second), category="Lalu Lintas", tags=("angkutan", "Pontianak"))

    result = channel.publish(post)

    assert result.status == "published"
    wp_post = admin.get(f"wp/v2/posts/{result.post_id}", context="edit")
    assert wp_post["slug"] == post.key
    assert wp_post["status"] == "publish"
    assert wp_post["link"] == result.url
    featured = admin.get(f"wp/v2/media/{wp_post['featured_media']}", context="edit")
    assert featured["alt_text"] == "Rambu baru di Jl. A"
    assert featured["mime_type"] == "image/png"
    served = requests.get(featured["source_url"], timeout=30)
    assert served.status_code == 200 and served.content == first.data
    assert "Petugas di lokasi" in wp_post["content"]["raw"]  # the second image follows the text
    assert [admin.get(f"wp/v2/categories/{c}")["name"] for c in wp_post["categories"]] == ["Lalu Lintas"]
    assert sorted(admin.get(f"wp/v2/tags/{t}")["name"] for t in wp_post["tags"]) == ["Pontianak", "angkutan"]
    page = requests.get(result.url, timeout=30)
    assert page.status_code == 200 and "Uji coba" in page.text


def test_a_body_shows_only_its_own_uploads_on_wordpress(channel: WordPressChannel, admin: Admin) -> None:
    """The same renderer as the website: an own upload points at WordPress's copy, any other picture is dropped
    (WordPress used to keep ``<img>`` of any server, so the article tracked whoever read it)."""
    own = Image(picture("JPEG", (30, 160, 30)), "image/jpeg", "rapat-wordpress.jpg", alt="Rapat", source="rapat.jpg")
    body = "![Suasana rapat](rapat.jpg)\n\n![pelacak](https://tracker.example/p.gif)"
    result = channel.publish(make_post(body_markdown=body, images=(own,)))
    content = admin.get(f"wp/v2/posts/{result.post_id}", context="edit")["content"]["raw"]
    featured = admin.get(f"wp/v2/media/{admin.get(f'wp/v2/posts/{result.post_id}')['featured_media']}")
    assert f'src="{featured["source_url"]}"' in content and 'alt="Suasana rapat"' in content
    assert "tracker.example" not in content and "pelacak" in content


def test_existing_category_and_tags_are_reused_not_duplicated(channel: WordPressChannel, admin: Admin) -> None:
    a = channel.publish(make_post(category="Pelayanan Publik", tags=("ulang",)))
    b = channel.publish(make_post(category="pelayanan publik", tags=("Ulang", "ulang")))

    post_a = admin.get(f"wp/v2/posts/{a.post_id}")
    post_b = admin.get(f"wp/v2/posts/{b.post_id}")
    assert post_a["categories"] == post_b["categories"]
    assert post_a["tags"] == post_b["tags"]
    assert len(admin.get("wp/v2/categories", search="Pelayanan Publik")) == 1


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (dt.timedelta(days=3), "future"),
        (dt.timedelta(hours=-5), "publish"),
        (dt.timedelta(minutes=-3), "publish"),
    ],
)
def test_publish_at_schedules_or_takes_the_real_publish_time(
    channel: WordPressChannel, admin: Admin, offset: dt.timedelta, status: str
) -> None:
    """A future time is scheduled on WordPress; a time that has come (a catch-up after a missed run) is published
    with the moment it really went out, WordPress's own clock: dated at its missed schedule it would sit below
    newer posts and be skipped by feed readers that already polled past that time (the module docstring)."""
    pontianak = dt.timezone(dt.timedelta(hours=7))
    when = (dt.datetime.now(pontianak) + offset).replace(microsecond=0)

    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = channel.publish(make_post(publish_at=when))
    after = dt.datetime.now(dt.UTC)

    wp_post = admin.get(f"wp/v2/posts/{result.post_id}", context="edit")
    assert wp_post["status"] == status
    dated = dt.datetime.fromisoformat(wp_post["date_gmt"]).replace(tzinfo=dt.UTC)
    if status == "future":
        assert dated == when
    else:
        assert before - dt.timedelta(seconds=2) <= dated <= after + dt.timedelta(seconds=2), (dated, when)


def test_markdown_is_stored_as_safe_html(channel: WordPressChannel, admin: Admin) -> None:
    body = "Halo <script>alert(1)</script> **dunia**\n\n[klik](javascript:alert(2))"
    result = channel.publish(make_post(title="<b>Judul</b> & lain", body_markdown=body))

    wp_post = admin.get(f"wp/v2/posts/{result.post_id}", context="edit")
    raw = wp_post["content"]["raw"]
    assert "<script" not in raw and "&lt;script&gt;" in raw
    assert "javascript:" not in raw
    assert "<strong>dunia</strong>" in raw
    assert wp_post["title"]["raw"] == "&lt;b&gt;Judul&lt;/b&gt; &amp; lain"


# -- finding an earlier post (crash between post and write-back) -----------------------------------------------


def test_find_returns_the_post_after_a_crash_and_find_first_does_not_post_twice(
    wordpress: WordPressServer,  # noqa: F811
    channel: WordPressChannel,
    admin: Admin,
) -> None:
    post = make_post()
    assert channel.find(post) is None
    published = channel.publish(post)
    # ... the process dies here, before the result is written back to the Register ...

    restarted = WordPressChannel(wordpress.base_url, wordpress.username, wordpress.app_password, backoff=FAST)
    found = restarted.find(post)
    again = found or restarted.publish(post)

    assert found is not None
    assert (found.post_id, found.url) == (published.post_id, published.url)
    assert again.post_id == published.post_id
    assert [p["id"] for p in admin.posts_for(post.key)] == [int(published.post_id)]


@pytest.mark.parametrize("status", ["draft", "pending", "private", "future"])
def test_find_sees_posts_that_are_not_public(channel: WordPressChannel, admin: Admin, status: str) -> None:
    post = make_post()
    published = channel.publish(post)
    change: dict[str, Any] = {"status": status}
    if status == "future":
        change["date_gmt"] = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    admin.post(f"wp/v2/posts/{published.post_id}", change)

    found = channel.find(post)

    assert found is not None and found.post_id == published.post_id


def test_find_ignores_a_post_whose_slug_only_starts_with_the_key(channel: WordPressChannel) -> None:
    longer = make_post()
    channel.publish(longer)
    assert channel.find(dataclasses.replace(longer, key=longer.key[:-2])) is None


# -- errors ----------------------------------------------------------------------------------------------------


def test_wrong_password_is_permanent_with_a_clear_message(wordpress: WordPressServer) -> None:  # noqa: F811
    bad = WordPressChannel(wordpress.base_url, wordpress.username, "abcd efgh ijkl mnop qrst uvwx", backoff=FAST)

    with pytest.raises(PermanentError, match=r"tidak melihat pengguna yang masuk \(401\)") as info:
        bad.publish(make_post())
    assert "kata sandi aplikasi salah atau dicabut" in str(info.value)  # the cause here, named first
    with pytest.raises(PermanentError, match="401"):
        bad.find(make_post())
    status = bad.check_credentials()
    assert not status.ok and "401" in status.message


def test_check_credentials_ok(channel: WordPressChannel) -> None:
    status = channel.check_credentials()
    assert status.ok, status.message
    assert "admin" in status.message


@pytest.mark.parametrize(("role", "ok"), [("author", True), ("subscriber", False)])
def test_check_credentials_reports_missing_capabilities(
    wordpress: WordPressServer,  # noqa: F811
    admin: Admin,
    role: str,
    ok: bool,
) -> None:
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    user = admin.post(
        "wp/v2/users",
        {"username": name, "email": f"{name}@example.invalid", "password": uuid.uuid4().hex, "roles": [role]},
    )
    app = admin.post(f"wp/v2/users/{user['id']}/application-passwords", {"name": "test"})
    as_user = WordPressChannel(wordpress.base_url, name, app["password"], backoff=FAST)

    status = as_user.check_credentials()

    assert status.ok is ok, status.message
    if not ok:
        assert "publish_posts" in status.message


def test_author_creating_a_category_is_refused_with_403(wordpress: WordPressServer, admin: Admin) -> None:  # noqa: F811
    name = f"author-{uuid.uuid4().hex[:6]}"
    user = admin.post(
        "wp/v2/users",
        {"username": name, "email": f"{name}@example.invalid", "password": uuid.uuid4().hex, "roles": ["author"]},
    )
    app = admin.post(f"wp/v2/users/{user['id']}/application-passwords", {"name": "test"})
    as_author = WordPressChannel(wordpress.base_url, name, app["password"], backoff=FAST)
    post = make_post(category=f"Baru {uuid.uuid4().hex[:6]}")

    with pytest.raises(PermanentError, match=r"tidak diizinkan \(403\)"):
        as_author.publish(post)
    assert admin.posts_for(post.key) == []


def test_5xx_and_429_are_retried_honouring_retry_after_and_post_once(
    faulty: Callable[..., WordPressChannel], sleeps: list[float], admin: Admin
) -> None:
    channel = faulty(
        Fault("POST", "/wp/v2/media", "respond", status=429, headers={"Retry-After": "7"}),
        Fault("POST", "/wp/v2/posts", "respond", status=503, headers={"Retry-After": "3"}),
        Fault("POST", "/wp/v2/posts", "respond", status=502),
    )
    post = make_post(images=(Image(picture("PNG", (0, 150, 0)), "image/png", "a.png", alt="hijau"),))

    result = channel.publish(post)

    assert sleeps == [7.0, 3.0, 0.0]
    assert [p["id"] for p in admin.posts_for(post.key)] == [int(result.post_id)]
    assert len(admin.get("wp/v2/media", slug=f"{post.key}-image-1")) == 1


def test_retries_run_out_with_nothing_created(
    faulty: Callable[..., WordPressChannel], sleeps: list[float], admin: Admin
) -> None:
    channel = faulty(Fault("POST", "/wp/v2/posts", "respond", status=500, times=99))
    post = make_post()

    with pytest.raises(RetriesExhausted) as caught:
        channel.publish(post)

    assert isinstance(caught.value.last, TransientError)
    assert len(sleeps) == FAST.tries - 1
    assert admin.posts_for(post.key) == []


def test_5xx_after_wordpress_made_the_post_is_not_posted_twice(
    faulty: Callable[..., WordPressChannel], admin: Admin
) -> None:
    channel = faulty(Fault("POST", "/wp/v2/posts", "after", status=500))
    post = make_post()

    result = channel.publish(post)

    assert [p["id"] for p in admin.posts_for(post.key)] == [int(result.post_id)]


def test_lost_answer_after_posting_is_outcome_unknown_and_find_recovers_it(
    faulty: Callable[..., WordPressChannel], channel: WordPressChannel, admin: Admin
) -> None:
    post = make_post()

    with pytest.raises(OutcomeUnknown, match="posting mungkin sudah dibuat"):
        faulty(Fault("POST", "/wp/v2/posts", "timeout_after")).publish(post)

    found = channel.find(post)
    assert found is not None
    assert [p["id"] for p in admin.posts_for(post.key)] == [int(found.post_id)]


def test_lost_answer_after_media_upload_reuses_the_upload(
    faulty: Callable[..., WordPressChannel], admin: Admin
) -> None:
    post = make_post(images=(Image(picture("PNG", (9, 9, 9)), "image/png", "x.png", alt="x"),))
    channel = faulty(Fault("POST", "/wp/v2/media", "timeout_after"))

    result = channel.publish(post)

    media = admin.get("wp/v2/media", slug=f"{post.key}-image-1")
    assert len(media) == 1
    assert admin.get(f"wp/v2/posts/{result.post_id}")["featured_media"] == media[0]["id"]


def test_html_instead_of_201_json_is_permanent(faulty: Callable[..., WordPressChannel], admin: Admin) -> None:
    page = b"<!DOCTYPE html><html><body>home page</body></html>"
    channel = faulty(
        Fault("POST", "/wp/v2/posts", "respond", status=200, headers={"Content-Type": "text/html"}, body=page)
    )
    post = make_post()

    with pytest.raises(PermanentError, match="berupa halaman HTML, bukan JSON 201"):
        channel.publish(post)
    assert admin.posts_for(post.key) == []


def test_connection_refused_is_transient(sleeps: list[float]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        channel = WordPressChannel(f"http://127.0.0.1:{port}", "admin", "x", backoff=FAST, sleep=sleeps.append)
        with pytest.raises(RetriesExhausted) as caught:
            channel.publish(make_post())
    assert "tidak bisa tersambung" in str(caught.value.last)
    assert len(sleeps) == FAST.tries - 1


def test_site_without_rest_link_is_permanent(faulty: Callable[..., WordPressChannel], admin: Admin) -> None:
    page = b"<html><body>not WordPress</body></html>"
    channel = faulty(
        Fault("GET", "/", "respond", status=200, headers={"Content-Type": "text/html"}, body=page, exact=True)
    )
    post = make_post()

    with pytest.raises(PermanentError, match="tidak mengumumkan REST API"):
        channel.publish(post)
    assert admin.posts_for(post.key) == []


def test_naive_publish_at_is_refused_before_any_request() -> None:
    channel = WordPressChannel("http://127.0.0.1:9", "admin", "x", backoff=FAST)
    with pytest.raises(PermanentError, match="zona waktu"):
        channel.publish(make_post(publish_at=dt.datetime(2026, 12, 1, 9, 0)))


# -- discovery and sign-in as real hosts break them ------------------------------------------------------------


def test_the_rest_root_is_found_in_the_page_when_a_cache_drops_the_link_header(
    faulty: Callable[..., WordPressChannel], admin: Admin
) -> None:
    """developer.wordpress.org/rest-api/using-the-rest-api/discovery: the ``Link`` header, or the ``<link>``
    element WordPress prints into every page's ``<head>`` (``rest_output_link_wp_head``)."""
    channel = faulty(Fault("GET", "/", "strip", strip=("Link",), exact=True, times=99))
    post = make_post()
    result = channel.publish(post)
    assert channel.api_root().endswith("/wp-json/")
    assert [p["id"] for p in admin.posts_for(post.key)] == [int(result.post_id)]


def test_html_api_link_reads_only_the_rest_relation() -> None:
    from sopkit.channels.wordpress import html_api_link

    page = ('<html><head><link rel="alternate" href="https://x.id/feed/"><LINK REL="https://api.w.org/" '
            'HREF="https://x.id/wp-json/"></head><body></body></html>')
    assert html_api_link(page) == "https://x.id/wp-json/"
    assert html_api_link("<html><body>no api</body></html>") == ""


def test_a_host_that_drops_the_authorization_header_is_named_in_the_401(
    faulty: Callable[..., WordPressChannel], admin: Admin
) -> None:
    channel = faulty(Fault("GET", "", "no_auth", times=99), Fault("POST", "", "no_auth", times=99))
    post = make_post()
    with pytest.raises(PermanentError, match=r"\(401\)") as info:
        channel.publish(post)
    message = str(info.value)
    assert "membuang header Authorization" in message and "CGI/FastCGI" in message and ".htaccess" in message
    assert "HTTP_AUTHORIZATION" in message and admin.posts_for(post.key) == []
    assert not channel.check_credentials().ok


def test_application_passwords_over_plain_http_say_https_is_needed(
    wordpress_production: WordPressServer,  # noqa: F811
) -> None:
    """Outside a "local" environment WordPress offers Application Passwords only over HTTPS, and says so only by
    leaving them out of the REST index: the 401 must say it, not "renew the password"."""
    wp = wordpress_production
    channel = WordPressChannel(wp.base_url, wp.username, wp.app_password, backoff=FAST)
    with pytest.raises(PermanentError, match="lewat HTTPS") as info:
        channel.publish(make_post())
    assert "https://" in str(info.value) and "kata sandi aplikasi salah" not in str(info.value)
    status = channel.check_credentials()
    assert not status.ok and "HTTPS" in status.message and wp.app_password not in status.message
