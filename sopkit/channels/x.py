"""X (Twitter): no poster in this version (its API needs a paid plan), so a person posts and pastes the URL.

Declared all the same so that the creator's caption check, the rendition a person downloads, and the menus know
it; a poster later is a ``factory`` here and nothing else.
"""

from __future__ import annotations

from sopkit.channels.spec import ChannelSpec, RenditionSpec
from sopkit.i18n import t

#: Rendition: 1200x675 (16:9) shows uncropped in the timeline; the media upload limit for images is 5 MB.
SPEC = ChannelSpec(
    name="x", order=60, hand_posted=t("channel.x.hand_posted"),
    rendition=RenditionSpec("fill", ((1200, 675),), 5 * 1024 * 1024), caption_limit=280,
)
