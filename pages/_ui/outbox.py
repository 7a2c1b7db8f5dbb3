"""The admin page's notification tab: every message the job handled (newest first), failures with a button to send
again, the users nobody can reach, and a Telegram chat id typed in by the admin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
import streamlit as st

from sopkit.config import ConfigError
from sopkit.notify import requeue, unreachable_people
from sopkit.notify.outbox import Status, fold
from sopkit.notify.prefs import Preference, preference_of, read_preferences
from sopkit.notify.run import notify_setup
from sopkit.notify.view import OutboxLine, counts, outbox_lines
from sopkit.schema import User

from . import session
from .actions import saving
from .session import Snapshot, t
from .widgets import escape, labelled, person, times, who


def _detail(line: OutboxLine) -> str:
    if line.status == Status.UNREACHABLE and line.detail:
        return t(f"notify.unreachable.{line.detail}")
    return line.detail


def tab(admin: User, snap: Snapshot) -> None:
    states = fold(session.outbox_rows())
    prefs, _ = read_preferences(session.preference_rows())
    try:
        if notify_setup(session.cfg()).smtp is None:
            st.info(t("admin.no_smtp"))
    except ConfigError as e:
        st.error(t("admin.smtp_bad", detail=escape(str(e))))  # the setting's own words: a file the admin edits
    st.caption(t("admin.outbox_counts", **counts(states)))
    only = st.toggle(t("admin.outbox_problems"), key="w_outbox_problems")
    lines = outbox_lines(states, snap.users, dt.datetime.now(dt.UTC), problems_only=only)
    if not lines:
        st.caption(t("admin.outbox_empty"))
    else:
        table = pd.DataFrame([{
            "at": line.at.isoformat() if line.at else "", "status": t(line.label),
            "kind": t(f"notify.kind.{line.kind}"), "to": line.name,
            "channel": t(f"notify.channel.{line.channel or 'none'}"), "subject": line.subject,
            "detail": _detail(line)} for line in lines])
        st.dataframe(labelled(times(table, "at")), hide_index=True)
        _retry(admin, [line for line in lines if line.retryable])
    st.markdown(f"**{t('admin.unreachable')}**")
    nobody = unreachable_people(snap.users, prefs)
    if nobody:
        st.dataframe(labelled(pd.DataFrame([{"name": who(u.email),
                                             "reason": t(f"notify.unreachable.{why}")} for u, why in nobody])),
                     hide_index=True)
    else:
        st.caption(t("admin.all_reachable"))
    _chat_id(snap, prefs)


def _retry(admin: User, retryable: list[OutboxLine]) -> None:
    if not retryable:
        return
    with st.form("w_outbox_retry"):
        pick = st.selectbox(t("admin.outbox_pick"), range(len(retryable)), index=None, key="w_outbox_pick",
                            placeholder=t("ui.choose_one"),
                            format_func=lambda i: " — ".join((retryable[i].subject or t(
                                f"notify.kind.{retryable[i].kind}"), retryable[i].name,
                                t(retryable[i].label))))
        if st.form_submit_button(t("admin.outbox_retry")) and pick is not None:
            with saving("outbox retry"):
                try:
                    requeue(session.store(), admin, retryable[pick].key)
                except ValueError:  # someone handed it back (or it was sent) since this list was drawn
                    session.after_notify_write()
                    session.flash("warning", t("admin.outbox_moved"))
                else:
                    session.after_notify_write()
                    session.flash("success", t("admin.outbox_requeued"))
                st.rerun()


def _chat_id(snap: Snapshot, prefs: Mapping[str, Preference]) -> None:
    with st.form("w_chat_id", clear_on_submit=True):
        st.markdown(f"**{t('admin.chat_id')}**")
        who = st.selectbox(t("col.name"), [u.email for u in snap.users], index=None, key="w_chat_user",
                           placeholder=t("ui.choose_one"),
                           format_func=person)
        chat = st.text_input(t("admin.chat_id_value"), key="w_chat_value")
        if not st.form_submit_button(t("admin.chat_save")):
            return
        target = snap.user(who or "")
        if target is None:
            st.error(t("admin.choose_user"))
        elif not chat.strip().lstrip("-").isdigit():
            st.error(t("admin.chat_bad"))
        else:
            pref = preference_of(prefs, target.email)
            channels = pref.channels if "telegram" in pref.channels else (*pref.channels, "telegram")
            with saving("telegram chat id"):
                session.store().save_preference(replace(pref, telegram_chat_id=chat.strip(),
                                                        channels=channels).to_row())
                session.after_notify_write()
                session.flash("success", t("admin.chat_saved", name=person(target.email)))
                st.rerun()
