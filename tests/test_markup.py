"""The one Markdown renderer every channel and the desk use (``sopkit.markup``): staff text stays text, links are
safe, and only the item's own uploads may appear as pictures (issue 9: a Markdown image of another server loads in
every reviewer's browser, a read receipt for whoever runs it)."""

from __future__ import annotations

import pytest

from sopkit.markup import render_markdown

EVIL = '<script>alert("xss")</script>'


# The website's cases (they used to run against the site's own renderer).
@pytest.mark.parametrize(
    ("markdown_text", "must_contain", "must_not_contain"),
    [
        (EVIL, "&lt;script&gt;", "<script"),
        ("<img src=x onerror=alert(1)>", "&lt;img", "<img"),
        ('<div onclick="steal()">x</div>', "&lt;div", "<div"),
        ("[klik](javascript:alert(1))", "klik", "javascript:"),
        ("[klik](data:text/html;base64,PHNjcmlwdD4=)", "klik", "data:"),
        ("![gambar](https://evil.example/x.png)", "gambar", "<img"),  # shown as typed, not fetched
        ("<style>body{display:none}</style>", "&lt;style&gt;", "<style"),
        ("**tebal** dan *miring*", "<strong>tebal</strong>", "<script"),
        ("[resmi](https://kalbarprov.go.id)", 'href="https://kalbarprov.go.id"', "onclick"),
        ("baris satu\nbaris dua", "<br>", "<script"),
        ("<!-- komentar --> teks", "&lt;!--", "<!--"),
        ("teks\x0bdengan\x00kontrol", "teksdengankontrol", "\x00"),
    ],
)
def test_markdown_is_sanitised(markdown_text: str, must_contain: str, must_not_contain: str) -> None:
    out = render_markdown(markdown_text)
    assert must_contain in out
    assert must_not_contain not in out



# WordPress's cases (they used to run against WordPress's own renderer, with a different allow-list).
@pytest.mark.parametrize(
    ("markdown_text", "present", "absent"),
    [
        ("**tebal** dan *miring*", ["<strong>tebal</strong>", "<em>miring</em>"], []),
        ("<script>alert(1)</script>", ["&lt;script&gt;"], ["<script"]),
        ("<img src=x onerror=alert(1)>", ["&lt;img"], ["<img"]),
        ("[a](javascript:alert(1))", [">a</a>"], ["javascript:"]),
        ("[situs](https://dishub.kalbarprov.go.id)", ['href="https://dishub.kalbarprov.go.id"', "noopener"], []),
        ("![x](javascript:alert(1))", [], ["javascript:"]),
        ("- satu\n- dua", ["<ul>", "<li>satu</li>"], []),
        ("## Jadwal", ["<h2>Jadwal</h2>"], []),
        ('"kutip" & <b>', ["&amp;", "&lt;b&gt;"], ["<b>"]),
    ],
)
def test_render_markdown(markdown_text: str, present: list[str], absent: list[str]) -> None:
    out = render_markdown(markdown_text)
    for fragment in present:
        assert fragment in out, out
    for fragment in absent:
        assert fragment not in out, out


@pytest.mark.parametrize("body", [
    "![pelacak](https://tracker.example/p.gif?who=reviewer)",
    "![pelacak][ref]\n\n[ref]: https://tracker.example/p.gif",
    "| a |\n|---|\n| ![pelacak](//tracker.example/p.gif) |",
    "- ![pelacak](http://127.0.0.1:8501/media/ab/abcd.jpg)",  # even our own server: only uploads by their name
    "![pelacak](foto.jpg)",  # an upload's name, but not one of this item's
])
def test_no_picture_from_anywhere_but_the_items_own_uploads(body: str) -> None:
    out = render_markdown(body, {"rapat.jpg": "rapat-site.jpg"})
    assert "<img" not in out and "tracker" not in out and "127.0.0.1" not in out
    assert "pelacak" in out  # the alt text stays, as text


def test_an_own_upload_points_at_the_channels_copy() -> None:
    out = render_markdown("Rapat: ![Rapat koordinasi](rapat.jpg) selesai.", {"rapat.jpg": "rapat-site.jpg"})
    assert '<img alt="Rapat koordinasi" src="rapat-site.jpg">' in out and "selesai." in out


def test_one_article_renders_the_same_on_every_channel() -> None:
    """The website and WordPress once differed (line breaks, allowed tags); now both call this one function."""
    from sopkit.channels import site, wordpress

    assert site.render_markdown is wordpress.render_markdown is render_markdown
