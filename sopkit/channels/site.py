"""The agency's own website as a channel: a static folder that any web server (nginx, Apache, a bucket) can serve.

Why static: the desk then needs no CMS, database or login on the public side, and the pages keep working if the
desk is down. Layout under ``root``::

    index.html  feed.xml  style.css  posts.json
    berita/<key>/index.html  berita/<key>/<image files>  berita/<key>/thumb.jpg

``posts.json`` is the manifest of everything published; the index and the RSS feed are rebuilt from it on every
publish, so publishing the same post twice replaces its entry instead of adding one. Every file is written to a
temporary name and moved into place with ``os.replace``, so a crash leaves the old file or the new one, never half.

Staff text is untrusted. Titles, captions and alt texts are HTML-escaped; the article body goes through the desk's
one renderer (``sopkit.markup``: Markdown without raw HTML, pictures only from the item's uploads, then the nh3
allow-list). Pages also carry a Content-Security-Policy that forbids scripts altogether.

The site is also the desk's image host: :meth:`SiteChannel.host_images` puts a rendition where the site serves it,
for channels that fetch their pictures from a public URL (Instagram).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import html
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import nh3
from PIL import Image as PILImage
from PIL import ImageOps

from sopkit import timeutil
from sopkit.channels.base import ChannelState, CredentialStatus, Image, PermanentError, Post, Result
from sopkit.channels.spec import ChannelContext, ChannelSpec, RenditionSpec
from sopkit.i18n import t
from sopkit.markup import clean_text, render_markdown
from sopkit.retry import TransientError
from sopkit.timeutil import DEFAULT_TIMEZONE

DEFAULT_TITLE = "Dinas Perhubungan Prov. Kalbar"
DEFAULT_TAGLINE = "Berita dan informasi Dinas Perhubungan Provinsi Kalimantan Barat"
DEFAULT_ROOT = "data/site"
DEFAULT_BASE_URL = "http://127.0.0.1:8080/"
MANIFEST = "posts.json"
FEED_ITEMS = 30
SUMMARY_CHARS = 220
THUMB_SIZE = (640, 360)
EAGER_CARDS = 6  # cards above the fold load at once; the rest only when scrolled to

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_EXT_BY_MIME = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember")
#: Indonesia's three zones by UTC offset in hours (WIB covers Pontianak).
_ZONE_NAMES = {7: "WIB", 8: "WITA", 9: "WIT"}

_CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'")
#: The desk's preview of a page: the same page with its style inline and its pictures as ``data:`` URLs.
_PREVIEW_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")


def format_tanggal(when: dt.datetime, tz: ZoneInfo | None = None) -> str:
    """``Kamis, 26 November 2026 10.00 WIB``: the form readers of an Indonesian government site expect."""
    if when.tzinfo is None:
        raise ValueError("publish time must be timezone-aware")
    local = when.astimezone(tz or timeutil.zone())
    offset = local.utcoffset() or dt.timedelta()
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    zone = _ZONE_NAMES.get(hours) if rest == 0 else None
    if zone is None:
        zone = "UTC" + local.strftime("%z")[:3] + (f":{local.strftime('%z')[3:]}" if rest else "")
    return (f"{HARI[local.weekday()]}, {local.day} {BULAN[local.month - 1]} {local.year} "
            f"{local.hour:02d}.{local.minute:02d} {zone}")


def plain_summary(post: Post, limit: int = SUMMARY_CHARS) -> str:
    """The site caption when staff wrote one, else the article's first words, as plain text."""
    text = post.caption.strip()
    if not text:  # the first paragraph reads as a lead; headings, tables and lists flattened do not
        rendered = render_markdown(post.body_markdown)
        first = re.search(r"<p>(.*?)</p>", rendered, flags=re.S)
        text = html.unescape(nh3.clean(first.group(1) if first else rendered, tags=set()))
    text = " ".join(clean_text(text).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the web server usually runs as another user
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _e(text: str) -> str:
    return html.escape(clean_text(text), quote=True)


@dataclass(frozen=True)
class Entry:
    """One published item as the manifest remembers it: enough to rebuild the index and the feed."""

    key: str
    title: str
    published: str  # ISO 8601, aware
    summary: str
    thumb: str = ""  # path relative to the site root, "" when the post had no image
    thumb_alt: str = ""
    image: str = ""  # the first full image, for the feed's enclosure and og:image
    image_mime: str = ""
    image_length: int = 0
    updated: str = ""

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.published)


class SiteChannel:
    """Publishes posts as pages of a static website under ``root``, served at ``base_url``."""

    name = "site"

    def __init__(self, root: Path, base_url: str, site_title: str = DEFAULT_TITLE,
                 tagline: str = DEFAULT_TAGLINE, timezone: str = DEFAULT_TIMEZONE):
        self.root = Path(root)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.site_title = site_title
        self.tagline = tagline
        self.tz = ZoneInfo(timezone)

    # --- URLs ------------------------------------------------------------------------------------------------

    def item_url(self, key: str) -> str:
        return f"{self.base_url}berita/{quote(key)}/"

    def public_image_url(self, key: str, filename: str) -> str:
        """Where this site will serve ``filename`` of ``key``: Instagram fetches images from this URL."""
        return self.item_url(key) + quote(image_filename(filename))

    def host_images(self, key: str, images: tuple[Image, ...]) -> tuple[Image, ...]:
        """Serve each rendition from the post's folder (``berita/<key>/``) and say where: the :class:`ImageHost`
        for channels that download their picture from a public URL."""
        key = _check_key(key)
        out = []
        for img in images:
            name = image_filename(img.filename, img.mime)
            atomic_write(self.root / "berita" / key / name, img.data)
            out.append(replace(img, public_url=self.public_image_url(key, name)))
        return tuple(out)

    # --- Channel protocol ------------------------------------------------------------------------------------

    def check_credentials(self) -> CredentialStatus:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return CredentialStatus(False, t("site.not_web", url=self.base_url))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".tmp-check-"):
                pass
        except OSError as exc:
            return CredentialStatus(False, t("site.cannot_write", root=str(self.root), detail=str(exc.strerror)))
        return CredentialStatus(True, t("site.ok", root=str(self.root), url=self.base_url))

    def find(self, post: Post) -> Result | None:
        key = _check_key(post.key)
        entry = next((e for e in self._load_manifest() if e.key == key), None)
        if entry is None or not (self.root / "berita" / key / "index.html").is_file():
            return None
        at = dt.datetime.fromisoformat(entry.updated or entry.published)
        return Result(ChannelState.PUBLISHED, url=self.item_url(key), post_id=key, at=at)

    def publish(self, post: Post) -> Result:
        key = _check_key(post.key)
        try:
            with self._lock():
                entry = self._write_item(post)
                entries = [e for e in self._load_manifest() if e.key != key] + [entry]
                entries.sort(key=lambda e: (e.when, e.key), reverse=True)
                self._write_manifest(entries)
                atomic_write(self.root / "style.css", SITE_CSS.encode())
                atomic_write(self.root / "index.html", self.render_index(entries).encode())
                atomic_write(self.root / "feed.xml", self.render_feed(entries))
        except PermissionError as exc:
            raise PermanentError(t("site.not_writable", detail=str(exc))) from exc
        except OSError as exc:  # disk full, NFS hiccup: the manifest was not replaced, so retrying is safe
            raise TransientError(t("site.write_failed", detail=str(exc))) from exc
        return Result(ChannelState.PUBLISHED, url=self.item_url(key), post_id=key)

    # --- writing ---------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One publisher at a time, so two jobs cannot each drop the other's entry from the manifest."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write_item(self, post: Post) -> Entry:
        folder = self.root / "berita" / post.key
        names = [image_filename(img.filename, img.mime) for img in post.images]
        if len(set(names)) != len(names):
            raise PermanentError(t("site.same_file_name"))
        for img, name in zip(post.images, names, strict=True):
            atomic_write(folder / name, img.data)
        thumb = ""
        if post.images:
            thumb_data = make_thumbnail(post.images[0].data)
            if thumb_data:
                atomic_write(folder / "thumb.jpg", thumb_data)
                thumb = f"berita/{post.key}/thumb.jpg"
            else:
                thumb = f"berita/{post.key}/{names[0]}"
        when = post.publish_at or dt.datetime.now(dt.UTC)
        if when.tzinfo is None:
            raise PermanentError(t("site.naive_time"))
        first = post.images[0] if post.images else None
        entry = Entry(
            key=post.key, title=clean_text(post.title).strip(), published=when.isoformat(),
            summary=plain_summary(post), thumb=thumb, thumb_alt=clean_text(first.alt) if first else "",
            image=f"berita/{post.key}/{names[0]}" if first else "", image_mime=first.mime if first else "",
            image_length=len(first.data) if first else 0, updated=dt.datetime.now(dt.UTC).isoformat(),
        )
        atomic_write(folder / "index.html", self.render_item(post, entry, names).encode())
        keep = set(names) | {"index.html", "thumb.jpg"}
        for old in folder.iterdir():  # images dropped by an edit would otherwise stay public forever
            if old.is_file() and old.name not in keep and not old.name.startswith(".tmp-"):
                old.unlink()
        return entry

    def _load_manifest(self) -> list[Entry]:
        path = self.root / MANIFEST
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (ValueError, OSError) as exc:
            raise PermanentError(t("site.manifest_damaged", path=str(path), detail=str(exc))) from exc
        fields = set(Entry.__dataclass_fields__)
        return [Entry(**{k: v for k, v in item.items() if k in fields}) for item in raw.get("posts", [])]

    def _write_manifest(self, entries: list[Entry]) -> None:
        doc = {"version": 1, "posts": [e.__dict__ for e in entries]}
        atomic_write(self.root / MANIFEST, json.dumps(doc, ensure_ascii=False, indent=1).encode())

    # --- rendering -------------------------------------------------------------------------------------------

    def _page(self, title: str, body: str, prefix: str, canonical: str, description: str = "",
              image_url: str = "", og_type: str = "website", standalone: bool = False) -> str:
        """The site's page around ``body``; ``standalone``: the style inlined and pictures as ``data:`` URLs
        allowed, so the desk can show the page in a frame before it is published (:meth:`preview_item`)."""
        meta = [f'<meta property="og:title" content="{_e(title)}">',
                f'<meta property="og:type" content="{og_type}">',
                f'<meta property="og:url" content="{_e(canonical)}">',
                f'<meta property="og:site_name" content="{_e(self.site_title)}">']
        if description:
            meta.append(f'<meta name="description" content="{_e(description)}">')
            meta.append(f'<meta property="og:description" content="{_e(description)}">')
        if image_url:
            meta.append(f'<meta property="og:image" content="{_e(image_url)}">')
        year = dt.datetime.now(self.tz).year
        return f"""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_PREVIEW_CSP if standalone else _CSP}">
<title>{_e(title)}</title>
<link rel="canonical" href="{_e(canonical)}">
<link rel="alternate" type="application/rss+xml" title="{_e(self.site_title)}" href="{prefix}feed.xml">
{f"<style>{SITE_CSS}</style>" if standalone else f'<link rel="stylesheet" href="{prefix}style.css">'}
{chr(10).join(meta)}
</head>
<body>
<header class="site-header">
  <div class="wrap">
    <a class="brand" href="{prefix}index.html">
      <span class="brand-mark" aria-hidden="true">DH</span>
      <span class="brand-text"><span class="brand-name">{_e(self.site_title)}</span>
      <span class="brand-tagline">{_e(self.tagline)}</span></span>
    </a>
  </div>
</header>
<main class="wrap">
{body}
</main>
<footer class="site-footer">
  <div class="wrap">© {year} {_e(self.site_title)} · <a href="{prefix}feed.xml">RSS</a></div>
</footer>
</body>
</html>
"""

    def render_index(self, entries: list[Entry]) -> str:
        cards = []
        for n, e in enumerate(entries):
            href = f"berita/{quote(e.key)}/"
            thumb = ""
            if e.thumb:
                lazy = ' loading="lazy"' if n >= EAGER_CARDS else ""
                thumb = (f'<a class="card-img" href="{href}" tabindex="-1"><img src="{_e(e.thumb)}" '
                         f'alt="{_e(e.thumb_alt)}" width="{THUMB_SIZE[0]}" height="{THUMB_SIZE[1]}"{lazy}></a>')
            cards.append(f"""<article class="card">
  {thumb}
  <div class="card-body">
    <h2 class="card-title"><a href="{href}">{_e(e.title)}</a></h2>
    <p class="meta"><time datetime="{_e(e.published)}">{_e(format_tanggal(e.when, self.tz))}</time></p>
    <p class="summary">{_e(e.summary)}</p>
  </div>
</article>""")
        listing = "\n".join(cards) if cards else '<p class="empty">Belum ada berita.</p>'
        body = f'<h1 class="page-title">Berita Terkini</h1>\n<div class="cards">\n{listing}\n</div>'
        return self._page(self.site_title, body, "", self.base_url, description=self.tagline)

    def render_item(self, post: Post, entry: Entry, names: list[str], src: Mapping[str, str] | None = None,
                    standalone: bool = False) -> str:
        """The article's page; ``src`` maps a picture's file name to where the page loads it from (default: the
        file beside the page), ``standalone`` as in :meth:`_page`."""
        src = src or {}
        figures = []
        for img, name in zip(post.images, names, strict=True):
            size = image_size(img.data)
            dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
            caption = f"<figcaption>{_e(img.alt)}</figcaption>" if img.alt.strip() else ""
            figures.append(f'<figure><img src="{_e(src.get(name, quote(name)))}" alt="{_e(img.alt)}"{dims}>'
                           f"{caption}</figure>")
        lead = f'<p class="lead">{_e(post.caption.strip())}</p>' if post.caption.strip() else ""
        tags = ""
        if post.category or post.tags:
            labels = ([post.category] if post.category else []) + list(post.tags)
            tags = '<ul class="tags">' + "".join(f"<li>{_e(t)}</li>" for t in labels) + "</ul>"
        body = f"""<nav class="crumbs"><a href="../../index.html">Beranda</a> › Berita</nav>
<article class="post">
  <h1>{_e(entry.title)}</h1>
  <p class="meta"><time datetime="{_e(entry.published)}">{_e(format_tanggal(entry.when, self.tz))}</time></p>
  {lead}
  {figures[0] if figures else ""}
  <div class="content">
{_with_sources(render_markdown(post.body_markdown, own_media(post.images, names)), src)}
  </div>
  {"".join(figures[1:])}
  {tags}
</article>"""
        image_url = self.public_image_url(post.key, names[0]) if names else ""
        return self._page(f"{entry.title} | {self.site_title}", body, "../../", self.item_url(post.key),
                          description=entry.summary, image_url=image_url, og_type="article", standalone=standalone)

    def preview_item(self, post: Post) -> str:
        """The page :meth:`publish` would write for ``post``, as one self-contained document (style inline,
        pictures as ``data:`` URLs): what the desk shows reviewers, from the same template and renderer."""
        names = [image_filename(img.filename, img.mime) for img in post.images]
        when = post.publish_at or dt.datetime.now(dt.UTC)
        first = post.images[0] if post.images else None
        entry = Entry(key=post.key, title=clean_text(post.title).strip(), published=when.isoformat(),
                      summary=plain_summary(post), thumb_alt=clean_text(first.alt) if first else "")
        src = {name: f"data:{img.mime};base64,{base64.b64encode(img.data).decode()}"
               for img, name in zip(post.images, names, strict=True)}
        return self.render_item(post, entry, names, src=src, standalone=True)

    def render_feed(self, entries: list[Entry]) -> bytes:
        """RSS 2.0; ElementTree does the escaping, so staff text cannot break the XML."""
        atom = "http://www.w3.org/2005/Atom"
        ET.register_namespace("atom", atom)
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        for tag, text in (("title", self.site_title), ("link", self.base_url), ("description", self.tagline),
                          ("language", "id"),
                          ("lastBuildDate", format_datetime(dt.datetime.now(dt.UTC))),
                          ("generator", "sopkit")):
            ET.SubElement(channel, tag).text = text
        ET.SubElement(channel, f"{{{atom}}}link", href=self.base_url + "feed.xml", rel="self",
                      type="application/rss+xml")
        for e in entries[:FEED_ITEMS]:
            item = ET.SubElement(channel, "item")
            ET.SubElement(item, "title").text = e.title
            ET.SubElement(item, "link").text = self.item_url(e.key)
            ET.SubElement(item, "guid", isPermaLink="true").text = self.item_url(e.key)
            ET.SubElement(item, "pubDate").text = format_datetime(e.when.astimezone(dt.UTC))
            ET.SubElement(item, "description").text = e.summary
            if e.image:
                ET.SubElement(item, "enclosure", url=self.base_url + quote(e.image), length=str(e.image_length),
                              type=e.image_mime)
        return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _with_sources(rendered: str, src: Mapping[str, str]) -> str:
    """The rendered body with its pictures (``src="name"``, our own upload names, set by :func:`own_media`)
    pointed at ``src``; the sanitiser allows only those names, so nothing else can be rewritten."""
    for name, url in src.items():
        rendered = rendered.replace(f'src="{quote(name)}"', f'src="{html.escape(url, quote=True)}"')
    return rendered


def own_media(images: tuple[Image, ...], names: list[str]) -> dict[str, str]:
    """The item's uploads by the name staff write in the body (``![alt](foto.jpg)``) → the page's copy."""
    return {img.source: quote(name) for img, name in zip(images, names, strict=True) if img.source}


def _check_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise PermanentError(t("site.bad_key", slug=key))
    return key


def image_filename(filename: str, mime: str | None = None) -> str:
    """The name an image gets on the site: a safe stem, and the extension its type says (not the one it came with)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60].strip("-") or "gambar"
    if stem in ("index", "thumb"):
        stem = f"gambar-{stem}"
    if mime is not None:
        if mime not in _EXT_BY_MIME:
            raise PermanentError(t("site.mime", mime=mime))
        ext = _EXT_BY_MIME[mime]
    ext = {"jpeg": "jpg"}.get(ext.lower(), ext.lower())
    return f"{stem}.{ext}" if ext in _EXT_BY_MIME.values() else f"{stem}.jpg"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size for width/height attributes, so the page does not jump while images load."""
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            return img.size
    except (OSError, ValueError):
        return None


def make_thumbnail(data: bytes) -> bytes | None:
    """A small 16:9 card image for the index, so the front page does not load every full-size picture."""
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            img.draft("RGB", THUMB_SIZE)
            small = ImageOps.fit(img.convert("RGB"), THUMB_SIZE, PILImage.Resampling.LANCZOS)
    except (OSError, ValueError):
        return None
    buf = io.BytesIO()
    PILImage.frombytes("RGB", small.size, small.tobytes()).save(buf, "JPEG", quality=80, optimize=True,
                                                               progressive=True)
    return buf.getvalue()


SITE_CSS = """\
:root {
  --ink: #1d2430; --muted: #5b6474; --line: #e2e6ee; --bg: #f5f7fb; --card: #fff;
  --brand: #0b4f9c; --brand-dark: #083a73; --accent: #f2b705;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font-size: 17px; line-height: 1.65; }
a { color: var(--brand); }
a:hover { color: var(--brand-dark); }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 20px; }
.site-header { background: var(--brand); color: #fff; border-bottom: 4px solid var(--accent); }
.site-header .wrap { padding-top: 14px; padding-bottom: 14px; }
.brand { display: flex; align-items: center; gap: 14px; color: #fff; text-decoration: none; }
.brand:hover { color: #fff; }
.brand-mark { flex: none; width: 46px; height: 46px; border-radius: 50%; background: #fff; color: var(--brand);
  display: grid; place-items: center; font-weight: 800; letter-spacing: .5px; }
.brand-text { display: flex; flex-direction: column; line-height: 1.25; }
.brand-name { font-size: 1.25rem; font-weight: 700; }
.brand-tagline { font-size: .85rem; opacity: .85; }
main.wrap { padding-top: 28px; padding-bottom: 48px; }
.page-title { font-size: 1.6rem; margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 22px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden;
  display: flex; flex-direction: column; }
.card-img img { display: block; width: 100%; height: auto; aspect-ratio: 16 / 9; object-fit: cover; }
.card-body { padding: 14px 18px 18px; }
.card-title { font-size: 1.15rem; line-height: 1.35; margin: 0 0 6px; overflow-wrap: anywhere; }
.card-title a { color: var(--ink); text-decoration: none; }
.card-title a:hover { color: var(--brand); text-decoration: underline; }
.meta { color: var(--muted); font-size: .88rem; margin: 0 0 8px; }
.summary { margin: 0; color: #333b48; font-size: .97rem; overflow-wrap: anywhere; }
.crumbs { font-size: .9rem; color: var(--muted); margin-bottom: 14px; }
.post { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 28px 32px 36px;
  max-width: 760px; margin: 0 auto; overflow-wrap: anywhere; }
.post h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 8px; }
.lead { font-size: 1.1rem; color: #333b48; border-left: 4px solid var(--accent); padding-left: 14px; }
figure { margin: 22px 0; }
figure img { display: block; max-width: 100%; height: auto; border-radius: 6px; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: 6px; }
.content h1, .content h2, .content h3 { line-height: 1.3; margin: 1.4em 0 .5em; }
.content blockquote { margin: 1em 0; padding: .2em 1em; border-left: 4px solid var(--line); color: #444; }
.content pre { background: #f0f2f6; padding: 12px; overflow-x: auto; border-radius: 6px; }
.content table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
.content th, .content td { border: 1px solid var(--line); padding: 6px 10px; text-align: left;
  overflow-wrap: normal; }
a:not([href]) { color: inherit; }
.tags { list-style: none; padding: 0; margin: 24px 0 0; display: flex; flex-wrap: wrap; gap: 8px; }
.tags li { background: #e8eef8; color: var(--brand-dark); border-radius: 999px; padding: 2px 12px; font-size: .85rem; }
.site-footer { border-top: 1px solid var(--line); background: #fff; color: var(--muted); font-size: .9rem; }
.site-footer .wrap { padding-top: 18px; padding-bottom: 18px; }
@media (max-width: 600px) {
  body { font-size: 16px; }
  .brand-name { font-size: 1.05rem; }
  .brand-tagline { display: none; }
  .post { padding: 18px 16px 24px; border-radius: 0; border-left: 0; border-right: 0; margin: 0 -20px; }
  .post h1 { font-size: 1.5rem; }
}
"""


def _factory(ctx: ChannelContext) -> SiteChannel:
    return SiteChannel(ctx.path("root", DEFAULT_ROOT), ctx.text("base_url", DEFAULT_BASE_URL), timezone=ctx.timezone)


#: Rendition: our own pages; 1200 px covers a 600 px column on 2x screens; 1 MB keeps a page light on mobile data.
SPEC = ChannelSpec(
    name="site", order=10, factory=_factory, home=True, rewrites=True, address=("base_url", DEFAULT_BASE_URL),
    rendition=RenditionSpec("fit", ((1200, 1200),), 1024 * 1024, min_aspect=1 / 2, max_aspect=3.0),
)
