"""The per-channel preview (issue 13, item 1) is made by what publishes: the site channel's own template and
renderer, the job's renditions and caption, and the channel spec's limits."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from PIL import Image as PILImage

from sopkit import media, preview
from sopkit.channels.base import Post
from sopkit.channels.site import SiteChannel
from sopkit.publishing.job import post_key
from sopkit.schema import Item


def _jpeg(width: int = 1600, height: int = 1000) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (width, height), (30, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


def _item(tmp_path: Path, **kw) -> Item:  # noqa: ANN003
    ref = {**media.save(tmp_path, _jpeg(), "foto.jpg"), "alt": "Petugas memeriksa bus", "use": True}
    pdf = media.save(tmp_path, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "surat.pdf")
    base = {"id": "20261201-abc123", "title": "Uji KIR <gratis>", "summary": "Ringkasan", "channels":
            ("site", "instagram", "x"), "body": "Paragraf **satu**.\n\n![foto](foto.jpg)\n\n<script>x</script>",
            "captions": {"instagram": "Uji KIR gratis #kir #dishub", "x": "x" * 300}, "media": [ref, pdf]}
    return Item(**{**base, **kw})


def test_site_preview_is_the_page_the_channel_publishes(tmp_path: Path) -> None:
    item = _item(tmp_path)
    page, error = preview.site_page(item, tmp_path)
    assert error == ""
    assert "Uji KIR &lt;gratis&gt;" in page and "<strong>satu</strong>" in page and "<script>" not in page
    assert "<style>" in page and "img-src data:" in page  # self-contained: style inline, pictures as data:
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(srcs) == 2 and all(s.startswith("data:image/jpeg;base64,") for s in srcs)  # figure + the body's
    data = base64.b64decode(srcs[0].split(",", 1)[1])
    assert PILImage.open(io.BytesIO(data)).size == (1200, 750)  # the site's rendition, not the upload
    # the same template as publishing: the published page differs only in where style and pictures come from
    site = SiteChannel(tmp_path / "site", "http://127.0.0.1:8080/")
    images = preview._pictures(item, "site", tmp_path)[0]
    site.publish(Post(post_key(item.id), item.id, item.title, item.body, item.summary, images=images,
                      publish_at=None))
    published = (tmp_path / "site" / "berita" / post_key(item.id) / "index.html").read_text()
    strip = re.compile(r' src="[^"]+"|<style>.*?</style>|<link rel="stylesheet"[^>]*>|<meta http-equiv[^>]*>|'
                       r'<time datetime="[^"]+">[^<]*</time>', re.S)
    assert strip.sub("", published) == strip.sub("", page)


def test_cards_carry_the_jobs_caption_rendition_and_limits(tmp_path: Path) -> None:
    item = _item(tmp_path)
    ig = preview.card(item, "instagram", tmp_path)
    assert ig.caption == "Uji KIR gratis #kir #dishub" and ig.hashtags == ("#kir", "#dishub")
    assert (ig.length, ig.limit, ig.hashtag_limit, ig.over, ig.error) == (27, 2200, 30, False, "")
    (img,) = ig.images
    assert PILImage.open(io.BytesIO(img.data)).size[0] / PILImage.open(io.BytesIO(img.data)).size[1] < 1.6
    x = preview.card(item, "x", tmp_path)
    assert x.over and x.findings[0].key == "check.caption_over" and x.length == 300 and x.limit == 280
    assert PILImage.open(io.BytesIO(x.images[0].data)).size == (1200, 675)  # X's crop
    tg = preview.card(_item(tmp_path, captions={}), "telegram", tmp_path)
    assert tg.caption == "Ringkasan"  # no caption of its own: the summary, as the job sends
    assert [m["name"] for m in preview.attachments(item)] == ["surat.pdf"]
    assert preview.is_page("site") and not preview.is_page("instagram")


def test_a_missing_picture_is_said_not_raised(tmp_path: Path) -> None:
    item = _item(tmp_path)
    (tmp_path / item.media[0]["path"]).unlink()
    page, error = preview.site_page(item, tmp_path)
    assert "foto.jpg" in error and "<h1>" in page
    card = preview.card(item, "instagram", tmp_path)
    assert card.images == () and "foto.jpg" in card.error
