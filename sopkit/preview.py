"""What each channel will show, before it is published: the reviewers', the creator's and the publisher's preview.

Nothing here renders twice: the website page is the site channel's own template and Markdown renderer
(:meth:`SiteChannel.preview_item`), the pictures are the renditions the publish job posts
(``publishing.media.renditions``), the caption is the one the job sends (``publishing.job.post_caption``), and the
counts are the channel spec's limits as the creator's check reads them (``checks.caption_findings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import checks
from .channels import registry
from .channels.base import Image, Post
from .channels.site import DEFAULT_BASE_URL, SiteChannel
from .channels.spec import HASHTAG
from .publishing.job import post_caption, post_key
from .publishing.media import MediaError, renditions
from .schema import Item


@dataclass(frozen=True)
class Card:
    """One social channel's post as it will go out: the caption, the cropped pictures, hashtags and counts.
    ``error`` says why the pictures cannot be made (the job would refuse the same way); "" when they can."""

    channel: str
    caption: str
    images: tuple[Image, ...]
    error: str
    length: int
    limit: int | None
    hashtags: tuple[str, ...]
    hashtag_limit: int | None
    findings: tuple[checks.Finding, ...]

    @property
    def over(self) -> bool:
        """The channel would refuse this caption (too long, too many hashtags or mentions)."""
        return bool(self.findings)


def _pictures(item: Item, channel: str, folder: Path) -> tuple[tuple[Image, ...], str]:
    spec = registry.get(channel)
    if spec is None or spec.rendition is None:
        return (), ""
    try:
        return renditions(item, channel, folder), ""
    except MediaError as e:
        return (), str(e)


def card(item: Item, channel: str, folder: Path) -> Card:
    """``channel``'s post of ``item`` with the pictures from the media ``folder``."""
    spec = registry.get(channel)
    caption = post_caption(item, channel)
    images, error = _pictures(item, channel, folder)
    return Card(channel, caption, images, error, checks.caption_length(caption),
                spec.caption_limit if spec else None, tuple(HASHTAG.findall(caption)),
                spec.hashtag_limit if spec else None, tuple(checks.caption_findings(channel, caption)))


def site_page(item: Item, folder: Path, base_url: str = DEFAULT_BASE_URL) -> tuple[str, str]:
    """The website article as the site channel would write it, as one self-contained HTML document, and why its
    pictures could not be made ("" when they could)."""
    images, error = _pictures(item, "site", folder)
    post = Post(key=post_key(item.id), item_id=item.id, title=item.title, body_markdown=item.body,
                caption=post_caption(item, "site"), category=item.category, images=images,
                publish_at=item.publish_at)
    return SiteChannel(folder / ".preview-unused", base_url).preview_item(post), error


def is_page(channel: str) -> bool:
    """The channel publishes an article page (the website, WordPress), not a social post."""
    spec = registry.get(channel)
    return bool(spec and (spec.home or not spec.takes_caption))


def attachments(item: Item) -> list[dict[str, Any]]:
    """The item's videos and documents (not pictures): shown by player or by name."""
    return [m for m in item.media if str(m.get("kind", "image")) != "image"]
