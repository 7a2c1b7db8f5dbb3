"""Notifications: nobody misses their turn (issue 12).

* ``due``: which messages are due now, from the Register, the Log and the working calendar;
* ``messages``: their words per language (plain text, HTML, chat);
* ``outbox``: the append-only record of every message and the protocol that sends each exactly once;
* ``prefs``: what each person wants, and where (e-mail, Telegram);
* ``smtp``, ``telegram``: the two ways to reach a person;
* ``job``: one run's algorithm; ``run``: one run from the secrets file (``jobs/notify.py`` is its CLI).
"""

from .due import Notice, Outgoing, due_notices, expand, unreachable_people
from .job import NotifyJob, RunReport, requeue
from .outbox import Event, State, Status, fold
from .prefs import KINDS, PEOPLE_CHANNELS, Preference, kinds_for, link_code, read_preferences

__all__ = [
    "KINDS", "PEOPLE_CHANNELS", "Event", "Notice", "NotifyJob", "Outgoing", "Preference", "RunReport", "State",
    "Status", "due_notices", "expand", "fold", "kinds_for", "link_code", "read_preferences", "requeue",
    "unreachable_people",
]
