"""Instagram channel (Instagram API with Facebook Login): container, wait, publish, then read the permalink.

Only the last step (``media_publish``) makes anything public, so only it can end in "outcome unknown". Creating a
container has no visible effect (unpublished containers expire after 24 h), which is why a lost answer there is
treated as safe to retry. A container can be published once, so a retried ``media_publish`` cannot duplicate.

Instagram fetches the image itself from ``Image.public_url`` (the website's copy); it accepts JPEG only. Limits are
checked before any request so the publisher sees the reason at once instead of a Graph error code.
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
from sopkit.channels.spec import HASHTAG, MENTION, ChannelContext, ChannelSpec, RenditionSpec
from sopkit.channels.spec import utf16_length as caption_length
from sopkit.retry import Backoff, RetriesExhausted, TransientError

GRAPH_URL = "https://graph.facebook.com/v21.0"
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20


def caption_problems(caption: str) -> list[str]:
    """Why Instagram would refuse this caption; empty when it fits. Public so the desk can warn while editing."""
    problems = []
    if (n := caption_length(caption)) > MAX_CAPTION:
        problems.append(f"caption is {n} characters, Instagram allows {MAX_CAPTION}")
    if (n := len(HASHTAG.findall(caption))) > MAX_HASHTAGS:
        problems.append(f"caption has {n} hashtags, Instagram allows {MAX_HASHTAGS}")
    if (n := len(MENTION.findall(caption))) > MAX_MENTIONS:
        problems.append(f"caption has {n} @mentions, Instagram allows {MAX_MENTIONS}")
    return problems


class InstagramChannel:
    """Publishes single-image posts to one Instagram professional account (needs instagram_content_publish)."""

    name = "instagram"

    def __init__(
        self,
        ig_user_id: str,
        token: str,
        graph_url: str = GRAPH_URL,
        session: requests.Session | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        *,
        timeout: Timeout = (5.0, 60.0),
        sleep: Sleep = time.sleep,
        on_retry: OnRetry | None = None,
        poll_interval: float = 3.0,
        max_polls: int = 20,
    ):
        self.ig_user_id = ig_user_id
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.max_polls = max_polls
        self.api = GraphApi(
            graph_url,
            token,
            session=session,
            timeout=timeout,
            backoff=backoff,
            sleep=sleep,
            on_retry=on_retry,
        )

    def find(self, post: Post) -> Result | None:
        raise CannotSearch("Instagram cannot look up a post by our key; check the account by hand")

    def refuse_early(self, post: Post) -> None:
        """Everything Instagram would refuse that we can see before sending a byte."""
        problems = caption_problems(post.caption)
        if not post.images:
            problems.append("Instagram needs an image")
        else:
            image = post.images[0]
            if not image.public_url:
                problems.append("the image has no public URL yet (Instagram downloads it from the website)")
            elif not image.public_url.startswith(("https://", "http://")):
                problems.append(f"the image URL is not a web address: {image.public_url}")
            if image.mime != "image/jpeg":
                problems.append(f"Instagram accepts JPEG images only, not {image.mime}")
        if problems:
            raise PermanentError("Instagram: " + "; ".join(problems))

    def publish(self, post: Post) -> Result:
        self.refuse_early(post)
        image = post.images[0]
        data = {"image_url": str(image.public_url), "caption": post.caption}
        if image.alt:
            data["alt_text"] = image.alt
        container = self.api.call(
            "POST", f"{self.ig_user_id}/media", what="Instagram media container", idempotent=True, data=data
        )
        container_id = str(container.get("id") or "")
        if not container_id:
            raise TransientError("Instagram media container: no id returned")
        self.wait_until_finished(container_id)
        published = self.api.call(
            "POST",
            f"{self.ig_user_id}/media_publish",
            what="Instagram publish",
            idempotent=False,
            data={"creation_id": container_id},
        )
        media_id = str(published.get("id") or "")
        if not media_id:
            raise OutcomeUnknown("Instagram accepted the publish but returned no media id; check the account")
        url = self.api.best_effort_field(media_id, "permalink", "Instagram permalink")
        return Result(ChannelState.PUBLISHED, url=url, post_id=media_id)

    def wait_until_finished(self, container_id: str) -> None:
        """Poll the container's status_code a bounded number of times; nothing is public while we wait."""
        status = ""
        for poll in range(self.max_polls):
            body = self.api.call(
                "GET",
                container_id,
                what="Instagram container status",
                idempotent=True,
                params={"fields": "status_code,status"},
            )
            status = str(body.get("status_code") or "")
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                detail = body.get("status") or status
                raise PermanentError(f"Instagram could not process the image ({status}: {detail})")
            if status == "PUBLISHED":
                raise OutcomeUnknown(f"Instagram container {container_id} is already published; check the account")
            if poll + 1 < self.max_polls:
                self.sleep(self.poll_interval)
        last = TransientError(f"Instagram container {container_id} still {status or 'not ready'}")
        raise RetriesExhausted(f"Instagram did not finish processing the image after {self.max_polls} checks", last)

    def check_credentials(self) -> CredentialStatus:
        return self.api.check(self.ig_user_id, "id,username", needed_scopes=("instagram_content_publish",))


def _factory(ctx: ChannelContext) -> InstagramChannel:
    return InstagramChannel(ctx.text("ig_user_id"), ctx.text("token"), ctx.text("graph_url", GRAPH_URL),
                            **ctx.retry_kwargs())


#: Rendition: the Content Publishing API takes JPEG only, <= 8 MB, aspect 4:5..1.91:1, width 320..1440;
#: 1080x1350 (4:5) and 1080x1080 are Instagram's own feed sizes. Meta downloads the picture itself.
SPEC = ChannelSpec(
    name="instagram", order=40, factory=_factory, credentials=("ig_user_id", "token"), secrets=("token",),
    rendition=RenditionSpec("fill", ((1080, 1350), (1080, 1080)), 8 * 1024 * 1024, allow_png=False, min_width=320),
    caption_limit=MAX_CAPTION, hashtag_limit=MAX_HASHTAGS, mention_limit=MAX_MENTIONS, public_images=True,
)
