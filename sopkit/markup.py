"""Article bodies from Markdown to safe HTML: one renderer and one allow-list for every channel and the desk.

Why one: the website and WordPress used to render with different extensions and allow-lists, so one article
looked different on each, and the WordPress one kept ``<img>`` of any server. Staff text is untrusted:

* Python-Markdown runs with its raw-HTML handling switched off, so ``<script>`` in a body shows as text;
* a picture may only be one of the item's own uploads: ``![alt](name.jpg)`` whose ``name.jpg`` is a key of
  ``media`` (the upload's name → where this channel serves it). Any other picture (``https://tracker.example/p.gif``
  in a reviewer's browser is a read receipt) is replaced by its alt text, before any browser sees it;
* nh3 (the Rust ``ammonia`` sanitiser) then keeps only the allow-list below, links only to http(s)/mailto/tel,
  and ``<img src>`` only with the URLs ``media`` gave: a second line should the first ever miss.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "sup", "sub", "code", "pre", "blockquote", "a",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img",
})
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}), "img": frozenset({"alt", "title"}), "th": frozenset({"align"}),
    "td": frozenset({"align"}),
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer nofollow"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")  # not allowed in XML 1.0 (the RSS feed)


def clean_text(text: str) -> str:
    """Drop characters XML cannot carry (pasted control codes would make the feed unparsable)."""
    return _CONTROL.sub("", text)


class _OwnMediaOnly(Treeprocessor):
    """Point each picture at this channel's copy of the upload it names, or replace it by its alt text."""

    def __init__(self, md: markdown.Markdown, media: Mapping[str, str]):
        super().__init__(md)
        self.media = media

    def run(self, root: ET.Element) -> None:
        for parent in root.iter():
            for n, child in enumerate(list(parent)):
                if child.tag != "img":
                    continue
                url = self.media.get(str(child.get("src", "")).strip())
                if url:
                    child.set("src", url)
                    continue
                alt = child.get("alt", "")
                parent.remove(child)
                if n == 0:
                    parent.text = (parent.text or "") + alt + (child.tail or "")
                else:
                    before = list(parent)[n - 1]
                    before.tail = (before.tail or "") + alt + (child.tail or "")


def render_markdown(text: str, media: Mapping[str, str] | None = None) -> str:
    """``text`` (Markdown) as HTML safe to publish or show; ``media`` maps the item's upload names to the URLs
    where this channel serves them (none: every picture becomes its alt text)."""
    media = dict(media or {})
    md = markdown.Markdown(extensions=["sane_lists", "nl2br", "tables"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_OwnMediaOnly(md, media), "own_media_only", 0.5)
    rendered = md.convert(clean_text(text))
    return nh3.clean(rendered, tags=set(ALLOWED_TAGS), attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
                     tag_attribute_values={"img": {"src": set(media.values())}}, url_schemes=set(URL_SCHEMES),
                     link_rel=LINK_REL)
