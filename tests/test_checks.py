"""The creator's pre-submit check, finding by finding."""

from __future__ import annotations

import pytest

from sopkit.checks import caption_findings, caption_length, pre_submit, text_findings
from sopkit.schema import Item

OK = Item(id="1", title="Judul", summary="Ringkas", body="Isi artikel.", channels=("x",), captions={"x": "Pendek"})


@pytest.mark.parametrize("channel,text,keys", [
    ("x", "a" * 280, []),
    ("x", "a" * 281, ["check.caption_over"]),
    ("x", "😀" * 141, ["check.caption_over"]),  # an emoji counts as two
    ("telegram", "a" * 1024, []),
    ("telegram", "a" * 1025, ["check.caption_over"]),
    ("instagram", "a" * 2200, []),
    ("instagram", " ".join(f"#t{n}" for n in range(30)), []),
    ("instagram", " ".join(f"#t{n}" for n in range(31)), ["check.hashtags_over"]),
    ("instagram", "a" * 2201 + " #a", ["check.caption_over"]),
    ("facebook", "a" * 5000, []),
    ("site", "a" * 100_000, []),
])
def test_caption_limits(channel, text, keys) -> None:
    assert [f.key for f in caption_findings(channel, text)] == keys


@pytest.mark.parametrize("text,keys", [
    ("Jalan baru dibuka.", []),
    ("Jalan jalan baru.", ["check.repeated_word"]),
    ("Jalan  baru.", ["check.double_space"]),
    ("Baris satu\n\nBaris dua", []),
])
def test_text_findings(text, keys) -> None:
    assert [f.key for f in text_findings("body", text)] == keys


@pytest.mark.parametrize("changes,keys", [
    ({}, []),
    ({"body": ""}, ["check.empty"]),
    ({"captions": {}}, ["check.empty"]),
    ({"media": [{"kind": "image", "name": "a.jpg", "alt": ""}]}, ["check.alt_missing"]),
    ({"media": [{"kind": "image", "name": "a.jpg", "alt": "", "use": False}]}, []),
    ({"media": [{"kind": "document", "name": "a.pdf"}]}, []),
])
def test_pre_submit(changes, keys) -> None:
    from dataclasses import replace

    assert [f.key for f in pre_submit(replace(OK, **changes))] == keys


def test_caption_length_counts_utf16_units() -> None:
    assert (caption_length("abc"), caption_length("😀")) == (3, 2)


# -- the Desk enforces them: a submit from the CLI or a script is refused like one from the page --------------------


def at_step_2(desk, users, channels=("site", "instagram"), **edit):  # noqa: ANN001, ANN201
    item = desk.start(users["officer"], title="Uji KIR gratis", summary="Uji KIR gratis bulan ini", channels=channels)
    item = desk.submit(users["officer"], item)
    fields = {"body": "Isi artikel.", "captions": {c: "Keterangan singkat #dishub" for c in channels}} | edit
    return desk.edit(users["creator"], item, **fields)


@pytest.mark.parametrize("edit,keys", [
    ({"captions": {"instagram": "a" * 2201}}, ["check.caption_over"]),
    ({"captions": {"instagram": " ".join(f"#t{n}" for n in range(31))}}, ["check.hashtags_over"]),
    ({"captions": {"instagram": " ".join(f"@akun{n}" for n in range(21))}}, ["check.mentions_over"]),
    ({"captions": {"instagram": "  "}}, ["check.empty"]),  # Instagram takes a caption of its own
    ({"summary": ""}, ["check.empty"]),
    ({"media": [{"kind": "image", "name": "foto.jpg", "path": "ab/foto.jpg", "alt": ""}]}, ["check.alt_missing"]),
])
def test_the_desk_refuses_a_submit_with_a_blocking_finding(desk, users, edit, keys) -> None:  # noqa: ANN001
    from sopkit.i18n import t
    from sopkit.workflow import ChecksFailed

    item = at_step_2(desk, users, **edit)
    with pytest.raises(ChecksFailed) as info:
        desk.submit(users["creator"], item)
    assert [f.key for f in info.value.findings] == keys
    assert str(info.value).startswith(t("creator.fix_first"))  # Indonesian, for a person at the CLI
    assert t(keys[0], **info.value.findings[0].values) in str(info.value)
    assert desk.store.get_item(item.id).rev == item.rev and desk.store.get_item(item.id).step == 2


def test_a_clean_item_is_submitted_and_warnings_do_not_block(desk, users) -> None:  # noqa: ANN001
    item = at_step_2(desk, users, body="Jalan  baru dibuka.")  # a double space is worth a look, not a refusal
    assert [f.key for f in pre_submit(item)] == ["check.double_space"]
    assert desk.submit(users["creator"], item).step == 3


@pytest.mark.parametrize("url", ["javascript:alert(1)", "dishub.kalbarprov.go.id/berita/1", "https://",
                                 "ftp://dishub.example/x", "https://dishub example.org/x", "data:text/html,x"])
def test_the_desk_refuses_a_published_url_that_is_not_a_web_address(desk, users, clock, url) -> None:  # noqa: ANN001
    import datetime as dt

    from sopkit.i18n import t
    from sopkit.workflow import InvalidInput

    item = desk.submit(users["creator"], at_step_2(desk, users, channels=("site",)))
    item = desk.approve(users["administrator"], desk.approve(users["supervisor"], item))
    item = desk.schedule(users["supervisor"], item, clock.t + dt.timedelta(hours=1))
    with pytest.raises(InvalidInput, match=t("publisher.bad_url")):
        desk.record_channel(users["publisher"], item, "site", {"status": "published", "url": url})
    assert desk.store.get_item(item.id).rev == item.rev
    done = desk.record_channel(users["publisher"], item, "site",
                               {"status": "published", "url": "http://127.0.0.1:8080/berita/sop-x/"})
    assert done.status == "published"
