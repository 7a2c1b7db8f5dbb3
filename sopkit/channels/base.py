"""The one interface every publishing channel implements, the values it trades in, and the words for a channel's
state on an item.

The publish job turns a Register item into a :class:`Post` per channel; a channel only knows how to put a
``Post`` on its platform, find one it already put there, and say whether its credentials will work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sopkit.redact import errors_within


class ChannelState(StrEnum):
    """The state of one channel of one item (``Item.channel_results[channel]["status"]``): the only vocabulary.

    The workflow accepts only these, the job writes them, the pages translate them (``publisher.status.<value>``);
    a channel's :class:`Result` is one of the three outcomes.
    """

    PENDING = "pending"  # the job tries (again) on its next run (transient errors, or a person handed it back)
    MANUAL = "manual"  # the job cannot post there (no credentials, hand-posted): on the publisher's queue
    CLAIMED = "claimed"  # a run is at work on it until its lease runs out
    CHECKING = "checking"  # an answer was lost: the job looks for the post on each run before it would post again
    PUBLISHED = "published"
    FAILED = "failed"  # refused for good: waits for a person
    UNKNOWN = "unknown"  # may or may not be out: a person checks the channel


CHANNEL_STATES: tuple[ChannelState, ...] = tuple(ChannelState)
#: Outcomes only a person moves on from.
FOR_A_PERSON = frozenset({ChannelState.FAILED, ChannelState.UNKNOWN})
#: What a channel's ``publish``/``find`` may answer.
OUTCOMES = frozenset({ChannelState.PUBLISHED, ChannelState.FAILED, ChannelState.UNKNOWN})


@dataclass(frozen=True)
class Image:
    """One rendition ready for a channel: already resized, stripped of EXIF and re-encoded."""

    data: bytes
    mime: str  # "image/jpeg" or "image/png"
    filename: str
    alt: str = ""
    public_url: str | None = None  # where the website serves this image (Instagram needs a public URL)
    source: str = ""  # the upload's name as staff see it (``Item.media[n]["name"]``): how a body refers to it


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
    refs: Mapping[str, str] = field(default_factory=dict)  # what an earlier try learnt (see :func:`refs_of`)
    #: Called by a channel with refs it must not lose before an irreversible step (Instagram's container id just
    #: before ``media_publish``): the job writes them into its claim, so a run that dies mid-request can be
    #: resumed by looking. Best effort; None when nobody listens.
    remember: Callable[[Mapping[str, str]], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Result:
    status: ChannelState  # one of OUTCOMES (a plain "published" is accepted and converted)
    url: str = ""
    post_id: str = ""
    error: str = ""
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    refs: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        status = ChannelState(self.status)
        if status not in OUTCOMES:
            raise ValueError(f"a channel result is published, failed or unknown, not {status}")
        object.__setattr__(self, "status", status)


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


def with_refs(exc: BaseException, **refs: str) -> BaseException:
    """``exc`` carrying identifiers the channel learnt before it failed (Instagram's container id).

    Why: a container that may have been published is the only way to find out later whether it was (Postiz and
    trypost keep it for the same reason). The job stores them in the item's channel result (``refs``) and hands
    them back as :attr:`Post.refs` on the next try, so ``find`` and ``publish`` resume instead of starting over.
    """
    old = getattr(exc, "refs", None)
    # any exception (a requests error too), so a tag set and read with setattr/getattr, not a declared attribute
    setattr(exc, "refs", {**(old if isinstance(old, dict) else {}), **{k: v for k, v in refs.items() if v}})
    return exc


def refs_of(exc: BaseException) -> dict[str, str]:
    """Every ref attached to ``exc`` or to the errors it carries (``RetriesExhausted.last``, causes)."""
    found: dict[str, str] = {}
    for e in reversed(list(errors_within(exc))):
        refs = getattr(e, "refs", None)
        if isinstance(refs, dict):
            found.update({str(k): str(v) for k, v in refs.items() if v})
    return found


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


class Copies(Channel, Protocol):
    """A channel that can list every post it holds for one key, and take one down (WordPress).

    Why: a request the job gave up on (its answer lost, or its run killed) may still be applied by the server
    long after; WordPress then renames the second post ``<key>-2`` instead of refusing it. The job looks for such
    copies after posting where an earlier attempt may still be in flight, and on later runs for a while.
    """

    def find_copies(self, post: Post) -> tuple[Result, ...]:
        """Every post that is ``post``: the one under its key first (the one to keep), then the copies, oldest
        first; empty when there is none."""
        ...

    def trash_copy(self, copy: Result) -> None:
        """Take one copy down so that it can still be restored (WordPress: move it to the trash)."""
        ...

    def manage_url(self, post: Post) -> str:
        """Where a person finds ``post`` on the channel (its admin list), for the publisher page."""
        ...


class ImageHost(Protocol):
    """A channel that can serve pictures at public URLs for the channels that fetch them (``public_images``)."""

    def host_images(self, key: str, images: tuple[Image, ...]) -> tuple[Image, ...]:
        """The same images with ``public_url`` set, once they are served there."""
        ...


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else ``{}``: a reply's or a stored state's part read without trusting
    its shape (a proxy's HTML, an older row, a hand edit)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else ``[]`` (as :func:`as_dict`)."""
    return value if isinstance(value, list) else []
