"""A loopback Graph API: Page photo/feed posts and their listing, Instagram containers and publishing, token checks.

Shapes follow developers.facebook.com, and so do the behaviours the desk must survive, because a fake that is kinder
than Meta lets wrong code pass:

* success bodies ``{"id": ...}`` (photos also ``post_id``), errors ``{"error": {"message", "type", "code",
  "error_subcode", "fbtrace_id"}}`` with HTTP 400 (403 for some rate limits); ``server_error`` is Graph's code 2
  "An unexpected error has occurred" with HTTP 500, **after the post was made** by default (koala #699);
* versions in the path (``/v25.0/...``): unknown versions are refused like Graph refuses them;
* ``GET /{page}/published_posts`` (needs ``pages_read_engagement``) lists the Page's posts, newest first, with
  ``since`` and cursor paging;
* ``/debug_token`` answers only to an app token ``app_id|app_secret`` (or an app developer's token), else #100
  "You must provide an app access token..." as Graph does;
* an Instagram ``image_url`` must be public: Meta fetches it itself and answers 9004 / 2207052 otherwise. What
  counts as public is the fake's own judgement plus ``public_hosts``, the test's explicit allow-list (the fake
  stands in for Meta, so it decides; the desk's channels get the matching predicate, ``counts_as_public``);
* containers go IN_PROGRESS -> FINISHED (or ERROR/EXPIRED) -> PUBLISHED; a fresh container may read 100/33 for a
  while (``invisible_reads``), ``media_publish`` may say 9007/2207027 "not ready" right after FINISHED
  (``not_ready_publishes``), refuses a container that is not FINISHED or already published, and refuses beyond
  ``quota_total`` posts per 24 h (9 / 2207042), which ``content_publishing_limit`` reports;
* ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` are sent on every reply when set (``app_usage``, ``buc_usage``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import Fault, LoopbackServer, Recorded, Reply, Upload

VERSION = "v25.0"
VERSIONS = frozenset({"v21.0", "v22.0", "v23.0", "v24.0", "v25.0", "v26.0"})


def graph_error(
    code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException", **extra: Any
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": secrets.token_hex(6),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return {"error": error}


def expired_token(path_suffix: str = "", subcode: int = 463) -> Fault:
    """OAuthException 190 as Graph sends it for an unusable session (463 expired, 459 checkpoint...), HTTP 400."""
    messages = {
        463: "Error validating access token: Session has expired on Tuesday, 24-Nov-26 10:00:00 PST.",
        459: "Error validating access token: You cannot access the app till you log in to www.facebook.com and "
             "follow the instructions given.",
        492: "Error validating access token: The session is invalid because the user is not an admin of the page.",
        460: "Error validating access token: The session has been invalidated because the user changed their "
             "password.",
    }
    body = graph_error(190, messages.get(subcode, "Error validating access token"), subcode=subcode)
    return Fault("respond", path_suffix, status=400, body=body)


def rate_limit(code: int = 4, status: int = 403, path_suffix: str = "", regain_minutes: int | None = None) -> Fault:
    """A throttled call (refused, nothing applied); with ``regain_minutes`` it carries the BUC usage header."""
    messages = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        32: "(#32) Page request limit reached",
        613: "(#613) Calls to this api have exceeded the rate limit.",
        80001: "(#80001) There have been too many calls to this Page account.",
    }
    body = graph_error(code, messages.get(code, "rate limited"), is_transient=True)
    headers = {}
    if regain_minutes is not None:
        headers["X-Business-Use-Case-Usage"] = json.dumps({"1111": [{
            "type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 14,
            "estimated_time_to_regain_access": regain_minutes}]})
    return Fault("respond", path_suffix, status=status, body=body, headers=headers)


def server_error(path_suffix: str = "", *, applied: bool = True) -> Fault:
    """Graph's code 2 / HTTP 500. ``applied`` (the default, as Meta does it): the request was carried out first."""
    return Fault("after" if applied else "respond", path_suffix, status=500,
                 body=graph_error(2, "An unexpected error has occurred. Please retry your request later.",
                                  is_transient=True))


def fake_is_public(url: str) -> bool:
    """The fake Meta's own idea of a public URL: an http(s) URL whose host is not loopback, private or local."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        return ipaddress.ip_address(parts.hostname).is_global
    except ValueError:
        return "." in parts.hostname and not parts.hostname.endswith((".local", ".localhost", ".internal", ".test"))


@dataclass
class Container:
    ig_user_id: str
    image_url: str
    caption: str
    polls_left: int
    outcome: str
    invisible_reads: int = 0
    not_ready_publishes: int = 0
    status_code: str = "IN_PROGRESS"
    published_as: str = ""


@dataclass
class FakeGraph(LoopbackServer):
    page_id: str = "1111"
    page_name: str = "Dinas Perhubungan Kalbar"
    ig_user_id: str = "17841400000000000"
    ig_username: str = "dishubkalbar"
    token: str = "EAAG-valid-token"
    app_id: str = "123456789"
    app_secret: str = "app-secret-0123456789abcdef"
    token_type: str = "PAGE"
    token_valid: bool = True
    token_error_subcode: int | None = None
    token_expires_at: int = 0  # 0 = never, as Graph reports long-lived Page tokens
    data_access_expires_at: int = 0
    scopes: tuple[str, ...] = ("pages_manage_posts", "pages_read_engagement", "instagram_basic",
                               "instagram_content_publish")
    public_hosts: set[str] = field(default_factory=set)  # "host:port" the test declares public (see the docstring)
    ig_polls_in_progress: int = 1  # status checks answered IN_PROGRESS before the container's outcome shows
    ig_container_outcome: str = "FINISHED"  # or "ERROR" / "EXPIRED"
    invisible_reads: int = 0  # reads of a fresh container answered 100/33
    not_ready_publishes: int = 0  # media_publish calls on a FINISHED container answered 9007/2207027
    quota_total: int = 100
    app_usage: dict[str, int] | None = None
    buc_usage: dict[str, list[dict[str, Any]]] | None = None
    clock: Callable[[], float] = time.time  # when posts are made (a simulation moves it)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # Page posts by post id, oldest first
    containers: dict[str, Container] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # published Instagram media by id

    def __post_init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(100001)

    @property
    def graph_url(self) -> str:
        """The host the channels are given; the version is their own setting."""
        return self.base_url

    @property
    def app_token(self) -> str:
        return f"{self.app_id}|{self.app_secret}"

    def counts_as_public(self, url: str) -> bool:
        """This fake Meta's judgement, for a channel's ``is_public=`` in tests."""
        parts = urlsplit(url)
        return fake_is_public(url) or parts.netloc in self.public_hosts

    def _new_id(self) -> str:
        return str(next(self._ids))

    def decorate(self, request: Recorded, reply: Reply) -> Reply:
        headers = dict(reply.headers)
        if self.app_usage is not None:
            headers.setdefault("X-App-Usage", json.dumps(self.app_usage))
        if self.buc_usage is not None:
            headers.setdefault("X-Business-Use-Case-Usage", json.dumps(self.buc_usage))
        return Reply(reply.status, reply.body, headers)

    def handle(self, request: Recorded) -> Reply:
        parts = request.path.strip("/").split("/")
        if not parts or parts[0] not in VERSIONS:
            return Reply(400, graph_error(2500, "Unknown path components", kind="OAuthException"))
        token = request.param("access_token")
        node, edge = parts[1] if len(parts) > 1 else "", "/".join(parts[2:])
        if not token:
            return Reply(400, graph_error(104, "An access token is required to request this resource."))
        if (request.method, node, edge) == ("GET", "debug_token", ""):
            return self._debug_token(request, token)
        if token != self.token:
            return Reply(400, graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
        if not self.token_valid:
            return Reply(400, graph_error(190, "Error validating access token", subcode=self.token_error_subcode))
        route = (request.method, edge)
        if route == ("POST", "photos") and node == self.page_id:
            return self._page_photo(request)
        if route == ("POST", "feed") and node == self.page_id:
            return self._page_feed(request)
        if route == ("GET", "published_posts") and node == self.page_id:
            return self._published_posts(request)
        if route == ("POST", "media") and node == self.ig_user_id:
            return self._ig_container(request)
        if route == ("POST", "media_publish") and node == self.ig_user_id:
            return self._ig_publish(request)
        if route == ("GET", "content_publishing_limit") and node == self.ig_user_id:
            return Reply(200, {"data": [{"quota_usage": self._published_last_day(),
                                         "config": {"quota_total": self.quota_total, "quota_duration": 86400}}]})
        if route == ("GET", ""):
            return self._read_node(node, request.param("fields") or "id")
        return Reply(
            400,
            graph_error(100, f"Unsupported {request.method.lower()} request.", kind="GraphMethodException"),
        )

    # -- Page ------------------------------------------------------------------------------------------------

    def _page_photo(self, request: Recorded) -> Reply:
        source: Upload | None = request.files.get("source")
        url = request.param("url")
        if source is None and not url:
            return Reply(400, graph_error(324, "(#324) Requires upload file", kind="OAuthException"))
        if source is not None and not source.data:
            return Reply(400, graph_error(324, "(#324) Missing or invalid image file"))
        photo_id, post_suffix = self._new_id(), self._new_id()
        post_id = f"{self.page_id}_{post_suffix}"
        self.posts[post_id] = {
            "kind": "photo",
            "photo_id": photo_id,
            "message": request.param("message") or request.param("caption") or "",
            "image": source.data if source else b"",
            "image_type": source.content_type if source else "",
            "alt_text_custom": request.param("alt_text_custom"),
            "created": self.clock(),
        }
        return Reply(200, {"id": photo_id, "post_id": post_id})

    def _page_feed(self, request: Recorded) -> Reply:
        message, link = request.param("message"), request.param("link")
        if not message and not link:
            return Reply(400, graph_error(100, "(#100) Missing message or attachment"))
        post_id = f"{self.page_id}_{self._new_id()}"
        self.posts[post_id] = {"kind": "feed", "message": message or "", "link": link, "created": self.clock()}
        return Reply(200, {"id": post_id})

    def _published_posts(self, request: Recorded) -> Reply:
        if "pages_read_engagement" not in self.scopes:
            return Reply(403, graph_error(10, "(#10) This endpoint requires the 'pages_read_engagement' permission",
                                          kind="OAuthException"))
        since = float(request.param("since") or 0)
        limit = int(request.param("limit") or 25)
        start = int(request.param("after") or 0)
        newest_first = [(pid, p) for pid, p in reversed(self.posts.items()) if p["created"] >= since]
        page = newest_first[start:start + limit]
        data = []
        for post_id, post in page:
            entry: dict[str, Any] = {
                "id": post_id, "message": post["message"],
                "created_time": dt.datetime.fromtimestamp(post["created"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": self._permalink(post_id),
            }
            if post.get("link"):
                shim = "https://l.facebook.com/l.php?u=" + post["link"]
                entry["attachments"] = {"data": [{"url": shim, "unshimmed_url": post["link"]}]}
            data.append(entry)
        body: dict[str, Any] = {"data": data}
        if start + limit < len(newest_first):
            after = str(start + limit)
            body["paging"] = {"cursors": {"before": str(start), "after": after},
                              "next": f"{self.graph_url}/{VERSION}/{self.page_id}/published_posts?after={after}"}
        return Reply(200, body)

    def _permalink(self, post_id: str) -> str:
        return f"https://www.facebook.com/{post_id.replace('_', '/posts/')}"

    # -- Instagram -------------------------------------------------------------------------------------------

    def _ig_container(self, request: Recorded) -> Reply:
        image_url = request.param("image_url") or ""
        if not self.counts_as_public(image_url):
            return Reply(400, graph_error(9004, "Only photo or video can be accepted as media type.", subcode=2207052,
                                          error_user_title="Media download has failed",
                                          error_user_msg="The media URI doesn't meet our requirements."))
        caption = request.param("caption") or ""
        if len(caption.encode("utf-16-le")) // 2 > 2200:
            return Reply(400, graph_error(100, "The caption is too long.", subcode=2207010))
        container_id = self._new_id()
        self.containers[container_id] = Container(
            self.ig_user_id, image_url, caption, self.ig_polls_in_progress, self.ig_container_outcome,
            invisible_reads=self.invisible_reads, not_ready_publishes=self.not_ready_publishes,
        )
        return Reply(200, {"id": container_id})

    def _published_last_day(self) -> int:
        return sum(1 for m in self.media.values() if m["created"] > self.clock() - 86400)

    def _ig_publish(self, request: Recorded) -> Reply:
        container = self.containers.get(request.param("creation_id") or "")
        if container is None:
            return Reply(400, graph_error(100, "Invalid parameter", subcode=2207001))
        if container.published_as:
            return Reply(400, graph_error(9007, "The media has already been published", subcode=2207027))
        if container.status_code != "FINISHED":
            return Reply(400, graph_error(9007, "Media ID is not available", subcode=2207027))
        if container.not_ready_publishes > 0:
            container.not_ready_publishes -= 1
            return Reply(400, graph_error(9007, "Media ID is not available", subcode=2207027,
                                          error_user_msg="The media is not ready for publishing, please wait for "
                                                         "a moment"))
        if self._published_last_day() >= self.quota_total:
            return Reply(400, graph_error(9, "You reached maximum number of posts that is allowed", subcode=2207042))
        media_id = self._new_id()
        container.published_as = media_id
        container.status_code = "PUBLISHED"
        self.media[media_id] = {"caption": container.caption, "image_url": container.image_url,
                                "created": self.clock()}
        return Reply(200, {"id": media_id})

    # -- tokens and reads ------------------------------------------------------------------------------------

    def _debug_token(self, request: Recorded, token: str) -> Reply:
        if token != self.app_token:
            return Reply(400, graph_error(100, "(#100) You must provide an app access token, or a user access "
                                               "token that is an owner or developer of the app"))
        valid = request.param("input_token") == self.token and self.token_valid
        data: dict[str, Any] = {
            "app_id": self.app_id,
            "type": self.token_type,
            "application": "SOP Desk",
            "is_valid": valid,
            "expires_at": self.token_expires_at,
            "data_access_expires_at": self.data_access_expires_at,
            "scopes": list(self.scopes),
        }
        if self.token_type == "PAGE":
            data["profile_id"] = self.page_id
        if not valid:
            data["error"] = {"code": 190, "message": "Error validating access token",
                             **({"subcode": self.token_error_subcode} if self.token_error_subcode else {})}
        return Reply(200, {"data": data})

    def _read_node(self, node: str, fields: str) -> Reply:
        wanted = fields.split(",")
        if node in ("me", self.page_id):
            return Reply(200, {"id": self.page_id, "name": self.page_name})
        if node == self.ig_user_id:
            return Reply(200, {"id": self.ig_user_id, "username": self.ig_username})
        if node in self.posts:
            return Reply(200, {"id": node, "permalink_url": self._permalink(node)})
        if node in self.containers:
            container = self.containers[node]
            if container.invisible_reads > 0:
                container.invisible_reads -= 1
                return Reply(400, graph_error(100, f"Unsupported get request. Object with ID '{node}' does not "
                                                   "exist", subcode=33, kind="GraphMethodException"))
            if container.status_code == "IN_PROGRESS":
                if container.polls_left > 0:
                    container.polls_left -= 1
                else:
                    container.status_code = container.outcome
            body = {"id": node, "status_code": container.status_code}
            if "status" in wanted:
                body["status"] = {"ERROR": "Error: 2207003", "EXPIRED": "Expired"}.get(container.status_code, "")
            return Reply(200, body)
        if node in self.media:
            return Reply(200, {"id": node, "permalink": f"https://www.instagram.com/p/FAKE{node}/"})
        return Reply(
            400,
            graph_error(
                100,
                f"Unsupported get request. Object with ID '{node}' does not exist",
                subcode=33,
                kind="GraphMethodException",
            ),
        )
