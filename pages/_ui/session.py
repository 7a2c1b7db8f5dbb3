"""Per-run access to the store: one cached read per rerun, cleared after the user's own write."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from sopkit import config as sopconfig
from sopkit import i18n
from sopkit.i18n import format_iso, format_time
from sopkit.i18n import t as _t
from sopkit.schema import LOG_COLUMNS, Item, Row, RowProblem, SessionRecord, User
from sopkit.sessions import Known
from sopkit.settings import History, Settings, from_rows, history_from_rows
from sopkit.store.base import Register, Store, StoreError
from sopkit.store.columns import log_frame
from sopkit.tableio import records
from sopkit.timeutil import use_zone
from sopkit.workflow import Desk

T = TypeVar("T")

#: Session-state keys that hold identity; no widget may use them (widget keys start with ``w_``). AUTH_KEY holds
#: the store id of the signed-in session (``sopkit.sessions``), never an e-mail taken on trust.
AUTH_KEY = "_sopkit_auth_session"
LANG_KEY = "w_lang"
FLASH_KEY = "_sopkit_flash"
SNAPSHOT_TTL = 30  # seconds: another user's change shows within about this; one's own at once

#: How often the store was really read in this process (tests assert one read per rerun at most).
READS = {"count": 0}


@dataclass(frozen=True)
class Snapshot:
    register: Register
    users: tuple[User, ...]
    user_problems: tuple[RowProblem, ...]
    settings_rows: dict[str, str]
    log: pd.DataFrame = field(repr=False)
    read_at: dt.datetime  # when this version was made (a full read or a patch): the key of derived caches
    settings_history: tuple[Row, ...] = ()  # the Settings revisions (compliance judges by the one in force)
    sessions: Mapping[str, SessionRecord] = field(default_factory=dict, repr=False)  # by id, as of the full read

    def user(self, email: str) -> User | None:
        return next((u for u in self.users if u.email == email), None)

    def item(self, item_id: str) -> Item | None:
        return self.register.by_id().get(item_id)


def cfg() -> sopconfig.Config:
    return sopconfig.load()


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    s = sopconfig.open_store(replace(cfg(), store=url))
    if hasattr(s, "on_busy"):  # the Google Sheets store: tell the user it retries instead of freezing silently
        s.on_busy = _notify_busy
    return s


def _notify_busy(_message: str) -> None:
    """A toast in the session whose action waits on Google Sheets; silent in the background re-read thread."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return
    st.toast(t("error.sheets_busy"), icon="⏳")


def store() -> Store:
    return _store(*_key())


class _Held:
    """The process's current Snapshot, shared by every session.

    A user's own write swaps in a copy patched with that one item (:func:`after_write`). Once the snapshot is
    older than ``SNAPSHOT_TTL`` the next run starts a full re-read in a background thread and keeps serving the
    current snapshot meanwhile, so no page waits on a full read except the very first. Patches made during a
    re-read are applied again on top of its result (a patch is idempotent), so nobody's own change disappears.
    """

    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.read_at = snap.read_at  # time of the last full read (patches do not count)
        self.lock = threading.Lock()
        self.refresh: threading.Thread | None = None
        self.patched_items: set[str] = set()
        self.patched_users = False
        self.patched_settings = False


# cache_resource, not cache_data: cache_data hands every caller an unpickled copy, and a page asks several times per
# run (guard, user, settings, page). Over 50k items each copy costs about a second; the shared Snapshot is
# immutable (frozen dataclasses; pages only read and filter its frames), so one object serves every session.
@st.cache_resource(show_spinner=False, max_entries=4)
def _held(url: str) -> _Held:
    return _Held(_read_all(_store(url)))


def _read_all(s: Store) -> Snapshot:
    """Everything a page shows, from one read of the store (one transaction on SQLite, one values:batchGet on
    Google Sheets): the Register and the Log as of one moment, so every Log row of an item at the revision read is
    in the snapshot (a later row bumps the item's rev, and an action on the older rev is refused as stale), and
    the desk may take the item's makers and checkers from the snapshot's Log (:func:`item_log`). The Settings
    history comes with the same read: compliance judges each attempt by the revision in force then."""
    READS["count"] += 1
    started = dt.datetime.now(dt.UTC)  # the data is as old as the moment the read began (the sign-in check's bound)
    snap = s.read_snapshot(record_hand_edits=True)  # a hand edit of the Settings is recorded when first seen
    log = log_frame(snap.log, LOG_COLUMNS)
    return Snapshot(snap.register, snap.users, snap.user_problems, snap.settings, log, started,
                    snap.settings_history, {r.id: r for r in snap.sessions})


def _key() -> tuple[str]:
    """What the process's store, snapshot and session caches are keyed by: the store's URL."""
    return (cfg().store,)


def snapshot() -> Snapshot:
    held = _held(*_key())
    current = held.snap
    if _age(held) > SNAPSHOT_TTL:
        with held.lock:
            if held.refresh is None and _age(held) > SNAPSHOT_TTL:  # again: a re-read may just have landed
                held.patched_items, held.patched_users, held.patched_settings = set(), False, False
                held.refresh = threading.Thread(target=_refresh, args=(held, store()), daemon=True,
                                                name="sopkit-snapshot-refresh")
                held.refresh.start()
    return current


def _age(held: _Held) -> float:
    return (dt.datetime.now(dt.UTC) - held.read_at).total_seconds()


def _refresh(held: _Held, s: Store) -> None:
    try:
        fresh = _read_all(s)
    except Exception:  # noqa: BLE001 - keep serving the last snapshot; the next run tries again
        with held.lock:
            held.refresh = None
        return
    with held.lock:
        held.snap, held.read_at = fresh, fresh.read_at
        for item_id in sorted(held.patched_items):
            _patch_item(held, s, item_id)
        if held.patched_users:
            _patch_users(held, s)
        if held.patched_settings:
            _patch_settings(held, s)
        held.refresh = None


def sign_ins() -> tuple[Known, float]:
    """The Sessions and Users as the process's snapshot holds them, and how many seconds ago the Sessions were
    read (the last full read; a cold process reads the snapshot now, so its first page view reads once)."""
    snapshot()
    held = _held(*_key())
    with held.lock:
        snap, read_at = held.snap, held.read_at
    return Known(snap.sessions, snap.users), (dt.datetime.now(dt.UTC) - read_at).total_seconds()


def wait_for_refresh(timeout: float = 60) -> None:
    """Tests: wait until a background re-read (if any) has been swapped in."""
    thread = _held(*_key()).refresh
    if thread is not None:
        thread.join(timeout)


def after_write(item_id: str | None = None, users: bool = False, item: Item | None = None,
                settings: bool = False) -> None:
    """Make the writer see their own change on the next run.

    With ``item_id`` (a workflow action) only that item's Register row and its new Log rows are patched into the
    shared snapshot: over 50k items that is milliseconds instead of a full re-read of seconds. With ``item`` (what
    the commit returned, or a refusal's current item) nothing is read: its Log rows are the ones the store already
    holds after its commit. ``users`` re-reads the Users table only. ``settings`` (after a settings save) patches
    the Settings and their history as the save left them (no read on Google Sheets: its verifying read has them).
    Without any (other admin edits), the snapshot is dropped and the next run reads everything. Other users'
    changes arrive with the background re-read.
    """
    if item_id is None and not users and not settings:
        _held.clear()
        return
    held = _held(*_key())
    s = store()
    with held.lock:
        if item is None:
            READS["count"] += 1
        if settings:
            held.patched_settings = True
            _patch_settings(held, s)
        elif users:
            held.patched_users = True
            _patch_users(held, s)
        else:
            held.patched_items.add(str(item_id))
            _patch_item(held, s, str(item_id), item)


def _patch_settings(held: _Held, s: Store) -> None:
    rows, history = s.sync_settings_history(cached=True)
    held.snap = replace(held.snap, settings_rows=rows, settings_history=tuple(history),
                        read_at=dt.datetime.now(dt.UTC))


def _patch_users(held: _Held, s: Store) -> None:
    found, problems = s.read_users()
    held.snap = replace(held.snap, users=tuple(found), user_problems=tuple(problems),
                        read_at=dt.datetime.now(dt.UTC))


def _patch_item(held: _Held, s: Store, item_id: str, item: Item | None = None) -> None:
    """Idempotent: the item as stored now (``item``, or read), and any of its Log rows the snapshot lacks."""
    snap = held.snap
    cached = item is not None
    if item is None:
        try:
            item = s.get_item(item_id)
        except StoreError:
            return
    reg = replace(snap.register, items=_swap(snap.register.items, item, lambda i: i.id),
                  rows=_swap(snap.register.rows, item.to_row(), lambda r: r.get("id")))
    stored = s.read_log(item.id, cached=cached)
    have = int((snap.log["item_id"] == item.id).sum())
    log = snap.log
    if len(stored) > have:
        log = pd.concat([log, pd.DataFrame(stored[have:], columns=list(LOG_COLUMNS))], ignore_index=True)
    held.snap = replace(snap, register=reg, log=log, read_at=dt.datetime.now(dt.UTC))


def _swap(seq: Sequence[T], new: T, key: Callable[[T], Any]) -> tuple[T, ...]:
    """``seq`` with the element whose key matches ``new``'s replaced in place, or ``new`` appended."""
    k = key(new)
    out = [new if key(x) == k else x for x in seq]
    return tuple(out) if any(key(x) == k for x in seq) else (*seq, new)


def item_log(item: Item) -> list[dict[str, str]] | None:
    """The item's Log rows from the snapshot, for an action's maker-checker rule, when the snapshot holds the
    revision the page showed (it may have moved on since the button was drawn); else None, and the desk reads
    the store."""
    snap = snapshot()
    held = snap.item(item.id)
    if held is None or held.rev != item.rev:
        return None
    return records(snap.log[snap.log["item_id"] == item.id])


def settings() -> tuple[Settings, list[str]]:
    """The Settings in force (their time zone becomes the one this process stamps and reads in)."""
    found, problems = from_rows(snapshot().settings_rows, default_timezone=cfg().timezone)
    use_zone(found.tz)
    return found, problems


_HISTORY: dict[str, tuple[Snapshot, History]] = {}


def history() -> History:
    """Every Settings revision (the latest is :func:`settings`); unreadable history rows are in ``problems``. Parsed
    once per snapshot (every countdown badge asks)."""
    snap = snapshot()
    held = _HISTORY.get("current")
    if held is None or held[0] is not snap:
        held = (snap, history_from_rows(snap.settings_history, snap.settings_rows, cfg().timezone))
        _HISTORY["current"] = held
    return held[1]


# The notification job's tables: the admin page's outbox tab and the Notifications page would otherwise read them
# on every rerun (a Google Sheets read each, for every widget touched), so they are held like the snapshot.
@st.cache_resource(ttl=SNAPSHOT_TTL, show_spinner=False, max_entries=8)
def _notify_rows(url: str, table: str) -> tuple[Row, ...]:
    s = _store(url)
    return tuple(s.read_outbox() if table == "outbox" else s.read_preferences())


def outbox_rows() -> tuple[Row, ...]:
    """The Outbox, read at most once per ``SNAPSHOT_TTL`` in this process: the job's sends show within about
    that, the user's own retry at once (:func:`after_notify_write`)."""
    return _notify_rows(*_key(), "outbox")


def preference_rows() -> tuple[Row, ...]:
    """The Preferences rows, held like :func:`outbox_rows`."""
    return _notify_rows(*_key(), "preferences")


def after_notify_write() -> None:
    """After the user's own Outbox or Preferences write: the next run reads both again."""
    _notify_rows.clear()


def desk() -> Desk:
    return Desk(store(), settings()[0])


def lang() -> str:
    value = st.session_state.get(LANG_KEY, i18n.DEFAULT_LANG)
    return value if value in i18n.TEXTS else i18n.DEFAULT_LANG


def t(key: str, **values: Any) -> str:
    return _t(key, lang(), **values)


def current_user() -> User | None:
    """The signed-in user as the store has them now (``pages._ui.identity``): a signed-out, expired, deactivated
    or changed account drops out at once."""
    from . import identity

    return identity.current()


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(text)


def local(ts: dt.datetime | None) -> str:
    """``26 Nov 2026 10.00 WIB`` (id) / ``26 Nov 2026 10:00 WIB`` (en) in the SOP's time zone; ``—`` for none."""
    return format_time(ts, lang(), settings()[0].tz)


def local_iso(text: Any) -> str:
    """:func:`local` of an ISO 8601 string from the store (blank → ``—``, unreadable text shown as it is)."""
    return format_iso(text, lang(), settings()[0].tz)
