"""Facebook Page channel: one photo post (with the caption as its message) or one feed post with the link.

A Page post is a single Graph request, so a publish is clearly done, clearly refused, or "unknown". Unknown is
common: Graph answers "An unexpected error has occurred" (code 2, HTTP 500) after having made the post (koala
#699, php-graph-sdk #1141), so ``http.graph_error`` never lets a create be retried blindly. Instead the Page can
be searched: ``GET /{page-id}/published_posts`` (needs ``pages_read_engagement``,
developers.facebook.com/docs/graph-api/reference/page/published_posts) lists what the Page published, and every
post we make carries the item's website link (``berita/<key>/``, unique per item) or, without one, exactly the
message we sent. :meth:`FacebookChannel.find` matches those, so an unknown is resolved by looking.

Only the first image is posted: a multi-photo Page post needs unpublished uploads plus a feed post with
``attached_media``, three or more requests whose partial failure is harder to reason about than one photo.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests

from sopkit.channels.addresses import IsPublic, address_problem, is_public_url
from sopkit.channels.base import (
    CannotSearch,
    ChannelState,
    CredentialStatus,
    OutcomeUnknown,
    PermanentError,
    Post,
    Result,
    as_dict,
    as_list,
)
from sopkit.channels.graph import DEFAULT_VERSION, GRAPH_HOST, GraphApi, config_warnings
from sopkit.channels.http import DEFAULT_BACKOFF, GRAPH_PERMISSION_CODES, OnRetry, Sleep, Timeout, graph_codes
from sopkit.channels.spec import ChannelContext, ChannelSpec, RenditionSpec
from sopkit.i18n import t
from sopkit.retry import Backoff

MAX_MESSAGE = 63206  # a Page post's message, in characters
SCOPES = ("pages_manage_posts", "pages_read_engagement")
SEARCH_FIELDS = "id,message,permalink_url,created_time,attachments{url,unshimmed_url}"
SEARCH_PAGES = 5  # pages of 100 posts: far more than a government Page publishes between two runs
SEARCH_SLACK = dt.timedelta(days=1)  # look from a day before the scheduled time (clock skew, early hand posts)


def message_with_link(caption: str, link: str | None) -> str:
    """A photo post cannot carry a link attachment, so the link goes into the text (once)."""
    caption = caption.strip()
    if link and link not in caption:
        return f"{caption}\n\n{link}".strip()
    return caption


class FacebookChannel:
    """Publishes to one Facebook Page with a Page access token (needs pages_manage_posts, and
    pages_read_engagement to look a post up)."""

    name = "facebook"

    def __init__(
        self,
        page_id: str,
        page_token: str,
        graph_url: str = GRAPH_HOST,
        session: requests.Session | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        *,
        version: str = DEFAULT_VERSION,
        app_id: str = "",
        app_secret: str = "",
        timeout: Timeout = (5.0, 60.0),
        sleep: Sleep = time.sleep,
        on_retry: OnRetry | None = None,
        is_public: IsPublic = is_public_url,
    ):
        self.page_id = page_id
        self.is_public = is_public
        self.api = GraphApi(graph_url, version, page_token, app_id=app_id, app_secret=app_secret, session=session,
                            timeout=timeout, backoff=backoff, sleep=sleep, on_retry=on_retry)  # fmt: skip

    # -- looking up -------------------------------------------------------------------------------------------

    def find(self, post: Post) -> Result | None:
        """Our post among the Page's recent published posts, matched by the item's link or by the exact message."""
        params = {"fields": SEARCH_FIELDS, "limit": "100"}
        if post.publish_at is not None:
            params["since"] = str(int((post.publish_at - SEARCH_SLACK).timestamp()))
        what = t("facebook.what.search")
        for _ in range(SEARCH_PAGES):
            try:
                body = self.api.call("GET", f"{self.page_id}/published_posts", what=what, idempotent=True,
                                     params=params)  # fmt: skip
            except PermanentError as e:
                code, _ = graph_codes(e)
                if code in GRAPH_PERMISSION_CODES:  # no pages_read_engagement: we cannot look, say so
                    raise CannotSearch(t("facebook.cannot_search", detail=str(e))) from e
                raise
            for entry in as_list(body.get("data")):
                if isinstance(entry, dict) and self._ours(entry, post):
                    post_id = str(entry.get("id", ""))
                    url = str(entry.get("permalink_url") or f"https://www.facebook.com/{post_id}")
                    return Result(ChannelState.PUBLISHED, url=url, post_id=post_id)
            after = _after_cursor(body)
            if not after:
                return None
            params = {**params, "after": after}
        return None

    @staticmethod
    def _ours(entry: dict[str, Any], post: Post) -> bool:
        message = str(entry.get("message") or "")
        if post.link:
            urls = [message]
            attachments = entry.get("attachments", {}).get("data", []) if isinstance(entry.get("attachments"),
                                                                                   dict) else []
            urls += [str(a.get(k) or "") for a in attachments if isinstance(a, dict) for k in ("unshimmed_url", "url")]
            return any(post.link in u for u in urls)
        return " ".join(message.split()) == " ".join(_message(post).split()) and bool(message.strip())

    def where_to_look(self, post: Post) -> str:
        """What a person checks on the Page when the outcome stays unknown."""
        clue = post.link or (_message(post)[:80] + "…")
        return t("facebook.look", page=f"https://www.facebook.com/{self.page_id}", clue=clue)

    # -- publishing -------------------------------------------------------------------------------------------

    def publish(self, post: Post) -> Result:
        if post.link and not self.is_public(post.link):
            raise PermanentError(t("channel.link_not_public", channel="Facebook", url=post.link,
                                   why=t(f"addr.{address_problem(post.link) or 'private_name'}")))
        if post.images:
            image = post.images[0]
            data = {"message": _message(post)}
            if image.alt:
                data["alt_text_custom"] = image.alt
            body = self.api.call("POST", f"{self.page_id}/photos", what=t("facebook.what.photo"), idempotent=False,
                                 data=data, files={"source": (image.filename, image.data, image.mime)})  # fmt: skip
            post_id = str(body.get("post_id") or body.get("id") or "")
        else:
            data = {"message": _message(post)}
            if post.link:
                data["link"] = post.link
            if not data["message"] and not post.link:
                raise PermanentError(t("facebook.nothing"))
            body = self.api.call("POST", f"{self.page_id}/feed", what=t("facebook.what.feed"), idempotent=False,
                                 data=data)  # fmt: skip
            post_id = str(body.get("id") or "")
        if not post_id:
            # Graph said 2xx but gave no id: something was probably created; the job looks it up.
            raise OutcomeUnknown(t("facebook.no_id"))
        url = self.api.best_effort_field(post_id, "permalink_url", t("facebook.what.permalink"))
        return Result(ChannelState.PUBLISHED, url=url or f"https://www.facebook.com/{post_id}", post_id=post_id)

    def check_credentials(self) -> CredentialStatus:
        return self.api.check(self.page_id, "id,name", scopes=SCOPES, token_types=("PAGE",), profile_id=self.page_id)


def _message(post: Post) -> str:
    """The message a post of ``post`` carries: the link goes into a photo's text, a feed post links it."""
    return message_with_link(post.caption, post.link) if post.images else post.caption.strip()


def _after_cursor(body: dict[str, Any]) -> str:
    paging = as_dict(body.get("paging"))
    cursors = as_dict(paging.get("cursors"))
    return str(cursors.get("after") or "") if paging.get("next") else ""


def _factory(ctx: ChannelContext) -> FacebookChannel:
    return FacebookChannel(ctx.text("page_id"), ctx.text("page_token"), ctx.text("graph_url", GRAPH_HOST),
                           version=ctx.text("graph_version", DEFAULT_VERSION), app_id=ctx.text("app_id"),
                           app_secret=ctx.text("app_secret"), **ctx.retry_kwargs())  # fmt: skip


#: Rendition: 1200x630 (1.91:1) is Meta's recommended link/share image; Graph API page photos must be < 4 MB.
#: ``links_home``: the post carries the website's link, so a website on a private address holds it back.
SPEC = ChannelSpec(
    name="facebook", order=30, factory=_factory, credentials=("page_id", "page_token"),
    secrets=("page_token", "app_secret"), rendition=RenditionSpec("fill", ((1200, 630),), 4 * 1024 * 1024),
    caption_limit=MAX_MESSAGE, links_home=True, config_warnings=config_warnings,
)
