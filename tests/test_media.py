"""Attachments kept content-addressed; pictures only after images.load_upload accepted them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sopkit import media


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name,data,kind,reason", [
    ("Foto Rapat.png", png(), "image", None),
    ("foto.jpg", b"<script>", None, "not_image"),
    ("laporan.pdf", b"%PDF-1.7\n...", "document", None),
    ("laporan.pdf", b"MZ\x90\x00 an exe", None, "not_document"),
    ("video.mp4", b"\x00\x00\x00\x18ftypmp42", "video", None),
    ("kosong.docx", b"", None, "empty"),
])
def test_save(tmp_path, name, data, kind, reason) -> None:
    if reason:
        with pytest.raises(media.MediaRejected) as e:
            media.save(tmp_path, data, name)
        assert e.value.reason == reason
        assert not any(tmp_path.rglob("*.*"))
    else:
        ref = media.save(tmp_path, data, name)
        assert ref["kind"] == kind and media.read(tmp_path, ref) == data


def test_same_content_is_stored_once(tmp_path) -> None:
    a, b = media.save(tmp_path, png(), "a.png"), media.save(tmp_path, png(), "b.png")
    assert a["path"] == b["path"] and len(list(tmp_path.rglob("*.png"))) == 1


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "aa/../../x"])
def test_read_refuses_paths_outside_the_media_folder(tmp_path, path) -> None:
    with pytest.raises(media.MediaRejected):
        media.read(tmp_path / "media", {"path": path})
