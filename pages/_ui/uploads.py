"""Attachments from ``st.file_uploader``: checked by size before they are read, then by content (``sopkit.media``);
refused ones reported by name.

The limit is enforced by the server, not only by the widget (which the browser applies): ``server.maxUploadSize``
in .streamlit/config.toml makes Streamlit refuse a larger request while it streams in, and :func:`take` refuses
anything over :data:`sopkit.media.MAX_UPLOAD_BYTES` by its recorded size before copying its bytes.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sopkit.media import MAX_UPLOAD_MB, MediaRejected, check_size, save

from . import session
from .session import t

ACCEPT = ["jpg", "jpeg", "png", "webp", "mp4", "mov", "webm", "pdf", "docx", "xlsx", "pptx", "odt", "txt"]


def uploader(key: str) -> None:
    st.file_uploader(t("officer.attach", mb=MAX_UPLOAD_MB), key=key, accept_multiple_files=True, type=ACCEPT,
                     max_upload_size=MAX_UPLOAD_MB, help=t("officer.attach_help"))


def take(key: str) -> list[dict[str, Any]]:
    """The references of the uploads under ``key`` that passed; one flash per refused file."""
    files = st.session_state.get(key) or []
    root = session.cfg().media
    refs = []
    for f in files:
        try:
            check_size(f.size)
            refs.append(save(root, f.getvalue(), f.name))
        except MediaRejected as e:
            session.flash("error", t("upload.rejected", name=f.name, reason=t(f"upload.{e.reason}")))
    return refs
