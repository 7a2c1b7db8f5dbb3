"""Issue 13, items 1, 6, 7, 8 and 12 through the pages: the preview per channel (creator, both reviewers, the
publisher), the maker-checker reason before the click, rework and history, step 1 as one flow, and a refused
reject that keeps its note."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

from desk_helpers import button, email_for, errors, open_page, session_now, successes
from PIL import Image as PILImage

from sopkit import media
from sopkit.i18n import t
from sopkit.schema import User, format_value
from sopkit.store.base import Change


def _jpeg(size: tuple[int, int] = (1600, 1000)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, (20, 110, 190)).save(buf, "JPEG")
    return buf.getvalue()


def _with_media(env, item):  # type: ignore[no-untyped-def]
    """Give the item a picture (with alt text) and a video, as the officer's uploads would."""
    pic = {**media.save(env.media, _jpeg(), "bus.jpg"), "alt": "Bus Trans Kalbar di halte"}
    video = media.save(env.media, b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64, "rute.mp4")
    return env.store.commit(Change(item.id, item.rev, {"media": format_value("media", [pic, video])}))


def _frames(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.proto.srcdoc for f in at.get("iframe")]


def test_reviewers_creator_and_publisher_see_each_channel_as_it_will_go_out(app, env) -> None:
    item = env.advance(2, channels=("site", "instagram", "x"))
    item = _with_media(env, item)
    d, u = env.desk(), env.user
    item = d.take(u(email_for("creator")), item)
    item = d.edit(u(email_for("creator")), item, body="Rute **baru** mulai Senin.\n\n![bus](bus.jpg)",
                  captions={"site": "Rute baru", "instagram": "Rute baru #transkalbar #dishub", "x": "x" * 290})
    # the creator: the same preview in the Pratinjau tab
    at = open_page(app(email_for("creator")), "creator")
    assert any("<strong>baru</strong>" in f for f in _frames(at))
    item = d.submit(u(email_for("creator")), d.edit(u(email_for("creator")), item, captions={
        "site": "Rute baru", "instagram": "Rute baru #transkalbar #dishub", "x": "Rute baru Trans Kalbar"}))
    item = d.take(u(email_for("supervisor")), item)
    at = open_page(app(email_for("supervisor")), "supervisor")
    assert not at.exception
    (page,) = _frames(at)
    assert "<strong>baru</strong>" in page and "Bus Trans Kalbar di halte" in page
    pictures = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert len(pictures) == 2  # the lead figure and the body's ![bus](bus.jpg): the site's own rendition
    assert PILImage.open(io.BytesIO(base64.b64decode(pictures[0]))).size == (1200, 750)
    # social cards: the caption as posted, its hashtags, the count against the spec, the cropped picture
    texts, captions = [x.value for x in at.text], [c.value for c in at.caption]
    assert "Rute baru #transkalbar #dishub" in texts and "Rute baru Trans Kalbar" in texts
    assert t("preview.hashtags", tags="#transkalbar #dishub") in captions
    assert t("creator.count", n=22, limit=280) in captions
    assert len(at.get("image")) == 2  # the Instagram and the X card each show their crop (sizes: test_preview)
    assert len(at.get("video")) == 1  # the video plays; it is not a file name
    # the approver and the publisher see the same preview
    item = d.approve(u(email_for("supervisor")), item)
    item = d.take(u(email_for("administrator")), item)
    at = open_page(app(email_for("administrator")), "administrator")
    assert _frames(at) == [page]
    item = d.approve(u(email_for("administrator")), item)
    item = d.take(u(email_for("supervisor")), item)
    item = d.schedule(u(email_for("supervisor")), item, session_now() + dt.timedelta(hours=2))
    at = open_page(app(email_for("publisher")), "publisher")
    assert not at.exception
    (scheduled,) = _frames(at)  # the same page, dated when it will go out
    assert scheduled.replace(re.search(r'<time datetime="[^"]+">[^<]+</time>', scheduled).group(0), "") == \
        page.replace(re.search(r'<time datetime="[^"]+">[^<]+</time>', page).group(0), "")
    assert f'datetime="{item.publish_at.isoformat()}"' in scheduled


def test_a_verifier_sees_why_they_may_not_approve_instead_of_a_button(app, env) -> None:
    both = User("ganda@demo.test", "Ganda Peran", ("supervisor", "administrator"))
    env.store.save_user(both)
    item = env.advance(3)
    item = env.desk().approve(both, env.desk().take(both, item))
    at = open_page(app(both.email), "administrator")
    assert not at.exception
    assert [i.value for i in at.info if i.value.startswith("Anda memverifikasi konten ini")] == [t("mc.verification")]
    assert f"w_take_{item.id}" not in [b.key for b in at.button]
    # someone who did not verify it gets the button
    at = open_page(app(email_for("administrator")), "administrator")
    assert f"w_take_{item.id}" in [b.key for b in at.button] and not at.info


def test_rework_is_marked_and_the_approver_sees_history_and_diff(app, env) -> None:
    item = env.advance(4)
    d, u = env.desk(), env.user
    item = d.take(u(email_for("administrator")), item)
    at = open_page(app(email_for("administrator")), "administrator")
    at.text_area(key=f"w_note_{item.id}").input("Sebutkan jam layanan.")
    button(at, "review.reject").click().run()
    assert successes(at) == [t("done.reject", id=item.id)], errors(at)
    # the creator's card: the rework badge, who sent it back, the note
    at = open_page(app(email_for("creator")), "creator")
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert any(t("creator.rework_badge", n=1) in b and b.startswith(":orange-badge") for b in badges), badges
    assert any(c.value.startswith(t("creator.returned_by", who="Administrator", at="")[:-2]) for c in at.caption)
    assert "Sebutkan jam layanan." in [x.value for x in at.text]
    item = env.item(item.id)
    item = d.edit(u(email_for("creator")), item, body="Isi artikel.\nJam layanan 08.00–14.00 WIB.",
                  captions={"site": "Keterangan", "x": "Keterangan baru"})
    item = d.submit(u(email_for("creator")), item)
    item = d.approve(u(email_for("supervisor")), d.take(u(email_for("supervisor")), item))
    item = d.take(u(email_for("administrator")), item)
    at = open_page(app(email_for("administrator")), "administrator")
    assert not at.exception
    rows = [c.value for c in at.caption if " · " in c.value and "(" in c.value]
    assert rows and not any("@" in r for r in rows), rows  # names, not e-mail addresses
    assert any("Administrator" in r and t("action.reject") in r for r in rows), rows
    notes = [w.value for w in at.warning if w.value.endswith(" Sebutkan jam layanan.")]
    assert len(notes) == 1 and notes[0].startswith("Dikembalikan oleh Administrator, "), notes
    # the change word by word: what was added marked, nothing of a programmer's unified diff left on the page
    diffs = [e.proto.body for e in at.main.get("html") if "<ins" in e.proto.body or "<del" in e.proto.body]
    assert any('">\nJam layanan 08.00–14.00 WIB.</ins>' in d for d in diffs), diffs
    assert any(d.count(">Keterangan") == 1 and '"> baru</ins>' in d for d in diffs), diffs
    assert not any("@@" in d for d in diffs) and not [c for c in at.code if c.language == "diff"]
    assert t("history.legend") in [c.value for c in at.caption]
    title = [m.value for m in at.markdown if m.value.startswith("**" + t("history.diff_title", old=1, new=2,
             old_at="", new_at="", old_by="", new_by="")[:20])]
    assert title and "Creator" in title[0] and "@" not in title[0], title


def test_the_officer_sends_to_the_creator_from_the_one_form(app, env) -> None:
    at = open_page(app(email_for("officer")), "officer")
    at.text_input(key="w_new_title").input("Razia angkutan liar")
    at.multiselect(key="w_new_channels").select("site")
    at.file_uploader(key="w_new_files").upload("Razia.jpg", _jpeg(), "image/jpeg")
    button(at, "officer.start_send").click().run()
    assert not at.exception and not errors(at), errors(at)
    [item] = env.store.read_register().items
    assert (item.step, item.officer, [m["name"] for m in item.media]) == (2, email_for("officer"), ["razia.jpg"])
    assert successes(at) == [t("done.start_submit", id=item.id)]
    # a send without a channel is refused before anything is saved: no stray draft
    at.text_input(key="w_new_title").input("Tanpa kanal")
    button(at, "officer.start_send").click().run()
    assert errors(at) and len(env.store.read_register().items) == 1
    # a draft shows its attachments as thumbnails, not file names
    button(at, "officer.start_button").click().run()  # (the form was cleared: a title is required)
    at.text_input(key="w_new_title").input("Draf dengan foto")
    at.file_uploader(key="w_new_files").upload("Foto.jpg", _jpeg((800, 800)), "image/jpeg")
    button(at, "officer.start_button").click().run()
    assert not at.exception
    draft = next(i for i in env.store.read_register().items if i.title == "Draf dengan foto")
    assert draft.step == 1
    images = at.get("image")
    assert [c for img in images for c in img.captions] == ["foto.jpg"]


def test_a_stale_reject_keeps_the_note_the_user_typed(app, env) -> None:
    item = env.advance(3)
    item = env.desk().take(env.user(email_for("supervisor")), item)
    at = open_page(app(email_for("supervisor")), "supervisor")
    env.store.commit(Change(item.id, item.rev, {"summary": "Diubah di tempat lain"}))  # someone else's change
    note = "Foto kurang jelas; ganti dengan yang siang hari."
    at.text_area(key=f"w_note_{item.id}").input(note)
    button(at, "review.reject").click().run()
    assert errors(at) == [t("error.stale")]
    assert env.item(item.id).step == 3
    assert at.text_area(key=f"w_note_{item.id}").value == note  # not cleared: send again on the fresh item
    button(at, "review.reject").click().run()
    assert env.item(item.id).step == 2 and env.item(item.id).last_note == note
    assert successes(at) == [t("done.reject", id=item.id)]
