"""Tests for the static website channel: pages, escaping, feed, idempotency, atomic writes, and what a reader sees.

The site is served by ``python -m http.server`` on 127.0.0.1 and read over HTTP, as a browser would; the last test
takes headless Chromium screenshots into test-artifacts/site/ for a person to look at.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PIL import Image as PILImage
from PIL import ImageDraw

from services.unavailable import service_missing
from sopkit.channels import site as site_module
from sopkit.channels.base import CredentialStatus, Image, PermanentError, Post
from sopkit.channels.site import SiteChannel, format_tanggal, image_filename, plain_summary
from sopkit.images import load_upload, rendition
from sopkit.retry import TransientError

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "site"
BASE_URL = "https://dishub.example.go.id/"
CHROMIUM = Path("/usr/bin/chromium")
EVIL = '<script>alert("xss")</script>'
WIB = dt.timezone(dt.timedelta(hours=7))


def photo(colour: tuple[int, int, int], label: str) -> bytes:
    """A stand-in news photo: a sky, a road and a label, so screenshots show something real-looking."""
    img = PILImage.new("RGB", (1600, 1000), colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 620, 1600, 1000), fill=(70, 72, 78))
    for x in range(0, 1600, 160):
        draw.rectangle((x, 800, x + 90, 815), fill=(245, 245, 245))
    draw.text((60, 60), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def site_image(colour: tuple[int, int, int], name: str, alt: str) -> Image:
    return rendition(load_upload(photo(colour, name), f"{name}.jpg"), "site", alt=alt)


POST_EVIL = Post(
    key="sop-20261126-ab12cd34",
    item_id="ab12cd34",
    title=f"Uji Kelaikan Kendaraan {EVIL}",
    body_markdown=(
        "Dinas Perhubungan melaksanakan **uji kelaikan** angkutan umum di Terminal Batu Layang.\n\n"
        f"Isi berbahaya: {EVIL}\n\n<img src=x onerror=alert(1)>\n\n"
        "[tautan jahat](javascript:alert(1)) dan [situs resmi](https://kalbarprov.go.id)\n\n"
        "- bus antarkota\n- angkutan kota\n"
    ),
    caption=f"Ringkasan {EVIL} kegiatan uji kendaraan.",
    category="Angkutan Jalan",
    tags=("uji-kir", "terminal"),
    images=(site_image((90, 140, 200), "uji-kendaraan", f"Petugas memeriksa bus {EVIL}"),),
    publish_at=dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC),  # 10.00 WIB
)

POST_NEWER = Post(
    key="sop-20261127-cd34ef56",
    item_id="cd34ef56",
    title="Pelabuhan Dwikora Siap Layani Arus Mudik Natal & Tahun Baru",
    body_markdown=(
        "Kesiapan **Pelabuhan Dwikora** Pontianak ditinjau langsung oleh Kepala Dinas.\n\n"
        "## Jadwal kapal\n\n| Kapal | Tujuan | Berangkat |\n|---|---|---|\n"
        "| KM Lawit | Semarang | 20 Desember |\n| KM Bukit Raya | Jakarta | 22 Desember |\n\n"
        "> Keselamatan penumpang adalah prioritas utama.\n"
    ),
    caption="",
    images=(site_image((40, 120, 170), "pelabuhan-dwikora", "Kapal sandar di Pelabuhan Dwikora"),
            site_image((200, 120, 60), "ruang-tunggu", "Ruang tunggu penumpang")),
    publish_at=dt.datetime(2026, 11, 27, 8, 30, tzinfo=WIB),
)


# --- pure functions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC), "Kamis, 26 November 2026 10.00 WIB"),
        (dt.datetime(2026, 1, 4, 23, 5, tzinfo=dt.UTC), "Senin, 5 Januari 2026 06.05 WIB"),  # next day in WIB
        (dt.datetime(2026, 8, 17, 9, 0, tzinfo=WIB), "Senin, 17 Agustus 2026 09.00 WIB"),
        (dt.datetime(2027, 2, 28, 7, 45, tzinfo=dt.timezone(dt.timedelta(hours=8))),
         "Minggu, 28 Februari 2027 06.45 WIB"),
        (dt.datetime(2026, 5, 1, 17, 0, tzinfo=dt.UTC), "Sabtu, 2 Mei 2026 00.00 WIB"),
    ],
)
def test_indonesian_date(when: dt.datetime, expected: str) -> None:
    assert format_tanggal(when) == expected


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError):
        format_tanggal(dt.datetime(2026, 11, 26, 10, 0))


@pytest.mark.parametrize(
    ("caption", "body", "expected"),
    [
        ("Ringkasan singkat.", "Isi panjang.", "Ringkasan singkat."),
        ("", "Paragraf **pertama**\nartikel.\n\nParagraf kedua.", "Paragraf pertama artikel."),
        ("", "## Judul\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", "Judul a b 1 2"),  # no paragraph: all text
        ("", "kata " * 100, ("kata " * 44).strip() + "…"),  # cut at a word, within 220 characters
    ],
)
def test_summary(caption: str, body: str, expected: str) -> None:
    post = Post(key="k", item_id="i", title="t", body_markdown=body, caption=caption)
    assert plain_summary(post) == expected


@pytest.mark.parametrize(
    ("filename", "mime", "expected"),
    [("Foto Rapat.JPG", None, "foto-rapat.jpg"), ("poster.jpeg", "image/png", "poster.png"),
     ("../../index.html", "image/jpeg", "gambar-index.jpg"), ("thumb.jpg", None, "gambar-thumb.jpg"),
     ("<b>x</b>.png", None, "b.png"), ("tanpa-ekstensi", None, "tanpa-ekstensi.jpg")],
)
def test_image_filename(filename: str, mime: str | None, expected: str) -> None:
    assert image_filename(filename, mime) == expected


@pytest.mark.parametrize("key", ["../etc", "Sop-1", "", "a/b", "a b", "-awal", "x" * 101])
def test_unsafe_keys_refused(tmp_path: Path, key: str) -> None:
    post = Post(key=key, item_id="i", title="t", body_markdown="b", caption="c")
    with pytest.raises(PermanentError):
        SiteChannel(tmp_path, BASE_URL).publish(post)
    assert not (tmp_path / "berita").exists()


def test_unsupported_image_type_refused(tmp_path: Path) -> None:
    gif = Image(data=b"GIF89a", mime="image/gif", filename="a.gif")
    post = Post(key="k1", item_id="i", title="t", body_markdown="b", caption="c", images=(gif,))
    with pytest.raises(PermanentError):
        SiteChannel(tmp_path, BASE_URL).publish(post)


def test_duplicate_image_names_refused(tmp_path: Path) -> None:
    img = POST_NEWER.images[0]
    post = Post(key="k1", item_id="i", title="t", body_markdown="b", caption="c", images=(img, img))
    with pytest.raises(PermanentError):
        SiteChannel(tmp_path, BASE_URL).publish(post)


# --- channel behaviour on disk --------------------------------------------------------------------------------


def test_public_image_url_matches_the_published_file(tmp_path: Path) -> None:
    channel = SiteChannel(tmp_path, "https://dishub.example.go.id/web")  # no trailing slash: added
    img = POST_NEWER.images[1]
    url = channel.public_image_url(POST_NEWER.key, img.filename)
    assert url == f"https://dishub.example.go.id/web/berita/{POST_NEWER.key}/ruang-tunggu-site.jpg"
    channel.publish(POST_NEWER)
    relative = url.removeprefix("https://dishub.example.go.id/web/")
    assert (tmp_path / relative).read_bytes() == img.data


def test_a_body_shows_only_the_posts_own_pictures(tmp_path: Path) -> None:
    """``![alt](name)`` of one of the item's uploads points at this page's copy; any other picture is alt text."""
    img = dataclasses.replace(site_image((10, 120, 60), "rapat", "Rapat koordinasi"), source="rapat.jpg")
    body = "Rapat:\n\n![Suasana rapat](rapat.jpg)\n\n![pelacak](https://tracker.example/p.gif)"
    post = Post("sop-own", "own", "Rapat", body, "", images=(img,))
    SiteChannel(tmp_path, BASE_URL).publish(post)
    page = (tmp_path / "berita" / "sop-own" / "index.html").read_text()
    assert '<img alt="Suasana rapat" src="rapat-site.jpg">' in page
    assert "tracker.example" not in page and "pelacak" in page
    assert (tmp_path / "berita" / "sop-own" / "rapat-site.jpg").is_file()


def test_host_images_serves_a_rendition_for_channels_that_fetch_it(tmp_path: Path) -> None:
    channel = SiteChannel(tmp_path, "https://dishub.example.go.id/")
    img = POST_NEWER.images[1]
    [hosted] = channel.host_images("sop-hosted", (img,))
    assert hosted.public_url == "https://dishub.example.go.id/berita/sop-hosted/ruang-tunggu-site.jpg"
    assert (tmp_path / "berita" / "sop-hosted" / "ruang-tunggu-site.jpg").read_bytes() == img.data
    with pytest.raises(PermanentError):
        channel.host_images("../etc", (img,))


def test_find_before_and_after_publish(tmp_path: Path) -> None:
    channel = SiteChannel(tmp_path, BASE_URL)
    assert channel.find(POST_NEWER) is None
    result = channel.publish(POST_NEWER)
    assert (result.status, result.url, result.post_id) == (
        "published", f"{BASE_URL}berita/{POST_NEWER.key}/", POST_NEWER.key)
    found = channel.find(POST_NEWER)
    assert found is not None and found.url == result.url and found.status == "published"
    (tmp_path / "berita" / POST_NEWER.key / "index.html").unlink()  # page gone: not published any more
    assert channel.find(POST_NEWER) is None


def test_failed_write_keeps_old_page_and_leaves_no_temp_files(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    channel = SiteChannel(tmp_path, BASE_URL)
    channel.publish(POST_NEWER)
    page = tmp_path / "berita" / POST_NEWER.key / "index.html"
    before_page, before_manifest = page.read_bytes(), (tmp_path / "posts.json").read_bytes()
    real_replace = os.replace

    def crash_on_page(src: str, dst: str | Path) -> None:
        if str(dst).endswith("index.html"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(site_module.os, "replace", crash_on_page)
    edited = Post(**{**POST_NEWER.__dict__, "title": "Judul baru"})
    with pytest.raises(TransientError):
        channel.publish(edited)
    assert page.read_bytes() == before_page
    assert (tmp_path / "posts.json").read_bytes() == before_manifest
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_damaged_manifest_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "posts.json").write_text("{ setengah", encoding="utf-8")
    with pytest.raises(PermanentError):
        SiteChannel(tmp_path, BASE_URL).publish(POST_NEWER)
    assert (tmp_path / "posts.json").read_text(encoding="utf-8") == "{ setengah"


def test_edit_replaces_images(tmp_path: Path) -> None:
    channel = SiteChannel(tmp_path, BASE_URL)
    channel.publish(POST_NEWER)
    channel.publish(Post(**{**POST_NEWER.__dict__, "images": POST_NEWER.images[:1]}))
    files = sorted(p.name for p in (tmp_path / "berita" / POST_NEWER.key).iterdir())
    assert files == ["index.html", "pelabuhan-dwikora-site.jpg", "thumb.jpg"]


@pytest.mark.parametrize(
    ("base_url", "ok"), [(BASE_URL, True), ("ftp://dishub.example.go.id/", False), ("dishub", False)]
)
def test_check_credentials(tmp_path: Path, base_url: str, ok: bool) -> None:
    status = SiteChannel(tmp_path / "situs", base_url).check_credentials()
    assert isinstance(status, CredentialStatus) and status.ok is ok and status.message


# --- over HTTP ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Both posts published (the first one twice), served by http.server on 127.0.0.1."""
    root = tmp_path_factory.mktemp("situs")
    channel = SiteChannel(root, BASE_URL)
    channel.publish(POST_EVIL)
    channel.publish(POST_NEWER)
    channel.publish(POST_EVIL)  # again: must not add a second entry
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("http.server did not start") from None
                time.sleep(0.1)
        yield root, url
    finally:
        server.terminate()
        server.wait(timeout=10)


def fetch(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - always 127.0.0.1
        return resp.read(), resp.headers.get("Content-Type", "")


def test_index_over_http(served_site: tuple[Path, str]) -> None:
    _, url = served_site
    data, ctype = fetch(url)
    page = data.decode()
    assert ctype.startswith("text/html")
    assert "Dinas Perhubungan Prov. Kalbar" in page
    assert "<script" not in page.lower()
    assert html.escape(POST_EVIL.title) in page  # shown, as text
    newer, older = page.index(f"berita/{POST_NEWER.key}/"), page.index(f"berita/{POST_EVIL.key}/")
    assert newer < older  # newest first
    assert page.count(f'<h2 class="card-title"><a href="berita/{POST_EVIL.key}/">') == 1
    assert "Kamis, 26 November 2026 10.00 WIB" in page and "Jumat, 27 November 2026 08.30 WIB" in page
    assert f'src="berita/{POST_NEWER.key}/thumb.jpg"' in page
    assert 'alt="Kapal sandar di Pelabuhan Dwikora"' in page


def test_item_page_over_http(served_site: tuple[Path, str]) -> None:
    _, url = served_site
    page = fetch(f"{url}berita/{POST_EVIL.key}/")[0].decode()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page  # in title, body, caption and alt
    assert page.count("&lt;script&gt;") >= 5  # <title>, h1, lead, figure alt + caption, body
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "javascript:" not in page
    assert '<strong>uji kelaikan</strong>' in page
    assert 'href="https://kalbarprov.go.id"' in page
    assert "Kamis, 26 November 2026 10.00 WIB" in page
    assert 'href="../../style.css"' in page and "Content-Security-Policy" in page
    assert f'<meta property="og:image" content="{BASE_URL}berita/{POST_EVIL.key}/uji-kendaraan-site.jpg">' in page
    assert 'src="uji-kendaraan-site.jpg" alt="Petugas memeriksa bus &lt;script&gt;' in page


def test_image_and_css_over_http(served_site: tuple[Path, str]) -> None:
    _, url = served_site
    data, ctype = fetch(f"{url}berita/{POST_NEWER.key}/pelabuhan-dwikora-site.jpg")
    assert ctype == "image/jpeg" and data == POST_NEWER.images[0].data
    thumb, _ = fetch(f"{url}berita/{POST_NEWER.key}/thumb.jpg")
    with PILImage.open(io.BytesIO(thumb)) as img:
        assert img.size == (640, 360)
    css, ctype = fetch(f"{url}style.css")
    assert ctype.startswith("text/css") and b".site-header" in css


def test_feed_over_http(served_site: tuple[Path, str]) -> None:
    _, url = served_site
    data, _ = fetch(f"{url}feed.xml")
    assert b"<script>" not in data
    rss = ET.fromstring(data)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("./channel/item")
    assert [i.findtext("title") for i in items] == [POST_NEWER.title, POST_EVIL.title]  # escaped, round-trips
    assert [i.findtext("link") for i in items] == [f"{BASE_URL}berita/{POST_NEWER.key}/",
                                                   f"{BASE_URL}berita/{POST_EVIL.key}/"]
    assert items[1].findtext("pubDate") == "Thu, 26 Nov 2026 03:00:00 +0000"
    assert items[1].findtext("description") == POST_EVIL.caption
    enclosure = items[0].find("enclosure")
    assert enclosure is not None and enclosure.get("type") == "image/jpeg"
    assert enclosure.get("length") == str(len(POST_NEWER.images[0].data))


def test_publishing_twice_keeps_one_entry(served_site: tuple[Path, str]) -> None:
    root, _ = served_site
    manifest = json.loads((root / "posts.json").read_text(encoding="utf-8"))
    assert [p["key"] for p in manifest["posts"]] == [POST_NEWER.key, POST_EVIL.key]


def test_control_characters_do_not_break_the_feed(tmp_path: Path) -> None:
    post = Post(key="k1", item_id="i", title="Judul\x0b dengan\x00 kode", body_markdown="isi\x1f",
                caption="ringkas\x08", publish_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
    SiteChannel(tmp_path, BASE_URL).publish(post)
    rss = ET.fromstring((tmp_path / "feed.xml").read_bytes())
    assert rss.findtext("./channel/item/title") == "Judul dengan kode"


# --- what a reader sees ---------------------------------------------------------------------------------------


def screenshot(url: str, out: Path, width: int, height: int, profile: Path) -> None:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           "--virtual-time-budget=10000",  # let images load and decode before the shot
           f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={out}", url]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def near(got: object, want: tuple[int, int, int], tolerance: int = 12) -> bool:
    return isinstance(got, tuple) and all(abs(g - w) <= tolerance for g, w in zip(got[:3], want, strict=True))


def test_screenshots(served_site: tuple[Path, str], tmp_path: Path) -> None:
    """Desktop and phone screenshots into test-artifacts/site/ for review; must not be blank or unstyled."""
    if not CHROMIUM.exists():
        service_missing("SITE SCREENSHOTS NOT TAKEN: no /usr/bin/chromium. Install with: apt-get install -y chromium")
    _, url = served_site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    newer, evil = f"{url}berita/{POST_NEWER.key}/", f"{url}berita/{POST_EVIL.key}/"
    blue, light_blue, orange = (40, 120, 170), (90, 140, 200), (200, 120, 60)  # skies of the three photos
    shots = [("index-desktop.png", url, 1280, 1000, (blue, light_blue)),
             ("item-desktop.png", newer, 1280, 1700, (blue, orange)),
             ("item-evil-desktop.png", evil, 1280, 1500, (light_blue,)),
             ("index-phone.png", url, 390, 1200, (blue,)),
             ("item-phone.png", newer, 390, 1600, (blue,))]
    for name, page_url, width, height, photos in shots:
        out = ARTIFACTS / name
        out.unlink(missing_ok=True)
        screenshot(page_url, out, width, height, tmp_path / f"profile-{name}")
        with PILImage.open(out) as img:
            assert img.size == (width, height)
            rgb = img.convert("RGB")
            header = rgb.getpixel((5, 5))  # the agency-blue header bar: proves style.css loaded
            assert header == (11, 79, 156), (name, header)
            assert len(rgb.getcolors(maxcolors=1 << 20) or []) > 200, name  # text and photos, not a blank page
            for colour in photos:  # the photos were loaded and painted, not left as empty boxes
                share = sum(n for n, c in rgb.getcolors(maxcolors=1 << 20) or [] if near(c, colour)) / (width * height)
                assert share > 0.02, (name, colour, share)
    shutil.rmtree(tmp_path, ignore_errors=True)
