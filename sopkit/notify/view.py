"""What the desk shows of the notification job: the outbox as one line per message, newest first, with the
people named and the messages a person may hand back to the job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..schema import User
from .outbox import REQUEUABLE, State, Status

#: What the admin's "problems only" view keeps.
PROBLEMS = frozenset({Status.FAILED, Status.UNKNOWN, Status.RETRY, Status.UNREACHABLE})


@dataclass(frozen=True)
class OutboxLine:
    key: str
    status: Status
    kind: str
    item_id: str
    name: str  # the recipient, by name
    channel: str
    subject: str
    at: dt.datetime | None
    detail: str
    attempts: int
    stale: bool = False  # claimed by a run that stopped before sending, and its lease is over

    @property
    def retryable(self) -> bool:
        return self.status in REQUEUABLE

    @property
    def label(self) -> str:
        """The i18n key of its state as people read it."""
        return "notify.status.stale" if self.stale else f"notify.status.{self.status}"


def outbox_lines(states: Mapping[str, State], users: Iterable[User], now: dt.datetime, *,
                 problems_only: bool = False, limit: int = 500) -> list[OutboxLine]:
    """``states``: ``outbox.fold`` of the Outbox rows."""
    names = {u.email: u.name or u.email.split("@")[0] for u in users}
    lines = []
    for state in states.values():
        if problems_only and state.status not in PROBLEMS:
            continue
        m = state.meta
        lines.append(OutboxLine(state.key, state.status, m.kind, m.item_id,
                                names.get(m.recipient, m.recipient.split("@")[0]), m.channel, m.subject,
                                state.at, state.detail, state.attempts,
                                state.status == Status.CLAIMED and (state.until is None or state.until < now)))
    far = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(lines, key=lambda line: line.at or far, reverse=True)[:limit]


def counts(states: Mapping[str, State]) -> dict[str, int]:
    values = states.values()
    return {"sent": sum(s.status == Status.SENT for s in values),
            "problems": sum(s.status in PROBLEMS for s in values),
            "recorded": sum(s.status == Status.RECORDED for s in values)}
