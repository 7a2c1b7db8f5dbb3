"""Pembuat Konten (step 2): take work from the queue, write the article and captions, check, submit."""

from dataclasses import replace

import streamlit as st

from pages._ui import actions, filters, preview, renditions, rules, session, widgets
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit import checks, history
from sopkit.channels import registry
from sopkit.images import RENDITIONS
from sopkit.tableio import records
from sopkit.workflow import waiting_on

ctx = guard("creator")
st.title(t("page.creator"))

queue = waiting_on(ctx.snap.register.items, ctx.user, "design")
free = [i for i in queue if not i.creator or i.creator != ctx.user.email]
mine = [i for i in queue if i.creator == ctx.user.email]


def _rework(item) -> None:
    """A returned item says so on its card: the rework badge, who sent it back and when (their note follows)."""
    if not item.rejections:
        return
    st.badge(t("creator.rework_badge", n=item.rejections), icon=":material/replay:", color="orange")
    log = ctx.snap.log
    back = [e for e in history.events(records(log[log["item_id"] == item.id]), item.id) if e.sent_back]
    if back:
        st.caption(t("creator.returned_by", who=rules.who(back[-1].actor), at=session.local(back[-1].at)))


st.subheader(t("queue.title"))
free = filters.bar("queue", free)
if not free:
    st.caption(t("queue.empty"))
for item in widgets.capped(free):
    with st.container(border=True):
        widgets.item_header(item)
        widgets.clock_badge(item)
        _rework(item)
        if item.rejections:
            widgets.plain(item.last_note)
        st.button(t("queue.take"), key=f"w_take_{item.id}", on_click=actions.on_click, args=("take", item))


def _fields(item):
    s, k = st.session_state, item.id
    captions = {c: s.get(f"w_cap_{k}_{c}", item.captions.get(c, "")) for c in item.channels}
    media = [{**m, "alt": s.get(f"w_alt_{k}_{n}", m.get("alt", "")), "use": bool(s.get(f"w_use_{k}_{n}",
             m.get("use", True)))} for n, m in enumerate(item.media)]
    return {"title": s.get(f"w_title_{k}", item.title), "summary": s.get(f"w_summary_{k}", item.summary),
            "body": s.get(f"w_body_{k}", item.body), "captions": captions, "media": media}


def _save(item, submit: bool) -> None:
    """Save, then submit: the Desk refuses a submit with a blocking finding (the text stays saved)."""
    user = session.current_user()
    if user is None:
        return
    desk = session.desk()
    saved = actions.run("edit", desk.edit, user, item, **_fields(item))
    if saved is not None and submit:
        actions.run("submit", desk.submit, user, saved, done_key="done.submit")


st.subheader(t("creator.mine"))
mine = filters.bar("mine", mine)
if not mine:
    st.info(t("creator.none"))
for item in widgets.capped(mine):
    k = item.id
    with st.container(border=True):
        widgets.item_header(item)
        widgets.clock_badge(item)
        _rework(item)
        if item.rejections:
            st.warning(t("creator.rework", n=item.rejections))
            widgets.plain(item.last_note)
        with st.expander(t("creator.material")):
            widgets.plain(item.summary)
            st.caption(t("field.sources"))
            widgets.plain(item.sources)
        st.text_input(t("field.title"), value=item.title, key=f"w_title_{k}", max_chars=300)
        st.text_area(t("field.summary"), value=item.summary, key=f"w_summary_{k}")
        write, preview_tab = st.tabs([t("creator.write"), t("creator.preview")])
        with write:
            st.text_area(t("field.body"), value=item.body, key=f"w_body_{k}", height=260)
        with preview_tab:
            preview.show(replace(item, **_fields(item)))
        st.markdown(f"**{t('creator.captions')}**")
        for c in item.channels:
            st.text_area(t("creator.caption_for", channel=widgets.channel_name(c)),
                         value=item.captions.get(c, ""), key=f"w_cap_{k}_{c}")
            text = st.session_state.get(f"w_cap_{k}_{c}", item.captions.get(c, ""))
            spec = registry.get(c)
            limit = spec.caption_limit if spec else None
            n = checks.caption_length(text)
            count = t("creator.count", n=n, limit=limit) if limit else t("creator.count_nolimit", n=n)
            if spec and spec.hashtag_limit:
                count += " · " + t("creator.hashtags", n=len(checks.HASHTAG.findall(text)), limit=spec.hashtag_limit)
            (st.error if checks.caption_findings(c, text) else st.caption)(count)
        images = [(n, m) for n, m in enumerate(item.media) if m.get("kind", "image") == "image"]
        if images:
            st.markdown(f"**{t('creator.images')}**")
        for n, m in images:
            cols = st.columns([1, 3])
            cols[0].checkbox(t("creator.use_image"), value=bool(m.get("use", True)), key=f"w_use_{k}_{n}")
            cols[1].text_input(t("creator.alt", name=m.get("name", "?")), value=m.get("alt", ""),
                               key=f"w_alt_{k}_{n}")
            with st.expander(t("creator.renditions", name=m.get("name", "?"))):
                targets = [c for c in item.channels if c in RENDITIONS]
                shown = st.columns(max(1, len(targets)))
                for col, c in zip(shown, targets, strict=False):
                    img = renditions.for_channel(m, c)
                    if img is None:
                        col.caption(t("creator.no_rendition", channel=c))
                    else:
                        col.image(img.data, caption=c)
        findings = checks.pre_submit(replace(item, **_fields(item)))
        with st.expander(t("creator.check", n=len(findings)), expanded=bool(findings)):
            if not findings:
                st.success(t("check.ok"))
            for f in findings:
                (st.error if f.blocking else st.warning)(t(f.key, **f.values))
        c1, c2 = st.columns(2)
        c1.button(t("creator.save"), key=f"w_save_{k}", on_click=_save, args=(item, False))
        c2.button(t("creator.submit"), key=f"w_submit_{k}", type="primary", on_click=_save, args=(item, True))
        widgets.item_link(item)
