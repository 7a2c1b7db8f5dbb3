"""The reviewers' view in Chromium (issue 13, items 1, 6, 7, 8): the website article as the site channel will
write it (its picture loaded), the social cards, the history with names and the text diff, the creator's rework
badge and the officer's one-flow form, at desktop width and at 390 px. Screenshots go to
``test-artifacts/e2e/review-*.png`` (look at them)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image as PILImage
from playwright.sync_api import Page, expect

from sopkit import auth, media
from sopkit.i18n import t
from sopkit.schema import Item, User
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

from .conftest import ARTIFACTS, PASSWORD, ROLES, running
from .test_browser_flow import go, idle, no_errors, sign_in, sign_out

NOTE = "Jam layanan belum disebut; tambahkan di paragraf kedua."


def _photo() -> bytes:
    """A 16:10 picture with something to see when cropped (bands of colour, a white disc in the middle)."""
    img = PILImage.new("RGB", (1600, 1000), (11, 79, 156))
    from PIL import ImageDraw

    draw = ImageDraw.Draw(img)
    for n in range(8):
        draw.rectangle((n * 200, 700, n * 200 + 199, 1000), fill=(242, 183, 5) if n % 2 else (30, 36, 48))
    draw.ellipse((650, 250, 950, 550), fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _users(store: SQLiteStore) -> dict[str, User]:
    hashed = auth.hash_password(PASSWORD)
    out = {r: User(f"{r}@demo.test", f"Demo {r.title()}", (r,), password_hash=hashed) for r in ROLES}
    for u in out.values():
        store.save_user(u)
    return out


def _returned_and_resubmitted(desk: Desk, u: dict[str, User], folder: Path) -> Item:
    """An item with a photo sent back at step 4 with a note, reworked and verified again: now with the approver."""
    pic = {**media.save(folder, _photo(), "Halte Trans Kalbar.jpg"), "alt": "Bus Trans Kalbar di halte Sungai Raya"}
    item = desk.start(u["officer"], title="Rute baru bus Trans Kalbar mulai Senin", summary="Rute baru.",
                      category="Layanan", channels=("site", "instagram", "x"),
                      sources="https://dishub.kalbarprov.go.id/rute", media=[pic])
    item = desk.take(u["creator"], desk.submit(u["officer"], item))
    item = desk.edit(u["creator"], item, body=(
        "Mulai **Senin**, bus Trans Kalbar melayani rute baru Pontianak – Sungai Raya.\n\n"
        "![Bus di halte](halte-trans-kalbar.jpg)\n\nTarif tetap Rp5.000."),
        captions={"site": "Rute baru Trans Kalbar.", "instagram": "Rute baru Trans Kalbar mulai Senin! "
                  "#TransKalbar #Pontianak", "x": "Rute baru Trans Kalbar Pontianak – Sungai Raya mulai Senin."})
    item = desk.submit(u["creator"], item)
    item = desk.approve(u["supervisor"], desk.take(u["supervisor"], item))
    item = desk.reject(u["administrator"], desk.take(u["administrator"], item), NOTE)
    item = desk.edit(u["creator"], item, body=(
        "Mulai **Senin**, bus Trans Kalbar melayani rute baru Pontianak – Sungai Raya.\n"
        "Bus berangkat setiap 30 menit, pukul 06.00–18.00 WIB.\n\n"
        "![Bus di halte](halte-trans-kalbar.jpg)\n\nTarif tetap Rp5.000."),
        captions={"site": "Rute baru Trans Kalbar.", "instagram": "Rute baru Trans Kalbar mulai Senin, tiap 30 "
                  "menit! #TransKalbar #Pontianak #Kalbar", "x": "Rute baru Trans Kalbar mulai Senin, 06.00–18.00."})
    item = desk.submit(u["creator"], item)
    item = desk.approve(u["supervisor"], desk.take(u["supervisor"], item))
    return desk.take(u["administrator"], item)


@pytest.fixture
def review_server(tmp_path: Path) -> Iterator[tuple[str, SQLiteStore, dict[str, User], Item, Item]]:
    store = SQLiteStore(tmp_path / "sopkit.db")
    store.init()
    users = _users(store)
    desk = Desk(store)
    folder = tmp_path / "media"  # where the desk keeps uploads beside a SOPKIT_DB store
    held = _returned_and_resubmitted(desk, users, folder)
    back = desk.start(users["officer"], title="Razia angkutan liar di Jalan Ahmad Yani", summary="Razia.",
                      channels=("site",))
    back = desk.take(users["creator"], desk.submit(users["officer"], back))
    back = desk.submit(users["creator"], desk.edit(users["creator"], back, body="Razia.", captions={"site": "R"}))
    back = desk.reject(users["supervisor"], desk.take(users["supervisor"], back), "Tambahkan foto kegiatan.")
    draft = {**media.save(folder, _photo(), "Razia pagi.jpg"), "alt": ""}
    desk.start(users["officer"], title="Sosialisasi keselamatan di terminal", channels=("site",), media=[draft])
    with running(store) as url:
        yield url, store, users, held, back


def _shot(page: Page, name: str, width: int) -> None:
    """A full-page screenshot at ``width``: grow the window to the content first (Streamlit scrolls inside)."""
    out = ARTIFACTS / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    idle(page)
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
                           "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": width, "height": min(int(height) + 80, 9000)})
    idle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})  # back to the phone (or desktop) it was


def _close_sidebar(page: Page) -> None:
    """At 390 px the sidebar covers the page: close it as a person would (on a desktop it stays)."""
    if page.viewport_size and page.viewport_size["width"] > 600:
        return
    button = page.locator('[data-testid="stSidebarCollapseButton"] button')
    if button.count() and button.first.is_visible():
        button.first.click()
        idle(page)


def _open_sidebar(page: Page) -> None:
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        expand.first.click()
        idle(page)


def _go(page: Page, key: str) -> None:
    """Choose a page from the menu (opened first on a phone, where it starts closed), then close the menu."""
    _open_sidebar(page)
    go(page, key)
    _close_sidebar(page)


def _sign_out(page: Page) -> None:
    """On a desktop the sidebar's button; on a phone (menu closed) drop the session cookie, as a new visit."""
    if page.viewport_size and page.viewport_size["width"] > 600:
        sign_out(page)
    else:
        page.context.clear_cookies()


@pytest.mark.parametrize("width", [1400, 390])
def test_the_approver_sees_the_article_the_cards_and_the_history(page: Page, review_server, width: int) -> None:  # noqa: ANN001
    url, store, users, held, back = review_server
    page.set_viewport_size({"width": width, "height": 900})
    suffix = "desktop" if width > 600 else "390"

    sign_in(page, url, "administrator")
    _go(page, "administrator")
    no_errors(page)
    # the website article in its frame, its picture actually loaded (the site's own rendition, as data: URL)
    frame = page.frame_locator('iframe[title]').first if page.locator("iframe[title]").count() else \
        page.frame_locator("iframe").first
    expect(frame.get_by_role("heading", name=held.title)).to_be_visible()
    expect(frame.locator("strong", has_text="Senin")).to_be_visible()
    loaded = frame.locator("figure img").first.evaluate("img => img.complete && img.naturalWidth")
    assert loaded == 1200
    # the history: names, the note it was sent back with, the diff of the body
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text(NOTE)).to_be_visible()
    expect(main.get_by_text("Demo Administrator").first).to_be_visible()
    added = main.locator("ins", has_text="Bus berangkat setiap 30 menit, pukul 06.00–18.00 WIB.")
    expect(added).to_be_visible()  # the added sentence marked in the new text (no "+" lines, no "@@" headers)
    assert added.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(217, 245, 225)"
    history = main.locator('[data-testid="stExpander"]', has_text=t("history.title"))
    assert "@demo.test" not in history.inner_text()
    _shot(page, f"review-approver-site-{suffix}", width)
    # the Instagram card: the cropped picture, the caption with its hashtags, the count against the limit
    page.get_by_role("tab", name="Instagram").click()
    idle(page)
    card = main.locator('[role="tabpanel"]:visible')
    expect(card.get_by_text(t("preview.card", channel="Instagram"))).to_be_visible()
    expect(card.get_by_text(t("preview.hashtags", tags="#TransKalbar #Pontianak #Kalbar"))).to_be_visible()
    expect(card.get_by_text(t("creator.count", n=82, limit=2200) + " · " + t("creator.hashtags", n=3, limit=30))
           ).to_be_visible()
    img = card.locator("img").first
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    size = img.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [1000, 1000]  # Instagram's square crop of the 16:10 upload (never enlarged)
    _shot(page, f"review-approver-instagram-{suffix}", width)
    _sign_out(page)

    # the creator: the returned item's rework badge, who sent it back, the note
    sign_in(page, url, "creator")
    _go(page, "creator")
    expect(page.get_by_text(t("creator.rework_badge", n=1)).first).to_be_visible()
    expect(page.get_by_text("Tambahkan foto kegiatan.").first).to_be_visible()
    _shot(page, f"review-creator-rework-{suffix}", width)
    _sign_out(page)

    # the officer's one form: save a draft or send it on
    sign_in(page, url, "officer")
    _go(page, "officer")
    expect(page.get_by_role("button", name=t("officer.start_send"), exact=True)).to_be_visible()
    thumb = page.locator('[data-testid="stMain"] [data-testid="stImage"] img').first  # the draft's picture
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    _shot(page, f"review-officer-form-{suffix}", width)
    assert store.get_item(held.id).step == 4
