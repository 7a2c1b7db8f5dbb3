"""Facebook Page channel: one photo post (with the caption as its message) or one feed post with the link.

A Page post is a single Graph request, so a publish is either clearly done, clearly refused, or -- when the answer
never arrives -- "unknown" for a human to check. Graph cannot look a Page post up by our idempotency key, so
``find`` raises CannotSearch and the job never guesses.

Only the first image is posted: a multi-photo Page post needs unpublished uploads plus a feed post with
``attached_media``, three or more requests whose partial failure is harder to reason about than one photo.
"""

from __future__ import annotations

import time

import requests

from sopkit.channels.base import (
    CannotSearch,
    ChannelState,
    CredentialStatus,
    OutcomeUnknown,
    PermanentError,
    Post,
    Result,
)
from sopkit.channels.http import DEFAULT_BACKOFF, GraphApi, OnRetry, Sleep, Timeout
from sopkit.channels.spec import ChannelContext, ChannelSpec, RenditionSpec
from sopkit.retry import Backoff

GRAPH_URL = "https://graph.facebook.com/v21.0"
MAX_MESSAGE = 63206  # a Page post's message, in characters


def message_with_link(caption: str, link: str | None) -> str:
    """A photo post cannot carry a link attachment, so the link goes into the text (once)."""
    caption = caption.strip()
    if link and link not in caption:
        return f"{caption}\n\n{link}".strip()
    return caption


class FacebookChannel:
    """Publishes to one Facebook Page with a Page access token (needs pages_manage_posts)."""

    name = "facebook"

    def __init__(
        self,
        page_id: str,
        page_token: str,
        graph_url: str = GRAPH_URL,
        session: requests.Session | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        *,
        timeout: Timeout = (5.0, 60.0),
        sleep: Sleep = time.sleep,
        on_retry: OnRetry | None = None,
    ):
        self.page_id = page_id
        self.api = GraphApi(
            graph_url,
            page_token,
            session=session,
            timeout=timeout,
            backoff=backoff,
            sleep=sleep,
            on_retry=on_retry,
        )

    def find(self, post: Post) -> Result | None:
        raise CannotSearch("Graph API cannot look up a Page post by our key; check the Page by hand")

    def publish(self, post: Post) -> Result:
        if post.images:
            image = post.images[0]
            data = {"message": message_with_link(post.caption, post.link)}
            if image.alt:
                data["alt_text_custom"] = image.alt
            body = self.api.call(
                "POST",
                f"{self.page_id}/photos",
                what="Facebook photo post",
                idempotent=False,
                data=data,
                files={"source": (image.filename, image.data, image.mime)},
            )
            post_id = str(body.get("post_id") or body.get("id") or "")
        else:
            data = {"message": post.caption.strip()}
            if post.link:
                data["link"] = post.link
            if not data["message"] and not post.link:
                raise PermanentError("Facebook: nothing to post (no caption, link or image)")
            body = self.api.call("POST", f"{self.page_id}/feed", what="Facebook feed post", idempotent=False, data=data)
            post_id = str(body.get("id") or "")
        if not post_id:
            # Graph said 2xx but gave no id: something was probably created; let a human look.
            raise OutcomeUnknown("Facebook accepted the post but returned no id; check the Page")
        url = self.api.best_effort_field(post_id, "permalink_url", "Facebook permalink")
        return Result(ChannelState.PUBLISHED, url=url or f"https://www.facebook.com/{post_id}", post_id=post_id)

    def check_credentials(self) -> CredentialStatus:
        return self.api.check(self.page_id, "id,name", needed_scopes=("pages_manage_posts",))


def _factory(ctx: ChannelContext) -> FacebookChannel:
    return FacebookChannel(ctx.text("page_id"), ctx.text("page_token"), ctx.text("graph_url", GRAPH_URL),
                           **ctx.retry_kwargs())


#: Rendition: 1200x630 (1.91:1) is Meta's recommended link/share image; Graph API page photos must be < 4 MB.
SPEC = ChannelSpec(
    name="facebook", order=30, factory=_factory, credentials=("page_id", "page_token"), secrets=("page_token",),
    rendition=RenditionSpec("fill", ((1200, 630),), 4 * 1024 * 1024), caption_limit=MAX_MESSAGE,
)
