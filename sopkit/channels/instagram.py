"""Instagram channel (Instagram API with Facebook Login): container, wait, publish, then read the permalink.

Follows the Content Publishing guide (developers.facebook.com/docs/instagram-platform/content-publishing):

* Meta fetches the picture itself ("media must be hosted on a publicly accessible server"), from
  ``Image.public_url`` (the website's copy); it takes JPEG only. Limits and the public address are checked before
  any request, so the publisher sees the reason at once instead of 9004 / 2207052.
* Creating a container has no visible effect (unpublished containers expire after 24 h), so a lost answer or a
  2207052 "media download has failed" there is safe to retry (Postiz retries 2207052 too).
* Only ``media_publish`` makes anything public, and the container remembers whether it was: its ``status_code``
  is PUBLISHED / FINISHED / IN_PROGRESS / ERROR / EXPIRED (reference: ig-container). So the container id travels
  in every error after it was made (``with_refs``) and is stored in the item's channel result; when
  ``media_publish`` fails ambiguously or returns no id, the container is asked first: PUBLISHED means done,
  FINISHED means nothing went out and the same container may be published again (Postiz's ``checkPostStatus``
  and trypost's ``finishContainer`` do the same). A later run resumes that container instead of making a second
  one, and :meth:`InstagramChannel.find` answers from it.
* Right after FINISHED, ``media_publish`` may still say 9007 / 2207027 "the media is not ready for publishing,
  please wait for a moment"; a container read may say 100 / 33 (not visible yet): both are waited out.
* ``content_publishing_limit`` is read before publishing (100 API posts per rolling 24 h at the time of
  writing, ``quota_total`` says the current figure); at the limit the channel waits instead of being refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

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
    as_list,
    with_refs,
)
from sopkit.channels.graph import DEFAULT_VERSION, GRAPH_HOST, GraphApi, config_warnings
from sopkit.channels.http import DEFAULT_BACKOFF, OnRetry, Sleep, Timeout, graph_codes
from sopkit.channels.spec import HASHTAG, MENTION, ChannelContext, ChannelSpec, RenditionSpec
from sopkit.channels.spec import utf16_length as caption_length
from sopkit.i18n import t
from sopkit.retry import Backoff, RetriesExhausted, Throttled, TransientError, call_with_retry

T = TypeVar("T")

MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
SCOPES = ("instagram_basic", "instagram_content_publish", "pages_read_engagement")
#: Container-creation subcodes Meta's error reference says to simply try again (nothing is public yet):
#: 2207052 media download failed, 2207003 download timed out, 2207001 server error, 2207032 create media failed.
RETRY_AT_CREATION = frozenset({2207052, 2207003, 2207001, 2207032})
QUOTA_WAIT = 3600.0  # the publishing limit is a rolling 24 h; look again in an hour


def caption_problems(caption: str) -> list[str]:
    """Why Instagram would refuse this caption; empty when it fits. Public so the desk can warn while editing."""
    problems = []
    if (n := caption_length(caption)) > MAX_CAPTION:
        problems.append(t("instagram.caption_long", n=n, limit=MAX_CAPTION))
    if (n := len(HASHTAG.findall(caption))) > MAX_HASHTAGS:
        problems.append(t("instagram.hashtags", n=n, limit=MAX_HASHTAGS))
    if (n := len(MENTION.findall(caption))) > MAX_MENTIONS:
        problems.append(t("instagram.mentions", n=n, limit=MAX_MENTIONS))
    return problems


class InstagramChannel:
    """Publishes single-image posts to one Instagram professional account (needs instagram_content_publish)."""

    name = "instagram"

    def __init__(
        self,
        ig_user_id: str,
        token: str,
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
        poll_interval: float = 3.0,
        max_polls: int = 20,
        is_public: IsPublic = is_public_url,
    ):
        self.ig_user_id = ig_user_id
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.max_polls = max_polls
        self.is_public = is_public
        self.api = GraphApi(graph_url, version, token, app_id=app_id, app_secret=app_secret, session=session,
                            timeout=timeout, backoff=backoff, sleep=sleep, on_retry=on_retry)  # fmt: skip

    def _retry(self, fn: Callable[[], T]) -> T:
        return call_with_retry(fn, self.api.backoff, sleep=self.sleep, on_retry=self.api.on_retry)

    # -- looking up -------------------------------------------------------------------------------------------

    def find(self, post: Post) -> Result | None:
        """The container of an earlier try says whether it went out; without one there is nothing to ask."""
        container_id = post.refs.get("container_id", "")
        if not container_id:
            raise CannotSearch(t("instagram.cannot_search"))
        status = self._stored_status(container_id)
        if status == "GONE":
            raise CannotSearch(t("instagram.container_gone", container=container_id))
        if status == "PUBLISHED":
            return self._published(container_id, post.refs.get("media_id", ""))
        return None  # FINISHED, IN_PROGRESS, ERROR, EXPIRED: nothing of it is public

    def where_to_look(self, post: Post) -> str:
        container = post.refs.get("container_id", "")
        return t("instagram.look", account=self.ig_user_id, caption=post.caption.strip()[:80] + "…",
                 container=container or "—")

    # -- publishing -------------------------------------------------------------------------------------------

    def refuse_early(self, post: Post) -> None:
        """Everything Instagram would refuse that we can see before sending a byte."""
        problems = caption_problems(post.caption)
        if not post.images:
            problems.append(t("instagram.needs_image"))
        else:
            image = post.images[0]
            if not image.public_url:
                problems.append(t("instagram.no_public_url"))
            elif not self.is_public(image.public_url):
                problems.append(t("instagram.image_not_public", url=image.public_url,
                                  why=t(f"addr.{address_problem(image.public_url) or 'private_name'}")))
            if image.mime != "image/jpeg":
                problems.append(t("instagram.jpeg_only", mime=image.mime))
        if problems:
            raise PermanentError(t("instagram.refused", problems="; ".join(problems)))

    def publish(self, post: Post) -> Result:
        self.refuse_early(post)
        container_id = post.refs.get("container_id", "")
        status = self._stored_status(container_id) if container_id else ""
        if status == "PUBLISHED":
            return self._published(container_id, post.refs.get("media_id", ""))
        if status not in ("FINISHED", "IN_PROGRESS"):  # none yet, or it failed / expired: a new, invisible one
            container_id = self._create_container(post)
        try:
            if self.wait_until_finished(container_id) == "PUBLISHED":
                return self._published(container_id, "")
            self._check_quota()
            if post.remember is not None:
                post.remember({"container_id": container_id})  # before the one step that makes it public
            media_id = self._publish_container(container_id)
        except Exception as e:
            raise with_refs(e, container_id=container_id) from None
        return self._published(container_id, media_id)

    def _create_container(self, post: Post) -> str:
        image = post.images[0]
        data = {"image_url": str(image.public_url), "caption": post.caption}
        if image.alt:
            data["alt_text"] = image.alt
        what = t("instagram.what.container")

        def attempt() -> str:
            try:
                body = self.api.once("POST", f"{self.ig_user_id}/media", what=what, idempotent=True, data=data)
            except PermanentError as e:
                if graph_codes(e)[1] in RETRY_AT_CREATION:
                    raise TransientError(t("instagram.fetch_failed", url=image.public_url, detail=str(e))) from e
                raise
            if not body.get("id"):
                raise TransientError(t("instagram.no_container_id"))
            return str(body["id"])

        return self._retry(attempt)

    def _status(self, container_id: str) -> tuple[str, str]:
        """(status_code, status) of a container; 100/33 (not visible yet) is retried."""
        what = t("instagram.what.status")

        def attempt() -> tuple[str, str]:
            try:
                body = self.api.once("GET", container_id, what=what, idempotent=True,
                                     params={"fields": "status_code,status"})  # fmt: skip
            except PermanentError as e:
                if graph_codes(e) == (100, 33):
                    raise TransientError(t("instagram.container_not_visible", container=container_id)) from e
                raise
            return str(body.get("status_code") or ""), str(body.get("status") or "")

        return self._retry(attempt)

    def _stored_status(self, container_id: str) -> str:
        """The status of a container an earlier run made; "GONE" when it keeps answering 100/33 (a container of
        minutes or hours ago that cannot be read any more is not "not visible yet": a new one is made)."""
        try:
            return self._status(container_id)[0]
        except RetriesExhausted as e:
            if graph_codes(e) == (100, 33):
                return "GONE"
            raise

    def _status_or_blank(self, container_id: str) -> str:
        """The container's status_code when it can be read right now, "" otherwise (never raises)."""
        try:
            return self._status(container_id)[0]
        except (TransientError, RetriesExhausted, PermanentError, OutcomeUnknown):
            return ""

    def wait_until_finished(self, container_id: str) -> str:
        """Poll the container's status_code a bounded number of times; nothing is public while we wait."""
        status = ""
        for poll in range(self.max_polls):
            status, detail = self._status(container_id)
            if status in ("FINISHED", "PUBLISHED"):
                return status
            if status in ("ERROR", "EXPIRED"):
                raise PermanentError(t("instagram.container_failed", status=status, detail=detail or status))
            if poll + 1 < self.max_polls:
                self.sleep(self.poll_interval)
        last = TransientError(t("instagram.still_processing", container=container_id, status=status or "?"))
        raise RetriesExhausted(t("instagram.not_finished", n=self.max_polls), last, self.max_polls)

    def _check_quota(self) -> None:
        """Wait instead of being refused when the account has used its API publishing quota (best effort)."""
        try:
            body = self.api.once("GET", f"{self.ig_user_id}/content_publishing_limit", what=t("instagram.what.quota"),
                                 idempotent=True, params={"fields": "quota_usage,config"})  # fmt: skip
        except (TransientError, PermanentError, OutcomeUnknown):
            return  # media_publish itself will say 9 / 2207042 if the quota is really used up
        rows = as_list(body.get("data"))
        row: dict[str, Any] = rows[0] if rows and isinstance(rows[0], dict) else {}
        used = row.get("quota_usage")
        total = (row.get("config") or {}).get("quota_total") if isinstance(row.get("config"), dict) else None
        if isinstance(used, int) and isinstance(total, int) and used >= total:
            raise Throttled(t("instagram.quota", used=used, total=total), QUOTA_WAIT)

    def _publish_container(self, container_id: str) -> str:
        """``media_publish`` once per try; every ambiguous answer asks the container before anything else.

        Returns the media id, or "" when the container says PUBLISHED but the id never reached us.
        """
        what = t("instagram.what.publish")

        def attempt() -> str:
            try:
                body = self.api.once("POST", f"{self.ig_user_id}/media_publish", what=what, idempotent=False,
                                     data={"creation_id": container_id})  # fmt: skip
            except OutcomeUnknown as e:
                status = self._status_or_blank(container_id)
                if status == "PUBLISHED":
                    return ""
                if status == "FINISHED":  # not published: the same container may go out once more
                    raise TransientError(t("instagram.publish_again", detail=str(e))) from e
                raise
            except PermanentError as e:
                code, subcode = graph_codes(e)
                if code == 9007 or subcode == 2207027:
                    if self._status_or_blank(container_id) == "PUBLISHED":
                        return ""
                    raise TransientError(t("instagram.not_ready", detail=str(e))) from e
                if subcode == 2207042:
                    raise Throttled(t("instagram.quota_refused", detail=str(e)), QUOTA_WAIT) from e
                raise
            media_id = str(body.get("id") or "")
            if not media_id:
                if self._status_or_blank(container_id) == "PUBLISHED":
                    return ""
                raise OutcomeUnknown(t("instagram.no_media_id"))
            return media_id

        return self._retry(attempt)

    def _published(self, container_id: str, media_id: str) -> Result:
        """The result of a published container: its media's permalink when the id is known, else the account's
        page (the container node does not name its media, and guessing from the account's list could bind
        another post, as trypost notes)."""
        refs = {"container_id": container_id, "media_id": media_id}
        if media_id:
            url = self.api.best_effort_field(media_id, "permalink", t("instagram.what.permalink"))
            return Result(ChannelState.PUBLISHED, url=url, post_id=media_id, refs=refs)
        username = self.api.best_effort_field(self.ig_user_id, "username", t("instagram.what.permalink"))
        url = f"https://www.instagram.com/{username}/" if username else ""
        return Result(ChannelState.PUBLISHED, url=url, post_id=f"container:{container_id}", refs=refs)

    def check_credentials(self) -> CredentialStatus:
        return self.api.check(self.ig_user_id, "id,username", scopes=SCOPES, token_types=("USER", "PAGE"))


def _factory(ctx: ChannelContext) -> InstagramChannel:
    return InstagramChannel(ctx.text("ig_user_id"), ctx.text("token"), ctx.text("graph_url", GRAPH_HOST),
                            version=ctx.text("graph_version", DEFAULT_VERSION), app_id=ctx.text("app_id"),
                            app_secret=ctx.text("app_secret"), **ctx.retry_kwargs())  # fmt: skip


#: Rendition: the Content Publishing API takes JPEG only, <= 8 MB, aspect 4:5..1.91:1, width 320..1440;
#: 1080x1350 (4:5) and 1080x1080 are Instagram's own feed sizes. Meta downloads the picture itself.
SPEC = ChannelSpec(
    name="instagram", order=40, factory=_factory, credentials=("ig_user_id", "token"),
    secrets=("token", "app_secret"),
    rendition=RenditionSpec("fill", ((1080, 1350), (1080, 1080)), 8 * 1024 * 1024, allow_png=False, min_width=320),
    caption_limit=MAX_CAPTION, hashtag_limit=MAX_HASHTAGS, mention_limit=MAX_MENTIONS, public_images=True,
    config_warnings=config_warnings,
)
