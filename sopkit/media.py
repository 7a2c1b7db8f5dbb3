"""Attachments of an item (images, video, documents), stored content-addressed in the media folder.

The Register keeps only references (``Item.media``: a list of dicts); the bytes live in
``<media root>/<sha256[:2]>/<sha256>.<ext>``, whatever the store (``[media] root``, default ``data/media``: the
desk's uploads, the publish job's renditions and the pictures the site channel copies all read it). Images
pass ``images.load_upload`` first, so what is kept is a checked picture; renditions are made from it on demand.
Videos and documents must be what their extension says by their content (magic bytes, :func:`content_type`), and
are kept as uploaded for staff to download — never rendered in the page. Nothing over the desk's upload limit is
read at all (:func:`check_size`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import filetype

from .images import ImageRejected, load_upload, safe_filename

#: What an officer may attach besides pictures, by extension, and what the content must then be (the extensions
#: ``filetype`` names for it). Phone cameras write MP4 and QuickTime under either name, so those two go together.
CONTENT_OF: dict[str, frozenset[str]] = {
    "mp4": frozenset({"mp4", "m4v", "mov"}), "mov": frozenset({"mov", "mp4", "m4v"}), "webm": frozenset({"webm"}),
    "pdf": frozenset({"pdf"}), "docx": frozenset({"docx"}), "xlsx": frozenset({"xlsx"}),
    "pptx": frozenset({"pptx"}), "odt": frozenset({"odt"}),
}
VIDEO_EXT = frozenset({"mp4", "mov", "webm"})
DOC_EXT = frozenset({"pdf", "docx", "xlsx", "pptx", "odt", "txt"})
#: The desk's upload limit, the same number as ``server.maxUploadSize`` in .streamlit/config.toml (which makes the
#: server refuse a larger request before it is read).
MAX_UPLOAD_MB = 25
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
#: Control characters a plain-text attachment may not hold (tab, line ends and form feed it may).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class MediaRejected(ValueError):
    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def check_size(size: int) -> None:
    """Refuse an upload by its size alone, before its bytes are read."""
    if size > MAX_UPLOAD_BYTES:
        raise MediaRejected(f"The file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_UPLOAD_MB} MB.", "too_large")
    if size <= 0:
        raise MediaRejected("The file is empty.", "empty")


def content_type(data: bytes, ext: str) -> str:
    """The MIME type of a video or document whose content is what its extension says; else MediaRejected.
    Decided by magic bytes (``filetype``), so an EXE, a ZIP or a spreadsheet renamed to .docx is refused."""
    if ext == "txt":
        if filetype.guess(data) is None and _is_text(data):
            return "text/plain"
    else:
        kind = filetype.guess(data)
        if kind is not None and kind.extension in CONTENT_OF.get(ext, frozenset()):
            return str(kind.mime)
    raise MediaRejected(f"The content of this file is not a .{ext} file.", "not_document")


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return _NOT_TEXT.search(text) is None


def save(root: Path, data: bytes, filename: str) -> dict[str, Any]:
    """Check and keep one upload; returns its reference for ``Item.media``. Raises MediaRejected."""
    check_size(len(data))
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in VIDEO_EXT | DOC_EXT:
        mime = content_type(data, ext)
        kind, name = ("video" if ext in VIDEO_EXT else "document"), filename
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
