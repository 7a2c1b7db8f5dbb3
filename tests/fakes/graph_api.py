"""A loopback Graph API: Page photo/feed posts, Instagram containers and publishing, token checks.

Shapes follow developers.facebook.com: success bodies ``{"id": ...}`` (photos also ``post_id``), errors
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` with HTTP 400 (403 for some rate limits),
containers with ``status_code`` IN_PROGRESS -> FINISHED (or ERROR/EXPIRED), ``media_publish`` refusing a container
that is not FINISHED or already published.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from . import Fault, LoopbackServer, Recorded, Reply, Upload

VERSION = "v21.0"


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


def expired_token(path_suffix: str = "") -> Fault:
    """OAuthException 190/463 as Graph sends it for an expired session, HTTP 400."""
    body = graph_error(
        190,
        "Error validating access token: Session has expired on Tuesday, 24-Nov-26 10:00:00 PST.",
        subcode=463,
    )
    return Fault("respond", path_suffix, status=400, body=body)


def rate_limit(code: int = 4, status: int = 403, path_suffix: str = "") -> Fault:
    messages = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        32: "(#32) Page request limit reached",
        613: "(#613) Calls to this api have exceeded the rate limit.",
    }
    body = graph_error(code, messages.get(code, "rate limited"), is_transient=True)
    return Fault("respond", path_suffix, status=status, body=body)


def server_error(path_suffix: str = "") -> Fault:
    return Fault("respond", path_suffix, status=500, body=graph_error(2, "An unexpected error has occurred."))


@dataclass
class Container:
    ig_user_id: str
    image_url: str
    caption: str
    polls_left: int
    outcome: str
    status_code: str = "IN_PROGRESS"
    published_as: str = ""


@dataclass
class FakeGraph(LoopbackServer):
    page_id: str = "1111"
    page_name: str = "Dinas Perhubungan Kalbar"
    ig_user_id: str = "17841400000000000"
    ig_username: str = "dishubkalbar"
    token: str = "EAAG-valid-token"
    token_expires_at: int = 0  # 0 = never, as Graph reports long-lived Page tokens
    scopes: tuple[str, ...] = ("pages_manage_posts", "pages_read_engagement", "instagram_content_publish")
    ig_polls_in_progress: int = 1  # status checks answered IN_PROGRESS before the container's outcome shows
    ig_container_outcome: str = "FINISHED"  # or "ERROR" / "EXPIRED"
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # Page posts by post id
    containers: dict[str, Container] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # published Instagram media by id

    def __post_init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(100001)

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/{VERSION}"

    def _new_id(self) -> str:
        return str(next(self._ids))

    def handle(self, request: Recorded) -> Reply:
        parts = request.path.strip("/").split("/")
        if not parts or parts[0] != VERSION:
            return Reply(400, graph_error(2500, "Unknown path components", kind="OAuthException"))
        token = request.param("access_token")
        if not token:
            return Reply(400, graph_error(104, "An access token is required to request this resource."))
        if token != self.token:
            return Reply(400, graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
        node, edge = parts[1] if len(parts) > 1 else "", "/".join(parts[2:])
        route = (request.method, edge)
        if route == ("POST", "photos") and node == self.page_id:
            return self._page_photo(request)
        if route == ("POST", "feed") and node == self.page_id:
            return self._page_feed(request)
        if route == ("POST", "media") and node == self.ig_user_id:
            return self._ig_container(request)
        if route == ("POST", "media_publish") and node == self.ig_user_id:
            return self._ig_publish(request)
        if route == ("GET", "") and node == "debug_token":
            return self._debug_token(request)
        if route == ("GET", ""):
            return self._read_node(node, request.param("fields") or "id")
        return Reply(
            400,
            graph_error(100, f"Unsupported {request.method.lower()} request.", kind="GraphMethodException"),
        )

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
        }
        return Reply(200, {"id": photo_id, "post_id": post_id})

    def _page_feed(self, request: Recorded) -> Reply:
        message, link = request.param("message"), request.param("link")
        if not message and not link:
            return Reply(400, graph_error(100, "(#100) Missing message or attachment"))
        post_id = f"{self.page_id}_{self._new_id()}"
        self.posts[post_id] = {"kind": "feed", "message": message or "", "link": link}
        return Reply(200, {"id": post_id})

    def _ig_container(self, request: Recorded) -> Reply:
        image_url = request.param("image_url") or ""
        if not image_url.startswith(("http://", "https://")):
            return Reply(400, graph_error(9004, "Only photo or video can be accepted as media type.", subcode=2207052))
        caption = request.param("caption") or ""
        if len(caption.encode("utf-16-le")) // 2 > 2200:
            return Reply(400, graph_error(100, "The caption is too long.", subcode=2207010))
        container_id = self._new_id()
        self.containers[container_id] = Container(
            self.ig_user_id, image_url, caption, self.ig_polls_in_progress, self.ig_container_outcome
        )
        return Reply(200, {"id": container_id})

    def _ig_publish(self, request: Recorded) -> Reply:
        container = self.containers.get(request.param("creation_id") or "")
        if container is None:
            return Reply(400, graph_error(100, "Invalid parameter", subcode=2207001))
        if container.published_as:
            return Reply(400, graph_error(9007, "The media has already been published", subcode=2207027))
        if container.status_code != "FINISHED":
            return Reply(400, graph_error(9007, "Media ID is not available", subcode=2207027))
        media_id = self._new_id()
        container.published_as = media_id
        container.status_code = "PUBLISHED"
        self.media[media_id] = {"caption": container.caption, "image_url": container.image_url}
        return Reply(200, {"id": media_id})

    def _debug_token(self, request: Recorded) -> Reply:
        valid = request.param("input_token") == self.token
        data: dict[str, Any] = {
            "app_id": "123456789",
            "type": "PAGE",
            "application": "SOP Desk",
            "is_valid": valid,
            "expires_at": self.token_expires_at,
            "data_access_expires_at": 0,
            "scopes": list(self.scopes),
            "profile_id": self.page_id,
        }
        if not valid:
            data["error"] = {"code": 190, "message": "Invalid OAuth access token"}
        return Reply(200, {"data": data})

    def _read_node(self, node: str, fields: str) -> Reply:
        wanted = fields.split(",")
        if node in ("me", self.page_id):
            return Reply(200, {"id": self.page_id, "name": self.page_name})
        if node == self.ig_user_id:
            return Reply(200, {"id": self.ig_user_id, "username": self.ig_username})
        if node in self.posts:
            return Reply(200, {"id": node, "permalink_url": f"https://www.facebook.com/{node.replace('_', '/posts/')}"})
        if node in self.containers:
            container = self.containers[node]
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
