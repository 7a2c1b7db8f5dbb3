"""What an admin must fix before scheduled items fall due: the channel credentials and settings the job will need.

Reads the registry (every channel with a poster), the secrets file and the Register; with the live results of
``check_credentials()`` when the job has them. No network here, so the admin page can call it on every view, in
the reader's language (``lang``).

Besides missing and expiring tokens it says what each channel's own ``config_warnings`` finds (an old Graph API
version, no Meta app token to check expiry with) and, for a configured channel, that it is held back because the
website's address is not public (``wiring.address_reason``): before any item is due, not when one fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .. import sop
from ..channels import registry
from ..channels.base import ChannelState, CredentialStatus
from ..config import Config
from ..i18n import DEFAULT_LANG, channel_title, format_time, t
from ..store.base import Register
from ..timeutil import parse_iso, zone
from .wiring import address_reason, unavailable_reason


def _expiry(config: Config, channel: str, lang: str) -> tuple[dt.datetime | None, str | None]:
    """``[channel] token_expires`` (a date or an ISO time; a date means the start of that day, local time)."""
    text = str(config.section(channel).get("token_expires", "") or "").strip()
    if not text:
        return None, None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(), zone()), None
        return parse_iso(text), None
    except ValueError:
        return None, t("cred.bad_expiry", lang, channel=channel_title(channel, lang), section=channel, value=repr(text))


def credential_warnings(config: Config, register: Register, now: dt.datetime,
                        statuses: Mapping[str, CredentialStatus] | None = None,
                        soon: dt.timedelta = dt.timedelta(days=7), lang: str = DEFAULT_LANG) -> list[str]:
    """Channels with no credentials that items target, channels held back for a private website address, the
    channels' own configuration warnings, and tokens that have expired, expire within ``soon``, or expire before
    an item is due on them.

    ``statuses`` are optional live results of ``channel.check_credentials()`` (their ``expires_at`` and ``ok``
    count too); without them this reads only the configuration and the Register, so a page can call it freely.
    """
    first_due: dict[str, dt.datetime] = {}
    count: dict[str, int] = {}
    for item in register.items:
        if item.status != sop.AGENCY["publication"].status or item.publish_at is None:
            continue
        for ch in item.channels:
            if item.channel_results.get(ch, {}).get("status") == ChannelState.PUBLISHED:
                continue
            count[ch] = count.get(ch, 0) + 1
            first_due[ch] = min(first_due.get(ch, item.publish_at), item.publish_at)

    def when(moment: dt.datetime) -> str:
        return format_time(moment, lang, zone())

    warnings: list[str] = []
    for spec in registry.specs():
        ch, name = spec.name, channel_title(spec.name, lang)
        if not spec.automatic:
            continue
        due = first_due.get(ch)
        waiting = t("cred.waiting", lang, n=count[ch], due=when(due)) if due else ""
        address = address_reason(config, spec, lang)
        reason = unavailable_reason(config, ch, lang)
        if reason and reason != address:  # not configured (or switched off): only worth saying if items wait
            if due:
                warnings.append(t("cred.unavailable", lang, channel=name, reason=reason, waiting=waiting))
            continue
        if address:  # configured, but held back: say it now, before the first item falls due
            warnings.append(f"{name}: {address}" + (f" ({waiting})" if due else ""))
        if spec.config_warnings is not None:
            warnings += spec.config_warnings(ch, config.section(ch), now, lang)
        expires, problem = _expiry(config, ch, lang)
        if problem:
            warnings.append(problem)
        status = (statuses or {}).get(ch)
        if status is not None:
            if not status.ok:
                warnings.append(t("cred.not_working", lang, channel=name, message=status.message)
                                + (f"; {waiting}" if due else ""))
            if status.expires_at and (expires is None or status.expires_at < expires):
                expires = status.expires_at
        if expires is None:
            continue
        if expires <= now:
            warnings.append(t("cred.expired", lang, channel=name, at=when(expires))
                            + (f" ({waiting})." if due else "."))
        elif due and expires <= due:
            warnings.append(t("cred.expires_before_due", lang, channel=name, at=when(expires), waiting=waiting))
        elif expires - now <= soon:
            warnings.append(t("cred.expires_soon", lang, channel=name, at=when(expires)))
    return warnings
