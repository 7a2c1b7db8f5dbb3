"""What an admin must fix before scheduled items fall due: the channel credentials the job will need.

Reads the registry (every channel with a poster), the secrets file and the Register; with the live results of
``check_credentials()`` when the job has them. No network here, so the admin page can call it on every view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .. import sop
from ..channels import registry
from ..channels.base import ChannelState, CredentialStatus
from ..config import Config
from ..store.base import Register
from ..timeutil import AGENCY_TZ, parse_iso
from .job import local_time
from .wiring import unavailable_reason


def _expiry(config: Config, channel: str) -> tuple[dt.datetime | None, str | None]:
    """``[channel] token_expires`` (a date or an ISO time; a date means the start of that day, local time)."""
    text = str(config.section(channel).get("token_expires", "") or "").strip()
    if not text:
        return None, None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(), AGENCY_TZ), None
        return parse_iso(text), None
    except ValueError:
        return None, f"{channel}: [{channel}] token_expires = {text!r} is not a date like 2027-01-31"


def credential_warnings(config: Config, register: Register, now: dt.datetime,
                        statuses: Mapping[str, CredentialStatus] | None = None,
                        soon: dt.timedelta = dt.timedelta(days=7)) -> list[str]:
    """Channels with no credentials that items target, and tokens that have expired, expire within ``soon``, or
    expire before an item is due on them.

    ``statuses`` are optional live results of ``channel.check_credentials()`` (their ``expires_at`` and ``ok``
    count too); without them this reads only the configuration and the Register, so a page can call it freely.
    """
    first_due: dict[str, dt.datetime] = {}
    count: dict[str, int] = {}
    for item in register.items:
        if item.status != sop.STATUS_BY_STEP[6] or item.publish_at is None:
            continue
        for ch in item.channels:
            if item.channel_results.get(ch, {}).get("status") == ChannelState.PUBLISHED:
                continue
            count[ch] = count.get(ch, 0) + 1
            first_due[ch] = min(first_due.get(ch, item.publish_at), item.publish_at)
    warnings: list[str] = []
    for spec in registry.specs():
        ch = spec.name
        if not spec.automatic:
            continue
        due = first_due.get(ch)
        waiting = f"{count[ch]} scheduled item(s) target it, the first due {local_time(due)}" if due else ""
        reason = unavailable_reason(config, ch)
        if reason:
            if due:
                warnings.append(f"{ch}: {reason}; {waiting}: they will wait on the publisher's queue.")
            continue
        expires, problem = _expiry(config, ch)
        if problem:
            warnings.append(problem)
        status = (statuses or {}).get(ch)
        if status is not None:
            if not status.ok:
                warnings.append(f"{ch}: credentials do not work: {status.message}" + (f"; {waiting}" if due else ""))
            if status.expires_at and (expires is None or status.expires_at < expires):
                expires = status.expires_at
        if expires is None:
            continue
        if expires <= now:
            warnings.append(f"{ch}: the token expired on {local_time(expires)}; renew it in the secrets file"
                            + (f" ({waiting})." if due else "."))
        elif due and expires <= due:
            warnings.append(f"{ch}: the token expires on {local_time(expires)}, before the next item is due on it "
                            f"({waiting}); renew it now.")
        elif expires - now <= soon:
            warnings.append(f"{ch}: the token expires on {local_time(expires)}; renew it before then.")
    return warnings
