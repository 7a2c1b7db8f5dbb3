"""A third language is one more dict: with a throwaway language whose every text is ``<<key>>``, every page shows
role, step, status and channel titles and domain errors from the catalogue, never Indonesian or English text
picked elsewhere (issue 10 item 3)."""

from __future__ import annotations

import re

import pytest
from desk_helpers import email_for, open_page
from test_no_english import CASES, _strings
from test_no_english import busy as busy  # the fixture

from sopkit import i18n, sop
from sopkit.channels import registry
from sopkit.permissions import Forbidden
from sopkit.schema import User
from sopkit.workflow import InvalidInput, WorkflowError, WrongState

XX = "xx"


@pytest.fixture
def third(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    texts = {key: f"<<{key}>>" for key in i18n.TEXTS[i18n.DEFAULT_LANG]}
    monkeypatch.setattr(i18n, "TEXTS", {**i18n.TEXTS, XX: texts})
    return texts


#: Titles that must come from the catalogue: their Indonesian and English texts must not show in ``xx``.
TITLE_KEYS = sorted(k for k in i18n.TEXTS[i18n.DEFAULT_LANG]
                    if k.split(".")[0] in ("role", "step", "status", "channel_name") and k.count(".") == 1)


def test_titles_come_from_the_language_dict(third) -> None:  # noqa: ANN001
    assert [i18n.role_title(r, XX) for r in sop.ROLES] == [f"<<role.{r}>>" for r in sop.ROLES]
    assert [i18n.step_title(s, XX) for s in sop.AGENCY.steps] == [f"<<step.{s.name}>>" for s in sop.AGENCY.steps]
    assert [i18n.status_title(s, XX) for s in sop.STATUSES] == [f"<<status.{s}>>" for s in sop.STATUSES]
    assert [i18n.channel_title(c, XX) for c in registry.names()] == [f"<<channel_name.{c}>>"
                                                                      for c in registry.names()]


def test_domain_errors_render_in_the_readers_language(third, desk, users) -> None:  # noqa: ANN001
    raised: list[WorkflowError | Forbidden] = []
    item = desk.start(users["officer"], title="Judul", channels=["site"])
    for attempt in (lambda: desk.start(users["officer"], title="", channels=["site"]),
                    lambda: desk.approve(users["supervisor"], item),
                    lambda: desk.submit(User("x@y.z", "X", ("officer",), active=False), item),
                    lambda: desk.edit(users["officer"], item, status="published")):
        with pytest.raises((WorkflowError, Forbidden)) as info:
            attempt()
        raised.append(info.value)
    assert [type(e) for e in raised] == [InvalidInput, WrongState, Forbidden, InvalidInput]
    for e in raised:
        assert e.text(XX) == f"<<{e.key}>>", e.key  # nothing Indonesian or English around it
        assert e.text("en") != e.text("id") and str(e) == e.text(i18n.DEFAULT_LANG)
    assert raised[1].key == "wf.wrong_step" and "Verifikasi konten" in raised[1].text("id")
    assert "Verify the content" in raised[1].text("en")


#: Brand names, and "Website" (in the SOP's own title, which is data, not a channel title).
SAME_EVERYWHERE = frozenset({"Manual", "WordPress", "Facebook", "Instagram", "Telegram", "Status", "Website"})


@pytest.mark.parametrize(("role", "page"), CASES)
def test_every_page_in_a_third_language(app, busy, third, role, page) -> None:  # noqa: ANN001
    from pages._ui import session

    at = app(email_for(role))
    at.session_state[session.LANG_KEY] = XX
    at.run()
    if page == "item":
        at.query_params["id"] = busy.advanced[-1].id
    open_page(at, page)
    texts = [text for _, text in _strings(at)]
    assert any(f"<<page.{page}>>" in s for s in texts)
    shown = [re.sub(r"<<[a-z_.]+>>", " ", s) for s in texts]  # the catalogue's own texts, read through
    leaked = sorted({f"{k}={v!r}" for k in TITLE_KEYS for lang in ("id", "en")
                     for v in (i18n.TEXTS[lang][k],) if len(v) > 3 and v not in SAME_EVERYWHERE
                     and any(v in s for s in shown)})
    assert not leaked, f"{role} on {page}: titles not from the catalogue: {leaked}"
