"""The publish job's channel states on the publisher and item pages, handing a channel back to the job, the admin's
credential warnings, and times and statuses as staff read them."""

from __future__ import annotations

import json
import re

import pytest
from desk_helpers import email_for, errors, open_page, successes

from pages._ui import session
from sopkit import sop
from sopkit.i18n import t
from sopkit.store.base import Change
from sopkit.workflow import CHANNEL_STATUSES

#: Every state the job (or a person) writes, no result yet, and a word a hand-edited Sheet might hold.
STATES = [*CHANNEL_STATUSES, "", "bogus"]
TIME_ID = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des) \d{4} \d\d\.\d\d WIB$")
TIME_EN = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d WIB$")


def _set_channel(env, item, channel: str, result: dict):  # type: ignore[no-untyped-def]
    """Write a channel state the way the job's store write lands (bypassing the workflow's status check, so a
    bogus word can be stored too)."""
    results = {**item.channel_results, channel: result} if result else dict(item.channel_results)
    return env.store.commit(Change(item.id, item.rev, {"channel_results": json.dumps(results)}))


def _expected_label(status: str, lang: str) -> str:
    if status == "bogus":
        return t("publisher.status.other", lang, status="bogus")
    return t(f"publisher.status.{status or 'none'}", lang)


def _open(app, role: str, page: str, lang: str, **query: str):  # type: ignore[no-untyped-def]
    at = app(email_for(role))
    at.session_state[session.LANG_KEY] = lang
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, page)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("status", STATES)
def test_every_channel_state_is_shown_in_words_on_both_pages(app, env, status, lang) -> None:
    item = env.advance(6, channels=("site", "x"))
    result = {"status": status, "at": "2026-11-26T10:00:00+07:00", "error": "Graph API 500"} if status else {}
    if status == "published":
        result = {**result, "url": "https://example.org/site/1"}
    item = _set_channel(env, item, "site", result)

    at = _open(app, "publisher", "publisher", lang)
    labels = [e.label for e in at.expander]
    expected = f"{t('channel_name.site', lang)}: {_expected_label(status, lang)}" + (
        f" · 26 Nov 2026 10{'.' if lang == 'id' else ':'}00 WIB" if status else "")
    assert expected in labels, labels
    assert f"{t('channel_name.x', lang)}: {t('publisher.status.none', lang)}" in labels
    requeue = [b for b in at.button if b.label == t("publisher.requeue", lang)]
    assert len(requeue) == (1 if status in ("failed", "unknown") else 0)

    at = _open(app, "publisher", "item", lang, id=item.id)
    [channels] = [tb for tb in at.table if t("item.channel_status", lang) in tb.value.columns]
    column = t("item.channel_status", lang)
    assert channels.value.loc[t("channel_name.site", lang), column] == _expected_label(status, lang)
    assert channels.value.loc[t("channel_name.x", lang), column] == t("publisher.status.none", lang)
    assert not at.json  # no raw JSON of the job's bookkeeping


def test_failed_channel_is_handed_back_to_the_job_with_a_note(app, env) -> None:
    item = env.advance(6, channels=("site", "x"))
    item = env.desk().record_channel(env.user(email_for("publisher")), item, "site",
                                     {"status": "failed", "error": "HTTP 403: token rejected", "attempts": 3})
    at = _open(app, "publisher", "publisher", "id")
    [hand_back] = [b for b in at.button if b.label == t("publisher.requeue")]

    hand_back.click().run()  # no note: refused, nothing written
    assert errors(at) == [t("error.note_required")]
    assert env.item(item.id).channel_results["site"]["status"] == "failed"

    at.text_area(key=f"w_rqnote_{item.id}_site").input("Halaman FB dicek: belum ada unggahan; token sudah diganti.")
    [hand_back] = [b for b in at.button if b.label == t("publisher.requeue")]
    hand_back.click().run()
    assert not at.exception and not errors(at), errors(at)
    assert successes(at) == [t("done.requeue", id=item.id)]
    state = env.item(item.id).channel_results["site"]
    assert state["status"] == "pending" and state["attempts"] == 0
    who = env.user(email_for("publisher"))  # staff read names, not e-mail addresses
    assert "token sudah diganti" in state["error"] and f"diserahkan kembali oleh {who.name}" in state["error"]
    assert env.item(item.id).channel_results.get("x", {}).get("status") is None  # the other channel untouched
    # the page now shows it waiting for the job, with no hand-back form
    pending = f"{t('channel_name.site')}: {t('publisher.status.pending')}"
    assert pending in [e.label.split(" · ")[0] for e in at.expander]
    assert not [b for b in at.button if b.label == t("publisher.requeue")]
    log = env.store.read_log(item.id)
    assert log[-1]["action"] == "channel" and log[-1]["actor"] == email_for("publisher")


def test_unknown_channel_can_be_handed_back_too(app, env) -> None:
    item = env.advance(6, channels=("site",))
    item = _set_channel(env, item, "site", {"status": "unknown", "error": "unknown — check the channel"})
    at = _open(app, "publisher", "publisher", "en")
    at.text_area(key=f"w_rqnote_{item.id}_site").input("Checked the site: the post is not there.")
    [hand_back] = [b for b in at.button if b.label == t("publisher.requeue", "en")]
    hand_back.click().run()
    assert not errors(at), errors(at)
    assert env.item(item.id).channel_results["site"]["status"] == "pending"


def test_a_channel_being_looked_for_says_the_job_is_on_it_and_offers_no_hand_back(app, env) -> None:
    item = env.advance(6, channels=("wordpress",))
    _set_channel(env, item, "wordpress", {"status": "checking", "at": "2026-11-26T10:00:00+07:00",
                                          "settle_at": "2026-11-26T10:10:00+07:00", "error": "no answer"})
    at = _open(app, "publisher", "publisher", "id")
    assert t("publisher.checking_note", channel="WordPress", settle="26 Nov 2026 10.10 WIB") in [
        i.value for i in at.info]
    assert not [b for b in at.button if b.label == t("publisher.requeue")]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_unknown_channel_says_what_to_check_and_where(app, env, lang) -> None:
    item = env.advance(6, channels=("telegram",))
    _set_channel(env, item, "telegram", {"status": "unknown", "at": "2026-11-26T10:00:00+07:00",
                                         "key": f"sop-{item.id}", "error": "unknown — check the channel"})
    at = _open(app, "publisher", "publisher", lang)
    expected = t("publisher.unknown_check", lang, title=item.title, where=t("publisher.where.telegram", lang),
                 since=f"26 Nov 2026 10{'.' if lang == 'id' else ':'}00 WIB", post_key=f"sop-{item.id}")
    assert expected in [w.value for w in at.warning]
    if lang == "id":
        assert "Yang perlu diperiksa" in expected and "kanal Telegram Dinas" in expected


def test_copies_of_a_published_post_are_listed_with_what_the_job_did(app, env) -> None:
    item = env.advance(6, channels=("wordpress",))
    item = env.desk().record_channel(env.user(email_for("publisher")), item, "wordpress",
                                     {"status": "published", "url": "https://wp.example/sop-a/", "post_id": "7"})
    assert item.status == sop.PUBLISHED
    env.desk().record_copies(env.user(email_for("publisher")), item, "wordpress",
                             {"url": "https://wp.example/sop-a/", "post_id": "7"},
                             [{"post_id": "9", "url": "https://wp.example/sop-a-2/", "action": "trashed",
                               "at": "2026-11-26T10:20:00+07:00"},
                              {"post_id": "11", "url": "https://wp.example/sop-a-3/", "action": "left",
                               "at": "2026-11-26T10:21:00+07:00"}])
    at = _open(app, "publisher", "publisher", "id")
    assert t("publisher.copies", n=1) in [tab.label for tab in at.tabs]
    trashed = t("publisher.copy.trashed", url="https://wp.example/sop-a-2/", at="26 Nov 2026 10.20 WIB",
                kept="https://wp.example/sop-a/", channel="WordPress")  # the channel by name, not its code
    left = t("publisher.copy.left", url="https://wp.example/sop-a-3/", kept="https://wp.example/sop-a/",
             where=t("publisher.where.wordpress"))
    assert f"WordPress: {trashed}" in [c.value for c in at.caption]
    assert f"WordPress: {left}" in [w.value for w in at.warning]


SECRETS = """
[facebook]
page_id = "1234"
page_token = "not-a-real-token"
token_expires = "2020-01-31"
"""


def test_admin_sees_credential_warnings(app, env, tmp_path, monkeypatch) -> None:
    env.advance(6, channels=("site", "wordpress"))  # wordpress has no credentials: it will wait on the publisher
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    monkeypatch.setenv("SOPKIT_SECRETS", str(secrets))
    at = _open(app, "admin", "admin", "id")
    [box] = [w.value for w in at.warning if w.value.startswith(t("admin.credentials"))]
    assert "Facebook: token kedaluwarsa pada 31 Jan 2020" in box  # Indonesian, dates as staff read them
    assert "WordPress: kredensial belum ada" in box and "1 konten terjadwal menuju kanal ini" in box
    assert "Facebook: ditahan: posting Facebook memuat tautan ke situs web" in box  # the loopback website address
    assert "masa berlaku token tidak bisa diperiksa" in box  # no Meta app token in the secrets
    assert "facebook:" not in box and "wordpress:" not in box  # channels by name; codes only as [section] keys
    assert "not-a-real-token" not in repr(at._tree)


def test_admin_without_credential_problems_sees_no_warning(app, env) -> None:
    env.advance(6, channels=("site", "x"))  # the website needs no credentials; x is posted by hand
    at = _open(app, "admin", "admin", "id")
    assert not [w for w in at.warning if w.value.startswith(t("admin.credentials"))]


@pytest.mark.parametrize("lang,pattern", [("id", TIME_ID), ("en", TIME_EN)])
def test_item_page_shows_times_and_status_as_staff_read_them(app, env, lang, pattern) -> None:
    item = env.advance(4)
    at = _open(app, "officer", "item", lang, id=item.id)
    caption = t("item.status", lang, status=t(f"status.{sop.STATUS_BY_STEP[4]}", lang), rev=item.rev)
    assert caption in [c.value for c in at.caption]
    timeline = at.dataframe[0].value
    assert all(pattern.match(v) for v in timeline[t("log.at", lang)]), list(timeline[t("log.at", lang)])
    durations = at.dataframe[1].value
    assert all(pattern.match(v) for v in durations[t("att.started_at", lang)])
    ended = list(durations[t("att.ended_at", lang)])
    assert ended[-1] == "—" and all(pattern.match(v) for v in ended[:-1])  # the open attempt has no end yet
    home = _open(app, "officer", "home", lang)
    assert all(pattern.match(v) for v in home.dataframe[0].value[t("log.at", lang)])
