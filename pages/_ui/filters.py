"""The search-and-filter bar above every queue and the Register: one search box, and the picks (category,
channel, person, status) folded in an expander so a phone shows the list, not the form. The matching is
``sopkit.filters``; the bar's values live in the URL's query parameters, so a filtered list can be shared or
bookmarked and survives a reload."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from sopkit import filters
from sopkit.schema import Item

from . import widgets
from .session import t

_FIELDS = ("categories", "channels", "people", "statuses")


def bar(key: str, items: Sequence[Item], fields: Sequence[str] = _FIELDS) -> list[Item]:
    """Draw the bar for the list called ``key`` and return the items it lets through (in their order). An empty
    list gets no bar (nothing to search; the page says the queue is empty)."""
    if not items:
        return []
    names = widgets.names()
    offered = filters.choices(items)
    prefix = f"{key}."
    state = st.session_state
    wkey = {name: f"w_f_{key}_{name}" for name in ("text", *_FIELDS)}
    if wkey["text"] not in state:  # first run of this list in the session: start from the URL
        start = filters.ItemFilter.from_query(dict(st.query_params), offered, prefix=prefix)
        for name in ("text", *_FIELDS):
            state[wkey[name]] = getattr(start, name) if name == "text" else list(getattr(start, name))
    for name in _FIELDS:  # picks no longer offered (the list changed) would make Streamlit raise
        state[wkey[name]] = [v for v in state.get(wkey[name], []) if v in offered[name]]
    st.text_input(t("filter.search"), key=wkey["text"], placeholder=t("filter.search_hint"),
                  label_visibility="collapsed", icon=":material/search:")
    picked = sum(bool(state.get(wkey[n])) for n in fields)
    label = t("filter.more_n", n=picked) if picked else t("filter.more")
    formats: dict[str, Callable[[str], str]] = {"people": widgets.person, "statuses": widgets.item_status,
               "channels": widgets.channel_name, "categories": str}
    with st.expander(label, icon=":material/filter_list:"):
        for name in fields:
            st.multiselect(t(f"filter.{name}"), offered[name], key=wkey[name], format_func=formats[name],
                           placeholder=t("ui.choose_many"))
    f = filters.ItemFilter(text=str(state.get(wkey["text"], "")),
                           **{n: tuple(state.get(wkey[n], [])) for n in _FIELDS if n in fields})
    _to_url(prefix, f)
    shown = filters.apply(items, f, names)
    if f.active:
        st.caption(t("filter.count", shown=len(shown), total=len(items)))
    return shown


def _to_url(prefix: str, f: filters.ItemFilter) -> None:
    """Write this list's parameters into the URL, leaving every other parameter (``id``, other lists) alone."""
    wanted = f.to_query(prefix)
    for k in [k for k in st.query_params if k.startswith(prefix) and k not in wanted]:
        del st.query_params[k]
    for k, v in wanted.items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v
