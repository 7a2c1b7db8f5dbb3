"""The desk, the CLI and the publish job on a Google Sheet served by the loopback fake, through the production
path: ``register.url = "gsheets://KEY"`` in a secrets file with a ``[gcp_service_account]`` whose token endpoint is
the fake's, and gspread's URLs pointed at the fake (:func:`sheets_server.gspread_pointed_at`). Used by the budget
tests and ``tests/benchmarks/bench_sheets_calls.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fakes.sheets_server import FakeSheets, connect, gspread_pointed_at, private_key_pem, service_account_info
from sopkit.schema import Item, User
from sopkit.store.gsheets import GSheetsStore
from sopkit.workflow import Desk

ROLES = {"officer": ("officer",), "creator": ("creator",), "supervisor": ("supervisor",),
         "supervisor2": ("supervisor",), "publisher": ("publisher",), "admin": ("admin",)}


@dataclass
class SheetEnv:
    fake: FakeSheets
    key: str
    store: GSheetsStore
    secrets: Path

    def user(self, role: str) -> User:
        return next(u for u in self.store.read_users()[0] if u.email == email_for(role))

    def item_at(self, step: int) -> Item:
        d = Desk(self.store)
        item = d.start(self.user("officer"), title="Jembatan Kapuas", summary="Ditutup sementara.", channels=("site",))
        item = d.submit(self.user("officer"), item)
        if step >= 3:
            creator = self.user("creator")
            item = d.submit(creator, d.edit(creator, d.take(creator, item), body="Isi."))
        return item

    def calls(self) -> dict[str, int]:
        """Sheets API calls by kind (the service account's token requests are not Sheets quota)."""
        counts = self.fake.counts
        out = {k: v for k, v in counts.items() if k not in ("token", "auth", "total") and v}
        return out | ({"total": counts["read"] + counts["write"]} if out else {})


def _toml(data: dict) -> str:
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def email_for(role: str) -> str:
    return f"{role}@demo.test"


@contextmanager
def sheet_desk(tmp_path: Path) -> Iterator[SheetEnv]:
    """A fresh spreadsheet (initialised, one user per role) and the environment that makes the app, the CLI and
    the job use it; both undone on exit."""
    names = ("SOPKIT_SECRETS", "SOPKIT_STORE", "SOPKIT_MEDIA", "SOPKIT_BACKEND", "SOPKIT_SHEET", "SOPKIT_DB",
             "GOOGLE_APPLICATION_CREDENTIALS")
    saved = {n: os.environ.get(n) for n in names}
    with FakeSheets() as fake, gspread_pointed_at(fake):
        key = fake.create_spreadsheet("Desk", locale="id_ID")
        store = GSheetsStore(connect(fake), key, sleep=lambda s: None)
        store.init()
        for role, roles in ROLES.items():
            store.save_user(User(email_for(role), role.title(), roles))
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(_toml({"register": {"url": f"gsheets://{key}"}, "media": {"root": str(tmp_path / "media")},
                                  "site": {"root": str(tmp_path / "site")},
                                  "publish": {"lock": str(tmp_path / "publish.lock")},
                                  "gcp_service_account": service_account_info(fake, private_key_pem())}))
        for n in names:
            os.environ.pop(n, None)
        os.environ["SOPKIT_SECRETS"] = str(secrets)
        try:
            yield SheetEnv(fake, key, store, secrets)
        finally:
            for n, v in saved.items():
                if v is None:
                    os.environ.pop(n, None)
                else:
                    os.environ[n] = v
