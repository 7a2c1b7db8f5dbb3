"""Admin: users and roles, SOP settings, the Register (its editor, or a link to the store's own when the store is
edited by hand), every row that fails validation, and the notification outbox (sends, failures, a retry button,
the users nobody can reach); above them, what the publish job will need: channel credentials that are missing or
expire before items fall due, and deprecated settings."""

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

import pandas as pd
import streamlit as st

from pages._ui import actions, adminsettings, filters, identity, outbox, rules, session, widgets
from pages._ui.guard import guard
from pages._ui.session import t
from pages._ui.widgets import escape, labelled, times
from sopkit import i18n, sop
from sopkit.admin import ADMIN_EDITABLE, AdminError, edit_register_row, save_settings, save_users
from sopkit.auth import AuthError, set_password
from sopkit.channels import registry
from sopkit.i18n import has, say
from sopkit.publishing import credential_warnings
from sopkit.store.base import StoreError
from sopkit.store.registry import display
from sopkit.tableio import records
from sopkit.text import BadText, field_label

ctx = guard("admin")


_reason = actions.reason  # every refusal in the admin's language, never an exception's English text


def _cell(value: object) -> str:
    """An editor cell as the Users table's text: booleans as TRUE/FALSE, the roles list comma-separated."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return ",".join(str(v) for v in list(cast(Iterable[object], value)))  # a list or a numpy array
    return str(value or "")


def role_title(code: str) -> str:
    return i18n.role_title(code, ctx.lang)


def register_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The Register rows as the editor shows them: the status in words, the channels as a list (shown by name)."""
    out = frame.assign(status=[widgets.item_status(v) for v in frame["status"]])
    if "channels" in out.columns:
        out["channels"] = [[c.strip() for c in str(v or "").split(",") if c.strip()] for v in out["channels"]]
    return out


def register_columns() -> dict[str, Any]:
    """Column titles in the user's language (``field.<name>``, ``col.<name>``); the channels as a choice of the
    registry's channels by name."""
    config: dict[str, Any] = {c: st.column_config.Column(field_label(c, ctx.lang))
                                 for c in ("id", "status", "step", "rev", *ADMIN_EDITABLE) if c != "channels"}
    config["channels"] = st.column_config.MultiselectColumn(field_label("channels", ctx.lang),
                                                            options=registry.names(),
                                                            format_func=widgets.channel_name)
    return config


st.title(t("page.admin"))
credential_problems = credential_warnings(session.cfg(), ctx.snap.register, dt.datetime.now(dt.UTC),
                                          lang=session.lang())
if credential_problems:
    st.warning("\n".join([t("admin.credentials"), "", *(f"- {escape(w)}" for w in credential_problems)]),
               icon=":material/key:")
if session.cfg().deprecated:
    st.info(t("admin.deprecated", keys=", ".join(session.cfg().deprecated), url=display(session.cfg().store)),
            icon=":material/settings:")
users_tab, settings_tab, register_tab, problems_tab, outbox_tab = st.tabs(
    [t("admin.users"), t("admin.settings"), t("admin.register"), t("admin.problems"), t("admin.outbox")])

with users_tab:
    frame = pd.DataFrame([{"email": u.email, "name": u.name, "roles": list(u.roles), "active": u.active,
                           "locked_until": u.locked_until} for u in ctx.snap.users],
                         columns=["email", "name", "roles", "active", "locked_until"])
    frame = times(frame, "locked_until")  # shown only (disabled, and left out of what is saved)
    edited = st.data_editor(frame, key="w_users", num_rows="dynamic", hide_index=True,
                            disabled=["locked_until"], column_config={
                                "email": st.column_config.TextColumn(t("col.email"), required=True),
                                "name": st.column_config.TextColumn(t("col.name")),
                                "roles": st.column_config.MultiselectColumn(
                                    t("col.roles"), options=list(sop.ROLES), format_func=role_title),
                                "active": st.column_config.CheckboxColumn(t("col.active"), default=True),
                                "locked_until": st.column_config.TextColumn(t("col.locked_until"))})
    if st.button(t("admin.save_users"), key="w_save_users", type="primary"):
        rows = [{k: _cell(v) for k, v in r.items()} for r in records(edited.drop(columns=["locked_until"]))]
        try:
            written = save_users(session.store(), ctx.user, rows)
        except (AdminError, BadText, StoreError) as e:
            st.error(t("admin.invalid", reason=_reason(e)))
        else:
            session.after_write()
            identity.checker().forget()  # deactivations and role changes end sessions on this host at once
            session.flash("success", t("admin.saved_users", n=len(written)))
            st.rerun()
    with st.form("w_pw", clear_on_submit=True):
        st.markdown(f"**{t('admin.set_password')}**")
        who = st.selectbox(t("admin.pw_user"), [u.email for u in ctx.snap.users], key="w_pw_user", index=None,
                           placeholder=t("ui.choose_one"), format_func=widgets.person, help=t("admin.pw_user_help"))
        pw = st.text_input(t("signin.password"), type="password", key="w_pw_new")
        if st.form_submit_button(t("admin.set_password")):
            target = ctx.snap.user(who or "")
            try:
                if target is None:
                    raise AuthError("admin.choose_user", "")
                set_password(session.store(), target, pw)
            except AuthError as e:
                st.error(t(e.code))
            except StoreError as e:
                st.error(t("admin.store_failed", reason=_reason(e)))
            else:
                session.after_write()
                identity.checker().forget()  # the old password's sessions end at once
                st.success(t("admin.password_set", email=widgets.person(target.email)))

with settings_tab:
    settings, problems = session.settings()
    adminsettings.limits(settings)
    adminsettings.hours(settings)
    adminsettings.days(settings)
    st.markdown(f"**{t('admin.header')}**")
    for key in sop.SOP_HEADER_DEFAULTS:
        st.text_input(t(f"about.{key}"), value=settings.header.get(key, ""), key=f"w_{key}")
    if st.button(t("admin.save_settings"), key="w_save_settings", type="primary"):
        new, found = adminsettings.rows()
        new.update({key: st.session_state[f"w_{key}"] for key in sop.SOP_HEADER_DEFAULTS})
        if not found:
            try:
                found = save_settings(session.store(), new, session.cfg().timezone, actor=ctx.user.email)
            except BadText as e:
                found = [t("admin.invalid", reason=_reason(e))]
            except StoreError as e:  # Google Sheets stayed busy, or the answer was lost: one message each
                found = [t("admin.store_failed", reason=_reason(e))]
        if found:
            for p in found:
                st.error(say(p, ctx.lang))
        else:
            session.after_write(settings=True)  # the save's own result: no re-read of everything
            adminsettings.forget()
            session.flash("success", t("admin.saved_settings"))
            st.rerun()

    st.markdown(f"**{t('admin.history')}**")
    st.caption(t("admin.history_help"))
    history = session.history()
    st.dataframe(rules.revisions_table(history.revisions), hide_index=True)

with register_tab:
    capabilities = session.store().capabilities
    if capabilities.hand_editable:  # admins edit the backend's own tables (a Google Sheet): link there
        st.link_button(t("admin.open_store", name=capabilities.label), capabilities.edit_url)
    else:
        reg = pd.DataFrame([r for r in ctx.snap.register.rows])
        if not reg.empty:  # the search narrows the editor's rows; positions are the shown frame's own
            wanted = {i.id for i in filters.bar("register", ctx.snap.register.items)}
            reg = reg[reg["id"].isin(wanted)].reset_index(drop=True)
        if reg.empty:
            st.info(t("queue.empty"))
        else:
            shown = reg[["id", "status", "step", "rev", *ADMIN_EDITABLE]]
            st.caption(t("admin.register_help"))
            edited = st.data_editor(register_view(shown), key="w_register", hide_index=True,
                                    disabled=["id", "status", "step", "rev"], column_config=register_columns())
            if st.button(t("admin.save_register"), key="w_save_register", type="primary"):
                changes = st.session_state["w_register"].get("edited_rows", {})
                n_ok = 0
                for pos, cols in changes.items():
                    row = shown.iloc[int(pos)]
                    try:
                        edit_register_row(session.store(), ctx.user, row["id"], int(row["rev"]),
                                          {k: _cell(v) for k, v in cols.items()})
                        n_ok += 1
                    except (AdminError, StoreError, BadText) as e:
                        st.error(t("admin.row_refused", id=row["id"], reason=_reason(e)))
                session.after_write()
                st.success(t("admin.saved_rows", n=n_ok))

with problems_tab:
    listed = [{"table": p.table, "row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
             for p in (*ctx.snap.register.problems, *ctx.snap.user_problems)]
    listed += [{"table": "Settings", "row": 0, "column": "", "value": "", "reason": p} for p in problems]
    listed += [{"table": "SettingsHistory", "row": 0, "column": "", "value": "", "reason": p}
              for p in session.history().problems]
    for line in listed:  # the table's name and the reason in the admin's language (the row's words stay English)
        table = f"admin.table.{line['table']}"
        line["table"], line["reason"] = t(table) if has(table) else line["table"], say(line["reason"], ctx.lang)
    if not listed:
        st.success(t("admin.no_problems"))
    else:
        st.dataframe(labelled(pd.DataFrame(listed)), hide_index=True)

with outbox_tab:
    outbox.tab(ctx.user, ctx.snap)
