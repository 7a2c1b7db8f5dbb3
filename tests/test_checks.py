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
