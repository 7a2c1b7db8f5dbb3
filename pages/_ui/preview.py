"""The per-channel preview the creator, both reviewers and the publisher see (``sopkit.preview`` makes it): the
website article in a frame as the site channel writes it, a card per social channel with its caption, cropped
picture, hashtags and counts, and the item's videos (a player) and documents (by name)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from sopkit import preview
from sopkit.media import MediaRejected, read
from sopkit.schema import Item, format_value

from . import session
from .session import t
from .widgets import channel_name as label

#: The article frame's height: a phone screen and a half; the page scrolls inside it.
FRAME_HEIGHT = 640
#: A social card's width: a post in a phone's feed (the picture inside keeps the rendition's own pixels).
CARD_WIDTH = 480


def _digest(item: Item) -> str:
    """The content the preview is made of: it changes with every keystroke the creator saves into the form."""
    parts = {c: format_value(c, getattr(item, c)) for c in ("title", "summary", "category", "body", "captions",
                                                            "media", "publish_at")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@st.cache_data(show_spinner=False, max_entries=64)
def _site(root: str, digest: str, _item: Item) -> tuple[str, str]:
    return preview.site_page(_item, Path(root))


@st.cache_data(show_spinner=False, max_entries=256)
def _card(root: str, digest: str, channel: str, _item: Item) -> preview.Card:
    return preview.card(_item, channel, Path(root))


def show(item: Item) -> None:
    """One tab per target channel, then the videos and documents."""
    root, digest = str(session.cfg().media), _digest(item)
    st.markdown(f"**{t('preview.title')}**")
    channels = list(item.channels)
    if channels:
        for tab, channel in zip(st.tabs([label(c) for c in channels]), channels, strict=True):
            with tab:
                if preview.is_page(channel):
                    page, error = _site(root, digest, item)
                    st.caption(t("preview.site", channel=label(channel)))
                    if error:
                        st.warning(t("preview.picture_error", error=error))
                    st.iframe(page, height=FRAME_HEIGHT)
                else:
                    _show_card(item, _card(root, digest, channel, item))
    _attachments(item, Path(root))


def _show_card(item: Item, card: preview.Card) -> None:
    with st.container(border=True, width=CARD_WIDTH):  # a phone-sized card, as the feed shows it
        st.markdown(f"**{t('preview.card', channel=label(card.channel))}**")
        if card.error:
            st.warning(t("preview.picture_error", error=card.error))
        for img in card.images[:1]:
            st.image(img.data, caption=img.alt or None, width="stretch")
        if len(card.images) > 1:
            st.caption(t("preview.more_pictures", n=len(card.images) - 1))
        if not card.images and not card.error:
            st.caption(t("preview.no_picture"))
        if not item.captions.get(card.channel):
            st.caption(t("preview.summary_used", channel=label(card.channel)))
        st.text(card.caption or "—")
        tags = " ".join(card.hashtags)
        st.caption(t("preview.hashtags", tags=tags) if tags else t("preview.no_hashtags"))
        count = (t("creator.count", n=card.length, limit=card.limit) if card.limit
                 else t("creator.count_nolimit", n=card.length))
        if card.hashtag_limit:
            count += " · " + t("creator.hashtags", n=len(card.hashtags), limit=card.hashtag_limit)
        (st.error if card.over else st.caption)(count)
        for f in card.findings:
            st.error(t(f.key, **{**f.values, "channel": label(card.channel)}))


def _attachments(item: Item, root: Path) -> None:
    others = preview.attachments(item)
    if not others:
        return
    st.caption(t("preview.attachments"))
    for ref in others:
        name = str(ref.get("name", "?"))
        if ref.get("kind") == "video":
            try:
                st.video(read(root, ref), format=str(ref.get("mime") or "video/mp4"))
            except (OSError, MediaRejected):
                st.warning(t("preview.missing", name=name))
            st.caption(name)
        else:
            st.text(t("preview.document", name=name))
