"""A worker process for ``tests/multiproc.py``: reads JSON commands on stdin, answers one JSON line each.

Runs from its own copy of the project (this file sits beside the copied ``sopkit/`` and ``fakes/``).

Commands: ``open`` (backend, path | url + key), ``view`` (item: read it and keep it, as a page does),
``act`` (action, email, note: the Desk action on the kept view), ``signin`` (email, password, times),
``save_settings`` (rows, email), ``view_many`` (items) and ``batch`` (who: one ``commit_many`` over them),
``quit``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from typing import Any

import sopkit
from sopkit import auth
from sopkit.store.base import ActorRefused, StaleWrite, StoreError
from sopkit.workflow import Desk, WorkflowError

STATE: dict[str, Any] = {}


def answer(**values: Any) -> None:
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()


def open_store(command: dict[str, Any]) -> dict[str, Any]:
    if command["backend"] == "sqlite":
        from sopkit.store.sqlite import SQLiteStore

        store = SQLiteStore(command["path"])
    else:
        import gspread

        from fakes.sheets_server import LoopbackSession  # the fake itself runs in the test's process
        from sopkit.retry import Backoff
        from sopkit.store.gsheets import GSheetsStore

        client = gspread.Client(auth=None, session=LoopbackSession(command["url"]))  # type: ignore[arg-type]
        store = GSheetsStore(client, command["key"], backoff=Backoff(tries=6, base=0.05, cap=0.5))
    STATE["store"] = store
    STATE["desk"] = Desk(store)
    return {"ok": True}


def view(command: dict[str, Any]) -> dict[str, Any]:
    item = STATE["store"].get_item(command["item"])
    STATE["item"] = item
    return {"rev": item.rev, "step": item.step}


def act(command: dict[str, Any]) -> dict[str, Any]:
    desk: Desk = STATE["desk"]
    user = next(u for u in STATE["store"].read_users()[0] if u.email == command["email"]) \
        if command.get("fresh_user", True) else STATE["user"]
    STATE["user"] = user
    fn = getattr(desk, command["action"])
    args = {"note": command["note"]} if command.get("note") else {}
    try:
        item = fn(user, STATE["item"], **args)
    except StaleWrite as e:
        return {"outcome": "stale", "why": str(e)}
    except ActorRefused as e:
        return {"outcome": "refused", "why": str(e)}
    except (StoreError, WorkflowError) as e:
        return {"outcome": "error", "why": f"{type(e).__name__}: {e}"}
    return {"outcome": "saved", "rev": item.rev, "step": item.step, "change_id": item.change_id}


def view_many(command: dict[str, Any]) -> dict[str, Any]:
    """Read several items and keep them (as the publish job keeps the Register it decided on)."""
    STATE["items"] = [STATE["store"].get_item(i) for i in command["items"]]
    return {"revs": [i.rev for i in STATE["items"]]}


def batch(command: dict[str, Any]) -> dict[str, Any]:
    """One ``commit_many`` over the kept items (a title edit each, by ``who``): the outcome per item."""
    from sopkit.schema import LogRow
    from sopkit.store.base import Change
    from sopkit.timeutil import server_now

    changes = [Change(i.id, i.rev, {"title": f"{command['who']} {i.id}"},
                      (LogRow(server_now(), i.id, i.step, "edit", command["who"], "officer"),), seen=i)
               for i in STATE["items"]]
    try:
        out = STATE["store"].commit_many(changes)
    except StoreError as e:
        return {"outcome": "error", "why": f"{type(e).__name__}: {e}"}
    return {"outcomes": ["saved" if not isinstance(o, Exception) else
                         "stale" if isinstance(o, StaleWrite) else type(o).__name__ for o in out]}


def keep_user(command: dict[str, Any]) -> dict[str, Any]:
    """Remember the user as a signed-in session would (a later ``act`` with fresh_user=False uses it)."""
    STATE["user"] = next(u for u in STATE["store"].read_users()[0] if u.email == command["email"])
    return {"ok": True}


def signin(command: dict[str, Any]) -> dict[str, Any]:
    codes = []
    for _ in range(command.get("times", 1)):
        try:
            auth.authenticate(STATE["store"], command["email"], command["password"])
            codes.append("ok")
        except auth.AuthError as e:
            codes.append(e.code)
    return {"codes": codes}


def save_settings(command: dict[str, Any]) -> dict[str, Any]:
    """An admin's save of the Settings (``rows``); answers the revision it made."""
    try:
        rev = STATE["store"].save_settings(command["rows"], actor=command["email"])
    except StoreError as e:
        return {"outcome": "error", "why": f"{type(e).__name__}: {e}"}
    return {"outcome": "saved", "rev": rev}


OPS = {"open": open_store, "view": view, "act": act, "signin": signin, "keep_user": keep_user,
       "save_settings": save_settings, "view_many": view_many, "batch": batch}


def main() -> None:
    answer(sopkit=sopkit.__file__, home=os.environ.get("HOME"), tmp=tempfile.gettempdir(), pid=os.getpid())
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            return
        try:
            answer(**OPS[command["op"]](command))
        except Exception:  # noqa: BLE001 - report it to the test, which fails with the traceback
            answer(crash=traceback.format_exc())


if __name__ == "__main__":
    main()
