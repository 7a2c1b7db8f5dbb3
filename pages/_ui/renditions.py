"""Per-channel renditions of an item's pictures, cached by content hash (they never change for a given file)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sopkit.channels.base import Image
from sopkit.images import RENDITIONS, ImageRejected, load_upload, rendition
from sopkit.media import MediaRejected, read

from . import session


@st.cache_data(show_spinner=False, max_entries=256)
def _rendition(root: str, path: str, sha256: str, name: str, channel: str, alt: str) -> Image:
    from pathlib import Path

    ref = {"path": path, "sha256": sha256}
    upload = load_upload(read(Path(root), ref), name)
    return rendition(upload, channel, alt=alt)


def for_channel(ref: dict[str, Any], channel: str) -> Image | None:
    """The rendition, or None when the channel has no picture size or the file cannot be used."""
    if channel not in RENDITIONS or ref.get("kind", "image") != "image":
        return None
    try:
        return _rendition(str(session.cfg().media), str(ref.get("path", "")), str(ref.get("sha256", "")),
                          str(ref.get("name", "gambar.jpg")), channel, str(ref.get("alt", "")))
    except (ImageRejected, MediaRejected, OSError):
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _thumbnail(root: str, path: str, sha256: str, name: str) -> bytes | None:
    from pathlib import Path

    from sopkit.channels.site import make_thumbnail

    return make_thumbnail(load_upload(read(Path(root), {"path": path, "sha256": sha256}), name).data)


def thumbnail(ref: dict[str, Any]) -> bytes | None:
    """A small JPEG of a picture attachment (the website's card thumbnail), or None for anything else."""
    if ref.get("kind", "image") != "image":
        return None
    try:
        return _thumbnail(str(session.cfg().media), str(ref.get("path", "")), str(ref.get("sha256", "")),
                          str(ref.get("name", "gambar.jpg")))
    except (ImageRejected, MediaRejected, OSError):
        return None
