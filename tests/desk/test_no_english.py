"""Every page, rendered in Indonesian for every role that may open it, shows no word from a list of English words
staff would not read (issue 13 item 3): every string a person reads goes through the catalogue.

The walk reads every string the page sends to the browser (markdown, captions, labels, options, help, table
headers and cells), so an English word in a library error, a status code shown raw or a forgotten literal fails
here. Words that are the same in Indonesian ("Admin", "Email", "Website", "Instagram") are not in the list."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace

import pyarrow as pa
import pytest
from desk_helpers import email_for, open_page

from sopkit import sop
from sopkit.permissions import can_see
from sopkit.schema import User

#: English words an Indonesian reader would not expect (whole words, case-insensitive). Brand names and words
#: Indonesian shares (admin, email, website, media, status, link, URL, Markdown, online, draft…) are left out.
ENGLISH = frozenset("""
job jobs upload uploads file files select date range page not found caption captions body site officer creator
supervisor administrator publisher manager approve approved reject rejected schedule scheduled publish published
changed warning error none true false nan nat collecting designing verifying approving scheduling cancelled
failed pending unknown posted retry the and or of is at step item items title summary category channel channels
sources attempts minutes hours days on_time late open overdue role roles actor action outcome submit start take
assign edit cancel note missing credentials token unavailable drag drop browse limit per yes no save send
""".split())
#: Words in the list that are also Indonesian ("per hari", "Pejabat Administrator": the SOP's own title,
#: "token": KBBI has it, and it is what the platforms call the credential).
ALLOWED = frozenset({"per", "administrator", "token"})

#: Proto fields that hold no text a person reads (ids, widget keys, option values, styles, chart specs).
_NOT_SHOWN = frozenset({"id", "key", "form_id", "icon", "color", "page_script_hash", "url_path", "page",
                        "query_string", "type", "src", "format", "width", "height", "spec", "column_config",
                        "column_order", "styler", "theme", "datasets", "name", "selection_mode", "vega_lite_chart"})

WORD = re.compile(r"[A-Za-z_]+")


def _many(field, value):  # type: ignore[no-untyped-def]
    return list(value) if field.is_repeated else [value]


def _proto_strings(message, labels: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
                   chart: bool = False) -> Iterator[str]:
    if message.DESCRIPTOR.name == "Dataframe":  # its column config's labels are the titles a reader sees
        labels = _labels(message.columns)
    # a chart's data: its cells may show (labels, tooltips), its column names do not (the spec titles the axes)
    chart = chart or message.DESCRIPTOR.name in ("VegaLiteChart", "ArrowVegaLiteChart")
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for v in _many(field, value):
                yield from _proto_strings(v, labels, chart)
        elif field.type == field.TYPE_STRING:
            for v in _many(field, value):
                if field.name not in _NOT_SHOWN:
                    yield f"{message.DESCRIPTOR.name}.{field.name}", v
        elif field.type == field.TYPE_BYTES and field.name == "data":
            yield from _arrow_strings(value, labels or {}, names=not chart)


def _labels(raw: str) -> dict[str, str]:
    """A column config's ``label`` per column: it replaces the frame's own column name on screen."""
    try:
        config = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {name.split(":", 1)[-1]: c["label"] for name, c in config.items() if isinstance(c, dict) and c.get("label")}


def _arrow_strings(data: bytes, labels: dict[str, str], names: bool = True) -> Iterator[str]:
    try:
        table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
    except Exception:  # noqa: BLE001 - not Arrow
        return
    if names:
        yield from (("table.column", labels.get(str(c), str(c))) for c in table.column_names
                    if not str(c).startswith("__"))
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield from (("table.cell", v) for v in column.to_pylist() if isinstance(v, str))


def _strings(at) -> Iterator[str]:  # type: ignore[no-untyped-def]
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            yield from _proto_strings(proto)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())


def english_in(at) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """English words the page shows → the strings they appear in."""
    found: dict[str, list[str]] = {}
    for where, text in _strings(at):
        if text.lstrip().startswith("{"):  # JSON: a chart spec or a column config, not read as such
            continue
        plain = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", text)  # st.html's scripts and styles
        plain = re.sub(r"https?://\S+|\S+@\S+|:material/[a-z_]+:|<[^>]+>|\(/[^)]*\)|&[a-z]+;", " ", plain)
        for w in WORD.findall(plain):
            low = w.lower()
            if low in ENGLISH and low not in ALLOWED:
                found.setdefault(low, []).append(f"{where}: {text[:120]}")
    return found


NAMES = ("Budi Santoso", "Siti Aminah", "Agus Salim", "Rina Wati", "Dewi Lestari", "Hendra Gunawan",
         "Maya Sari", "Yusuf Hadi")

PAGES = ("home", "officer", "creator", "supervisor", "administrator", "publisher", "admin", "about", "notifications",
         "item", "compliance")
CASES = [(role, page) for role in sop.ROLES for page in PAGES if can_see(User(email="x@y.z", roles=(role,)), page)]


@pytest.fixture
def busy(env):  # type: ignore[no-untyped-def]
    """A desk with an item waiting at every step, so every queue, card and table has rows; the demo accounts
    named as people are (the fixture names them after their role, in English)."""
    for user, name in zip(env.store.read_users()[0], NAMES, strict=False):
        env.store.save_user(replace(user, name=name))
    env.advanced = [env.advance(step, title=f"Berita langkah {step}") for step in range(1, 7)]
    # one more scheduled item whose channels went wrong: one failed, one unknown (the answer was lost)
    item = env.advance(6, title="Berita kanal gagal", channels=("site", "x", "instagram"))
    publisher = next(u for u in env.store.read_users()[0] if u.has("publisher"))
    item = env.desk().record_channel(publisher, item, "x", {"status": "failed", "error": "401"})
    env.desk().record_channel(publisher, item, "instagram", {"status": "unknown", "error": "batas waktu habis"})
    return env


@pytest.mark.parametrize(("role", "page"), CASES)
def test_page_in_indonesian_shows_no_english(app, busy, role, page) -> None:
    at = app(email_for(role))
    at.run()
    if page == "item":  # the item scheduled at step 6: its whole timeline, edits included
        at.query_params["id"] = busy.advanced[-1].id
    open_page(at, page)
    found = english_in(at)
    assert not found, f"{role} on {page}: " + "; ".join(f"{w}: {s[:3]}" for w, s in sorted(found.items()))
