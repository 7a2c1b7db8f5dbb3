"""The item's history for the approver (``sopkit.history``): who did what, by name; each note it was sent back
with; and what changed in the text between the last two versions sent to review, word by word."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from sopkit import history, sop
from sopkit.i18n import has
from sopkit.schema import Item

from . import rules, session, widgets
from .session import t
from .widgets import channel_name as label


def _action(action: str) -> str:
    name = f"action.{action}"
    return t(name) if has(name) else action


def show(item: Item, log: Iterable[Mapping[str, Any]]) -> None:
    """What changed first (the diff), then each note it was sent back with, then every step by name."""
    events = history.events(log, item.id)
    with st.expander(t("history.title"), expanded=item.rejections > 0):
        _diff(item)
        for e in (e for e in events if e.sent_back):  # the note is staff text: escaped, never Markdown
            st.warning(t("history.sent_back", who=rules.who(e.actor), at=session.local(e.at)) + " "
                       + widgets.escape(e.note or "—"))
        st.markdown(f"**{t('history.steps')}**")
        for e in events:
            step = widgets.step_title(e.step) if e.step in sop.STEPS else "—"
            st.caption(t("history.row", at=session.local(e.at), who=rules.who(e.actor), action=_action(e.action),
                         step=step))


def _diff(item: Item) -> None:
    change = history.last_change(item)
    if change is None:
        st.caption(t("history.once"))
        return
    old, new, diffs = change
    st.markdown("**" + t("history.diff_title", old=old.get("n", "?"), new=new.get("n", "?"),
                         old_at=session.local_iso(old.get("at")), new_at=session.local_iso(new.get("at")),
                         old_by=rules.who(str(old.get("by", ""))), new_by=rules.who(str(new.get("by", "")))) + "**")
    if old.get("too_long") or new.get("too_long"):
        st.caption(t("history.too_long"))
        return
    if not diffs:
        st.caption(t("history.same"))
    else:
        st.caption(t("history.legend"))
    for d in diffs:
        st.markdown(f"**{t(f'history.field.{d.field}', channel=label(d.channel))}**")
        st.html(history.marked_html(d.pieces, t("history.gap")))
