"""Notifikasi: what the desk tells me (kinds), where (e-mail, Telegram) and in which language; linking Telegram."""

from dataclasses import replace

import streamlit as st

from pages._ui import session
from pages._ui.actions import saving
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit.i18n import LANGS
from sopkit.notify.prefs import PEOPLE_CHANNELS, kinds_for, link_code, preference_of, read_preferences

ctx = guard("notifications")
st.title(t("page.notifications"))
st.caption(t("notifypage.intro"))
prefs, _ = read_preferences(session.preference_rows())
pref = preference_of(prefs, ctx.user.email)
offered = kinds_for(ctx.user)
with st.form("w_notify_prefs"):
    lang = st.selectbox(t("notifypage.lang"), LANGS, index=LANGS.index(pref.lang), key="w_notify_lang",
                        format_func=lambda v: {"id": "Bahasa Indonesia", "en": "English"}[v])
    kinds = st.multiselect(t("notifypage.kinds"), offered, default=[k for k in offered if pref.wants(k)],
                           key="w_notify_kinds", format_func=lambda k: t(f"notify.kind.{k}"),
                           placeholder=t("ui.choose_many"))
    channels = st.multiselect(t("notifypage.channels"), PEOPLE_CHANNELS, default=list(pref.channels),
                              key="w_notify_channels", format_func=lambda c: t(f"notify.channel.{c}"),
                              placeholder=t("ui.choose_many"))
    st.caption(t("notifypage.email_to", email=ctx.user.email))
    if st.form_submit_button(t("notifypage.save"), type="primary"):
        hidden = pref.kinds - set(offered)  # kinds not offered to these roles keep their setting
        new = replace(pref, lang=lang, kinds=frozenset(kinds) | hidden, channels=tuple(channels))
        with saving("preferences"):
            session.store().save_preference(new.to_row())
            session.after_notify_write()
            session.flash("success", t("notifypage.saved"))
            st.rerun()
if not pref.channels:
    st.warning(t("notifypage.no_channel"))

st.subheader(t("notifypage.tg_title"))
telegram = session.cfg().section("telegram")
token = str(telegram.get("bot_token") or "")
if pref.telegram_chat_id:
    st.success(t("notifypage.tg_linked", chat=pref.telegram_chat_id))
    if st.button(t("notifypage.tg_unlink"), key="w_tg_unlink"):
        gone = replace(pref, telegram_chat_id="", channels=tuple(c for c in pref.channels if c != "telegram"))
        with saving("telegram unlink"):
            session.store().save_preference(gone.to_row())
            session.after_notify_write()
            session.flash("success", t("notifypage.tg_unlinked"))
            st.rerun()
elif token:
    code = link_code(token, ctx.user.email, pref.telegram_chat_id)
    st.info(t("notifypage.tg_how", code=code))
    st.code(f"/start {code}", language=None)
    username = str(telegram.get("bot_username") or "").lstrip("@")
    if username:
        st.link_button(t("notifypage.tg_open"), f"https://t.me/{username}?start={code}")
else:
    st.caption(t("notifypage.tg_none"))
