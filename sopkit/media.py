"""Attachments of an item (images, video, documents), stored content-addressed beside the embedded store.

The Register keeps only references (``Item.media``: a list of dicts); the bytes live in
``<store folder>/media/<sha256[:2]>/<sha256>.<ext>``. Images pass ``images.load_upload`` first, so what is kept
is a checked picture; renditions are made from it on demand. Other files are kept as uploaded, under a safe name,
for staff to download — never rendered in the page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .images import ImageRejected, load_upload, safe_filename

#: What an officer may attach besides pictures, by extension (checked again by content where it matters).
VIDEO_EXT = frozenset({"mp4", "mov", "webm"})
DOC_EXT = frozenset({"pdf", "docx", "xlsx", "pptx", "odt", "txt"})
MAX_OTHER_BYTES = 200 * 1024 * 1024


class MediaRejected(ValueError):
    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def media_root(store_path: Path) -> Path:
    return Path(store_path).parent / "media"


def save(root: Path, data: bytes, filename: str) -> dict[str, Any]:
    """Check and keep one upload; returns its reference for ``Item.media``. Raises MediaRejected."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in VIDEO_EXT | DOC_EXT:
        if len(data) > MAX_OTHER_BYTES:
            raise MediaRejected("The file is too large.", "too_large")
        if not data:
            raise MediaRejected("The file is empty.", "empty")
        if ext == "pdf" and not data.startswith(b"%PDF"):
            raise MediaRejected("This file is not a PDF.", "not_document")
        kind, mime, name = ("video" if ext in VIDEO_EXT else "document"), "application/octet-stream", filename
    else:
        try:
            upload = load_upload(data, filename)
        except ImageRejected as e:
            raise MediaRejected(str(e), e.reason) from e
        kind, mime, name = "image", upload.mime, upload.filename
        ext = name.rsplit(".", 1)[-1]
    digest = hashlib.sha256(data).hexdigest()
    rel = f"{digest[:2]}/{digest}.{ext}"
    path = root / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return {"kind": kind, "name": safe_filename(name), "path": rel, "sha256": digest, "mime": mime,
            "bytes": len(data), "alt": "", "use": kind == "image"}


def read(root: Path, ref: dict[str, Any]) -> bytes:
    """The bytes of a reference; refuses a path that leaves the media folder (a hand-edited Register)."""
    path = (root / str(ref.get("path", ""))).resolve()
    if not path.is_relative_to(root.resolve()):
        raise MediaRejected("Bad media path.", "bad_path")
    return path.read_bytes()
