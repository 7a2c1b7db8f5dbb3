"""Hostile or broken input through the pages: disguised and oversized uploads, a decompression bomb, and HTML in
staff text that must stay text."""

from __future__ import annotations

import io

import pytest
from desk_helpers import button, email_for, errors, open_page
from PIL import Image

from sopkit.i18n import t


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def _bomb() -> bytes:
    """8000 × 8000 one-bit pixels (64 megapixels, over the 50 MP limit) in a few kilobytes of PNG."""
    return _png((8000, 8000), mode="1")


CASES = [
    # name, bytes, reason key
    ("foto.jpg", b"<html><script>alert(1)</script></html>", "upload.not_image"),
    ("laporan.png", b"%PDF-1.7 not a picture", "upload.unsupported_format"),
    ("bom.png", _bomb(), "upload.too_many_pixels"),
    ("besar.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (21 * 1024 * 1024), "upload.too_large"),
    ("kosong.jpg", b"", "upload.empty"),
]


@pytest.mark.parametrize("name,data,reason", CASES, ids=[c[0] for c in CASES])
def test_bad_upload_is_refused_with_its_reason_and_nothing_is_kept(app, env, name, data, reason) -> None:
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Foto kegiatan")
    at.file_uploader(key="w_new_files").upload(name, data, "image/jpeg")
    button(at, "officer.start_button").click().run()
    assert not at.exception
    assert errors(at) == [t("upload.rejected", name=name, reason=t(reason))], errors(at)
    [item] = env.store.read_register().items
    assert item.media == []
    assert not env.media.exists() or not any(env.media.rglob("*.*"))
    assert not (env.path.parent / "media").exists()  # nor where earlier versions kept uploads


def test_good_picture_is_kept_and_previewed_per_channel(app, env) -> None:
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Foto kegiatan")
    at.multiselect(key="w_new_channels").select("instagram")
    at.file_uploader(key="w_new_files").upload("Rapat Koordinasi.PNG", _png((1600, 1200)), "image/png")
    button(at, "officer.start_button").click().run()
    assert not errors(at)
    [item] = env.store.read_register().items
    assert [(m["kind"], m["name"]) for m in item.media] == [("image", "rapat-koordinasi.png")]
    assert (env.media / item.media[0]["path"]).is_file()  # in [media] root, which is not beside the store
    assert not (env.path.parent / "media").exists()
    item = env.desk().submit(env.user(email_for("officer")), item)
    item = env.desk().take(env.user(email_for("creator")), item)
    at = open_page(app(email_for("creator")), "creator")
    # its rendition, previewed under its channel (and once more, uncaptioned, in the Instagram card)
    assert [c for img in at.get("image") for c in img.captions if c] == ["instagram"]
    assert len(at.get("image")) == 2
    findings = [e.value for e in at.error] + [w.value for w in at.warning]
    assert t("check.alt_missing", name="rapat-koordinasi.png") in findings


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> **tebal** [klik](javascript:alert(1))'


def test_html_in_titles_and_captions_is_shown_as_text(app, env) -> None:
    item = env.advance(2, title=HOSTILE)
    item = env.desk().take(env.user(email_for("creator")), item)
    item = env.desk().edit(env.user(email_for("creator")), item, captions={"x": HOSTILE, "site": HOSTILE},
                           body="Isi.")
    item = env.desk().submit(env.user(email_for("creator")), item)
    item = env.desk().take(env.user(email_for("supervisor")), item)
    at = open_page(app(email_for("supervisor")), "supervisor")
    assert HOSTILE in [x.value for x in at.text]  # captions: st.text, never rendered
    titles = [m.value for m in at.markdown if "script" in m.value]
    assert titles and all("\\<script\\>" in m for m in titles), titles  # the title's Markdown is escaped
    assert all("unsafe_allow_html" not in str(m.proto) or not m.proto.allow_html for m in at.markdown)


def test_caption_over_the_platform_limit_blocks_submit(app, env) -> None:
    item = env.advance(2, channels=("x",))
    item = env.desk().take(env.user(email_for("creator")), item)
    at = open_page(app(email_for("creator")), "creator")
    at.text_area(key=f"w_body_{item.id}").input("Isi artikel.")
    at.text_area(key=f"w_cap_{item.id}_x").input("a" * 281)
    at.run()
    assert t("creator.count", n=281, limit=280) in errors(at)
    at.button(key=f"w_submit_{item.id}").click().run()
    assert t("creator.fix_first") in errors(at)
    assert env.item(item.id).step == 2


TRACKER = "![pelacak](https://tracker.example/p.gif?who=reviewer) **Isi** <img src=https://tracker.example/q.gif>"


@pytest.mark.parametrize("role,page", [("supervisor", "supervisor"), ("creator", "creator")])
def test_a_body_never_loads_a_picture_from_another_server(app, env, role, page) -> None:
    """The preview uses the channels' one renderer: a Markdown image of another server becomes its alt text."""
    item = env.advance(2)
    item = env.desk().take(env.user(email_for("creator")), item)
    item = env.desk().edit(env.user(email_for("creator")), item, body=TRACKER,
                           captions={c: "Keterangan" for c in item.channels})
    if role == "supervisor":
        item = env.desk().submit(env.user(email_for("creator")), item)
        env.desk().take(env.user(email_for("supervisor")), item)
    at = open_page(app(email_for(role)), page)
    assert not at.exception
    # the article is previewed as the website page (an iframe's document), any other body as st.html
    shown = [h.proto.body for h in at.get("html")] + [f.proto.srcdoc for f in at.get("iframe")]
    assert shown and any("pelacak" in h and "<strong>Isi</strong>" in h for h in shown), shown
    assert not any("<img" in h or "p.gif" in h for h in shown)  # the Markdown picture is gone, not just hidden
    assert any("&lt;img src=https://tracker.example/q.gif&gt;" in h for h in shown)  # raw HTML shows as text
    assert not any("tracker.example" in m.value for m in at.markdown)  # not handed to Streamlit's Markdown either


def test_control_character_in_a_title_is_refused_in_indonesian_and_nothing_is_stored(app, env) -> None:
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Foto\x00 kegiatan")
    button(at, "officer.start_button").click().run()
    assert not at.exception
    assert errors(at) == [t("error.invalid") + " " + t("text.control_char", field=t("field.title"), code="U+0000",
                                                       position=5)], errors(at)
    assert errors(at)[0].startswith("Isian belum benar. Judul berisi karakter kendali U+0000")
    assert env.store.read_register().items == ()


def test_an_upload_over_the_limit_is_refused_by_its_size_before_it_is_read(app, env, monkeypatch) -> None:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    from sopkit.media import MAX_UPLOAD_BYTES

    read: list[str] = []
    original = UploadedFile.getvalue
    monkeypatch.setattr(UploadedFile, "getvalue", lambda self: read.append(self.name) or original(self))
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Laporan")
    at.file_uploader(key="w_new_files").upload("laporan.pdf", b"%PDF-1.7\n" + b"0" * MAX_UPLOAD_BYTES,
                                               "application/pdf")
    button(at, "officer.start_button").click().run()
    assert errors(at) == [t("upload.rejected", name="laporan.pdf", reason=t("upload.too_large"))], errors(at)
    assert "laporan.pdf" not in read
    [item] = env.store.read_register().items
    assert item.media == []


def test_an_exe_named_docx_is_refused_by_its_content(app, env) -> None:
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Laporan")
    at.file_uploader(key="w_new_files").upload("laporan.docx", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00",
                                               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    button(at, "officer.start_button").click().run()
    assert errors(at) == [t("upload.rejected", name="laporan.docx", reason=t("upload.not_document"))], errors(at)
    [item] = env.store.read_register().items
    assert item.media == []
