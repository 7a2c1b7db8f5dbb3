"""The one interface every publishing channel implements, and the values it trades in.

The publish job turns a Register item into a :class:`Post` per channel; a channel only knows how to put a
``Post`` on its platform, find one it already put there, and say whether its credentials will work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Protocol


@dataclass(frozen=True)
class Image:
    """One rendition ready for a channel: already resized, stripped of EXIF and re-encoded."""

    data: bytes
    mime: str  # "image/jpeg" or "image/png"
    filename: str
    alt: str = ""
    public_url: str | None = None  # where the website serves this image (Instagram needs a public URL)


@dataclass(frozen=True)
class Post:
    key: str  # idempotency key derived from the item id (e.g. "sop-20261126-ab12cd34"); searchable where possible
    item_id: str
    title: str
    body_markdown: str
    caption: str  # the caption written for this channel
    category: str = ""
    tags: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    link: str | None = None  # the item's page on the website, when it has one
    publish_at: dt.datetime | None = None  # aware datetime


Status = Literal["published", "failed", "unknown"]


@dataclass(frozen=True)
class Result:
    status: Status
    url: str = ""
    post_id: str = ""
    error: str = ""
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class CredentialStatus:
    ok: bool
    message: str = ""
    expires_at: dt.datetime | None = None


class PermanentError(Exception):
    """The channel refused for a reason a retry cannot fix (400/401/403, expired token): shown to the publisher."""


class OutcomeUnknown(Exception):
    """The request may have reached the channel but no answer came back; never post again blindly."""


class CannotSearch(Exception):
    """This channel has no way to look up a post by its idempotency key."""


class Channel(Protocol):
    name: str

    def find(self, post: Post) -> Result | None:
        """The earlier post for ``post.key`` if the channel has it, None if it has not; CannotSearch otherwise."""
        ...

    def publish(self, post: Post) -> Result:
        """Post once. Raises retry.TransientError (safe to retry: nothing was created), PermanentError or
        OutcomeUnknown (the request may have been applied)."""
        ...

    def check_credentials(self) -> CredentialStatus: ...
