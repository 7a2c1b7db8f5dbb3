"""Attachments kept content-addressed; pictures only after images.load_upload accepted them."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from sopkit import media


def zipped(*names: str, first: tuple[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if first:
            z.writestr(*first)
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


#: Complete ISO-BMFF ``ftyp`` boxes, as an MP4 from a phone and a QuickTime .mov begin.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 64
WEBM = bytes.fromhex("1A45DFA39F4286810142F7810142F2810442F381084282847765626D42878104428581021853") + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
DOCX = zipped("_rels/.rels", "word/document.xml", first=("[Content_Types].xml", "<Types/>"))
XLSX = zipped("_rels/.rels", "xl/workbook.xml", first=("[Content_Types].xml", "<Types/>"))
PPTX = zipped("_rels/.rels", "ppt/presentation.xml", first=("[Content_Types].xml", "<Types/>"))
ODT = zipped("content.xml", first=("mimetype", "application/vnd.oasis.opendocument.text"))
ZIP = zipped("a.txt", "b.txt")


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name,data,kind,reason", [
    ("Foto Rapat.png", png(), "image", None),
    ("foto.jpg", b"<script>", None, "not_image"),
    ("laporan.pdf", b"%PDF-1.7\n...", "document", None),
    ("laporan.pdf", b"MZ\x90\x00 an exe", None, "not_document"),
    ("video.mp4", MP4, "video", None),
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


@pytest.mark.parametrize("name,data,mime", [
    ("laporan.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("anggaran.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("paparan.pptx", PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("surat.odt", ODT, "application/vnd.oasis.opendocument.text"),
    ("rekaman.mov", MOV, "video/quicktime"),
    ("rekaman.mp4", MOV, "video/quicktime"),  # phones write QuickTime under .mp4 and MP4 under .mov
    ("klip.webm", WEBM, "video/webm"),
    ("catatan.txt", "Rapat koordinasi\r\n\tpukul 09.00 — selesai\n".encode(), "text/plain"),
])
def test_documents_and_videos_are_kept_with_the_type_of_their_content(tmp_path, name, data, mime) -> None:
    ref = media.save(tmp_path, data, name)
    assert ref["mime"] == mime and media.read(tmp_path, ref) == data


@pytest.mark.parametrize("name,data", [
    ("laporan.docx", EXE),  # what the outside pass uploaded
    ("laporan.docx", ZIP),
    ("laporan.docx", XLSX),  # a real document, but not the type its name says
    ("surat.odt", DOCX),
    ("anggaran.xlsx", b"%PDF-1.7\n"),
    ("video.mp4", EXE),
    ("video.webm", MP4),
    ("catatan.txt", EXE),
    ("catatan.txt", b"%PDF-1.7\n"),
    ("catatan.txt", b"teks\x00biner"),
    ("catatan.txt", b"\xff\xfe not utf-8 \x80"),
])
def test_content_that_does_not_match_the_extension_is_refused(tmp_path, name, data) -> None:
    with pytest.raises(media.MediaRejected) as e:
        media.save(tmp_path, data, name)
    assert e.value.reason == "not_document"
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.parametrize("name", ["laporan.pdf", "video.mp4", "foto.png"])
def test_over_the_upload_limit_is_refused_by_size(tmp_path, name) -> None:
    with pytest.raises(media.MediaRejected) as e:
        media.check_size(media.MAX_UPLOAD_BYTES + 1)
    assert e.value.reason == "too_large"
    with pytest.raises(media.MediaRejected) as e:
        media.save(tmp_path, b"%PDF" + b"0" * media.MAX_UPLOAD_BYTES, name)
    assert e.value.reason == "too_large"
    media.check_size(media.MAX_UPLOAD_BYTES)  # exactly the limit is fine
