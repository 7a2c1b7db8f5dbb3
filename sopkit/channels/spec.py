"""What a channel declares about itself, once, in its own module: the values of a :class:`ChannelSpec`.

Why one declaration: the menus, the publish order, the creator's caption checks, the picture sizes, the secrets
that must never be logged, the admin's credential warnings and the publish job all used to keep their own list of
channels. Now each reads the spec the channel module exports as ``SPEC`` (``sopkit.channels.registry`` finds
them), so adding a channel is one module plus its tests.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sopkit.timeutil import DEFAULT_TIMEZONE

from .base import Channel

Sleep = Callable[[float], None]
Fit = Literal["fill", "fit"]


#: How the platforms count what their caption limits are about.
HASHTAG = re.compile(r"(?<![\w#])#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]+")


def utf16_length(text: str) -> int:
    """Caption limits are in UTF-16 code units, as Instagram, X and Telegram count them: an emoji counts two."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class RenditionSpec:
    """How one channel wants its picture (``sopkit.images.render`` makes it).

    ``fill`` centre-crops to the size whose aspect is nearest the source's (one of ``sizes``) and scales down to it;
    ``fit`` keeps the source's aspect inside ``sizes[0]`` as a bounding box, cropping only if the aspect falls
    outside ``min_aspect``..``max_aspect``. Neither mode enlarges a smaller picture (that only adds blur), except
    up to ``min_width`` where a platform refuses narrower ones.
    """

    mode: Fit
    sizes: tuple[tuple[int, int], ...]
    max_bytes: int
    allow_png: bool = True
    min_aspect: float = 0.0  # width / height
    max_aspect: float = float("inf")
    min_width: int = 1


@dataclass(frozen=True)
class ChannelContext:
    """What a channel's factory gets: its own ``[name]`` table of the secrets file and the job's plumbing.

    No ``Config``: a channel knows its section, not the rest of the file (nor the store, nor other secrets).
    """

    section: Mapping[str, Any]
    root: Path  # relative paths in the section are relative to this folder (the project)
    timezone: str = DEFAULT_TIMEZONE
    sleep: Sleep = time.sleep
    on_retry: Callable[..., None] | None = None

    def text(self, key: str, default: str = "") -> str:
        return str(self.section.get(key, "") or default).strip()

    def path(self, key: str, default: str) -> Path:
        path = Path(self.text(key, default))
        return path if path.is_absolute() else self.root / path

    def retry_kwargs(self) -> dict[str, Any]:
        """``sleep`` and ``on_retry`` as the HTTP channels take them."""
        return {"sleep": self.sleep, "on_retry": self.on_retry}


Factory = Callable[[ChannelContext], Channel]
#: ``(channel name, its [name] section, now, language) -> warnings``: what the admin page says about a section.
ConfigWarnings = Callable[[str, Mapping[str, Any], dt.datetime, str], list[str]]


@dataclass(frozen=True)
class ChannelSpec:
    """One channel, as everything outside its module sees it.

    ``factory`` None means there is no poster in this version: a person posts by hand (``hand_posted`` says why),
    and the job leaves it on the publisher's queue. ``credentials`` are the keys of the ``[name]`` section the
    factory needs; a channel missing any of them is posted by hand too. ``secrets`` name the keys whose values
    must never appear in a message (they are redacted in every encoding). Limits count UTF-16 units; a limit of
    None means the channel takes no caption of its own (it uses the article and its summary).

    ``public_images`` and ``links_home`` say the channel needs the home page's address to be public (Meta fetches
    the picture itself; a post links readers to it), so the wiring holds the channel back while it is not
    (``publishing.wiring``). ``address`` names the ``[name]`` key holding the public address of a channel that
    serves pages (and its default); ``config_warnings`` lets a channel say what in its section needs fixing.
    """

    name: str
    order: int  # menus and the publish order: the home page first, the others link to it
    factory: Factory | None = None
    hand_posted: str = ""
    credentials: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    rendition: RenditionSpec | None = None  # None: takes no pictures
    caption_limit: int | None = None
    hashtag_limit: int | None = None
    mention_limit: int | None = None
    public_images: bool = False  # fetches its pictures from a public URL, so a channel that hosts images goes first
    links_home: bool = False  # its posts carry the home page's link
    home: bool = False  # its published page is the link the other channels' posts carry
    #: the job can look a post up (``find``), so a post out but not yet recorded is found by the next run; False
    #: (Telegram's Bot API): the job writes each result right after its post, not with the run's batch
    searchable: bool = True
    #: posting the same key again replaces that one post (the website rewrites ``berita/<key>/``), so a request of
    #: a run that died can never leave a second post. Where this is False and the copies of a post cannot be listed
    #: afterwards (``Copies``: WordPress), a run taking over a claim an earlier run held posts nothing on its own
    #: when the post is not there yet (Facebook, Instagram): that run's request may still land; it is ``unknown``,
    #: watched, for a person to hand back (``publishing.job``)
    rewrites: bool = False
    address: tuple[str, str] | None = None  # (key, default) of the address it serves at, for ``home``
    config_warnings: ConfigWarnings | None = None

    @property
    def automatic(self) -> bool:
        return self.factory is not None

    @property
    def takes_caption(self) -> bool:
        return self.caption_limit is not None
