"""WordPress channel (REST API + Application Password): media first, then one post whose slug is the item's key.

Why it is shaped like this:

* The REST root is read from the home page, never guessed: the ``Link: <...>; rel="https://api.w.org/"`` header,
  or the ``<link rel="https://api.w.org/" href="...">`` element of its ``<head>`` when a hardened or cached site
  drops the header (developer.wordpress.org/rest-api/using-the-rest-api/discovery: "Link Header" and "Element";
  WordPress prints both, ``rest_output_link_header`` / ``rest_output_link_wp_head``). With plain permalinks
  ``/wp-json/`` is served the home page (200 HTML) and a POST there creates nothing, so every write must come back
  201 JSON or it did not happen.
* A 401 says why when it can: Application Passwords exist only over HTTPS (or in a "local" environment,
  ``wp_is_application_passwords_available``), which the REST index shows by leaving out
  ``authentication.application-passwords`` (``rest_add_application_passwords_to_index``); and WordPress answers
  the same ``rest_not_logged_in`` for a wrong password and for a server that never passed the ``Authorization``
  header on (PHP under CGI/FastCGI drops it unless told otherwise, WordPress Site Health "The authorization header
  is missing"), so that 401 names both.
* A catch-up post gets the real publish time: the job only posts what is due, and a post dated at its missed
  schedule would sit below newer ones and be skipped by feed readers that already polled past that time, so
  ``date_gmt`` is sent only for a future schedule and WordPress stamps its own clock otherwise.
* The slug is the idempotency key, so :meth:`WordPressChannel.find` can ask WordPress whether an earlier run
  already posted (a crash between the post and the write-back). WordPress would silently rename a second post to
  ``key-2``, so the post step re-checks with ``find`` before every retry; and since a request given up on may
  still be applied long after, :meth:`WordPressChannel.find_copies` lists those renamed copies and
  :meth:`WordPressChannel.trash_copy` moves one to the trash (the job decides which to keep).
* Media uploads and terms are made re-runnable the same way: an image's slug is ``<key>-image-<n>`` and is looked
  up before uploading; a term that already exists is reused (WordPress answers ``term_exists``).
* The body goes through the desk's one renderer (``sopkit.markup``: raw HTML escaped, pictures only from the
  item's own uploads, then the nh3 allow-list): the admin account posting has ``unfiltered_html``, so WordPress
  would not clean it for us.
"""

from __future__ import annotations

import datetime as dt
import html
import mimetypes
import re
import time
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests

from sopkit.channels.base import (
    ChannelState,
    CredentialStatus,
    Image,
    OutcomeUnknown,
    PermanentError,
    Post,
    Result,
    as_dict,
)
from sopkit.channels.http import (
    DEFAULT_BACKOFF,
    OnRetry,
    Sleep,
    Timeout,
    json_body,
    redacting,
    send,
    unreadable_success,
)
from sopkit.channels.spec import ChannelContext, ChannelSpec, RenditionSpec
from sopkit.i18n import t
from sopkit.markup import render_markdown
from sopkit.retry import Backoff, RetriesExhausted, TransientError, call_with_retry, parse_retry_after

API_REL = "https://api.w.org/"
POST_STATUSES = "publish,future,draft,pending,private"
NEEDED_CAPABILITIES = ("publish_posts", "upload_files")
COPY_SLUGS = 20  # how many renamed copies (<key>-2 … <key>-21) a copy lookup asks for

T = TypeVar("T")


def _figure(url: str, alt: str) -> str:
    return f'<figure><img src="{html.escape(url)}" alt="{html.escape(alt)}"></figure>'


def _raw(field: Any) -> str:
    """A title as stored (``context=edit`` gives ``{"raw", "rendered"}``; ``rendered`` is texturized)."""
    return str(field.get("raw", "")) if isinstance(field, dict) else str(field or "")


def _upload_filename(image: Image, slug: str) -> str:
    """An ASCII file name whose extension matches the MIME type (WordPress checks both before accepting)."""
    ext = mimetypes.guess_extension(image.mime) or ""
    ext = ".jpg" if ext in (".jpe", ".jpeg") else ext
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", image.filename.rsplit(".", 1)[0]).strip("-._") or slug
    return f"{stem}{ext}"


def _wp_error(resp: requests.Response, what: str, username: str) -> Exception:
    """Map a failed WordPress reply ({"code", "message", "data": {"status"}}) to our errors; the error keeps the
    WordPress ``code`` as ``wp_code`` and the status as ``wp_status``."""
    body = json_body(resp)
    code = str(body.get("code", "")) if isinstance(body, dict) else ""
    message = html.unescape(str(body.get("message", ""))).strip() if isinstance(body, dict) else ""
    detail = f" [{code}] {message}" if code or message else ""
    status = resp.status_code
    error: Exception
    if status == 429 or status >= 500 or status == 408:
        error = TransientError(f"{what}: HTTP {status}{detail}", parse_retry_after(resp.headers.get("Retry-After")))
    elif status == 401:
        error = PermanentError(t("wordpress.refused_401", user=username, detail=detail))
    elif status == 403:
        error = PermanentError(t("wordpress.forbidden", what=what, user=username, detail=detail))
    else:
        error = PermanentError(t("wordpress.refused", what=what, status=status, detail=detail))
    setattr(error, "wp_code", code)  # tags read back with getattr (the error may be any of the three kinds)
    setattr(error, "wp_status", status)
    return error


class _ApiLink(HTMLParser):
    """Collects ``<link rel="https://api.w.org/" href=...>`` from a page's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag.lower() == "link" and not self.href and API_REL in values.get("rel", "").split():
            self.href = values.get("href", "").strip()


def html_api_link(page: str) -> str:
    """The REST root a WordPress page announces in its ``<head>``, "" when it announces none."""
    parser = _ApiLink()
    try:
        parser.feed(page)
        parser.close()
    except Exception:  # a page too broken to parse announces nothing we can trust
        return ""
    return parser.href


class WordPressChannel:
    """Posts to one WordPress site as one user authenticated with an Application Password."""

    name = "wordpress"

    def __init__(
        self,
        base_url: str,
        username: str,
        app_password: str,
        session: requests.Session | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        *,
        timeout: Timeout = (5.0, 60.0),
        sleep: Sleep = time.sleep,
        on_retry: OnRetry | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.app_password = app_password
        self.session = session or requests.Session()
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.on_retry = on_retry
        self.now = now
        self._api_root: str | None = None
        self._me: dict[str, Any] | None = None

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _retry(self, fn: Callable[[], T]) -> T:
        return call_with_retry(fn, self.backoff, sleep=self.sleep, on_retry=self.on_retry)

    def api_root(self) -> str:
        """The REST root announced by the site itself (``.../wp-json/`` or ``.../?rest_route=/``)."""
        if self._api_root is None:
            self._api_root = self._retry(self._discover)
        return self._api_root

    def _discover(self) -> str:
        what = t("wordpress.what.discovery")
        resp = send(self.session, "GET", f"{self.base_url}/", what=what, timeout=self.timeout, idempotent=True)
        if not resp.ok:
            raise _wp_error(resp, what, self.username)
        link = resp.links.get(API_REL, {}).get("url")
        if not link and "html" in resp.headers.get("Content-Type", "html"):
            link = html_api_link(resp.text)
        if not link:
            raise PermanentError(t("wordpress.no_rest_api", what=what, url=f"{self.base_url}/", rel=API_REL))
        return link if ("?" in link or link.endswith("/")) else f"{link}/"

    def _once(
        self,
        method: str,
        route: str,
        *,
        what: str,
        idempotent: bool,
        expect: int = 200,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        tolerate: Callable[[requests.Response], Any | None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One authenticated REST call; ``expect`` is the only status accepted, and the reply must be JSON."""
        with redacting((self.app_password,)):
            resp = send(
                self.session,
                method,
                self.api_root() + route.lstrip("/"),
                what=what,
                timeout=self.timeout,
                idempotent=idempotent,
                secrets=(self.app_password,),
                auth=(self.username, self.app_password),
                params=params,
                headers={"Accept": "application/json", **(headers or {})},
                **kwargs,
            )
            if tolerate is not None and (tolerated := tolerate(resp)) is not None:
                return tolerated
            if resp.status_code >= 400:
                raise _wp_error(resp, what, self.username)
            body = json_body(resp)
            if body is None and "html" in resp.headers.get("Content-Type", ""):
                # The signature of plain permalinks or a wrong root: the home page came back and nothing was made.
                raise PermanentError(t("wordpress.html_reply", what=what, status=resp.status_code, expect=expect))
            if body is None or resp.status_code != expect:
                raise unreadable_success(what, idempotent)
            return body

    def me(self) -> dict[str, Any]:
        """The signed-in user, fetched once per channel object.

        Why before every find/publish: WordPress (6.1 at least) treats a wrong Application Password as no login at
        all, so the real lookup would fail as "400 Status is forbidden" and a bare POST as "rest_cannot_create";
        asking ``/users/me`` first turns all of that into one clear 401.
        """
        if self._me is None:
            what = t("wordpress.what.sign_in")
            try:
                me = self._retry(lambda: self._once("GET", "wp/v2/users/me", what=what, idempotent=True,
                                                    params={"context": "edit"}))  # fmt: skip
            except PermanentError as e:
                if getattr(e, "wp_status", None) == 401:
                    raise PermanentError(self._why_401()) from e
                raise
            if not isinstance(me, dict):
                raise PermanentError(t("wordpress.no_user", what=what))
            self._me = me
        return self._me

    def _why_401(self) -> str:
        """Why WordPress did not see a signed-in user: read from the REST index, which lists Application
        Passwords only where WordPress allows them (HTTPS, or a "local" environment)."""
        what = t("wordpress.what.discovery")
        try:
            index = self._retry(lambda: json_body(send(self.session, "GET", self.api_root(), what=what,
                                                       idempotent=True, timeout=self.timeout)))  # fmt: skip
        except (TransientError, RetriesExhausted, OutcomeUnknown):
            index = None
        auth = index.get("authentication") if isinstance(index, dict) else None
        if isinstance(index, dict) and not (isinstance(auth, dict) and "application-passwords" in auth):
            if self.base_url.startswith("http://"):
                return t("wordpress.401_needs_https", user=self.username, url=self.base_url)
            return t("wordpress.401_disabled", user=self.username)
        return t("wordpress.401_password_or_header", user=self.username)

    # -- Channel ---------------------------------------------------------------------------------------------

    def find(self, post: Post) -> Result | None:
        """The post whose slug is ``post.key`` in any status but trash, so a retry never posts twice.

        A draft or private post counts too: someone took it down on purpose, and it must not come back twice.
        """
        self.me()
        found = self._retry(
            lambda: self._once(
                "GET",
                "wp/v2/posts",
                what=t("wordpress.what.lookup"),
                idempotent=True,
                params={"slug": post.key, "status": POST_STATUSES},
            )
        )
        key = post.key.lower()
        for item in found if isinstance(found, list) else []:
            if isinstance(item, dict) and str(item.get("slug", "")).lower() == key:
                return Result(ChannelState.PUBLISHED, url=str(item.get("link", "")), post_id=str(item.get("id", "")))
        return None

    def where_to_look(self, post: Post) -> str:
        return t("wordpress.look", url=self.manage_url(post), slug=post.key)  # the list searched by title

    def find_copies(self, post: Post) -> tuple[Result, ...]:
        """The post under ``post.key`` first, then the copies WordPress renamed ``<key>-2``, ``-3``… (same title),
        oldest first; any status but trash.

        Why: a POST the job gave up on (its answer lost, its run killed) can still be applied by WordPress long
        after, and WordPress renames a second post with a taken slug instead of refusing it, so the job asks for
        the renamed slugs after posting where an abandoned request may still be on its way.
        """
        self.me()
        key = post.key.lower()
        slugs = [key] + [f"{key}-{n}" for n in range(2, COPY_SLUGS + 2)]
        found = self._retry(
            lambda: self._once(
                "GET",
                "wp/v2/posts",
                what="WordPress copy lookup",
                idempotent=True,
                params={"slug": ",".join(slugs), "status": POST_STATUSES, "context": "edit", "per_page": "100"},
            )
        )
        title = html.escape(post.title, quote=False)
        posts = [p for p in (found if isinstance(found, list) else []) if isinstance(p, dict)]
        mine = [p for p in posts if str(p.get("slug", "")).lower() == key or
                (str(p.get("slug", "")).lower() in slugs and _raw(p.get("title")) == title)]
        mine.sort(key=lambda p: (str(p.get("slug", "")).lower() != key, int(p.get("id", 0) or 0)))
        return tuple(Result(ChannelState.PUBLISHED, url=str(p.get("link", "")), post_id=str(p.get("id", "")))
                     for p in mine)

    def trash_copy(self, copy: Result) -> None:
        """Move one copy to the trash (restorable there for 30 days); one already in the trash counts as done."""
        if not copy.post_id.isdigit():
            raise PermanentError(f"WordPress: {copy.post_id!r} is not a post id")

        def already(resp: requests.Response) -> bool | None:
            body = json_body(resp)
            return True if resp.status_code == 410 and isinstance(body, dict) and \
                body.get("code") == "rest_already_trashed" else None

        self._retry(lambda: self._once("DELETE", f"wp/v2/posts/{copy.post_id}", what="WordPress copy to trash",
                                       idempotent=True, tolerate=already))  # fmt: skip

    def manage_url(self, post: Post) -> str:
        """The site's list of posts searched for the title (WordPress's search reads titles, not slugs)."""
        return f"{self.base_url}/wp-admin/edit.php?" + urlencode({"post_status": "all", "s": post.title})

    def publish(self, post: Post) -> Result:
        if not post.key:
            raise PermanentError(t("wordpress.no_key"))
        body: dict[str, Any] = {
            "slug": post.key,
            "title": html.escape(post.title, quote=False),
            "excerpt": html.escape(post.caption, quote=False),
        }
        body |= self._schedule(post)
        self.me()
        media = [self._ensure_media(post, n, image) for n, image in enumerate(post.images, start=1)]
        own = {img.source: str(m.get("source_url", "")) for img, m in zip(post.images, media, strict=True)
               if img.source and m.get("source_url")}
        content = render_markdown(post.body_markdown, own)
        if media:
            body["featured_media"] = media[0]["id"]
            content += "".join(_figure(str(m.get("source_url", "")), str(m.get("alt_text", ""))) for m in media[1:])
        body["content"] = content
        if post.category.strip():
            body["categories"] = [self._ensure_term("categories", post.category.strip())]
        tags = list(dict.fromkeys(t.strip() for t in post.tags if t.strip()))
        if tags:
            body["tags"] = [self._ensure_term("tags", t) for t in tags]
        return self._create_post(post, body)

    def check_credentials(self) -> CredentialStatus:
        """``/wp/v2/users/me`` proves the Application Password; its capabilities say whether it may post."""
        self._me = None  # always ask afresh: the password may have been revoked since
        try:
            me = self.me()
        except (TransientError, RetriesExhausted, OutcomeUnknown) as e:
            return CredentialStatus(ok=False, message=t("wordpress.unreachable", detail=str(e)))
        except PermanentError as e:
            return CredentialStatus(ok=False, message=str(e))
        caps = as_dict(me.get("capabilities"))
        name = me.get("name") or me.get("slug") or self.username
        lacking = [c for c in NEEDED_CAPABILITIES if not caps.get(c)]
        if lacking:
            return CredentialStatus(ok=False, message=t("wordpress.lacks", user=name, caps=", ".join(lacking)))
        return CredentialStatus(ok=True, message=t("wordpress.ok", user=name))

    # -- steps -----------------------------------------------------------------------------------------------

    def _schedule(self, post: Post) -> dict[str, str]:
        """``future`` + ``date_gmt`` for a later time (WordPress publishes it then); for a time that has come,
        ``publish`` with no date, so WordPress stamps the moment it really went out (see the module docstring)."""
        if post.publish_at is None:
            return {"status": "publish"}
        if post.publish_at.tzinfo is None or post.publish_at.utcoffset() is None:
            raise PermanentError(t("wordpress.naive_time", at=str(post.publish_at)))
        when = post.publish_at.astimezone(dt.UTC)
        if when > self.now():
            return {"status": "future", "date_gmt": when.strftime("%Y-%m-%dT%H:%M:%S")}
        return {"status": "publish"}

    def _create_post(self, post: Post, body: dict[str, Any]) -> Result:
        tries = 0

        def attempt() -> Result:
            nonlocal tries
            tries += 1
            if tries > 1 and (earlier := self.find(post)) is not None:
                return earlier  # the failed try did create it after all (e.g. a 5xx from a hook after insert)
            created = self._once("POST", "wp/v2/posts", what=t("wordpress.what.post"), idempotent=False, expect=201,
                                 json=body)  # fmt: skip
            if not isinstance(created, dict) or "id" not in created:
                raise OutcomeUnknown(t("wordpress.no_id"))
            return Result(ChannelState.PUBLISHED, url=str(created.get("link", "")), post_id=str(created["id"]))

        return self._retry(attempt)

    def _ensure_media(self, post: Post, n: int, image: Image) -> dict[str, Any]:
        """Upload one image once: its slug ``<key>-image-<n>`` is looked up first, so a re-run reuses it."""
        slug = f"{post.key}-image-{n}".lower()
        what = t("wordpress.what.image", n=n, name=image.filename)

        def attempt() -> dict[str, Any]:
            found = self._once("GET", "wp/v2/media", what=what, idempotent=True,
                               params={"slug": slug})  # fmt: skip
            for item in found if isinstance(found, list) else []:
                if isinstance(item, dict) and item.get("slug") == slug:
                    return item
            filename = _upload_filename(image, slug)
            created = self._once(
                "POST",
                "wp/v2/media",
                what=what,
                idempotent=True,  # a lost answer is found by its slug on the next try
                expect=201,
                params={
                    "slug": slug,
                    "alt_text": image.alt,
                    "title": html.escape(image.alt or post.title, quote=False),
                },
                data=image.data,
                headers={"Content-Type": image.mime, "Content-Disposition": f'attachment; filename="{filename}"'},
            )
            if not isinstance(created, dict) or "id" not in created:
                raise TransientError(t("wordpress.no_media_id", what=what))
            return created

        return self._retry(attempt)

    def _ensure_term(self, taxonomy: str, name: str) -> int:
        """The id of the category/tag called ``name``, created when missing (case-insensitive match)."""
        what = t("wordpress.what.tag" if taxonomy == "tags" else "wordpress.what.category", name=name)

        def existing_term(resp: requests.Response) -> int | None:
            body = json_body(resp)
            if resp.status_code == 400 and isinstance(body, dict) and body.get("code") == "term_exists":
                data = body.get("data")
                term_id = data.get("term_id") if isinstance(data, dict) else None
                return int(term_id) if isinstance(term_id, int | str) and str(term_id).isdigit() else None
            return None

        def attempt() -> int:
            found = self._once("GET", f"wp/v2/{taxonomy}", what=what, idempotent=True,
                               params={"search": name, "per_page": "100"})  # fmt: skip
            for term in found if isinstance(found, list) else []:
                if isinstance(term, dict) and html.unescape(str(term.get("name", ""))).casefold() == name.casefold():
                    return int(term["id"])
            created = self._once("POST", f"wp/v2/{taxonomy}", what=what, idempotent=True, expect=201,
                                 json={"name": name}, tolerate=existing_term)  # fmt: skip
            if isinstance(created, int):
                return created
            if not isinstance(created, dict) or "id" not in created:
                raise TransientError(t("wordpress.no_term_id", what=what))
            return int(created["id"])

        return self._retry(attempt)


def _factory(ctx: ChannelContext) -> WordPressChannel:
    return WordPressChannel(ctx.text("base_url"), ctx.text("username"), ctx.text("app_password"), **ctx.retry_kwargs())


#: Rendition: 16:9 1200x675 is the common theme featured-image size; 2 MB is PHP's default upload_max_filesize.
SPEC = ChannelSpec(
    name="wordpress", order=20, factory=_factory, credentials=("base_url", "username", "app_password"),
    secrets=("app_password",), rendition=RenditionSpec("fill", ((1200, 675),), 2 * 1024 * 1024),
)
